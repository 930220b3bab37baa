//! The client side of the drivers: what the blocking and the async client
//! do between their I/O calls. It asks the engine for commands, hands it the
//! server's bytes, streams the body and counts the outcome; it never parses.

use crate::client::{Client, ClientError, Envelope, Event, FailureKind, Stage, Step};
use crate::syntax::ReplyCode;

use super::{Error, Need, RxBuffer, TxBuffer};

/// A message body the driver reads in chunks, as `embedded_io::BufRead`
/// does: `fill` shows the next bytes (empty at the end), `consume` says how
/// many were sent. `&[u8]` is a body.
pub trait BodySource {
    /// The next bytes of the body; an empty slice at the end.
    fn fill(&mut self) -> Result<&[u8], Error>;
    /// `n` bytes of what `fill` returned were taken.
    fn consume(&mut self, n: usize);
    /// Whether what `fill` returns now is all that is left of the body. A
    /// body that knows lets the driver send its last `BDAT` chunk as
    /// `BDAT n LAST` (RFC 3030 §2) instead of adding a `BDAT 0 LAST`
    /// command and reply. The default, `false`, is always correct.
    fn fill_ends_body(&self) -> bool {
        false
    }
}

impl BodySource for &[u8] {
    fn fill(&mut self) -> Result<&[u8], Error> {
        Ok(self)
    }

    fn fill_ends_body(&self) -> bool {
        true
    }

    fn consume(&mut self, n: usize) {
        *self = &self[n.min(self.len())..];
    }
}

/// The outcome of one message: how many recipients were accepted and
/// refused, and whether the message was delivered — only ever after the
/// server's final `2yz` to the data (RFC 5321 §4.1.1.4). The replies
/// themselves go to the event callback of `send`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Delivery {
    /// Recipients the server accepted.
    pub accepted: usize,
    /// Recipients the server refused.
    pub rejected: usize,
    /// Final `2yz` replies to the data: 1 for SMTP, one per recipient for
    /// LMTP.
    pub delivered: usize,
    /// The failure that ended the transaction (or the first LMTP one).
    pub failure: Option<(Stage, FailureKind)>,
    /// The code of the final reply to the data, when one came.
    pub final_code: Option<ReplyCode>,
}

impl Delivery {
    /// Whether the message was delivered to every accepted recipient and
    /// nothing failed.
    pub fn is_delivered(&self) -> bool {
        self.delivered > 0 && self.failure.is_none()
    }

    /// Counts what `event` says of this message.
    pub(super) fn count(&mut self, event: &Event<'_>) {
        match event {
            Event::Recipient { reply, .. } => {
                if reply.code().is_positive() {
                    self.accepted += 1;
                } else {
                    self.rejected += 1;
                }
            }
            Event::Delivered { reply, .. } => {
                self.delivered += 1;
                self.final_code = Some(reply.code());
            }
            Event::Failed(f) => {
                self.failure.get_or_insert((f.stage, f.kind));
                if let (Stage::Content, Some(r)) = (f.stage, f.reply) {
                    self.final_code.get_or_insert(r.code());
                }
            }
            _ => {}
        }
    }
}

/// The event callback as the pump sees it. The pump takes the callback and
/// the body as trait objects, so its code exists once in a program, not once
/// per closure and body type the drivers and their callers pass (each
/// closure is a type of its own): on a microcontroller that is kilobytes of
/// flash (`scripts/footprint.sh`).
pub(crate) type OnEvent<'f> = dyn FnMut(&Event<'_>) + 'f;

/// What the pump is driving towards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Goal {
    /// Greeting, EHLO, AUTH: until the engine is ready for a message, or
    /// wants TLS.
    Ready,
    /// One transaction, until it is settled and the engine is ready again.
    Send,
    /// QUIT, until the session is closed.
    Quit,
}

pub(crate) struct ClientPump<'b, 'c> {
    pub(crate) engine: Client<'c>,
    pub(crate) rx: RxBuffer<'b>,
    pub(crate) tx: TxBuffer<'b>,
    /// Transport flow control, not protocol state: commands were written
    /// and no byte was read since, so no more commands are written until
    /// one is (see `step`).
    pub(super) wrote_since_read: bool,
}

