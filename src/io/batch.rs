//! Several messages on one connection, pipelined across transactions
//! (RFC 2920 §3.1: message content may open a pipelined group): the end of
//! each message's content (`.` or `BDAT … LAST`) and the next message's
//! MAIL, RCPT and DATA go in one write, as Postfix's smtp client sends them,
//! and each message keeps its own outcome. What the blocking and the async
//! `send_many` do between their I/O calls; without PIPELINING it is one
//! message after the other, as with `send`.

use crate::client::{ClientError, Envelope, Event, Failure, FailureKind, Stage};

use super::client::{BodySource, ClientPump, Delivery, Work};
use super::{Error, Need};

/// One message of a batch for `send_many`
/// ([blocking](super::blocking::SmtpClient::send_many),
/// [async](super::asynch::SmtpClient::send_many)): its envelope and body,
/// and what became of it.
///
/// ```
/// use embedded_smtp::client::{Envelope, Recipient};
/// use embedded_smtp::io::Message;
///
/// let rcpts = [Recipient::new("bob@example.net").unwrap()];
/// let envelope = Envelope::new("alice@example.org", &rcpts).unwrap();
/// let mut body: &[u8] = b"Subject: hi\r\n\r\nhello\r\n";
/// let message = Message::new(envelope, &mut body);
/// assert!(message.delivery.failure.is_none() && message.refused.is_none());
/// ```
pub struct Message<'m> {
    /// The envelope.
    pub envelope: Envelope<'m>,
    /// The body, read in chunks.
    pub body: &'m mut dyn BodySource,
    /// The outcome: recipients accepted and refused, delivered or failed.
    /// A message with neither `delivered` nor `failure` was not attempted
    /// (the connection failed before it).
    pub delivery: Delivery,
    /// The engine refused the envelope before writing any of it (an
    /// extension the server does not offer, too many recipients, …): the
    /// batch went on with the next message.
    pub refused: Option<ClientError>,
}

impl<'m> Message<'m> {
    /// A message not sent yet.
    pub fn new(envelope: Envelope<'m>, body: &'m mut dyn BodySource) -> Self {
        Message {
            envelope,
            body,
            delivery: Delivery::default(),
            refused: None,
        }
    }
}

/// The event callback of `send_many`: the index of the message an event
/// belongs to, and the event.
pub(crate) type OnBatchEvent<'f> = dyn FnMut(usize, &Event<'_>) + 'f;

/// Where a batch is.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cursor {
    /// The next message not begun.
    next: usize,
    /// The message whose envelope or content is under way.
    current: Option<usize>,
    /// The message whose final replies are still awaited, ahead of
    /// `current`'s replies.
    previous: Option<usize>,
}

