//! Replies: reply codes, enhanced status codes, and whole (multi-line) replies
//! (RFC 5321 §4.2, §4.2.1; RFC 3463; rules D1 and D10 of `smtp-rules.md`).
//!
//! ```text
//! Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//!              Reply-code [ SP textstring ] CRLF
//! Reply-code = %x32-35 %x30-35 %x30-39
//! textstring = 1*(%d09 / %d32-126)
//! ```
//!
//! The parser is strict and bounded: CRLF is the only line end (a bare CR or
//! LF is an error, never a line end), every line carries the same code, and
//! line length, line count and total size are capped by [`ReplyLimits`]. A
//! code alone (`250\r\n`) is accepted, as §4.2 requires of clients.

use core::fmt;

use memchr::{memchr, memchr2, memrchr};
use nom::Parser;
use nom::combinator::rest;

use super::{Invalid, Status, WriteError, Writer, check_text, write_with};

mod code;

use code::*;
pub use code::{EnhancedCode, ReplyClass, ReplyCode};

/// The longest reply line RFC 5321 §4.5.3.1.5 lets us send, CRLF included.
pub(crate) const MAX_REPLY_LINE: usize = 512;

/// Why a reply was refused (rules D1, D10). The peer is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReplyError {
    /// A line outside `Reply-code [ ("-" / SP) textstring ]`, or a control
    /// byte other than HTAB in the text.
    Syntax,
    /// A line of a multi-line reply carries another code (RFC 5321 §4.2.1).
    CodeMismatch,
    /// A bare CR or bare LF (rule D1: only CRLF ends a line).
    BareLineEnding,
    /// A line longer than [`ReplyLimits::max_line`].
    LineTooLong,
    /// More lines than [`ReplyLimits::max_lines`].
    TooManyLines,
    /// More bytes than [`ReplyLimits::max_total`].
    TooLong,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyError::Syntax => "malformed reply line",
            ReplyError::CodeMismatch => "reply code changed within a multi-line reply",
            ReplyError::BareLineEnding => "bare CR or LF in a reply",
            ReplyError::LineTooLong => "reply line too long",
            ReplyError::TooManyLines => "too many reply lines",
            ReplyError::TooLong => "reply too long",
        })
    }
}

impl core::error::Error for ReplyError {}

/// Checks reply text: no CR or LF (D1), no control byte but HTAB (`textstring`).
fn check_reply_text(text: &[u8]) -> Result<(), ReplyError> {
    if memchr2(b'\r', b'\n', text).is_some() {
        return Err(ReplyError::BareLineEnding);
    }
    if text.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ReplyError::Syntax);
    }
    Ok(())
}

/// Whether `textstring` (`%d09 / %d32-126`, RFC 5321 §4.2) refuses `b` as
/// [`check_reply_text`] does: a control byte other than HTAB (CR and LF
/// included), or DEL.
#[inline(always)]
fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// The index of the first byte of `s` that [`is_ctl`], or `s.len()`. Checks
/// 16 bytes at a time with a branch-free bit mask (which the compiler
/// vectorises), then byte by byte for a last short block.
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

/// One reply line, CRLF excluded (RFC 5321 §4.2).
///
/// ```
/// use embedded_smtp::syntax::reply::{ReplyCode, ReplyLine};
/// let l = ReplyLine::parse(b"250-SIZE 1000").unwrap();
/// assert_eq!((l.code, l.last, l.text), (ReplyCode::OK, false, &b"SIZE 1000"[..]));
/// let l = ReplyLine::parse(b"250").unwrap();
/// assert!(l.last && l.text.is_empty());
/// assert!(ReplyLine::parse(b"250x").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyLine<'a> {
    /// The reply code.
    pub code: ReplyCode,
    /// `true` for SP or a code alone, `false` for `-` (more lines follow).
    pub last: bool,
    /// The text after the separator (may be empty; may be non-UTF-8).
    pub text: &'a [u8],
}

impl<'a> ReplyLine<'a> {
    /// Parses one line without its CRLF.
    pub fn parse(line: &'a [u8]) -> Result<Self, ReplyError> {
        if memchr2(b'\r', b'\n', line).is_some() {
            return Err(ReplyError::BareLineEnding);
        }
        let (_, (code, last, text)) = (reply_code, separator, rest)
            .parse(line)
            .map_err(|_: nom::Err<_>| ReplyError::Syntax)?;
        check_reply_text(text)?;
        Ok(ReplyLine { code, last, text })
    }
}

/// Bounds on a reply (rule D10). The defaults are above the RFC 5321
/// §4.5.3.1.5 floor of 512 octets per reply line.
///
/// ```
/// use embedded_smtp::syntax::reply::ReplyLimits;
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

