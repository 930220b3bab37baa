//! DATA transparency, both sides: RFC 5321 §2.3.8, §4.1.1.4, §4.5.2,
//! §4.5.3.1.6; rules D1, D2, D4; catalogue rows SMG-01..05, 08..10 (server
//! unstuffer) and DOT-01..05, 07 (client stuffer), plus the SEC Consult and
//! smtpsmug end-of-data variants. The Normalize receiver's own rule
//! (SMG-14) is in `normalize.rs`, with this file's harness.
//!
//! Every case is replayed whole, byte by byte and at every 2-way split point
//! and must give identical content, marks and leftover bytes.

use embedded_smtp::wire::line::BareLfPolicy;
use embedded_smtp::wire::stuff::{BodyError, DotStuffer, Finish, StuffPolicy};
use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};
use proptest::prelude::*;

pub(super) const R: BareLfPolicy = BareLfPolicy::Reject;
pub(super) const N: BareLfPolicy = BareLfPolicy::Normalize;

const BODY: &[u8] = b"Subject: t\r\n\r\nhi";
const SMUG: &[u8] = b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\nFrom: ceo@bank.example\r\n\r\nforged\r\n.\r\n";
/// SMUG as stored content (its own end mark removed).
const SMUG_CONTENT: &[u8] = b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\nFrom: ceo@bank.example\r\n\r\nforged\r\n";

pub(super) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------- harness

/// A mark in the event stream, placed by the content length at that point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mark {
    Bare(usize),
    End(usize),
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Rx {
    pub(super) content: Vec<u8>,
    pub(super) marks: Vec<Mark>,
    /// Bytes after the end mark, never consumed.
    pub(super) leftover: Vec<u8>,
}

/// Drives the unstuffer over `chunks` the way a server does.
pub(super) fn rx(policy: BareLfPolicy, chunks: &[&[u8]]) -> Rx {
    let mut u = DotUnstuffer::new(policy);
    let mut out = Rx {
        content: Vec::new(),
        marks: Vec::new(),
        leftover: Vec::new(),
    };
    for chunk in chunks {
        let mut off = 0;
        while off < chunk.len() && !u.is_done() {
            let (n, ev) = u.feed(&chunk[off..]);
            assert!(n <= chunk.len() - off);
            assert!(n > 0 || ev.is_some(), "no progress");
            off += n;
            match ev {
                Some(DataEvent::Data(d)) => {
                    assert!(!d.is_empty(), "empty Data event");
                    out.content.extend_from_slice(d);
                }
                Some(DataEvent::BareLineEnding) => out.marks.push(Mark::Bare(out.content.len())),
                Some(DataEvent::End) => {
                    assert!(u.is_done());
                    out.marks.push(Mark::End(out.content.len()));
                }
                None => {}
            }
        }
        out.leftover.extend_from_slice(&chunk[off..]);
    }
    if u.is_done() {
        assert_eq!(u.feed(b"x"), (0, None), "nothing after the end");
    }
    out
}

/// The input whole, byte by byte, and at every 2-way split point.
pub(super) fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![input], input.chunks(1).collect()];
    for i in 1..input.len() {
        all.push(vec![&input[..i], &input[i..]]);
    }
    all
}

/// One unstuffer case under every split.
pub(super) fn rx_case(
    policy: BareLfPolicy,
    input: &[u8],
    content: &[u8],
    marks: &[Mark],
    leftover: &[u8],
) {
    for chunks in splits(input) {
        let got = rx(policy, &chunks);
        let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        let shown = input.escape_ascii().to_string();
        assert_eq!(
            got.content.escape_ascii().to_string(),
            content.escape_ascii().to_string(),
            "{policy:?} {shown} split {lens:?}"
        );
        assert_eq!(got.marks, marks, "{policy:?} {shown} split {lens:?}");
        assert_eq!(got.leftover, leftover, "{policy:?} {shown} split {lens:?}");
    }
}

