//! CRLF line framing for command lines and AUTH response lines (replies
//! are framed by [`super::reply`]).
//!
//! RFC 5321 §2.3.8: lines end with CRLF, and "in addition, the appearance of
//! 'bare' CR or LF characters in text (i.e., either without the other) has
//! a long history of causing problems"; a server SHOULD NOT recognise a bare
//! LF as a line end. §4.5.3.1.4 sets the command line floor (512 octets
//! including CRLF), §4.5.3.1.5 the reply line floor (512) and RFC 4954 §4
//! the AUTH line floor (12288). Rules D1 (CRLF is the only terminator,
//! policy `Reject`/`Normalize`) and D3 (an over-long line is reported once
//! and its tail is never parsed) of the rule book (`docs/rules.md`) apply.
//!
//! [`LineFramer`] is sans-IO: the caller keeps its receive buffer and calls
//! [`LineFramer::next_line`] on the unconsumed bytes; the framer says how
//! many bytes it consumed and what it found. It holds two flags of state, so
//! it works identically however the input is split across reads.
//!
//! ```
//! use embedded_smtp::wire::line::{BareLfPolicy, LineEvent, LineFramer};
//!
//! let mut framer = LineFramer::new(BareLfPolicy::Reject);
//! let buf = b"EHLO c.example\r\nMAIL FROM:<a@b>\r\nRCPT";
//! let (n, ev) = framer.next_line(buf, 512);
//! assert_eq!((n, ev), (16, Some(LineEvent::Line(b"EHLO c.example"))));
//! let (m, ev) = framer.next_line(&buf[n..], 512);
//! assert_eq!(ev, Some(LineEvent::Line(b"MAIL FROM:<a@b>")));
//! // "RCPT" has no line end yet: nothing consumed, keep the bytes.
//! assert_eq!(framer.next_line(&buf[n + m..], 512), (0, None));
//! ```

use memchr::memchr;

/// The smallest command line limit a server may use: 512 octets including
/// the CRLF (RFC 5321 §4.5.3.1.4; extensions add to it, e.g. RFC 4954 §3
/// `AUTH=` +500, RFC 6531 §3.1 SMTPUTF8 +10). A lower limit violates §4.3.2.
pub const COMMAND_LINE_MIN: usize = 512;

/// The AUTH line limit: RFC 4954 §4 requires servers to accept at least
/// 12288 octets for an AUTH command or a SASL response line, CRLF included.
pub const AUTH_LINE_MAX: usize = 12288;

/// What to do with a bare LF (an LF not preceded by CR), rule D1.
///
/// In a command line a bare CR is refused under both policies. In message
/// data (DATA, see [`crate::wire::unstuff`]) no bare line ending is ever
/// part of an end-of-data mark; under `Normalize` the data is stored as
/// canonical text: a bare LF ends a line (CRLF), a bare CR becomes a space,
/// and a `.` line next to a bare LF is kept as content. BDAT chunks are
/// octets (RFC 3030) and are stored as received under both policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BareLfPolicy {
    /// A bare LF is a protocol error (RFC 5321 §2.3.8). The default.
    #[default]
    Reject,
    /// A bare LF ends a line for commands and for message storage, as
    /// Postfix `smtpd_forbid_bare_newline = normalize` does; it never takes
    /// part in an end-of-data mark. In message data a bare CR becomes a
    /// space, as Postfix's cleanup does (`cleanup_replace_stray_cr_lf`).
    Normalize,
}

/// What [`LineFramer::next_line`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LineEvent<'a> {
    /// A complete line, without its terminator (CRLF, or a bare LF under
    /// [`BareLfPolicy::Normalize`]).
    Line(&'a [u8]),
    /// The line is longer than the limit (RFC 5321 §4.5.3.1.4: reply
    /// `500 5.5.2`, or `500 5.5.6` for AUTH). Reported once; the framer then
    /// discards everything up to and including the next CRLF.
    TooLong,
    /// The line contains a bare CR, or (under [`BareLfPolicy::Reject`]) ends
    /// with a bare LF. Its bytes, through the line end, are consumed; the
    /// caller decides whether to answer `5xx` or to close.
    BareLineEnding,
}

