//! Client configuration: who we are, how TLS and AUTH are used, which
//! extensions we may use, deadlines and limits.

use core::time::Duration;

use crate::syntax::Host;
use crate::syntax::ehlo::AuthMechanism;
use crate::wire::reply::{REPLY_LINE_MIN, ReplyLimits};
use crate::wire::stuff::StuffPolicy;

/// When to use STARTTLS (RFC 3207).
///
/// ```
/// use embedded_smtp::client::TlsPolicy;
/// assert_eq!(TlsPolicy::default(), TlsPolicy::Required);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TlsPolicy {
    /// Abort before AUTH, MAIL or any data when STARTTLS is not advertised,
    /// when EHLO failed and HELO was used, or when the reply to STARTTLS is
    /// not 220 (TLS-10, TLS-11; rule D6). The default.
    #[default]
    Required,
    /// Use STARTTLS when advertised; when it is not, or the server refuses
    /// it, continue in plaintext (credentials are still never sent in
    /// plaintext unless [`ClientConfig::allow_plaintext_auth`] is set).
    Opportunistic,
    /// Never send STARTTLS.
    Never,
}

/// When to send the content with BDAT (RFC 3030) instead of DATA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChunkingPolicy {
    /// Use BDAT whenever the server advertises CHUNKING (the default).
    #[default]
    WhenAdvertised,
    /// Always use DATA (BINARYMIME is then unavailable).
    Never,
}

/// Credentials for SMTP AUTH (RFC 4954).
///
/// The mechanism is chosen from what the server offers, in this order:
/// XOAUTH2 for [`AuthConfig::XOAuth2`]; PLAIN, then LOGIN for
/// [`AuthConfig::Password`]. A NUL, CR or LF in any field (and `^A` in
/// XOAUTH2 fields) is refused when the [`Client`](super::Client) is created
/// (INJ-07).
///
/// ```
/// use embedded_smtp::client::AuthConfig;
/// let creds = AuthConfig::password("alice", "s3cret");
/// assert!(matches!(creds, AuthConfig::Password { authzid: "", .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AuthConfig<'c> {
    /// A user name and password, for PLAIN (RFC 4616) or LOGIN.
    Password {
        /// The authorization identity (PLAIN only); usually empty.
        authzid: &'c str,
        /// The authentication identity (user name).
        user: &'c str,
        /// The password.
        password: &'c str,
    },
    /// An OAuth 2.0 bearer token, for XOAUTH2.
    XOAuth2 {
        /// The user (an e-mail address).
        user: &'c str,
        /// The access token.
        token: &'c str,
    },
}

impl<'c> AuthConfig<'c> {
    /// User name and password, no authorization identity.
    pub const fn password(user: &'c str, password: &'c str) -> Self {
        AuthConfig::Password {
            authzid: "",
            user,
            password,
        }
    }

    /// Checks the fields (INJ-07).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if matches!(self, AuthConfig::XOAuth2 { .. }) && !AuthMechanism::XOAuth2.is_built() {
            return Err(ConfigError::NotBuilt("xoauth2"));
        }
        let bad = |s: &str, extra: &[u8]| {
            s.bytes()
                .any(|b| b == 0 || b == b'\r' || b == b'\n' || extra.contains(&b))
        };
        let ok = match self {
            AuthConfig::Password {
                authzid,
                user,
                password,
            } => !user.is_empty() && !bad(authzid, &[]) && !bad(user, &[]) && !bad(password, &[]),
            AuthConfig::XOAuth2 { user, token } => {
                !user.is_empty() && !token.is_empty() && !bad(user, &[1]) && !bad(token, &[1, b' '])
            }
        };
        if ok {
            Ok(())
        } else {
            Err(ConfigError::Credentials)
        }
    }
}

