//! Our `send` → a private Exim daemon → Maildir delivery.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;

use crate::support::exim::Exim;
use crate::support::peers::{self, EXIM_USER};

use super::*;

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
    // `send` reports Exim's reply and exits 1 (a refusal); nothing is sent.
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
        assert_eq!((code, out.as_str()), (1, ""), "{mechanism}: {err}");
        assert_eq!(
            err, "send: authentication failed: 535 Incorrect authentication data\n",
            "{mechanism}"
        );
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
