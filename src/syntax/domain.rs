//! Domains and address literals: the right-hand side of a mailbox and the
//! argument of `EHLO`/`HELO`.
//!
//! RFC 5321 §4.1.2 (`Domain`, `sub-domain`, `Let-dig`, `Ldh-str`), §4.1.3
//! (address literals), §4.5.3.1.2 (255 octets) and RFC 6531 §3.3 (U-labels in
//! SMTPUTF8 mode).

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use nom::Parser;
use nom::bytes::complete::{take_while_m_n, take_while1};
use nom::character::complete::char;
use nom::combinator::{all_consuming, cut, verify};
use nom::multi::many0_count;
use nom::sequence::preceded;

use super::grammar::{AddressError, PResult, failure, run_whole};
use super::writer::{FmtSink, Invalid, WriteError, Writer, check_text, write_with};

mod fast;

pub(crate) use fast::{fast_host, run_len};

/// Longest domain or address literal (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN_LEN: usize = 255;
/// Longest label of a domain (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A domain name: `Domain = sub-domain *("." sub-domain)` (RFC 5321 §4.1.2).
///
/// Each label is `Let-dig [Ldh-str]` (letters, digits and inner hyphens; no
/// `_`), at most 63 octets; the whole domain is at most 255 octets and has no
/// trailing dot. In SMTPUTF8 mode (RFC 6531 §3.3) a label may also be a
/// U-label: non-ASCII characters are allowed beside letters, digits and
/// hyphens. This crate does not run IDNA; it only refuses, in U-labels, C1
/// controls, non-ASCII white space and the IDNA full stops (U+3002, U+FF0E,
/// U+FF61), which would change the label structure once mapped.
///
/// ```
/// use embedded_smtp::syntax::domain::Domain;
/// use embedded_smtp::syntax::address::AddressError;
/// let d = Domain::parse("mail.Example.org", false).unwrap();
/// assert_eq!(d.as_str(), "mail.Example.org");
/// assert!(d.eq_ignore_ascii_case("MAIL.example.ORG"));
/// assert_eq!(Domain::parse("b_c.example", false), Err(AddressError::Syntax));
/// assert_eq!(Domain::parse("müller.example", false), Err(AddressError::NonAscii));
/// assert!(!Domain::parse("müller.example", true).unwrap().is_ascii());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Domain<'a>(&'a str);

impl<'a> Domain<'a> {
    /// Parses a whole string as a domain. `utf8` allows U-labels (SMTPUTF8);
    /// without it any non-ASCII character gives [`AddressError::NonAscii`].
    pub fn parse(s: &'a str, utf8: bool) -> Result<Domain<'a>, AddressError> {
        run_whole(s, utf8, move |i| domain(i, utf8))
    }

    /// The domain as it was parsed.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether the domain is all ASCII (no U-label).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// Compares with `other`, ignoring ASCII case (domains are
    /// case-insensitive, RFC 5321 §2.4). Non-ASCII characters compare exactly.
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }

    /// Writes the domain into `buf`; returns the number of bytes written.
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
        match all_consuming(|i| domain(i, true)).parse(self.0) {
            Ok(_) => Ok(()),
            Err(_) => Err(Invalid::Domain),
        }
    }
}

impl fmt::Display for Domain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.check().map_err(|_| fmt::Error)?;
        f.write_str(self.0)
    }
}

