//! Client rows of docs/rules.md about the content: DOT-01..07 through the
//! engine, BDT-09 and BDAT, LMTP final replies, several transactions. Every
//! script runs whole, byte by byte and split at every point.

use crate::support::client_script as script;

use embedded_smtp::built;
use embedded_smtp::client::{ClientError, ContentError};
use embedded_smtp::syntax::params::Body;
use embedded_smtp::wire::stuff::{BodyError, StuffPolicy};
use script::{
    EHLO_PIPE, EHLO_PLAIN, GREETING, Script, check, data_script, env, plain_config, tail,
};

/// DOT-01..03, DOT-05: the wire content for a body, fed whole, one byte at
/// a time, and into 1-, 2- and 3-byte output buffers.
fn dot(body: &'static [u8], content: &'static [u8]) {
    for (piece, out) in [
        (usize::MAX, 4096),
        (1, 4096),
        (1, 1),
        (2, 2),
        (3, 3),
        (usize::MAX, 1),
    ] {
        let mut s = data_script(plain_config(), body, content);
        s.body_piece = piece;
        s.body_out = out;
        let run = check(&s);
        assert_eq!(run.delivered(), 1, "piece {piece} out {out}");
        assert!(run.errors.is_empty());
    }
}

#[test]
fn dot01_period_on_the_first_line() {
    dot(b".hidden\r\nx", b"..hidden\r\nx\r\n.\r\n");
}

#[test]
fn dot02_injected_commands_stay_content() {
    dot(
        b"a\r\n.\r\nMAIL FROM:<x@y>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n",
    );
    dot(b"a\r\n\r\n.\r\nQUIT\r\n", b"a\r\n\r\n..\r\nQUIT\r\n.\r\n");
}

#[test]
fn dot03_final_crlf_added_only_when_missing() {
    dot(b"abc", b"abc\r\n.\r\n");
    dot(b"abc\r\n", b"abc\r\n.\r\n");
    dot(b"", b".\r\n");
}

/// DOT-04 under Reject: an error, the session closed, nothing of the
/// refused piece (nor the end mark) on the wire.
#[test]
fn dot04_bare_line_ends_refused_by_default() {
    for (body, sent, err) in [
        (&b"a\n.\nb"[..], &b""[..], BodyError::BareLf),
        (b"a\n.\r\nb", b"", BodyError::BareLf),
        (b"a\r.\rb", b"", BodyError::BareCr),
    ] {
        let s = Script::new(
            plain_config(),
            vec![
                (b"", GREETING),
                (b"EHLO c.example\r\n", EHLO_PLAIN),
                (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
                (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
                (b"DATA\r\n", b"354 go\r\n"),
            ],
        )
        .message(env(), body);
        let run = check(&s);
        assert_eq!(tail(&run), sent, "{body:?}");
        assert_eq!(run.errors, [ClientError::Content(ContentError::Text(err))]);
        assert!(run.closed);
    }
}

#[test]
fn dot04_normalize_then_stuff_or_replace_with_space() {
    let mut c = plain_config();
    c.stuff_policy = StuffPolicy::Normalize;
    for (body, content) in [
        (&b"a\n.\nb"[..], &b"a\r\n..\r\nb\r\n.\r\n"[..]),
        (b"a\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    ] {
        check(&data_script(c, body, content));
    }
    c.stuff_policy = StuffPolicy::Space;
    check(&data_script(c, b"a\n.\nb", b"a . b\r\n.\r\n"));
    check(&data_script(c, b"a\r.\rb", b"a . b\r\n.\r\n"));
}

#[test]
fn dot05_split_between_cr_lf_and_before_the_period() {
    // Body pieces of one byte put every split (\r|\n, \n|.) in play; the
    // output is the same as in one piece (checked inside `dot`).
    dot(b"a\r\n.b\r\n\r\n.\r\n", b"a\r\n..b\r\n\r\n..\r\n.\r\n");
}

#[test]
fn dot07_long_line_refused_by_default_and_allowed_when_configured() {
    let long = vec![b'x'; 1500].leak();
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
        ],
    )
    .message(env(), long);
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Content(ContentError::Text(
            BodyError::LineTooLong
        ))]
    );
    assert!(run.closed);
    let mut c = plain_config();
    c.max_line = None;
    let mut content = long.to_vec();
    content.extend_from_slice(b"\r\n.\r\n");
    check(&data_script(c, long, content.leak()));
}

const EHLO_CHUNKING: &[u8] =
    b"250-s.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n";

