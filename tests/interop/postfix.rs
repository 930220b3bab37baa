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

use crate::support::peers::{self, POSTCAT, POSTSUPER, lf_lines};
use crate::support::postfix::{
    HOSTNAME, Postfix, Session, check_received, client_lines, smtpd_sessions, take_fields,
};
use crate::support::{Proc, stop};

/// The HELO name `send` gives.
const HELO: &str = "client.example";

/// Runs the `send` example to completion: exit code, stdout, stderr.
fn send(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = Proc::example("send", args).finish();
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

#[test]
fn send_to_postfix_plain_and_starttls_by_bdat_and_data() {
    const TEST: &str = "send_to_postfix_plain_and_starttls_by_bdat_and_data";
    if !peers::postfix(TEST) {
        return;
    }
    let (postfix, cert) = smtpd_instance("bdat-data");
    let rcpt = "bob@example.net";
    // (sender, STARTTLS, --chunking): Postfix 3.7's smtpd offers CHUNKING,
    // so `auto` sends BDAT.
    let runs = [
        ("plain-bdat@example.org", false, "auto"),
        ("plain-data@example.org", false, "never"),
        ("tls-bdat@example.org", true, "auto"),
        ("tls-data@example.org", true, "never"),
    ];
    let mut reports = Vec::new();
    for (from, tls, chunking) in runs {
        let body = message(from, rcpt, from.split('@').next().unwrap());
        let file = postfix.file(&format!("{from}.eml"), &body);
        let mut args = vec![
            "--server",
            &postfix.smtpd,
            "--helo",
            HELO,
            "--from",
            from,
            "--to",
            rcpt,
            "--body",
            &file,
            "--chunking",
            chunking,
        ];
        if tls {
            args.extend(["--starttls", "--ca", &cert]);
        }
        let (code, out, err) = send(&args);
        assert_eq!(code, 0, "{from}: {out}\n{err}\n{}", postfix.log());
        reports.push((from, tls, chunking, body, out));
    }
    let stored = by_sender(&postfix.maildir(rcpt), runs.len());
    let ids: Vec<String> = reports.iter().map(|r| queue_id(delivered(&r.4))).collect();
    for ((from, tls, chunking, body, out), id) in reports.iter().zip(&ids) {
        let (log, session) = finished(&postfix, from, |log| {
            log.contains(&format!("{id}: removed"))
        });
        // What `send` printed is what smtpd says it answered.
        assert_eq!(out, &expected_report(&session, &[rcpt]), "{from}");
        // The commands smtpd received: the body fits one chunk, so BDAT
        // sends it as `BDAT n LAST` (RFC 3030 §2).
        let mut commands = vec![format!("EHLO {HELO}")];
        if *tls {
            commands.extend(["STARTTLS".to_string(), format!("EHLO {HELO}")]);
        }
        commands.push(format!(
            "MAIL FROM:<{from}> SIZE={} BODY=8BITMIME",
            body.len()
        ));
        commands.push(format!("RCPT TO:<{rcpt}>"));
        let bdat = *chunking == "auto";
        commands.push(if bdat {
            format!("BDAT {} LAST", body.len())
        } else {
            "DATA".into()
        });
        commands.push("QUIT".into());
        let got: Vec<String> = session.commands().into_iter().map(unordered).collect();
        let commands: Vec<String> = commands.iter().map(|c| unordered(c)).collect();
        assert_eq!(got, commands, "{from}");
        assert_eq!(
            session.summary.as_deref(),
            Some(summary(*tls, 1, 1, usize::from(!bdat), usize::from(bdat)).as_str()),
            "{from}"
        );
        // Postfix's replies: BDAT's final one counts the octets it got.
        let reply = delivered(out);
        if bdat {
            assert_eq!(
                reply,
                format!("250 2.0.0 Ok: {} bytes queued as {id}", body.len())
            );
        } else {
            assert_eq!(reply, format!("250 2.0.0 Ok: queued as {id}"));
        }
        let line = line_with(&log, &format!("{id}: to=<{rcpt}>, relay=virtual, "));
        assert!(
            line.ends_with(" dsn=2.0.0, status=sent (delivered to maildir)"),
            "{line}"
        );
        let file = &stored.iter().find(|(f, _)| f == from).expect("stored").1;
        // RFC 3848: ESMTPS under TLS.
        let protocol = if *tls { "ESMTPS" } else { "ESMTP" };
        check_delivered(file, from, rcpt, protocol, id, true, body);
    }
    postfix.stop();
}

#[test]
fn send_to_postfix_recipients_refused_by_access_map_and_mailbox_table() {
    const TEST: &str = "send_to_postfix_recipients_refused_by_access_map_and_mailbox_table";
    if !peers::postfix(TEST) {
        return;
    }
    let (postfix, _) = smtpd_instance("refused");
    let from = "alice@example.org";
    let rcpts = [
        "bob@example.net",
        "refused@example.net",
        "carol@example.net",
        "unknown@example.net",
    ];
    let body = message(from, "bob@example.net, carol@example.net", "refused");
    let file = postfix.file("body.eml", &body);
    let mut args = vec![
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--body",
        &file,
    ];
    for rcpt in &rcpts {
        args.extend(["--to", rcpt]);
    }
    let (code, out, err) = send(&args);
    // Status 1: some recipient refused; the message went to the others.
    assert_eq!(code, 1, "{out}\n{err}\n{}", postfix.log());
    let id = queue_id(delivered(&out));
    let (log, session) = finished(&postfix, from, |log| {
        log.contains(&format!("{id}: removed"))
    });
    // Each line `send` printed is the reply smtpd logged for that RCPT.
    assert_eq!(out, expected_report(&session, &rcpts));
    // And those replies are the refusals configured: the access map's
    // code and text (access(5)), and the virtual mailbox table's unknown
    // user (`unknown_virtual_mailbox_reject_code`, 550).
    let refused =
        "550 5.1.1 <refused@example.net>: Recipient address rejected: no such mailbox here";
    let unknown = "550 5.1.1 <unknown@example.net>: Recipient address rejected: \
                   User unknown in virtual mailbox table";
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("accepted bob@example.net: 250 2.1.5 "),
        "{out}"
    );
    assert_eq!(lines[1], format!("rejected refused@example.net: {refused}"));
    assert!(
        lines[2].starts_with("accepted carol@example.net: 250 2.1.5 "),
        "{out}"
    );
    assert_eq!(lines[3], format!("rejected unknown@example.net: {unknown}"));
    // Postfix logged each refusal.
    for (rcpt, reply) in [
        ("refused@example.net", refused),
        ("unknown@example.net", unknown),
    ] {
        let line = format!(
            "{id}: reject: RCPT from unknown[127.0.0.1]: {reply}; from=<{from}> to=<{rcpt}> \
             proto=ESMTP helo=<{HELO}>"
        );
        assert!(log.contains(&line), "no {line:?} in\n{log}");
    }
    assert_eq!(
        session.summary.as_deref(),
        Some(summary(false, 2, 4, 0, 1).as_str())
    );
    // Delivered to the two others, as sent.
    for rcpt in ["bob@example.net", "carol@example.net"] {
        let got = crate::support::wait_files(&postfix.maildir(rcpt), 1);
        assert_eq!(got.len(), 1);
        check_delivered(&got[0], from, rcpt, "ESMTP", &id, false, &body);
    }
    postfix.stop();
}

