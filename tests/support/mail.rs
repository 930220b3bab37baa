//! Messages for the `message` tests: a [`Spec`] (owned values, easy to
//! generate), the bytes the writer makes of it through an output buffer of
//! a given size, and what two independent parsers read back — Python's
//! `email` package (`email.policy.default`, through `parse_mail.py`) and
//! the `mail-parser` crate — as a [`Parsed`] to compare with
//! [`Spec::expected`].
#![allow(dead_code)]

use std::path::Path;

use embedded_smtp::message::{
    Address, Attachment, Date, Message, MessageId, MessageWriter, Source,
};
use mail_parser::{HeaderForm, MessageParser, MimeHeaders};

use super::peers;

/// Everything a message is made of, owned.
#[derive(Clone, Debug)]
pub struct Spec {
    pub from: (Option<String>, String),
    pub to: Vec<(Option<String>, String)>,
    pub cc: Vec<(Option<String>, String)>,
    pub subject: Option<String>,
    pub date: (i64, i16),
    pub entropy: [u8; 16],
    pub domain: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: Option<String>,
    /// File name, content type, bytes.
    pub attachments: Vec<(String, String, Vec<u8>)>,
    pub allow_8bit: bool,
    /// Non-ASCII addresses allowed (RFC 6532).
    pub utf8: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            from: (None, "sensor@example.org".into()),
            to: vec![(None, "ops@example.net".into())],
            cc: Vec::new(),
            subject: None,
            date: (1_796_368_884, 0),
            entropy: [0x5a; 16],
            domain: "example.org".into(),
            headers: Vec::new(),
            text: String::new(),
            html: None,
            attachments: Vec::new(),
            allow_8bit: false,
            utf8: false,
        }
    }
}

fn address((name, mailbox): &(Option<String>, String)) -> Address<'_> {
    match name {
        Some(n) => Address::new(mailbox).name(n),
        None => Address::new(mailbox),
    }
}

/// A source that hands out at most `max` bytes per read (a flash driver,
/// a sensor), so that the writer's refill loop is exercised.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub max: usize,
}

impl Source for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, embedded_smtp::message::SourceError> {
        let n = buf.len().min(self.max).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

impl Spec {
    /// Runs `f` with the writer's [`Message`] for this spec (the borrowed
    /// views and the attachment sources live on the stack of this call).
    pub fn with_message<R>(&self, f: impl FnOnce(Message<'_, '_>) -> R) -> R {
        let to: Vec<Address<'_>> = self.to.iter().map(address).collect();
        let cc: Vec<Address<'_>> = self.cc.iter().map(address).collect();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut sources: Vec<Trickle<'_>> = self
            .attachments
            .iter()
            .enumerate()
            .map(|(i, a)| Trickle {
                data: &a.2,
                max: 1 + i * 17,
            })
            .collect();
        let mut files: Vec<Attachment<'_>> = self
            .attachments
            .iter()
            .zip(sources.iter_mut())
            .map(|(a, s)| Attachment::new(&a.0, &a.1, s))
            .collect();
        let mut m = Message::new(
            address(&self.from),
            Date::new(self.date.0, self.date.1).expect("a valid date"),
            MessageId::new(self.entropy, &self.domain),
        )
        .to(&to)
        .cc(&cc)
        .headers(&headers)
        .text(&self.text)
        .allow_8bit(self.allow_8bit)
        .utf8(self.utf8)
        .attachments(&mut files);
        if let Some(s) = &self.subject {
            m = m.subject(s);
        }
        if let Some(h) = &self.html {
            m = m.html(h);
        }
        f(m)
    }

    /// The message as written through an output buffer of `size` bytes.
    pub fn write(&self, size: usize) -> Vec<u8> {
        self.with_message(|m| {
            let mut w = MessageWriter::new(m).expect("a valid message");
            let mut out = Vec::new();
            let mut buf = vec![0u8; size];
            while !w.is_done() {
                let n = w.write(&mut buf).expect("slice sources do not fail");
                assert!(n > 0, "no progress with a {size}-byte buffer");
                out.extend_from_slice(&buf[..n]);
            }
            out
        })
    }