/// BDT-09: after a refused chunk no further BDAT; RSET follows. The BDAT
/// size equals the octets sent: no stuffing, no appended CRLF.
#[cfg(feature = "chunking")]
#[test]
fn bdt09_no_chunk_after_a_refused_one() {
    let body: &'static [u8] = &[b'.'; 150];
    // Pipelined: the chunks that fit are out before the 552 arrives; the
    // size is the octets sent (periods are not stuffed under BDAT).
    let mut chunks = b"BDAT 100\r\n".to_vec();
    chunks.extend_from_slice(&body[..100]);
    chunks.extend_from_slice(b"BDAT 50\r\n");
    chunks.extend_from_slice(&body[100..]);
    chunks.extend_from_slice(b"BDAT 0 LAST\r\n");
    let mut s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n",
                b"250 ok\r\n250 ok\r\n",
            ),
            (chunks.leak(), b"552 too big\r\n503 no\r\n503 no\r\n"),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    s.body_out = 110;
    let run = check(&s);
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Content"))
    );

    // Lock-step BDAT (no PIPELINING): the 552 to the first chunk stops it.
    let mut c = plain_config();
    c.pipelining = false;
    let mut chunk1 = b"BDAT 100\r\n".to_vec();
    chunk1.extend_from_slice(&body[..100]);
    let mut s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (chunk1.leak(), b"552 too big\r\n"),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    s.body_out = 110;
    let run = check(&s);
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Content"))
    );
}

#[cfg(feature = "chunking")]
#[test]
fn bdat_whole_message_and_binarymime() {
    let mut c = plain_config();
    c.pipelining = false;
    let body: &[u8] = b"a\r\n.\r\nQUIT\r\n";
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 12\r\na\r\n.\r\nQUIT\r\n", b"250 12 octets\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(run.has_event("ChunkAccepted"));

    // BINARYMIME: bare CR, LF, NUL and 8-bit octets pass untouched.
    let bin: &[u8] = b"\x00\r\xff\n";
    let e = env().body(Body::BinaryMime);
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example> BODY=BINARYMIME\r\n",
                b"250 ok\r\n",
            ),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 4\r\n\x00\r\xff\n", b"250 ok\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(e, bin);
    assert_eq!(check(&s).delivered(), 1);
}

/// BDAT needs canonical text (RFC 3030 §3): a CR at the end of a piece is
/// held until its LF is seen; a bare one is refused.
#[cfg(feature = "chunking")]
#[test]
fn bdat_holds_a_trailing_cr_and_refuses_bare_ones() {
    let mut c = plain_config();
    c.pipelining = false;
    let mut s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 1\r\na", b"250 ok\r\n"),
            // The held CR goes out with the LF that follows it.
            (b"BDAT 3\r\n\r\nb", b"250 ok\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"a\r\nb");
    s.body_piece = 2;
    assert_eq!(check(&s).delivered(), 1);

    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
        ],
    )
    .message(env(), b"a\nb");
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Content(ContentError::Text(BodyError::BareLf))]
    );
    assert_eq!(tail(&run), b"");
}

#[cfg(feature = "lmtp")]
#[test]
fn lmtp_one_final_reply_per_accepted_recipient() {
    use embedded_smtp::client::{Envelope, Recipient};
    let mut c = plain_config();
    c.lmtp = true;
    let rcpts = [
        Recipient::new("r0@s.example").unwrap(),
        Recipient::new("r1@s.example").unwrap(),
        Recipient::new("r2@s.example").unwrap(),
    ];
    let e = Envelope::new("a@c.example", &rcpts).unwrap();
    let s = Script::new(
        c,
        vec![
            (b"", b"220 s.example LMTP\r\n"),
            (b"LHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<r0@s.example>\r\nRCPT TO:<r1@s.example>\r\nRCPT TO:<r2@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 r0 ok\r\n452 r2 full\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(e, b"x");
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Delivered { recipient: Some(0)"))
    );
    assert!(
        run.events
            .iter()
            .any(|e| e.contains("Transient") && e.contains("recipient: Some(2)"))
    );
}

/// Without the `chunking` feature the client never uses BDAT: offered
/// CHUNKING (and BINARYMIME), it sends DATA, stuffing the body; an envelope
/// with BODY=BINARYMIME is refused before anything is sent.
#[cfg(not(feature = "chunking"))]
#[test]
fn without_the_chunking_feature_chunking_offered_still_gets_data() {
    use embedded_smtp::client::EnvelopeError;
    let body: &[u8] = b"a\r\n.\r\nQUIT\r\n";
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"a\r\n..\r\nQUIT\r\n.\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(!run.has_event("ChunkAccepted"));

    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env().body(Body::BinaryMime), b"\x00\r\xff\n");
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Envelope(EnvelopeError::NotBuilt("chunking"))]
    );
    assert_eq!(run.delivered(), 0);
}

