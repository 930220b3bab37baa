//! Interop with a real, full Postfix (issue 10, item 2), run by each test
//! as a private instance (tests/support/postfix.rs: its own configuration,
//! queue and log under a temp dir, its SMTP server on 127.0.0.1 and a
//! free port, stopped at the end):
//!
//! - our client (the `send` example) → Postfix's smtpd, delivered by
//!   Postfix's `virtual` agent into Maildirs: plain and STARTTLS, BDAT and
//!   DATA, SMTPUTF8, DSN parameters, a 5 MB body, recipients refused by an
//!   access map and by the mailbox table;
//! - Postfix's smtp client → our server (the `sink` example, `--maildir`):
//!   plain and STARTTLS (certificate verified), with and without CHUNKING
//!   offered, 8-bit and SMTPUTF8 messages, 50 messages × 3 recipients; and
//!   Postfix's lmtp client → `sink --lmtp`.
//!
//! Postfix logs each conversation with a peer on 127.0.0.1
//! (`debug_peer_list`): the tests check what `send` reports against what
//! Postfix's smtpd says it answered, and what Postfix's clients sent.
//! Every delivered message must be byte-identical to what was submitted,
//! after exactly the header fields Postfix puts in front of it, which are
//! parsed off one by one.
//!
//! A missing Postfix skips the tests (and says why) unless
//! `EMBEDDED_SMTP_REQUIRE_PEERS=1`, which makes them fail; `.ci/peers`
//! installs it. Every wait is bounded, every process is stopped by its
//! guard.
#![cfg(all(feature = "blocking", feature = "async"))]

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::Proc;
use crate::support::peers::lf_lines;
use crate::support::postfix::{Postfix, Session, check_received, smtpd_sessions, take_fields};

/// The HELO name `send` gives.
const HELO: &str = "client.example";

/// Runs the `send` example against `postfix`'s smtpd to completion, with
/// `HELO`, the envelope `from` → `rcpts`, the message in `file`, and the
/// `extra` options: exit code, stdout, stderr.
fn send_to(
    postfix: &Postfix,
    from: &str,
    rcpts: &[&str],
    file: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--body",
        file,
    ];
    for rcpt in rcpts {
        args.extend(["--to", rcpt]);
    }
    args.extend_from_slice(extra);
    let (status, out, err) = Proc::example("send", &args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// A message with a complete header (From, To, Date, Message-ID: nothing
/// for Postfix's cleanup to add) and a body with what framing must keep
/// intact: a leading dot, a lone dot line, two dots, empty lines, 8-bit
/// text with a trailing space, a 990-octet line.
fn message(from: &str, to: &str, id: &str) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{id}@example.org>\r\nSubject: interop with Postfix ({id})\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(b".leading dot\r\n.\r\n..two dots\r\n\r\n\r\n");
    m.extend_from_slice("8-bit: gr\u{fc}\u{df}e \r\n".as_bytes());
    m.extend_from_slice(&[b'x'; 990]);
    m.extend_from_slice(b"\r\nlast line of ");
    m.extend_from_slice(id.as_bytes());
    m.extend_from_slice(b"\r\n");
    m
}

/// The queue ID in a reply that ends `queued as ID`.
fn queue_id(reply: &str) -> String {
    let (_, id) = reply
        .split_once("queued as ")
        .unwrap_or_else(|| panic!("no queue ID in {reply:?}"));
    id.split_whitespace()
        .next()
        .expect("a queue ID")
        .to_string()
}

/// The last line of `send`'s report, `delivered: REPLY`: the reply.
fn delivered(stdout: &str) -> &str {
    stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("delivered: "))
        .unwrap_or_else(|| panic!("no delivery in {stdout:?}"))
}

/// The smtpd session in which `from` was the sender.
fn session_of(log: &str, from: &str) -> Session {
    let mail = format!("MAIL FROM:<{from}>");
    let mut found: Vec<Session> = smtpd_sessions(log)
        .into_iter()
        .filter(|s| s.commands().iter().any(|c| c.starts_with(&mail)))
        .collect();
    assert_eq!(found.len(), 1, "sessions with {mail}:\n{log}");
    found.remove(0)
}

/// Waits (bounded) until Postfix's log shows the end of the smtpd session
/// in which `from` was the sender (its `disconnect` line; postlogd writes
/// the log a little after the fact) and `also` holds; the log and the
/// session.
fn finished(postfix: &Postfix, from: &str, also: impl Fn(&str) -> bool) -> (String, Session) {
    let mail = format!("MAIL FROM:<{from}>");
    let log = postfix.wait_log(&format!("end of the session of {from}"), |log| {
        also(log)
            && smtpd_sessions(log)
                .iter()
                .any(|s| s.summary.is_some() && s.commands().iter().any(|c| c.starts_with(&mail)))
    });
    let session = session_of(&log, from);
    (log, session)
}

/// The first line of `log` that contains `needle`.
fn line_with<'l>(log: &'l str, needle: &str) -> &'l str {
    log.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in the log:\n{log}"))
}

/// A command's arguments after `verb`, as a set (their order is the
/// client's business).
fn arguments(command: &str) -> BTreeSet<String> {
    command.split(' ').skip(2).map(str::to_string).collect()
}

/// A MAIL command with its parameters sorted (their order is the
/// client's business); any other command as it is.
fn unordered(command: &str) -> String {
    match command.strip_prefix("MAIL ") {
        Some(rest) => {
            let path = rest.split(' ').next().unwrap_or_default();
            let params: Vec<String> = arguments(command).into_iter().collect();
            format!("MAIL {path} {}", params.join(" "))
        }
        None => command.to_string(),
    }
}

