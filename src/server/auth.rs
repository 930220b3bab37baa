//! The AUTH exchange (RFC 4954 §4): PLAIN and XOAUTH2 (one response, as an
//! initial response or after `334 `), LOGIN (user name, then password). The
//! engine checks the shape (strict base64 via `sasl::check_base64`, `*` to
//! cancel, the 12288-octet line limit) and hands the still-encoded
//! [`Credentials`] to the application, which decodes and checks them.
//!
//! LOGIN: so that [`Credentials::Login`] can borrow both responses from the
//! input, the user-name line (or the `AUTH LOGIN <initial-response>` line) is
//! left unconsumed until the password line has arrived: the caller's
//! receive buffer must hold both (see [`Server::input_room`]).

use crate::sasl::{Credentials, LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, check_base64};
use crate::syntax::{AuthMechanism, InitialResponse, ReplyCode};
use crate::wire::line::{AUTH_LINE_MAX, LineEvent};

use super::error::ServerError;
use super::event::Event;
use super::replies as r;
use super::session::{Flow, Hello, Io, Pending, Server, State};

/// Where an AUTH exchange is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum AuthStage {
    /// `334 ` was sent for PLAIN or XOAUTH2; the response line follows.
    Response(AuthMechanism),
    /// `334 VXNlcm5hbWU6` was sent.
    LoginUser,
    /// `334 UGFzc3dvcmQ6` was sent. The first `held` input bytes are kept
    /// unconsumed; the user name is `user_len` bytes at `user_at` in them.
    LoginPassword {
        held: u32,
        user_at: u32,
        user_len: u32,
    },
}

fn credentials(mech: AuthMechanism, response: &str) -> Credentials<'_> {
    if mech == AuthMechanism::XOAuth2 {
        Credentials::XOAuth2 { response }
    } else {
        Credentials::Plain { response }
    }
}

/// The text of a line already known to be base64 (hence ASCII).
fn ascii(line: &[u8]) -> &str {
    core::str::from_utf8(line).unwrap_or_default()
}

