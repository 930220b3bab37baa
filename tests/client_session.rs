//! Client rows of smtp-rules.md about the session: TLS-09..12 and rule D6,
//! RPL-01..10, AUT-01/AUT-10, RES-08, RES-09. Every script runs whole, byte
//! by byte and split at every point.

#[path = "common/client_script.rs"]
mod script;

use core::time::Duration;

use embedded_smtp::client::{
    AuthConfig, ClientConfig, ClientError, Envelope, FailureKind, Phase, ProtocolError, Recipient,
    TlsPolicy,
};
use embedded_smtp::{AuthMechanism, Client, ClientEvent, Extension, ReplyCode, ReplyError};
use script::{Script, check, plain_config, tail};

const GREETING: &[u8] = b"220 s.example ESMTP\r\n";

fn rcpts() -> &'static [Recipient<'static>] {
    static R: std::sync::OnceLock<[Recipient<'static>; 1]> = std::sync::OnceLock::new();
    R.get_or_init(|| [Recipient::new("b@s.example").unwrap()])
}

fn env() -> Envelope<'static> {
    Envelope::new("a@c.example", rcpts()).unwrap()
}

fn tls_config(policy: TlsPolicy) -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example").unwrap();
    c.tls = policy;
    c
}

const TX: &[u8] = b"MAIL FROM:<a@c.example>\r\n";

/// TLS-09: post-TLS capabilities only. Pre-TLS PLAIN and LOGIN; post-TLS
/// only SCRAM, which this client does not speak: no PLAIN, no LOGIN.
#[test]
fn tls09_pre_tls_capabilities_are_forgotten() {
    let mut c = tls_config(TlsPolicy::Required);
    c.auth = Some(AuthConfig::password("u", "p"));
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
            ),
            (b"STARTTLS\r\n", b"220 go ahead\r\n"),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250 AUTH SCRAM-SHA-256\r\n",
            ),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"x");
    let run = check(&s);
    assert_eq!(run.errors, [ClientError::AuthUnavailable]);
    assert!(!run.wire.concat().windows(4).any(|w| w == b"AUTH"));

    // Post-TLS LOGIN only: LOGIN is used although PLAIN was offered before.
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
            ),
            (b"STARTTLS\r\n", b"220 go ahead\r\n"),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250 AUTH LOGIN\r\n",
            ),
            (b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n"),
            (b"dQ==\r\n", b"334 UGFzc3dvcmQ6\r\n"),
            (b"cA==\r\n", b"235 2.7.0 ok\r\n"),
            (TX, b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"x");
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(run.has_event("Authenticated"));
}

/// TLS-10: STARTTLS stripped (not advertised, or EHLO refused and HELO
/// used): abort before AUTH, MAIL or data; QUIT.
#[test]
fn tls10_stripped_starttls_aborts_under_required() {
    let mut c = tls_config(TlsPolicy::Required);
    c.auth = Some(AuthConfig::password("u", "p"));
    for steps in [
        vec![
            (&b""[..], GREETING),
            (
                b"EHLO c.example\r\n",
                &b"250-s.example\r\n250 AUTH PLAIN\r\n"[..],
            ),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
        vec![
            (&b""[..], GREETING),
            (b"EHLO c.example\r\n", &b"500 what?\r\n"[..]),
            (b"HELO c.example\r\n", b"250 s.example\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    ] {
        let run = check(&Script::new(c, steps).message(env(), b"x"));
        assert_eq!(run.errors, [ClientError::TlsUnavailable]);
        assert!(run.closed);
        assert_eq!(tail(&run), b"");
    }
}

/// TLS-11: any refusal of STARTTLS aborts under Required (421 closes
/// without QUIT; 354 is a protocol error). Opportunistic goes on in
/// plaintext, without credentials.
#[test]
fn tls11_starttls_refused() {
    for reply in [
        &b"502 no\r\n"[..],
        b"454 4.7.0 TLS not available\r\n",
        b"501 x\r\n",
        b"530 x\r\n",
        b"500 x\r\n",
    ] {
        let s = Script::new(
            tls_config(TlsPolicy::Required),
            vec![
                (b"", GREETING),
                (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
                (b"STARTTLS\r\n", reply),
                (b"QUIT\r\n", b"221 bye\r\n"),
            ],
        )
        .message(env(), b"x");
        let run = check(&s);
        assert_eq!(run.errors, [ClientError::TlsUnavailable], "{reply:?}");
        assert!(run.has_event("TlsRefused"));
    }
    let s = Script::new(
        tls_config(TlsPolicy::Required),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
            (b"STARTTLS\r\n", b"421 closing\r\n"),
        ],
    );
    let run = check(&s);
    assert!(run.has_event("Closing") && run.closed && tail(&run).is_empty());
    let s = Script::new(
        tls_config(TlsPolicy::Required),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
            (b"STARTTLS\r\n", b"354 go on\r\n"),
        ],
    );
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Unexpected(
            ReplyCode::new(354).unwrap()
        ))]
    );
    assert!(run.closed);

    // Opportunistic: plaintext, and credentials are still not sent.
    let mut c = tls_config(TlsPolicy::Opportunistic);
    let steps = vec![
        (&b""[..], GREETING),
        (
            b"EHLO c.example\r\n",
            &b"250-s.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"[..],
        ),
        (b"STARTTLS\r\n", b"454 not now\r\n"),
        (TX, b"250 ok\r\n"),
        (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
        (b"DATA\r\n", b"354 go\r\n"),
        (b"x\r\n.\r\n", b"250 ok\r\n"),
        (b"QUIT\r\n", b"221 bye\r\n"),
    ];
    assert_eq!(
        check(&Script::new(c, steps.clone()).message(env(), b"x")).delivered(),
        1
    );
    c.auth = Some(AuthConfig::password("u", "p"));
    let run = check(&Script::new(c, steps[..3].to_vec()).message(env(), b"x"));
    assert_eq!(run.errors, [ClientError::AuthUnavailable]);
    assert_eq!(tail(&run), b"QUIT\r\n");
}

