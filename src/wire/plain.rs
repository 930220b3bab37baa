//! The hot path of both DATA directions ([`super::stuff`] and
//! [`super::unstuff`]): recognising runs of plain text, which go on the wire
//! or into the message unchanged, many bytes at a time.
//!
//! Plain text is text in which every CR is followed by an LF, every LF is
//! preceded by a CR (RFC 5321 §2.3.8: no bare CR, no bare LF) and no LF is
//! followed by a period (RFC 5321 §4.5.2: no line starts with a period, so
//! there is nothing to stuff or unstuff and no end mark `\r\n.\r\n`). All
//! three are properties of pairs of neighbouring bytes, so a window of
//! [`BLOCK`] pairs is checked with no early exit and no data-dependent
//! branch; the compiler vectorises the loop (SSE2 on any x86-64, NEON on
//! aarch64) with no unchecked code. A window that fails only means "look
//! byte by byte here", not that the text is wrong.
//!
//! The period check costs as much as the other two together, and much of
//! the mail that is large has no period at all (base64 attachments), so the
//! unstuffer's [`Periods`] looks ahead for the next period with `memchr`,
//! which picks the widest vector unit of the CPU at run time (AVX2 on a host
//! with the `std` feature): a window with no period in it needs only the CR
//! and LF check ([`paired`]) instead of the whole rule ([`plain_pairs`]).
//! Where periods are frequent (prose) it looks only every 4 KiB, so that
//! text costs about what it did before. (The stuffer does not use it: its
//! time goes to the copy and the line lengths, and it measured no faster.)
//!
//! The windows overlap by one byte (each starts with the byte before it), so
//! a run of windows checks every pair in it; only the last byte of a run,
//! whose successor is not checked yet, may still be the CR or the LF of a
//! line end: [`resume_at`] says where byte-wise work picks up.

use memchr::memchr;

/// How many bytes one window brings forward.
pub(crate) const BLOCK: usize = 64;

/// `input[pos - 1..pos + BLOCK]`: the next [`BLOCK`] bytes and the one before
/// them, if there are that many.
#[inline]
pub(crate) fn window_at(input: &[u8], pos: usize) -> Option<&[u8; BLOCK + 1]> {
    input
        .get(pos.checked_sub(1)?..pos.checked_add(BLOCK)?)?
        .try_into()
        .ok()
}

/// Whether byte `b`, preceded by byte `a`, breaks plain text: an LF without
/// its CR, a CR without its LF, or a period at a line start.
#[inline(always)]
fn breaks(a: u8, b: u8) -> u8 {
    (u8::from(a == b'\r') ^ u8::from(b == b'\n')) | (u8::from(a == b'\n') & u8::from(b == b'.'))
}

/// True if `rule` holds (gives 0) for each of the [`BLOCK`] pairs of `w`:
/// one loop with no early exit, which the compiler vectorises.
#[inline(always)]
fn all_pairs(w: &[u8; BLOCK + 1], rule: impl Fn(u8, u8) -> u8) -> bool {
    let mut acc = 0u8;
    for (&a, &b) in w[..BLOCK].iter().zip(&w[1..]) {
        acc |= rule(a, b);
    }
    acc == 0
}

/// True if the [`BLOCK`] pairs of `w` (its first byte has been handled, the
/// others are to come) are all plain. The last byte may be a CR or an LF.
#[inline]
pub(crate) fn plain_pairs(w: &[u8; BLOCK + 1]) -> bool {
    all_pairs(w, breaks)
}

/// [`plain_pairs`], and for plain pairs whether one of the [`BLOCK`] bytes to
/// come is an LF (a line ends in the window).
#[inline]
pub(crate) fn plain_pairs_lf(w: &[u8; BLOCK + 1]) -> Option<bool> {
    let mut acc = 0u8;
    let mut lf = 0u8;
    for (&a, &b) in w[..BLOCK].iter().zip(&w[1..]) {
        acc |= breaks(a, b);
        lf |= u8::from(b == b'\n');
    }
    (acc == 0).then_some(lf != 0)
}

