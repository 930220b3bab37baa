//! The AUTH command and exchange (RFC 4954 §4): PLAIN and XOAUTH2 (one
//! response, as an initial response or after `334 `), LOGIN (user name,
//! then password). The engine checks the shape (strict base64 via
//! `sasl::check_base64`, `*` to cancel, the 12288-octet line limit) and
//! hands the still-encoded [`Credentials`] to the application, which decodes
//! and checks them.
//!
//! LOGIN: so that [`Credentials::Login`] can borrow both responses from the
//! input, the user-name line (or the `AUTH LOGIN <initial-response>` line) is
//! left unconsumed until the password line has arrived: the caller's
//! receive buffer must hold both (see
//! [`Server::input_room`](super::Server::input_room)).

use crate::sasl::{Credentials, LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, check_base64};
use crate::syntax::{AuthMechanism, InitialResponse};
use crate::wire::line::{AUTH_LINE_MAX, LineEvent, LineFramer};

use super::event::Event;
use super::outcome::{Change, Outcome};
use super::replies::{self as r, Canned};
use super::say::Say;
use super::state::{AuthStage, Hello, Pending};
use super::view::View;

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

/// A failed exchange: the reply, one more failure, back to commands.
fn failed<'a>(consumed: usize, reply: Canned) -> Outcome<'a> {
    Outcome::go(consumed, Change::AuthFailed).say(Say::Canned(reply))
}

/// Asks for the password, keeping the first `held` input bytes (the line
/// with the user name, `user_len` octets at `user_at`) unconsumed.
fn ask_password<'a>(held: usize, user_at: usize, user_len: usize) -> Outcome<'a> {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let stage = AuthStage::LoginPassword {
        held: n(held),
        user_at: n(user_at),
        user_len: n(user_len),
    };
    Outcome::go(0, Change::Auth(stage))
        .say(Say::Challenge(LOGIN_PASSWORD_CHALLENGE))
        .report(Event::Flush)
}

/// The credentials are complete: the application decides.
fn decide(consumed: usize, credentials: Credentials<'_>) -> Outcome<'_> {
    Outcome::go(consumed, Change::Ask(Pending::Auth)).report(Event::Auth(credentials))
}

/// `AUTH mechanism [initial-response]`, a line of `len` octets.
pub(super) fn command<'a>(
    v: View<'_, '_>,
    len: usize,
    line: &'a [u8],
    mechanism: &'a str,
    initial: Option<InitialResponse<'a>>,
) -> Outcome<'a> {
    let (c, s) = (v.config, v.session);
    if c.auth.is_empty() {
        return Outcome::refuse(len, r::NOT_IMPLEMENTED);
    }
    if s.hello != Hello::Ehlo {
        return Outcome::refuse(len, r::SEND_HELLO_FIRST);
    }
    if s.authenticated {
        return Outcome::refuse(len, r::AUTH_AGAIN);
    }
    if s.tx.mail().is_some() {
        return Outcome::refuse(len, r::AUTH_IN_TX);
    }
    if s.spent.auth_failures >= c.limits.auth_failures {
        return Outcome::Close {
            consumed: len,
            reply: Say::Canned(r::AUTH_TOO_MANY),
        };
    }
    let Some(mech) = AuthMechanism::from_name(mechanism.as_bytes()).filter(|m| c.auth.contains(*m))
    else {
        return Outcome::refuse(len, r::AUTH_MECHANISM);
    };
    if !v.auth_offered() {
        return Outcome::refuse(len, r::AUTH_NEEDS_TLS);
    }
    let ir = match initial {
        None => None,
        Some(InitialResponse::Empty) => Some(""),
        Some(InitialResponse::Base64(b)) => {
            if check_base64(b.as_bytes()).is_err() {
                return failed(len, r::AUTH_BASE64);
            }
            Some(b)
        }
    };
    match (mech, ir) {
        (AuthMechanism::Login, None) => Outcome::go(len, Change::Auth(AuthStage::LoginUser))
            .say(Say::Challenge(LOGIN_USERNAME_CHALLENGE))
            .report(Event::Flush),
        (AuthMechanism::Login, Some(user)) => {
            // Keep the AUTH line; the user name is its last word, a slice of
            // `line`: its offset in it.
            let user_at = (user.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
            let user_at = if user.is_empty() || user_at > line.len() {
                0
            } else {
                user_at
            };
            ask_password(len, user_at, user.len())
        }
        (_, None) => Outcome::go(len, Change::Auth(AuthStage::Response(mech)))
            .say(Say::Challenge(""))
            .report(Event::Flush),
        (_, Some(response)) => decide(len, credentials(mech, response)),
    }
}

impl AuthStage {
    /// Takes the next response line from `input`.
    pub(super) fn step<'a>(
        self,
        framer: &mut LineFramer,
        v: View<'_, '_>,
        input: &'a [u8],
    ) -> Outcome<'a> {
        let (skip, user) = match self {
            AuthStage::LoginPassword {
                held,
                user_at,
                user_len,
            } => {
                let (held, at, len) = (held as usize, user_at as usize, user_len as usize);
                let Some(user) = input
                    .get(at..at.saturating_add(len))
                    .filter(|_| input.len() >= held)
                else {
                    return Outcome::NeedInput;
                };
                (held, ascii(user))
            }
            _ => (0, ""),
        };
        let rest = input.get(skip..).unwrap_or_default();
        let (n, ev) = framer.next_line(rest, AUTH_LINE_MAX);
        if n == 0 {
            return Outcome::NeedInput;
        }
        let end = skip + n;
        let line = match ev {
            None => return Outcome::go(end, Change::Command),
            Some(LineEvent::TooLong) => return failed(end, r::AUTH_TOO_LONG),
            Some(LineEvent::BareLineEnding) => {
                return Outcome::bare_line(v.config.bare_lf_reply, end);
            }
            Some(LineEvent::Line(line)) => line,
        };
        if line == b"*" {
            return failed(end, r::AUTH_CANCELLED);
        }
        if check_base64(line).is_err() {
            return failed(end, r::AUTH_BASE64);
        }
        match self {
            AuthStage::LoginUser => ask_password(n, 0, line.len()),
            AuthStage::Response(mech) => decide(end, credentials(mech, ascii(line))),
            AuthStage::LoginPassword { .. } => decide(
                end,
                Credentials::Login {
                    username: user,
                    password: ascii(line),
                },
            ),
        }
    }
}