#[test]
fn send_smtputf8_to_postfix() {
    const TEST: &str = "send_smtputf8_to_postfix";
    if !peers::postfix(TEST) {
        return;
    }
    let (postfix, _) = smtpd_instance("smtputf8");
    let from = "j\u{f6}rg@b\u{fc}cher.example";
    let rcpt = "zo\u{eb}@example.net";
    let body = message(&format!("J\u{f6}rg <{from}>"), rcpt, "smtputf8");
    let file = postfix.file("body.eml", &body);
    let (code, out, err) = send(&[
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--to",
        rcpt,
        "--body",
        &file,
    ]);
    assert_eq!(code, 0, "{out}\n{err}\n{}", postfix.log());
    let id = queue_id(delivered(&out));
    let (log, session) = finished(&postfix, from, |log| {
        log.contains(&format!("{id}: removed"))
    });
    assert_eq!(out, expected_report(&session, &[rcpt]));
    // RFC 6531: the UTF-8 addresses with SMTPUTF8 on MAIL (and the 8-bit
    // body with BODY=8BITMIME).
    let mail = session
        .commands()
        .into_iter()
        .find(|c| c.starts_with("MAIL FROM:"))
        .unwrap()
        .to_string();
    assert!(mail.starts_with(&format!("MAIL FROM:<{from}> ")), "{mail}");
    assert_eq!(
        arguments(&mail),
        set(&[&format!("SIZE={}", body.len()), "BODY=8BITMIME", "SMTPUTF8"])
    );
    assert!(
        session
            .commands()
            .contains(&format!("RCPT TO:<{rcpt}>").as_str())
    );
    let line = line_with(&log, &format!("{id}: to=<{rcpt}>, relay=virtual, "));
    assert!(
        line.ends_with(" dsn=2.0.0, status=sent (delivered to maildir)"),
        "{line}"
    );
    let got = crate::support::wait_files(&postfix.maildir(rcpt), 1);
    assert_eq!(got.len(), 1);
    // RFC 6531 §3.7.3: "UTF8SMTP" in the Received: field's WITH clause.
    check_delivered(&got[0], from, rcpt, "UTF8SMTP", &id, true, &body);
    postfix.stop();
}

/// RFC 3461 xtext of `text` (§4): `+`, `=`, controls, space and 8-bit as
/// `+HH`.
fn xtext(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
                (b as char).to_string()
            } else {
                format!("+{b:02X}")
            }
        })
        .collect()
}

