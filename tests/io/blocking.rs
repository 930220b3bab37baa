//! The blocking driver over in-memory transports: a client driver and a
//! server driver talk through a pair of channels, with reads and writes of
//! any size down to one byte. Every scenario runs whole and at 1-byte
//! chunks, on its own threads, bounded in time. Deadlines, failing body
//! sources, lock-step sessions and real TCP are in `io_blocking_edges`.
#![cfg(feature = "blocking")]

use std::thread;

use crate::support::io_blocking::*;
use embedded_smtp::client::{AuthConfig, ClientConfig, FailureKind, Stage, TlsPolicy};
use embedded_smtp::io::Error;
use embedded_smtp::io::blocking::{SmtpClient, serve};
use embedded_smtp::server::{ServerConfig, Service};
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms, Verb};

fn data_three(chunk: usize) {
    let o = three_messages(Setup {
        chunking: false,
        ..Setup::new(chunk)
    });
    check_three(&o);
    // RFC 5321 §4.5.2: a line starting with "." gets one more; the body
    // ends with CRLF "." CRLF. The engine pipelines MAIL and the RCPTs and
    // waits for their replies before DATA (RFC 2920 §3.1).
    assert_eq!(o.plain.matches("DATA\r\n").count(), 3, "{}", o.plain);
    assert!(o.plain.contains(
        "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nRCPT TO:<nobody@mx.example>\r\n"
    ), "{}", o.plain);
    assert!(
        o.plain
            .contains("DATA\r\nSubject: 1\r\n\r\n..leading dot\r\nline\r\n.\r\n"),
        "{}",
        o.plain
    );
    assert!(
        o.plain
            .contains("DATA\r\nSubject: 2\r\n\r\n...two dots\r\n..\r\nend\r\n.\r\n"),
        "{}",
        o.plain
    );
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
}

#[cfg(feature = "chunking")]
fn bdat_three(chunk: usize) {
    let o = three_messages(Setup::new(chunk));
    check_three(&o);
    // RFC 3030: BDAT carries the octets as they are, no stuffing.
    // A `&[u8]` body knows its end: its last chunk carries LAST (§2), no
    // `BDAT 0 LAST` of its own.
    assert!(
        o.plain
            .contains("BDAT 34 LAST\r\nSubject: 1\r\n\r\n.leading dot\r\nline\r\n"),
        "{}",
        o.plain
    );
    assert!(!o.plain.contains("BDAT 0 LAST"), "{}", o.plain);
    assert!(!o.plain.contains("DATA\r\n"), "{}", o.plain);
}

/// LMTP (RFC 2033): LHLO, one final reply per accepted recipient.
#[cfg(feature = "lmtp")]
fn lmtp(chunk: usize, chunking: bool) {
    let o = scenario(
        Setup {
            lmtp: true,
            chunking,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "nobody@mx.example", "carol@mx.example"],
                &[BODY_1, BODY_3],
            );
            client.quit().unwrap();
            r
        },
    );
    assert_eq!(o.seen.hellos, [(Verb::Lhlo, "client.example".to_owned())]);
    assert!(
        o.plain.starts_with("LHLO client.example\r\n"),
        "{}",
        o.plain
    );
    assert_eq!(o.seen.messages, [BODY_1, BODY_3]);
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 250), (1, 550), (2, 250)]);
        // bob's delivery succeeded, carol's got a 452 after the data.
        assert_eq!((d.accepted, d.rejected, d.delivered), (2, 1, 1));
        assert_eq!(d.failure, Some((Stage::Content, FailureKind::Transient)));
        assert!(!d.is_delivered());
    }
}

/// A refused sender fails that transaction only; the next one on the same
/// connection is delivered.
fn rejected_mail(chunk: usize) {
    let o = scenario(Setup::new(chunk), |end, config, _| {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
        let mut r = send_all(
            &mut client,
            "spammer@client.example",
            &["bob@mx.example"],
            &[BODY_1],
        );
        r.extend(send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example"],
            &[BODY_2],
        ));
        client.quit().unwrap();
        r
    });
    let (refused, codes) = &o.client[0];
    assert_eq!(refused.failure, Some((Stage::Mail, FailureKind::Permanent)));
    assert_eq!((refused.accepted, refused.delivered), (0, 0));
    assert!(!refused.is_delivered());
    // Whatever the client pipelined after the refused MAIL, no recipient
    // counts as accepted.
    assert!(codes.iter().all(|&(_, c)| c >= 500), "{codes:?}");
    let (ok, _) = &o.client[1];
    assert!(ok.is_delivered());
    assert_eq!(o.seen.messages, [BODY_2]);
    assert_eq!(
        o.seen.mails,
        ["<spammer@client.example>", "<alice@client.example>"]
    );
}

