//! The header fields, exactly: `Date` (RFC 5322 §3.3; the expected
//! strings are Python's `strftime` of the same instants), addresses as
//! name-addr (§3.4), unstructured values folded at 78 columns (§2.2.3) or
//! as RFC 2047 encoded-words, `Message-ID` (§3.6.4), the caller's fields.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use embedded_smtp::message::Date;

use crate::support::mail::Spec;

fn date(unix: i64, offset: i16) -> String {
    let mut out = [0u8; 31];
    let n = Date::new(unix, offset).unwrap().format(&mut out);
    String::from_utf8(out[..n].to_vec()).unwrap()
}

#[test]
fn dates_from_unix_time_and_offset() {
    assert_eq!(date(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_eq!(date(-1, 0), "Wed, 31 Dec 1969 23:59:59 +0000");
    assert_eq!(date(1_709_210_096, -210), "Thu, 29 Feb 2024 09:04:56 -0330");
    assert_eq!(date(-2_208_988_800, 0), "Mon, 01 Jan 1900 00:00:00 +0000");
    assert_eq!(date(253_402_300_799, 0), "Fri, 31 Dec 9999 23:59:59 +0000");
    assert_eq!(date(951_870_600, 1439), "Thu, 02 Mar 2000 00:29:00 +2359");
}

#[test]
fn dates_outside_four_digit_years_or_offsets_are_refused() {
    assert!(Date::new(-2_208_988_801, 0).is_none()); // 1899
    assert!(Date::new(253_402_300_800, 0).is_none()); // 10000
    assert!(Date::new(-2_208_988_800, -1).is_none()); // 1899 locally
    assert!(Date::new(0, 1440).is_none());
    assert!(Date::new(0, -1440).is_none());
    assert!(Date::new(i64::MAX, 0).is_none());
    assert!(Date::new(i64::MIN, 0).is_none());
}

/// The top-level header block, unfolded lines kept as written.
fn head(spec: &Spec) -> String {
    let raw = String::from_utf8(spec.write(4096)).unwrap();
    raw[..raw.find("\r\n\r\n").unwrap() + 2].to_string()
}

fn field<'a>(head: &'a str, name: &str) -> &'a str {
    let start = head
        .find(&format!("{name}: "))
        .or_else(|| head.find(&format!("{name}:\r\n")))
        .unwrap_or_else(|| panic!("no {name} in {head}"));
    let rest = &head[start..];
    let mut end = 0;
    for line in rest.split_inclusive("\r\n") {
        if end > 0 && !line.starts_with(' ') {
            break;
        }
        end += line.len();
    }
    &rest[..end]
}

#[test]
fn the_fields_in_order() {
    let spec = Spec {
        cc: vec![(None, "cc@example.net".into())],
        subject: Some("Alarm".into()),
        headers: vec![("X-Sensor".into(), "oven-3".into())],
        text: "hi\n".into(),
        ..Spec::default()
    };
    assert_eq!(
        head(&spec),
        "Date: Fri, 04 Dec 2026 07:21:24 +0000\r\n\
         From: sensor@example.org\r\n\
         To: ops@example.net\r\n\
         Cc: cc@example.net\r\n\
         Subject: Alarm\r\n\
         Message-ID: <5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a@example.org>\r\n\
         X-Sensor: oven-3\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n"
    );
}

#[test]
fn display_names_as_atoms_quoted_or_encoded() {
    let to = |name: &str| Spec {
        to: vec![(Some(name.into()), "ops@example.net".into())],
        ..Spec::default()
    };
    let h = head(&to("Ops Desk"));
    assert_eq!(field(&h, "To"), "To: Ops Desk <ops@example.net>\r\n");
    let h = head(&to("John Q. Public"));
    assert_eq!(
        field(&h, "To"),
        "To: \"John Q. Public\" <ops@example.net>\r\n"
    );
    let h = head(&to("say \"hi\" \\ bye"));
    assert_eq!(
        field(&h, "To"),
        "To: \"say \\\"hi\\\" \\\\ bye\" <ops@example.net>\r\n"
    );
    // Not plain: non-ASCII, `=?` (a reader would decode it), a leading space.
    for name in ["Opérations", "=?utf-8?q?x?=", " lead"] {
        let h = head(&to(name));
        let word = STANDARD.encode(name);
        assert_eq!(
            field(&h, "To"),
            format!("To: =?utf-8?b?{word}?= <ops@example.net>\r\n")
        );
    }
}

