//! What the writer writes, read back by two independent parsers: Python's
//! `email` package (`email.policy.default`) and the `mail-parser` crate.
//! Both must give the headers, decoded subject and names, text, HTML and
//! attachment bytes the message was made of, and Python no defect.

use crate::support::TempDir;
use crate::support::mail::{Spec, assert_parsed, mail_parser, python, python_parse};

/// A message with everything: non-ASCII names and subject, a subject long
/// enough to fold, Cc, the caller's own fields, non-ASCII text, an HTML
/// alternative, a CSV, a binary attachment and one with a long non-ASCII
/// file name.
pub fn full() -> Spec {
    let binary: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    Spec {
        from: (
            Some("Capteur n°7".into()),
            "sensor7@plant.example.org".into(),
        ),
        to: vec![
            (Some("Opérations".into()), "ops@example.net".into()),
            (Some("John Q. Public".into()), "john@example.net".into()),
            (None, "pager@example.net".into()),
        ],
        cc: vec![(
            Some("Zoë \"the boss\" Ünal".into()),
            "boss@example.net".into(),
        )],
        subject: Some(
            "Alarme : température du four n°3 au-dessus de 40 °C depuis 10 minutes, \
             arrêt automatique déclenché — 温度警報"
                .into(),
        ),
        date: (1_796_368_884, -300),
        headers: vec![
            ("X-Sensor".into(), "oven-3".into()),
            ("X-Priority".into(), "1 (Highest)".into()),
            ("X-Note".into(), "naïve café".into()),
        ],
        text: "Température : 41,2 °C\r\nSeuil : 40 °C\n.\nFrom the oven\n".into(),
        html: Some("<p>Température : <b>41,2 °C</b></p>\n".into()),
        attachments: vec![
            (
                "log.csv".into(),
                "text/csv".into(),
                b"t,temp\r\n0,21.5\r\n60,41.2\r\n".to_vec(),
            ),
            (
                "snapshot.bin".into(),
                "application/octet-stream".into(),
                binary,
            ),
            (
                "relevé des températures du four numéro trois, décembre 2026 — 温度.csv".into(),
                "text/csv".into(),
                "été,hiver\r\n".as_bytes().to_vec(),
            ),
        ],
        ..Spec::default()
    }
}

#[test]
fn a_full_message_is_the_same_at_any_buffer_size() {
    let spec = full();
    let whole = spec.write(1 << 16);
    for size in [1, 2, 3, 7, 64, 77, 1024] {
        assert!(spec.write(size) == whole, "differs at {size} bytes");
    }
}

#[test]
fn a_full_message_parses_back_in_mail_parser() {
    let spec = full();
    let raw = spec.write(1024);
    assert_parsed("mail-parser", &mail_parser(&raw), &spec.expected(), &raw);
}

#[test]
fn a_full_message_parses_back_in_python() {
    if !python("a_full_message_parses_back_in_python") {
        return;
    }
    let spec = full();
    let dir = TempDir::new("message");
    let raw = spec.write(1024);
    let file = dir.file("full.eml", &raw);
    assert_parsed("python", &python_parse(&[file])[0], &spec.expected(), &raw);
}
