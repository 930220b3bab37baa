//! CRLF line framer: RFC 5321 §2.3.8, §4.5.3.1.4, RFC 4954 §4; rules D1, D3;
//! catalogue rows SMG-15, CMD-16, CMD-18, TLS-01 (framing part).
//!
//! Every case is replayed whole, byte by byte and at every 2-way split point
//! (rule D2 meta-rule) and must give identical events.

use embedded_smtp::wire::line::{
    AUTH_LINE_MAX, BareLfPolicy, COMMAND_LINE_MIN, LineEvent, LineFramer,
};
use proptest::prelude::*;

const R: BareLfPolicy = BareLfPolicy::Reject;
const N: BareLfPolicy = BareLfPolicy::Normalize;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Line(Vec<u8>),
    TooLong,
    Bare,
}
use Ev::{Bare, TooLong};

fn line(s: &[u8]) -> Ev {
    Ev::Line(s.to_vec())
}

/// What a caller sees: the events, the bytes it still holds, whether the
/// framer is skipping.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<Ev>,
    kept: Vec<u8>,
    skipping: bool,
}

/// Drives the framer like a server with a receive buffer: append each chunk,
/// then frame until the framer needs more.
fn drive(policy: BareLfPolicy, limit: usize, chunks: &[&[u8]]) -> Outcome {
    let mut f = LineFramer::new(policy);
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let (n, ev) = f.next_line(&buf, limit);
            assert!(n <= buf.len(), "consumed past the input");
            let ev = ev.map(|e| match e {
                LineEvent::Line(l) => Ev::Line(l.to_vec()),
                LineEvent::TooLong => TooLong,
                LineEvent::BareLineEnding => Bare,
            });
            assert!(ev.is_none() || n > 0, "an event must consume bytes");
            buf.drain(..n);
            match ev {
                Some(e) => events.push(e),
                None if n == 0 => break,
                None => {}
            }
        }
    }
    Outcome {
        events,
        kept: buf,
        skipping: f.is_skipping(),
    }
}

/// The input whole, byte by byte, and at every 2-way split point.
fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![input], input.chunks(1).collect()];
    for i in 1..input.len() {
        all.push(vec![&input[..i], &input[i..]]);
    }
    all
}

/// Checks one case under every split.
fn case(policy: BareLfPolicy, limit: usize, input: &[u8], events: &[Ev], kept: &[u8]) {
    for chunks in splits(input) {
        let out = drive(policy, limit, &chunks);
        assert_eq!(
            out.events,
            events,
            "{policy:?} limit {limit} {:?} split {:?}",
            input.escape_ascii().to_string(),
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        );
        assert_eq!(
            out.kept,
            kept,
            "kept bytes, split {:?}",
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        );
    }
}

fn both(limit: usize, input: &[u8], events: &[Ev], kept: &[u8]) {
    case(R, limit, input, events, kept);
    case(N, limit, input, events, kept);
}

#[test]
fn rfc_floors() {
    assert_eq!(COMMAND_LINE_MIN, 512); // RFC 5321 §4.5.3.1.4
    assert_eq!(embedded_smtp::wire::reply::REPLY_LINE_MIN, 512); // RFC 5321 §4.5.3.1.5
    assert_eq!(AUTH_LINE_MAX, 12288); // RFC 4954 §4
    assert_eq!(BareLfPolicy::default(), R);
    assert_eq!(LineFramer::new(N).policy(), N);
}

#[test]
fn crlf_lines() {
    both(512, b"EHLO c.example\r\n", &[line(b"EHLO c.example")], b"");
    both(512, b"\r\n", &[line(b"")], b"");
    both(512, b"QUIT\r\nNOOP", &[line(b"QUIT")], b"NOOP");
    both(
        512,
        b"NOOP\r\nQUIT\r\n",
        &[line(b"NOOP"), line(b"QUIT")],
        b"",
    );
    // A CR that is the last byte is "need more", not an error.
    both(512, b"QUIT\r", &[], b"QUIT\r");
    both(512, b"\r", &[], b"\r");
}