#[test]
fn send_dsn_parameters_to_postfix() {
    const TEST: &str = "send_dsn_parameters_to_postfix";
    if !peers::postfix(TEST) {
        return;
    }
    let (postfix, _) = smtpd_instance("dsn");

    // 1. Held (the sender is on hold by the access map): what Postfix
    // queued, read back with postcat.
    let from = "held@example.org";
    let rcpts = ["bob@example.net", "carol@example.net"];
    let envid = "id+1=2 3";
    let body = message(from, "bob@example.net", "dsn-held");
    let file = postfix.file("held.eml", &body);
    let (code, out, err) = send(&[
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--to",
        rcpts[0],
        "--to",
        rcpts[1],
        "--body",
        &file,
        "--notify",
        "DELAY,FAILURE",
        "--ret",
        "full",
        "--envid",
        envid,
    ]);
    assert_eq!(code, 0, "{out}\n{err}\n{}", postfix.log());
    let held = queue_id(delivered(&out));
    let (log, session) = finished(&postfix, from, |_| true);
    assert_eq!(out, expected_report(&session, &rcpts));
    let commands = session.commands();
    let mail = commands.iter().find(|c| c.starts_with("MAIL ")).unwrap();
    assert_eq!(
        arguments(mail),
        set(&[
            &format!("SIZE={}", body.len()),
            "BODY=8BITMIME",
            "RET=FULL",
            &format!("ENVID={}", xtext(envid)),
        ])
    );
    for rcpt in rcpts {
        let command = commands
            .iter()
            .find(|c| c.starts_with(&format!("RCPT TO:<{rcpt}> ")))
            .unwrap_or_else(|| panic!("no RCPT for {rcpt}: {commands:?}"));
        let notify = command
            .split_once(" NOTIFY=")
            .map(|(_, n)| n.split(',').collect::<BTreeSet<_>>())
            .unwrap_or_default();
        assert_eq!(notify, BTreeSet::from(["DELAY", "FAILURE"]), "{command}");
    }
    // (At the first RCPT, before smtpd opened the queue file.)
    let hold = format!(
        "NOQUEUE: hold: RCPT from unknown[127.0.0.1]: <{from}>: Sender address triggers HOLD \
         action; from=<{from}> to=<{}> proto=ESMTP helo=<{HELO}>",
        rcpts[0]
    );
    assert!(log.contains(&hold), "no {hold:?} in\n{log}");
    // Postfix's queue file keeps the decoded ENVID, RET (DSN_RET_FULL, 1)
    // and each recipient's NOTIFY (DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY,
    // 4 | 8; Postfix's dsn.h).
    let queued = postfix.command(POSTCAT, &["-q", &held]);
    let records: Vec<&str> = queued.lines().collect();
    assert!(
        records.contains(&format!("named_attribute: envelope_id={envid}").as_str()),
        "{queued}"
    );
    assert!(
        records.contains(&"named_attribute: ret_flags=1"),
        "{queued}"
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| **r == "named_attribute: notify_flags=12")
            .count(),
        2,
        "{queued}"
    );
    for rcpt in rcpts {
        assert!(
            records.contains(&format!("recipient: {rcpt}").as_str()),
            "{queued}"
        );
    }
    // The queued content: smtpd's Received: field, then the message.
    let start = queued.find("*** MESSAGE CONTENTS").expect("contents");
    let contents = &queued[queued[start..].find('\n').unwrap() + start + 1..];
    let contents = &contents[..contents.find("*** HEADER EXTRACTED").expect("end")];
    let (fields, rest) = take_fields(contents.as_bytes(), "\n", &["Received"]);
    check_received(&fields[0], HELO, "ESMTP", &held, None);
    assert_eq!(rest, lf_lines(&body));

    // 2. Delivered with NOTIFY=SUCCESS RET=HDRS: Postfix sends the sender
    // (a mailbox of its own) a delivery report (RFC 3464) with the ENVID
    // and only the message's header.
    let from = "alice@example.net";
    let rcpt = "bob@example.net";
    let body = message(from, rcpt, "dsn-success");
    let file = postfix.file("success.eml", &body);
    let (code, out, err) = send(&[
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--to",
        rcpt,
        "--body",
        &file,
        "--notify",
        "SUCCESS",
        "--ret",
        "hdrs",
        "--envid",
        "QQ314159",
    ]);
    assert_eq!(code, 0, "{out}\n{err}\n{}", postfix.log());
    let id = queue_id(delivered(&out));
    let (_, session) = finished(&postfix, from, |_| true);
    let commands = session.commands();
    let mail = commands.iter().find(|c| c.starts_with("MAIL ")).unwrap();
    assert!(
        arguments(mail).is_superset(&set(&["RET=HDRS", "ENVID=QQ314159"])),
        "{mail}"
    );
    assert!(
        commands.contains(&format!("RCPT TO:<{rcpt}> NOTIFY=SUCCESS").as_str()),
        "{commands:?}"
    );
    let got = crate::support::wait_files(&postfix.maildir(rcpt), 1);
    check_delivered(&got[0], from, rcpt, "ESMTP", &id, true, &body);
    let report = crate::support::wait_files(&postfix.maildir(from), 1);
    let report = String::from_utf8(report[0].clone()).expect("a UTF-8 report");
    let log = postfix.wait_log("the report's delivery", |log| {
        log.contains(&format!("{id}: sender delivery status notification: "))
    });
    assert!(report.starts_with("Return-Path: <>\n"), "{report}");
    for line in [
        "Subject: Successful Mail Delivery Report",
        "Content-Type: message/delivery-status",
        "Original-Envelope-Id: QQ314159",
        &format!("X-Postfix-Queue-ID: {id}"),
        &format!("Final-Recipient: rfc822; {rcpt}"),
        "Action: delivered",
        "Status: 2.0.0",
        "Content-Type: text/rfc822-headers",
        "Message-ID: <dsn-success@example.org>",
    ] {
        assert!(
            report.lines().any(|l| l == line),
            "no {line:?} in the report:\n{report}\n{log}"
        );
    }
    // RET=HDRS: the header came back, not the body.
    assert!(!report.contains("last line of dsn-success"), "{report}");
    postfix.stop();
}

