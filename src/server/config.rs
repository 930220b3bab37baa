//! The server's configuration: what it advertises, its policies and its
//! limits (RFC 5321 §4.5.3.1, §4.5.3.2; rules D1, D8, D11, D12, D13, D14).

use core::time::Duration;

use crate::syntax::domain::Host;
use crate::syntax::ehlo::Extension;
use crate::syntax::{AuthMechanism, AuthMechanisms, Mode, check_text};
use crate::wire::line::COMMAND_LINE_MIN;

pub use crate::wire::line::BareLfPolicy;

/// Whether the server offers mail service on this connection (RFC 5321 §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Service {
    /// `220` greeting; normal service. The default.
    #[default]
    Ready,
    /// `554` greeting: every command but QUIT gets `503 5.5.1`, QUIT gets `221`
    /// (RFC 5321 §3.1, catalogue row CMD-19).
    NoService,
}

/// How `VRFY` (RFC 5321 §4.1.1.6) or `EXPN` (§4.1.1.7) is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VrfyPolicy {
    /// `252 2.5.2` "cannot verify, but will accept and attempt delivery"
    /// (RFC 5321 §3.5.3). The default.
    #[default]
    CannotVerify,
    /// `502 5.5.1`: not implemented (§3.5.2 allows disabling it).
    Disabled,
    /// [`Event::Verify`](super::Event::Verify) is a decision for the application.
    Ask,
}

/// The reply to a message that contained a bare CR or LF under
/// [`BareLfPolicy::Reject`] (rule D1; Postfix `smtpd_forbid_bare_newline_reject_code`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BareLfReply {
    /// `550 5.5.2 Error: bare <CR> or <LF> received`; the session goes on. The default.
    #[default]
    Reject550,
    /// `521 5.5.2 …` and the session is closed (chasquid's behaviour).
    Disconnect521,
}

/// What to do when a client breaks the RFC 2920 §3.1 synchronization rules
/// (rule D8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PipeliningPolicy {
    /// `554 5.5.0 Error: SMTP protocol synchronization` and close, as Postfix
    /// ≥ 3.9 does. The default.
    #[default]
    Reject,
    /// Process the commands in order anyway. Bytes behind `STARTTLS` are
    /// refused under both policies (rule D6).
    Lenient,
}

/// Size limits and abuse budgets (rules D11, D13). Defaults follow Postfix.
///
/// ```
/// use embedded_smtp::server::Limits;
/// let l = Limits::DEFAULT;
/// assert_eq!((l.max_line, l.max_recipients, l.hard_error_limit, l.junk_command_limit), (2048, 1000, 20, 100));
/// assert_eq!(l.recipient_overshoot_limit, 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Longest command line, CRLF included (at least 512, RFC 5321
    /// §4.5.3.1.4). MAIL and RCPT lines get the extension allowances on top
    /// (see [`Server::line_limit`](super::Server::line_limit)); AUTH lines and
    /// SASL responses get 12288 (RFC 4954 §4).
    pub max_line: usize,
    /// Most accepted recipients per transaction (at least 100, RFC 5321
    /// §4.5.3.1.8); the next RCPT gets `452 4.5.3` and the client sends
    /// it in a later transaction (§4.5.3.1.10). The transaction goes on:
    /// DATA or BDAT still delivers to the recipients accepted.
    pub max_recipients: u32,
    /// RCPTs past `max_recipients` answered `452 4.5.3` before each one
    /// counts as an error too (Postfix `smtpd_recipient_overshoot_limit`).
    /// Counted per session; a delivered message starts it again, as it
    /// does the error and junk counts.
    pub recipient_overshoot_limit: u16,
    /// Error replies before `421 4.7.0 Error: too many errors` and close
    /// (Postfix `smtpd_hard_error_limit`).
    pub hard_error_limit: u16,
    /// NOOP, RSET, VRFY, EXPN and HELP allowed before each one counts as an
    /// error too (Postfix `smtpd_junk_command_limit`).
    pub junk_command_limit: u16,
    /// Failed AUTH exchanges allowed; the next AUTH command gets
    /// `421 4.7.0` and the session is closed.
    pub auth_failures: u8,
}

