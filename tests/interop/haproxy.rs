//! The server on more than one machine: HAProxy (Debian's) in TCP mode in
//! front of two `sink --proxy-protocol` instances, round robin, each
//! relayed connection preceded by a PROXY protocol header (`send-proxy-v2`,
//! and `send-proxy` for version 1); everything on 127.0.0.1 except the
//! swaks client, which binds 127.0.0.2 so that its address cannot be
//! confused with the proxy's; HAProxy health-checks both sinks with EHLO
//! (`option smtpchk`, `check-send-proxy`). Messages from `send` and swaks
//! must be stored exactly once across the two Maildirs, alternately, each
//! sink's session log must name the client HAProxy saw (its address and
//! port, from HAProxy's own log), not HAProxy. One more test plays the
//! proxy itself (no peer needed): a header by hand, then SMTP.
#![cfg(all(feature = "blocking", feature = "async"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::haproxy::{Haproxy, SendProxy};
use crate::support::peers::{self, SWAKS};
use crate::support::{LIMIT, Proc, TempDir, assert_same_messages, dot_stuff, files, stop, stored};

/// Messages sent with `send`, and with swaks, each on its own connection.
const BY_SEND: usize = 4;
const BY_SWAKS: usize = 2;

fn body(n: usize) -> Vec<u8> {
    format!(
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: through haproxy {n}\r\n\r\n\
         .leading dot\r\nline {n}\r\n"
    )
    .into_bytes()
}

