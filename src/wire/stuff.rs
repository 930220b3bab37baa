//! Client side of DATA: canonical line ends, dot-stuffing and the end mark.
//!
//! RFC 5321 §4.5.2: before sending a line of mail text the client checks its
//! first character and, if it is a period, inserts one more period at the
//! start of the line. §4.1.1.4: the data ends with `<CRLF>.<CRLF>`; if the
//! content does not end in CRLF the client MUST add one (and MUST NOT add an
//! extra one when it does). §2.3.8: a client MUST NOT transmit a bare CR or
//! bare LF. §4.5.3.1.6: a text line is at most 1000 octets including the CRLF,
//! not counting the period added for transparency. Rule D4 of the rule book
//! (`docs/rules.md`): the body is made canonical first (by [`StuffPolicy`]),
//! then every line start is stuffed, including the first line and lines
//! after empty lines (the lettre bug CVE-2021-38189), then framed.
//!
//! [`DotStuffer`] is resumable into an output buffer of any size, even one
//! byte: the few bytes it has decided but could not write yet (`..`, a CRLF)
//! wait in its state. The worst-case expansion, before the 5-byte end mark,
//! is 4/3 for canonical input (`.\r\n` becomes `..\r\n`) and 2 under
//! [`StuffPolicy::Normalize`] (`\n` becomes `\r\n`, `.\n` becomes `..\r\n`).
//! Under BDAT (RFC 3030 §3) no stuffing is done; do not use this there.
//!
//! ```
//! use embedded_smtp::wire::stuff::{DotStuffer, StuffPolicy};
//!
//! let mut tx = DotStuffer::new(StuffPolicy::Reject);
//! let mut out = [0u8; 64];
//! let p = tx.stuff(b".hidden\r\nx", &mut out).unwrap();
//! assert_eq!(p.consumed, 10);
//! let f = tx.finish(&mut out[p.written..]).unwrap();
//! assert!(f.done);
//! assert_eq!(&out[..p.written + f.written], b"..hidden\r\nx\r\n.\r\n");
//! ```

use memchr::{memchr2, memrchr};

use super::plain::{BLOCK, plain_pairs_lf, resume_at, window_at};

/// What to do with a bare CR or bare LF in the body handed to the stuffer
/// (RFC 5321 §2.3.8; rule D4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StuffPolicy {
    /// Refuse the body: [`BodyError::BareCr`] / [`BodyError::BareLf`]. The default.
    #[default]
    Reject,
    /// Turn each bare CR and each bare LF into a CRLF line end, then stuff.
    Normalize,
    /// Replace each bare CR and each bare LF by a space, as Postfix
    /// `cleanup_replace_stray_cr_lf = yes` does: no new line starts.
    Space,
}

/// Why the body was refused. The caller is at fault; the stuffer refuses all
/// further input, and since a DATA body cannot be cancelled in band, the
/// connection has to be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BodyError {
    /// A CR not followed by LF, under [`StuffPolicy::Reject`].
    BareCr,
    /// An LF not preceded by CR, under [`StuffPolicy::Reject`].
    BareLf,
    /// A line longer than the configured maximum
    /// ([`DotStuffer::with_max_line`], RFC 5321 §4.5.3.1.6).
    LineTooLong,
}

impl core::fmt::Display for BodyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BodyError::BareCr => "bare CR in message body",
            BodyError::BareLf => "bare LF in message body",
            BodyError::LineTooLong => "message body line too long",
        })
    }
}

impl core::error::Error for BodyError {}

/// What one [`DotStuffer::stuff`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Progress {
    /// Input bytes taken; hand the rest in again.
    pub consumed: usize,
    /// Output bytes written at the start of the buffer; send them.
    pub written: usize,
}

/// What one [`DotStuffer::finish`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Finish {
    /// Output bytes written at the start of the buffer; send them.
    pub written: usize,
    /// The end mark is completely written. If not, call again with room.
    pub done: bool,
}

/// The RFC 5321 §4.5.3.1.6 default: 1000 octets including CRLF.
const DEFAULT_MAX_LINE: usize = 998;

/// `\r\n.\r\n`: the end mark, or its last three bytes after a CRLF.
const TAIL: &[u8; 5] = b"\r\n.\r\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Phase {
    Body,
    /// Writing `TAIL[from..]`.
    Tail(u8),
    Done,
    Failed(BodyError),
}

