//! A scripted server for the client engine: a list of steps, each the exact
//! bytes the client must have written, then the bytes the server answers.
//! Every script runs with the server's bytes fed whole, byte by byte and
//! split at every point (rule D2); the client's bytes, the events and the
//! errors must be identical each time.

#![allow(dead_code)]

use embedded_smtp::client::Step;
use embedded_smtp::client::{Client, ClientConfig, ClientError, Envelope, Event, Recipient};
use embedded_smtp::syntax::{Capabilities, Reply};

/// The scripted server's greeting.
pub const GREETING: &[u8] = b"220 s.example ESMTP\r\n";
/// An EHLO reply with no extension.
pub const EHLO_PLAIN: &[u8] = b"250 s.example\r\n";
/// An EHLO reply with PIPELINING.
pub const EHLO_PIPE: &[u8] = b"250-s.example\r\n250 PIPELINING\r\n";

/// One recipient, `b@s.example`.
pub fn one_rcpt() -> &'static [Recipient<'static>] {
    static R: std::sync::OnceLock<[Recipient<'static>; 1]> = std::sync::OnceLock::new();
    R.get_or_init(|| [Recipient::new("b@s.example").unwrap()])
}

/// `a@c.example` to `b@s.example`.
pub fn env() -> Envelope<'static> {
    Envelope::new("a@c.example", one_rcpt()).unwrap()
}

/// A lock-step session up to DATA; `content` is the expected wire content.
pub fn data_script<'a>(config: ClientConfig<'a>, body: &'a [u8], content: &'a [u8]) -> Script<'a> {
    Script::new(
        config,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (content, b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body)
}

/// How each server step is cut into `feed` calls.
#[derive(Clone, Copy, Debug)]
pub enum Split {
    Whole,
    Bytes,
    At(usize),
}

/// What the scripted application does.
pub struct Script<'a> {
    pub config: ClientConfig<'a>,
    /// The messages to send, in order; QUIT once they are done.
    pub messages: Vec<(Envelope<'a>, &'a [u8])>,
    /// `(client bytes expected, server bytes)` per step.
    pub steps: Vec<(&'a [u8], &'a [u8])>,
    /// Size of the buffer given to `transmit`, `body` and `finish_body`.
    pub out_size: usize,
    /// Bytes handed to each `body` call.
    pub body_piece: usize,
    /// Size of the buffer given to `body` and `finish_body`.
    pub body_out: usize,
    /// Called after every event with its Debug text and the client's
    /// output so far (to append bytes written out of band).
    pub hook: Option<fn(&mut Client<'_>, &str, &mut Vec<u8>)>,
    /// Do not QUIT when the messages are done.
    pub no_quit: bool,
    /// Start the next message as soon as `Client::can_send_next` allows
    /// (behind the previous content, before its final reply).
    pub cross: bool,
}

impl<'a> Script<'a> {
    pub fn new(config: ClientConfig<'a>, steps: Vec<(&'a [u8], &'a [u8])>) -> Self {
        Script {
            config,
            messages: Vec::new(),
            steps,
            out_size: 4096,
            body_piece: usize::MAX,
            body_out: 4096,
            hook: None,
            no_quit: false,
            cross: false,
        }
    }

    pub fn message(mut self, env: Envelope<'a>, body: &'a [u8]) -> Self {
        self.messages.push((env, body));
        self
    }
}

/// A reply as an event handed it to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub code: u16,
    /// The enhanced status code, as `x.y.z`.
    pub enhanced: Option<String>,
    /// The whole reply as received (for an EHLO reply: its last line).
    pub raw: Vec<u8>,
    /// The text of each line, as `Reply::lines` gives it.
    pub lines: Vec<Vec<u8>>,
}

impl Seen {
    fn of(reply: &Reply<'_>) -> Self {
        Seen {
            code: reply.code().get(),
            enhanced: reply.enhanced().map(|e| e.to_string()),
            raw: reply.raw().to_vec(),
            lines: reply.lines().map(<[u8]>::to_vec).collect(),
        }
    }
}

