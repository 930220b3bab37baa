//! Reply parsing (RFC 5321 §4.2, §4.2.1, §4.5.3.1.5; RFC 3463;
//! docs/rules.md RPL-01, RPL-02, RPL-04, RPL-07, D1, D10).

use embedded_smtp::syntax::Status;
use embedded_smtp::syntax::reply::{
    EnhancedCode, Reply, ReplyClass, ReplyCode, ReplyError, ReplyLine,
};
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

fn texts<'a>(r: &Reply<'a>) -> Vec<&'a [u8]> {
    r.lines().collect()
}

// ---- RPL-01: a code alone, with or without SP, is a complete reply ----

#[test]
fn rpl01_text_is_optional() {
    for (input, text) in [
        (&b"250 OK\r\n"[..], &b"OK"[..]),
        (b"250\r\n", b""),
        (b"250 \r\n", b""),
    ] {
        let (r, used) = complete(input);
        assert_eq!(used, input.len());
        assert_eq!(r.code(), ReplyCode::OK);
        assert_eq!(r.text(), text);
        assert_eq!(r.line_count(), 1);
        assert_eq!(r.raw(), input);
        assert_eq!(r.enhanced(), None);
    }
}

// ---- RPL-02: multi-line replies keep one code ----

#[test]
fn rpl02_multiline_same_code() {
    let input = b"250-a\r\n250-b\r\n250 c\r\n";
    let (r, used) = complete(input);
    assert_eq!(used, input.len());
    assert_eq!(r.line_count(), 3);
    assert_eq!(texts(&r), [&b"a"[..], b"b", b"c"]);
    assert_eq!(r.text(), b"a");
}

#[test]
fn rpl02_code_change_is_a_protocol_error() {
    assert_eq!(parse(b"250-a\r\n251 b\r\n"), Err(ReplyError::CodeMismatch));
    // Known before the rest arrives.
    assert_eq!(parse(b"250-a\r\n251-b\r\n"), Err(ReplyError::CodeMismatch));
    assert_eq!(parse(b"220-a\r\n250 b\r\n"), Err(ReplyError::CodeMismatch));
}

#[test]
fn only_the_first_reply_is_consumed() {
    let input = b"250-a\r\n250 b\r\n354 go\r\n";
    let (r, used) = complete(input);
    assert_eq!(used, 14);
    assert_eq!(r.raw(), b"250-a\r\n250 b\r\n");
    let (next, used2) = complete(&input[used..]);
    assert_eq!((next.code(), used2), (ReplyCode::START_MAIL_INPUT, 8));
}

// ---- RPL-04: the code grammar ----

