//! The [`Client`]: its state, `feed` and `transmit`, the calls that drive a
//! transaction, and the one place that changes the state. Phases
//! (`hello.rs`, `auth.rs`, `transaction.rs`, `content.rs`) advance their
//! own fields and return an `Outcome`; [`Client::apply`] is the only code
//! that moves to another phase or changes the session or the transaction,
//! and it logs every change of phase.

use core::time::Duration;

use crate::syntax::{Capabilities, Command, Extension, Reply, Status};
use crate::wire::reply;

use super::config::{ClientConfig, ConfigError};
use super::envelope::Envelope;
use super::error::{ClientError, ProtocolError};
use super::event::{Event, Failure, FailureKind, Step};
use super::hello;
use super::outcome::{Change, Outcome};
use super::state::{HelloPhase, HelloVerb, Pending, Session, State, Transaction, Transfer, Turn};
use super::writer::put;

/// The SMTP client engine (see the [module docs](super)).
///
/// `size_of::<Client>()` is at most 512 bytes (checked by a test), whatever
/// the envelope or message size.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Client<'c> {
    pub(super) config: ClientConfig<'c>,
    pub(super) state: State,
    pub(super) session: Session,
    pub(super) tx: Transaction,
    pub(super) pending: Option<Pending>,
}

impl<'c> Client<'c> {
    /// A client at the start of a connection, waiting for the greeting
    /// (or, with [`ClientConfig::implicit_tls`], already inside TLS).
    pub fn new(config: ClientConfig<'c>) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Client {
            session: Session {
                caps: Capabilities::new(),
                extended: false,
                auth_line: false,
                tls: config.implicit_tls,
                authenticated: false,
            },
            config,
            state: State::Greeting,
            tx: Transaction::default(),
            pending: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig<'c> {
        &self.config
    }

    /// The server's capabilities from the last EHLO/LHLO reply (empty after
    /// HELO; reset by STARTTLS, TLS-09; STARTTLS is never listed inside TLS,
    /// TLS-12).
    pub fn capabilities(&self) -> &Capabilities {
        &self.session.caps
    }

