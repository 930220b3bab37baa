//! Service extensions: reading the capabilities from an EHLO reply (client)
//! and writing one (server) (RFC 5321 §4.1.1.1, §2.2.2).
//!
//! ```text
//! ehlo-ok-rsp  = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
//!              / ( "250-" Domain [ SP ehlo-greet ] CRLF
//!                  *( "250-" ehlo-line CRLF )
//!                  "250" SP ehlo-line CRLF )
//! ehlo-line    = ehlo-keyword *( SP ehlo-param )
//! ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! ehlo-param   = 1*(%d33-126)
//! ```
//!
//! Keywords are case-insensitive. Unknown or malformed keywords and
//! parameters are ignored; the capability set has a fixed size whatever the
//! reply holds, and each line is read in linear time.

use core::fmt;

use nom::Parser;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while_m_n};
use nom::combinator::{eof, recognize, rest};
use nom::sequence::preceded;

use super::grammar::ByteResult;
use super::reply::{MAX_REPLY_LINE, Reply, ReplyCode};
use super::{Invalid, WriteError, Writer, check_text, write_with};

/// An enum of registered names: the type, `ALL` (declaration order, which is
/// the order the server writes them), `from_name`, `name` and `Display`.
macro_rules! named_enum {
    ($(#[$m:meta])* $ty:ident, $what:literal { $( $var:ident = $name:literal, $doc:literal; )* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $ty { $( #[doc = $doc] $var, )* }

        impl $ty {
            #[doc = concat!("Every ", $what, ", in the order the server writes them.")]
            pub const ALL: [$ty; [$($ty::$var),*].len()] = [$($ty::$var),*];

            #[doc = concat!("The ", $what, " called `name` (ASCII case-insensitive).")]
            pub fn from_name(name: &[u8]) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.name().as_bytes().eq_ignore_ascii_case(name))
            }

            /// The registered name (upper case).
            pub const fn name(self) -> &'static str {
                match self { $( $ty::$var => $name, )* }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum!(
    /// A service extension this crate knows, by its EHLO keyword (IANA "SMTP
    /// Service Extensions").
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::Extension;
    /// assert_eq!(Extension::from_name(b"8bitmime"), Some(Extension::EightBitMime));
    /// assert_eq!(Extension::EightBitMime.name(), "8BITMIME");
    /// assert_eq!(Extension::from_name(b"8BIT"), None);
    /// ```
    Extension, "extension" {
        Size = "SIZE", "`SIZE [n]`: message size declaration (RFC 1870).";
        Pipelining = "PIPELINING", "`PIPELINING` (RFC 2920).";
        EightBitMime = "8BITMIME", "`8BITMIME` (RFC 6152).";
        SmtpUtf8 = "SMTPUTF8", "`SMTPUTF8` (RFC 6531).";
        Chunking = "CHUNKING", "`CHUNKING`: the BDAT command (RFC 3030).";
        BinaryMime = "BINARYMIME", "`BINARYMIME` (RFC 3030).";
        Dsn = "DSN", "`DSN`: delivery status notifications (RFC 3461).";
        EnhancedStatusCodes = "ENHANCEDSTATUSCODES", "`ENHANCEDSTATUSCODES` (RFC 2034).";
        StartTls = "STARTTLS", "`STARTTLS` (RFC 3207).";
        Auth = "AUTH", "`AUTH mechanism...` (RFC 4954).";
        RequireTls = "REQUIRETLS", "`REQUIRETLS` (RFC 8689).";
        Limits = "LIMITS", "`LIMITS name=value...` (RFC 9422).";
    }
);

named_enum!(
    /// A SASL mechanism this crate knows (RFC 4954; IANA "SASL Mechanisms").
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::AuthMechanism;
    /// assert_eq!(AuthMechanism::from_name(b"cram-md5"), Some(AuthMechanism::CramMd5));
    /// assert_eq!(AuthMechanism::ScramSha256.name(), "SCRAM-SHA-256");
    /// ```
    AuthMechanism, "mechanism" {
        Plain = "PLAIN", "`PLAIN` (RFC 4616).";
        Login = "LOGIN", "`LOGIN` (draft-murchison-sasl-login; obsolete but common).";
        XOAuth2 = "XOAUTH2", "`XOAUTH2` (Google, Microsoft).";
        CramMd5 = "CRAM-MD5", "`CRAM-MD5` (RFC 2195).";
        ScramSha1 = "SCRAM-SHA-1", "`SCRAM-SHA-1` (RFC 5802).";
        ScramSha256 = "SCRAM-SHA-256", "`SCRAM-SHA-256` (RFC 7677).";
        External = "EXTERNAL", "`EXTERNAL` (RFC 4422 App. A).";
        OAuthBearer = "OAUTHBEARER", "`OAUTHBEARER` (RFC 7628).";
    }
);

impl Extension {
    const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The Cargo feature that builds this extension into the engines
    /// (`chunking` for CHUNKING and BINARYMIME, `dsn`, `smtputf8`); `None`
    /// for the extensions that are always there. Without its feature an
    /// extension is never advertised by the server nor used by the client.
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::Extension;
    /// assert_eq!(Extension::BinaryMime.feature(), Some("chunking"));
    /// assert_eq!(Extension::Pipelining.feature(), None);
    /// ```
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            Extension::Chunking | Extension::BinaryMime => Some("chunking"),
            Extension::Dsn => Some("dsn"),
            Extension::SmtpUtf8 => Some("smtputf8"),
            _ => None,
        }
    }

    /// Whether this build of the crate has the extension (see
    /// [`feature`](Self::feature)).
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::Extension;
    /// assert!(Extension::Pipelining.is_built());
    /// assert_eq!(Extension::Dsn.is_built(), cfg!(feature = "dsn"));
    /// ```
    // A `matches!` for some feature sets, not for others.
    #[allow(clippy::match_like_matches_macro)]
    pub const fn is_built(self) -> bool {
        match self {
            Extension::Chunking | Extension::BinaryMime => cfg!(feature = "chunking"),
            Extension::Dsn => cfg!(feature = "dsn"),
            Extension::SmtpUtf8 => cfg!(feature = "smtputf8"),
            _ => true,
        }
    }
}