#[test]
fn rpl04_malformed_codes() {
    for line in [
        &b"2500 x"[..],
        b"25 x",
        b"2x0 x",
        b"099 x",
        b"600 x",
        b"150 x",
        b"250x",
        b"260 x", // second digit 0-5 only
        b"",
        b" 250 x",
        b"250_x",
        b"25",
        b"abc",
    ] {
        assert_eq!(
            ReplyLine::parse(line),
            Err(ReplyError::Syntax),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        let mut input = line.to_vec();
        input.extend_from_slice(b"\r\n");
        assert_eq!(
            parse(&input),
            Err(ReplyError::Syntax),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    // A malformed continuation line is as bad as a malformed first line.
    assert_eq!(parse(b"250-a\r\n25 b\r\n"), Err(ReplyError::Syntax));
}

#[test]
fn rpl04_unknown_codes_by_first_digit() {
    for (input, code, class) in [
        (&b"253 x\r\n"[..], 253, ReplyClass::PositiveCompletion),
        (b"432 x\r\n", 432, ReplyClass::TransientNegative),
        (b"538 x\r\n", 538, ReplyClass::PermanentNegative),
        (b"359 x\r\n", 359, ReplyClass::PositiveIntermediate),
    ] {
        let (r, _) = complete(input);
        assert_eq!(r.code().get(), code);
        assert_eq!(r.code().class(), class);
        assert_eq!(r.text(), b"x");
    }
}

#[test]
fn reply_line_forms() {
    let l = ReplyLine::parse(b"250-8BITMIME").unwrap();
    assert_eq!(
        (l.code.get(), l.last, l.text),
        (250, false, &b"8BITMIME"[..])
    );
    let l = ReplyLine::parse(b"250-").unwrap();
    assert_eq!((l.last, l.text), (false, &b""[..]));
    let l = ReplyLine::parse(b"554 5.7.1 \xff\xfe not UTF-8").unwrap();
    assert_eq!((l.last, l.text), (true, &b"5.7.1 \xff\xfe not UTF-8"[..]));
    let l = ReplyLine::parse(b"250 a\tb").unwrap();
    assert_eq!(l.text, b"a\tb");
}

// ---- RPL-07: enhanced status codes ----

#[test]
fn rpl07_mismatched_or_3xx_esc_is_ignored() {
    let (r, _) = complete(b"550 2.1.0 x\r\n");
    assert_eq!(r.enhanced(), None);
    assert_eq!(r.text(), b"2.1.0 x");
    let (r, _) = complete(b"354 2.0.0 go\r\n");
    assert_eq!(r.enhanced(), None);
    assert_eq!(r.text(), b"2.0.0 go");
    let (r, _) = complete(b"334 2.0.0\r\n");
    assert_eq!(r.enhanced(), None);
}

#[test]
fn matching_esc_is_taken_and_stripped() {
    let (r, _) = complete(b"550 5.1.1 No such user\r\n");
    assert_eq!(r.enhanced(), Some(EnhancedCode::BAD_DEST_MAILBOX));
    assert_eq!(r.text(), b"No such user");
    let (r, _) = complete(b"250 2.0.0\r\n");
    assert_eq!((r.enhanced(), r.text()), (Some(EnhancedCode::OK), &b""[..]));
    let (r, _) = complete(b"452 4.5.3 Too many recipients\r\n");
    assert_eq!(r.enhanced(), Some(EnhancedCode::TOO_MANY_RECIPIENTS));
    // Each line loses the same code; another one stays text.
    let (r, _) = complete(b"250-2.0.0 a\r\n250-b\r\n250-2.1.5 c\r\n250 2.0.0 d\r\n");
    assert_eq!(texts(&r), [&b"a"[..], b"b", b"2.1.5 c", b"d"]);
    // Only the first line decides.
    let (r, _) = complete(b"550-x\r\n550 5.1.1 y\r\n");
    assert_eq!(r.enhanced(), None);
    assert_eq!(texts(&r), [&b"x"[..], b"5.1.1 y"]);
    // Not followed by SP or the end: text.
    let (r, _) = complete(b"550 5.1.1x\r\n");
    assert_eq!(r.enhanced(), None);
}

#[test]
fn enhanced_code_grammar() {
    type Case = (&'static [u8], (u8, u16, u16), &'static [u8]);
    let ok: &[Case] = &[
        (b"2.0.0", (2, 0, 0), b""),
        (b"2.0.0 ", (2, 0, 0), b""),
        (b"5.1.3 rest of it", (5, 1, 3), b"rest of it"),
        (b"4.7.11 x", (4, 7, 11), b"x"),
        (b"5.999.999 x", (5, 999, 999), b"x"),
        (b"5.001.01 x", (5, 1, 1), b"x"),
    ];
    for (input, (c, s, d), rest) in ok {
        let (esc, r) = EnhancedCode::parse(input).unwrap();
        assert_eq!((esc.class(), esc.subject(), esc.detail()), (*c, *s, *d));
        assert_eq!(r, *rest);
    }
    for bad in [
        &b"3.0.0 x"[..],
        b"1.0.0",
        b"6.0.0",
        b"5.1",
        b"5.1.",
        b"5..1",
        b"5.1000.1",
        b"5.1.1000",
        b"5.1.3x",
        b"5.1.3.4",
        b" 5.1.3",
        b"5,1,3",
        b"",
    ] {
        assert_eq!(
            EnhancedCode::parse(bad),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(
        EnhancedCode::new(5, 999, 999)
            .map(|e| e.to_string())
            .as_deref(),
        Some("5.999.999")
    );
    assert_eq!(EnhancedCode::new(3, 0, 0), None);
    assert_eq!(EnhancedCode::new(5, 1000, 0), None);
    assert_eq!(EnhancedCode::new(5, 0, 1000), None);
    assert_eq!(EnhancedCode::BAD_DEST_SYNTAX.to_string(), "5.1.3");
}

#[test]
fn enhanced_constants_have_rfc_3463_values() {
    for (e, s) in [
        (EnhancedCode::OK, "2.0.0"),
        (EnhancedCode::SYNTAX, "5.5.2"),
        (EnhancedCode::INVALID_ARGS, "5.5.4"),
        (EnhancedCode::BAD_SEQUENCE, "5.5.1"),
        (EnhancedCode::BAD_DEST_SYNTAX, "5.1.3"),
        (EnhancedCode::BAD_SENDER_SYNTAX, "5.1.7"),
        (EnhancedCode::TOO_MANY_RECIPIENTS, "4.5.3"),
        (EnhancedCode::MESSAGE_TOO_BIG, "5.3.4"),
        (EnhancedCode::NON_ASCII, "5.6.7"),
        (EnhancedCode::TIMEOUT, "4.4.2"),
        (EnhancedCode::SECURITY_TRANSIENT, "4.7.0"),
        (EnhancedCode::PROTOCOL_ERROR, "5.5.0"),
        (EnhancedCode::AUTH_LINE_TOO_LONG, "5.5.6"),
        (EnhancedCode::AUTH_INVALID, "5.7.8"),
        (EnhancedCode::ENCRYPTION_NEEDED, "5.7.11"),
    ] {
        assert_eq!(e.to_string(), s);
    }
}

#[test]
fn reply_codes() {
    for ok in [200, 250, 255, 259, 354, 421, 554, 555, 559] {
        let c = ReplyCode::new(ok).unwrap();
        assert_eq!(c.get(), ok);
        assert_eq!(c.to_string(), ok.to_string());
    }
    for bad in [0, 99, 199, 260, 299, 399, 600, 1000, 2500, 569, u16::MAX] {
        assert_eq!(ReplyCode::new(bad), None, "{bad}");
    }
    let c = |n| ReplyCode::new(n).unwrap();
    assert!(c(250).is_positive() && c(354).is_positive() && !c(421).is_positive());
    assert!(c(421).is_transient() && !c(550).is_transient());
    assert!(c(550).is_permanent() && !c(250).is_permanent());
    assert_eq!(c(354).class(), ReplyClass::PositiveIntermediate);
    for (k, n) in [
        (ReplyCode::SERVICE_READY, 220),
        (ReplyCode::CLOSING, 221),
        (ReplyCode::AUTH_SUCCEEDED, 235),
        (ReplyCode::OK, 250),
        (ReplyCode::WILL_FORWARD, 251),
        (ReplyCode::CANNOT_VRFY, 252),
        (ReplyCode::AUTH_CONTINUE, 334),
        (ReplyCode::START_MAIL_INPUT, 354),
        (ReplyCode::SERVICE_NOT_AVAILABLE, 421),
        (ReplyCode::MAILBOX_BUSY, 450),
        (ReplyCode::LOCAL_ERROR, 451),
        (ReplyCode::INSUFFICIENT_STORAGE, 452),
        (ReplyCode::TLS_NOT_AVAILABLE, 454),
        (ReplyCode::SYNTAX_ERROR, 500),
        (ReplyCode::ARGUMENT_ERROR, 501),
        (ReplyCode::NOT_IMPLEMENTED, 502),
        (ReplyCode::BAD_SEQUENCE, 503),
        (ReplyCode::PARAMETER_NOT_IMPLEMENTED, 504),
        (ReplyCode::NO_MAIL_SERVICE, 521),
        (ReplyCode::AUTH_REQUIRED, 530),
        (ReplyCode::AUTH_MECHANISM_TOO_WEAK, 534),
        (ReplyCode::AUTH_FAILED, 535),
        (ReplyCode::ENCRYPTION_REQUIRED, 538),
        (ReplyCode::MAILBOX_UNAVAILABLE, 550),
        (ReplyCode::USER_NOT_LOCAL, 551),
        (ReplyCode::EXCEEDED_STORAGE, 552),
        (ReplyCode::MAILBOX_NAME_NOT_ALLOWED, 553),
        (ReplyCode::TRANSACTION_FAILED, 554),
        (ReplyCode::PARAMETERS_NOT_RECOGNIZED, 555),
    ] {
        assert_eq!(k.get(), n);
        assert_eq!(ReplyCode::new(n), Some(k));
    }
}

// ---- D1: CRLF is the only line end ----

#[test]
fn d1_bare_lf_and_cr_are_refused() {
    for input in [
        &b"250 a\n"[..],
        b"250-a\n250 b\r\n",
        b"250 a\rb\r\n",
        b"250\n",
        b"\n",
        b"250-a\r\n250 b\n",
        b"250-a\r\n250 b\r\r\n",
        b"250 a\n\r\n",
    ] {
        assert_eq!(
            parse(input),
            Err(ReplyError::BareLineEnding),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        ReplyLine::parse(b"250 a\rb"),
        Err(ReplyError::BareLineEnding)
    );
    assert_eq!(
        ReplyLine::parse(b"250 a\nb"),
        Err(ReplyError::BareLineEnding)
    );
    // A CR at the very end may still be followed by LF.
    assert_eq!(parse(b"250 a\r"), Ok(Status::Partial));
}

#[test]
fn control_bytes_in_text_are_refused() {
    for input in [
        &b"250 a\x00b\r\n"[..],
        b"250 \x1b[31m\r\n",
        b"250 a\x7f\r\n",
        b"250-a\r\n250 \x0c\r\n",
    ] {
        assert_eq!(
            parse(input),
            Err(ReplyError::Syntax),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let (r, _) = complete(b"250 tab\there \xc3\xbc\r\n");
    assert_eq!(r.text(), b"tab\there \xc3\xbc");
}

// ---- Incremental input: every split point ----

const SAMPLES: &[&[u8]] = &[
    b"250 OK\r\n",
    b"250\r\n",
    b"220-mx.example ESMTP\r\n220 ready\r\n",
    b"250-mx.example\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 PIPELINING\r\n",
    b"550-5.1.1 No such\r\n550-5.1.1 user\r\n550 5.1.1 here\r\n",
    b"250-\r\n250-\r\n250\r\n",
];

#[test]
fn partial_at_every_split_point() {
    for sample in SAMPLES {
        let (whole, used) = complete(sample);
        assert_eq!(used, sample.len());
        for k in 0..sample.len() {
            assert_eq!(
                parse(&sample[..k]),
                Ok(Status::Partial),
                "{:?} cut at {k}",
                String::from_utf8_lossy(sample)
            );
        }
        // With the next reply already behind it: the same reply.
        let mut more = sample.to_vec();
        more.extend_from_slice(b"221 bye\r\n");
        for k in sample.len()..=more.len() {
            assert_eq!(complete(&more[..k]), (whole, used));
        }
    }
}

#[test]
fn errors_do_not_wait_for_the_end() {
    assert_eq!(parse(b"250-a\r\n2x"), Ok(Status::Partial));
    assert_eq!(parse(b"250-a\r\n2x0 b\r\n250"), Err(ReplyError::Syntax));
    assert_eq!(
        parse(b"250-a\r\n251-b\r\n250"),
        Err(ReplyError::CodeMismatch)
    );
    assert_eq!(parse(b"250-a\nmore"), Err(ReplyError::BareLineEnding));
}

// ---- D10: limits ----

#[test]
fn line_limit() {
    let limits = ReplyLimits {
        max_line: 16,
        ..ReplyLimits::DEFAULT
    };
    // 16 octets with CRLF: accepted.
    let exact = b"250 0123456789\r\n";
    assert_eq!(exact.len(), 16);
    assert!(matches!(
        embedded_smtp::wire::reply::frame(exact, &limits),
        Ok(Status::Complete((_, 16)))
    ));
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250 0123456789A\r\n", &limits),
        Err(ReplyError::LineTooLong)
    );
    // Certain before the CRLF arrives: 15 octets of text cannot end in time.
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250 0123456789A", &limits),
        Err(ReplyError::LineTooLong)
    );
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250 0123456789", &limits),
        Ok(Status::Partial)
    );
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250 0123456789\r", &limits),
        Ok(Status::Partial)
    );
    // Any line, not just the first.
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-a\r\n250 0123456789ABCDEF", &limits),
        Err(ReplyError::LineTooLong)
    );
    // The RFC 5321 §4.5.3.1.5 floor: 512 octets pass with the defaults, and 1000.
    for len in [512, 1000] {
        let mut line = b"250 ".to_vec();
        line.resize(len - 2, b'x');
        line.extend_from_slice(b"\r\n");
        assert!(matches!(parse(&line), Ok(Status::Complete(_))));
    }
    let mut line = b"250 ".to_vec();
    line.resize(999, b'x');
    assert_eq!(parse(&line), Err(ReplyError::LineTooLong));
}

#[test]
fn line_count_limit() {
    let limits = ReplyLimits {
        max_lines: 3,
        ..ReplyLimits::DEFAULT
    };
    assert!(matches!(
        embedded_smtp::wire::reply::frame(b"250-a\r\n250-b\r\n250 c\r\n", &limits),
        Ok(Status::Complete(_))
    ));
    // A third continuation line means a fourth line is coming.
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-a\r\n250-b\r\n250-c\r\n", &limits),
        Err(ReplyError::TooManyLines)
    );
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-a\r\n250-b\r\n250-c\r\n250 d\r\n", &limits),
        Err(ReplyError::TooManyLines)
    );
    let none = ReplyLimits {
        max_lines: 0,
        ..ReplyLimits::DEFAULT
    };
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250 a\r\n", &none),
        Err(ReplyError::TooManyLines)
    );
    let mut many = Vec::new();
    for _ in 0..100 {
        many.extend_from_slice(b"250-x\r\n");
    }
    assert_eq!(parse(&many), Err(ReplyError::TooManyLines));
}

