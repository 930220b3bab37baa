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
use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while_m_n, take_while1};
use nom::character::complete::{char, one_of, satisfy};
use nom::combinator::{all_consuming, map, opt, recognize, rest, value, verify};
use nom::sequence::preceded;

use super::xtext::XText;
use super::{Invalid, ParseOptions, WriteError, Writer, check_text, write_with};

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
/// use embedded_smtp::{ParseOptions, params::{MailParameters, UnknownParam}};
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
/// `NOTIFY` and `ORCPT` belong to RCPT and are unknown here.
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{Body, MailParameters}};
/// let s = " SIZE=1000 BODY=8BITMIME SMTPUTF8";
/// let p = MailParameters::parse(s, ParseOptions::STRICT.utf8(true)).unwrap();
/// assert_eq!(p.size, Some(1000));
/// assert_eq!(p.body, Some(Body::EightBitMime));
/// assert!(p.smtputf8);
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
    /// use embedded_smtp::{ParseOptions, params::{MailParameters, ParamError}};
    /// let p = MailParameters::parse(" size=99999999999999999999999999999", ParseOptions::STRICT);
    /// assert_eq!(p.unwrap().size, Some(u64::MAX));
    /// let e = MailParameters::parse(" SIZE=1 SIZE=2", ParseOptions::STRICT);
    /// assert_eq!(e, Err(ParamError::Duplicate));
    /// ```
    pub fn parse(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = MailParameters::default();
        for raw in raw_params(s, opts)? {
            let (kw, v) = raw?;
            match Keyword::of(kw) {
                Some(Keyword::Size) => set_once(&mut p.size, size(v)?)?,
                Some(Keyword::Body) => set_once(&mut p.body, body(v)?)?,
                Some(Keyword::SmtpUtf8) => set_flag(&mut p.smtputf8, v)?,
                Some(Keyword::Ret) => set_once(&mut p.ret, ret(v)?)?,
                Some(Keyword::Envid) => set_once(&mut p.envid, envid(v)?)?,
                Some(Keyword::Auth) => set_once(&mut p.auth, auth(v)?)?,
                Some(Keyword::RequireTls) => set_flag(&mut p.requiretls, v)?,
                Some(Keyword::MtPriority) => set_once(&mut p.mt_priority, mt_priority(v)?)?,
                Some(Keyword::By) => set_once(&mut p.by, by(v)?)?,
                Some(Keyword::HoldFor) => set_once(&mut p.hold, hold_for(v)?)?,
                Some(Keyword::HoldUntil) => set_once(&mut p.hold, hold_until(v)?)?,
                Some(Keyword::Notify | Keyword::Orcpt) | None => {
                    keep_first(&mut p.unknown, (kw, v))
                }
            }
        }
        Ok(p)
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == MailParameters::default()
    }

    /// Writes `" KW=VALUE"` for each set field, in the order SIZE, BODY,
    /// SMTPUTF8, RET, ENVID, AUTH, REQUIRETLS, MT-PRIORITY, BY,
    /// HOLDFOR/HOLDUNTIL, then the unknown parameter. Values outside their
    /// grammar are refused and nothing is written.
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
        if self.smtputf8 {
            w.put_str(" SMTPUTF8");
        }
        if let Some(r) = self.ret {
            w.put_str(" RET=");
            w.put_str(r.as_str());
        }
        if let Some(x) = &self.envid {
            write_envid(w, x)?;
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
/// `SIZE`, `BODY` and the other MAIL parameters are unknown here.
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{Notify, RcptParameters}};
/// let s = " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.COM";
/// let p = RcptParameters::parse(s, ParseOptions::STRICT).unwrap();
/// assert_eq!(p.notify, Some(Notify::SUCCESS | Notify::FAILURE));
/// assert_eq!(p.orcpt.unwrap().addr_type, "rfc822");
/// let mut buf = [0u8; 64];
/// let n = p.write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], s.as_bytes());
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
    /// use embedded_smtp::{ParseOptions, params::{ParamError, RcptParameters}};
    /// let e = RcptParameters::parse(" NOTIFY=NEVER,SUCCESS", ParseOptions::STRICT);
    /// assert_eq!(e, Err(ParamError::InvalidValue));
    /// ```
    pub fn parse(s: &'a str, opts: ParseOptions) -> Result<Self, ParamError> {
        let mut p = RcptParameters::default();
        for raw in raw_params(s, opts)? {
            let (kw, v) = raw?;
            match Keyword::of(kw) {
                Some(Keyword::Notify) => set_once(&mut p.notify, notify(v)?)?,
                Some(Keyword::Orcpt) => set_once(&mut p.orcpt, orcpt(v)?)?,
                _ => keep_first(&mut p.unknown, (kw, v)),
            }
        }
        Ok(p)
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
        if let Some(n) = &self.notify {
            n.write_to(w);
        }
        if let Some(o) = &self.orcpt {
            o.write_to(w)?;
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

    fn of(kw: &str) -> Option<Keyword> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(kw))
            .map(|&(_, k)| k)
    }

    fn is_mail(self) -> bool {
        !self.is_rcpt()
    }

    fn is_rcpt(self) -> bool {
        matches!(self, Keyword::Notify | Keyword::Orcpt)
    }
}

