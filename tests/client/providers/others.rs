//! Yahoo, iCloud, Fastmail, Amazon SES, SendGrid, and refusals from the MXs.

use embedded_smtp::client::{AuthConfig, TlsPolicy};
use embedded_smtp::syntax::{AuthMechanism, Extension};

use super::script::{EHLO_PLAIN, GREETING, Run, Script, check, tail};
use super::*;

#[test]
fn yahoo_plain_refused() {
    let t = load("yahoo-submission-auth-refused");
    let run = replay(&t, implicit(password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    // "8 BITMIME" is not 8BITMIME; XYMCOOKIE is not a known mechanism.
    assert!(!caps.has(Extension::EightBitMime));
    assert!(caps.has(Extension::Pipelining));
    assert_eq!(caps.size_limit(), Some(41_697_280));
    assert_eq!(
        mechanisms(&caps),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2
        ]
    );
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 2));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.0"))
    );
    assert_eq!(
        failed.lines,
        [b"(#AUTH005) Too many bad auth attempts.".to_vec()]
    );
}

#[test]
fn icloud_plain_without_initial_response_and_bare_334() {
    let t = load("icloud-auth-plain");
    let long: &'static str = "p".repeat(400).leak();
    let run = replay(&t, implicit(Some(AuthConfig::password(USER, long))), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let challenge = reply_of(&run, "AuthChallenge");
    expect_reply(challenge, step(&t, 2));
    assert_eq!(challenge.lines, [Vec::<u8>::new()]);
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 3));
    assert_eq!((ok.code, ok.enhanced.as_deref()), (235, Some("2.7.0")));
}

#[test]
fn fastmail_unauthenticated_mail_refused() {
    let t = load("fastmail-unauthenticated");
    let mut c = implicit(None);
    c.pipelining = false;
    let env = message(USER, "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(71_000_000));
    // "AUTH PLAIN LOGIN" and the old "AUTH=PLAIN LOGIN" agree.
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    assert_eq!(
        mechanisms(&old_auth_form_alone(step(&t, 1))),
        mechanisms(&caps)
    );
    let refused = reply_of(&run, "MailFrom");
    expect_reply(refused, step(&t, 2));
    assert_eq!(
        (refused.code, refused.enhanced.as_deref()),
        (530, Some("5.7.1"))
    );
    let (failed, _) = only(&run, "Failed");
    assert!(failed.contains("Mail") && failed.contains("Permanent"));
}

// ---------------------------------------------------------------------------
// Amazon SES, SendGrid

const SES_BODY: &[u8] = b"Subject: Amazon SES SMTP test\r\n\r\nhello\r\n";

#[test]
fn amazon_ses_plain_then_delivered() {
    let t = load("amazon-ses-delivered");
    let env = message("sender@example.com", "recipient@example.com").size(SES_BODY.len() as u64);
    let run = replay(&t, implicit(password()), vec![(env, SES_BODY)]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    // "250 Ok" ends the list; it is not a keyword. No PIPELINING: lock-step.
    assert_eq!(caps.size_limit(), Some(10_485_760));
    assert!(caps.has(Extension::EightBitMime) && !caps.has(Extension::Pipelining));
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 2));
    assert_eq!(ok.enhanced, None);
    expect_reply(reply_of(&run, "SendBody"), step(&t, 5));
    let delivered = reply_of(&run, "Delivered");
    expect_reply(delivered, step(&t, 6));
    assert_eq!(run.delivered(), 1);
}

#[test]
fn amazon_ses_unverified_sender_refused_after_the_data() {
    let t = load("amazon-ses-unverified");
    let env = message(
        "root@ip-172-31-38-21.eu-west-1.compute.internal",
        "recipient@example.com",
    );
    let run = replay(&t, implicit(password()), vec![(env, SES_BODY)]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let (failed, reply) = only(&run, "Failed");
    assert!(failed.contains("Content") && failed.contains("Permanent"));
    let reply = reply.unwrap();
    expect_reply(reply, step(&t, 6));
    assert_eq!((reply.code, reply.enhanced.as_deref()), (554, None));
    assert_eq!(run.delivered(), 0);
}

fn sendgrid_caps(t: &Transcript, run: &Run) {
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(31_457_280));
    assert!(caps.has(Extension::StartTls) && caps.has(Extension::Pipelining));
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    // The old "AUTH=PLAIN LOGIN" alone says the same.
    assert_eq!(
        mechanisms(&old_auth_form_alone(step(t, 1))),
        mechanisms(&caps)
    );
}

