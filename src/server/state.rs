//! Every type the server session's state is made of, in one place.
//!
//! The session is two things: the *phase* ([`State`]: what the engine does
//! with its next input byte) and the *session facts* that outlive a phase
//! ([`Session`]: the greeting the client gave, the mail transaction, TLS,
//! AUTH, the abuse budgets). Each phase owns its own fields (the unstuffer
//! of DATA, the counter of a BDAT chunk, the stage of an AUTH exchange) and
//! reports what it decided as an `Outcome` (`transition.rs`); only
//! `Server::apply` changes a `State` or a `Session`.

use crate::syntax::AuthMechanism;
use crate::wire::bdat::BdatReader;
use crate::wire::unstuff::DotUnstuffer;

use super::event::{AbortReason, DecisionKind, Phase};
use super::replies::{self as r, Canned};

/// What the engine does with its input: one variant per phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum State {
    /// `greet` was not called.
    Fresh,
    /// `greet` was called with `proxy_protocol`: the PROXY header comes
    /// first, then the greeting is written.
    Proxy,
    /// Reading command lines.
    Command,
    /// Receiving DATA content (RFC 5321 §4.1.1.4).
    Data(DataPhase),
    /// Receiving one BDAT chunk (RFC 3030 §2).
    Chunk(ChunkPhase),
    /// In an AUTH exchange, waiting for a response line (RFC 4954 §4).
    Auth(AuthStage),
    /// Waiting for the application's answer to a decision.
    Decision(Pending),
    /// LMTP after the data: more decisions, or more copies of one failure
    /// reply, one per accepted recipient (RFC 2033 §4.2).
    Lmtp(LmtpReplies),
    /// A `421` was written by `respond`: the next `feed` reports Close.
    Closing,
    /// STARTTLS was answered; waiting for `tls_established`.
    TlsHandshake,
    /// No more input is taken.
    Closed,
}

impl State {
    /// The observable phase (a pending decision is reported by its kind).
    pub(super) fn phase(&self) -> Phase {
        match self {
            State::Fresh | State::Proxy => Phase::Connected,
            State::Command | State::Lmtp(_) => Phase::Command,
            State::Data(_) => Phase::Data,
            State::Chunk(_) => Phase::Chunk,
            State::Auth(_) => Phase::Auth,
            State::Decision(p) => Phase::Decision(p.kind()),
            State::TlsHandshake => Phase::TlsHandshake,
            State::Closing | State::Closed => Phase::Closed,
        }
    }
}

/// The DATA phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct DataPhase {
    /// End-of-data detection and unstuffing (rules D1, D2).
    pub(super) rx: DotUnstuffer,
    /// Content octets handed out so far (RFC 1870 §6).
    pub(super) received: u64,
    /// Why the message will be refused at its end, once known.
    pub(super) refused: Refusal,
}

/// Whether a DATA message will be refused, and whether that was reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Refusal {
    /// The message is good so far.
    No,
    /// Over the size limit: the content up to the limit was handed out,
    /// `MessageAborted(TooBig)` is reported next.
    TooBigDue,
    /// Refused for this reason, already reported; the rest is swallowed up
    /// to the end mark.
    Reported(AbortReason),
}

/// The BDAT chunk phase's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ChunkPhase {
    /// Counts the chunk's octets (rule D9).
    pub(super) rx: BdatReader,
    /// The chunk size, for the `250` reply.
    pub(super) size: u64,
    /// The reply owed once the chunk is drained, when it failed.
    pub(super) fail: Option<Canned>,
}

/// Where an AUTH exchange is (RFC 4954 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum AuthStage {
    /// `334 ` was sent for PLAIN or XOAUTH2; the response line follows.
    Response(AuthMechanism),
    /// `334 VXNlcm5hbWU6` was sent.
    LoginUser,
    /// `334 UGFzc3dvcmQ6` was sent. The first `held` input bytes are kept
    /// unconsumed; the user name is `user_len` bytes at `user_at` in them.
    LoginPassword {
        /// Input bytes kept unconsumed (the user-name line).
        held: u32,
        /// Where the user name starts in them.
        user_at: u32,
        /// Its length.
        user_len: u32,
    },
}

/// LMTP's replies after the data, one per accepted recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum LmtpReplies {
    /// More MessageEnd decisions to ask.
    Decisions {
        /// Decisions still to ask.
        remaining: u32,
    },
    /// The same failure reply for each remaining recipient.
    Failures {
        /// Replies still to write.
        remaining: u32,
        /// The reply.
        reply: Canned,
    },
}

/// The decision the application owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Pending {
    /// `MAIL FROM`, with what an accepted MAIL brings to the transaction.
    Mail {
        /// `BODY=BINARYMIME`.
        binary: bool,
        /// The `SMTPUTF8` parameter.
        smtputf8: bool,
    },
    /// `RCPT TO`.
    Rcpt,
    /// `VRFY` or `EXPN`.
    Verify,
    /// The end of the message; under LMTP `remaining` recipients (this one
    /// included) are still to be answered.
    MessageEnd {
        /// Decisions left, this one included.
        remaining: u32,
    },
    /// Credentials.
    Auth,
    /// EHLO, HELO or LHLO (only with `ServerConfig::hello_decision`): the
    /// greeting the session gets if accepted.
    Hello(Hello),
}