/// Runs the stuffer over input `chunks` with an output buffer of `room`.
fn tx(
    policy: StuffPolicy,
    max: Option<usize>,
    chunks: &[&[u8]],
    room: usize,
) -> Result<Vec<u8>, BodyError> {
    let mut s = DotStuffer::new(policy).with_max_line(max);
    let mut out = vec![0u8; room];
    let mut wire = Vec::new();
    for chunk in chunks {
        let mut off = 0;
        while off < chunk.len() {
            let p = s.stuff(&chunk[off..], &mut out)?;
            assert!(p.consumed > 0 || p.written > 0, "no progress");
            assert!(p.written <= room);
            wire.extend_from_slice(&out[..p.written]);
            off += p.consumed;
        }
    }
    for _ in 0..64 {
        let Finish { written, done } = s.finish(&mut out)?;
        wire.extend_from_slice(&out[..written]);
        if done {
            assert!(s.is_done());
            assert_eq!(
                s.finish(&mut out),
                Ok(Finish {
                    written: 0,
                    done: true
                })
            );
            return Ok(wire);
        }
        assert!(written > 0, "finish made no progress");
    }
    panic!("finish never completed");
}

/// One stuffer case (DOT-05): every split, output rooms 1, 2, 3, 7 and 64.
fn tx_case(policy: StuffPolicy, body: &[u8], expected: Result<&[u8], BodyError>) {
    for chunks in splits(body) {
        for room in [1, 2, 3, 7, 64] {
            let got = tx(policy, Some(998), &chunks, room);
            let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            assert_eq!(
                got.as_deref().map_err(|e| *e),
                expected,
                "{policy:?} {:?} split {lens:?} room {room}",
                body.escape_ascii().to_string()
            );
        }
    }
}

// ---------------------------------------------------- server: SMG rows

#[test]
fn smg01_one_end_of_data_and_the_final_crlf_is_content() {
    let input = cat(&[BODY, b"\r\n.\r\n", b"QUIT\r\n"]);
    let content = cat(&[BODY, b"\r\n"]);
    for p in [R, N] {
        rx_case(
            p,
            &input,
            &content,
            &[Mark::End(content.len())],
            b"QUIT\r\n",
        );
    }
}

#[test]
fn smg02_03_04_bare_lf_dot_is_not_the_end() {
    for (mid, normalized) in [
        (&b"\n.\n"[..], &b"\r\n.\r\n"[..]), // SMG-02
        (b"\n.\r\n", b"\r\n.\r\n"),         // SMG-03 (Postfix, Sendmail, Exim)
        (b"\r\n.\n", b"\r\n.\r\n"),         // SMG-04
    ] {
        let input = cat(&[BODY, mid, SMUG, b"QUIT\r\n"]);
        // Strict: the first bare LF is reported, the rest up to the real end
        // mark is swallowed; the smuggled commands never surface.
        let before: &[u8] = if mid.starts_with(b"\r\n") {
            b"\r\n"
        } else {
            b""
        };
        let kept = cat(&[BODY, before]);
        rx_case(
            R,
            &input,
            &kept,
            &[Mark::Bare(kept.len()), Mark::End(kept.len())],
            b"QUIT\r\n",
        );
        // Normalize: no end there; the `.` line and the smuggled
        // transaction are content of this one message.
        let content = cat(&[BODY, normalized, SMUG_CONTENT]);
        rx_case(
            N,
            &input,
            &content,
            &[Mark::End(content.len())],
            b"QUIT\r\n",
        );
    }
}

#[test]
fn smg05_bare_cr_is_never_a_line_end() {
    // (raw variant, content under Normalize where a bare CR is a space)
    for (mid, normalized) in [
        (&b"\r.\r"[..], &b" . "[..]),
        (b"\r.\r\n", b" .\r\n"),
        (b"\n.\r", b"\r\n "), // the period before "\rM" is removed
        (b"\r.\n", b" .\r\n"),
    ] {
        let input = cat(&[BODY, mid, SMUG]);
        rx_case(
            R,
            &input,
            BODY,
            &[Mark::Bare(BODY.len()), Mark::End(BODY.len())],
            b"",
        );
        let content = cat(&[BODY, normalized, SMUG_CONTENT]);
        rx_case(N, &input, &content, &[Mark::End(content.len())], b"");
    }
    // "\r\n.\rX": not the end; nothing more arrives.
    let input = cat(&[BODY, b"\r\n.\rX"]);
    let kept = cat(&[BODY, b"\r\n"]);
    rx_case(R, &input, &kept, &[Mark::Bare(kept.len())], b"");
    rx_case(N, &input, &cat(&[BODY, b"\r\n X"]), &[], b"");
}