type Value<'a> = Option<&'a str>;

fn no_value(v: Value<'_>) -> Result<(), ParamError> {
    v.map_or(Ok(()), |_| Err(ParamError::InvalidValue))
}

fn need(v: Value<'_>) -> Result<&str, ParamError> {
    v.ok_or(ParamError::InvalidValue)
}

/// Runs `p` over the whole value.
fn whole<'a, O, P>(v: &'a str, p: P) -> Result<O, ParamError>
where
    P: Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
{
    all_consuming(p)
        .parse(v)
        .map(|(_, o)| o)
        .map_err(|_| ParamError::InvalidValue)
}

/// The value of ASCII digits, saturating at `u64::MAX`.
fn decimal(d: &str) -> u64 {
    d.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10)
            .saturating_add(u64::from(b.wrapping_sub(b'0')))
    })
}

fn size(v: Value<'_>) -> Result<u64, ParamError> {
    whole(need(v)?, digits(1, usize::MAX)).map(decimal)
}

/// `BODY=` values (RFC 6152 §2, RFC 3030 §3).
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{Body, MailParameters}};
/// let p = MailParameters::parse(" body=binarymime", ParseOptions::STRICT).unwrap();
/// assert_eq!(p.body, Some(Body::BinaryMime));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BINARYMIME` (RFC 3030; needs BDAT).
    BinaryMime,
}

impl Body {
    /// The keyword as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        }
    }
}

fn body(v: Value<'_>) -> Result<Body, ParamError> {
    let v = need(v)?;
    [Body::SevenBit, Body::EightBitMime, Body::BinaryMime]
        .into_iter()
        .find(|b| b.as_str().eq_ignore_ascii_case(v))
        .ok_or(ParamError::InvalidValue)
}

/// `RET=` values (RFC 3461 §4.3: `ret-value = "FULL" / "HDRS"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ret {
    /// `FULL`: return the whole message in a DSN.
    Full,
    /// `HDRS`: return the headers only.
    Hdrs,
}

impl Ret {
    /// The keyword as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Hdrs => "HDRS",
        }
    }
}

fn ret(v: Value<'_>) -> Result<Ret, ParamError> {
    let v = need(v)?;
    [Ret::Full, Ret::Hdrs]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(v))
        .ok_or(ParamError::InvalidValue)
}

/// The longest `ENVID=` value (RFC 3461 §4.4), in encoded characters.
pub const ENVID_MAX: usize = 100;
/// The longest `ORCPT=` value (RFC 3461 §4.2), in characters.
pub const ORCPT_MAX: usize = 500;

