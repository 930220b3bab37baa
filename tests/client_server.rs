//! Engine to engine: the `Client` against the `Server` through an in-memory
//! `Pair` that shuttles bytes, with no I/O. STARTTLS goes through a
//! pass-through "transport": both sides are told the handshake succeeded.
//! Combinations: PIPELINING on/off, CHUNKING on/off, SMTPUTF8, DSN,
//! BINARYMIME, every AUTH mechanism, STARTTLS, LMTP, SIZE.

use embedded_smtp::client::{
    AuthConfig, ChunkingPolicy, ClientConfig, ClientError, Envelope, EnvelopeError, Recipient,
    TlsPolicy,
};
use embedded_smtp::sasl::Decoded;
use embedded_smtp::server::{Config as ServerConfig, Event as ServerEvent, Server};
use embedded_smtp::syntax::params::{Body, Notify, Ret};
use embedded_smtp::{AuthMechanism, AuthMechanisms, Client, ClientEvent};

/// What the server's application saw.
#[derive(Debug, Default)]
struct Received {
    messages: Vec<Vec<u8>>,
    senders: Vec<String>,
    recipients: Vec<String>,
    mail_params: Vec<String>,
    rcpt_params: Vec<String>,
    auth: Vec<String>,
}

struct Pair<'c> {
    client: Client<'c>,
    server: Server<'c>,
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    out: Vec<u8>,
    body_out: Vec<u8>,
    current: Vec<u8>,
    received: Received,
    client_events: Vec<String>,
    errors: Vec<ClientError>,
    delivered: usize,
    failed: usize,
    /// Bytes each side sees per read (the transport's fragmentation).
    chunk: usize,
}

impl<'c> Pair<'c> {
    fn new(client: ClientConfig<'c>, server: ServerConfig<'c>) -> Self {
        let mut p = Pair {
            client: Client::new(client).unwrap(),
            server: Server::new(server).unwrap(),
            c2s: Vec::new(),
            s2c: Vec::new(),
            out: vec![0; 4096],
            body_out: vec![0; 37],
            current: Vec::new(),
            received: Received::default(),
            client_events: Vec::new(),
            errors: Vec::new(),
            delivered: 0,
            failed: 0,
            chunk: usize::MAX,
        };
        let n = p.server.greet(&mut p.out).unwrap();
        p.s2c.extend_from_slice(&p.out[..n]);
        p
    }

    /// The server reads everything the client sent and answers.
    fn server_turn(&mut self) {
        let mut tls = false;
        let mut visible = self.chunk.min(self.c2s.len());
        for _ in 0..100_000 {
            if self.server.is_closed() {
                self.c2s.clear();
                break;
            }
            let step = self
                .server
                .feed(&self.c2s[..visible], &mut self.out)
                .unwrap();
            self.s2c.extend_from_slice(&self.out[..step.written]);
            let mut decision = None;
            let mut temporary = false;
            let mut stop = false;
            match step.event {
                ServerEvent::NeedInput | ServerEvent::Close => stop = true,
                ServerEvent::StartTls => {
                    tls = true;
                    stop = true;
                }
                ServerEvent::Mail { from, params } => {
                    let from = from.to_string();
                    decision = Some(!from.contains("refused"));
                    self.received.senders.push(from);
                    self.received.mail_params.push(format!("{params:?}"));
                }
                ServerEvent::Rcpt { to, params } => {
                    let to = to.to_string();
                    decision = Some(!to.contains("nobody"));
                    self.received.recipients.push(to);
                    self.received.rcpt_params.push(format!("{params:?}"));
                }
                ServerEvent::Verify { .. } => decision = Some(true),
                ServerEvent::DataStart => self.current.clear(),
                ServerEvent::Data(bytes) => self.current.extend_from_slice(bytes),
                ServerEvent::MessageAborted(_) => self.current.clear(),
                ServerEvent::MessageEnd => {
                    let m = std::mem::take(&mut self.current);
                    if m.windows(8).any(|w| w == b"TEMPFAIL") {
                        temporary = true;
                    } else {
                        decision = Some(!m.windows(6).any(|w| w == b"REJECT"));
                    }
                    self.received.messages.push(m);
                }
                ServerEvent::Auth(creds) => {
                    let mut scratch = [0u8; 512];
                    let ok = match creds.decode(&mut scratch) {
                        Ok(Decoded::Plain(p)) => p.authcid == "alice" && p.password == "s3cret",
                        Ok(Decoded::Login { username, password }) => {
                            username == "alice" && password == "s3cret"
                        }
                        Ok(Decoded::XOAuth2(x)) => x.user == "alice@c.example" && x.token == "tok",
                        Err(_) => false,
                    };
                    self.received.auth.push(format!("{creds:?} ok={ok}"));
                    decision = Some(ok);
                }
                _ => {}
            }
            let consumed = step.consumed;
            let need_input = step.event == ServerEvent::NeedInput;
            if temporary {
                let code = embedded_smtp::ReplyCode::new(451).unwrap();
                let n = self
                    .server
                    .respond(code, None, "try later", &mut self.out)
                    .unwrap();
                self.s2c.extend_from_slice(&self.out[..n]);
            }
            if let Some(ok) = decision {
                let n = if ok {
                    self.server.accept(&mut self.out).unwrap()
                } else {
                    self.server.reject(&mut self.out).unwrap()
                };
                self.s2c.extend_from_slice(&self.out[..n]);
            }
            self.c2s.drain(..consumed);
            visible -= consumed;
            if stop {
                if need_input && visible < self.c2s.len() {
                    visible = (visible + self.chunk).min(self.c2s.len());
                    continue;
                }
                break;
            }
        }
        if tls {
            // The pass-through handshake.
            self.server.tls_established().unwrap();
        }
    }