impl ClientPump<'_, '_> {
    /// Does the protocol work of a batch that needs no I/O and says which
    /// I/O is next (`Done` when every message is settled).
    pub(crate) fn step_batch(
        &mut self,
        batch: &mut [Message<'_>],
        at: &mut Cursor,
        on_event: &mut OnBatchEvent<'_>,
    ) -> Result<Need, Error> {
        loop {
            let mut progressed = self.feed_batch(batch, at, on_event)?;
            progressed |= self.begin_next(batch, at)?;
            if self.engine.wants_content()
                && let Some(m) = at.current.and_then(|i| batch.get_mut(i))
            {
                progressed |= self.stream(m.body)?;
                // The content just ended: the next envelope may join it.
                progressed |= self.begin_next(batch, at)?;
            }
            let envelope = at.current.and_then(|i| batch.get(i)).map(|m| m.envelope);
            progressed |= self.transmit(envelope.as_ref())?;
            let done = at.next >= batch.len() && self.engine.is_ready();
            if let Some(need) = self.next_io(done, progressed)? {
                return Ok(need);
            }
        }
    }

    /// Hands the engine every complete reply, each event to the message it
    /// belongs to.
    fn feed_batch(
        &mut self,
        batch: &mut [Message<'_>],
        at: &mut Cursor,
        on_event: &mut OnBatchEvent<'_>,
    ) -> Result<bool, Error> {
        let progressed = self.feed_with(&mut |previous, event| {
            let owner = if previous { at.previous } else { at.current };
            if let Some(i) = owner {
                if let Some(m) = batch.get_mut(i) {
                    m.delivery.count(event);
                }
                on_event(i, event);
            }
        })?;
        if !self.engine.settles_previous() {
            at.previous = None;
        }
        if self.engine.is_ready() {
            at.current = None;
        }
        Ok(progressed)
    }

    /// Begins the next message when the engine is ready, or behind the
    /// current one's content when it may be pipelined there. A message
    /// whose envelope the engine refuses is skipped; true if any began.
    fn begin_next(&mut self, batch: &mut [Message<'_>], at: &mut Cursor) -> Result<bool, Error> {
        let mut progressed = false;
        while let Some(m) = batch.get_mut(at.next) {
            let behind = at.current.is_some() && self.engine.can_send_next();
            if !(self.engine.is_ready() || behind) {
                break;
            }
            let index = at.next;
            at.next += 1;
            progressed = true;
            match self.engine.send(&m.envelope) {
                Ok(()) => {
                    at.previous = if behind { at.current } else { None };
                    at.current = Some(index);
                    break;
                }
                // Nothing of it was written; the engine is unchanged.
                Err(e @ ClientError::Envelope(_)) => m.refused = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(progressed)
    }

    /// The connection ended (EOF, a timeout) with messages unsettled: the
    /// one whose final reply was awaited fails as the engine says, the one
    /// pipelined behind it fails too (transient, before any reply to its
    /// MAIL).
    pub(crate) fn abandon_batch(
        &mut self,
        failure: Option<Failure<'static>>,
        batch: &mut [Message<'_>],
        at: &mut Cursor,
        on_event: &mut OnBatchEvent<'_>,
    ) {
        let Some(f) = failure else { return };
        let mut fail = |i: Option<usize>, f: Failure<'_>| {
            if let Some(i) = i {
                let event = Event::Failed(f);
                if let Some(m) = batch.get_mut(i) {
                    m.delivery.count(&event);
                }
                on_event(i, &event);
            }
        };
        if at.previous.is_some() {
            fail(at.previous, f);
            let behind = Failure {
                stage: Stage::Mail,
                kind: FailureKind::Transient,
                reply: None,
                recipient: None,
            };
            fail(at.current, behind);
        } else {
            fail(at.current, f);
        }
        at.previous = None;
        at.current = None;
    }

    /// EOF from the transport, in a batch.
    pub(crate) fn eof_batch(
        &mut self,
        batch: &mut [Message<'_>],
        at: &mut Cursor,
        on_event: &mut OnBatchEvent<'_>,
    ) {
        let f = self.engine.eof();
        self.abandon_batch(f, batch, at, on_event);
    }

    /// A deadline passed, in a batch.
    pub(crate) fn timeout_batch(
        &mut self,
        batch: &mut [Message<'_>],
        at: &mut Cursor,
        on_event: &mut OnBatchEvent<'_>,
    ) {
        let f = self.engine.timeout();
        self.abandon_batch(f, batch, at, on_event);
    }
}

/// A batch, as the drivers' loop drives it.
pub(crate) struct Batch<'w, 'm> {
    pub(crate) messages: &'w mut [Message<'m>],
    pub(crate) at: Cursor,
    pub(crate) on_event: &'w mut OnBatchEvent<'w>,
}

impl Work for Batch<'_, '_> {
    fn step(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<Need, Error> {
        pump.step_batch(self.messages, &mut self.at, self.on_event)
    }

    fn eof(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<(), Error> {
        pump.eof_batch(self.messages, &mut self.at, self.on_event);
        Err(Error::Eof)
    }

    fn timeout(&mut self, pump: &mut ClientPump<'_, '_>) {
        pump.timeout_batch(self.messages, &mut self.at, self.on_event);
    }
}
