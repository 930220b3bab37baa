//! MAIL/RCPT parameters gated on what was advertised (rule D14: EXT-01,
//! EXT-03, EXT-04, EXT-08) and AUTH (RFC 4954: AUT-01..09).

use crate::support::server_harness::*;
use embedded_smtp::built;
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms};

fn s(x: &str) -> Seg {
    seg(x)
}

/// EHLO then one MAIL line (and optionally a RCPT); returns the codes after the greeting and EHLO.
fn mail(c: ServerConfig<'static>, lines: &[&str]) -> Vec<u16> {
    let mut segs = vec![s("EHLO x\r\n")];
    segs.extend(lines.iter().map(|l| seg(format!("{l}\r\n"))));
    check(c, segs).codes()[2..].to_vec()
}

#[test]
fn ext01_size_parameter() {
    let mut c = config();
    c.max_message_size = 1000;
    for (line, code) in [
        ("MAIL FROM:<a@b> SIZE=abc", 501),
        ("MAIL FROM:<a@b> SIZE=", 501),
        ("MAIL FROM:<a@b> SIZE=1 SIZE=2", 501),
        ("MAIL FROM:<a@b> SIZE=123456789012345678901234567890", 552),
        ("MAIL FROM:<a@b> SIZE=1001", 552),
        ("MAIL FROM:<a@b> SIZE=1000", 250),
    ] {
        assert_eq!(mail(c, &[line]), [code], "{line}");
    }
    let o = check(c, vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b> SIZE=1001\r\n")]);
    assert_eq!(
        o.replies()[2].1,
        "552 5.3.4 Error: message size exceeds fixed limit\r\n"
    );
    // A temporary storage shortage is the application's 452.
    let o = Script::new(c, vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b> SIZE=10\r\n")])
        .policy(&|_| Decision::Respond(452, Some((4, 3, 1)), "Insufficient system storage"))
        .check();
    assert_eq!(o.codes()[2], 452);
    // No limit: a bare SIZE keyword is advertised, and any SIZE= is fine.
    let mut c = config();
    c.max_message_size = 0;
    let o = check(
        c,
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b> SIZE=99999999999\r\n")],
    );
    assert!(o.text().contains("250-SIZE\r\n"));
    assert_eq!(o.codes()[2], 250);
}

#[test]
fn ext03_unknown_and_malformed_parameters() {
    for (line, code) in [
        ("MAIL FROM:<a@b> FOO=bar", 555),
        ("MAIL FROM:<a@b> X-FOO", 555),
        ("MAIL FROM:<a@b> -X=1", 501),
        ("MAIL FROM:<a@b> FOO=a=b", 501),
        ("MAIL FROM:<a@b> SIZE =1", 501),
        ("MAIL FROM:<a@b> MT-PRIORITY=3", 555),
        ("MAIL FROM:<a@b> HOLDFOR=10", 555),
        ("MAIL FROM:<a@b> BY=120;R", 555),
        ("MAIL FROM:<a@b> BODY=7BIT", 250),
        ("MAIL FROM:<a@b> BODY=8BITMIME", 250),
        ("MAIL FROM:<a@b> BODY=BINARYMIME", 555),
        ("MAIL FROM:<a@b> RET=HDRS", 555),
        ("MAIL FROM:<a@b> REQUIRETLS", 555),
    ] {
        assert_eq!(mail(config(), &[line]), [code], "{line}");
    }
    let mut c = config();
    c.eight_bit_mime = false;
    assert_eq!(mail(c, &["MAIL FROM:<a@b> BODY=8BITMIME"]), [555]);
}

#[cfg(feature = "smtputf8")]
#[test]
fn ext04_smtputf8() {
    let mut c = config();
    c.smtputf8 = true;
    assert_eq!(mail(c, &["MAIL FROM:<ü@x.example>"]), [550]);
    assert_eq!(mail(c, &["MAIL FROM:<ü@x.example> SMTPUTF8"]), [250]);
    assert_eq!(
        mail(c, &["MAIL FROM:<a@x.example>", "RCPT TO:<ü@x.example>"]),
        [250, 553]
    );
    assert_eq!(
        mail(
            c,
            &["MAIL FROM:<a@x.example> SMTPUTF8", "RCPT TO:<ü@x.example>"]
        ),
        [250, 250]
    );
    assert_eq!(mail(c, &["MAIL FROM:<a@b> SMTPUTF8=yes"]), [501]);
    let o = check(c, vec![s("EHLO x\r\n"), s("MAIL FROM:<ü@x.example>\r\n")]);
    assert_eq!(
        o.replies()[2].1,
        "550 5.6.7 Error: non-ASCII address requires SMTPUTF8\r\n"
    );
}

#[test]
fn ext04_smtputf8_not_advertised() {
    // Not advertised (the default, and the only way without the
    // `smtputf8` feature): the parameter is 555 and a UTF-8 path is refused.
    let o = check(config(), vec![s("EHLO x\r\n")]);
    assert!(!o.text().contains("SMTPUTF8"), "{}", o.text());
    assert_eq!(mail(config(), &["MAIL FROM:<a@b> SMTPUTF8"]), [555]);
    assert_eq!(mail(config(), &["MAIL FROM:<ü@x.example>"]), [550]);
    assert_eq!(
        mail(config(), &["MAIL FROM:<a@b>", "RCPT TO:<ü@x.example>"]),
        [250, 553]
    );
}

#[cfg(feature = "dsn")]
#[test]
fn ext08_dsn_parameters() {
    let mut c = config();
    c.dsn = true;
    for (rcpt, code) in [
        ("RCPT TO:<c@d> NOTIFY=NEVER,SUCCESS", 501),
        ("RCPT TO:<c@d> NOTIFY=BOGUS", 501),
        ("RCPT TO:<c@d> NOTIFY=", 501),
        ("RCPT TO:<c@d> NOTIFY=SUCCESS NOTIFY=FAILURE", 501),
        ("RCPT TO:<c@d> NOTIFY=success,failure", 250),
        ("RCPT TO:<c@d> ORCPT=rfc822;c@d", 250),
        ("RCPT TO:<c@d> FOO", 555),
    ] {
        assert_eq!(
            mail(c, &["MAIL FROM:<a@b> RET=FULL ENVID=x", rcpt]),
            [250, code],
            "{rcpt}"
        );
    }
}

#[test]
fn ext08_dsn_parameters_not_advertised() {
    // Not advertised (the default, and the only way without the `dsn`
    // feature): 555 for each DSN parameter, and no DSN keyword.
    let o = check(config(), vec![s("EHLO x\r\n")]);
    assert!(!o.text().contains("DSN"), "{}", o.text());
    for line in ["MAIL FROM:<a@b> RET=FULL", "MAIL FROM:<a@b> ENVID=x"] {
        assert_eq!(mail(config(), &[line]), [555], "{line}");
    }
    assert_eq!(
        mail(
            config(),
            &["MAIL FROM:<a@b>", "RCPT TO:<c@d> ORCPT=rfc822;c@d"]
        ),
        [250, 555]
    );
    assert_eq!(
        mail(config(), &["MAIL FROM:<a@b>", "RCPT TO:<c@d> NOTIFY=NEVER"]),
        [250, 555]
    );
}

// ---------------------------------------------------------------- AUTH

/// PLAIN, LOGIN, and XOAUTH2 in a build that has it (feature `xoauth2`:
/// without it the configuration would be refused).
fn auth_config() -> ServerConfig<'static> {
    let mut c = config();
    let mut auth = AuthMechanisms::empty()
        .with(AuthMechanism::Plain)
        .with(AuthMechanism::Login);
    if built::XOAUTH2 {
        auth = auth.with(AuthMechanism::XOAuth2);
    }
    c.auth = auth;
    c.auth_without_tls = true;
    c
}

/// The AUTH line `auth_config` advertises.
fn auth_keyword() -> &'static str {
    if built::XOAUTH2 {
        "250-AUTH PLAIN LOGIN XOAUTH2\r\n"
    } else {
        "250-AUTH PLAIN LOGIN\r\n"
    }
}