#[test]
fn several_transactions_rset_after_a_failed_one() {
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"451 try later\r\n503 no mail\r\n503 no rcpt\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"two\r\n.\r\n", b"554 rejected\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"three\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"one")
    .message(env(), b"two")
    .message(env(), b"three");
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    let failed: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.starts_with("Failed"))
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed[0].contains("Mail") && failed[0].contains("Transient"));
    assert!(failed[1].contains("Content") && failed[1].contains("Permanent"));
}

/// Drives a lock-step CHUNKING session up to the content by hand.
#[cfg(feature = "chunking")]
fn bdat_client() -> embedded_smtp::Client<'static> {
    use embedded_smtp::client::Step;
    let mut c = plain_config();
    c.pipelining = false;
    let mut client = embedded_smtp::Client::new(c).unwrap();
    let mut out = [0u8; 512];
    client.feed(GREETING).unwrap();
    client.transmit(None, &mut out).unwrap();
    client.feed(b"250-s.example\r\n250 CHUNKING\r\n").unwrap();
    client.send(&env()).unwrap();
    for reply in [&b"250 ok\r\n"[..], b"250 ok\r\n"] {
        client.transmit(Some(&env()), &mut out).unwrap();
        client.feed(reply).unwrap();
    }
    let Step {
        consumed: n,
        event: ev,
    } = client.feed(b"").unwrap();
    assert_eq!((n, ev), (0, embedded_smtp::client::Event::SendBody(None)));
    client
}

/// CNF-02 from the client side: RFC 3030's `BDAT 69 LAST`, and
/// `BDAT 100000` then `BDAT 324 LAST`; one reply per chunk.
#[cfg(feature = "chunking")]
#[test]
fn cnf02_rfc3030_bdat_examples() {
    use embedded_smtp::client::{Event as ClientEvent, Step};
    let mut msg69 = vec![b'x'; 67];
    msg69.extend_from_slice(b"\r\n");
    let mut client = bdat_client();
    let mut out = vec![0u8; 200];
    let p = client.body_last(&msg69, &mut out).unwrap();
    let mut want = b"BDAT 69 LAST\r\n".to_vec();
    want.extend_from_slice(&msg69);
    assert_eq!((p.consumed, &out[..p.written]), (69, &want[..]));
    let f = client.finish_body(&mut out).unwrap();
    assert_eq!((f.written, f.done), (0, true));
    let Step { event: ev, .. } = client.feed(b"250 2.0.0 ok\r\n").unwrap();
    assert!(matches!(ev, ClientEvent::Delivered { .. }));

    let line = [&[b'y'; 98][..], b"\r\n"].concat();
    let big: Vec<u8> = line.iter().copied().cycle().take(100_000).collect();
    let mut tail = vec![b'z'; 322];
    tail.extend_from_slice(b"\r\n");
    let mut client = bdat_client();
    let mut out = vec![0u8; 100_100];
    let p = client.body(&big, &mut out).unwrap();
    assert_eq!(p.consumed, 100_000);
    assert!(out[..p.written].starts_with(b"BDAT 100000\r\nyyy"));
    assert_eq!(p.written, 13 + 100_000);
    // Lock-step: the next chunk waits for the reply.
    assert_eq!(client.body_last(&tail, &mut out).unwrap().consumed, 0);
    let ev = client
        .feed(b"250 2.0.0 100000 octets received\r\n")
        .unwrap()
        .event;
    assert!(matches!(ev, ClientEvent::ChunkAccepted(_)));
    let p = client.body_last(&tail, &mut out).unwrap();
    assert!(out[..p.written].starts_with(b"BDAT 324 LAST\r\nzzz"));
    assert_eq!(p.written, 15 + 324);
    assert!(client.finish_body(&mut out).unwrap().done);
    let Step { event: ev, .. } = client.feed(b"250 2.0.0 ok\r\n").unwrap();
    assert!(matches!(ev, ClientEvent::Delivered { .. }));
    assert!(client.is_ready());
}

/// DATA, and BDAT when this build has CHUNKING: the `chunking` argument
/// of [`content_client`].
fn transfers() -> impl Iterator<Item = bool> {
    [false, true].into_iter().filter(|&c| !c || built::CHUNKING)
}

/// A lock-step session (no PIPELINING) up to its content, by DATA or by
/// BDAT.
fn content_client(chunking: bool) -> embedded_smtp::Client<'static> {
    use embedded_smtp::client::Event as ClientEvent;
    let mut c = plain_config();
    c.pipelining = false;
    let mut client = embedded_smtp::Client::new(c).unwrap();
    let mut out = [0u8; 512];
    client.feed(GREETING).unwrap();
    client.transmit(None, &mut out).unwrap();
    let ehlo: &[u8] = if chunking { EHLO_CHUNKING } else { EHLO_PLAIN };
    client.feed(ehlo).unwrap();
    client.send(&env()).unwrap();
    let replies: &[&[u8]] = if chunking {
        &[b"250 ok\r\n", b"250 ok\r\n"]
    } else {
        &[b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"]
    };
    let mut last = ClientEvent::NeedInput;
    for reply in replies {
        client.transmit(Some(&env()), &mut out).unwrap();
        last = client.feed(reply).unwrap().event;
    }
    if chunking {
        last = client.feed(b"").unwrap().event;
    }
    assert!(matches!(last, ClientEvent::SendBody(_)), "{last:?}");
    client
}

