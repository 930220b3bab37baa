//! MAIL and RCPT parameters (RFC 5321 §4.1.2) and the values of the
//! extensions this crate knows.
//!
//! ```text
//! Mail-parameters = esmtp-param *(SP esmtp-param)
//! Rcpt-parameters = esmtp-param *(SP esmtp-param)
//! esmtp-param     = esmtp-keyword ["=" esmtp-value]
//! esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! esmtp-value     = 1*(%d33-60 / %d62-126)   ; plus UTF8-non-ascii (RFC 6531)
//! ```
//!
//! Keywords are case-insensitive. A well-formed parameter this crate does not
//! know is kept as [`UnknownParam`] (a server answers `555 5.5.4`); any
//! [`ParamError`] means `501 5.5.4`.

use nom::Parser;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::preceded;

mod fast;
mod value;
pub mod xtext;

use fast::one_pass;

pub(crate) use value::eq_upper;
use value::*;
pub use value::{Body, By, ByMode, ENVID_MAX, Hold, MailAuth, Notify, ORCPT_MAX, Orcpt, Ret};

use super::{Invalid, ParseOptions, WriteError, Writer, check_text, write_with};
use xtext::XText;

/// Why a parameter list was refused (a server answers `501 5.5.4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ParamError {
    /// Not `esmtp-keyword ["=" esmtp-value]` (`-X=1`, `FOO=a=b`, `SIZE=`),
    /// or wrong spacing between parameters.
    Syntax,
    /// A known keyword with a value outside its grammar or range
    /// (`SIZE=abc`, `NOTIFY=BOGUS`, `SMTPUTF8=yes`, xtext decoding to a control byte).
    InvalidValue,
    /// A known keyword given twice (or `HOLDFOR` with `HOLDUNTIL`).
    Duplicate,
    /// A non-ASCII byte outside SMTPUTF8 mode.
    NonAscii,
}

impl core::fmt::Display for ParamError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ParamError::Syntax => "parameter syntax error",
            ParamError::InvalidValue => "invalid parameter value",
            ParamError::Duplicate => "duplicate parameter",
            ParamError::NonAscii => "non-ASCII parameter without SMTPUTF8",
        })
    }
}

impl core::error::Error for ParamError {}

/// A well-formed parameter this crate does not know (RFC 5321 §4.1.2
/// `esmtp-param`); a server answers `555 5.5.4` for it.
///
/// ```
/// use embedded_smtp::{syntax::params::{MailParameters, UnknownParam}, syntax::ParseOptions};
/// let p = MailParameters::parse(" FOO=bar", ParseOptions::STRICT).unwrap();
/// assert_eq!(p.unknown, Some(UnknownParam { keyword: "FOO", value: Some("bar") }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnknownParam<'a> {
    /// The `esmtp-keyword`, as received.
    pub keyword: &'a str,
    /// The `esmtp-value`, if any.
    pub value: Option<&'a str>,
}

fn is_keyword_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// `esmtp-value` characters; UTF8-non-ascii only in SMTPUTF8 mode.
fn is_value_char(c: char, utf8: bool) -> bool {
    matches!(c, '!'..='<' | '>'..='~') || (utf8 && !c.is_ascii())
}

type Raw<'a> = (&'a str, Option<&'a str>);

/// `esmtp-keyword`.
fn esmtp_keyword(input: &str) -> nom::IResult<&str, &str> {
    recognize((
        satisfy(|c| c.is_ascii_alphanumeric()),
        take_while(is_keyword_char),
    ))
    .parse(input)
}

/// `esmtp-param`.
fn esmtp_param(input: &str, utf8: bool) -> nom::IResult<&str, Raw<'_>> {
    (
        esmtp_keyword,
        opt(preceded(
            char('='),
            take_while1(move |c| is_value_char(c, utf8)),
        )),
    )
        .parse(input)
}

/// The parameters of a line, one by one, with the spacing rules of the mode.
struct RawParams<'a> {
    rest: &'a str,
    opts: ParseOptions,
}

impl<'a> Iterator for RawParams<'a> {
    type Item = Result<Raw<'a>, ParamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.step();
        if item.is_err() {
            self.rest = "";
        }
        item.transpose()
    }
}

impl<'a> RawParams<'a> {
    fn step(&mut self) -> Result<Option<Raw<'a>>, ParamError> {
        let after = if self.opts.is_lenient() {
            let trimmed = self.rest.trim_start_matches(' ');
            if trimmed.len() == self.rest.len() {
                return Err(ParamError::Syntax);
            }
            if trimmed.is_empty() {
                self.rest = "";
                return Ok(None);
            }
            trimmed
        } else {
            self.rest.strip_prefix(' ').ok_or(ParamError::Syntax)?
        };
        let (rest, raw) = esmtp_param(after, self.opts.utf8).map_err(|_| ParamError::Syntax)?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return Err(ParamError::Syntax);
        }
        self.rest = rest;
        Ok(Some(raw))
    }
}

