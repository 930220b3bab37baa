//! The arguments of each verb (RFC 5321 §4.1.1, RFC 3030 §2, RFC 4954 §4):
//! what follows the verb on a command line, read into a [`Command`].

use nom::{
    IResult, Parser,
    bytes::complete::{tag_no_case, take_while_m_n, take_while1},
    character::complete::{char, digit1},
    combinator::{all_consuming, opt},
    sequence::preceded,
};

use super::super::address::{AddressError, ForwardPath, Mailbox, ReversePath, fast_path};
use super::super::domain::{Host, fast_host};
use super::super::params::{MailParameters, RcptParameters, eq_upper};
use super::super::{Invalid, ParseOptions, check_text};
use super::{Command, CommandError, CommandErrorKind, InitialResponse, Verb};

type Res<'a, T> = IResult<&'a str, T, nom::error::Error<&'a str>>;

/// `rest` is what follows the verb: empty, or starting with a space. Errors
/// carry the verb already, so that the caller returns this result as it is
/// (no copy of the command from one `Result` into another).
#[inline]
pub(super) fn parse_arguments<'a>(
    verb: Verb,
    rest: &'a str,
    opts: ParseOptions,
) -> Result<Command<'a>, CommandError> {
    let e = |kind| CommandError {
        verb: Some(verb),
        kind,
    };
    let syntax = || e(CommandErrorKind::Syntax);
    let lenient = opts.is_lenient();
    // Arguments after the single SP that separates them from the verb.
    let arg = rest.strip_prefix(' ');
    let bare = rest.is_empty() || (lenient && rest.bytes().all(|b| b == b' '));
    let no_args = |c: Command<'a>| if bare { Ok(c) } else { Err(syntax()) };
    match verb {
        Verb::Ehlo | Verb::Helo | Verb::Lhlo => {
            let host = hello_argument(arg.ok_or_else(syntax)?, lenient).map_err(e)?;
            Ok(match verb {
                Verb::Ehlo => Command::Ehlo(host),
                Verb::Helo => Command::Helo(host),
                _ => Command::Lhlo(host),
            })
        }
        Verb::Mail => {
            let after = path_start(rest, Keyword::From, lenient).map_err(e)?;
            let address = |a| e(CommandErrorKind::Address(a));
            // The fast path inline (the hot path of command parsing), then
            // the grammar alone: a miss tries the fast path once.
            let (from, params) = if after.starts_with('<') {
                match fast_path(after) {
                    Some((rest, m)) => (ReversePath::Mailbox(m), rest),
                    None => {
                        ReversePath::parse_prefix_by_grammar(after, opts.utf8).map_err(address)?
                    }
                }
            } else if lenient {
                let (m, rest) = Mailbox::parse_prefix(after, opts.utf8).map_err(address)?;
                (ReversePath::Mailbox(m), rest)
            } else {
                return Err(address(AddressError::Syntax));
            };
            let parsed = if params.is_empty() {
                Ok(MailParameters::default())
            } else {
                MailParameters::parse(params, opts)
            };
            match parsed {
                Ok(params) => Ok(Command::Mail { from, params }),
                Err(p) => Err(e(CommandErrorKind::Parameter(p))),
            }
        }
        Verb::Rcpt => {
            let after = path_start(rest, Keyword::To, lenient).map_err(e)?;
            let address = |a| e(CommandErrorKind::Address(a));
            let (to, params) = if after.starts_with('<') {
                match fast_path(after) {
                    Some((rest, m)) => (ForwardPath::Mailbox(m), rest),
                    None => {
                        ForwardPath::parse_prefix_by_grammar(after, opts.utf8).map_err(address)?
                    }
                }
            } else if lenient {
                let (m, rest) = Mailbox::parse_prefix(after, opts.utf8).map_err(address)?;
                (ForwardPath::Mailbox(m), rest)
            } else {
                return Err(address(AddressError::Syntax));
            };
            let parsed = if params.is_empty() {
                Ok(RcptParameters::default())
            } else {
                RcptParameters::parse(params, opts)
            };
            match parsed {
                Ok(params) => Ok(Command::Rcpt { to, params }),
                Err(p) => Err(e(CommandErrorKind::Parameter(p))),
            }
        }
        Verb::Data => no_args(Command::Data),
        Verb::Rset => no_args(Command::Rset),
        Verb::Quit => no_args(Command::Quit),
        Verb::StartTls => no_args(Command::StartTls),
        Verb::Bdat => bdat_arguments(arg.ok_or_else(syntax)?, lenient).map_err(e),
        Verb::Vrfy | Verb::Expn => {
            let s = string_argument(arg, lenient).ok_or_else(syntax)?;
            Ok(if verb == Verb::Vrfy {
                Command::Vrfy(s)
            } else {
                Command::Expn(s)
            })
        }
        Verb::Help | Verb::Noop => {
            let s = if bare {
                None
            } else {
                Some(string_argument(arg, lenient).ok_or_else(syntax)?)
            };
            Ok(if verb == Verb::Help {
                Command::Help(s)
            } else {
                Command::Noop(s)
            })
        }
        Verb::Auth => auth_arguments(arg.ok_or_else(syntax)?, lenient).map_err(e),
    }
}

