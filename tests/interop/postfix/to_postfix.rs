//! Our `send` → a private Postfix's smtpd → `virtual` delivery.

use std::collections::BTreeSet;

use crate::support::peers::{self, POSTCAT, lf_lines};
use crate::support::postfix::*;

use super::*;

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
        let mut extra = vec!["--chunking", chunking];
        if tls {
            extra.extend(["--starttls", "--ca", &cert]);
        }
        let (code, out, err) = send_to(&postfix, from, &[rcpt], &file, &extra);
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
    let (code, out, err) = send_to(&postfix, from, &rcpts, &file, &[]);
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
    let (code, out, err) = send_to(&postfix, from, &[rcpt], &file, &[]);
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
    let dsn = [
        "--notify",
        "DELAY,FAILURE",
        "--ret",
        "full",
        "--envid",
        envid,
    ];
    let (code, out, err) = send_to(&postfix, from, &rcpts, &file, &dsn);
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
    let dsn = [
        "--notify", "SUCCESS", "--ret", "hdrs", "--envid", "QQ314159",
    ];
    let (code, out, err) = send_to(&postfix, from, &[rcpt], &file, &dsn);
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
        let option = ["--chunking", chunking];
        let (code, out, err) = send_to(&postfix, from, &[rcpt], &file, &option);
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
