//! Interop over 127.0.0.1 with real mail software from Debian (issue 6):
//!
//! - our client (the `send` example) → Postfix `smtp-sink` (message dumps)
//!   and → aiosmtpd (STARTTLS required, AUTH only under TLS);
//! - real clients → our server (the `sink` example, `--maildir`): `swaks`
//!   (plain, pipelined, STARTTLS, AUTH PLAIN and LOGIN), Python `smtplib`
//!   (SMTPUTF8, STARTTLS, login; and LMTP against `sink --lmtp`), `curl`
//!   (plain, STARTTLS + AUTH), `msmtp` (plain, STARTTLS, AUTH PLAIN and
//!   LOGIN) and Postfix `smtp-source` (10 parallel sessions, 50 messages).
//!
//! Exim, both ways, is in tests/interop/exim/.
//!
//! What arrives must be byte-identical to what was sent, after exactly the
//! lines the receiving side adds (our sink: `Return-Path:`; smtp-sink: its
//! `X-*` records and `Received:` header, LF line ends, a final empty line).
//! For clients that compose their own headers, the test composes the
//! message and feeds it, so the bytes are known.
//!
//! A missing peer skips its test (and says why) unless
//! `EMBEDDED_SMTP_REQUIRE_PEERS=1`, which makes it fail; `.ci/peers`
//! installs them. Every process is killed when its guard drops, every wait
//! is bounded, and every port is an ephemeral one on 127.0.0.1.
#![cfg(all(feature = "blocking", feature = "async"))]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::peers::{self, CURL, MSMTP, PYTHON, SMTP_SINK, SMTP_SOURCE, SWAKS};
use crate::support::{Proc, TempDir, assert_same_messages, dot_stuff, stop, stored};

/// A message with what framing must keep intact: a leading dot, a lone
/// dot line, two dots, empty lines, 8-bit text, a 990-octet line, a
/// trailing space.
fn tricky_body() -> Vec<u8> {
    let mut b =
        b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: interop\r\n\r\n".to_vec();
    b.extend_from_slice(b".leading dot\r\n.\r\n..two dots\r\n\r\n\r\n");
    b.extend_from_slice("8-bit: gr\u{fc}\u{df}e \r\n".as_bytes());
    b.extend_from_slice(&[b'x'; 990]);
    b.extend_from_slice(b"\r\nlast line\r\n");
    b
}

/// Runs the `send` example to completion: exit code, stdout, stderr.
fn send(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = Proc::example("send", args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// A `sink` with a Maildir, STARTTLS (a fresh certificate) and the user
/// `alice:secret`; the sink, its address, the Maildir's `new/`, and the
/// certificate's path.
fn tls_sink(dir: &TempDir) -> (Proc, String, String, String) {
    let (cert, key) = crate::support::certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    let maildir = dir.path("mail");
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
            "--auth",
            "alice:secret",
        ],
    );
    (sink, addr, format!("{maildir}/new"), cert)
}

