//! The content of a transaction and its final replies: DATA's text,
//! dot-stuffed by the wire layer's `DotStuffer` (rule D4), or BDAT chunks
//! written by its `BdatWriter` (RFC 3030), with at most
//! `ClientConfig::max_chunks_in_flight` chunks awaiting their `250`; then
//! the final replies — one, or one per accepted recipient under LMTP
//! (RFC 2033 §4.2). "Delivered" only after a final 2yz (rule D12).

use crate::syntax::Reply;
use crate::wire::bdat::ChunkError;
use crate::wire::stuff::{BodyError, Finish, Progress};

use super::config::ClientConfig;
use super::error::{ClientError, ContentError, ProtocolError};
use super::event::{Event, Failure, Stage};
use super::outcome::{Change, Outcome};
use super::state::{Accepted, ContentPhase, FinalPhase, State, Transaction, Transfer, Turn};
use super::transaction::kind_of;

/// Why a piece of content went nowhere.
pub(super) enum Refused {
    /// The caller's content is refused: the session closes (content cannot
    /// be withdrawn in band).
    Content(ContentError),
    /// Any other error of the call; nothing changes.
    Call(ClientError),
}

impl From<ChunkError> for Refused {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Body(b) => Refused::Content(ContentError::Text(b)),
            ChunkError::BufferTooSmall { needed } => {
                Refused::Call(ClientError::BufferTooSmall { needed })
            }
            _ => Refused::Call(ClientError::State),
        }
    }
}

impl FinalPhase {
    /// After the end of the content (`.` or `BDAT … LAST`), with
    /// `chunk_replies` replies to earlier chunks still to come.
    fn after(
        config: &ClientConfig<'_>,
        tx: &Transaction,
        accepted: Accepted,
        chunk_replies: u32,
    ) -> Self {
        FinalPhase {
            chunk_replies,
            remaining: if config.is_lmtp() { accepted.count } else { 1 },
            cursor: 0,
            count: tx.plan.count,
            accepted,
        }
    }

    /// The index of the next accepted recipient (LMTP).
    fn next_accepted(&mut self) -> Option<usize> {
        while self.cursor < self.count {
            let i = self.cursor;
            self.cursor += 1;
            if self.accepted.has(i) {
                return Some(usize::from(i));
            }
        }
        None
    }

    /// A reply after the end of the content: first those to earlier BDAT
    /// chunks, then the final ones.
    pub(super) fn on_reply<'a>(
        &mut self,
        config: &ClientConfig<'_>,
        tx: &Transaction,
        reply: Reply<'a>,
    ) -> Result<Outcome<'a>, ProtocolError> {
        let code = reply.code();
        if code.first_digit() == 3 {
            return Err(ProtocolError::Unexpected(code));
        }
        if self.chunk_replies > 0 {
            self.chunk_replies -= 1;
            return Ok(chunk_reply(tx, reply, State::Final(*self)));
        }
        let event = if tx.failed {
            self.remaining = self.remaining.saturating_sub(1);
            Event::Reply(reply)
        } else {
            self.settle(config, reply)
        };
        let change = match self.remaining {
            0 if tx.failed => Change::To(State::Rset(Turn::Due)),
            0 => Change::To(State::Ready),
            _ => Change::Stay,
        };
        Ok(Outcome::new(event, change))
    }
}

impl FinalPhase {
    /// Whether the only replies still to come are the final ones, so that
    /// the next transaction may be pipelined behind them.
    pub(super) fn only_finals_left(&self) -> bool {
        self.chunk_replies == 0 && self.remaining > 0
    }

    /// A final reply of a transaction that did not fail: delivered (2yz)
    /// or failed (4yz, 5yz), for the next accepted recipient under LMTP.
    pub(super) fn settle<'a>(&mut self, config: &ClientConfig<'_>, reply: Reply<'a>) -> Event<'a> {
        let recipient = if config.is_lmtp() {
            self.next_accepted()
        } else {
            None
        };
        self.remaining = self.remaining.saturating_sub(1);
        if reply.code().is_positive() {
            Event::Delivered { recipient, reply }
        } else {
            Event::Failed(Failure {
                stage: Stage::Content,
                kind: kind_of(&reply),
                reply: Some(reply),
                recipient,
            })
        }
    }
}

/// The reply to a BDAT chunk other than the last (RFC 3030 §2; BDT-09):
/// the first refusal fails the transaction; `next` is the phase after it.
fn chunk_reply<'a>(tx: &Transaction, reply: Reply<'a>, next: State) -> Outcome<'a> {
    if tx.failed {
        Outcome::new(Event::Reply(reply), Change::To(next))
    } else if reply.code().is_positive() {
        Outcome::new(Event::ChunkAccepted(reply), Change::To(next))
    } else {
        let failure = Failure {
            stage: Stage::Content,
            kind: kind_of(&reply),
            reply: Some(reply),
            recipient: None,
        };
        Outcome::new(
            Event::Failed(failure),
            Change::TxFailed { next, report: None },
        )
    }
}

