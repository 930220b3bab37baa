//! The host examples, run as programs over 127.0.0.1 only: `demo`, `send`
//! into `sink` (plain, STARTTLS with a generated certificate, AUTH, the
//! load generator), `send`'s exit statuses, `sink`'s clean stop on SIGTERM
//! and the `event_loop` server.
//!
//! The example binaries are built once per test run by `cargo build
//! --examples` into this test's own target directory, with this test's
//! features (so nothing is rebuilt when `cargo test` already built them).
//! Every spawned process is killed when its guard drops (a failed assertion
//! included), and every wait is bounded.
#![cfg(all(feature = "blocking", feature = "async"))]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any one program may run.
const LIMIT: Duration = Duration::from_secs(60);

/// `target/<profile>/examples`, after building the examples once.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test is target/<profile>/deps/examples-<hash>.
        let exe = std::env::current_exe().expect("test executable path");
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let target = profile.parent().expect("target directory");
        let features: Vec<&str> = [
            ("blocking", cfg!(feature = "blocking")),
            ("async", cfg!(feature = "async")),
            ("embassy", cfg!(feature = "embassy")),
            ("log", cfg!(feature = "log")),
            ("defmt", cfg!(feature = "defmt")),
            ("std", cfg!(feature = "std")),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--examples", "--no-default-features"])
            .args(["--features", &features.join(",")])
            .arg("--target-dir")
            .arg(target);
        // Not the variables cargo sets for this test: a build script that
        // watches one (CARGO_MANIFEST_DIR) would rebuild on every switch.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_BIN_EXE_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&k.as_ref())
            {
                cargo.env_remove(&key);
            }
        }
        if profile.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
        profile.join("examples")
    })
}

/// A spawned example, killed (and reaped) when dropped.
struct Proc {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn spawn(name: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(examples_dir().join(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().unwrap().push_str(&text);
            }
        });
        Proc {
            child,
            stdout: rx,
            stderr,
        }
    }

    /// A server example: waits for its `listening on ADDR` line.
    fn server(name: &str, args: &[&str]) -> (Proc, String) {
        let p = Proc::spawn(name, args);
        let line = p.stdout.recv_timeout(LIMIT).unwrap_or_else(|_| {
            panic!(
                "{name} did not say `listening on`: {}",
                p.stderr.lock().unwrap()
            )
        });
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{name} printed {line:?}"))
            .to_string();
        (p, addr)
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the exit (bounded); then everything it printed.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(
                start.elapsed() < LIMIT,
                "still running after {LIMIT:?}: {}",
                self.stderr.lock().unwrap()
            );
            thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end at EOF, right after the exit.
        let mut out = String::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            out.push_str(&line);
            out.push('\n');
        }
        thread::sleep(Duration::from_millis(50));
        let err = self.stderr.lock().unwrap().clone();
        (status, out, err)
    }
}