/// Every recipient refused: no data is sent, the transaction fails in the
/// recipients phase, the session goes on.
fn all_recipients_refused(chunk: usize) {
    let o = scenario(
        Setup {
            refuse_rcpts: true,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "carol@mx.example"],
                &[BODY_1, BODY_2],
            );
            client.quit().unwrap();
            r
        },
    );
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 550), (1, 550)]);
        assert_eq!((d.accepted, d.rejected, d.delivered), (0, 2, 0));
        assert_eq!(d.failure, Some((Stage::Recipients, FailureKind::Permanent)));
    }
    assert!(o.seen.messages.is_empty());
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
    assert!(o.plain.ends_with("QUIT\r\n"), "{}", o.plain);
}

/// A server that refuses the whole session (554 greeting, RFC 5321 §3.1):
/// the client never gets ready, sends no EHLO, and says QUIT.
fn no_service(chunk: usize) {
    let o = scenario(
        Setup {
            service: Service::NoService,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            SmtpClient::connect(end, config, &mut rx, &mut tx).map(|_| ())
        },
    );
    // The session is over once the client said QUIT (RFC 5321 §3.1).
    assert_eq!(o.client, Err(Error::Closed));
    assert_eq!(o.plain, "QUIT\r\n");
    assert!(o.seen.hellos.is_empty());
    assert!(o.seen.mails.is_empty());
    assert!(!o.plain.contains("EHLO"), "{}", o.plain);
    assert!(!o.plain.contains("MAIL"), "{}", o.plain);
}

/// AUTH over the plain transport (allowed on both sides for the test).
fn auth(chunk: usize, mechanism: AuthMechanism, password: &'static str) -> Outcome<bool> {
    scenario(
        Setup {
            auth: AuthMechanisms::empty().with(mechanism),
            ..Setup::new(chunk)
        },
        move |end, mut config, _| {
            config.auth = Some(AuthConfig::password("alice", password));
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let authenticated = client.engine().is_authenticated();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example"],
                &[BODY_3],
            );
            assert!(r[0].0.is_delivered());
            client.quit().unwrap();
            authenticated
        },
    )
}

fn auth_plain(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Plain, "s3cret");
    assert!(o.client);
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    // RFC 4616: base64("\0alice\0s3cret"), as the initial response.
    assert!(
        o.plain.contains("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
        "{}",
        o.plain
    );
}

fn auth_login(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Login, "s3cret");
    assert!(o.client);
    assert_eq!(
        o.seen.auths,
        [("LOGIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    // base64("alice"), base64("s3cret"), each on its own line.
    assert!(o.plain.contains("YWxpY2U=\r\n"), "{}", o.plain);
    assert!(o.plain.contains("czNjcmV0\r\n"), "{}", o.plain);
}

fn auth_wrong_password(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Plain, "wrong");
    assert!(!o.client);
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "wrong".to_owned())]
    );
    // The session went on unauthenticated and the message was delivered.
    assert_eq!(o.seen.messages, [BODY_3]);
}

/// STARTTLS over the pass-through layer, then AUTH PLAIN and a message:
/// the session resets (EHLO again) and everything after the 220 goes
/// through the wrapper.
fn starttls(chunk: usize) {
    let o = scenario(
        Setup {
            tls: true,
            auth: AuthMechanisms::empty().with(AuthMechanism::Plain),
            ..Setup::new(chunk)
        },
        |end, mut config, tls_log| {
            config.auth = Some(AuthConfig::password("alice", "s3cret"));
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            assert!(client.wants_tls());
            assert!(!client.engine().is_authenticated());
            let mut client = client
                .start_tls(|t| {
                    Ok::<_, ()>(Tls {
                        inner: t,
                        written: tls_log,
                    })
                })
                .unwrap();
            assert!(!client.wants_tls());
            assert!(client.engine().is_authenticated());
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "nobody@mx.example"],
                &[BODY_1, BODY_2],
            );
            client.quit().unwrap();
            r
        },
    );
    // Before: EHLO and STARTTLS only, in the clear.
    assert_eq!(o.plain.find("EHLO client.example\r\nSTARTTLS\r\n"), Some(0));
    let tls_part = &o.plain["EHLO client.example\r\nSTARTTLS\r\n".len()..];
    // After: the same bytes went through the wrapper; EHLO again first
    // (RFC 3207 §4.2), then AUTH, the transactions and QUIT.
    assert_eq!(tls_part, o.tls);
    assert!(
        o.tls.starts_with("EHLO client.example\r\nAUTH PLAIN "),
        "{}",
        o.tls
    );
    assert!(o.tls.ends_with("QUIT\r\n"), "{}", o.tls);
    assert_eq!(
        o.seen.hellos,
        [
            (Verb::Ehlo, "client.example".to_owned()),
            (Verb::Ehlo, "client.example".to_owned())
        ]
    );
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    assert_eq!(o.seen.messages, [BODY_1, BODY_2]);
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 250), (1, 550)]);
        assert!(d.is_delivered());
    }
}

