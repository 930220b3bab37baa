//! BDAT chunk accounting (RFC 3030 §2, "CHUNKING").
//!
//! `BDAT <size> [LAST]` is followed by exactly `size` octets of message data,
//! whatever they contain: no dot-stuffing, no end-of-data scanning, no line
//! ends (RFC 3030 §2, §3). `CRLF.CRLF`, `QUIT` or NUL inside a chunk are
//! content. The last chunk may have size 0 (`BDAT 0 LAST`). Rule D9 of the
//! project's rule book: consume exactly N octets, even after a failure, so
//! the session stays in step.
//!
//! [`BdatReader`] is the counter; parsing the `BDAT` command line is the job
//! of the syntax layer.
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
