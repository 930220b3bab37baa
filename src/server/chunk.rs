//! BDAT (RFC 3030 §2; rule D9): the command, and the chunk phase that
//! consumes exactly its octets through the wire layer's `BdatReader`,
//! whatever they contain and even when the chunk fails.

use crate::wire::bdat::{BdatReader, ChunkEvent};

use super::event::{AbortReason, Event};
use super::outcome::{Change, ChunkStart, Outcome};
use super::replies as r;
use super::say::Say;
use super::state::{ChunkPhase, Chunked, Hello, Transaction};
use super::view::View;

/// `BDAT size [LAST]`: the chunk is always consumed (rule D9); the reply
/// comes once it has been.
pub(super) fn command<'a>(v: View<'_, '_>, len: usize, size: u64, last: bool) -> Outcome<'a> {
    let c = v.config;
    if !(c.has_chunking() && v.session.hello == Hello::Ehlo) {
        // Not advertised: the octets that follow would be read as
        // commands, so the session ends.
        return Outcome::Close {
            consumed: len,
            reply: Say::Canned(r::NOT_IMPLEMENTED),
        };
    }
    let tx = v.session.tx;
    let received = match tx {
        Transaction::Chunking(_, Chunked::Open { received }) => received,
        _ => 0,
    };
    let (fail, start) = match tx {
        Transaction::Idle => (Some(r::NEED_MAIL), ChunkStart::Keep),
        Transaction::Chunking(_, Chunked::Failed(f)) => (Some(f), ChunkStart::Keep),
        _ if tx.accepted() == 0 => (Some(tx.no_recipients()), ChunkStart::Keep),
        _ if v.too_big(received, size) => (Some(r::SIZE_EXCEEDED), ChunkStart::TooBig),
        Transaction::Mail(_) => (None, ChunkStart::Open),
        Transaction::Chunking(..) => (None, ChunkStart::Keep),
    };
    let phase = ChunkPhase {
        rx: BdatReader::new(size, last),
        size,
        fail,
    };
    let mut m = Outcome::go(len, Change::Chunk(phase, start));
    if size == 0 && !last {
        // A null chunk moves nothing: junk, bounded by the budgets (D13).
        m = m.junk();
    }
    match start {
        ChunkStart::TooBig if tx.chunks_open() => {
            m.report(Event::MessageAborted(AbortReason::TooBig))
        }
        ChunkStart::Open => m.report(Event::DataStart),
        _ => m,
    }
}

impl ChunkPhase {
    /// Takes chunk octets from `input`.
    pub(super) fn step<'a>(&mut self, input: &'a [u8]) -> Outcome<'a> {
        let (n, ev) = self.rx.feed(input);
        match ev {
            None => Outcome::NeedInput,
            Some(ChunkEvent::Data(_)) if self.fail.is_some() => Outcome::go(n, Change::Stay),
            Some(ChunkEvent::Data(bytes)) => {
                Outcome::go(n, Change::Received(bytes.len() as u64)).report(Event::Data(bytes))
            }
            Some(ChunkEvent::End { last }) => match self.fail {
                Some(f) => Outcome::go(n, Change::ChunkFailed { last }).say(Say::Canned(f)),
                None if last => Outcome::go(n, Change::MessageComplete).report(Event::MessageEnd),
                None => Outcome::go(n, Change::Command).say(Say::ChunkOk(self.size)),
            },
        }
    }
}
