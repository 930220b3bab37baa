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

use crate::support::Proc;

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

mod from_exim;
mod to_exim;
