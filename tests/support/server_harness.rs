//! One harness for every scripted server session (rule D2 meta-rule): a
//! script is a list of client segments (what the client sends before it
//! waits for replies) and a decision policy; the harness runs it with each
//! segment whole, byte by byte, and split at every 2-way point (and once
//! with the least output room the engine accepts, so that backpressure is
//! exercised), and asserts that the replies and the events are identical
//! every time.
//!
//! A segment marked `atomic` is never split: its point is that its bytes
//! arrive together (a pipelining synchronization violation, STARTTLS
//! injection), which no fragmentation may change.

#![allow(dead_code)]

use embedded_smtp::sasl::Credentials;
use embedded_smtp::server::{AbortReason, Event, Server, ServerConfig};
use embedded_smtp::syntax::{EnhancedCode, ReplyCode, Status, Verb};
use embedded_smtp::wire::proxy::ProxyHeader;
use embedded_smtp::wire::reply::ReplyLimits;

/// An owned copy of an [`Event`] (NeedInput and Flush are left out: they
/// depend on the fragmentation by design; Data is coalesced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Hello(Verb, String),
    Mail(String, String),
    Rcpt(String, String),
    Verify(Verb, String),
    DataStart,
    Data(Vec<u8>),
    MessageEnd,
    Aborted(AbortReason),
    AuthPlain(String),
    AuthLogin(String, String),
    AuthXOAuth2(String),
    StartTls,
    Close,
    Proxy(ProxyHeader),
}

/// The application's answer to a decision.
#[derive(Clone, Debug)]
pub enum Decision {
    Accept,
    Reject,
    Respond(u16, Option<(u8, u16, u16)>, &'static str),
}

/// One client segment.
#[derive(Clone, Debug)]
pub struct Seg {
    pub bytes: Vec<u8>,
    pub atomic: bool,
}

pub fn seg(bytes: impl AsRef<[u8]>) -> Seg {
    Seg {
        bytes: bytes.as_ref().to_vec(),
        atomic: false,
    }
}

pub fn atomic(bytes: impl AsRef<[u8]>) -> Seg {
    Seg {
        bytes: bytes.as_ref().to_vec(),
        atomic: true,
    }
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Every byte the server wrote, greeting included.
    pub out: Vec<u8>,
    pub events: Vec<Ev>,
    pub closed: bool,
}

impl Outcome {
    /// The reply codes, in order.
    pub fn codes(&self) -> Vec<u16> {
        replies(&self.out).into_iter().map(|r| r.0).collect()
    }

    /// The replies as (code, first line text).
    pub fn replies(&self) -> Vec<(u16, String)> {
        replies(&self.out)
    }

    /// The message contents (Data between DataStart and MessageEnd).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut msgs = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        for e in &self.events {
            match e {
                Ev::DataStart => cur = Some(Vec::new()),
                Ev::Data(d) => {
                    if let Some(c) = cur.as_mut() {
                        c.extend_from_slice(d);
                    }
                }
                Ev::MessageEnd => {
                    if let Some(c) = cur.take() {
                        msgs.push(c);
                    }
                }
                Ev::Aborted(_) => cur = None,
                _ => {}
            }
        }
        msgs
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }
}

/// Parses every reply in `out`, strictly: the engine only ever writes valid replies.
pub fn replies(out: &[u8]) -> Vec<(u16, String)> {
    let mut v = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        match embedded_smtp::wire::reply::frame(rest, &ReplyLimits::DEFAULT) {
            Ok(Status::Complete((reply, used))) => {
                let text = String::from_utf8_lossy(reply.raw()).into_owned();
                v.push((reply.code().get(), text));
                rest = &rest[used..];
            }
            other => panic!(
                "invalid reply output {other:?} in {:?}",
                String::from_utf8_lossy(rest)
            ),
        }
    }
    v
}