/// TLS-12: STARTTLS advertised again inside TLS is ignored.
#[test]
fn tls12_no_second_starttls() {
    let s = Script::new(
        tls_config(TlsPolicy::Required),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
            (b"STARTTLS\r\n", b"220 go ahead\r\n"),
            (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
            (TX, b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"x");
    assert_eq!(check(&s).delivered(), 1);
}

/// Rule D6: plaintext after the 220 to STARTTLS is a violation, however
/// it is split; nothing more is written.
#[test]
fn d6_bytes_after_the_starttls_220() {
    let s = Script::new(
        tls_config(TlsPolicy::Required),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", b"250-s.example\r\n250 STARTTLS\r\n"),
            (
                b"STARTTLS\r\n",
                b"220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n",
            ),
        ],
    );
    let run = check(&s);
    assert!(run.has_event("StartTls"));
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::AfterStartTls)]
    );
    assert!(run.closed);
    assert_eq!(tail(&run), b"");
}

#[test]
fn implicit_tls_skips_starttls_and_allows_auth() {
    let mut c = tls_config(TlsPolicy::Required);
    c.implicit_tls = true;
    c.auth = Some(AuthConfig::password("test", "1234"));
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250 AUTH PLAIN LOGIN\r\n",
            ),
            // RFC 4954 §4.1's example response.
            (
                b"AUTH PLAIN AHRlc3QAMTIzNA==\r\n",
                b"235 2.7.0 Authentication successful\r\n",
            ),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert!(run.has_event("Authenticated"));
}

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
    let (_, ev) = c.feed(b"250 2.1.0 ok\r\n").unwrap();
    let ClientEvent::MailFrom(r) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(r.enhanced().map(|e| e.to_string()), Some("2.1.0".into()));
    c.transmit(Some(&env()), &mut out).unwrap();
    let (_, ev) = c.feed(b"550 2.1.0 x\r\n").unwrap();
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
    assert_eq!(c.feed(b"250 o").unwrap(), (0, ClientEvent::NeedMore));
    let f = c.eof().unwrap();
    assert_eq!(
        (f.phase, f.kind, f.reply),
        (Phase::Mail, FailureKind::Transient, None)
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

fn auth_script(
    c: ClientConfig<'static>,
    steps: Vec<(&'static [u8], &'static [u8])>,
) -> script::Run {
    let mut all = vec![
        (&b""[..], GREETING),
        (
            &b"EHLO c.example\r\n"[..],
            &b"250-s.example\r\n250 AUTH PLAIN LOGIN XOAUTH2\r\n"[..],
        ),
    ];
    all.extend(steps);
    check(&Script::new(c, all))
}

fn auth_config(a: AuthConfig<'static>) -> ClientConfig<'static> {
    let mut c = plain_config();
    c.allow_plaintext_auth = true;
    c.auth = Some(a);
    c
}

#[test]
fn aut01_plain_initial_response_and_fallback_over_512() {
    let run = auth_script(
        auth_config(AuthConfig::password("test", "1234")),
        vec![
            (b"AUTH PLAIN AHRlc3QAMTIzNA==\r\n", b"235 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    assert!(run.has_event("Authenticated"));
    // A password long enough to push the line over 512: `AUTH PLAIN`,
    // wait for `334 `, then the response.
    let long: &'static str = "p".repeat(400).leak();
    let mut response = vec![0u8; 1024];
    let n = embedded_smtp::sasl::plain_response("", "test", long, &mut response).unwrap();
    let mut line = response[..n].to_vec();
    line.extend_from_slice(b"\r\n");
    let run = auth_script(
        auth_config(AuthConfig::password("test", long)),
        vec![
            (b"AUTH PLAIN\r\n", b"334 \r\n"),
            (line.leak(), b"235 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    assert!(run.has_event("Authenticated"));
}

#[test]
fn aut_xoauth2_error_challenge_gets_an_empty_line() {
    let a = AuthConfig::XOAuth2 {
        user: "u@x",
        token: "tok",
    };
    let mut resp = [0u8; 128];
    let n = embedded_smtp::sasl::xoauth2_response("u@x", "tok", &mut resp).unwrap();
    let mut line = b"AUTH XOAUTH2 ".to_vec();
    line.extend_from_slice(&resp[..n]);
    line.extend_from_slice(b"\r\n");
    let line: &'static [u8] = line.leak();
    let run = auth_script(
        auth_config(a),
        vec![
            (line, b"334 eyJzdGF0dXMiOiI0MDEifQ==\r\n"),
            (b"\r\n", b"535 5.7.8 bad token\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    assert!(run.has_event("AuthFailed"));
    assert!(!run.has_event("Authenticated"));
}

#[test]
fn aut10_bad_challenges_are_cancelled_and_rounds_bounded() {
    // Undecodable challenge: `*`, then the server's 501 ends the exchange.
    let run = auth_script(
        auth_config(AuthConfig::password("u", "p")),
        vec![
            (b"AUTH PLAIN AHUAcA==\r\n", b"334 !!!\r\n"),
            (b"*\r\n", b"501 cancelled\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    assert!(run.has_event("AuthFailed"));
    // A 20 000-octet challenge passes the reply line limit: abort.
    let big: &'static [u8] = {
        let mut v = b"334 ".to_vec();
        v.extend(std::iter::repeat_n(b'A', 20_000));
        v.extend_from_slice(b"\r\n");
        v.leak()
    };
    let run = auth_script(
        auth_config(AuthConfig::password("u", "p")),
        vec![(b"AUTH PLAIN AHUAcA==\r\n", big)],
    );
    assert_eq!(
        run.errors,
        [ClientError::Protocol(ProtocolError::Reply(
            ReplyError::LineTooLong
        ))]
    );
    // Never over plaintext unless allowed.
    let mut c = plain_config();
    c.auth = Some(AuthConfig::password("u", "p"));
    let run = check(&Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250 AUTH PLAIN LOGIN\r\n",
            ),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    ));
    assert_eq!(run.errors, [ClientError::AuthUnavailable]);
}

#[test]
fn aut10_login_rounds_are_bounded() {
    let mut c = plain_config();
    c.allow_plaintext_auth = true;
    c.auth = Some(AuthConfig::password("u", "p"));
    let run = check(&Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250 AUTH LOGIN\r\n",
            ),
            (b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n"),
            (b"dQ==\r\n", b"334 UGFzc3dvcmQ6\r\n"),
            (b"cA==\r\n", b"334 UGFzc3dvcmQ6\r\n"),
            (b"*\r\n", b"334 UGFzc3dvcmQ6\r\n"),
        ],
    ));
    assert_eq!(run.errors, [ClientError::Protocol(ProtocolError::Auth)]);
    assert!(run.closed);
}

#[test]
fn auth_failure_leaves_the_session_usable() {
    let run = auth_script(
        auth_config(AuthConfig::password("u", "p")),
        vec![
            (b"AUTH PLAIN AHUAcA==\r\n", b"535 5.7.8 bad credentials\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    assert!(run.has_event("AuthFailed"));
    assert!(run.errors.is_empty());
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
            let (n, ev) = c.feed(&buf).unwrap();
            let more = ev == ClientEvent::NeedMore;
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
    let (n, _) = c.feed(&line[..15]).unwrap();
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
    assert_eq!((f.phase, f.kind), (Phase::Content, FailureKind::Transient));
    assert!(c.is_closed());
    // Never shorter than 10 minutes for the final reply.
    let mut cfg = plain_config();
    cfg.timeouts.data_final = Duration::from_secs(599);
    assert!(Client::new(cfg).is_err());
}