impl Pending {
    pub(super) fn kind(self) -> DecisionKind {
        match self {
            Pending::Mail { .. } => DecisionKind::Mail,
            Pending::Rcpt => DecisionKind::Rcpt,
            Pending::Verify => DecisionKind::Verify,
            Pending::MessageEnd { .. } => DecisionKind::MessageEnd,
            Pending::Auth => DecisionKind::Auth,
            Pending::Hello(_) => DecisionKind::Hello,
        }
    }
}

/// The facts of a session that outlive a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Session {
    /// The greeting the client gave.
    pub(super) hello: Hello,
    /// The mail transaction.
    pub(super) tx: Transaction,
    /// TLS is active (after STARTTLS and the handshake).
    pub(super) tls_active: bool,
    /// TLS can be started now (`Server::set_tls_ready`).
    pub(super) tls_ready: bool,
    /// AUTH succeeded.
    pub(super) authenticated: bool,
    /// The abuse budgets spent so far (rule D13).
    pub(super) spent: Budgets,
}

impl Session {
    pub(super) const NEW: Session = Session {
        hello: Hello::None,
        tx: Transaction::Idle,
        tls_active: false,
        tls_ready: true,
        authenticated: false,
        spent: Budgets {
            errors: 0,
            junk: 0,
            overshoot: 0,
            auth_failures: 0,
        },
    };
}

/// Which greeting the client gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Hello {
    /// None yet (or reset by STARTTLS).
    None,
    /// HELO: no extension may be used.
    Helo,
    /// EHLO, or LHLO under LMTP.
    Ehlo,
}

/// Counters of the abuse budgets (rule D13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Budgets {
    /// Error replies.
    pub(super) errors: u16,
    /// NOOP, RSET, VRFY, EXPN, HELP and null BDAT chunks.
    pub(super) junk: u16,
    /// RCPTs refused for being past the recipient limit.
    pub(super) overshoot: u16,
    /// Failed AUTH exchanges.
    pub(super) auth_failures: u8,
}

/// The mail transaction (RFC 5321 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Transaction {
    /// No MAIL accepted.
    Idle,
    /// MAIL accepted; the recipients, then DATA or BDAT.
    Mail(MailTx),
    /// BDAT chunks are flowing: DATA, MAIL and RCPT get 503 (RFC 3030 §2).
    Chunking(MailTx, Chunked),
}

impl Transaction {
    /// The envelope, once MAIL was accepted.
    pub(super) fn mail(&self) -> Option<&MailTx> {
        match self {
            Transaction::Idle => None,
            Transaction::Mail(m) | Transaction::Chunking(m, _) => Some(m),
        }
    }

    /// Recipients accepted so far.
    pub(super) fn accepted(&self) -> u32 {
        self.mail().map_or(0, |m| m.recipients.accepted())
    }

    /// The reply owed when the transaction has no accepted recipient.
    pub(super) fn no_recipients(&self) -> Canned {
        match self.mail().map(|m| m.recipients) {
            Some(Recipients::AllRefused) => r::NO_VALID_RCPT,
            _ => r::NEED_RCPT,
        }
    }

    /// Whether BDAT content of this message was handed out and not aborted.
    pub(super) fn chunks_open(&self) -> bool {
        matches!(self, Transaction::Chunking(_, Chunked::Open { .. }))
    }
}

/// What an accepted MAIL brought, and the recipients since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct MailTx {
    /// `BODY=BINARYMIME` (RFC 3030 §3: DATA is refused).
    pub(super) binary: bool,
    /// The `SMTPUTF8` parameter was given.
    pub(super) smtputf8: bool,
    /// The recipients' answers so far.
    pub(super) recipients: Recipients,
}

/// The answers to RCPT in this transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Recipients {
    /// No RCPT was answered.
    None,
    /// Every RCPT answered was refused.
    AllRefused,
    /// This many were accepted (at least one).
    Accepted(u32),
}

impl Recipients {
    pub(super) fn accepted(self) -> u32 {
        match self {
            Recipients::Accepted(n) => n,
            _ => 0,
        }
    }

    /// After one more answer.
    pub(super) fn answered(self, accepted: bool) -> Recipients {
        match (self, accepted) {
            (Recipients::Accepted(n), true) => Recipients::Accepted(n.saturating_add(1)),
            (_, true) => Recipients::Accepted(1),
            (Recipients::Accepted(n), false) => Recipients::Accepted(n),
            (_, false) => Recipients::AllRefused,
        }
    }
}

/// A BDAT message (RFC 3030).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Chunked {
    /// Content was handed out: `received` octets so far.
    Open {
        /// Content octets received.
        received: u64,
    },
    /// A chunk failed: every further chunk fails the same way until LAST or
    /// RSET (rule D9).
    Failed(Canned),
}