#[test]
fn aut01_rfc4954_plain_examples_byte_exact() {
    // Initial response (RFC 4954 §4.1 example).
    let o = check(
        auth_config(),
        vec![s("EHLO x\r\n"), s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n")],
    );
    assert!(o.replies()[1].1.contains(auth_keyword()), "{}", o.text());
    assert_eq!(o.replies()[2].1, "235 2.7.0 Authentication successful\r\n");
    assert_eq!(o.events[1], Ev::AuthPlain("dGVzdAB0ZXN0ADEyMzQ=".into()));
    // Without: "334 " with the trailing space, then the response.
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH PLAIN\r\n"),
            s("dGVzdAB0ZXN0ADEyMzQ=\r\n"),
        ],
    );
    assert_eq!(o.replies()[2].1, "334 \r\n");
    assert_eq!(o.codes()[3], 235);
    // An empty initial response "=".
    let o = check(auth_config(), vec![s("EHLO x\r\n"), s("AUTH PLAIN =\r\n")]);
    assert_eq!(o.events[1], Ev::AuthPlain(String::new()));
}

#[test]
fn auth_login_keeps_the_user_line_until_the_password() {
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN\r\n"),
            s("dXNlcg==\r\n"),
            s("cGFzcw==\r\n"),
            s("NOOP\r\n"),
        ],
    );
    assert_eq!(o.replies()[2].1, "334 VXNlcm5hbWU6\r\n");
    assert_eq!(o.replies()[3].1, "334 UGFzc3dvcmQ6\r\n");
    assert_eq!(o.codes()[4..], [235, 250]);
    assert_eq!(
        o.events[1],
        Ev::AuthLogin("dXNlcg==".into(), "cGFzcw==".into())
    );
    // With the user name as initial response.
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN dXNlcg==\r\n"),
            s("cGFzcw==\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 235]);
    assert_eq!(
        o.events[1],
        Ev::AuthLogin("dXNlcg==".into(), "cGFzcw==".into())
    );
}