/// A CRLF line framer (RFC 5321 §2.3.8, §4.5.3.1.4; rules D1 and D3).
///
/// `limit` counts a line including its CRLF. A line is reported:
///
/// - as [`LineEvent::Line`] when its terminator lies within the first
///   `limit` bytes and it contains no bare CR (and, under `Reject`, its
///   terminator is a CRLF);
/// - as [`LineEvent::TooLong`] as soon as `limit` bytes have been seen
///   without a terminator among them; the framer then skips to the next CRLF
///   (a bare LF does not end the skip: the tail of an over-long line is never
///   parsed) and each call returns `(consumed, None)` until it is through;
/// - as [`LineEvent::BareLineEnding`] otherwise.
///
/// Without a line end and with fewer than `limit` bytes, it returns
/// `(0, None)`: the caller keeps the bytes and calls again with more.
/// Every event consumes at least one byte.
///
/// ```
/// use embedded_smtp::wire::line::{BareLfPolicy, LineEvent, LineFramer};
///
/// let mut f = LineFramer::new(BareLfPolicy::Reject);
/// // 10 bytes of a line with an 8-byte limit: too long, then skipped.
/// assert_eq!(f.next_line(b"0123456789", 8), (10, Some(LineEvent::TooLong)));
/// assert!(f.is_skipping());
/// assert_eq!(f.next_line(b"x\nRCPT\r\nQUIT\r\n", 8), (8, None));
/// assert_eq!(f.next_line(b"QUIT\r\n", 8), (6, Some(LineEvent::Line(b"QUIT"))));
///
/// // A bare LF.
/// assert_eq!(f.next_line(b"QUIT\nX", 8), (5, Some(LineEvent::BareLineEnding)));
/// let mut n = LineFramer::new(BareLfPolicy::Normalize);
/// assert_eq!(n.next_line(b"QUIT\nX", 8), (5, Some(LineEvent::Line(b"QUIT"))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LineFramer {
    policy: BareLfPolicy,
    /// Discarding the tail of an over-long line.
    skipping: bool,
    /// While skipping: the last byte consumed was a CR.
    skip_cr: bool,
}

impl Default for LineFramer {
    fn default() -> Self {
        Self::new(BareLfPolicy::Reject)
    }
}

impl LineFramer {
    /// A framer at the start of a line.
    pub const fn new(policy: BareLfPolicy) -> Self {
        LineFramer {
            policy,
            skipping: false,
            skip_cr: false,
        }
    }

    /// The bare-LF policy this framer was made with.
    pub fn policy(&self) -> BareLfPolicy {
        self.policy
    }

    /// Whether the framer is discarding the tail of an over-long line.
    pub fn is_skipping(&self) -> bool {
        self.skipping
    }

    /// Forgets any skip in progress (for example after STARTTLS, when the
    /// caller has discarded its buffer).
    pub fn reset(&mut self) {
        self.skipping = false;
        self.skip_cr = false;
    }

    /// Frames the next line of `input` (the caller's unconsumed bytes) with
    /// a limit of `limit` octets including the CRLF. Returns the number of
    /// bytes consumed and the event, if any; see [`LineFramer`].
    #[inline]
    pub fn next_line<'a>(
        &mut self,
        input: &'a [u8],
        limit: usize,
    ) -> (usize, Option<LineEvent<'a>>) {
        if input.is_empty() {
            return (0, None);
        }
        if self.skipping {
            return (self.skip(input), None);
        }
        let window = input.get(..limit).unwrap_or(input);
        // Fast path: the first CR or LF is the CR of a CRLF within the
        // window, so the line is clean; the search below would find the same
        // line (one scan instead of two).
        let first = first_line_end(window);
        if window.get(first) == Some(&b'\r') && window.get(first + 1) == Some(&b'\n') {
            let line = input.get(..first).unwrap_or_default();
            return (first + 2, Some(LineEvent::Line(line)));
        }
        let Some(lf) = memchr(b'\n', window) else {
            if input.len() < limit {
                return (0, None);
            }
            self.skipping = true;
            self.skip_cr = false;
            return (self.skip(input), Some(LineEvent::TooLong));
        };
        let line = input.get(..lf).unwrap_or_default();
        let (content, crlf) = match line.split_last() {
            Some((b'\r', rest)) => (rest, true),
            _ => (line, false),
        };
        let event = if memchr(b'\r', content).is_some() {
            LineEvent::BareLineEnding
        } else if crlf || self.policy == BareLfPolicy::Normalize {
            LineEvent::Line(content)
        } else {
            LineEvent::BareLineEnding
        };
        (lf + 1, Some(event))
    }

    /// Discards bytes up to and including the next CRLF (which may straddle
    /// calls); returns how many were consumed.
    fn skip(&mut self, input: &[u8]) -> usize {
        if self.skip_cr && input.first() == Some(&b'\n') {
            self.reset();
            return 1;
        }
        let mut from = 0;
        while let Some(off) = input.get(from..).and_then(|rest| memchr(b'\n', rest)) {
            let lf = from + off;
            if lf > 0 && input.get(lf - 1) == Some(&b'\r') {
                self.reset();
                return lf + 1;
            }
            from = lf + 1;
        }
        self.skip_cr = input.last() == Some(&b'\r');
        input.len()
    }
}

