//! Local parts, mailboxes and the paths of `MAIL FROM` and `RCPT TO`.
//!
//! RFC 5321 §4.1.2 (`Reverse-path`, `Forward-path`, `Path`, `A-d-l`,
//! `Mailbox`, `Local-part`, `Dot-string`, `Quoted-string`), §4.5.3.1.1 and
//! §4.5.3.1.3 (64 and 256 octets), RFC 6531 §3.3 (UTF-8 in SMTPUTF8 mode).
//! Domains and address literals live in [`super::domain`].

use core::fmt;

use nom::Parser;
use nom::bytes::complete::take_while1;
use nom::character::complete::{char, satisfy};
use nom::combinator::{all_consuming, cut, recognize};
use nom::multi::many0_count;
use nom::sequence::preceded;

use super::domain::{Host, domain, host};
use super::grammar::{PResult, failure, run, run_whole};
use super::writer::{Invalid, WriteError, Writer, check_text, write_with};

mod fast;

pub(crate) use fast::fast_path;

/// Longest local part (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_LEN: usize = 64;
/// Longest path, angle brackets included (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH_LEN: usize = 256;

pub use super::grammar::AddressError;

// ---- local part -------------------------------------------------------------

/// RFC 6531 `UTF8-non-ascii`, minus the C1 controls U+0080–U+009F.
fn is_utf8_non_ascii(c: char) -> bool {
    !c.is_ascii() && !('\u{80}'..='\u{9f}').contains(&c)
}

/// RFC 5322 `atext`, plus `UTF8-non-ascii` (checked against the mode later).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || is_utf8_non_ascii(c)
}

/// `qtextSMTP = %d32-33 / %d35-91 / %d93-126`, plus `UTF8-non-ascii`.
fn is_qtext(c: char) -> bool {
    matches!(c, ' '..='~') && c != '"' && c != '\\' || is_utf8_non_ascii(c)
}

/// `Atom = 1*atext`
fn atom(i: &str, utf8: bool) -> PResult<'_, &str> {
    let (rest, a) = take_while1(is_atext).parse(i)?;
    if !utf8 && !a.is_ascii() {
        return failure(i, AddressError::NonAscii);
    }
    Ok((rest, a))
}

/// `Dot-string = Atom *("." Atom)`
fn dot_string(i: &str, utf8: bool) -> PResult<'_, &str> {
    recognize((
        |i| atom(i, utf8),
        many0_count(preceded(char('.'), cut(|i| atom(i, utf8)))),
    ))
    .parse(i)
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`,
/// `QcontentSMTP = qtextSMTP / quoted-pairSMTP`, `quoted-pairSMTP = %d92 %d32-126`.
fn quoted_string(i: &str, utf8: bool) -> PResult<'_, &str> {
    let qpair = preceded(char('\\'), satisfy(|c| matches!(c, ' '..='~')));
    let qcontent = many0_count(nom::branch::alt((recognize(qpair), take_while1(is_qtext))));
    let (rest, q) = recognize((char('"'), cut((qcontent, char('"'))))).parse(i)?;
    if !utf8 && !q.is_ascii() {
        return failure(i, AddressError::NonAscii);
    }
    Ok((rest, q))
}

/// `Local-part = Dot-string / Quoted-string`, at most 64 octets.
fn local_part(i: &str, utf8: bool) -> PResult<'_, LocalPart<'_>> {
    let (rest, raw) = if i.starts_with('"') {
        quoted_string(i, utf8)
    } else {
        dot_string(i, utf8)
    }?;
    if raw.len() > MAX_LOCAL_PART_LEN {
        return failure(i, AddressError::LocalPartTooLong);
    }
    Ok((rest, LocalPart(raw)))
}

/// The part of a mailbox before the `@`: `Local-part = Dot-string / Quoted-string`
/// (RFC 5321 §4.1.2), at most 64 octets (§4.5.3.1.1). In SMTPUTF8 mode atoms
/// and quoted strings may also hold non-ASCII characters (RFC 6531 §3.3; the
/// C1 controls U+0080–U+009F are refused as a hardening).
///
/// The value is lossless: it keeps the wire form, quotes and backslashes
/// included, and writes back the same bytes.
///
/// ```
/// use embedded_smtp::syntax::address::LocalPart;
/// let q = LocalPart::parse(r#""a b\"c""#, false).unwrap();
/// assert!(q.is_quoted());
/// assert_eq!(q.as_str(), r#""a b\"c""#);
/// let p = LocalPart::parse("PostMaster", false).unwrap();
/// assert!(p.eq_ignore_ascii_case("postmaster"));
/// assert!(LocalPart::parse("a..b", false).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LocalPart<'a>(&'a str);

