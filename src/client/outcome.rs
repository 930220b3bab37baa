//! What a phase decides about one reply, as a value: the event to report
//! and how the session changes. `Client::apply` (`session.rs`) is the only
//! code that makes the change.

use crate::syntax::Capabilities;

use super::error::ClientError;
use super::event::{Event, FailureKind, Stage};
use super::state::{ContentPhase, State};

/// A phase's decision about one reply.
#[derive(Clone, Copy, Debug)]
pub(super) struct Outcome<'a> {
    /// What `feed` reports.
    pub(super) event: Event<'a>,
    /// How the session changes.
    pub(super) change: Change,
}

impl<'a> Outcome<'a> {
    /// Reports `event` and makes `change`.
    pub(super) const fn new(event: Event<'a>, change: Change) -> Self {
        Outcome { event, change }
    }
}

/// How the session changes after a reply. Each variant names one
/// transition of the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Change {
    /// Progress inside the phase only.
    Stay,
    /// On to another phase.
    To(State),
    /// The reply to EHLO, HELO or LHLO was positive (`extended`: EHLO or
    /// LHLO): STARTTLS, AUTH or ready follows (rule D6).
    Greeted {
        /// Extensions may be used.
        extended: bool,
        /// What the reply listed.
        caps: Capabilities,
        /// It had an AUTH line, whatever mechanisms it named.
        auth_line: bool,
    },
    /// No (more) TLS: AUTH if credentials are configured, else ready.
    StartAuth,
    /// AUTH succeeded: ready.
    Authenticated,
    /// A policy failure: QUIT is due and the error is reported by the next
    /// `feed` (TLS-10, TLS-11).
    Fail(ClientError),
    /// Every reply to the envelope is in and no DATA follows: the BDAT
    /// content may start (`SendBody` is reported by the next `feed`).
    SendChunks(ContentPhase),
    /// The transaction failed: on to `next`; the rest of its content is
    /// discarded; `report`, when given, is reported by the next `feed`.
    TxFailed {
        /// The phase after the failure (RSET or a lone dot).
        next: State,
        /// A failure with no reply left to report.
        report: Option<(Stage, FailureKind)>,
    },
    /// The session is over.
    Close,
}