fn own(ev: &Event<'_>) -> Option<Ev> {
    Some(match *ev {
        Event::NeedInput | Event::Flush => return None,
        Event::Hello { verb, domain } => Ev::Hello(verb, domain.to_string()),
        Event::Mail { from, params } => Ev::Mail(from.to_string(), format!("{params:?}")),
        Event::Rcpt { to, params } => Ev::Rcpt(to.to_string(), format!("{params:?}")),
        Event::Verify { verb, argument } => Ev::Verify(verb, argument.to_string()),
        Event::DataStart => Ev::DataStart,
        Event::Data(d) => Ev::Data(d.to_vec()),
        Event::MessageEnd => Ev::MessageEnd,
        Event::MessageAborted(r) => Ev::Aborted(r),
        Event::Auth(Credentials::Plain { response }) => Ev::AuthPlain(response.to_string()),
        Event::Auth(Credentials::Login { username, password }) => {
            Ev::AuthLogin(username.to_string(), password.to_string())
        }
        Event::Auth(Credentials::XOAuth2 { response }) => Ev::AuthXOAuth2(response.to_string()),
        Event::StartTls => Ev::StartTls,
        Event::Close => Ev::Close,
        Event::Proxy(header) => Ev::Proxy(header),
    })
}

fn is_decision(ev: &Event<'_>) -> bool {
    matches!(
        ev,
        Event::Mail { .. }
            | Event::Rcpt { .. }
            | Event::Verify { .. }
            | Event::MessageEnd
            | Event::Auth(_)
    )
}

/// How each segment is cut.
#[derive(Clone, Copy, Debug)]
pub enum Split {
    Whole,
    Bytes,
    /// Segment `seg` cut at `at`.
    At {
        seg: usize,
        at: usize,
    },
}

/// A script: configuration, segments, the policy, and whether the peer
/// closes at the end (`end_of_input`).
pub struct Script<'p> {
    pub config: ServerConfig<'static>,
    pub segments: Vec<Seg>,
    pub policy: &'p dyn Fn(&Ev) -> Decision,
    pub eof: bool,
    pub greet: bool,
}

pub fn accept_all(_: &Ev) -> Decision {
    Decision::Accept
}

impl<'p> Script<'p> {
    pub fn new(config: ServerConfig<'static>, segments: Vec<Seg>) -> Self {
        Script {
            config,
            segments,
            policy: &accept_all,
            eof: false,
            greet: true,
        }
    }

    pub fn policy(mut self, p: &'p dyn Fn(&Ev) -> Decision) -> Self {
        self.policy = p;
        self
    }

    pub fn eof(mut self) -> Self {
        self.eof = true;
        self
    }

    pub fn no_greeting(mut self) -> Self {
        self.greet = false;
        self
    }

    /// One run with the given fragmentation and a roomy output buffer.
    pub fn run(&self, split: Split) -> Outcome {
        self.run_with(split, 4096)
    }

    /// One run with the output buffer as small as the engine allows.
    pub fn run_tight(&self, split: Split) -> Outcome {
        let room = Server::new(self.config).expect("config").output_room();
        self.run_with(split, room)
    }