impl Limits {
    /// 2048-octet lines, 1000 recipients, 1000 recipients past that before
    /// they count as errors, 20 errors, 100 junk commands, 3 AUTH failures.
    pub const DEFAULT: Limits = Limits {
        max_line: 2048,
        max_recipients: 1000,
        recipient_overshoot_limit: 1000,
        hard_error_limit: 20,
        junk_command_limit: 100,
        auth_failures: 3,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How long the server waits for the client (RFC 5321 §4.5.3.2.7; rule D12).
/// The engine has no clock: [`Server::deadline`](super::Server::deadline)
/// reports the timeout of the current wait and the caller calls
/// [`Server::timeout`](super::Server::timeout) when it has passed.
///
/// ```
/// use core::time::Duration;
/// use embedded_smtp::server::Timeouts;
/// assert_eq!(Timeouts::DEFAULT.command, Duration::from_secs(300));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// Waiting for a command: at least 5 minutes (§4.5.3.2.7).
    pub command: Duration,
    /// Waiting for message data (DATA or a BDAT chunk): at least 3 minutes
    /// (RFC 5321 §4.5.3.2.5 gives the client 3 minutes per data block).
    pub data: Duration,
}

impl Timeouts {
    /// 5 minutes each.
    pub const DEFAULT: Timeouts = Timeouts {
        command: Duration::from_secs(300),
        data: Duration::from_secs(300),
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why [`Server::new`](super::Server::new) refused a [`ServerConfig`]. The caller is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// `hostname` is not a domain or address literal (RFC 5321 §4.1.2).
    Hostname,
    /// `greeting_text` holds a control byte or is longer than 200 octets.
    GreetingText,
    /// `limits.max_line` is below 512 (RFC 5321 §4.5.3.1.4) or above 65536.
    LineLimit,
    /// `limits.max_recipients` is below 100 (RFC 5321 §4.5.3.1.8).
    RecipientLimit,
    /// A budget is 0.
    Budget,
    /// A timeout is below its RFC 5321 §4.5.3.2 floor.
    Timeout,
    /// `tls_required` without `tls_available`.
    TlsRequiredWithoutTls,
    /// `binarymime` without `chunking` (RFC 3030 §3).
    BinaryMimeWithoutChunking,
    /// An AUTH mechanism other than PLAIN, LOGIN and XOAUTH2 (the engine
    /// runs those three exchanges only).
    AuthMechanism,
    /// The configuration asks for something this build leaves out (LMTP,
    /// CHUNKING, BINARYMIME, DSN, SMTPUTF8, XOAUTH2, the PROXY protocol):
    /// the value is the Cargo feature to turn on.
    NotBuilt(&'static str),
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let ConfigError::NotBuilt(feature) = self {
            return write!(f, "needs the `{feature}` feature of embedded-smtp");
        }
        f.write_str(match self {
            ConfigError::Hostname => "hostname is not a domain or address literal",
            ConfigError::GreetingText => "greeting text has a control byte or is too long",
            ConfigError::LineLimit => "line limit outside 512..=65536",
            ConfigError::RecipientLimit => "recipient limit below 100",
            ConfigError::Budget => "an abuse budget is 0",
            ConfigError::Timeout => "a timeout is below the RFC 5321 floor",
            ConfigError::TlsRequiredWithoutTls => "TLS required but not available",
            ConfigError::BinaryMimeWithoutChunking => "BINARYMIME needs CHUNKING",
            ConfigError::AuthMechanism => "only PLAIN, LOGIN and XOAUTH2 are supported",
            ConfigError::NotBuilt(_) => "",
        })
    }
}

impl core::error::Error for ConfigError {}

/// The server's configuration.
///
/// SIZE is always advertised after EHLO: `SIZE n` with a limit, a bare
/// `SIZE` when `max_message_size` is 0 (RFC 1870 §3: no fixed maximum), so
/// a `SIZE=` parameter is always understood.
///
/// ```
/// use embedded_smtp::{built, server::{ConfigError, Server, ServerConfig}};
/// let mut config = ServerConfig::new("mx.example");
/// config.chunking = true;
/// config.max_message_size = 1 << 20;
/// if built::CHUNKING {
///     let server = Server::new(config).unwrap();
///     assert!(!server.is_closed());
/// } else {
///     // A build without the `chunking` feature refuses it.
///     assert!(matches!(Server::new(config), Err(ConfigError::NotBuilt("chunking"))));
/// }
/// assert!(Server::new(ServerConfig::new("bad host")).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServerConfig<'c> {
    /// The server's name in the greeting and the EHLO reply.
    pub hostname: &'c str,
    /// Text after `<hostname> ESMTP` in the greeting (may be empty).
    pub greeting_text: &'c str,
    /// `220` or `554` greeting.
    pub service: Service,
    /// Ask the application about EHLO, HELO and LHLO ([`Event::Hello`](super::Event::Hello)
    /// becomes a decision) instead of answering them at once: policy on
    /// the name a client gives. Default off; the drivers turn it on (their
    /// handlers answer `hello`).
    pub hello_decision: bool,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, one reply per
    /// recipient after the data.
    pub lmtp: bool,
    /// Advertise PIPELINING (RFC 2920). Default on.
    pub pipelining: bool,
    /// Advertise 8BITMIME (RFC 6152). Default on.
    pub eight_bit_mime: bool,
    /// Advertise SMTPUTF8 (RFC 6531). Default off.
    pub smtputf8: bool,
    /// Advertise CHUNKING and accept BDAT (RFC 3030). Default on in a build
    /// with the `chunking` feature, off (and refused) without it.
    pub chunking: bool,
    /// Advertise BINARYMIME (RFC 3030 §3; needs `chunking`). Default off.
    pub binarymime: bool,
    /// Advertise DSN and accept its parameters (RFC 3461). Default off.
    pub dsn: bool,
    /// Advertise ENHANCEDSTATUSCODES and put them in every reply but the
    /// greeting and the EHLO/HELO reply (RFC 2034). Default on.
    pub enhanced_status_codes: bool,
    /// Advertise REQUIRETLS under TLS (RFC 8689). Default off.
    pub requiretls: bool,
    /// Largest message in octets, enforced on the declared SIZE and while
    /// the data streams in; 0 = no limit. Default 10240000 (Postfix).
    pub max_message_size: u64,
    /// The driver can do a TLS handshake: advertise STARTTLS (RFC 3207).
    pub tls_available: bool,
    /// Refuse everything but EHLO, NOOP, STARTTLS and QUIT before TLS
    /// (`530 5.7.0`, RFC 3207 §4).
    pub tls_required: bool,
    /// The SASL mechanisms offered (PLAIN, LOGIN and XOAUTH2 only).
    pub auth: AuthMechanisms,
    /// Offer AUTH without TLS (otherwise AUTH is advertised only under TLS,
    /// and AUTH before TLS gets `538 5.7.11`, RFC 4954 §4).
    pub auth_without_tls: bool,
    /// VRFY answer.
    pub vrfy: VrfyPolicy,
    /// EXPN answer.
    pub expn: VrfyPolicy,
    /// Bare CR / LF handling (rule D1).
    pub bare_lf: BareLfPolicy,
    /// The reply to a message with a bare line ending under `Reject`.
    pub bare_lf_reply: BareLfReply,
    /// Pipelining violations (rule D8).
    pub pipelining_violations: PipeliningPolicy,
    /// Strict or lenient command grammar (see [`Mode`]).
    pub mode: Mode,
    /// Line, recipient and abuse limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Expect a PROXY protocol header (HAProxy's v1 or v2,
    /// [`wire::proxy`](crate::wire::proxy)) before anything else: the
    /// greeting waits for it, its client address is reported as
    /// [`Event::Proxy`](super::Event::Proxy), and a connection without a
    /// valid one is closed with no reply. Turn it on only behind a proxy
    /// that sends it, and let only that proxy connect: whoever can reach the
    /// port can claim any address. Default off: a header is then an unknown
    /// command like any other.
    pub proxy_protocol: bool,
}

impl<'c> ServerConfig<'c> {
    /// The defaults for `hostname`: ESMTP service with PIPELINING, 8BITMIME,
    /// CHUNKING (with the `chunking` feature) and ENHANCEDSTATUSCODES, a 10240000-octet size limit, no TLS,
    /// no AUTH, VRFY and EXPN answered `252`, strict bare-LF rejection,
    /// strict pipelining, strict grammar, [`Limits::DEFAULT`], [`Timeouts::DEFAULT`],
    /// no PROXY protocol.
    pub const fn new(hostname: &'c str) -> Self {
        ServerConfig {
            hostname,
            greeting_text: "",
            service: Service::Ready,
            hello_decision: false,
            lmtp: false,
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: false,
            chunking: cfg!(feature = "chunking"),
            binarymime: false,
            dsn: false,
            enhanced_status_codes: true,
            requiretls: false,
            max_message_size: 10_240_000,
            tls_available: false,
            tls_required: false,
            auth: AuthMechanisms::empty(),
            auth_without_tls: false,
            vrfy: VrfyPolicy::CannotVerify,
            expn: VrfyPolicy::CannotVerify,
            bare_lf: BareLfPolicy::Reject,
            bare_lf_reply: BareLfReply::Reject550,
            pipelining_violations: PipeliningPolicy::Reject,
            mode: Mode::Strict,
            limits: Limits::DEFAULT,
            timeouts: Timeouts::DEFAULT,
            proxy_protocol: false,
        }
    }

