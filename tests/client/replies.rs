//! Client rows of docs/rules.md about replies and resources: RPL-01..10,
//! RES-08, RES-09. Every script runs whole, byte by byte and split at every
//! point.

use crate::support::client_script as script;

use core::time::Duration;
use embedded_smtp::client::Step;
use embedded_smtp::client::{ClientError, Envelope, FailureKind, ProtocolError, Recipient, Stage};
use embedded_smtp::{
    Client,
    client::Event as ClientEvent,
    syntax::{AuthMechanism, Extension, ReplyCode, ReplyError},
};
use script::{Script, check, plain_config, tail};

const GREETING: &[u8] = b"220 s.example ESMTP\r\n";

fn rcpts() -> &'static [Recipient<'static>] {
    static R: std::sync::OnceLock<[Recipient<'static>; 1]> = std::sync::OnceLock::new();
    R.get_or_init(|| [Recipient::new("b@s.example").unwrap()])
}

fn env() -> Envelope<'static> {
    Envelope::new("a@c.example", rcpts()).unwrap()
}

const TX: &[u8] = b"MAIL FROM:<a@c.example>\r\n";

fn session_with(replies_to_mail: &'static [u8]) -> Script<'static> {
    Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250 s.example\r\n"),
            (TX, replies_to_mail),
        ],
    )
    .message(env(), b"x")
}

#[test]
fn rpl01_code_only_replies() {
    for r in [&b"250 OK\r\n"[..], b"250\r\n", b"250 \r\n"] {
        let mut steps = session_with(b"").steps;
        steps[2].1 = r;
        steps.push((b"RCPT TO:<b@s.example>\r\n", r));
        steps.push((b"DATA\r\n", b"354\r\n"));
        steps.push((b"x\r\n.\r\n", r));
        steps.push((b"QUIT\r\n", b"221\r\n"));
        let run = check(&Script::new(plain_config(), steps).message(env(), b"x"));
        assert_eq!(run.delivered(), 1, "{r:?}");
    }
}

#[test]
fn rpl02_multiline_and_code_change() {
    let mut s = session_with(b"250-a\r\n250-b\r\n250 c\r\n");
    s.steps
        .push((b"RCPT TO:<b@s.example>\r\n", b"250-a\r\n251 b\r\n"));
    let run = check(&s);
    assert!(run.has_event("MailFrom"));
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Reply(
            ReplyError::CodeMismatch
        ))]
    );
    assert!(run.closed);
    // The same in an EHLO reply, folded line by line.
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250-s.example\r\n251 SIZE\r\n"),
        ],
    );
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Reply(
            ReplyError::CodeMismatch
        ))]
    );
}

#[test]
fn rpl04_malformed_codes_and_unknown_valid_codes() {
    for bad in [
        &b"2500 x\r\n"[..],
        b"25 x\r\n",
        b"2x0 x\r\n",
        b"099 x\r\n",
        b"600 x\r\n",
        b"150 x\r\n",
        b"250x\r\n",
        b"250 a\nb\r\n",
    ] {
        let run = check(&session_with(bad));
        assert!(
            matches!(
                run.errors[..],
                [ClientError::Protocol(ProtocolError::Reply(_))]
            ),
            "{bad:?}: {:?}",
            run.errors
        );
        assert!(run.closed);
        assert_eq!(tail(&run), b"");
    }
    // Unknown but valid codes: by the first digit only.
    let mut s = session_with(b"253 odd but fine\r\n");
    s.steps
        .push((b"RCPT TO:<b@s.example>\r\n", b"432 later\r\n"));
    s.steps.push((b"RSET\r\n", b"250 ok\r\n"));
    s.steps.push((b"QUIT\r\n", b"221 bye\r\n"));
    let run = check(&s);
    assert!(
        run.events.iter().any(|e| e.starts_with("Failed")
            && e.contains("Recipients")
            && e.contains("Transient"))
    );
    // 538 to MAIL: a permanent failure.
    let mut s = session_with(b"538 encryption required\r\n");
    s.steps.push((b"RSET\r\n", b"250 ok\r\n"));
    s.steps.push((b"QUIT\r\n", b"221 bye\r\n"));
    let run = check(&s);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Mail") && e.contains("Permanent"))
    );
}

