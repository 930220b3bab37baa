//! The big providers, replayed (issue 10, item 4): what Gmail, Microsoft 365,
//! Exchange Server, Yahoo, iCloud, Fastmail, Amazon SES and SendGrid send,
//! taken from their documentation or from published sessions, replayed
//! against the client engine whole, byte by byte and split at every point.
//!
//! The transcripts are data files in `tests/client/providers/` (format in its
//! README); each names its sources, and says where it combines them. The
//! server lines are the sources'; the client lines are what this engine must
//! write. Every expected reply below is checked against the transcript's own
//! bytes.

use crate::support::client_script as script;

use embedded_smtp::client::{
    AuthConfig, ClientConfig, ClientError, Envelope, Recipient, TlsPolicy,
};
use embedded_smtp::syntax::{AuthMechanism, Capabilities};
use embedded_smtp::wire::reply::{ReplyLimits, frame};
use script::{Run, Script, Seen, check, esc, tail};

// ---------------------------------------------------------------------------
// Transcript files

/// One transcript: header fields, steps (client bytes, server bytes) and the
/// client bytes expected after the last server line.
struct Transcript {
    name: String,
    header: Vec<(String, String)>,
    steps: Vec<(Vec<u8>, Vec<u8>)>,
    tail: Vec<u8>,
}

impl Transcript {
    fn field(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The server bytes of every step.
    fn server(&self) -> impl Iterator<Item = &[u8]> {
        self.steps.iter().map(|(_, s)| s.as_slice())
    }
}

/// `\\` and `\xHH`; everything else as is.
fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = text.get(i + 2..i + 4).expect("\\x needs two hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Parses one transcript (format in `tests/client/providers/README.md`).
fn parse(name: &str, text: &str) -> Transcript {
    let mut t = Transcript {
        name: name.to_string(),
        header: Vec::new(),
        steps: Vec::new(),
        tail: Vec::new(),
    };
    let (mut client, mut server) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('@') {
            let (k, v) = rest.split_once(':').expect("@key: value");
            t.header.push((k.trim().to_string(), v.trim().to_string()));
        } else if let Some(rest) = line.strip_prefix("C:") {
            if !server.is_empty() {
                t.steps
                    .push((std::mem::take(&mut client), std::mem::take(&mut server)));
            }
            client.extend(unescape(rest.strip_prefix(' ').unwrap_or(rest)));
            client.extend_from_slice(b"\r\n");
        } else if let Some(rest) = line.strip_prefix("S:") {
            server.extend(unescape(rest.strip_prefix(' ').unwrap_or(rest)));
            server.extend_from_slice(b"\r\n");
        } else {
            panic!("{name}: line not understood: {line:?}");
        }
    }
    if !server.is_empty() {
        t.steps.push((std::mem::take(&mut client), server));
    }
    t.tail = client;
    assert!(t.field("provider").is_some(), "{name}: no @provider");
    assert!(t.field("source").is_some(), "{name}: no @source");
    t
}

fn read(file: &str) -> String {
    let path = format!(
        "{}/tests/client/providers/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(name: &str) -> Transcript {
    parse(name, &read(&format!("{name}.txt")))
}

/// Every server step is a sequence of complete replies that the reply
/// parser accepts, to the last byte.
fn replies_of(t: &Transcript, bytes: &[u8]) -> usize {
    let mut rest = bytes;
    let mut n = 0;
    while !rest.is_empty() {
        let parsed = frame(rest, &ReplyLimits::DEFAULT)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", t.name, esc(rest)));
        let (_, used) = parsed
            .complete()
            .unwrap_or_else(|| panic!("{}: incomplete reply {}", t.name, esc(rest)));
        rest = &rest[used..];
        n += 1;
    }
    n
}

/// Replays `t` with the given configuration and messages: every reply parses,
/// the client writes exactly the transcript's client lines at every split,
/// and never reports a protocol error. Returns the run; the tail is left to
/// the caller.
fn run_with(
    t: &Transcript,
    config: ClientConfig<'static>,
    messages: Vec<(Envelope<'static>, &'static [u8])>,
) -> Run {
    for server in t.server() {
        assert!(replies_of(t, server) >= 1);
    }
    let mut script = Script::new(
        config,
        t.steps
            .iter()
            .map(|(c, s)| (c.as_slice(), s.as_slice()))
            .collect(),
    );
    script.messages = messages;
    let run = check(&script);
    assert!(
        !run.errors
            .iter()
            .any(|e| matches!(e, ClientError::Protocol(_))),
        "{}: {:?}",
        t.name,
        run.errors
    );
    run
}

/// [`run_with`], and the client's bytes after the transcript are the
/// transcript's own trailing `C:` lines.
fn replay(
    t: &Transcript,
    config: ClientConfig<'static>,
    messages: Vec<(Envelope<'static>, &'static [u8])>,
) -> Run {
    let run = run_with(t, config, messages);
    assert_eq!(
        esc(tail(&run)),
        esc(&t.tail),
        "{}: after the last reply",
        t.name
    );
    run
}

// ---------------------------------------------------------------------------
// Configurations and expectations

const USER: &str = "user@example.com";
const PASSWORD: &str = "password";

fn config(tls: TlsPolicy, auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example");
    c.tls = tls;
    c.auth = auth;
    c
}

/// Port 465: the transport is TLS from the start.
fn implicit(auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut c = config(TlsPolicy::Required, auth);
    c.implicit_tls = true;
    c
}

fn password() -> Option<AuthConfig<'static>> {
    Some(AuthConfig::password(USER, PASSWORD))
}

fn message(from: &'static str, to: &'static str) -> Envelope<'static> {
    let rcpts: &'static [Recipient<'static>] = vec![Recipient::new(to).unwrap()].leak();
    Envelope::new(from, rcpts).unwrap()
}

