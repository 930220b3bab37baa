//! A private Exim's `smtp` transport (manualroute) → our `sink`.

use std::path::Path;

use crate::support::exim::Exim;
use crate::support::peers::{self};
use crate::support::{Proc, TempDir, stop};

use super::*;

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
    // Each TLS session ended with the sink's close_notify after its 221
    // (RFC 8446 §6.1): GnuTLS in Exim logs "TLS connection was
    // non-properly terminated" when the connection ends without one.
    let main = exim.mainlog();
    assert!(!main.contains("non-properly terminated"), "{main}");

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
