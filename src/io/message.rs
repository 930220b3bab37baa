//! A composed message as a driver's body: [`MessageBody`] puts a
//! [`MessageWriter`] behind the drivers' [`BodySource`], so a message goes
//! out through DATA or BDAT as it is written, never whole in memory.

use crate::message::MessageWriter;

use super::Error;
use super::client::BodySource;

/// A [`MessageWriter`] as a body: the writer fills `buf` (any size from
/// one byte; a few hundred bytes make few calls), the driver sends it, and
/// so on to the end. An attachment source's error stops the send with
/// [`Error::Body`] (the session is closed: DATA cannot be withdrawn).
///
/// ```
/// use embedded_smtp::io::{BodySource, MessageBody};
/// use embedded_smtp::message::{Address, Date, Message, MessageId, MessageWriter};
///
/// let message = Message::new(
///     Address::new("a@example.org"),
///     Date::new(0, 0).unwrap(),
///     MessageId::new([1; 16], "example.org"),
/// )
/// .text("hello\n");
/// let mut buf = [0u8; 64];
/// let mut body = MessageBody::new(MessageWriter::new(message).unwrap(), &mut buf);
/// // What `client.send(&envelope, body, …)` does with it:
/// let mut sent = Vec::new();
/// loop {
///     let chunk = body.fill().unwrap();
///     if chunk.is_empty() { break; }
///     let n = chunk.len();
///     sent.extend_from_slice(chunk);
///     body.consume(n);
/// }
/// assert!(sent.starts_with(b"Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
/// assert!(sent.ends_with(b"\r\n\r\nhello\r\n"));
/// ```
pub struct MessageBody<'w, 'a, 'b> {
    writer: MessageWriter<'a, 'b>,
    buf: &'w mut [u8],
    start: usize,
    end: usize,
    /// The writer's source failed (seen while refilling in `consume`).
    failed: bool,
}

impl<'w, 'a, 'b> MessageBody<'w, 'a, 'b> {
    /// The body written by `writer` through `buf`.
    pub fn new(writer: MessageWriter<'a, 'b>, buf: &'w mut [u8]) -> Self {
        MessageBody {
            writer,
            buf,
            start: 0,
            end: 0,
            failed: false,
        }
    }

    /// Writes the next bytes of the message into the empty buffer.
    fn refill(&mut self) {
        if self.writer.is_done() || self.buf.is_empty() || self.failed {
            return;
        }
        match self.writer.write(self.buf) {
            Ok(n) => {
                self.start = 0;
                self.end = n;
            }
            Err(_) => self.failed = true,
        }
    }

    /// The writer (whether it is done, its encodings).
    pub fn writer(&self) -> &MessageWriter<'a, 'b> {
        &self.writer
    }
}

impl BodySource for MessageBody<'_, '_, '_> {
    fn fill(&mut self) -> Result<&[u8], Error> {
        if self.start == self.end {
            self.refill();
        }
        if self.failed || (self.start == self.end && !self.writer.is_done()) {
            // The source failed, or there is no buffer to write into.
            return Err(Error::Body);
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Refills at once when the buffer empties, so that
    /// [`fill_ends_body`](BodySource::fill_ends_body) knows when the rest
    /// is the end (and BDAT sends `BDAT n LAST`, not `BDAT 0 LAST`).
    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.refill();
        }
    }

    fn fill_ends_body(&self) -> bool {
        self.writer.is_done()
    }
}
