//! Errors of the client engine, grouped by who is at fault.

use crate::syntax::{ReplyCode, ReplyError};
use crate::wire::stuff::BodyError;

use super::config::ConfigError;
use super::envelope::EnvelopeError;

/// How the server broke the protocol. The session is closed: drop the
/// connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reply that does not parse or passes a limit (rule D10; RPL-02, RPL-04).
    Reply(ReplyError),
    /// A reply code that makes no sense here (a `354` to anything but DATA,
    /// a greeting other than 220/421/554, …; RPL-09, TLS-11).
    Unexpected(ReplyCode),
    /// A reply while no command was outstanding (RPL-06).
    Unsolicited(ReplyCode),
    /// Bytes after the `220` to STARTTLS, before the TLS handshake (rule D6).
    AfterStartTls,
    /// A SASL challenge after the client cancelled or beyond the rounds the
    /// engine allows.
    Auth,
}

impl core::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProtocolError::Reply(e) => write!(f, "bad reply: {e}"),
            ProtocolError::Unexpected(c) => write!(f, "unexpected reply code {}", c.get()),
            ProtocolError::Unsolicited(c) => write!(f, "unsolicited reply {}", c.get()),
            ProtocolError::AfterStartTls => f.write_str("plaintext after the STARTTLS 220"),
            ProtocolError::Auth => f.write_str("SASL exchange out of bounds"),
        }
    }
}

/// Why the body cannot be sent. The caller is at fault; since content cannot
/// be withdrawn in band, the session is closed (nothing more is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ContentError {
    /// Bare CR/LF or an over-long line (rule D4; DOT-04, DOT-07).
    Text(BodyError),
    /// An octet above 127 and the envelope did not declare `BODY=8BITMIME`
    /// (or BINARYMIME, or SMTPUTF8) (EXT-10).
    EightBit,
}

/// Why configured credentials cannot be used (RFC 4954 §3, §4). The
/// server is not at fault; the session ends before MAIL.
///
/// ```
/// use embedded_smtp::client::AuthUnavailable;
/// let e = AuthUnavailable::NoCommonMechanism;
/// assert!(e.to_string().contains("no AUTH mechanism in common"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AuthUnavailable {
    /// The server offers no AUTH: no AUTH line in its EHLO reply, or it
    /// only answered HELO.
    NotOffered,
    /// The server offers AUTH, but no mechanism the client speaks for these
    /// credentials (PLAIN or LOGIN for a password, XOAUTH2 for a token):
    /// for example only NTLM and GSSAPI, as Exchange does on premises, or
    /// only CRAM-MD5 or SCRAM. (The mechanisms it named are those in
    /// [`Capabilities::auth`](crate::syntax::ehlo::Capabilities::auth) that
    /// this crate knows.)
    NoCommonMechanism,
    /// The connection is not TLS and
    /// [`ClientConfig::allow_plaintext_auth`](super::ClientConfig::allow_plaintext_auth)
    /// is off: credentials are never sent in the clear.
    NotEncrypted,
}

impl core::fmt::Display for AuthUnavailable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AuthUnavailable::NotOffered => "the server offers no AUTH",
            AuthUnavailable::NoCommonMechanism => {
                "no AUTH mechanism in common (the client speaks PLAIN and LOGIN for a \
                 password, XOAUTH2 for a token)"
            }
            AuthUnavailable::NotEncrypted => "the connection is not TLS and plaintext AUTH is off",
        })
    }
}

impl core::error::Error for AuthUnavailable {}

/// What went wrong in a call to the [`Client`](super::Client).
///
/// ```
/// use embedded_smtp::client::{ClientError, ProtocolError};
/// let e = ClientError::Protocol(ProtocolError::AfterStartTls);
/// assert!(e.to_string().contains("STARTTLS"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ClientError {
    /// The peer broke the protocol; the session is closed.
    Protocol(ProtocolError),
    /// The configuration was refused (caller).
    Config(ConfigError),
    /// The envelope was refused before any byte of it was written (caller).
    Envelope(EnvelopeError),
    /// The body was refused; the session is closed (caller).
    Content(ContentError),
    /// The next command does not fit in the output buffer even alone
    /// (resources): `needed` bytes are required.
    BufferTooSmall {
        /// Bytes the command needs.
        needed: usize,
    },
    /// [`TlsPolicy::Required`](super::TlsPolicy::Required) and TLS is not
    /// available (not advertised, HELO only, or STARTTLS refused): nothing
    /// was authenticated or sent; QUIT is due (TLS-10, TLS-11).
    TlsUnavailable,
    /// Credentials are configured but cannot be used (the reason says
    /// why): nothing was authenticated or sent; QUIT is due.
    AuthUnavailable(AuthUnavailable),
    /// The call does not fit the session state (e.g. `send` before the
    /// session is ready, `body` outside the content phase, another
    /// envelope passed to `transmit` mid-transaction).
    State,
    /// The session is over.
    Closed,
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientError::Protocol(e) => write!(f, "protocol error: {e}"),
            ClientError::Config(e) => write!(f, "configuration: {e}"),
            ClientError::Envelope(e) => write!(f, "envelope: {e}"),
            ClientError::Content(ContentError::Text(e)) => write!(f, "content: {e}"),
            ClientError::Content(ContentError::EightBit) => {
                f.write_str("content: 8-bit octet without BODY=8BITMIME")
            }
            ClientError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            ClientError::TlsUnavailable => f.write_str("TLS required but not available"),
            ClientError::AuthUnavailable(why) => write!(f, "credentials cannot be used: {why}"),
            ClientError::State => f.write_str("call not allowed in this session state"),
            ClientError::Closed => f.write_str("session closed"),
        }
    }
}

impl core::error::Error for ClientError {}
impl core::error::Error for ProtocolError {}

impl From<ProtocolError> for ClientError {
    fn from(e: ProtocolError) -> Self {
        ClientError::Protocol(e)
    }
}

impl From<EnvelopeError> for ClientError {
    fn from(e: EnvelopeError) -> Self {
        ClientError::Envelope(e)
    }
}

impl From<ConfigError> for ClientError {
    fn from(e: ConfigError) -> Self {
        ClientError::Config(e)
    }
}
