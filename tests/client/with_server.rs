//! Engine to engine: the `Client` against the `Server` through an in-memory
//! `Pair` that shuttles bytes, with no I/O (tests/support/client_pair.rs).
//! Combinations: PIPELINING on/off, CHUNKING on/off, SMTPUTF8, DSN,
//! BINARYMIME, every AUTH mechanism after STARTTLS, LMTP, SIZE, refusals by
//! phase, and a fragmented transport.

use crate::support::client_pair as pair;

use embedded_smtp::built;
use embedded_smtp::client::{
    AuthConfig, ClientConfig, ClientError, Envelope, EnvelopeError, Recipient, TlsPolicy,
};
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms};
use pair::{BODY, Pair, chunking_choices, client_config, rcpts};

#[test]
fn pipelining_and_chunking_on_and_off() {
    let rc = rcpts();
    for server_pipe in [false, true] {
        for client_pipe in [false, true] {
            for chunking in chunking_choices() {
                let mut s = ServerConfig::new("s.example");
                s.pipelining = server_pipe;
                s.chunking = chunking;
                let mut c = client_config();
                c.pipelining = client_pipe;
                let env = Envelope::new("a@c.example", &rc).unwrap();
                let mut pair = Pair::new(c, s);
                pair.run(&[(env, BODY), (env, b"second\r\n")]);
                let what = format!("pipe {server_pipe}/{client_pipe} chunking {chunking}");
                assert!(pair.errors.is_empty(), "{what}: {:?}", pair.errors);
                assert_eq!(pair.delivered, 2, "{what}: {:#?}", pair.client_events);
                // The server stored the canonical content: unstuffed, with
                // the final CRLF the client added (DATA) or exactly the
                // octets (BDAT, where the body goes as is).
                let first = &pair.received.messages[0];
                if chunking {
                    assert_eq!(first, BODY, "{what}");
                } else {
                    let mut want = BODY.to_vec();
                    want.extend_from_slice(b"\r\n");
                    assert_eq!(first, &want, "{what}");
                }
                assert_eq!(pair.received.recipients.len(), 6);
                let rejected = pair
                    .client_events
                    .iter()
                    .filter(|e| e.starts_with("Recipient { index: 1") && e.contains("550"))
                    .count();
                assert_eq!(rejected, 2, "{what}");
            }
        }
    }
}