fn through_haproxy(test: &str, version: SendProxy) {
    if !peers::haproxy(test) || !peers::swaks(test, &[]) {
        return;
    }
    let dir = TempDir::new("interop-haproxy");
    let maildirs = [dir.path("mail1"), dir.path("mail2")];
    let sink = |maildir: &str| {
        Proc::example_server(
            "sink",
            &[
                "--listen",
                "127.0.0.1:0",
                "--maildir",
                maildir,
                "--proxy-protocol",
            ],
        )
    };
    let (sink1, addr1) = sink(&maildirs[0]);
    let (sink2, addr2) = sink(&maildirs[1]);
    let proxy = Haproxy::start(&[&addr1, &addr2], version);

    let mut expected = Vec::new();
    for i in 0..BY_SEND {
        let from = format!("send{i}@example.org");
        let file = dir.file(&format!("send{i}.eml"), &body(i));
        let args = [
            "--server",
            &proxy.addr,
            "--from",
            &from,
            "--to",
            "bob@example.net",
            "--body",
            &file,
        ];
        let (status, out, err) = Proc::example("send", &args).finish();
        assert!(status.success(), "send {i}: {out}{err}");
        assert!(out.contains("delivered: 250 "), "send {i}: {out}");
        expected.push(stored(&from, &body(i)));
    }
    for i in BY_SEND..BY_SEND + BY_SWAKS {
        let from = format!("swaks{i}@example.org");
        // As the message file: dot-stuffed, then the final dot (swaks adds
        // the CRLF after it with --no-data-fixup).
        let mut wire = dot_stuff(&body(i));
        wire.push(b'.');
        let data = format!("@{}", dir.file(&format!("swaks{i}.txt"), &wire));
        let args = [
            "--server",
            &proxy.addr,
            "--local-interface",
            "127.0.0.2",
            "--timeout",
            "30",
            "--helo",
            "client.example",
            "--from",
            &from,
            "--to",
            "bob@example.net",
            "--no-data-fixup",
            "--data",
            &data,
        ];
        let (code, out, err) = crate::support::run(SWAKS, &args);
        assert_eq!(code, 0, "swaks {i}: {out}\n{err}");
        assert!(out.contains(" 250 2.0.0 Ok: queued"), "swaks {i}: {out}");
        expected.push(stored(&from, &body(i)));
    }

    // HAProxy's health checks (EHLO every 500 ms, each behind a header of
    // its own: v2 LOCAL, or a v1 line with the check's own addresses) are
    // clean sessions of both sinks.
    let start = Instant::now();
    let checked = |sink: &Proc| sink.stderr().contains(" messages=0 bytes=0 ok\n");
    while !(checked(&sink1) && checked(&sink2)) {
        assert!(
            start.elapsed() < LIMIT,
            "no health check in the sinks' logs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (relayed, proxy_log) = proxy.stop();
    let logs = [stop(sink1), stop(sink2)];
    let stored_in = |i: usize| files(&Path::new(&maildirs[i]).join("new"));
    let (one, two) = (stored_in(0), stored_in(1));
    let total = BY_SEND + BY_SWAKS;
    // Round robin: one connection each in turn.
    assert_eq!((one.len(), two.len()), (total / 2, total / 2));
    // Each message stored once, byte for byte.
    assert_same_messages([one, two].concat(), expected);

    // Every connection HAProxy relayed is a session of the sink it went to,
    // logged with the client's address and port, through the proxy.
    assert_eq!(relayed.len(), total, "{proxy_log}");
    let from_swaks = relayed
        .iter()
        .filter(|r| r.client.starts_with("127.0.0.2:"))
        .count();
    assert_eq!(from_swaks, BY_SWAKS, "{proxy_log}");
    for r in &relayed {
        let log = match r.server.as_str() {
            "sink1" => &logs[0],
            "sink2" => &logs[1],
            other => panic!("relayed to {other}: {proxy_log}"),
        };
        let line = log
            .lines()
            .find(|l| l.starts_with(&format!("session {} via 127.0.0.1:", r.client)))
            .unwrap_or_else(|| panic!("{} not in {}'s log:\n{log}", r.client, r.server));
        assert!(line.contains(" messages=1 "), "{line}");
        assert!(line.ends_with(" ok"), "{line}");
    }
    for log in &logs {
        assert!(!log.contains("error"), "{log}");
    }
}

#[test]
fn haproxy_send_proxy_v2_in_front_of_two_sinks() {
    through_haproxy("haproxy_send_proxy_v2_in_front_of_two_sinks", SendProxy::V2);
}

#[test]
fn haproxy_send_proxy_v1_in_front_of_two_sinks() {
    through_haproxy("haproxy_send_proxy_v1_in_front_of_two_sinks", SendProxy::V1);
}

/// Reads one reply line from a raw connection.
fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("read a reply line");
    line
}

#[test]
fn sink_behind_a_scripted_proxy() {
    let dir = TempDir::new("interop-proxy");
    let maildir = dir.path("mail");
    let (sink, addr) = Proc::example_server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &maildir,
            "--proxy-protocol",
        ],
    );
    // The header in two pieces: the greeting waits for all of it.
    let stream = TcpStream::connect(&addr).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    w.write_all(b"PROXY TCP6 2001:db8::7 2001:db8::1 ")
        .expect("write");
    w.write_all(b"50123 25\r\n").expect("write");
    assert!(line(&mut r).starts_with("220 localhost ESMTP"));
    for (command, code) in [
        ("HELO client.example\r\n", "250 "),
        ("MAIL FROM:<a@example.org>\r\n", "250 "),
        ("RCPT TO:<b@example.net>\r\n", "250 "),
        ("DATA\r\n", "354 "),
        ("Subject: proxied\r\n\r\nhi\r\n.\r\n", "250 "),
        ("QUIT\r\n", "221 "),
    ] {
        w.write_all(command.as_bytes()).expect("write");
        let reply = line(&mut r);
        assert!(reply.starts_with(code), "{command:?}: {reply}");
    }
    // No header: closed before any reply.
    let mut bare = TcpStream::connect(&addr).expect("connect");
    bare.set_read_timeout(Some(LIMIT)).expect("timeout");
    bare.write_all(b"EHLO client.example\r\n").expect("write");
    let mut heard = Vec::new();
    bare.read_to_end(&mut heard).expect("read to the end");
    assert_eq!(heard, b"", "a reply without a header");

    let log = stop(sink);
    assert_eq!(
        files(&Path::new(&maildir).join("new")),
        [b"Return-Path: <a@example.org>\r\nSubject: proxied\r\n\r\nhi\r\n".to_vec()]
    );
    let proxied = log
        .lines()
        .find(|l| l.starts_with("session [2001:db8::7]:50123 via 127.0.0.1:"))
        .unwrap_or_else(|| panic!("the proxied session is not logged:\n{log}"));
    assert!(proxied.ends_with(" messages=1 bytes=24 ok"), "{proxied}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("session 127.0.0.1:")
                && l.ends_with(" error: no valid PROXY header")),
        "{log}"
    );
}
