//! Reply writing (RFC 5321 §4.2, §4.5.3.1.5 512-octet reply lines; rule D5)
//! and write -> parse round trips.

use embedded_smtp::syntax::reply::{EnhancedCode, Reply, ReplyCode, ReplyError, write_reply};
use embedded_smtp::syntax::{Invalid, Status, WriteError};
use embedded_smtp::wire::reply::ReplyLimits;
use proptest::prelude::*;

fn parse(input: &[u8]) -> Result<Status<(Reply<'_>, usize)>, ReplyError> {
    embedded_smtp::wire::reply::frame(input, &ReplyLimits::DEFAULT)
}

fn complete(input: &[u8]) -> (Reply<'_>, usize) {
    match parse(input) {
        Ok(Status::Complete(r)) => r,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn write(code: u16, esc: Option<EnhancedCode>, lines: &[&str]) -> Result<Vec<u8>, WriteError> {
    let mut buf = vec![0u8; 8192];
    let n = write_reply(&mut buf, ReplyCode::new(code).unwrap(), esc, lines)?;
    buf.truncate(n);
    Ok(buf)
}

fn esc(class: u8, subject: u16, detail: u16) -> EnhancedCode {
    EnhancedCode::new(class, subject, detail).unwrap()
}

// ---- Writer ----

#[test]
fn write_simple_forms() {
    assert_eq!(write(250, None, &[]).unwrap(), b"250\r\n");
    assert_eq!(write(250, None, &[""]).unwrap(), b"250\r\n");
    assert_eq!(
        write(250, Some(EnhancedCode::OK), &[]).unwrap(),
        b"250 2.0.0\r\n"
    );
    assert_eq!(write(221, None, &["Bye"]).unwrap(), b"221 Bye\r\n");
    assert_eq!(
        write(250, None, &["a", "", "c"]).unwrap(),
        b"250-a\r\n250-\r\n250 c\r\n"
    );
    assert_eq!(
        write(
            550,
            Some(EnhancedCode::BAD_DEST_MAILBOX),
            &["No such", "", "user"]
        )
        .unwrap(),
        b"550-5.1.1 No such\r\n550-5.1.1\r\n550 5.1.1 user\r\n"
    );
    assert_eq!(
        write(354, None, &["End data with <CR><LF>.<CR><LF>"]).unwrap(),
        b"354 End data with <CR><LF>.<CR><LF>\r\n"
    );
    assert_eq!(
        write(250, None, &["tr\u{e8}s bien"]).unwrap(),
        "250 tr\u{e8}s bien\r\n".as_bytes()
    );
}

fn lines_of(out: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut rest = out;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        v.push(&rest[..i + 2]);
        rest = &rest[i + 2..];
    }
    assert!(rest.is_empty());
    v
}

#[test]
fn write_splits_at_the_last_space_that_fits() {
    // 250-byte words: two fit in one line (4 + 250 + 1 + 250 + 2 = 507), three do not.
    let w = |c: char| c.to_string().repeat(250);
    let text = format!("{} {} {}", w('a'), w('b'), w('c'));
    let out = write(250, None, &[&text]).unwrap();
    let lines = lines_of(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        format!("250-{} {}\r\n", w('a'), w('b')).as_bytes()
    );
    assert_eq!(lines[1], format!("250 {}\r\n", w('c')).as_bytes());
    // The same with an enhanced code: 4 + 6 + 501 + 2 = 513 does not fit.
    let out = write(550, Some(EnhancedCode::PERMANENT), &[&text]).unwrap();
    let lines = lines_of(&out);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(b"550") && l[4..].starts_with(b"5.0.0 "))
    );
    // Exactly 506 octets of text fill a 512-octet line.
    let text = "x".repeat(506);
    assert_eq!(write(250, None, &[&text]).unwrap().len(), 512);
    let text = format!("{} y", "x".repeat(505));
    assert_eq!(lines_of(&write(250, None, &[&text]).unwrap()).len(), 2);
}

#[test]
fn write_hard_splits_and_never_exceeds_512() {
    let text = "x".repeat(1200);
    for e in [
        None,
        Some(EnhancedCode::ENCRYPTION_NEEDED),
        Some(esc(5, 999, 999)),
    ] {
        let out = write(538, e, &[&text]).unwrap();
        let lines = lines_of(&out);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 512);
        assert_eq!(lines[1].len(), 512);
        let (r, _) = complete(&out);
        assert_eq!(r.enhanced(), e);
        assert_eq!(r.lines().collect::<Vec<_>>().concat(), text.as_bytes());
    }
    // A hard split never cuts a UTF-8 sequence.
    let text = "\u{e9}".repeat(400);
    let out = write(250, None, &[&text]).unwrap();
    for l in lines_of(&out) {
        assert!(l.len() <= 512);
        assert!(core::str::from_utf8(l).is_ok());
    }
}