/// About 5 MB: a header, then 78-octet lines, every 100th starting with a
/// dot (stuffed under DATA, not under BDAT).
fn five_megabytes(id: &str) -> Vec<u8> {
    let mut m = format!(
        "From: big@example.org\r\nTo: big@example.net\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{id}@example.org>\r\nSubject: 5 MB\r\n\r\n"
    )
    .into_bytes();
    let mut i = 0u32;
    while m.len() < 5 * 1024 * 1024 {
        let dot = if i.is_multiple_of(100) { "." } else { "" };
        let fill = char::from(b'A' + (i % 26) as u8).to_string().repeat(60);
        m.extend_from_slice(format!("{dot}line {i:07} {fill}\r\n").as_bytes());
        i += 1;
    }
    m
}

#[test]
fn send_5mb_to_postfix_by_bdat_and_data() {
    const TEST: &str = "send_5mb_to_postfix_by_bdat_and_data";
    if !peers::postfix(TEST) {
        return;
    }
    let (postfix, _) = smtpd_instance("5mb");
    let runs = [
        ("big-bdat@example.org", "bob@example.net", "auto"),
        ("big-data@example.org", "carol@example.net", "never"),
    ];
    for (from, rcpt, chunking) in runs {
        let body = five_megabytes(from);
        let file = postfix.file("big.eml", &body);
        let (code, out, err) = send(&[
            "--server",
            &postfix.smtpd,
            "--helo",
            HELO,
            "--from",
            from,
            "--to",
            rcpt,
            "--body",
            &file,
            "--chunking",
            chunking,
        ]);
        assert_eq!(code, 0, "{from}: {out}\n{err}");
        let id = queue_id(delivered(&out));
        let (_, session) = finished(&postfix, from, |log| {
            log.contains(&format!("{id}: removed"))
        });
        assert_eq!(out, expected_report(&session, &[rcpt]), "{from}");
        let bdat = session
            .commands()
            .iter()
            .filter(|c| c.starts_with("BDAT "))
            .count();
        if chunking == "auto" {
            // In several chunks, the last `BDAT n LAST`; Postfix counted
            // every octet.
            assert!(bdat > 1, "{bdat} BDAT command(s)");
            assert!(
                session
                    .commands()
                    .iter()
                    .rev()
                    .nth(1)
                    .unwrap()
                    .ends_with(" LAST"),
                "{:?}",
                session.commands()
            );
            assert_eq!(
                delivered(&out),
                format!("250 2.0.0 Ok: {} bytes queued as {id}", body.len())
            );
            assert_eq!(
                session.summary.as_deref(),
                Some(summary(false, 1, 1, 0, bdat).as_str())
            );
        } else {
            assert_eq!(bdat, 0);
            assert_eq!(
                session.summary.as_deref(),
                Some(summary(false, 1, 1, 1, 0).as_str())
            );
        }
        let got = crate::support::wait_files(&postfix.maildir(rcpt), 1);
        check_delivered(&got[0], from, rcpt, "ESMTP", &id, true, &body);
    }
    postfix.stop();
}

/// A `sink` storing into `maildir` with `extra` flags: the process and
/// its address.
fn sink(maildir: &str, extra: &[&str]) -> (Proc, String) {
    let args = [
        &["--listen", "127.0.0.1:0", "--maildir", maildir][..],
        extra,
    ]
    .concat();
    Proc::example_server("sink", &args)
}

/// A file `sink` stored for a message Postfix relayed: its `Return-Path:`
/// line, the `Received:` field smtpd added when `send` submitted the
/// message, then the message exactly as submitted (CRLF).
fn check_relayed(file: &[u8], from: &str, protocol: &str, queue_id: &str, sent: &[u8]) {
    let (fields, rest) = take_fields(file, "\r\n", &["Return-Path", "Received"]);
    assert_eq!(fields[0], format!("<{from}>"));
    check_received(&fields[1], HELO, protocol, queue_id, None);
    assert!(
        rest == sent,
        "stored:\n{}\nsent:\n{}",
        String::from_utf8_lossy(rest),
        String::from_utf8_lossy(sent)
    );
}