/// The client's DATA transmitter (RFC 5321 §4.5.2, §4.1.1.4, §2.3.8; rule D4).
///
/// Feed the body with [`stuff`](Self::stuff) in pieces of any size, send what
/// it writes, then call [`finish`](Self::finish) until it reports `done`.
/// The output never contains a bare CR or bare LF, and never `\r\n.\r\n`
/// before its end.
///
/// ```
/// use embedded_smtp::wire::stuff::{BodyError, DotStuffer, StuffPolicy};
///
/// // DOT-04: bare line ends, per policy.
/// let mut out = [0u8; 64];
/// let mut tx = DotStuffer::new(StuffPolicy::Normalize);
/// let p = tx.stuff(b"a\n.\nb", &mut out).unwrap();
/// let f = tx.finish(&mut out[p.written..]).unwrap();
/// assert_eq!(&out[..p.written + f.written], b"a\r\n..\r\nb\r\n.\r\n");
///
/// let mut tx = DotStuffer::new(StuffPolicy::Reject);
/// assert_eq!(tx.stuff(b"a\n.\nb", &mut out), Err(BodyError::BareLf));
///
/// // Output one byte at a time.
/// let mut tx = DotStuffer::new(StuffPolicy::Reject);
/// let (mut wire, mut one, mut input) = (Vec::new(), [0u8; 1], &b".x\r\n"[..]);
/// while !input.is_empty() {
///     let p = tx.stuff(input, &mut one).unwrap();
///     wire.extend_from_slice(&one[..p.written]);
///     input = &input[p.consumed..];
/// }
/// loop {
///     let f = tx.finish(&mut one).unwrap();
///     wire.extend_from_slice(&one[..f.written]);
///     if f.done { break; }
/// }
/// assert_eq!(wire, b"..x\r\n.\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DotStuffer {
    policy: StuffPolicy,
    phase: Phase,
    /// Bytes decided but not yet written, in order.
    pending: [u8; 2],
    pending_len: u8,
    /// The next body byte starts a line.
    at_line_start: bool,
    /// A CR was consumed; whether it is bare depends on the next byte.
    held_cr: bool,
    /// Text octets on the current line (without the added period).
    line_len: usize,
    /// `usize::MAX` when disabled.
    max_line: usize,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new(StuffPolicy::Reject)
    }
}

impl DotStuffer {
    /// A stuffer at the start of the body, with the default line limit of
    /// 998 text octets (1000 with CRLF).
    pub const fn new(policy: StuffPolicy) -> Self {
        DotStuffer {
            policy,
            phase: Phase::Body,
            pending: [0; 2],
            pending_len: 0,
            at_line_start: true,
            held_cr: false,
            line_len: 0,
            max_line: DEFAULT_MAX_LINE,
        }
    }

    /// The same stuffer with a maximum of `max` text octets per line (CRLF
    /// not counted, nor the period added for transparency), or no maximum
    /// with `None`. Longer lines give [`BodyError::LineTooLong`]; they are
    /// never folded.
    pub const fn with_max_line(self, max: Option<usize>) -> Self {
        let max_line = match max {
            Some(m) => m,
            None => usize::MAX,
        };
        DotStuffer { max_line, ..self }
    }

    /// The policy for bare CR and bare LF.
    pub fn policy(&self) -> StuffPolicy {
        self.policy
    }