impl<'a> LocalPart<'a> {
    /// Parses a whole string as a local part.
    pub fn parse(s: &'a str, utf8: bool) -> Result<Self, AddressError> {
        run_whole(s, utf8, move |i| local_part(i, utf8))
    }

    /// The wire form, quotes included.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether it is a `Quoted-string`.
    pub fn is_quoted(&self) -> bool {
        self.0.starts_with('"')
    }

    /// Whether it is all ASCII.
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// Compares the wire form with `other`, ignoring ASCII case. (Local parts
    /// are case-sensitive in general, RFC 5321 §2.4; this is for names such
    /// as `postmaster` that are not.)
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }

    /// Writes the wire form into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        self.check()?;
        w.put_str(self.0);
        Ok(())
    }

    /// Defensive re-validation (rule D5): values are only built by the parser.
    fn check(&self) -> Result<(), Invalid> {
        check_text(self.0.as_bytes())?;
        match all_consuming(|i| local_part(i, true)).parse(self.0) {
            Ok(_) => Ok(()),
            Err(_) => Err(Invalid::Address),
        }
    }
}

impl fmt::Display for LocalPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.check().map_err(|_| fmt::Error)?;
        f.write_str(self.0)
    }
}

// ---- mailbox ----------------------------------------------------------------

/// `Mailbox = Local-part "@" ( Domain / address-literal )`, at most 254 octets.
fn mailbox(i: &str, utf8: bool) -> PResult<'_, Mailbox<'_>> {
    let (rest, (local, _, host)) = (
        |i| local_part(i, utf8),
        cut(char('@')),
        cut(|i| host(i, utf8)),
    )
        .parse(i)?;
    if i.len() - rest.len() > MAX_PATH_LEN - 2 {
        return failure(i, AddressError::PathTooLong);
    }
    Ok((rest, Mailbox { local, host }))
}

/// An address: `Mailbox = Local-part "@" ( Domain / address-literal )`
/// (RFC 5321 §4.1.2). Every value fits in a path of 256 octets (§4.5.3.1.3),
/// so a mailbox is at most 254 octets.
///
/// ```
/// use embedded_smtp::syntax::address::Mailbox;
/// use embedded_smtp::syntax::domain::Host;
/// let m = Mailbox::parse("Postmaster@s.example", false).unwrap();
/// assert!(m.is_postmaster());
/// assert!(matches!(m.host(), Host::Domain(d) if d.as_str() == "s.example"));
/// let (m, rest) = Mailbox::parse_prefix("a@b.example SIZE=1", false).unwrap();
/// assert_eq!((m.local_part().as_str(), rest), ("a", " SIZE=1"));
/// let mut buf = [0u8; 32];
/// let n = m.write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"a@b.example");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mailbox<'a> {
    local: LocalPart<'a>,
    host: Host<'a>,
}

impl<'a> Mailbox<'a> {
    /// Parses a whole string (no angle brackets) as a mailbox.
    pub fn parse(s: &'a str, utf8: bool) -> Result<Self, AddressError> {
        run_whole(s, utf8, move |i| mailbox(i, utf8))
    }

