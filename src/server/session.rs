//! The [`Server`]: its state, the feed loop, and the one place that changes
//! the state. Phases (`command.rs`, `data.rs`, `chunk.rs`, `auth.rs`) read
//! the session through a `View` and return an `Outcome`; [`Server::apply`]
//! and [`Server::answered`] are the only code that assigns `state` or
//! `session`, and they do the budget accounting (rules D7, D13) and log
//! every change of phase.

use core::time::Duration;

use crate::syntax::{
    Extension, Invalid, ReplyClass, ReplyCode, WriteError, check_text, write_with,
};
use crate::wire::line::LineFramer;
use crate::wire::proxy;

use super::command;
use super::config::{ConfigError, ServerConfig};
use super::error::ServerError;
use super::event::{AbortReason, Event, Phase, Step};
use super::greeting;
use super::outcome::{Change, ChunkStart, Move, Outcome, Report};
use super::replies as r;
use super::say::{self, Say};
use super::state::{
    Chunked, DataPhase, LmtpReplies, MailTx, Pending, Recipients, Session, State, Transaction,
};
use super::view::View;

/// The input and output of one `feed` call, and how far each has got.
struct Cursor<'a, 'o> {
    input: &'a [u8],
    out: &'o mut [u8],
    /// Input bytes used up.
    pos: usize,
    /// Output bytes written.
    written: usize,
}

impl<'a> Cursor<'a, '_> {
    /// The unconsumed input.
    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }
}

/// The sans-IO SMTP (or LMTP) server session engine.
///
/// It holds a small fixed state (`size_of::<Server>()` is 232 bytes on
/// 64-bit targets, and never grows with the input); all bytes live in the
/// caller's buffers. Create it with [`Server::new`], send the greeting with
/// [`Server::greet`], then [`feed`](Server::feed) it what the client sends
/// and act on each [`Event`]; see the [module documentation](super) for the
/// whole loop.
///
/// Buffers: the output buffer handed to `feed` must have at least
/// [`Server::output_room`] free bytes (otherwise `feed` returns
/// [`Event::Flush`] or [`ServerError::BufferTooSmall`]); the input buffer
/// must be able to hold [`Server::input_room`] unconsumed bytes (a command
/// line at its limit, or during AUTH LOGIN both response lines).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Server<'c> {
    pub(super) config: ServerConfig<'c>,
    framer: LineFramer,
    pub(super) state: State,
    session: Session,
    /// Output room needed before a unit of input is taken.
    room: u16,
}

impl<'c> Server<'c> {
    /// The least output room `feed` ever asks for: one reply line at the
    /// RFC 5321 §4.5.3.1.5 limit of 512 octets. Every reply the engine
    /// takes a unit of input for fits in it (the EHLO reply excepted, which
    /// [`output_room`](Self::output_room) covers), and so does every reply
    /// [`respond`](Self::respond) accepts. A transmit buffer of twice this
    /// lets the replies of a pipelined group go out in one write.
    pub const MIN_ROOM: usize = 512;