impl<'b, 'c> ClientPump<'b, 'c> {
    pub(crate) fn new(engine: Client<'c>, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        ClientPump {
            engine,
            rx: RxBuffer::new(rx),
            tx: TxBuffer::new(tx),
            wrote_since_read: false,
        }
    }

    pub(crate) fn wants_tls(&self) -> bool {
        self.engine.awaits_tls()
    }

    /// The transport is now TLS: reset the engine's session (it will EHLO
    /// again). Bytes received before the upgrade must not exist (rule D6:
    /// the engine already refused any that followed the 220).
    pub(crate) fn tls_established(&mut self) -> Result<(), Error> {
        self.engine.tls_established()?;
        Ok(())
    }

    /// Starts a transaction: the engine validates the whole envelope before
    /// any byte of it is written.
    pub(crate) fn begin(&mut self, envelope: &Envelope<'_>) -> Result<(), Error> {
        self.engine.send(envelope)?;
        Ok(())
    }

    pub(crate) fn quit(&mut self) -> Result<(), Error> {
        if self.engine.is_closed() {
            return Ok(());
        }
        self.engine.quit()?;
        Ok(())
    }

    /// The transport reported end of input (`n == 0` from a read).
    pub(crate) fn eof(&mut self, delivery: &mut Delivery, on_event: &mut OnEvent<'_>) {
        if let Some(f) = self.engine.eof() {
            delivery.failure.get_or_insert((f.stage, f.kind));
            on_event(&Event::Failed(f));
        }
    }

    /// A deadline passed.
    pub(crate) fn timeout(&mut self, delivery: &mut Delivery, on_event: &mut OnEvent<'_>) {
        if let Some(f) = self.engine.timeout() {
            delivery.failure.get_or_insert((f.stage, f.kind));
            on_event(&Event::Failed(f));
        }
    }

    fn reached(&self, goal: Goal) -> bool {
        match goal {
            Goal::Ready => self.engine.is_ready() || self.engine.awaits_tls(),
            Goal::Send => self.engine.is_ready(),
            Goal::Quit => self.engine.is_closed(),
        }
    }

    /// Does the protocol work that needs no I/O and says which I/O is next.
    pub(crate) fn step(
        &mut self,
        goal: Goal,
        envelope: Option<&Envelope<'_>>,
        body: &mut dyn BodySource,
        delivery: &mut Delivery,
        on_event: &mut OnEvent<'_>,
    ) -> Result<Need, Error> {
        loop {
            // Replies first: a server may answer while we still have output
            // pending (PIP-08), and every event is handled before more is sent.
            let mut progressed = self.feed(delivery, on_event)?;
            if self.engine.awaits_tls() {
                return Ok(Need::StartTls);
            }
            if self.engine.wants_content() {
                progressed |= self.stream(body)?;
            }
            progressed |= self.transmit(envelope)?;
            if let Some(need) = self.next_io(self.reached(goal), progressed)? {
                return Ok(need);
            }
        }
    }

    /// Puts the commands that are due in the transmit buffer; true if any.
    pub(super) fn transmit(&mut self, envelope: Option<&Envelope<'_>>) -> Result<bool, Error> {
        // At most one transmit buffer of pipelined commands awaits its
        // replies: a sequential driver does not read while it writes, so a
        // group larger than what the transport absorbs while the server
        // answers its first commands would leave both sides writing for
        // ever (RFC 2920 §3.1; catalogue row PIP-08). A server sends its
        // pending replies whenever its input runs dry (§3.2), so waiting
        // for one here always ends.
        let n = if self.wrote_since_read {
            0
        } else {
            match self.engine.transmit(envelope, self.tx.free()) {
                // The next command does not fit behind the pending ones:
                // send those first, then try again.
                Err(ClientError::BufferTooSmall { .. }) if !self.tx.is_empty() => 0,
                r => r?,
            }
        };
        self.tx.push(n);
        self.wrote_since_read |= n > 0;
        Ok(n > 0)
    }

    /// The I/O a step ends with, if it ends: done once `reached` (after the
    /// pending bytes are written), a write while bytes are pending, a read
    /// when nothing moved; `None`: go round again.
    pub(super) fn next_io(&self, reached: bool, progressed: bool) -> Result<Option<Need>, Error> {
        Ok(Some(if reached {
            if self.tx.is_empty() {
                Need::Done
            } else {
                Need::Write
            }
        } else if self.engine.is_closed() {
            if self.tx.is_empty() {
                return Err(Error::Closed);
            }
            Need::Write
        } else if !self.tx.is_empty() {
            Need::Write
        } else if !progressed {
            Need::Read
        } else {
            return Ok(None);
        }))
    }

    /// Hands the engine every complete reply in the receive buffer.
    fn feed(&mut self, delivery: &mut Delivery, on_event: &mut OnEvent<'_>) -> Result<bool, Error> {
        self.feed_with(&mut |_, event| {
            delivery.count(event);
            on_event(event);
        })
    }

    /// Hands the engine every complete reply in the receive buffer; each
    /// event goes to `on`, with whether it is the previous message's (its
    /// final replies, awaited before the next envelope's; see
    /// [`Client::settles_previous`]).
    pub(super) fn feed_with(
        &mut self,
        on: &mut dyn FnMut(bool, &Event<'_>),
    ) -> Result<bool, Error> {
        let mut progressed = false;
        loop {
            let previous = self.engine.settles_previous();
            let Step {
                consumed: used,
                event,
            } = self.engine.feed(self.rx.data())?;
            progressed |= used > 0;
            if used > 0 {
                self.wrote_since_read = false;
            }
            if event == Event::NeedInput {
                self.rx.consume(used);
                return Ok(progressed);
            }
            on(previous, &event);
            progressed = true;
            self.rx.consume(used);
            if self.engine.awaits_tls() {
                return Ok(true);
            }
        }
    }

    /// Moves body bytes into the transmit buffer while the engine takes
    /// content; true if anything moved. The engine says when to stop: the
    /// content is complete, the transaction failed, or replies to earlier
    /// BDAT chunks must come first (a piece with nothing consumed).
    pub(super) fn stream(&mut self, body: &mut dyn BodySource) -> Result<bool, Error> {
        let mut progressed = false;
        while self.engine.wants_content() {
            let last = body.fill_ends_body();
            let chunk = body.fill()?;
            if chunk.is_empty() {
                let f = match self.engine.finish_body(self.tx.free()) {
                    // `.` or `BDAT 0 LAST` does not fit behind the pending
                    // bytes: flush them first.
                    Err(ClientError::BufferTooSmall { .. }) if !self.tx.is_empty() => {
                        return Ok(progressed);
                    }
                    r => r?,
                };
                self.tx.push(f.written);
                progressed |= f.written > 0;
                if !f.done && f.written == 0 {
                    return Ok(progressed);
                }
                continue;
            }
            let piece = if last {
                // Under BDAT, `BDAT n LAST` when all of it fits.
                self.engine.body_last(chunk, self.tx.free())
            } else {
                self.engine.body(chunk, self.tx.free())
            };
            let p = match piece {
                // A BDAT header and one octet do not fit behind the pending
                // bytes: flush them first.
                Err(ClientError::BufferTooSmall { .. }) if !self.tx.is_empty() => {
                    return Ok(progressed);
                }
                r => r?,
            };
            body.consume(p.consumed);
            self.tx.push(p.written);
            if p.consumed == 0 && p.written == 0 {
                return Ok(progressed);
            }
            progressed = true;
        }
        Ok(progressed)
    }
}