/// Submits `body` to Postfix's smtpd with `send` (plain, one session):
/// the queue ID.
fn submit(postfix: &Postfix, from: &str, rcpts: &[&str], body: &[u8], name: &str) -> String {
    let file = postfix.file(name, body);
    let mut args = vec![
        "--server",
        &postfix.smtpd,
        "--helo",
        HELO,
        "--from",
        from,
        "--body",
        &file,
    ];
    for rcpt in rcpts {
        args.extend(["--to", rcpt]);
    }
    let (code, out, err) = send(&args);
    assert_eq!(code, 0, "{out}\n{err}\n{}", postfix.log());
    queue_id(delivered(&out))
}

/// The `sink` log's session lines: how many messages each took.
fn sink_sessions(log: &str) -> Vec<(bool, u32)> {
    log.lines()
        .filter(|l| l.starts_with("session "))
        .map(|l| {
            assert!(l.ends_with(" ok"), "{l}");
            let tls = l.contains(" tls=yes ");
            let n = l
                .split(" messages=")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{l}"));
            (tls, n)
        })
        .collect()
}

/// The MAIL commands in a client's lines, each as (path, its parameters
/// but SIZE).
fn mails(lines: &[(String, char, String)]) -> BTreeSet<(String, BTreeSet<String>)> {
    lines
        .iter()
        .filter(|(_, d, l)| *d == '>' && l.starts_with("MAIL FROM:"))
        .map(|(_, _, l)| {
            let path = l.split(' ').nth(1).unwrap().to_string();
            let params = arguments(l)
                .into_iter()
                .filter(|p| !p.starts_with("SIZE="))
                .collect();
            (path, params)
        })
        .collect()
}

/// How many of the lines Postfix's client sent are exactly `command`.
fn sent(lines: &[(String, char, String)], command: &str) -> usize {
    lines
        .iter()
        .filter(|(_, d, l)| *d == '>' && l == command)
        .count()
}

/// Each of the client's processes wrote its commands up to DATA in one
/// go, before reading the replies (RFC 2920 pipelining): after every MAIL
/// come its RCPTs and DATA, then the replies.
fn check_pipelined(lines: &[(String, char, String)]) {
    let mut pids: Vec<&str> = lines.iter().map(|(p, _, _)| p.as_str()).collect();
    pids.sort();
    pids.dedup();
    for pid in pids {
        let own: Vec<&(String, char, String)> = lines.iter().filter(|(p, _, _)| p == pid).collect();
        for (i, (_, _, l)) in own.iter().enumerate() {
            if !l.starts_with("MAIL FROM:") {
                continue;
            }
            let group: Vec<&str> = own[i..]
                .iter()
                .take_while(|(_, d, _)| *d == '>')
                .map(|(_, _, l)| l.as_str())
                .collect();
            assert!(
                group.len() >= 3
                    && group[1..group.len() - 1]
                        .iter()
                        .all(|c| c.starts_with("RCPT TO:"))
                    && group[group.len() - 1] == "DATA",
                "not pipelined: {group:?}"
            );
        }
    }
}

