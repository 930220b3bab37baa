//! The message writer's check (target `message`): any caller values, any
//! output-buffer size. The writer never panics; it either refuses the
//! message before writing (and then a value really is bad: it holds a
//! control character, or the crate's grammar refuses it), or it writes the
//! same bytes through a buffer of any size, in canonical CRLF lines of at
//! most 998 octets, with exactly the top-level fields asked for — never a
//! field the caller did not ask for — and `mail-parser` reads back the
//! subject, the addresses, the caller's fields and the attachments.
//!
//! Input: a selector byte (bit 0: 8bit allowed; bit 1: an HTML part; bits
//! 2–3: 0–3 attachments; bits 4–7: the output-buffer size, 1–16), then
//! fields separated by `0xFF`: from, from name, to, to name, subject,
//! field name, field value, text, HTML, then per attachment a file name,
//! a content type and its bytes. Missing fields are empty.

use embedded_smtp::message::{
    Address, Attachment, ComposeError, Date, Message, MessageId, MessageWriter, Problem,
};
use mail_parser::{HeaderForm, MessageParser, MimeHeaders};

struct Input<'a> {
    allow_8bit: bool,
    html: bool,
    attachments: usize,
    size: usize,
    fields: Vec<&'a [u8]>,
}

impl<'a> Input<'a> {
    fn field(&self, i: usize) -> String {
        String::from_utf8_lossy(self.fields.get(i).copied().unwrap_or(b"")).into_owned()
    }

    fn bytes(&self, i: usize) -> &'a [u8] {
        self.fields.get(i).copied().unwrap_or(b"")
    }
}

/// The strings of a message, owned.
struct Values {
    from: String,
    from_name: String,
    to: String,
    to_name: String,
    subject: String,
    name: String,
    value: String,
    text: String,
    html: Option<String>,
    files: Vec<(String, String)>,
}

fn write(input: &Input<'_>, v: &Values, size: usize) -> Result<Vec<u8>, ComposeError> {
    let to = [Address::new(&v.to).name(&v.to_name)];
    let headers = [(v.name.as_str(), v.value.as_str())];
    let mut sources: Vec<&[u8]> = (0..v.files.len())
        .map(|i| input.bytes(9 + 3 * i + 2))
        .collect();
    let mut files: Vec<Attachment<'_>> = v
        .files
        .iter()
        .zip(sources.iter_mut())
        .map(|((n, t), s)| Attachment::new(n, t, s))
        .collect();
    let mut m = Message::new(
        Address::new(&v.from).name(&v.from_name),
        Date::new(1_796_368_884, 60).unwrap(),
        MessageId::new([0x3c; 16], "example.org"),
    )
    .to(&to)
    .subject(&v.subject)
    .headers(&headers)
    .text(&v.text)
    .allow_8bit(input.allow_8bit)
    .attachments(&mut files);
    if let Some(h) = &v.html {
        m = m.html(h);
    }
    let mut w = MessageWriter::new(m)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; size];
    while !w.is_done() {
        let n = w.write(&mut buf).expect("slices do not fail");
        assert!(n > 0, "no progress");
        out.extend_from_slice(&buf[..n]);
    }
    Ok(out)
}

fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 32 || b == 127)
}

pub fn message(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let input = Input {
        allow_8bit: sel & 1 != 0,
        html: sel & 2 != 0,
        attachments: usize::from((sel >> 2) & 3),
        size: 1 + usize::from(sel >> 4),
        fields: rest.split(|&b| b == 0xFF).collect(),
    };
    let v = Values {
        from: input.field(0),
        from_name: input.field(1),
        to: input.field(2),
        to_name: input.field(3),
        subject: input.field(4),
        name: input.field(5),
        value: input.field(6),
        text: input.field(7),
        html: input.html.then(|| input.field(8)),
        files: (0..input.attachments)
            .map(|i| (input.field(9 + 3 * i), input.field(9 + 3 * i + 1)))
            .collect(),
    };
    let raw = match write(&input, &v, 1 << 16) {
        Ok(raw) => raw,
        Err(e) => {
            // A refusal names a value that is really bad.
            if e.problem == Problem::LineBreak || e.problem == Problem::Control {
                let all = [
                    &v.from,
                    &v.from_name,
                    &v.to,
                    &v.to_name,
                    &v.subject,
                    &v.name,
                    &v.value,
                ];
                assert!(
                    all.iter().any(|s| has_control(s))
                        || v.files
                            .iter()
                            .any(|(n, t)| has_control(n) || has_control(t)),
                    "{e:?} without a control character"
                );
            }
            return;
        }
    };
    assert_eq!(
        write(&input, &v, input.size).unwrap(),
        raw,
        "differs through a {}-byte buffer",
        input.size
    );

    for (i, &b) in raw.iter().enumerate() {
        match b {
            b'\n' => assert!(i > 0 && raw[i - 1] == b'\r', "bare LF at {i}"),
            b'\r' => assert_eq!(raw.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            _ => {}
        }
    }
    assert!(
        raw.split(|&b| b == b'\n').all(|l| l.len() <= 999),
        "a line over 998 octets"
    );

    // Exactly the top-level fields asked for.
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let names: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    let mut expected = vec![
        "Date",
        "From",
        "To",
        "Subject",
        "Message-ID",
        v.name.as_str(),
        "MIME-Version",
        "Content-Type",
    ];
    if v.html.is_none() && v.files.is_empty() {
        expected.push("Content-Transfer-Encoding");
    }
    assert_eq!(names, expected);

    let m = MessageParser::default()
        .parse(&raw)
        .expect("mail-parser parses it");
    assert_eq!(m.subject().unwrap_or(""), v.subject);
    let from = m.from().and_then(|a| a.first()).expect("a From address");
    assert_eq!(from.address().unwrap_or(""), v.from);
    assert_eq!(from.name().unwrap_or(""), v.from_name);
    let to = m.to().and_then(|a| a.first()).expect("a To address");
    assert_eq!(to.address().unwrap_or(""), v.to);
    // mail-parser looks fields up only by names of letters, digits, `-`
    // and `_` (`HeaderName::parse`; other `ftext` names are valid, found by
    // this target): compare the value for those.
    if v.name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        let value = match m.header_as(v.name.as_str(), HeaderForm::Text).first() {
            Some(mail_parser::HeaderValue::Text(t)) => t.to_string(),
            _ => String::new(),
        };
        assert_eq!(value, v.value);
    }
    let got: Vec<(String, Vec<u8>)> = m
        .attachments()
        .map(|p| {
            (
                p.attachment_name().unwrap_or("").to_string(),
                p.contents().to_vec(),
            )
        })
        .collect();
    let want: Vec<(String, Vec<u8>)> = v
        .files
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), input.bytes(9 + 3 * i + 2).to_vec()))
        .collect();
    assert_eq!(got.len(), want.len());
    for (i, ((gn, gb), (wn, wb))) in got.iter().zip(&want).enumerate() {
        assert_eq!(gn, wn);
        // mail-parser decodes a `text/*` attachment as text (lossy for
        // bytes that are not UTF-8): compare the bytes of other types.
        if !v.files[i].1.to_ascii_lowercase().starts_with("text/") {
            assert_eq!(gb, wb, "attachment {gn}");
        }
    }
}
