//! What the client reports to its caller: one [`Event`] per server reply
//! (and a few the engine derives), with the reply borrowed from the input.

use crate::syntax::Reply;

/// The stage of a transaction a failure belongs to (RFC 5321 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Stage {
    /// `MAIL FROM` was refused.
    Mail,
    /// Every `RCPT TO` was refused.
    Recipients,
    /// `DATA` was refused (no 354).
    Data,
    /// The content was refused: the final reply after `.` or a BDAT chunk.
    Content,
}

/// Whether a failure may succeed later (4yz, 421, a timeout, EOF) or never
/// will (5yz). A caller retries only transient failures, and never a
/// message that was [`Event::Delivered`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FailureKind {
    /// Try again later (RFC 5321 §4.2.1 `4yz`, §3.8 "as if a 451").
    Transient,
    /// Do not try again (`5yz`).
    Permanent,
}

/// A transaction (or, in LMTP mode, one recipient's delivery) that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Failure<'a> {
    /// Where it failed.
    pub stage: Stage,
    /// Whether a retry may succeed.
    pub kind: FailureKind,
    /// The reply that settled it, when it is in this input (`None` for a
    /// timeout, EOF, or a reply already reported in an earlier event).
    pub reply: Option<Reply<'a>>,
    /// LMTP: the index of the recipient this final reply is for.
    pub recipient: Option<usize>,
}

/// The result of one [`Client::feed`](super::Client::feed) call.
///
/// `consumed` bytes at the start of the input were used up; the rest must
/// be presented again at the start of the next call. (The client writes
/// only through [`Client::transmit`](super::Client::transmit) and the
/// content calls, so unlike the server's `Step` there is no `written`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step<'a> {
    /// Input bytes used up.
    pub consumed: usize,
    /// What happened.
    pub event: Event<'a>,
}

/// What [`Client::feed`](super::Client::feed) found.
///
/// Every reply the server sends produces exactly one event; a few events
/// are derived (they come with 0 bytes consumed): call `feed` until it
/// returns [`Event::NeedInput`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// No complete reply in the input: keep the unconsumed bytes, read more
    /// and call again (or call [`Client::transmit`](super::Client::transmit)).
    NeedInput,
    /// The server's `220` greeting (RFC 5321 §3.1).
    Greeting(Reply<'a>),
    /// The greeting was `554`: the server refuses the session. QUIT is due;
    /// nothing will be delivered (RPL-09).
    Refused(Reply<'a>),
    /// The reply to EHLO, HELO or LHLO is complete; its capabilities are in
    /// [`Client::capabilities`](super::Client::capabilities). Only the last
    /// line is given: an EHLO reply is folded line by line (RES-08). After
    /// a `421` the session is closed; after another refusal QUIT is due
    /// (EHLO refused with 500/502 falls back to HELO).
    Hello(crate::syntax::ReplyLine<'a>),
    /// The server accepted STARTTLS: hand the transport to TLS now, then
    /// call [`Client::tls_established`](super::Client::tls_established).
    /// Call `feed` once more with the rest of your buffer first: bytes the
    /// server sent after the `220` are a violation (rule D6) and make it
    /// fail with [`ProtocolError::AfterStartTls`](super::ProtocolError).
    StartTls,
    /// STARTTLS was refused under [`TlsPolicy::Opportunistic`](super::TlsPolicy):
    /// the session continues in plaintext.
    TlsRefused(Reply<'a>),
    /// A `334` challenge; its response is due.
    AuthChallenge(Reply<'a>),
    /// `235`: authenticated.
    Authenticated(Reply<'a>),
    /// AUTH failed (`535`, `534`, `538`, `454`, `501` after a cancel, …);
    /// the session continues unauthenticated.
    AuthFailed(Reply<'a>),
    /// The reply to `MAIL FROM`.
    MailFrom(Reply<'a>),
    /// The reply to the `RCPT TO` of recipient `index` (positive: accepted).
    Recipient {
        /// Index into [`Envelope::recipients`](super::Envelope::recipients).
        index: usize,
        /// The reply.
        reply: Reply<'a>,
    },
    /// Send the content now with [`Client::body`](super::Client::body) and
    /// [`Client::finish_body`](super::Client::finish_body): the `354` to
    /// DATA, or `None` in BDAT mode once a recipient was accepted.
    SendBody(Option<Reply<'a>>),
    /// A BDAT chunk other than the last was accepted.
    ChunkAccepted(Reply<'a>),
    /// The message was delivered: the final `2yz` after the content
    /// (RFC 5321 §4.1.1.4). In LMTP mode, for recipient `recipient`.
    Delivered {
        /// LMTP: the recipient this reply is for.
        recipient: Option<usize>,
        /// The final reply.
        reply: Reply<'a>,
    },
    /// The transaction (LMTP: one recipient) failed; the message was not
    /// delivered. The engine sends RSET itself where one is needed.
    Failed(Failure<'a>),
    /// The reply to RSET.
    Reset(Reply<'a>),
    /// A reply that settles nothing: to VRFY or NOOP, to the lone `.` sent
    /// when DATA got `354` although no recipient was accepted (PIP-07), or
    /// to a RCPT pipelined behind a refused MAIL (typically `503`; the
    /// transaction failed with the MAIL reply, and no recipient is refused
    /// by it).
    Reply(Reply<'a>),
    /// `421` outside a transaction: the server is closing the connection;
    /// the session is over (RFC 5321 §3.8). Inside a transaction a `421`
    /// comes as [`Event::Failed`] (transient) instead.
    Closing(Reply<'a>),
    /// The reply to QUIT; the session is over.
    Closed(Reply<'a>),
}