    /// Parses a mailbox at the start of `s` and returns it with the rest,
    /// which must be empty or start with a space: this is the bracket-less
    /// form that lenient servers accept (`MAIL FROM:a@b SIZE=1`).
    pub fn parse_prefix(s: &'a str, utf8: bool) -> Result<(Mailbox<'a>, &'a str), AddressError> {
        let (m, rest) = run(s, utf8, mailbox(s, utf8))?;
        if rest.is_empty() || rest.starts_with(' ') {
            Ok((m, rest))
        } else if !utf8 && rest.chars().next().is_some_and(|c| !c.is_ascii()) {
            Err(AddressError::NonAscii)
        } else {
            Err(AddressError::Syntax)
        }
    }

    /// Joins a local part and a host. Fails with [`AddressError::PathTooLong`]
    /// if `<local@host>` would exceed 256 octets, and with
    /// [`AddressError::Syntax`] for a hand-built invalid general literal.
    pub fn new(local: LocalPart<'a>, host: Host<'a>) -> Result<Self, AddressError> {
        match host.check() {
            Ok(()) => {}
            Err(Invalid::TooLong) => return Err(AddressError::DomainTooLong),
            Err(_) => return Err(AddressError::Syntax),
        }
        if local.0.len() + 1 + host.len() > MAX_PATH_LEN - 2 {
            return Err(AddressError::PathTooLong);
        }
        Ok(Mailbox { local, host })
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> LocalPart<'a> {
        self.local
    }

    /// The domain or address literal after the `@`.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// Whether the whole address is ASCII (if not, it needs SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.host.is_ascii()
    }

    /// Whether the local part is `postmaster` in any case, unquoted
    /// (RFC 5321 §4.5.1).
    pub fn is_postmaster(&self) -> bool {
        self.local.eq_ignore_ascii_case("postmaster")
    }

    /// Writes `local@host` into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        let start = w.position();
        self.local.write_to(w)?;
        w.put_byte(b'@');
        self.host.write_to(w)?;
        if w.position() - start > MAX_PATH_LEN - 2 {
            return Err(Invalid::TooLong);
        }
        Ok(())
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.host)
    }
}

// ---- paths ------------------------------------------------------------------

/// `At-domain = "@" Domain`
fn at_domain(i: &str, utf8: bool) -> PResult<'_, ()> {
    let (rest, _) = (char('@'), cut(|i| domain(i, utf8))).parse(i)?;
    Ok((rest, ()))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`, at most 256 octets on the wire;
/// `A-d-l = At-domain *( "," At-domain )` is read and dropped.
fn path(i: &str, utf8: bool) -> PResult<'_, Mailbox<'_>> {
    match fast_path(i) {
        Some(done) => Ok(done),
        None => grammar_path(i, utf8),
    }
}

/// [`path`] in nom, for every case.
fn grammar_path(i: &str, utf8: bool) -> PResult<'_, Mailbox<'_>> {
    let (after, _) = char('<').parse(i)?;
    let (after, _) = nom::combinator::opt((
        |i| at_domain(i, utf8),
        many0_count(preceded(char(','), cut(|i| at_domain(i, utf8)))),
        cut(char(':')),
    ))
    .parse(after)?;
    let (rest, m) = (cut(|i| mailbox(i, utf8)), cut(char('>'))).parse(after)?;
    if i.len() - rest.len() > MAX_PATH_LEN {
        return failure(i, AddressError::PathTooLong);
    }
    Ok((rest, m.0))
}

/// The argument of `MAIL FROM:`: `Reverse-path = Path / "<>"` (RFC 5321 §4.1.2).
///
/// A source route (`<@r1.example,@r2.example:u@s.example>`) is accepted and
/// dropped (§4.1.2, §C). Writing gives `<>` or `<mailbox>`.
///
/// ```
/// use embedded_smtp::syntax::address::ReversePath;
/// assert_eq!(ReversePath::parse("<>", false), Ok(ReversePath::Null));
/// let (p, rest) = ReversePath::parse_prefix("<a@b.example> SIZE=10", false).unwrap();
/// assert_eq!((p.to_string().as_str(), rest), ("<a@b.example>", " SIZE=10"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReversePath<'a> {
    /// `<>`: the null reverse-path of bounces.
    Null,
    /// `<mailbox>`
    Mailbox(Mailbox<'a>),
}