    /// What a parser must read back.
    pub fn expected(&self) -> Parsed {
        let single = self.html.is_none() && self.attachments.is_empty();
        let mut text = lf(&self.text);
        if single && !text.is_empty() && !text.ends_with('\n') {
            // The message's last line ends with CRLF (RFC 5322 §2.1).
            text.push('\n');
        }
        let addr = |a: &(Option<String>, String)| {
            (
                a.0.clone().filter(|n| !n.is_empty()).unwrap_or_default(),
                a.1.clone(),
            )
        };
        Parsed {
            from: vec![addr(&self.from)],
            to: self.to.iter().map(addr).collect(),
            cc: self.cc.iter().map(addr).collect(),
            subject: self.subject.clone().unwrap_or_default(),
            date: Some(self.date),
            message_id: format!(
                "{}@{}",
                self.entropy
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                self.domain
            ),
            extra: self.headers.clone(),
            text,
            html: self.html.as_deref().map(lf),
            attachments: self.attachments.clone(),
            defects: Vec::new(),
        }
    }
}

/// Line breaks as LF (CRLF, LF and CR are all one line break).
pub fn lf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// What a parser read back. Display names are empty when absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub from: Vec<(String, String)>,
    pub to: Vec<(String, String)>,
    pub cc: Vec<(String, String)>,
    pub subject: String,
    pub date: Option<(i64, i16)>,
    pub message_id: String,
    /// The fields not among those the writer writes itself.
    pub extra: Vec<(String, String)>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<(String, String, Vec<u8>)>,
    pub defects: Vec<String>,
}

/// The fields the writer writes itself.
const OWN: [&str; 9] = [
    "date",
    "from",
    "to",
    "cc",
    "subject",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// What `mail-parser` reads from `raw`.
pub fn mail_parser(raw: &[u8]) -> Parsed {
    let m = MessageParser::default()
        .parse(raw)
        .expect("mail-parser parses the message");
    let addrs = |a: Option<&mail_parser::Address<'_>>| -> Vec<(String, String)> {
        a.map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x.name().unwrap_or("").to_string(),
                        x.address().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
    };
    // Unknown fields are kept raw; read them as unstructured text (RFC 2047
    // decoded), the n-th value for the n-th field of a name.
    let mut extra: Vec<(String, String)> = Vec::new();
    for h in m.headers() {
        let name = h.name().to_string();
        if OWN.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let nth = extra
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
            .count();
        let v = match m.header_as(name.as_str(), HeaderForm::Text).get(nth) {
            Some(mail_parser::HeaderValue::Text(t)) => t.to_string(),
            Some(mail_parser::HeaderValue::Empty) => String::new(),
            other => format!("{other:?}"),
        };
        extra.push((name, v));
    }
    let date = m.date().map(|d| {
        let off = (i16::from(d.tz_hour) * 60 + i16::from(d.tz_minute))
            * if d.tz_before_gmt { -1 } else { 1 };
        (d.to_timestamp(), off)
    });
    let attachments = m
        .attachments()
        .map(|p| {
            let ct = p
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                .unwrap_or_default();
            (
                p.attachment_name().unwrap_or("").to_string(),
                ct.to_ascii_lowercase(),
                p.contents().to_vec(),
            )
        })
        .collect();
    Parsed {
        from: addrs(m.from()),
        to: addrs(m.to()),
        cc: addrs(m.cc()),
        subject: m.subject().unwrap_or("").to_string(),
        date,
        message_id: m.message_id().unwrap_or("").to_string(),
        extra,
        text: m.body_text(0).map(|t| lf(&t)).unwrap_or_default(),
        html: m
            .body_html(0)
            .filter(|_| {
                m.html_part(0)
                    .is_some_and(|p| p.is_content_type("text", "html"))
            })
            .map(|t| lf(&t)),
        attachments,
        defects: Vec::new(),
    }
}

