//! Client rows of docs/rules.md about the envelope and the command flow:
//! PIP-06..08, EXT-06/07/10, INJ-01..07, whole-command `transmit`. Every
//! script runs whole, byte by byte and split at every point.

use crate::support::client_script as script;

use embedded_smtp::built;
use embedded_smtp::client::Step;
use embedded_smtp::client::{
    ClientConfig, ClientError, ContentError, Envelope, EnvelopeError, Recipient,
};
use embedded_smtp::syntax::params::{Body, Notify, Ret};
use embedded_smtp::{Client, syntax::AddressError};
use script::{
    EHLO_PIPE, EHLO_PLAIN, GREETING, Script, check, data_script, env, esc, one_rcpt, plain_config,
    tail,
};

fn ready_client(ehlo: &[u8]) -> Client<'static> {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    let Step { consumed: n, .. } = c.feed(ehlo).unwrap();
    assert_eq!(n, ehlo.len());
    assert!(c.is_ready());
    c
}

/// `send` refuses and nothing is written; the session stays ready.
fn refused(ehlo: &[u8], env: &Envelope<'_>, err: EnvelopeError) {
    let mut c = ready_client(ehlo);
    assert_eq!(c.send(env), Err(ClientError::Envelope(err)));
    assert!(c.is_ready());
    let mut out = [0u8; 512];
    assert_eq!(c.transmit(Some(env), &mut out), Ok(0));
}

fn mail_line(ehlo: &[u8], env: &Envelope<'_>) -> String {
    let mut c = ready_client(ehlo);
    c.send(env).unwrap();
    let mut out = [0u8; 1024];
    let n = c.transmit(Some(env), &mut out).unwrap();
    let s = String::from_utf8(out[..n].to_vec()).unwrap();
    s.split("\r\n").next().unwrap().to_string()
}

/// PIP-06: replies matched by position only; content only after the 354.
#[test]
fn pip06_pipelined_replies_matched_by_position() {
    let rcpts = [
        Recipient::new("r1@s.example").unwrap(),
        Recipient::new("r2@s.example").unwrap(),
        Recipient::new("r3@s.example").unwrap(),
    ];
    let env = Envelope::new("a@c.example", &rcpts).unwrap();
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<r1@s.example>\r\nRCPT TO:<r2@s.example>\r\nRCPT TO:<r3@s.example>\r\nDATA\r\n",
                // The texts lie: only positions count.
                b"250 recipient ok\r\n550 sender ok\r\n250 no such user\r\n452 ok\r\n354 go\r\n",
            ),
            (b"hi\r\n.\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env, b"hi");
    let run = check(&s);
    let r: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.starts_with("Recipient"))
        .collect();
    assert!(r[0].contains("index: 0") && r[0].contains("ReplyCode(550)"));
    assert!(r[1].contains("index: 1") && r[1].contains("ReplyCode(250)"));
    assert!(r[2].contains("index: 2") && r[2].contains("ReplyCode(452)"));
    assert_eq!(run.delivered(), 1);
}

/// PIP-07: every recipient refused; DATA got 354 anyway → only `.`, then
/// RSET; DATA got 554 → RSET. Never the content.
#[test]
fn pip07_no_content_without_an_accepted_recipient() {
    let steps_354: Vec<(&[u8], &[u8])> = vec![
        (b"", GREETING),
        (b"EHLO c.example\r\n", EHLO_PIPE),
        (
            b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
            b"250 ok\r\n550 no\r\n354 go\r\n",
        ),
        (b".\r\n", b"554 no valid recipients\r\n"),
        (b"RSET\r\n", b"250 ok\r\n"),
        (b"QUIT\r\n", b"221 bye\r\n"),
    ];
    let run = check(&Script::new(plain_config(), steps_354).message(env(), b"SECRET"));
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Recipients"))
    );
    assert!(!run.wire.concat().windows(6).any(|w| w == b"SECRET"));

    let steps_554: Vec<(&[u8], &[u8])> = vec![
        (b"", GREETING),
        (b"EHLO c.example\r\n", EHLO_PIPE),
        (
            b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
            b"250 ok\r\n550 no\r\n554 no valid recipients\r\n",
        ),
        (b"RSET\r\n", b"250 ok\r\n"),
        (b"QUIT\r\n", b"221 bye\r\n"),
    ];
    let run = check(&Script::new(plain_config(), steps_554).message(env(), b"SECRET"));
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Permanent"))
    );
}

