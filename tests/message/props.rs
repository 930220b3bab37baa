//! Property tests: arbitrary Unicode names, subjects, fields, texts and
//! HTML, arbitrary binary attachments with arbitrary file names, written
//! through output buffers of every size from one byte up. The bytes are
//! the same at every size; `mail-parser` reads back exactly what the
//! message was made of (Python's `email` reads a batch of the same
//! messages in parse_back.rs); every line ends in CRLF, no line passes 998
//! octets, and no header line passes 78 columns (every word here is short
//! enough to fold); the top-level fields are exactly those asked for.

use proptest::prelude::*;

use crate::support::mail::{Spec, assert_parsed, mail_parser};

/// A display name or an unstructured value: any characters but the ASCII
/// controls (which the writer refuses: refusals.rs).
fn phrase(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[^\x00-\x1f\x7f]{{0,{max}}}")).unwrap()
}

fn mailbox() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_+=-]{0,9}(\\.[a-z0-9]{1,5})?@[a-z]{1,8}\\.(org|net|example)"
}

fn address() -> impl Strategy<Value = (Option<String>, String)> {
    (proptest::option::of(phrase(40)), mailbox())
}

/// Any text: any characters, line breaks of every kind, NULs included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,300}",
        "([a-zA-Z .=]{0,90}(\r\n|\n|\r)){0,8}",
        "[ -~]{0,1200}",
    ]
}

fn attachment() -> impl Strategy<Value = (String, String, Vec<u8>)> {
    (
        proptest::string::string_regex("[^\x00-\x1f\x7f]{1,90}").unwrap(),
        prop_oneof![
            Just("application/octet-stream".to_string()),
            Just("image/jpeg".to_string()),
            Just("application/x-sensor.log+bin".to_string()),
        ],
        proptest::collection::vec(any::<u8>(), 0..600),
    )
}

pub fn spec() -> impl Strategy<Value = Spec> {
    let headers = proptest::collection::vec(("X-[A-Za-z0-9-]{1,20}", phrase(100)), 0..3);
    (
        (
            address(),
            proptest::collection::vec(address(), 0..4),
            proptest::collection::vec(address(), 0..3),
            proptest::option::of(phrase(160)),
            (-2_208_900_000i64..253_402_200_000, -1439i16..=1439),
            any::<[u8; 16]>(),
        ),
        (
            headers,
            text(),
            proptest::option::of(text()),
            proptest::collection::vec(attachment(), 0..3),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (from, to, cc, subject, date, entropy),
                (headers, text, html, attachments, allow_8bit),
            )| Spec {
                from,
                to,
                cc,
                subject,
                date,
                entropy,
                domain: "example.org".into(),
                headers,
                text,
                html,
                attachments,
                allow_8bit,
                utf8: false,
            },
        )
}

/// The lines of the header blocks (the message's and each part's).
fn header_lines(raw: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut in_headers = true;
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            in_headers = false;
        } else if line.starts_with(b"--=_") {
            in_headers = !line.ends_with(b"--");
        } else if in_headers {
            lines.push(line);
        }
    }
    lines
}

/// The names of the message's own fields, in order.
fn top_field_names(raw: &[u8]) -> Vec<String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    String::from_utf8_lossy(&raw[..end])
        .split("\r\n")
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

fn expected_names(spec: &Spec) -> Vec<String> {
    let mut v = vec!["Date".to_string(), "From".to_string()];
    if !spec.to.is_empty() {
        v.push("To".into());
    }
    if !spec.cc.is_empty() {
        v.push("Cc".into());
    }
    if spec.subject.is_some() {
        v.push("Subject".into());
    }
    v.push("Message-ID".into());
    v.extend(spec.headers.iter().map(|h| h.0.clone()));
    v.push("MIME-Version".into());
    v.push("Content-Type".into());
    if spec.html.is_none() && spec.attachments.is_empty() {
        v.push("Content-Transfer-Encoding".into());
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_message_parses_back_the_same_at_any_buffer_size(spec in spec(), size in 1usize..=200) {
        let raw = spec.write(1 << 16);
        prop_assert!(spec.write(size) == raw, "differs through a {size}-byte buffer");

        // Canonical CRLF, lines of at most 998 octets, header lines of at most 78.
        for (i, &b) in raw.iter().enumerate() {
            if b == b'\n' {
                prop_assert!(i > 0 && raw[i - 1] == b'\r', "bare LF at {i}");
            }
            if b == b'\r' {
                prop_assert!(raw.get(i + 1) == Some(&b'\n'), "bare CR at {i}");
            }
        }
        for line in raw.split(|&b| b == b'\n') {
            prop_assert!(line.len() <= 999, "a line of {} octets", line.len());
        }
        for line in header_lines(&raw) {
            prop_assert!(line.len() <= 78, "header line of {}: {}", line.len(), String::from_utf8_lossy(line));
        }
        prop_assert_eq!(top_field_names(&raw), expected_names(&spec));

        assert_parsed("mail-parser", &mail_parser(&raw), &spec.expected(), &raw);
    }
}

/// Every output-buffer size from 1 to 300 bytes, for one message with
/// every kind of part.
#[test]
fn every_buffer_size_from_one_byte_gives_the_same_bytes() {
    let spec = super::parse_back::full();
    let whole = spec.write(1 << 16);
    for size in 1..=300 {
        assert!(spec.write(size) == whole, "differs at {size} bytes");
    }
}