/// Runs `send` to completion.
fn send(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = Proc::spawn("send", args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "embedded-smtp-examples-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write temp file");
        path.to_str().expect("UTF-8 temp path").to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8 path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files in `dir/sub`, sorted by name.
fn files(dir: &str, sub: &str) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(Path::new(dir).join(sub))
        .expect("read maildir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).expect("read message"))
        .collect()
}

/// A body with what framing must keep intact: leading dots, a lone dot
/// line, empty lines, 8-bit text, a long line, trailing spaces.
fn tricky_body() -> Vec<u8> {
    let mut b =
        b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: framing\r\n\r\n".to_vec();
    b.extend_from_slice(b".leading dot\r\n.\r\n..two dots\r\n\r\n\r\n");
    b.extend_from_slice("8-bit: gr\u{fc}\u{df}e \r\n".as_bytes());
    b.extend_from_slice(&[b'x'; 990]);
    b.extend_from_slice(b"\r\nlast line\r\n");
    b
}

/// `Return-Path: <sender>` CRLF, then the message exactly as sent.
fn stored(sender: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("Return-Path: <{sender}>\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

#[test]
fn demo_exits_0_and_prints_the_rejection() {
    let (status, out, err) = Proc::spawn("demo", &[]).finish();
    assert!(status.success(), "{out}\n{err}");
    // The transcript: the greeting, the pipelined envelope, the refusal.
    assert!(out.contains("S: 220 "), "{out}");
    assert!(out.contains("C: MAIL FROM:<alice@example.org>\n"), "{out}");
    assert!(out.contains("C: RCPT TO:<nobody@example.net>\n"), "{out}");
    assert!(out.contains("S: 550 5.1.1 "), "{out}");
    assert!(out.contains("C: QUIT\nS: 221 "), "{out}");
    // The outcome.
    assert!(out.contains("\naccepted bob@example.net: 250 "), "{out}");
    assert!(
        out.contains("\nrejected nobody@example.net: 550 5.1.1 "),
        "{out}"
    );
    assert!(out.contains("\ndelivered: 250 "), "{out}");
}

#[test]
fn send_to_sink_stores_the_message_byte_identical_in_maildir() {
    let dir = TempDir::new();
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::server("sink", &["--listen", "127.0.0.1:0", "--maildir", &maildir]);
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    // BDAT (the sink offers CHUNKING), then DATA with dot-stuffing.
    for chunking in ["auto", "never"] {
        let (code, out, err) = send(&[
            "--server",
            &addr,
            "--from",
            "alice@example.org",
            "--to",
            "bob@example.net",
            "--to",
            "carol@example.net",
            "--body",
            &file,
            "--chunking",
            chunking,
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(
            lines[0].starts_with("accepted bob@example.net: 250 "),
            "{out}"
        );
        assert!(
            lines[1].starts_with("accepted carol@example.net: 250 "),
            "{out}"
        );
        assert!(lines[2].starts_with("delivered: 250 "), "{out}");
    }
    let new = files(&maildir, "new");
    assert_eq!(new.len(), 2);
    for message in &new {
        assert_eq!(message, &stored("alice@example.org", &body));
    }
    assert!(files(&maildir, "tmp").is_empty());

    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert_eq!(
        err.matches("session ").count(),
        2,
        "one log line per session: {err}"
    );
    assert!(err.contains("messages=1"), "{err}");
}

/// A self-signed certificate for 127.0.0.1 and localhost: (cert, key) PEM.
fn certificate() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("generate a certificate");
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

#[test]
fn send_starttls_and_auth_to_sink() {
    let dir = TempDir::new();
    let maildir = dir.path("mail");
    let (cert, key) = certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    let (sink, addr) = Proc::server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &maildir,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--require-tls",
            "--auth",
            "alice:s3cret",
            "--auth",
            "bob:x",
        ],
    );
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "alice@example.org",
        "--to",
        "bob@example.net",
        "--starttls",
        "--ca",
        &cert,
        "--auth",
        "alice:s3cret",
        "--body",
        &file,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("accepted bob@example.net: 250 "),
        "{out}"
    );
    assert!(lines[1].starts_with("delivered: 250 "), "{out}");
    assert_eq!(files(&maildir, "new"), [stored("alice@example.org", &body)]);

    // A certificate the client does not trust: a TLS error, status 4.
    let (other, _) = certificate();
    let other = dir.file("other.pem", other.as_bytes());
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "alice@example.org",
        "--to",
        "bob@example.net",
        "--starttls",
        "--ca",
        &other,
        "--body",
        &file,
    ]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");

    // --insecure skips the check; a wrong password is refused (status 3).
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "alice@example.org",
        "--to",
        "bob@example.net",
        "--starttls",
        "--insecure",
        "--auth",
        "alice:wrong",
        "--body",
        &file,
    ]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(err.contains("authentication failed"), "{err}");

    // Without TLS the sink (--require-tls) refuses the sender: status 1.
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "alice@example.org",
        "--to",
        "bob@example.net",
        "--body",
        &file,
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.starts_with("rejected bob@example.net: 530 "), "{out}");
    assert!(
        out.ends_with("\nfailed: 530 5.7.0 Must issue a STARTTLS command first\n"),
        "{out}"
    );
    assert_eq!(files(&maildir, "new").len(), 1);

    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("tls=yes auth=alice messages=1"), "{err}");
}