#[test]
fn rpl06_unsolicited_replies() {
    // Nothing outstanding after the greeting's EHLO reply.
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250 s.example\r\n250 OK\r\n"),
        ],
    );
    let mut s = s;
    s.no_quit = true;
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Unsolicited(
            ReplyCode::OK
        ))]
    );
    // After the final 250 to the content.
    let mut s = session_with(b"250 ok\r\n");
    s.no_quit = true;
    s.steps.push((b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"));
    s.steps.push((b"DATA\r\n", b"354 go\r\n"));
    s.steps.push((b"x\r\n.\r\n", b"250 ok\r\n250 ok\r\n"));
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Unsolicited(
            ReplyCode::OK
        ))]
    );
    // An asynchronous 421 is the exception.
    let mut s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250 s.example\r\n421 4.3.2 shutting down\r\n",
            ),
        ],
    );
    s.no_quit = true;
    let run = check(&s);
    assert!(run.errors.is_empty());
    assert!(run.has_event("Closing") && run.closed);
}

#[test]
fn rpl07_mismatched_enhanced_codes_are_ignored() {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    c.feed(b"250 s.example\r\n").unwrap();
    c.send(&env()).unwrap();
    c.transmit(Some(&env()), &mut out).unwrap();
    let Step { event: ev, .. } = c.feed(b"250 2.1.0 ok\r\n").unwrap();
    let ClientEvent::MailFrom(r) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(r.enhanced().map(|e| e.to_string()), Some("2.1.0".into()));
    c.transmit(Some(&env()), &mut out).unwrap();
    let Step { event: ev, .. } = c.feed(b"550 2.1.0 x\r\n").unwrap();
    let ClientEvent::Recipient { reply, .. } = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(reply.enhanced(), None);
}

#[test]
fn rpl08_421_and_eof_are_transient_and_never_delivered() {
    // 421 to RCPT: the transaction failed transiently; closed, no QUIT.
    let mut s = session_with(b"250 ok\r\n");
    s.steps
        .push((b"RCPT TO:<b@s.example>\r\n", b"421 4.4.2 timeout\r\n"));
    let run = check(&s);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Transient"))
    );
    assert!(run.closed && tail(&run).is_empty());
    // 421 as the final reply.
    let mut s = session_with(b"250 ok\r\n");
    s.steps.push((b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"));
    s.steps.push((b"DATA\r\n", b"354 go\r\n"));
    s.steps.push((b"x\r\n.\r\n", b"421 bye\r\n"));
    let run = check(&s);
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.contains("Content") && e.contains("Transient"))
    );
    // EOF mid-reply, and after the content before the final reply.
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    c.feed(b"250 s.example\r\n").unwrap();
    c.send(&env()).unwrap();
    c.transmit(Some(&env()), &mut out).unwrap();
    assert_eq!(
        c.feed(b"250 o").unwrap(),
        Step {
            consumed: 0,
            event: ClientEvent::NeedInput
        }
    );
    let f = c.eof().unwrap();
    assert_eq!(
        (f.stage, f.kind, f.reply),
        (Stage::Mail, FailureKind::Transient, None)
    );
    assert!(c.is_closed());
}

