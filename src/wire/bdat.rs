//! BDAT chunks (RFC 3030 §2, "CHUNKING"): counting them in (server) and
//! writing them out (client).
//!
//! `BDAT <size> [LAST]` is followed by exactly `size` octets of message data,
//! whatever they contain: no dot-stuffing, no end-of-data scanning, no line
//! ends (RFC 3030 §2, §3). `CRLF.CRLF`, `QUIT` or NUL inside a chunk are
//! content. The last chunk may have size 0 (`BDAT 0 LAST`). Rule D9 of the
//! rule book (`docs/rules.md`): consume exactly N octets, even after a
//! failure, so the session stays in step.
//!
//! [`BdatReader`] is the counter on the receiving side; parsing the `BDAT`
//! command line is the job of the syntax layer. [`BdatWriter`] writes a
//! message as chunks, each `BDAT <n>` (written by the syntax layer's command
//! writer) and its octets, checking that text is canonical CRLF (rule D4:
//! under BDAT there is no stuffing and no end mark to protect, but a client
//! still never sends a bare CR or LF, RFC 5321 §2.3.8).
//!
//! ```
//! use embedded_smtp::wire::bdat::{BdatReader, ChunkEvent};
//!
//! // After "BDAT 13 LAST\r\n", the 13 octets are content, end mark and all.
//! let input = b"ab\r\n.\r\nQUIT\r\nRSET\r\n";
//! let mut rx = BdatReader::new(13, true);
//! let (n, ev) = rx.feed(input);
//! assert_eq!((n, ev), (13, Some(ChunkEvent::Data(b"ab\r\n.\r\nQUIT\r\n"))));
//! assert_eq!(rx.feed(&input[n..]), (0, Some(ChunkEvent::End { last: true })));
//! assert_eq!(&input[n..], b"RSET\r\n"); // the next command
//! ```

use crate::syntax::{Command, WriteError, write_with};

use super::stuff::{BodyError, Progress};

/// What [`BdatReader::feed`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChunkEvent<'a> {
    /// Chunk octets, a slice of the input.
    Data(&'a [u8]),
    /// All `size` octets were handed out; `last` repeats the `LAST` flag of
    /// the `BDAT` command. Reported once.
    End {
        /// This was the last chunk of the message.
        last: bool,
    },
}

/// Counts the octets of one BDAT chunk (RFC 3030 §2; rule D9).
///
/// Create it from the parsed `BDAT <size> [LAST]` line and feed it the bytes
/// that follow. It hands out at most `size` octets as [`ChunkEvent::Data`]
/// slices of the input, then [`ChunkEvent::End`] (at once for size 0, even
/// with no input), then `(0, None)` for ever. Bytes it does not consume
/// belong to the next command.
///
/// ```
/// use embedded_smtp::wire::bdat::{BdatReader, ChunkEvent};
///
/// // BDT-02: "BDAT 3\r\nabc" then "BDAT 0 LAST\r\n".
/// let mut rx = BdatReader::new(3, false);
/// assert_eq!(rx.feed(b"ab"), (2, Some(ChunkEvent::Data(b"ab"))));
/// assert_eq!(rx.remaining(), 1);
/// assert_eq!(rx.feed(b"cBDAT"), (1, Some(ChunkEvent::Data(b"c"))));
/// assert_eq!(rx.feed(b"BDAT"), (0, Some(ChunkEvent::End { last: false })));
/// let mut rx = BdatReader::new(0, true);
/// assert_eq!(rx.feed(b""), (0, Some(ChunkEvent::End { last: true })));
/// assert_eq!(rx.feed(b""), (0, None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BdatReader {
    remaining: u64,
    last: bool,
    ended: bool,
}

impl BdatReader {
    /// A reader for a chunk of `size` octets; `last` is the `LAST` flag.
    pub const fn new(size: u64, last: bool) -> Self {
        BdatReader {
            remaining: size,
            last,
            ended: false,
        }
    }

    /// Consumes chunk octets from `input`; see [`BdatReader`].
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> (usize, Option<ChunkEvent<'a>>) {
        if self.ended {
            return (0, None);
        }
        if self.remaining == 0 {
            self.ended = true;
            return (0, Some(ChunkEvent::End { last: self.last }));
        }
        // If `remaining` does not fit a usize it is larger than any slice.
        let n = usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
        if n == 0 {
            return (0, None);
        }
        // `n` is at most `remaining`, so this does not underflow.
        self.remaining -= n as u64;
        (
            n,
            Some(ChunkEvent::Data(input.get(..n).unwrap_or_default())),
        )
    }

    /// Octets of the chunk still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The `LAST` flag of the chunk.
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// Whether [`ChunkEvent::End`] has been reported.
    pub fn is_done(&self) -> bool {
        self.ended
    }
}

/// Why [`BdatWriter`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ChunkError {
    /// The text is not canonical CRLF (a bare CR or LF): the caller is at
    /// fault, and a message already partly sent cannot be withdrawn.
    Body(BodyError),
    /// `out` cannot hold a chunk header and one octet: `needed` bytes are.
    BufferTooSmall {
        /// Bytes a chunk needs.
        needed: usize,
    },
    /// The `LAST` chunk was already written.
    Done,
}