fn envid(v: Value<'_>) -> Result<XText<'_>, ParamError> {
    let x = XText::from_encoded(need(v)?)?;
    if x.encoded_len() > ENVID_MAX {
        return Err(ParamError::InvalidValue);
    }
    Ok(x)
}

fn write_envid(w: &mut Writer<'_>, x: &XText<'_>) -> Result<(), Invalid> {
    if x.is_empty() {
        return Err(Invalid::Parameter);
    }
    w.put_str(" ENVID=");
    let start = w.position();
    x.write_to(w)?;
    if w.position().saturating_sub(start) > ENVID_MAX {
        return Err(Invalid::TooLong);
    }
    Ok(())
}

/// `AUTH=` on MAIL (RFC 4954 §5: `"AUTH=" (mailbox / "<>")`, xtext-encoded).
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{MailAuth, MailParameters}, xtext::XText};
/// let p = MailParameters::parse(" AUTH=<>", ParseOptions::STRICT).unwrap();
/// assert_eq!(p.auth, Some(MailAuth::Empty));
/// let p = MailParameters::parse(" AUTH=e+3Dmc2@example.com", ParseOptions::STRICT).unwrap();
/// let who = XText::from_plain(b"e=mc2@example.com").unwrap();
/// assert_eq!(p.auth, Some(MailAuth::Mailbox(who)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MailAuth<'a> {
    /// `AUTH=<>`: the submitter is unknown or not trusted.
    Empty,
    /// The authenticated identity of the submitter.
    Mailbox(XText<'a>),
}

impl MailAuth<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match self {
            MailAuth::Empty => w.put_str(" AUTH=<>"),
            MailAuth::Mailbox(x) => {
                // An empty value is not an esmtp-value; `<>` would read back as Empty.
                if x.is_empty() || x.encodes_as("<>") {
                    return Err(Invalid::Parameter);
                }
                w.put_str(" AUTH=");
                x.write_to(w)?;
            }
        }
        Ok(())
    }
}

fn auth(v: Value<'_>) -> Result<MailAuth<'_>, ParamError> {
    match need(v)? {
        "<>" => Ok(MailAuth::Empty),
        x => XText::from_encoded(x).map(MailAuth::Mailbox),
    }
}

fn mt_priority(v: Value<'_>) -> Result<i8, ParamError> {
    let (sign, d) = whole(need(v)?, (sign, satisfy(|c| c.is_ascii_digit())))?;
    let n = d as i8 - b'0' as i8;
    Ok(if sign == Some('-') { -n } else { n })
}

fn write_mt_priority(w: &mut Writer<'_>, p: i8) -> Result<(), Invalid> {
    if !(-9..=9).contains(&p) {
        return Err(Invalid::Parameter);
    }
    w.put_str(" MT-PRIORITY=");
    if p < 0 {
        w.put_byte(b'-');
    }
    w.put_decimal(u64::from(p.unsigned_abs()));
    Ok(())
}

/// What to do when a `BY=` deadline passes (RFC 2852 §4: `by-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ByMode {
    /// `N`: send a delay DSN and go on trying.
    Notify,
    /// `R`: return the message as undeliverable.
    Return,
}

/// `BY=` (RFC 2852 §4): `by-time ";" by-mode [by-trace]`, with
/// `by-time = ["-" / "+"] 1*9digit`.
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{By, ByMode, MailParameters}};
/// let p = MailParameters::parse(" BY=-120;nt", ParseOptions::STRICT).unwrap();
/// assert_eq!(p.by, Some(By { time: -120, mode: ByMode::Notify, trace: true }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct By {
    /// Seconds, at most nine digits either way.
    pub time: i32,
    /// `N` or `R`.
    pub mode: ByMode,
    /// `T`: trace the deadline in DSNs.
    pub trace: bool,
}

/// The largest `by-time` and `HOLDFOR` value: nine digits.
const NINE_DIGITS: u32 = 999_999_999;

impl By {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        if self.time.unsigned_abs() > NINE_DIGITS {
            return Err(Invalid::Parameter);
        }
        w.put_str(" BY=");
        if self.time < 0 {
            w.put_byte(b'-');
        }
        w.put_decimal(u64::from(self.time.unsigned_abs()));
        w.put_str(match self.mode {
            ByMode::Notify => ";N",
            ByMode::Return => ";R",
        });
        if self.trace {
            w.put_byte(b'T');
        }
        Ok(())
    }
}

fn by(v: Value<'_>) -> Result<By, ParamError> {
    let p = (
        sign,
        digits(1, 9),
        char(';'),
        one_of("NnRr"),
        opt(one_of("Tt")),
    );
    let (sign, d, _, mode, trace) = whole(need(v)?, p)?;
    let abs = i32::try_from(decimal(d)).map_err(|_| ParamError::InvalidValue)?;
    Ok(By {
        time: if sign == Some('-') { -abs } else { abs },
        mode: if mode.eq_ignore_ascii_case(&'N') {
            ByMode::Notify
        } else {
            ByMode::Return
        },
        trace: trace.is_some(),
    })
}

