//! The resumable output every unit of a message is written through.
//!
//! A message is written as a sequence of small units (a header field, a
//! line of text, a line of base64), each a pure function of the writer's
//! state. [`Sink`] lets a unit be rendered again from its start while
//! skipping the bytes an earlier call already wrote, so the writer resumes
//! at any byte, into an output buffer of any size (one byte included),
//! with nothing but an offset kept between calls: the same contract as the
//! dot-stuffer (`wire::stuff`), without a staging buffer.

/// Writes a unit into `out`, dropping its first `skip` bytes and whatever
/// does not fit.
pub(super) struct Sink<'o> {
    out: &'o mut [u8],
    skip: usize,
    written: usize,
    overflow: bool,
}

impl<'o> Sink<'o> {
    /// A sink for the unit whose first `skip` bytes were written already.
    pub(super) fn new(out: &'o mut [u8], skip: usize) -> Self {
        Sink {
            out,
            skip,
            written: 0,
            overflow: false,
        }
    }

    /// Appends bytes of the unit.
    pub(super) fn put(&mut self, bytes: &[u8]) {
        let mut b = bytes;
        if self.skip > 0 {
            let n = self.skip.min(b.len());
            self.skip -= n;
            b = &b[n..];
        }
        if b.is_empty() {
            return;
        }
        let room = self.out.len() - self.written;
        let n = room.min(b.len());
        self.out[self.written..self.written + n].copy_from_slice(&b[..n]);
        self.written += n;
        if n < b.len() {
            self.overflow = true;
        }
    }

    /// Appends `CRLF`.
    pub(super) fn crlf(&mut self) {
        self.put(b"\r\n");
    }

    /// Bytes written into the output by this sink.
    pub(super) fn written(&self) -> usize {
        self.written
    }

    /// Whether part of the unit did not fit (the unit is not complete).
    pub(super) fn overflowed(&self) -> bool {
        self.overflow
    }
}