#[test]
fn smg08_end_mark_split_across_reads() {
    let content = cat(&[BODY, b"\r\n"]);
    for (a, b) in [
        (&b"\r"[..], &b"\n.\r\n"[..]),
        (b"\r\n.", b"\r\n"),
        (b"\r\n.\r", b"\n"),
    ] {
        let first = cat(&[BODY, a]);
        for p in [R, N] {
            let got = rx(p, &[&first, b]);
            assert_eq!(got.content, content);
            assert_eq!(got.marks, [Mark::End(content.len())]);
        }
    }
    // Negatives: never an end.
    for (a, b) in [
        (&b"\n"[..], &b".\r\n"[..]),
        (b"\r", b".\r\n"),
        (b"\r\n.\r", b"X\r\n"),
    ] {
        let first = cat(&[BODY, a]);
        for p in [R, N] {
            let got = rx(p, &[&first, b]);
            assert!(
                !got.marks.iter().any(|m| matches!(m, Mark::End(_))),
                "{p:?} {a:?}|{b:?}"
            );
        }
        assert!(
            rx(R, &[&first, b])
                .marks
                .iter()
                .any(|m| matches!(m, Mark::Bare(_)))
        );
    }
    // The same negatives in full, Normalize.
    rx_case(
        N,
        &cat(&[BODY, b"\n.\r\n"]),
        &cat(&[BODY, b"\r\n.\r\n"]),
        &[],
        b"",
    );
    rx_case(
        N,
        &cat(&[BODY, b"\r.\r\n"]),
        &cat(&[BODY, b" .\r\n"]),
        &[],
        b"",
    );
    rx_case(
        N,
        &cat(&[BODY, b"\r\n.\rX\r\n"]),
        &cat(&[BODY, b"\r\n X\r\n"]),
        &[],
        b"",
    );
}

#[test]
fn smg09_the_data_line_crlf_is_the_first_crlf() {
    for p in [R, N] {
        rx_case(p, b".\r\n", b"", &[Mark::End(0)], b"");
        rx_case(p, b".\r\nQUIT\r\n", b"", &[Mark::End(0)], b"QUIT\r\n");
        // A line start dot on the very first line is unstuffed.
        rx_case(p, b"..x\r\n.\r\n", b".x\r\n", &[Mark::End(4)], b"");
    }
}

#[test]
fn smg10_dot_unstuffing() {
    let input = b"..\r\n..x\r\n.x\r\n. \r\n.\r\n";
    let content = b".\r\n.x\r\nx\r\n \r\n";
    for p in [R, N] {
        rx_case(p, input, content, &[Mark::End(content.len())], b"");
        // Only at a line start.
        rx_case(
            p,
            b"a.\r\na..b\r\n.\r\n",
            b"a.\r\na..b\r\n",
            &[Mark::End(10)],
            b"",
        );
        // After an empty line.
        rx_case(p, b"\r\n..\r\n.\r\n", b"\r\n.\r\n", &[Mark::End(5)], b"");
    }
}

