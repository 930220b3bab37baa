//! Microsoft 365 (Exchange Online) and Exchange Server on premises.

use embedded_smtp::client::{AuthUnavailable, ClientError, TlsPolicy};
use embedded_smtp::syntax::{AuthMechanism, Capabilities, Extension};

use super::script::Run;
use super::*;

fn microsoft_caps(run: &Run) -> (Capabilities, Capabilities) {
    assert_eq!(run.hellos.len(), 2);
    let (pre, pre_tls) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(!pre_tls && post_tls);
    assert!(pre.has(Extension::StartTls) && !pre.has(Extension::Auth));
    assert!(!post.has(Extension::StartTls));
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(157_286_400));
        for ext in [
            Extension::Pipelining,
            Extension::Dsn,
            Extension::EnhancedStatusCodes,
            Extension::EightBitMime,
            Extension::BinaryMime,
            Extension::Chunking,
            Extension::SmtpUtf8,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    // No PLAIN after STARTTLS.
    assert_eq!(
        mechanisms(&post),
        [AuthMechanism::Login, AuthMechanism::XOAuth2]
    );
    (pre, post)
}

#[cfg(feature = "xoauth2")]
#[test]
fn microsoft365_xoauth2_after_starttls() {
    use embedded_smtp::client::AuthConfig;
    let t = load("microsoft365-xoauth2");
    let auth = Some(AuthConfig::XOAuth2 {
        user: USER,
        token: "token",
    });
    let run = replay(&t, config(TlsPolicy::Required, auth), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    microsoft_caps(&run);
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 4));
    assert_eq!((ok.code, ok.enhanced.as_deref()), (235, Some("2.7.0")));
}

#[test]
fn microsoft365_password_goes_by_login_and_is_refused() {
    let t = load("microsoft365-login-refused");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    microsoft_caps(&run);
    let challenges = run.with_reply("AuthChallenge");
    assert_eq!(challenges.len(), 2);
    expect_reply(challenges[0].1.unwrap(), step(&t, 4));
    expect_reply(challenges[1].1.unwrap(), step(&t, 5));
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 6));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.139"))
    );
    // The [Hostname timestamp id] suffix is in the text the caller gets.
    assert!(failed.lines[0].ends_with(
        b"[ROAP284CA0246.BRAP284.PROD.OUTLOOK.COM 2024-11-09T18:52:38.365Z 08DD00AC0E70755C]"
    ));
}

// ---------------------------------------------------------------------------
// Exchange Server on premises

/// Exchange's own keywords change nothing: the capabilities are those of
/// the same reply without them.
fn without_exchange_keywords(reply: &[u8]) -> Capabilities {
    let text = std::str::from_utf8(reply).unwrap();
    let mut lines = text.lines().map(|l| &l[4..]);
    let first = lines.next().unwrap();
    let kept: Vec<&str> = lines
        .filter(|l| {
            !["X-EXPS", "XEXCH50", "XRDST", "XSHADOW", "X-ANONYMOUSTLS"]
                .iter()
                .any(|k| l.split(' ').next() == Some(k))
        })
        .collect();
    caps_of(&ehlo(first, &kept))
}

#[test]
fn exchange_login_only_after_starttls() {
    let t = load("exchange-login-after-starttls");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(run.hellos.len(), 2);
    let (pre, _) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(post_tls);
    // "AUTH NTLM": no mechanism this crate knows, so no AUTH at all.
    assert!(!pre.has(Extension::Auth) && pre.auth().is_empty());
    assert_eq!(mechanisms(&post), [AuthMechanism::Login]);
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(10_485_760));
        for ext in [
            Extension::Pipelining,
            Extension::Dsn,
            Extension::BinaryMime,
            Extension::Chunking,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    assert_eq!(pre, without_exchange_keywords(step(&t, 1)));
    assert_eq!(post, without_exchange_keywords(step(&t, 3)));

    assert_eq!(run.with_reply("AuthChallenge").len(), 2);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 6));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.3"))
    );
}

#[test]
fn exchange_ntlm_only_is_auth_unavailable_before_mail() {
    let t = load("exchange-ntlm-only");
    let mut c = config(TlsPolicy::Never, password());
    c.allow_plaintext_auth = true;
    let env = message("a@c.example", "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    // A clear error, not a protocol error; nothing authenticated, no MAIL.
    assert_eq!(
        run.errors,
        [ClientError::AuthUnavailable(
            AuthUnavailable::NoCommonMechanism
        )]
    );
    assert!(
        run.errors[0]
            .to_string()
            .contains("no AUTH mechanism in common")
    );
    let wire = run.wire.concat();
    assert!(!wire.windows(4).any(|w| w == b"AUTH"));
    assert!(!wire.windows(4).any(|w| w == b"MAIL"));
    let caps = run.hellos[0].0;
    assert!(!caps.has(Extension::Auth));
    assert_eq!(caps, without_exchange_keywords(step(&t, 1)));
}

#[cfg(feature = "chunking")]
#[test]
fn exchange_binarymime_goes_by_bdat() {
    use super::script::{esc, tail};
    use embedded_smtp::client::{Envelope, Recipient};
    use embedded_smtp::syntax::Body;
    let t = load("exchange-ntlm-only");
    let rcpts: &'static [Recipient<'static>] = vec![Recipient::new("b@s.example").unwrap()].leak();
    let env = Envelope::new("a@c.example", rcpts)
        .unwrap()
        .body(Body::BinaryMime);
    let run = run_with(&t, config(TlsPolicy::Never, None), vec![(env, b"\x00\xff")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    // PIPELINING and CHUNKING: MAIL and RCPT in one flight, no DATA; the
    // content waits for the replies (not in the source).
    assert_eq!(
        esc(tail(&run)),
        esc(b"MAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<b@s.example>\r\n")
    );
}

// ---------------------------------------------------------------------------
// Yahoo, iCloud, Fastmail