/// The event callback of the drivers' methods that take none (`connect`,
/// `start_tls`, `quit`): one type for all of them, so that a generic driver
/// compiles its loop for it once, not once per closure (the async driver's:
/// the blocking one takes its callback as a trait object).
#[cfg(feature = "async")]
pub(crate) fn no_events(_: &Event<'_>) {}

/// What a driver's I/O loop drives: the pump's work towards one goal, or a
/// batch. The loop (`run` in each driver) does the reads and writes; this
/// says which is next and what a timeout or the end of input means.
pub(crate) trait Work {
    /// The protocol work that needs no I/O; which I/O is next.
    fn step(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<Need, Error>;
    /// The transport ended: what the loop returns.
    fn eof(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<(), Error>;
    /// A deadline passed (the loop then returns [`Error::Timeout`]).
    fn timeout(&mut self, pump: &mut ClientPump<'_, '_>);
}

/// Towards one goal: the opening, one message, or QUIT. Generic over the
/// body and the callback (the blocking driver uses the `dyn` ones), so that
/// an async driver's future holding it is `Send` when they are.
pub(crate) struct One<'w, B: ?Sized, E: ?Sized> {
    pub(crate) goal: Goal,
    pub(crate) envelope: Option<&'w Envelope<'w>>,
    pub(crate) body: &'w mut B,
    pub(crate) delivery: &'w mut Delivery,
    pub(crate) on_event: &'w mut E,
}

impl<B, E> Work for One<'_, B, E>
where
    B: AsDynBody + ?Sized,
    E: FnMut(&Event<'_>) + ?Sized,
{
    fn step(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<Need, Error> {
        pump.step(
            self.goal,
            self.envelope,
            self.body.as_dyn(),
            self.delivery,
            &mut |e| (self.on_event)(e),
        )
    }

    fn eof(&mut self, pump: &mut ClientPump<'_, '_>) -> Result<(), Error> {
        pump.eof(self.delivery, &mut |e| (self.on_event)(e));
        // After QUIT the server's close is the goal.
        if self.goal == Goal::Quit {
            Ok(())
        } else {
            Err(Error::Eof)
        }
    }

    fn timeout(&mut self, pump: &mut ClientPump<'_, '_>) {
        pump.timeout(self.delivery, &mut |e| (self.on_event)(e));
    }
}

/// A body of any type as the pump takes it, `dyn BodySource`: a sized body
/// is coerced (its own methods in the vtable, no forwarding code), a `dyn`
/// one already is.
pub(crate) trait AsDynBody {
    fn as_dyn(&mut self) -> &mut dyn BodySource;
}

impl<B: BodySource> AsDynBody for B {
    fn as_dyn(&mut self) -> &mut dyn BodySource {
        self
    }
}

impl AsDynBody for dyn BodySource + '_ {
    fn as_dyn(&mut self) -> &mut dyn BodySource {
        self
    }
}
