//! What a phase decides about one unit of input (a command line, a piece of
//! DATA, a BDAT chunk, an AUTH response), as a value. Phases never change
//! the session themselves; `Server::apply` (in `session.rs`) turns an
//! [`Outcome`] into the reply, the change of state, the budget accounting
//! (rule D13) and the event, in that order.

use super::config::BareLfReply;
use super::event::Event;
use super::replies::{self as r, Canned};
use super::say::Say;
use super::state::{AuthStage, ChunkPhase, Hello, Pending};

/// A phase's decision about its next unit of input.
///
/// `Go` carries an [`Event`], which is large (MAIL parameters); there is no
/// allocator to box it, and an outcome lives only from a phase's return to
/// `Server::apply`, as an event does from `feed` to its caller.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Outcome<'a> {
    /// No complete unit in the input: nothing is consumed, nothing changes.
    NeedInput,
    /// The unit is refused with an error reply. It counts against the
    /// error budget (rule D13) and nothing else changes: rule D7 ("an error
    /// never changes the state") holds because this variant has no room
    /// for a change.
    Refuse {
        /// Input bytes the unit used.
        consumed: usize,
        /// The error reply.
        reply: Canned,
        /// The command ends a pipelining group (RFC 2920 §3.1): flush.
        ends_group: bool,
    },
    /// A RCPT past the recipient limit: `452 4.5.3`, and nothing changes
    /// (RFC 5321 §4.5.3.1.10: the client sends it in a later transaction,
    /// this one goes on). It counts against the overshoot budget; only past
    /// that budget is it an error too (rule D13).
    Overshoot {
        /// Input bytes the command used.
        consumed: usize,
    },
    /// The unit moves the session on.
    Go(Move<'a>),
    /// The reply is written, then the session closes.
    Close {
        /// Input bytes the unit used.
        consumed: usize,
        /// The last reply.
        reply: Say,
    },
}

/// A unit that moves the session on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Move<'a> {
    /// Input bytes the unit used (0: it is read again after the change).
    pub(super) consumed: usize,
    /// The reply, written first.
    pub(super) say: Say,
    /// The unit is a junk command (NOOP, RSET, VRFY, EXPN, HELP, a null
    /// BDAT chunk): it counts against the junk budget (rule D13) before
    /// the change is made.
    pub(super) junk: bool,
    /// How the session changes.
    pub(super) change: Change,
    /// What `feed` reports.
    pub(super) report: Report<'a>,
}

impl<'a> Outcome<'a> {
    /// A unit that moves the session on with `change`: no reply, no junk,
    /// nothing to report (the builders below add them).
    pub(super) const fn go(consumed: usize, change: Change) -> Self {
        Outcome::Go(Move {
            consumed,
            say: Say::Nothing,
            junk: false,
            change,
            report: Report::Continue,
        })
    }

    /// The `Move` the builders below fill in. They are called on
    /// [`Outcome::go`] only; on any other outcome they change nothing (a
    /// `Refuse` never gains a change).
    fn moving(&mut self) -> Option<&mut Move<'a>> {
        match self {
            Outcome::Go(m) => Some(m),
            _ => None,
        }
    }

    /// With a reply.
    pub(super) fn say(mut self, say: Say) -> Self {
        if let Some(m) = self.moving() {
            m.say = say;
        }
        self
    }

    /// Counted as a junk command.
    pub(super) fn junk(mut self) -> Self {
        if let Some(m) = self.moving() {
            m.junk = true;
        }
        self
    }

    /// Reporting `event`.
    pub(super) fn report(mut self, event: Event<'a>) -> Self {
        if let Some(m) = self.moving() {
            m.report = Report::Event(event);
        }
        self
    }

    /// Ending a pipelining group.
    pub(super) fn ends_group(mut self) -> Self {
        if let Some(m) = self.moving() {
            m.report = Report::GroupEnd;
        }
        self
    }
}

impl Outcome<'_> {
    /// An error reply that changes nothing.
    pub(super) const fn refuse(consumed: usize, reply: Canned) -> Self {
        Outcome::Refuse {
            consumed,
            reply,
            ends_group: false,
        }
    }

    /// A bare CR or LF in a line (rule D1, catalogue SMG-15): the line is
    /// never executed and the session is closed, since what follows cannot
    /// be trusted to be a command.
    pub(super) const fn bare_line(policy: BareLfReply, consumed: usize) -> Self {
        let reply = match policy {
            BareLfReply::Reject550 => r::BARE_LF,
            BareLfReply::Disconnect521 => r::BARE_LF_521,
        };
        Outcome::Close {
            consumed,
            reply: Say::Canned(reply),
        }
    }
}

/// How the session changes after a unit. Each variant names one transition
/// of the state machine; `Server::apply` is the only code that makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    /// Neither the phase nor the session changes (progress inside a phase).
    Stay,
    /// The greeting was written after input that came before it (let
    /// through, or the PROXY header): now reading commands.
    Greeted,
    /// HELO, EHLO or LHLO: the greeting is recorded and the transaction is
    /// reset (RFC 5321 §4.1.4).
    Hello(Hello),
    /// RSET: a new transaction.
    Reset,
    /// A command that ends the transaction arrived while a BDAT message was
    /// open: the message is dropped (`MessageAborted(Reset)`) and the
    /// command, left unconsumed, is read again.
    DropMessage,
    /// The application owes a decision.
    Ask(Pending),
    /// `354` was sent: DATA content follows.
    Data,
    /// A BDAT command: its chunk follows.
    Chunk(ChunkPhase, ChunkStart),
    /// BDAT octets were handed out: the message's running size.
    Received(u64),
    /// The chunk or the content is over: back to commands.
    Command,
    /// A failed chunk was drained: back to commands, one error more; a
    /// `LAST` chunk ends the failed message.
    ChunkFailed {
        /// The chunk had `LAST`.
        last: bool,
    },
    /// The message is complete: ask the application (once per accepted
    /// recipient under LMTP).
    MessageComplete,
    /// The message failed without asking the application: the transaction
    /// ends and `reply` is owed once per recipient under LMTP.
    MessageFailed(Canned),
    /// LMTP: the next `MessageEnd` decision is asked.
    NextDecision,
    /// LMTP: one more copy of a failure reply was written.
    NextFailure,
    /// An AUTH exchange goes on at `stage`.
    Auth(AuthStage),
    /// An AUTH exchange failed: back to commands, one failure and one error
    /// more.
    AuthFailed,
    /// STARTTLS was accepted: the handshake follows.
    StartTls,
}

/// What becomes of the transaction when a BDAT chunk starts (RFC 3030;
/// rule D9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ChunkStart {
    /// The transaction is unchanged (a chunk of an open message, or one that
    /// fails without touching the transaction).
    Keep,
    /// The first chunk of a message: content will be handed out.
    Open,
    /// The message is over the size limit: it fails until `LAST` or RSET.
    TooBig,
}

/// What `feed` reports after a unit.
#[derive(Clone, Copy, Debug)]
pub(super) enum Report<'a> {
    /// Nothing yet: go on with the next unit.
    Continue,
    /// This event.
    Event(Event<'a>),
    /// A group-ending reply was written (RFC 2920 §3.2): `NeedInput` when
    /// the input is drained, else `Flush`.
    GroupEnd,
}