/// The parameters of `s`, once the whole line is known to be ASCII (unless
/// in SMTPUTF8 mode) and well-formed, so that a syntax error anywhere wins
/// over a bad value before it (`SIZE =1` is a syntax error, not a missing value).
fn raw_params(s: &str, opts: ParseOptions) -> Result<RawParams<'_>, ParamError> {
    if !opts.utf8 && !s.is_ascii() {
        return Err(ParamError::NonAscii);
    }
    for p in (RawParams { rest: s, opts }) {
        p?;
    }
    Ok(RawParams { rest: s, opts })
}

/// Sets a slot once; a second time is a [`ParamError::Duplicate`].
fn set_once<T>(slot: &mut Option<T>, v: T) -> Result<(), ParamError> {
    if slot.is_some() {
        return Err(ParamError::Duplicate);
    }
    *slot = Some(v);
    Ok(())
}

fn set_flag(flag: &mut bool, v: Option<&str>) -> Result<(), ParamError> {
    no_value(v)?;
    if *flag {
        return Err(ParamError::Duplicate);
    }
    *flag = true;
    Ok(())
}

fn keep_first<'a>(slot: &mut Option<UnknownParam<'a>>, (keyword, value): Raw<'a>) {
    if slot.is_none() {
        *slot = Some(UnknownParam { keyword, value });
    }
}

/// Checks an unknown parameter a client built (rule D5) and appends it.
fn write_unknown(
    w: &mut Writer<'_>,
    u: &UnknownParam<'_>,
    known: impl Fn(Keyword) -> bool,
) -> Result<(), Invalid> {
    check_text(u.keyword.as_bytes())?;
    if whole(u.keyword, esmtp_keyword).is_err() || Keyword::of(u.keyword).is_some_and(known) {
        return Err(Invalid::Parameter);
    }
    w.put_byte(b' ');
    w.put_str(u.keyword);
    if let Some(v) = u.value {
        check_text(v.as_bytes())?;
        if v.is_empty() || !v.chars().all(|c| is_value_char(c, true)) {
            return Err(Invalid::Parameter);
        }
        w.put_byte(b'=');
        w.put_str(v);
    }
    Ok(())
}

/// The parameters of `MAIL FROM:<…>` (RFC 5321 §4.1.1.2, `Mail-parameters`).
///
/// `NOTIFY` and `ORCPT` belong to RCPT and are unknown here, and so are
/// `SMTPUTF8` without the `smtputf8` feature and `RET` and `ENVID` without
/// `dsn` (see [`built`](crate::built)).
///
/// ```
/// use embedded_smtp::{syntax::params::{Body, MailParameters}, syntax::ParseOptions};
/// let s = " SIZE=1000 BODY=8BITMIME SMTPUTF8";
/// let p = MailParameters::parse(s, ParseOptions::STRICT.utf8(true)).unwrap();
/// assert_eq!(p.size, Some(1000));
/// assert_eq!(p.body, Some(Body::EightBitMime));
/// # if embedded_smtp::built::SMTPUTF8 {
/// assert!(p.smtputf8);
/// # } else {
/// #     assert!(!p.smtputf8 && p.unknown.unwrap().keyword == "SMTPUTF8");
/// # }
/// let mut buf = [0u8; 64];
/// let n = p.write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], s.as_bytes());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MailParameters<'a> {
    /// `SIZE=` (RFC 1870); a value past `u64::MAX` saturates, so that the
    /// server answers 552 rather than 501.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531 §3.4), which takes no value.
    pub smtputf8: bool,
    /// `RET=` (RFC 3461 §4.3).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461 §4.4), at most 100 characters encoded.
    pub envid: Option<XText<'a>>,
    /// `AUTH=` (RFC 4954 §5).
    pub auth: Option<MailAuth<'a>>,
    /// `REQUIRETLS` (RFC 8689), which takes no value.
    pub requiretls: bool,
    /// `MT-PRIORITY=` (RFC 6710), −9 to 9.
    pub mt_priority: Option<i8>,
    /// `BY=` (RFC 2852).
    pub by: Option<By>,
    /// `HOLDFOR=` or `HOLDUNTIL=` (RFC 4865).
    pub hold: Option<Hold<'a>>,
    /// The first well-formed parameter this crate does not know.
    pub unknown: Option<UnknownParam<'a>>,
}