#[test]
fn postfix_smtp_to_sink_plain_and_starttls_with_and_without_chunking() {
    const TEST: &str = "postfix_smtp_to_sink_plain_and_starttls_with_and_without_chunking";
    if !peers::postfix(TEST) {
        return;
    }
    let mut postfix = Postfix::new("relay");
    let (cert, key) = crate::support::certificate();
    let cert = postfix.file("cert.pem", cert.as_bytes());
    let key = postfix.file("key.pem", key.as_bytes());
    // Another certificate: a CA Postfix must not accept the sink's by.
    let other = postfix.file("other.pem", crate::support::certificate().0.as_bytes());
    // (domain, TLS, CHUNKING offered)
    let kinds = [
        ("plain.example", false, true),
        ("nochunk.example", false, false),
        ("tls.example", true, true),
        ("tlsnochunk.example", true, false),
    ];
    let mut sinks = Vec::new();
    for (domain, tls, chunking) in kinds {
        let maildir = postfix.path(&format!("sink-{domain}"));
        let mut extra = Vec::new();
        if tls {
            extra.extend(["--tls-cert", &cert, "--tls-key", &key]);
        }
        if !chunking {
            extra.push("--no-chunking");
        }
        let (proc, addr) = sink(&maildir, &extra);
        sinks.push((domain, tls, chunking, proc, addr, maildir));
    }
    // A TLS sink for a client that trusts another CA.
    let untrusted_maildir = postfix.path("sink-untrusted");
    let (untrusted_sink, untrusted_addr) = sink(
        &untrusted_maildir,
        &["--tls-cert", &cert, "--tls-key", &key],
    );
    let untrusted_port = untrusted_addr.rsplit_once(':').unwrap().1.to_string();
    let port = |i: usize| sinks[i].4.rsplit_once(':').unwrap().1.to_string();
    // plain.example goes to the relayhost; the others by the transport
    // map. `secure`: TLS required and the certificate verified against
    // the test's CA, its name matching `localhost` (a DNS name the
    // certificate carries).
    let routes = postfix.file(
        "transport",
        format!(
            "nochunk.example smtp:[127.0.0.1]:{}\n\
             tls.example smtptls:[127.0.0.1]:{}\n\
             tlsnochunk.example smtptls:[127.0.0.1]:{}\n\
             wrongca.example smtpwrongca:[127.0.0.1]:{}\n",
            port(1),
            port(2),
            port(3),
            untrusted_port
        )
        .as_bytes(),
    );
    let tls_client = |name: &str, ca: &str| {
        format!(
            "{name} unix - - n - - smtp -o debug_peer_list=127.0.0.1 -o smtp_tls_loglevel=1 \
             -o smtp_tls_security_level=secure -o smtp_tls_secure_cert_match=localhost \
             -o smtp_tls_CAfile={ca}"
        )
    };
    postfix.start(
        &[],
        &[
            format!("relayhost = [127.0.0.1]:{}", port(0)),
            format!("transport_maps = texthash:{routes}"),
            "smtp_tls_security_level = none".into(),
        ],
        &[
            tls_client("smtptls", &cert),
            tls_client("smtpwrongca", &other),
        ],
    );

    // An 8-bit message (BODY=8BITMIME) and an SMTPUTF8 one, each to a
    // recipient at every sink; one more to a TLS sink by way of a client
    // that trusts another CA.
    let eight_bit_from = "alice@example.org";
    let eight_bit_to: Vec<String> = kinds.iter().map(|k| format!("bob@{}", k.0)).collect();
    let eight_bit = message(eight_bit_from, "bob@plain.example", "relay-8bit");
    let utf8_from = "j\u{f6}rg@b\u{fc}cher.example";
    let utf8_to: Vec<String> = kinds.iter().map(|k| format!("zo\u{eb}@{}", k.0)).collect();
    let utf8 = message(
        &format!("J\u{f6}rg <{utf8_from}>"),
        "zo\u{eb}@plain.example",
        "relay-utf8",
    );
    let eight_bit_id = submit(
        &postfix,
        eight_bit_from,
        &strs(&eight_bit_to),
        &eight_bit,
        "8bit.eml",
    );
    let utf8_id = submit(&postfix, utf8_from, &strs(&utf8_to), &utf8, "utf8.eml");
    let refused_id = submit(
        &postfix,
        "untrusted@example.org",
        &["bob@wrongca.example"],
        &message(
            "untrusted@example.org",
            "bob@wrongca.example",
            "relay-untrusted",
        ),
        "untrusted.eml",
    );

    for (_, _, _, _, _, maildir) in &sinks {
        crate::support::wait_files(&Path::new(maildir).join("new"), 2);
    }
    let log = postfix.wait_log("the deliveries", |log| {
        log.contains(&format!("{eight_bit_id}: removed"))
            && log.contains(&format!("{utf8_id}: removed"))
            && log.contains(&format!("{refused_id}: to=<bob@wrongca.example>"))
    });

    // The client that does not trust the sink's certificate did not
    // deliver: deferred, nothing stored.
    let untrusted = format!(
        "{refused_id}: to=<bob@wrongca.example>, relay=127.0.0.1[127.0.0.1]:{untrusted_port}, "
    );
    let line = line_with(&log, &untrusted);
    assert!(
        line.ends_with("status=deferred (Server certificate not verified)"),
        "{line}"
    );

    for (i, (domain, tls, chunking, _, _, maildir)) in sinks.iter().enumerate() {
        let stored = crate::support::files(&Path::new(maildir).join("new"));
        assert_eq!(stored.len(), 2, "{domain}");
        for file in &stored {
            if file.starts_with(format!("Return-Path: <{eight_bit_from}>").as_bytes()) {
                check_relayed(file, eight_bit_from, "ESMTP", &eight_bit_id, &eight_bit);
            } else {
                check_relayed(file, utf8_from, "UTF8SMTP", &utf8_id, &utf8);
            }
        }
        let peer = format!("127.0.0.1[127.0.0.1]:{}", port(i));
        let lines = client_lines(&log, "smtp", &peer);
        // What the sink offered, as Postfix read it.
        let offered = lines
            .iter()
            .any(|(_, d, l)| *d == '<' && (l == "250-CHUNKING" || l == "250 CHUNKING"));
        assert_eq!(offered, *chunking, "{domain}: {lines:?}");
        // Postfix's SMTP client implements no CHUNKING (only its server
        // does): it sends DATA whether the sink offers CHUNKING or not,
        // never BDAT.
        assert!(
            !lines
                .iter()
                .any(|(_, d, l)| *d == '>' && l.starts_with("BDAT")),
            "{domain}: {lines:?}"
        );
        assert_eq!(sent(&lines, "DATA"), 2, "{domain}: {lines:?}");
        assert_eq!(sent(&lines, "."), 2, "{domain}: {lines:?}");
        check_pipelined(&lines);
        // BODY=8BITMIME for the 8-bit message; SMTPUTF8 for the one with
        // UTF-8 addresses (RFC 6531 §3.4).
        assert_eq!(
            mails(&lines),
            BTreeSet::from([
                (format!("FROM:<{eight_bit_from}>"), set(&["BODY=8BITMIME"])),
                (
                    format!("FROM:<{utf8_from}>"),
                    set(&["BODY=8BITMIME", "SMTPUTF8"])
                ),
            ]),
            "{domain}"
        );
        // Under STARTTLS, after a verified handshake.
        let starttls = sent(&lines, "STARTTLS");
        let ehlo = sent(&lines, &format!("EHLO {HOSTNAME}"));
        if *tls {
            assert!(starttls > 0 && ehlo == 2 * starttls, "{domain}: {lines:?}");
            assert!(
                log.contains(&format!(
                    "Verified TLS connection established to {peer}: TLSv1."
                )),
                "{domain}: {log}"
            );
        } else {
            assert_eq!(starttls, 0, "{domain}");
        }
        for (id, rcpt) in [
            (&eight_bit_id, format!("bob@{domain}")),
            (&utf8_id, format!("zo\u{eb}@{domain}")),
        ] {
            let line = line_with(&log, &format!("{id}: to=<{rcpt}>, relay={peer}, "));
            assert!(line.contains(" status=sent (250 "), "{line}");
        }
    }
    postfix.stop();
    assert!(crate::support::files(&Path::new(&untrusted_maildir).join("new")).is_empty());
    // Postfix gave up on the certificate before any mail (closing the
    // connection with or without a QUIT: the sink's session ends "ok" or
    // with a reset, run by run).
    let log = stop(untrusted_sink);
    assert!(
        log.contains("sink: stopped after 1 session(s), 0 message(s) accepted"),
        "{log}"
    );
    for (domain, tls, _, proc, _, _) in sinks {
        let log = stop(proc);
        let sessions = sink_sessions(&log);
        assert_eq!(
            sessions.iter().map(|s| s.1).sum::<u32>(),
            2,
            "{domain}: {log}"
        );
        assert!(sessions.iter().all(|s| s.0 == tls), "{domain}: {log}");
    }
}

