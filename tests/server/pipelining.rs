//! PIPELINING synchronization (RFC 2920 §3.1, §3.2; rule D8: PIP-01..04),
//! STARTTLS as a hard boundary (RFC 3207; rule D6: TLS-01..06), deadlines
//! and timeouts (rule D12: RES-02), and the caller-facing API contract
//! (backpressure, decisions, errors).

use core::time::Duration;

use crate::support::server_harness::*;
use embedded_smtp::server::{
    DecisionKind, Event, Phase, PipeliningPolicy, Server, ServerConfig, ServerError,
};
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms, EnhancedCode, Invalid, ReplyCode};

fn s(x: &str) -> Seg {
    seg(x)
}

fn tls() -> ServerConfig<'static> {
    let mut c = config();
    c.tls_available = true;
    c
}

#[test]
fn pip01_four_replies_in_order_for_one_segment() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 354]);
}

#[test]
fn pip01_replies_are_flushed_when_the_input_is_drained() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    let step = server.feed(b"EHLO x\r\n", &mut out).unwrap();
    assert!(matches!(step.event, Event::Hello { .. }));
    let step = server.feed(b"", &mut out).unwrap();
    assert_eq!(step.event, Event::NeedInput);
    // RSET and an unknown command: no event, both replies, then NeedInput.
    let step = server.feed(b"RSET\r\nFOO\r\nMA", &mut out).unwrap();
    assert_eq!((step.consumed, step.event), (11, Event::NeedInput));
    assert_eq!(
        &out[..step.written],
        b"250 2.0.0 Ok\r\n500 5.5.2 Error: command not recognized\r\n"
    );
}

#[test]
fn pip02_all_recipients_rejected_then_data_is_554() {
    let o = Script::new(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n"),
        ],
    )
    .policy(&|e| match e {
        Ev::Rcpt(..) => Decision::Reject,
        _ => Decision::Accept,
    })
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 550, 550, 554]);
    assert!(!o.events.contains(&Ev::DataStart));
}