/// Whether Debian's Python is there to run `parse_mail.py` (skips with a
/// reason, or fails under `EMBEDDED_SMTP_REQUIRE_PEERS=1`).
pub fn python(test: &str) -> bool {
    peers::programs(test, &[peers::PYTHON]) && peers::python_module(test, "email.policy")
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn text(s: &str) -> String {
    String::from_utf8(unhex(s)).expect("UTF-8 from parse_mail.py")
}

/// What Python's `email` reads from each of `files`, in order.
pub fn python_parse(files: &[impl AsRef<Path>]) -> Vec<Parsed> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/parse_mail.py");
    let mut args = vec![script.to_str().unwrap().to_string()];
    args.extend(
        files
            .iter()
            .map(|f| f.as_ref().to_str().unwrap().to_string()),
    );
    let (code, out, err) = super::run(peers::PYTHON, &args);
    assert_eq!(code, 0, "parse_mail.py failed: {err}");
    let mut all = Vec::new();
    let mut cur = Parsed::default();
    for line in out.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "file" => cur = Parsed::default(),
            "header" => {
                let name = text(f[1]);
                if !OWN.contains(&name.to_ascii_lowercase().as_str()) {
                    cur.extra.push((name, text(f[2])));
                }
            }
            "from" => cur.from.push((text(f[1]), text(f[2]))),
            "to" => cur.to.push((text(f[1]), text(f[2]))),
            "cc" => cur.cc.push((text(f[1]), text(f[2]))),
            "subject" => cur.subject = text(f[1]),
            "date" => cur.date = Some((f[1].parse().unwrap(), f[2].parse().unwrap())),
            "message-id" => {
                cur.message_id = text(f[1])
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            }
            "text" => cur.text = lf(&text(f[1])),
            "html" => cur.html = Some(lf(&text(f[1]))),
            "attachment" => cur.attachments.push((text(f[1]), text(f[2]), unhex(f[3]))),
            "defect" => cur.defects.push(text(f[1])),
            "end" => all.push(std::mem::take(&mut cur)),
            other => panic!("parse_mail.py printed {other:?}"),
        }
    }
    assert_eq!(all.len(), files.len(), "{out}");
    all
}

/// `got` is `expected`, field by field (attachments shown by name, type,
/// length and first differing byte).
#[track_caller]
pub fn assert_parsed(who: &str, got: &Parsed, expected: &Parsed, raw: &[u8]) {
    let show = || {
        String::from_utf8_lossy(raw)
            .chars()
            .take(6000)
            .collect::<String>()
    };
    macro_rules! same {
        ($f:ident) => {
            assert!(
                got.$f == expected.$f,
                "{who}: {} differs:\n got {:?}\nwant {:?}\nmessage:\n{}",
                stringify!($f),
                got.$f,
                expected.$f,
                show()
            );
        };
    }
    same!(defects);
    same!(from);
    same!(to);
    same!(cc);
    same!(subject);
    same!(date);
    same!(message_id);
    same!(extra);
    same!(text);
    same!(html);
    assert_eq!(
        got.attachments.len(),
        expected.attachments.len(),
        "{who}: attachments\n{}",
        show()
    );
    for (i, (g, e)) in got
        .attachments
        .iter()
        .zip(&expected.attachments)
        .enumerate()
    {
        assert_eq!(
            (&g.0, &g.1),
            (&e.0, &e.1),
            "{who}: attachment {i}\n{}",
            show()
        );
        let first = g.2.iter().zip(&e.2).position(|(a, b)| a != b);
        assert!(
            g.2 == e.2,
            "{who}: attachment {i} bytes: {} read, {} written, first difference at {first:?}",
            g.2.len(),
            e.2.len()
        );
    }
}