#[test]
fn postfix_smtp_to_sink_50_messages_3_recipients() {
    const TEST: &str = "postfix_smtp_to_sink_50_messages_3_recipients";
    if !peers::postfix(TEST) {
        return;
    }
    let mut postfix = Postfix::new("fifty");
    let maildir = postfix.path("sink");
    let (sink, addr) = sink(&maildir, &[]);
    let from = "many@example.org";
    let hold = postfix.file("sender-access", format!("{from} HOLD\n").as_bytes());
    postfix.start(
        &[],
        &[
            format!(
                "relayhost = [127.0.0.1]:{}",
                addr.rsplit_once(':').unwrap().1
            ),
            format!(
                "smtpd_recipient_restrictions = check_sender_access texthash:{hold}, \
                 permit_mynetworks, reject_unauth_destination"
            ),
        ],
        &[],
    );
    // The 50 messages are held as they arrive, then released together and
    // the queue flushed: Postfix then has a backlog for the sink, as a
    // busy relay would.
    let rcpts = ["a@many.example", "b@many.example", "c@many.example"];
    let mut sent_messages = Vec::new();
    for n in 0..50 {
        let body = message(from, "a@many.example", &format!("many-{n:02}"));
        let id = submit(&postfix, from, &rcpts, &body, "many.eml");
        sent_messages.push((id, body));
    }
    postfix.command(POSTSUPER, &["-H", "ALL"]);
    postfix.flush();
    let stored = crate::support::wait_files(&Path::new(&maildir).join("new"), 50);
    let log = postfix.wait_log("the deliveries", |log| {
        sent_messages
            .iter()
            .all(|(id, _)| log.contains(&format!("{id}: removed")))
    });
    // Each message once (its three recipients in one transaction), as
    // submitted; which one a file is shows in its Received: field.
    assert_eq!(stored.len(), 50);
    let mut seen = BTreeSet::new();
    for file in &stored {
        let (fields, _) = take_fields(file, "\r\n", &["Return-Path", "Received"]);
        let id = fields[1]
            .split(" id ")
            .nth(1)
            .and_then(|r| r.split([';', ' ']).next())
            .expect("a queue ID")
            .to_string();
        let (_, body) = sent_messages
            .iter()
            .find(|(i, _)| *i == id)
            .unwrap_or_else(|| panic!("no message {id}"));
        check_relayed(file, from, "ESMTP", &id, body);
        assert!(seen.insert(id.clone()), "{id} stored twice");
    }
    let peer = format!("127.0.0.1[127.0.0.1]:{}", addr.rsplit_once(':').unwrap().1);
    let lines = client_lines(&log, "smtp", &peer);
    assert_eq!(
        lines
            .iter()
            .filter(|(_, d, l)| *d == '>' && l.starts_with("MAIL FROM:"))
            .count(),
        50
    );
    for rcpt in rcpts {
        assert_eq!(sent(&lines, &format!("RCPT TO:<{rcpt}>")), 50, "{rcpt}");
    }
    assert_eq!(sent(&lines, "DATA"), 50);
    assert!(
        !lines
            .iter()
            .any(|(_, d, l)| *d == '>' && l.starts_with("BDAT"))
    );
    check_pipelined(&lines);
    postfix.stop();
    // With a backlog Postfix keeps connections open for the next message
    // (smtp_connection_cache_on_demand): fewer sessions than messages, some
    // with several messages. (How many varies from run to run: 14 to 25
    // in ten runs here.)
    let log = stop(sink);
    let sessions = sink_sessions(&log);
    assert_eq!(sessions.iter().map(|s| s.1).sum::<u32>(), 50, "{log}");
    assert!(sessions.len() < 50, "{log}");
    assert!(sessions.iter().any(|s| s.1 > 1), "{log}");
    eprintln!(
        "{TEST}: 50 messages in {} sessions: {:?}",
        sessions.len(),
        sessions.iter().map(|s| s.1).collect::<Vec<_>>()
    );
}