    fn run_with(&self, split: Split, out_len: usize) -> Outcome {
        let mut server = Server::new(self.config).expect("config");
        let size = core::mem::size_of_val(&server);
        let mut o = Outcome {
            out: Vec::new(),
            events: Vec::new(),
            closed: false,
        };
        let mut buf = vec![0u8; out_len];
        if self.greet {
            let n = server.greet(&mut buf).unwrap();
            o.out.extend_from_slice(&buf[..n]);
        }
        let mut rx: Vec<u8> = Vec::new();
        'all: for (i, s) in self.segments.iter().enumerate() {
            let frags: Vec<&[u8]> = match split {
                _ if s.atomic => vec![&s.bytes[..]],
                Split::Whole => vec![&s.bytes[..]],
                Split::Bytes => s.bytes.chunks(1).collect(),
                Split::At { seg, at } if seg == i => vec![&s.bytes[..at], &s.bytes[at..]],
                Split::At { .. } => vec![&s.bytes[..]],
            };
            for f in frags {
                rx.extend_from_slice(f);
                if self.pump(&mut server, &mut rx, &mut buf, &mut o) {
                    break 'all;
                }
            }
        }
        if self.eof && !server.is_closed() {
            let ev = server.end_of_input();
            push(&mut o.events, own(&ev).unwrap());
        }
        assert_eq!(core::mem::size_of_val(&server), size);
        o.closed = server.is_closed();
        o
    }

    /// Feeds until the engine needs input; true when the session closed.
    fn pump(
        &self,
        server: &mut Server<'_>,
        rx: &mut Vec<u8>,
        buf: &mut [u8],
        o: &mut Outcome,
    ) -> bool {
        for _ in 0..1_000_000 {
            if server.is_closed() {
                return true;
            }
            let len = rx.len();
            let step = server.feed(rx, buf).expect("feed");
            assert!(step.consumed <= len, "consumed more than given");
            o.out.extend_from_slice(&buf[..step.written]);
            // HELO/EHLO/LHLO is a decision with `hello_decision`.
            let decision = is_decision(&step.event)
                || (self.config.hello_decision && matches!(step.event, Event::Hello { .. }));
            let ev = own(&step.event);
            let (need, close, tls) = (
                step.event == Event::NeedInput,
                step.event == Event::Close,
                step.event == Event::StartTls,
            );
            let consumed = step.consumed;
            if let Some(ev) = ev {
                if decision {
                    let n = match (self.policy)(&ev) {
                        Decision::Accept => server.accept(buf),
                        Decision::Reject => server.reject(buf),
                        Decision::Respond(code, esc, text) => server.respond(
                            ReplyCode::new(code).unwrap(),
                            esc.map(|(a, b, c)| EnhancedCode::new(a, b, c).unwrap()),
                            text,
                            buf,
                        ),
                    }
                    .expect("decision");
                    o.out.extend_from_slice(&buf[..n]);
                }
                push(&mut o.events, ev);
            }
            rx.drain(..consumed);
            if tls {
                assert!(
                    rx.is_empty(),
                    "plaintext behind STARTTLS must never be accepted"
                );
                server.tls_established().unwrap();
            }
            if close {
                return true;
            }
            if need {
                return false;
            }
        }
        panic!("no progress");
    }

    /// For long scripts: whole, byte by byte, and splits every `stride`
    /// bytes of each non-atomic segment (plus its last byte).
    pub fn check_coarse(&self, stride: usize) -> Outcome {
        let whole = self.run(Split::Whole);
        assert_eq!(self.run(Split::Bytes), whole, "byte-by-byte run differs");
        assert_eq!(self.run_tight(Split::Whole), whole, "tight output differs");
        for (i, s) in self.segments.iter().enumerate() {
            if s.atomic || s.bytes.len() < 2 {
                continue;
            }
            let points = (1..s.bytes.len())
                .step_by(stride.max(1))
                .chain([s.bytes.len() - 1]);
            for at in points {
                let o = self.run(Split::At { seg: i, at });
                assert_eq!(o, whole, "split of segment {i} at {at} differs");
            }
        }
        whole
    }

    /// Runs whole, byte by byte and at every 2-way split of every
    /// non-atomic segment; asserts identical outcomes; returns it.
    pub fn check(&self) -> Outcome {
        let whole = self.run(Split::Whole);
        let bytes = self.run(Split::Bytes);
        assert_eq!(bytes, whole, "byte-by-byte run differs\n{}", whole.text());
        // Backpressure: the least output room changes nothing either.
        assert_eq!(self.run_tight(Split::Whole), whole, "tight output differs");
        for (i, s) in self.segments.iter().enumerate() {
            if s.atomic {
                continue;
            }
            for at in 1..s.bytes.len() {
                let o = self.run(Split::At { seg: i, at });
                assert_eq!(
                    o,
                    whole,
                    "split of segment {i} at {at} differs\n{}",
                    whole.text()
                );
            }
        }
        whole
    }
}

fn push(events: &mut Vec<Ev>, ev: Ev) {
    if let (Ev::Data(new), Some(Ev::Data(prev))) = (&ev, events.last_mut()) {
        prev.extend_from_slice(new);
        return;
    }
    events.push(ev);
}

/// A default configuration for the tests.
pub fn config() -> ServerConfig<'static> {
    ServerConfig::new("mx.example")
}

/// Runs and checks a script with the default policy.
pub fn check(config: ServerConfig<'static>, segments: Vec<Seg>) -> Outcome {
    Script::new(config, segments).check()
}

/// `{pre}` of the catalogue: EHLO, MAIL, RCPT, DATA, each reply awaited.
pub fn pre() -> Vec<Seg> {
    vec![
        seg("EHLO c.example\r\n"),
        seg("MAIL FROM:<a@c.example>\r\n"),
        seg("RCPT TO:<b@s.example>\r\n"),
        seg("DATA\r\n"),
    ]
}

pub const BODY: &[u8] = b"Subject: t\r\n\r\nhi";
pub const SMUG: &[u8] = b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\nFrom: ceo@bank.example\r\n\r\nforged\r\n.\r\n";