impl<'a> ReversePath<'a> {
    /// Parses a whole string, `<>` or `<…>`.
    pub fn parse(s: &'a str, utf8: bool) -> Result<Self, AddressError> {
        run_whole(s, utf8, move |i| reverse_path(i, utf8))
    }

    /// Parses a reverse-path at the start of `s` and returns it with the rest
    /// (after the closing `>`).
    pub fn parse_prefix(s: &'a str, utf8: bool) -> Result<(Self, &'a str), AddressError> {
        // `<>` is never a fast path; anything else is what `path` gives.
        if let Some((rest, m)) = fast_path(s) {
            return Ok((ReversePath::Mailbox(m), rest));
        }
        Self::parse_prefix_by_grammar(s, utf8)
    }

    /// [`ReversePath::parse_prefix`] after the fast path missed: the
    /// grammar alone (`path` would try the fast path again).
    pub(crate) fn parse_prefix_by_grammar(
        s: &'a str,
        utf8: bool,
    ) -> Result<(Self, &'a str), AddressError> {
        run(s, utf8, reverse_path_by(s, |i| grammar_path(i, utf8)))
    }

    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<Mailbox<'a>> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(m) => Some(*m),
        }
    }

    /// Whether the path is ASCII (the null path is).
    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(|m| m.is_ascii())
    }

    /// Writes `<>` or `<mailbox>` into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match self {
            ReversePath::Null => {
                w.put_str("<>");
                Ok(())
            }
            ReversePath::Mailbox(m) => write_path(m, w),
        }
    }
}

fn reverse_path(i: &str, utf8: bool) -> PResult<'_, ReversePath<'_>> {
    reverse_path_by(i, |i| path(i, utf8))
}

/// `Reverse-path = Path / "<>"`, with `path` reading a `Path`.
fn reverse_path_by<'a>(
    i: &'a str,
    path: impl FnOnce(&'a str) -> PResult<'a, Mailbox<'a>>,
) -> PResult<'a, ReversePath<'a>> {
    if let Some(rest) = i.strip_prefix("<>") {
        return Ok((rest, ReversePath::Null));
    }
    path(i).map(|(r, m)| (r, ReversePath::Mailbox(m)))
}

fn write_path(m: &Mailbox<'_>, w: &mut Writer<'_>) -> Result<(), Invalid> {
    w.put_byte(b'<');
    m.write_to(w)?;
    w.put_byte(b'>');
    Ok(())
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The argument of `RCPT TO:`: `"<Postmaster@" Domain ">" / "<Postmaster>" /
/// Forward-path` with `Forward-path = Path` (RFC 5321 §4.1.1.3, §4.1.2).
///
/// `<Postmaster>` (any case) has its own variant; `<>` is an error. A source
/// route is accepted and dropped.
///
/// ```
/// use embedded_smtp::syntax::address::{AddressError, ForwardPath};
/// assert_eq!(ForwardPath::parse("<postMaster>", false), Ok(ForwardPath::Postmaster));
/// assert_eq!(ForwardPath::parse("<>", false), Err(AddressError::Syntax));
/// let p = ForwardPath::parse("<@r1.example,@r2.example:u@s.example>", false).unwrap();
/// assert_eq!(p.to_string(), "<u@s.example>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` with no domain (written with this spelling).
    Postmaster,
    /// `<mailbox>`
    Mailbox(Mailbox<'a>),
}

impl<'a> ForwardPath<'a> {
    /// Parses a whole string, `<…>`.
    pub fn parse(s: &'a str, utf8: bool) -> Result<Self, AddressError> {
        run_whole(s, utf8, move |i| forward_path(i, utf8))
    }

    /// Parses a forward-path at the start of `s` and returns it with the rest
    /// (after the closing `>`).
    pub fn parse_prefix(s: &'a str, utf8: bool) -> Result<(Self, &'a str), AddressError> {
        // Neither `<Postmaster>` nor `<>` is ever a fast path (no `@`), so
        // this is what `forward_path` gives.
        if let Some((rest, m)) = fast_path(s) {
            return Ok((ForwardPath::Mailbox(m), rest));
        }
        Self::parse_prefix_by_grammar(s, utf8)
    }

    /// [`ForwardPath::parse_prefix`] after the fast path missed: the
    /// grammar alone.
    pub(crate) fn parse_prefix_by_grammar(
        s: &'a str,
        utf8: bool,
    ) -> Result<(Self, &'a str), AddressError> {
        run(s, utf8, forward_path_by(s, |i| grammar_path(i, utf8)))
    }

    /// The mailbox, unless this is the bare `<Postmaster>`.
    pub fn mailbox(&self) -> Option<Mailbox<'a>> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(m) => Some(*m),
        }
    }

    /// Whether this is `<Postmaster>` or a mailbox whose local part is
    /// `postmaster` (any case, unquoted).
    pub fn is_postmaster(&self) -> bool {
        self.mailbox().is_none_or(|m| m.is_postmaster())
    }

    /// Whether the path is ASCII.
    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(|m| m.is_ascii())
    }

    /// Writes `<Postmaster>` or `<mailbox>` into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match self {
            ForwardPath::Postmaster => {
                w.put_str("<Postmaster>");
                Ok(())
            }
            ForwardPath::Mailbox(m) => write_path(m, w),
        }
    }
}

