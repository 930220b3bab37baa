//! The Normalize receiver (`BareLfPolicy::Normalize`; rule D1, catalogue
//! row SMG-14), checked against its rule: the content handed out is
//! canonical text and no content line is lost.
//!
//! - a bare LF ends a line, stored as CRLF;
//! - a bare CR becomes a space (it never ends a line);
//! - the end of the data is only the raw `\r\n.\r\n`; a `.` line next to
//!   a bare LF is content (`.\r\n`), and so is what follows it;
//! - a period that starts a line with more after it is removed, whatever
//!   ended the line before.
//!
//! The model below is written from that rule, not from the code; it is
//! checked on every input of up to 7 octets from `a`, `.`, CR and LF (every
//! position of a bare CR or LF, at the end-of-data mark too) at every split
//! point, and on random inputs.

use proptest::prelude::*;

use super::dot::{Mark, N, R, SN, any_body, canonicalise, cat, cut, rx, rx_case, splits};

#[test]
fn smg14_normalize_bare_lf_is_a_line_end_for_storage() {
    let input = b"l1\nl2\r\n.\r\n";
    rx_case(N, input, b"l1\r\nl2\r\n", &[Mark::End(8)], b"");
    rx_case(R, input, b"l1", &[Mark::Bare(2), Mark::End(2)], b"");
    // A `.` line next to a bare LF, on either side: content, never the
    // end, never lost.
    for input in [
        &b"a\n.\nb\r\n.\r\n"[..],
        b"a\r\n.\nb\r\n.\r\n",
        b"a\n.\r\nb\r\n.\r\n",
    ] {
        rx_case(N, input, b"a\r\n.\r\nb\r\n", &[Mark::End(9)], b"");
    }
    // On the first line (the DATA line's CRLF before it), three in a row:
    // the third has a bare LF before it, so it is no end either; the
    // fourth, between two CRLFs, is.
    rx_case(N, b".\n.\n.\r\n", b".\r\n.\r\n.\r\n", &[], b"");
    rx_case(
        N,
        b".\n.\n.\r\n.\r\n",
        b".\r\n.\r\n.\r\n",
        &[Mark::End(9)],
        b"",
    );
    // Unstuffing after a bare LF; an empty bare-LF line.
    rx_case(N, b"a\n..b\n\n.\r\n", b"a\r\n.b\r\n\r\n.\r\n", &[], b"");
    rx_case(
        N,
        b"a\n..b\n\r\n.\r\n",
        b"a\r\n.b\r\n\r\n",
        &[Mark::End(9)],
        b"",
    );
    // A bare CR becomes a space under Normalize, a CR before CRLF too;
    // a leading period is removed before it, as before any other octet.
    rx_case(N, b"a\rb\r\r\n.\r\n", b"a b \r\n", &[Mark::End(6)], b"");
    rx_case(N, b".\r\r\n.\r\n", b" \r\n", &[Mark::End(3)], b"");
    rx_case(N, b"\r\r\r\n.\r\n", b"  \r\n", &[Mark::End(4)], b"");
}

/// Reference model of the Normalize receiver for a stream that contains an
/// end mark, written from the rule (README, "Choices"): the content is
/// everything before the first raw CRLF.CRLF (the DATA line's CRLF
/// counting); its lines end at each LF (a CR before it is part of the line
/// end); a period that starts a line with more after it is removed (RFC
/// 5321 §4.5.2), so a `.` line, which can only be next to a bare LF here,
/// stays; every other CR becomes a space; each line is stored with CRLF.
fn normalize_model(input: &[u8]) -> (Vec<u8>, usize) {
    let framed = cat(&[b"\r\n", input]);
    let k = framed
        .windows(5)
        .position(|w| w == b"\r\n.\r\n")
        .expect("has an end mark");
    let raw = &input[..k]; // content bytes, ending in the end mark's CRLF
    let mut content = Vec::new();
    let mut lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').collect();
    lines.pop(); // after the last LF: empty
    for l in lines {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let l = match l.strip_prefix(b".") {
            Some(rest) if !rest.is_empty() => rest,
            _ => l,
        };
        content.extend(l.iter().map(|&b| if b == b'\r' { b' ' } else { b }));
        content.extend_from_slice(b"\r\n");
    }
    (content, k + 3)
}

/// Whether `raw` holds a bare CR or a bare LF.
fn has_bare_line_ending(raw: &[u8]) -> bool {
    canonicalise(raw, SN) != raw
}

#[test]
fn every_bare_cr_and_lf_position_up_to_7_octets() {
    const ALPHABET: [u8; 4] = [b'a', b'.', b'\r', b'\n'];
    let mut inputs = 0;
    for len in 0..=7u32 {
        for n in 0..4usize.pow(len) {
            let mut code = n;
            let mut input = Vec::new();
            for _ in 0..len {
                input.push(ALPHABET[code % 4]);
                code /= 4;
            }
            // Then a real end mark (unless the input already holds one)
            // and the next command, which is never taken.
            let full = cat(&[&input, b"\r\n.\r\nQUIT\r\n"]);
            let (content, used) = normalize_model(&full);
            let shown = full.escape_ascii().to_string();
            for chunks in splits(&full) {
                let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
                let got = rx(N, &chunks);
                assert_eq!(
                    got.content.escape_ascii().to_string(),
                    content.escape_ascii().to_string(),
                    "{shown} split {lens:?}"
                );
                assert_eq!(got.marks, [Mark::End(content.len())], "{shown} {lens:?}");
                assert_eq!(got.leftover, &full[used..], "{shown} {lens:?}");
            }
            // Reject, for contrast: the same end, and one bare line ending
            // reported exactly when the raw content holds one.
            let bare = has_bare_line_ending(&full[..used - 3]);
            let whole = rx(R, &[&full]);
            let ends = whole
                .marks
                .iter()
                .filter(|m| matches!(m, Mark::End(_)))
                .count();
            let bares = whole
                .marks
                .iter()
                .filter(|m| matches!(m, Mark::Bare(_)))
                .count();
            assert_eq!((ends, bares), (1, usize::from(bare)), "{shown}");
            assert_eq!(whole.leftover, &full[used..], "{shown}");
            for chunks in splits(&full) {
                assert_eq!(rx(R, &chunks), whole, "{shown}");
            }
            inputs += 1;
        }
    }
    assert_eq!(inputs, (0..=7).map(|l| 4usize.pow(l)).sum::<usize>());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The Normalize receiver matches its line model.
    #[test]
    fn normalize_matches_the_line_model(input in any_body(), cuts in prop::collection::vec(0usize..4000, 0..6)) {
        let input = cat(&[&input, b"\r\n.\r\nQUIT"]);
        let (content, used) = normalize_model(&input);
        let got = rx(N, &cut(&input, &cuts));
        prop_assert_eq!(got.content.escape_ascii().to_string(), content.escape_ascii().to_string());
        prop_assert_eq!(got.leftover.len(), input.len() - used);
    }

}