/// PIP-08: without PIPELINING each command waits; with it, DATA still
/// ends the group (content only after 354), and EHLO, AUTH and QUIT wait.
#[test]
fn pip08_group_ending_commands_wait_for_their_reply() {
    // Lock-step: data_script checks each command is alone before its reply.
    check(&data_script(plain_config(), b"x", b"x\r\n.\r\n"));
    // The caller may read while output is pending (no deadlock): a reply
    // can be fed before the due command is transmitted.
    let mut client = Client::new(plain_config()).unwrap();
    client.feed(GREETING).unwrap();
    assert!(client.wants_transmit());
    let Step {
        consumed: n,
        event: ev,
    } = client.feed(b"421 shutting down\r\n").unwrap();
    assert_eq!(n, 19);
    assert!(matches!(ev, embedded_smtp::client::Event::Closing(_)));
    assert!(client.is_closed());
}

/// PIP-08 with AUTH LOGIN: MAIL is not pipelined behind AUTH.
#[test]
fn pip08_no_mail_behind_auth_login() {
    let mut c = plain_config();
    c.allow_plaintext_auth = true;
    c.auth = Some(embedded_smtp::client::AuthConfig::password("u", "p"));
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250-PIPELINING\r\n250 AUTH LOGIN\r\n",
            ),
            (b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n"),
            (b"dQ==\r\n", b"334 UGFzc3dvcmQ6\r\n"),
            (b"cA==\r\n", b"235 ok\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"x");
    assert_eq!(check(&s).delivered(), 1);
}

#[cfg(feature = "smtputf8")]
#[test]
fn ext06_smtputf8_only_when_needed_and_advertised() {
    let utf8 = [Recipient::new("ü@x.example").unwrap()];
    let e = Envelope::new("a@c.example", &utf8).unwrap();
    refused(EHLO_PLAIN, &e, EnvelopeError::SmtpUtf8);
    let ehlo = b"250-s.example\r\n250 SMTPUTF8\r\n";
    assert_eq!(mail_line(ehlo, &e), "MAIL FROM:<a@c.example> SMTPUTF8");
    assert_eq!(mail_line(ehlo, &env()), "MAIL FROM:<a@c.example>");
}

#[test]
fn ext07_size_declared_only_when_advertised_and_refused_over_limit() {
    let e = env().size(5000);
    refused(
        b"250-s.example\r\n250 SIZE 1000\r\n",
        &e,
        EnvelopeError::TooBig { limit: 1000 },
    );
    assert_eq!(
        mail_line(b"250-s.example\r\n250 SIZE\r\n", &e),
        "MAIL FROM:<a@c.example> SIZE=5000"
    );
    assert_eq!(
        mail_line(b"250-s.example\r\n250 SIZE 5000\r\n", &e),
        "MAIL FROM:<a@c.example> SIZE=5000"
    );
    assert_eq!(mail_line(EHLO_PLAIN, &e), "MAIL FROM:<a@c.example>");
}

/// Without the `smtputf8` feature a UTF-8 address is refused before
/// anything is sent, even when the server offers SMTPUTF8; an ASCII
/// envelope goes as usual, without the keyword.
#[cfg(not(feature = "smtputf8"))]
#[test]
fn without_the_smtputf8_feature_a_utf8_address_is_not_built() {
    let utf8 = [Recipient::new("ü@x.example").unwrap()];
    let e = Envelope::new("a@c.example", &utf8).unwrap();
    let ehlo = b"250-s.example\r\n250 SMTPUTF8\r\n";
    refused(ehlo, &e, EnvelopeError::NotBuilt("smtputf8"));
    refused(EHLO_PLAIN, &e, EnvelopeError::NotBuilt("smtputf8"));
    assert_eq!(mail_line(ehlo, &env()), "MAIL FROM:<a@c.example>");
}

#[cfg(feature = "dsn")]
#[test]
fn ext10_dsn_xtext() {
    let rc = [Recipient::new("b@s.example")
        .unwrap()
        .notify(Notify::SUCCESS | Notify::FAILURE)
        .orcpt("rfc822", b"x y@z")
        .unwrap()];
    let e = Envelope::new("a@c.example", &rc)
        .unwrap()
        .ret(Ret::Hdrs)
        .envid(b"a b=c+d")
        .unwrap();
    refused(EHLO_PLAIN, &e, EnvelopeError::Dsn);
    let ehlo = b"250-s.example\r\n250 DSN\r\n";
    assert_eq!(
        mail_line(ehlo, &e),
        "MAIL FROM:<a@c.example> RET=HDRS ENVID=a+20b+3Dc+2Bd"
    );
    let mut c = ready_client(b"250-s.example\r\n250-PIPELINING\r\n250 DSN\r\n");
    c.send(&e).unwrap();
    let mut out = [0u8; 512];
    let n = c.transmit(Some(&e), &mut out).unwrap();
    assert!(
        std::str::from_utf8(&out[..n])
            .unwrap()
            .contains("RCPT TO:<b@s.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+20y@z\r\n")
    );
    // CR/LF in an ENVID or ORCPT is refused, not encoded.
    assert_eq!(
        env().envid(b"a\r\nb").unwrap_err(),
        EnvelopeError::Invalid(embedded_smtp::syntax::Invalid::ControlByte)
    );
    assert!(
        Recipient::new("b@s.example")
            .unwrap()
            .orcpt("rfc822", b"x\ny")
            .is_err()
    );
}

/// Without the `dsn` feature NOTIFY and RET are refused before anything is
/// sent, even when the server offers DSN; ORCPT and ENVID cannot even be
/// built (their writer refuses them).
#[cfg(not(feature = "dsn"))]
#[test]
fn without_the_dsn_feature_dsn_parameters_are_not_built() {
    let ehlo = b"250-s.example\r\n250 DSN\r\n";
    let rc = [Recipient::new("b@s.example")
        .unwrap()
        .notify(Notify::SUCCESS)];
    let e = Envelope::new("a@c.example", &rc).unwrap();
    refused(ehlo, &e, EnvelopeError::NotBuilt("dsn"));
    refused(EHLO_PLAIN, &e, EnvelopeError::NotBuilt("dsn"));
    refused(ehlo, &env().ret(Ret::Hdrs), EnvelopeError::NotBuilt("dsn"));
    assert_eq!(
        Recipient::new("b@s.example")
            .unwrap()
            .orcpt("rfc822", b"x@z")
            .unwrap_err(),
        EnvelopeError::NotBuilt("dsn")
    );
    assert_eq!(
        env().envid(b"abc").unwrap_err(),
        EnvelopeError::NotBuilt("dsn")
    );
    assert_eq!(mail_line(ehlo, &env()), "MAIL FROM:<a@c.example>");
}

#[test]
fn ext10_eight_bit_and_binarymime() {
    // 8BITMIME needs the keyword; an 8-bit body needs BODY=8BITMIME.
    refused(
        EHLO_PLAIN,
        &env().body(Body::EightBitMime),
        EnvelopeError::EightBitMime,
    );
    assert_eq!(
        mail_line(
            b"250-s.example\r\n250 8BITMIME\r\n",
            &env().body(Body::EightBitMime)
        ),
        "MAIL FROM:<a@c.example> BODY=8BITMIME"
    );
    // BINARYMIME needs CHUNKING too; without the `chunking` feature it is
    // never used.
    let binary = if built::CHUNKING {
        EnvelopeError::BinaryMime
    } else {
        EnvelopeError::NotBuilt("chunking")
    };
    refused(EHLO_PLAIN, &env().body(Body::BinaryMime), binary);
    refused(
        b"250-s.example\r\n250 BINARYMIME\r\n",
        &env().body(Body::BinaryMime),
        binary,
    );
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
        ],
    )
    .message(env(), "caf\u{e9}".as_bytes());
    let run = check(&s);
    assert_eq!(run.errors, [ClientError::Content(ContentError::EightBit)]);
    assert_eq!(tail(&run), b"");
}

