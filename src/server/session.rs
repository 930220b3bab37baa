//! The [`Server`] struct: its state, the feed loop, and the session-level
//! calls (greeting, deadlines, timeout, end of input, TLS). Command dispatch
//! is in `commands.rs`, message data in `data.rs`, the AUTH exchange in
//! `auth.rs`, the answers to decisions in `decision.rs`, what is advertised
//! and the line limits in `advertise.rs`, the reply texts in `replies.rs`.

use crate::syntax::{
    EnhancedCode, Extension, ReplyClass, ReplyCode, WriteError, Writer, write_with,
};
use crate::wire::bdat::BdatReader;
use crate::wire::line::LineFramer;
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
        self.rest_from(self.pos)
    }

    /// The input from `at` on.
    pub(super) fn rest_from(&self, at: usize) -> &'a [u8] {
        self.input.get(at..).unwrap_or_default()
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
    /// The content up to the size limit was handed out; the abort is next.
    pub(super) abort_due: bool,
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
    pub(super) room: u16,
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
        let (code, parts) = match c.service {
            Service::NoService => {
                let text = if c.greeting_text.is_empty() {
                    "No SMTP service here"
                } else {
                    c.greeting_text
                };
                (ReplyCode::TRANSACTION_FAILED, [c.hostname, " ", text, ""])
            }
            Service::Ready => {
                let proto = if c.lmtp { " LMTP" } else { " ESMTP" };
                let sep = if c.greeting_text.is_empty() { "" } else { " " };
                (
                    ReplyCode::SERVICE_READY,
                    [c.hostname, proto, sep, c.greeting_text],
                )
            }
        };
        write_line(out, code, None, &parts)
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
            let idle = match self.state {
                State::Command | State::Auth(_) | State::Fresh => true,
                State::Data(d) => !d.abort_due,
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
            State::Data(d) => d.aborted.is_none() || d.abort_due,
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