#[test]
fn send_to_postfix_smtp_sink() {
    const TEST: &str = "send_to_postfix_smtp_sink";
    if !peers::programs(TEST, &[SMTP_SINK]) {
        return;
    }
    let dir = TempDir::new("interop-smtp-sink");
    // smtp-sink drops to another user when run as root; it must be able to
    // create its dump directory.
    std::fs::set_permissions(dir.dir(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod temp dir");
    let dumps = dir.path("dump");
    let template = format!("{dumps}/msg.");
    let addr = format!("127.0.0.1:{}", crate::support::free_port());
    let mut args: Vec<&str> = Vec::new();
    if peers::is_root() {
        args.extend(["-u", "nobody"]);
    }
    args.extend(["-h", "sink.example", "-d", &template, &addr, "16"]);
    let postfix = Proc::spawn(SMTP_SINK, &args);
    crate::support::wait_listening(&addr, &postfix);

    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let base = [
        "--server",
        &addr,
        "--helo",
        "client.example",
        "--to",
        "bob@example.net",
        "--to",
        "carol@example.net",
        "--body",
        &file,
    ];
    // Plain; with AUTH (smtp-sink offers PLAIN and LOGIN and takes any
    // credentials; `send` sends them in plaintext only to loopback); with
    // DSN parameters (RFC 3461, smtp-sink offers DSN). The records smtp-sink
    // writes show the MAIL and RCPT arguments it received.
    let runs: [(&str, &[&str], &str, &str); 3] = [
        ("plain@example.org", &[], "BODY=8BITMIME", ""),
        (
            "auth@example.org",
            &["--auth", "alice:secret"],
            // Our client sends no AUTH= parameter (optional, RFC 4954 §5).
            "BODY=8BITMIME",
            "",
        ),
        (
            "dsn@example.org",
            &[
                "--notify",
                "SUCCESS,FAILURE",
                "--ret",
                "hdrs",
                "--envid",
                "QQ123",
            ],
            "BODY=8BITMIME RET=HDRS ENVID=QQ123",
            " NOTIFY=SUCCESS,FAILURE",
        ),
    ];
    for (from, extra, _, _) in &runs {
        let (code, out, err) = send(&[&base[..], &["--from", from], extra].concat());
        assert_eq!(code, 0, "{extra:?}: {out}\n{err}\n{}", postfix.stderr());
        assert!(
            out.ends_with("\n") && out.contains("delivered: 250 "),
            "{out}"
        );
    }
    // smtp-sink may close a dump just after its 250: wait (bounded) until
    // all end as a complete dump does, the message then an empty line.
    let mut tail = peers::lf_lines(&body);
    tail.push(b'\n');
    let start = std::time::Instant::now();
    let got = loop {
        let got = crate::support::wait_files(Path::new(&dumps), runs.len());
        if got.iter().all(|d| d.ends_with(&tail)) || start.elapsed() > crate::support::LIMIT {
            break got;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(got.len(), runs.len());
    let mut all_records = Vec::new();
    for dump in &got {
        let (records, message) = peers::smtp_sink_dump(dump);
        assert!(
            message == peers::lf_lines(&body),
            "dumped:\n{}\nsent:\n{}",
            String::from_utf8_lossy(&message),
            String::from_utf8_lossy(&body)
        );
        all_records.push(records);
    }
    let mut expected: Vec<Vec<String>> = runs
        .iter()
        .map(|(from, _, mail, rcpt)| {
            vec![
                "X-Client-Addr: 127.0.0.1".to_string(),
                "X-Client-Proto: ESMTP".to_string(),
                "X-Helo-Args: client.example".to_string(),
                format!("X-Mail-Args: <{from}> {mail}"),
                format!("X-Rcpt-Args: <bob@example.net>{rcpt}"),
                format!("X-Rcpt-Args: <carol@example.net>{rcpt}"),
            ]
        })
        .collect();
    all_records.sort();
    expected.sort();
    assert_eq!(all_records, expected);
}

#[test]
fn send_starttls_and_auth_to_aiosmtpd() {
    const TEST: &str = "send_starttls_and_auth_to_aiosmtpd";
    if !peers::python_module(TEST, "aiosmtpd") {
        return;
    }
    let dir = TempDir::new("interop-aiosmtpd");
    let (cert, key) = crate::support::certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    let script = dir.file(
        "aiosmtpd_server.py",
        include_bytes!("../support/aiosmtpd_server.py"),
    );
    let out = dir.path("out");
    let port = crate::support::free_port().to_string();
    let server = Proc::spawn(
        PYTHON,
        &[&script, &out, &cert, &key, &port, "alice", "secret"],
    );
    let ready = server.line();
    assert_eq!(ready, "ready", "{}", server.stderr());
    let addr = format!("127.0.0.1:{port}");

    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let base = [
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
    ];
    // STARTTLS (the certificate checked against --ca), AUTH, then the
    // message over DATA (aiosmtpd has no CHUNKING).
    let (code, stdout, err) = send(
        &[
            &base[..],
            &["--starttls", "--ca", &cert, "--auth", "alice:secret"],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stdout}\n{err}\n{}", server.stderr());
    assert!(stdout.contains("delivered: 250 2.0.0 stored"), "{stdout}");
    // Without STARTTLS aiosmtpd refuses the transaction (530): status 1.
    let (code, stdout, err) = send(&base);
    assert_eq!(code, 1, "{stdout}\n{err}");
    assert!(stdout.contains(": 530 "), "{stdout}");
    // A wrong password: AUTH refused, status 1 with aiosmtpd's reply, no
    // message.
    let (code, stdout, err) = send(
        &[
            &base[..],
            &["--starttls", "--ca", &cert, "--auth", "alice:wrong"],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{stdout}\n{err}");
    assert!(
        err.starts_with("send: authentication failed: 535 "),
        "{stdout}\n{err}"
    );

    let got = crate::support::wait_files(&Path::new(&out).join("msg"), 1);
    assert_eq!(got, [body], "aiosmtpd received other bytes");
    let meta = std::fs::read_to_string(Path::new(&out).join("meta/001")).expect("meta");
    assert_eq!(
        meta,
        "from=alice@example.org\nrcpt=bob@example.net,carol@example.net\ntls=True\nauth=True\n"
    );
}

#[test]
fn swaks_to_sink_plain_pipelined_starttls_and_auth() {
    const TEST: &str = "swaks_to_sink_plain_pipelined_starttls_and_auth";
    if !peers::swaks(TEST, &["TLS", "Basic AUTH"]) {
        return;
    }
    let dir = TempDir::new("interop-swaks");
    let (sink, addr, new, _) = tls_sink(&dir);
    let body = tricky_body();
    // --no-data-fixup: swaks sends the file as it is, then CRLF; so the
    // file is the dot-stuffed message and the final dot.
    let mut wire = dot_stuff(&body);
    wire.push(b'.');
    let raw = format!("@{}", dir.file("wire.txt", &wire));
    // With swaks' own fixups (dot-stuffing, line ends; it appends CRLF and
    // the final dot): the message without its last CRLF.
    let fixup = format!("@{}", dir.file("fixup.txt", &body[..body.len() - 2]));
    let auth = ["--auth-user", "alice", "--auth-password", "secret"];
    let runs: [(&str, Vec<&str>); 6] = [
        ("plain@example.org", vec!["--no-data-fixup", "--data", &raw]),
        ("fixup@example.org", vec!["--data", &fixup]),
        (
            "pipeline@example.org",
            vec!["--pipeline", "--no-data-fixup", "--data", &raw],
        ),
        (
            "tls@example.org",
            vec!["-tls", "--no-data-fixup", "--data", &raw],
        ),
        (
            "plainauth@example.org",
            [
                &["-tls", "--auth", "PLAIN", "--no-data-fixup", "--data", &raw][..],
                &auth,
            ]
            .concat(),
        ),
        (
            "loginauth@example.org",
            [
                &["-tls", "--auth", "LOGIN", "--no-data-fixup", "--data", &raw][..],
                &auth,
            ]
            .concat(),
        ),
    ];
    for (from, extra) in &runs {
        let mut args = vec![
            "--server",
            &addr,
            "--timeout",
            "30",
            "--helo",
            "client.example",
            "--from",
            from,
            "--to",
            "bob@example.net",
        ];
        args.extend(extra);
        let (code, out, err) = crate::support::run(SWAKS, &args);
        assert_eq!(code, 0, "{from}: {out}\n{err}");
        assert!(out.contains(" 250 2.0.0 Ok: queued"), "{from}: {out}");
    }
    let expected = runs.iter().map(|(from, _)| stored(from, &body)).collect();
    assert_same_messages(crate::support::files(Path::new(&new)), expected);
    let log = stop(sink);
    assert_eq!(log.matches("tls=no auth=- messages=1 ").count(), 3, "{log}");
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
}

/// The smtplib client: a plain `sendmail` of raw bytes, `send_message` of
/// a message with UTF-8 addresses (SMTPUTF8), then STARTTLS (certificate
/// checked), `login` and `sendmail` again. Writes the bytes `send_message`
/// sent to argv[5].
const SMTPLIB_CLIENT: &str = r#"
import email.message, smtplib, ssl, sys
host, port, cafile, body_path, sent_path = sys.argv[1:6]
body = open(body_path, "rb").read()
with smtplib.SMTP(host, int(port), timeout=30) as s:
    s.ehlo("client.example")
    assert s.has_extn("smtputf8"), s.esmtp_features
    assert s.has_extn("starttls"), s.esmtp_features
    assert not s.has_extn("auth"), s.esmtp_features
    assert not s.sendmail("plain@example.org", ["bob@example.net"], body,
                          mail_options=["BODY=8BITMIME"])
    msg = email.message.EmailMessage()
    msg["From"] = "J\u00f6rg <j\u00f6rg@b\u00fccher.example>"
    msg["To"] = "zo\u00eb@example.net"
    msg["Subject"] = "gr\u00fc\u00dfe"
    msg.set_content("Hallo Zo\u00eb\n.dot first\n")
    assert not s.send_message(msg)
    # What send_message sent: the message flattened with utf8=True, CRLF.
    sent = msg.as_bytes(policy=msg.policy.clone(utf8=True, linesep="\r\n"))
    open(sent_path, "wb").write(sent)
    s.starttls(context=ssl.create_default_context(cafile=cafile))
    s.ehlo("client.example")
    assert s.has_extn("auth"), s.esmtp_features
    s.login("alice", "secret")
    assert not s.sendmail("tls@example.org", ["bob@example.net"], body,
                          mail_options=["BODY=8BITMIME"])
print("ok")
"#;

#[test]
fn python_smtplib_to_sink_smtputf8_starttls_login() {
    const TEST: &str = "python_smtplib_to_sink_smtputf8_starttls_login";
    if !peers::programs(TEST, &[PYTHON]) {
        return;
    }
    let dir = TempDir::new("interop-smtplib");
    let (sink, addr, new, cert) = tls_sink(&dir);
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let sent = dir.path("sent.eml");
    let (code, out, err) = crate::support::run(
        PYTHON,
        &["-c", SMTPLIB_CLIENT, host, port, &cert, &file, &sent],
    );
    assert_eq!((code, out.as_str()), (0, "ok\n"), "{err}");
    let utf8 = std::fs::read(&sent).expect("what send_message sent");
    // The composed message carries its UTF-8 header unencoded.
    let from = "From: J\u{f6}rg <j\u{f6}rg@b\u{fc}cher.example>\r\n";
    assert!(
        utf8.windows(from.len()).any(|w| w == from.as_bytes()),
        "{}",
        String::from_utf8_lossy(&utf8)
    );
    let expected = vec![
        stored("plain@example.org", &body),
        stored("j\u{f6}rg@b\u{fc}cher.example", &utf8),
        stored("tls@example.org", &body),
    ];
    assert_same_messages(crate::support::files(Path::new(&new)), expected);
    let log = stop(sink);
    assert!(log.contains("tls=yes auth=alice messages=3 "), "{log}");
}

#[test]
fn curl_to_sink_plain_and_starttls_auth() {
    const TEST: &str = "curl_to_sink_plain_and_starttls_auth";
    if !peers::programs(TEST, &[CURL]) {
        return;
    }
    let dir = TempDir::new("interop-curl");
    let (sink, addr, new, cert) = tls_sink(&dir);
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let url = format!("smtp://{addr}/client.example");
    let base = [
        "--silent",
        "--show-error",
        "--max-time",
        "30",
        &url,
        "--mail-rcpt",
        "bob@example.net",
        "--mail-rcpt",
        "carol@example.net",
        "--upload-file",
        &file,
    ];
    let (code, out, err) = crate::support::run(
        CURL,
        &[&base[..], &["--mail-from", "curl@example.org"]].concat(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = crate::support::run(
        CURL,
        &[
            &base[..],
            &[
                "--mail-from",
                "tls@example.org",
                "--ssl-reqd",
                "--cacert",
                &cert,
                "--user",
                "alice:secret",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let expected = vec![
        stored("curl@example.org", &body),
        stored("tls@example.org", &body),
    ];
    assert_same_messages(crate::support::files(Path::new(&new)), expected);
    let log = stop(sink);
    assert!(log.contains("tls=no auth=- messages=1 "), "{log}");
    assert!(log.contains("tls=yes auth=alice messages=1 "), "{log}");
}

#[test]
fn postfix_smtp_source_many_sessions_to_sink() {
    const TEST: &str = "postfix_smtp_source_many_sessions_to_sink";
    if !peers::programs(TEST, &[SMTP_SOURCE]) {
        return;
    }
    let dir = TempDir::new("interop-smtp-source");
    let maildir = dir.path("mail");
    let (sink, addr) =
        Proc::example_server("sink", &["--listen", "127.0.0.1:0", "--maildir", &maildir]);
    // 10 sessions in parallel, 50 messages, a 4096-octet payload each.
    let (code, out, err) = crate::support::run(
        SMTP_SOURCE,
        &[
            "-s",
            "10",
            "-m",
            "50",
            "-l",
            "4096",
            "-M",
            "client.example",
            "-f",
            "source@example.org",
            "-t",
            "bob@example.net",
            &addr,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let got = crate::support::files(&Path::new(&maildir).join("new"));
    assert_eq!(got.len(), 50, "{err}");
    for message in &got {
        check_smtp_source_message(message);
    }
    assert!(crate::support::files(&Path::new(&maildir).join("tmp")).is_empty());
    let log = stop(sink);
    assert!(log.contains("50 message(s) accepted"), "{log}");
}

/// One message from smtp-source as stored: our Return-Path line; its
/// header (From, To, Date, Message-Id); an empty line; the payload of
/// `-l 4096`: 4096 octets counting each line's CRLF but the last one's
/// (80-octet lines, then the remainder, then CRLF), letters and digits.
fn check_smtp_source_message(message: &[u8]) {
    let text = String::from_utf8_lossy(message);
    let rest = text
        .strip_prefix("Return-Path: <source@example.org>\r\n")
        .unwrap_or_else(|| panic!("{text}"));
    let (header, payload) = rest
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{text}"));
    let names: Vec<&str> = header
        .split("\r\n")
        .map(|line| line.split_once(": ").map_or(line, |(name, _)| name))
        .collect();
    assert_eq!(names, ["From", "To", "Date", "Message-Id"], "{text}");
    assert!(header.starts_with("From: <source@example.org>\r\nTo: <bob@example.net>\r\n"));
    assert_eq!(payload.len(), 4096 + 2, "{text}");
    let lines: Vec<&str> = payload
        .strip_suffix("\r\n")
        .unwrap_or_else(|| panic!("{text}"))
        .split("\r\n")
        .collect();
    assert_eq!(lines.len(), 4096 / 80 + 1, "{text}");
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line.len(), 78, "{text}");
    }
    assert_eq!(lines[lines.len() - 1].len(), 4096 % 80, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.bytes().all(|b| b.is_ascii_alphanumeric())),
        "{text}"
    );
}

/// Python's `smtplib.LMTP` (RFC 2033): LHLO, then one reply per accepted
/// recipient after the data. The third recipient is over `--max-recipients
/// 2` and refused at RCPT (452); smtplib reports it in the refused map.
const LMTP_CLIENT: &str = r#"
import smtplib, sys
host, port, body_path = sys.argv[1:4]
body = open(body_path, "rb").read()
s = smtplib.LMTP(host, int(port), timeout=30)
code, _ = s.ehlo("client.example")  # smtplib's LMTP sends LHLO here
assert code == 250, code
refused = s.sendmail("alice@example.org",
                     ["bob@example.net", "carol@example.net", "dave@example.net"], body)
assert list(refused) == ["dave@example.net"], refused
assert refused["dave@example.net"][0] == 452, refused
s.quit()
print("ok")
"#;

#[test]
fn python_smtplib_lmtp_to_sink() {
    const TEST: &str = "python_smtplib_lmtp_to_sink";
    if !peers::programs(TEST, &[PYTHON]) {
        return;
    }
    let dir = TempDir::new("interop-lmtp");
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
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let body = tricky_body();
    let file = dir.file("body.eml", &body);
    let (code, out, err) = crate::support::run(PYTHON, &["-c", LMTP_CLIENT, host, port, &file]);
    assert_eq!((code, out.as_str()), (0, "ok\n"), "{err}");
    // One file per accepted recipient, each the message as sent.
    let expected = vec![
        stored("alice@example.org", &body),
        stored("alice@example.org", &body),
    ];
    assert_same_messages(
        crate::support::files(Path::new(&format!("{maildir}/new"))),
        expected,
    );
    // The sink counts a delivery per accepted recipient.
    let log = stop(sink);
    assert!(log.contains("messages=2 "), "{log}");
}

/// Recipient overshoot (RFC 5321 §4.5.3.1.10): 150 recipients against
/// `sink --max-recipients 100`. Lock-step, smtplib's `sendmail` gets 452
/// for the last 50 and still sends the message to the first 100; the 50 go
/// in a second transaction of the same session. Pipelined, a raw socket
/// sends MAIL, the 150 RCPTs and DATA in one write (RFC 2920), and the
/// message is delivered just the same. argv: host, port, body, count,
/// limit.
const OVERSHOOT_CLIENT: &str = r#"
import smtplib, socket, sys
host, port, body_path, count, limit = sys.argv[1:6]
count, limit = int(count), int(limit)
body = open(body_path, "rb").read()
rcpts = ["r%d@example.net" % i for i in range(count)]
with smtplib.SMTP(host, int(port), timeout=30) as s:
    s.ehlo("client.example")
    refused = s.sendmail("lockstep@example.org", rcpts, body)
    assert sorted(refused) == sorted(rcpts[limit:]), refused
    assert all(r == (452, b"4.5.3 Error: too many recipients") for r in refused.values()), refused
    assert not s.sendmail("lockstep@example.org", list(refused), body)
sock = socket.create_connection((host, int(port)), timeout=30)
f = sock.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline()
        assert line.endswith(b"\r\n"), line
        lines.append(line)
        if line[3:4] == b" ":
            return int(line[:3]), lines
assert reply()[0] == 220
sock.sendall(b"EHLO client.example\r\n")
code, lines = reply()
assert code == 250 and b"250-PIPELINING\r\n" in lines, lines
group = b"MAIL FROM:<pipelined@example.org>\r\n"
group += b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) + b"DATA\r\n"
sock.sendall(group)
codes = [reply()[0] for _ in range(count + 2)]
assert codes == [250] + [250] * limit + [452] * (count - limit) + [354], codes
sock.sendall(body + b".\r\n")
assert reply()[0] == 250
sock.sendall(b"QUIT\r\n")
assert reply()[0] == 221
print("ok")
"#;

#[test]
fn recipient_overshoot_into_sink_lock_step_and_pipelined() {
    const TEST: &str = "recipient_overshoot_into_sink_lock_step_and_pipelined";
    if !peers::programs(TEST, &[PYTHON]) {
        return;
    }
    // 150 over 100 (the issue's case), and 1100 over the default 1000.
    for (count, limit) in [(150, Some(100)), (1100, None)] {
        let dir = TempDir::new("interop-overshoot");
        let maildir = dir.path("mail");
        let mut args = vec!["--listen", "127.0.0.1:0", "--maildir", &maildir];
        let limit_arg = limit.map(|l: u32| l.to_string());
        if let Some(l) = &limit_arg {
            args.extend(["--max-recipients", l]);
        }
        let (sink, addr) = Proc::example_server("sink", &args);
        let (host, port) = addr.rsplit_once(':').expect("host:port");
        let body = b"Subject: many\r\n\r\nto many\r\n".to_vec();
        let file = dir.file("body.eml", &body);
        let limit = limit.unwrap_or(1000).to_string();
        let (code, out, err) = crate::support::run(
            PYTHON,
            &[
                "-c",
                OVERSHOOT_CLIENT,
                host,
                port,
                &file,
                &count.to_string(),
                &limit,
            ],
        );
        assert_eq!((code, out.as_str()), (0, "ok\n"), "{count}: {err}");
        // Three transactions, three messages: none lost, none twice.
        let expected = vec![
            stored("lockstep@example.org", &body),
            stored("lockstep@example.org", &body),
            stored("pipelined@example.org", &body),
        ];
        assert_same_messages(
            crate::support::files(Path::new(&format!("{maildir}/new"))),
            expected,
        );
        let log = stop(sink);
        assert!(!log.contains("too many errors"), "{log}");
    }
}

/// The msmtp configuration: one account per case, all to the sink at
/// `port` with `client.example` as the EHLO domain; no header of msmtp's
/// own (by default it adds Date: and Message-ID: to a message without
/// them), so that the message arrives as it was given.
const MSMTPRC: &str = "defaults
host 127.0.0.1
port PORT
domain client.example
timeout 30
set_from_header off
set_date_header off
set_msgid_header off
tls_trust_file CERT

account plain
tls off

account tls
tls on
tls_starttls on

account plainauth : tls
auth plain
user alice
password secret

account loginauth : plainauth
auth login
";

#[test]
fn msmtp_to_sink_plain_starttls_auth_plain_and_login() {
    const TEST: &str = "msmtp_to_sink_plain_starttls_auth_plain_and_login";
    if !peers::msmtp(TEST) {
        return;
    }
    let dir = TempDir::new("interop-msmtp");
    let (sink, addr, new, cert) = tls_sink(&dir);
    let port = addr.rsplit_once(':').expect("host:port").1;
    // msmtp refuses a configuration file others can read.
    let rc = dir.file(
        "msmtprc",
        MSMTPRC
            .replace("PORT", port)
            .replace("CERT", &cert)
            .as_bytes(),
    );
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).expect("chmod 0600");
    let body = tricky_body();
    // (account, sender, recipients: none means -t, from the To: header)
    let runs: [(&str, &str, &[&str]); 4] = [
        ("plain", "plain@example.org", &[]),
        (
            "tls",
            "tls@example.org",
            &["bob@example.net", "carol@example.net"],
        ),
        ("plainauth", "plainauth@example.org", &["bob@example.net"]),
        ("loginauth", "loginauth@example.org", &["bob@example.net"]),
    ];
    for (account, from, to) in &runs {
        // --debug: msmtp prints the dialogue; it shows the AUTH mechanism.
        let mut args = vec!["-C", &rc, "--debug", "-a", account, "-f", from];
        if to.is_empty() {
            args.push("-t");
        } else {
            args.push("--");
            args.extend(*to);
        }
        let (code, out, err) = crate::support::run_input(MSMTP, &args, &body);
        assert_eq!(code, 0, "{account}: {out}\n{err}");
        let rcpt: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("--> RCPT TO:"))
            .collect();
        let expected: Vec<String> = if to.is_empty() {
            vec!["<bob@example.net>".into()]
        } else {
            to.iter().map(|t| format!("<{t}>")).collect()
        };
        assert_eq!(rcpt, expected, "{account}: {out}");
        assert_eq!(
            out.contains("--> STARTTLS"),
            *account != "plain",
            "{account}: {out}"
        );
        let auth: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("--> AUTH "))
            .map(|l| l.split(' ').next().unwrap_or(l))
            .collect();
        let expected: &[&str] = match *account {
            "plainauth" => &["PLAIN"],
            "loginauth" => &["LOGIN"],
            _ => &[],
        };
        assert_eq!(auth, expected, "{account}: {out}");
    }
    let expected = runs
        .iter()
        .map(|(_, from, _)| stored(from, &body))
        .collect();
    assert_same_messages(crate::support::files(Path::new(&new)), expected);
    let log = stop(sink);
    assert_eq!(log.matches("tls=no auth=- messages=1 ").count(), 1, "{log}");
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
}
