//! Property tests for the client engine: any body, cut into any pieces and
//! written into output buffers of any size, reaches the server as exactly
//! one message whose unstuffed content is the body made canonical (rule D4),
//! and never contains an early end mark; any fragmentation of the server's
//! replies gives the same events (rule D2).

use embedded_smtp::client::Step;
use embedded_smtp::client::{ClientConfig, Envelope, Recipient, TlsPolicy};
use embedded_smtp::wire::line::BareLfPolicy;
use embedded_smtp::wire::stuff::StuffPolicy;
use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};
use embedded_smtp::{Client, client::Event as ClientEvent};
use proptest::prelude::*;

fn config(policy: StuffPolicy) -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example");
    c.tls = TlsPolicy::Never;
    c.stuff_policy = policy;
    c.max_line = None;
    c
}

/// Runs a session to the content and returns the DATA bytes on the wire.
fn wire_content(policy: StuffPolicy, body: &[u8], piece: usize, out_len: usize) -> Vec<u8> {
    let rcpts = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rcpts).unwrap();
    let mut c = Client::new(config(policy)).unwrap();
    let mut out = vec![0u8; 512];
    c.feed(b"220 s\r\n").unwrap();
    c.transmit(None, &mut out).unwrap();
    c.feed(b"250 s\r\n").unwrap();
    c.send(&env).unwrap();
    for r in [&b"250 ok\r\n"[..], b"250 ok\r\n", b"354 go\r\n"] {
        c.transmit(Some(&env), &mut out).unwrap();
        c.feed(r).unwrap();
    }
    let mut small = vec![0u8; out_len];
    let mut wire = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = rest.len().min(piece);
        let p = c.body(&rest[..n], &mut small).unwrap();
        wire.extend_from_slice(&small[..p.written]);
        rest = &rest[p.consumed..];
    }
    loop {
        let f = c.finish_body(&mut small).unwrap();
        wire.extend_from_slice(&small[..f.written]);
        if f.done {
            break;
        }
    }
    let Step { event: ev, .. } = c.feed(b"250 queued\r\n").unwrap();
    assert!(matches!(ev, ClientEvent::Delivered { .. }));
    wire
}

/// What the server stores: unstuffed content up to the first end mark, and
/// the bytes after it.
fn server_view(wire: &[u8]) -> (Vec<u8>, usize) {
    let mut rx = DotUnstuffer::new(BareLfPolicy::Reject);
    let mut stored = Vec::new();
    let mut pos = 0;
    loop {
        let (n, ev) = rx.feed(&wire[pos..]);
        pos += n;
        match ev {
            Some(DataEvent::Data(d)) => stored.extend_from_slice(d),
            Some(DataEvent::End) => return (stored, wire.len() - pos),
            Some(other) => panic!("server saw {other:?} in {wire:?}"),
            None => panic!("no end mark in {wire:?}"),
        }
    }
}

/// The canonical form of `body` under Normalize: every bare CR or LF a CRLF.
fn normalized(body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                v.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            (b'\r' | b'\n', _) => v.extend_from_slice(b"\r\n"),
            (b, _) => v.push(b),
        }
        i += 1;
    }
    if !v.is_empty() && !v.ends_with(b"\r\n") {
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b' ')],
        0..80,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_body_arrives_canonical_and_whole(
        body in body_bytes(),
        piece in 1usize..20,
        out_len in 1usize..16,
    ) {
        let wire = wire_content(StuffPolicy::Normalize, &body, piece, out_len);
        let (stored, after) = server_view(&wire);
        prop_assert_eq!(after, 0, "bytes after the first end mark");
        prop_assert_eq!(stored, normalized(&body));
        // Fragmentation never changes the wire.
        prop_assert_eq!(wire, wire_content(StuffPolicy::Normalize, &body, usize::MAX, 4096));
    }

    #[test]
    fn canonical_bodies_pass_unchanged_under_reject(
        lines in proptest::collection::vec("[.a ]{0,6}", 0..8),
        piece in 1usize..20,
        out_len in 1usize..16,
    ) {
        let body = lines.join("\r\n").into_bytes();
        let wire = wire_content(StuffPolicy::Reject, &body, piece, out_len);
        let (stored, after) = server_view(&wire);
        prop_assert_eq!(after, 0);
        let mut want = body.clone();
        if !want.is_empty() && !want.ends_with(b"\r\n") {
            want.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(stored, want);
    }

    #[test]
    fn reply_fragmentation_never_changes_the_events(cuts in proptest::collection::vec(0usize..120, 0..6)) {
        let server: &[u8] = b"220-s.example\r\n220 hi\r\n250-s.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n";
        let run = |pieces: &[&[u8]]| {
            let rcpts = [Recipient::new("b@s.example").unwrap(), Recipient::new("c@s.example").unwrap()];
            let env = Envelope::new("a@c.example", &rcpts).unwrap();
            let mut c = Client::new(config(StuffPolicy::Reject)).unwrap();
            let mut out = vec![0u8; 512];
            let mut buf = Vec::new();
            let mut events = Vec::new();
            for piece in pieces {
                buf.extend_from_slice(piece);
                loop {
                    let Step { consumed: n, event: ev } = c.feed(&buf).unwrap();
                    let text = format!("{ev:?}");
                    buf.drain(..n);
                    if text == "NeedInput" {
                        break;
                    }
                    events.push(text);
                    if c.is_ready() {
                        c.send(&env).unwrap();
                    }
                    c.transmit(Some(&env), &mut out).unwrap();
                }
            }
            events
        };
        let mut cuts = cuts;
        cuts.sort();
        let mut pieces = Vec::new();
        let mut last = 0;
        for c in cuts {
            let c = c.min(server.len());
            pieces.push(&server[last..c]);
            last = c;
        }
        pieces.push(&server[last..]);
        prop_assert_eq!(run(&pieces), run(&[server]));
    }
}