/// An address literal (RFC 5321 §4.1.3), written in brackets:
/// `"[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal ) "]"`.
///
/// - `IPv4-address-literal = Snum 3("." Snum)`, each `Snum` 1–3 digits, 0–255;
/// - `IPv6-address-literal = "IPv6:" IPv6-addr` (full, compressed, and both
///   forms ending in an IPv4 address; `::` stands for at least two zero groups);
/// - `General-address-literal = Standardized-tag ":" 1*dcontent`.
///
/// A literal tagged `IPv6` whose content is not an IPv6 address is an error,
/// never a general literal. As a hardening beyond the ABNF, `<` and `>` are
/// refused in the content of a general literal, so that a path never contains
/// an unquoted angle bracket. Writing gives IPv4 in dotted decimal and IPv6 as
/// `IPv6:` plus the RFC 5952 text form (so leading zeros are not preserved).
///
/// ```
/// use core::net::{Ipv4Addr, Ipv6Addr};
/// use embedded_smtp::syntax::domain::AddressLiteral;
/// assert_eq!(AddressLiteral::parse("[192.0.2.1]"), Ok(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1))));
/// let v6 = AddressLiteral::parse("[IPv6:2001:db8::1]").unwrap();
/// assert_eq!(v6, AddressLiteral::Ipv6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)));
/// let mut buf = [0u8; 64];
/// let n = v6.write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"[IPv6:2001:db8::1]");
/// assert!(AddressLiteral::parse("[IPv6:1::2::3]").is_err());
/// assert!(AddressLiteral::parse("[300.1.1.1]").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressLiteral<'a> {
    /// `[a.b.c.d]`
    Ipv4(Ipv4Addr),
    /// `[IPv6:…]`
    Ipv6(Ipv6Addr),
    /// `[tag:content]`: `Standardized-tag` (an `Ldh-str`) and `1*dcontent`.
    General {
        /// The tag, before the first colon.
        tag: &'a str,
        /// Everything after the first colon.
        content: &'a str,
    },
}

impl<'a> AddressLiteral<'a> {
    /// Parses a whole string, brackets included, as an address literal.
    pub fn parse(s: &'a str) -> Result<Self, AddressError> {
        run_whole(s, true, literal)
    }

    /// Builds a general address literal after checking its grammar (the tag
    /// `IPv6` is refused here: use [`AddressLiteral::Ipv6`]).
    pub fn general(tag: &'a str, content: &'a str) -> Result<Self, AddressError> {
        let lit = AddressLiteral::General { tag, content };
        match lit.check() {
            Ok(()) if !tag.eq_ignore_ascii_case("IPv6") => Ok(lit),
            Err(Invalid::TooLong) => Err(AddressError::DomainTooLong),
            _ => Err(AddressError::Syntax),
        }
    }

    /// Writes the literal, brackets included, into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        self.check()?;
        self.emit(&mut FmtSink(w)).map_err(|_| Invalid::Domain)
    }

    /// Only a hand-built `General` value can be invalid.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        let AddressLiteral::General { tag, content } = *self else {
            return Ok(());
        };
        check_text(tag.as_bytes())?;
        check_text(content.as_bytes())?;
        if tag.len() + content.len() + 3 > MAX_DOMAIN_LEN {
            return Err(Invalid::TooLong);
        }
        let grammar = if tag.eq_ignore_ascii_case("IPv6") {
            parse_ipv6(content).is_some()
        } else {
            is_ldh_str(tag) && !content.is_empty() && content.chars().all(is_dcontent)
        };
        if grammar {
            Ok(())
        } else {
            Err(Invalid::Domain)
        }
    }

    fn emit(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(a) => write!(out, "[{a}]"),
            AddressLiteral::Ipv6(a) => write!(out, "[IPv6:{a}]"),
            AddressLiteral::General { tag, content } => write!(out, "[{tag}:{content}]"),
        }
    }
}

/// The wire form. For a hand-built invalid `General` value this returns
/// [`fmt::Error`] rather than print something that would break the grammar.
impl fmt::Display for AddressLiteral<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.check().map_err(|_| fmt::Error)?;
        self.emit(f)
    }
}

