//! The [`Server`] struct: state, the feed loop, and the calls the
//! application makes. Command dispatch is in `commands.rs`, message data in
//! `data.rs`, the AUTH exchange in `auth.rs`.

use crate::syntax::{
    Capabilities, EnhancedCode, Extension, Invalid, ReplyClass, ReplyCode, WriteError, Writer,
    check_text, write_reply, write_with,
};
use crate::wire::bdat::BdatReader;
use crate::wire::line::{AUTH_LINE_MAX, LineFramer};
use crate::wire::unstuff::DotUnstuffer;

use super::auth::AuthStage;
use super::config::{Config, ConfigError, Service};
use super::error::ServerError;
use super::event::{AbortReason, Deadline, DecisionKind, Event, Phase, Step};
use super::replies::{self as r, Canned};

/// The input and output of one `feed` call, and how far each has got.
pub(super) struct Io<'a, 'o> {
    pub(super) input: &'a [u8],
    pub(super) out: &'o mut [u8],
    /// Input bytes used up.
    pub(super) pos: usize,
    /// Output bytes written.
    pub(super) written: usize,
}

impl<'a> Io<'a, '_> {
    /// The unconsumed input.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }
}

/// Whether the feed loop goes on or returns an event.
pub(super) enum Flow<'a> {
    Continue,
    Return(Event<'a>),
}

/// Which greeting the client gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Hello {
    None,
    Helo,
    /// EHLO, or LHLO under LMTP.
    Ehlo,
}

/// The mail transaction (RFC 5321 §3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Transaction {
    /// MAIL was accepted.
    pub(super) mail: bool,
    /// `BODY=BINARYMIME` (RFC 3030 §3: DATA is refused).
    pub(super) binary: bool,
    /// The `SMTPUTF8` parameter was given.
    pub(super) smtputf8: bool,
    /// At least one RCPT was answered (accepted or not).
    pub(super) rcpt_seen: bool,
    /// Accepted recipients.
    pub(super) accepted: u32,
    /// BDAT is in use for this transaction (DATA, MAIL and RCPT get 503).
    pub(super) bdat: bool,
    /// BDAT content was handed out and not aborted since.
    pub(super) started: bool,
    /// A BDAT chunk failed: every further chunk fails the same way until
    /// LAST or RSET (rule D9).
    pub(super) failed: Option<Canned>,
    /// Content octets received so far.
    pub(super) received: u64,
}

/// DATA reception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct DataRx {
    pub(super) rx: DotUnstuffer,
    pub(super) aborted: Option<AbortReason>,
}

/// BDAT chunk reception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ChunkRx {
    pub(super) rx: BdatReader,
    pub(super) size: u64,
    /// The reply owed once the chunk is drained, when it failed.
    pub(super) fail: Option<Canned>,
}

/// What the engine is doing with its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum State {
    /// `greet` was not called.
    Fresh,
    Command,
    Data(DataRx),
    Chunk(ChunkRx),
    Auth(AuthStage),
    /// LMTP: more MessageEnd decisions to ask.
    MoreDecisions {
        remaining: u32,
    },
    /// LMTP: the same failure reply for each remaining recipient.
    MoreReplies {
        remaining: u32,
        reply: Canned,
    },
    /// The next `feed` reports Close.
    Closing,
    /// STARTTLS was answered; waiting for `tls_established`.
    TlsHandshake,
    Closed,
}

/// The decision the application owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Pending {
    Mail { binary: bool, smtputf8: bool },
    Rcpt,
    Verify,
    MessageEnd { remaining: u32 },
    Auth,
}

/// The sans-IO SMTP (or LMTP) server session engine.
///
/// It holds a small fixed state (`size_of::<Server>()` is 216 bytes on
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
    pub(super) config: Config<'c>,
    pub(super) framer: LineFramer,
    pub(super) state: State,
    pub(super) pending: Option<Pending>,
    pub(super) hello: Hello,
    pub(super) tx: Transaction,
    pub(super) tls_active: bool,
    pub(super) tls_ready: bool,
    pub(super) authenticated: bool,
    pub(super) errors: u16,
    pub(super) junk: u16,
    pub(super) auth_failures: u8,
    /// Output room needed before a unit of input is taken.
    room: u16,
}

