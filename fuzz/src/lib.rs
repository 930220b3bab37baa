//! The checks behind every fuzz target. Each function takes the fuzzer's bytes
//! and panics when an invariant breaks. The root crate's `cargo test` replays
//! the checked-in seed corpus through these same functions
//! (`tests/fuzz.rs` includes this file), so a seed that once found a
//! bug stays a regression test.
//!
//! Conventions: the first byte of the input selects options (policy, mode,
//! limits); the rest is the payload. Fragmentation is derived from the
//! payload itself with a tiny deterministic generator, so that a crash
//! reproduces from the file alone.

pub mod differential;
pub mod message;

pub use message::message;

use embedded_smtp::built;
use embedded_smtp::client::Step;
use embedded_smtp::server::{self, Server};
use embedded_smtp::syntax::{
    Capabilities, Command, ForwardPath, Mailbox, Mode, ParseOptions, ReversePath, Status,
    write_reply,
};
use embedded_smtp::wire::bdat::{BdatReader, ChunkEvent};
use embedded_smtp::wire::line::{BareLfPolicy, LineEvent, LineFramer};
use embedded_smtp::wire::proxy::{self, ProxyVersion};
use embedded_smtp::wire::reply::ReplyLimits;
use embedded_smtp::wire::stuff::{DotStuffer, StuffPolicy};
use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};

/// A small xorshift generator for chunk sizes: deterministic per input.
struct Chunks(u64);

