//! Gmail: submission with STARTTLS and PLAIN, XOAUTH2 as Google documents it, the MX.

use embedded_smtp::client::TlsPolicy;
use embedded_smtp::syntax::{AuthMechanism, Extension};

use super::*;

#[test]
fn gmail_submission_starttls_then_plain_refused() {
    let t = load("gmail-submission-auth-failed");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    expect_reply(reply_of(&run, "Greeting"), step(&t, 0));
    assert!(run.has_event("StartTls"));

    // Before TLS: STARTTLS, no AUTH. After: AUTH, no STARTTLS (TLS-09).
    assert_eq!(run.hellos.len(), 2);
    let (pre, pre_tls) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(!pre_tls && post_tls);
    assert!(pre.has(Extension::StartTls) && !pre.has(Extension::Auth));
    assert!(!post.has(Extension::StartTls) && post.has(Extension::Auth));
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(35_882_577));
        for ext in [
            Extension::EightBitMime,
            Extension::EnhancedStatusCodes,
            Extension::Pipelining,
            Extension::Chunking,
            Extension::SmtpUtf8,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    // PLAIN-CLIENTTOKEN and XOAUTH are not mechanisms this crate knows.
    assert_eq!(
        mechanisms(&post),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2,
            AuthMechanism::OAuthBearer
        ]
    );
    assert_eq!(pre, caps_of(step(&t, 1)));

    // The refusal reaches the caller whole; the session goes on to QUIT.
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 4));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.8"))
    );
    assert_eq!(failed.lines.len(), 2);
    assert!(!run.has_event("Authenticated"));
    expect_reply(reply_of(&run, "Closed"), step(&t, 5));
    assert!(run.closed);
}

#[cfg(feature = "xoauth2")]
fn google_doc_xoauth2() -> Option<embedded_smtp::client::AuthConfig<'static>> {
    use embedded_smtp::client::AuthConfig;
    // The user and token of Google's example.
    Some(AuthConfig::XOAuth2 {
        user: "someuser@example.com",
        token: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    })
}

#[cfg(feature = "xoauth2")]
#[test]
fn gmail_xoauth2_initial_response_is_googles() {
    let t = load("gmail-xoauth2-accepted");
    let run = replay(&t, implicit(google_doc_xoauth2()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(35_651_584));
    assert!(caps.has(Extension::Pipelining) && !caps.has(Extension::Chunking));
    // XOAUTH (version 1) is ignored.
    assert_eq!(
        mechanisms(&caps),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2
        ]
    );
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 2));
    assert_eq!(ok.lines, [b"Accepted".to_vec()]);
}

#[cfg(feature = "xoauth2")]
#[test]
fn gmail_xoauth2_error_challenge_gets_an_empty_line() {
    let t = load("gmail-xoauth2-error");
    let run = replay(&t, implicit(google_doc_xoauth2()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let challenge = reply_of(&run, "AuthChallenge");
    expect_reply(challenge, step(&t, 2));
    assert_eq!(challenge.enhanced, None);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 3));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.1"))
    );
    assert!(!run.has_event("Authenticated"));
}

#[cfg(feature = "chunking")]
#[test]
fn gmail_mx_unknown_recipient_reaches_the_caller() {
    let t = load("gmail-mx-no-such-user");
    let env = message("me@gmail.com", "somenonexistinguser@gmail.com");
    let run = replay(&t, config(TlsPolicy::Never, None), vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(157_286_400));
    for ext in [
        Extension::Pipelining,
        Extension::Chunking,
        Extension::SmtpUtf8,
        Extension::StartTls,
    ] {
        assert!(caps.has(ext), "{ext}");
    }
    assert_eq!(caps, caps_of(step(&t, 1)));

    // One server step answers MAIL and RCPT.
    let answers = step(&t, 2);
    assert_eq!(replies_of(&t, answers), 2);
    let (mail, rcpt) = answers.split_at(b"250 2.1.0 OK d72si22370812qhc.8 - gsmtp\r\n".len());
    expect_reply(reply_of(&run, "MailFrom"), mail);
    let (event, refused) = only(&run, "Recipient");
    assert!(event.contains("index: 0"));
    let refused = refused.unwrap();
    expect_reply(refused, rcpt);
    assert_eq!(
        (refused.code, refused.enhanced.as_deref()),
        (550, Some("5.1.1"))
    );
    assert_eq!(refused.lines.len(), 4);
    let (failed, reply) = only(&run, "Failed");
    assert!(failed.contains("Recipients") && failed.contains("Permanent"));
    assert_eq!(reply, None, "already reported with the Recipient event");
    assert_eq!(run.delivered(), 0);
}

// ---------------------------------------------------------------------------
// Microsoft 365 (Exchange Online)