/// The EHLO/HELO/LHLO argument: a Domain or an address literal (always
/// ASCII: RFC 6531 §3.7.1). Lenient mode ignores text after the domain.
#[inline]
fn hello_argument(arg: &str, lenient: bool) -> Result<Host<'_>, CommandErrorKind> {
    let arg = if lenient {
        arg.trim_start_matches(' ')
    } else {
        arg
    };
    let host = match lenient.then(|| memchr::memchr(b' ', arg.as_bytes())) {
        Some(Some(sp)) => arg.get(..sp).unwrap_or_default(),
        _ => arg,
    };
    if host.is_empty() {
        return Err(CommandErrorKind::Syntax);
    }
    match fast_host(host) {
        Some((h, _, "")) => Ok(h),
        _ => Host::parse(host, false).map_err(|_| CommandErrorKind::Syntax),
    }
}

/// The keyword after MAIL or RCPT.
#[derive(Clone, Copy)]
enum Keyword {
    /// `FROM:`
    From,
    /// `TO:`
    To,
}

/// Checks ` FROM:` / ` TO:` (case-insensitive, RFC 5321 §3.3: no space around
/// the colon) and returns the text where the path starts. Lenient mode allows
/// spaces after the colon.
#[inline]
fn path_start(rest: &str, keyword: Keyword, lenient: bool) -> Result<&str, CommandErrorKind> {
    // SP then the keyword, ASCII case-insensitively: what
    // `preceded(char(' '), tag_no_case(keyword))` reads, without its
    // per-character Unicode case folding (no character lower-cases to a
    // letter of FROM or TO but those letters themselves).
    let head = rest.as_bytes();
    let n = match keyword {
        Keyword::From if eq_upper(head.get(..6).unwrap_or_default(), b" FROM:") => 6,
        Keyword::To if eq_upper(head.get(..4).unwrap_or_default(), b" TO:") => 4,
        _ => return Err(CommandErrorKind::Syntax),
    };
    let after = rest.get(n..).ok_or(CommandErrorKind::Syntax)?;
    let after = if lenient {
        after.trim_start_matches(' ')
    } else {
        after
    };
    if after.is_empty() {
        return Err(CommandErrorKind::Syntax);
    }
    Ok(after)
}

/// `chunk-size [ SP end-marker ]`
fn bdat_arguments(arg: &str, lenient: bool) -> Result<Command<'static>, CommandErrorKind> {
    let arg = if lenient {
        arg.trim_end_matches(' ')
    } else {
        arg
    };
    let r: Res<'_, (&str, Option<&str>)> =
        all_consuming((digit1, opt(preceded(char(' '), tag_no_case("LAST"))))).parse(arg);
    let (_, (digits, last)) = r.map_err(|_| CommandErrorKind::Syntax)?;
    let size = digits
        .parse::<u64>()
        .map_err(|_| CommandErrorKind::Syntax)?;
    Ok(Command::Bdat {
        size,
        last: last.is_some(),
    })
}

/// `sasl-mech [SP initial-response]`
fn auth_arguments(arg: &str, lenient: bool) -> Result<Command<'_>, CommandErrorKind> {
    let arg = if lenient {
        arg.trim_end_matches(' ')
    } else {
        arg
    };
    let r: Res<'_, (&str, Option<&str>)> = all_consuming((
        take_while_m_n(1, 20, |c: char| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        }),
        opt(preceded(
            char(' '),
            take_while1(|c: char| c.is_ascii_alphanumeric() || "+/=".contains(c)),
        )),
    ))
    .parse(arg);
    let (_, (mechanism, initial)) = r.map_err(|_| CommandErrorKind::Syntax)?;
    let initial = match initial {
        None => None,
        Some("=") => Some(InitialResponse::Empty),
        Some(b) if is_base64(b) => Some(InitialResponse::Base64(b)),
        Some(_) => return Err(CommandErrorKind::Syntax),
    };
    Ok(Command::Auth { mechanism, initial })
}

/// The `String` argument of VRFY/EXPN/HELP/NOOP: any printable text (no
/// control byte); must not be empty.
fn string_argument(arg: Option<&str>, lenient: bool) -> Option<&str> {
    let s = arg?;
    let s = if lenient { s.trim_matches(' ') } else { s };
    check_argument(s).is_ok().then_some(s)
}

pub(super) fn check_argument(s: &str) -> Result<(), Invalid> {
    if s.is_empty() || s.starts_with(' ') {
        return Err(Invalid::Argument);
    }
    check_text(s.as_bytes())
}

/// `sasl-mech = 1*20mech-char`, `mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE`
/// (lower case is accepted too, as servers compare case-insensitively).
pub(super) fn is_mechanism(s: &str) -> bool {
    (1..=20).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Strict base64 shape (RFC 4648 §4): groups of four, padding only at the end.
pub(super) fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_shape() {
        for ok in ["dGVzdAB0ZXN0ADEyMzQ=", "AAAA", "AA==", "+/+/"] {
            assert!(is_base64(ok), "{ok}");
        }
        for bad in ["", "A", "AAA", "A===", "AA=A", "AA AA", "====", "AA-_"] {
            assert!(!is_base64(bad), "{bad}");
        }
    }
}