/// Whether byte `b`, preceded by byte `a`, breaks CR and LF pairing: an LF
/// without its CR, or a CR without its LF.
#[inline(always)]
fn unpaired(a: u8, b: u8) -> u8 {
    u8::from(a == b'\r') ^ u8::from(b == b'\n')
}

/// [`plain_pairs`] for a window with no period among the bytes to come
/// ([`Periods::clear`]): only CR and LF pairing is left to check.
#[inline]
pub(crate) fn paired(w: &[u8; BLOCK + 1]) -> bool {
    all_pairs(w, unpaired)
}

/// How far one look of [`Periods`] goes.
const SPAN: usize = 64 * BLOCK;
/// A period this close to where a look starts ...
const NEAR: usize = 4 * BLOCK;
/// ... and [`Periods`] does not look again for this many bytes: where
/// periods come often (prose), looks would cost more than they save.
/// (Pausing only after two close periods measured slower on the bench
/// body: 60 against 54 µs per MiB.)
const PAUSE: usize = 64 * BLOCK;

/// Where the next period is, ahead of a run of windows: found with
/// `memchr`, which is vectorised at run time. Lives for one call of the
/// unstuffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Periods {
    /// `input[..next]` from where the last look started holds no period;
    /// `input[next]` is one when `found`.
    next: usize,
    found: bool,
    /// No look before this position (periods were found close together).
    pause_until: usize,
}

impl Periods {
    /// Nothing looked at yet.
    pub(crate) const fn new() -> Self {
        Periods {
            next: 0,
            found: false,
            pause_until: 0,
        }
    }

    /// True if `input[pos..pos + BLOCK]` is known to hold no period, looking
    /// ahead when what is known does not reach that far. False means "use
    /// the whole rule", not that a period is there.
    #[inline]
    pub(crate) fn clear(&mut self, input: &[u8], pos: usize) -> bool {
        let end = pos.saturating_add(BLOCK);
        if end <= self.next {
            return true;
        }
        if pos < self.pause_until || (self.found && pos <= self.next) {
            return false;
        }
        self.look(input, pos);
        end <= self.next
    }

    fn look(&mut self, input: &[u8], pos: usize) {
        let to = input.len().min(pos.saturating_add(SPAN));
        let ahead = input.get(pos..to).unwrap_or_default();
        (self.next, self.found) = match memchr(b'.', ahead) {
            Some(off) => {
                if off < NEAR {
                    self.pause_until = pos.saturating_add(PAUSE);
                }
                (pos + off, true)
            }
            None => (to, false),
        };
    }
}