#[test]
fn send_refuses_cr_lf_in_an_address_before_connecting() {
    // A listener that must see no connection.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr").to_string();
    let dir = TempDir::new();
    let file = dir.file("body.eml", b"Subject: x\r\n\r\nhi\r\n");
    let cases: [&[&str]; 6] = [
        &["--to", "a@b>\r\nRCPT TO:<v@x>", "--from", "a@example.org"],
        &["--to", "b@example.net", "--from", "a@b>\r\nDATA"],
        &["--to", "b@example.net\n", "--from", "a@example.org"],
        &[
            "--to",
            "b@example.net",
            "--from",
            "a@example.org",
            "--helo",
            "x\r\nRSET",
        ],
        &[
            "--to",
            "b@example.net",
            "--from",
            "a@example.org",
            "--ret",
            "all",
        ],
        &["--from", "a@example.org"],
    ];
    for case in cases {
        let mut args = vec!["--server", &addr, "--body", &file];
        args.extend_from_slice(case);
        let (code, out, err) = send(&args);
        assert_eq!(code, 2, "{case:?}: {out}\n{err}");
        assert!(out.is_empty(), "{case:?}: {out}");
    }
    // A body with a bare LF is refused the same way.
    let bad = dir.file("bad.eml", b"Subject: x\n\nhi\r\n");
    let (code, _, err) = send(&[
        "--server",
        &addr,
        "--body",
        &bad,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
    ]);
    assert_eq!(code, 2, "{err}");
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("send connected: {other:?}"),
    }
}

#[test]
fn send_count_and_sessions_prints_messages_per_second() {
    let dir = TempDir::new();
    let file = dir.file("body.eml", b"Subject: load\r\n\r\nhello\r\n");
    let (sink, addr) = Proc::server("sink", &["--listen", "127.0.0.1:0"]);
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--body",
        &file,
        "--count",
        "5",
        "--sessions",
        "2",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.matches("delivered: 250 ").count(), 10, "{out}");
    let last = out.lines().last().unwrap_or_default();
    let rate: f64 = last
        .strip_prefix("messages/s: ")
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("last line {last:?}"));
    assert!(rate > 0.0, "{last}");
    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("10 message(s) accepted"), "{err}");
}

/// Reads one reply (all its lines) from a raw connection.
fn reply(r: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("read a reply line");
        assert!(line.ends_with("\r\n"), "{all}{line:?}");
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return all;
        }
    }
}

#[test]
fn sink_finishes_a_running_session_after_sigterm() {
    let dir = TempDir::new();
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &maildir,
            "--no-chunking",
        ],
    );
    let stream = TcpStream::connect(&addr).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    assert!(reply(&mut r).starts_with("220 "));
    w.write_all(b"EHLO client.example\r\n").expect("write");
    assert!(reply(&mut r).starts_with("250-"));

    // Stop the sink mid-session: it stops accepting, this session goes on.
    sink.signal("TERM");
    let start = Instant::now();
    while TcpStream::connect(&addr).is_ok() {
        assert!(
            start.elapsed() < LIMIT,
            "the sink still accepts connections"
        );
        thread::sleep(Duration::from_millis(20));
    }
    w.write_all(b"MAIL FROM:<a@example.org>\r\n")
        .expect("write");
    assert!(reply(&mut r).starts_with("250 "));
    w.write_all(b"RCPT TO:<b@example.net>\r\n").expect("write");
    assert!(reply(&mut r).starts_with("250 "));
    w.write_all(b"DATA\r\n").expect("write");
    assert!(reply(&mut r).starts_with("354 "));
    w.write_all(b"Subject: late\r\n\r\n..dot\r\n.\r\n")
        .expect("write");
    assert!(reply(&mut r).starts_with("250 "));
    // Accepted means stored: the file is in new/ before the 250 came.
    assert_eq!(
        files(&maildir, "new"),
        [b"Return-Path: <a@example.org>\r\nSubject: late\r\n\r\n.dot\r\n".to_vec()]
    );
    w.write_all(b"QUIT\r\n").expect("write");
    assert!(reply(&mut r).starts_with("221 "));
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("1 message(s) accepted"), "{err}");
}

