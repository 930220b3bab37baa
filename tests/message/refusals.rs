//! The caller's errors (rule D5): a CR, LF or NUL in any caller string
//! that goes into a header — every one of them, anywhere in it — is a
//! `ComposeError` naming the value, before anything is written; so are
//! other control characters, addresses the crate's mailbox grammar
//! refuses, field names that are not `ftext` or that the writer writes
//! itself, content types that are not `type/subtype`, empty or over-long
//! file names, and a `Message-ID` domain that is not a domain.

use embedded_smtp::message::{ComposeError, Field, MessageWriter, Problem};
use embedded_smtp::syntax::AddressError;
use proptest::prelude::*;

use crate::support::mail::Spec;

fn error(spec: &Spec) -> Option<ComposeError> {
    spec.with_message(|m| MessageWriter::new(m).err())
}

/// A spec with every kind of caller string, all valid.
fn base() -> Spec {
    Spec {
        from: (Some("From Name".into()), "from@example.org".into()),
        to: vec![(Some("To Name".into()), "to@example.net".into())],
        cc: vec![(Some("Cc Name".into()), "cc@example.net".into())],
        subject: Some("subject".into()),
        headers: vec![("X-Name".into(), "value".into())],
        attachments: vec![(
            "file.bin".into(),
            "application/octet-stream".into(),
            vec![1],
        )],
        text: "text".into(),
        ..Spec::default()
    }
}

/// The caller strings of `base()` that go into a header, by number, with
/// the field an error must name.
fn place(spec: &mut Spec, which: u8) -> (&mut String, Field) {
    match which {
        0 => (spec.from.0.as_mut().unwrap(), Field::From),
        1 => (&mut spec.from.1, Field::From),
        2 => (spec.to[0].0.as_mut().unwrap(), Field::To(0)),
        3 => (&mut spec.to[0].1, Field::To(0)),
        4 => (spec.cc[0].0.as_mut().unwrap(), Field::Cc(0)),
        5 => (&mut spec.cc[0].1, Field::Cc(0)),
        6 => (spec.subject.as_mut().unwrap(), Field::Subject),
        7 => (&mut spec.headers[0].0, Field::Header(0)),
        8 => (&mut spec.headers[0].1, Field::Header(0)),
        9 => (&mut spec.attachments[0].0, Field::FileName(0)),
        10 => (&mut spec.attachments[0].1, Field::ContentType(0)),
        _ => (&mut spec.domain, Field::MessageId),
    }
}

