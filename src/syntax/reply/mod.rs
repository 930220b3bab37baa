//! Replies: reply codes, enhanced status codes, and whole (multi-line) replies
//! (RFC 5321 §4.2, §4.2.1; RFC 3463; rules D1 and D10 of `docs/rules.md`).
//!
//! ```text
//! Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//!              Reply-code [ SP textstring ] CRLF
//! Reply-code = %x32-35 %x30-35 %x30-39
//! textstring = 1*(%d09 / %d32-126)
//! ```
//!
//! [`ReplyLine::parse`] reads one framed line, strictly: a code alone
//! (`250`) is accepted, as §4.2 requires of clients; a CR or LF inside the
//! line is an error (rule D1). Finding where lines and replies end, and
//! bounding them (rule D10), is the wire layer's job:
//! [`crate::wire::reply`] frames a [`Reply`] from the receive buffer.

use core::fmt;

use memchr::{memchr, memchr2, memrchr};
use nom::Parser;
use nom::combinator::rest;

use super::{Invalid, WriteError, Writer, check_text, write_with};

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
    /// A line longer than [`ReplyLimits::max_line`](crate::wire::reply::ReplyLimits::max_line).
    LineTooLong,
    /// More lines than [`ReplyLimits::max_lines`](crate::wire::reply::ReplyLimits::max_lines).
    TooManyLines,
    /// More bytes than [`ReplyLimits::max_total`](crate::wire::reply::ReplyLimits::max_total).
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

    /// [`ReplyLine::parse`] for a line the framer found free of control
    /// bytes: only its head is read (the hot path of reply framing).
    #[inline]
    pub(crate) fn parse_clean(line: &'a [u8]) -> Result<Self, ReplyError> {
        match fast_line_head(line) {
            Some((code, last, text)) => Ok(ReplyLine { code, last, text }),
            None => Self::parse(line),
        }
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
/// borrowed from the input. The wire layer frames it
/// ([`crate::wire::reply::frame`]).
///
/// ```
/// use embedded_smtp::syntax::Status;
/// use embedded_smtp::syntax::reply::{EnhancedCode, ReplyCode};
/// use embedded_smtp::wire::reply::{ReplyLimits, frame};
/// let input = b"550-5.1.1 No such user\r\n550 5.1.1 here\r\n";
/// let (reply, _) = frame(input, &ReplyLimits::DEFAULT).unwrap().complete().unwrap();
/// assert_eq!(reply.code(), ReplyCode::MAILBOX_UNAVAILABLE);
/// assert_eq!(reply.enhanced(), Some(EnhancedCode::BAD_DEST_MAILBOX));
/// assert_eq!(reply.text(), b"No such user");
/// assert_eq!(reply.line_count(), 2);
/// assert!(reply.lines().eq([&b"No such user"[..], b"here"]));
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
    /// The reply whose first line is `head`, `raw` its bytes (every CRLF
    /// included) and `lines` its line count, as the framer found them.
    #[inline]
    pub(crate) fn framed(head: ReplyLine<'a>, raw: &'a [u8], lines: usize) -> Self {
        Reply {
            code: head.code,
            enhanced: leading_esc(head.code, head.text),
            raw,
            lines,
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
