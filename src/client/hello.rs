//! The opening phases: the greeting (RFC 5321 §3.1), EHLO/HELO/LHLO with
//! its reply folded line by line (§4.1.1.1; RES-08), and STARTTLS (RFC 3207;
//! rule D6). Each function reads a reply and returns an [`Outcome`]; what
//! comes after a positive EHLO reply is [`after_hello`].

use crate::syntax::{Extension, Reply, ReplyLine};

use super::auth;
use super::config::{ClientConfig, TlsPolicy};
use super::error::{ClientError, ProtocolError};
use super::event::Event;
use super::outcome::{Change, Outcome};
use super::state::{HelloPhase, HelloVerb, Session, State, Turn};

/// The greeting command of this configuration.
pub(super) fn verb(config: &ClientConfig<'_>) -> HelloVerb {
    if config.is_lmtp() {
        HelloVerb::Lhlo
    } else {
        HelloVerb::Ehlo
    }
}

/// RFC 5321 §3.1, RPL-09: 220 goes on, 554 means QUIT and nothing else.
pub(super) fn on_greeting<'a>(
    config: &ClientConfig<'_>,
    reply: Reply<'a>,
) -> Result<Outcome<'a>, ProtocolError> {
    match reply.code().get() {
        220 => Ok(Outcome::new(
            Event::Greeting(reply),
            Change::To(State::Hello(HelloPhase::due(verb(config)))),
        )),
        554 => Ok(Outcome::new(
            Event::Refused(reply),
            Change::To(State::Quit(Turn::Due)),
        )),
        _ => Err(ProtocolError::Unexpected(reply.code())),
    }
}

/// The last line of the reply to EHLO, HELO or LHLO.
pub(super) fn on_hello<'a>(
    phase: &HelloPhase,
    line: ReplyLine<'a>,
) -> Result<Outcome<'a>, ProtocolError> {
    let (verb, code) = (phase.verb, line.code);
    let change = match code.first_digit() {
        2 => Change::Greeted {
            extended: verb != HelloVerb::Helo,
            caps: phase.caps,
            auth_line: phase.auth_line,
        },
        3 => return Err(ProtocolError::Unexpected(code)),
        _ if code.get() == 421 => Change::Close,
        _ if verb == HelloVerb::Ehlo && matches!(code.get(), 500 | 502) => {
            Change::To(State::Hello(HelloPhase::due(HelloVerb::Helo)))
        }
        _ => Change::To(State::Quit(Turn::Due)),
    };
    Ok(Outcome::new(Event::Hello(line), change))
}

/// After a positive EHLO/HELO reply: STARTTLS, AUTH or ready (rule D6;
/// TLS-10). `Err` is a policy failure: QUIT is due.
pub(super) fn after_hello(
    config: &ClientConfig<'_>,
    session: &Session,
) -> Result<State, ClientError> {
    if !session.tls {
        let offered = session.extended && session.caps.has(Extension::StartTls);
        match config.tls {
            TlsPolicy::Required if !offered => return Err(ClientError::TlsUnavailable),
            TlsPolicy::Required | TlsPolicy::Opportunistic if offered => {
                return Ok(State::StartTls(Turn::Due));
            }
            _ => {}
        }
    }
    auth::start(config, session)
}

/// RFC 3207 §4, rule D6, TLS-11: only 220 starts TLS. Bytes after the 220
/// are flagged by the next `feed` (which the caller makes, as it feeds
/// until `NeedInput`), so the outcome does not depend on how the input was
/// split.
pub(super) fn on_starttls<'a>(
    config: &ClientConfig<'_>,
    reply: Reply<'a>,
) -> Result<Outcome<'a>, ProtocolError> {
    let code = reply.code();
    match code.first_digit() {
        2 if code.get() == 220 => Ok(Outcome::new(Event::StartTls, Change::To(State::Handshake))),
        2 | 3 => Err(ProtocolError::Unexpected(code)),
        _ => {
            let change = if config.tls == TlsPolicy::Required {
                Change::Fail(ClientError::TlsUnavailable)
            } else {
                Change::StartAuth
            };
            Ok(Outcome::new(Event::TlsRefused(reply), change))
        }
    }
}
