//! One corpus, one run, beside the peers (issue: foundation benches).
//!
//! - command parsing: ours (framer + `Command::parse`) vs smtp-proto 0.2 `Request::parse`;
//! - reply parsing: ours (`Reply::parse`) vs smtp-proto `ResponseReceiver` and lettre 0.11 `Response::from_str`;
//! - DATA unstuffing: ours (`DotUnstuffer`, with and without copying the data out) vs smtp-proto `DataReceiver`;
//! - dot-stuffing: ours (`DotStuffer`);
//! - floors: a `memchr` line split and `copy_from_slice` over the same bytes.
//!
//! The DATA body has no period inside a line, as base64 attachments, the bulk
//! of large mail, have none; `PROSE=1 cargo bench --bench compare -- data`
//! puts a sentence end (". ") in every 37 octets, as in running text.
//!
//! Run with `cargo bench --bench compare`. After criterion's own report the
//! bench prints a table of medians and the ratios the issue sets targets for,
//! read back from criterion's `estimates.json` files.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use embedded_smtp::syntax::{Command, ParseOptions, Status};
use embedded_smtp::wire::line::{BareLfPolicy, LineEvent, LineFramer};
use embedded_smtp::wire::reply::ReplyLimits;
use embedded_smtp::wire::stuff::{DotStuffer, StuffPolicy};
use embedded_smtp::wire::unstuff::{DataEvent, DotUnstuffer};

/// A realistic client side of many sessions: what a busy server parses.
fn command_corpus() -> Vec<u8> {
    let session: &[&str] = &[
        "EHLO client.example.org",
        "MAIL FROM:<alice.sender@example.org> SIZE=48213 BODY=8BITMIME",
        "RCPT TO:<bob@example.net>",
        "RCPT TO:<carol.long-name@mail.example.com> NOTIFY=SUCCESS,FAILURE",
        "RCPT TO:<dave@[192.0.2.17]>",
        "DATA",
        "MAIL FROM:<> RET=HDRS ENVID=QQ314159",
        "RCPT TO:<postmaster@example.net>",
        "RSET",
        "NOOP",
        "VRFY bob",
        "QUIT",
    ];
    let mut out = Vec::new();
    for i in 0..400 {
        for line in session {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if i % 3 == 0 {
            out.extend_from_slice(b"HELO relay.example.org\r\nMAIL FROM:<x@y.example>\r\n");
        }
    }
    out
}

/// Replies a client parses: greetings, EHLO, positive and negative ones.
fn reply_corpus() -> Vec<&'static str> {
    let ehlo = "250-mx.example.net Hello client.example.org [192.0.2.1]\r\n250-SIZE 52428800\r\n\
                250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-DSN\r\n\
                250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n";
    let one: Vec<&'static str> = vec![
        "220 mx.example.net ESMTP ready\r\n",
        ehlo,
        "250 2.1.0 Sender OK\r\n",
        "250 2.1.5 Recipient OK\r\n",
        "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown\r\n",
        "354 End data with <CR><LF>.<CR><LF>\r\n",
        "250 2.0.0 Ok: queued as 4BXYZ123\r\n",
        "221 2.0.0 Bye\r\n",
        "451-4.7.1 Greylisted, please try again later\r\n451 4.7.1 See https://example.net/greylisting\r\n",
        "250\r\n",
    ];
    one.iter().cycle().take(one.len() * 200).copied().collect()
}

/// A 1 MiB message body of ordinary text lines, some starting with a dot;
/// with `PROSE` set, sentences end in every line.
fn body() -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 20);
    let words = b"the quick brown fox jumps over the lazy dog and keeps running far ";
    let mut i = 0usize;
    while out.len() < (1 << 20) {
        if i.is_multiple_of(40) {
            out.push(b'.');
        }
        let len = 40 + (i * 7919) % 36;
        let prose = std::env::var_os("PROSE").is_some_and(|v| !v.is_empty());
        for k in 0..len {
            if prose && k % 37 == 36 {
                out.extend_from_slice(b". ");
            }
            out.push(words[(i + k) % words.len()]);
        }
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    out
}

