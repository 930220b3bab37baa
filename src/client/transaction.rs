//! The envelope phase of a transaction (RFC 5321 §3.3): MAIL, each RCPT
//! and, for DATA, the DATA command — pipelined (RFC 2920) or in lock-step —
//! and their replies, matched by position only (PIP-06).

use core::time::Duration;

use crate::syntax::{Command, Reply};
use crate::wire::bdat::BdatWriter;
use crate::wire::stuff::DotStuffer;

use super::config::{ClientConfig, Timeouts};
use super::envelope::{Envelope, Plan};
use super::error::{ClientError, ProtocolError};
use super::event::{Event, Failure, FailureKind, Stage};
use super::outcome::{Change, Outcome};
use super::state::{
    Accepted, ContentPhase, EnvelopePhase, FinalPhase, MailReply, State, Transaction, Transfer,
    Turn,
};
use super::writer::put;

/// Transient for 4yz, permanent for 5yz.
pub(super) fn kind_of(reply: &Reply<'_>) -> FailureKind {
    if reply.code().first_digit() == 4 {
        FailureKind::Transient
    } else {
        FailureKind::Permanent
    }
}

impl EnvelopePhase {
    /// The start of a transaction; `prior`: the previous transaction's
    /// final replies are still to come (cross-transaction pipelining).
    pub(super) fn new(prior: Option<FinalPhase>) -> Self {
        EnvelopePhase {
            written: 0,
            replied: 0,
            mail: MailReply::Awaited,
            rcpt_transient: false,
            accepted: Accepted::default(),
            aborted: false,
            prior,
        }
    }

    /// Whether a reply is awaited: the previous transaction's final one, or
    /// one to this envelope.
    pub(super) fn awaits_reply(&self) -> bool {
        self.prior.is_some() || self.awaited() > 0
    }

    /// Commands in the sequence: MAIL, the RCPTs, and DATA unless BDAT.
    fn len(&self, plan: &Plan) -> u32 {
        1 + u32::from(plan.count) + u32::from(!plan.uses_bdat())
    }

    /// Replies still awaited.
    pub(super) fn awaited(&self) -> u32 {
        self.written - self.replied
    }

    /// Whether the next command of the sequence may be written now.
    pub(super) fn can_write(&self, tx: &Transaction) -> bool {
        if self.written >= self.len(&tx.plan) || self.aborted {
            return false;
        }
        if tx.pipelined {
            return true;
        }
        // Lock-step: one command at a time; no RCPT after a refused MAIL,
        // no DATA without an accepted recipient.
        let is_data = self.written == 1 + u32::from(tx.plan.count);
        self.written == self.replied
            && (self.written == 0 || self.mail == MailReply::Accepted)
            && !(is_data && self.accepted.count == 0)
    }

    /// The timeout of the reply awaited, if any.
    pub(super) fn deadline(&self, plan: &Plan, t: &Timeouts) -> Option<Duration> {
        if self.prior.is_some() {
            return Some(t.data_final);
        }
        if self.replied >= self.written {
            return None;
        }
        Some(match self.replied {
            0 => t.mail,
            k if k <= u32::from(plan.count) => t.rcpt,
            _ => t.data_init,
        })
    }

    /// The stage an interruption now falls in.
    pub(super) fn stage(&self, plan: &Plan) -> Stage {
        if self.prior.is_some() {
            // The previous message's content is the first thing unsettled.
            return Stage::Content;
        }
        match self.replied {
            0 => Stage::Mail,
            k if k <= u32::from(plan.count) => Stage::Recipients,
            _ => Stage::Data,
        }
    }

    /// Why a transaction with no DATA reply failed, if it did.
    fn failure(&self) -> Option<(Stage, FailureKind)> {
        let kind = |t| {
            if t {
                FailureKind::Transient
            } else {
                FailureKind::Permanent
            }
        };
        match self.mail {
            MailReply::Refused(kind) => Some((Stage::Mail, kind)),
            _ if self.accepted.count == 0 => Some((Stage::Recipients, kind(self.rcpt_transient))),
            _ => None,
        }
    }

    /// Writes the commands that may go now at `out[*pos..]`.
    pub(super) fn write(
        &mut self,
        tx: &Transaction,
        env: &Envelope<'_>,
        out: &mut [u8],
        pos: &mut usize,
    ) -> Result<(), ClientError> {
        while self.can_write(tx) {
            let k = self.written;
            let cmd = match k {
                0 => env.mail(&tx.plan),
                k if k <= u32::from(tx.plan.count) => {
                    env.rcpt(k as usize - 1).ok_or(ClientError::State)?
                }
                _ => Command::Data,
            };
            if !put(out, pos, |w| cmd.write_to(w))? {
                break;
            }
            self.written += 1;
        }
        Ok(())
    }