impl Chunks {
    fn new(seed: &[u8]) -> Self {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for &b in seed.iter().take(16) {
            s = (s ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        Chunks(s | 1)
    }

    /// A size in 1..=max.
    fn next(&mut self, max: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        1 + (self.0 % max.max(1) as u64) as usize
    }
}

fn options(sel: u8) -> ParseOptions {
    ParseOptions {
        mode: if sel & 1 == 0 {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        utf8: sel & 2 != 0,
    }
}

/// Command parse → write → parse: a command that parses (strict or lenient)
/// writes without error, contains no CR/LF but its final CRLF, and parses
/// back strictly to the same value.
pub fn command(data: &[u8]) {
    let Some((&sel, line)) = data.split_first() else {
        return;
    };
    let opts = options(sel);
    let Ok(cmd) = Command::parse(line, opts) else {
        return;
    };
    let mut buf = [0u8; 8192];
    let n = match cmd.write(&mut buf) {
        Ok(n) => n,
        Err(e) => panic!("a parsed command must be writable: {e:?} for {cmd:?}"),
    };
    assert_eq!(&buf[n - 2..n], b"\r\n");
    let written = &buf[..n - 2];
    assert!(
        !written.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0),
        "control byte written"
    );
    let strict = ParseOptions {
        mode: Mode::Strict,
        utf8: opts.utf8,
    };
    match Command::parse(written, strict) {
        Ok(again) => assert_eq!(
            cmd,
            again,
            "round trip changed the command: {}",
            String::from_utf8_lossy(written)
        ),
        Err(e) => panic!(
            "written command does not parse strictly: {e:?}: {}",
            String::from_utf8_lossy(written)
        ),
    }
}

/// Paths and mailboxes: parse → write → parse is the identity, and the
/// written form keeps the local part byte for byte.
pub fn address(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = core::str::from_utf8(rest) else {
        return;
    };
    let utf8 = sel & 1 != 0;
    let mut buf = [0u8; 1024];
    if let Ok(m) = Mailbox::parse(s, utf8) {
        let n = m.write(&mut buf).expect("a parsed mailbox is writable");
        let w = core::str::from_utf8(&buf[..n]).expect("written mailbox is UTF-8");
        let again = Mailbox::parse(w, utf8).expect("written mailbox parses");
        assert_eq!(m, again);
        assert_eq!(m.local_part().as_str(), again.local_part().as_str());
    }
    if let Ok(p) = ReversePath::parse(s, utf8) {
        let n = p
            .write(&mut buf)
            .expect("a parsed reverse path is writable");
        let w = core::str::from_utf8(&buf[..n]).expect("UTF-8");
        assert_eq!(ReversePath::parse(w, utf8), Ok(p));
        assert!(n <= 256, "a written path is at most 256 octets");
    }
    if let Ok(p) = ForwardPath::parse(s, utf8) {
        let n = p
            .write(&mut buf)
            .expect("a parsed forward path is writable");
        let w = core::str::from_utf8(&buf[..n]).expect("UTF-8");
        assert_eq!(ForwardPath::parse(w, utf8), Ok(p));
    }
}

/// Replies: a complete reply is consistent with its bytes, and writing its
/// code, enhanced code and line texts back gives a reply that parses to the
/// same.
pub fn reply(data: &[u8]) {
    let limits = ReplyLimits::DEFAULT;
    let Ok(Status::Complete((r, used))) = embedded_smtp::wire::reply::frame(data, &limits) else {
        return;
    };
    assert!(used <= data.len() && used >= 5, "consumed {used}");
    assert_eq!(&data[used - 2..used], b"\r\n");
    assert_eq!(r.raw(), &data[..used]);
    assert!(r.line_count() >= 1 && r.line_count() <= limits.max_lines);
    assert_eq!(r.lines().count(), r.line_count());
    let _ = Capabilities::parse(&r);

    let mut texts: Vec<&str> = Vec::new();
    for t in r.lines() {
        match core::str::from_utf8(t) {
            Ok(s) if s.len() < 400 => texts.push(s),
            _ => return,
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    let Ok(n) = write_reply(&mut buf, r.code(), r.enhanced(), &texts) else {
        return;
    };
    let Ok(Status::Complete((again, used2))) =
        embedded_smtp::wire::reply::frame(&buf[..n], &ReplyLimits::DEFAULT)
    else {
        panic!(
            "written reply does not parse: {:?}",
            String::from_utf8_lossy(&buf[..n])
        )
    };
    assert_eq!(used2, n);
    assert_eq!(again.code(), r.code());
    assert_eq!(again.enhanced(), r.enhanced());
    assert!(again.lines().eq(r.lines()), "line texts changed");
}

/// EHLO capabilities: whatever a reply advertises, writing the set as a
/// server and parsing it again gives the same set; folding the lines one by
/// one gives the same set as parsing the whole reply.
pub fn ehlo(data: &[u8]) {
    let limits = ReplyLimits {
        max_line: 4096,
        max_lines: 1000,
        max_total: 1 << 20,
    };
    let Ok(Status::Complete((r, _))) = embedded_smtp::wire::reply::frame(data, &limits) else {
        return;
    };
    let caps = Capabilities::parse(&r);
    if r.code().get() == 250 {
        let mut folded = Capabilities::default();
        for line in r.lines().skip(1) {
            folded.add_line(line);
        }
        assert_eq!(folded, caps, "incremental and whole parsing disagree");
    }
    let mut buf = [0u8; 4096];
    let n = caps
        .write_ehlo_reply("fuzz.example", "hi", &mut buf)
        .expect("capabilities are writable");
    let Ok(Status::Complete((again, _))) = embedded_smtp::wire::reply::frame(&buf[..n], &limits)
    else {
        panic!("written EHLO reply does not parse")
    };
    assert_eq!(Capabilities::parse(&again), caps);
}

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Line(Vec<u8>),
    TooLong,
    Bare,
}

fn frame(
    payload: &[u8],
    policy: BareLfPolicy,
    limit: usize,
    chunks: &mut dyn FnMut() -> usize,
) -> Vec<Ev> {
    let mut framer = LineFramer::new(policy);
    let mut buf: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut events = Vec::new();
    while pos < payload.len() {
        let end = (pos + chunks()).min(payload.len());
        buf.extend_from_slice(&payload[pos..end]);
        pos = end;
        loop {
            let (used, ev) = framer.next_line(&buf, limit);
            assert!(used <= buf.len());
            let stalled = used == 0 && ev.is_none();
            match ev {
                Some(LineEvent::Line(l)) => {
                    assert!(l.len() < limit, "line of {} over limit {limit}", l.len());
                    assert!(
                        !l.contains(&b'\n') && !l.contains(&b'\r'),
                        "terminator inside a line"
                    );
                    events.push(Ev::Line(l.to_vec()));
                }
                Some(LineEvent::TooLong) => events.push(Ev::TooLong),
                Some(LineEvent::BareLineEnding) => events.push(Ev::Bare),
                None => {}
            }
            buf.drain(..used);
            if stalled {
                break;
            }
        }
        assert!(
            buf.len() < limit,
            "the framer left a full line's worth of bytes unconsumed"
        );
    }
    events
}

/// The line framer gives the same events whole, byte by byte and under
/// random fragmentation, and never a line over its limit.
pub fn line_framer(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let policy = if sel & 1 == 0 {
        BareLfPolicy::Reject
    } else {
        BareLfPolicy::Normalize
    };
    let limit = [8usize, 16, 64, 512][usize::from(sel >> 1) % 4];
    let whole = frame(payload, policy, limit, &mut || usize::MAX / 2);
    let bytewise = frame(payload, policy, limit, &mut || 1);
    assert_eq!(whole, bytewise, "byte-by-byte framing differs");
    let mut rng = Chunks::new(payload);
    let random = frame(payload, policy, limit, &mut || rng.next(32));
    assert_eq!(whole, random, "fragmented framing differs");
}

#[derive(Debug, PartialEq, Eq)]
enum DataEv {
    Data(Vec<u8>),
    Bare,
    End(usize),
}

/// Runs the unstuffer; merges adjacent Data events; stops at End, recording
/// how many payload bytes the message took.
fn unstuff(payload: &[u8], policy: BareLfPolicy, chunks: &mut dyn FnMut() -> usize) -> Vec<DataEv> {
    let mut u = DotUnstuffer::new(policy);
    let mut events: Vec<DataEv> = Vec::new();
    let mut pos = 0;
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    while fed < payload.len() {
        let end = (fed + chunks()).min(payload.len());
        buf.extend_from_slice(&payload[fed..end]);
        fed = end;
        loop {
            let (used, ev) = u.feed(&buf);
            assert!(used <= buf.len());
            if used == 0 && ev.is_none() {
                break;
            }
            pos += used;
            let done = matches!(ev, Some(DataEvent::End));
            match ev {
                Some(DataEvent::Data(d)) => match events.last_mut() {
                    Some(DataEv::Data(v)) => v.extend_from_slice(d),
                    _ => events.push(DataEv::Data(d.to_vec())),
                },
                Some(DataEvent::BareLineEnding) => events.push(DataEv::Bare),
                Some(DataEvent::End) => events.push(DataEv::End(pos)),
                None => {}
            }
            buf.drain(..used);
            if done {
                return events;
            }
        }
    }
    events
}

/// What the stuffer must produce from `body` under Normalize, before
/// stuffing: every bare CR or LF becomes CRLF, and a final CRLF is added to a
/// non-empty body that lacks one.
fn canonical(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
            }
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A CR not followed by LF, or an LF not preceded by CR.
fn has_bare(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| {
        (c == b'\n' && (i == 0 || b[i - 1] != b'\r'))
            || (c == b'\r' && b.get(i + 1) != Some(&b'\n'))
    })
}

fn stuff_all(
    body: &[u8],
    policy: StuffPolicy,
    rng: &mut Chunks,
    max_in: usize,
    max_out: usize,
) -> Option<Vec<u8>> {
    let mut s = DotStuffer::new(policy).with_max_line(None);
    let mut wire = Vec::new();
    let mut out = vec![0u8; max_out];
    let mut pos = 0;
    let mut spins = 0;
    while pos < body.len() {
        let end = (pos + rng.next(max_in)).min(body.len());
        let room = rng.next(max_out);
        let p = s.stuff(&body[pos..end], &mut out[..room]).ok()?;
        assert!(p.consumed <= end - pos && p.written <= room);
        wire.extend_from_slice(&out[..p.written]);
        pos += p.consumed;
        spins = if p.consumed == 0 && p.written == 0 {
            spins + 1
        } else {
            0
        };
        assert!(spins < 4, "stuffer makes no progress");
    }
    loop {
        let room = rng.next(max_out);
        let f = s.finish(&mut out[..room]).ok()?;
        wire.extend_from_slice(&out[..f.written]);
        if f.done {
            return Some(wire);
        }
        spins = if f.written == 0 { spins + 1 } else { 0 };
        assert!(spins < 4, "finish makes no progress");
    }
}

/// DATA transparency. (a) The unstuffer gives the same events whole, byte
/// by byte and fragmented. (b) unstuff(stuff(body)) == canonical(body) for
/// any body under Normalize, whatever the input and output chunk sizes, and
/// the end of data is exactly the end of what the stuffer wrote.
pub fn dot(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let policy = if sel & 1 == 0 {
        BareLfPolicy::Reject
    } else {
        BareLfPolicy::Normalize
    };
    let whole = unstuff(payload, policy, &mut || usize::MAX / 2);
    assert_eq!(
        whole,
        unstuff(payload, policy, &mut || 1),
        "byte-by-byte unstuffing differs"
    );
    let mut rng = Chunks::new(payload);
    assert_eq!(
        whole,
        unstuff(payload, policy, &mut || rng.next(16)),
        "fragmented unstuffing differs"
    );

    let stuff_policy = if sel & 2 == 0 {
        StuffPolicy::Normalize
    } else {
        StuffPolicy::Reject
    };
    let has_bare = has_bare(payload);
    let one = stuff_all(
        payload,
        stuff_policy,
        &mut Chunks::new(payload),
        1 << 20,
        1 << 16,
    );
    let wire = match (stuff_policy, one) {
        (StuffPolicy::Reject, None) => return,
        (StuffPolicy::Reject, Some(w)) => {
            assert!(!has_bare, "Reject policy let a bare CR/LF through");
            w
        }
        (_, Some(w)) => w,
        (_, None) => panic!("Normalize policy must not fail without a line limit"),
    };
    let mut rng = Chunks::new(payload);
    let small = stuff_all(payload, stuff_policy, &mut rng, 7, 3).expect("same input, same policy");
    assert_eq!(wire, small, "stuffing depends on chunk sizes");
    let got = unstuff(&wire, BareLfPolicy::Reject, &mut || usize::MAX / 2);
    let expected = canonical(payload);
    let mut want = Vec::new();
    if !expected.is_empty() {
        want.push(DataEv::Data(expected));
    }
    want.push(DataEv::End(wire.len()));
    assert_eq!(got, want, "unstuff(stuff(x)) != canonical(x)");
}

/// BDAT: exactly `size` octets whatever they contain, under any split.
pub fn bdat(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let size = (u64::from(sel) * 7) % (payload.len() as u64 + 1);
    let mut r = BdatReader::new(size, sel & 1 == 1);
    let mut rng = Chunks::new(payload);
    let mut got = Vec::new();
    let mut pos = 0;
    loop {
        let end = (pos + rng.next(9)).min(payload.len());
        let (used, ev) = r.feed(&payload[pos..end]);
        pos += used;
        match ev {
            Some(ChunkEvent::Data(d)) => got.extend_from_slice(d),
            Some(ChunkEvent::End { last }) => {
                assert_eq!(last, sel & 1 == 1);
                break;
            }
            None => assert!(pos < payload.len() || used > 0, "stalled"),
        }
    }
    assert_eq!(got, &payload[..size as usize]);
    assert_eq!(pos as u64, size);
}

/// The PROXY protocol header (`wire::proxy`) over arbitrary bytes: no
/// panic; a header takes at most `MAX_HEADER` octets, and at least that
/// many bytes always get an answer (never `Partial`); every prefix of the
/// input gets `Partial` or the whole input's answer (rule D2: the same
/// header once the prefix holds it, the same error); a decoded v1 TCP
/// header written again parses the same; and the server engine with
/// `proxy_protocol` does what the parser says (greeting and
/// `Event::Proxy`, silent close, or wait).
pub fn proxy(data: &[u8]) {
    let whole = proxy::parse(data);
    if data.len() >= proxy::MAX_HEADER {
        assert_ne!(whole, Ok(Status::Partial), "unbounded header");
    }
    for k in 0..data.len().min(proxy::MAX_HEADER + 1) {
        let got = proxy::parse(&data[..k]);
        match whole {
            Ok(Status::Complete((_, n))) if k >= n => assert_eq!(got, whole, "cut at {k}"),
            Ok(_) => assert_eq!(got, Ok(Status::Partial), "cut at {k}"),
            Err(e) => assert!(got == Ok(Status::Partial) || got == Err(e), "cut at {k}"),
        }
    }
    if let Ok(Status::Complete((header, n))) = whole {
        assert!(n <= data.len() && n <= proxy::MAX_HEADER);
        if let Some(a) = header.addresses {
            assert_eq!(
                a.source.is_ipv4(),
                a.destination.is_ipv4(),
                "mixed families"
            );
            if header.version == ProxyVersion::V1 {
                let proto = if a.source.is_ipv4() { "TCP4" } else { "TCP6" };
                let (s, d) = (a.source, a.destination);
                let line = format!(
                    "PROXY {proto} {} {} {} {}\r\n",
                    s.ip(),
                    d.ip(),
                    s.port(),
                    d.port()
                );
                let again = proxy::parse(line.as_bytes());
                assert_eq!(again, Ok(Status::Complete((header, line.len()))));
            }
        }
    }
    if !built::PROXY {
        // A build without the `proxy` feature refuses to expect a header.
        let mut c = server::ServerConfig::new("mx.example");
        c.proxy_protocol = true;
        assert_eq!(c.validate(), Err(server::ConfigError::NotBuilt("proxy")));
        return;
    }
    let mut c = server::ServerConfig::new("mx.example");
    c.proxy_protocol = true;
    let mut srv = Server::new(c).expect("config");
    let mut out = [0u8; 1024];
    assert_eq!(srv.greet(&mut out), Ok(0), "no greeting before the header");
    let step = srv.feed(data, &mut out).expect("feed");
    let reply = &out[..step.written];
    match whole {
        Ok(Status::Partial) => {
            assert_eq!((step.consumed, step.written), (0, 0));
            assert_eq!(step.event, server::Event::NeedInput);
        }
        Err(_) => {
            assert_eq!(
                (step.consumed, step.written),
                (0, 0),
                "a reply to a bad header"
            );
            assert_eq!(step.event, server::Event::Close);
            assert!(srv.is_closed());
        }
        Ok(Status::Complete((header, n))) if n == data.len() => {
            assert_eq!(step.consumed, n);
            assert_eq!(step.event, server::Event::Proxy(header));
            assert!(reply.starts_with(b"220 mx.example "), "greeting");
        }
        // Bytes behind the header, before the greeting: an early talker.
        Ok(Status::Complete((_, n))) => {
            assert_eq!(step.consumed, n);
            assert_eq!(step.event, server::Event::Close);
            assert!(reply.starts_with(b"554 5.5.0 "), "synchronization error");
        }
    }
}

/// A whole server session over arbitrary bytes: the first byte picks the
/// configuration, the second seeds the decisions, the rest is what the
/// client sends, cut at pseudo-random points. The engine must never panic,
/// never consume more than it was given, never stall, write only valid
/// replies, and keep its size.
pub fn server(data: &[u8]) {
    let (Some(&sel), Some(&seed)) = (data.first(), data.get(1)) else {
        return;
    };
    let payload = data.get(2..).unwrap_or_default();
    let mut c = server::ServerConfig::new("mx.example");
    c.bare_lf = if sel & 1 == 0 {
        server::BareLfPolicy::Reject
    } else {
        server::BareLfPolicy::Normalize
    };
    if sel & 2 != 0 {
        c.pipelining_violations = server::PipeliningPolicy::Lenient;
    }
    // Only what this build has (`embedded_smtp::built`).
    c.lmtp = built::LMTP && sel & 4 != 0;
    c.smtputf8 = built::SMTPUTF8 && sel & 8 != 0;
    c.dsn = built::DSN && sel & 8 != 0;
    c.binarymime = built::CHUNKING && sel & 8 != 0;
    if sel & 16 != 0 {
        let mut auth = embedded_smtp::syntax::AuthMechanisms::empty()
            .with(embedded_smtp::syntax::AuthMechanism::Plain)
            .with(embedded_smtp::syntax::AuthMechanism::Login);
        if built::XOAUTH2 {
            auth = auth.with(embedded_smtp::syntax::AuthMechanism::XOAuth2);
        }
        c.auth = auth;
        c.auth_without_tls = true;
    }
    c.tls_available = sel & 32 != 0;
    c.mode = if sel & 64 == 0 {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    c.max_message_size = if sel & 128 != 0 { 64 } else { 0 };
    c.vrfy = server::VrfyPolicy::Ask;
    let Ok(mut srv) = Server::new(c) else {
        panic!("valid configuration refused");
    };
    let size = core::mem::size_of_val(&srv);
    // The least room the engine asks for, or a little more: exercises Flush.
    let mut out_buf = [0u8; 4096];
    let room = (srv.output_room() + usize::from(seed >> 1 & 7) * 13).min(out_buf.len());
    let out = &mut out_buf[..room];
    let mut wire: Vec<u8> = Vec::new();
    if seed & 1 == 0 {
        let n = srv.greet(out).expect("greet");
        wire.extend_from_slice(&out[..n]);
    }
    let mut decisions = Chunks::new(&[seed, sel]);
    let mut rng = Chunks::new(payload);
    let mut rx: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut stalls = 0;
    'session: while !srv.is_closed() {
        if pos >= payload.len() {
            let _ = srv.end_of_input();
            break;
        }
        let end = (pos + rng.next(64)).min(payload.len());
        rx.extend_from_slice(&payload[pos..end]);
        pos = end;
        loop {
            let len = rx.len();
            let step = srv.feed(&rx, out).expect("feed");
            assert!(step.consumed <= len, "consumed more than given");
            wire.extend_from_slice(&out[..step.written]);
            let event = step.event;
            let decision = matches!(
                event,
                server::Event::Mail { .. }
                    | server::Event::Rcpt { .. }
                    | server::Event::Verify { .. }
                    | server::Event::MessageEnd
                    | server::Event::Auth(_)
            );
            let progress = step.consumed > 0 || step.written > 0 || event != server::Event::Flush;
            let (need, close, tls) = (
                event == server::Event::NeedInput,
                event == server::Event::Close,
                event == server::Event::StartTls,
            );
            rx.drain(..step.consumed);
            if decision {
                let n = match decisions.next(4) {
                    1 => srv.accept(out),
                    2 => srv.reject(out),
                    3 => srv.respond(
                        embedded_smtp::syntax::ReplyCode::new(451).unwrap(),
                        None,
                        "later",
                        out,
                    ),
                    _ => srv.respond(
                        embedded_smtp::syntax::ReplyCode::new(250).unwrap(),
                        None,
                        "fine",
                        out,
                    ),
                }
                .expect("decision");
                wire.extend_from_slice(&out[..n]);
            }
            if need {
                break;
            }
            if close {
                break 'session;
            }
            if tls {
                assert!(rx.is_empty(), "plaintext accepted behind STARTTLS");
                srv.tls_established().expect("tls");
            }
            stalls = if progress { 0 } else { stalls + 1 };
            assert!(stalls < 4, "engine stalls");
            if srv.is_closed() {
                break 'session;
            }
        }
    }
    if srv.is_closed() {
        assert!(srv.feed(b"x", out).is_err());
    }
    assert_eq!(core::mem::size_of_val(&srv), size);
    let mut rest = &wire[..];
    while !rest.is_empty() {
        match embedded_smtp::wire::reply::frame(rest, &ReplyLimits::DEFAULT) {
            Ok(Status::Complete((_, used))) => rest = &rest[used..],
            other => panic!("invalid reply output: {other:?}"),
        }
    }
}

/// A whole client session against arbitrary server bytes: the first bytes
/// choose the configuration, the output buffer size and how the server's
/// bytes and the body are cut; the rest is what the server says. Checks:
/// no panic, bounded work, `feed` never consumes more than it was given,
/// `transmit` writes whole CRLF-terminated commands with no bare CR/LF, and
/// "delivered" is never reported before the content's end mark was written
/// (rule D12).
pub fn client(data: &[u8]) {
    client_session(data);
}

/// [`client`], returning how many messages were reported delivered.
pub fn client_session(data: &[u8]) -> usize {
    use embedded_smtp::client::{
        AuthConfig, ChunkingPolicy, Client, ClientConfig, Envelope, Event, Recipient, TlsPolicy,
    };
    use embedded_smtp::wire::stuff::StuffPolicy;

    let Some((&[a, b, c], server)) = data.split_first_chunk::<3>() else {
        return 0;
    };
    let mut config = ClientConfig::new("c.example");
    config.tls = [
        TlsPolicy::Never,
        TlsPolicy::Opportunistic,
        TlsPolicy::Required,
    ][usize::from(a % 3)];
    config.pipelining = a & 4 != 0;
    config.chunking = if a & 8 != 0 {
        ChunkingPolicy::WhenAdvertised
    } else {
        ChunkingPolicy::Never
    };
    config.lmtp = built::LMTP && a & 16 != 0;
    config.allow_plaintext_auth = a & 32 != 0;
    config.auth = match a >> 6 {
        1 => Some(AuthConfig::password("user", "pass")),
        2 if built::XOAUTH2 => Some(AuthConfig::XOAuth2 {
            user: "u@x",
            token: "tok",
        }),
        _ => None,
    };
    config.stuff_policy = [
        StuffPolicy::Reject,
        StuffPolicy::Normalize,
        StuffPolicy::Space,
    ][usize::from(b % 3)];
    // Enough for the longest command here; sometimes several.
    let out_len = 40 + usize::from(b >> 2) * 8;
    let body_out_len = 1 + usize::from(c & 63);
    let Ok(mut client) = Client::new(config) else {
        return 0;
    };
    let rcpts = [
        Recipient::new("r0@s.example").unwrap(),
        Recipient::new("r1@s.example").unwrap(),
    ];
    let env = Envelope::new("a@c.example", &rcpts).unwrap();
    // Canonical under Reject; bare line ends for the rewriting policies.
    let body: &[u8] = if b % 3 == 0 {
        b"Subject: t\r\n\r\n.hi\r\nline\r\n.\r\nend"
    } else {
        b"Subject: t\r\n\r\n.hi\r\nline\n.\r\nend\r"
    };
    let mut out = vec![0u8; out_len];
    let mut body_out = vec![0u8; body_out_len];
    let mut chunks = Chunks::new(data);
    let mut input: Vec<u8> = Vec::new();
    let mut rest = server;
    let (mut sending, mut body_left, mut finished) = (false, &b""[..], false);
    let mut sent_messages = 0;
    let mut delivered = 0;
    for _ in 0..10_000 {
        if client.is_closed() {
            break;
        }
        if client.is_ready() {
            if sent_messages < 2 && client.send(&env).is_ok() {
                sent_messages += 1;
                finished = false;
            } else {
                let _ = client.quit();
            }
        } else if c & 1 != 0
            && sent_messages < 2
            && client.can_send_next()
            && client.send(&env).is_ok()
        {
            // Cross-transaction pipelining: the next envelope behind the
            // content whose final reply is still due.
            sent_messages += 1;
            finished = false;
        }
        if let Ok(n) = client.transmit(Some(&env), &mut out) {
            let w = &out[..n];
            if n > 0 {
                assert!(w.ends_with(b"\r\n"), "partial command {w:?}");
            }
            for (i, &x) in w.iter().enumerate() {
                if x == b'\n' {
                    assert!(i > 0 && w[i - 1] == b'\r', "bare LF in {w:?}");
                }
                if x == b'\r' {
                    assert_eq!(w.get(i + 1), Some(&b'\n'), "bare CR in {w:?}");
                }
            }
        }
        if sending {
            if !body_left.is_empty() {
                let piece = body_left.len().min(1 + usize::from(c >> 6) * 20);
                let result = if piece == body_left.len() && c & 2 != 0 {
                    client.body_last(&body_left[..piece], &mut body_out)
                } else {
                    client.body(&body_left[..piece], &mut body_out)
                };
                match result {
                    Ok(p) => {
                        assert!(p.consumed <= piece && p.written <= body_out.len());
                        body_left = &body_left[p.consumed..];
                    }
                    Err(_) => sending = false,
                }
            } else {
                match client.finish_body(&mut body_out) {
                    Ok(f) if f.done => {
                        sending = false;
                        finished = true;
                    }
                    Ok(_) => {}
                    Err(_) => sending = false,
                }
            }
        }
        // Feed a piece of the server's bytes and handle one event, then let
        // the client write again (a lock-step server answers one command at
        // a time; a pipelining one may have answered several).
        if !rest.is_empty() {
            let n = chunks.next(rest.len().min(64));
            input.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        let mut waiting = false;
        // The scripted server's bytes are all "already sent": hold them
        // back while the content goes out, as a server that reads does.
        for _ in 0..usize::from(!sending) {
            let before = input.len();
            // The reply settles the previous message, whose content end was
            // written before the next one began.
            let previous = client.settles_previous();
            let (used, ev) = match client.feed(&input) {
                Ok(Step {
                    consumed: used,
                    event: ev,
                }) => {
                    assert!(used <= before);
                    let kind = match ev {
                        Event::NeedInput => 0,
                        Event::SendBody(_) => 1,
                        Event::StartTls => 2,
                        Event::Delivered { .. } => 3,
                        _ => 4,
                    };
                    (used, kind)
                }
                Err(_) => {
                    if client.is_closed() {
                        break;
                    }
                    continue;
                }
            };
            input.drain(..used);
            match ev {
                0 => waiting = true,
                1 => {
                    sending = true;
                    body_left = body;
                }
                2 if input.is_empty() && client.feed(&[]).is_ok() => {
                    let _ = client.tls_established();
                }
                3 => {
                    assert!(
                        finished || previous,
                        "delivered before the end of the content"
                    );
                    delivered += 1;
                }
                _ => {}
            }
            break;
        }
        if waiting && rest.is_empty() && !sending && !client.wants_transmit() && !client.is_ready()
        {
            // The server has nothing more to say: EOF.
            let _ = client.eof();
            break;
        }
    }
    delivered
}