impl Server<'_> {
    /// `AUTH mechanism [initial-response]`.
    pub(super) fn auth_command<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        start: usize,
        line: &'a [u8],
        mechanism: &'a str,
        initial: Option<InitialResponse<'a>>,
    ) -> Result<Flow<'a>, ServerError> {
        if self.config.auth.is_empty() {
            return self.error(io, r::NOT_IMPLEMENTED);
        }
        if self.hello != Hello::Ehlo {
            return self.error(io, r::SEND_HELLO_FIRST);
        }
        if self.authenticated {
            return self.error(io, r::AUTH_AGAIN);
        }
        if self.tx.mail {
            return self.error(io, r::AUTH_IN_TX);
        }
        if self.auth_failures >= self.config.limits.auth_failures {
            self.put(io, r::AUTH_TOO_MANY)?;
            return Ok(self.close());
        }
        let Some(mech) = AuthMechanism::from_name(mechanism.as_bytes())
            .filter(|m| self.config.auth.contains(*m))
        else {
            return self.error(io, r::AUTH_MECHANISM);
        };
        if !self.auth_offered() {
            return self.error(io, r::AUTH_NEEDS_TLS);
        }
        let ir = match initial {
            None => None,
            Some(InitialResponse::Empty) => Some(""),
            Some(InitialResponse::Base64(b)) => {
                if check_base64(b.as_bytes()).is_err() {
                    return self.auth_failed(io, r::AUTH_BASE64);
                }
                Some(b)
            }
        };
        match (mech, ir) {
            (AuthMechanism::Login, None) => {
                self.challenge(io, LOGIN_USERNAME_CHALLENGE)?;
                self.state = State::Auth(AuthStage::LoginUser);
                Ok(Flow::Return(Event::Flush))
            }
            (AuthMechanism::Login, Some(user)) => {
                // Keep the AUTH line; the user name is its last word.
                let held = io.pos - start;
                // The response is a slice of `line`: its offset in it.
                let user_at = (user.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
                let user_at = if user.is_empty() || user_at > line.len() {
                    0
                } else {
                    user_at
                };
                self.hold_for_password(io, start, held, user_at, user.len())
            }
            (_, None) => {
                self.challenge(io, "")?;
                self.state = State::Auth(AuthStage::Response(mech));
                Ok(Flow::Return(Event::Flush))
            }
            (_, Some(response)) => {
                self.pending = Some(Pending::Auth);
                Ok(Flow::Return(Event::Auth(credentials(mech, response))))
            }
        }
    }

    /// `334 <challenge>` (with the trailing space when it is empty).
    fn challenge(&self, io: &mut Io<'_, '_>, text: &str) -> Result<(), ServerError> {
        self.put_parts(io, ReplyCode::AUTH_CONTINUE, None, &[text])
    }

    /// Leaves `held` bytes from `start` unconsumed and asks for the password.
    fn hold_for_password<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        start: usize,
        held: usize,
        user_at: usize,
        user_len: usize,
    ) -> Result<Flow<'a>, ServerError> {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        self.challenge(io, LOGIN_PASSWORD_CHALLENGE)?;
        io.pos = start;
        self.state = State::Auth(AuthStage::LoginPassword {
            held: n(held),
            user_at: n(user_at),
            user_len: n(user_len),
        });
        Ok(Flow::Return(Event::Flush))
    }

    /// A failed exchange: the reply, one more failure, back to commands.
    fn auth_failed<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        c: r::Canned,
    ) -> Result<Flow<'a>, ServerError> {
        self.state = State::Command;
        self.auth_failures = self.auth_failures.saturating_add(1);
        self.error(io, c)
    }

    pub(super) fn auth_step<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        stage: AuthStage,
    ) -> Result<Flow<'a>, ServerError> {
        let base = io.pos;
        let (skip, user) = match stage {
            AuthStage::LoginPassword {
                held,
                user_at,
                user_len,
            } => {
                let (held, at, len) = (held as usize, user_at as usize, user_len as usize);
                let Some(user) = io
                    .rest()
                    .get(at..at + len)
                    .filter(|_| io.rest().len() >= held)
                else {
                    return Ok(Flow::Return(Event::NeedInput));
                };
                (held, ascii(user))
            }
            _ => (0, ""),
        };
        let rest = io.rest().get(skip..).unwrap_or_default();
        let (n, ev) = self.framer.next_line(rest, AUTH_LINE_MAX);
        if n == 0 {
            return Ok(Flow::Return(Event::NeedInput));
        }
        let end = base + skip + n;
        let line = match ev {
            None => {
                io.pos = end;
                self.state = State::Command;
                return Ok(Flow::Continue);
            }
            Some(LineEvent::TooLong) => {
                io.pos = end;
                return self.auth_failed(io, r::AUTH_TOO_LONG);
            }
            Some(LineEvent::BareLineEnding) => {
                io.pos = end;
                return self.bare_line(io);
            }
            Some(LineEvent::Line(line)) => line,
        };
        if line == b"*" {
            io.pos = end;
            return self.auth_failed(io, r::AUTH_CANCELLED);
        }
        if check_base64(line).is_err() {
            io.pos = end;
            return self.auth_failed(io, r::AUTH_BASE64);
        }
        match stage {
            AuthStage::LoginUser => self.hold_for_password(io, base, n, 0, line.len()),
            AuthStage::Response(mech) => {
                io.pos = end;
                self.state = State::Command;
                self.pending = Some(Pending::Auth);
                Ok(Flow::Return(Event::Auth(credentials(mech, ascii(line)))))
            }
            AuthStage::LoginPassword { .. } => {
                io.pos = end;
                self.state = State::Command;
                self.pending = Some(Pending::Auth);
                Ok(Flow::Return(Event::Auth(Credentials::Login {
                    username: user,
                    password: ascii(line),
                })))
            }
        }
    }
}
