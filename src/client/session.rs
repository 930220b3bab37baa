//! The session phases: greeting, EHLO/HELO/LHLO (folded line by line),
//! STARTTLS and AUTH; and the `feed` / `transmit` entry points.

use memchr::memchr;

use crate::sasl;
use crate::syntax::{
    AuthMechanism, Command, Extension, Reply, ReplyCode, ReplyError, ReplyLine, Status, Writer,
};

use super::config::{AuthConfig, TlsPolicy};
use super::error::{ClientError, ProtocolError};
use super::event::{Event, Failure};
use super::{Client, Envelope, Pending, State, put};

/// The greeting command in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum HelloVerb {
    Ehlo,
    Helo,
    Lhlo,
}

/// A SASL mechanism the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Mech {
    Plain,
    Login,
    XOAuth2,
}

/// The next line of an AUTH exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum AuthStep {
    /// `AUTH mech [initial-response]`.
    Start,
    /// The credentials (PLAIN without initial response, XOAUTH2 likewise,
    /// LOGIN's user name in round 1 and password in round 2).
    Response,
    /// An empty line: XOAUTH2's answer to its error challenge.
    Empty,
    /// `*`: cancel (RFC 4954 §4; AUT-10).
    Cancel,
}

/// Where an AUTH exchange is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct AuthState {
    pub mech: Mech,
    pub step: AuthStep,
    /// 334 challenges received.
    pub round: u8,
    pub sent: bool,
    /// The AUTH line carried the initial response.
    pub ir: bool,
}

/// The longest AUTH command line with an initial response
/// (RFC 4954 §4: 512 octets, else no initial response).
const AUTH_LINE_MAX: usize = 512;

/// Base64 length of `n` octets.
const fn b64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

impl<'c> Client<'c> {
    /// Takes the server's bytes: returns how many were consumed and what
    /// happened. Unconsumed bytes must be presented again (with more).
    /// Results are the same however the input is split. Call it until it
    /// returns [`Event::NeedMore`].
    ///
    /// An `Err` closes the session, except [`ClientError::TlsUnavailable`]
    /// and [`ClientError::AuthUnavailable`], which are reported with nothing
    /// consumed and leave QUIT due.
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Event<'a>), ClientError> {
        if let Some(p) = self.pending.take() {
            return match p {
                Pending::Failed(phase, kind) => Ok((
                    0,
                    Event::Failed(Failure {
                        phase,
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
            State::Closed if input.is_empty() => return Ok((0, Event::NeedMore)),
            State::Closed => return Err(ClientError::Closed),
            State::Handshake if !input.is_empty() => {
                return Err(self.protocol(ProtocolError::AfterStartTls));
            }
            State::Hello { sent: true, verb } => return self.feed_hello(verb, input),
            _ => {}
        }
        if input.is_empty() {
            return Ok((0, Event::NeedMore));
        }
        let (reply, used) = match Reply::parse(input, &self.config.reply_limits) {
            Ok(Status::Complete(r)) => r,
            Ok(Status::Partial) => return Ok((0, Event::NeedMore)),
            Err(e) => return Err(self.protocol(ProtocolError::Reply(e))),
        };
        let event = self.on_reply(reply, used < input.len())?;
        Ok((used, event))
    }

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
            State::Hello { verb, sent: false } => Some(match verb {
                HelloVerb::Ehlo => Command::Ehlo(self.config.helo),
                HelloVerb::Helo => Command::Helo(self.config.helo),
                HelloVerb::Lhlo => Command::Lhlo(self.config.helo),
            }),
            State::StartTls { sent: false } => Some(Command::StartTls),
            State::Rset { sent: false } => Some(Command::Rset),
            State::Quit { sent: false } => Some(Command::Quit),
            _ => None,
        };
        if let Some(cmd) = simple {
            if put(out, &mut pos, |w| cmd.write_to(w))? {
                self.state = match self.state {
                    State::Hello { verb, .. } => {
                        self.caps = crate::Capabilities::new();
                        self.hello_code = None;
                        self.hello_lines = 0;
                        State::Hello { verb, sent: true }
                    }
                    State::StartTls { .. } => State::StartTls { sent: true },
                    State::Rset { .. } => State::Rset { sent: true },
                    _ => State::Quit { sent: true },
                };
            }
            return Ok(pos);
        }
        match self.state {
            State::Auth(a) if !a.sent => self.write_auth(a, out, &mut pos)?,
            State::Tx => self.write_tx(envelope, out, &mut pos)?,
            State::Dot { sent: false }
                if put(out, &mut pos, |w| {
                    w.put(b".\r\n");
                    Ok(())
                })? =>
            {
                self.state = State::Dot { sent: true };
            }
            _ => {}
        }
        Ok(pos)
    }

    /// Closes the session for a protocol error and returns it.
    pub(crate) fn protocol(&mut self, e: ProtocolError) -> ClientError {
        self.close();
        ClientError::Protocol(e)
    }

    /// A policy failure: QUIT is due, and the error is reported by the next
    /// `feed` (nothing consumed).
    pub(crate) fn fail(&mut self, e: ClientError) {
        self.state = State::Quit { sent: false };
        self.pending = Some(Pending::Error(e));
    }

    pub(crate) fn hello_verb(&self) -> HelloVerb {
        if self.config.lmtp {
            HelloVerb::Lhlo
        } else {
            HelloVerb::Ehlo
        }
    }

    /// Dispatches one complete reply.
    fn on_reply<'a>(&mut self, reply: Reply<'a>, trailing: bool) -> Result<Event<'a>, ClientError> {
        let code = reply.code();
        if code.get() == 421 && self.state != (State::Quit { sent: true }) {
            // The server is closing (RFC 5321 §3.8): transient, like 451.
            return Ok(match self.abandon() {
                Some(f) => Event::Failed(Failure {
                    reply: Some(reply),
                    ..f
                }),
                None => Event::Closing(reply),
            });
        }
        match self.state {
            State::Greeting => self.on_greeting(reply),
            State::StartTls { sent: true } => self.on_starttls(reply, trailing),
            State::Auth(a) if a.sent => self.on_auth(a, reply),
            State::Tx if self.tx.replied < self.tx.written => self.on_tx_reply(reply),
            State::Bdat if self.bdat.outstanding > 0 => self.on_chunk_reply(reply),
            State::Bdat if self.bdat.last_sent => self.on_final(reply),
            State::Final => self.on_final(reply),
            State::Dot { sent: true } => {
                self.state = State::Rset { sent: false };
                Ok(Event::Reply(reply))
            }
            State::Rset { sent: true } => {
                self.expect_not_3xx(code)?;
                self.state = State::Ready;
                Ok(Event::Reset(reply))
            }
            State::Other => {
                self.expect_not_3xx(code)?;
                self.state = State::Ready;
                Ok(Event::Reply(reply))
            }
            State::Quit { sent: true } => {
                self.close();
                Ok(Event::Closed(reply))
            }
            _ => Err(self.protocol(ProtocolError::Unsolicited(code))),
        }
    }

