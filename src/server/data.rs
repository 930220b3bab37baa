//! The DATA content phase (RFC 5321 §4.1.1.4, §4.5.2; rules D1, D2):
//! end-of-data detection and unstuffing through the wire layer's
//! `DotUnstuffer`, the size limit while streaming (RFC 1870 §6), and the
//! LMTP replies after the data (RFC 2033 §4.2).

use crate::wire::line::BareLfPolicy;
use crate::wire::unstuff::{DataEvent, DotUnstuffer};

use super::config::BareLfReply;
use super::event::{AbortReason, Event};
use super::outcome::{Change, Outcome};
use super::replies as r;
use super::say::Say;
use super::state::{DataPhase, LmtpReplies, Refusal};
use super::view::View;

impl DataPhase {
    /// The phase after `354`.
    pub(super) const fn new(policy: BareLfPolicy) -> Self {
        DataPhase {
            rx: DotUnstuffer::new(policy),
            received: 0,
            refused: Refusal::No,
        }
    }

    /// Takes content from `input`.
    pub(super) fn step<'a>(&mut self, v: View<'_, '_>, input: &'a [u8]) -> Outcome<'a> {
        if self.refused == Refusal::TooBigDue {
            self.refused = Refusal::Reported(AbortReason::TooBig);
            return aborted(0, AbortReason::TooBig);
        }
        let (n, ev) = self.rx.feed(input);
        let reported = matches!(self.refused, Refusal::Reported(_));
        match ev {
            None if n == 0 => Outcome::NeedInput,
            None => Outcome::go(n, Change::Stay),
            Some(DataEvent::Data(_) | DataEvent::BareLineEnding) if reported => {
                Outcome::go(n, Change::Stay)
            }
            Some(DataEvent::Data(bytes)) => {
                let len = bytes.len() as u64;
                if v.too_big(self.received, len) {
                    // Hand out exactly the octets up to the limit, then the
                    // abort: the same events however the input is split.
                    let allowed = v.config.max_message_size.saturating_sub(self.received);
                    self.received = v.config.max_message_size;
                    if allowed > 0 {
                        self.refused = Refusal::TooBigDue;
                        let head = bytes.get(..allowed as usize).unwrap_or_default();
                        return Outcome::go(n, Change::Stay).report(Event::Data(head));
                    }
                    self.refused = Refusal::Reported(AbortReason::TooBig);
                    return aborted(n, AbortReason::TooBig);
                }
                self.received = self.received.saturating_add(len);
                Outcome::go(n, Change::Stay).report(Event::Data(bytes))
            }
            Some(DataEvent::BareLineEnding) => {
                self.refused = Refusal::Reported(AbortReason::BareLineEnding);
                aborted(n, AbortReason::BareLineEnding)
            }
            Some(DataEvent::End) => match self.refused {
                Refusal::No => Outcome::go(n, Change::MessageComplete).report(Event::MessageEnd),
                Refusal::Reported(AbortReason::BareLineEnding)
                    if v.config.bare_lf_reply == BareLfReply::Disconnect521 =>
                {
                    Outcome::Close {
                        consumed: n,
                        reply: Say::Canned(r::BARE_LF_521),
                    }
                }
                Refusal::Reported(AbortReason::BareLineEnding) => {
                    Outcome::go(n, Change::MessageFailed(r::BARE_LF))
                }
                _ => Outcome::go(n, Change::MessageFailed(r::SIZE_EXCEEDED)),
            },
        }
    }
}

fn aborted<'a>(consumed: usize, reason: AbortReason) -> Outcome<'a> {
    Outcome::go(consumed, Change::Stay).report(Event::MessageAborted(reason))
}

impl LmtpReplies {
    /// The next decision, or the next copy of the failure reply.
    pub(super) fn step<'a>(&self) -> Outcome<'a> {
        match *self {
            LmtpReplies::Decisions { .. } => {
                Outcome::go(0, Change::NextDecision).report(Event::MessageEnd)
            }
            LmtpReplies::Failures { reply, .. } => {
                Outcome::go(0, Change::NextFailure).say(Say::Canned(reply))
            }
        }
    }
}