/// How long the client waits for each reply, per RFC 5321 §4.5.3.2
/// (RES-09). The engine has no clock: [`Client::deadline`](super::Client::deadline)
/// reports the timeout of the current wait and the caller calls
/// [`Client::timeout`](super::Client::timeout) when it has passed.
///
/// ```
/// use core::time::Duration;
/// use embedded_smtp::client::Timeouts;
/// let t = Timeouts::default();
/// assert_eq!(t.greeting, Duration::from_secs(300));
/// assert_eq!(t.data_final, Duration::from_secs(600));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// The 220 greeting (§4.5.3.2.1): 5 minutes.
    pub greeting: Duration,
    /// The reply to MAIL (§4.5.3.2.2): 5 minutes.
    pub mail: Duration,
    /// The reply to each RCPT (§4.5.3.2.3): 5 minutes.
    pub rcpt: Duration,
    /// The reply to DATA (§4.5.3.2.4): 2 minutes.
    pub data_init: Duration,
    /// Between two sends of content (§4.5.3.2.5): 3 minutes.
    pub data_block: Duration,
    /// The final reply to the content (§4.5.3.2.6): 10 minutes, and never
    /// less (a shorter wait causes duplicate deliveries).
    pub data_final: Duration,
    /// Every other reply (EHLO, STARTTLS, AUTH, RSET, QUIT, BDAT chunks):
    /// 5 minutes.
    pub other: Duration,
}

impl Timeouts {
    /// The RFC 5321 §4.5.3.2 values.
    pub const DEFAULT: Timeouts = Timeouts {
        greeting: Duration::from_secs(300),
        mail: Duration::from_secs(300),
        rcpt: Duration::from_secs(300),
        data_init: Duration::from_secs(120),
        data_block: Duration::from_secs(180),
        data_final: Duration::from_secs(600),
        other: Duration::from_secs(300),
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a [`ClientConfig`] was refused. The caller is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// The EHLO name is not a domain or an address literal (INJ-05).
    HeloName,
    /// A credential is empty or holds NUL, CR or LF (INJ-07).
    Credentials,
    /// The final-reply timeout is below RFC 5321's 10 minutes.
    Timeout,
    /// A limit is below its RFC floor (reply line 512), zero, or
    /// above what the engine can track (LMTP: 256 recipients).
    Limit,
    /// The configuration asks for something this build leaves out: LMTP
    /// without the `lmtp` feature, XOAUTH2 credentials without `xoauth2`.
    /// The value is the Cargo feature to turn on.
    NotBuilt(&'static str),
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let ConfigError::NotBuilt(feature) = self {
            return write!(f, "needs the `{feature}` feature of embedded-smtp");
        }
        f.write_str(match self {
            ConfigError::HeloName => "EHLO name is not a domain or address literal",
            ConfigError::Credentials => "credentials are empty or hold NUL, CR or LF",
            ConfigError::Timeout => "final reply timeout below 10 minutes",
            ConfigError::Limit => "limit outside the supported range",
            ConfigError::NotBuilt(_) => "",
        })
    }
}

impl core::error::Error for ConfigError {}

/// The most recipients the engine tracks per transaction in LMTP mode
/// (one bit each, to match the per-recipient replies after the data).
pub const LMTP_MAX_RECIPIENTS: u16 = 256;

/// Everything the client needs to know before the session starts.
///
/// Build it with [`ClientConfig::new`] and adjust the public fields;
/// [`ClientConfig::validate`] (and [`Client::new`](super::Client::new))
/// checks it.
///
/// ```
/// use embedded_smtp::client::{AuthConfig, ClientConfig, TlsPolicy};
/// let mut config = ClientConfig::new("client.example");
/// config.tls = TlsPolicy::Opportunistic;
/// config.auth = Some(AuthConfig::password("alice", "s3cret"));
/// assert!(config.validate().is_ok());
/// assert!(ClientConfig::new("bad name").validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClientConfig<'c> {
    /// The name sent with EHLO/HELO/LHLO: a domain or an address literal
    /// (`[192.0.2.1]`), always ASCII (RFC 6531 §3.7.1).
    pub helo: &'c str,
    /// When to use STARTTLS.
    pub tls: TlsPolicy,
    /// The transport is already TLS (port 465, RFC 8314): no STARTTLS,
    /// credentials may be sent.
    pub implicit_tls: bool,
    /// Credentials; `None`: no AUTH.
    pub auth: Option<AuthConfig<'c>>,
    /// Allow PLAIN/LOGIN/XOAUTH2 over a connection that is not TLS.
    pub allow_plaintext_auth: bool,
    /// Use PIPELINING (RFC 2920) when the server advertises it.
    pub pipelining: bool,
    /// When to use BDAT.
    pub chunking: ChunkingPolicy,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO, one final reply per
    /// accepted recipient.
    pub lmtp: bool,
    /// What to do with a bare CR or LF in a DATA body (rule D4).
    pub stuff_policy: StuffPolicy,
    /// Longest body line in octets without CRLF (RFC 5321 §4.5.3.1.6: 998);
    /// `None`: unlimited.
    pub max_line: Option<usize>,
    /// Most recipients per transaction the caller intends to use (not 0;
    /// a server must accept at least 100, RFC 5321 §4.5.3.1.8).
    pub max_recipients: u16,
    /// Most SASL challenge rounds before the client cancels with `*` (at
    /// least 2: LOGIN needs two).
    pub max_auth_rounds: u8,
    /// Most BDAT chunks awaiting their reply at once with PIPELINING (at
    /// least 1; without PIPELINING each chunk waits for the last one's
    /// reply). A driver that does not read while it writes would otherwise
    /// send chunk after chunk while the server's `250`s pile up unread,
    /// until the server blocks writing them and both sides wait for ever
    /// (it took 100 KiB against an embassy-net server with 2 KiB socket
    /// buffers); eight replies fit any receive path and keep BDAT
    /// pipelined.
    pub max_chunks_in_flight: u8,
    /// Bounds on each reply (rule D10). An EHLO reply is folded line by
    /// line, so only `max_line` applies to it (RES-08).
    pub reply_limits: ReplyLimits,
    /// Per-phase timeouts.
    pub timeouts: Timeouts,
}

