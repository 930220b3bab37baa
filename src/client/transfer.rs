//! The caller's side of a transaction: [`Client::send`] an envelope,
//! [`Client::abort`] it, stream the content with [`Client::body`] and
//! [`Client::finish_body`]. The phases' work is in `transaction.rs` and
//! `content.rs`; the changes go through `Client::apply`.

use crate::syntax::Extension;
use crate::wire::stuff::{Finish, Progress};

use super::content::Refused;
use super::envelope::Envelope;
use super::error::ClientError;
use super::outcome::Change;
use super::session::Client;
use super::state::{EnvelopePhase, State, Transaction, Turn};

impl Client<'_> {
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
        let prior = match self.state {
            _ if self.is_ready() => None,
            State::Final(f) if self.can_send_next() => Some(f),
            _ => return Err(self.state_error()),
        };
        let caps = self.session.extended.then_some(&self.session.caps);
        let plan = envelope.plan(&self.config, caps)?;
        self.tx = Transaction {
            plan,
            pipelined: self.config.pipelining
                && self.session.extended
                && self.session.caps.has(Extension::Pipelining),
            failed: false,
        };
        self.apply(Change::To(State::Envelope(EnvelopePhase::new(prior))));
        Ok(())
    }

    /// Whether [`Client::send`] may start the next transaction now, before
    /// the final reply to this one's content: the server offers PIPELINING
    /// (and [`ClientConfig::pipelining`](super::ClientConfig::pipelining)
    /// allows it), the content is written (`.` or `BDAT … LAST`), and only
    /// its final replies are still to come. RFC 2920 §3.1 lets message
    /// content open a pipelined group, so the next MAIL, RCPT and DATA go
    /// in the same write as the end of this message, as Postfix's smtp
    /// client sends them. Replies stay matched by position: the final
    /// replies of this message come first ([`Client::settles_previous`]).
    pub fn can_send_next(&self) -> bool {
        matches!(self.state, State::Final(f) if f.only_finals_left())
            && self.tx.pipelined
            && !self.tx.failed
            && self.pending.is_none()
    }

    /// Abandons the open transaction before its content (RFC 5321 App. D.2):
    /// no further MAIL/RCPT/DATA is written; RSET follows once the
    /// outstanding replies are in (after a lone `.` if a pipelined DATA
    /// gets 354).
    pub fn abort(&mut self) -> Result<(), ClientError> {
        let State::Envelope(mut e) = self.state else {
            return Err(self.state_error());
        };
        e.aborted = true;
        let next = if !e.awaits_reply() {
            State::Rset(Turn::Due)
        } else {
            State::Envelope(e)
        };
        self.apply(Change::To(next));
        Ok(())
    }

    /// Streams content after [`Event::SendBody`](super::Event::SendBody): returns how much of `chunk`
    /// was taken and how much of `out` to send. Hand the rest of `chunk`
    /// in again.
    ///
    /// DATA: dot-stuffed and checked (rule D4: bare CR/LF per
    /// [`ClientConfig::stuff_policy`](super::ClientConfig::stuff_policy), line length), resumable into an `out`
    /// of any size. BDAT: each call sends one `BDAT n` chunk of the bytes
    /// that fit (RFC 3030), never stuffed; a call with nothing consumed
    /// means replies to earlier chunks are awaited (one without PIPELINING,
    /// [`ClientConfig::max_chunks_in_flight`](super::ClientConfig::max_chunks_in_flight) with it): call
    /// [`Client::feed`]. After a chunk was refused ([`Event::Failed`](super::Event::Failed)) the
    /// rest is discarded (BDT-09).
    ///
    /// An 8-bit octet needs `BODY=8BITMIME`, BINARYMIME or SMTPUTF8 in the
    /// envelope (EXT-10); it is refused by the call that would take it, and
    /// never sent. A refused body closes the session: content cannot be
    /// withdrawn in band.
    pub fn body(&mut self, chunk: &[u8], out: &mut [u8]) -> Result<Progress, ClientError> {
        self.content_piece(chunk, out, false)
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

    fn content_piece(
        &mut self,
        chunk: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> Result<Progress, ClientError> {
        match &mut self.state {
            State::Content(c) => match c.piece(&self.config, &self.tx, chunk, out, last) {
                Ok((p, next)) => {
                    if let Some(next) = next {
                        self.apply(Change::To(next));
                    }
                    Ok(p)
                }
                Err(r) => Err(self.refused(r)),
            },
            State::Closed => Err(ClientError::Closed),
            _ if self.tx.failed => Ok(Progress {
                consumed: chunk.len(),
                written: 0,
            }),
            _ => Err(ClientError::State),
        }
    }

    /// Ends the content: the final CRLF if missing and `.` (DATA), or
    /// `BDAT 0 LAST`. Call again with room until `done` (DATA's end mark is
    /// resumable; BDAT without PIPELINING waits for the previous chunk's
    /// reply). Then the final reply comes as [`Event::Delivered`](super::Event::Delivered) or
    /// [`Event::Failed`](super::Event::Failed).
    pub fn finish_body(&mut self, out: &mut [u8]) -> Result<Finish, ClientError> {
        match &mut self.state {
            State::Content(c) => match c.finish(&self.config, &self.tx, out) {
                Ok((f, next)) => {
                    if let Some(next) = next {
                        self.apply(Change::To(next));
                    }
                    Ok(f)
                }
                Err(r) => Err(self.refused(r)),
            },
            State::Final(_) if self.tx.plan.uses_bdat() => Ok(Finish {
                written: 0,
                done: true,
            }),
            State::Closed => Err(ClientError::Closed),
            _ if self.tx.failed => Ok(Finish {
                written: 0,
                done: true,
            }),
            _ => Err(ClientError::State),
        }
    }

    /// A piece of content was refused: the caller's content closes the
    /// session (it cannot be withdrawn in band).
    fn refused(&mut self, r: Refused) -> ClientError {
        match r {
            Refused::Content(e) => {
                self.apply(Change::Close);
                ClientError::Content(e)
            }
            Refused::Call(e) => e,
        }
    }
}
