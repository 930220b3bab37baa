//! Every type the client session's state is made of, in one place.
//!
//! The session is the *phase* ([`State`]: which command is due or which
//! reply is awaited, with the phase's own progress) and the facts that
//! outlive a phase: what the server offered and whether TLS and AUTH are up
//! ([`Session`]), and the open transaction ([`Transaction`]). A phase
//! advances its own fields; moving to another phase, and every change of
//! `Session` or `Transaction`, is `Client::apply` (`session.rs`).

use crate::syntax::Capabilities;
use crate::wire::bdat::BdatWriter;
use crate::wire::reply::ReplyFolder;
use crate::wire::stuff::DotStuffer;

use super::envelope::Plan;
use super::error::ClientError;
use super::event::{FailureKind, Stage};

/// Whether a phase's command is still to be written or was written and
/// its reply is awaited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Turn {
    /// `transmit` writes it next.
    Due,
    /// Written; the reply is awaited.
    Sent,
}

/// Where the session is: one variant per phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum State {
    /// The greeting is awaited (RFC 5321 §3.1).
    Greeting,
    /// EHLO, HELO or LHLO, and its reply folded line by line.
    Hello(HelloPhase),
    /// STARTTLS (RFC 3207).
    StartTls(Turn),
    /// The `220` to STARTTLS arrived: waiting for `tls_established`.
    Handshake,
    /// An AUTH exchange (RFC 4954).
    Auth(AuthPhase),
    /// A transaction may start, or the session end.
    Ready,
    /// MAIL, the RCPTs and (for DATA) DATA, written and answered.
    Envelope(EnvelopePhase),
    /// The content: DATA's stuffed text, or BDAT chunks.
    Content(ContentPhase),
    /// The final replies to the content are awaited.
    Final(FinalPhase),
    /// A lone `.` after a `354` that came with no accepted recipient (PIP-07).
    Dot(Turn),
    /// RSET.
    Rset(Turn),
    /// VRFY or NOOP was written; its reply is awaited.
    Reply,
    /// QUIT.
    Quit(Turn),
    /// Over.
    Closed,
}

/// The greeting command in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum HelloVerb {
    /// RFC 5321 §4.1.1.1.
    Ehlo,
    /// The fallback when EHLO is refused with 500 or 502.
    Helo,
    /// LMTP (RFC 2033 §4.1).
    Lhlo,
}

/// The EHLO phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct HelloPhase {
    /// The command.
    pub(super) verb: HelloVerb,
    /// Written or due.
    pub(super) turn: Turn,
    /// The reply, line by line (RES-08).
    pub(super) folder: ReplyFolder,
    /// The extensions its lines list so far.
    pub(super) caps: Capabilities,
    /// A line named AUTH, whatever mechanisms it listed.
    pub(super) auth_line: bool,
}

impl HelloPhase {
    pub(super) fn due(verb: HelloVerb) -> Self {
        HelloPhase {
            verb,
            turn: Turn::Due,
            folder: ReplyFolder::new(),
            caps: Capabilities::new(),
            auth_line: false,
        }
    }
}

/// A SASL mechanism the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Mech {
    /// RFC 4616.
    Plain,
    /// The user name, then the password, each after a challenge.
    Login,
    /// An OAuth 2.0 bearer token.
    XOAuth2,
}

/// The next line of an AUTH exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum AuthStep {
    /// `AUTH mech [initial-response]`.
    Start,
    /// The credentials (PLAIN without initial response, XOAUTH2 likewise,
    /// LOGIN's user name in round 1 and password in round 2).
    Response,
    /// An empty line: XOAUTH2's answer to its error challenge.
    Empty,
    /// `*`: cancel (RFC 4954 §4; AUT-10).
    Cancel,
}

/// The AUTH phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct AuthPhase {
    /// The mechanism chosen.
    pub(super) mech: Mech,
    /// What the next line is.
    pub(super) step: AuthStep,
    /// `334` challenges received.
    pub(super) round: u8,
    /// Written or due.
    pub(super) turn: Turn,
    /// The AUTH line carried the initial response.
    pub(super) ir: bool,
}

/// The answer to MAIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum MailReply {
    /// Not in yet.
    Awaited,
    /// 2yz.
    Accepted,
    /// 4yz or 5yz.
    Refused(FailureKind),
}