#[test]
fn too_many_recipients_for_the_caller_or_the_server() {
    let many: Vec<Recipient<'static>> = (0..3)
        .map(|_| Recipient::new("b@s.example").unwrap())
        .collect();
    let e = Envelope::new("a@c.example", &many).unwrap();
    refused(
        b"250-s.example\r\n250 LIMITS RCPTMAX=2\r\n",
        &e,
        EnvelopeError::TooManyRecipients,
    );
    let mut c = Client::new({
        let mut c = plain_config();
        c.max_recipients = 2;
        c
    })
    .unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    c.feed(EHLO_PLAIN).unwrap();
    assert_eq!(
        c.send(&e),
        Err(ClientError::Envelope(EnvelopeError::TooManyRecipients))
    );
    refused(
        EHLO_PLAIN,
        &Envelope::new("a@c.example", &[]).unwrap(),
        EnvelopeError::NoRecipients,
    );
}

#[test]
fn inj01_02_03_addresses_with_line_breaks_or_controls_are_refused() {
    for bad in [
        "a@b>\r\nRCPT TO:<v@x>",
        "v@x>\r\nDATA\r\n",
        "a\r@b",
        "a\n@b",
        "a\0@b",
        "a@b\r",
        "\"a\r\nRSET\"@x",
        "\"a\x01\"@x",
        "a b@x",
        "<a@b",
    ] {
        assert!(Recipient::new(bad).is_err(), "{bad:?}");
        assert!(Envelope::new(bad, &[]).is_err(), "{bad:?}");
    }
    assert!(matches!(
        Recipient::new("v@x>\r\nDATA"),
        Err(EnvelopeError::Address(AddressError::Syntax | _))
    ));
}