#[test]
fn total_limit() {
    let limits = ReplyLimits {
        max_total: 20,
        ..ReplyLimits::DEFAULT
    };
    assert!(matches!(
        embedded_smtp::wire::reply::frame(b"250-aaaa\r\n250 bbbb\r\n", &limits),
        Ok(Status::Complete((_, 20)))
    ));
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-aaaa\r\n250 bbbbb\r\n", &limits),
        Err(ReplyError::TooLong)
    );
    // Certain before the end arrives.
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-aaaa\r\n250 bbbbb", &limits),
        Err(ReplyError::TooLong)
    );
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-aaaa\r\n250 bbbb", &limits),
        Ok(Status::Partial)
    );
    // A continuation ending at 16 leaves no room for the shortest line (5).
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-aaaaaaaaaa\r\n", &limits),
        Err(ReplyError::TooLong)
    );
    assert_eq!(
        embedded_smtp::wire::reply::frame(b"250-aaaaaaaaa\r\n", &limits),
        Ok(Status::Partial)
    );
}

#[test]
fn default_limits() {
    let d = ReplyLimits::default();
    assert_eq!(d, ReplyLimits::DEFAULT);
    assert_eq!((d.max_line, d.max_lines, d.max_total), (1000, 100, 16384));
}

#[test]
fn errors_display() {
    for e in [
        ReplyError::Syntax,
        ReplyError::CodeMismatch,
        ReplyError::BareLineEnding,
        ReplyError::LineTooLong,
        ReplyError::TooManyLines,
        ReplyError::TooLong,
    ] {
        let as_error: &dyn core::error::Error = &e;
        assert!(!as_error.to_string().is_empty());
    }
}

proptest! {
    #[test]
    fn parse_never_panics_and_is_consistent(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let limits = ReplyLimits { max_line: 40, max_lines: 4, max_total: 100 };
        if let Ok(Status::Complete((r, used))) = embedded_smtp::wire::reply::frame(&data, &limits) {
            prop_assert_eq!(r.raw(), &data[..used]);
            prop_assert_eq!(r.lines().count(), r.line_count());
            prop_assert!(used <= 100 && r.line_count() <= 4);
        }
    }
}
