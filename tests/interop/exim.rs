//! Interop with Exim 4 (issue 10), over 127.0.0.1, a private instance per
//! test (tests/support/exim.rs: its own configuration, spool and logs in a
//! temporary directory; stopped when the test ends, a failure included):
//!
//! - our client (the `send` example) → an Exim daemon: BDAT (Exim offers
//!   CHUNKING) and DATA, SMTPUTF8, a recipient refused by an ACL,
//!   STARTTLS, AUTH PLAIN and LOGIN, refused passwords;
//! - Exim as a client (a local submission delivered at once by a
//!   `manualroute` router and the `smtp` transport) → our server (the
//!   `sink` example): BDAT and DATA, PIPELINING, several recipients in one
//!   transaction, a recipient refused with 452 in a pipelined group (sink
//!   `--max-recipients`), an 8-bit message, STARTTLS with the certificate
//!   verified, AUTH PLAIN and LOGIN, and the two refusals (an unknown
//!   certificate, a wrong password).
//!
//! What arrives must be byte-identical to what was sent, after exactly the
//! header lines the receivers add, each parsed off by name: Exim's Maildir
//! transport adds `Return-path:`, `Envelope-to:`, `Delivery-date:` and its
//! `Received:` header (the messages have `Date:`, `Message-ID:` and
//! `From:`, so Exim adds nothing else); a message Exim relays gets its
//! `Received:` header, then our sink's `Return-Path:`. Exim's own logs say
//! what happened on the wire: the fields `K` (CHUNKING used), `L`
//! (PIPELINING used), `P=` (the protocol: esmtps under TLS, esmtpa after
//! AUTH, utf8esmtp), `A=` (the authenticator), `X=` (the TLS cipher) and
//! `CV=` (certificate verified).
//!
//! A missing Exim, or one without GnuTLS, I18N or the plaintext
//! authenticator, skips these tests (and says why) unless
//! `EMBEDDED_SMTP_REQUIRE_PEERS=1`; `.ci/peers` installs it.
#![cfg(all(feature = "blocking", feature = "async"))]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;

use crate::support::exim::Exim;
use crate::support::peers::{self, EXIM_USER};
use crate::support::{Proc, TempDir, stop};

/// A message with a `Date:`, a `Message-ID:` and a `From:` (so that Exim
/// adds no header of its own but `Received:`), and what framing must keep
/// intact: a leading dot, a lone dot line, two dots, empty lines, 8-bit
/// text, a 990-octet line, a trailing space.
fn message() -> Vec<u8> {
    let mut b = b"From: alice@example.org\r\nTo: bob@example.net\r\n\
Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <interop.exim@example.org>\r\n\
Subject: interop with Exim\r\n\r\n"
        .to_vec();
    b.extend_from_slice(b".leading dot\r\n.\r\n..two dots\r\n\r\n\r\n");
    b.extend_from_slice("8-bit: gr\u{fc}\u{df}e \r\n".as_bytes());
    b.extend_from_slice(&[b'x'; 990]);
    b.extend_from_slice(b"\r\nlast line\r\n");
    b
}

/// [`message`] and 4000 more lines, some starting with a dot: over 300
/// KB, many BDAT chunks (and dot-stuffing across many buffers) each way.
fn big_message() -> Vec<u8> {
    let mut b = message();
    for i in 0..4000 {
        let dot = if i % 7 == 0 { "." } else { "" };
        b.extend_from_slice(format!("{dot}{i:05} {}\r\n", "abcdefghij".repeat(7)).as_bytes());
    }
    b
}

/// `got == expected`, or a failure that shows where they first differ
/// (not whole messages of 300 KB).
fn assert_bytes(got: &[u8], expected: &[u8], what: &str) {
    if got == expected {
        return;
    }
    let at = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    let show = |b: &[u8]| {
        String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())]).into_owned()
    };
    panic!(
        "{what}: {} octets, expected {}; first difference at {at}: {:?} instead of {:?}",
        got.len(),
        expected.len(),
        show(got),
        show(expected)
    );
}

