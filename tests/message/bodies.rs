//! Bodies: the transfer encoding of a text (RFC 2045 §6: 7bit, 8bit with
//! the caller's leave, quoted-printable §6.7), the MIME structure (RFC 2046
//! §5.1), base64 attachments at 76 columns (§6.8) with their file names
//! (RFC 2183, RFC 2231), and a failing attachment source.

use embedded_smtp::message::{
    Address, Attachment, Date, Encoding, FromFn, Message, MessageId, MessageWriter, SourceError,
};

use crate::support::mail::Spec;

fn text(text: &str, allow_8bit: bool) -> (Encoding, String) {
    let spec = Spec {
        text: text.into(),
        allow_8bit,
        ..Spec::default()
    };
    let enc = spec.with_message(|m| MessageWriter::new(m).unwrap().text_encoding());
    let raw = String::from_utf8(spec.write(4096)).unwrap();
    let body = raw[raw.find("\r\n\r\n").unwrap() + 4..].to_string();
    (enc, body)
}

#[test]
fn ascii_text_goes_7bit_with_crlf_line_breaks() {
    let (enc, body) = text("one\ntwo\r\nthree\rfour", false);
    assert_eq!(enc, Encoding::SevenBit);
    // The message's last line ends with CRLF.
    assert_eq!(body, "one\r\ntwo\r\nthree\r\nfour\r\n");
    let (_, body) = text("ends\n", false);
    assert_eq!(body, "ends\r\n");
    let (_, body) = text("", false);
    assert_eq!(body, "");
}

#[test]
fn non_ascii_text_goes_quoted_printable_unless_8bit_is_allowed() {
    let (enc, body) = text("Température: 41 °C\n", false);
    assert_eq!(enc, Encoding::QuotedPrintable);
    assert_eq!(body, "Temp=C3=A9rature: 41 =C2=B0C\r\n");
    let (enc, body) = text("Température: 41 °C\n", true);
    assert_eq!(enc, Encoding::EightBit);
    assert_eq!(body, "Température: 41 °C\r\n");
    let spec = Spec {
        text: "é".into(),
        allow_8bit: true,
        ..Spec::default()
    };
    assert!(spec.with_message(|m| MessageWriter::new(m).unwrap().needs_8bitmime()));
}

#[test]
fn quoted_printable_rules() {
    // A line over 998 octets, a NUL: not 7bit even though ASCII.
    let long = "x".repeat(999);
    let (enc, body) = text(&long, false);
    assert_eq!(enc, Encoding::QuotedPrintable);
    for line in body.split("\r\n") {
        assert!(line.len() <= 76, "{line}");
    }
    assert_eq!(body.replace("=\r\n", ""), format!("{long}\r\n"));
    let (enc, body) = text("a\0b", true);
    assert_eq!(enc, Encoding::QuotedPrintable);
    assert_eq!(body, "a=00b\r\n");
    // `=` is encoded; white space before a line break or at the end is too.
    let (_, body) = text("a=b \nc\t\nd é ", false);
    assert_eq!(body, "a=3Db=20\r\nc=09\r\nd =C3=A9=20\r\n");
    // A soft break never splits an `=XX`, and never leaves white space last.
    let (_, body) = text(&format!("{} é{}", "y".repeat(72), "z".repeat(10)), false);
    assert_eq!(
        body,
        format!("{} =\r\n=C3=A9{}\r\n", "y".repeat(72), "z".repeat(10))
    );
}

#[test]
fn text_holding_the_boundary_goes_quoted_printable() {
    let spec = Spec {
        text: "--=_5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5am--\n".into(),
        html: Some("<p>x</p>".into()),
        ..Spec::default()
    };
    let enc = spec.with_message(|m| MessageWriter::new(m).unwrap().text_encoding());
    assert_eq!(enc, Encoding::QuotedPrintable);
    let raw = String::from_utf8(spec.write(4096)).unwrap();
    assert!(raw.contains("\r\n--=3D_5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5am--\r\n"));
}

#[test]
fn multipart_structure_and_base64_lines() {
    let data: Vec<u8> = (0..=255u8).cycle().take(200).collect();
    let spec = Spec {
        text: "see attached".into(),
        html: Some("<p>see attached</p>".into()),
        attachments: vec![(
            "a.bin".into(),
            "application/octet-stream".into(),
            data.clone(),
        )],
        ..Spec::default()
    };
    let raw = String::from_utf8(spec.write(4096)).unwrap();
    let m = "=_5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5am";
    let a = "=_5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5aa";
    let body = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&data)
    };
    let expected = format!(
        "--{m}\r\n\
         Content-Type: multipart/alternative;\r\n boundary=\"{a}\"\r\n\r\n\
         --{a}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n\
         see attached\r\n\
         --{a}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n\
         <p>see attached</p>\r\n\
         --{a}--\r\n\
         --{m}\r\n\
         Content-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n\
         {}\r\n{}\r\n{}\r\n{}\r\n\
         --{m}--\r\n",
        &b64[..76],
        &b64[76..152],
        &b64[152..228],
        &b64[228..]
    );
    assert_eq!(body, expected);
}

fn disposition(name: &str) -> String {
    let spec = Spec {
        attachments: vec![(name.into(), "text/csv".into(), Vec::new())],
        ..Spec::default()
    };
    let raw = String::from_utf8(spec.write(4096)).unwrap();
    let start = raw.find("Content-Disposition:").unwrap();
    raw[start..start + raw[start..].find("\r\n\r\n").unwrap()].to_string()
}

#[test]
fn file_names_quoted_or_by_rfc_2231() {
    assert_eq!(
        disposition("log \"1\".csv"),
        "Content-Disposition: attachment; filename=\"log \\\"1\\\".csv\""
    );
    assert_eq!(
        disposition("température.csv"),
        "Content-Disposition: attachment; filename*=utf-8''temp%C3%A9rature.csv"
    );
    let long = format!("{}é.csv", "relevé ".repeat(8));
    // Sections of at most 78 columns, cut between characters, never
    // inside a `%XX` (RFC 2231 §3, §4).
    let d = disposition(&long);
    assert_eq!(
        d,
        "Content-Disposition: attachment;\r\n \
         filename*0*=utf-8''relev%C3%A9%20relev%C3%A9%20relev%C3%A9%20relev;\r\n \
         filename*1*=%C3%A9%20relev%C3%A9%20relev%C3%A9%20relev%C3%A9%20relev;\r\n \
         filename*2*=%C3%A9%20%C3%A9.csv"
    );
    assert!(d.split("\r\n").all(|l| l.len() <= 78));
}

#[test]
fn a_failing_source_stops_the_writer_for_good() {
    let mut calls = 0;
    let mut broken = FromFn(|buf: &mut [u8]| {
        calls += 1;
        if calls > 2 {
            return Err(SourceError);
        }
        buf[..10].fill(b'a');
        Ok(10)
    });
    let mut files = [Attachment::new(
        "a.bin",
        "application/octet-stream",
        &mut broken,
    )];
    let to = [Address::new("b@example.net")];
    let m = Message::new(
        Address::new("a@example.org"),
        Date::new(0, 0).unwrap(),
        MessageId::new([1; 16], "example.org"),
    )
    .to(&to)
    .attachments(&mut files);
    let mut w = MessageWriter::new(m).unwrap();
    let mut out = vec![0u8; 1 << 16];
    assert_eq!(w.write(&mut out), Err(SourceError));
    assert_eq!(w.write(&mut out), Err(SourceError));
    assert!(!w.is_done());
}