impl AuthMechanism {
    const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// Whether this build of the crate runs the mechanism's exchange:
    /// PLAIN and LOGIN always, XOAUTH2 with the `xoauth2` feature, the
    /// others never (they are only recognised in an EHLO reply).
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::AuthMechanism;
    /// assert!(AuthMechanism::Plain.is_built());
    /// assert!(!AuthMechanism::CramMd5.is_built());
    /// ```
    // A `matches!` for some feature sets, not for others.
    #[allow(clippy::match_like_matches_macro)]
    pub const fn is_built(self) -> bool {
        match self {
            AuthMechanism::Plain | AuthMechanism::Login => true,
            AuthMechanism::XOAuth2 => cfg!(feature = "xoauth2"),
            _ => false,
        }
    }
}

/// A set of [`AuthMechanism`]s (the parameters of the `AUTH` EHLO line, RFC 4954 §3).
///
/// ```
/// use embedded_smtp::syntax::ehlo::{AuthMechanism, AuthMechanisms};
/// let mut set = AuthMechanisms::empty();
/// set.insert(AuthMechanism::Login);
/// set.insert(AuthMechanism::Plain);
/// assert!(set.contains(AuthMechanism::Plain));
/// assert!(set.iter().eq([AuthMechanism::Plain, AuthMechanism::Login]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthMechanisms(u8);

impl AuthMechanisms {
    /// No mechanism.
    pub const fn empty() -> Self {
        AuthMechanisms(0)
    }

    /// This set with `m` added (for constants).
    pub const fn with(self, m: AuthMechanism) -> Self {
        AuthMechanisms(self.0 | m.bit())
    }

    /// Adds `m`.
    pub fn insert(&mut self, m: AuthMechanism) {
        self.0 |= m.bit();
    }

    /// Removes `m`.
    pub fn remove(&mut self, m: AuthMechanism) {
        self.0 &= !m.bit();
    }

    /// Whether `m` is in the set.
    pub const fn contains(self, m: AuthMechanism) -> bool {
        self.0 & m.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The mechanisms in the set, in [`AuthMechanism::ALL`] order.
    pub fn iter(self) -> AuthMechanismsIter {
        AuthMechanismsIter { set: self, next: 0 }
    }
}

impl IntoIterator for AuthMechanisms {
    type Item = AuthMechanism;
    type IntoIter = AuthMechanismsIter;

    fn into_iter(self) -> AuthMechanismsIter {
        self.iter()
    }
}

/// Iterator over an [`AuthMechanisms`] set.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthMechanismsIter {
    set: AuthMechanisms,
    next: usize,
}

impl Iterator for AuthMechanismsIter {
    type Item = AuthMechanism;

    fn next(&mut self) -> Option<AuthMechanism> {
        while let Some(&m) = AuthMechanism::ALL.get(self.next) {
            self.next += 1;
            if self.set.contains(m) {
                return Some(m);
            }
        }
        None
    }
}