impl ContentPhase {
    /// A reply while BDAT chunks are being sent.
    pub(super) fn on_reply<'a>(
        &mut self,
        tx: &Transaction,
        reply: Reply<'a>,
    ) -> Result<Outcome<'a>, ProtocolError> {
        let code = reply.code();
        let Transfer::Chunks { outstanding, .. } = &mut self.transfer else {
            return Err(ProtocolError::Unsolicited(code));
        };
        if *outstanding == 0 {
            return Err(ProtocolError::Unsolicited(code));
        }
        *outstanding -= 1;
        if code.first_digit() == 3 {
            return Err(ProtocolError::Unexpected(code));
        }
        let failing = tx.failed || !code.is_positive();
        let next = if failing && *outstanding == 0 {
            State::Rset(Turn::Due)
        } else {
            State::Content(*self)
        };
        Ok(chunk_reply(tx, reply, next))
    }

    /// Whether a reply is awaited (a chunk's).
    pub(super) fn awaits_reply(&self) -> bool {
        matches!(self.transfer, Transfer::Chunks { outstanding, .. } if outstanding > 0)
    }

    /// Takes a piece of content; `last`: it is the end of the content (BDAT
    /// then sends it as `BDAT n LAST` when it fits). `Some` next phase when
    /// the content is complete.
    pub(super) fn piece(
        &mut self,
        config: &ClientConfig<'_>,
        tx: &Transaction,
        chunk: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> Result<(Progress, Option<State>), Refused> {
        // EXT-10: the octets a call takes, each once (the caller hands the
        // rest in again: checking all of `chunk` on every call made a body
        // handed in whole quadratic in its size). A refusal closes the
        // session, so what was just put in `out` is never sent.
        let eight_bit_ok = tx.plan.eight_bit();
        let check_eight_bit = |taken: &[u8]| {
            if eight_bit_ok || taken.is_ascii() {
                Ok(())
            } else {
                Err(Refused::Content(ContentError::EightBit))
            }
        };
        match &mut self.transfer {
            Transfer::Data(stuffer) => {
                let p = stuffer
                    .stuff(chunk, out)
                    .map_err(|e| Refused::Content(ContentError::Text(e)))?;
                check_eight_bit(chunk.get(..p.consumed).unwrap_or_default())?;
                Ok((p, None))
            }
            // Without the `chunking` feature no transfer is ever BDAT (see
            // `Plan::uses_bdat`): the arm below is left out of the build.
            Transfer::Chunks { .. } if tx.failed || !cfg!(feature = "chunking") => Ok((
                Progress {
                    consumed: chunk.len(),
                    written: 0,
                },
                None,
            )),
            Transfer::Chunks {
                writer,
                outstanding,
            } => {
                // Without PIPELINING each chunk waits for the previous
                // chunk's reply; with it, at most `max_chunks_in_flight`
                // chunks await theirs: a driver that does not read while it
                // writes would otherwise fill the transport with chunks while
                // the server blocks writing replies nobody reads.
                let limit = if tx.pipelined {
                    u32::from(config.max_chunks_in_flight)
                } else {
                    1
                };
                if chunk.is_empty() || *outstanding >= limit {
                    return Ok((Progress::default(), None));
                }
                let p = writer.chunk(chunk, out, last)?;
                check_eight_bit(chunk.get(..p.consumed).unwrap_or_default())?;
                if writer.is_done() {
                    let done = FinalPhase::after(config, tx, self.accepted, *outstanding);
                    return Ok((p, Some(State::Final(done))));
                }
                if p.written > 0 {
                    *outstanding += 1;
                }
                Ok((p, None))
            }
        }
    }

    /// Ends the content: DATA's final CRLF if missing and `.`, or `BDAT 0
    /// LAST`. `Some` next phase once done.
    pub(super) fn finish(
        &mut self,
        config: &ClientConfig<'_>,
        tx: &Transaction,
        out: &mut [u8],
    ) -> Result<(Finish, Option<State>), Refused> {
        let not_done = Finish {
            written: 0,
            done: false,
        };
        match &mut self.transfer {
            Transfer::Data(stuffer) => {
                let f = stuffer
                    .finish(out)
                    .map_err(|e| Refused::Content(ContentError::Text(e)))?;
                let next = f
                    .done
                    .then(|| State::Final(FinalPhase::after(config, tx, self.accepted, 0)));
                Ok((f, next))
            }
            // Without the `chunking` feature no transfer is ever BDAT (see
            // `Plan::uses_bdat`): the arm below is left out of the build.
            Transfer::Chunks { .. } if tx.failed || !cfg!(feature = "chunking") => Ok((
                Finish {
                    written: 0,
                    done: true,
                },
                None,
            )),
            Transfer::Chunks {
                writer,
                outstanding,
            } => {
                if writer.holds_cr() {
                    return Err(Refused::Content(ContentError::Text(BodyError::BareCr)));
                }
                if !tx.pipelined && *outstanding > 0 {
                    return Ok((not_done, None));
                }
                let written = writer.finish(out)?;
                let done = FinalPhase::after(config, tx, self.accepted, *outstanding);
                Ok((
                    Finish {
                        written,
                        done: true,
                    },
                    Some(State::Final(done)),
                ))
            }
        }
    }
}
