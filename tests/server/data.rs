//! Message data through the server engine: end of data and SMTP smuggling
//! (RFC 5321 §4.1.1.4, §4.5.2; rules D1, D2: rows SMG-01..15), the size
//! limit while streaming (RFC 1870; EXT-02, RES-05), and BDAT (RFC 3030;
//! rule D9: rows BDT-01..08).

use crate::support::server_harness::*;
use embedded_smtp::built;
use embedded_smtp::server::AbortReason;
use embedded_smtp::server::{BareLfPolicy, BareLfReply, Event, Server, ServerConfig};

fn with(mut segs: Vec<Seg>, more: &[&[u8]]) -> Vec<Seg> {
    segs.extend(more.iter().map(seg));
    segs
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn normalize() -> ServerConfig<'static> {
    let mut c = config();
    c.bare_lf = BareLfPolicy::Normalize;
    c
}

#[test]
fn smg01_one_end_of_data_one_250_one_message() {
    let o = check(config(), with(pre(), &[&cat(&[BODY, b"\r\n.\r\n"])]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250]);
    assert_eq!(o.replies()[4].1, "354 End data with <CR><LF>.<CR><LF>\r\n");
    assert_eq!(o.replies()[5].1, "250 2.0.0 Ok: queued\r\n");
    assert_eq!(o.messages(), vec![cat(&[BODY, b"\r\n"])]);
}

#[test]
fn smg02_to_05_bare_line_endings_are_never_end_of_data() {
    let variants: [&[u8]; 8] = [
        b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r.\r\n", b"\n.\r", b"\r.\n", b"\r\n.\r",
    ];
    for v in variants {
        // Strict: the message is refused with 550 5.5.2 after the real end
        // mark (the one that closes the smuggled block); never two messages,
        // and the smuggled commands are never executed.
        let o = check(config(), with(pre(), &[&cat(&[BODY, v, SMUG])]));
        assert_eq!(o.codes(), [220, 250, 250, 250, 354, 550], "{v:?}");
        assert_eq!(
            o.replies()[5].1,
            "550 5.5.2 Error: bare <CR> or <LF> received\r\n"
        );
        assert!(o.messages().is_empty(), "{v:?}");
        assert!(o.events.contains(&Ev::Aborted(AbortReason::BareLineEnding)));
        assert!(
            !o.events
                .iter()
                .any(|e| matches!(e, Ev::Mail(f, _) if f.contains("ceo")))
        );
        // Normalize: still no end of data there; one message at most, and
        // the smuggled commands are content.
        let o = check(normalize(), with(pre(), &[&cat(&[BODY, v, SMUG])]));
        let msgs = o.messages();
        assert_eq!(msgs.len(), 1, "{v:?}");
        let content = &msgs[0];
        let smuggled = b"MAIL FROM:<ceo@bank.example>\r\n";
        assert!(
            content.windows(smuggled.len()).any(|w| w == smuggled),
            "{v:?}"
        );
        assert!(content.ends_with(b"forged\r\n"), "{v:?}");
        assert!(
            !o.events
                .iter()
                .any(|e| matches!(e, Ev::Mail(f, _) if f.contains("ceo")))
        );
        assert_eq!(
            o.events
                .iter()
                .filter(|e| matches!(e, Ev::Mail(..)))
                .count(),
            1
        );
    }
}

#[test]
fn smg02_disconnect_521_policy() {
    let mut c = config();
    c.bare_lf_reply = BareLfReply::Disconnect521;
    let o = check(c, with(pre(), &[&cat(&[BODY, b"\n.\n", SMUG])]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 521]);
    assert!(o.closed);
}

#[test]
fn smg08_end_of_data_split_anywhere() {
    // The harness splits the final segment at every point: one EOD, same content.
    let o = check(config(), with(pre(), &[&cat(&[BODY, b"\r\n.\r\n"])]));
    assert_eq!(o.messages(), vec![cat(&[BODY, b"\r\n"])]);
    // Negatives, as two segments: never an end of data.
    for (a, b) in [
        (&b"\n"[..], &b".\r\n"[..]),
        (b"\r", b".\r\n"),
        (b"\r\n.\r", b"X\r\n"),
    ] {
        let o = check(config(), with(pre(), &[&cat(&[BODY, a]), b]));
        assert!(!o.events.contains(&Ev::MessageEnd), "{a:?} | {b:?}");
        assert_eq!(o.codes().len(), 5);
    }
}