/// `ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
fn keyword(i: &[u8]) -> ByteResult<'_, &[u8]> {
    recognize((
        take_while_m_n(1, 1, |b: u8| b.is_ascii_alphanumeric()),
        take_while(|b: u8| b.is_ascii_alphanumeric() || b == b'-'),
    ))
    .parse(i)
}

/// `ehlo-line = ehlo-keyword *( SP ehlo-param )`: the keyword and the
/// parameter text (possibly empty).
fn ehlo_line(i: &[u8]) -> ByteResult<'_, (&[u8], &[u8])> {
    let (i, kw) = keyword(i)?;
    let (i, params) = nom::branch::alt((eof, preceded(tag(&b" "[..]), rest))).parse(i)?;
    Ok((i, (kw, params)))
}

/// The parameters of a line: split at SP, empty ones skipped, and those
/// outside `ehlo-param = 1*(%d33-126)` skipped.
fn params(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b' ')
        .filter(|p| !p.is_empty() && p.iter().all(|&b| (33..=126).contains(&b)))
}

/// `1*max_digits DIGIT` as a number, if it fits.
fn decimal(s: &[u8], max_digits: usize) -> Option<u64> {
    if s.is_empty() || s.len() > max_digits {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// The extensions a server advertises, with their parameters: a fixed-size
/// value, filled from an EHLO reply by the client or set by the server.
///
/// A setter given a value also inserts its extension (a size limit inserts
/// [`Extension::Size`], a non-empty mechanism set [`Extension::Auth`], a
/// RCPTMAX or MAILMAX [`Extension::Limits`]); [`Capabilities::remove`] clears
/// the extension's values.
///
/// ```
/// use embedded_smtp::syntax::ehlo::{AuthMechanism, Capabilities, Extension};
/// use embedded_smtp::wire::reply::{ReplyLimits, frame};
/// let input = b"250-mx.example greets you\r\n250-SIZE 35882577\r\n250-AUTH LOGIN PLAIN\r\n250 PIPELINING\r\n";
/// let (reply, _) = frame(input, &ReplyLimits::DEFAULT).unwrap().complete().unwrap();
/// let caps = Capabilities::parse(&reply);
/// assert!(caps.has(Extension::Pipelining));
/// assert_eq!(caps.size_limit(), Some(35882577));
/// assert!(caps.auth().contains(AuthMechanism::Plain));
///
/// let mut buf = [0u8; 256];
/// let n = caps.write_ehlo_reply("mx.example", "greets you", &mut buf).unwrap();
/// assert_eq!(&buf[..n], &b"250-mx.example greets you\r\n250-SIZE 35882577\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"[..]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Capabilities {
    extensions: u16,
    auth: AuthMechanisms,
    /// 0: no fixed limit.
    size: u64,
    /// 0: not stated.
    rcpt_max: u32,
    /// 0: not stated.
    mail_max: u32,
}

impl Capabilities {
    /// No extension.
    pub const fn new() -> Self {
        Capabilities {
            extensions: 0,
            auth: AuthMechanisms::empty(),
            size: 0,
            rcpt_max: 0,
            mail_max: 0,
        }
    }

    /// Whether `ext` is advertised.
    pub const fn has(&self, ext: Extension) -> bool {
        self.extensions & ext.bit() != 0
    }

    /// Advertises `ext`.
    pub fn insert(&mut self, ext: Extension) {
        self.extensions |= ext.bit();
    }

    /// Stops advertising `ext` and forgets its values.
    pub fn remove(&mut self, ext: Extension) {
        self.extensions &= !ext.bit();
        match ext {
            Extension::Size => self.size = 0,
            Extension::Auth => self.auth = AuthMechanisms::empty(),
            Extension::Limits => (self.rcpt_max, self.mail_max) = (0, 0),
            _ => {}
        }
    }

    /// The fixed maximum message size (RFC 1870 §3); `None` when SIZE is
    /// absent, has no value, or is 0 ("no fixed maximum").
    pub const fn size_limit(&self) -> Option<u64> {
        if self.size == 0 {
            None
        } else {
            Some(self.size)
        }
    }

    /// Sets the maximum message size (`Some(0)` is `None`); `Some` also
    /// advertises SIZE.
    pub fn set_size_limit(&mut self, limit: Option<u64>) {
        self.size = limit.unwrap_or(0);
        if self.size != 0 {
            self.insert(Extension::Size);
        }
    }

    /// The advertised SASL mechanisms this crate knows.
    pub const fn auth(&self) -> AuthMechanisms {
        self.auth
    }

    /// Sets the SASL mechanisms; a non-empty set also advertises AUTH.
    pub fn set_auth(&mut self, mechanisms: AuthMechanisms) {
        self.auth = mechanisms;
        if !mechanisms.is_empty() {
            self.insert(Extension::Auth);
        }
    }

    /// RFC 9422 `RCPTMAX`: most RCPT commands per transaction.
    pub const fn rcpt_max(&self) -> Option<u32> {
        if self.rcpt_max == 0 {
            None
        } else {
            Some(self.rcpt_max)
        }
    }

    /// Sets `RCPTMAX` (`Some(0)` is `None`); `Some` also advertises LIMITS.
    pub fn set_rcpt_max(&mut self, max: Option<u32>) {
        self.rcpt_max = max.unwrap_or(0);
        if self.rcpt_max != 0 {
            self.insert(Extension::Limits);
        }
    }

    /// RFC 9422 `MAILMAX`: most transactions per session.
    pub const fn mail_max(&self) -> Option<u32> {
        if self.mail_max == 0 {
            None
        } else {
            Some(self.mail_max)
        }
    }

    /// Sets `MAILMAX` (`Some(0)` is `None`); `Some` also advertises LIMITS.
    pub fn set_mail_max(&mut self, max: Option<u32>) {
        self.mail_max = max.unwrap_or(0);
        if self.mail_max != 0 {
            self.insert(Extension::Limits);
        }
    }

    /// The capabilities in an EHLO reply. The first line holds the server's
    /// domain and greeting and is skipped; a reply other than 250 yields none.
    pub fn parse(reply: &Reply<'_>) -> Capabilities {
        let mut caps = Capabilities::new();
        if reply.code() == ReplyCode::OK {
            for text in reply.lines().skip(1) {
                caps.add_line(text);
            }
        }
        caps
    }

    /// Folds one `ehlo-line` (the text after `250-` / `250 `) into the set.
    ///
    /// Unknown or malformed keywords are ignored, as are bad values: `SIZE abc`
    /// still advertises SIZE; a numeric SIZE value replaces an earlier one.
    /// The legacy `AUTH=mech...` form counts as `AUTH`; mechanisms accumulate
    /// over several AUTH lines. `LIMITS` reads `RCPTMAX=n` and `MAILMAX=n`
    /// (`1*6DIGIT`, not 0). AUTH and LIMITS count as advertised only once a
    /// known mechanism or a valid known limit is seen (their grammar requires
    /// a parameter, and a client can use nothing else), which is also when the
    /// server writer writes them. Bounded work: linear in `text`.
    ///
    /// Returns the extension the line names, whether or not it added
    /// anything: `AUTH NTLM GSSAPI` returns `Some(Extension::Auth)` though no
    /// mechanism this crate knows was offered (a client tells "no AUTH"
    /// from "no mechanism in common" by it).
    ///
    /// ```
    /// use embedded_smtp::syntax::ehlo::{Capabilities, Extension};
    /// let mut caps = Capabilities::new();
    /// assert_eq!(caps.add_line(b"AUTH NTLM GSSAPI"), Some(Extension::Auth));
    /// assert!(!caps.has(Extension::Auth) && caps.auth().is_empty());
    /// assert_eq!(caps.add_line(b"X-EXPS GSSAPI NTLM"), None);
    /// ```
    pub fn add_line(&mut self, text: &[u8]) -> Option<Extension> {
        if let Ok((mechs, _)) =
            tag_no_case::<_, _, nom::error::Error<&[u8]>>(&b"AUTH="[..]).parse(text)
        {
            self.add_auth(mechs);
            return Some(Extension::Auth);
        }
        let Ok((_, (kw, rest))) = ehlo_line(text) else {
            return None;
        };
        let named = Extension::from_name(kw);
        match named {
            None => {}
            Some(Extension::Auth) => self.add_auth(rest),
            Some(Extension::Limits) => self.add_limits(rest),
            Some(ext) => {
                self.insert(ext);
                let mut ps = params(rest);
                if let (Extension::Size, Some(p), None) = (ext, ps.next(), ps.next())
                    && let Some(n) = decimal(p, 20)
                {
                    self.size = n;
                }
            }
        }
        named
    }

    /// `AUTH mech...`: advertised once a known mechanism is listed.
    fn add_auth(&mut self, mechs: &[u8]) {
        for m in params(mechs).filter_map(AuthMechanism::from_name) {
            self.set_auth(self.auth.with(m));
        }
    }

    /// `LIMITS name=value...`: advertised once a known limit has a valid value.
    fn add_limits(&mut self, text: &[u8]) {
        for p in params(text) {
            let mut kv = p.splitn(2, |&b| b == b'=');
            let (Some(name), Some(v)) = (kv.next(), kv.next()) else {
                continue;
            };
            // `1*6DIGIT` always fits in a u32; 0 is not a valid limit and is
            // ignored like any other bad value (it must not clear an earlier one).
            let Some(v) = decimal(v, 6)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| v > 0)
            else {
                continue;
            };
            if name.eq_ignore_ascii_case(b"RCPTMAX") {
                self.set_rcpt_max(Some(v));
            } else if name.eq_ignore_ascii_case(b"MAILMAX") {
                self.set_mail_max(Some(v));
            }
        }
    }

    /// Writes the EHLO reply a server sends (RFC 5321 §4.1.1.1): `250-domain
    /// greeting` (`250-domain` when `greeting` is empty; `250 domain ...` alone
    /// when nothing is advertised), then one line per extension in
    /// [`Extension::ALL`] order. AUTH is written only with a non-empty
    /// mechanism set, LIMITS only with at least one value.
    ///
    /// Refused (nothing written): an empty domain or one with SP
    /// ([`Invalid::Domain`]); a control byte in domain or greeting
    /// ([`Invalid::ControlByte`]); a first line over 512 octets
    /// ([`Invalid::TooLong`]); a LIMITS value over 999999 ([`Invalid::Argument`]).
    pub fn write_ehlo_reply(
        &self,
        domain: &str,
        greeting: &str,
        buf: &mut [u8],
    ) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_ehlo_reply_to(domain, greeting, w))
    }

    /// [`Capabilities::write_ehlo_reply`] over a [`Writer`].
    pub(crate) fn write_ehlo_reply_to(
        &self,
        domain: &str,
        greeting: &str,
        w: &mut Writer<'_>,
    ) -> Result<(), Invalid> {
        check_text(domain.as_bytes())?;
        check_text(greeting.as_bytes())?;
        if domain.is_empty() || domain.contains(' ') {
            return Err(Invalid::Domain);
        }
        if self.rcpt_max > 999_999 || self.mail_max > 999_999 {
            return Err(Invalid::Argument);
        }
        let written = |e: &Extension| match e {
            Extension::Auth => !self.auth.is_empty(),
            Extension::Limits => self.rcpt_max != 0 || self.mail_max != 0,
            _ => true,
        };
        let mut left = Extension::ALL
            .iter()
            .filter(|e| self.has(**e) && written(e))
            .count();
        let start = w.position();
        w.put_str(if left == 0 { "250 " } else { "250-" });
        w.put_str(domain);
        if !greeting.is_empty() {
            w.put_byte(b' ');
            w.put_str(greeting);
        }
        w.put(b"\r\n");
        if w.position() > start + MAX_REPLY_LINE {
            return Err(Invalid::TooLong);
        }
        for ext in Extension::ALL
            .iter()
            .filter(|e| self.has(**e) && written(e))
        {
            left -= 1;
            w.put_str(if left == 0 { "250 " } else { "250-" });
            w.put_str(ext.name());
            match ext {
                Extension::Size => {
                    if let Some(n) = self.size_limit() {
                        w.put_byte(b' ');
                        w.put_decimal(n);
                    }
                }
                Extension::Auth => {
                    for m in self.auth {
                        w.put_byte(b' ');
                        w.put_str(m.name());
                    }
                }
                Extension::Limits => {
                    for (name, v) in [("RCPTMAX=", self.rcpt_max), ("MAILMAX=", self.mail_max)] {
                        if v != 0 {
                            w.put_byte(b' ');
                            w.put_str(name);
                            w.put_decimal(u64::from(v));
                        }
                    }
                }
                _ => {}
            }
            w.put(b"\r\n");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_grammar() {
        assert_eq!(
            ehlo_line(b"SIZE 10"),
            Ok((&b""[..], (&b"SIZE"[..], &b"10"[..])))
        );
        assert_eq!(ehlo_line(b"X-A"), Ok((&b""[..], (&b"X-A"[..], &b""[..]))));
        assert!(ehlo_line(b"-X").is_err());
        assert!(ehlo_line(b"SIZE=10").is_err());
        assert!(ehlo_line(b"").is_err());
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(b"18446744073709551615", 20), Some(u64::MAX));
        assert_eq!(decimal(b"18446744073709551616", 20), None);
        assert_eq!(decimal(b"1234567", 6), None);
        assert_eq!(decimal(b"12a", 6), None);
        assert_eq!(decimal(b"", 6), None);
    }
}