    /// The client reads the replies, reacts, and writes what is due.
    fn client_turn(&mut self, envelopes: &[(Envelope<'_>, &[u8])], next: &mut usize) {
        let mut tls = false;
        let mut visible = self.chunk.min(self.s2c.len());
        for _ in 0..100_000 {
            let (used, kind) = match self.client.feed(&self.s2c[..visible]) {
                Ok((used, ev)) => {
                    self.client_events.push(format!("{ev:?}"));
                    let kind = match ev {
                        ClientEvent::NeedMore => 0,
                        ClientEvent::SendBody(_) => 1,
                        ClientEvent::StartTls => 2,
                        ClientEvent::Delivered { .. } => 3,
                        ClientEvent::Failed(_) => 4,
                        _ => 5,
                    };
                    (used, kind)
                }
                Err(e) => {
                    self.errors.push(e);
                    if self.client.is_closed() {
                        self.s2c.clear();
                        return;
                    }
                    visible = visible.min(self.s2c.len());
                    continue;
                }
            };
            self.s2c.drain(..used);
            visible -= used;
            match kind {
                0 if visible < self.s2c.len() => {
                    visible = (visible + self.chunk).min(self.s2c.len());
                }
                0 => break,
                1 => {
                    let body = envelopes[*next - 1].1;
                    if self.send_body(body).is_err() {
                        return;
                    }
                }
                2 => tls = true,
                3 => self.delivered += 1,
                4 => self.failed += 1,
                _ => {}
            }
        }
        if tls {
            self.client.tls_established().unwrap();
        }
        if self.client.is_ready() {
            if *next < envelopes.len() {
                match self.client.send(&envelopes[*next].0) {
                    Ok(()) => {}
                    Err(e) => self.errors.push(e),
                }
                *next += 1;
            } else {
                self.client.quit().unwrap();
            }
        }
        let env = next
            .checked_sub(1)
            .and_then(|i| envelopes.get(i))
            .map(|(e, _)| e);
        match self.client.transmit(env, &mut self.out) {
            Ok(n) => self.c2s.extend_from_slice(&self.out[..n]),
            Err(e) => self.errors.push(e),
        }
    }

    /// Streams a body after SendBody; `Err` when the client refused it.
    fn send_body(&mut self, body: &[u8]) -> Result<(), ()> {
        let mut rest = body;
        for _ in 0..100_000 {
            if rest.is_empty() {
                break;
            }
            let p = self
                .client
                .body(rest, &mut self.body_out)
                .map_err(|e| self.errors.push(e))?;
            self.c2s.extend_from_slice(&self.body_out[..p.written]);
            rest = &rest[p.consumed..];
            if p.consumed == 0 && p.written == 0 {
                // BDAT lock-step: let the server answer the last chunk.
                self.server_turn();
                self.feed_one()?;
            }
        }
        for _ in 0..1000 {
            let f = self
                .client
                .finish_body(&mut self.body_out)
                .map_err(|e| self.errors.push(e))?;
            self.c2s.extend_from_slice(&self.body_out[..f.written]);
            if f.done {
                return Ok(());
            }
            self.server_turn();
            self.feed_one()?;
        }
        Err(())
    }

    /// Feeds the client one reply (lock-step BDAT) and records its event.
    fn feed_one(&mut self) -> Result<(), ()> {
        let (used, text) = match self.client.feed(&self.s2c) {
            Ok((used, ev)) => (used, format!("{ev:?}")),
            Err(e) => {
                self.errors.push(e);
                return Err(());
            }
        };
        self.s2c.drain(..used);
        if text.starts_with("Delivered") {
            self.delivered += 1;
        }
        if text.starts_with("Failed") {
            self.failed += 1;
        }
        self.client_events.push(text);
        Ok(())
    }

    /// Runs the session to its end.
    fn run(&mut self, envelopes: &[(Envelope<'_>, &[u8])]) {
        let mut next = 0;
        for _ in 0..200 {
            self.client_turn(envelopes, &mut next);
            self.server_turn();
            if self.client.is_closed() {
                break;
            }
        }
        assert!(
            self.client.is_closed(),
            "session did not end: {:#?}",
            self.client_events
        );
    }
}

fn client_config() -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example").unwrap();
    c.tls = TlsPolicy::Never;
    c
}

const BODY: &[u8] = b"Subject: test\r\n\r\n.leading dot\r\n\r\n.\r\nQUIT\r\nend";

fn rcpts() -> [Recipient<'static>; 3] {
    [
        Recipient::new("b@s.example").unwrap(),
        Recipient::new("nobody@s.example").unwrap(),
        Recipient::new("c@s.example").unwrap(),
    ]
}

#[test]
fn pipelining_and_chunking_on_and_off() {
    let rc = rcpts();
    for server_pipe in [false, true] {
        for client_pipe in [false, true] {
            for chunking in [false, true] {
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

#[test]
fn dsn_parameters() {
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

#[test]
fn binarymime_over_bdat() {
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
    let mut c = ClientConfig::new("c.example").unwrap();
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
    ] {
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
    let c = ClientConfig::new("c.example").unwrap();
    let mut pair = Pair::new(c, ServerConfig::new("s.example"));
    pair.run(&[(env, b"hi\r\n")]);
    assert_eq!(pair.errors, [ClientError::TlsUnavailable]);
    assert!(pair.received.senders.is_empty());
    assert!(pair.client_events.iter().any(|e| e.starts_with("Closed")));
}

#[test]
fn lmtp_per_recipient_replies() {
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
    for chunking in [false, true] {
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
    for chunking in [false, true] {
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
                    .filter(|e| e != "NeedMore")
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
        assert!(failed[0].contains("phase: Mail") && failed[0].contains("Permanent"));
        assert!(failed[1].contains("phase: Content") && failed[1].contains("Permanent"));
        assert!(failed[2].contains("phase: Content") && failed[2].contains("Transient"));
    }
}

mod random {
    //! Random sessions between the two engines: whatever the configuration,
    //! the decisions, the bodies and the fragmentation, neither engine ever
    //! sees the other break the protocol, and the client reports exactly
    //! the messages the server accepted.

    use super::*;
    use embedded_smtp::wire::stuff::StuffPolicy;
    use proptest::prelude::*;

    fn body() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(&b"."[..]),
                Just(&b"\r\n"[..]),
                Just(&b"\n"[..]),
                Just(&b"x"[..]),
                Just(&b"REJECT"[..]),
                Just(&b"TEMPFAIL"[..]),
            ],
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn engines_agree(
            server_pipe in any::<bool>(),
            server_chunking in any::<bool>(),
            client_pipe in any::<bool>(),
            normalize in any::<bool>(),
            rcpt_mask in 0u8..8,
            bodies in proptest::collection::vec(body(), 1..4),
            chunk in prop_oneof![Just(usize::MAX), 1usize..9],
        ) {
            let all = [
                Recipient::new("r0@s.example").unwrap(),
                Recipient::new("nobody@s.example").unwrap(),
                Recipient::new("r2@s.example").unwrap(),
            ];
            let rcpts: Vec<Recipient<'_>> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| rcpt_mask & (1 << i) != 0)
                .map(|(_, r)| *r)
                .collect();
            prop_assume!(!rcpts.is_empty());
            let env = Envelope::new("a@c.example", &rcpts).unwrap();
            let mut s = ServerConfig::new("s.example");
            s.pipelining = server_pipe;
            s.chunking = server_chunking;
            let mut c = client_config();
            c.pipelining = client_pipe;
            c.stuff_policy = if normalize { StuffPolicy::Normalize } else { StuffPolicy::Reject };
            let mut pair = Pair::new(c, s);
            pair.chunk = chunk;
            let msgs: Vec<(Envelope<'_>, &[u8])> =
                bodies.iter().map(|b| (env, b.as_slice())).collect();
            pair.run(&msgs);
            let protocol = pair
                .errors
                .iter()
                .any(|e| matches!(e, ClientError::Protocol(_)));
            prop_assert!(!protocol, "{:?}", pair.errors);
            // Never delivered unless the server accepted it.
            let accepted = pair
                .received
                .messages
                .iter()
                .filter(|m| {
                    !m.windows(6).any(|w| w == b"REJECT")
                        && !m.windows(8).any(|w| w == b"TEMPFAIL")
                })
                .count();
            prop_assert!(pair.delivered <= accepted);
            if pair.errors.is_empty() {
                prop_assert_eq!(pair.delivered, accepted);
            }
        }
    }
}