impl<'a> MailParameters<'a> {
    /// Parses the text after the reverse-path: empty, or `" KW=V KW2 …"`.
    ///
    /// Strict mode wants exactly one SP before each parameter and none
    /// after the last; lenient mode takes any run of spaces.
    ///
    /// Errors, first match wins: [`ParamError::NonAscii`] (outside SMTPUTF8
    /// mode), then [`ParamError::Syntax`] anywhere on the line, then, from
    /// left to right, a known keyword's bad value ([`ParamError::InvalidValue`])
    /// or its repetition ([`ParamError::Duplicate`]). Only when all that
    /// passes is the first unknown parameter reported in `unknown`.
    ///
    /// ```
    /// use embedded_smtp::{syntax::params::{MailParameters, ParamError}, syntax::ParseOptions};
    /// let p = MailParameters::parse(" size=99999999999999999999999999999", ParseOptions::STRICT);
    /// assert_eq!(p.unwrap().size, Some(u64::MAX));
    /// let e = MailParameters::parse(" SIZE=1 SIZE=2", ParseOptions::STRICT);
    /// assert_eq!(e, Err(ParamError::Duplicate));
    /// ```
    pub fn parse(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = MailParameters::default();
        if s.is_empty() || one_pass(s, |raw| p.apply(raw)) {
            return Ok(p);
        }
        Self::parse_checked(s, opts)
    }

    /// The checked path: the whole list validated first, then each
    /// parameter in order, so that errors rank as documented.
    fn parse_checked(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = MailParameters::default();
        for raw in raw_params(s, opts)? {
            p.apply(raw?)?;
        }
        Ok(p)
    }

    /// Takes one parameter into its field.
    fn apply(&mut self, (kw, v): Raw<'a>) -> Result<(), ParamError> {
        let p = self;
        match Keyword::of(kw) {
            Some(Keyword::Size) => set_once(&mut p.size, size(v)?),
            Some(Keyword::Body) => set_once(&mut p.body, body(v)?),
            Some(Keyword::SmtpUtf8) => set_flag(&mut p.smtputf8, v),
            Some(Keyword::Ret) => set_once(&mut p.ret, ret(v)?),
            Some(Keyword::Envid) => set_once(&mut p.envid, envid(v)?),
            Some(Keyword::Auth) => set_once(&mut p.auth, auth(v)?),
            Some(Keyword::RequireTls) => set_flag(&mut p.requiretls, v),
            Some(Keyword::MtPriority) => set_once(&mut p.mt_priority, mt_priority(v)?),
            Some(Keyword::By) => set_once(&mut p.by, by(v)?),
            Some(Keyword::HoldFor) => set_once(&mut p.hold, hold_for(v)?),
            Some(Keyword::HoldUntil) => set_once(&mut p.hold, hold_until(v)?),
            Some(Keyword::Notify | Keyword::Orcpt) | None => {
                keep_first(&mut p.unknown, (kw, v));
                Ok(())
            }
        }
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == MailParameters::default()
    }

    /// Writes `" KW=VALUE"` for each set field, in the order SIZE, BODY,
    /// SMTPUTF8, RET, ENVID, AUTH, REQUIRETLS, MT-PRIORITY, BY,
    /// HOLDFOR/HOLDUNTIL, then the unknown parameter. Values outside their
    /// grammar are refused and nothing is written, and so are SMTPUTF8,
    /// RET and ENVID in a build without their feature
    /// ([`Invalid::NotBuilt`]).
    ///
    /// An unknown parameter's value may hold UTF-8 (RFC 6531); sending it
    /// only when SMTPUTF8 is in use is the caller's business.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    /// Appends the parameters (see [`MailParameters::write`]).
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        if let Some(n) = self.size {
            w.put_str(" SIZE=");
            w.put_decimal(n);
        }
        if let Some(b) = self.body {
            w.put_str(" BODY=");
            w.put_str(b.as_str());
        }
        // SMTPUTF8 and the DSN parameters exist only in a build with their
        // feature (see `Keyword::of`); without it, asking is an error.
        if self.smtputf8 {
            if !cfg!(feature = "smtputf8") {
                return Err(Invalid::NotBuilt);
            }
            w.put_str(" SMTPUTF8");
        }
        if !cfg!(feature = "dsn") {
            if self.ret.is_some() || self.envid.is_some() {
                return Err(Invalid::NotBuilt);
            }
        } else {
            if let Some(r) = self.ret {
                w.put_str(" RET=");
                w.put_str(r.as_str());
            }
            if let Some(x) = &self.envid {
                write_envid(w, x)?;
            }
        }
        if let Some(a) = &self.auth {
            a.write_to(w)?;
        }
        if self.requiretls {
            w.put_str(" REQUIRETLS");
        }
        if let Some(p) = self.mt_priority {
            write_mt_priority(w, p)?;
        }
        if let Some(b) = &self.by {
            b.write_to(w)?;
        }
        if let Some(h) = &self.hold {
            h.write_to(w)?;
        }
        if let Some(u) = &self.unknown {
            write_unknown(w, u, Keyword::is_mail)?;
        }
        Ok(())
    }
}

