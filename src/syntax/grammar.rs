//! What the nom parsers of `syntax` share (nom never leaves this module):
//! the result type of the byte-line parsers (EHLO, replies), and the path
//! grammar's error and result, used alike by `domain` (RFC 5321 §4.1.2
//! Domain, address-literal) and `address` (Local-part, Mailbox, Path).

use core::fmt;

use nom::Parser;
use nom::combinator::all_consuming;
use nom::error::{ErrorKind, ParseError};

/// The result of a parser over the bytes of a framed line.
pub(crate) type ByteResult<'a, T> = nom::IResult<&'a [u8], T, nom::error::Error<&'a [u8]>>;

/// Why an address, path, domain or literal was refused.
///
/// ```
/// use embedded_smtp::syntax::address::{AddressError, Mailbox};
/// assert_eq!(Mailbox::parse("ü@x.example", false), Err(AddressError::NonAscii));
/// assert_eq!(Mailbox::parse("a@b_c.example", false), Err(AddressError::Syntax));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AddressError {
    /// Outside the RFC 5321 grammar (a server answers 501, 5.1.3 / 5.1.7).
    Syntax,
    /// The local part is longer than 64 octets.
    LocalPartTooLong,
    /// The domain (or address literal) is longer than 255 octets, or a label
    /// longer than 63.
    DomainTooLong,
    /// The path is longer than 256 octets, angle brackets included.
    PathTooLong,
    /// A non-ASCII character while SMTPUTF8 is not in use (a server answers
    /// 553 5.6.7, RFC 6531 §3.5).
    NonAscii,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressError::Syntax => "address syntax error",
            AddressError::LocalPartTooLong => "local part longer than 64 octets",
            AddressError::DomainTooLong => "domain longer than 255 octets",
            AddressError::PathTooLong => "path longer than 256 octets",
            AddressError::NonAscii => "non-ASCII address without SMTPUTF8",
        })
    }
}

impl core::error::Error for AddressError {}

/// The parser error: what went wrong and how much input was left there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PErr {
    kind: AddressError,
    rest: usize,
}

impl ParseError<&str> for PErr {
    fn from_error_kind(input: &str, _: ErrorKind) -> Self {
        PErr {
            kind: AddressError::Syntax,
            rest: input.len(),
        }
    }

    fn append(_: &str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, O> = nom::IResult<&'a str, O, PErr>;

/// An unrecoverable error at `at`.
pub(crate) fn failure<O>(at: &str, kind: AddressError) -> PResult<'_, O> {
    Err(nom::Err::Failure(PErr {
        kind,
        rest: at.len(),
    }))
}

/// Turns a parser result into the public one. Without SMTPUTF8, a syntax
/// error at or after a non-ASCII character is reported as [`AddressError::NonAscii`].
pub(crate) fn run<'a, O>(
    s: &'a str,
    utf8: bool,
    r: PResult<'a, O>,
) -> Result<(O, &'a str), AddressError> {
    match r {
        Ok((rest, o)) => Ok((o, rest)),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            let upto = s
                .len()
                .saturating_sub(e.rest)
                .saturating_add(1)
                .min(s.len());
            let seen = s.as_bytes().get(..upto).unwrap_or_default();
            if e.kind == AddressError::Syntax && !utf8 && !seen.is_ascii() {
                Err(AddressError::NonAscii)
            } else {
                Err(e.kind)
            }
        }
        Err(nom::Err::Incomplete(_)) => Err(AddressError::Syntax),
    }
}

pub(crate) fn run_whole<'a, O>(
    s: &'a str,
    utf8: bool,
    p: impl FnMut(&'a str) -> PResult<'a, O>,
) -> Result<O, AddressError> {
    if !utf8 && !s.is_ascii() {
        return Err(AddressError::NonAscii);
    }
    run(s, utf8, all_consuming(p).parse(s)).map(|(o, _)| o)
}