fn mechanisms(caps: &Capabilities) -> Vec<AuthMechanism> {
    caps.auth().iter().collect()
}

/// The enhanced status code a reply line starts with (`x.y.z` after the
/// code and separator), if its class is the code's first digit (RFC 3463).
fn written_esc(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line.get(4..)?).ok()?;
    let token = text.split(' ').next()?;
    let parts: Vec<&str> = token.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    (parts.len() == 3 && parts.iter().all(|p| digits(p)) && token.as_bytes()[0] == line[0])
        .then_some(token)
}

/// The reply handed to the caller is the transcript's `block`: the same
/// bytes, its code, the enhanced code its first line carries, and each
/// line's text (after the code, the separator and that enhanced code).
fn expect_reply(seen: &Seen, block: &[u8]) {
    assert_eq!(esc(&seen.raw), esc(block));
    let lines: Vec<&[u8]> = block
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_suffix(b"\r").unwrap())
        .collect();
    let code: u16 = std::str::from_utf8(&lines[0][..3])
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(seen.code, code);
    let first_esc = written_esc(lines[0]);
    assert_eq!(seen.enhanced.as_deref(), first_esc);
    let expected: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| {
            let text = l.get(4..).unwrap_or_default();
            match first_esc {
                Some(e) if written_esc(l) == Some(e) => text[e.len()..]
                    .strip_prefix(b" ")
                    .unwrap_or(&text[e.len()..])
                    .to_vec(),
                _ => text.to_vec(),
            }
        })
        .collect();
    assert_eq!(seen.lines, expected);
}

/// The one event starting with `prefix`, and its reply.
fn only<'r>(run: &'r Run, prefix: &str) -> (&'r str, Option<&'r Seen>) {
    let found = run.with_reply(prefix);
    assert_eq!(found.len(), 1, "{prefix}: {:#?}", run.events);
    found[0]
}

fn reply_of<'r>(run: &'r Run, prefix: &str) -> &'r Seen {
    only(run, prefix)
        .1
        .unwrap_or_else(|| panic!("{prefix} carries no reply"))
}

/// The server bytes of step `i`.
fn step(t: &Transcript, i: usize) -> &[u8] {
    &t.steps[i].1
}

/// Rebuilds an EHLO reply from its first line's text and the given keyword
/// lines, for comparing capability sets.
fn ehlo(first: &str, lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let all: Vec<&str> = std::iter::once(first)
        .chain(lines.iter().copied())
        .collect();
    for (i, l) in all.iter().enumerate() {
        let sep = if i + 1 == all.len() { ' ' } else { '-' };
        out.extend_from_slice(format!("250{sep}{l}\r\n").as_bytes());
    }
    out
}

/// The same EHLO reply without its `AUTH mech...` lines, so that only the
/// old `AUTH=mech...` form is left.
fn old_auth_form_alone(reply: &[u8]) -> Capabilities {
    let text = std::str::from_utf8(reply).unwrap();
    let mut lines = text.lines().map(|l| &l[4..]);
    let first = lines.next().unwrap();
    let kept: Vec<&str> = lines.filter(|l| !l.starts_with("AUTH ")).collect();
    assert!(kept.iter().any(|l| l.starts_with("AUTH=")));
    caps_of(&ehlo(first, &kept))
}

fn caps_of(reply: &[u8]) -> Capabilities {
    let (r, _) = frame(reply, &ReplyLimits::DEFAULT)
        .unwrap()
        .complete()
        .unwrap();
    Capabilities::parse(&r)
}

// ---------------------------------------------------------------------------
// Gmail

mod gmail;
mod microsoft;
mod others;

#[test]
fn transcript_format_escapes() {
    let t = parse(
        "inline",
        "@provider: x\n@source: y\nS: 220 a\\\\b\\x21\nC: EHLO c\nS: 250 ok\nC: QUIT\n",
    );
    assert_eq!(t.steps[0], (Vec::new(), b"220 a\\b!\r\n".to_vec()));
    assert_eq!(t.steps[1], (b"EHLO c\r\n".to_vec(), b"250 ok\r\n".to_vec()));
    assert_eq!(t.tail, b"QUIT\r\n");
}