/// The parameters of `RCPT TO:<…>` (RFC 5321 §4.1.1.3, `Rcpt-parameters`).
///
/// `SIZE`, `BODY` and the other MAIL parameters are unknown here, and so
/// are `NOTIFY` and `ORCPT` without the `dsn` feature (see
/// [`built`](crate::built)).
///
/// ```
/// use embedded_smtp::{syntax::params::{Notify, RcptParameters}, syntax::ParseOptions};
/// let s = " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.COM";
/// let p = RcptParameters::parse(s, ParseOptions::STRICT).unwrap();
/// # if embedded_smtp::built::DSN {
/// assert_eq!(p.notify, Some(Notify::SUCCESS | Notify::FAILURE));
/// assert_eq!(p.orcpt.unwrap().addr_type, "rfc822");
/// let mut buf = [0u8; 64];
/// let n = p.write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], s.as_bytes());
/// # } else {
/// #     assert!(p.notify.is_none() && p.unknown.unwrap().keyword == "NOTIFY");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RcptParameters<'a> {
    /// `NOTIFY=` (RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461 §4.2).
    pub orcpt: Option<Orcpt<'a>>,
    /// The first well-formed parameter this crate does not know.
    pub unknown: Option<UnknownParam<'a>>,
}

impl<'a> RcptParameters<'a> {
    /// Parses the text after the forward-path (see [`MailParameters::parse`]).
    ///
    /// ```
    /// use embedded_smtp::{syntax::params::{ParamError, RcptParameters}, syntax::ParseOptions};
    /// let e = RcptParameters::parse(" NOTIFY=NEVER,SUCCESS", ParseOptions::STRICT);
    /// # if embedded_smtp::built::DSN {
    /// assert_eq!(e, Err(ParamError::InvalidValue));
    /// # } else {
    /// #     assert!(e.unwrap().unknown.is_some()); // no `dsn` feature: unknown
    /// # }
    /// ```
    pub fn parse(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = RcptParameters::default();
        if s.is_empty() || one_pass(s, |raw| p.apply(raw)) {
            return Ok(p);
        }
        Self::parse_checked(s, opts)
    }

    /// The checked path: the whole list validated first, then each
    /// parameter in order, so that errors rank as documented.
    fn parse_checked(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = RcptParameters::default();
        for raw in raw_params(s, opts)? {
            p.apply(raw?)?;
        }
        Ok(p)
    }

    /// Takes one parameter into its field.
    fn apply(&mut self, (kw, v): Raw<'a>) -> Result<(), ParamError> {
        match Keyword::of(kw) {
            Some(Keyword::Notify) => set_once(&mut self.notify, notify(v)?),
            Some(Keyword::Orcpt) => set_once(&mut self.orcpt, orcpt(v)?),
            _ => {
                keep_first(&mut self.unknown, (kw, v));
                Ok(())
            }
        }
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == RcptParameters::default()
    }

    /// Writes `" NOTIFY=… ORCPT=…"` then the unknown parameter, each set
    /// field with a leading SP. Values outside their grammar are refused.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    /// Appends the parameters (see [`RcptParameters::write`]).
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        if !cfg!(feature = "dsn") {
            if self.notify.is_some() || self.orcpt.is_some() {
                return Err(Invalid::NotBuilt);
            }
        } else {
            if let Some(n) = &self.notify {
                n.write_to(w);
            }
            if let Some(o) = &self.orcpt {
                o.write_to(w)?;
            }
        }
        if let Some(u) = &self.unknown {
            write_unknown(w, u, Keyword::is_rcpt)?;
        }
        Ok(())
    }
}

/// The keywords this crate knows, on MAIL or on RCPT.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Size,
    Body,
    SmtpUtf8,
    Ret,
    Envid,
    Auth,
    RequireTls,
    MtPriority,
    By,
    HoldFor,
    HoldUntil,
    Notify,
    Orcpt,
}