#[test]
fn inj05_ehlo_name_must_be_a_domain_or_literal() {
    for bad in ["h\r\nMAIL FROM:<x@y>", "h h", "_bad", "", "h\0"] {
        assert!(ClientConfig::new(bad).validate().is_err(), "{bad:?}");
    }
    assert!(ClientConfig::new("[192.0.2.1]").validate().is_ok());
    assert!(ClientConfig::new("c.example").validate().is_ok());
}

#[test]
fn inj07_credentials_with_nul_cr_lf_are_refused() {
    use embedded_smtp::client::{AuthConfig, ConfigError};
    for (u, p) in [
        ("a\0b", "p"),
        ("a", "p\r"),
        ("a", "p\n"),
        ("a\r\n", "p"),
        ("", "p"),
    ] {
        let mut c = plain_config();
        c.auth = Some(AuthConfig::password(u, p));
        assert_eq!(
            Client::new(c).err(),
            Some(ConfigError::Credentials),
            "{u:?} {p:?}"
        );
    }
    let mut c = plain_config();
    c.auth = Some(AuthConfig::XOAuth2 {
        user: "a@b",
        token: "t\x01",
    });
    // Without the `xoauth2` feature any XOAUTH2 credentials are refused.
    let err = if built::XOAUTH2 {
        ConfigError::Credentials
    } else {
        ConfigError::NotBuilt("xoauth2")
    };
    assert_eq!(Client::new(c).err(), Some(err));
}

/// Without the `xoauth2` feature, good XOAUTH2 credentials are refused by
/// the configuration check; PLAIN/LOGIN credentials are not.
#[cfg(not(feature = "xoauth2"))]
#[test]
fn without_the_xoauth2_feature_xoauth2_credentials_are_refused() {
    use embedded_smtp::client::{AuthConfig, ConfigError};
    let mut c = plain_config();
    c.auth = Some(AuthConfig::XOAuth2 {
        user: "a@b",
        token: "tok",
    });
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("xoauth2")));
    assert_eq!(Client::new(c).err(), Some(ConfigError::NotBuilt("xoauth2")));
    c.auth = Some(AuthConfig::password("a", "p"));
    assert!(Client::new(c).is_ok());
}

/// Without the `lmtp` feature a client configured for LMTP is refused.
#[cfg(not(feature = "lmtp"))]
#[test]
fn without_the_lmtp_feature_an_lmtp_client_is_refused() {
    use embedded_smtp::client::ConfigError;
    let mut c = plain_config();
    c.lmtp = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("lmtp")));
    assert_eq!(Client::new(c).err(), Some(ConfigError::NotBuilt("lmtp")));
}

/// `transmit` never writes part of a command: with a small buffer the
/// pipelined group goes out in several calls, each holding whole commands;
/// a command that cannot fit at all is BufferTooSmall with the size needed.
#[test]
fn transmit_writes_whole_commands_only() {
    let rcpts = [
        Recipient::new("r1@s.example").unwrap(),
        Recipient::new("r2@s.example").unwrap(),
    ];
    let e = Envelope::new("a@c.example", &rcpts).unwrap();
    let mut c = ready_client(EHLO_PIPE);
    c.send(&e).unwrap();
    let mut small = [0u8; 30];
    let mut wire = Vec::new();
    for _ in 0..10 {
        let n = c.transmit(Some(&e), &mut small).unwrap();
        if n == 0 {
            break;
        }
        assert!(small[..n].ends_with(b"\r\n"));
        wire.extend_from_slice(&small[..n]);
    }
    assert!(!c.wants_transmit());
    assert_eq!(
        wire,
        b"MAIL FROM:<a@c.example>\r\nRCPT TO:<r1@s.example>\r\nRCPT TO:<r2@s.example>\r\nDATA\r\n"
    );
    let mut c = ready_client(EHLO_PIPE);
    c.send(&e).unwrap();
    let mut tiny = [0u8; 10];
    assert_eq!(
        c.transmit(Some(&e), &mut tiny),
        Err(ClientError::BufferTooSmall { needed: 25 })
    );
    // Another envelope mid-transaction is refused.
    let other = Envelope::new("z@c.example", one_rcpt()).unwrap();
    let mut out = [0u8; 512];
    assert_eq!(c.transmit(Some(&other), &mut out), Err(ClientError::State));
    assert_eq!(c.transmit(None, &mut out), Err(ClientError::State));
    assert!(c.transmit(Some(&e), &mut out).unwrap() > 0);
}