/// The right-hand side of a mailbox: `Domain / address-literal`
/// (RFC 5321 §4.1.2); also what `EHLO`/`HELO` carry.
///
/// ```
/// use embedded_smtp::syntax::domain::Host;
/// assert!(matches!(Host::parse("[10.0.0.1]", false), Ok(Host::Literal(_))));
/// let h = Host::parse("relay.example", false).unwrap();
/// assert_eq!(h.to_string(), "relay.example");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Host<'a> {
    /// A domain name.
    Domain(Domain<'a>),
    /// An address literal in brackets.
    Literal(AddressLiteral<'a>),
}

impl<'a> Host<'a> {
    /// Parses a whole string as a domain or an address literal.
    pub fn parse(s: &'a str, utf8: bool) -> Result<Self, AddressError> {
        if let Some((h, _, "")) = fast_host(s) {
            return Ok(h);
        }
        run_whole(s, utf8, move |i| host(i, utf8))
    }

    /// Whether the host is all ASCII (a literal always is).
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }

    /// Writes the host into `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match self {
            Host::Domain(d) => d.write_to(w),
            Host::Literal(l) => l.write_to(w),
        }
    }

    pub(crate) fn check(&self) -> Result<(), Invalid> {
        match self {
            Host::Domain(d) => d.check(),
            Host::Literal(l) => l.check(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Host::Domain(d) => d.0.len(),
            Host::Literal(l) => {
                let mut counter = LenCounter(0);
                // Writing to a counter cannot fail for valid values.
                let _ = l.emit(&mut counter);
                counter.0
            }
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => d.fmt(f),
            Host::Literal(l) => l.fmt(f),
        }
    }
}

struct LenCounter(usize);

impl fmt::Write for LenCounter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

// ---- grammar ----------------------------------------------------------------

fn is_let_dig(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_ldh(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// A non-ASCII character that may appear in a U-label.
fn is_ulabel_char(c: char) -> bool {
    !c.is_ascii()
        && !('\u{80}'..='\u{9f}').contains(&c)
        && !c.is_whitespace()
        && !matches!(c, '\u{3002}' | '\u{ff0e}' | '\u{ff61}')
}

/// `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig`
fn is_ldh_str(s: &str) -> bool {
    s.chars().all(is_ldh) && s.chars().next_back().is_some_and(is_let_dig)
}

/// `dcontent = %d33-90 / %d94-126`, minus `<` and `>` (see [`AddressLiteral`]).
fn is_dcontent(c: char) -> bool {
    matches!(c, '!'..='Z' | '^'..='~') && c != '<' && c != '>'
}

/// `sub-domain = Let-dig [Ldh-str]`, or a U-label in SMTPUTF8 mode.
fn sub_domain(i: &str, utf8: bool) -> PResult<'_, &str> {
    let (rest, label) = take_while1(|c| is_ldh(c) || is_ulabel_char(c)).parse(i)?;
    if label.starts_with('-') || label.ends_with('-') {
        return failure(i, AddressError::Syntax);
    }
    if label.len() > MAX_LABEL_LEN {
        return failure(i, AddressError::DomainTooLong);
    }
    if !utf8 && !label.is_ascii() {
        return failure(i, AddressError::NonAscii);
    }
    Ok((rest, label))
}

/// `Domain = sub-domain *("." sub-domain)`, at most 255 octets.
pub(crate) fn domain(i: &str, utf8: bool) -> PResult<'_, Domain<'_>> {
    let (rest, _) = (
        |i| sub_domain(i, utf8),
        many0_count(preceded(char('.'), cut(|i| sub_domain(i, utf8)))),
    )
        .parse(i)?;
    let len = i.len() - rest.len();
    if len > MAX_DOMAIN_LEN {
        return failure(i, AddressError::DomainTooLong);
    }
    Ok((rest, Domain(&i[..len])))
}

/// `address-literal = "[" ( IPv4 / IPv6 / General ) "]"`, at most 255 octets.
pub(crate) fn literal(i: &str) -> PResult<'_, AddressLiteral<'_>> {
    let (after, _) = char('[').parse(i)?;
    let (after, content) = cut(take_while1(is_dcontent)).parse(after)?;
    let (rest, _) = cut(char(']')).parse(after)?;
    if i.len() - rest.len() > MAX_DOMAIN_LEN {
        return failure(i, AddressError::DomainTooLong);
    }
    let lit = match content.split_once(':') {
        None => parse_ipv4(content).map(AddressLiteral::Ipv4),
        Some((tag, v6)) if tag.eq_ignore_ascii_case("IPv6") => {
            parse_ipv6(v6).map(AddressLiteral::Ipv6)
        }
        Some((tag, content)) if is_ldh_str(tag) && !content.is_empty() => {
            Some(AddressLiteral::General { tag, content })
        }
        Some(_) => None,
    };
    match lit {
        Some(lit) => Ok((rest, lit)),
        None => failure(i, AddressError::Syntax),
    }
}

/// `Domain / address-literal`
pub(crate) fn host(i: &str, utf8: bool) -> PResult<'_, Host<'_>> {
    if i.starts_with('[') {
        literal(i).map(|(r, l)| (r, Host::Literal(l)))
    } else {
        domain(i, utf8).map(|(r, d)| (r, Host::Domain(d)))
    }
}

/// `Snum = 1*3DIGIT` representing 0–255.
fn snum(i: &str) -> PResult<'_, u8> {
    let (rest, digits) = verify(
        take_while_m_n(1, 3, |c: char| c.is_ascii_digit()),
        |d: &str| d.parse::<u8>().is_ok(),
    )
    .parse(i)?;
    Ok((rest, digits.parse::<u8>().unwrap_or(0)))
}

