//! An in-memory `Pair` that shuttles bytes between the `Client` and the
//! `Server` engines, for the engine-to-engine tests. STARTTLS goes through a
//! pass-through "transport": both sides are told the handshake succeeded.
//! The server's application accepts everything except a sender containing
//! `refused`, a recipient containing `nobody`, and content containing
//! `REJECT` (554) or `TEMPFAIL` (451).

#![allow(dead_code)]

use embedded_smtp::client::Step;
use embedded_smtp::client::{ClientConfig, ClientError, Envelope, Recipient, TlsPolicy};
use embedded_smtp::sasl::Decoded;
use embedded_smtp::server::{Event as ServerEvent, Server, ServerConfig};
use embedded_smtp::{Client, client::Event as ClientEvent};

/// What the server's application saw.
#[derive(Debug, Default)]
pub struct Received {
    pub messages: Vec<Vec<u8>>,
    pub senders: Vec<String>,
    pub recipients: Vec<String>,
    pub mail_params: Vec<String>,
    pub rcpt_params: Vec<String>,
    pub auth: Vec<String>,
}

pub struct Pair<'c> {
    pub client: Client<'c>,
    pub server: Server<'c>,
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    pub out: Vec<u8>,
    pub body_out: Vec<u8>,
    pub current: Vec<u8>,
    pub received: Received,
    pub client_events: Vec<String>,
    pub errors: Vec<ClientError>,
    pub delivered: usize,
    pub failed: usize,
    /// Bytes each side sees per read (the transport's fragmentation).
    pub chunk: usize,
}

impl<'c> Pair<'c> {
    pub fn new(client: ClientConfig<'c>, server: ServerConfig<'c>) -> Self {
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
                let code = embedded_smtp::syntax::ReplyCode::new(451).unwrap();
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
                Ok(Step {
                    consumed: used,
                    event: ev,
                }) => {
                    self.client_events.push(format!("{ev:?}"));
                    let kind = match ev {
                        ClientEvent::NeedInput => 0,
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
            Ok(Step {
                consumed: used,
                event: ev,
            }) => (used, format!("{ev:?}")),
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
    pub fn run(&mut self, envelopes: &[(Envelope<'_>, &[u8])]) {
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

/// The server's CHUNKING settings a test goes through: off, and on when
/// this build has it (a server without the `chunking` feature refuses it).
pub fn chunking_choices() -> impl Iterator<Item = bool> {
    [false, true]
        .into_iter()
        .filter(|&on| !on || embedded_smtp::built::CHUNKING)
}

pub fn client_config() -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example");
    c.tls = TlsPolicy::Never;
    c
}

pub const BODY: &[u8] = b"Subject: test\r\n\r\n.leading dot\r\n\r\n.\r\nQUIT\r\nend";

pub fn rcpts() -> [Recipient<'static>; 3] {
    [
        Recipient::new("b@s.example").unwrap(),
        Recipient::new("nobody@s.example").unwrap(),
        Recipient::new("c@s.example").unwrap(),
    ]
}