#[cfg(feature = "smtputf8")]
#[test]
fn smtputf8_when_advertised_refused_when_not() {
    let rc = [Recipient::new("jürgen@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc).unwrap();
    let mut s = ServerConfig::new("s.example");
    s.smtputf8 = true;
    let mut pair = Pair::new(client_config(), s);
    pair.run(&[(env, "Subject: grüße\r\n\r\nhi\r\n".as_bytes())]);
    assert_eq!(pair.delivered, 1, "{:#?}", pair.client_events);
    assert!(pair.received.mail_params[0].contains("smtputf8: true"));
    assert_eq!(pair.received.recipients, ["<jürgen@s.example>"]);

    let mut pair = Pair::new(client_config(), ServerConfig::new("s.example"));
    pair.run(&[(env, b"x")]);
    assert_eq!(
        pair.errors,
        [ClientError::Envelope(EnvelopeError::SmtpUtf8)]
    );
    assert_eq!(pair.delivered, 0);
    assert!(pair.received.senders.is_empty());
}

#[cfg(feature = "dsn")]
#[test]
fn dsn_parameters() {
    use embedded_smtp::syntax::params::{Notify, Ret};
    let rc = [Recipient::new("b@s.example")
        .unwrap()
        .notify(Notify::SUCCESS | Notify::DELAY)
        .orcpt("rfc822", b"b@s.example")
        .unwrap()];
    let env = Envelope::new("a@c.example", &rc)
        .unwrap()
        .ret(Ret::Hdrs)
        .envid(b"id 42=x")
        .unwrap();
    let mut s = ServerConfig::new("s.example");
    s.dsn = true;
    let mut pair = Pair::new(client_config(), s);
    pair.run(&[(env, b"hi\r\n")]);
    assert_eq!(pair.delivered, 1, "{:#?}", pair.client_events);
    assert!(pair.received.mail_params[0].contains("ret: Some(Hdrs)"));
    assert!(pair.received.mail_params[0].contains("id+2042+3Dx"));
    assert!(pair.received.rcpt_params[0].contains("Notify(5)"));
    assert!(pair.received.rcpt_params[0].contains("rfc822"));
    // Without DSN advertised the client refuses before writing.
    let mut pair = Pair::new(client_config(), ServerConfig::new("s.example"));
    pair.run(&[(env, b"hi\r\n")]);
    assert_eq!(pair.errors, [ClientError::Envelope(EnvelopeError::Dsn)]);
}

#[cfg(feature = "chunking")]
#[test]
fn binarymime_over_bdat() {
    use embedded_smtp::syntax::params::Body;
    let rc = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc)
        .unwrap()
        .body(Body::BinaryMime);
    let mut s = ServerConfig::new("s.example");
    s.binarymime = true;
    let bin: &[u8] = b"\x00\xff\r\n.\r\n\n\rraw";
    let mut pair = Pair::new(client_config(), s);
    pair.run(&[(env, bin)]);
    assert_eq!(pair.delivered, 1, "{:#?}", pair.client_events);
    assert_eq!(pair.received.messages[0], bin);
}

fn auth_pair(mech: AuthMechanism, creds: AuthConfig<'static>) -> Pair<'static> {
    let mut s = ServerConfig::new("s.example");
    s.tls_available = true;
    s.auth = AuthMechanisms::empty().with(mech);
    let mut c = ClientConfig::new("c.example");
    c.tls = TlsPolicy::Required;
    c.auth = Some(creds);
    Pair::new(c, s)
}

/// Every AUTH mechanism, after STARTTLS over the pass-through transport.
#[test]
fn starttls_then_each_auth_mechanism() {
    let rc = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc).unwrap();
    for (mech, creds) in [
        (
            AuthMechanism::Plain,
            AuthConfig::password("alice", "s3cret"),
        ),
        (
            AuthMechanism::Login,
            AuthConfig::password("alice", "s3cret"),
        ),
        (
            AuthMechanism::XOAuth2,
            AuthConfig::XOAuth2 {
                user: "alice@c.example",
                token: "tok",
            },
        ),
    ]
    .into_iter()
    // XOAUTH2 in a build with the `xoauth2` feature.
    .filter(|(mech, _)| *mech != AuthMechanism::XOAuth2 || built::XOAUTH2)
    {
        let mut pair = auth_pair(mech, creds);
        pair.run(&[(env, b"hi\r\n")]);
        assert!(pair.errors.is_empty(), "{mech:?}: {:?}", pair.errors);
        assert!(pair.client.is_tls());
        assert!(
            pair.client_events
                .iter()
                .any(|e| e.starts_with("Authenticated")),
            "{mech:?}"
        );
        assert_eq!(pair.delivered, 1, "{mech:?}");
        assert!(pair.received.auth[0].ends_with("ok=true"));
    }
    // Wrong password: AUTH fails, the session goes on unauthenticated.
    let mut pair = auth_pair(AuthMechanism::Plain, AuthConfig::password("alice", "wrong"));
    pair.run(&[]);
    assert!(
        pair.client_events
            .iter()
            .any(|e| e.starts_with("AuthFailed"))
    );
}

/// A server without TLS under the client's default policy: abort, QUIT.
#[test]
fn tls_required_against_a_server_without_tls() {
    let rc = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc).unwrap();
    let c = ClientConfig::new("c.example");
    let mut pair = Pair::new(c, ServerConfig::new("s.example"));
    pair.run(&[(env, b"hi\r\n")]);
    assert_eq!(pair.errors, [ClientError::TlsUnavailable]);
    assert!(pair.received.senders.is_empty());
    assert!(pair.client_events.iter().any(|e| e.starts_with("Closed")));
}

#[cfg(feature = "lmtp")]
#[test]
fn lmtp_per_recipient_replies() {
    use embedded_smtp::client::ChunkingPolicy;
    let rc = rcpts();
    let env = Envelope::new("a@c.example", &rc).unwrap();
    let mut s = ServerConfig::new("s.example");
    s.lmtp = true;
    for chunking in [ChunkingPolicy::Never, ChunkingPolicy::WhenAdvertised] {
        let mut c = client_config();
        c.lmtp = true;
        c.chunking = chunking;
        let mut pair = Pair::new(c, s);
        pair.run(&[(env, BODY)]);
        assert!(pair.errors.is_empty(), "{:?}", pair.errors);
        // Two accepted recipients: two final replies.
        assert_eq!(pair.delivered, 2, "{chunking:?}: {:#?}", pair.client_events);
        assert!(
            pair.client_events
                .iter()
                .any(|e| e.starts_with("Delivered { recipient: Some(2)"))
        );
    }
}