/// Which recipients were accepted: a count, and one bit each for LMTP,
/// whose final replies come one per accepted recipient (RFC 2033 §4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Accepted {
    /// Recipients accepted.
    pub(super) count: u16,
    /// Bit `i` is recipient `i` (LMTP only).
    pub(super) bits: [u32; 8],
}

impl Accepted {
    /// Recipient `index` was accepted.
    pub(super) fn add(&mut self, index: u16) {
        self.count += 1;
        if let Some(word) = self.bits.get_mut(usize::from(index / 32)) {
            *word |= 1 << (index % 32);
        }
    }

    /// Whether recipient `index` was accepted.
    pub(super) fn has(&self, index: u16) -> bool {
        self.bits
            .get(usize::from(index / 32))
            .is_some_and(|w| w & (1 << (index % 32)) != 0)
    }
}

/// The envelope phase's own fields: of the sequence MAIL, RCPT × n and (in
/// DATA mode) DATA, `written` were sent and `replied` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct EnvelopePhase {
    /// Commands written.
    pub(super) written: u32,
    /// Replies received.
    pub(super) replied: u32,
    /// The answer to MAIL.
    pub(super) mail: MailReply,
    /// Some RCPT got a 4yz.
    pub(super) rcpt_transient: bool,
    /// The recipients accepted.
    pub(super) accepted: Accepted,
    /// The caller abandoned the transaction (`Client::abort`).
    pub(super) aborted: bool,
    /// The previous transaction's final replies, still to come before the
    /// replies to this envelope: its content opened the pipelined group
    /// this envelope's commands joined (RFC 2920 §3.1).
    pub(super) prior: Option<FinalPhase>,
}

/// The content phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ContentPhase {
    /// How the content goes.
    pub(super) transfer: Transfer,
    /// The recipients accepted (for LMTP's final replies).
    pub(super) accepted: Accepted,
}

/// How the content goes (decided once, by `Envelope::plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Transfer {
    /// DATA: stuffed, then `.` (RFC 5321 §4.1.1.4, §4.5.2).
    Data(DotStuffer),
    /// BDAT chunks (RFC 3030); `outstanding` chunks await their `250`.
    Chunks {
        /// The chunk writer.
        writer: BdatWriter,
        /// Chunks written (not LAST) whose reply has not come.
        outstanding: u32,
    },
}

/// The final-reply phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct FinalPhase {
    /// BDAT: replies to earlier chunks still to come before the final ones.
    pub(super) chunk_replies: u32,
    /// Final replies still to come (one per accepted recipient in LMTP).
    pub(super) remaining: u16,
    /// LMTP: the next final reply is for the first accepted recipient at or
    /// after this index.
    pub(super) cursor: u16,
    /// Recipients in the envelope (LMTP: where the cursor stops).
    pub(super) count: u16,
    /// The recipients accepted.
    pub(super) accepted: Accepted,
}

/// What the session learnt that outlives a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Session {
    /// The server's capabilities from the last EHLO/LHLO reply.
    pub(super) caps: Capabilities,
    /// EHLO (or LHLO) succeeded: extensions may be used.
    pub(super) extended: bool,
    /// The EHLO reply had an AUTH line, even one naming no mechanism this
    /// crate knows (NTLM, GSSAPI): AUTH is offered, with nothing in common.
    pub(super) auth_line: bool,
    /// The transport is TLS.
    pub(super) tls: bool,
    /// AUTH succeeded since the last STARTTLS.
    pub(super) authenticated: bool,
}

/// The open transaction: what every phase of it needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Transaction {
    /// How the envelope is sent (DATA or BDAT, parameters, recipients).
    pub(super) plan: Plan,
    /// Commands may be pipelined (RFC 2920).
    pub(super) pipelined: bool,
    /// The transaction failed: the rest of the content is discarded.
    pub(super) failed: bool,
}

/// Something decided while handling a reply, reported by the next `feed`
/// with nothing consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Pending {
    /// The transaction failed with no reply left to report.
    Failed(Stage, FailureKind),
    /// BDAT content may start.
    SendBody,
    /// A policy error (TLS or AUTH unavailable); QUIT is due.
    Error(ClientError),
}
