//! The mail transaction: MAIL, RCPT and DATA (pipelined or lock-step,
//! replies matched by position only), the content through DATA or BDAT,
//! and the final replies.

use core::time::Duration;

use crate::syntax::{Command, Reply};
use crate::wire::stuff::{BodyError, DotStuffer};

pub use crate::wire::stuff::{Finish, Progress};

use super::config::Timeouts;
use super::envelope::Plan;
use super::error::{ClientError, ContentError, ProtocolError};
use super::event::{Event, Failure, FailureKind, Phase};
use super::{Client, Envelope, Pending, State, put};

/// The envelope part of a transaction: the sequence MAIL, RCPT × n and (in
/// DATA mode) DATA, of which `written` were sent and `replied` answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Tx {
    pub plan: Plan,
    pub written: u32,
    pub replied: u32,
    pub accepted: u16,
    pub mail_ok: bool,
    pub mail_transient: bool,
    /// Some RCPT got a 4yz.
    pub rcpt_transient: bool,
    pub pipelined: bool,
    /// The caller abandoned the transaction ([`Client::abort`]).
    pub aborted: bool,
    /// The transaction failed: the rest of the body is discarded.
    pub failed: bool,
    /// Final replies still awaited after the content.
    pub final_remaining: u16,
    /// LMTP: the recipient index the next final reply is for is at or after this.
    pub cursor: u16,
}

/// BDAT progress (RFC 3030).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Bdat {
    /// Chunks (not LAST) sent and not answered.
    pub outstanding: u32,
    pub last_sent: bool,
    /// A CR ended the previous chunk's bytes: it is sent at the start of the
    /// next chunk, once we know an LF follows.
    pub held_cr: bool,
}

impl Tx {
    /// Commands in the sequence.
    fn len(&self) -> u32 {
        1 + u32::from(self.plan.count) + u32::from(!self.plan.bdat)
    }

    /// Whether the next command of the sequence may be written now.
    pub fn can_write(&self) -> bool {
        if self.written >= self.len() || self.aborted {
            return false;
        }
        if self.pipelined {
            return true;
        }
        // Lock-step: one command at a time; no RCPT after a refused MAIL,
        // no DATA without an accepted recipient.
        let is_data = self.written == 1 + u32::from(self.plan.count);
        self.written == self.replied
            && (self.written == 0 || self.mail_ok)
            && !(is_data && self.accepted == 0)
    }

    /// The timeout of the reply awaited, if any.
    pub fn deadline(&self, t: &Timeouts) -> Option<Duration> {
        if self.replied >= self.written {
            return None;
        }
        Some(match self.replied {
            0 => t.mail,
            k if k <= u32::from(self.plan.count) => t.rcpt,
            _ => t.data_init,
        })
    }

    /// The phase an interruption now falls in.
    pub fn phase(&self) -> Phase {
        match self.replied {
            0 => Phase::Mail,
            k if k <= u32::from(self.plan.count) => Phase::Recipients,
            _ => Phase::Data,
        }
    }

    /// Why a transaction with no DATA reply failed, if it did.
    fn failure(&self) -> Option<(Phase, FailureKind)> {
        let kind = |t| {
            if t {
                FailureKind::Transient
            } else {
                FailureKind::Permanent
            }
        };
        if !self.mail_ok {
            Some((Phase::Mail, kind(self.mail_transient)))
        } else if self.accepted == 0 {
            Some((Phase::Recipients, kind(self.rcpt_transient)))
        } else {
            None
        }
    }
}

fn kind_of(reply: &Reply<'_>) -> FailureKind {
    if reply.code().first_digit() == 4 {
        FailureKind::Transient
    } else {
        FailureKind::Permanent
    }
}