/// Streams `body` the way the drivers do: each call is handed at most
/// `piece` octets of what is left (the whole rest with `usize::MAX`), into
/// an output buffer of `out_len`; a lock-step BDAT chunk's reply is fed
/// when the engine waits for it. The bytes written, and the first error.
fn stream_body(
    client: &mut embedded_smtp::Client<'static>,
    body: &[u8],
    piece: usize,
    out_len: usize,
) -> (Vec<u8>, Result<(), ClientError>) {
    let mut out = vec![0u8; out_len];
    let mut wire = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let hand = &rest[..rest.len().min(piece)];
        let p = if hand.len() == rest.len() {
            client.body_last(hand, &mut out)
        } else {
            client.body(hand, &mut out)
        };
        let p = match p {
            Ok(p) => p,
            Err(e) => return (wire, Err(e)),
        };
        wire.extend_from_slice(&out[..p.written]);
        rest = &rest[p.consumed..];
        if p.consumed == 0 && p.written == 0 {
            client.feed(b"250 ok\r\n").unwrap();
        }
    }
    loop {
        match client.finish_body(&mut out) {
            Ok(f) => {
                wire.extend_from_slice(&out[..f.written]);
                if f.done {
                    return (wire, Ok(()));
                }
                client.feed(b"250 ok\r\n").unwrap();
            }
            Err(e) => return (wire, Err(e)),
        }
    }
}

/// EXT-10: without BODY=8BITMIME an 8-bit octet is refused however the
/// body is handed in (whole, or in pieces that show it only late) and
/// through any output buffer, by DATA and by BDAT; none reaches the wire.
#[test]
fn ext10_eight_bit_octet_refused_wherever_it_is_handed_in() {
    let mut body = b"plain line\r\n".repeat(50);
    body.extend_from_slice("caf\u{e9}\r\n".as_bytes());
    body.extend_from_slice(&b"more\r\n".repeat(50));
    for chunking in transfers() {
        for (piece, out_len) in [
            (usize::MAX, 4096),
            (usize::MAX, 64),
            (1, 64),
            (7, 64),
            (100, 4096),
            (600, 32),
        ] {
            let mut client = content_client(chunking);
            let (wire, result) = stream_body(&mut client, &body, piece, out_len);
            let case = format!("chunking {chunking} piece {piece} out {out_len}");
            assert_eq!(
                result,
                Err(ClientError::Content(ContentError::EightBit)),
                "{case}"
            );
            assert!(wire.is_ascii(), "{case}: an 8-bit octet was written");
            assert!(client.is_closed(), "{case}");
        }
    }
}

/// A body handed in whole (its rest again after each chunk, as the drivers
/// do with a `&[u8]` body) goes out whole and exact through a 4 KiB output
/// buffer, by DATA and by BDAT. (Its 8-bit check takes each octet once: the
/// check of everything handed in on every call was quadratic, 9 s of CPU for
/// a 5 MB body in the `send` example against Postfix; speed is measured
/// there, not asserted here.)
#[test]
fn ext10_large_ascii_body_handed_in_whole_goes_out_exactly() {
    let line = [&[b'x'; 76][..], b"\r\n"].concat();
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(8 * 1024 * 1024 / line.len() * line.len())
        .collect();
    for chunking in transfers() {
        let mut client = content_client(chunking);
        let (wire, result) = stream_body(&mut client, &body, usize::MAX, 4096);
        assert_eq!(result, Ok(()), "chunking {chunking}");
        let content = if chunking {
            unchunk(&wire)
        } else {
            wire.strip_suffix(b".\r\n").expect("the end mark").to_vec()
        };
        assert!(content == body, "chunking {chunking}: the content differs");
    }
}

/// The content of `BDAT n [LAST]` chunks, headers removed.
fn unchunk(mut wire: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    while !wire.is_empty() {
        let end = wire.windows(2).position(|w| w == b"\r\n").expect("header");
        let header = std::str::from_utf8(&wire[..end]).expect("ASCII header");
        let size: usize = header
            .strip_prefix("BDAT ")
            .and_then(|h| h.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("BDAT n");
        content.extend_from_slice(&wire[end + 2..end + 2 + size]);
        wire = &wire[end + 2 + size..];
    }
    content
}
