//! Server side of DATA: end-of-data detection and dot-unstuffing.
//!
//! RFC 5321 §4.1.1.4: the mail data ends with a line containing only a
//! period, that is the sequence `<CRLF>.<CRLF>`, where the first CRLF may be
//! the one that ended the DATA command itself; `<LF>.<LF>` MUST NOT be
//! treated as equivalent. §4.5.2: before storing a line that starts with a
//! period, the receiver removes that period. §2.3.8: bare CR and bare LF are
//! not line ends. Rules D1 and D2 of the rule book (`docs/rules.md`) apply:
//! the end mark is recognised byte by byte on the raw stream, across any split of the
//! input, and nothing is rewritten before it is recognised (the "Clean"
//! failure that turned `\r.\r` into an end mark in one gateway). This is what
//! defeats SMTP smuggling (CVE-2023-51764/51765/51766).
//!
//! [`DotUnstuffer`] holds a few bytes of state and no line buffer, so it has
//! no line length limit and an over-long line can never leave a
//! "continuation fragment" that would be mistaken for a line start: every
//! byte is classified in order. Message data is handed out as slices of the
//! input, never copied.
//!
//! ```
//! use embedded_smtp::wire::line::BareLfPolicy;
//! use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};
//!
//! let mut rx = DotUnstuffer::new(BareLfPolicy::Reject);
//! let input = b"Subject: t\r\n\r\n..hi\r\n.\r\nQUIT\r\n";
//! let (n, ev) = rx.feed(input);
//! assert_eq!(ev, Some(DataEvent::Data(b"Subject: t\r\n\r\n")));
//! let (m, ev) = rx.feed(&input[n..]);
//! assert_eq!(ev, Some(DataEvent::Data(b".hi\r\n")));
//! let (k, ev) = rx.feed(&input[n + m..]);
//! assert_eq!(ev, Some(DataEvent::End));
//! assert!(rx.is_done());
//! // What follows the end mark is the next command, left to the caller.
//! assert_eq!(&input[n + m + k..], b"QUIT\r\n");
//! ```

use memchr::{memchr, memchr2};

use super::line::BareLfPolicy;
use super::plain::{BLOCK, Periods, paired, plain_pairs, resume_at, window_at};

/// What [`DotUnstuffer::feed`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DataEvent<'a> {
    /// Message content, dot-unstuffed, in order. Usually a slice of the
    /// input; a CRLF whose bytes arrived in an earlier call, and what
    /// [`BareLfPolicy::Normalize`] writes in place of a bare line ending
    /// (a CRLF, a space, a `.` line), come from a static.
    Data(&'a [u8]),
    /// The first bare CR or bare LF under [`BareLfPolicy::Reject`]. The
    /// message must be refused (`550 5.5.2`, or `521` and close); the
    /// unstuffer keeps consuming up to the real `\r\n.\r\n` without handing
    /// out data and then reports [`DataEvent::End`], so the session stays in
    /// step and nothing after a bare line end is ever read as a command.
    BareLineEnding,
    /// The end-of-data mark `\r\n.\r\n` was consumed. The bytes after it
    /// belong to the next command.
    End,
}

/// Where the unstuffer is in the raw byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum State {
    /// At a line start; `crlf`: the line end before it was a literal CRLF.
    LineStart { crlf: bool },
    /// A line-start period was consumed (not handed out).
    Dot { crlf: bool },
    /// A line-start period and a CR were consumed.
    DotCr { crlf: bool },
    /// Inside a line.
    Mid,
    /// Inside a line, and the last byte consumed (not handed out) was a CR.
    Cr,
    /// After a bare line ending under `Reject`: swallowing up to the end mark.
    /// The value is how much of `\r\n.\r\n` was matched (0..=4).
    Swallow(u8),
    /// The end mark was consumed.
    Done,
}