/// `v` as `&str`s.
fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What `send` must print for a session: one line per recipient with the
/// reply Postfix's smtpd logged having sent to its RCPT, then the final
/// reply to the content (the last reply to `BDAT … LAST`, or DATA's after
/// its 354).
fn expected_report(session: &Session, recipients: &[&str]) -> String {
    let mut report = String::new();
    for rcpt in recipients {
        let replies = session.replies_to(&format!("RCPT TO:<{rcpt}>"));
        assert_eq!(replies.len(), 1, "RCPT TO:<{rcpt}>: {session:#?}");
        let reply = &replies[0][0];
        let verdict = if reply.starts_with('2') {
            "accepted"
        } else {
            "rejected"
        };
        report.push_str(&format!("{verdict} {rcpt}: {reply}\n"));
    }
    let content = session
        .commands()
        .into_iter()
        .rfind(|c| c.starts_with("BDAT ") || *c == "DATA")
        .expect("a BDAT or DATA command")
        .to_string();
    let replies = session.replies_to(&content);
    let last = replies
        .last()
        .and_then(|r| r.last())
        .expect("a final reply");
    report.push_str(&format!("delivered: {last}\n"));
    report
}

/// smtpd's closing counters for a session of `send`: EHLO (twice with
/// STARTTLS), MAIL, `rcpt` accepted of `rcpts`, `data` DATA and `bdat`
/// BDAT commands, QUIT; `commands=ok/all` when some failed.
fn summary(starttls: bool, rcpt: usize, rcpts: usize, data: usize, bdat: usize) -> String {
    let fraction = |ok: usize, all: usize| {
        if ok == all {
            ok.to_string()
        } else {
            format!("{ok}/{all}")
        }
    };
    let all = 1 + 2 * usize::from(starttls) + 1 + rcpts + data + bdat + 1;
    let mut s = format!("ehlo={}", 1 + usize::from(starttls));
    if starttls {
        s.push_str(" starttls=1");
    }
    s.push_str(&format!(" mail=1 rcpt={}", fraction(rcpt, rcpts)));
    if data > 0 {
        s.push_str(&format!(" data={data}"));
    }
    if bdat > 0 {
        s.push_str(&format!(" bdat={bdat}"));
    }
    s.push_str(&format!(
        " quit=1 commands={}",
        fraction(all - (rcpts - rcpt), all)
    ));
    s
}

/// A file Postfix's `virtual` agent delivered (Maildir: LF line ends):
/// checks the fields it and smtpd put in front (Return-Path,
/// X-Original-To, Delivered-To, Received, in that order) and that the
/// rest is `sent` with its CRLFs made LFs.
fn check_delivered(
    file: &[u8],
    from: &str,
    rcpt: &str,
    protocol: &str,
    queue_id: &str,
    one_rcpt: bool,
    sent: &[u8],
) {
    let (fields, rest) = take_fields(
        file,
        "\n",
        &["Return-Path", "X-Original-To", "Delivered-To", "Received"],
    );
    assert_eq!(fields[0], format!("<{from}>"));
    assert_eq!(fields[1], rcpt);
    assert_eq!(fields[2], rcpt);
    check_received(
        &fields[3],
        HELO,
        protocol,
        queue_id,
        one_rcpt.then_some(rcpt),
    );
    assert!(
        rest == lf_lines(sent),
        "delivered:\n{}\nsent:\n{}",
        String::from_utf8_lossy(rest),
        String::from_utf8_lossy(sent)
    );
}

/// The mailboxes of the instances `send` talks to.
const MAILBOXES: [&str; 4] = [
    "bob@example.net",
    "carol@example.net",
    "alice@example.net",
    "zo\u{eb}@example.net",
];

/// An instance for `send`: STARTTLS with a certificate made here (its
/// path returned for `send --ca`), `refused@example.net` refused by an
/// access map, mail from `held@example.org` put on hold, mail for
/// anywhere but its mailboxes bounced by the `error` transport.
fn smtpd_instance(tag: &str) -> (Postfix, String) {
    let mut postfix = Postfix::new(tag);
    let (cert, key) = crate::support::certificate();
    let cert = postfix.file("cert.pem", cert.as_bytes());
    let key = postfix.file("key.pem", key.as_bytes());
    let access = postfix.file(
        "recipient-access",
        b"refused@example.net 550 5.1.1 no such mailbox here\n",
    );
    let hold = postfix.file("sender-access", b"held@example.org HOLD\n");
    postfix.start(
        &MAILBOXES,
        &[
            "default_transport = error:this instance delivers to its own mailboxes only".into(),
            format!("smtpd_tls_cert_file = {cert}"),
            format!("smtpd_tls_key_file = {key}"),
            "smtpd_tls_security_level = may".into(),
            format!(
                "smtpd_recipient_restrictions = check_sender_access texthash:{hold}, \
                 check_recipient_access texthash:{access}, permit_mynetworks, \
                 reject_unauth_destination"
            ),
        ],
        &[],
    );
    (postfix, cert)
}

/// The delivered files in a mailbox, by sender (their Return-Path).
fn by_sender(dir: &Path, n: usize) -> Vec<(String, Vec<u8>)> {
    crate::support::wait_files(dir, n)
        .into_iter()
        .map(|f| {
            let line = f.split(|&b| b == b'\n').next().unwrap_or_default();
            let from = String::from_utf8_lossy(line)
                .trim_start_matches("Return-Path: <")
                .trim_end_matches(['>', '\r'])
                .to_string();
            (from, f)
        })
        .collect()
}

mod from_postfix;
mod to_postfix;
