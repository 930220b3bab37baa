//! Message data: DATA (RFC 5321 §4.1.1.4, §4.5.2; rules D1, D2) through the
//! wire layer's `DotUnstuffer`, BDAT (RFC 3030 §2; rule D9) through its
//! `BdatReader`, the size limit while streaming (RFC 1870 §6), and the end
//! of the message (one decision, or one per recipient under LMTP).

use crate::wire::bdat::{BdatReader, ChunkEvent};
use crate::wire::unstuff::{DataEvent, DotUnstuffer};

use super::config::BareLfReply;
use super::error::ServerError;
use super::event::{AbortReason, Event};
use super::replies::{self as r, Canned};
use super::session::{ChunkRx, DataRx, Flow, Hello, Io, Pending, Server, State, Transaction};

impl Server<'_> {
    /// `DATA`: `354`, then the content.
    pub(super) fn data<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Flow<'a>, ServerError> {
        if self.hello == Hello::None {
            return self.error(io, r::SEND_HELLO_FIRST);
        }
        if !self.tx.mail {
            return self.error(io, r::NEED_MAIL);
        }
        if self.tx.bdat || self.tx.failed.is_some() {
            return self.error(io, r::AFTER_BDAT);
        }
        if self.tx.binary {
            return self.error(io, r::DATA_BINARYMIME);
        }
        if self.tx.accepted == 0 {
            return self.error(io, self.no_recipients());
        }
        self.put(io, r::START_DATA)?;
        self.tx.received = 0;
        self.state = State::Data(DataRx {
            rx: DotUnstuffer::new(self.config.bare_lf),
            aborted: None,
        });
        Ok(Flow::Return(Event::DataStart))
    }

    /// Whether `more` octets would take the message over the size limit.
    fn too_big(&self, more: u64) -> bool {
        let max = self.config.max_message_size;
        max != 0 && self.tx.received.saturating_add(more) > max
    }

    pub(super) fn data_step<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        mut d: DataRx,
    ) -> Result<Flow<'a>, ServerError> {
        let (n, ev) = d.rx.feed(io.rest());
        io.pos += n;
        self.state = State::Data(d);
        match ev {
            None if n == 0 => Ok(Flow::Return(Event::NeedInput)),
            None => Ok(Flow::Continue),
            Some(DataEvent::Data(bytes)) => {
                if d.aborted.is_some() {
                    return Ok(Flow::Continue);
                }
                let len = bytes.len() as u64;
                if self.too_big(len) {
                    d.aborted = Some(AbortReason::TooBig);
                    self.state = State::Data(d);
                    return Ok(Flow::Return(Event::MessageAborted(AbortReason::TooBig)));
                }
                self.tx.received += len;
                Ok(Flow::Return(Event::Data(bytes)))
            }
            Some(DataEvent::BareLineEnding) => {
                if d.aborted.is_some() {
                    return Ok(Flow::Continue);
                }
                d.aborted = Some(AbortReason::BareLineEnding);
                self.state = State::Data(d);
                Ok(Flow::Return(Event::MessageAborted(
                    AbortReason::BareLineEnding,
                )))
            }
            Some(DataEvent::End) => {
                self.state = State::Command;
                match d.aborted {
                    None => Ok(self.message_end()),
                    Some(AbortReason::BareLineEnding)
                        if self.config.bare_lf_reply == BareLfReply::Disconnect521 =>
                    {
                        self.tx = Transaction::default();
                        self.put(io, r::BARE_LF_521)?;
                        Ok(self.close())
                    }
                    Some(AbortReason::BareLineEnding) => Ok(self.fail_message(r::BARE_LF)),
                    Some(_) => Ok(self.fail_message(r::SIZE_EXCEEDED)),
                }
            }
        }
    }

    /// The whole message is in: ask the application (once per accepted
    /// recipient under LMTP, RFC 2033 §4.2).
    fn message_end<'a>(&mut self) -> Flow<'a> {
        let remaining = if self.config.lmtp {
            self.tx.accepted.max(1)
        } else {
            1
        };
        self.pending = Some(Pending::MessageEnd { remaining });
        Flow::Return(Event::MessageEnd)
    }

    /// The message failed without asking the application: the reply (one
    /// per recipient under LMTP) and a fresh transaction.
    fn fail_message<'a>(&mut self, reply: Canned) -> Flow<'a> {
        let remaining = if self.config.lmtp {
            self.tx.accepted.max(1)
        } else {
            1
        };
        self.tx = Transaction::default();
        self.state = State::MoreReplies { remaining, reply };
        Flow::Continue
    }

    /// `BDAT size [LAST]`: the chunk is always consumed (rule D9); the reply
    /// comes once it has been.
    pub(super) fn bdat<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        size: u64,
        last: bool,
    ) -> Result<Flow<'a>, ServerError> {
        if !(self.config.chunking && self.hello == Hello::Ehlo) {
            // Not advertised: the octets that follow would be read as
            // commands, so the session ends.
            self.put(io, r::NOT_IMPLEMENTED)?;
            return Ok(self.close());
        }
        let mut abort = false;
        let fail = if !self.tx.mail {
            Some(r::NEED_MAIL)
        } else if let Some(f) = self.tx.failed {
            Some(f)
        } else if self.tx.accepted == 0 {
            Some(self.no_recipients())
        } else if self.too_big(size) {
            self.tx.failed = Some(r::SIZE_EXCEEDED);
            self.tx.bdat = true;
            abort = self.tx.started;
            self.tx.started = false;
            Some(r::SIZE_EXCEEDED)
        } else {
            None
        };
        self.state = State::Chunk(ChunkRx {
            rx: BdatReader::new(size, last),
            size,
            fail,
        });
        if abort {
            return Ok(Flow::Return(Event::MessageAborted(AbortReason::TooBig)));
        }
        if fail.is_none() && !self.tx.started {
            self.tx.bdat = true;
            self.tx.started = true;
            return Ok(Flow::Return(Event::DataStart));
        }
        Ok(Flow::Continue)
    }

    pub(super) fn chunk_step<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        mut c: ChunkRx,
    ) -> Result<Flow<'a>, ServerError> {
        let (n, ev) = c.rx.feed(io.rest());
        io.pos += n;
        self.state = State::Chunk(c);
        match ev {
            None => Ok(Flow::Return(Event::NeedInput)),
            Some(ChunkEvent::Data(bytes)) => {
                if c.fail.is_some() {
                    return Ok(Flow::Continue);
                }
                self.tx.received = self.tx.received.saturating_add(bytes.len() as u64);
                Ok(Flow::Return(Event::Data(bytes)))
            }
            Some(ChunkEvent::End { last }) => {
                self.state = State::Command;
                if let Some(f) = c.fail {
                    if last && self.tx.failed.is_some() {
                        // The failed message ends with its LAST chunk.
                        self.tx = Transaction::default();
                    }
                    return self.error(io, f);
                }
                if last {
                    return Ok(self.message_end());
                }
                let mut digits = [0u8; 20];
                let size = decimal(c.size, &mut digits);
                let ok = r::BDAT_OK;
                self.put_parts(io, ok.code, Some(ok.esc), &[size, " ", ok.text])?;
                Ok(Flow::Continue)
            }
        }
    }
}

/// `n` in decimal, in `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    core::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or("0")
}