#[test]
fn pipelined_lines_leave_the_rest_to_the_caller() {
    // TLS-01: the framer hands out the STARTTLS line alone and says how much
    // it consumed, so the engine can see (and discard) the injected bytes.
    let buf = b"STARTTLS\r\nEHLO commandinjectiontester\r\n";
    let mut f = LineFramer::new(R);
    let (n, ev) = f.next_line(buf, 512);
    assert_eq!(ev, Some(LineEvent::Line(b"STARTTLS")));
    assert_eq!(&buf[n..], b"EHLO commandinjectiontester\r\n");
    both(
        512,
        buf,
        &[line(b"STARTTLS"), line(b"EHLO commandinjectiontester")],
        b"",
    );
}

#[test]
fn smg15_bare_lf_in_a_command_line() {
    let input = b"MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n";
    // Strict: not two commands; the first line is a bare line ending.
    case(R, 512, input, &[Bare, line(b"RCPT TO:<c@d>")], b"");
    // Normalize: the bare LF ends the line.
    case(
        N,
        512,
        input,
        &[line(b"MAIL FROM:<a@b>"), line(b"RCPT TO:<c@d>")],
        b"",
    );
    case(R, 512, b"\n", &[Bare], b"");
    case(N, 512, b"\n", &[line(b"")], b"");
    // The CR of a CRLF is never part of a Normalize line.
    case(N, 512, b"a\r\nb\n", &[line(b"a"), line(b"b")], b"");
}

#[test]
fn bare_cr_is_never_a_line_end() {
    // RFC 5321 §2.3.8; SMG-05 for commands.
    both(512, b"HELO a\rb\r\n", &[Bare], b"");
    both(512, b"HELO a\r\r\n", &[Bare], b"");
    both(512, b"\r\rQUIT\r\n", &[Bare], b"");
    both(512, b"RSET\rQUIT\r\nNOOP\r\n", &[Bare, line(b"NOOP")], b"");
    case(N, 512, b"a\rb\nNOOP\r\n", &[Bare, line(b"NOOP")], b"");
    // Without a line end yet: wait (the line may still turn out too long).
    both(512, b"HELO a\rb", &[], b"HELO a\rb");
}

#[test]
fn nul_is_not_a_terminator() {
    // CMD-18: no C-string truncation; the parser refuses the NUL.
    both(512, b"HELO a\x00b\r\n", &[line(b"HELO a\x00b")], b"");
}

#[test]
fn cmd16_limits_count_the_crlf() {
    for limit in [COMMAND_LINE_MIN, 2048] {
        let at = [vec![b'A'; limit - 2], b"\r\n".to_vec()].concat();
        let over = [vec![b'A'; limit - 1], b"\r\nQUIT\r\n".to_vec()].concat();
        let mut f = LineFramer::new(R);
        assert_eq!(
            f.next_line(&at, limit),
            (limit, Some(LineEvent::Line(&at[..limit - 2])))
        );
        assert_eq!(f.next_line(&over, limit).1, Some(LineEvent::TooLong));
        assert_eq!(
            f.next_line(b"QUIT\r\n", limit).1,
            Some(LineEvent::Line(b"QUIT"))
        );
    }
    let auth = [vec![b'A'; AUTH_LINE_MAX - 2], b"\r\n".to_vec()].concat();
    let mut f = LineFramer::new(R);
    assert_eq!(f.next_line(&auth, AUTH_LINE_MAX).0, AUTH_LINE_MAX);
    assert!(matches!(
        f.next_line(&[b"x", &auth[..]].concat(), AUTH_LINE_MAX).1,
        Some(LineEvent::TooLong)
    ));
}