impl<'c> Client<'c> {
    /// Starts a transaction. Everything is checked first (rule D5, D14;
    /// INJ-01..07, EXT-06, EXT-07, EXT-10): nothing is written and the
    /// session is unchanged when the envelope is refused.
    ///
    /// The commands are then written by [`Client::transmit`], to which the
    /// caller passes the same envelope: MAIL, every RCPT and DATA in one
    /// flight with PIPELINING, else one at a time. The content goes by BDAT
    /// when CHUNKING is advertised and allowed and the body needs no
    /// rewriting ([`StuffPolicy::Reject`](crate::wire::stuff::StuffPolicy)
    /// or BINARYMIME); BDAT content starts only once the recipients are
    /// known.
    pub fn send(&mut self, envelope: &Envelope<'_>) -> Result<(), ClientError> {
        if !self.is_ready() {
            return Err(self.state_error());
        }
        let mut plan = self.plan(envelope)?;
        if plan.bdat
            && !plan.binary()
            && self.config.stuff_policy != crate::wire::stuff::StuffPolicy::Reject
        {
            plan.bdat = false;
            plan.fingerprint = envelope.fingerprint(&plan);
        }
        self.tx = Tx {
            plan,
            pipelined: self.pipelining(),
            mail_transient: false,
            ..Tx::default()
        };
        self.bdat = Bdat::default();
        self.accepted_bits = [0; 8];
        self.state = State::Tx;
        Ok(())
    }

    /// Abandons the open transaction before its content (RFC 5321 App. D.2):
    /// no further MAIL/RCPT/DATA is written; RSET follows once the
    /// outstanding replies are in (after a lone `.` if a pipelined DATA
    /// gets 354).
    pub fn abort(&mut self) -> Result<(), ClientError> {
        if self.state != State::Tx {
            return Err(self.state_error());
        }
        self.tx.aborted = true;
        if self.tx.replied == self.tx.written {
            self.state = State::Rset { sent: false };
        }
        Ok(())
    }

    pub(crate) fn write_tx(
        &mut self,
        envelope: Option<&Envelope<'_>>,
        out: &mut [u8],
        pos: &mut usize,
    ) -> Result<(), ClientError> {
        if !self.tx.can_write() {
            return Ok(());
        }
        let env = envelope.ok_or(ClientError::State)?;
        if env.fingerprint(&self.tx.plan) != self.tx.plan.fingerprint {
            return Err(ClientError::State);
        }
        while self.tx.can_write() {
            let k = self.tx.written;
            let cmd = match k {
                0 => env.mail(&self.tx.plan),
                k if k <= u32::from(self.tx.plan.count) => {
                    env.rcpt(k as usize - 1).ok_or(ClientError::State)?
                }
                _ => Command::Data,
            };
            if !put(out, pos, |w| cmd.write_to(w))? {
                break;
            }
            self.tx.written += 1;
        }
        Ok(())
    }