#[test]
fn the_base_message_is_valid() {
    assert_eq!(error(&base()), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn cr_lf_or_nul_anywhere_in_any_caller_string_is_refused(
        which in 0u8..12,
        bad in prop_oneof![Just('\r'), Just('\n'), Just('\0')],
        at in any::<prop::sample::Index>(),
        second in proptest::option::of(prop_oneof![Just("\r\n"), Just("\nBcc: x@y.z\r\n")]),
    ) {
        let mut spec = base();
        let (s, field) = place(&mut spec, which);
        let i = at.index(s.len() + 1);
        s.insert(i, bad);
        if let Some(more) = second {
            s.push_str(more);
        }
        prop_assert_eq!(
            error(&spec),
            Some(ComposeError { field, problem: Problem::LineBreak })
        );
    }

    #[test]
    fn other_control_characters_in_header_strings_are_refused(
        which in 0u8..12,
        bad in prop_oneof![1u8..=8, 11u8..=12, 14u8..=31, Just(127u8)],
    ) {
        let mut spec = base();
        let (s, field) = place(&mut spec, which);
        s.push(char::from(bad));
        let got = error(&spec).expect("refused");
        prop_assert_eq!(got.field, field);
        // An address or a domain may be refused by its grammar first.
        prop_assert!(
            matches!(got.problem, Problem::Control | Problem::Address(_) | Problem::Syntax),
            "{:?}", got
        );
    }
}

fn with(f: impl FnOnce(&mut Spec)) -> Option<ComposeError> {
    let mut spec = base();
    f(&mut spec);
    error(&spec)
}

fn err(field: Field, problem: Problem) -> Option<ComposeError> {
    Some(ComposeError { field, problem })
}

#[test]
fn addresses_are_checked_by_the_mailbox_grammar() {
    let syntax = Problem::Address(AddressError::Syntax);
    assert_eq!(
        with(|s| s.from.1 = "no-at-sign".into()),
        err(Field::From, syntax)
    );
    assert_eq!(
        with(|s| s.to[0].1 = "a@b@c".into()),
        err(Field::To(0), syntax)
    );
    assert_eq!(
        with(|s| s.cc[0].1 = "<a@b.c>".into()),
        err(Field::Cc(0), syntax)
    );
    assert_eq!(
        with(|s| s.to[0].1 = "a b@c.d".into()),
        err(Field::To(0), syntax)
    );
    assert_eq!(
        with(|s| s.to[0].1 = format!("{}@c.d", "a".repeat(65))),
        err(
            Field::To(0),
            Problem::Address(AddressError::LocalPartTooLong)
        )
    );
    // Non-ASCII mailboxes only for an SMTPUTF8 message.
    assert_eq!(
        with(|s| s.to[0].1 = "josé@example.net".into()),
        err(Field::To(0), Problem::NonAscii)
    );
    // Quoted local parts and address literals are mailboxes.
    assert_eq!(with(|s| s.to[0].1 = "\"a b\"@example.net".into()), None);
    assert_eq!(with(|s| s.to[0].1 = "a@[192.0.2.1]".into()), None);
}

#[test]
fn field_names_are_ftext_and_not_the_writers_own() {
    for bad in ["", "X Name", "X:Name", "Xé", &"X".repeat(57)] {
        assert_eq!(
            with(|s| s.headers[0].0 = bad.into()),
            err(Field::Header(0), Problem::FieldName),
            "{bad:?}"
        );
    }
    for own in [
        "Date",
        "FROM",
        "to",
        "Cc",
        "Subject",
        "Message-Id",
        "MIME-Version",
        "Content-Type",
        "content-transfer-encoding",
        "Content-Disposition",
    ] {
        assert_eq!(
            with(|s| s.headers[0].0 = own.into()),
            err(Field::Header(0), Problem::Reserved),
            "{own}"
        );
    }
    assert_eq!(with(|s| s.headers[0].0 = "X-".repeat(28)), None); // 56
}

#[test]
fn content_types_file_names_and_the_domain() {
    for bad in [
        "text",
        "text/",
        "/csv",
        "text/csv; charset=utf-8",
        "te xt/csv",
        "text/c\"sv",
    ] {
        assert_eq!(
            with(|s| s.attachments[0].1 = bad.into()),
            err(Field::ContentType(0), Problem::Syntax),
            "{bad:?}"
        );
    }
    assert_eq!(
        with(|s| s.attachments[0].1 = format!("a/{}", "b".repeat(254))),
        err(Field::ContentType(0), Problem::TooLong)
    );
    assert_eq!(
        with(|s| s.attachments[0].0 = String::new()),
        err(Field::FileName(0), Problem::Syntax)
    );
    assert_eq!(
        with(|s| s.attachments[0].0 = "é".repeat(128)),
        err(Field::FileName(0), Problem::TooLong)
    );
    assert_eq!(
        with(|s| s.domain = "not a domain".into()),
        err(Field::MessageId, Problem::Address(AddressError::Syntax))
    );
    assert_eq!(
        with(|s| s.domain = "[192.0.2.1]".into()),
        err(Field::MessageId, Problem::Address(AddressError::Syntax))
    );
}

#[test]
fn the_error_names_the_value() {
    let e = with(|s| s.to[0].1 = "x\r\nBcc: all@example.net".into()).unwrap();
    assert_eq!(e.to_string(), "To #1: CR, LF or NUL");
    let e = with(|s| s.headers[0].0 = "Subject".into()).unwrap();
    assert_eq!(
        e.to_string(),
        "header field #1: written by the message writer itself"
    );
}
