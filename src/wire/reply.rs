//! Reply framing (RFC 5321 §4.2, §4.2.1; rules D1 and D10): where a reply
//! line ends, where a multi-line reply ends, and the bounds on both. Each
//! framed line is parsed by `syntax` ([`ReplyLine::parse`]); nothing here
//! reads a reply's meaning.
//!
//! Two ways to frame, over the caller's receive buffer:
//!
//! - [`frame`]: a whole reply at once, [`Status::Partial`] until its last
//!   line has arrived. Line length, line count and total size are capped by
//!   [`ReplyLimits`], so the receive buffer never needs more than
//!   `max_total` bytes.
//! - [`ReplyFolder`]: one line at a time, for a reply of any length in
//!   bounded memory (an EHLO reply listing many extensions; catalogue row
//!   RES-08). Only the line length is capped.
//!
//! CRLF is the only line end: a bare CR or LF is an error, never a line end
//! (rule D1). Every line of a reply carries the same code (§4.2.1).
//!
//! ```
//! use embedded_smtp::syntax::Status;
//! use embedded_smtp::syntax::reply::{EnhancedCode, ReplyCode};
//! use embedded_smtp::wire::reply::{ReplyLimits, frame};
//!
//! let input = b"550-5.1.1 No such user\r\n550 5.1.1 here\r\nnext";
//! let Status::Complete((reply, used)) = frame(input, &ReplyLimits::DEFAULT).unwrap() else {
//!     panic!()
//! };
//! assert_eq!(used, input.len() - 4);
//! assert_eq!(reply.code(), ReplyCode::MAILBOX_UNAVAILABLE);
//! assert_eq!(reply.enhanced(), Some(EnhancedCode::BAD_DEST_MAILBOX));
//! assert!(reply.lines().eq([&b"No such user"[..], b"here"]));
//! assert_eq!(frame(b"550-5.1.1 No", &ReplyLimits::DEFAULT), Ok(Status::Partial));
//! ```

use memchr::memchr2;

use crate::syntax::Status;
use crate::syntax::reply::{Reply, ReplyCode, ReplyError, ReplyLine};

/// The smallest reply line limit a client may use: 512 octets including the
/// CRLF (RFC 5321 §4.5.3.1.5).
pub const REPLY_LINE_MIN: usize = 512;

/// Bounds on a reply (rule D10). The defaults are above the RFC 5321
/// §4.5.3.1.5 floor of 512 octets per reply line.
///
/// ```
/// use embedded_smtp::wire::reply::ReplyLimits;
/// assert_eq!(ReplyLimits::default(), ReplyLimits::DEFAULT);
/// assert_eq!(ReplyLimits::DEFAULT.max_line, 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyLimits {
    /// Longest line, CRLF included.
    pub max_line: usize,
    /// Most lines in one reply.
    pub max_lines: usize,
    /// Most bytes in one reply, all CRLFs included.
    pub max_total: usize,
}

impl ReplyLimits {
    /// 1000-octet lines, 100 lines, 16 KiB in all.
    pub const DEFAULT: ReplyLimits = ReplyLimits {
        max_line: 1000,
        max_lines: 100,
        max_total: 16384,
    };
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether `textstring` (`%d09 / %d32-126`, RFC 5321 §4.2) refuses `b`: a
/// control byte other than HTAB (CR and LF included), or DEL.
#[inline(always)]
fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// The index of the first byte of `s` that [`is_ctl`], or `s.len()`. Checks
/// 16 bytes at a time with a branch-free bit mask (which the compiler
/// vectorises), then byte by byte for a last short block.
// Inlined for speed with `fast-parse` (the hosts' feature); a firmware
// without it keeps one copy.
#[cfg_attr(feature = "fast-parse", inline(always))]
fn first_control(s: &[u8]) -> usize {
    const BLOCK: usize = 16;
    let mut start = 0;
    let mut blocks = s.chunks_exact(BLOCK);
    for block in &mut blocks {
        let Ok(block) = <[u8; BLOCK]>::try_from(block) else {
            break;
        };
        // One byte per input byte, 1 where `is_ctl`: the lowest set byte of
        // the little-endian number is the first control byte.
        let flags = u128::from_le_bytes(block.map(|b| u8::from(is_ctl(b))));
        if flags != 0 {
            return start + (flags.trailing_zeros() / 8) as usize;
        }
        start += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| is_ctl(b))
        .map_or(s.len(), |p| start + p)
}

/// Where the next line of `input` ends.
enum LineEnd {
    /// The line's content is `input[..len]`, followed by CRLF; `clean`: it
    /// holds no control byte, so only its head needs parsing.
    At { len: usize, clean: bool },
    /// No CRLF yet: `seen` content bytes so far.
    Partial { seen: usize },
}

/// Finds the CRLF of the line at the start of `input`, within `max_content`
/// content bytes (rule D1: a bare CR or LF is an error).
#[cfg_attr(feature = "fast-parse", inline(always))]
fn line_end(input: &[u8], max_content: usize) -> Result<LineEnd, ReplyError> {
    let window = input.get(..max_content.saturating_add(1)).unwrap_or(input);
    // Fast path: the first byte `textstring` refuses is the CR of a CRLF, so
    // the line is clean text; `memchr2` would find that CR too.
    let stop = first_control(window);
    if let (Some(b'\r'), Some(b'\n')) = (window.get(stop), input.get(stop + 1)) {
        return Ok(LineEnd::At {
            len: stop,
            clean: true,
        });
    }
    match memchr2(b'\r', b'\n', window) {
        Some(i) => match (window.get(i), input.get(i + 1)) {
            (Some(b'\r'), Some(b'\n')) => Ok(LineEnd::At {
                len: i,
                clean: false,
            }),
            (Some(b'\r'), None) => Ok(LineEnd::Partial { seen: i }),
            _ => Err(ReplyError::BareLineEnding),
        },
        None if input.len() > max_content => Err(ReplyError::LineTooLong),
        None => Ok(LineEnd::Partial { seen: input.len() }),
    }
}

/// Parses a framed line; `clean` lines skip the text check.
#[cfg_attr(feature = "fast-parse", inline(always))]
fn parse_line(content: &[u8], clean: bool) -> Result<ReplyLine<'_>, ReplyError> {
    if clean {
        ReplyLine::parse_clean(content)
    } else {
        ReplyLine::parse(content)
    }
}