#[test]
fn smg09_empty_message_ends_with_the_data_lines_crlf() {
    let o = check(config(), with(pre(), &[b".\r\n"]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250]);
    assert_eq!(o.messages(), vec![Vec::<u8>::new()]);
}

#[test]
fn smg10_dot_unstuffing() {
    let o = check(config(), with(pre(), &[b"..\r\n..x\r\n.x\r\n. \r\n.\r\n"]));
    assert_eq!(o.messages(), vec![b".\r\n.x\r\nx\r\n \r\n".to_vec()]);
}

#[test]
fn smg14_normalize_mode_stores_crlf() {
    let o = check(normalize(), with(pre(), &[b"l1\nl2\r\n.\r\n"]));
    assert_eq!(o.messages(), vec![b"l1\r\nl2\r\n".to_vec()]);
    assert_eq!(o.codes()[5], 250);
    // What the message stores is canonical and whole: a bare CR becomes a
    // space, a `.` line next to a bare LF is a content line (never the
    // end), and the message ends at the raw CRLF.CRLF only.
    let o = check(normalize(), with(pre(), &[b"a\rb\n.\nc\r\n.\r\nQUIT\r\n"]));
    assert_eq!(o.messages(), vec![b"a b\r\n.\r\nc\r\n".to_vec()]);
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250, 221]);
}

