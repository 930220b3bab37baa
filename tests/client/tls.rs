//! Client rows of docs/rules.md about STARTTLS and AUTH: TLS-09..12, rule
//! D6, implicit TLS, AUT-01, AUT-10. Every script runs whole, byte by byte
//! and split at every point.

use crate::support::client_script as script;

use embedded_smtp::client::{
    AuthConfig, AuthUnavailable, ClientConfig, ClientError, Envelope, ProtocolError, Recipient,
    TlsPolicy,
};
use embedded_smtp::syntax::ReplyCode;
use embedded_smtp::syntax::ReplyError;
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
    let mut c = ClientConfig::new("c.example");
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
    assert_eq!(
        run.errors,
        [ClientError::AuthUnavailable(
            AuthUnavailable::NoCommonMechanism
        )]
    );
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
    assert_eq!(
        run.errors,
        [ClientError::AuthUnavailable(AuthUnavailable::NotEncrypted)]
    );
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

#[cfg(feature = "xoauth2")]
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
    assert_eq!(
        run.errors,
        [ClientError::AuthUnavailable(AuthUnavailable::NotEncrypted)]
    );
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

/// Credentials that cannot be used end the session before MAIL with a
/// reason, never a protocol error: a server that offers only NTLM and
/// GSSAPI (Exchange on premises) has no mechanism in common with a
/// password; one that offers no AUTH, or answered only HELO, offers none.
#[test]
fn auth_unavailable_says_why_before_mail() {
    let mut c = plain_config();
    c.auth = Some(AuthConfig::password("u", "p"));
    c.allow_plaintext_auth = true;
    let cases: [(&[&[u8]], AuthUnavailable); 3] = [
        (
            &[b"250-s.example\r\n250-AUTH NTLM GSSAPI\r\n250 PIPELINING\r\n"],
            AuthUnavailable::NoCommonMechanism,
        ),
        (
            &[b"250-s.example\r\n250 PIPELINING\r\n"],
            AuthUnavailable::NotOffered,
        ),
        (
            &[b"500 unrecognized\r\n", b"250 s.example\r\n"],
            AuthUnavailable::NotOffered,
        ),
    ];
    for (hello, why) in cases {
        let mut steps = vec![(&b""[..], GREETING), (b"EHLO c.example\r\n", hello[0])];
        if let Some(helo) = hello.get(1) {
            steps.push((b"HELO c.example\r\n", helo));
        }
        steps.push((b"QUIT\r\n", b"221 bye\r\n"));
        let run = check(&Script::new(c, steps).message(env(), b"x"));
        assert_eq!(run.errors, [ClientError::AuthUnavailable(why)], "{why:?}");
        let wire = run.wire.concat();
        assert!(!wire.windows(4).any(|w| w == b"AUTH" || w == b"MAIL"));
        assert!(
            ClientError::AuthUnavailable(why)
                .to_string()
                .contains(&why.to_string())
        );
    }
    assert!(
        ClientError::AuthUnavailable(AuthUnavailable::NoCommonMechanism)
            .to_string()
            .contains("no AUTH mechanism in common")
    );
}