    /// Whether a transaction may start ([`Client::send`]) or the session
    /// may end ([`Client::quit`]).
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready) && self.pending.is_none()
    }

    /// Whether the session is over; drop the connection.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether the transport is TLS (implicit, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.session.tls
    }

    /// Whether AUTH succeeded on this connection (since the last STARTTLS).
    pub fn is_authenticated(&self) -> bool {
        self.session.authenticated
    }

    /// Whether [`Client::transmit`] has something to write.
    pub fn wants_transmit(&self) -> bool {
        match self.state {
            State::Hello(h) => h.turn == Turn::Due,
            State::StartTls(t) | State::Dot(t) | State::Rset(t) | State::Quit(t) => t == Turn::Due,
            State::Auth(a) => a.turn == Turn::Due,
            State::Envelope(e) => e.can_write(&self.tx),
            _ => false,
        }
    }

    /// Whether the replies now awaited first are the previous transaction's
    /// final ones (its content opened the group in which [`Client::send`]
    /// pipelined the next envelope; [`Client::can_send_next`]). Until this
    /// turns false, [`Event::Delivered`] and [`Event::Failed`] (stage
    /// `Content`) are the previous message's.
    pub fn settles_previous(&self) -> bool {
        matches!(self.state, State::Envelope(e) if e.prior.is_some())
    }

    /// Whether the engine takes content now ([`Client::body`],
    /// [`Client::finish_body`]): after [`Event::SendBody`] until the end of
    /// the content is written or the transaction failed.
    pub fn wants_content(&self) -> bool {
        matches!(self.state, State::Content(_)) && !self.tx.failed && self.pending.is_none()
    }

    /// Whether the content goes by BDAT (RFC 3030) rather than DATA: the
    /// server offers CHUNKING, [`ClientConfig::chunking`] allows it, and the
    /// body needs no rewriting (decided by [`Client::send`]).
    pub fn uses_bdat(&self) -> bool {
        self.tx.plan.uses_bdat()
    }

    /// Whether the server accepted STARTTLS: the transport must be wrapped
    /// in TLS now, then [`Client::tls_established`] called.
    pub fn awaits_tls(&self) -> bool {
        matches!(self.state, State::Handshake)
    }

    /// Whether a reply is awaited: a command was written and its reply has
    /// not come.
    pub fn awaits_reply(&self) -> bool {
        match self.state {
            State::Greeting | State::Reply | State::Final(_) => true,
            State::Hello(h) => h.turn == Turn::Sent,
            State::StartTls(t) | State::Dot(t) | State::Rset(t) | State::Quit(t) => t == Turn::Sent,
            State::Auth(a) => a.turn == Turn::Sent,
            State::Envelope(e) => e.awaits_reply(),
            State::Content(c) => c.awaits_reply(),
            State::Handshake | State::Ready | State::Closed => false,
        }
    }

    /// How long the current wait for the server may last, measured from the
    /// last byte written or read (RFC 5321 §4.5.3.2; RES-09); `None` when
    /// the client is not waiting for the server. When it passes, call
    /// [`Client::timeout`].
    pub fn deadline(&self) -> Option<Duration> {
        let t = &self.config.timeouts;
        match self.state {
            State::Greeting => Some(t.greeting),
            State::Envelope(e) => e.deadline(&self.tx.plan, t),
            State::Content(c) if c.awaits_reply() => Some(t.other),
            State::Content(_) => Some(t.data_block),
            State::Final(f) if f.chunk_replies > 0 => Some(t.other),
            State::Final(_) => Some(t.data_final),
            _ if self.awaits_reply() => Some(t.other),
            _ => None,
        }
    }

    /// The current wait timed out: a transient failure, as if the server
    /// had said 451 (rule D12). The session is closed; if a transaction was
    /// open, its failure is returned: the message was NOT delivered (in LMTP
    /// mode: to the recipients whose final reply had not come yet). With a
    /// transaction pipelined behind one whose final reply was awaited
    /// ([`Client::settles_previous`]), the earlier one's failure is
    /// returned; the later one was not delivered either.
    pub fn timeout(&mut self) -> Option<Failure<'static>> {
        self.abandon()
    }

    /// The server closed the connection (EOF). Like [`Client::timeout`]: a
    /// transaction still open failed transiently (RPL-08).
    pub fn eof(&mut self) -> Option<Failure<'static>> {
        self.abandon()
    }

    fn abandon(&mut self) -> Option<Failure<'static>> {
        let stage = match self.state {
            State::Envelope(e) => Some(e.stage(&self.tx.plan)),
            State::Content(_) | State::Final(_) => Some(super::Stage::Content),
            _ => None,
        };
        self.apply(Change::Close);
        stage.map(|stage| Failure {
            stage,
            kind: FailureKind::Transient,
            reply: None,
            recipient: None,
        })
    }

    /// Ends the session: QUIT is due.
    pub fn quit(&mut self) -> Result<(), ClientError> {
        if !self.is_ready() {
            return Err(self.state_error());
        }
        self.apply(Change::To(State::Quit(Turn::Due)));
        Ok(())
    }

    /// Writes `VRFY arg` (RFC 5321 §4.1.1.6) into `out` now; its reply comes
    /// as [`Event::Reply`]. Only when [`Client::is_ready`].
    pub fn vrfy(&mut self, arg: &str, out: &mut [u8]) -> Result<usize, ClientError> {
        self.simple(Command::Vrfy(arg), out)
    }

    /// Writes `NOOP` into `out` now; its reply comes as [`Event::Reply`].
    pub fn noop(&mut self, out: &mut [u8]) -> Result<usize, ClientError> {
        self.simple(Command::Noop(None), out)
    }

    fn simple(&mut self, cmd: Command<'_>, out: &mut [u8]) -> Result<usize, ClientError> {
        if !self.is_ready() {
            return Err(self.state_error());
        }
        let mut pos = 0;
        put(out, &mut pos, |w| cmd.write_to(w))?;
        self.apply(Change::To(State::Reply));
        Ok(pos)
    }

    /// The TLS handshake that followed [`Event::StartTls`] succeeded: the
    /// session starts over with EHLO, and everything learnt before is
    /// forgotten (RFC 3207 §4.2; TLS-09). Discard any bytes read before the
    /// handshake.
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        if !matches!(self.state, State::Handshake) {
            return Err(self.state_error());
        }
        self.session = Session {
            caps: Capabilities::new(),
            extended: false,
            auth_line: false,
            tls: true,
            authenticated: false,
        };
        let verb = hello::verb(&self.config);
        self.apply(Change::To(State::Hello(HelloPhase::due(verb))));
        Ok(())
    }

    pub(super) fn state_error(&self) -> ClientError {
        if matches!(self.state, State::Closed) {
            ClientError::Closed
        } else {
            ClientError::State
        }
    }

    // -------------------------------------------------------------- input

    /// Takes the server's bytes: returns how many were consumed and what
    /// happened. Unconsumed bytes must be presented again (with more).
    /// Results are the same however the input is split. Call it until it
    /// returns [`Event::NeedInput`].
    ///
    /// An `Err` closes the session, except [`ClientError::TlsUnavailable`]
    /// and [`ClientError::AuthUnavailable`], which are reported with nothing
    /// consumed and leave QUIT due.
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> Result<Step<'a>, ClientError> {
        self.step(input)
            .map(|(consumed, event)| Step { consumed, event })
    }

    fn step<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Event<'a>), ClientError> {
        if let Some(p) = self.pending.take() {
            return match p {
                Pending::Failed(stage, kind) => Ok((
                    0,
                    Event::Failed(Failure {
                        stage,
                        kind,
                        reply: None,
                        recipient: None,
                    }),
                )),
                Pending::SendBody => Ok((0, Event::SendBody(None))),
                Pending::Error(e) => Err(e),
            };
        }
        match self.state {
            State::Closed if input.is_empty() => return Ok((0, Event::NeedInput)),
            State::Closed => return Err(ClientError::Closed),
            State::Handshake if !input.is_empty() => {
                return Err(self.protocol(ProtocolError::AfterStartTls));
            }
            State::Hello(h) if h.turn == Turn::Sent => return self.feed_hello(h, input),
            _ => {}
        }
        if input.is_empty() {
            return Ok((0, Event::NeedInput));
        }
        let (reply, used) = match reply::frame(input, &self.config.reply_limits) {
            Ok(Status::Complete(r)) => r,
            Ok(Status::Partial) => return Ok((0, Event::NeedInput)),
            Err(e) => return Err(self.protocol(ProtocolError::Reply(e))),
        };
        match self.on_reply(reply) {
            Ok(o) => Ok((used, self.apply_outcome(o))),
            Err(e) => Err(self.protocol(e)),
        }
    }

    /// Folds the EHLO reply one complete line at a time, so a reply of any
    /// length works in bounded memory (RES-08).
    fn feed_hello<'a>(
        &mut self,
        mut phase: HelloPhase,
        input: &'a [u8],
    ) -> Result<(usize, Event<'a>), ClientError> {
        let max = self.config.reply_limits.max_line;
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let (line, n) = match phase.folder.next_line(rest, max) {
                Ok(Status::Complete(l)) => l,
                Ok(Status::Partial) => {
                    self.state = State::Hello(phase);
                    return Ok((pos, Event::NeedInput));
                }
                Err(e) => return Err(self.protocol(ProtocolError::Reply(e))),
            };
            pos += n;
            if phase.folder.lines() > 1 && line.code.get() == 250 {
                let named = phase.caps.add_line(line.text);
                phase.auth_line |= named == Some(Extension::Auth);
            }
            if line.last {
                return match hello::on_hello(&phase, line) {
                    Ok(o) => Ok((pos, self.apply_outcome(o))),
                    Err(e) => Err(self.protocol(e)),
                };
            }
        }
    }

    /// Dispatches one complete reply to the phase that awaits it.
    fn on_reply<'a>(&mut self, reply: Reply<'a>) -> Result<Outcome<'a>, ProtocolError> {
        let code = reply.code();
        if code.get() == 421 && !matches!(self.state, State::Quit(Turn::Sent)) {
            // The server is closing (RFC 5321 §3.8): transient, like 451.
            let event = match self.abandon() {
                Some(f) => Event::Failed(Failure {
                    reply: Some(reply),
                    ..f
                }),
                None => Event::Closing(reply),
            };
            return Ok(Outcome::new(event, Change::Close));
        }
        let not_3xx = || {
            if code.first_digit() == 3 {
                Err(ProtocolError::Unexpected(code))
            } else {
                Ok(())
            }
        };
        let (config, tx) = (&self.config, &self.tx);
        match &mut self.state {
            State::Greeting => hello::on_greeting(config, reply),
            State::StartTls(Turn::Sent) => hello::on_starttls(config, reply),
            State::Auth(a) if a.turn == Turn::Sent => a.on_reply(config, reply),
            State::Envelope(e) if e.awaits_reply() => e.on_reply(config, tx, reply),
            State::Content(c) => c.on_reply(tx, reply),
            State::Final(f) => f.on_reply(config, tx, reply),
            State::Dot(Turn::Sent) => Ok(Outcome::new(
                Event::Reply(reply),
                Change::To(State::Rset(Turn::Due)),
            )),
            State::Rset(Turn::Sent) => {
                not_3xx()?;
                Ok(Outcome::new(Event::Reset(reply), Change::To(State::Ready)))
            }
            State::Reply => {
                not_3xx()?;
                Ok(Outcome::new(Event::Reply(reply), Change::To(State::Ready)))
            }
            State::Quit(Turn::Sent) => Ok(Outcome::new(Event::Closed(reply), Change::Close)),
            _ => Err(ProtocolError::Unsolicited(code)),
        }
    }

    /// Closes the session for a protocol error and returns it.
    fn protocol(&mut self, e: ProtocolError) -> ClientError {
        self.apply(Change::Close);
        ClientError::Protocol(e)
    }

    // ------------------------------------------------------------- output

    /// Writes the commands that are due into `out` and returns the length.
    ///
    /// Never a partial command: what does not fit stays due
    /// ([`Client::wants_transmit`]); a command that cannot fit even alone
    /// gives [`ClientError::BufferTooSmall`]. Pass the envelope of the open
    /// transaction (the one given to [`Client::send`]) until
    /// [`Event::SendBody`] or [`Event::Failed`]; `None` otherwise.
    pub fn transmit(
        &mut self,
        envelope: Option<&Envelope<'_>>,
        out: &mut [u8],
    ) -> Result<usize, ClientError> {
        let mut pos = 0;
        let simple = match self.state {
            State::Hello(HelloPhase {
                verb,
                turn: Turn::Due,
                ..
            }) => {
                let helo = self.config.helo_host()?;
                Some(match verb {
                    HelloVerb::Ehlo => Command::Ehlo(helo),
                    HelloVerb::Helo => Command::Helo(helo),
                    HelloVerb::Lhlo => Command::Lhlo(helo),
                })
            }
            State::StartTls(Turn::Due) => Some(Command::StartTls),
            State::Rset(Turn::Due) => Some(Command::Rset),
            State::Quit(Turn::Due) => Some(Command::Quit),
            _ => None,
        };
        if let Some(cmd) = simple {
            if put(out, &mut pos, |w| cmd.write_to(w))? {
                match &mut self.state {
                    State::Hello(h) => h.turn = Turn::Sent,
                    State::StartTls(t) | State::Rset(t) | State::Quit(t) => *t = Turn::Sent,
                    _ => {}
                }
            }
            return Ok(pos);
        }
        match &mut self.state {
            State::Auth(a) if a.turn == Turn::Due => {
                let creds = self.config.auth.ok_or(ClientError::State)?;
                if let Err(e) = a.write(creds, out, &mut pos) {
                    self.apply(Change::Close);
                    return Err(e);
                }
            }
            State::Envelope(e) if e.can_write(&self.tx) => {
                let env = envelope.ok_or(ClientError::State)?;
                if env.digest(&self.tx.plan) != Ok(self.tx.plan.digest) {
                    return Err(ClientError::State);
                }
                e.write(&self.tx, env, out, &mut pos)?;
            }
            State::Dot(t @ Turn::Due)
                if put(out, &mut pos, |w| {
                    w.put(b".\r\n");
                    Ok(())
                })? =>
            {
                *t = Turn::Sent;
            }
            _ => {}
        }
        Ok(pos)
    }

    // -------------------------------------------------------- transitions

    /// Makes an outcome's change and returns its event.
    fn apply_outcome<'a>(&mut self, o: Outcome<'a>) -> Event<'a> {
        self.apply(o.change);
        o.event
    }

    /// Makes one change (see [`Change`]): the only code that moves the
    /// session to another phase or changes its facts.
    pub(super) fn apply(&mut self, change: Change) {
        let next = match change {
            Change::Stay => return,
            Change::To(next) => next,
            Change::Greeted {
                extended,
                caps,
                auth_line,
            } => {
                let s = &mut self.session;
                s.extended = extended;
                s.auth_line = extended && auth_line;
                s.caps = if extended { caps } else { Capabilities::new() };
                if s.tls {
                    // RFC 3207 §4.2; TLS-12: never a second STARTTLS.
                    s.caps.remove(Extension::StartTls);
                }
                self.or_fail(hello::after_hello(&self.config, &self.session))
            }
            Change::StartAuth => self.or_fail(super::auth::start(&self.config, &self.session)),
            Change::Authenticated => {
                self.session.authenticated = true;
                State::Ready
            }
            Change::Fail(e) => {
                self.pending = Some(Pending::Error(e));
                State::Quit(Turn::Due)
            }
            Change::SendChunks(content) => {
                self.pending = Some(Pending::SendBody);
                State::Content(content)
            }
            Change::TxFailed { next, report } => {
                self.tx.failed = true;
                self.pending = report.map(|(stage, kind)| Pending::Failed(stage, kind));
                next
            }
            Change::Close => {
                self.pending = None;
                State::Closed
            }
        };
        self.set_state(next);
    }

    /// The state `r` gives, or QUIT with the policy error pending.
    fn or_fail(&mut self, r: Result<State, ClientError>) -> State {
        r.unwrap_or_else(|e| {
            self.pending = Some(Pending::Error(e));
            State::Quit(Turn::Due)
        })
    }

    /// Enters `next`, logging the transition (at trace level; a firmware
    /// that filters trace out carries no code for it).
    fn set_state(&mut self, next: State) {
        trace!("client: {} -> {}", self.state.name(), next.name());
        self.state = next;
    }
}

impl State {
    /// The phase's name, for the log.
    #[cfg_attr(not(any(feature = "log", feature = "defmt")), allow(dead_code))]
    fn name(&self) -> &'static str {
        match self {
            State::Greeting => "greeting",
            State::Hello(_) => "hello",
            State::StartTls(_) => "starttls",
            State::Handshake => "tls-handshake",
            State::Auth(_) => "auth",
            State::Ready => "ready",
            State::Envelope(_) => "envelope",
            State::Content(c) => match c.transfer {
                Transfer::Data(_) => "data",
                Transfer::Chunks { .. } => "bdat",
            },
            State::Final(_) => "final-reply",
            State::Dot(_) => "dot",
            State::Rset(_) => "rset",
            State::Reply => "reply",
            State::Quit(_) => "quit",
            State::Closed => "closed",
        }
    }
}