#[test]
fn size_over_the_servers_limit_is_refused_before_mail() {
    let rc = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc).unwrap().size(5000);
    let mut s = ServerConfig::new("s.example");
    s.max_message_size = 1000;
    let mut pair = Pair::new(client_config(), s);
    pair.run(&[(env, b"x")]);
    assert_eq!(
        pair.errors,
        [ClientError::Envelope(EnvelopeError::TooBig { limit: 1000 })]
    );
    let ok = Envelope::new("a@c.example", &rc).unwrap().size(500);
    let mut s = ServerConfig::new("s.example");
    s.max_message_size = 1000;
    let mut pair = Pair::new(client_config(), s);
    pair.run(&[(ok, b"x")]);
    assert_eq!(pair.delivered, 1);
    assert!(pair.received.mail_params[0].contains("size: Some(500)"));
}

/// Content the client would never send: the server sees no smuggled second
/// message whatever the body holds (rule D4 on the client, D2 on the server).
#[test]
fn no_smuggling_end_to_end() {
    let rc = [Recipient::new("b@s.example").unwrap()];
    let env = Envelope::new("a@c.example", &rc).unwrap();
    let body: &[u8] =
        b"a\r\n.\r\nMAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\nforged\r\n.\r\n";
    for chunking in chunking_choices() {
        let mut s = ServerConfig::new("s.example");
        s.chunking = chunking;
        let mut pair = Pair::new(client_config(), s);
        pair.run(&[(env, body)]);
        assert_eq!(pair.delivered, 1);
        assert_eq!(pair.received.messages.len(), 1);
        assert_eq!(pair.received.senders, ["<a@c.example>"]);
    }
}

/// The same sessions with the transport cutting every read into 1, 2, 3, 7
/// or 64 bytes: the outcome never changes (rule D2, end to end).
#[test]
fn fragmented_transport_gives_the_same_outcome() {
    let rc = rcpts();
    let env = Envelope::new("a@c.example", &rc).unwrap();
    for chunking in chunking_choices() {
        for pipelining in [false, true] {
            let mut whole: Option<(Vec<String>, Vec<Vec<u8>>)> = None;
            for chunk in [usize::MAX, 1, 2, 3, 7, 64] {
                let mut s = ServerConfig::new("s.example");
                s.chunking = chunking;
                s.pipelining = pipelining;
                let mut pair = Pair::new(client_config(), s);
                pair.chunk = chunk;
                pair.run(&[(env, BODY), (env, b"second\r\n")]);
                assert!(pair.errors.is_empty(), "chunk {chunk}: {:?}", pair.errors);
                assert_eq!(pair.delivered, 2, "chunk {chunk}");
                let events: Vec<String> = pair
                    .client_events
                    .into_iter()
                    .filter(|e| e != "NeedInput")
                    .collect();
                match &whole {
                    None => whole = Some((events, pair.received.messages)),
                    Some((ev, msgs)) => {
                        assert_eq!(&events, ev, "chunk {chunk}");
                        assert_eq!(&pair.received.messages, msgs, "chunk {chunk}");
                    }
                }
            }
        }
    }
}

/// The server's decisions reach the client as per-phase results: a refused
/// sender, a refused message (permanent) and a temporary failure, then a
/// delivered message on the same connection.
#[test]
fn refusals_by_phase_then_success_on_the_same_connection() {
    let rc = [Recipient::new("b@s.example").unwrap()];
    let refused = Envelope::new("refused@c.example", &rc).unwrap();
    let env = Envelope::new("a@c.example", &rc).unwrap();
    for pipelining in [false, true] {
        let mut s = ServerConfig::new("s.example");
        s.pipelining = pipelining;
        let mut pair = Pair::new(client_config(), s);
        pair.run(&[
            (refused, b"x\r\n"),
            (env, b"REJECT\r\n"),
            (env, b"TEMPFAIL\r\n"),
            (env, b"fine\r\n"),
        ]);
        assert!(pair.errors.is_empty(), "{:?}", pair.errors);
        assert_eq!(
            pair.delivered, 1,
            "{:?} {:#?}",
            pair.received, pair.client_events
        );
        let failed: Vec<&String> = pair
            .client_events
            .iter()
            .filter(|e| e.starts_with("Failed"))
            .collect();
        assert_eq!(failed.len(), 3, "{failed:#?}");
        assert!(failed[0].contains("stage: Mail") && failed[0].contains("Permanent"));
        assert!(failed[1].contains("stage: Content") && failed[1].contains("Permanent"));
        assert!(failed[2].contains("stage: Content") && failed[2].contains("Transient"));
    }
}