/// The index of the first byte below 0x0E in `s` (the first CR or LF, or an
/// earlier control byte such as a TAB), or `s.len()`. The caller's fast path
/// only takes a CR followed by an LF there, so a control byte before the line
/// end sends it to the exact search; a false stop costs time, never a wrong
/// line. Reads eight bytes at a time as a `u64` (SWAR), two words per turn
/// while it can (one branch per 16 bytes): for command-sized lines this
/// beats a call to `memchr2` and its run-time dispatch, and one "less than"
/// test per word (three operations) is a third of the work of testing for
/// CR and for LF separately.
#[inline]
fn first_line_end(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` below 0x0E is set in the result
    // (`hasless`); a borrow can also mark a byte above such a byte, never
    // one below, so the lowest mark is exact.
    let ends = |x: u64| x.wrapping_sub(LO * 0x0E) & !x & HI;
    let mut start = 0;
    // Two words at a time while there are; then one.
    let mut pairs = s.chunks_exact(16);
    for pair in &mut pairs {
        let Ok(pair) = <[u8; 16]>::try_from(pair) else {
            break;
        };
        let [a, b] = [0, 8].map(|at| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&pair[at..at + 8]);
            ends(u64::from_le_bytes(w))
        });
        if a | b != 0 {
            let hit = if a != 0 {
                a.trailing_zeros()
            } else {
                64 + b.trailing_zeros()
            };
            return start + (hit / 8) as usize;
        }
        start += 16;
    }
    let s = pairs.remainder();
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let hits = ends(u64::from_le_bytes(word));
        if hits != 0 {
            return start + (hits.trailing_zeros() / 8) as usize;
        }
        start += 8;
    }
    let tail = words.remainder();
    tail.iter()
        .position(|&b| b < 0x0E)
        .map_or(start + tail.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `next_line` before the fast path, for a fresh framer.
    fn reference(
        policy: BareLfPolicy,
        input: &[u8],
        limit: usize,
    ) -> (usize, Option<LineEvent<'_>>) {
        if input.is_empty() {
            return (0, None);
        }
        let window = input.get(..limit).unwrap_or(input);
        let Some(lf) = memchr(b'\n', window) else {
            if input.len() < limit {
                return (0, None);
            }
            let mut f = LineFramer::new(policy);
            f.skipping = true;
            return (f.skip(input), Some(LineEvent::TooLong));
        };
        let line = &input[..lf];
        let (content, crlf) = match line.split_last() {
            Some((b'\r', rest)) => (rest, true),
            _ => (line, false),
        };
        let event = if memchr(b'\r', content).is_some() {
            LineEvent::BareLineEnding
        } else if crlf || policy == BareLfPolicy::Normalize {
            LineEvent::Line(content)
        } else {
            LineEvent::BareLineEnding
        };
        (lf + 1, Some(event))
    }

    #[test]
    fn first_line_end_finds_the_first_cr_or_lf() {
        // Neighbours of CR and LF in value and in bit pattern (none below
        // 0x0E: those stop the scan too, see below).
        let fillers = [b'a', 0x0e, 0x0f, 0x8d, 0x8a, 0x8e, 0xff, 0x80, 0x1d, 0x2d];
        for len in 0..40 {
            for &fill in &fillers {
                let mut s = [fill; 40];
                assert_eq!(first_line_end(&s[..len]), len);
                for at in 0..len {
                    for end in [b'\r', b'\n'] {
                        s = [fill; 40];
                        s[at] = end;
                        // A second line end later must not matter.
                        if at + 3 < len {
                            s[at + 3] = b'\n';
                        }
                        assert_eq!(first_line_end(&s[..len]), at, "{len} {at} {fill:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn first_line_end_stops_at_any_byte_below_0x0e() {
        for len in 0..40 {
            for at in 0..len {
                for stop in 0..0x0e {
                    let mut s = [b'a'; 40];
                    s[at] = stop;
                    if at + 1 < len {
                        s[at + 1] = b'\r';
                    }
                    assert_eq!(first_line_end(&s[..len]), at, "{len} {at} {stop:#x}");
                }
            }
        }
    }

    #[test]
    fn fast_path_matches_reference() {
        use proptest::prelude::*;
        let bytes = proptest::sample::select(&b"ab \r\n\r\n.\t\x0b\x00\x0e"[..]);
        let strategy = (proptest::collection::vec(bytes, 0..24), 1usize..12);
        proptest!(|((input, limit) in strategy)| {
            for policy in [BareLfPolicy::Reject, BareLfPolicy::Normalize] {
                let mut f = LineFramer::new(policy);
                prop_assert_eq!(f.next_line(&input, limit), reference(policy, &input, limit));
            }
        });
    }

    #[test]
    fn skip_ends_on_a_crlf_split_across_calls() {
        let mut f = LineFramer::new(BareLfPolicy::Reject);
        assert_eq!(f.next_line(b"abcdef\r", 4), (7, Some(LineEvent::TooLong)));
        assert!(f.is_skipping());
        assert_eq!(f.next_line(b"\nQUIT\r\n", 8), (1, None));
        assert!(!f.is_skipping());
        assert_eq!(
            f.next_line(b"QUIT\r\n", 8),
            (6, Some(LineEvent::Line(b"QUIT")))
        );
    }

    #[test]
    fn a_lone_cr_while_skipping_does_not_end_the_skip() {
        let mut f = LineFramer::new(BareLfPolicy::Normalize);
        assert_eq!(f.next_line(b"abcd", 4), (4, Some(LineEvent::TooLong)));
        assert_eq!(f.next_line(b"\r", 4), (1, None));
        assert_eq!(f.next_line(b"x\n", 4), (2, None));
        assert!(f.is_skipping());
    }
}