#[test]
fn smuggling_corpus_never_ends_the_data() {
    // SEC Consult inbound/outbound lists and smtpsmug's null variants.
    let variants: [&[u8]; 11] = [
        b"\n.\n",
        b"\n.\r",
        b"\r.\n",
        b"\r.\r",
        b"\n.\r\n",
        b"\r.\r\n",
        b"\r\n\x00.\r\n",
        b"\r\n.\r\r\n",
        b"\r\r\n.\r\r\n",
        b"\r\n.\x00\r\n",
        b"\x00\r\n.\n",
    ];
    for v in variants {
        // Only the two NUL variants are free of bare CR / bare LF.
        let bare = ![&b"\r\n\x00.\r\n"[..], b"\r\n.\x00\r\n"].contains(&v);
        let smug = cat(&[BODY, v, b"MAIL FROM:<x@y>\r\n"]);
        for p in [R, N] {
            for chunks in splits(&smug) {
                let got = rx(p, &chunks);
                assert!(
                    !got.marks.iter().any(|m| matches!(m, Mark::End(_))),
                    "{p:?} {v:?}"
                );
                assert!(got.leftover.is_empty());
            }
            // With a real end mark after it: exactly one end, nothing left over
            // but the next command; under Reject a bare line end is reported
            // exactly when the variant has one.
            let full = cat(&[&smug, b".\r\nQUIT\r\n"]);
            let whole = rx(p, &[&full]);
            assert_eq!(
                whole
                    .marks
                    .iter()
                    .filter(|m| matches!(m, Mark::End(_)))
                    .count(),
                1
            );
            assert_eq!(whole.leftover, b"QUIT\r\n");
            if p == R {
                assert_eq!(
                    whole.marks.iter().any(|m| matches!(m, Mark::Bare(_))),
                    bare,
                    "{v:?}"
                );
            }
            for chunks in splits(&full) {
                assert_eq!(rx(p, &chunks), whole);
            }
        }
    }
}