#[test]
fn write_refuses_control_bytes() {
    for bad in [
        "a\r\nMAIL FROM:<x@y>",
        "a\nb",
        "a\rb",
        "a\0b",
        "a\tb",
        "a\x7fb",
        "\x1b",
    ] {
        assert_eq!(
            write(250, None, &["fine", bad]),
            Err(WriteError::Invalid(Invalid::ControlByte)),
            "{bad:?}"
        );
    }
}

#[test]
fn write_refuses_mismatched_esc() {
    assert_eq!(
        write(550, Some(EnhancedCode::SENDER_OK), &["x"]),
        Err(WriteError::Invalid(Invalid::ReplyCode))
    );
    assert_eq!(
        write(250, Some(EnhancedCode::PERMANENT), &["x"]),
        Err(WriteError::Invalid(Invalid::ReplyCode))
    );
    assert_eq!(
        write(354, Some(EnhancedCode::OK), &["go"]),
        Err(WriteError::Invalid(Invalid::ReplyCode))
    );
    assert_eq!(
        write(452, Some(EnhancedCode::TOO_MANY_RECIPIENTS), &["x"]).unwrap(),
        b"452 4.5.3 x\r\n"
    );
}

#[test]
fn write_reports_the_room_needed() {
    let mut small = [0u8; 4];
    assert_eq!(
        write_reply(&mut small, ReplyCode::OK, None, &["OK"]),
        Err(WriteError::BufferTooSmall { needed: 8 })
    );
}

// ---- Properties ----

fn reply_code() -> impl Strategy<Value = ReplyCode> {
    (2u16..=5, 0u16..=5, 0u16..=9)
        .prop_map(|(a, b, c)| ReplyCode::new(a * 100 + b * 10 + c).unwrap())
}

fn code_and_esc() -> impl Strategy<Value = (ReplyCode, Option<EnhancedCode>)> {
    (reply_code(), proptest::option::of((0u16..=999, 0u16..=999))).prop_map(|(code, e)| {
        let class = (code.get() / 100) as u8;
        let e = e.and_then(|(s, d)| EnhancedCode::new(class, s, d));
        (code, e)
    })
}

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z<>@:;,!?()\u{e9}\u{4e2d}]{1,40}"
}

proptest! {
    #[test]
    fn write_then_parse_keeps_code_esc_and_words(
        (code, e) in code_and_esc(),
        elems in proptest::collection::vec(proptest::collection::vec(word(), 0..60), 0..5),
    ) {
        let texts: Vec<String> = elems.iter().map(|ws| ws.join(" ")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut buf = vec![0u8; 64 * 1024];
        let n = write_reply(&mut buf, code, e, &refs).unwrap();
        let out = &buf[..n];
        for l in lines_of(out) {
            prop_assert!(l.len() <= 512);
        }
        let limits = ReplyLimits { max_lines: 1000, max_total: 1 << 20, ..ReplyLimits::DEFAULT };
        let Ok(Status::Complete((r, used))) = embedded_smtp::wire::reply::frame(out, &limits) else {
            panic!("written reply does not parse");
        };
        prop_assert_eq!(used, n);
        prop_assert_eq!(r.code(), code);
        prop_assert_eq!(r.enhanced(), e);
        prop_assert!(r.line_count() >= refs.len().max(1));
        let got: Vec<&[u8]> = r.lines().flat_map(|t| t.split(|&b| b == b' ')).filter(|w| !w.is_empty()).collect();
        let want: Vec<&[u8]> = elems.iter().flatten().map(|w| w.as_bytes()).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn write_then_parse_long_words(code in reply_code(), len in 0usize..3000) {
        let text = "w".repeat(len);
        let mut buf = vec![0u8; 8192];
        let n = write_reply(&mut buf, code, None, &[&text]).unwrap();
        let (r, _) = complete(&buf[..n]);
        prop_assert_eq!(r.line_count(), len.div_ceil(506).max(1));
        prop_assert_eq!(r.lines().collect::<Vec<_>>().concat(), text.as_bytes());
    }

    #[test]
    fn split_points_agree(
        (code, e) in code_and_esc(),
        elems in proptest::collection::vec("[a-z ]{0,30}", 1..6),
    ) {
        let refs: Vec<&str> = elems.iter().map(String::as_str).collect();
        let mut buf = vec![0u8; 4096];
        let n = write_reply(&mut buf, code, e, &refs).unwrap();
        let whole = complete(&buf[..n]);
        for k in 0..n {
            prop_assert_eq!(parse(&buf[..k]), Ok(Status::Partial));
        }
        prop_assert_eq!(whole.1, n);
    }
}
