//! The AUTH phase (RFC 4954): which mechanism, the lines of the exchange,
//! and its replies. PLAIN (RFC 4616) and XOAUTH2 go with an initial
//! response when the line stays within 512 octets; LOGIN answers two
//! challenges; a bad or one-too-many challenge is answered `*` (AUT-10).

use crate::sasl;
use crate::syntax::{AuthMechanism, Invalid, Reply, WriteError, Writer};

use super::config::{AuthConfig, ClientConfig, ConfigError};
use super::error::{AuthUnavailable, ClientError, ProtocolError};
use super::event::Event;
use super::outcome::{Change, Outcome};
use super::state::{AuthPhase, AuthStep, Mech, Session, State, Turn};
use super::writer::put;

/// The longest AUTH command line that carries an initial response, CRLF
/// included (RFC 4954 §4: past it the response waits for a `334`).
const INITIAL_RESPONSE_LINE_MAX: usize = 512;

/// Base64 length of `n` octets.
const fn b64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// AUTH if credentials are configured, else ready. Mechanism order:
/// XOAUTH2 for a token; PLAIN, then LOGIN for a password. `Err` when the
/// credentials cannot be used: QUIT is due.
pub(super) fn start(config: &ClientConfig<'_>, session: &Session) -> Result<State, ClientError> {
    let Some(creds) = config.auth else {
        return Ok(State::Ready);
    };
    let offered = session.caps.auth();
    let mech = match creds {
        // Refused by `ClientConfig::validate` without the `xoauth2` feature.
        AuthConfig::XOAuth2 { .. } if !AuthMechanism::XOAuth2.is_built() => None,
        AuthConfig::XOAuth2 { .. } => offered
            .contains(AuthMechanism::XOAuth2)
            .then_some(Mech::XOAuth2),
        AuthConfig::Password { .. } if offered.contains(AuthMechanism::Plain) => Some(Mech::Plain),
        AuthConfig::Password { .. } => offered
            .contains(AuthMechanism::Login)
            .then_some(Mech::Login),
    };
    let why = match mech {
        _ if !session.extended || !session.auth_line => AuthUnavailable::NotOffered,
        None => AuthUnavailable::NoCommonMechanism,
        Some(_) if !(session.tls || config.allow_plaintext_auth) => AuthUnavailable::NotEncrypted,
        Some(mech) => {
            return Ok(State::Auth(AuthPhase {
                mech,
                step: AuthStep::Start,
                round: 0,
                turn: Turn::Due,
                ir: false,
            }));
        }
    };
    Err(ClientError::AuthUnavailable(why))
}

impl AuthPhase {
    /// RFC 4954 §4: 334 → the next response (or `*`), 235 → done, else
    /// failed.
    pub(super) fn on_reply<'a>(
        &mut self,
        config: &ClientConfig<'_>,
        reply: Reply<'a>,
    ) -> Result<Outcome<'a>, ProtocolError> {
        let code = reply.code();
        if code.get() == 334 {
            if self.step == AuthStep::Cancel {
                return Err(ProtocolError::Auth);
            }
            self.round = self.round.saturating_add(1);
            let valid = reply.line_count() == 1 && sasl::check_base64(reply.text()).is_ok();
            let first = !self.ir && self.round == 1;
            self.step = if self.round > config.max_auth_rounds {
                AuthStep::Cancel
            } else {
                match self.mech {
                    _ if !valid && self.mech != Mech::XOAuth2 => AuthStep::Cancel,
                    Mech::Plain if first => AuthStep::Response,
                    Mech::Login if self.round <= 2 => AuthStep::Response,
                    Mech::XOAuth2 if first => AuthStep::Response,
                    // The error challenge (base64 JSON): an empty answer.
                    Mech::XOAuth2 if self.round == 1 + u8::from(!self.ir) => AuthStep::Empty,
                    _ => AuthStep::Cancel,
                }
            };
            self.turn = Turn::Due;
            return Ok(Outcome::new(Event::AuthChallenge(reply), Change::Stay));
        }
        match code.first_digit() {
            2 => Ok(Outcome::new(
                Event::Authenticated(reply),
                Change::Authenticated,
            )),
            3 => Err(ProtocolError::Unexpected(code)),
            _ => Ok(Outcome::new(
                Event::AuthFailed(reply),
                Change::To(State::Ready),
            )),
        }
    }

    /// Writes the next line of the exchange at `out[*pos..]`, if it fits.
    pub(super) fn write(
        &mut self,
        creds: AuthConfig<'_>,
        out: &mut [u8],
        pos: &mut usize,
    ) -> Result<(), ClientError> {
        let name = match self.mech {
            Mech::Plain => "PLAIN",
            Mech::Login => "LOGIN",
            Mech::XOAuth2 => "XOAUTH2",
        };
        // The length of the credentials' base64, when this step sends them.
        let response_len = match (creds, self.mech, self.round) {
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
        let with_ir = self.mech != Mech::Login && ir_line <= INITIAL_RESPONSE_LINE_MAX;
        let written = match self.step {
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
        let sends_response =
            self.step == AuthStep::Response || (self.step == AuthStep::Start && with_ir);
        if sends_response {
            let end = pos.saturating_sub(2);
            let start = end.saturating_sub(response_len);
            let room = out.get_mut(start..end).unwrap_or_default();
            let r = match (creds, self.mech, self.round) {
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
                (AuthConfig::XOAuth2 { user, token }, _, _) if cfg!(feature = "xoauth2") => {
                    sasl::xoauth2_response(user, token, room)
                }
                // Not reached: `start` picks no mechanism for a token
                // without the `xoauth2` feature.
                (AuthConfig::XOAuth2 { .. }, _, _) => Err(WriteError::Invalid(Invalid::Argument)),
            };
            if r != Ok(response_len) {
                // Credentials were checked at configuration time.
                *pos = 0;
                return Err(ClientError::Config(ConfigError::Credentials));
            }
        }
        if self.step == AuthStep::Start {
            self.ir = with_ir;
        }
        self.turn = Turn::Sent;
        Ok(())
    }
}

/// Reserves `n` bytes (filled in afterwards).
fn reserve(w: &mut Writer<'_>, n: usize) {
    for _ in 0..n {
        w.put_byte(b'=');
    }
}