    /// Whether the session speaks LMTP. This and the four below are the
    /// engine's only reads of the extensions a Cargo feature can leave
    /// out: `validate` refuses them without their feature, and the `cfg!`
    /// here lets the compiler drop their code.
    pub(crate) const fn is_lmtp(&self) -> bool {
        cfg!(feature = "lmtp") && self.lmtp
    }

    /// Whether BDAT is accepted (CHUNKING).
    pub(crate) const fn has_chunking(&self) -> bool {
        cfg!(feature = "chunking") && self.chunking
    }

    /// Whether the DSN parameters are accepted.
    pub(crate) const fn has_dsn(&self) -> bool {
        cfg!(feature = "dsn") && self.dsn
    }

    /// Whether SMTPUTF8 is accepted.
    pub(crate) const fn has_smtputf8(&self) -> bool {
        cfg!(feature = "smtputf8") && self.smtputf8
    }

    /// Whether a PROXY protocol header is expected first.
    pub(crate) const fn has_proxy(&self) -> bool {
        cfg!(feature = "proxy") && self.proxy_protocol
    }

    /// Checks the configuration against the RFC floors (rule D11), as
    /// [`Server::new`](super::Server::new) does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if Host::parse(self.hostname, false).is_err() {
            return Err(ConfigError::Hostname);
        }
        if check_text(self.greeting_text.as_bytes()).is_err() || self.greeting_text.len() > 200 {
            return Err(ConfigError::GreetingText);
        }
        if !(COMMAND_LINE_MIN..=65536).contains(&self.limits.max_line) {
            return Err(ConfigError::LineLimit);
        }
        if self.limits.max_recipients < 100 {
            return Err(ConfigError::RecipientLimit);
        }
        if self.limits.hard_error_limit == 0
            || self.limits.junk_command_limit == 0
            || self.limits.auth_failures == 0
        {
            return Err(ConfigError::Budget);
        }
        if self.timeouts.command < Duration::from_secs(300)
            || self.timeouts.data < Duration::from_secs(180)
        {
            return Err(ConfigError::Timeout);
        }
        if self.tls_required && !self.tls_available {
            return Err(ConfigError::TlsRequiredWithoutTls);
        }
        if self.binarymime && !self.chunking {
            return Err(ConfigError::BinaryMimeWithoutChunking);
        }
        let wanted = [
            (self.lmtp, cfg!(feature = "lmtp"), "lmtp"),
            (self.chunking, Extension::Chunking.is_built(), "chunking"),
            (self.dsn, Extension::Dsn.is_built(), "dsn"),
            (self.smtputf8, Extension::SmtpUtf8.is_built(), "smtputf8"),
            (self.proxy_protocol, cfg!(feature = "proxy"), "proxy"),
            (
                self.auth.contains(AuthMechanism::XOAuth2),
                AuthMechanism::XOAuth2.is_built(),
                "xoauth2",
            ),
        ];
        if let Some((_, _, feature)) = wanted.iter().find(|(on, built, _)| *on && !built) {
            return Err(ConfigError::NotBuilt(feature));
        }
        let supported = [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2,
        ];
        if self.auth.iter().any(|m| !supported.contains(&m)) {
            return Err(ConfigError::AuthMechanism);
        }
        Ok(())
    }
}