#[test]
fn postfix_lmtp_to_sink_lmtp() {
    const TEST: &str = "postfix_lmtp_to_sink_lmtp";
    if !peers::postfix(TEST) {
        return;
    }
    let mut postfix = Postfix::new("lmtp");
    let maildir = postfix.path("sink");
    // At most two recipients per message: the third is refused at RCPT
    // (452), which Postfix must take as "try this one later".
    let (sink, addr) = sink(&maildir, &["--lmtp", "--max-recipients", "2"]);
    let port = addr.rsplit_once(':').unwrap().1.to_string();
    postfix.start(
        &[],
        &[format!("default_transport = lmtp:inet:127.0.0.1:{port}")],
        &[],
    );
    let from = "alice@example.org";
    let rcpts = [
        "dave@lmtp.example",
        "erin@lmtp.example",
        "frank@lmtp.example",
    ];
    let body = message(from, "dave@lmtp.example", "lmtp");
    let id = submit(&postfix, from, &rcpts, &body, "lmtp.eml");
    let stored = crate::support::wait_files(&Path::new(&maildir).join("new"), 2);
    let peer = format!("127.0.0.1[127.0.0.1]:{port}");
    let log = postfix.wait_log("the deliveries", |log| {
        rcpts
            .iter()
            .all(|r| log.contains(&format!("{id}: to=<{r}>, relay={peer}, ")))
    });
    // One file per recipient the sink accepted (LMTP), each as submitted.
    assert_eq!(stored.len(), 2);
    for file in &stored {
        check_relayed(file, from, "ESMTP", &id, &body);
    }
    // One reply per accepted recipient after the data (RFC 2033 §4.2):
    // Postfix took each as that recipient's delivery; the third recipient
    // it deferred on the sink's 452.
    for rcpt in &rcpts[..2] {
        let line = line_with(&log, &format!("{id}: to=<{rcpt}>, relay={peer}, "));
        assert!(
            line.contains(" dsn=2.0.0, status=sent (250 2.0.0 "),
            "{line}"
        );
    }
    let line = line_with(&log, &format!("{id}: to=<{}>, relay={peer}, ", rcpts[2]));
    assert!(
        line.contains(" dsn=4.5.3, status=deferred (host 127.0.0.1[127.0.0.1] said: 452 4.5.3 ")
            && line.ends_with(" (in reply to RCPT TO command))"),
        "{line}"
    );
    let lines = client_lines(&log, "lmtp", &peer);
    // Postfix's SIZE is its queued message's (Received: included): left
    // out of the comparison.
    let commands: Vec<String> = lines
        .iter()
        .filter(|(_, d, _)| *d == '>')
        .map(|(_, _, l)| {
            l.split(' ')
                .filter(|w| !w.starts_with("SIZE="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        commands,
        [
            format!("LHLO {HOSTNAME}"),
            format!("MAIL FROM:<{from}> BODY=8BITMIME"),
            "RCPT TO:<dave@lmtp.example>".into(),
            "RCPT TO:<erin@lmtp.example>".into(),
            "RCPT TO:<frank@lmtp.example>".into(),
            "DATA".into(),
            ".".into(),
            "QUIT".into(),
        ]
    );
    // The sink offers CHUNKING under LMTP too; Postfix's client sent DATA.
    assert!(
        lines
            .iter()
            .any(|(_, d, l)| *d == '<' && l == "250-CHUNKING"),
        "{lines:?}"
    );
    postfix.stop();
    let log = stop(sink);
    let sessions = sink_sessions(&log);
    assert_eq!(sessions.len(), 1, "{log}");
    // The sink counts a delivery per accepted recipient.
    assert_eq!(sessions[0].1, 2, "{log}");
}