fn forward_path(i: &str, utf8: bool) -> PResult<'_, ForwardPath<'_>> {
    forward_path_by(i, |i| path(i, utf8))
}

/// `Forward-path`, with `path` reading a `Path`.
fn forward_path_by<'a>(
    i: &'a str,
    path: impl FnOnce(&'a str) -> PResult<'a, Mailbox<'a>>,
) -> PResult<'a, ForwardPath<'a>> {
    let bare = i
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("<postmaster>"));
    if bare {
        return Ok((i.get(12..).unwrap_or_default(), ForwardPath::Postmaster));
    }
    if i.starts_with("<>") {
        return failure(i, AddressError::Syntax);
    }
    path(i).map(|(r, m)| (r, ForwardPath::Mailbox(m)))
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::writer::FmtSink;

    /// Values are only built by the parser, but the writers re-check them
    /// (rule D5): a local part that bypassed the parser is refused.
    #[test]
    fn writers_refuse_what_the_grammar_refuses() {
        let mut buf = [0u8; 64];
        for (raw, want) in [
            ("a b", Invalid::Address),
            ("a>b", Invalid::Address),
            ("<a", Invalid::Address),
            ("", Invalid::Address),
            ("\"a\r\nRSET\"", Invalid::ControlByte),
            ("a\0", Invalid::ControlByte),
        ] {
            let lp = LocalPart(raw);
            assert_eq!(
                lp.write(&mut buf),
                Err(WriteError::Invalid(want)),
                "{raw:?}"
            );
            let host = Host::parse("x.example", false).unwrap();
            let m = Mailbox { local: lp, host };
            assert_eq!(
                ForwardPath::Mailbox(m).write(&mut buf),
                Err(WriteError::Invalid(want))
            );
            assert!(
                core::fmt::write(
                    &mut FmtSink(&mut Writer::new(&mut buf)),
                    format_args!("{m}")
                )
                .is_err()
            );
        }
        // A mailbox over 254 octets that bypassed `Mailbox::new`.
        let mut d = [b'd'; 255];
        for dot in [63, 127, 191] {
            d[dot] = b'.';
        }
        let d = core::str::from_utf8(&d).unwrap();
        let host = Host::parse(d, false).unwrap();
        let long = Mailbox {
            local: LocalPart("a"),
            host,
        };
        let mut big = [0u8; 512];
        assert_eq!(
            long.write(&mut big),
            Err(WriteError::Invalid(Invalid::TooLong))
        );
        assert_eq!(
            Mailbox::new(LocalPart("a"), host),
            Err(AddressError::PathTooLong)
        );
    }
}