/// Frames the reply at the start of `input` (rule D10). Returns
/// [`Status::Partial`] until its last line has arrived, and the reply with
/// the number of bytes it takes (final CRLF included) once it has. A limit
/// violation is reported as soon as it is certain, before the end of the
/// reply arrives.
pub fn frame<'a>(
    input: &'a [u8],
    limits: &ReplyLimits,
) -> Result<Status<(Reply<'a>, usize)>, ReplyError> {
    let max_content = limits.max_line.saturating_sub(2);
    // Each pass consumes one complete line or returns.
    let mut pos = 0usize;
    let mut count = 0usize;
    let mut first: Option<ReplyLine<'a>> = None;
    loop {
        let rem = input.get(pos..).unwrap_or(&[]);
        let (len, clean) = match line_end(rem, max_content)? {
            LineEnd::At { len, clean } => (len, clean),
            LineEnd::Partial { seen } => return partial(pos, seen, limits),
        };
        let end = pos + len + 2;
        if end > limits.max_total {
            return Err(ReplyError::TooLong);
        }
        let line = parse_line(rem.get(..len).unwrap_or(&[]), clean)?;
        count += 1;
        if count > limits.max_lines {
            return Err(ReplyError::TooManyLines);
        }
        let head = *first.get_or_insert(line);
        if head.code != line.code {
            return Err(ReplyError::CodeMismatch);
        }
        if line.last {
            let raw = input.get(..end).unwrap_or(&[]);
            return Ok(Status::Complete((Reply::framed(head, raw, count), end)));
        }
        if count >= limits.max_lines {
            return Err(ReplyError::TooManyLines);
        }
        // The shortest next line is `ddd CRLF`.
        if end + 5 > limits.max_total {
            return Err(ReplyError::TooLong);
        }
        pos = end;
    }
}

/// `Partial`, unless a line of at least `seen` content bytes starting at
/// `pos` already cannot fit in the total.
fn partial<T>(pos: usize, seen: usize, limits: &ReplyLimits) -> Result<Status<T>, ReplyError> {
    if pos.saturating_add(seen.max(3)).saturating_add(2) > limits.max_total {
        Err(ReplyError::TooLong)
    } else {
        Ok(Status::Partial)
    }
}

/// Frames a reply one line at a time, so that a reply of any length is read
/// in bounded memory (catalogue row RES-08): the EHLO reply, whose lines are
/// folded into `Capabilities` as they come. It checks what [`frame`] checks
/// but the line count and total size: CRLF line ends (rule D1), the line
/// length, and the same code on every line (RFC 5321 §4.2.1).
///
/// ```
/// use embedded_smtp::syntax::Status;
/// use embedded_smtp::wire::reply::ReplyFolder;
///
/// let mut folder = ReplyFolder::new();
/// let input = b"250-mx.example\r\n250 PIPELINING\r\n";
/// let Status::Complete((line, n)) = folder.next_line(input, 512).unwrap() else { panic!() };
/// assert_eq!((line.text, line.last, n), (&b"mx.example"[..], false, 16));
/// let Status::Complete((line, _)) = folder.next_line(&input[n..], 512).unwrap() else { panic!() };
/// assert!(line.last && folder.lines() == 2);
/// assert_eq!(folder.next_line(b"250 PIPE", 512), Ok(Status::Partial));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyFolder {
    /// The code of the reply's first line.
    code: Option<ReplyCode>,
    /// Lines framed so far (of this reply).
    lines: u32,
}