impl<'c> Server<'c> {
    /// The least output room `feed` ever asks for.
    pub const MIN_ROOM: usize = 1024;

    /// A session for `config`, checked against the RFC floors (rule D11).
    pub fn new(config: Config<'c>) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut s = Server {
            config,
            framer: LineFramer::new(config.bare_lf),
            state: State::Fresh,
            pending: None,
            hello: Hello::None,
            tx: Transaction::default(),
            tls_active: false,
            tls_ready: true,
            authenticated: false,
            errors: 0,
            junk: 0,
            auth_failures: 0,
            room: 0,
        };
        // The longest EHLO reply this configuration can produce.
        let mut widest = s.capabilities();
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

    /// Writes the greeting: `220 <hostname> ESMTP <text>` (`LMTP` under
    /// LMTP), or `554 <hostname> <text>` with [`Service::NoService`].
    pub fn greet(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        match self.state {
            State::Fresh => {}
            State::Closed => return Err(ServerError::Closed),
            _ => return Err(ServerError::WrongState),
        }
        let n = self.greeting(out)?;
        self.state = State::Command;
        Ok(n)
    }

    fn greeting(&self, out: &mut [u8]) -> Result<usize, ServerError> {
        let c = &self.config;
        let sep = if c.greeting_text.is_empty() { "" } else { " " };
        let (code, proto) = match (c.service, c.lmtp) {
            (Service::NoService, _) => (554, ""),
            (Service::Ready, false) => (220, " ESMTP"),
            (Service::Ready, true) => (220, " LMTP"),
        };
        let text = if c.service == Service::NoService && c.greeting_text.is_empty() {
            " No SMTP service here"
        } else {
            c.greeting_text
        };
        let sep = if c.service == Service::NoService && c.greeting_text.is_empty() {
            ""
        } else {
            sep
        };
        let code = ReplyCode::new(code).unwrap_or(ReplyCode::SERVICE_READY);
        write_line(out, code, None, &[c.hostname, proto, sep, text])
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
            _ => {}
        }
        if self.pending.is_some() {
            return Err(ServerError::DecisionPending);
        }
        let mut io = Io {
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

    fn run<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Event<'a>, ServerError> {
        // Every pass consumes input, writes a reply or moves to a state that
        // returns, so the loop is bounded by the input and the recipients.
        loop {
            let room = io.out.len().saturating_sub(io.written);
            if room < self.output_room() {
                if io.written > 0 {
                    return Ok(Event::Flush);
                }
                return Err(ServerError::BufferTooSmall {
                    needed: self.output_room(),
                });
            }
            let flow = match self.state {
                State::Fresh => self.early_talker(io)?,
                State::Command => self.command_step(io)?,
                State::Data(d) => self.data_step(io, d)?,
                State::Chunk(c) => self.chunk_step(io, c)?,
                State::Auth(stage) => self.auth_step(io, stage)?,
                State::MoreDecisions { remaining } => {
                    self.state = State::Command;
                    self.pending = Some(Pending::MessageEnd { remaining });
                    Flow::Return(Event::MessageEnd)
                }
                State::MoreReplies { remaining, reply } => {
                    self.put(io, reply)?;
                    if remaining > 1 {
                        self.state = State::MoreReplies {
                            remaining: remaining - 1,
                            reply,
                        };
                        Flow::Continue
                    } else {
                        self.state = State::Command;
                        self.count_error(io)?
                    }
                }
                State::Closing => self.close(),
                State::Closed | State::TlsHandshake => return Err(ServerError::WrongState),
            };
            if let Flow::Return(event) = flow {
                return Ok(event);
            }
        }
    }

