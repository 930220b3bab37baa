//! Reply codes (RFC 5321 §4.2, §4.2.1) and enhanced status codes (RFC 3463):
//! their grammar, classes and the named values SMTP uses.

use core::fmt;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::{eof, value};

use crate::syntax::Writer;
use crate::syntax::grammar::ByteResult;

/// One digit in `lo..=hi`, as its value.
pub(super) fn digit<'a>(
    lo: u8,
    hi: u8,
) -> impl Parser<&'a [u8], Output = u16, Error = nom::error::Error<&'a [u8]>> {
    take_while_m_n(1, 1, move |b: u8| (lo..=hi).contains(&b))
        .map(|d: &[u8]| d.first().map_or(0, |b| u16::from(b - b'0')))
}

/// `1*3DIGIT` as its value.
#[cfg(test)]
pub(super) fn number_1_3(i: &[u8]) -> ByteResult<'_, u16> {
    take_while_m_n(1, 3, |b: u8| b.is_ascii_digit())
        .map(|d: &[u8]| d.iter().fold(0u16, |n, b| n * 10 + u16::from(b - b'0')))
        .parse(i)
}

/// `Reply-code = %x32-35 %x30-35 %x30-39`.
pub(super) fn reply_code(i: &[u8]) -> ByteResult<'_, ReplyCode> {
    (digit(b'2', b'5'), digit(b'0', b'5'), digit(b'0', b'9'))
        .map(|(a, b, c)| ReplyCode(a * 100 + b * 10 + c))
        .parse(i)
}

/// What follows the code: SP (last line), `-` (more follow) or nothing (last).
pub(super) fn separator(i: &[u8]) -> ByteResult<'_, bool> {
    alt((
        value(true, tag(&b" "[..])),
        value(false, tag(&b"-"[..])),
        value(true, eof),
    ))
    .parse(i)
}

/// `status-code = class "." subject "." detail`, then SP or the end: the
/// grammar [`fast_status_code`] implements, kept as its test oracle.
#[cfg(test)]
pub(super) fn status_code(i: &[u8]) -> ByteResult<'_, EnhancedCode> {
    let class = take_while_m_n(1, 1, |b: u8| matches!(b, b'2' | b'4' | b'5'));
    let (i, (class, _, subject, _, detail)) = (
        class,
        tag(&b"."[..]),
        number_1_3,
        tag(&b"."[..]),
        number_1_3,
    )
        .parse(i)?;
    let (i, _) = alt((tag(&b" "[..]), eof)).parse(i)?;
    let class = class.first().map_or(0, |b| b - b'0');
    Ok((i, EnhancedCode::c(class, subject, detail)))
}

/// `1*3DIGIT` at the start of `s` (greedy, as `number_1_3`), its value and
/// the rest.
#[inline]
fn fast_number_1_3(s: &[u8]) -> Option<(u16, &[u8])> {
    let mut n = 0u16;
    let mut len = 0usize;
    for &b in s.iter().take(3) {
        if !b.is_ascii_digit() {
            break;
        }
        n = n * 10 + u16::from(b - b'0');
        len += 1;
    }
    if len == 0 {
        return None;
    }
    Some((n, s.get(len..).unwrap_or_default()))
}

/// The same grammar as `status_code` (RFC 3463 §2: `status-code = class
/// "." subject "." detail`, then SP or the end), hand-written because it runs
/// on every reply; `tests::status_code_fast_path_matches_grammar` checks the
/// two agree.
pub(super) fn fast_status_code(s: &[u8]) -> Option<(EnhancedCode, &[u8])> {
    let (&class, rest) = s.split_first()?;
    if !matches!(class, b'2' | b'4' | b'5') {
        return None;
    }
    let rest = rest.strip_prefix(b".")?;
    let (subject, rest) = fast_number_1_3(rest)?;
    let rest = rest.strip_prefix(b".")?;
    let (detail, rest) = fast_number_1_3(rest)?;
    let rest = match rest.split_first() {
        None => rest,
        Some((b' ', after)) => after,
        Some(_) => return None,
    };
    Some((EnhancedCode::c(class - b'0', subject, detail), rest))
}

/// The head of a reply line, `Reply-code [ ( "-" / SP ) ]` (RFC 5321 §4.2),
/// as [`reply_code`] then [`separator`] read it: the code, whether this is
/// the last line, and the text. Hand-written for the hot path of
/// reply framing (`wire::reply`); `tests::line_head_fast_path_matches_grammar`
/// checks it.
#[inline]
pub(super) fn fast_line_head(line: &[u8]) -> Option<(ReplyCode, bool, &[u8])> {
    let [a, b, c, rest @ ..] = line else {
        return None;
    };
    if !matches!(a, b'2'..=b'5') || !matches!(b, b'0'..=b'5') || !c.is_ascii_digit() {
        return None;
    }
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    let (last, text) = match rest.split_first() {
        None => (true, rest),
        Some((b' ', t)) => (true, t),
        Some((b'-', t)) => (false, t),
        Some(_) => return None,
    };
    Some((ReplyCode(code), last, text))
}