impl ReplyFolder {
    /// A folder at the start of a reply.
    pub const fn new() -> Self {
        ReplyFolder {
            code: None,
            lines: 0,
        }
    }

    /// Lines of the current (or, after its last line, the last) reply
    /// framed so far, the one just returned included.
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// The next line of the reply at the start of `input` and the bytes it
    /// takes, CRLF included; `max_line` counts the CRLF. After the last
    /// line the folder starts over.
    pub fn next_line<'a>(
        &mut self,
        input: &'a [u8],
        max_line: usize,
    ) -> Result<Status<(ReplyLine<'a>, usize)>, ReplyError> {
        let (len, clean) = match line_end(input, max_line.saturating_sub(2))? {
            LineEnd::At { len, clean } => (len, clean),
            LineEnd::Partial { .. } => return Ok(Status::Partial),
        };
        let line = parse_line(input.get(..len).unwrap_or(&[]), clean)?;
        if self.code.is_none() {
            // The first line of a reply.
            self.lines = 0;
        }
        if *self.code.get_or_insert(line.code) != line.code {
            return Err(ReplyError::CodeMismatch);
        }
        self.lines = self.lines.saturating_add(1);
        if line.last {
            self.code = None;
        }
        Ok(Status::Complete((line, len + 2)))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// The reply loop before the fast path: every line found by `memchr2`
    /// and read by [`ReplyLine::parse`]. The fast path must agree with it.
    fn reference<'a>(
        input: &'a [u8],
        limits: &ReplyLimits,
    ) -> Result<Status<(Reply<'a>, usize)>, ReplyError> {
        let max_content = limits.max_line.saturating_sub(2);
        let (mut pos, mut count) = (0usize, 0usize);
        let mut first: Option<ReplyLine<'a>> = None;
        loop {
            let rem = input.get(pos..).unwrap_or(&[]);
            let window = rem.get(..max_content.saturating_add(1)).unwrap_or(rem);
            let len = match memchr2(b'\r', b'\n', window) {
                Some(i) => match (window.get(i), rem.get(i + 1)) {
                    (Some(b'\r'), Some(b'\n')) => i,
                    (Some(b'\r'), None) => return partial(pos, i, limits),
                    _ => return Err(ReplyError::BareLineEnding),
                },
                None if rem.len() > max_content => return Err(ReplyError::LineTooLong),
                None => return partial(pos, rem.len(), limits),
            };
            let end = pos + len + 2;
            if end > limits.max_total {
                return Err(ReplyError::TooLong);
            }
            let line = ReplyLine::parse(rem.get(..len).unwrap_or(&[]))?;
            count += 1;
            if count > limits.max_lines {
                return Err(ReplyError::TooManyLines);
            }
            let head = *first.get_or_insert(line);
            if head.code != line.code {
                return Err(ReplyError::CodeMismatch);
            }
            if line.last {
                let reply = Reply::framed(head, input.get(..end).unwrap_or(&[]), count);
                return Ok(Status::Complete((reply, end)));
            }
            if count >= limits.max_lines || end + 5 > limits.max_total {
                return Err(if count >= limits.max_lines {
                    ReplyError::TooManyLines
                } else {
                    ReplyError::TooLong
                });
            }
            pos = end;
        }
    }

    /// Reply-shaped bytes, with the control bytes and line ends that matter.
    fn replyish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            3 => proptest::sample::select(std::vec![
                &b"250"[..], b"550", b"354", b"250-", b"250 ", b"2.1.0 ", b"5.1.1",
                b"text", b" ", b"\r\n", b"\r", b"\n", b"\t", b"\x7f", b"\0", b"\xc3\xa9",
                b"0123456789abcdef",
            ]).prop_map(<[u8]>::to_vec),
            1 => proptest::collection::vec(any::<u8>(), 0..4),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn fast_path_matches_reference(input in replyish(), line in 4usize..40, lines in 1usize..5) {
            for limits in [
                ReplyLimits::DEFAULT,
                ReplyLimits { max_line: line, max_lines: lines, max_total: line * lines },
            ] {
                prop_assert_eq!(frame(&input, &limits), reference(&input, &limits));
            }
        }
    }

    #[test]
    fn first_control_finds_the_first_refused_byte() {
        let mut s = [b'a'; 40];
        assert_eq!(first_control(&s), 40);
        s[9] = b'\t';
        assert_eq!(first_control(&s), 40);
        for at in [0, 15, 16, 17, 31, 32, 39] {
            for b in [b'\r', b'\n', 0, 0x1f, 0x7f] {
                let mut t = s;
                t[at] = b;
                t[at.max(1) - 1] = if at > 0 { 0x80 } else { b };
                assert_eq!(first_control(&t), at, "{at} {b:#x}");
            }
        }
    }
}