#[cfg(feature = "xoauth2")]
#[test]
fn auth_xoauth2_after_334() {
    let o = check(
        auth_config(),
        vec![s("EHLO x\r\n"), s("AUTH XOAUTH2\r\n"), s("dXNlcg==\r\n")],
    );
    assert_eq!(o.events[1], Ev::AuthXOAuth2("dXNlcg==".into()));
}

#[test]
fn aut02_star_cancels() {
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN\r\n"),
            s("*\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 501, 250]);
    assert_eq!(o.replies()[3].1, "501 5.7.0 Authentication cancelled\r\n");
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN\r\n"),
            s("dXNlcg==\r\n"),
            s("*\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 334, 501]);
}

#[test]
fn aut05_over_long_exchange_line() {
    let long = format!("{}\r\n", "A".repeat(12288));
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH PLAIN\r\n"),
            seg(&long),
            s("NOOP\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 500, 250]);
    assert_eq!(
        o.replies()[3].1,
        "500 5.5.6 Authentication Exchange line is too long\r\n"
    );
    // 12288 octets with the CRLF is allowed.
    let ok = format!("{}\r\n", "A".repeat(12284));
    let o = Script::new(
        auth_config(),
        vec![s("EHLO x\r\n"), s("AUTH PLAIN\r\n"), seg(&ok)],
    )
    .check_coarse(997);
    assert_eq!(o.codes()[2..], [334, 235]);
}

#[test]
fn aut06_auth_refusals() {
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH FOO\r\n"),
            s("AUTH CRAM-MD5 aGk=\r\n"),
            s("AUTH EXTERNAL =\r\n"),
            s("AUTH PLAIN !!!!\r\n"),
            s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n"),
            s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n"),
        ],
    );
    // CRAM-MD5 and EXTERNAL are not offered by this engine: 504 like any
    // unknown mechanism.
    assert_eq!(o.codes()[2..], [504, 504, 504, 501, 235, 503]);
    assert_eq!(
        o.replies()[2].1,
        "504 5.5.4 Unrecognized authentication type\r\n"
    );
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [250, 503]);
    // Plaintext not allowed: 538, and AUTH is not advertised.
    let mut c = auth_config();
    c.auth_without_tls = false;
    let o = check(
        c,
        vec![s("EHLO x\r\n"), s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n")],
    );
    assert!(!o.replies()[1].1.contains("AUTH"));
    assert_eq!(
        o.replies()[2].1,
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
    );
    // Bad credentials.
    let o = Script::new(
        auth_config(),
        vec![s("EHLO x\r\n"), s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n")],
    )
    .policy(&|_| Decision::Reject)
    .check();
    assert_eq!(
        o.replies()[2].1,
        "535 5.7.8 Authentication credentials invalid\r\n"
    );
    // AUTH before EHLO, and without AUTH configured.
    assert_eq!(
        check(auth_config(), vec![s("AUTH PLAIN =\r\n")]).codes()[1],
        503
    );
    assert_eq!(
        check(config(), vec![s("EHLO x\r\n"), s("AUTH PLAIN =\r\n")]).codes()[2],
        502
    );
}

#[test]
fn aut08_failure_budget() {
    let mut segs = vec![s("EHLO x\r\n")];
    for _ in 0..30 {
        segs.push(s("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n"));
    }
    let o = Script::new(auth_config(), segs)
        .policy(&|_| Decision::Reject)
        .check();
    assert_eq!(o.codes()[2..], [535, 535, 535, 421]);
    assert_eq!(
        o.replies()[5].1,
        "421 4.7.0 Error: too many authentication failures\r\n"
    );
    assert!(o.closed);
}

#[test]
fn aut09_auth_mail_parameter() {
    let c = auth_config();
    assert_eq!(mail(c, &["MAIL FROM:<a@b> AUTH=<>"]), [250]);
    assert_eq!(
        mail(c, &["MAIL FROM:<a@b> AUTH=e+3Dmc2@example.com"]),
        [250]
    );
    assert_eq!(mail(c, &["MAIL FROM:<a@b> AUTH=x+0Ay"]), [501]);
    // Not advertised: 555 (rule D14).
    assert_eq!(mail(config(), &["MAIL FROM:<a@b> AUTH=<>"]), [555]);
}

#[test]
fn auth_login_lines_in_one_segment_and_split_anywhere() {
    // The user-name line stays unconsumed until the password arrives,
    // however the two lines are cut.
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN\r\n"),
            s("dXNlcg==\r\ncGFzcw==\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 334, 235]);
    assert_eq!(
        o.events[1],
        Ev::AuthLogin("dXNlcg==".into(), "cGFzcw==".into())
    );
    // A bad password line ends the exchange: 501, one failure.
    let o = check(
        auth_config(),
        vec![
            s("EHLO x\r\n"),
            s("AUTH LOGIN dXNlcg==\r\n"),
            s("!!\r\n"),
            s("NOOP\r\n"),
        ],
    );
    assert_eq!(o.codes()[2..], [334, 501, 250]);
    assert_eq!(o.replies()[3].1, "501 5.5.2 Error: invalid base64 data\r\n");
}

#[test]
fn auth_input_room_covers_two_auth_lines() {
    let server = embedded_smtp::Server::new(auth_config()).unwrap();
    assert_eq!(server.input_room(), 2 * 12288);
    assert_eq!(
        embedded_smtp::Server::new(config()).unwrap().input_room(),
        2048
    );
}

#[test]
fn requiretls_only_under_tls_and_binarymime_with_bdat() {
    let mut c = config();
    c.tls_available = true;
    c.requiretls = true;
    let o = check(
        c,
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b> REQUIRETLS\r\n"),
            s("STARTTLS\r\n"),
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b> REQUIRETLS\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 555, 220, 250, 250]);
    assert!(!o.replies()[1].1.contains("REQUIRETLS"));
    assert!(o.replies()[4].1.contains("250-REQUIRETLS\r\n"));
    // BINARYMIME is part of CHUNKING (feature `chunking`).
    if built::CHUNKING {
        let mut c = config();
        c.binarymime = true;
        let o = check(
            c,
            vec![
                s("EHLO x\r\n"),
                s("MAIL FROM:<a@b> BODY=BINARYMIME\r\n"),
                s("RCPT TO:<c@d>\r\n"),
                seg(b"BDAT 4 LAST\r\n\x00\xff\r\n"),
            ],
        );
        assert_eq!(o.codes(), [220, 250, 250, 250, 250]);
        assert_eq!(o.messages(), vec![b"\x00\xff\r\n".to_vec()]);
    }
}

#[test]
fn aut05_over_long_auth_command_line() {
    let line = format!("AUTH PLAIN {}\r\n", "A".repeat(12288));
    let o = Script::new(
        auth_config(),
        vec![s("EHLO x\r\n"), seg(&line), s("NOOP\r\n")],
    )
    .check_coarse(1009);
    assert_eq!(o.codes()[2..], [500, 250]);
    assert_eq!(
        o.replies()[2].1,
        "500 5.5.6 Authentication Exchange line is too long\r\n"
    );
}

// ------------------------------------------- extensions left out of the build

#[cfg(not(feature = "dsn"))]
#[test]
fn without_dsn_the_setting_is_refused_and_the_parameters_are_unknown() {
    use embedded_smtp::server::ConfigError;
    let mut c = config();
    c.dsn = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("dsn")));
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("dsn")
    );
    let o = check(
        config(),
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b> RET=HDRS\r\n")],
    );
    assert_eq!(
        o.replies()[2].1,
        "555 5.5.4 Error: unsupported parameter\r\n"
    );
    assert_eq!(
        mail(config(), &["MAIL FROM:<a@b>", "RCPT TO:<c@d> NOTIFY=NEVER"]),
        [250, 555]
    );
}

