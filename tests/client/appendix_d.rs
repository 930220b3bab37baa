//! RFC 5321 Appendix D.1–D.4 from the client side (CNF-01): given the
//! server's lines, the client writes exactly the client's lines.

use crate::support::client_script as script;

use embedded_smtp::client::{Envelope, Recipient};
use script::{Script, check, plain_config};

const EHLO_REPLY: &[u8] =
    b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n";

#[test]
fn d1_typical_transaction() {
    let mut config = plain_config();
    config.helo = "bar.com";
    let rcpts = [
        Recipient::new("Jones@foo.com").unwrap(),
        Recipient::new("Green@foo.com").unwrap(),
        Recipient::new("Brown@foo.com").unwrap(),
    ];
    let env = Envelope::new("Smith@bar.com", &rcpts).unwrap();
    let body: &[u8] = b"Blah blah blah...\r\n...etc. etc. etc.\r\n";
    let steps: Vec<(&[u8], &[u8])> = vec![
        (b"", b"220 foo.com Simple Mail Transfer Service Ready\r\n"),
        (b"EHLO bar.com\r\n", EHLO_REPLY),
        (b"MAIL FROM:<Smith@bar.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Jones@foo.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Green@foo.com>\r\n", b"550 No such user here\r\n"),
        (b"RCPT TO:<Brown@foo.com>\r\n", b"250 OK\r\n"),
        (
            b"DATA\r\n",
            b"354 Start mail input; end with <CRLF>.<CRLF>\r\n",
        ),
        (
            // The content line "...etc." starts with a period: stuffed.
            b"Blah blah blah...\r\n....etc. etc. etc.\r\n.\r\n",
            b"250 OK\r\n",
        ),
        (
            b"QUIT\r\n",
            b"221 foo.com Service closing transmission channel\r\n",
        ),
    ];
    let run = check(&Script::new(config, steps).message(env, body));
    assert_eq!(run.delivered(), 1);
    assert!(run.closed);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let rcpt: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.starts_with("Recipient"))
        .collect();
    assert_eq!(rcpt.len(), 3);
    assert!(rcpt[1].contains("index: 1") && rcpt[1].contains("code: ReplyCode(550)"));
}

#[test]
fn d2_aborted_transaction() {
    let mut config = plain_config();
    config.helo = "bar.com";
    let rcpts = [
        Recipient::new("Jones@foo.com").unwrap(),
        Recipient::new("Green@foo.com").unwrap(),
    ];
    let env = Envelope::new("Smith@bar.com", &rcpts).unwrap();
    let steps: Vec<(&[u8], &[u8])> = vec![
        (b"", b"220 foo.com Simple Mail Transfer Service Ready\r\n"),
        (b"EHLO bar.com\r\n", EHLO_REPLY),
        (b"MAIL FROM:<Smith@bar.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Jones@foo.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Green@foo.com>\r\n", b"550 No such user here\r\n"),
        (b"RSET\r\n", b"250 OK\r\n"),
        (
            b"QUIT\r\n",
            b"221 foo.com Service closing transmission channel\r\n",
        ),
    ];
    let mut script = Script::new(config, steps).message(env, b"x");
    // The application gives up when a recipient is refused.
    script.hook = Some(|client, event, _| {
        if event.starts_with("Recipient") && event.contains("ReplyCode(550)") {
            client.abort().unwrap();
        }
    });
    let run = check(&script);
    assert_eq!(run.delivered(), 0);
    assert!(run.has_event("Reset"));
    assert!(!run.has_event("Failed"));
}

#[test]
fn d3_relay() {
    let mut config = plain_config();
    config.helo = "bar.com";
    let rcpts = [Recipient::new("Jones@XYZ.COM").unwrap()];
    let env = Envelope::new("JQP@bar.com", &rcpts).unwrap();
    let body: &[u8] = b"Date: Thu, 21 May 1998 05:33:29 -0700\r\n\
From: John Q. Public <JQP@bar.com>\r\n\
Subject: The Next Meeting of the Board\r\n\
To: Jones@xyz.com\r\n\
\r\n\
Bill:\r\n\
The next meeting of the board of directors will be\r\n\
on Tuesday.\r\n\
John.\r\n";
    let mut expected_body = body.to_vec();
    expected_body.extend_from_slice(b".\r\n");
    let steps: Vec<(&[u8], &[u8])> = vec![
        (b"", b"220 foo.com Simple Mail Transfer Service Ready\r\n"),
        (b"EHLO bar.com\r\n", EHLO_REPLY),
        (b"MAIL FROM:<JQP@bar.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Jones@XYZ.COM>\r\n", b"250 OK\r\n"),
        (
            b"DATA\r\n",
            b"354 Start mail input; end with <CRLF>.<CRLF>\r\n",
        ),
        (&expected_body, b"250 OK\r\n"),
        (
            b"QUIT\r\n",
            b"221 foo.com Service closing transmission channel\r\n",
        ),
    ];
    let run = check(&Script::new(config, steps).message(env, body));
    assert_eq!(run.delivered(), 1);
}

#[test]
fn d4_verifying_and_sending() {
    let mut config = plain_config();
    config.helo = "bar.com";
    let rcpts = [Recipient::new("Admin.MRC@foo.com").unwrap()];
    let env = Envelope::new("EAK@bar.com", &rcpts).unwrap();
    let steps: Vec<(&[u8], &[u8])> = vec![
        (b"", b"220 foo.com Simple Mail Transfer Service Ready\r\n"),
        (
            b"EHLO bar.com\r\n",
            b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250-VRFY\r\n250 HELP\r\n",
        ),
        (b"VRFY Crispin\r\n", b"250 Mark Crispin <Admin.MRC@foo.com>\r\n"),
        (b"MAIL FROM:<EAK@bar.com>\r\n", b"250 OK\r\n"),
        (b"RCPT TO:<Admin.MRC@foo.com>\r\n", b"250 OK\r\n"),
        (b"DATA\r\n", b"354 Start mail input; end with <CRLF>.<CRLF>\r\n"),
        (
            // The content line "...etc." starts with a period: stuffed.
            b"Blah blah blah...\r\n....etc. etc. etc.\r\n.\r\n",
            b"250 OK\r\n",
        ),
        (
            b"QUIT\r\n",
            b"221 foo.com Service closing transmission channel\r\n",
        ),
    ];
    let mut script =
        Script::new(config, steps).message(env, b"Blah blah blah...\r\n...etc. etc. etc.");
    // The application verifies before sending: VRFY once the session is
    // ready (written straight into the output, like a message's body).
    script.no_quit = false;
    script.hook = Some(|client, event, wire| {
        if event.starts_with("Hello") {
            let mut out = [0u8; 64];
            let n = client.vrfy("Crispin", &mut out).unwrap();
            wire.extend_from_slice(&out[..n]);
        }
    });
    let run = check(&script);
    assert_eq!(run.delivered(), 1);
    assert!(run.events[2].starts_with("Reply"), "{:?}", run.events);
}