    /// A reply to MAIL, a RCPT or DATA, matched by position (RFC 2920 §3.1;
    /// PIP-06).
    pub(super) fn on_reply<'a>(
        &mut self,
        config: &ClientConfig<'_>,
        tx: &Transaction,
        reply: Reply<'a>,
    ) -> Result<Outcome<'a>, ProtocolError> {
        if let Some(prior) = &mut self.prior {
            // Replies come in the order of the commands (RFC 2920 §3.1): the
            // previous message's final replies first.
            if reply.code().first_digit() == 3 {
                return Err(ProtocolError::Unexpected(reply.code()));
            }
            let event = prior.settle(config, reply);
            if prior.remaining == 0 {
                self.prior = None;
            }
            let change = if self.prior.is_none() && self.aborted && self.awaited() == 0 {
                Change::To(State::Rset(Turn::Due))
            } else {
                Change::Stay
            };
            return Ok(Outcome::new(event, change));
        }
        let k = self.replied;
        self.replied += 1;
        let n = u32::from(tx.plan.count);
        let code = reply.code();
        if k > n {
            return self.on_data_reply(config, reply);
        }
        if code.first_digit() == 3 {
            return Err(ProtocolError::Unexpected(code));
        }
        let positive = code.is_positive();
        let event = if k > 0 && matches!(self.mail, MailReply::Refused(_)) {
            // A RCPT pipelined behind a refused MAIL (RFC 2920 §3.1; PIP-09): its
            // reply (typically `503 need MAIL`) settles nothing. The
            // transaction failed with the MAIL reply, already reported; a
            // 503 here must not turn a transient 451 into a permanent
            // refusal of every recipient (Postfix's smtp client ignores
            // these replies too).
            Event::Reply(reply)
        } else if k == 0 {
            self.mail = if positive {
                MailReply::Accepted
            } else {
                MailReply::Refused(kind_of(&reply))
            };
            Event::MailFrom(reply)
        } else {
            // `k` is at most `n`, a u16.
            let index = (k - 1) as u16;
            if positive {
                self.accepted.add(index);
            } else if code.first_digit() == 4 {
                self.rcpt_transient = true;
            }
            Event::Recipient {
                index: usize::from(index),
                reply,
            }
        };
        let change = if self.replied == self.written && !self.can_write(tx) {
            self.end(&tx.plan)
        } else {
            Change::Stay
        };
        Ok(Outcome::new(event, change))
    }

    /// Every reply is in and no DATA follows: the BDAT content, or the
    /// failure and RSET.
    fn end(&self, plan: &Plan) -> Change {
        if self.aborted {
            Change::To(State::Rset(Turn::Due))
        } else if let Some(report) = self.failure() {
            Change::TxFailed {
                next: State::Rset(Turn::Due),
                report: Some(report),
            }
        } else if !plan.uses_bdat() {
            // Not reached: without BDAT the DATA command is still to write
            // when every envelope reply is in (`can_write`).
            Change::To(State::Rset(Turn::Due))
        } else {
            Change::SendChunks(ContentPhase {
                transfer: Transfer::Chunks {
                    writer: BdatWriter::new(plan.binary()),
                    outstanding: 0,
                },
                accepted: self.accepted,
            })
        }
    }

    /// The reply to DATA (PIP-07: a 354 without a recipient gets only `.`).
    fn on_data_reply<'a>(
        &self,
        config: &ClientConfig<'_>,
        reply: Reply<'a>,
    ) -> Result<Outcome<'a>, ProtocolError> {
        let code = reply.code();
        let failure = self.failure();
        // After a refused MAIL the DATA reply settles nothing either: the
        // failure is the MAIL reply's, reported with `Event::MailFrom`.
        let own = !matches!(self.mail, MailReply::Refused(_));
        let failed = |stage, kind, next| {
            Outcome::new(
                Event::Failed(Failure {
                    stage,
                    kind,
                    reply: own.then_some(reply),
                    recipient: None,
                }),
                Change::TxFailed { next, report: None },
            )
        };
        match code.first_digit() {
            3 if code.get() == 354 => Ok(match failure {
                _ if self.aborted => {
                    Outcome::new(Event::Reply(reply), Change::To(State::Dot(Turn::Due)))
                }
                Some((stage, kind)) => failed(stage, kind, State::Dot(Turn::Due)),
                None => {
                    let stuffer =
                        DotStuffer::new(config.stuff_policy).with_max_line(config.max_line);
                    let content = ContentPhase {
                        transfer: Transfer::Data(stuffer),
                        accepted: self.accepted,
                    };
                    Outcome::new(
                        Event::SendBody(Some(reply)),
                        Change::To(State::Content(content)),
                    )
                }
            }),
            2 | 3 => Err(ProtocolError::Unexpected(code)),
            _ if self.aborted => Ok(Outcome::new(
                Event::Reply(reply),
                Change::To(State::Rset(Turn::Due)),
            )),
            _ => {
                let (stage, kind) = failure.unwrap_or((Stage::Data, kind_of(&reply)));
                Ok(failed(stage, kind, State::Rset(Turn::Due)))
            }
        }
    }
}