/// After a run of plain windows that ends at `pos` (`pos > 0`), where
/// byte-wise work resumes: `pos`, or the CR of a line end whose LF, or whose
/// successor, is not checked yet (`pos - 1` for a last byte CR, `pos - 2`
/// for a last byte LF, which plain pairs put right after its CR).
#[inline]
pub(crate) fn resume_at(input: &[u8], pos: usize) -> usize {
    match input.get(pos.wrapping_sub(1)) {
        Some(b'\r') => pos - 1,
        Some(b'\n') => pos.saturating_sub(2),
        _ => pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift64).
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// The plain-pair rule, byte by byte; and whether an LF is among the
    /// bytes to come.
    fn naive(w: &[u8]) -> Option<bool> {
        for i in 1..=BLOCK {
            let (a, b) = (w[i - 1], w[i]);
            if (a == b'\r') != (b == b'\n') || (a == b'\n' && b == b'.') {
                return None;
            }
        }
        Some(w[1..].contains(&b'\n'))
    }

    #[test]
    fn plain_pairs_match_a_byte_by_byte_check() {
        // A deterministic pseudo-random walk over the interesting bytes.
        let alphabet = [b'a', b'\r', b'\n', b'.', 0x8d, 0x8a, 0xae, 0];
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let (mut plain, mut with_lf, mut ends_in_line_end) = (0, 0, 0);
        let mut unpaired_windows = 0;
        for round in 0..30_000 {
            let mut w = [0u8; BLOCK + 1];
            for b in w.iter_mut() {
                let r = next();
                // Mostly text, so that plain windows occur.
                *b = if !r.is_multiple_of(16) {
                    b'x'
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                };
            }
            for _ in 0..round % 4 {
                // Well-formed CRLFs (some followed by a period, some at
                // the window's end).
                let at = (next() as usize >> 16) % BLOCK;
                w[at] = b'\r';
                w[at + 1] = b'\n';
            }
            let expected = naive(&w);
            let pairs_ok = (1..=BLOCK).all(|i| (w[i - 1] == b'\r') == (w[i] == b'\n'));
            assert_eq!(paired(&w), pairs_ok, "{}", w.escape_ascii());
            unpaired_windows += usize::from(!pairs_ok);
            assert_eq!(plain_pairs(&w), expected.is_some(), "{}", w.escape_ascii());
            assert_eq!(plain_pairs_lf(&w), expected, "{}", w.escape_ascii());
            plain += usize::from(expected.is_some());
            with_lf += usize::from(expected == Some(true));
            ends_in_line_end += usize::from(expected.is_some() && w[BLOCK] == b'\n');
        }
        assert!(plain > 1000, "too few plain windows tested: {plain}");
        assert!(
            unpaired_windows > 1000,
            "too few unpaired windows: {unpaired_windows}"
        );
        assert!(with_lf > 500, "too few plain windows with an LF: {with_lf}");
        assert!(
            ends_in_line_end > 10,
            "too few ending in LF: {ends_in_line_end}"
        );
        assert_eq!(plain_pairs_lf(&[b'x'; BLOCK + 1]), Some(false));
        let input = [b'x'; BLOCK + 3];
        assert!(window_at(&input, 0).is_none());
        assert!(window_at(&input, 3).is_some());
        assert!(window_at(&input, 4).is_none());
    }

    /// A window `Periods` calls clear holds no period; without periods
    /// every window is clear, with periods about 4 KiB apart most are.
    /// Checked against a byte-by-byte search, for windows tried in order as
    /// the DATA loops try them, with jumps now and then.
    #[test]
    fn periods_match_a_byte_by_byte_search() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut buf = [0u8; 20_000];
        let mut sparse = (0, 0);
        for round in 0..300 {
            // One period in about 4 KiB, in about 64 bytes, or none at all.
            let every = [4096, 64, u64::MAX][round % 3];
            for b in buf.iter_mut() {
                *b = if next().is_multiple_of(every) {
                    b'.'
                } else {
                    b'a'
                };
            }
            let input = &buf[..1 + (next() as usize) % buf.len()];
            let mut periods = Periods::new();
            let (mut pos, mut windows, mut cleared) = (1, 0, 0);
            while pos + BLOCK <= input.len() {
                let clear = periods.clear(input, pos);
                let has_period = input[pos..pos + BLOCK].contains(&b'.');
                assert!(!(clear && has_period), "round {round} at {pos}");
                windows += 1;
                cleared += usize::from(clear);
                pos += if !next().is_multiple_of(8) {
                    BLOCK
                } else {
                    1 + (next() as usize) % 80
                };
            }
            if every == u64::MAX {
                assert_eq!(
                    cleared, windows,
                    "round {round}: no period, every window clear"
                );
            }
            if every == 4096 {
                sparse.0 += cleared;
                sparse.1 += windows;
            }
        }
        let (cleared, windows) = sparse;
        assert!(
            cleared * 10 > windows * 8,
            "periods 4 KiB apart: only {cleared} of {windows} windows clear"
        );
    }

    #[test]
    fn resume_at_steps_back_to_an_open_line_end() {
        assert_eq!(resume_at(b"ab\r\n", 4), 2);
        assert_eq!(resume_at(b"ab\r\nc", 4), 2);
        assert_eq!(resume_at(b"ab\r", 3), 2);
        assert_eq!(resume_at(b"ab\rx", 3), 2);
        assert_eq!(resume_at(b"abc", 3), 3);
        assert_eq!(resume_at(b"abc", 2), 2);
        assert_eq!(resume_at(b"\n", 1), 0);
        assert_eq!(resume_at(b"", 0), 0);
    }
}