#[test]
fn unstuffer_state() {
    let mut u = DotUnstuffer::new(R);
    assert_eq!(u.policy(), R);
    assert_eq!(u.feed(b""), (0, None));
    assert!(!u.is_rejected());
    assert_eq!(u.feed(b"a\n"), (1, Some(DataEvent::Data(b"a"))));
    assert_eq!(u.feed(b"\n"), (1, Some(DataEvent::BareLineEnding)));
    assert!(u.is_rejected());
    assert_eq!(u.feed(b"xx\r\n.\r\n"), (7, Some(DataEvent::End)));
    assert!(u.is_done());
    // Data slices borrow the input: no copy.
    let input = b"hello\r\nworld\r\n";
    let mut u = DotUnstuffer::new(N);
    let (n, ev) = u.feed(input);
    assert_eq!(n, input.len());
    match ev {
        Some(DataEvent::Data(d)) => assert_eq!(d.as_ptr(), input.as_ptr()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_line_length_limit() {
    // Constant state: a 100 000-octet line and a dot after it.
    let long = cat(&[&[b'x'; 100_000], b"\r\n..\r\n.\r\n"]);
    for p in [R, N] {
        let got = rx(p, &[&long]);
        assert_eq!(got.content.len(), 100_000 + 5);
        assert_eq!(got.marks, [Mark::End(100_005)]);
        let got = rx(p, &long.chunks(4096).collect::<Vec<_>>());
        assert_eq!(got.marks, [Mark::End(100_005)]);
    }
}

// ---------------------------------------------------- client: DOT rows

const SR: StuffPolicy = StuffPolicy::Reject;
pub(super) const SN: StuffPolicy = StuffPolicy::Normalize;
const SS: StuffPolicy = StuffPolicy::Space;

#[test]
fn dot01_first_line_is_stuffed() {
    for p in [SR, SN, SS] {
        tx_case(p, b".hidden\r\nx", Ok(b"..hidden\r\nx\r\n.\r\n"));
    }
}

#[test]
fn dot02_injected_end_marks_stay_content() {
    for p in [SR, SN, SS] {
        tx_case(
            p,
            b"a\r\n.\r\nMAIL FROM:<x@y>\r\n",
            Ok(b"a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"),
        );
        // CVE-2021-38189: the period after consecutive CRLFs.
        tx_case(
            p,
            b"a\r\n\r\n.\r\nQUIT\r\n",
            Ok(b"a\r\n\r\n..\r\nQUIT\r\n.\r\n"),
        );
        tx_case(p, b"..\r\n...\r\n", Ok(b"...\r\n....\r\n.\r\n"));
        tx_case(p, b"a.\r\n", Ok(b"a.\r\n.\r\n"));
    }
}

#[test]
fn dot03_final_crlf_only_when_missing() {
    for p in [SR, SN, SS] {
        tx_case(p, b"abc", Ok(b"abc\r\n.\r\n"));
        tx_case(p, b"abc\r\n", Ok(b"abc\r\n.\r\n"));
        tx_case(p, b"", Ok(b".\r\n"));
        tx_case(p, b"\r\n", Ok(b"\r\n.\r\n"));
        tx_case(p, b".", Ok(b"..\r\n.\r\n"));
    }
}

#[test]
fn dot04_bare_line_ends_per_policy() {
    tx_case(SR, b"a\n.\nb", Err(BodyError::BareLf));
    tx_case(SR, b"a\n.\r\nb", Err(BodyError::BareLf));
    tx_case(SR, b"a\r.\rb", Err(BodyError::BareCr));
    tx_case(SR, b"abc\r", Err(BodyError::BareCr));
    for body in [&b"a\n.\nb"[..], b"a\n.\r\nb", b"a\r.\rb"] {
        tx_case(SN, body, Ok(b"a\r\n..\r\nb\r\n.\r\n"));
    }
    tx_case(SN, b"abc\n", Ok(b"abc\r\n.\r\n"));
    tx_case(SN, b"abc\r", Ok(b"abc\r\n.\r\n"));
    tx_case(SN, b"\r\r\n\n", Ok(b"\r\n\r\n\r\n.\r\n"));
    // Space: a stray CR or LF becomes SP, so no new line starts.
    tx_case(SS, b"a\n.\nb", Ok(b"a . b\r\n.\r\n"));
    tx_case(SS, b"a\n.\r\nb", Ok(b"a .\r\nb\r\n.\r\n"));
    tx_case(SS, b"a\r.\rb", Ok(b"a . b\r\n.\r\n"));
    tx_case(SS, b"abc\r", Ok(b"abc \r\n.\r\n"));
    tx_case(SS, b"\n.", Ok(b" .\r\n.\r\n"));
}

#[test]
fn dot07_long_lines() {
    let long = vec![b'x'; 1500];
    assert_eq!(tx(SR, Some(998), &[&long], 64), Err(BodyError::LineTooLong));
    assert_eq!(
        tx(SR, Some(998), &long.chunks(1).collect::<Vec<_>>(), 7),
        Err(BodyError::LineTooLong)
    );
    assert_eq!(tx(SR, None, &[&long], 64).map(|w| w.len()), Ok(1505));
    // 998 octets of text is the limit (1000 with CRLF); the added period is
    // not counted (RFC 5321 §4.5.3.1.6).
    let at = [&b"."[..], &[b'x'; 997]].concat();
    assert_eq!(
        tx(SR, Some(998), &[&at, b"\r\n"], 64).map(|w| w.len()),
        Ok(999 + 2 + 3)
    );
    let over = vec![b'x'; 999];
    assert_eq!(
        tx(SR, Some(998), &[&over], 1000),
        Err(BodyError::LineTooLong)
    );
    // The count restarts on every line; Space replacements count.
    let two = [&[b'x'; 998][..], b"\r\n", &[b'y'; 998]].concat();
    assert!(tx(SR, Some(998), &[&two], 64).is_ok());
    assert_eq!(
        tx(SS, Some(4), &[b"ab\ncd"], 64),
        Err(BodyError::LineTooLong)
    );
    assert_eq!(
        tx(SN, Some(4), &[b"abcd\nabcd"], 64).as_deref(),
        Ok(&b"abcd\r\nabcd\r\n.\r\n"[..])
    );
    // The default is 998.
    let default = DotStuffer::new(SR);
    assert_eq!(default, DotStuffer::new(SR).with_max_line(Some(998)));
    assert_eq!(DotStuffer::default(), default);
    assert_eq!(default.policy(), SR);
}

#[test]
fn line_limit_is_exact_at_every_offset() {
    // The fast paths look at 64-byte windows; the limit must hold to the
    // octet wherever the line starts relative to them.
    for pre in 0..140 {
        for (len, ok) in [(998, true), (999, false)] {
            let body = [&vec![b'p'; pre][..], b"\r\n", &vec![b'x'; len], b"\r\nend"].concat();
            for room in [1, 64, 5000] {
                let got = tx(SR, Some(998), &[&body], room);
                assert_eq!(got.is_ok(), ok, "pre {pre} len {len} room {room}");
            }
            let got = tx(SR, Some(998), &body.chunks(100).collect::<Vec<_>>(), 300);
            assert_eq!(got.is_ok(), ok, "pre {pre} len {len} chunked");
        }
    }
}

#[test]
fn small_line_limits_are_exact_inside_windows() {
    // A line over a limit below, at and above the 64-byte window size, in
    // the middle of a run of plain text the windows would take whole.
    for max in [1, 10, 63, 64, 65, 100] {
        for pre in [0, 1, 2, 30, 70] {
            for (len, ok) in [(max, true), (max + 1, false)] {
                let short = [&b"x\r\n"[..]; 40].concat();
                let body = [
                    &short[..],
                    &vec![b'p'; pre.min(max)],
                    b"\r\n",
                    &vec![b'y'; len],
                    b"\r\n",
                    &short,
                ]
                .concat();
                for room in [1, 64, 5000] {
                    let got = tx(SR, Some(max), &[&body], room);
                    assert_eq!(got.is_ok(), ok, "max {max} pre {pre} len {len} room {room}");
                }
            }
        }
    }
}

#[test]
fn errors_abort_the_body() {
    let mut s = DotStuffer::new(SR);
    let mut out = [0u8; 16];
    assert_eq!(s.stuff(b"a\nb", &mut out), Err(BodyError::BareLf));
    assert_eq!(s.stuff(b"fine", &mut out), Err(BodyError::BareLf));
    assert_eq!(s.finish(&mut out), Err(BodyError::BareLf));
    // A trailing CR is only known to be bare at finish.
    let mut s = DotStuffer::new(SR);
    assert_eq!(s.stuff(b"a\r", &mut out).map(|p| p.consumed), Ok(2));
    assert_eq!(s.finish(&mut out), Err(BodyError::BareCr));
    // Display / Error.
    let e: &dyn core::error::Error = &BodyError::LineTooLong;
    assert_eq!(e.to_string(), "message body line too long");
    assert_eq!(BodyError::BareCr.to_string(), "bare CR in message body");
    assert_eq!(BodyError::BareLf.to_string(), "bare LF in message body");
}

#[test]
fn nothing_is_taken_after_finish() {
    let mut s = DotStuffer::new(SR);
    let mut out = [0u8; 16];
    let f = s.finish(&mut out).unwrap();
    assert_eq!(&out[..f.written], b".\r\n");
    let p = s.stuff(b"late", &mut out).unwrap();
    assert_eq!((p.consumed, p.written), (0, 0));
    // An empty output buffer takes nothing either.
    let mut s = DotStuffer::new(SR);
    let p = s.stuff(b"abc", &mut []).unwrap();
    assert_eq!((p.consumed, p.written), (0, 0));
    assert_eq!(
        s.finish(&mut []),
        Ok(Finish {
            written: 0,
            done: false
        })
    );
}

// ------------------------------------------------------------ properties

/// A canonical body: CRLF line ends only, lines of at most 998 octets.
fn canonical_body() -> impl Strategy<Value = Vec<u8>> {
    let text = prop::collection::vec(
        prop::sample::select(vec![b'a', b'.', b' ', b'\t', 0u8, 0x80]),
        0..12,
    );
    (prop::collection::vec(text, 0..8), any::<bool>()).prop_map(|(lines, trailing)| {
        let mut body = lines.join(&b"\r\n"[..]);
        if trailing && !lines.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
        body
    })
}

pub(super) fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(
            prop::sample::select(vec![b'a', b'.', b'\r', b'\n', 0u8]),
            0..40
        ),
        long_body(),
    ]
}

/// Long bodies, mostly text with well-formed CRLF lines and rare specials:
/// they reach the block-at-a-time fast paths (64-byte windows) and their
/// fallbacks at every offset.
fn long_body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => prop::collection::vec(prop::sample::select(vec![b'a', b'b', b' ', 0x8d, 0x8a]), 1..90),
        4 => Just(b"\r\n".to_vec()),
        1 => Just(b"\r\n.".to_vec()),
        1 => Just(b"\r\n..".to_vec()),
        1 => prop::sample::select(vec![&b"\r"[..], b"\n", b".", b"\n.", b"\r\n.\r\n", b"\r\r\n"]).prop_map(|s| s.to_vec()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Like [`canonical_body`], with long lines that cross the 64-byte windows.
fn long_canonical_body() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        3 => prop::collection::vec(prop::sample::select(vec![b'a', b'.', b' ', 0x8d, 0x8a, 0xae]), 0..200),
        1 => prop::collection::vec(Just(b'.'), 0..3),
    ];
    (prop::collection::vec(line, 0..12), any::<bool>()).prop_map(|(lines, trailing)| {
        let mut body = lines.join(&b"\r\n"[..]);
        if trailing && !lines.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
        body
    })
}