/// The reply an event carries, if any.
fn seen(ev: &Event<'_>) -> Option<Seen> {
    let reply = match ev {
        Event::Hello(line) => {
            return Some(Seen {
                code: line.code.get(),
                enhanced: None,
                raw: line.text.to_vec(),
                lines: vec![line.text.to_vec()],
            });
        }
        Event::Greeting(r)
        | Event::Refused(r)
        | Event::TlsRefused(r)
        | Event::AuthChallenge(r)
        | Event::Authenticated(r)
        | Event::AuthFailed(r)
        | Event::MailFrom(r)
        | Event::ChunkAccepted(r)
        | Event::Reset(r)
        | Event::Reply(r)
        | Event::Closing(r)
        | Event::Closed(r)
        | Event::Recipient { reply: r, .. }
        | Event::Delivered { reply: r, .. }
        | Event::SendBody(Some(r)) => r,
        Event::Failed(f) => f.reply.as_ref()?,
        _ => return None,
    };
    Some(Seen::of(reply))
}

/// Everything observable of one run.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    /// Client bytes per step (plus what was written after the last step).
    pub wire: Vec<Vec<u8>>,
    pub events: Vec<String>,
    /// The reply each event carried (`None` for events without one), in
    /// step with `events`.
    pub replies: Vec<Option<Seen>>,
    /// The client's capabilities and whether it was in TLS, after each
    /// EHLO/LHLO reply.
    pub hellos: Vec<(Capabilities, bool)>,
    pub errors: Vec<ClientError>,
    pub closed: bool,
}

impl Run {
    pub fn delivered(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.starts_with("Delivered"))
            .count()
    }

    pub fn has_event(&self, prefix: &str) -> bool {
        self.events.iter().any(|e| e.starts_with(prefix))
    }

    /// The events whose Debug text starts with `prefix`, with their replies.
    pub fn with_reply(&self, prefix: &str) -> Vec<(&str, Option<&Seen>)> {
        self.events
            .iter()
            .zip(&self.replies)
            .filter(|(e, _)| e.starts_with(prefix))
            .map(|(e, r)| (e.as_str(), r.as_ref()))
            .collect()
    }
}

struct Driver<'s, 'a> {
    script: &'s Script<'a>,
    client: Client<'a>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    body_out: Vec<u8>,
    wire: Vec<u8>,
    events: Vec<String>,
    replies: Vec<Option<Seen>>,
    hellos: Vec<(Capabilities, bool)>,
    errors: Vec<ClientError>,
    next_message: usize,
    /// The message being sent: envelope index, body left, finished.
    current: Option<usize>,
    body_left: &'a [u8],
    body_on: bool,
    tls_pending: bool,
}

impl<'s, 'a> Driver<'s, 'a> {
    fn envelope(&self) -> Option<&'s Envelope<'a>> {
        self.current
            .and_then(|i| self.script.messages.get(i))
            .map(|(e, _)| e)
    }

    /// Lets the client write all it can.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            if self.client.is_closed() {
                return;
            }
            let mut progressed = false;
            let more = self.next_message < self.script.messages.len();
            if self.client.is_ready() || (self.script.cross && more && self.client.can_send_next())
            {
                if more {
                    let i = self.next_message;
                    self.next_message += 1;
                    match self.client.send(&self.script.messages[i].0) {
                        Ok(()) => {
                            self.current = Some(i);
                            self.body_left = self.script.messages[i].1;
                            self.body_on = false;
                        }
                        Err(e) => self.errors.push(e),
                    }
                    progressed = true;
                } else if !self.script.no_quit {
                    self.client.quit().unwrap();
                    progressed = true;
                }
            }
            let env = self.envelope();
            match self.client.transmit(env, &mut self.out) {
                Ok(n) => {
                    self.wire.extend_from_slice(&self.out[..n]);
                    progressed |= n > 0;
                }
                Err(e) => {
                    self.errors.push(e);
                    return;
                }
            }
            if self.body_on {
                if !self.body_left.is_empty() {
                    let piece = self.body_left.len().min(self.script.body_piece);
                    match self
                        .client
                        .body(&self.body_left[..piece], &mut self.body_out)
                    {
                        Ok(p) => {
                            self.wire.extend_from_slice(&self.body_out[..p.written]);
                            self.body_left = &self.body_left[p.consumed..];
                            progressed |= p.consumed > 0 || p.written > 0;
                        }
                        Err(e) => {
                            self.errors.push(e);
                            self.body_on = false;
                        }
                    }
                } else {
                    match self.client.finish_body(&mut self.body_out) {
                        Ok(f) => {
                            self.wire.extend_from_slice(&self.body_out[..f.written]);
                            progressed |= f.written > 0;
                            if f.done {
                                self.body_on = false;
                                progressed = true;
                            }
                        }
                        Err(e) => {
                            self.errors.push(e);
                            self.body_on = false;
                        }
                    }
                }
            }
            if !progressed {
                return;
            }
        }
        panic!("client keeps writing");
    }

    fn feed(&mut self, piece: &[u8]) {
        if self.client.is_closed() {
            // A driver stops reading once the session is over.
            return;
        }
        self.inbuf.extend_from_slice(piece);
        for _ in 0..100_000 {
            let (used, text, action, reply) = match self.client.feed(&self.inbuf) {
                Ok(Step {
                    consumed: used,
                    event: ev,
                }) => {
                    let action = match ev {
                        Event::NeedInput => 0,
                        Event::SendBody(_) => 1,
                        Event::StartTls => 2,
                        Event::Hello(_) => 4,
                        _ => 3,
                    };
                    (used, format!("{ev:?}"), action, seen(&ev))
                }
                Err(e) => {
                    self.errors.push(e);
                    if self.client.is_closed() {
                        self.inbuf.clear();
                        return;
                    }
                    continue;
                }
            };
            assert!(used <= self.inbuf.len());
            self.inbuf.drain(..used);
            if action == 0 {
                return;
            }
            self.events.push(text.clone());
            self.replies.push(reply);
            match action {
                1 => self.body_on = true,
                2 => self.tls_pending = true,
                4 => self
                    .hellos
                    .push((*self.client.capabilities(), self.client.is_tls())),
                _ => {}
            }
            if let Some(hook) = self.script.hook {
                hook(&mut self.client, &text, &mut self.wire);
            }
            self.pump();
        }
        panic!("feed does not terminate");
    }
}

