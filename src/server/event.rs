//! What [`Server::feed`](super::Server::feed) reports: one [`Event`] per call,
//! inside a [`Step`] that also says how many bytes were consumed and written.

use crate::sasl::Credentials;
use crate::syntax::{ForwardPath, Host, MailParameters, RcptParameters, ReversePath, Verb};
use crate::wire::proxy::ProxyHeader;

/// The result of one [`Server::feed`](super::Server::feed) call.
///
/// `consumed` bytes at the start of the input were used up; the rest must be
/// presented again at the start of the next call. `written` bytes were
/// appended at the start of the output buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step<'a> {
    /// Input bytes used up.
    pub consumed: usize,
    /// Output bytes written (replies, in command order).
    pub written: usize,
    /// What happened.
    pub event: Event<'a>,
}

/// What the server engine reports. Events borrow the input.
///
/// The events marked DECISION stop the engine until the application answers
/// with [`Server::accept`](super::Server::accept),
/// [`Server::reject`](super::Server::reject) or
/// [`Server::respond`](super::Server::respond); the engine then writes the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// All complete input was used: send the output if there is any (RFC 2920
    /// §3.2: flush whenever the input buffer is empty), then read more.
    NeedInput,
    /// Send the output now, then call `feed` again with the rest of the input
    /// (the output buffer is full, or a group-ending reply was written).
    Flush,
    /// The PROXY protocol header arrived (only with
    /// [`ServerConfig::proxy_protocol`](super::ServerConfig::proxy_protocol);
    /// informational): [`ProxyHeader::source`] is the client behind the
    /// proxy, `None` for a proxy's own health check (use the connection's
    /// peer then). The greeting was written.
    Proxy(ProxyHeader),
    /// EHLO, HELO or LHLO was answered (informational; the transaction was
    /// reset). DECISION with
    /// [`ServerConfig::hello_decision`](super::ServerConfig::hello_decision):
    /// nothing is answered yet; accept writes the `250` (the EHLO reply with
    /// what is advertised), a refusal leaves the session as it was.
    Hello {
        /// `Ehlo`, `Helo` or `Lhlo`.
        verb: Verb,
        /// The client's claimed name.
        domain: Host<'a>,
    },
    /// DECISION: `MAIL FROM` with parameters the server advertised.
    Mail {
        /// The reverse path (`<>` included).
        from: ReversePath<'a>,
        /// Its parameters.
        params: MailParameters<'a>,
    },
    /// DECISION: `RCPT TO`.
    Rcpt {
        /// The forward path.
        to: ForwardPath<'a>,
        /// Its parameters.
        params: RcptParameters<'a>,
    },
    /// DECISION (only with [`VrfyPolicy::Ask`](super::VrfyPolicy::Ask)): VRFY or EXPN.
    Verify {
        /// `Vrfy` or `Expn`.
        verb: Verb,
        /// The argument as sent.
        argument: &'a str,
    },
    /// A message body follows (after `354` to DATA, or with the first BDAT chunk).
    DataStart,
    /// Message content, dot-unstuffed (DATA) or raw (BDAT), in order.
    Data(&'a [u8]),
    /// DECISION: the whole message arrived; the reply is the final answer to
    /// it (under LMTP: one `MessageEnd` per accepted recipient, in RCPT order).
    MessageEnd,
    /// Discard the content given so far; no decision follows for it.
    MessageAborted(AbortReason),
    /// DECISION: credentials to check (accept: `235 2.7.0`, reject: `535 5.7.8`).
    Auth(Credentials<'a>),
    /// Send the output (the `220` to STARTTLS), do the TLS handshake, then
    /// call [`Server::tls_established`](super::Server::tls_established).
    StartTls,
    /// Send the output, then close the connection. A message still open is discarded.
    Close,
}

/// Why a message was aborted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AbortReason {
    /// Larger than `max_message_size` (the reply is `552 5.3.4`).
    TooBig,
    /// A bare CR or LF under [`BareLfPolicy::Reject`](super::BareLfPolicy::Reject).
    BareLineEnding,
    /// The peer closed the connection before the message was answered.
    Eof,
    /// RSET, a new EHLO/HELO/LHLO, QUIT or STARTTLS during a BDAT message.
    Reset,
}

/// A decision the application owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecisionKind {
    /// [`Event::Mail`].
    Mail,
    /// [`Event::Rcpt`].
    Rcpt,
    /// [`Event::Verify`].
    Verify,
    /// [`Event::MessageEnd`].
    MessageEnd,
    /// [`Event::Auth`].
    Auth,
    /// [`Event::Hello`] (with `ServerConfig::hello_decision`).
    Hello,
}

/// The observable state of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Phase {
    /// [`Server::greet`](super::Server::greet) was not called yet, or,
    /// with a PROXY protocol header expected, the header has not arrived.
    Connected,
    /// Waiting for a command.
    Command,
    /// Receiving DATA content.
    Data,
    /// Receiving a BDAT chunk.
    Chunk,
    /// In an AUTH exchange, waiting for a response line.
    Auth,
    /// Waiting for the application's decision.
    Decision(DecisionKind),
    /// STARTTLS was accepted; waiting for the handshake.
    TlsHandshake,
    /// Closed: no more input is taken.
    Closed,
}