/// Writes message content as BDAT chunks (RFC 3030 §2) into caller
/// buffers: each call writes one `BDAT <n>` chunk of what fits, and the
/// last piece goes as `BDAT <n> LAST` when it fits whole (RFC 3030's
/// `BDAT 69 LAST`), or as `BDAT 0 LAST` after it.
///
/// Text content (anything but `BODY=BINARYMIME`) must be canonical CRLF: a
/// CR that ends one call's input is held back until the next shows its LF,
/// so the check does not depend on how the content is split.
///
/// ```
/// use embedded_smtp::wire::bdat::BdatWriter;
///
/// let mut tx = BdatWriter::new(false);
/// let mut out = [0u8; 17];
/// // "hello\r\nworld" through a 17-octet buffer: "BDAT 8" and "hello\r\nw",
/// // then the rest, which fits whole with LAST.
/// let p = tx.chunk(b"hello\r\nworld", &mut out, false).unwrap();
/// assert_eq!(&out[..p.written], b"BDAT 8\r\nhello\r\nw");
/// let p = tx.chunk(b"orld", &mut out, true).unwrap();
/// assert_eq!(&out[..p.written], b"BDAT 4 LAST\r\norld");
/// assert!(tx.is_done());
/// // A bare LF is refused.
/// let mut tx = BdatWriter::new(false);
/// assert!(tx.chunk(b"a\nb", &mut out, false).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BdatWriter {
    /// `BODY=BINARYMIME`: octets as they are, no line rules.
    binary: bool,
    /// A CR ended the previous chunk's octets: it goes at the start of the
    /// next chunk, once an LF is known to follow.
    held_cr: bool,
    /// The `LAST` chunk was written.
    done: bool,
}

impl BdatWriter {
    /// A writer for one message; `binary` for `BODY=BINARYMIME` content.
    pub const fn new(binary: bool) -> Self {
        BdatWriter {
            binary,
            held_cr: false,
            done: false,
        }
    }

    /// Whether the `LAST` chunk was written.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the content so far ended with a CR, held back until an LF
    /// follows: [`BdatWriter::finish`] now would refuse it.
    pub fn holds_cr(&self) -> bool {
        self.held_cr
    }

    /// Writes one chunk of `input` into `out`: `BDAT <n>` and the octets
    /// that fit, or, with `last` and all of `input` fitting, `BDAT <n>
    /// LAST` (then [`BdatWriter::is_done`]). Hand the unconsumed rest in
    /// again. An empty `input` writes nothing.
    pub fn chunk(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> Result<Progress, ChunkError> {
        if self.done {
            return Err(ChunkError::Done);
        }
        if input.is_empty() {
            return Ok(Progress::default());
        }
        let held = usize::from(self.held_cr);
        let whole = held + input.len();
        if last && header_len(whole) + " LAST".len() + whole <= out.len() {
            // The end of the message: a CR still waiting for its LF is bare.
            if self.check(input)? {
                return Err(ChunkError::Body(BodyError::BareCr));
            }
            let written = self.write(out, input, true)?;
            self.held_cr = false;
            self.done = true;
            return Ok(Progress {
                consumed: input.len(),
                written,
            });
        }
        let max_data = out.len().saturating_sub(header_len(out.len()));
        let take = input.len().min(max_data.saturating_sub(held));
        if take == 0 {
            return Err(ChunkError::BufferTooSmall {
                needed: header_len(held + 1) + held + 1,
            });
        }
        let data = input.get(..take).unwrap_or_default();
        let hold_back = self.check(data)?;
        let body = data
            .get(..take - usize::from(hold_back))
            .unwrap_or_default();
        let written = if held + body.len() == 0 {
            0
        } else {
            self.write(out, body, false)?
        };
        self.held_cr = hold_back;
        Ok(Progress {
            consumed: take,
            written,
        })
    }

    /// Ends the message with `BDAT 0 LAST`. Refused with
    /// [`BodyError::BareCr`] when the content ended with a CR.
    pub fn finish(&mut self, out: &mut [u8]) -> Result<usize, ChunkError> {
        if self.done {
            return Err(ChunkError::Done);
        }
        if self.held_cr {
            return Err(ChunkError::Body(BodyError::BareCr));
        }
        let n = self.write(out, &[], true)?;
        self.done = true;
        Ok(n)
    }

    /// Checks that `data`, after a held CR, is canonical CRLF text (RFC 3030
    /// §3; rule D4); true when it ends with a CR whose LF is still to come.
    /// Binary content passes.
    fn check(&self, data: &[u8]) -> Result<bool, ChunkError> {
        if self.binary {
            return Ok(false);
        }
        let mut prev_cr = self.held_cr;
        for &b in data {
            if prev_cr && b != b'\n' {
                return Err(ChunkError::Body(BodyError::BareCr));
            }
            if b == b'\n' && !prev_cr {
                return Err(ChunkError::Body(BodyError::BareLf));
            }
            prev_cr = b == b'\r';
        }
        Ok(prev_cr)
    }

    /// `BDAT <n> [LAST]` and the held CR and `body` after it.
    fn write(&self, out: &mut [u8], body: &[u8], last: bool) -> Result<usize, ChunkError> {
        let size = usize::from(self.held_cr) + body.len();
        write_with(out, |w| {
            Command::Bdat {
                size: size as u64,
                last,
            }
            .write_to(w)?;
            if self.held_cr {
                w.put_byte(b'\r');
            }
            w.put(body);
            Ok(())
        })
        .map_err(|e| match e {
            WriteError::BufferTooSmall { needed } => ChunkError::BufferTooSmall { needed },
            // `Command::Bdat` with a size is always valid.
            WriteError::Invalid(_) => ChunkError::Done,
        })
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
