//! A private Postfix's smtp and lmtp clients → our `sink`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::peers::{self, POSTSUPER};
use crate::support::postfix::*;
use crate::support::{Proc, stop};

use super::*;

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
    let (code, out, err) = send_to(postfix, from, rcpts, &file, &[]);
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