/// The body as it travels: dot-stuffed and terminated.
fn stuffed(body: &[u8]) -> Vec<u8> {
    let mut s = DotStuffer::new(StuffPolicy::Reject);
    let mut out = vec![0u8; body.len() * 2 + 16];
    let p = s.stuff(body, &mut out).expect("canonical body");
    assert_eq!(p.consumed, body.len());
    let f = s.finish(&mut out[p.written..]).expect("finish");
    assert!(f.done);
    out.truncate(p.written + f.written);
    out
}

fn commands(c: &mut Criterion) {
    let corpus = command_corpus();
    let mut g = c.benchmark_group("commands");
    g.throughput(Throughput::Bytes(corpus.len() as u64));
    g.bench_function("embedded-smtp", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(BareLfPolicy::Reject);
            let mut rest = &corpus[..];
            let mut n = 0usize;
            while !rest.is_empty() {
                let (used, ev) = framer.next_line(rest, 512);
                if let Some(LineEvent::Line(line)) = ev {
                    n += Command::parse(line, ParseOptions::STRICT).is_ok() as usize;
                }
                rest = &rest[used..];
            }
            black_box(n)
        })
    });
    g.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut it = corpus.iter();
            let mut n = 0usize;
            while !it.as_slice().is_empty() {
                n += smtp_proto::Request::parse(&mut it).is_ok() as usize;
            }
            black_box(n)
        })
    });
    g.bench_function("memchr-lines", |b| {
        b.iter(|| black_box(memchr::memchr_iter(b'\n', &corpus).count()))
    });
    g.finish();
}

fn replies(c: &mut Criterion) {
    let corpus = reply_corpus();
    let joined: Vec<u8> = corpus.concat().into_bytes();
    let mut g = c.benchmark_group("replies");
    g.throughput(Throughput::Bytes(joined.len() as u64));
    g.bench_function("embedded-smtp", |b| {
        b.iter(|| {
            let mut rest = &joined[..];
            let mut n = 0usize;
            while let Ok(Status::Complete((r, used))) =
                embedded_smtp::wire::reply::frame(rest, &ReplyLimits::DEFAULT)
            {
                n += r.code().get() as usize;
                rest = &rest[used..];
            }
            black_box(n)
        })
    });
    g.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut it = joined.iter();
            let mut n = 0usize;
            while !it.as_slice().is_empty() {
                match smtp_proto::response::parser::ResponseReceiver::default().parse(&mut it) {
                    Ok(r) => n += r.code as usize,
                    Err(_) => break,
                }
            }
            black_box(n)
        })
    });
    g.bench_function("lettre", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for r in &corpus {
                if let Ok(r) = r.parse::<lettre::transport::smtp::response::Response>() {
                    n += r.first_line().map_or(0, str::len);
                }
            }
            black_box(n)
        })
    });
    g.bench_function("memchr-lines", |b| {
        b.iter(|| black_box(memchr::memchr_iter(b'\n', &joined).count()))
    });
    g.finish();
}