#[test]
fn calls_out_of_order_are_state_errors() {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 64];
    assert_eq!(c.send(&env()), Err(ClientError::State));
    assert_eq!(c.body(b"x", &mut out), Err(ClientError::State));
    assert_eq!(c.finish_body(&mut out), Err(ClientError::State));
    assert_eq!(c.quit(), Err(ClientError::State));
    assert_eq!(c.tls_established(), Err(ClientError::State));
    assert_eq!(c.abort(), Err(ClientError::State));
    let mut c = ready_client(EHLO_PLAIN);
    c.send(&env()).unwrap();
    assert_eq!(c.send(&env()), Err(ClientError::State));
    assert_eq!(c.body(b"x", &mut out), Err(ClientError::State));
}

#[test]
fn config_limits_are_checked() {
    use embedded_smtp::client::ConfigError;
    let mut c = plain_config();
    c.max_auth_rounds = 1;
    assert_eq!(Client::new(c).err(), Some(ConfigError::Limit));
    let mut c = plain_config();
    c.max_recipients = 0;
    assert_eq!(Client::new(c).err(), Some(ConfigError::Limit));
    // LMTP tracks up to 256 recipients (in a build with LMTP).
    if built::LMTP {
        let mut c = plain_config();
        c.lmtp = true;
        c.max_recipients = 257;
        assert_eq!(Client::new(c).err(), Some(ConfigError::Limit));
        c.max_recipients = 256;
        assert!(Client::new(c).is_ok());
    }
    let mut c = plain_config();
    c.reply_limits.max_line = 511;
    assert_eq!(Client::new(c).err(), Some(ConfigError::Limit));
}

/// Three recipients, so that a refused MAIL has several replies behind it.
fn three_rcpts() -> &'static [Recipient<'static>] {
    static R: std::sync::OnceLock<[Recipient<'static>; 3]> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        ["b@s.example", "c@s.example", "d@s.example"].map(|a| Recipient::new(a).unwrap())
    })
}

const MAIL3: &[u8] = b"MAIL FROM:<a@c.example>\r\n";
const GROUP3: &[u8] = b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n\
RCPT TO:<c@s.example>\r\nRCPT TO:<d@s.example>\r\nDATA\r\n";
#[cfg(feature = "chunking")]
const EHLO_CHUNKING: &[u8] = b"250-s.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

/// The failure and what became of the recipients, from a run's events.
fn outcome_of(run: &script::Run) -> (Vec<String>, usize) {
    let failed: Vec<String> = run
        .with_reply("Failed")
        .iter()
        .map(|(e, r)| format!("{e} / {:?}", r.map(|r| r.code)))
        .collect();
    let recipients = run
        .events
        .iter()
        .filter(|e| e.starts_with("Recipient"))
        .count();
    (failed, recipients)
}