/// The server's DATA receiver: dot-unstuffing and end-of-data detection
/// (RFC 5321 §4.1.1.4, §4.5.2; rules D1, D2).
///
/// Create it when the `354` reply has been sent (the DATA line's own CRLF
/// counts as the first CRLF of `\r\n.\r\n`, so `.\r\n` at once ends an empty
/// message) and [`feed`](Self::feed) it the bytes that follow, in order.
/// Each call returns how many bytes were consumed and at most one event;
/// a call with input always consumes a byte or returns an event. Call again
/// with the rest until it returns `(0, None)` (all taken: read more) or
/// [`DataEvent::End`].
///
/// - The content is handed out as [`DataEvent::Data`], dot-unstuffed: a
///   period at a line start followed by anything but CRLF is removed
///   (`..` → `.`, `.x` → `x`). The final CRLF before the end mark belongs to
///   the content; the `.\r\n` does not.
/// - Under [`BareLfPolicy::Reject`] the first bare CR or LF gives one
///   [`DataEvent::BareLineEnding`]; everything up to the real end mark is
///   then swallowed and [`DataEvent::End`] follows.
/// - Under [`BareLfPolicy::Normalize`] the content handed out is canonical
///   text, and no content line is lost:
///   - a bare LF ends a line and is handed out as CRLF (Postfix
///     `smtpd_forbid_bare_newline = normalize`);
///   - a bare CR is handed out as a space (as Postfix's cleanup does with
///     `cleanup_replace_stray_cr_lf`): it never ends a line;
///   - the end of the data is still only the raw `\r\n.\r\n`: a line
///     holding only a period next to a bare LF (`\n.\n`, `\n.\r\n`,
///     `\r\n.\n`) is not the end and is handed out as content, `.\r\n`
///     (a relay stuffs it again); what follows it is content too;
///   - dot-unstuffing applies to every line, whatever ended the one before
///     it (RFC 5321 §4.5.2: a leading period is removed when other
///     characters follow it on the line).
///
/// ```
/// use embedded_smtp::wire::line::BareLfPolicy;
/// use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};
///
/// // SMG-03: "\n.\r\n" is not the end of the data.
/// let mut rx = DotUnstuffer::new(BareLfPolicy::Reject);
/// let input = b"hi\n.\r\nMAIL FROM:<ceo@bank.example>\r\n.\r\n";
/// let (a, ev) = rx.feed(input);
/// assert_eq!(ev, Some(DataEvent::Data(b"hi")));
/// let (b, ev) = rx.feed(&input[a..]);
/// assert_eq!(ev, Some(DataEvent::BareLineEnding));
/// let (c, ev) = rx.feed(&input[a + b..]);
/// assert_eq!(ev, Some(DataEvent::End)); // only at the real CRLF.CRLF
/// assert_eq!(a + b + c, input.len());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DotUnstuffer {
    policy: BareLfPolicy,
    state: State,
}

const CRLF: &[u8] = b"\r\n";
/// A bare CR under `Normalize`.
const SP: &[u8] = b" ";
/// A `.` line next to a bare LF under `Normalize`: content, never the end.
const DOT_LINE: &[u8] = b".\r\n";

impl DotUnstuffer {
    /// A receiver right after the DATA command's CRLF.
    pub const fn new(policy: BareLfPolicy) -> Self {
        DotUnstuffer {
            policy,
            state: State::LineStart { crlf: true },
        }
    }

    /// The bare-LF policy this receiver was made with.
    pub fn policy(&self) -> BareLfPolicy {
        self.policy
    }

    /// Whether the end-of-data mark has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether a bare line ending was reported (under `Reject`): the message
    /// must be refused once [`DataEvent::End`] arrives.
    pub fn is_rejected(&self) -> bool {
        matches!(self.state, State::Swallow(_))
    }