#[test]
fn rpl09_greetings() {
    let run = check(&Script::new(
        plain_config(),
        vec![
            (b"", b"220-a\r\n220 b\r\n"),
            (b"EHLO c.example\r\n", b"250 s\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    ));
    assert!(run.errors.is_empty());
    let run = check(
        &Script::new(
            plain_config(),
            vec![(b"", b"554 go away\r\n"), (b"QUIT\r\n", b"221 bye\r\n")],
        )
        .message(env(), b"x"),
    );
    assert!(run.has_event("Refused") && run.closed);
    let run = check(&Script::new(plain_config(), vec![(b"", b"421 busy\r\n")]));
    assert!(run.has_event("Closing") && run.closed && tail(&run).is_empty());
    for bad in [&b"354 x\r\n"[..], b"221 x\r\n", b"250 x\r\n", b"550 x\r\n"] {
        let run = check(&Script::new(plain_config(), vec![(b"", bad)]));
        assert!(matches!(
            run.errors[..],
            [ClientError::Protocol(ProtocolError::Unexpected(_))]
        ));
        assert!(tail(&run).is_empty());
    }
    // 354 to EHLO or MAIL.
    let run = check(&Script::new(
        plain_config(),
        vec![(b"", GREETING), (b"EHLO c.example\r\n", b"354 x\r\n")],
    ));
    assert!(matches!(
        run.errors[..],
        [ClientError::Protocol(ProtocolError::Unexpected(_))]
    ));
    let run = check(&session_with(b"354 x\r\n"));
    assert!(matches!(
        run.errors[..],
        [ClientError::Protocol(ProtocolError::Unexpected(_))]
    ));
}

#[test]
fn rpl10_ehlo_keywords() {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    let ehlo = b"250-s.example\r\n250-SIZE\r\n250-size 1000\r\n250-SIZE abc\r\n250-AUTH=LOGIN PLAIN\r\n250-8BIT MIME\r\n250 PIPELINING\r\n";
    c.feed(ehlo).unwrap();
    let caps = c.capabilities();
    assert!(caps.has(Extension::Size) && caps.has(Extension::Pipelining));
    assert_eq!(caps.size_limit(), Some(1000));
    assert!(caps.auth().contains(AuthMechanism::Login));
    assert!(!caps.has(Extension::EightBitMime));
}

#[test]
fn res08_huge_ehlo_reply_in_bounded_memory() {
    let mut reply = b"250-s.example\r\n".to_vec();
    for i in 0..10_000 {
        reply.extend_from_slice(format!("250-X-KEYWORD-{i} some params\r\n").as_bytes());
    }
    reply.extend_from_slice(b"250-AUTH PLAIN X-UNKNOWN-1 X-UNKNOWN-2\r\n250 PIPELINING\r\n");
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    // A 600-byte receive buffer: lines are consumed as they complete.
    let mut buf: Vec<u8> = Vec::new();
    let mut events = 0;
    for piece in reply.chunks(600 - 100) {
        buf.extend_from_slice(piece);
        loop {
            let Step {
                consumed: n,
                event: ev,
            } = c.feed(&buf).unwrap();
            let more = ev == ClientEvent::NeedInput;
            buf.drain(..n);
            if more {
                break;
            }
            events += 1;
        }
        assert!(buf.len() < 600);
    }
    assert_eq!(events, 1);
    assert!(c.is_ready());
    assert!(c.capabilities().has(Extension::Pipelining));
    assert!(c.capabilities().auth().contains(AuthMechanism::Plain));

    // A 100 KB AUTH line passes the reply line limit: a bounded protocol
    // error, never a bigger buffer.
    let mut c = Client::new(plain_config()).unwrap();
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    let mut line = b"250-s.example\r\n250-AUTH".to_vec();
    while line.len() < 100_000 {
        line.extend_from_slice(b" X-MECH");
    }
    let Step { consumed: n, .. } = c.feed(&line[..15]).unwrap();
    assert_eq!(n, 15);
    assert_eq!(
        c.feed(&line[15..]),
        Err(ClientError::Protocol(ProtocolError::Reply(
            ReplyError::LineTooLong
        )))
    );
}

#[test]
fn res09_deadlines_per_phase_and_timeout_is_transient() {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    let m = |s| Some(Duration::from_secs(s));
    assert_eq!(c.deadline(), m(300));
    c.feed(GREETING).unwrap();
    assert_eq!(c.deadline(), None); // EHLO due, not sent
    c.transmit(None, &mut out).unwrap();
    assert_eq!(c.deadline(), m(300));
    c.feed(b"250 s.example\r\n").unwrap();
    assert_eq!(c.deadline(), None);
    c.send(&env()).unwrap();
    c.transmit(Some(&env()), &mut out).unwrap();
    assert_eq!(c.deadline(), m(300)); // MAIL
    c.feed(b"250 ok\r\n").unwrap();
    c.transmit(Some(&env()), &mut out).unwrap();
    assert_eq!(c.deadline(), m(300)); // RCPT
    c.feed(b"250 ok\r\n").unwrap();
    c.transmit(Some(&env()), &mut out).unwrap();
    assert_eq!(c.deadline(), m(120)); // DATA initiation
    c.feed(b"354 go\r\n").unwrap();
    assert_eq!(c.deadline(), m(180)); // data block
    c.body(b"x", &mut out).unwrap();
    c.finish_body(&mut out).unwrap();
    assert_eq!(c.deadline(), m(600)); // final reply
    let f = c.timeout().unwrap();
    assert_eq!((f.stage, f.kind), (Stage::Content, FailureKind::Transient));
    assert!(c.is_closed());
    // Never shorter than 10 minutes for the final reply.
    let mut cfg = plain_config();
    cfg.timeouts.data_final = Duration::from_secs(599);
    assert!(Client::new(cfg).is_err());
}