/// Runs the `send` example to completion: exit code, stdout, stderr.
fn send(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = Proc::example("send", args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// The space-separated fields of a log line.
fn fields(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

/// The one line of `lines` that starts with `prefix`.
fn line_starting<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    let found: Vec<&String> = lines.iter().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(found.len(), 1, "one {prefix:?} line in {lines:#?}");
    found[0]
}

/// Takes the header line `name: value` CRLF off the front of `rest`;
/// its value.
fn take_header(rest: &mut &[u8], name: &str) -> String {
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or_else(|| panic!("no line end: {}", String::from_utf8_lossy(rest)));
    let line = String::from_utf8(rest[..end].to_vec()).expect("a UTF-8 header line");
    let value = line
        .strip_prefix(name)
        .and_then(|l| l.strip_prefix(": "))
        .unwrap_or_else(|| panic!("expected {name}: but found {line:?}"))
        .to_string();
    *rest = &rest[end + 2..];
    value
}

/// Takes the continuation lines of a folded header (starting with a tab
/// or a space) off the front of `rest`.
fn take_continuations(rest: &mut &[u8]) {
    while rest.starts_with(b"\t") || rest.starts_with(b" ") {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a continuation line end");
        *rest = &rest[end + 2..];
    }
}

/// What Exim's Maildir transport stored (`use_crlf`), split into the
/// header lines it adds and the message after them: (Return-path,
/// Envelope-to, the first line of Received:, the message).
fn delivered_by_exim(file: &[u8]) -> (String, String, String, Vec<u8>) {
    let mut rest = file;
    let return_path = take_header(&mut rest, "Return-path");
    let envelope_to = take_header(&mut rest, "Envelope-to");
    let date = take_header(&mut rest, "Delivery-date");
    assert!(!date.is_empty(), "an empty Delivery-date");
    let received = take_header(&mut rest, "Received");
    take_continuations(&mut rest);
    (return_path, envelope_to, received, rest.to_vec())
}

/// What our sink stored of a message Exim relayed, split: (sink's
/// Return-Path, the first line of Exim's Received:, the message).
fn relayed_by_exim(file: &[u8]) -> (String, String, Vec<u8>) {
    let mut rest = file;
    let return_path = take_header(&mut rest, "Return-Path");
    let received = take_header(&mut rest, "Received");
    take_continuations(&mut rest);
    (return_path, received, rest.to_vec())
}

/// The refusal the ACL sends for refused@example.net, as configured: a
/// code of the class Exim's deny uses (5xx), so Exim sends it as it is,
/// and a second line (`\n`), for which Exim repeats the code and the
/// enhanced code. A multi-line reply in the middle of pipelined RCPTs.
const REFUSAL: &str =
    "553 5.7.1 refused@example.net: no mail for this address\\nask postmaster@example.net";
/// [`REFUSAL`] as Exim sends it (the test reads it off the wire too).
const REFUSAL_WIRE: [&str; 2] = [
    "553-5.7.1 refused@example.net: no mail for this address",
    "553 5.7.1 ask postmaster@example.net",
];

/// The reply lines to `RCPT TO:<rcpt>` from the server at `addr`, read
/// off the wire by hand (EHLO, MAIL, RCPT, QUIT, one at a time).
fn rcpt_reply(addr: &str, rcpt: &str) -> Vec<String> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(crate::support::LIMIT))
        .expect("read timeout");
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    let mut reply = |command: Option<&str>| {
        if let Some(c) = command {
            writer.write_all(c.as_bytes()).expect("write a command");
        }
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read a reply line");
            let line = line
                .strip_suffix("\r\n")
                .unwrap_or_else(|| panic!("a reply line: {line:?}"))
                .to_string();
            let last = line.as_bytes().get(3) == Some(&b' ');
            lines.push(line);
            if last {
                return lines;
            }
        }
    };
    reply(None);
    reply(Some("EHLO client.example\r\n"));
    reply(Some("MAIL FROM:<raw@example.org>\r\n"));
    let lines = reply(Some(&format!("RCPT TO:<{rcpt}>\r\n")));
    reply(Some("QUIT\r\n"));
    lines
}

/// The router and transport that deliver every address into the
/// instance's Maildir, as the Exim user, with CRLF line ends (what the
/// message had on the wire) and the header lines Exim adds.
const MAILDIR_DELIVERY: &str = "
begin routers
local:
  driver = accept
  transport = maildir
begin transports
maildir:
  driver = appendfile
  directory = DIR/mail
  maildir_format
  use_crlf
  user = EXIM_USER
  return_path_add
  envelope_to_add
  delivery_date_add
";

