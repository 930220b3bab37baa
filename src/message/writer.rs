//! The resumable writer: a message as a sequence of units.
//!
//! Each step of the message — a header field, a delimiter, a part's
//! headers, a line of text, a line of base64 — is one unit, rendered from
//! the writer's state alone through a [`Sink`] that skips what an earlier
//! call already wrote. Between calls the writer keeps the step, the bytes
//! of its unit already written, the position in the text, and the one
//! base64 line of an attachment being written (read from its source
//! before the line's first byte, kept until its last): a fixed size,
//! whatever the message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::syntax::{Domain, Mailbox};

use super::attachment::{SourceError, check_file_name, part_headers};
use super::header::{address_list, check_field_name, check_text, unstructured};
use super::mime::{
    Encoding, Level, check_content_type, close_delimiter, delimiter, marker, multipart_type,
    text_type,
};
use super::qp::{line_break, plain_line, qp_line};
use super::sink::Sink;
use super::{Address, ComposeError, Field, Message, Problem};

/// Octets of an attachment per base64 line: 57 octets are 76 characters
/// (RFC 2045 §6.8).
const B64_INPUT: usize = 57;

/// One step of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Date,
    From,
    To,
    Cc,
    Subject,
    MessageId,
    Extra(usize),
    MimeVersion,
    /// The top-level `Content-Type` (and transfer encoding for a message
    /// that is only text), then the blank line.
    TopType,
    Open(Level),
    AltHead,
    TextHead,
    Text,
    AltDelim,
    HtmlHead,
    Html,
    Close(Level),
    AttDelim(usize),
    AttHead(usize),
    AttBody(usize),
    /// The message's last CRLF, when the last unit did not end one.
    End,
    Done,
}

/// Writes a [`Message`] into caller buffers of any size, resumable at any
/// byte. See the [module documentation](super) for an example.
///
/// ```
/// use embedded_smtp::message::{Address, ComposeError, Date, Field, Message, MessageId, MessageWriter, Problem};
///
/// // A caller string with a line break is refused before anything is written.
/// let message = Message::new(
///     Address::new("a@example.org"),
///     Date::new(0, 0).unwrap(),
///     MessageId::new([1; 16], "example.org"),
/// )
/// .subject("hi\r\nBcc: everyone@example.net");
/// let e = MessageWriter::new(message).err().unwrap();
/// assert_eq!(e, ComposeError { field: Field::Subject, problem: Problem::LineBreak });
/// ```
pub struct MessageWriter<'a, 'b> {
    msg: Message<'a, 'b>,
    text_encoding: Encoding,
    html_encoding: Encoding,
    step: Step,
    /// Bytes of the current unit already written.
    skip: usize,
    /// Position in the text or HTML being written.
    pos: usize,
    /// The base64 line being written: `chunk[..chunk_len]`, valid when
    /// `chunk_ready`.
    chunk: [u8; B64_INPUT],
    chunk_len: usize,
    chunk_ready: bool,
    /// The next base64 line is an attachment's first.
    first_line: bool,
    failed: bool,
}

impl core::fmt::Debug for MessageWriter<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageWriter")
            .field("step", &self.step)
            .field("skip", &self.skip)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

fn check_address(a: &Address<'_>, utf8: bool, field: Field) -> Result<(), ComposeError> {
    let fail = |problem| ComposeError { field, problem };
    check_text(a.mailbox).map_err(fail)?;
    if let Some(n) = a.name {
        check_text(n).map_err(fail)?;
    }
    let m = Mailbox::parse(a.mailbox, true).map_err(|e| fail(Problem::Address(e)))?;
    if !utf8 && !m.is_ascii() {
        return Err(fail(Problem::NonAscii));
    }
    Ok(())
}

impl<'a, 'b> MessageWriter<'a, 'b> {
    /// Checks every caller value of `msg` (rule D5); on success the writer
    /// is at the first byte of the message.
    pub fn new(msg: Message<'a, 'b>) -> Result<Self, ComposeError> {
        check_address(&msg.from, msg.utf8, Field::From)?;
        for (i, a) in msg.to.iter().enumerate() {
            check_address(a, msg.utf8, Field::To(i))?;
        }
        for (i, a) in msg.cc.iter().enumerate() {
            check_address(a, msg.utf8, Field::Cc(i))?;
        }
        if let Some(s) = msg.subject {
            check_text(s).map_err(|problem| ComposeError {
                field: Field::Subject,
                problem,
            })?;
        }
        let id = |problem| ComposeError {
            field: Field::MessageId,
            problem,
        };
        check_text(msg.id.domain).map_err(id)?;
        Domain::parse(msg.id.domain, false).map_err(|e| id(Problem::Address(e)))?;
        for (i, (name, value)) in msg.headers.iter().enumerate() {
            let fail = |problem| ComposeError {
                field: Field::Header(i),
                problem,
            };
            check_field_name(name).map_err(fail)?;
            check_text(value).map_err(fail)?;
        }
        for (i, a) in msg.attachments.iter().enumerate() {
            check_file_name(a.file_name()).map_err(|problem| ComposeError {
                field: Field::FileName(i),
                problem,
            })?;
            check_content_type(a.content_type()).map_err(|problem| ComposeError {
                field: Field::ContentType(i),
                problem,
            })?;
        }
        let m = marker(&msg.id.entropy);
        let text_encoding = Encoding::choose(msg.text, msg.allow_8bit, &m);
        let html_encoding = Encoding::choose(msg.html.unwrap_or(""), msg.allow_8bit, &m);
        Ok(MessageWriter {
            msg,
            text_encoding,
            html_encoding,
            step: Step::Date,
            skip: 0,
            pos: 0,
            chunk: [0; B64_INPUT],
            chunk_len: 0,
            chunk_ready: false,
            first_line: true,
            failed: false,
        })
    }