/// Strips a leading `esc SP` (or a lone `esc`) from `text`.
fn strip_esc(text: &[u8], esc: Option<EnhancedCode>) -> &[u8] {
    match (esc, EnhancedCode::parse(text)) {
        (Some(want), Some((got, rest))) if want == got => rest,
        _ => text,
    }
}

/// The text of a line of a validated reply (CRLF excluded).
fn line_text(line: &[u8]) -> &[u8] {
    line.get(4..).unwrap_or(&[])
}

/// A complete reply: one or more lines with the same code (RFC 5321 §4.2.1),
/// borrowed from the input.
///
/// ```
/// use embedded_smtp::syntax::reply::{EnhancedCode, Reply, ReplyCode, ReplyLimits};
/// use embedded_smtp::Status;
/// let input = b"550-5.1.1 No such user\r\n550 5.1.1 here\r\nnext";
/// let Status::Complete((reply, used)) = Reply::parse(input, &ReplyLimits::DEFAULT).unwrap() else {
///     panic!()
/// };
/// assert_eq!(used, input.len() - 4);
/// assert_eq!(reply.code(), ReplyCode::MAILBOX_UNAVAILABLE);
/// assert_eq!(reply.enhanced(), Some(EnhancedCode::BAD_DEST_MAILBOX));
/// assert_eq!(reply.text(), b"No such user");
/// assert!(reply.lines().eq([&b"No such user"[..], b"here"]));
/// assert_eq!(Reply::parse(b"550-5.1.1 No", &ReplyLimits::DEFAULT), Ok(Status::Partial));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply<'a> {
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    raw: &'a [u8],
    lines: usize,
}

impl<'a> Reply<'a> {
    /// Parses the reply at the start of `input`. Returns [`Status::Partial`]
    /// until its last line has arrived, and the number of bytes it takes
    /// (final CRLF included) once it has. A limit violation is reported as
    /// soon as it is certain, before the end of the reply arrives.
    pub fn parse(
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
            let window = rem.get(..max_content.saturating_add(1)).unwrap_or(rem);
            // Fast path: the first byte `textstring` refuses is the CR of a
            // CRLF, so the line is clean text; `memchr2` would find that CR too.
            let stop = first_control(window);
            let clean = matches!(
                (window.get(stop), rem.get(stop + 1)),
                (Some(b'\r'), Some(b'\n'))
            );
            let len = if clean {
                stop
            } else {
                match memchr2(b'\r', b'\n', window) {
                    Some(i) => match (window.get(i), rem.get(i + 1)) {
                        (Some(b'\r'), Some(b'\n')) => i,
                        (Some(b'\r'), None) => return partial(pos, i, limits),
                        _ => return Err(ReplyError::BareLineEnding),
                    },
                    None if rem.len() > max_content => return Err(ReplyError::LineTooLong),
                    None => return partial(pos, rem.len(), limits),
                }
            };
            let end = pos + len + 2;
            if end > limits.max_total {
                return Err(ReplyError::TooLong);
            }
            let raw_line = rem.get(..len).unwrap_or(&[]);
            let line = match fast_line_head(raw_line) {
                Some((code, last, text)) if clean => ReplyLine { code, last, text },
                _ => ReplyLine::parse(raw_line)?,
            };
            count += 1;
            if count > limits.max_lines {
                return Err(ReplyError::TooManyLines);
            }
            let head = *first.get_or_insert(line);
            if head.code != line.code {
                return Err(ReplyError::CodeMismatch);
            }
            if line.last {
                let enhanced = leading_esc(head.code, head.text);
                let raw = input.get(..end).unwrap_or(&[]);
                let reply = Reply {
                    code: head.code,
                    enhanced,
                    raw,
                    lines: count,
                };
                return Ok(Status::Complete((reply, end)));
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

    /// The reply code (the same on every line).
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code of the first line, when its class matches the
    /// code's first digit and the code is not `3yz` (rule D10, RFC 3463).
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The whole reply as received, every CRLF included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// How many lines the reply has (at least 1).
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// The text of each line, without code, separator and (when
    /// [`Reply::enhanced`] is `Some`) that same leading enhanced code.
    pub fn lines(&self) -> ReplyLines<'a> {
        ReplyLines {
            rest: self.raw,
            enhanced: self.enhanced,
        }
    }

    /// The text of the first line, as [`Reply::lines`] gives it.
    pub fn text(&self) -> &'a [u8] {
        self.lines().next().unwrap_or(&[])
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

/// The enhanced code leading `text` if it fits `code` (RFC 3463 §3; rule D10).
fn leading_esc(code: ReplyCode, text: &[u8]) -> Option<EnhancedCode> {
    if code.first_digit() == 3 {
        return None;
    }
    EnhancedCode::parse(text)
        .map(|(esc, _)| esc)
        .filter(|esc| esc.class == code.first_digit())
}

/// Iterator over the text of each line of a [`Reply`]; see [`Reply::lines`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyLines<'a> {
    rest: &'a [u8],
    enhanced: Option<EnhancedCode>,
}

impl<'a> Iterator for ReplyLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr(b'\n', self.rest) {
            Some(i) => (
                self.rest.get(..i.saturating_sub(1)).unwrap_or(&[]),
                self.rest.get(i + 1..).unwrap_or(&[]),
            ),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some(strip_esc(line_text(line), self.enhanced))
    }
}