    /// A session for `config`, checked against the RFC floors (rule D11).
    pub fn new(config: ServerConfig<'c>) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut s = Server {
            config,
            framer: LineFramer::new(config.bare_lf),
            state: State::Fresh,
            session: Session::NEW,
            room: 0,
        };
        // The longest EHLO reply this configuration can produce.
        let mut widest = s.view().capabilities();
        widest.insert(Extension::StartTls);
        widest.set_auth(config.auth);
        widest.insert(Extension::RequireTls);
        let ehlo = match write_with(&mut [], |w| {
            widest.write_ehlo_reply_to(config.hostname, "", w)
        }) {
            Err(WriteError::BufferTooSmall { needed }) => needed,
            _ => 0,
        };
        s.room = u16::try_from(ehlo.max(Self::MIN_ROOM)).map_err(|_| ConfigError::Hostname)?;
        Ok(s)
    }

    /// What the phases may read.
    pub(super) fn view(&self) -> View<'_, 'c> {
        View {
            config: &self.config,
            session: &self.session,
        }
    }

    /// Writes the greeting: `220 <hostname> ESMTP <text>` (`LMTP` under
    /// LMTP), or `554 <hostname> <text>` with [`Service::NoService`](super::Service::NoService).
    ///
    /// With [`ServerConfig::proxy_protocol`] it writes nothing (returns 0):
    /// the greeting waits for the PROXY header, and `feed` writes it with
    /// [`Event::Proxy`] (proxy-protocol.txt §2: "The receiver MUST NOT start
    /// processing the connection before it receives a complete and valid
    /// PROXY protocol header").
    pub fn greet(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        match self.state {
            State::Fresh => {}
            State::Closed => return Err(ServerError::Closed),
            _ => return Err(ServerError::WrongState),
        }
        if self.config.has_proxy() {
            self.set_state(State::Proxy);
            return Ok(0);
        }
        let n = say::write(out, Say::Greeting, self.view())?;
        self.set_state(State::Command);
        Ok(n)
    }

    /// Refuses the session at connect, in place of [`greet`](Self::greet)
    /// (policy at the door: an address on a block list, too many sessions
    /// from one client). `554` (RFC 5321 §3.1): `554 <hostname> <text>`,
    /// then the session goes on in [`Service::NoService`](super::Service::NoService)
    /// mode (every command but QUIT gets `503 5.5.1`) until the client
    /// quits; `421` (§3.8): `421 <hostname> <text>` and the session is
    /// closed. An empty `text` says "No SMTP service here". Any other code
    /// is [`Invalid::ReplyCode`]; `text` is checked as in
    /// [`respond`](Self::respond) (no control byte, one line of at most 512
    /// octets).
    ///
    /// ```
    /// use embedded_smtp::server::{Server, ServerConfig};
    /// use embedded_smtp::syntax::ReplyCode;
    ///
    /// let mut server = Server::new(ServerConfig::new("mx.example")).unwrap();
    /// let mut out = [0u8; 512];
    /// let code = ReplyCode::new(421).unwrap();
    /// let n = server.refuse_service(code, "too many connections", &mut out).unwrap();
    /// assert_eq!(&out[..n], b"421 mx.example too many connections\r\n");
    /// assert!(server.is_closed());
    /// ```
    pub fn refuse_service(
        &mut self,
        code: ReplyCode,
        text: &str,
        out: &mut [u8],
    ) -> Result<usize, ServerError> {
        match self.state {
            State::Fresh => {}
            State::Closed => return Err(ServerError::Closed),
            _ => return Err(ServerError::WrongState),
        }
        let closes = match code.get() {
            554 => false,
            421 => true,
            _ => return Err(ServerError::InvalidReply(Invalid::ReplyCode)),
        };
        check_text(text.as_bytes()).map_err(ServerError::InvalidReply)?;
        let text = if text.is_empty() {
            "No SMTP service here"
        } else {
            text
        };
        let room = out.len().min(Self::MIN_ROOM);
        let n = match say::write_line(
            out.get_mut(..room).unwrap_or_default(),
            code,
            None,
            &[self.config.hostname, " ", text],
        ) {
            Err(ServerError::BufferTooSmall { .. }) if room == Self::MIN_ROOM => {
                return Err(ServerError::InvalidReply(Invalid::TooLong));
            }
            r => r?,
        };
        self.config.service = super::config::Service::NoService;
        if closes {
            self.close();
        } else {
            self.set_state(State::Command);
        }
        Ok(n)
    }

    /// Takes the client's bytes and reports one [`Event`]; see [`Step`].
    ///
    /// `input` is every byte received and not yet consumed; bytes beyond
    /// `consumed` must be presented again, first, next time. Replies are
    /// written at the start of `out`. The result is the same however the
    /// client's bytes are split across calls (rule D2), except where the
    /// split itself is the point: bytes already received behind a command
    /// that ends a pipelining group are a synchronization violation (D8).
    pub fn feed<'a>(&mut self, input: &'a [u8], out: &mut [u8]) -> Result<Step<'a>, ServerError> {
        match self.state {
            State::Closed => return Err(ServerError::Closed),
            State::TlsHandshake => return Err(ServerError::WrongState),
            State::Decision(_) => return Err(ServerError::DecisionPending),
            _ => {}
        }
        let mut io = Cursor {
            input,
            out,
            pos: 0,
            written: 0,
        };
        let event = self.run(&mut io)?;
        Ok(Step {
            consumed: io.pos,
            written: io.written,
            event,
        })
    }

    fn run<'a>(&mut self, io: &mut Cursor<'a, '_>) -> Result<Event<'a>, ServerError> {
        // Every pass consumes input, writes a reply or moves to a state that
        // returns, so the loop is bounded by the input and the recipients.
        loop {
            let idle = match self.state {
                State::Command | State::Auth(_) | State::Fresh | State::Proxy => true,
                State::Data(d) => d.refused != super::state::Refusal::TooBigDue,
                _ => false,
            };
            if idle && io.rest().is_empty() {
                return Ok(Event::NeedInput);
            }
            let room = io.out.len().saturating_sub(io.written);
            if room < self.output_room() {
                if io.written > 0 {
                    return Ok(Event::Flush);
                }
                return Err(ServerError::BufferTooSmall {
                    needed: self.output_room(),
                });
            }
            let input = io.rest();
            let Server {
                config,
                framer,
                state,
                session,
                ..
            } = self;
            let v = View { config, session };
            let outcome = match state {
                State::Fresh => greeting::early_talker(v),
                State::Proxy => greeting::proxy_header(v, input),
                State::Command => command::step(framer, v, input),
                State::Data(d) => d.step(v, input),
                State::Chunk(c) => c.step(input),
                State::Auth(stage) => stage.step(framer, v, input),
                State::Lmtp(l) => l.step(),
                State::Closing => Outcome::Close {
                    consumed: 0,
                    reply: Say::Nothing,
                },
                State::Decision(_) | State::Closed | State::TlsHandshake => {
                    return Err(ServerError::WrongState);
                }
            };
            if let Some(event) = self.apply(io, outcome)? {
                return Ok(event);
            }
        }
    }

    // ------------------------------------------------------- transitions

    /// Applies a phase's outcome: the input it used, its reply, the budgets
    /// (rule D13), the change of state; returns the event to report, if any.
    fn apply<'a>(
        &mut self,
        io: &mut Cursor<'a, '_>,
        outcome: Outcome<'a>,
    ) -> Result<Option<Event<'a>>, ServerError> {
        let m: Move<'a> = match outcome {
            Outcome::NeedInput => return Ok(Some(Event::NeedInput)),
            Outcome::Refuse {
                consumed,
                reply,
                ends_group,
            } => {
                io.pos += consumed;
                self.say(io, Say::Canned(reply))?;
                if self.count_error(io)? {
                    return Ok(Some(Event::Close));
                }
                return Ok(ends_group.then(|| group_end(io)));
            }
            Outcome::Overshoot { consumed } => {
                io.pos += consumed;
                self.say(io, Say::Canned(r::TOO_MANY_RCPTS))?;
                if self.count_overshoot(io)? {
                    return Ok(Some(Event::Close));
                }
                return Ok(None);
            }
            Outcome::Close { consumed, reply } => {
                io.pos += consumed;
                self.say(io, reply)?;
                self.close();
                return Ok(Some(Event::Close));
            }
            Outcome::Go(m) => m,
        };
        io.pos += m.consumed;
        self.say(io, m.say)?;
        if m.junk && self.count_junk(io)? {
            return Ok(Some(Event::Close));
        }
        if self.change(m.change) && self.count_error(io)? {
            return Ok(Some(Event::Close));
        }
        Ok(match m.report {
            Report::Continue => None,
            Report::Event(e) => Some(e),
            Report::GroupEnd => Some(group_end(io)),
        })
    }

    /// Makes one change (see [`Change`]); true when it counts as an error.
    fn change(&mut self, change: Change) -> bool {
        let s = &mut self.session;
        // LMTP answers the end of the message once per accepted recipient.
        let recipients = if self.config.is_lmtp() {
            s.tx.accepted().max(1)
        } else {
            1
        };
        match change {
            Change::Stay => {}
            Change::Greeted | Change::Command => self.set_state(State::Command),
            Change::Hello(h) => {
                s.hello = h;
                s.tx = Transaction::Idle;
            }
            Change::Reset | Change::DropMessage => s.tx = Transaction::Idle,
            Change::Ask(p) => self.set_state(State::Decision(p)),
            Change::Data => self.set_state(State::Data(DataPhase::new(self.config.bare_lf))),
            Change::Chunk(phase, start) => {
                if let Some(&mail) = s.tx.mail() {
                    match start {
                        ChunkStart::Keep => {}
                        ChunkStart::Open => {
                            s.tx = Transaction::Chunking(mail, Chunked::Open { received: 0 });
                        }
                        ChunkStart::TooBig => {
                            s.tx = Transaction::Chunking(mail, Chunked::Failed(r::SIZE_EXCEEDED));
                        }
                    }
                }
                self.set_state(State::Chunk(phase));
            }
            Change::Received(n) => {
                if let Transaction::Chunking(_, Chunked::Open { received }) = &mut s.tx {
                    *received = received.saturating_add(n);
                }
            }
            Change::ChunkFailed { last } => {
                if last && matches!(s.tx, Transaction::Chunking(_, Chunked::Failed(_))) {
                    // The failed message ends with its LAST chunk.
                    s.tx = Transaction::Idle;
                }
                self.set_state(State::Command);
                return true;
            }
            Change::MessageComplete => {
                let remaining = recipients;
                self.set_state(State::Decision(Pending::MessageEnd { remaining }));
            }
            Change::MessageFailed(reply) => {
                let remaining = recipients;
                s.tx = Transaction::Idle;
                self.set_state(State::Lmtp(LmtpReplies::Failures { remaining, reply }));
            }
            Change::NextDecision => {
                if let State::Lmtp(LmtpReplies::Decisions { remaining }) = self.state {
                    self.set_state(State::Decision(Pending::MessageEnd { remaining }));
                }
            }
            Change::NextFailure => {
                if let State::Lmtp(LmtpReplies::Failures { remaining, reply }) = self.state {
                    if remaining > 1 {
                        self.state = State::Lmtp(LmtpReplies::Failures {
                            remaining: remaining - 1,
                            reply,
                        });
                    } else {
                        self.set_state(State::Command);
                        return true;
                    }
                }
            }
            Change::Auth(stage) => self.set_state(State::Auth(stage)),
            Change::AuthFailed => {
                s.spent.auth_failures = s.spent.auth_failures.saturating_add(1);
                self.set_state(State::Command);
                return true;
            }
            Change::StartTls => self.set_state(State::TlsHandshake),
        }
        false
    }

    /// The application answered the pending decision with `code`: what the
    /// answer changes (RFC 5321 §4.1.1, §4.2; RFC 4954 §4; RFC 2033 §4.2).
    pub(super) fn answered(&mut self, pending: Pending, code: ReplyCode) {
        let ok = code.class() == ReplyClass::PositiveCompletion;
        let s = &mut self.session;
        let mut next = State::Command;
        match pending {
            Pending::Mail { binary, smtputf8 } => {
                if ok {
                    s.tx = Transaction::Mail(MailTx {
                        binary,
                        smtputf8,
                        recipients: Recipients::None,
                    });
                }
            }
            Pending::Rcpt => {
                if let Transaction::Mail(m) = &mut s.tx {
                    m.recipients = m.recipients.answered(ok);
                }
            }
            Pending::Verify => {}
            Pending::MessageEnd { remaining } => {
                if remaining > 1 {
                    next = State::Lmtp(LmtpReplies::Decisions {
                        remaining: remaining - 1,
                    });
                } else {
                    s.tx = Transaction::Idle;
                }
                if ok {
                    // A delivered message ends the client's probation.
                    s.spent.errors = 0;
                    s.spent.junk = 0;
                    s.spent.overshoot = 0;
                }
            }
            Pending::Hello(hello) => {
                // As `Change::Hello`; a refusal changes nothing (rule D7).
                if ok {
                    s.hello = hello;
                    s.tx = Transaction::Idle;
                }
            }
            Pending::Auth => {
                if ok {
                    s.authenticated = true;
                } else {
                    s.spent.auth_failures = s.spent.auth_failures.saturating_add(1);
                }
            }
        }
        if code.get() == 421 {
            next = State::Closing;
        }
        self.set_state(next);
    }

    /// Counts an error; at the hard limit writes `421 4.7.0` and closes
    /// (true).
    fn count_error(&mut self, io: &mut Cursor<'_, '_>) -> Result<bool, ServerError> {
        let spent = &mut self.session.spent;
        spent.errors = spent.errors.saturating_add(1);
        if spent.errors >= self.config.limits.hard_error_limit {
            debug!("server: error limit reached, closing");
            self.say(io, Say::Canned(r::TOO_MANY_ERRORS))?;
            self.close();
            return Ok(true);
        }
        Ok(false)
    }

    /// Counts a RCPT past the recipient limit; beyond the overshoot limit
    /// each is an error too (Postfix `smtpd_recipient_overshoot_limit`).
    fn count_overshoot(&mut self, io: &mut Cursor<'_, '_>) -> Result<bool, ServerError> {
        let spent = &mut self.session.spent;
        spent.overshoot = spent.overshoot.saturating_add(1);
        if spent.overshoot > self.config.limits.recipient_overshoot_limit {
            return self.count_error(io);
        }
        Ok(false)
    }

    /// Counts a junk command; beyond the junk limit each is an error too.
    fn count_junk(&mut self, io: &mut Cursor<'_, '_>) -> Result<bool, ServerError> {
        let spent = &mut self.session.spent;
        spent.junk = spent.junk.saturating_add(1);
        if spent.junk > self.config.limits.junk_command_limit {
            return self.count_error(io);
        }
        Ok(false)
    }

    /// Enters `next`, logging the transition (at trace level; a firmware
    /// that filters trace out carries no code for it).
    fn set_state(&mut self, next: State) {
        trace!("server: {:?} -> {:?}", self.state.phase(), next.phase());
        self.state = next;
    }

    /// No more input is taken.
    fn close(&mut self) {
        self.set_state(State::Closed);
    }

    // ------------------------------------------------------ session calls

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The observable state.
    pub fn phase(&self) -> Phase {
        self.state.phase()
    }

    /// How long the engine may wait for the client now (rule D12): the
    /// command timeout while waiting for a command or the PROXY header,
    /// the data timeout inside
    /// DATA/BDAT ([`Server::phase`] says which); `None` when closed, before
    /// the greeting, during the TLS handshake, or while a decision is
    /// pending (the application's time). When it passes, call
    /// [`Server::timeout`].
    pub fn deadline(&self) -> Option<Duration> {
        let t = &self.config.timeouts;
        match self.state {
            State::Command | State::Auth(_) | State::Proxy => Some(t.command),
            State::Data(_) | State::Chunk(_) => Some(t.data),
            _ => None,
        }
    }

    /// The deadline passed: writes `421 4.4.2 <hostname> Error: timeout
    /// exceeded` and closes (rule D12). Send it, then close the connection;
    /// an open message is discarded.
    /// While the PROXY header is awaited nothing is written: the peer is
    /// the proxy, which gets no reply to a header it did not send.
    pub fn timeout(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        match self.state {
            State::Closed => return Err(ServerError::Closed),
            State::Proxy => {
                self.close();
                return Ok(0);
            }
            _ => {}
        }
        let c = r::TIMEOUT;
        let esc = Some(c.esc).filter(|_| self.config.enhanced_status_codes);
        let n = say::write_line(out, c.code, esc, &[self.config.hostname, " ", c.text])?;
        self.close();
        Ok(n)
    }

    /// The peer closed the connection. Counts as QUIT; inside a message
    /// (DATA, BDAT, or a pending MessageEnd) it is
    /// `MessageAborted(AbortReason::Eof)`: nothing may be committed. The
    /// session is closed afterwards.
    pub fn end_of_input(&mut self) -> Event<'static> {
        let in_message = match self.state {
            State::Data(d) => !matches!(d.refused, super::state::Refusal::Reported(_)),
            State::Chunk(c) => c.fail.is_none(),
            State::Lmtp(LmtpReplies::Decisions { .. })
            | State::Decision(Pending::MessageEnd { .. }) => true,
            State::Closed => false,
            _ => self.session.tx.chunks_open(),
        };
        self.close();
        if in_message {
            Event::MessageAborted(AbortReason::Eof)
        } else {
            Event::Close
        }
    }

    /// Tells the engine the TLS handshake after [`Event::StartTls`]
    /// succeeded. Everything resets (RFC 3207 §4.2): no greeting is sent,
    /// the client must say EHLO again, the transaction and the AUTH state
    /// are gone, and STARTTLS is no longer offered.
    pub fn tls_established(&mut self) -> Result<(), ServerError> {
        if !matches!(self.state, State::TlsHandshake) {
            return Err(ServerError::WrongState);
        }
        self.session = Session {
            tls_active: true,
            tls_ready: self.session.tls_ready,
            spent: self.session.spent,
            ..Session::NEW
        };
        self.framer.reset();
        self.set_state(State::Command);
        Ok(())
    }

    /// Whether TLS can be started right now (default yes). With `false`,
    /// STARTTLS stays advertised (it is configured) but is answered
    /// `454 4.7.0 TLS not available due to temporary reason` (RFC 3207 §4).
    pub fn set_tls_ready(&mut self, ready: bool) {
        self.session.tls_ready = ready;
    }

    /// The line limit for a command with this verb, CRLF included (rule
    /// D11): `limits.max_line`, plus for MAIL 500 when AUTH is configured
    /// (RFC 4954 §5 `AUTH=`), 100 with DSN (`RET`, `ENVID`) and 10 with
    /// SMTPUTF8 (RFC 6531 §3.4); for RCPT 500 with DSN (`NOTIFY`, `ORCPT`)
    /// and 10 with SMTPUTF8; AUTH lines may be 12288 octets (RFC 4954 §4)
    /// when AUTH is configured. A longer line gets `500 5.5.2`.
    pub fn line_limit(&self, verb: crate::syntax::Verb) -> usize {
        self.view().line_limit(verb)
    }

    /// Free output room `feed` needs before it takes a unit of input:
    /// [`Server::MIN_ROOM`], or the longest EHLO reply if that is longer.
    pub fn output_room(&self) -> usize {
        usize::from(self.room)
    }

    /// Unconsumed input the caller's receive buffer must be able to hold:
    /// the longest command line, or two AUTH lines during AUTH LOGIN; with
    /// [`ServerConfig::proxy_protocol`], at least the longest PROXY header
    /// ([`proxy::MAX_HEADER`], 536 octets).
    pub fn input_room(&self) -> usize {
        let room = self.view().input_room();
        if self.config.has_proxy() {
            room.max(proxy::MAX_HEADER)
        } else {
            room
        }
    }
}

/// After a group-ending reply: flush before reading more.
fn group_end<'a>(io: &Cursor<'a, '_>) -> Event<'a> {
    if io.rest().is_empty() {
        Event::NeedInput
    } else {
        Event::Flush
    }
}

impl Server<'_> {
    /// Writes one of the engine's own replies at the cursor.
    fn say(&self, io: &mut Cursor<'_, '_>, say: Say) -> Result<(), ServerError> {
        let buf = io.out.get_mut(io.written..).unwrap_or_default();
        io.written += say::write(buf, say, self.view())?;
        Ok(())
    }
}