    /// How the text goes.
    pub fn text_encoding(&self) -> Encoding {
        self.text_encoding
    }

    /// How the HTML goes, if there is one.
    pub fn html_encoding(&self) -> Option<Encoding> {
        self.msg.html.map(|_| self.html_encoding)
    }

    /// Whether the message holds 8bit text: the envelope must then say
    /// `BODY=8BITMIME` (RFC 6152).
    pub fn needs_8bitmime(&self) -> bool {
        self.text_encoding == Encoding::EightBit || self.html_encoding() == Some(Encoding::EightBit)
    }

    /// Whether an address is non-ASCII: the message must then go with
    /// SMTPUTF8 (RFC 6531).
    pub fn needs_smtputf8(&self) -> bool {
        let m = &self.msg;
        core::iter::once(&m.from)
            .chain(m.to)
            .chain(m.cc)
            .any(|a| !a.mailbox.is_ascii())
    }

    /// Whether the whole message is written.
    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// Writes the next bytes of the message into `out` and returns how
    /// many; stops when `out` is full or the message is done. Call again
    /// with more room to go on. An attachment's source is read here; its
    /// error ends the writer (every later call returns it too).
    pub fn write(&mut self, out: &mut [u8]) -> Result<usize, SourceError> {
        if self.failed {
            return Err(SourceError);
        }
        let mut n = 0;
        while self.step != Step::Done {
            if let Step::AttBody(i) = self.step
                && !self.chunk_ready
            {
                if let Err(e) = self.fill(i) {
                    self.failed = true;
                    return Err(e);
                }
                if self.chunk_len == 0 {
                    self.advance(0);
                    continue;
                }
            }
            let mut sink = Sink::new(&mut out[n..], self.skip);
            let consumed = self.render(&mut sink);
            n += sink.written();
            if sink.overflowed() {
                self.skip += sink.written();
                return Ok(n);
            }
            self.skip = 0;
            self.advance(consumed);
        }
        Ok(n)
    }

    /// Reads the next base64 line's octets of attachment `i`.
    fn fill(&mut self, i: usize) -> Result<(), SourceError> {
        let source = &mut self.msg.attachments[i].source;
        let mut len = 0;
        while len < B64_INPUT {
            let k = source.read(&mut self.chunk[len..])?;
            if k == 0 {
                break;
            }
            len += k.min(B64_INPUT - len);
        }
        self.chunk_len = len;
        self.chunk_ready = true;
        Ok(())
    }

    fn multipart(&self) -> bool {
        self.msg.html.is_some() || !self.msg.attachments.is_empty()
    }

    fn entropy(&self) -> &[u8; 16] {
        &self.msg.id.entropy
    }