    /// Consumes the next bytes of the DATA stream; see [`DotUnstuffer`].
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> (usize, Option<DataEvent<'a>>) {
        let reject = self.policy == BareLfPolicy::Reject;
        // `run` is the start of the content slice being built; it always ends
        // at `pos`, and `self.state` is the state after `input[..pos]`.
        let mut run: Option<usize> = None;
        let mut pos = 0;
        let mut periods = Periods::new();
        while let Some(&b) = input.get(pos) {
            match self.state {
                State::Done => return (0, None),
                State::Swallow(matched) => return self.swallow(matched, input),
                State::Cr => {
                    // Only at the start of a call: `Mid` keeps a CR that is
                    // not the last byte inside its run.
                    if b == b'\n' {
                        self.state = State::LineStart { crlf: true };
                        return (pos + 1, Some(DataEvent::Data(CRLF)));
                    } else if reject {
                        self.state = State::Swallow(1);
                        return (pos, Some(DataEvent::BareLineEnding));
                    } else {
                        // The held-back CR was bare: a space.
                        self.state = State::Mid;
                        return (pos, Some(DataEvent::Data(SP)));
                    }
                }
                State::LineStart { crlf } => {
                    if b == b'.' {
                        self.state = State::Dot { crlf };
                        pos += 1;
                        if let Some(start) = run.take()
                            && start < pos - 1
                        {
                            return (pos, Some(DataEvent::Data(slice(input, start, pos - 1))));
                        }
                    } else {
                        self.state = State::Mid;
                    }
                }
                State::Dot { crlf } => match b {
                    b'\r' => {
                        self.state = State::DotCr { crlf };
                        pos += 1;
                    }
                    b'\n' if reject => {
                        self.state = State::Swallow(0);
                        return (pos + 1, Some(DataEvent::BareLineEnding));
                    }
                    b'\n' => {
                        // ".\n" under Normalize: a `.` line of content.
                        self.state = State::LineStart { crlf: false };
                        return (pos + 1, Some(DataEvent::Data(DOT_LINE)));
                    }
                    _ => self.state = State::Mid, // the period is removed
                },
                State::DotCr { crlf } => {
                    if b == b'\n' {
                        if crlf {
                            self.state = State::Done;
                            return (pos + 1, Some(DataEvent::End));
                        }
                        // "\n.\r\n" under Normalize: a `.` line of content.
                        self.state = State::LineStart { crlf: true };
                        return (pos + 1, Some(DataEvent::Data(DOT_LINE)));
                    } else if reject {
                        // The CR after the period is bare; the period may
                        // still be the start of a real end mark: `Swallow`
                        // decides from the matched "\r\n.\r".
                        self.state = State::Swallow(4);
                        return (pos, Some(DataEvent::BareLineEnding));
                    } else {
                        // The period is removed (other characters follow
                        // it), the bare CR becomes a space.
                        self.state = State::Mid;
                        return (pos, Some(DataEvent::Data(SP)));
                    }
                }
                State::Mid => {
                    let start = *run.get_or_insert(pos);
                    let mut retry_at = 0;
                    // The hot loop: jump from line end to line end while the
                    // lines are plain CRLF lines that do not start with a period.
                    loop {
                        // Whole plain blocks first (the window includes the byte
                        // before `pos`, so a CR there is seen). After a window
                        // fails, go line by line past it before trying again,
                        // so that input made of short special lines (empty
                        // lines, say) costs at most one window check per block.
                        let from = pos;
                        while pos >= retry_at {
                            let Some(window) = window_at(input, pos) else {
                                break;
                            };
                            let plain = if periods.clear(input, pos) {
                                paired(window)
                            } else {
                                plain_pairs(window)
                            };
                            if !plain {
                                retry_at = pos + BLOCK;
                                break;
                            }
                            pos += BLOCK;
                        }
                        if pos > from {
                            // A line end the windows left open is read below.
                            pos = resume_at(input, pos);
                        }
                        let rest = input.get(pos..).unwrap_or_default();
                        let Some(off) = memchr2(b'\r', b'\n', rest) else {
                            pos = input.len();
                            break;
                        };
                        let at = pos + off;
                        if input.get(at) == Some(&b'\r') {
                            match input.get(at + 1) {
                                Some(b'\n') => {
                                    pos = at + 2;
                                    if matches!(input.get(pos), Some(b'.') | None) {
                                        self.state = State::LineStart { crlf: true };
                                        break;
                                    }
                                    // Any other byte after a CRLF is handled
                                    // exactly as inside a line.
                                }
                                None => {
                                    // The CR is the last byte: hold it back.
                                    self.state = State::Cr;
                                    return (at + 1, non_empty(slice(input, start, at)));
                                }
                                Some(_) if start < at => {
                                    // A bare CR: first hand out the
                                    // content before it.
                                    return (at, Some(DataEvent::Data(slice(input, start, at))));
                                }
                                Some(_) if reject => {
                                    self.state = State::Swallow(1);
                                    return (at + 1, Some(DataEvent::BareLineEnding));
                                }
                                Some(_) => return (at + 1, Some(DataEvent::Data(SP))),
                            }
                        } else if start < at {
                            // A bare LF: first hand out the content before it.
                            return (at, Some(DataEvent::Data(slice(input, start, at))));
                        } else if reject {
                            self.state = State::Swallow(0);
                            return (at + 1, Some(DataEvent::BareLineEnding));
                        } else {
                            self.state = State::LineStart { crlf: false };
                            return (at + 1, Some(DataEvent::Data(CRLF)));
                        }
                    }
                }
            }
        }
        let event = match run {
            Some(start) => non_empty(input.get(start..pos).unwrap_or_default()),
            None => None,
        };
        (pos, event)
    }

    /// After a bare line ending under `Reject`: consume everything up to and
    /// including the raw `\r\n.\r\n`, of which `matched` bytes were seen.
    fn swallow<'a>(&mut self, mut matched: u8, input: &'a [u8]) -> (usize, Option<DataEvent<'a>>) {
        let mut pos = 0;
        while pos < input.len() {
            if matched == 0 {
                match input.get(pos..).and_then(|rest| memchr(b'\r', rest)) {
                    Some(off) => {
                        pos += off + 1;
                        matched = 1;
                        continue;
                    }
                    None => {
                        pos = input.len();
                        break;
                    }
                }
            }
            let b = input.get(pos).copied().unwrap_or_default();
            pos += 1;
            matched = match (matched, b) {
                (4, b'\n') => {
                    self.state = State::Done;
                    return (pos, Some(DataEvent::End));
                }
                (3, b'\r') => 4,
                (_, b'\r') => 1,
                (1, b'\n') => 2,
                (2, b'.') => 3,
                _ => 0,
            };
        }
        self.state = State::Swallow(matched);
        (pos, None)
    }
}

/// `input[from..to]`, empty if out of range (never panics).
fn slice(input: &[u8], from: usize, to: usize) -> &[u8] {
    input.get(from..to).unwrap_or_default()
}

fn non_empty(data: &[u8]) -> Option<DataEvent<'_>> {
    if data.is_empty() {
        None
    } else {
        Some(DataEvent::Data(data))
    }
}
