//! The values of the MAIL/RCPT parameters this crate knows: their types,
//! their grammars (nom) and their writers. The parameter lists that hold
//! them are in the parent module.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{take_while_m_n, take_while1};
use nom::character::complete::{char, one_of, satisfy};
use nom::combinator::{all_consuming, map, opt, rest, value, verify};
use nom::sequence::preceded;

use super::ParamError;
use super::xtext::XText;
use crate::syntax::{Invalid, Writer, check_text};

pub(super) type Value<'a> = Option<&'a str>;

/// Whether `s` is `upper` in any ASCII case, where `upper` holds no
/// lower-case letter: `s.eq_ignore_ascii_case(upper)` as one branch-free
/// loop over a fixed length (each letter of `upper` may differ from `s` in
/// bit 5 only; every other byte must match exactly).
#[inline(always)]
pub(crate) fn eq_upper<const N: usize>(s: &[u8], upper: &[u8; N]) -> bool {
    let Ok(s) = <&[u8; N]>::try_from(s) else {
        return false;
    };
    let diff = s.iter().zip(upper).fold(0u8, |d, (a, u)| {
        let case = if u.is_ascii_uppercase() { 0x20 } else { 0 };
        d | ((a ^ u) & !case)
    });
    diff == 0
}

pub(super) fn no_value(v: Value<'_>) -> Result<(), ParamError> {
    v.map_or(Ok(()), |_| Err(ParamError::InvalidValue))
}

pub(super) fn need(v: Value<'_>) -> Result<&str, ParamError> {
    v.ok_or(ParamError::InvalidValue)
}

/// Runs `p` over the whole value.
pub(super) fn whole<'a, O, P>(v: &'a str, p: P) -> Result<O, ParamError>
where
    P: Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
{
    all_consuming(p)
        .parse(v)
        .map(|(_, o)| o)
        .map_err(|_| ParamError::InvalidValue)
}

/// The value of ASCII digits, saturating at `u64::MAX`.
pub(super) fn decimal(d: &str) -> u64 {
    d.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10)
            .saturating_add(u64::from(b.wrapping_sub(b'0')))
    })
}

/// `size-value = 1*20DIGIT` (RFC 1870), any number of digits accepted: what
/// `whole(v, digits(1, usize::MAX))` reads, as one byte loop.
pub(super) fn size(v: Value<'_>) -> Result<u64, ParamError> {
    let v = need(v)?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamError::InvalidValue);
    }
    Ok(decimal(v))
}

/// `BODY=` values (RFC 6152 §2, RFC 3030 §3).
///
/// ```
/// use embedded_smtp::{syntax::params::{Body, MailParameters}, syntax::ParseOptions};
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