#[test]
fn sendgrid_plain_refused_with_451() {
    let t = load("sendgrid-auth-refused");
    let mut c = config(TlsPolicy::Never, password());
    c.allow_plaintext_auth = true;
    let run = replay(&t, c, vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    sendgrid_caps(&t, &run);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 2));
    assert_eq!((failed.code, failed.enhanced.as_deref()), (451, None));
}

#[test]
fn sendgrid_unauthenticated_mail_refused() {
    let t = load("sendgrid-unauthenticated");
    let mut c = config(TlsPolicy::Never, None);
    c.pipelining = false;
    let env = message(USER, "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    sendgrid_caps(&t, &run);
    let refused = reply_of(&run, "MailFrom");
    expect_reply(refused, step(&t, 2));
    assert_eq!((refused.code, refused.enhanced.as_deref()), (550, None));
    let (failed, _) = only(&run, "Failed");
    assert!(failed.contains("Mail") && failed.contains("Permanent"));
}

// ---------------------------------------------------------------------------
// Single refusals in a synthetic session

#[test]
fn refusals_reach_the_caller_with_code_and_text() {
    let text = read("refusals.txt");
    let mut chunks: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("@entry:") {
            chunks.push(String::new());
        }
        if let Some(c) = chunks.last_mut() {
            c.push_str(line);
            c.push('\n');
        }
    }
    assert!(chunks.len() >= 7);
    let mut phases = Vec::new();
    for chunk in &chunks {
        let t = parse("refusals.txt", chunk);
        let name = t.field("entry").unwrap().to_string();
        let phase = t.field("phase").unwrap().to_string();
        assert_eq!(t.steps.len(), 1, "{name}: one reply");
        assert!(t.tail.is_empty());
        let block: &'static [u8] = t.steps[0].1.clone().leak();
        assert_eq!(replies_of(&t, block), 1, "{name}");
        let code = block[0];
        let closes = block.starts_with(b"421");

        // The harness's server, not the provider's, up to the refusal.
        let mut steps: Vec<(&'static [u8], &'static [u8])> = vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"x\r\n.\r\n", b"250 queued\r\n"),
        ];
        let (at, failed_phase) = match phase.as_str() {
            "mail" => (2, "Mail"),
            "rcpt" => (3, "Recipients"),
            "final" => (5, "Content"),
            p => panic!("{name}: phase {p}"),
        };
        steps.truncate(at + 1);
        steps[at].1 = block;
        let script = Script::new(script::plain_config(), steps).message(script::env(), b"x");
        let run = check(&script);
        assert!(run.errors.is_empty(), "{name}: {:?}", run.errors);

        let kind = if code == b'4' {
            "Transient"
        } else {
            "Permanent"
        };
        let (failed, failed_reply) = only(&run, "Failed");
        assert!(
            failed.contains(failed_phase) && failed.contains(kind),
            "{name}: {failed}"
        );
        // The reply comes with the event of its command; a 421, which
        // closes the session, with the failure itself.
        let seen = match (phase.as_str(), closes) {
            (_, true) | ("final", _) => failed_reply.unwrap(),
            ("mail", false) => reply_of(&run, "MailFrom"),
            _ => reply_of(&run, "Recipient"),
        };
        expect_reply(seen, block);
        assert_eq!(run.delivered(), 0, "{name}");
        if closes {
            assert!(
                run.closed && tail(&run).is_empty(),
                "{name}: no QUIT after 421"
            );
        } else if phase == "final" {
            assert_eq!(tail(&run), b"QUIT\r\n", "{name}");
        } else {
            assert_eq!(tail(&run), b"RSET\r\n", "{name}");
        }
        phases.push(phase);
    }
    for p in ["mail", "rcpt", "final"] {
        assert!(phases.iter().any(|q| q == p), "no {p} refusal");
    }
}