#[test]
fn send_to_exim_bdat_data_smtputf8_and_refused_recipient() {
    const TEST: &str = "send_to_exim_bdat_data_smtputf8_and_refused_recipient";
    if !peers::exim(TEST) {
        return;
    }
    let mut exim = Exim::new("interop-exim-send");
    let conf = exim.config(
        "exim.conf",
        &format!(
            "local_interfaces = 127.0.0.1
tls_advertise_hosts =
chunking_advertise_hosts = *
smtputf8_advertise_hosts = *
acl_smtp_rcpt = rcpt
begin acl
rcpt:
  deny recipients = refused@example.net
       message = {REFUSAL}
  accept
{}",
            MAILDIR_DELIVERY.replace("EXIM_USER", EXIM_USER)
        ),
    );
    let port = crate::support::free_port();
    exim.start_daemon(&conf, &[port]);
    let server = format!("127.0.0.1:{port}");
    let body = message();
    let file = exim.dir().file("message.eml", &body);
    let big = big_message();
    let big_file = exim.dir().file("big.eml", &big);
    let base = [
        "--server",
        &server,
        "--helo",
        "client.example",
        "--body",
        &file,
    ];
    let bob = "bob@example.net";
    let carol = "carol@example.net";
    let accepted = |to: &str| format!("accepted {to}: 250 Accepted");

    // BDAT: Exim answers each chunk with its size and the total so far;
    // the last reply also gives the queue id.
    let (code, out, err) = send(
        &[
            &base[..],
            &["--from", "bdat@example.org", "--to", bob, "--to", carol],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let id = exim.message_id("bdat@example.org");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], [accepted(bob), accepted(carol)], "{out}");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[2].starts_with("delivered: 250- ")
            && lines[2].ends_with(&format!(
                " byte chunk, total {} / 250 OK id={id}",
                body.len()
            )),
        "{out}"
    );
    let log = exim.completed("bdat@example.org");
    let received = fields(line_starting(&log, "<= "));
    for field in ["P=esmtp", "K", "for", bob, carol] {
        assert!(received.contains(&field), "{field}: {log:#?}");
    }
    assert!(
        received
            .iter()
            .any(|f| f.starts_with('L') && !f.ends_with('-')),
        "PIPELINING used: {log:#?}"
    );

    // DATA: no K.
    let (code, out, err) = send(
        &[
            &base[..],
            &[
                "--from",
                "data@example.org",
                "--to",
                bob,
                "--chunking",
                "never",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let id = exim.message_id("data@example.org");
    assert_eq!(
        out,
        format!("{}\ndelivered: 250 OK id={id}\n", accepted(bob)),
        "{err}"
    );
    let log = exim.completed("data@example.org");
    let received = fields(line_starting(&log, "<= "));
    assert!(received.contains(&"P=esmtp"), "{log:#?}");
    assert!(!received.contains(&"K"), "{log:#?}");

    // Over 300 KB: many BDAT chunks, or many buffers of dot-stuffed DATA.
    for (from, chunking) in [
        ("bigbdat@example.org", "auto"),
        ("bigdata@example.org", "never"),
    ] {
        let (code, out, err) = send(&[
            "--server",
            &server,
            "--helo",
            "client.example",
            "--body",
            &big_file,
            "--from",
            from,
            "--to",
            bob,
            "--chunking",
            chunking,
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        let id = exim.message_id(from);
        let bdat = chunking == "auto";
        let last = if bdat {
            format!(", total {} / 250 OK id={id}\n", big.len())
        } else {
            format!("\ndelivered: 250 OK id={id}\n")
        };
        assert!(out.ends_with(&last), "{out}");
        let log = exim.completed(from);
        let received = fields(line_starting(&log, "<= "));
        assert_eq!(received.contains(&"K"), bdat, "{log:#?}");
    }

    // SMTPUTF8: UTF-8 sender and recipient.
    let (from, to) = ("j\u{f6}rg@b\u{fc}cher.example", "zo\u{eb}@example.net");
    let (code, out, err) = send(&[&base[..], &["--from", from, "--to", to]].concat());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with(&format!("{}\n", accepted(to))), "{out}");
    let log = exim.completed(from);
    let received = fields(line_starting(&log, "<= "));
    assert!(received.contains(&"P=utf8esmtp"), "{log:#?}");

    // The ACL refuses one recipient of three: `send` reports Exim's reply
    // as configured, delivers to the other two and exits 1.
    let (code, out, err) = send(
        &[
            &base[..],
            &[
                "--from",
                "acl@example.org",
                "--to",
                bob,
                "--to",
                "refused@example.net",
                "--to",
                carol,
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let id = exim.message_id("acl@example.org");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            accepted(bob),
            format!("rejected refused@example.net: {}", REFUSAL_WIRE.join(" / ")),
            accepted(carol)
        ],
        "{out}"
    );
    assert!(
        lines.len() == 4 && lines[3].ends_with(&format!(" / 250 OK id={id}")),
        "{out}"
    );
    // Exim's reject log has the refusal's first line.
    let rejected = format!(
        "H=(client.example) [127.0.0.1] F=<acl@example.org> rejected RCPT <refused@example.net>: {}",
        REFUSAL_WIRE[0].replacen('-', " ", 1)
    );
    let rejectlog = exim.rejectlog();
    assert_eq!(rejectlog.lines().count(), 1, "{rejectlog}");
    assert!(rejectlog.trim_end().ends_with(&rejected), "{rejectlog}");
    // And Exim sent what `send` reported.
    assert_eq!(rcpt_reply(&server, "refused@example.net"), REFUSAL_WIRE);
    let log = exim.completed("acl@example.org");
    assert!(
        line_starting(&log, "<= ").ends_with(&format!(" for {bob} {carol}")),
        "{log:#?}"
    );

    // Eight deliveries, each the message as sent after Exim's lines.
    let got = crate::support::wait_files(Path::new(&exim.maildir_new()), 8);
    let mut envelopes = Vec::new();
    for file in &got {
        let (return_path, envelope_to, received, stored) = delivered_by_exim(file);
        assert_eq!(received, "from [127.0.0.1] (helo=client.example)");
        let sent = if return_path.starts_with("<big") {
            &big
        } else {
            &body
        };
        assert_bytes(&stored, sent, &return_path);
        envelopes.push((return_path, envelope_to));
    }
    envelopes.sort();
    let mut expected: Vec<(String, String)> = [
        ("acl@example.org", bob),
        ("acl@example.org", carol),
        ("bdat@example.org", bob),
        ("bdat@example.org", carol),
        ("data@example.org", bob),
        ("bigbdat@example.org", bob),
        ("bigdata@example.org", bob),
        (from, to),
    ]
    .iter()
    .map(|(f, t)| (format!("<{f}>"), t.to_string()))
    .collect();
    expected.sort();
    assert_eq!(envelopes, expected);
    assert_eq!(exim.stop(), Vec::<u32>::new(), "left running");
    assert_eq!(exim.panics(), Vec::<String>::new());
}

#[test]
fn send_to_exim_starttls_and_auth_plain_login() {
    const TEST: &str = "send_to_exim_starttls_and_auth_plain_login";
    if !peers::exim(TEST) {
        return;
    }
    let mut exim = Exim::new("interop-exim-send-tls");
    let (cert, key) = crate::support::certificate();
    let cert = exim.dir().file("cert.pem", cert.as_bytes());
    let key = exim.private_file("key.pem", key.as_bytes());
    // Two ports: PLAIN is offered only on the first, so that `send` (which
    // prefers PLAIN) uses LOGIN on the second.
    let port1 = crate::support::free_port();
    let port2 = loop {
        let p = crate::support::free_port();
        if p != port1 {
            break p;
        }
    };
    let conf = exim.config(
        "exim.conf",
        &"local_interfaces = 127.0.0.1
tls_advertise_hosts = *
tls_certificate = CERT
tls_privatekey = KEY
acl_smtp_rcpt = accept
DELIVERY
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_advertise_condition = ${if eq{$received_port}{PORT1}}
  server_condition = ${if and{{eq{$auth2}{alice}}{eq{$auth3}{secret}}}}
  server_set_id = $auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${if and{{eq{$auth1}{alice}}{eq{$auth2}{secret}}}}
  server_set_id = $auth1
"
        .replace("CERT", &cert)
        .replace("KEY", &key)
        .replace("PORT1", &port1.to_string())
        .replace(
            "DELIVERY\n",
            &MAILDIR_DELIVERY.replace("EXIM_USER", EXIM_USER),
        ),
    );
    exim.start_daemon(&conf, &[port1, port2]);
    let (server1, server2) = (format!("127.0.0.1:{port1}"), format!("127.0.0.1:{port2}"));
    let body = message();
    let file = exim.dir().file("message.eml", &body);
    let starttls = ["--starttls", "--ca", &cert];
    let auth = ["--auth", "alice:secret"];
    let wrong = ["--auth", "alice:wrong"];
    // (sender, server, options, what Exim logs on the <= line)
    let runs: [(&str, &str, Vec<&str>, &[&str]); 4] = [
        (
            "tls@example.org",
            &server1,
            starttls.to_vec(),
            &["P=esmtps"],
        ),
        (
            "plain@example.org",
            &server1,
            auth.to_vec(),
            &["P=esmtpa", "A=plain:alice"],
        ),
        (
            "login@example.org",
            &server2,
            auth.to_vec(),
            &["P=esmtpa", "A=login:alice"],
        ),
        (
            "tlsplain@example.org",
            &server1,
            [&starttls[..], &auth].concat(),
            &["P=esmtpsa", "A=plain:alice"],
        ),
    ];
    for (from, server, options, _) in &runs {
        let args = [
            &[
                "--server",
                server,
                "--helo",
                "client.example",
                "--from",
                from,
                "--to",
                "bob@example.net",
                "--body",
                &file,
            ][..],
            options,
        ]
        .concat();
        let (code, out, err) = send(&args);
        assert_eq!(code, 0, "{from}: {out}\n{err}");
        let id = exim.message_id(from);
        assert_eq!(
            out.lines().next(),
            Some("accepted bob@example.net: 250 Accepted"),
            "{from}: {out}"
        );
        assert!(
            out.ends_with(&format!(" 250 OK id={id}\n")),
            "{from}: {out}"
        );
    }
    for (from, _, options, logged) in &runs {
        let log = exim.completed(from);
        let received = fields(line_starting(&log, "<= "));
        for field in *logged {
            assert!(received.contains(field), "{from}: {field}: {log:#?}");
        }
        assert!(received.contains(&"K"), "{from}: {log:#?}");
        let tls = received.iter().any(|f| f.starts_with("X=TLS"));
        assert_eq!(tls, options.contains(&"--starttls"), "{from}: {log:#?}");
    }

    // A wrong password, with each mechanism: AUTH refused (Exim's 535),
    // `send` says so and exits 3 (a protocol error), nothing is sent.
    for (mechanism, server) in [("plain", &server1), ("login", &server2)] {
        let from = format!("wrong{mechanism}@example.org");
        let (code, out, err) = send(
            &[
                &[
                    "--server",
                    server,
                    "--helo",
                    "client.example",
                    "--from",
                    &from,
                    "--to",
                    "bob@example.net",
                    "--body",
                    &file,
                ][..],
                &wrong,
            ]
            .concat(),
        );
        assert_eq!((code, out.as_str()), (3, ""), "{mechanism}: {err}");
        assert_eq!(err, "send: authentication failed\n", "{mechanism}");
        let failed = format!(
            "{mechanism} authenticator failed for (client.example) [127.0.0.1]: \
             535 Incorrect authentication data (set_id=alice)"
        );
        let log = exim.mainlog();
        assert_eq!(log.matches(&failed).count(), 1, "{log}");
        assert!(!log.contains(&format!("<= {from} ")), "{log}");
    }

    let got = crate::support::wait_files(Path::new(&exim.maildir_new()), runs.len());
    let mut senders = Vec::new();
    for file in &got {
        let (return_path, envelope_to, received, stored) = delivered_by_exim(file);
        assert_eq!(envelope_to, "bob@example.net");
        assert_eq!(received, "from [127.0.0.1] (helo=client.example)");
        assert!(stored == body, "{}", String::from_utf8_lossy(file));
        senders.push(return_path);
    }
    senders.sort();
    let mut expected: Vec<String> = runs.iter().map(|r| format!("<{}>", r.0)).collect();
    expected.sort();
    assert_eq!(senders, expected);
    assert_eq!(exim.stop(), Vec::<u32>::new(), "left running");
    assert_eq!(exim.panics(), Vec::<String>::new());
}

/// An Exim configuration that sends every message to our sink at `port`
/// with the `smtp` transport: `manualroute` to 127.0.0.1 (`self = send`
/// and `allow_localhost`: 127.0.0.1 is this host, which Exim otherwise
/// refuses to deliver to), then `transport` (more transport options) and
/// `rest` (authenticators). A failed delivery is retried in an hour (no
/// queue runner will): the message stays deferred, no bounce.
fn to_sink(exim: &Exim, name: &str, port: &str, transport: &str, rest: &str) -> String {
    exim.config(
        name,
        &format!(
            "begin retry
* * F,1h,1h
begin routers
sink:
  driver = manualroute
  route_list = * 127.0.0.1::{port}
  transport = remote_smtp
  self = send
begin transports
remote_smtp:
  driver = smtp
  allow_localhost
{transport}{rest}"
        ),
    )
}

/// The delivery lines (`=>` first address, `->` the others of the same
/// delivery) of a message's log lines, as (address, fields).
fn deliveries(log: &[String]) -> Vec<(String, Vec<String>)> {
    log.iter()
        .filter(|l| l.starts_with("=> ") || l.starts_with("-> "))
        .map(|l| {
            let f: Vec<String> = l.split(' ').map(str::to_string).collect();
            (f[1].clone(), f)
        })
        .collect()
}

fn has(fields: &[String], field: &str) -> bool {
    fields.iter().any(|f| f == field)
}

/// Checks what a sink stored of messages Exim relayed: one file per
/// (sender, message) in `sent`, each the message after the Received:
/// header of Exim's local submission.
fn check_relayed(new: &str, sent: &[(&str, &[u8])]) {
    let got = crate::support::wait_files(Path::new(new), sent.len());
    let mut stored_senders = Vec::new();
    for file in &got {
        let (return_path, received, stored) = relayed_by_exim(file);
        assert_eq!(received, "from root by exim.example with local (Exim 4.96)");
        let (_, message) = sent
            .iter()
            .find(|(s, _)| format!("<{s}>") == return_path)
            .unwrap_or_else(|| panic!("stored a message from {return_path}"));
        assert_bytes(&stored, message, &return_path);
        stored_senders.push(return_path);
    }
    stored_senders.sort();
    let mut expected: Vec<String> = sent.iter().map(|(s, _)| format!("<{s}>")).collect();
    expected.sort();
    assert_eq!(stored_senders, expected);
}

#[test]
fn exim_to_sink_bdat_data_pipelining_several_recipients() {
    const TEST: &str = "exim_to_sink_bdat_data_pipelining_several_recipients";
    if !peers::exim(TEST) {
        return;
    }
    let mut exim = Exim::new("interop-exim-client");
    let dir = TempDir::new("interop-exim-sink");
    let (full, full_addr) = Proc::example_server(
        "sink",
        &["--listen", "127.0.0.1:0", "--maildir", &dir.path("full")],
    );
    // The same sink without CHUNKING and PIPELINING: the comparison that
    // shows Exim's K and L fields follow what the sink offered.
    let (bare, bare_addr) = Proc::example_server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &dir.path("bare"),
            "--no-chunking",
            "--no-pipelining",
        ],
    );
    let full_port = full_addr.rsplit_once(':').expect("host:port").1;
    let bare_port = bare_addr.rsplit_once(':').expect("host:port").1;
    let bdat = to_sink(
        &exim,
        "bdat.conf",
        full_port,
        "  hosts_try_chunking = *\n",
        "",
    );
    let data = to_sink(
        &exim,
        "data.conf",
        full_port,
        "  hosts_try_chunking =\n",
        "",
    );
    let bare_conf = to_sink(
        &exim,
        "bare.conf",
        bare_port,
        "  hosts_try_chunking = *\n",
        "",
    );
    let body = message();
    let big = big_message();
    let (bob, carol, dave) = ("bob@example.net", "carol@example.net", "dave@example.net");
    struct Relay<'a> {
        conf: &'a str,
        port: &'a str,
        from: &'a str,
        to: Vec<&'a str>,
        message: &'a [u8],
        /// Exim's log says K (BDAT), L (PIPELINING).
        chunking: bool,
        pipelining: bool,
    }
    let relay = |conf, port, from, to, message, chunking, pipelining| Relay {
        conf,
        port,
        from,
        to,
        message,
        chunking,
        pipelining,
    };
    let runs = [
        relay(
            &bdat,
            full_port,
            "bdat@example.org",
            vec![bob, carol, dave],
            &body,
            true,
            true,
        ),
        relay(
            &data,
            full_port,
            "data@example.org",
            vec![bob],
            &body,
            false,
            true,
        ),
        relay(
            &bdat,
            full_port,
            "bigbdat@example.org",
            vec![bob],
            &big,
            true,
            true,
        ),
        relay(
            &data,
            full_port,
            "bigdata@example.org",
            vec![bob],
            &big,
            false,
            true,
        ),
        relay(
            &bare_conf,
            bare_port,
            "bare@example.org",
            vec![bob, carol],
            &body,
            false,
            false,
        ),
    ];
    for r in &runs {
        let (code, out, err) = exim.submit(r.conf, r.from, &r.to, r.message);
        assert_eq!(code, 0, "{}: {out}\n{err}\n{}", r.from, exim.mainlog());
    }
    for r in &runs {
        let log = exim.completed(r.from);
        let delivered = deliveries(&log);
        // All recipients in one delivery (one transaction): "=>" then "->".
        let addresses: Vec<&str> = delivered.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(addresses, r.to, "{log:#?}");
        assert!(log.iter().filter(|l| l.starts_with("=> ")).count() == 1);
        for (_, f) in &delivered {
            assert!(has(f, "T=remote_smtp"), "{log:#?}");
            assert!(has(f, &format!("[127.0.0.1]:{}", r.port)), "{log:#?}");
            assert_eq!(has(f, "K"), r.chunking, "{}: K: {log:#?}", r.from);
            assert_eq!(has(f, "L"), r.pipelining, "{}: L: {log:#?}", r.from);
        }
    }
    let sent: Vec<(&str, &[u8])> = runs.iter().map(|r| (r.from, r.message)).collect();
    check_relayed(&dir.path("full/new"), &sent[..4]);
    check_relayed(&dir.path("bare/new"), &sent[4..]);
    let log = stop(full);
    assert_eq!(log.matches("tls=no auth=- messages=1 ").count(), 4, "{log}");
    let log = stop(bare);
    assert_eq!(log.matches("tls=no auth=- messages=1 ").count(), 1, "{log}");
    assert_eq!(exim.stop(), Vec::<u32>::new(), "left running");
    assert_eq!(exim.panics(), Vec::<String>::new());
}

#[test]
fn exim_to_sink_recipient_refused_in_a_pipelined_group() {
    const TEST: &str = "exim_to_sink_recipient_refused_in_a_pipelined_group";
    if !peers::exim(TEST) {
        return;
    }
    let mut exim = Exim::new("interop-exim-client-452");
    let dir = TempDir::new("interop-exim-sink-452");
    // Two recipients per transaction: sink's handler refuses the third
    // with 452 (RFC 5321 §4.5.3.1.10: too many recipients).
    let (sink, addr) = Proc::example_server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &dir.path("mail"),
            "--max-recipients",
            "2",
        ],
    );
    let port = addr.rsplit_once(':').expect("host:port").1;
    let bdat = to_sink(&exim, "bdat.conf", port, "  hosts_try_chunking = *\n", "");
    let data = to_sink(&exim, "data.conf", port, "  hosts_try_chunking =\n", "");
    let body = message();
    let (bob, carol) = ("bob@example.net", "carol@example.net");
    let log_of = |from: &str| -> Vec<String> {
        let id = exim.message_id(from);
        exim.mainlog()
            .lines()
            .filter_map(|l| l.split_once(&format!(" {id} ")).map(|(_, r)| r.to_string()))
            .collect()
    };

    // BDAT: a small message goes in one flight (MAIL, the RCPTs, BDAT
    // LAST, QUIT); the two accepted recipients get it, the third is
    // deferred with sink's 452 and stays queued.
    let dave = "dave@example.net";
    let (code, out, err) = exim.submit(&bdat, "bdat@example.org", &[bob, carol, dave], &body);
    assert_eq!(code, 0, "{out}\n{err}");
    let log = log_of("bdat@example.org");
    let delivered = deliveries(&log);
    let addresses: Vec<&str> = delivered.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(addresses, [bob, carol], "{log:#?}");
    for (_, f) in &delivered {
        assert!(has(f, "K") && has(f, "L"), "{log:#?}");
    }
    let deferred = line_starting(&log, &format!("== {dave} "));
    assert!(
        deferred.contains(&format!(
            ": SMTP error from remote mail server after RCPT TO:<{dave}>: 452 "
        )),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l == "Completed"), "{log:#?}");

    // DATA: after the 452, Exim sends the third recipient a transaction
    // of its own on the same connection (logged with `*` after the port).
    let erin = "erin@example.net";
    let (code, out, err) = exim.submit(&data, "data@example.org", &[bob, carol, erin], &body);
    assert_eq!(code, 0, "{out}\n{err}");
    let log = exim.completed("data@example.org");
    let delivered: Vec<(String, &str)> = log
        .iter()
        .filter(|l| l.starts_with("=> ") || l.starts_with("-> "))
        .map(|l| {
            (
                l[..3].to_string() + l.split(' ').nth(1).unwrap_or(""),
                l.as_str(),
            )
        })
        .collect();
    let order: Vec<&str> = delivered.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        order,
        [
            format!("=> {bob}"),
            format!("-> {carol}"),
            format!("=> {erin}")
        ],
        "{log:#?}"
    );
    assert!(
        delivered[2].1.contains(&format!(" [127.0.0.1]:{port}* ")),
        "the same connection: {log:#?}"
    );
    for (_, l) in &delivered {
        assert!(!fields(l).contains(&"K"), "{log:#?}");
    }

    // Three messages stored: one from the BDAT run, two from the DATA run.
    let sent: Vec<(&str, &[u8])> = vec![
        ("bdat@example.org", &body),
        ("data@example.org", &body),
        ("data@example.org", &body),
    ];
    check_relayed(&dir.path("mail/new"), &sent);
    let log = stop(sink);
    assert_eq!(log.matches("tls=no auth=- messages=1 ").count(), 1, "{log}");
    assert_eq!(log.matches("tls=no auth=- messages=2 ").count(), 1, "{log}");
    assert_eq!(exim.stop(), Vec::<u32>::new(), "left running");
    assert_eq!(exim.panics(), Vec::<String>::new());
}