/// A client that requires TLS stops before anything else when the server
/// does not offer STARTTLS (RFC 3207, rule D6).
fn tls_required_but_missing(chunk: usize) {
    let o = scenario(Setup::new(chunk), |end, mut config, _| {
        config.tls = TlsPolicy::Required;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        SmtpClient::connect(end, config, &mut rx, &mut tx).map(|_| ())
    });
    assert_eq!(
        o.client,
        Err(Error::Client(
            embedded_smtp::client::ClientError::TlsUnavailable
        ))
    );
    assert_eq!(o.plain, "EHLO client.example\r\n");
    assert!(o.seen.mails.is_empty());
    assert!(!o.plain.contains("MAIL"), "{}", o.plain);
}

/// The client refuses to use CHUNKING when told so, even when offered.
#[cfg(feature = "chunking")]
fn chunking_never(chunk: usize) {
    use embedded_smtp::client::ChunkingPolicy;
    let o = scenario(Setup::new(chunk), |end, mut config, _| {
        config.chunking = ChunkingPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
        let r = send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example"],
            &[BODY_2],
        );
        client.quit().unwrap();
        r
    });
    assert!(o.client[0].0.is_delivered());
    assert_eq!(o.seen.messages, [BODY_2]);
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
}

/// A 1 KiB-buffer client sends a body much larger than its buffers, with
/// long (998-octet) lines.
fn big_body(chunk: usize, chunking: bool) {
    let mut body = Vec::new();
    for i in 0..40 {
        let line = format!("{i:04}");
        body.extend_from_slice(line.as_bytes());
        body.extend(std::iter::repeat_n(b'x', 994));
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(b".\r\n");
    }
    let expected = body.clone();
    let o = scenario(
        Setup {
            chunking,
            ..Setup::new(chunk)
        },
        move |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example"],
                &[&body],
            );
            client.quit().unwrap();
            r
        },
    );
    assert!(o.client[0].0.is_delivered());
    assert_eq!(o.seen.messages, [expected]);
}

/// Each scenario, whole (4 KiB reads and writes) and at 1-byte chunks.
/// A scenario preceded by `#[cfg(...)]` needs that extension.
macro_rules! both {
    ($($(#[$m:meta])* $name:ident => $f:expr;)*) => {
        mod whole {
            use super::*;
            $($(#[$m])* #[test] fn $name() { ($f)(4096) })*
        }
        mod one_byte {
            use super::*;
            $($(#[$m])* #[test] fn $name() { ($f)(1) })*
        }
    };
}

both! {
    data_several_messages => data_three;
    #[cfg(feature = "chunking")]
    bdat_several_messages => bdat_three;
    #[cfg(feature = "lmtp")]
    lmtp_per_recipient_replies_data => |c| lmtp(c, false);
    #[cfg(all(feature = "lmtp", feature = "chunking"))]
    lmtp_per_recipient_replies_bdat => |c| lmtp(c, true);
    rejected_mail_then_next_message => rejected_mail;
    every_recipient_refused => all_recipients_refused;
    server_refuses_the_session => no_service;
    auth_plain_checked_by_the_handler => auth_plain;
    auth_login_checked_by_the_handler => auth_login;
    auth_refused_session_goes_on => auth_wrong_password;
    starttls_resets_the_session => starttls;
    tls_required_but_not_offered => tls_required_but_missing;
    #[cfg(feature = "chunking")]
    chunking_never_uses_data => chunking_never;
    big_body_over_data_with_1k_buffers => |c| big_body(c, false);
    #[cfg(feature = "chunking")]
    big_body_over_bdat_with_1k_buffers => |c| big_body(c, true);
}

#[test]
fn one_byte_reads_and_writes_give_the_same_bytes() {
    let whole = three_messages(Setup::new(4096));
    let bytewise = three_messages(Setup::new(1));
    assert_eq!(whole.plain, bytewise.plain);
    assert_eq!(whole.seen.messages, bytewise.seen.messages);
}

#[test]
fn a_server_config_with_starttls_is_refused_by_serve() {
    // `serve` cannot upgrade: the client's STARTTLS ends it with Error::Tls.
    let r = bounded(|| {
        let (client_end, server_end, _) = pair(4096);
        let server = thread::spawn(move || {
            let mut config = ServerConfig::new("mx.example");
            config.tls_available = true;
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(
                server_end,
                None,
                config,
                &mut rx,
                &mut tx,
                &mut Store::default(),
            )
            .map(drop)
        });
        let config = ClientConfig::new("client.example");
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let client = SmtpClient::connect(client_end, config, &mut rx, &mut tx).unwrap();
        assert!(client.wants_tls());
        let served = server.join().unwrap();
        drop(client);
        served
    });
    assert_eq!(r, Err(Error::Tls));
}