    /// Whether the whole end mark has been written.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Stuffs body bytes from `input` into `out`. Returns how much of each
    /// was used; call again with the rest of the input (and fresh room)
    /// until all is consumed. With a non-empty `out` every call with input
    /// makes progress. After [`finish`](Self::finish) has been called it
    /// consumes nothing. On error nothing of this call counts and the body is
    /// aborted: every later call returns the same error. Bytes of `out`
    /// after the written ones are scratch: they may have been overwritten.
    pub fn stuff(&mut self, input: &[u8], out: &mut [u8]) -> Result<Progress, BodyError> {
        match self.phase {
            Phase::Body => {}
            Phase::Failed(e) => return Err(e),
            Phase::Tail(_) | Phase::Done => return Ok(Progress::default()),
        }
        let mut p = Progress::default();
        loop {
            if !self.flush(out, &mut p.written) {
                return Ok(p);
            }
            let rest = input.get(p.consumed..).unwrap_or_default();
            let Some(&b) = rest.first() else {
                return Ok(p);
            };
            if self.held_cr {
                self.held_cr = false;
                if b == b'\n' {
                    p.consumed += 1;
                    self.end_line();
                } else {
                    // A bare CR; `b` is looked at again on the next turn.
                    self.bare(BodyError::BareCr)?;
                }
                continue;
            }
            if self.at_line_start && b == b'.' {
                self.text(1)?;
                p.consumed += 1;
                match out.get_mut(p.written..p.written + 2) {
                    Some(dst) => {
                        dst.copy_from_slice(b"..");
                        p.written += 2;
                    }
                    None => self.push(b".."),
                }
                continue;
            }
            // Plain text needs no change: copy as much as fits in one go.
            let room = out.len().saturating_sub(p.written);
            if room == 0 {
                return Ok(p);
            }
            let end = p.consumed.saturating_add(room).min(input.len());
            let dst = out.get_mut(p.written..).unwrap_or_default();
            let n = self.plain_prefix(input, p.consumed, end, dst)?;
            if n > 0 {
                p.consumed += n;
                p.written += n;
                continue;
            }
            // `b` is a CR (is an LF next?) or a bare LF.
            p.consumed += 1;
            if b == b'\r' {
                self.held_cr = true;
            } else {
                self.bare(BodyError::BareLf)?;
            }
        }
    }

    /// Ends the body: resolves a CR held at the very end, adds a CRLF if the
    /// body does not end with one, then writes `.\r\n`. Call again with
    /// fresh room until [`Finish::done`]; after that it writes nothing.
    pub fn finish(&mut self, out: &mut [u8]) -> Result<Finish, BodyError> {
        let mut written = 0;
        if self.phase == Phase::Body {
            if !self.flush(out, &mut written) {
                return Ok(Finish {
                    written,
                    done: false,
                });
            }
            if self.held_cr {
                self.held_cr = false;
                self.bare(BodyError::BareCr)?;
                if !self.flush(out, &mut written) {
                    // The tail starts when the pending bytes are out.
                    self.phase = Phase::Tail(self.tail_start());
                    return Ok(Finish {
                        written,
                        done: false,
                    });
                }
            }
            self.phase = Phase::Tail(self.tail_start());
        }
        match self.phase {
            Phase::Failed(e) => Err(e),
            Phase::Body | Phase::Done => Ok(Finish {
                written,
                done: true,
            }),
            Phase::Tail(from) => {
                if !self.flush(out, &mut written) {
                    return Ok(Finish {
                        written,
                        done: false,
                    });
                }
                let tail = TAIL.get(usize::from(from)..).unwrap_or_default();
                let room = out.len().saturating_sub(written);
                let n = tail.len().min(room);
                if let (Some(dst), Some(src)) = (out.get_mut(written..written + n), tail.get(..n)) {
                    dst.copy_from_slice(src);
                }
                written += n;
                let done = n == tail.len();
                // `from + n` is at most 5.
                self.phase = if done {
                    Phase::Done
                } else {
                    Phase::Tail(from + n as u8)
                };
                Ok(Finish { written, done })
            }
        }
    }