impl<'c> ClientConfig<'c> {
    /// A configuration with the given EHLO name and the defaults:
    /// TLS required, no credentials, PIPELINING and CHUNKING used when
    /// advertised, bare CR/LF in bodies refused, 998-octet body lines, 100
    /// recipients, 3 SASL rounds, 8 BDAT chunks in flight, default reply
    /// limits and RFC timeouts.
    pub const fn new(helo: &'c str) -> Self {
        ClientConfig {
            helo,
            tls: TlsPolicy::Required,
            implicit_tls: false,
            auth: None,
            allow_plaintext_auth: false,
            pipelining: true,
            chunking: ChunkingPolicy::WhenAdvertised,
            lmtp: false,
            stuff_policy: StuffPolicy::Reject,
            max_line: Some(998),
            max_recipients: 100,
            max_auth_rounds: 3,
            max_chunks_in_flight: 8,
            reply_limits: ReplyLimits::DEFAULT,
            timeouts: Timeouts::DEFAULT,
        }
    }

    /// Whether the session speaks LMTP: [`lmtp`](Self::lmtp) in a build
    /// with the `lmtp` feature (the one place the engine reads it, so
    /// that LMTP's code is left out without the feature).
    pub(crate) const fn is_lmtp(&self) -> bool {
        cfg!(feature = "lmtp") && self.lmtp
    }

    /// The EHLO name, parsed.
    pub(crate) fn helo_host(&self) -> Result<Host<'c>, ConfigError> {
        Host::parse(self.helo, false)
            .ok()
            .filter(|h| h.is_ascii() && h.check().is_ok())
            .ok_or(ConfigError::HeloName)
    }

    /// Checks the whole configuration against the RFC floors and the
    /// engine's limits, as [`Client::new`](super::Client::new) does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.helo_host()?;
        if let Some(a) = &self.auth {
            a.check()?;
        }
        if self.lmtp && !cfg!(feature = "lmtp") {
            return Err(ConfigError::NotBuilt("lmtp"));
        }
        if self.timeouts.data_final < Timeouts::DEFAULT.data_final {
            return Err(ConfigError::Timeout);
        }
        let lmtp_cap = self.is_lmtp() && self.max_recipients > LMTP_MAX_RECIPIENTS;
        if self.max_recipients == 0
            || self.max_auth_rounds < 2
            || lmtp_cap
            || self.reply_limits.max_line < REPLY_LINE_MIN
            || self.max_chunks_in_flight == 0
            || self.reply_limits.max_lines == 0
        {
            return Err(ConfigError::Limit);
        }
        Ok(())
    }
}