#[test]
fn pip09_a_refused_mail_fails_the_message_with_its_own_reply() {
    // MAIL refused with 451 (transient) or 550 (permanent), the pipelined
    // RCPTs and DATA behind it answered 503: the message fails with the
    // MAIL reply's kind at the Mail stage, no recipient is reported refused
    // by a 503, and the 503s come as plain `Reply` events. Without
    // PIPELINING the client never sends them; the outcome is the same.
    for (mail_reply, kind) in [
        (&b"451 4.3.0 try later\r\n"[..], "Transient"),
        (b"550 5.7.1 go away\r\n", "Permanent"),
    ] {
        let mut pipelined = mail_reply.to_vec();
        pipelined.extend_from_slice(b"503 5.5.1 need MAIL\r\n".repeat(4).as_slice());
        let pipelined: &'static [u8] = pipelined.leak();
        for (config_pipe, ehlo, client, server) in [
            (true, EHLO_PIPE, GROUP3, pipelined),
            (false, EHLO_PLAIN, MAIL3, mail_reply),
        ] {
            let mut c = plain_config();
            c.pipelining = config_pipe;
            let s = Script::new(
                c,
                vec![
                    (b"", GREETING),
                    (b"EHLO c.example\r\n", ehlo),
                    (client, server),
                    (b"RSET\r\n", b"250 2.0.0 ok\r\n"),
                    (b"QUIT\r\n", b"221 2.0.0 bye\r\n"),
                ],
            )
            .message(Envelope::new("a@c.example", three_rcpts()).unwrap(), b"x");
            let run = check(&s);
            let what = format!("{} pipelined {config_pipe}", esc(mail_reply));
            let (failed, recipients) = outcome_of(&run);
            assert_eq!(failed.len(), 1, "{what}: {:#?}", run.events);
            assert!(failed[0].contains("stage: Mail"), "{what}: {failed:?}");
            assert!(failed[0].contains(kind), "{what}: {failed:?}");
            // The failure carries no reply of its own: the MAIL reply was
            // reported (MailFrom) and the 503 is not the reason.
            assert!(failed[0].ends_with("/ None"), "{what}: {failed:?}");
            assert_eq!(recipients, 0, "{what}: {:#?}", run.events);
            let mail = run.with_reply("MailFrom");
            assert_eq!(mail.len(), 1);
            assert_eq!(mail[0].1.unwrap().raw, mail_reply, "{what}");
            let others = run.with_reply("Reply(");
            // The RCPTs' 503s; the DATA 503 is the one the failure came with.
            assert_eq!(others.len(), if config_pipe { 3 } else { 0 }, "{what}");
            assert!(others.iter().all(|(_, r)| r.unwrap().code == 503));
            assert_eq!(run.delivered(), 0);
            assert!(run.errors.is_empty(), "{:?}", run.errors);
        }
    }
}

#[cfg(feature = "chunking")]
#[test]
fn pip09_a_refused_mail_under_bdat_and_a_server_that_accepts_rcpts_anyway() {
    // CHUNKING: no DATA in the group, the failure comes after the last RCPT
    // reply. A broken server that accepts the RCPTs after refusing MAIL
    // gets no content: nothing was accepted by an accepted MAIL.
    for rcpt_reply in [&b"503 5.5.1 need MAIL\r\n"[..], b"250 2.1.5 ok\r\n"] {
        let mut server = b"451 4.3.0 try later\r\n".to_vec();
        server.extend_from_slice(&rcpt_reply.repeat(3));
        let server: &'static [u8] = server.leak();
        let s = Script::new(
            plain_config(),
            vec![
                (b"", GREETING),
                (b"EHLO c.example\r\n", EHLO_CHUNKING),
                (
                    b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n\
RCPT TO:<c@s.example>\r\nRCPT TO:<d@s.example>\r\n",
                    server,
                ),
                (b"RSET\r\n", b"250 2.0.0 ok\r\n"),
                (b"QUIT\r\n", b"221 2.0.0 bye\r\n"),
            ],
        )
        .message(Envelope::new("a@c.example", three_rcpts()).unwrap(), b"x");
        let run = check(&s);
        let (failed, recipients) = outcome_of(&run);
        assert_eq!(failed.len(), 1, "{:#?}", run.events);
        assert!(failed[0].contains("stage: Mail") && failed[0].contains("Transient"));
        assert_eq!(recipients, 0, "{:#?}", run.events);
        assert!(!run.has_event("SendBody"), "{:#?}", run.events);
    }
}

#[test]
fn pip09_a_broken_354_after_a_refused_mail_gets_only_the_dot() {
    // DATA answered 354 although MAIL was refused: the lone `.` ends it
    // (PIP-07) and the message fails with the MAIL reply.
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (
                GROUP3,
                b"451 4.3.0 later\r\n503 a\r\n503 b\r\n503 c\r\n354 go\r\n",
            ),
            (b".\r\n", b"554 5.5.1 no transaction\r\n"),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(Envelope::new("a@c.example", three_rcpts()).unwrap(), b"x");
    let run = check(&s);
    let (failed, recipients) = outcome_of(&run);
    assert_eq!(failed.len(), 1, "{:#?}", run.events);
    assert!(failed[0].contains("stage: Mail") && failed[0].contains("Transient"));
    assert!(failed[0].ends_with("/ None"), "{failed:?}");
    assert_eq!(recipients, 0);
    assert_eq!(run.delivered(), 0);
}