    /// A 3yz where none belongs (RPL-09: 354 to anything but DATA).
    pub(crate) fn expect_not_3xx(&mut self, code: ReplyCode) -> Result<(), ClientError> {
        if code.first_digit() == 3 {
            Err(self.protocol(ProtocolError::Unexpected(code)))
        } else {
            Ok(())
        }
    }

    /// RFC 5321 §3.1, RPL-09: 220 goes on, 554 means QUIT and nothing else.
    fn on_greeting<'a>(&mut self, reply: Reply<'a>) -> Result<Event<'a>, ClientError> {
        match reply.code().get() {
            220 => {
                self.state = State::Hello {
                    verb: self.hello_verb(),
                    sent: false,
                };
                Ok(Event::Greeting(reply))
            }
            554 => {
                self.state = State::Quit { sent: false };
                Ok(Event::Refused(reply))
            }
            _ => Err(self.protocol(ProtocolError::Unexpected(reply.code()))),
        }
    }

    /// Folds the EHLO reply one complete line at a time, so a reply of any
    /// length works in bounded memory (RES-08).
    fn feed_hello<'a>(
        &mut self,
        verb: HelloVerb,
        input: &'a [u8],
    ) -> Result<(usize, Event<'a>), ClientError> {
        let max = self.config.reply_limits.max_line;
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let window = rest.get(..max).unwrap_or(rest);
            let Some(lf) = memchr(b'\n', window) else {
                if rest.len() >= max {
                    return Err(self.protocol(ProtocolError::Reply(ReplyError::LineTooLong)));
                }
                return Ok((pos, Event::NeedMore));
            };
            let Some(content) = lf
                .checked_sub(1)
                .filter(|&cr| rest.get(cr) == Some(&b'\r'))
                .and_then(|cr| rest.get(..cr))
            else {
                return Err(self.protocol(ProtocolError::Reply(ReplyError::BareLineEnding)));
            };
            let line = match ReplyLine::parse(content) {
                Ok(l) => l,
                Err(e) => return Err(self.protocol(ProtocolError::Reply(e))),
            };
            pos += lf + 1;
            match self.hello_code {
                Some(c) if c != line.code => {
                    return Err(self.protocol(ProtocolError::Reply(ReplyError::CodeMismatch)));
                }
                _ => self.hello_code = Some(line.code),
            }
            if self.hello_lines > 0 && line.code == ReplyCode::OK {
                self.caps.add_line(line.text);
            }
            self.hello_lines = self.hello_lines.saturating_add(1);
            if line.last {
                let event = self.on_hello(verb, line)?;
                return Ok((pos, event));
            }
        }
    }

    fn on_hello<'a>(
        &mut self,
        verb: HelloVerb,
        line: ReplyLine<'a>,
    ) -> Result<Event<'a>, ClientError> {
        self.hello_code = None;
        self.hello_lines = 0;
        let code = line.code;
        match code.first_digit() {
            2 => {
                self.extended = verb != HelloVerb::Helo;
                if !self.extended {
                    self.caps = crate::Capabilities::new();
                }
                if self.tls {
                    // RFC 3207 §4.2; TLS-12: never a second STARTTLS.
                    self.caps.remove(Extension::StartTls);
                }
                self.after_hello();
            }
            3 => return Err(self.protocol(ProtocolError::Unexpected(code))),
            _ if code.get() == 421 => self.close(),
            _ if verb == HelloVerb::Ehlo && matches!(code.get(), 500 | 502) => {
                self.state = State::Hello {
                    verb: HelloVerb::Helo,
                    sent: false,
                };
            }
            _ => self.state = State::Quit { sent: false },
        }
        Ok(Event::Hello(line))
    }

    /// After a successful EHLO/HELO: STARTTLS, AUTH or ready (rule D6).
    fn after_hello(&mut self) {
        if !self.tls {
            let offered = self.extended && self.caps.has(Extension::StartTls);
            match self.config.tls {
                TlsPolicy::Required if !offered => {
                    return self.fail(ClientError::TlsUnavailable);
                }
                TlsPolicy::Required | TlsPolicy::Opportunistic if offered => {
                    self.state = State::StartTls { sent: false };
                    return;
                }
                _ => {}
            }
        }
        self.start_auth();
    }

    /// AUTH if credentials are configured, else ready. Mechanism order:
    /// XOAUTH2 for a token; PLAIN, then LOGIN for a password.
    fn start_auth(&mut self) {
        let Some(creds) = self.config.auth else {
            self.state = State::Ready;
            return;
        };
        let offered = self.caps.auth();
        let mech = match creds {
            AuthConfig::XOAuth2 { .. } => offered
                .contains(AuthMechanism::XOAuth2)
                .then_some(Mech::XOAuth2),
            AuthConfig::Password { .. } if offered.contains(AuthMechanism::Plain) => {
                Some(Mech::Plain)
            }
            AuthConfig::Password { .. } => offered
                .contains(AuthMechanism::Login)
                .then_some(Mech::Login),
        };
        let secure = self.tls || self.config.allow_plaintext_auth;
        match mech {
            Some(mech) if secure && self.extended => {
                self.state = State::Auth(AuthState {
                    mech,
                    step: AuthStep::Start,
                    round: 0,
                    sent: false,
                    ir: false,
                });
            }
            _ => self.fail(ClientError::AuthUnavailable),
        }
    }

    /// RFC 3207 §4, rule D6, TLS-11.
    fn on_starttls<'a>(
        &mut self,
        reply: Reply<'a>,
        trailing: bool,
    ) -> Result<Event<'a>, ClientError> {
        let code = reply.code();
        match code.first_digit() {
            2 if code.get() == 220 => {
                if trailing {
                    return Err(self.protocol(ProtocolError::AfterStartTls));
                }
                self.state = State::Handshake;
                Ok(Event::StartTls)
            }
            2 | 3 => Err(self.protocol(ProtocolError::Unexpected(code))),
            _ => {
                if self.config.tls == TlsPolicy::Required {
                    self.fail(ClientError::TlsUnavailable);
                } else {
                    self.start_auth();
                }
                Ok(Event::TlsRefused(reply))
            }
        }
    }

    /// RFC 4954 §4: 334 → next response (or `*`), 235 → done, else failed.
    fn on_auth<'a>(
        &mut self,
        mut a: AuthState,
        reply: Reply<'a>,
    ) -> Result<Event<'a>, ClientError> {
        let code = reply.code();
        if code.get() == 334 {
            if a.step == AuthStep::Cancel {
                return Err(self.protocol(ProtocolError::Auth));
            }
            a.round = a.round.saturating_add(1);
            let valid = reply.line_count() == 1 && sasl::check_base64(reply.text()).is_ok();
            let first = !a.ir && a.round == 1;
            a.step = if a.round > self.config.max_auth_rounds {
                AuthStep::Cancel
            } else {
                match a.mech {
                    _ if !valid && a.mech != Mech::XOAuth2 => AuthStep::Cancel,
                    Mech::Plain if first => AuthStep::Response,
                    Mech::Login if a.round <= 2 => AuthStep::Response,
                    Mech::XOAuth2 if first => AuthStep::Response,
                    // The error challenge (base64 JSON): an empty answer.
                    Mech::XOAuth2 if a.round == 1 + u8::from(!a.ir) => AuthStep::Empty,
                    _ => AuthStep::Cancel,
                }
            };
            a.sent = false;
            self.state = State::Auth(a);
            return Ok(Event::AuthChallenge(reply));
        }
        match code.first_digit() {
            2 => {
                self.authenticated = true;
                self.state = State::Ready;
                Ok(Event::Authenticated(reply))
            }
            3 => Err(self.protocol(ProtocolError::Unexpected(code))),
            _ => {
                self.state = State::Ready;
                Ok(Event::AuthFailed(reply))
            }
        }
    }

    /// Writes the next line of the AUTH exchange.
    fn write_auth(
        &mut self,
        mut a: AuthState,
        out: &mut [u8],
        pos: &mut usize,
    ) -> Result<(), ClientError> {
        let creds = self.config.auth.ok_or(ClientError::State)?;
        let name = match a.mech {
            Mech::Plain => "PLAIN",
            Mech::Login => "LOGIN",
            Mech::XOAuth2 => "XOAUTH2",
        };
        // The length of the credentials' base64, when this step sends them.
        let response_len = match (creds, a.mech, a.round) {
            (
                AuthConfig::Password {
                    authzid,
                    user,
                    password,
                },
                Mech::Plain,
                _,
            ) => b64_len(authzid.len() + user.len() + password.len() + 2),
            (AuthConfig::Password { user, .. }, Mech::Login, 1) => b64_len(user.len()),
            (AuthConfig::Password { password, .. }, Mech::Login, _) => b64_len(password.len()),
            (AuthConfig::XOAuth2 { user, token }, _, _) => {
                b64_len(user.len() + token.len() + b"user=\x01auth=Bearer \x01\x01".len())
            }
            _ => 0,
        };
        let ir_line = 6 + name.len() + 1 + response_len + 2;
        let with_ir = a.mech != Mech::Login && ir_line <= AUTH_LINE_MAX;
        let written = match a.step {
            AuthStep::Start => put(out, pos, |w| {
                w.put_str("AUTH ");
                w.put_str(name);
                if with_ir {
                    w.put_byte(b' ');
                    reserve(w, response_len);
                }
                w.put(b"\r\n");
                Ok(())
            })?,
            AuthStep::Response => put(out, pos, |w| {
                reserve(w, response_len);
                w.put(b"\r\n");
                Ok(())
            })?,
            AuthStep::Empty => put(out, pos, |w| {
                w.put(b"\r\n");
                Ok(())
            })?,
            AuthStep::Cancel => put(out, pos, |w| {
                w.put(b"*\r\n");
                Ok(())
            })?,
        };
        if !written {
            return Ok(());
        }
        // Fill the reserved room with the base64 response.
        let sends_response = a.step == AuthStep::Response || (a.step == AuthStep::Start && with_ir);
        if sends_response {
            let end = *pos - 2;
            let start = end - response_len;
            let room = out.get_mut(start..end).unwrap_or_default();
            let r = match (creds, a.mech, a.round) {
                (
                    AuthConfig::Password {
                        authzid,
                        user,
                        password,
                    },
                    Mech::Plain,
                    _,
                ) => sasl::plain_response(authzid, user, password, room),
                (AuthConfig::Password { user, .. }, Mech::Login, 1) => {
                    sasl::login_response(user, room)
                }
                (AuthConfig::Password { password, .. }, _, _) => {
                    sasl::login_response(password, room)
                }
                (AuthConfig::XOAuth2 { user, token }, _, _) => {
                    sasl::xoauth2_response(user, token, room)
                }
            };
            if r != Ok(response_len) {
                // Credentials were checked at configuration time.
                *pos = 0;
                self.close();
                return Err(ClientError::Config(super::ConfigError::Credentials));
            }
        }
        if a.step == AuthStep::Start {
            a.ir = with_ir;
        }
        a.sent = true;
        self.state = State::Auth(a);
        Ok(())
    }
}

/// Reserves `n` bytes (filled in afterwards).
fn reserve(w: &mut Writer<'_>, n: usize) {
    for _ in 0..n {
        w.put_byte(b'=');
    }
}
