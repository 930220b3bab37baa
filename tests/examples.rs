//! The host examples, run as programs over 127.0.0.1 only: `demo`, `send`
//! into `sink` (plain, STARTTLS with a generated certificate, AUTH, the
//! load generator), `send`'s exit statuses, `sink`'s clean stop on SIGTERM
//! and the `event_loop` server.
//!
//! The example binaries are built once per test run by `cargo build
//! --examples` into this test's own target directory, with this test's
//! features (so nothing is rebuilt when `cargo test` already built them).
//! Every spawned process is killed when its guard drops (a failed assertion
//! included), and every wait is bounded (the harness, shared with
//! tests/interop/peers.rs, is tests/support).
#![cfg(all(feature = "blocking", feature = "async"))]

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{LIMIT, Proc, TempDir, certificate, stored};

/// Runs `send` to completion.
fn send(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = Proc::example("send", args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// The files in `dir/sub`, sorted by name.
fn files(dir: &str, sub: &str) -> Vec<Vec<u8>> {
    let path = Path::new(dir).join(sub);
    assert!(path.is_dir(), "no directory {}", path.display());
    crate::support::files(&path)
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

#[test]
fn demo_exits_0_and_prints_the_rejection() {
    let (status, out, err) = Proc::example("demo", &[]).finish();
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
    // The message, composed by the `message` writer, with its attachment
    // (the CSV's base64 is "time,temperature\r\n08:00,21.5\r\n…").
    assert!(
        out.contains("C: Subject: hello from embedded-smtp\n"),
        "{out}"
    );
    assert!(
        out.contains("C: Content-Disposition: attachment; filename=\"temperature.csv\"\n"),
        "{out}"
    );
    assert!(
        out.contains("C: dGltZSx0ZW1wZXJhdHVyZQ0KMDg6MDAsMjEuNQ0K"),
        "{out}"
    );
    assert!(out.contains("(body identical: true)"), "{out}");
}

#[test]
fn send_to_sink_stores_the_message_byte_identical_in_maildir() {
    let dir = TempDir::new("examples");
    let maildir = dir.path("mail");
    let (sink, addr) =
        Proc::example_server("sink", &["--listen", "127.0.0.1:0", "--maildir", &maildir]);
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

#[test]
fn send_starttls_and_auth_to_sink() {
    let dir = TempDir::new("examples");
    let maildir = dir.path("mail");
    let (cert, key) = certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    let (sink, addr) = Proc::example_server(
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

    // --insecure skips the check; a wrong password is refused: status 1,
    // the server's reply on stderr, and QUIT (the sink's session ends
    // with its 221 and close_notify: "ok", where a client that left
    // without QUIT would be logged as gone without close_notify).
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
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    // (the sink's refusal: RFC 4954 §6's reply for invalid credentials)
    assert_eq!(
        err,
        "send: authentication failed: 535 5.7.8 Authentication credentials invalid\n"
    );

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
    // The sink refuses MAIL; the RCPT pipelined behind it gets 530 too,
    // which refuses no recipient (PIP-09): the MAIL reply is the failure.
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(
        out, "failed: 530 5.7.0 Must issue a STARTTLS command first\n",
        "{out}"
    );
    assert_eq!(files(&maildir, "new").len(), 1);

    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("tls=yes auth=alice messages=1"), "{err}");
    assert_eq!(
        err.matches("tls=yes auth=- messages=0 bytes=0 ok").count(),
        1,
        "{err}"
    );
}

#[test]
fn send_refuses_cr_lf_in_an_address_before_connecting() {
    // A listener that must see no connection.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr").to_string();
    let dir = TempDir::new("examples");
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
    let dir = TempDir::new("examples");
    let file = dir.file("body.eml", b"Subject: load\r\n\r\nhello\r\n");
    let (sink, addr) = Proc::example_server("sink", &["--listen", "127.0.0.1:0"]);
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
    let dir = TempDir::new("examples");
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::example_server(
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
    let dir = TempDir::new("examples");
    let file = dir.file("body.eml", &tricky_body());
    let (server, addr) = Proc::example_server(
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
    let dir = TempDir::new("examples");
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::example_server(
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
    let dir = TempDir::new("examples");
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

    let (sink, addr) = Proc::example_server("sink", &["--listen", "127.0.0.1:0"]);
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

    let dir = TempDir::new("examples");
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
            None,
            embedded_smtp::server::ServerConfig::new("mx.example.net"),
            &mut rx,
            &mut tx,
            &mut keep,
        );
        // After the 221, send's close_notify (RFC 8446 §6.1): rustls reads
        // the end of the stream (0), not an UnexpectedEof error.
        let end = served.map(|t| std::io::Read::read(&mut t.into_inner(), &mut [0u8; 1]));
        (end.map(|r| r.map_err(|e| e.kind())), keep)
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
    let (end, keep) = server.join().expect("server thread");
    assert_eq!(end, Ok(Ok(0)));
    assert_eq!((keep.0, keep.1), (body, 1));
}

mod sink_door;

/// A server that answers from a script: each step reads lines until one
/// starts with the step's last expected command, then writes its replies.
/// Returns what the client sent, in full.
fn scripted_server(
    steps: &'static [(&'static str, &'static str)],
) -> (String, thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(LIMIT)).expect("timeout");
        let mut w = stream.try_clone().expect("clone");
        let mut r = BufReader::new(stream);
        let mut seen = String::new();
        for (until, replies) in steps {
            while !until.is_empty() {
                let mut line = String::new();
                if r.read_line(&mut line).expect("read") == 0 {
                    return seen;
                }
                seen.push_str(&line);
                if line.starts_with(until) {
                    break;
                }
            }
            w.write_all(replies.as_bytes()).expect("write");
        }
        seen
    });
    (addr, server)
}

#[test]
fn send_reports_a_refused_mail_not_the_503s_pipelined_behind_it() {
    // Issue 16: MAIL 451, then 503 to the pipelined RCPTs and DATA. The
    // message fails with the 451 (transient), no recipient is reported
    // rejected by a 503, and the session ends with RSET and QUIT.
    let (addr, server) = scripted_server(&[
        ("", "220 s.example ESMTP\r\n"),
        ("EHLO", "250-s.example\r\n250 PIPELINING\r\n"),
        (
            "DATA",
            "451 4.3.0 try again later\r\n503 5.5.1 need MAIL\r\n\
             503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n",
        ),
        ("RSET", "250 2.0.0 ok\r\n"),
        ("QUIT", "221 2.0.0 bye\r\n"),
    ]);
    let dir = TempDir::new("examples");
    let file = dir.file("body.eml", b"Subject: x\r\n\r\nhi\r\n");
    let (code, out, err) = send(&[
        "--server",
        &addr,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--to",
        "c@example.net",
        "--body",
        &file,
    ]);
    assert_eq!(out, "failed: 451 4.3.0 try again later\n", "{err}");
    assert_eq!(code, 1, "{err}");
    let seen = server.join().expect("server");
    assert!(seen.ends_with("DATA\r\nRSET\r\nQUIT\r\n"), "{seen}");
}

/// `send --subject --text --html --attach` composes the message with the
/// crate's writer; `sink` stores it; Python's `email` reads back the same
/// subject, text, HTML and attachments, byte for byte.
#[test]
fn send_composed_message_with_attachments_to_sink_parses_back_in_python() {
    use crate::support::mail::{lf, python, python_parse};

    let dir = TempDir::new("examples");
    let maildir = dir.path("mail");
    let (sink, addr) =
        Proc::example_server("sink", &["--listen", "127.0.0.1:0", "--maildir", &maildir]);
    let text = "Température du four : 41,2 °C\n.\nFin.\n";
    let html = "<p>Température du four : <b>41,2 °C</b></p>\n";
    let csv: Vec<u8> = (0..2000)
        .flat_map(|i| format!("{i},{}\r\n", 20 + i % 7).into_bytes())
        .collect();
    let snapshot: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let text_file = dir.file("alert.txt", text.as_bytes());
    let html_file = dir.file("alert.html", html.as_bytes());
    let csv_file = dir.file("relevé.csv", &csv);
    let snapshot_file = dir.file("snapshot.jpg", &snapshot);
    for chunking in ["auto", "never"] {
        let (code, out, err) = send(&[
            "--server",
            &addr,
            "--from",
            "oven@example.org",
            "--to",
            "ops@example.net",
            "--subject",
            "Alarme : four n°3",
            "--text",
            &text_file,
            "--html",
            &html_file,
            "--attach",
            &csv_file,
            "--attach",
            &snapshot_file,
            "--chunking",
            chunking,
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(out.contains("delivered: 250 "), "{out}");
    }
    let stored = files(&maildir, "new");
    assert_eq!(stored.len(), 2);
    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");

    if !python("send_composed_message_with_attachments_to_sink_parses_back_in_python") {
        return;
    }
    let paths: Vec<String> = stored
        .iter()
        .enumerate()
        .map(|(i, m)| dir.file(&format!("stored{i}.eml"), m))
        .collect();
    for got in python_parse(&paths) {
        assert_eq!(got.defects, Vec::<String>::new());
        assert_eq!(got.subject, "Alarme : four n°3");
        assert_eq!(got.from, [(String::new(), "oven@example.org".to_string())]);
        assert_eq!(got.to, [(String::new(), "ops@example.net".to_string())]);
        assert_eq!(got.text, lf(text));
        assert_eq!(got.html.as_deref(), Some(html));
        assert_eq!(got.attachments.len(), 2);
        assert_eq!(got.attachments[0].0, "relevé.csv");
        assert_eq!(got.attachments[0].1, "text/csv");
        assert!(got.attachments[0].2 == csv, "the CSV differs");
        assert_eq!(got.attachments[1].0, "snapshot.jpg");
        assert_eq!(got.attachments[1].1, "image/jpeg");
        assert!(got.attachments[1].2 == snapshot, "the snapshot differs");
    }
}

#[test]
fn send_refuses_a_line_break_in_the_subject_before_connecting() {
    // Nothing listens there: a refusal must come before connecting.
    let (code, out, err) = send(&[
        "--server",
        "127.0.0.1:9",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--subject",
        "hi\r\nBcc: everyone@example.net",
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("Subject: CR, LF or NUL"), "{err}");
}