#[cfg(not(feature = "smtputf8"))]
#[test]
fn without_smtputf8_the_setting_is_refused() {
    use embedded_smtp::server::ConfigError;
    let mut c = config();
    c.smtputf8 = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("smtputf8")));
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("smtputf8")
    );
    let o = check(
        config(),
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b> SMTPUTF8\r\n")],
    );
    assert_eq!(
        o.replies()[2].1,
        "555 5.5.4 Error: unsupported parameter\r\n"
    );
}

#[cfg(not(feature = "xoauth2"))]
#[test]
fn without_xoauth2_the_mechanism_is_refused_and_unknown() {
    use embedded_smtp::server::ConfigError;
    let mut c = auth_config();
    c.auth = c.auth.with(AuthMechanism::XOAuth2);
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("xoauth2")));
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("xoauth2")
    );
    // PLAIN and LOGIN only: XOAUTH2 is neither advertised nor run.
    let o = check(
        auth_config(),
        vec![s("EHLO x\r\n"), s("AUTH XOAUTH2 dXNlcg==\r\n")],
    );
    assert!(o.replies()[1].1.contains("250-AUTH PLAIN LOGIN\r\n"));
    assert!(!o.text().contains("XOAUTH2"), "{}", o.text());
    assert_eq!(
        o.replies()[2].1,
        "504 5.5.4 Unrecognized authentication type\r\n"
    );
    assert!(!o.events.iter().any(|e| matches!(e, Ev::AuthXOAuth2(_))));
}