#[test]
fn event_loop_accepts_a_message_from_send() {
    let dir = TempDir::new();
    let file = dir.file("body.eml", &tricky_body());
    let (server, addr) = Proc::server(
        "event_loop",
        &["--listen", "127.0.0.1:0", "--exit-after", "2"],
    );
    for chunking in ["auto", "never"] {
        let (code, out, err) = send(&[
            "--server",
            &addr,
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--body",
            &file,
            "--chunking",
            chunking,
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(out.contains("delivered: 250 "), "{out}");
    }
    let (status, _, err) = server.finish();
    assert!(status.success(), "{err}");
    let len = tricky_body().len();
    assert_eq!(
        err.matches(&format!("messages=1 bytes={len} ")).count(),
        2,
        "{err}"
    );
}

#[test]
fn sink_lmtp_stores_one_file_per_recipient_and_caps_recipients() {
    let dir = TempDir::new();
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &maildir,
            "--lmtp",
            "--max-recipients",
            "2",
        ],
    );
    let stream = TcpStream::connect(&addr).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    assert!(reply(&mut r).starts_with("220 "));
    w.write_all(b"LHLO client.example\r\n").expect("write");
    assert!(reply(&mut r).starts_with("250"));
    w.write_all(b"MAIL FROM:<>\r\n").expect("write");
    assert!(reply(&mut r).starts_with("250 "));
    for (rcpt, code) in [("a", "250 "), ("b", "250 "), ("c", "452 4.5.3 ")] {
        w.write_all(format!("RCPT TO:<{rcpt}@example.net>\r\n").as_bytes())
            .expect("write");
        let got = reply(&mut r);
        assert!(got.starts_with(code), "{rcpt}: {got}");
    }
    w.write_all(b"DATA\r\n").expect("write");
    assert!(reply(&mut r).starts_with("354 "));
    w.write_all(b"Subject: lmtp\r\n\r\nhi\r\n.\r\n")
        .expect("write");
    // RFC 2033 §4.2: one reply per accepted recipient.
    assert!(reply(&mut r).starts_with("250 "));
    assert!(reply(&mut r).starts_with("250 "));
    let expected = b"Return-Path: <>\r\nSubject: lmtp\r\n\r\nhi\r\n".to_vec();
    assert_eq!(files(&maildir, "new"), [expected.clone(), expected]);
    w.write_all(b"QUIT\r\n").expect("write");
    assert!(reply(&mut r).starts_with("221 "));
    sink.signal("INT");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("messages=2"), "{err}");
}

#[test]
fn send_exit_statuses_for_connection_and_tls_failures() {
    let dir = TempDir::new();
    let file = dir.file("body.eml", b"Subject: x\r\n\r\nhi\r\n");
    // Nothing listens: status 3.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let base = [
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--body",
        &file,
    ];
    let (code, out, err) = send(&[&["--server", &closed][..], &base].concat());
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");

    let (sink, addr) = Proc::server("sink", &["--listen", "127.0.0.1:0"]);
    // --starttls to a server without STARTTLS, and implicit TLS to a
    // plaintext server: both TLS errors, status 4, no message.
    for tls in ["--starttls", "--tls"] {
        let (code, out, err) = send(&[&["--server", &addr, tls, "--insecure"][..], &base].concat());
        assert_eq!(code, 4, "{tls}: {out}\n{err}");
        assert!(out.is_empty(), "{tls}: {out}");
    }
    // DSN parameters to a server without DSN (RFC 3461): refused by the
    // client before MAIL is written; status 1.
    let (code, out, err) = send(
        &[
            &["--server", &addr, "--notify", "SUCCESS,FAILURE"][..],
            &base,
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(out, "failed: server does not support DSN\n");
    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("0 message(s) accepted"), "{err}");
}

#[test]
fn send_implicit_tls_to_a_rustls_server() {
    use embedded_smtp::io::{Decision, Handler};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    /// Keeps the message bytes and counts the messages.
    #[derive(Default)]
    struct Keep(Vec<u8>, usize);
    impl Handler for Keep {
        fn data(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
        fn message_end(&mut self) -> Decision<'_> {
            self.1 += 1;
            Decision::Accept
        }
    }

    let dir = TempDir::new();
    let (cert_pem, key_pem) = certificate();
    let ca = dir.file("cert.pem", cert_pem.as_bytes());
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("cert");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // Port-465 style: TLS first, then the blocking server driver inside it.
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(LIMIT)).expect("timeout");
        let conn = rustls::ServerConnection::new(Arc::new(config)).expect("server connection");
        let mut keep = Keep::default();
        let (mut rx, mut tx) = ([0u8; 4096], [0u8; 4096]);
        let served = embedded_smtp::io::blocking::serve(
            embedded_io_adapters::std::FromStd::new(rustls::StreamOwned::new(conn, tcp)),
            embedded_smtp::server::Config::new("mx.example.net"),
            &mut rx,
            &mut tx,
            &mut keep,
        );
        (served.is_ok(), keep)
    });
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--tls",
        "--ca",
        &ca,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--body",
        &file,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.ends_with("\n") && out.contains("delivered: 250 "),
        "{out}"
    );
    let (served, keep) = server.join().expect("server thread");
    assert!(served);
    assert_eq!((keep.0, keep.1), (body, 1));
}