pub(super) fn body(v: Value<'_>) -> Result<Body, ParamError> {
    let v = need(v)?.as_bytes();
    if eq_upper(v, b"8BITMIME") {
        Ok(Body::EightBitMime)
    } else if eq_upper(v, b"7BIT") {
        Ok(Body::SevenBit)
    } else if eq_upper(v, b"BINARYMIME") {
        Ok(Body::BinaryMime)
    } else {
        Err(ParamError::InvalidValue)
    }
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

pub(super) fn ret(v: Value<'_>) -> Result<Ret, ParamError> {
    let v = need(v)?.as_bytes();
    if eq_upper(v, b"HDRS") {
        Ok(Ret::Hdrs)
    } else if eq_upper(v, b"FULL") {
        Ok(Ret::Full)
    } else {
        Err(ParamError::InvalidValue)
    }
}

/// The longest `ENVID=` value (RFC 3461 §4.4), in encoded characters.
pub const ENVID_MAX: usize = 100;
/// The longest `ORCPT=` value (RFC 3461 §4.2), in characters.
pub const ORCPT_MAX: usize = 500;

pub(super) fn envid(v: Value<'_>) -> Result<XText<'_>, ParamError> {
    let x = XText::from_encoded(need(v)?)?;
    if x.encoded_len() > ENVID_MAX {
        return Err(ParamError::InvalidValue);
    }
    Ok(x)
}

pub(super) fn write_envid(w: &mut Writer<'_>, x: &XText<'_>) -> Result<(), Invalid> {
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
/// use embedded_smtp::{syntax::params::{MailAuth, MailParameters}, syntax::params::xtext::XText, syntax::ParseOptions};
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
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
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

pub(super) fn auth(v: Value<'_>) -> Result<MailAuth<'_>, ParamError> {
    match need(v)? {
        "<>" => Ok(MailAuth::Empty),
        x => XText::from_encoded(x).map(MailAuth::Mailbox),
    }
}

pub(super) fn mt_priority(v: Value<'_>) -> Result<i8, ParamError> {
    let (sign, d) = whole(need(v)?, (sign, satisfy(|c| c.is_ascii_digit())))?;
    let n = d as i8 - b'0' as i8;
    Ok(if sign == Some('-') { -n } else { n })
}

pub(super) fn write_mt_priority(w: &mut Writer<'_>, p: i8) -> Result<(), Invalid> {
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
/// use embedded_smtp::{syntax::params::{By, ByMode, MailParameters}, syntax::ParseOptions};
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
pub(super) const NINE_DIGITS: u32 = 999_999_999;

impl By {
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
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

pub(super) fn by(v: Value<'_>) -> Result<By, ParamError> {
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
/// use embedded_smtp::{syntax::params::{Hold, MailParameters}, syntax::ParseOptions};
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
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
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

pub(super) fn hold_for(v: Value<'_>) -> Result<Hold<'_>, ParamError> {
    let d = whole(need(v)?, digits(1, 9))?;
    u32::try_from(decimal(d))
        .map(Hold::For)
        .map_err(|_| ParamError::InvalidValue)
}

pub(super) fn hold_until(v: Value<'_>) -> Result<Hold<'_>, ParamError> {
    let v = need(v)?;
    whole(v, date_time).map(|()| Hold::Until(v))
}

/// Two digits within `lo..=hi`.
pub(super) fn two_in(lo: u64, hi: u64) -> impl Fn(&str) -> nom::IResult<&str, u64> {
    move |i| verify(map(digits(2, 2), decimal), |n| (lo..=hi).contains(n)).parse(i)
}

/// RFC 3339 §5.6 `date-time` (field ranges checked, not the calendar).
pub(super) fn date_time(i: &str) -> nom::IResult<&str, ()> {
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
/// use embedded_smtp::syntax::params::Notify;
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

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) {
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

pub(super) fn notify(v: Value<'_>) -> Result<Notify, ParamError> {
    let (mut set, mut never) = (Notify::NEVER, false);
    let mut rest = need(v)?.as_bytes();
    // Each pass takes one comma-separated word off `rest`.
    loop {
        let comma = rest.iter().position(|&b| b == b',');
        let word = rest.get(..comma.unwrap_or(rest.len())).unwrap_or_default();
        if eq_upper(word, b"SUCCESS") {
            set = set.union(Notify::SUCCESS);
        } else if eq_upper(word, b"FAILURE") {
            set = set.union(Notify::FAILURE);
        } else if eq_upper(word, b"DELAY") {
            set = set.union(Notify::DELAY);
        } else if eq_upper(word, b"NEVER") {
            never = true;
        } else {
            return Err(ParamError::InvalidValue);
        }
        match comma {
            Some(c) => rest = rest.get(c + 1..).unwrap_or_default(),
            None => break,
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
/// use embedded_smtp::{syntax::params::RcptParameters, syntax::params::xtext::XText, syntax::ParseOptions};
/// let p = RcptParameters::parse(" ORCPT=rfc822;x+20y@z", ParseOptions::STRICT).unwrap();
/// # if embedded_smtp::built::DSN {
/// let o = p.orcpt.unwrap();
/// assert_eq!(o.addr_type, "rfc822");
/// assert_eq!(o.address, XText::from_plain(b"x y@z").unwrap());
/// # } else {
/// #     assert!(p.orcpt.is_none() && p.unknown.unwrap().keyword == "ORCPT");
/// # }
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
pub(super) fn is_addr_type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/?^_`{|}~".contains(c)
}

impl Orcpt<'_> {
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
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

pub(super) fn orcpt(v: Value<'_>) -> Result<Orcpt<'_>, ParamError> {
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