    /// The length of the longest run of `input[start..end]` that goes on
    /// the wire unchanged: text and CRLFs, where only the last CRLF may be
    /// followed by a period, each CRLF is followed by something (the next
    /// byte must be known) and no bare CR or LF occurs. Updates the line state for it; fails if a line grows too
    /// long. Called with no CR held, and not at a line start before a
    /// period; the byte before `start`, if any, has been handled (the
    /// windows look at it, which only ever makes them more careful).
    fn plain_prefix(
        &mut self,
        input: &[u8],
        start: usize,
        end: usize,
        out: &mut [u8],
    ) -> Result<usize, BodyError> {
        let region = input.get(..end).unwrap_or(input);
        let mut pos = start;
        // `input[start..copied]` is in `out` already.
        let mut copied = start;
        // The length of the line open at `pos`.
        let mut len = self.line_len;
        let mut retry_at = start;
        // Windows only while the open line, a window longer, stays within
        // the limit (none under a limit shorter than a window).
        let window_limit = self.max_line.checked_sub(BLOCK);
        loop {
            // Whole plain windows while no line in them can be too long
            // (`bound` is at least the open line's length); after a failed
            // window, go line by line past it first (bounded work on input
            // made of short special lines).
            let from = pos;
            if let Some(window_limit) = window_limit
                && pos >= retry_at
            {
                copy(input, copied, pos, start, out);
                // Each plain window is copied while it is at hand.
                let mut bound = len;
                let dst = out.get_mut(pos - start..).unwrap_or_default();
                for dst in dst.chunks_exact_mut(BLOCK) {
                    if bound > window_limit {
                        break;
                    }
                    let Some(window) = window_at(region, pos) else {
                        break;
                    };
                    let Some(lf) = plain_pairs_lf(window) else {
                        retry_at = pos + BLOCK;
                        break;
                    };
                    dst.copy_from_slice(&window[1..]);
                    pos += BLOCK;
                    bound = if lf { BLOCK } else { bound + BLOCK };
                }
                copied = pos;
            }
            if pos > from {
                // A line end the windows left open is read below; the open
                // line's length is what follows the last LF before it.
                pos = resume_at(region, pos);
                let run = region.get(from..pos).unwrap_or_default();
                len = match memrchr(b'\n', run) {
                    Some(lf) => run.len() - lf - 1,
                    None => len + run.len(),
                };
            }
            let rest = region.get(pos..).unwrap_or_default();
            let Some(off) = memchr2(b'\r', b'\n', rest) else {
                len = len.saturating_add(rest.len());
                pos = region.len();
                break;
            };
            let at = pos + off;
            len = len.saturating_add(off);
            if len > self.max_line {
                break;
            }
            let crlf = region.get(at) == Some(&b'\r') && region.get(at + 1) == Some(&b'\n');
            match region.get(at + 2) {
                Some(&c) if crlf => {
                    pos = at + 2;
                    len = 0;
                    if c == b'.' {
                        // The line end goes out as it is; the caller
                        // stuffs the period that starts the next line.
                        break;
                    }
                }
                _ => {
                    pos = at;
                    break;
                }
            }
        }
        if len > self.max_line {
            return self.fail(BodyError::LineTooLong).map(|()| 0);
        }
        copy(input, copied.min(pos), pos, start, out);
        if pos > start {
            self.line_len = len;
            self.at_line_start = region.get(pos - 1) == Some(&b'\n');
        }
        Ok(pos - start)
    }

    /// Where the end mark starts: `.\r\n` right after a CRLF (or for an empty
    /// body), else `\r\n.\r\n`.
    fn tail_start(&self) -> u8 {
        if self.at_line_start { 2 } else { 0 }
    }

    /// Writes pending bytes; false if `out` filled up before they were all out.
    fn flush(&mut self, out: &mut [u8], written: &mut usize) -> bool {
        while self.pending_len > 0 {
            let Some(slot) = out.get_mut(*written) else {
                return false;
            };
            *slot = self.pending[0];
            self.pending[0] = self.pending[1];
            self.pending_len -= 1;
            *written += 1;
        }
        true
    }

    /// Queues at most two bytes (only called with the queue empty).
    fn push(&mut self, bytes: &[u8; 2]) {
        self.pending = *bytes;
        self.pending_len = 2;
    }

    fn end_line(&mut self) {
        self.push(b"\r\n");
        self.at_line_start = true;
        self.line_len = 0;
    }

    /// Counts `n` text octets on the current line.
    fn text(&mut self, n: usize) -> Result<(), BodyError> {
        self.line_len = self.line_len.saturating_add(n);
        self.at_line_start = false;
        if self.line_len > self.max_line {
            return self.fail(BodyError::LineTooLong);
        }
        Ok(())
    }

    /// Handles a bare CR or LF according to the policy.
    fn bare(&mut self, error: BodyError) -> Result<(), BodyError> {
        match self.policy {
            StuffPolicy::Reject => self.fail(error),
            StuffPolicy::Normalize => {
                self.end_line();
                Ok(())
            }
            StuffPolicy::Space => {
                self.text(1)?;
                self.pending = [b' ', 0];
                self.pending_len = 1;
                Ok(())
            }
        }
    }

    fn fail(&mut self, error: BodyError) -> Result<(), BodyError> {
        self.phase = Phase::Failed(error);
        Err(error)
    }
}

/// Copies `input[from..to]` to `out` at `from - start`.
#[inline]
fn copy(input: &[u8], from: usize, to: usize, start: usize, out: &mut [u8]) {
    if to > from
        && let (Some(dst), Some(src)) = (out.get_mut(from - start..to - start), input.get(from..to))
    {
        dst.copy_from_slice(src);
    }
}