/// `IPv4-address-literal = Snum 3("." Snum)` at the start of `i`.
fn ipv4(i: &str) -> PResult<'_, Ipv4Addr> {
    let dot = || char('.');
    let (rest, (a, _, b, _, c, _, d)) = (snum, dot(), snum, dot(), snum, dot(), snum).parse(i)?;
    Ok((rest, Ipv4Addr::new(a, b, c, d)))
}

fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    all_consuming(ipv4).parse(s).ok().map(|(_, a)| a)
}

/// Reads `IPv6-hex *(":" IPv6-hex)`, the last item possibly an IPv4 address
/// when `v4_ok`, into `out`; returns how many 16-bit units were read.
fn hex_groups(s: &str, out: &mut [u16; 8], v4_ok: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut parts = s.split(':').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        if v4_ok && last && part.contains('.') {
            let [a, b, c, d] = parse_ipv4(part)?.octets();
            *out.get_mut(n)? = u16::from_be_bytes([a, b]);
            *out.get_mut(n + 1)? = u16::from_be_bytes([c, d]);
            n += 2;
        } else {
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            *out.get_mut(n)? = u16::from_str_radix(part, 16).ok()?;
            n += 1;
        }
    }
    Some(n)
}

/// `IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp`
/// (RFC 5321 §4.1.3): without `::`, eight groups (or six and an IPv4
/// address); with one `::`, at most six groups beside it (counting an IPv4
/// address as two), the IPv4 address only at the end.
pub(crate) fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    let mut segs = [0u16; 8];
    match s.split_once("::") {
        None => {
            if hex_groups(s, &mut segs, true)? != 8 {
                return None;
            }
        }
        Some((left, right)) => {
            if right.contains("::") {
                return None;
            }
            let mut r = [0u16; 8];
            let nl = hex_groups(left, &mut segs, false)?;
            let nr = hex_groups(right, &mut r, true)?;
            if nl + nr > 6 {
                return None;
            }
            let (tail, src) = (segs.get_mut(8 - nr..)?, r.get(..nr)?);
            tail.copy_from_slice(src);
        }
    }
    Some(Ipv6Addr::from(segs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are only built by the parser, but the writers re-check them
    /// (rule D5): a domain that bypassed the parser is refused.
    #[test]
    fn writers_refuse_what_the_grammar_refuses() {
        let mut buf = [0u8; 64];
        for (raw, want) in [
            ("a b", Invalid::Domain),
            ("a>", Invalid::Domain),
            ("b_c", Invalid::Domain),
            ("a.", Invalid::Domain),
            ("", Invalid::Domain),
            ("a\r\nb", Invalid::ControlByte),
        ] {
            let d = Domain(raw);
            assert_eq!(d.write(&mut buf), Err(WriteError::Invalid(want)), "{raw:?}");
            assert_eq!(
                Host::Domain(d).write(&mut buf),
                Err(WriteError::Invalid(want))
            );
            let mut w = Writer::new(&mut buf);
            assert!(fmt::write(&mut FmtSink(&mut w), format_args!("{d}")).is_err());
        }
    }
}