#[test]
fn exim_to_sink_starttls_verified_and_auth_plain_login() {
    const TEST: &str = "exim_to_sink_starttls_verified_and_auth_plain_login";
    if !peers::exim(TEST) {
        return;
    }
    let mut exim = Exim::new("interop-exim-client-tls");
    let dir = TempDir::new("interop-exim-sink-tls");
    let (cert, key) = crate::support::certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    // Another certificate, as a CA Exim does not trust for the sink.
    let (other, _) = crate::support::certificate();
    let other = dir.file("other.pem", other.as_bytes());
    let (sink, addr) = Proc::example_server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--maildir",
            &dir.path("mail"),
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--auth",
            "alice:secret",
        ],
    );
    let port = addr.rsplit_once(':').expect("host:port").1;
    // STARTTLS required, the certificate verified against `ca`; with
    // `auth`, AUTH required too (the sink offers it only under TLS).
    let tls = |ca: &str, auth: bool| {
        let mut t = format!(
            "  hosts_try_chunking = *\n  hosts_require_tls = *\n  tls_verify_hosts = *\n  \
             tls_verify_certificates = {ca}\n"
        );
        if auth {
            t.push_str("  hosts_require_auth = *\n");
        }
        t
    };
    let plain = |password: &str| {
        format!(
            "begin authenticators\nplain:\n  driver = plaintext\n  public_name = PLAIN\n  \
             client_send = ^alice^{password}\n"
        )
    };
    let login = "begin authenticators\nlogin:\n  driver = plaintext\n  public_name = LOGIN\n  \
                 client_send = : alice : secret\n";
    let confs = [
        to_sink(&exim, "tls.conf", port, &tls(&cert, false), ""),
        to_sink(
            &exim,
            "plain.conf",
            port,
            &tls(&cert, true),
            &plain("secret"),
        ),
        to_sink(&exim, "login.conf", port, &tls(&cert, true), login),
    ];
    let body = message();
    // (sender, the A= field Exim logs, if any)
    let runs = [
        ("tls@example.org", None),
        ("plain@example.org", Some("A=plain")),
        ("login@example.org", Some("A=login")),
    ];
    for (conf, (from, _)) in confs.iter().zip(&runs) {
        let (code, out, err) = exim.submit(conf, from, &["bob@example.net"], &body);
        assert_eq!(code, 0, "{from}: {out}\n{err}\n{}", exim.mainlog());
    }
    for (from, auth) in &runs {
        let log = exim.completed(from);
        let delivered = deliveries(&log);
        assert_eq!(delivered.len(), 1, "{log:#?}");
        let f = &delivered[0].1;
        assert!(f.iter().any(|f| f.starts_with("X=TLS")), "{from}: {log:#?}");
        assert!(has(f, "CV=yes"), "{from}: certificate verified: {log:#?}");
        assert!(has(f, "K") && has(f, "L"), "{from}: {log:#?}");
        let logged_auth: Vec<&str> = f
            .iter()
            .map(String::as_str)
            .filter(|f| f.starts_with("A="))
            .collect();
        let expected: Vec<&str> = auth.iter().copied().collect();
        assert_eq!(logged_auth, expected, "{from}: {log:#?}");
    }

    // The refusals: a certificate Exim cannot verify, a wrong password.
    // Exim defers the message (it stays in its queue) and says why. Each
    // in an instance of its own: a failure leaves a retry record for the
    // host, and the next message would not even be tried.
    for (tag, from, transport, authenticator, why) in [
        (
            "untrusted",
            "untrusted@example.org",
            tls(&other, false),
            String::new(),
            "defer (-37) H=127.0.0.1 [127.0.0.1]:PORT: TLS session: (certificate verification failed)",
        ),
        (
            "wrong",
            "wrong@example.org",
            tls(&cert, true),
            plain("wrong"),
            "defer (-42): authentication required but authentication attempt(s) failed",
        ),
    ] {
        let mut refused = Exim::new(&format!("interop-exim-client-{tag}"));
        let conf = to_sink(&refused, "exim.conf", port, &transport, &authenticator);
        let (code, out, err) = refused.submit(&conf, from, &["bob@example.net"], &body);
        assert_eq!(code, 0, "{from}: {out}\n{err}");
        let log = refused.mainlog();
        let lines: Vec<&str> = log.lines().collect();
        let id = refused.message_id(from);
        let deferred: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains(&format!(" {id} == bob@example.net R=sink T=remote_smtp ")))
            .collect();
        assert_eq!(deferred.len(), 1, "{from}: {log}");
        assert!(
            deferred[0].contains(&why.replace("PORT", port)),
            "{from}: {log}"
        );
        // Still queued: neither bounced nor completed.
        assert!(!log.contains(&format!(" {id} ** ")), "{log}");
        assert!(!log.contains(&format!(" {id} Completed")), "{log}");
        assert_eq!(refused.stop(), Vec::<u32>::new(), "left running");
        assert_eq!(refused.panics(), Vec::<String>::new());
    }

    let sent: Vec<(&str, &[u8])> = runs.iter().map(|r| (r.0, &body[..])).collect();
    check_relayed(&dir.path("mail/new"), &sent);
    let log = stop(sink);
    assert_eq!(
        log.matches("tls=yes auth=- messages=1 ").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("tls=yes auth=alice messages=1 ").count(),
        2,
        "{log}"
    );
    assert_eq!(exim.stop(), Vec::<u32>::new(), "left running");
    assert_eq!(exim.panics(), Vec::<String>::new());
}