#[test]
fn address_lists_fold_between_addresses() {
    let spec = Spec {
        to: (0..6)
            .map(|i| (Some(format!("Team {i}")), format!("team{i}@example.net")))
            .collect(),
        ..Spec::default()
    };
    let h = head(&spec);
    assert_eq!(
        field(&h, "To"),
        "To: Team 0 <team0@example.net>, Team 1 <team1@example.net>, Team 2\r\n \
         <team2@example.net>, Team 3 <team3@example.net>, Team 4 <team4@example.net>,\r\n \
         Team 5 <team5@example.net>\r\n"
    );
}

/// Decodes a field of encoded-words (`=?utf-8?b?…?=` separated by FWS).
fn decode_words(value: &str) -> String {
    let mut bytes = Vec::new();
    for w in value.split_whitespace() {
        let b64 = w
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="))
            .unwrap_or_else(|| panic!("not an encoded-word: {w}"));
        let piece = STANDARD.decode(b64).unwrap();
        // Each word is whole characters (RFC 2047 §5).
        assert!(
            std::str::from_utf8(&piece).is_ok(),
            "{w} splits a character"
        );
        bytes.extend(piece);
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn subjects_fold_at_78_columns_and_unfold_to_themselves() {
    let words: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    let subject = words.join(" ");
    let spec = Spec {
        subject: Some(subject.clone()),
        ..Spec::default()
    };
    let h = head(&spec);
    let f = field(&h, "Subject");
    assert!(f.split("\r\n").all(|l| l.len() <= 78), "{f}");
    assert!(f.matches("\r\n").count() > 3, "{f}");
    // Unfolding (RFC 5322 §2.2.3) removes the CRLFs only.
    assert_eq!(f.replace("\r\n", ""), format!("Subject: {subject}"));
}

#[test]
fn non_ascii_subjects_are_encoded_words_of_whole_characters() {
    let subject = "Température du four n°3 au-dessus de 40 °C — 温度警報 ".repeat(4);
    let spec = Spec {
        subject: Some(subject.clone()),
        ..Spec::default()
    };
    let h = head(&spec);
    let f = field(&h, "Subject");
    assert!(f.split("\r\n").all(|l| l.len() <= 78), "{f}");
    let value = f.strip_prefix("Subject:").unwrap();
    assert_eq!(decode_words(value), subject);
}

#[test]
fn a_long_field_name_keeps_its_first_word_on_its_line() {
    let name = format!("X-{}", "N".repeat(54)); // MAX_FIELD_NAME
    assert_eq!(name.len(), embedded_smtp::message::MAX_FIELD_NAME);
    let spec = Spec {
        headers: vec![(name.clone(), "\u{1F525}".repeat(30))],
        ..Spec::default()
    };
    let h = head(&spec);
    let f = field(&h, &name);
    let first = f.split("\r\n").next().unwrap();
    assert!(first.len() <= 78 && first.contains("=?utf-8?b?"), "{f}");
    let value = f.strip_prefix(&format!("{name}:")).unwrap();
    assert_eq!(decode_words(value), "\u{1F525}".repeat(30));
}

#[test]
fn the_message_id_is_the_entropy_at_the_domain() {
    let spec = Spec {
        entropy: *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\xff",
        domain: "mail.example.com".into(),
        ..Spec::default()
    };
    assert_eq!(
        field(&head(&spec), "Message-ID"),
        "Message-ID: <000102030405060708090a0b0c0d0eff@mail.example.com>\r\n"
    );
}

#[test]
fn non_ascii_addresses_only_with_utf8_and_then_as_they_are() {
    let spec = Spec {
        to: vec![(Some("José".into()), "josé@exemple.fr".into())],
        utf8: true,
        ..Spec::default()
    };
    let needs = spec.with_message(|m| {
        embedded_smtp::message::MessageWriter::new(m)
            .unwrap()
            .needs_smtputf8()
    });
    assert!(needs);
    // RFC 6532 §3.2: the address in UTF-8 as it is; the name still encoded.
    assert_eq!(
        field(&head(&spec), "To"),
        "To: =?utf-8?b?Sm9zw6k=?= <josé@exemple.fr>\r\n"
    );
    let raw = spec.write(4096);
    crate::support::mail::assert_parsed(
        "mail-parser",
        &crate::support::mail::mail_parser(&raw),
        &spec.expected(),
        &raw,
    );
}