/// FUTURERELEASE (RFC 4865 §3): `HOLDFOR=` seconds or `HOLDUNTIL=` an
/// RFC 3339 `date-time`.
///
/// ```
/// use embedded_smtp::{ParseOptions, params::{Hold, MailParameters}};
/// let p = MailParameters::parse(" HOLDUNTIL=2026-11-25T12:00:00+01:00", ParseOptions::STRICT);
/// assert_eq!(p.unwrap().hold, Some(Hold::Until("2026-11-25T12:00:00+01:00")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Hold<'a> {
    /// `HOLDFOR=`: seconds to hold (at most nine digits).
    For(u32),
    /// `HOLDUNTIL=`: the release time, as received.
    Until(&'a str),
}

impl Hold<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match *self {
            Hold::For(n) if n <= NINE_DIGITS => {
                w.put_str(" HOLDFOR=");
                w.put_decimal(u64::from(n));
            }
            Hold::Until(s) => {
                check_text(s.as_bytes())?;
                whole(s, date_time).map_err(|_| Invalid::Parameter)?;
                w.put_str(" HOLDUNTIL=");
                w.put_str(s);
            }
            Hold::For(_) => return Err(Invalid::Parameter),
        }
        Ok(())
    }
}

fn hold_for(v: Value<'_>) -> Result<Hold<'_>, ParamError> {
    let d = whole(need(v)?, digits(1, 9))?;
    u32::try_from(decimal(d))
        .map(Hold::For)
        .map_err(|_| ParamError::InvalidValue)
}

fn hold_until(v: Value<'_>) -> Result<Hold<'_>, ParamError> {
    let v = need(v)?;
    whole(v, date_time).map(|()| Hold::Until(v))
}

/// Two digits within `lo..=hi`.
fn two_in(lo: u64, hi: u64) -> impl Fn(&str) -> nom::IResult<&str, u64> {
    move |i| verify(map(digits(2, 2), decimal), |n| (lo..=hi).contains(n)).parse(i)
}

/// RFC 3339 §5.6 `date-time` (field ranges checked, not the calendar).
fn date_time(i: &str) -> nom::IResult<&str, ()> {
    let date = (
        digits(4, 4),
        char('-'),
        two_in(1, 12),
        char('-'),
        two_in(1, 31),
    );
    let frac = opt(preceded(char('.'), digits(1, usize::MAX)));
    let time = (
        two_in(0, 23),
        char(':'),
        two_in(0, 59),
        char(':'),
        two_in(0, 60),
        frac,
    );
    let num_offset = (one_of("+-"), two_in(0, 23), char(':'), two_in(0, 59));
    let offset = alt((value((), one_of("Zz")), value((), num_offset)));
    value((), (date, one_of("Tt"), time, offset)).parse(i)
}

/// `NOTIFY=` (RFC 3461 §4.1): `NEVER`, or a set of `SUCCESS`, `FAILURE`
/// and `DELAY`. The empty set is `NEVER`, so `NEVER.union(x) == x`.
///
/// ```
/// use embedded_smtp::params::Notify;
/// let n = Notify::SUCCESS | Notify::DELAY;
/// assert!(n.success() && n.delay() && !n.failure() && !n.is_never());
/// assert_eq!(Notify::NEVER.union(Notify::FAILURE), Notify::FAILURE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Notify(u8);

impl Notify {
    /// `NEVER`: no DSN at all.
    pub const NEVER: Notify = Notify(0);
    /// `SUCCESS`.
    pub const SUCCESS: Notify = Notify(1);
    /// `FAILURE`.
    pub const FAILURE: Notify = Notify(2);
    /// `DELAY`.
    pub const DELAY: Notify = Notify(4);

    const WORDS: [(&'static str, Notify); 3] = [
        ("SUCCESS", Notify::SUCCESS),
        ("FAILURE", Notify::FAILURE),
        ("DELAY", Notify::DELAY),
    ];

    /// Both sets of conditions.
    pub const fn union(self, other: Notify) -> Notify {
        Notify(self.0 | other.0)
    }

    /// Whether this is `NEVER`.
    pub const fn is_never(self) -> bool {
        self.0 == 0
    }

    /// Whether `SUCCESS` is set.
    pub const fn success(self) -> bool {
        self.0 & Notify::SUCCESS.0 != 0
    }

    /// Whether `FAILURE` is set.
    pub const fn failure(self) -> bool {
        self.0 & Notify::FAILURE.0 != 0
    }

    /// Whether `DELAY` is set.
    pub const fn delay(self) -> bool {
        self.0 & Notify::DELAY.0 != 0
    }

    fn write_to(&self, w: &mut Writer<'_>) {
        w.put_str(" NOTIFY=");
        if self.is_never() {
            w.put_str("NEVER");
        }
        let mut sep = "";
        for (word, bit) in Notify::WORDS {
            if self.0 & bit.0 != 0 {
                w.put_str(sep);
                w.put_str(word);
                sep = ",";
            }
        }
    }
}

impl core::ops::BitOr for Notify {
    type Output = Notify;
    fn bitor(self, rhs: Notify) -> Notify {
        self.union(rhs)
    }
}

fn notify(v: Value<'_>) -> Result<Notify, ParamError> {
    let (mut set, mut never) = (Notify::NEVER, false);
    for word in need(v)?.split(',') {
        if word.eq_ignore_ascii_case("NEVER") {
            never = true;
        } else {
            let (_, bit) = Notify::WORDS
                .into_iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(word))
                .ok_or(ParamError::InvalidValue)?;
            set = set.union(bit);
        }
    }
    if never && !set.is_never() {
        return Err(ParamError::InvalidValue);
    }
    Ok(set)
}

/// `ORCPT=` (RFC 3461 §4.2): `addr-type ";" xtext`, at most 500 characters.
///
/// ```
/// use embedded_smtp::{ParseOptions, params::RcptParameters, xtext::XText};
/// let p = RcptParameters::parse(" ORCPT=rfc822;x+20y@z", ParseOptions::STRICT).unwrap();
/// let o = p.orcpt.unwrap();
/// assert_eq!(o.addr_type, "rfc822");
/// assert_eq!(o.address, XText::from_plain(b"x y@z").unwrap());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Orcpt<'a> {
    /// The address type, an `atom` (`rfc822`, `utf-8`, …), as received.
    pub addr_type: &'a str,
    /// The original recipient address.
    pub address: XText<'a>,
}

/// RFC 5322 `atext` (the RFC 822 atom characters), less `=`, which no
/// esmtp-value may hold.
fn is_addr_type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/?^_`{|}~".contains(c)
}

impl Orcpt<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        check_text(self.addr_type.as_bytes())?;
        if self.addr_type.is_empty() || !self.addr_type.chars().all(is_addr_type_char) {
            return Err(Invalid::Parameter);
        }
        w.put_str(" ORCPT=");
        let start = w.position();
        w.put_str(self.addr_type);
        w.put_byte(b';');
        self.address.write_to(w)?;
        if w.position().saturating_sub(start) > ORCPT_MAX {
            return Err(Invalid::TooLong);
        }
        Ok(())
    }
}

fn orcpt(v: Value<'_>) -> Result<Orcpt<'_>, ParamError> {
    let v = need(v)?;
    if v.len() > ORCPT_MAX {
        return Err(ParamError::InvalidValue);
    }
    let (addr_type, _, address) = whole(v, (take_while1(is_addr_type_char), char(';'), rest))?;
    Ok(Orcpt {
        addr_type,
        address: XText::from_encoded(address)?,
    })
}

/// One sign character, for the value grammars.
pub(super) fn sign(input: &str) -> nom::IResult<&str, Option<char>> {
    opt(one_of("+-")).parse(input)
}

/// Exactly `n` to `m` ASCII digits.
pub(super) fn digits(n: usize, m: usize) -> impl Fn(&str) -> nom::IResult<&str, &str> {
    move |i| take_while_m_n(n, m, |c: char| c.is_ascii_digit()).parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str, opts: ParseOptions) -> Result<usize, ParamError> {
        raw_params(s, opts)?.try_fold(0, |n, r| r.map(|_| n + 1))
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