    /// Writes the current unit; for a line of text, returns the octets of
    /// the text it took.
    fn render(&self, sink: &mut Sink<'_>) -> usize {
        let m = &self.msg;
        let e = self.entropy();
        match self.step {
            Step::Date => {
                sink.put(b"Date: ");
                m.date.write(sink);
                sink.crlf();
            }
            Step::From => address_list(sink, b"From", core::slice::from_ref(&m.from)),
            Step::To => address_list(sink, b"To", m.to),
            Step::Cc => address_list(sink, b"Cc", m.cc),
            Step::Subject => unstructured(sink, b"Subject", m.subject.unwrap_or("")),
            Step::MessageId => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                sink.put(b"Message-ID: <");
                for b in e {
                    sink.put(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                }
                sink.put(b"@");
                sink.put(m.id.domain.as_bytes());
                sink.put(b">\r\n");
            }
            Step::Extra(i) => {
                let (name, value) = m.headers[i];
                unstructured(sink, name.as_bytes(), value);
            }
            Step::MimeVersion => sink.put(b"MIME-Version: 1.0\r\n"),
            Step::TopType => {
                if !m.attachments.is_empty() {
                    multipart_type(sink, e, Level::Mixed);
                } else if m.html.is_some() {
                    multipart_type(sink, e, Level::Alternative);
                } else {
                    text_type(sink, false, self.text_encoding);
                }
                sink.crlf();
            }
            Step::Open(level) => delimiter(sink, e, level, true),
            Step::AltHead => {
                multipart_type(sink, e, Level::Alternative);
                sink.crlf();
            }
            Step::TextHead => {
                text_type(sink, false, self.text_encoding);
                sink.crlf();
            }
            Step::HtmlHead => {
                text_type(sink, true, self.html_encoding);
                sink.crlf();
            }
            Step::Text => return self.line(m.text, self.text_encoding, sink),
            Step::Html => return self.line(m.html.unwrap_or(""), self.html_encoding, sink),
            Step::AltDelim => delimiter(sink, e, Level::Alternative, false),
            Step::Close(level) => close_delimiter(sink, e, level),
            Step::AttDelim(_) => delimiter(sink, e, Level::Mixed, false),
            Step::AttHead(i) => part_headers(sink, &m.attachments[i]),
            Step::AttBody(_) => {
                if !self.first_line {
                    sink.crlf();
                }
                let mut b64 = [0u8; 76];
                let n = STANDARD
                    .encode_slice(&self.chunk[..self.chunk_len], &mut b64)
                    .unwrap_or(0);
                sink.put(&b64[..n]);
            }
            Step::End => sink.crlf(),
            Step::Done => {}
        }
        0
    }

    /// One line of a text, from the current position.
    fn line(&self, text: &str, encoding: Encoding, sink: &mut Sink<'_>) -> usize {
        let t = text.as_bytes();
        if self.pos >= t.len() {
            return 0;
        }
        match encoding {
            Encoding::QuotedPrintable => qp_line(t, self.pos, sink),
            Encoding::SevenBit | Encoding::EightBit => plain_line(t, self.pos, sink),
        }
    }

    /// The current unit is complete.
    fn advance(&mut self, consumed: usize) {
        match self.step {
            Step::Text | Step::Html => {
                self.pos += consumed;
                let len = if self.step == Step::Text {
                    self.msg.text.len()
                } else {
                    self.msg.html.map_or(0, str::len)
                };
                if self.pos < len {
                    return;
                }
                self.pos = 0;
            }
            Step::AttBody(_) if self.chunk_ready && self.chunk_len > 0 => {
                self.first_line = false;
                self.chunk_ready = false;
                return;
            }
            _ => {}
        }
        let mut next = self.after(self.step);
        while !self.applies(next) {
            next = self.after(next);
        }
        if let Step::AttBody(_) = next {
            self.first_line = true;
            self.chunk_ready = false;
        }
        self.step = next;
    }

    /// Whether a step writes anything for this message.
    fn applies(&self, step: Step) -> bool {
        let m = &self.msg;
        match step {
            Step::To => !m.to.is_empty(),
            Step::Cc => !m.cc.is_empty(),
            Step::Subject => m.subject.is_some(),
            Step::Extra(i) => i < m.headers.len(),
            Step::End => {
                let t = m.text.as_bytes();
                self.multipart() || t.last().is_some_and(|&c| line_break(&[c]) == 0)
            }
            _ => true,
        }
    }

    /// The step after `step` (which may not apply: see [`Self::applies`]).
    fn after(&self, step: Step) -> Step {
        let m = &self.msg;
        let html = m.html.is_some();
        let n = m.attachments.len();
        let after_parts = if n > 0 { Step::AttDelim(0) } else { Step::End };
        match step {
            Step::Date => Step::From,
            Step::From => Step::To,
            Step::To => Step::Cc,
            Step::Cc => Step::Subject,
            Step::Subject => Step::MessageId,
            Step::MessageId => Step::Extra(0),
            Step::Extra(i) if i + 1 < m.headers.len() => Step::Extra(i + 1),
            Step::Extra(_) => Step::MimeVersion,
            Step::MimeVersion => Step::TopType,
            Step::TopType if n > 0 => Step::Open(Level::Mixed),
            Step::TopType if html => Step::Open(Level::Alternative),
            Step::TopType => Step::Text,
            Step::Open(Level::Mixed) if html => Step::AltHead,
            Step::Open(_) => Step::TextHead,
            Step::AltHead => Step::Open(Level::Alternative),
            Step::TextHead => Step::Text,
            Step::Text if html => Step::AltDelim,
            Step::Text => after_parts,
            Step::AltDelim => Step::HtmlHead,
            Step::HtmlHead => Step::Html,
            Step::Html => Step::Close(Level::Alternative),
            Step::Close(Level::Alternative) => after_parts,
            Step::AttDelim(i) => Step::AttHead(i),
            Step::AttHead(i) => Step::AttBody(i),
            Step::AttBody(i) if i + 1 < n => Step::AttDelim(i + 1),
            Step::AttBody(_) => Step::Close(Level::Mixed),
            Step::Close(Level::Mixed) => Step::End,
            Step::End | Step::Done => Step::Done,
        }
    }
}