#[test]
fn pip03_bytes_behind_a_group_ending_command() {
    for segment in ["EHLO x\r\nMAIL FROM:<a@b>\r\n", "NOOP\r\nRSET\r\n"] {
        let o = check(config(), vec![atomic(segment)]);
        assert_eq!(o.codes(), [220, 554], "{segment}");
        assert_eq!(
            o.replies()[1].1,
            "554 5.5.0 Error: SMTP protocol synchronization\r\n"
        );
        assert!(o.closed);
        assert!(o.events.is_empty() || o.events == [Ev::Close]);
    }
    // Lenient: processed in order.
    let mut c = config();
    c.pipelining_violations = PipeliningPolicy::Lenient;
    let o = check(
        c,
        vec![
            atomic("EHLO x\r\nMAIL FROM:<a@b>\r\n"),
            atomic("NOOP\r\nRSET\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250]);
    // DATA ends a group: content behind it in the same segment is a violation.
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RCPT TO:<c@d>\r\n"),
            atomic("DATA\r\nhi\r\n.\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 554]);
    assert!(!o.events.contains(&Ev::DataStart));
}

#[test]
fn pip04_no_pipelining_after_helo_or_when_not_advertised() {
    let o = check(
        config(),
        vec![
            s("HELO x\r\n"),
            atomic("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 554]);
    let mut c = config();
    c.pipelining = false;
    let o = check(
        c,
        vec![
            s("EHLO x\r\n"),
            atomic("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 554]);
    assert!(!o.text().contains("PIPELINING"));
    // Each command on its own is fine.
    let mut c = config();
    c.pipelining = false;
    let o = check(
        c,
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RCPT TO:<c@d>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250]);
}

#[test]
fn pip04_early_talker() {
    let o = Script::new(config(), vec![s("EHLO x\r\n")])
        .no_greeting()
        .check();
    assert_eq!(o.codes(), [554]);
    assert!(o.closed);
    let mut c = config();
    c.pipelining_violations = PipeliningPolicy::Lenient;
    let o = Script::new(c, vec![s("EHLO x\r\n")]).no_greeting().check();
    assert_eq!(o.codes(), [220, 250]);
    // greet after an early-talker close is refused.
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 2048];
    let step = server.feed(b"EHLO x\r\n", &mut out).unwrap();
    assert_eq!(step.event, Event::Close);
    assert_eq!(server.greet(&mut out), Err(ServerError::Closed));
}

#[test]
fn tls01_plaintext_behind_starttls_is_refused() {
    let o = check(
        tls(),
        vec![
            s("EHLO x\r\n"),
            atomic("STARTTLS\r\nEHLO commandinjectiontester\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 554]);
    assert!(o.closed);
    assert!(!o.events.contains(&Ev::StartTls));
    assert!(
        !o.events
            .iter()
            .any(|e| matches!(e, Ev::Hello(_, d) if d.starts_with("command")))
    );
    // Even under the lenient pipelining policy (rule D6).
    let mut c = tls();
    c.pipelining_violations = PipeliningPolicy::Lenient;
    let o = check(
        c,
        vec![
            s("EHLO x\r\n"),
            atomic("STARTTLS\r\nEHLO commandinjectiontester\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 554]);
}

#[test]
fn tls_handshake_resets_and_stops_advertising_starttls() {
    let o = check(
        tls(),
        vec![s("EHLO x\r\n"), s("STARTTLS\r\n"), s("EHLO x\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 220, 250]);
    assert_eq!(o.replies()[2].1, "220 2.0.0 Ready to start TLS\r\n");
    let (before, after) = (&o.replies()[1].1, &o.replies()[3].1);
    assert!(before.contains("STARTTLS"));
    assert!(!after.contains("STARTTLS"));
    assert_eq!(o.events[1], Ev::StartTls);
}

#[test]
fn tls03_parameters_unavailable_not_advertised() {
    let o = check(tls(), vec![s("EHLO x\r\n"), s("STARTTLS foo\r\n")]);
    assert_eq!(o.codes(), [220, 250, 501]);
    let o = check(config(), vec![s("EHLO x\r\n"), s("STARTTLS\r\n")]);
    assert_eq!(o.codes(), [220, 250, 502]);
    let mut server = Server::new(tls()).unwrap();
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    server.set_tls_ready(false);
    server.feed(b"EHLO x\r\n", &mut out).unwrap();
    let step = server.feed(b"STARTTLS\r\n", &mut out).unwrap();
    assert_eq!(
        &out[..step.written],
        b"454 4.7.0 TLS not available due to temporary reason\r\n"
    );
}

#[test]
fn tls04_starttls_twice() {
    let o = check(
        tls(),
        vec![
            s("EHLO x\r\n"),
            s("STARTTLS\r\n"),
            s("EHLO x\r\n"),
            s("STARTTLS\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 220, 250, 554]);
    assert_eq!(o.replies()[4].1, "554 5.5.1 Error: TLS already active\r\n");
}

#[test]
fn tls05_everything_is_forgotten_after_the_handshake() {
    let mut c = tls();
    c.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
    c.auth_without_tls = true;
    let o = check(
        c,
        vec![
            s("EHLO a\r\n"),
            s("AUTH PLAIN AHRlc3QAMTIzNA==\r\n"),
            s("MAIL FROM:<x@y>\r\n"),
            s("STARTTLS\r\n"),
            s("RCPT TO:<z@w>\r\n"),
            s("MAIL FROM:<x@y>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 235, 250, 220, 503, 503]);
    assert_eq!(
        o.replies()[5].1,
        "503 5.5.1 Error: send HELO/EHLO first\r\n"
    );
}

#[test]
fn tls06_tls_required_refuses_everything_but_four_commands() {
    let mut c = tls();
    c.tls_required = true;
    c.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
    let o = check(
        c,
        vec![
            s("NOOP\r\n"),
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("AUTH PLAIN AHRlc3QAMTIzNA==\r\n"),
            s("HELO x\r\n"),
            s("FOO\r\n"),
            s("STARTTLS\r\n"),
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    );
    assert_eq!(
        o.codes(),
        [220, 250, 250, 530, 530, 530, 530, 220, 250, 250]
    );
    assert_eq!(
        o.replies()[3].1,
        "530 5.7.0 Must issue a STARTTLS command first\r\n"
    );
    assert!(!o.replies()[2].1.contains("AUTH"));
    assert!(o.replies()[8].1.contains("AUTH PLAIN"));
}

#[test]
fn res02_deadlines_and_timeout() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 2048];
    assert_eq!(server.deadline(), None);
    server.greet(&mut out).unwrap();
    assert_eq!(server.deadline(), Some(Duration::from_secs(300)));
    assert_eq!(server.phase(), Phase::Command);
    server.feed(b"EHLO x\r\n", &mut out).unwrap();
    server.feed(b"MAIL FROM:<a@b>\r\n", &mut out).unwrap();
    assert_eq!(
        server.deadline(),
        None,
        "a decision is the application's time"
    );
    assert_eq!(server.phase(), Phase::Decision(DecisionKind::Mail));
    server.accept(&mut out).unwrap();
    server.feed(b"RCPT TO:<c@d>\r\n", &mut out).unwrap();
    server.accept(&mut out).unwrap();
    server.feed(b"DATA\r\n", &mut out).unwrap();
    assert_eq!(server.deadline(), Some(Duration::from_secs(300)));
    assert_eq!(server.phase(), Phase::Data);
    let n = server.timeout(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        b"421 4.4.2 mx.example Error: timeout exceeded\r\n"
    );
    assert!(server.is_closed());
    assert_eq!(server.deadline(), None);
    assert_eq!(server.feed(b"x", &mut out), Err(ServerError::Closed));
}

#[test]
fn decisions_are_enforced() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    assert_eq!(server.accept(&mut out), Err(ServerError::NoDecisionPending));
    server.feed(b"EHLO x\r\n", &mut out).unwrap();
    let step = server.feed(b"MAIL FROM:<a@b>\r\n", &mut out).unwrap();
    assert!(matches!(step.event, Event::Mail { .. }));
    assert_eq!(
        server.feed(b"", &mut out),
        Err(ServerError::DecisionPending)
    );
    // 3xx never; a control byte never; a mismatched enhanced code never.
    let r = |c| ReplyCode::new(c).unwrap();
    assert_eq!(
        server.respond(r(354), None, "x", &mut out),
        Err(ServerError::InvalidReply(Invalid::ReplyCode))
    );
    assert_eq!(
        server.respond(r(550), None, "a\r\nb", &mut out),
        Err(ServerError::InvalidReply(Invalid::ControlByte))
    );
    assert_eq!(
        server.respond(r(550), Some(EnhancedCode::OK), "x", &mut out),
        Err(ServerError::InvalidReply(Invalid::ReplyCode))
    );
    // A reply longer than one 512-octet line (the room `feed` kept for
    // it) is refused even with room to spare; nothing written, still
    // pending. 500 octets of text: "550 " + 500 + CRLF = 506 fits.
    let mut roomy = [0u8; 2048];
    let long = "x".repeat(507);
    assert_eq!(
        server.respond(r(550), None, &long, &mut roomy),
        Err(ServerError::InvalidReply(Invalid::TooLong))
    );
    let words = "word ".repeat(120);
    assert_eq!(
        server.respond(r(550), None, words.trim_end(), &mut roomy),
        Err(ServerError::InvalidReply(Invalid::TooLong))
    );
    assert_eq!(server.phase(), Phase::Decision(DecisionKind::Mail));
    let fits = "y".repeat(506);
    let mut exact = [0u8; 512];
    let n = server.respond(r(550), None, &fits, &mut exact).unwrap();
    assert_eq!(n, 512);
    assert!(exact.starts_with(b"550 yyy") && exact.ends_with(b"y\r\n"));
    // The MAIL was refused: a new one is taken.
    let step = server.feed(b"MAIL FROM:<a@b>\r\n", &mut out).unwrap();
    assert!(matches!(step.event, Event::Mail { .. }));
    // Too small a buffer: nothing written, still pending.
    let mut tiny = [0u8; 4];
    assert!(matches!(
        server.accept(&mut tiny),
        Err(ServerError::BufferTooSmall { .. })
    ));
    assert_eq!(server.phase(), Phase::Decision(DecisionKind::Mail));
    let n = server
        .respond(
            r(451),
            Some(EnhancedCode::SYSTEM_ERROR),
            "try later",
            &mut out,
        )
        .unwrap();
    assert_eq!(&out[..n], b"451 4.3.0 try later\r\n");
    // The MAIL was refused: RCPT is out of sequence.
    let step = server.feed(b"RCPT TO:<c@d>\r\n", &mut out).unwrap();
    assert!(out[..step.written].starts_with(b"503 "));
}

#[test]
fn respond_421_closes() {
    let o = Script::new(
        config(),
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b>\r\n"), s("NOOP\r\n")],
    )
    .policy(&|_| Decision::Respond(421, Some((4, 3, 2)), "shutting down"))
    .check();
    assert_eq!(o.codes(), [220, 250, 421]);
    assert!(o.closed);
}

#[test]
fn backpressure_consumes_nothing_without_room() {
    let mut server = Server::new(config()).unwrap();
    let mut out = vec![0u8; server.output_room()];
    server.greet(&mut out).unwrap();
    let mut small = [0u8; 100];
    assert_eq!(
        server.feed(b"NOOP\r\n", &mut small),
        Err(ServerError::BufferTooSmall {
            needed: server.output_room()
        })
    );
    // Two pipelined errors with room for one: Flush after the first.
    let room = server.output_room();
    let mut big = vec![0u8; room + 40];
    server.feed(b"EHLO x\r\n", &mut big).unwrap();
    let step = server.feed(b"FOO\r\nBAR\r\n", &mut big).unwrap();
    assert_eq!((step.consumed, step.event), (5, Event::Flush));
    let step = server.feed(b"BAR\r\n", &mut big).unwrap();
    assert_eq!((step.consumed, step.event), (5, Event::NeedInput));
}

#[test]
fn tls_established_only_after_starttls() {
    let mut server = Server::new(tls()).unwrap();
    assert_eq!(server.tls_established(), Err(ServerError::WrongState));
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    assert_eq!(server.greet(&mut out), Err(ServerError::WrongState));
    server.feed(b"EHLO x\r\n", &mut out).unwrap();
    let step = server.feed(b"STARTTLS\r\n", &mut out).unwrap();
    assert_eq!(step.event, Event::StartTls);
    assert_eq!(server.phase(), Phase::TlsHandshake);
    assert_eq!(server.feed(b"", &mut out), Err(ServerError::WrongState));
    server.tls_established().unwrap();
    assert_eq!(server.phase(), Phase::Command);
}

#[test]
fn bare_cr_in_a_command_line_is_never_executed() {
    let o = check(
        config(),
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b>\rRCPT TO:<c@d>\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 550]);
    assert!(o.closed);
    let mut c = config();
    c.bare_lf_reply = embedded_smtp::server::BareLfReply::Disconnect521;
    let o = check(c, vec![s("EHLO x\r\n"), s("NOOP\nNOOP\r\n")]);
    assert_eq!(o.codes(), [220, 250, 521]);
}

#[test]
fn end_of_input_with_a_pending_message_decision_is_an_abort() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 2048];
    server.greet(&mut out).unwrap();
    for line in [
        &b"EHLO x\r\n"[..],
        b"MAIL FROM:<a@b>\r\n",
        b"RCPT TO:<c@d>\r\n",
    ] {
        let step = server.feed(line, &mut out).unwrap();
        if step.event != Event::NeedInput && !matches!(step.event, Event::Hello { .. }) {
            server.accept(&mut out).unwrap();
        }
    }
    server.feed(b"DATA\r\n", &mut out).unwrap();
    let input = b"hi\r\n.\r\n";
    let step = server.feed(input, &mut out).unwrap();
    assert_eq!(step.event, Event::Data(b"hi\r\n"));
    let step = server.feed(&input[step.consumed..], &mut out).unwrap();
    assert_eq!(step.event, Event::MessageEnd);
    assert_eq!(
        server.end_of_input(),
        Event::MessageAborted(embedded_smtp::server::AbortReason::Eof)
    );
    assert!(server.is_closed());
    assert_eq!(server.end_of_input(), Event::Close);
}

#[test]
fn a_quiet_end_of_input_is_a_close() {
    let o = Script::new(config(), vec![s("EHLO x\r\n")]).eof().check();
    assert_eq!(o.events.last(), Some(&Ev::Close));
    assert!(o.closed);
}

#[test]
fn output_room_covers_the_longest_ehlo_reply() {
    let server = Server::new(config()).unwrap();
    assert_eq!(server.output_room(), Server::MIN_ROOM);
    let long = Box::leak(format!("{}.example", "a".repeat(60)).into_boxed_str());
    let mut c = ServerConfig::new(long);
    c.greeting_text = "x";
    assert!(Server::new(c).unwrap().output_room() >= Server::MIN_ROOM);
}

#[test]
fn message_decision_may_be_temporary() {
    let o = Script::new(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
            s("hi\r\n.\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    )
    .policy(&|e| match e {
        Ev::MessageEnd => Decision::Respond(451, Some((4, 3, 0)), "Local error, try again"),
        _ => Decision::Accept,
    })
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 451, 250]);
    assert_eq!(o.replies()[5].1, "451 4.3.0 Local error, try again\r\n");
}