/// Named constants of a `Copy` type, one line each: `NAME = value, "doc";`.
macro_rules! consts {
    ($ty:ident { $( $name:ident = $val:expr, $doc:literal; )* }) => {
        impl $ty { $( #[doc = $doc] pub const $name: $ty = $val; )* }
    };
}

/// The class of a reply, by its first digit (RFC 5321 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReplyClass {
    /// `2yz`: the action completed.
    PositiveCompletion,
    /// `3yz`: send more (354 after DATA, 334 during AUTH).
    PositiveIntermediate,
    /// `4yz`: failed this time; the same command may succeed later.
    TransientNegative,
    /// `5yz`: failed; do not repeat the same command.
    PermanentNegative,
}

/// A reply code: `Reply-code = %x32-35 %x30-35 %x30-39` (RFC 5321 §4.2).
///
/// Only the first digit carries meaning for a client (§4.2: unknown codes are
/// handled by their first digit); the named constants are the codes SMTP uses.
///
/// ```
/// use embedded_smtp::syntax::reply::{ReplyClass, ReplyCode};
/// let c = ReplyCode::new(452).unwrap();
/// assert_eq!(c.class(), ReplyClass::TransientNegative);
/// assert!(c.is_transient());
/// assert_eq!(ReplyCode::new(600), None);
/// assert_eq!(ReplyCode::new(260), None); // second digit 0-5 only
/// assert_eq!(ReplyCode::OK.to_string(), "250");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyCode(u16);

consts!(ReplyCode {
    SERVICE_READY = ReplyCode(220), "220 `<domain>` Service ready.";
    CLOSING = ReplyCode(221), "221 `<domain>` Service closing transmission channel.";
    AUTH_SUCCEEDED = ReplyCode(235), "235 Authentication succeeded (RFC 4954).";
    OK = ReplyCode(250), "250 Requested mail action okay, completed.";
    WILL_FORWARD = ReplyCode(251), "251 User not local; will forward.";
    CANNOT_VRFY = ReplyCode(252), "252 Cannot VRFY user, but will accept message and attempt delivery.";
    AUTH_CONTINUE = ReplyCode(334), "334 AUTH continuation (RFC 4954).";
    START_MAIL_INPUT = ReplyCode(354), "354 Start mail input; end with `<CRLF>.<CRLF>`.";
    SERVICE_NOT_AVAILABLE = ReplyCode(421), "421 Service not available, closing transmission channel.";
    MAILBOX_BUSY = ReplyCode(450), "450 Mailbox unavailable (busy or temporarily blocked).";
    LOCAL_ERROR = ReplyCode(451), "451 Local error in processing.";
    INSUFFICIENT_STORAGE = ReplyCode(452), "452 Insufficient system storage (also: too many recipients, RFC 5321 §4.5.3.1.10).";
    TLS_NOT_AVAILABLE = ReplyCode(454), "454 TLS not available / temporary authentication failure (RFC 3207, 4954).";
    SYNTAX_ERROR = ReplyCode(500), "500 Syntax error, command unrecognized (also: line too long).";
    ARGUMENT_ERROR = ReplyCode(501), "501 Syntax error in parameters or arguments.";
    NOT_IMPLEMENTED = ReplyCode(502), "502 Command not implemented.";
    BAD_SEQUENCE = ReplyCode(503), "503 Bad sequence of commands.";
    PARAMETER_NOT_IMPLEMENTED = ReplyCode(504), "504 Command parameter not implemented (also: unknown AUTH mechanism).";
    NO_MAIL_SERVICE = ReplyCode(521), "521 Host does not accept mail (RFC 7504).";
    AUTH_REQUIRED = ReplyCode(530), "530 Authentication required / must issue STARTTLS first (RFC 4954, 3207).";
    AUTH_MECHANISM_TOO_WEAK = ReplyCode(534), "534 Authentication mechanism is too weak (RFC 4954).";
    AUTH_FAILED = ReplyCode(535), "535 Authentication credentials invalid (RFC 4954).";
    ENCRYPTION_REQUIRED = ReplyCode(538), "538 Encryption required for requested authentication mechanism (RFC 4954).";
    MAILBOX_UNAVAILABLE = ReplyCode(550), "550 Mailbox unavailable.";
    USER_NOT_LOCAL = ReplyCode(551), "551 User not local.";
    EXCEEDED_STORAGE = ReplyCode(552), "552 Exceeded storage allocation.";
    MAILBOX_NAME_NOT_ALLOWED = ReplyCode(553), "553 Mailbox name not allowed.";
    TRANSACTION_FAILED = ReplyCode(554), "554 Transaction failed (or, as a greeting, no SMTP service here).";
    PARAMETERS_NOT_RECOGNIZED = ReplyCode(555), "555 MAIL FROM/RCPT TO parameters not recognized or not implemented.";
});

impl ReplyCode {
    /// The code if it matches `Reply-code` (200–599, second digit 0–5).
    pub const fn new(code: u16) -> Option<ReplyCode> {
        if code >= 200 && code <= 599 && (code / 10) % 10 <= 5 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit (2–5).
    pub(crate) const fn first_digit(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// The class given by the first digit.
    pub const fn class(self) -> ReplyClass {
        match self.first_digit() {
            2 => ReplyClass::PositiveCompletion,
            3 => ReplyClass::PositiveIntermediate,
            4 => ReplyClass::TransientNegative,
            _ => ReplyClass::PermanentNegative,
        }
    }

    /// `2yz` or `3yz`.
    pub const fn is_positive(self) -> bool {
        self.first_digit() <= 3
    }

    /// `4yz`.
    pub const fn is_transient(self) -> bool {
        self.first_digit() == 4
    }

    /// `5yz`.
    pub const fn is_permanent(self) -> bool {
        self.first_digit() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced mail system status code (RFC 3463 §2, RFC 2034):
///
/// ```text
/// status-code = class "." subject "." detail
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
///
/// ```
/// use embedded_smtp::syntax::reply::EnhancedCode;
/// let (esc, rest) = EnhancedCode::parse(b"5.1.3 Bad recipient address syntax").unwrap();
/// assert_eq!(esc, EnhancedCode::BAD_DEST_SYNTAX);
/// assert_eq!((esc.class(), esc.subject(), esc.detail()), (5, 1, 3));
/// assert_eq!(rest, b"Bad recipient address syntax");
/// assert_eq!(esc.to_string(), "5.1.3");
/// assert_eq!(EnhancedCode::new(3, 0, 0), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EnhancedCode {
    pub(super) class: u8,
    subject: u16,
    detail: u16,
}

consts!(EnhancedCode {
    OK = EnhancedCode::c(2, 0, 0), "2.0.0 Success, nothing more to say.";
    SENDER_OK = EnhancedCode::c(2, 1, 0), "2.1.0 Originator address valid.";
    DEST_OK = EnhancedCode::c(2, 1, 5), "2.1.5 Destination address valid.";
    MESSAGE_OK = EnhancedCode::c(2, 6, 0), "2.6.0 Message accepted.";
    AUTH_OK = EnhancedCode::c(2, 7, 0), "2.7.0 Authentication succeeded (RFC 4954).";
    TRANSIENT = EnhancedCode::c(4, 0, 0), "4.0.0 Unspecified transient failure.";
    MAILBOX_FULL = EnhancedCode::c(4, 2, 2), "4.2.2 Mailbox full.";
    SYSTEM_ERROR = EnhancedCode::c(4, 3, 0), "4.3.0 Other or undefined mail system status (transient).";
    SYSTEM_FULL = EnhancedCode::c(4, 3, 1), "4.3.1 Mail system full.";
    NOT_ACCEPTING = EnhancedCode::c(4, 3, 2), "4.3.2 System not accepting network messages (shutting down).";
    TIMEOUT = EnhancedCode::c(4, 4, 2), "4.4.2 Bad connection (timeout, rule D12).";
    TOO_MANY_RECIPIENTS = EnhancedCode::c(4, 5, 3), "4.5.3 Too many recipients (rule D7: 452, never 552).";
    SECURITY_TRANSIENT = EnhancedCode::c(4, 7, 0), "4.7.0 Security or policy status, transient (abuse budget, rule D13; temporary AUTH failure).";
    PERMANENT = EnhancedCode::c(5, 0, 0), "5.0.0 Unspecified permanent failure.";
    BAD_DEST_MAILBOX = EnhancedCode::c(5, 1, 1), "5.1.1 Bad destination mailbox address.";
    BAD_DEST_SYNTAX = EnhancedCode::c(5, 1, 3), "5.1.3 Bad destination mailbox address syntax.";
    BAD_SENDER_SYNTAX = EnhancedCode::c(5, 1, 7), "5.1.7 Bad sender's mailbox address syntax.";
    MAILBOX_FULL_PERMANENT = EnhancedCode::c(5, 2, 2), "5.2.2 Mailbox full (permanent).";
    MESSAGE_TOO_BIG = EnhancedCode::c(5, 3, 4), "5.3.4 Message too big for system.";
    PROTOCOL_ERROR = EnhancedCode::c(5, 5, 0), "5.5.0 Other or undefined protocol status (pipelining synchronization, rule D8).";
    BAD_SEQUENCE = EnhancedCode::c(5, 5, 1), "5.5.1 Invalid command / bad sequence of commands.";
    SYNTAX = EnhancedCode::c(5, 5, 2), "5.5.2 Syntax error (also: command unrecognized, line too long).";
    TOO_MANY_RECIPIENTS_PERMANENT = EnhancedCode::c(5, 5, 3), "5.5.3 Too many recipients (permanent).";
    INVALID_ARGS = EnhancedCode::c(5, 5, 4), "5.5.4 Invalid command arguments (also: unknown MAIL/RCPT parameter).";
    AUTH_LINE_TOO_LONG = EnhancedCode::c(5, 5, 6), "5.5.6 Authentication exchange line is too long (RFC 4954).";
    NON_ASCII = EnhancedCode::c(5, 6, 7), "5.6.7 Non-ASCII addresses not permitted for that sender/recipient (RFC 6531).";
    SECURITY = EnhancedCode::c(5, 7, 0), "5.7.0 Other or undefined security status (authentication / STARTTLS required).";
    NOT_AUTHORIZED = EnhancedCode::c(5, 7, 1), "5.7.1 Delivery not authorized, message refused.";
    AUTH_INVALID = EnhancedCode::c(5, 7, 8), "5.7.8 Authentication credentials invalid (RFC 4954).";
    AUTH_TOO_WEAK = EnhancedCode::c(5, 7, 9), "5.7.9 Authentication mechanism is too weak (RFC 4954).";
    REQUIRETLS_NEEDED = EnhancedCode::c(5, 7, 10), "5.7.10 REQUIRETLS support required (RFC 8689).";
    ENCRYPTION_NEEDED = EnhancedCode::c(5, 7, 11), "5.7.11 Encryption required for requested authentication mechanism (RFC 4954).";
});

impl EnhancedCode {
    const fn c(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedCode {
            class,
            subject,
            detail,
        }
    }

    /// The code if `class` is 2, 4 or 5 and `subject` and `detail` are at most 999.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Some(EnhancedCode::c(class, subject, detail))
        } else {
            None
        }
    }

    /// The class: 2, 4 or 5.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject (0–999).
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail (0–999).
    pub const fn detail(self) -> u16 {
        self.detail
    }

    /// Reads a status code at the start of `s`, which must be followed by SP
    /// or the end of `s`; returns it and what follows the SP.
    pub fn parse(s: &[u8]) -> Option<(EnhancedCode, &[u8])> {
        fast_status_code(s)
    }

    /// Writes `class.subject.detail`.
    pub(crate) fn write_to(self, w: &mut Writer<'_>) {
        w.put_decimal(u64::from(self.class));
        w.put_byte(b'.');
        w.put_decimal(u64::from(self.subject));
        w.put_byte(b'.');
        w.put_decimal(u64::from(self.detail));
    }

    /// The length of the written form.
    pub(super) fn text_len(self) -> usize {
        let digits = |n: u16| n.checked_ilog10().unwrap_or(0) as usize + 1;
        3 + digits(self.subject) + digits(self.detail)
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Bytes drawn mostly from the characters the grammars care about.
    fn grammar_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(b"0123456789. -\tx".to_vec()),
                1 => any::<u8>(),
            ],
            0..12,
        )
    }

    proptest! {
        #[test]
        fn status_code_fast_path_matches_grammar(s in grammar_bytes()) {
            let nom = status_code(&s).ok().map(|(rest, esc)| (esc, rest));
            prop_assert_eq!(fast_status_code(&s), nom);
        }

        #[test]
        fn line_head_fast_path_matches_grammar(s in grammar_bytes()) {
            let nom = (reply_code, separator)
                .parse(&s[..])
                .ok()
                .map(|(text, (code, last))| (code, last, text));
            prop_assert_eq!(fast_line_head(&s), nom);
        }
    }

    #[test]
    fn status_code_table() {
        for (s, want) in [
            (&b"5.1.1 x"[..], Some(((5, 1, 1), &b"x"[..]))),
            (b"2.0.0", Some(((2, 0, 0), b""))),
            (b"4.999.999 ", Some(((4, 999, 999), b""))),
            (b"5.1000.1", None),
            (b"3.0.0", None),
            (b"5.1.1x", None),
            (b"5..1", None),
            (b"5.1.", None),
        ] {
            let got = fast_status_code(s).map(|(e, r)| ((e.class, e.subject, e.detail), r));
            assert_eq!(got, want, "{s:?}");
        }
    }
}