/// Runs the script once with the given split.
pub fn run(script: &Script<'_>, split: Split) -> Run {
    let client = Client::new(script.config).expect("config");
    let mut d = Driver {
        script,
        client,
        inbuf: Vec::new(),
        out: vec![0; script.out_size],
        body_out: vec![0; script.body_out],
        wire: Vec::new(),
        events: Vec::new(),
        replies: Vec::new(),
        hellos: Vec::new(),
        errors: Vec::new(),
        next_message: 0,
        current: None,
        body_left: &[],
        body_on: false,
        tls_pending: false,
    };
    let mut wire = Vec::new();
    for (_, server) in &script.steps {
        d.pump();
        wire.push(std::mem::take(&mut d.wire));
        match split {
            Split::Whole => d.feed(server),
            Split::Bytes => {
                for b in server.iter() {
                    d.feed(std::slice::from_ref(b));
                }
                if server.is_empty() {
                    d.feed(&[]);
                }
            }
            Split::At(k) => {
                let k = k.min(server.len());
                d.feed(&server[..k]);
                d.feed(&server[k..]);
            }
        }
        if d.tls_pending {
            d.tls_pending = false;
            if d.client.tls_established().is_ok() {
                d.inbuf.clear();
            }
        }
    }
    d.pump();
    wire.push(std::mem::take(&mut d.wire));
    Run {
        wire,
        events: d.events,
        replies: d.replies,
        hellos: d.hellos,
        errors: d.errors,
        closed: d.client.is_closed(),
    }
}

/// Shows bytes with Rust escapes.
pub fn esc(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// Runs the script whole, checks the client's bytes step by step, then
/// checks that every other split gives the same run. Returns the run.
pub fn check(script: &Script<'_>) -> Run {
    let whole = run(script, Split::Whole);
    for (i, (expected, _)) in script.steps.iter().enumerate() {
        assert_eq!(
            esc(&whole.wire[i]),
            esc(expected),
            "client bytes before server step {i}; events so far {:#?}; errors {:?}",
            whole.events,
            whole.errors
        );
    }
    let longest = script.steps.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    let mut splits = vec![Split::Bytes];
    splits.extend((1..longest).map(Split::At));
    for split in splits {
        let other = run(script, split);
        assert_eq!(other, whole, "split {split:?} differs from whole input");
    }
    whole
}

/// The bytes the client wrote after the last step.
pub fn tail(run: &Run) -> &[u8] {
    run.wire.last().map(Vec::as_slice).unwrap_or_default()
}

/// A configuration without TLS (a LAN relay), for tests that are not
/// about TLS.
pub fn plain_config() -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example");
    c.tls = embedded_smtp::client::TlsPolicy::Never;
    c
}