    /// Input before the greeting (rule D8).
    fn early_talker<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Flow<'a>, ServerError> {
        if io.rest().is_empty() {
            return Ok(Flow::Return(Event::NeedInput));
        }
        if self.config.pipelining_violations == super::PipeliningPolicy::Lenient {
            let n = self.greeting(io.out.get_mut(io.written..).unwrap_or_default())?;
            io.written += n;
            self.state = State::Command;
            return Ok(Flow::Continue);
        }
        self.put(io, r::SYNC)?;
        Ok(self.close())
    }

    // ------------------------------------------------------------ output

    /// Writes a canned reply.
    pub(super) fn put(&self, io: &mut Io<'_, '_>, c: Canned) -> Result<(), ServerError> {
        self.put_parts(io, c.code, Some(c.esc), &[c.text])
    }

    /// Writes `code [esc] parts… CRLF`; the enhanced code only when
    /// ENHANCEDSTATUSCODES is on and the code is not 3yz.
    pub(super) fn put_parts(
        &self,
        io: &mut Io<'_, '_>,
        code: ReplyCode,
        esc: Option<EnhancedCode>,
        parts: &[&str],
    ) -> Result<(), ServerError> {
        let esc = esc.filter(|_| self.config.enhanced_status_codes);
        let buf = io.out.get_mut(io.written..).unwrap_or_default();
        io.written += write_line(buf, code, esc, parts)?;
        Ok(())
    }

    /// Writes an error reply and counts it (rule D13).
    pub(super) fn error<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        c: Canned,
    ) -> Result<Flow<'a>, ServerError> {
        self.put(io, c)?;
        self.count_error(io)
    }

    /// Counts an error; at the hard limit, `421 4.7.0` and close.
    pub(super) fn count_error<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Flow<'a>, ServerError> {
        self.errors = self.errors.saturating_add(1);
        if self.errors >= self.config.limits.hard_error_limit {
            self.put(io, r::TOO_MANY_ERRORS)?;
            return Ok(self.close());
        }
        Ok(Flow::Continue)
    }

    /// Counts a NOOP/RSET/VRFY/EXPN/HELP; beyond the junk limit each is an error.
    pub(super) fn count_junk<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Flow<'a>, ServerError> {
        self.junk = self.junk.saturating_add(1);
        if self.junk > self.config.limits.junk_command_limit {
            return self.count_error(io);
        }
        Ok(Flow::Continue)
    }

    /// The reply is written: close.
    pub(super) fn close<'a>(&mut self) -> Flow<'a> {
        self.state = State::Closed;
        self.pending = None;
        Flow::Return(Event::Close)
    }

    // ------------------------------------------------------------ session facts

    /// Whether the client gave EHLO/LHLO and PIPELINING is advertised.
    pub(super) fn pipelining(&self) -> bool {
        self.config.pipelining && self.hello == Hello::Ehlo
    }

    /// Whether AUTH is advertised now (RFC 4954 §4; rule D6).
    pub(super) fn auth_offered(&self) -> bool {
        !self.config.auth.is_empty()
            && (self.tls_active || (self.config.auth_without_tls && !self.config.tls_required))
    }

    /// What the EHLO reply advertises now.
    pub(super) fn capabilities(&self) -> Capabilities {
        let c = &self.config;
        let mut caps = Capabilities::new();
        caps.insert(Extension::Size);
        caps.set_size_limit(Some(c.max_message_size));
        let flags = [
            (c.pipelining, Extension::Pipelining),
            (c.eight_bit_mime, Extension::EightBitMime),
            (c.smtputf8, Extension::SmtpUtf8),
            (c.chunking, Extension::Chunking),
            (c.binarymime, Extension::BinaryMime),
            (c.dsn, Extension::Dsn),
            (c.enhanced_status_codes, Extension::EnhancedStatusCodes),
            (c.tls_available && !self.tls_active, Extension::StartTls),
            (c.requiretls && self.tls_active, Extension::RequireTls),
        ];
        for (on, ext) in flags {
            if on {
                caps.insert(ext);
            }
        }
        if self.auth_offered() {
            caps.set_auth(c.auth);
        }
        if c.limits.max_recipients <= 999_999 {
            caps.set_rcpt_max(Some(c.limits.max_recipients));
        }
        caps
    }

    /// The line limit for a command with this verb, CRLF included (rule
    /// D11): `limits.max_line`, plus for MAIL 500 when AUTH is configured
    /// (RFC 4954 §5 `AUTH=`), 100 with DSN (`RET`, `ENVID`) and 10 with
    /// SMTPUTF8 (RFC 6531 §3.4); for RCPT 500 with DSN (`NOTIFY`, `ORCPT`)
    /// and 10 with SMTPUTF8; AUTH lines may be 12288 octets (RFC 4954 §4)
    /// when AUTH is configured. A longer line gets `500 5.5.2`.
    pub fn line_limit(&self, verb: crate::syntax::Verb) -> usize {
        use crate::syntax::Verb;
        let c = &self.config;
        let base = c.limits.max_line;
        let utf8 = if c.smtputf8 { 10 } else { 0 };
        match verb {
            Verb::Mail => {
                base + utf8 + if c.auth.is_empty() { 0 } else { 500 } + if c.dsn { 100 } else { 0 }
            }
            Verb::Rcpt => base + utf8 + if c.dsn { 500 } else { 0 },
            Verb::Auth if !c.auth.is_empty() => base.max(AUTH_LINE_MAX),
            _ => base,
        }
    }

    /// The limit the framer applies before the verb is known.
    pub(super) fn frame_limit(&self) -> usize {
        use crate::syntax::Verb;
        [Verb::Mail, Verb::Rcpt, Verb::Auth]
            .into_iter()
            .map(|v| self.line_limit(v))
            .max()
            .unwrap_or(self.config.limits.max_line)
    }

    /// Free output room `feed` needs before it takes a unit of input:
    /// [`Server::MIN_ROOM`], or the longest EHLO reply if that is longer.
    pub fn output_room(&self) -> usize {
        usize::from(self.room)
    }

    /// Unconsumed input the caller's receive buffer must be able to hold:
    /// the longest command line, or two AUTH lines during AUTH LOGIN.
    pub fn input_room(&self) -> usize {
        let login = self
            .config
            .auth
            .contains(crate::syntax::AuthMechanism::Login);
        let frame = self.frame_limit();
        if login {
            frame.max(2 * AUTH_LINE_MAX)
        } else {
            frame
        }
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The observable state.
    pub fn phase(&self) -> Phase {
        if let Some(p) = self.pending {
            return Phase::Decision(match p {
                Pending::Mail { .. } => DecisionKind::Mail,
                Pending::Rcpt => DecisionKind::Rcpt,
                Pending::Verify => DecisionKind::Verify,
                Pending::MessageEnd { .. } => DecisionKind::MessageEnd,
                Pending::Auth => DecisionKind::Auth,
            });
        }
        match self.state {
            State::Fresh => Phase::Connected,
            State::Command | State::MoreDecisions { .. } | State::MoreReplies { .. } => {
                Phase::Command
            }
            State::Data(_) => Phase::Data,
            State::Chunk(_) => Phase::Chunk,
            State::Auth(_) => Phase::Auth,
            State::TlsHandshake => Phase::TlsHandshake,
            State::Closing | State::Closed => Phase::Closed,
        }
    }

    /// How long the engine may wait for the client now (rule D12): the
    /// command timeout while waiting for a command, the data timeout inside
    /// DATA/BDAT; `None` when closed, before the greeting, during the TLS
    /// handshake, or while a decision is pending (the application's time).
    pub fn deadline(&self) -> Option<Deadline> {
        if self.pending.is_some() {
            return None;
        }
        let t = &self.config.timeouts;
        match self.state {
            State::Command | State::Auth(_) => Some(Deadline::Command {
                seconds: t.command_secs,
            }),
            State::Data(_) | State::Chunk(_) => Some(Deadline::Data {
                seconds: t.data_secs,
            }),
            _ => None,
        }
    }

    /// The deadline passed: writes `421 4.4.2 <hostname> Error: timeout
    /// exceeded` and closes (rule D12). Send it, then close the connection;
    /// an open message is discarded.
    pub fn timeout(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        if self.state == State::Closed {
            return Err(ServerError::Closed);
        }
        let c = r::TIMEOUT;
        let esc = Some(c.esc).filter(|_| self.config.enhanced_status_codes);
        let n = write_line(out, c.code, esc, &[self.config.hostname, " ", c.text])?;
        self.state = State::Closed;
        self.pending = None;
        Ok(n)
    }

    /// The peer closed the connection. Counts as QUIT; inside a message
    /// (DATA, BDAT, or a pending MessageEnd) it is
    /// `MessageAborted(AbortReason::Eof)`: nothing may be committed. The
    /// session is closed afterwards.
    pub fn end_of_input(&mut self) -> Event<'static> {
        let in_message = match self.state {
            State::Data(d) => d.aborted.is_none(),
            State::Chunk(c) => c.fail.is_none(),
            State::MoreDecisions { .. } => true,
            _ => self.tx.started || matches!(self.pending, Some(Pending::MessageEnd { .. })),
        };
        let was_closed = self.state == State::Closed;
        self.state = State::Closed;
        self.pending = None;
        if in_message && !was_closed {
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
        if self.state != State::TlsHandshake {
            return Err(ServerError::WrongState);
        }
        self.state = State::Command;
        self.hello = Hello::None;
        self.tx = Transaction::default();
        self.authenticated = false;
        self.tls_active = true;
        self.framer.reset();
        Ok(())
    }

    /// Whether TLS can be started right now (default yes). With `false`,
    /// STARTTLS stays advertised (it is configured) but is answered
    /// `454 4.7.0 TLS not available due to temporary reason` (RFC 3207 §4).
    pub fn set_tls_ready(&mut self, ready: bool) {
        self.tls_ready = ready;
    }

    // ------------------------------------------------------------ decisions

    /// Answers the pending decision positively: `250 2.1.0` (MAIL),
    /// `250 2.1.5` (RCPT, VRFY), `250 2.0.0 Ok: queued` (MessageEnd),
    /// `235 2.7.0` (AUTH).
    pub fn accept(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        let c = match self.pending.ok_or(ServerError::NoDecisionPending)? {
            Pending::Mail { .. } => r::MAIL_OK,
            Pending::Rcpt => r::RCPT_OK,
            Pending::Verify => r::VRFY_OK,
            Pending::MessageEnd { .. } => r::MESSAGE_OK,
            Pending::Auth => r::AUTH_OK,
        };
        self.answer(out, c.code, Some(c.esc), c.text)
    }

    /// Answers the pending decision negatively: `550 5.7.1` (MAIL),
    /// `550 5.1.1` (RCPT, VRFY), `554 5.7.1` (MessageEnd), `535 5.7.8` (AUTH).
    pub fn reject(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        let c = match self.pending.ok_or(ServerError::NoDecisionPending)? {
            Pending::Mail { .. } => r::MAIL_REJECTED,
            Pending::Rcpt => r::RCPT_REJECTED,
            Pending::Verify => r::VRFY_REJECTED,
            Pending::MessageEnd { .. } => r::MESSAGE_REJECTED,
            Pending::Auth => r::AUTH_FAILED,
        };
        self.answer(out, c.code, Some(c.esc), c.text)
    }

    /// Answers the pending decision with the application's own reply: a
    /// 2xx accepts, a 4xx or 5xx refuses; 3xx is never allowed. `text` must
    /// hold no control byte (rule D5); long text is split over lines. The
    /// enhanced code is written only with ENHANCEDSTATUSCODES on. A `421`
    /// closes the session after the reply (the next `feed` reports Close).
    pub fn respond(
        &mut self,
        code: ReplyCode,
        enhanced: Option<EnhancedCode>,
        text: &str,
        out: &mut [u8],
    ) -> Result<usize, ServerError> {
        self.pending.ok_or(ServerError::NoDecisionPending)?;
        if code.class() == ReplyClass::PositiveIntermediate {
            return Err(ServerError::InvalidReply(Invalid::ReplyCode));
        }
        check_text(text.as_bytes()).map_err(ServerError::InvalidReply)?;
        if enhanced.is_some_and(|e| u16::from(e.class()) != code.get() / 100) {
            return Err(ServerError::InvalidReply(Invalid::ReplyCode));
        }
        let n = self.answer(out, code, enhanced, text)?;
        if code.get() == 421 {
            self.state = State::Closing;
        }
        Ok(n)
    }

    fn answer(
        &mut self,
        out: &mut [u8],
        code: ReplyCode,
        esc: Option<EnhancedCode>,
        text: &str,
    ) -> Result<usize, ServerError> {
        let pending = self.pending.ok_or(ServerError::NoDecisionPending)?;
        let esc = esc.filter(|_| self.config.enhanced_status_codes);
        let n = write_reply(out, code, esc, &[text]).map_err(write_error)?;
        let ok = code.class() == ReplyClass::PositiveCompletion;
        self.pending = None;
        match pending {
            Pending::Mail { binary, smtputf8 } => {
                if ok {
                    self.tx.mail = true;
                    self.tx.binary = binary;
                    self.tx.smtputf8 = smtputf8;
                }
            }
            Pending::Rcpt => {
                self.tx.rcpt_seen = true;
                if ok {
                    self.tx.accepted = self.tx.accepted.saturating_add(1);
                }
            }
            Pending::Verify => {}
            Pending::MessageEnd { remaining } => {
                if remaining > 1 {
                    self.state = State::MoreDecisions {
                        remaining: remaining - 1,
                    };
                } else {
                    self.tx = Transaction::default();
                }
                if ok {
                    // A delivered message ends the client's probation.
                    self.errors = 0;
                    self.junk = 0;
                }
            }
            Pending::Auth => {
                if ok {
                    self.authenticated = true;
                } else {
                    self.auth_failures = self.auth_failures.saturating_add(1);
                }
            }
        }
        Ok(n)
    }

    /// Aborts a BDAT message whose content was already handed out, before
    /// a command that ends the transaction; the command is left unconsumed
    /// and is processed on the next call.
    pub(super) fn abort_open_message<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        line_start: usize,
    ) -> Option<Flow<'a>> {
        if !self.tx.started {
            return None;
        }
        io.pos = line_start;
        self.tx = Transaction::default();
        Some(Flow::Return(Event::MessageAborted(AbortReason::Reset)))
    }
}

/// Writes `code SP [esc SP] parts… CRLF` (no esc on 3yz).
pub(super) fn write_line(
    out: &mut [u8],
    code: ReplyCode,
    esc: Option<EnhancedCode>,
    parts: &[&str],
) -> Result<usize, ServerError> {
    let esc = esc.filter(|_| code.class() != ReplyClass::PositiveIntermediate);
    write_with(out, |w: &mut Writer<'_>| {
        w.put_decimal(u64::from(code.get()));
        w.put_byte(b' ');
        if let Some(e) = esc {
            e.write_to(w);
            w.put_byte(b' ');
        }
        for p in parts {
            w.put_str(p);
        }
        w.put(b"\r\n");
        Ok(())
    })
    .map_err(write_error)
}

pub(super) fn write_error(e: WriteError) -> ServerError {
    match e {
        WriteError::BufferTooSmall { needed } => ServerError::BufferTooSmall { needed },
        WriteError::Invalid(i) => ServerError::InvalidReply(i),
    }
}