fn data(c: &mut Criterion) {
    let body = body();
    let wire = stuffed(&body);
    let mut g = c.benchmark_group("data");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    let mut out = vec![0u8; wire.len()];
    g.bench_function(
        BenchmarkId::new("unstuff", "embedded-smtp zero-copy"),
        |b| {
            b.iter(|| {
                let mut u = DotUnstuffer::new(BareLfPolicy::Reject);
                let mut rest = &wire[..];
                let mut n = 0usize;
                loop {
                    let (used, ev) = u.feed(rest);
                    rest = &rest[used..];
                    match ev {
                        Some(DataEvent::Data(d)) => n += d.len(),
                        Some(DataEvent::End) => break,
                        _ => {}
                    }
                }
                black_box(n)
            })
        },
    );
    g.bench_function(BenchmarkId::new("unstuff", "embedded-smtp + copy"), |b| {
        b.iter(|| {
            let mut u = DotUnstuffer::new(BareLfPolicy::Reject);
            let mut rest = &wire[..];
            let mut n = 0usize;
            loop {
                let (used, ev) = u.feed(rest);
                rest = &rest[used..];
                match ev {
                    Some(DataEvent::Data(d)) => {
                        out[n..n + d.len()].copy_from_slice(d);
                        n += d.len();
                    }
                    Some(DataEvent::End) => break,
                    _ => {}
                }
            }
            black_box(&out[..n]);
        })
    });
    let mut sink = Vec::with_capacity(wire.len());
    g.bench_function(BenchmarkId::new("unstuff", "smtp-proto"), |b| {
        b.iter(|| {
            sink.clear();
            let mut r = smtp_proto::request::receiver::DataReceiver::new();
            let done = r.ingest(&mut wire.iter(), &mut sink);
            black_box((done, sink.len()))
        })
    });
    let mut stuff_out = vec![0u8; 64 * 1024];
    g.bench_function(BenchmarkId::new("stuff", "embedded-smtp"), |b| {
        b.iter(|| {
            let mut s = DotStuffer::new(StuffPolicy::Reject);
            let mut rest = &body[..];
            let mut n = 0usize;
            while !rest.is_empty() {
                let p = s.stuff(rest, &mut stuff_out).expect("canonical");
                n += p.written;
                rest = &rest[p.consumed..];
            }
            n += s.finish(&mut stuff_out).expect("finish").written;
            black_box(n)
        })
    });
    g.bench_function(BenchmarkId::new("floor", "copy_from_slice"), |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&wire));
            black_box(&out);
        })
    });
    g.bench_function(BenchmarkId::new("floor", "memchr-lines"), |b| {
        b.iter(|| black_box(memchr::memchr_iter(b'\n', &wire).count()))
    });
    g.finish();
}

/// Median time (ns) of one benchmark, from criterion's estimates.json.
fn median(path: &str) -> Option<f64> {
    let file = format!("{}/criterion/{path}/new/estimates.json", target_dir());
    let text = std::fs::read_to_string(file).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let pe = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let end = rest[pe..].find([',', '}'])?;
    rest[pe..pe + end].trim().parse().ok()
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_string())
}

fn report() {
    let rows: &[(&str, &str, &str, f64)] = &[
        (
            "commands: ours vs smtp-proto",
            "commands/embedded-smtp",
            "commands/smtp-proto",
            1.5,
        ),
        (
            "replies: ours vs smtp-proto",
            "replies/embedded-smtp",
            "replies/smtp-proto",
            1.5,
        ),
        (
            "replies: ours vs lettre",
            "replies/embedded-smtp",
            "replies/lettre",
            1.0,
        ),
        (
            "unstuff+copy vs memcpy",
            "data/unstuff/embedded-smtp + copy",
            "data/floor/copy_from_slice",
            0.75,
        ),
        (
            "unstuff zero-copy vs memcpy",
            "data/unstuff/embedded-smtp zero-copy",
            "data/floor/copy_from_slice",
            0.75,
        ),
        (
            "unstuff+copy vs smtp-proto",
            "data/unstuff/embedded-smtp + copy",
            "data/unstuff/smtp-proto",
            1.5,
        ),
        (
            "stuff vs memcpy",
            "data/stuff/embedded-smtp",
            "data/floor/copy_from_slice",
            0.5,
        ),
    ];
    println!(
        "\n{:<32} {:>12} {:>12} {:>8} {:>8}",
        "comparison", "ours (ns)", "peer (ns)", "ratio", "target"
    );
    for (name, ours, peer, target) in rows {
        match (median(ours), median(peer)) {
            // Throughput ratio = peer time / our time (same bytes).
            (Some(o), Some(p)) => {
                let ratio = p / o;
                let verdict = if ratio >= *target { "ok" } else { "BEHIND" };
                println!("{name:<32} {o:>12.0} {p:>12.0} {ratio:>7.2}x {target:>7.2}x {verdict}");
            }
            _ => println!("{name:<32} (not measured in this run)"),
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    commands(&mut c);
    replies(&mut c);
    data(&mut c);
    c.final_summary();
    report();
}