    /// A reply to MAIL, a RCPT or DATA, matched by position (RFC 2920 §3.1; PIP-06).
    pub(crate) fn on_tx_reply<'a>(&mut self, reply: Reply<'a>) -> Result<Event<'a>, ClientError> {
        let k = self.tx.replied;
        self.tx.replied += 1;
        let n = u32::from(self.tx.plan.count);
        let code = reply.code();
        if k > n {
            return self.on_data_reply(reply);
        }
        self.expect_not_3xx(code)?;
        let positive = code.is_positive();
        let event = if k == 0 {
            self.tx.mail_ok = positive;
            self.tx.mail_transient = code.first_digit() == 4;
            Event::MailFrom(reply)
        } else {
            // `k` is at most `n`, a u16.
            let index = (k - 1) as u16;
            if positive {
                self.tx.accepted += 1;
                if let Some(word) = self.accepted_bits.get_mut(usize::from(index / 32)) {
                    *word |= 1 << (index % 32);
                }
            } else if code.first_digit() == 4 {
                self.tx.rcpt_transient = true;
            }
            Event::Recipient {
                index: usize::from(index),
                reply,
            }
        };
        if self.tx.replied == self.tx.written && !self.tx.can_write() {
            self.end_envelope();
        }
        Ok(event)
    }

    /// Every reply of the envelope is in and no DATA follows: content (BDAT),
    /// or failure and RSET.
    fn end_envelope(&mut self) {
        if self.tx.aborted {
            self.state = State::Rset { sent: false };
        } else if let Some((phase, kind)) = self.tx.failure() {
            self.tx.failed = true;
            self.pending = Some(Pending::Failed(phase, kind));
            self.state = State::Rset { sent: false };
        } else {
            self.state = State::Bdat;
            self.pending = Some(Pending::SendBody);
        }
    }

    /// The reply to DATA (PIP-07: 354 without a recipient → only `.`).
    fn on_data_reply<'a>(&mut self, reply: Reply<'a>) -> Result<Event<'a>, ClientError> {
        let code = reply.code();
        let failure = self.tx.failure();
        match code.first_digit() {
            3 if code.get() == 354 => {
                if self.tx.aborted {
                    self.state = State::Dot { sent: false };
                    return Ok(Event::Reply(reply));
                }
                if let Some((phase, kind)) = failure {
                    self.tx.failed = true;
                    self.state = State::Dot { sent: false };
                    return Ok(Event::Failed(Failure {
                        phase,
                        kind,
                        reply: Some(reply),
                        recipient: None,
                    }));
                }
                self.stuffer =
                    DotStuffer::new(self.config.stuff_policy).with_max_line(self.config.max_line);
                self.state = State::Body;
                Ok(Event::SendBody(Some(reply)))
            }
            2 | 3 => Err(self.protocol(ProtocolError::Unexpected(code))),
            _ => {
                self.state = State::Rset { sent: false };
                if self.tx.aborted {
                    return Ok(Event::Reply(reply));
                }
                self.tx.failed = true;
                let (phase, kind) = failure.unwrap_or((Phase::Data, kind_of(&reply)));
                Ok(Event::Failed(Failure {
                    phase,
                    kind,
                    reply: Some(reply),
                    recipient: None,
                }))
            }
        }
    }

    /// Streams content after [`Event::SendBody`]: returns how much of `chunk`
    /// was taken and how much of `out` to send. Hand the rest of `chunk`
    /// in again.
    ///
    /// DATA: dot-stuffed and checked (rule D4: bare CR/LF per
    /// [`ClientConfig::stuff_policy`](super::ClientConfig::stuff_policy),
    /// line length), resumable into an `out` of any size. BDAT: each call
    /// sends one `BDAT n` chunk of the bytes that fit (RFC 3030), never
    /// stuffed; without PIPELINING a call with nothing consumed means the
    /// reply to the previous chunk is awaited: call [`Client::feed`]. After
    /// a chunk was refused ([`Event::Failed`]) the rest is discarded (BDT-09).
    ///
    /// An 8-bit octet needs `BODY=8BITMIME`, BINARYMIME or SMTPUTF8 in the
    /// envelope (EXT-10); it is refused by the call that would take it, and
    /// never written. A refused body closes the session: content cannot be
    /// withdrawn in band.
    pub fn body(&mut self, chunk: &[u8], out: &mut [u8]) -> Result<Progress, ClientError> {
        self.content_piece(chunk, out, false)
    }

    fn content_piece(
        &mut self,
        chunk: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> Result<Progress, ClientError> {
        let discard = Progress {
            consumed: chunk.len(),
            written: 0,
        };
        match self.state {
            State::Body => {
                let p = self
                    .stuffer
                    .stuff(chunk, out)
                    .map_err(|e| self.content(ContentError::Text(e)))?;
                self.check_eight_bit(chunk.get(..p.consumed).unwrap_or_default())?;
                Ok(p)
            }
            State::Bdat if self.tx.failed => Ok(discard),
            State::Bdat => self.bdat_chunk(chunk, out, last),
            State::Closed => Err(ClientError::Closed),
            _ if self.tx.failed => Ok(discard),
            _ => Err(ClientError::State),
        }
    }

    /// Like [`Client::body`] for the last piece of the content: under BDAT,
    /// when the whole of `chunk` fits in `out` it goes as `BDAT n LAST`
    /// (RFC 3030 §2, e.g. `BDAT 69 LAST`) and [`Client::finish_body`] then
    /// has nothing left to write; otherwise a chunk of what fits is sent and
    /// the caller calls again with the rest. Under DATA it is `body`. Call
    /// `finish_body` afterwards in every case.
    pub fn body_last(&mut self, chunk: &[u8], out: &mut [u8]) -> Result<Progress, ClientError> {
        self.content_piece(chunk, out, true)
    }

    /// Ends the content: the final CRLF if missing and `.` (DATA), or
    /// `BDAT 0 LAST`. Call again with room until `done` (DATA's end mark is
    /// resumable; BDAT without PIPELINING waits for the previous chunk's
    /// reply). Then the final reply comes as [`Event::Delivered`] or
    /// [`Event::Failed`].
    pub fn finish_body(&mut self, out: &mut [u8]) -> Result<Finish, ClientError> {
        let done = Finish {
            written: 0,
            done: true,
        };
        match self.state {
            State::Body => {
                let f = self
                    .stuffer
                    .finish(out)
                    .map_err(|e| self.content(ContentError::Text(e)))?;
                if f.done {
                    self.await_final();
                    self.state = State::Final;
                }
                Ok(f)
            }
            State::Bdat if self.tx.failed || self.bdat.last_sent => Ok(done),
            State::Bdat => {
                if self.bdat.held_cr {
                    return Err(self.content(ContentError::Text(BodyError::BareCr)));
                }
                if !self.tx.pipelined && self.bdat.outstanding > 0 {
                    return Ok(Finish {
                        written: 0,
                        done: false,
                    });
                }
                let mut pos = 0;
                put(out, &mut pos, |w| {
                    Command::Bdat {
                        size: 0,
                        last: true,
                    }
                    .write_to(w)
                })?;
                self.bdat.last_sent = true;
                self.await_final();
                Ok(Finish {
                    written: pos,
                    done: true,
                })
            }
            State::Closed => Err(ClientError::Closed),
            _ if self.tx.failed => Ok(done),
            _ => Err(ClientError::State),
        }
    }

    fn await_final(&mut self) {
        self.tx.final_remaining = if self.config.lmtp {
            self.tx.accepted
        } else {
            1
        };
        self.tx.cursor = 0;
    }

    /// Closes the session for a refused body.
    fn content(&mut self, e: ContentError) -> ClientError {
        self.close();
        ClientError::Content(e)
    }

    /// Refuses an 8-bit octet in `taken`, the octets a call takes, unless
    /// the envelope allows them. Only those: the caller hands the rest of a
    /// piece in again, and checking all of it on every call made a body
    /// handed in whole cost time quadratic in its size.
    fn check_eight_bit(&mut self, taken: &[u8]) -> Result<(), ClientError> {
        if !self.tx.plan.eight_bit() && !taken.is_ascii() {
            return Err(self.content(ContentError::EightBit));
        }
        Ok(())
    }

    /// One `BDAT n` chunk of what fits in `out`; `BDAT n LAST` when `last`
    /// and the whole of `chunk` fits.
    fn bdat_chunk(
        &mut self,
        chunk: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> Result<Progress, ClientError> {
        if self.bdat.last_sent {
            return Err(ClientError::State);
        }
        if chunk.is_empty() || (!self.tx.pipelined && self.bdat.outstanding > 0) {
            return Ok(Progress::default());
        }
        let held = usize::from(self.bdat.held_cr);
        let whole = held + chunk.len();
        if last && header_len(whole) + " LAST".len() + whole <= out.len() {
            self.check_eight_bit(chunk)?;
            return self.bdat_last(chunk, out);
        }
        let max_data = out.len().saturating_sub(header_len(out.len()));
        let take = chunk.len().min(max_data.saturating_sub(held));
        if take == 0 {
            return Err(ClientError::BufferTooSmall {
                needed: header_len(held + 1) + held + 1,
            });
        }
        let data = chunk.get(..take).unwrap_or_default();
        self.check_eight_bit(data)?;
        let mut hold_back = false;
        if !self.tx.plan.binary() {
            hold_back = canonical(self.bdat.held_cr, data)
                .map_err(|e| self.content(ContentError::Text(e)))?;
        }
        let body = data
            .get(..take - usize::from(hold_back))
            .unwrap_or_default();
        let size = held + body.len();
        self.bdat.held_cr = hold_back;
        if size == 0 {
            return Ok(Progress {
                consumed: take,
                written: 0,
            });
        }
        let mut pos = 0;
        put(out, &mut pos, |w| {
            Command::Bdat {
                size: size as u64,
                last: false,
            }
            .write_to(w)?;
            if held == 1 {
                w.put_byte(b'\r');
            }
            w.put(body);
            Ok(())
        })?;
        self.bdat.outstanding = self.bdat.outstanding.saturating_add(1);
        Ok(Progress {
            consumed: take,
            written: pos,
        })
    }

    /// The whole rest of the content as `BDAT n LAST` (it fits in `out`).
    fn bdat_last(&mut self, chunk: &[u8], out: &mut [u8]) -> Result<Progress, ClientError> {
        let held = self.bdat.held_cr;
        if !self.tx.plan.binary() {
            // The end of the message: a CR still waiting for its LF is bare.
            if canonical(held, chunk).map_err(|e| self.content(ContentError::Text(e)))? {
                return Err(self.content(ContentError::Text(BodyError::BareCr)));
            }
        }
        let size = usize::from(held) + chunk.len();
        let mut pos = 0;
        put(out, &mut pos, |w| {
            Command::Bdat {
                size: size as u64,
                last: true,
            }
            .write_to(w)?;
            if held {
                w.put_byte(b'\r');
            }
            w.put(chunk);
            Ok(())
        })?;
        self.bdat.held_cr = false;
        self.bdat.last_sent = true;
        self.await_final();
        Ok(Progress {
            consumed: chunk.len(),
            written: pos,
        })
    }

    /// The reply to a BDAT chunk other than the last (RFC 3030 §2; BDT-09).
    pub(crate) fn on_chunk_reply<'a>(
        &mut self,
        reply: Reply<'a>,
    ) -> Result<Event<'a>, ClientError> {
        self.bdat.outstanding = self.bdat.outstanding.saturating_sub(1);
        self.expect_not_3xx(reply.code())?;
        let event = if self.tx.failed {
            Event::Reply(reply)
        } else if reply.code().is_positive() {
            Event::ChunkAccepted(reply)
        } else {
            self.tx.failed = true;
            Event::Failed(Failure {
                phase: Phase::Content,
                kind: kind_of(&reply),
                reply: Some(reply),
                recipient: None,
            })
        };
        if self.tx.failed && self.bdat.outstanding == 0 && !self.bdat.last_sent {
            self.state = State::Rset { sent: false };
        }
        Ok(event)
    }

    /// A final reply to the content: delivered only on 2yz (rule D12). LMTP:
    /// one per accepted recipient, in order (RFC 2033 §4.2).
    pub(crate) fn on_final<'a>(&mut self, reply: Reply<'a>) -> Result<Event<'a>, ClientError> {
        self.expect_not_3xx(reply.code())?;
        let recipient = if self.config.lmtp {
            self.next_accepted()
        } else {
            None
        };
        self.tx.final_remaining = self.tx.final_remaining.saturating_sub(1);
        let event = if self.tx.failed {
            Event::Reply(reply)
        } else if reply.code().is_positive() {
            Event::Delivered { recipient, reply }
        } else {
            Event::Failed(Failure {
                phase: Phase::Content,
                kind: kind_of(&reply),
                reply: Some(reply),
                recipient,
            })
        };
        if self.tx.final_remaining == 0 {
            self.state = if self.tx.failed {
                State::Rset { sent: false }
            } else {
                State::Ready
            };
        }
        Ok(event)
    }

    /// The index of the next accepted recipient (LMTP).
    fn next_accepted(&mut self) -> Option<usize> {
        while self.tx.cursor < self.tx.plan.count {
            let i = self.tx.cursor;
            self.tx.cursor += 1;
            let word = self.accepted_bits.get(usize::from(i / 32)).copied()?;
            if word & (1 << (i % 32)) != 0 {
                return Some(usize::from(i));
            }
        }
        None
    }
}

/// `BDAT <n>\r\n` for `n` up to `max`.
fn header_len(max: usize) -> usize {
    let mut digits = 1;
    let mut v = max;
    while v >= 10 {
        v /= 10;
        digits += 1;
    }
    "BDAT ".len() + digits + 2
}

/// Checks that `data` (after a held CR, if `held_cr`) is canonical CRLF text
/// (RFC 3030 §3, rule D4); returns whether it ends with a CR whose LF is
/// still to come.
fn canonical(held_cr: bool, data: &[u8]) -> Result<bool, BodyError> {
    let mut prev_cr = held_cr;
    for &b in data {
        if prev_cr && b != b'\n' {
            return Err(BodyError::BareCr);
        }
        if b == b'\n' && !prev_cr {
            return Err(BodyError::BareLf);
        }
        prev_cr = b == b'\r';
    }
    Ok(prev_cr)
}