#[test]
fn too_long_under_every_split() {
    // Limit 8: "123456\r\n" (8) fits, "1234567\r\n" (9) does not.
    both(8, b"123456\r\n", &[line(b"123456")], b"");
    both(8, b"1234567\r\nQUIT\r\n", &[TooLong, line(b"QUIT")], b"");
    both(8, b"12345678", &[TooLong], b"");
    // A CR at the limit with its LF just past it: too long.
    both(8, b"1234567\r\n", &[TooLong], b"");
    // Reported once however long the line.
    both(
        8,
        &[&[b'x'; 100][..], b"\r\nNOOP\r\n"].concat(),
        &[TooLong, line(b"NOOP")],
        b"",
    );
    // A bare-CR line that is also over-long: TooLong wins (the limit is
    // decided first, from the first `limit` bytes).
    both(8, b"ab\rcdefgh\r\nNOOP\r\n", &[TooLong, line(b"NOOP")], b"");
}

#[test]
fn the_tail_of_an_over_long_line_is_never_parsed() {
    // D3: a bare LF or a lone CR does not end the skip; only CRLF does.
    let input = [&[b'A'; 600][..], b"\nQUIT\r\nNOOP\r\n"].concat();
    both(512, &input, &[TooLong, line(b"NOOP")], b"");
    let input = [&[b'A'; 600][..], b"\rQUIT\r\nNOOP\r\n"].concat();
    both(512, &input, &[TooLong, line(b"NOOP")], b"");
    let input = [&[b'A'; 600][..], b"\r\rRSET\n\r\r\nNOOP\r\n"].concat();
    both(512, &input, &[TooLong, line(b"NOOP")], b"");
}

#[test]
fn skipping_state_and_reset() {
    let mut f = LineFramer::new(R);
    assert_eq!(
        f.next_line(b"0123456789", 4),
        (10, Some(LineEvent::TooLong))
    );
    assert!(f.is_skipping());
    assert_eq!(f.next_line(b"abc", 4), (3, None));
    assert_eq!(f.next_line(b"", 4), (0, None));
    f.reset();
    assert!(!f.is_skipping());
    assert_eq!(f.next_line(b"ok\r\n", 4), (4, Some(LineEvent::Line(b"ok"))));
    let out = drive(R, 4, &[b"0123456789"]);
    assert!(out.skipping);
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b'.', b' ', b'\r', b'\n', 0u8]),
        0..60,
    )
}

proptest! {
    /// Rule D2 for the framer: any chunking gives the events of the whole.
    #[test]
    fn any_chunking_gives_the_same_events(input in bytes(), limit in 1usize..20, cuts in prop::collection::vec(0usize..60, 0..8)) {
        for policy in [R, N] {
            let whole = drive(policy, limit, &[&input]);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for c in cuts {
                chunks.push(&input[from..c]);
                from = c;
            }
            chunks.push(&input[from..]);
            prop_assert_eq!(&drive(policy, limit, &chunks), &whole);
            prop_assert_eq!(&drive(policy, limit, &input.chunks(1).collect::<Vec<_>>()), &whole);
            // Lines never hold a CR or LF and always fit the limit.
            for ev in &whole.events {
                if let Ev::Line(l) = ev {
                    prop_assert!(!l.contains(&b'\r') && !l.contains(&b'\n'));
                    prop_assert!(l.len() < limit);
                }
            }
        }
    }

    /// A canonical stream of short lines comes back line for line.
    #[test]
    fn canonical_lines_round_trip(lines in prop::collection::vec("[ -~]{0,30}", 0..10)) {
        let wire: Vec<u8> = lines.iter().flat_map(|l| [l.as_bytes(), b"\r\n"].concat()).collect();
        let expected: Vec<Ev> = lines.iter().map(|l| line(l.as_bytes())).collect();
        for policy in [R, N] {
            let out = drive(policy, 32, &wire.chunks(3).collect::<Vec<_>>());
            prop_assert_eq!(&out.events, &expected);
            prop_assert!(out.kept.is_empty());
        }
    }
}