/// Cuts `input` at the given (unordered, out-of-range) points.
pub(super) fn cut<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for p in points {
        chunks.push(&input[from..p]);
        from = p;
    }
    chunks.push(&input[from..]);
    chunks
}

/// The body with a CRLF added when it is non-empty and lacks one.
fn with_final_crlf(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    if !b.is_empty() && !b.ends_with(b"\r\n") {
        b.extend_from_slice(b"\r\n");
    }
    b
}

/// The stuffed wire has no bare CR or LF and no end mark before its end.
fn assert_clean_wire(wire: &[u8]) {
    for (i, &b) in wire.iter().enumerate() {
        if b == b'\r' {
            assert_eq!(wire.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
        if b == b'\n' {
            assert!(i > 0 && wire[i - 1] == b'\r', "bare LF at {i}");
        }
    }
    let framed = cat(&[b"\r\n", wire]);
    let first = framed.windows(5).position(|w| w == b"\r\n.\r\n");
    assert_eq!(
        first,
        Some(framed.len() - 5),
        "early end mark in {:?}",
        wire.escape_ascii().to_string()
    );
}

/// Reference model of a Normalize/Space canonicalisation.
pub(super) fn canonicalise(body: &[u8], policy: StuffPolicy) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            (b'\r' | b'\n', _) if policy == SN => out.extend_from_slice(b"\r\n"),
            (b'\r' | b'\n', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// unstuff(stuff(x)) == x + CRLF-if-needed, under any chunking of input
    /// and output on the way out and any split on the way in.
    #[test]
    fn stuff_then_unstuff_is_identity(
        body in prop_oneof![canonical_body(), long_canonical_body()],
        in_cuts in prop::collection::vec(0usize..4000, 0..6),
        room in 1usize..=64,
        rx_cuts in prop::collection::vec(0usize..4000, 0..6),
    ) {
        let wire = tx(SR, Some(998), &cut(&body, &in_cuts), room).unwrap();
        assert_clean_wire(&wire);
        // Canonical input grows by at most 4/3 (".\r\n" -> "..\r\n"), once
        // the final CRLF is added, plus ".\r\n".
        prop_assert!(3 * (wire.len() - 3) <= 4 * (body.len() + 2), "expansion over 4/3");
        for p in [R, N] {
            let got = rx(p, &cut(&wire, &rx_cuts));
            let expected = with_final_crlf(&body);
            prop_assert_eq!(&got.content, &expected);
            prop_assert_eq!(&got.marks, &vec![Mark::End(expected.len())]);
            prop_assert!(got.leftover.is_empty());
        }
    }

    /// With output room for whole 64-byte windows (and for less), a
    /// canonical body goes out stuffed exactly as line-by-line stuffing
    /// writes it, and a line limit anywhere from 1 to 250 octets is
    /// enforced to the octet.
    #[test]
    fn stuffing_matches_line_by_line_at_any_limit(
        body in long_canonical_body(),
        max in 1usize..250,
        in_cuts in prop::collection::vec(0usize..4000, 0..4),
        room in prop_oneof![1usize..=8, 60usize..300, Just(5000usize)],
    ) {
        let body = with_final_crlf(&body);
        let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
        let too_long = lines.iter().any(|l| l.len().saturating_sub(1) > max);
        let mut expected = Vec::new();
        for line in &lines[..lines.len() - 1] {
            if line.first() == Some(&b'.') {
                expected.push(b'.');
            }
            expected.extend_from_slice(line);
            expected.push(b'\n');
        }
        expected.extend_from_slice(b".\r\n");
        let got = tx(SR, Some(max), &cut(&body, &in_cuts), room);
        if too_long {
            prop_assert_eq!(got, Err(BodyError::LineTooLong));
        } else {
            prop_assert_eq!(got, Ok(expected));
        }
    }

    /// Normalize and Space turn any body into a clean wire whose content is
    /// the canonical body; Reject accepts exactly the bodies without bare ends.
    #[test]
    fn any_body_is_made_canonical(body in any_body(), in_cuts in prop::collection::vec(0usize..4000, 0..4), room in prop_oneof![1usize..=16, 60usize..300]) {
        for policy in [SN, SS] {
            let wire = tx(policy, None, &cut(&body, &in_cuts), room).unwrap();
            assert_clean_wire(&wire);
            prop_assert!(wire.len() <= 2 * body.len() + 5, "expansion over 2");
            let got = rx(R, &[&wire]);
            let expected = with_final_crlf(&canonicalise(&body, policy));
            prop_assert_eq!(&got.content, &expected);
            prop_assert_eq!(&got.marks, &vec![Mark::End(expected.len())]);
        }
        let canonical = canonicalise(&body, SN) == body;
        prop_assert_eq!(tx(SR, None, &cut(&body, &in_cuts), room).is_ok(), canonical);
    }

    /// Rule D2 for the receiver: the end is exactly the first raw CRLF.CRLF
    /// (the DATA line's CRLF counting), whatever the policy and chunking.
    #[test]
    fn end_is_the_first_raw_crlf_dot_crlf(input in any_body(), cuts in prop::collection::vec(0usize..4000, 0..6)) {
        let framed = cat(&[b"\r\n", &input]);
        let first = framed.windows(5).position(|w| w == b"\r\n.\r\n");
        for p in [R, N] {
            let whole = rx(p, &[&input]);
            prop_assert_eq!(&rx(p, &cut(&input, &cuts)), &whole);
            prop_assert_eq!(&rx(p, &input.chunks(1).collect::<Vec<_>>()), &whole);
            let ends = whole.marks.iter().filter(|m| matches!(m, Mark::End(_))).count();
            match first {
                Some(k) => {
                    prop_assert_eq!(ends, 1);
                    prop_assert_eq!(&whole.leftover[..], &input[k + 3..]);
                }
                None => {
                    prop_assert_eq!(ends, 0);
                    prop_assert!(whole.leftover.is_empty());
                }
            }
            let bares = whole.marks.iter().filter(|m| matches!(m, Mark::Bare(_))).count();
            prop_assert!(bares <= 1);
            if p == N {
                prop_assert_eq!(bares, 0);
                // Normalized content is canonical: no bare LF, no bare CR.
                prop_assert_eq!(canonicalise(&whole.content, SN), whole.content.clone());
            }
        }
    }

    /// Rule D16: content the server took under Normalize, relayed through
    /// the client's stuffer, reaches a strict receiver as one canonical
    /// message, under every stuffing policy that accepts it; the default
    /// policy refuses exactly the content that is not canonical, and never
    /// writes a bare CR or LF.
    #[test]
    fn d16_content_taken_under_normalize_is_relayed_canonically(
        body in any_body(),
        in_cuts in prop::collection::vec(0usize..4000, 0..4),
        out_cuts in prop::collection::vec(0usize..4000, 0..4),
        room in prop_oneof![1usize..=16, 60usize..300],
    ) {
        let input = cat(&[&body, b"\r\n.\r\n"]);
        let taken = rx(N, &cut(&input, &in_cuts));
        prop_assert_eq!(taken.marks.len(), 1);
        let content = taken.content;
        // What Normalize takes is canonical: every stuffing policy relays
        // it unchanged, the default (refusing) one included.
        prop_assert_eq!(canonicalise(&content, SN), content.clone());
        for policy in [SR, SN, SS] {
            let relayed = tx(policy, None, &cut(&content, &out_cuts), room);
            let expected = with_final_crlf(&content);
            let wire = relayed.unwrap();
            assert_clean_wire(&wire);
            let got = rx(R, &[&wire]);
            prop_assert_eq!(&got.content, &expected);
            prop_assert_eq!(&got.marks, &vec![Mark::End(expected.len())]);
        }
    }
}