impl core::iter::FusedIterator for ReplyLines<'_> {}

/// Writes a reply (RFC 5321 §4.2, `Reply-line`) into `buf`.
///
/// Each element of `lines` becomes one or more lines: text that does not fit
/// in a 512-octet line (code, separator, enhanced code and CRLF included) is
/// split at the last space that fits, or hard-split when there is none. An
/// empty `lines` or an empty element gives a line with the code alone. Every
/// line carries `enhanced` when given.
///
/// Refused (nothing written): a control byte in the text
/// ([`Invalid::ControlByte`]); an enhanced code on a `3yz` reply or whose class
/// differs from the code's first digit ([`Invalid::ReplyCode`]).
///
/// Text that itself starts with something shaped like an enhanced code of the
/// reply's class reads back as one when `enhanced` is `None`.
///
/// ```
/// use embedded_smtp::syntax::reply::{write_reply, EnhancedCode, ReplyCode};
/// let mut buf = [0u8; 64];
/// let n = write_reply(&mut buf, ReplyCode::OK, Some(EnhancedCode::OK), &["Ok", "queued"]).unwrap();
/// assert_eq!(&buf[..n], b"250-2.0.0 Ok\r\n250 2.0.0 queued\r\n");
/// let n = write_reply(&mut buf, ReplyCode::OK, None, &[]).unwrap();
/// assert_eq!(&buf[..n], b"250\r\n");
/// ```
pub fn write_reply(
    buf: &mut [u8],
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    lines: &[&str],
) -> Result<usize, WriteError> {
    write_with(buf, |w| write_reply_to(w, code, enhanced, lines))
}

/// [`write_reply`] over a [`Writer`], for writers that compose.
pub(crate) fn write_reply_to(
    w: &mut Writer<'_>,
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    lines: &[&str],
) -> Result<(), Invalid> {
    if let Some(esc) = enhanced
        && (code.first_digit() == 3 || esc.class != code.first_digit())
    {
        return Err(Invalid::ReplyCode);
    }
    for text in lines {
        check_text(text.as_bytes())?;
    }
    let room = MAX_REPLY_LINE - 2 - 4 - enhanced.map_or(0, |e| e.text_len() + 1);
    if lines.is_empty() {
        put_line(w, code, true, enhanced, b"");
        return Ok(());
    }
    for (idx, text) in lines.iter().enumerate() {
        let last = idx + 1 == lines.len();
        let mut rest: &str = text;
        // Each pass writes at least one byte of `rest`, or ends the element.
        loop {
            let (chunk, next) = split_text(rest, room);
            put_line(w, code, last && next.is_none(), enhanced, chunk.as_bytes());
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
    }
    Ok(())
}

/// Splits `s` into a first part of at most `room` bytes and the rest (if
/// any): at the last space that fits (dropping it), else at a char boundary.
fn split_text(s: &str, room: usize) -> (&str, Option<&str>) {
    if s.len() <= room {
        return (s, None);
    }
    let bytes = s.as_bytes();
    let at = match bytes.get(1..=room).and_then(|b| memrchr(b' ', b)) {
        Some(j) => Some((j + 1, j + 2)),
        None => (room.saturating_sub(3)..=room)
            .rev()
            .find(|&h| h > 0 && s.is_char_boundary(h))
            .map(|h| (h, h)),
    };
    match at.and_then(|(end, next)| Some((s.get(..end)?, s.get(next..)?))) {
        Some((head, "")) => (head, None),
        Some((head, tail)) => (head, Some(tail)),
        None => (s, None),
    }
}

/// Writes one line: `code ( "-" / SP ) [ esc SP ] text CRLF`, or `code CRLF`.
fn put_line(
    w: &mut Writer<'_>,
    code: ReplyCode,
    last: bool,
    esc: Option<EnhancedCode>,
    text: &[u8],
) {
    w.put_decimal(u64::from(code.get()));
    if !(last && esc.is_none() && text.is_empty()) {
        w.put_byte(if last { b' ' } else { b'-' });
    }
    if let Some(esc) = esc {
        esc.write_to(w);
        if !text.is_empty() {
            w.put_byte(b' ');
        }
    }
    w.put(text);
    w.put(b"\r\n");
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
                let reply = Reply {
                    code: head.code,
                    enhanced: leading_esc(head.code, head.text),
                    raw: input.get(..end).unwrap_or(&[]),
                    lines: count,
                };
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
                prop_assert_eq!(Reply::parse(&input, &limits), reference(&input, &limits));
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