impl Keyword {
    /// Every keyword; [`Keyword::of`] dispatches on the length first.
    #[cfg(test)]
    const ALL: [(&'static str, Keyword); 13] = [
        ("SIZE", Keyword::Size),
        ("BODY", Keyword::Body),
        ("SMTPUTF8", Keyword::SmtpUtf8),
        ("RET", Keyword::Ret),
        ("ENVID", Keyword::Envid),
        ("AUTH", Keyword::Auth),
        ("REQUIRETLS", Keyword::RequireTls),
        ("MT-PRIORITY", Keyword::MtPriority),
        ("BY", Keyword::By),
        ("HOLDFOR", Keyword::HoldFor),
        ("HOLDUNTIL", Keyword::HoldUntil),
        ("NOTIFY", Keyword::Notify),
        ("ORCPT", Keyword::Orcpt),
    ];

    /// The keyword `kw` names (ASCII case-insensitive). Without the `dsn`
    /// feature RET, ENVID, NOTIFY and ORCPT are not known, nor SMTPUTF8
    /// without `smtputf8`: they parse as unknown parameters (which a server
    /// refuses, RFC 5321 §4.1.1.11) and their code is left out.
    fn of(kw: &str) -> Option<Keyword> {
        // Dispatch on the length and the case-folded first letter, then one
        // fixed-length comparison.
        let b = kw.as_bytes();
        Some(match (b.len(), b.first().map(|c| c & !0x20)) {
            (2, Some(b'B')) if eq_upper(b, b"BY") => Keyword::By,
            (3, Some(b'R')) if cfg!(feature = "dsn") && eq_upper(b, b"RET") => Keyword::Ret,
            (4, Some(b'S')) if eq_upper(b, b"SIZE") => Keyword::Size,
            (4, Some(b'B')) if eq_upper(b, b"BODY") => Keyword::Body,
            (4, Some(b'A')) if eq_upper(b, b"AUTH") => Keyword::Auth,
            (5, Some(b'E')) if cfg!(feature = "dsn") && eq_upper(b, b"ENVID") => Keyword::Envid,
            (5, Some(b'O')) if cfg!(feature = "dsn") && eq_upper(b, b"ORCPT") => Keyword::Orcpt,
            (6, Some(b'N')) if cfg!(feature = "dsn") && eq_upper(b, b"NOTIFY") => Keyword::Notify,
            (7, Some(b'H')) if eq_upper(b, b"HOLDFOR") => Keyword::HoldFor,
            (8, Some(b'S')) if cfg!(feature = "smtputf8") && eq_upper(b, b"SMTPUTF8") => {
                Keyword::SmtpUtf8
            }
            (9, Some(b'H')) if eq_upper(b, b"HOLDUNTIL") => Keyword::HoldUntil,
            (10, Some(b'R')) if eq_upper(b, b"REQUIRETLS") => Keyword::RequireTls,
            (11, Some(b'M')) if eq_upper(b, b"MT-PRIORITY") => Keyword::MtPriority,
            _ => return None,
        })
    }

    fn is_mail(self) -> bool {
        !self.is_rcpt()
    }

    fn is_rcpt(self) -> bool {
        matches!(self, Keyword::Notify | Keyword::Orcpt)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn raw(s: &str, opts: ParseOptions) -> Result<usize, ParamError> {
        raw_params(s, opts)?.try_fold(0, |n, r| r.map(|_| n + 1))
    }

    #[test]
    fn keyword_lookup_covers_every_name() {
        for (name, k) in Keyword::ALL {
            let dsn = matches!(
                k,
                Keyword::Ret | Keyword::Envid | Keyword::Notify | Keyword::Orcpt
            );
            let built = (!dsn || cfg!(feature = "dsn"))
                && (k != Keyword::SmtpUtf8 || cfg!(feature = "smtputf8"));
            let want = built.then_some(k);
            assert!(Keyword::of(name) == want, "{name}");
            let lower = name.to_ascii_lowercase();
            assert!(Keyword::of(&lower) == want, "{name}");
        }
        assert!(Keyword::of("SIZ").is_none() && Keyword::of("").is_none());
    }

    #[test]
    fn spacing() {
        let strict = ParseOptions::STRICT;
        let lenient = strict.lenient();
        assert_eq!(raw("", strict), Ok(0));
        assert_eq!(raw(" A B=1", strict), Ok(2));
        for bad in [" ", "  A", " A  B", " A ", "A", " A\tB"] {
            assert_eq!(raw(bad, strict), Err(ParamError::Syntax), "{bad:?}");
        }
        assert_eq!(raw("  A   B=1  ", lenient), Ok(2));
        assert_eq!(raw("   ", lenient), Ok(0));
        assert_eq!(raw("A", lenient), Err(ParamError::Syntax));
    }
}