#[test]
fn smg15_bare_lf_in_a_command_line() {
    let o = check(
        config(),
        vec![seg("EHLO x\r\n"), seg("MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 550]);
    assert_eq!(
        o.replies()[2].1,
        "550 5.5.2 Error: bare <CR> or <LF> received\r\n"
    );
    assert!(o.closed);
    assert!(
        !o.events
            .iter()
            .any(|e| matches!(e, Ev::Mail(..) | Ev::Rcpt(..)))
    );
    // Normalize: a bare LF ends a command line.
    let o = check(
        normalize(),
        vec![seg("EHLO x\r\n"), seg("MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250]);
}

#[test]
fn ext02_size_enforced_while_streaming() {
    let mut c = config();
    c.max_message_size = 10;
    let o = check(c, with(pre(), &[b"0123456789abcdef\r\n.\r\n", b"QUIT\r\n"]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 552, 221]);
    assert_eq!(
        o.replies()[5].1,
        "552 5.3.4 Error: message size exceeds fixed limit\r\n"
    );
    assert!(o.events.contains(&Ev::Aborted(AbortReason::TooBig)));
    assert_eq!(
        o.events
            .iter()
            .filter(|e| **e == Ev::Aborted(AbortReason::TooBig))
            .count(),
        1
    );
    assert!(!o.events.contains(&Ev::MessageEnd));
    // At the limit exactly: accepted.
    let mut c = config();
    c.max_message_size = 10;
    let o = check(c, with(pre(), &[b"01234567\r\n.\r\n"]));
    assert_eq!(o.codes()[5], 250);
}

#[test]
fn res05_a_big_message_streams_through_fixed_state() {
    let mut c = config();
    c.max_message_size = 0;
    let mut server = Server::new(c).unwrap();
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    let mut rx: Vec<u8> = Vec::new();
    let drive = |server: &mut Server<'_>, rx: &mut Vec<u8>, out: &mut [u8]| -> u64 {
        let mut data = 0u64;
        loop {
            let step = server.feed(rx, out).unwrap();
            if let Event::Data(d) = step.event {
                data += d.len() as u64;
            }
            let need = step.event == Event::NeedInput;
            let decision = matches!(
                step.event,
                Event::Mail { .. } | Event::Rcpt { .. } | Event::MessageEnd
            );
            rx.drain(..step.consumed);
            if decision {
                server.accept(out).unwrap();
            }
            if need {
                return data;
            }
        }
    };
    for s in pre() {
        rx.extend_from_slice(&s.bytes);
        drive(&mut server, &mut rx, &mut out);
    }
    let line = [b'x'; 998];
    let mut total = 0u64;
    for _ in 0..20_000 {
        rx.extend_from_slice(&line);
        rx.extend_from_slice(b"\r\n");
        total += drive(&mut server, &mut rx, &mut out);
    }
    rx.extend_from_slice(b".\r\n");
    total += drive(&mut server, &mut rx, &mut out);
    assert_eq!(total, 20_000 * 1000);
    assert!(rx.is_empty());
}

// ---------------------------------------------------------------- BDAT

fn bdat_pre() -> Vec<Seg> {
    vec![
        seg("EHLO c.example\r\n"),
        seg("MAIL FROM:<a@c.example>\r\n"),
        seg("RCPT TO:<b@s.example>\r\n"),
    ]
}

#[cfg(feature = "chunking")]
#[test]
fn bdt01_chunk_content_is_raw() {
    // The row says 12 octets; `ab\r\n.\r\nQUIT\r\n` is 13.
    let o = check(
        config(),
        with(bdat_pre(), &[b"BDAT 13 LAST\r\nab\r\n.\r\nQUIT\r\n"]),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250]);
    assert_eq!(o.messages(), vec![b"ab\r\n.\r\nQUIT\r\n".to_vec()]);
    assert!(!o.closed);
}

#[cfg(feature = "chunking")]
#[test]
fn bdt02_zero_size_last_chunk() {
    let o = check(
        config(),
        with(bdat_pre(), &[b"BDAT 3\r\nabc", b"BDAT 0 LAST\r\n"]),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 250]);
    assert_eq!(o.replies()[4].1, "250 2.0.0 3 octets received\r\n");
    assert_eq!(o.messages(), vec![b"abc".to_vec()]);
}

#[cfg(feature = "chunking")]
#[test]
fn bdt03_bdat_after_last_is_503() {
    let o = check(
        config(),
        with(bdat_pre(), &[b"BDAT 1 LAST\r\nx", b"BDAT 1\r\ny"]),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 503]);
    assert_eq!(o.messages(), vec![b"x".to_vec()]);
}

#[cfg(feature = "chunking")]
#[test]
fn bdt04_mixing_data_and_bdat() {
    let o = check(
        config(),
        with(bdat_pre(), &[b"BDAT 5\r\nhello", b"DATA\r\n"]),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 503]);
    let mut c = config();
    c.binarymime = true;
    let o = check(
        c,
        vec![
            seg("EHLO x\r\n"),
            seg("MAIL FROM:<a@b> BODY=BINARYMIME\r\n"),
            seg("RCPT TO:<c@d>\r\n"),
            seg("DATA\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 503]);
    let o = check(
        config(),
        with(
            bdat_pre(),
            &[
                b"BDAT 5\r\nhello",
                b"MAIL FROM:<x@y>\r\n",
                b"RCPT TO:<z@w>\r\n",
            ],
        ),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 503, 503]);
}

#[test]
fn bdt08_bdat_without_chunking_or_without_recipients() {
    let mut c = config();
    c.chunking = false;
    let o = check(c, with(bdat_pre(), &[b"BDAT 5\r\nhello"]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 502]);
    assert!(o.closed);
    // After HELO, CHUNKING was not advertised either.
    let o = check(config(), vec![seg("HELO x\r\n"), seg("BDAT 1 LAST\r\nx")]);
    assert_eq!(o.codes(), [220, 250, 502]);
    // The rest needs CHUNKING advertised (feature `chunking`).
    if !built::CHUNKING {
        return;
    }
    // No valid RCPT: the 5 octets are consumed, then 554; the session goes on.
    let o = Script::new(
        config(),
        with(bdat_pre(), &[b"BDAT 5\r\nhello", b"NOOP\r\n"]),
    )
    .policy(&|e| match e {
        Ev::Rcpt(..) => Decision::Reject,
        _ => Decision::Accept,
    })
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 550, 554, 250]);
    // No MAIL at all: 503 after the octets.
    let o = check(
        config(),
        vec![seg("EHLO x\r\n"), seg("BDAT 4\r\nNOOP"), seg("NOOP\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 503, 250]);
}

#[test]
fn bdat_malformed_line_closes() {
    let o = check(config(), with(bdat_pre(), &[b"BDAT x\r\n"]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 501]);
    assert!(o.closed);
}

#[cfg(feature = "chunking")]
#[test]
fn d9_failed_chunk_fails_every_pipelined_chunk_until_last() {
    let mut c = config();
    c.max_message_size = 4;
    let o = check(
        c,
        with(
            bdat_pre(),
            &[b"BDAT 3\r\nabcBDAT 3\r\ndefBDAT 1\r\ngBDAT 0 LAST\r\nBDAT 1 LAST\r\nz"],
        ),
    );
    // 250 for the first chunk; 552 for each of the next three; then the
    // transaction is over and the next BDAT is out of sequence.
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 552, 552, 552, 503]);
    assert_eq!(
        o.events
            .iter()
            .filter(|e| **e == Ev::Aborted(AbortReason::TooBig))
            .count(),
        1
    );
    assert!(o.messages().is_empty());
}

#[cfg(feature = "chunking")]
#[test]
fn rset_during_a_bdat_message_aborts_it() {
    let o = check(
        config(),
        with(
            bdat_pre(),
            &[b"BDAT 3\r\nabc", b"RSET\r\n", b"RCPT TO:<x@y>\r\n"],
        ),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 250, 503]);
    assert!(o.events.contains(&Ev::Aborted(AbortReason::Reset)));
    let o = Script::new(config(), with(bdat_pre(), &[b"BDAT 3\r\nabc"]))
        .eof()
        .check();
    assert_eq!(o.events.last(), Some(&Ev::Aborted(AbortReason::Eof)));
}

#[cfg(feature = "lmtp")]
#[test]
fn lmtp_aborted_message_gets_one_reply_per_recipient() {
    let mut c = config();
    c.lmtp = true;
    c.max_message_size = 2;
    let o = check(
        c,
        vec![
            seg("LHLO x\r\n"),
            seg("MAIL FROM:<a@b>\r\n"),
            seg("RCPT TO:<c@d>\r\n"),
            seg("RCPT TO:<e@f>\r\n"),
            seg("DATA\r\n"),
            seg("toolong\r\n.\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 354, 552, 552]);
}

#[cfg(feature = "chunking")]
#[test]
fn d13_null_bdat_chunks_are_junk() {
    let mut segs = bdat_pre();
    segs.extend((0..150).map(|_| seg("BDAT 0\r\n")));
    let o = Script::new(config(), segs).check_coarse(3);
    let codes = o.codes();
    // 100 free null chunks, then each counts as an error: 19 more get their
    // 250, the 20th error is answered 421 and the session closes.
    assert_eq!(codes.len(), 4 + 119 + 1);
    assert_eq!(*codes.last().unwrap(), 421);
    assert!(o.closed);
}

#[cfg(feature = "chunking")]
#[test]
fn ehlo_quit_and_starttls_abort_an_open_bdat_message() {
    let o = check(
        config(),
        with(bdat_pre(), &[b"BDAT 3\r\nabc", b"EHLO y\r\n", b"QUIT\r\n"]),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 250, 221]);
    let aborted = Ev::Aborted(AbortReason::Reset);
    let i = o.events.iter().position(|e| *e == aborted).unwrap();
    assert_eq!(
        o.events[i + 1],
        Ev::Hello(embedded_smtp::syntax::Verb::Ehlo, "y".into())
    );
    let o = check(config(), with(bdat_pre(), &[b"BDAT 3\r\nabc", b"QUIT\r\n"]));
    assert_eq!(o.events[o.events.len() - 2..], [aborted.clone(), Ev::Close]);
    let mut c = config();
    c.tls_available = true;
    let o = check(
        c,
        with(
            bdat_pre(),
            &[b"BDAT 3\r\nabc", b"STARTTLS\r\n", b"RCPT TO:<x@y>\r\n"],
        ),
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 220, 503]);
    assert!(o.events.contains(&aborted));
    assert!(o.messages().is_empty());
}

#[cfg(not(feature = "chunking"))]
#[test]
fn without_chunking_bdat_is_not_advertised_and_the_setting_is_refused() {
    use embedded_smtp::server::ConfigError;
    // Off by default, and refused when asked for.
    assert!(!config().chunking);
    let mut c = config();
    c.chunking = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("chunking")));
    assert_eq!(
        Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("chunking")
    );
    c.binarymime = true;
    assert_eq!(
        Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("chunking")
    );
    // Not advertised; BDAT after EHLO is 502 and the session closes (the
    // chunk's octets would be read as commands); DATA still works.
    let o = check(config(), with(bdat_pre(), &[b"BDAT 5 LAST\r\nhello"]));
    assert!(!o.text().contains("CHUNKING"), "{}", o.text());
    assert_eq!(o.codes(), [220, 250, 250, 250, 502]);
    assert!(o.closed);
    assert!(o.messages().is_empty());
    let o = check(config(), with(pre(), &[b"hi\r\n.\r\n"]));
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250]);
    // BODY=BINARYMIME is not advertised either: 555.
    let o = check(
        config(),
        vec![
            seg("EHLO x\r\n"),
            seg("MAIL FROM:<a@b> BODY=BINARYMIME\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 555]);
}
