//! Errors of the server engine's API: the caller's faults and resource
//! shortages. The peer's faults are answered on the wire, never returned.

use crate::syntax::Invalid;

/// Why a [`Server`](super::Server) call was refused. Nothing was written and
/// no state changed.
///
/// ```
/// use embedded_smtp::server::{ServerConfig, Server, ServerError};
/// let mut s = Server::new(ServerConfig::new("mx.example")).unwrap();
/// let mut out = [0u8; 64];
/// assert_eq!(s.accept(&mut out), Err(ServerError::NoDecisionPending));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ServerError {
    /// A decision is pending: answer it before feeding more input.
    DecisionPending,
    /// `accept`/`reject`/`respond` without a pending decision.
    NoDecisionPending,
    /// The session is closed.
    Closed,
    /// The output buffer is too small: `needed` free bytes are required.
    BufferTooSmall {
        /// Bytes of output room required.
        needed: usize,
    },
    /// The reply given to `respond` is not allowed: a control byte in the
    /// text, a code of the wrong class for the decision (3xx never; 2xx only
    /// to accept, 4xx/5xx only to refuse an AUTH), or a mismatched enhanced code.
    InvalidReply(Invalid),
    /// The call does not fit the session's state (`greet` twice,
    /// `tls_established` without a STARTTLS, `feed` during the handshake).
    WrongState,
}

impl core::fmt::Display for ServerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ServerError::DecisionPending => f.write_str("a decision is pending"),
            ServerError::NoDecisionPending => f.write_str("no decision is pending"),
            ServerError::Closed => f.write_str("the session is closed"),
            ServerError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            ServerError::InvalidReply(i) => write!(f, "invalid reply: {i}"),
            ServerError::WrongState => f.write_str("call not allowed in this state"),
        }
    }
}

impl core::error::Error for ServerError {}
