//! Command grammar (RFC 5321 §4.1.1, RFC 3030, RFC 3207, RFC 4954, RFC 2033)
//! and the docs/rules.md rows the command parser decides: CMD-05, -08, -11,
//! -12, -13, -18, TLS-03, EXT-03/04, AUT-01, AUT-09, D7 argument rules, D15;
//! INJ rows for the writer.

use embedded_smtp::syntax::{
    AddressError, Command, CommandErrorKind, ForwardPath, InitialResponse, Invalid, Mailbox, Mode,
    ParseOptions, ReversePath, Verb, WriteError,
};
use proptest::prelude::*;

const STRICT: ParseOptions = ParseOptions::STRICT;
const LENIENT: ParseOptions = ParseOptions {
    mode: Mode::Lenient,
    utf8: false,
};

fn parse(line: &str) -> Result<Command<'_>, embedded_smtp::syntax::CommandError> {
    Command::parse(line.as_bytes(), STRICT)
}

fn kind(line: &str, opts: ParseOptions) -> CommandErrorKind {
    Command::parse(line.as_bytes(), opts).expect_err(line).kind
}

fn code(line: &[u8], opts: ParseOptions) -> (u16, String) {
    let (c, e, _) = Command::parse(line, opts).expect_err("must fail").reply();
    (c.get(), e.to_string())
}

fn written(cmd: &Command<'_>) -> String {
    let mut buf = [0u8; 1024];
    let n = cmd.write(&mut buf).expect("writable");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn every_verb_parses_and_is_case_insensitive() {
    let cases: &[(&str, Verb)] = &[
        ("EHLO c.example", Verb::Ehlo),
        ("eHlO c.example", Verb::Ehlo),
        ("HELO c.example", Verb::Helo),
        ("LHLO c.example", Verb::Lhlo),
        ("MAIL FROM:<a@b.example>", Verb::Mail),
        ("mail from:<a@b.example>", Verb::Mail),
        ("RCPT TO:<a@b.example>", Verb::Rcpt),
        ("rcpt to:<a@b.example>", Verb::Rcpt),
        ("DATA", Verb::Data),
        ("BDAT 10", Verb::Bdat),
        ("RSET", Verb::Rset),
        ("VRFY Smith", Verb::Vrfy),
        ("EXPN Example-People", Verb::Expn),
        ("HELP", Verb::Help),
        ("HELP MAIL", Verb::Help),
        ("NOOP", Verb::Noop),
        ("noop anything goes", Verb::Noop),
        ("QUIT", Verb::Quit),
        ("STARTTLS", Verb::StartTls),
        ("starttls", Verb::StartTls),
        ("AUTH PLAIN", Verb::Auth),
    ];
    for (line, verb) in cases {
        assert_eq!(
            parse(line).unwrap_or_else(|e| panic!("{line}: {e}")).verb(),
            *verb,
            "{line}"
        );
    }
}

#[test]
fn cmd05_unknown_and_unimplemented_verbs() {
    assert_eq!(kind("FOO", STRICT), CommandErrorKind::Unknown);
    assert_eq!(code(b"FOO", STRICT), (500, "5.5.2".into()));
    for v in [
        "TURN",
        "ETRN x",
        "ATRN",
        "SEND FROM:<a@b>",
        "SOML FROM:<a@b>",
        "SAML FROM:<a@b>",
        "burl x",
    ] {
        assert_eq!(kind(v, STRICT), CommandErrorKind::NotImplemented, "{v}");
        assert_eq!(code(v.as_bytes(), STRICT).0, 502, "{v}");
    }
    // A verb glued to its argument is not a verb; with a colon it even looks
    // like a header field, which Postfix's is_header() also treats as one.
    assert_eq!(kind("QUITNOW", STRICT), CommandErrorKind::Unknown);
    assert_eq!(
        kind("MAILFROM:<a@b>", STRICT),
        CommandErrorKind::CrossProtocol
    );
    assert_eq!(kind("", STRICT), CommandErrorKind::Unknown);
}

#[test]
fn cmd08_hello_needs_a_domain_and_trailing_text_is_a_documented_choice() {
    for line in [
        "EHLO",
        "HELO",
        "LHLO",
        "EHLO ",
        "HELO _bad",
        "EHLO a..b",
        "EHLO [1.2.3]",
    ] {
        assert_eq!(kind(line, STRICT), CommandErrorKind::Syntax, "{line}");
        assert_eq!(code(line.as_bytes(), STRICT).0, 501, "{line}");
    }
    // Strict: text after the domain is refused with 501; lenient: ignored.
    assert_eq!(kind("EHLO a b c", STRICT), CommandErrorKind::Syntax);
    let Command::Ehlo(h) = Command::parse(b"EHLO a b c", LENIENT).unwrap() else {
        panic!()
    };
    assert_eq!(h.to_string(), "a");
    // Address literals are fine for every greeting.
    assert!(parse("EHLO [192.0.2.1]").is_ok());
    assert!(parse("HELO [IPv6:2001:db8::1]").is_ok());
    // The EHLO argument is ASCII even in SMTPUTF8 mode (RFC 6531 §3.7.1).
    assert!(Command::parse("EHLO müller.example".as_bytes(), STRICT.utf8(true)).is_err());
}

#[test]
fn cmd11_spaces_around_the_colon_and_missing_brackets() {
    for line in [
        "MAIL FROM: <a@b.example>",
        "MAIL FROM :<a@b.example>",
        "MAIL FROM:a@b.example",
        "MAIL  FROM:<a@b>",
    ] {
        assert!(parse(line).is_err(), "strict must refuse {line}");
    }
    assert_eq!(code(b"MAIL FROM: <a@b.example>", STRICT).0, 501);
    // Lenient: SP after the colon, and a path without <>.
    for line in [
        "MAIL FROM: <a@b.example>",
        "MAIL FROM:a@b.example",
        "MAIL FROM:   <a@b.example> SIZE=5",
    ] {
        let Ok(Command::Mail {
            from: ReversePath::Mailbox(m),
            ..
        }) = Command::parse(line.as_bytes(), LENIENT)
        else {
            panic!("lenient must accept {line}")
        };
        assert_eq!(m.to_string(), "a@b.example");
    }
    let Ok(Command::Rcpt {
        to: ForwardPath::Mailbox(_),
        params,
    }) = Command::parse(b"RCPT TO: c@d.example NOTIFY=NEVER", LENIENT)
    else {
        panic!()
    };
    // NOTIFY with the `dsn` feature; without it, an unknown parameter.
    #[cfg(feature = "dsn")]
    assert!(params.notify.unwrap().is_never());
    #[cfg(not(feature = "dsn"))]
    assert_eq!(params.unknown.map(|u| u.keyword), Some("NOTIFY"));
    // Never a space before the colon, even lenient.
    assert!(Command::parse(b"MAIL FROM :<a@b.example>", LENIENT).is_err());
}

#[test]
fn cmd12_null_paths_postmaster_and_source_routes() {
    assert!(matches!(
        parse("MAIL FROM:<>"),
        Ok(Command::Mail {
            from: ReversePath::Null,
            ..
        })
    ));
    assert_eq!(
        kind("RCPT TO:<>", STRICT),
        CommandErrorKind::Address(AddressError::Syntax)
    );
    assert_eq!(code(b"RCPT TO:<>", STRICT), (501, "5.1.3".into()));
    assert!(matches!(
        parse("RCPT TO:<Postmaster>"),
        Ok(Command::Rcpt {
            to: ForwardPath::Postmaster,
            ..
        })
    ));
    assert!(matches!(
        parse("RCPT TO:<postMASTER>"),
        Ok(Command::Rcpt {
            to: ForwardPath::Postmaster,
            ..
        })
    ));
    let Ok(Command::Rcpt { to, .. }) = parse("RCPT TO:<POSTMASTER@s.example>") else {
        panic!()
    };
    assert!(to.is_postmaster());
    let Ok(Command::Rcpt {
        to: ForwardPath::Mailbox(m),
        ..
    }) = parse("RCPT TO:<@r1.example,@r2.example:u@s.example>")
    else {
        panic!()
    };
    assert_eq!(
        m.to_string(),
        "u@s.example",
        "the source route is accepted and dropped"
    );
}

#[test]
fn cmd13_bad_paths_get_501_with_the_right_enhanced_code() {
    for path in [
        "<\"unterminated@x>",
        "<a@[1.2.3.4>",
        "<a@b_c.example>",
        "<a@[300.1.1.1]>",
        "<a@[IPv6:1::2::3]>",
    ] {
        assert_eq!(
            code(format!("RCPT TO:{path}").as_bytes(), STRICT),
            (501, "5.1.3".into()),
            "{path}"
        );
        assert_eq!(
            code(format!("MAIL FROM:{path}").as_bytes(), STRICT),
            (501, "5.1.7".into()),
            "{path}"
        );
    }
}

#[test]
fn cmd18_nul_and_eight_bit_bytes() {
    assert_eq!(
        code(b"HELO a\x00b", STRICT).0,
        501,
        "no truncation at the NUL"
    );
    assert_eq!(
        code(b"MAIL FROM:<a\xff@b.example>", STRICT),
        (500, "5.5.2".into()),
        "not UTF-8"
    );
    // Valid UTF-8 but SMTPUTF8 mode off: the address is refused as non-ASCII.
    assert_eq!(
        code("MAIL FROM:<ü@x.example>".as_bytes(), STRICT),
        (550, "5.6.7".into())
    );
    assert_eq!(
        code("RCPT TO:<ü@x.example>".as_bytes(), STRICT),
        (553, "5.6.7".into())
    );
    // SMTPUTF8 mode: parsed; the server checks the SMTPUTF8 parameter itself
    // (EXT-04). Without the `smtputf8` feature the parameter is unknown.
    let Ok(Command::Mail {
        from: ReversePath::Mailbox(m),
        params,
    }) = Command::parse(
        "MAIL FROM:<ü@x.example> SMTPUTF8".as_bytes(),
        STRICT.utf8(true),
    )
    else {
        panic!()
    };
    assert!(!m.is_ascii());
    assert_eq!(params.smtputf8, embedded_smtp::built::SMTPUTF8);
    assert_eq!(params.unknown.is_some(), !embedded_smtp::built::SMTPUTF8);
}

#[test]
fn d7_arguments_to_argumentless_commands_get_501() {
    for line in [
        "DATA x",
        "RSET x",
        "QUIT now",
        "STARTTLS foo",
        "DATA ",
        "QUIT ",
    ] {
        assert_eq!(kind(line, STRICT), CommandErrorKind::Syntax, "{line}");
        assert_eq!(code(line.as_bytes(), STRICT).0, 501, "{line}");
    }
    // Lenient tolerates trailing spaces only.
    assert!(Command::parse(b"QUIT  ", LENIENT).is_ok());
    assert!(Command::parse(b"QUIT x", LENIENT).is_err());
    // VRFY and EXPN need their argument.
    for line in ["VRFY", "EXPN", "VRFY ", "VRFY  x"] {
        assert_eq!(kind(line, STRICT), CommandErrorKind::Syntax, "{line}");
    }
}

#[test]
fn bdat_forms() {
    assert_eq!(
        parse("BDAT 12 LAST"),
        Ok(Command::Bdat {
            size: 12,
            last: true
        })
    );
    assert_eq!(
        parse("BDAT 0 last"),
        Ok(Command::Bdat {
            size: 0,
            last: true
        })
    );
    assert_eq!(
        parse("BDAT 100000"),
        Ok(Command::Bdat {
            size: 100_000,
            last: false
        })
    );
    for bad in [
        "BDAT",
        "BDAT x",
        "BDAT 1 FIRST",
        "BDAT -1",
        "BDAT 1 LAST x",
        "BDAT 99999999999999999999999",
        "BDAT  5",
    ] {
        let e = parse(bad).expect_err(bad);
        assert!(
            e.closes_session(),
            "a malformed BDAT line loses framing: {bad}"
        );
    }
}

#[test]
fn auth_forms_rfc4954() {
    assert_eq!(
        parse("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="),
        Ok(Command::Auth {
            mechanism: "PLAIN",
            initial: Some(InitialResponse::Base64("dGVzdAB0ZXN0ADEyMzQ="))
        })
    );
    assert_eq!(
        parse("AUTH EXTERNAL ="),
        Ok(Command::Auth {
            mechanism: "EXTERNAL",
            initial: Some(InitialResponse::Empty)
        })
    );
    assert_eq!(
        parse("AUTH LOGIN"),
        Ok(Command::Auth {
            mechanism: "LOGIN",
            initial: None
        })
    );
    assert_eq!(
        parse("AUTH SCRAM-SHA-256"),
        Ok(Command::Auth {
            mechanism: "SCRAM-SHA-256",
            initial: None
        })
    );
    for bad in [
        "AUTH",
        "AUTH PLAIN !!!",
        "AUTH PLAIN abc",
        "AUTH PLAIN a=bc",
        "AUTH TOOLONGMECHANISMNAME123",
        "AUTH PL*IN",
    ] {
        assert_eq!(kind(bad, STRICT), CommandErrorKind::Syntax, "{bad}");
    }
}

#[test]
fn ext03_ext04_parameters_through_the_command() {
    let Ok(Command::Mail { params, .. }) = parse("MAIL FROM:<a@b.example> FOO=bar") else {
        panic!()
    };
    assert_eq!(
        params.unknown.map(|u| u.keyword),
        Some("FOO"),
        "unknown but well-formed: kept for a 555"
    );
    for bad in [
        "MAIL FROM:<a@b.example> -X=1",
        "MAIL FROM:<a@b.example> FOO=a=b",
        "MAIL FROM:<a@b.example> SIZE =1",
    ] {
        assert!(
            matches!(kind(bad, STRICT), CommandErrorKind::Parameter(_)),
            "{bad}"
        );
        assert_eq!(code(bad.as_bytes(), STRICT), (501, "5.5.4".into()), "{bad}");
    }
    // A value on SMTPUTF8 is an error with the `smtputf8` feature; without
    // it SMTPUTF8 is one more unknown parameter (a server answers 555).
    let smtputf8_yes = "MAIL FROM:<a@b.example> SMTPUTF8=yes";
    #[cfg(feature = "smtputf8")]
    assert!(matches!(
        kind(smtputf8_yes, STRICT),
        CommandErrorKind::Parameter(_)
    ));
    #[cfg(not(feature = "smtputf8"))]
    {
        let Ok(Command::Mail { params, .. }) = parse(smtputf8_yes) else {
            panic!()
        };
        assert_eq!(params.unknown.map(|u| u.keyword), Some("SMTPUTF8"));
    }
    // AUT-09: AUTH= on MAIL, xtext decoded.
    let Ok(Command::Mail { params, .. }) =
        parse("MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com")
    else {
        panic!()
    };
    assert!(params.auth.is_some());
    assert!(parse("MAIL FROM:<a@b.example> AUTH=x+0Ay").is_err());
}

#[test]
fn d15_other_protocols_close_the_session() {
    for line in [
        "GET / HTTP/1.1",
        "POST /x HTTP/1.0",
        "CONNECT mx.example:25 HTTP/1.1",
        "Host: mx.example",
        "User-Agent: curl",
    ] {
        let e = parse(line).expect_err(line);
        assert_eq!(e.kind, CommandErrorKind::CrossProtocol, "{line}");
        assert!(e.closes_session(), "{line}");
    }
    assert!(!parse("FOO").unwrap_err().closes_session());
}

#[test]
fn writer_produces_the_rfc_forms() {
    let m = Mailbox::parse("alice@example.org", false).unwrap();
    let r = Mailbox::parse("bob@example.net", false).unwrap();
    let mail = Command::Mail {
        from: ReversePath::Mailbox(m),
        params: Default::default(),
    };
    assert_eq!(written(&mail), "MAIL FROM:<alice@example.org>\r\n");
    let null = Command::Mail {
        from: ReversePath::Null,
        params: Default::default(),
    };
    assert_eq!(written(&null), "MAIL FROM:<>\r\n");
    let rcpt = Command::Rcpt {
        to: ForwardPath::Mailbox(r),
        params: Default::default(),
    };
    assert_eq!(written(&rcpt), "RCPT TO:<bob@example.net>\r\n");
    assert_eq!(
        written(&Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: Default::default()
        }),
        "RCPT TO:<Postmaster>\r\n"
    );
    assert_eq!(
        written(&Command::Bdat {
            size: 69,
            last: true
        }),
        "BDAT 69 LAST\r\n"
    );
    assert_eq!(
        written(&Command::Bdat {
            size: 100000,
            last: false
        }),
        "BDAT 100000\r\n"
    );
    assert_eq!(
        written(&Command::Auth {
            mechanism: "EXTERNAL",
            initial: Some(InitialResponse::Empty)
        }),
        "AUTH EXTERNAL =\r\n"
    );
    assert_eq!(written(&Command::StartTls), "STARTTLS\r\n");
    assert_eq!(written(&Command::Noop(None)), "NOOP\r\n");
}

#[test]
fn inj_writer_refuses_control_bytes_and_bad_grammar() {
    let mut buf = [0u8; 256];
    let bad: &[Command<'_>] = &[
        Command::Vrfy("x\r\nRSET"),
        Command::Vrfy("x\nRSET"),
        Command::Vrfy("x\0"),
        Command::Vrfy(""),
        Command::Expn(" leading"),
        Command::Help(Some("a\rb")),
        Command::Noop(Some("")),
        Command::Auth {
            mechanism: "PL AIN",
            initial: None,
        },
        Command::Auth {
            mechanism: "PLAIN\r\nQUIT",
            initial: None,
        },
        Command::Auth {
            mechanism: "PLAIN",
            initial: Some(InitialResponse::Base64("abc")),
        },
        Command::Auth {
            mechanism: "PLAIN",
            initial: Some(InitialResponse::Base64("AAAA\r\n")),
        },
    ];
    for cmd in bad {
        assert!(
            matches!(cmd.write(&mut buf), Err(WriteError::Invalid(_))),
            "{cmd:?}"
        );
    }
    // Addresses with CR/LF cannot even be built (INJ-01).
    assert!(Mailbox::parse("a@b>\r\nRCPT TO:<v@x>", false).is_err());
    assert_eq!(
        Command::Vrfy("x\r\n").write(&mut buf),
        Err(WriteError::Invalid(Invalid::ControlByte))
    );
}

#[test]
fn short_buffer_reports_the_room_needed() {
    let mut buf = [0u8; 5];
    assert_eq!(
        Command::Data.write(&mut buf),
        Err(WriteError::BufferTooSmall { needed: 6 })
    );
    let mut buf = [0u8; 6];
    assert_eq!(Command::Data.write(&mut buf), Ok(6));
}

fn domain() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]([a-z0-9-]{0,6}[a-z0-9])?){0,3}"
}

fn mailbox() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[A-Za-z0-9_+-]{1,8}){0,2}",
            "\"([ !#-\\[\\]-~]|\\\\[ -~]){0,12}\"",
        ],
        prop_oneof![
            domain(),
            "\\[(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}\\]"
        ],
    )
        .prop_map(|(l, d)| format!("{l}@{d}"))
}

fn mail_params() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(" BODY=8BITMIME".to_string()),
            Just(" BODY=7BIT".to_string()),
            Just(" SMTPUTF8".to_string()),
            Just(" RET=HDRS".to_string()),
            Just(" REQUIRETLS".to_string()),
            (0u64..u64::MAX).prop_map(|n| format!(" SIZE={n}")),
            "[!-*,-<>-~]{1,20}".prop_map(|v| format!(" ENVID={v}")),
            "X-[A-Z0-9]{1,6}(=[!-<>-~]{1,8})?".prop_map(|p| format!(" {p}")),
        ],
        0..4,
    )
    .prop_map(|v| {
        // Each keyword at most once (duplicates are an error, tested elsewhere),
        // and one unknown parameter at most (only the first is kept for the 555).
        let mut keys: Vec<String> = Vec::new();
        let mut out = String::new();
        for p in v {
            let key = if p.starts_with(" X-") {
                " X-".to_string()
            } else {
                p.split('=').next().unwrap().to_string()
            };
            if !keys.contains(&key) {
                keys.push(key);
                out.push_str(&p);
            }
        }
        out
    })
}

fn command_line() -> impl Strategy<Value = String> {
    prop_oneof![
        domain().prop_map(|d| format!("EHLO {d}")),
        domain().prop_map(|d| format!("HELO {d}")),
        domain().prop_map(|d| format!("LHLO {d}")),
        (mailbox(), mail_params()).prop_map(|(m, p)| format!("MAIL FROM:<{m}>{p}")),
        mail_params().prop_map(|p| format!("MAIL FROM:<>{p}")),
        (
            mailbox(),
            prop_oneof![
                Just(""),
                Just(" NOTIFY=SUCCESS,DELAY"),
                Just(" NOTIFY=NEVER")
            ]
        )
            .prop_map(|(m, p)| format!("RCPT TO:<{m}>{p}")),
        Just("RCPT TO:<Postmaster>".to_string()),
        Just("DATA".to_string()),
        (0u64..u64::MAX, any::<bool>())
            .prop_map(|(n, l)| format!("BDAT {n}{}", if l { " LAST" } else { "" })),
        Just("RSET".to_string()),
        "[!-~]{1,10}( [!-~]{1,10})?".prop_map(|s| format!("VRFY {s}")),
        "[!-~]{1,10}".prop_map(|s| format!("EXPN {s}")),
        proptest::option::of("[!-~]{1,10}")
            .prop_map(|s| s.map_or("HELP".into(), |s| format!("HELP {s}"))),
        proptest::option::of("[!-~]{1,10}")
            .prop_map(|s| s.map_or("NOOP".into(), |s| format!("NOOP {s}"))),
        Just("QUIT".to_string()),
        Just("STARTTLS".to_string()),
        (
            "[A-Z0-9_-]{1,20}",
            proptest::option::of(prop_oneof![
                Just("=".to_string()),
                "([A-Za-z0-9+/]{4}){1,8}"
            ])
        )
            .prop_map(|(m, r)| r.map_or(format!("AUTH {m}"), |r| format!("AUTH {m} {r}"))),
    ]
}

proptest! {
    /// write → parse is the identity, and the canonical line writes back byte for byte.
    #[test]
    fn write_parse_round_trip(line in command_line()) {
        let cmd = Command::parse(line.as_bytes(), STRICT);
        prop_assert!(cmd.is_ok(), "generated line must parse: {line}: {:?}", cmd);
        let cmd = cmd.unwrap();
        let mut buf = [0u8; 2048];
        let n = cmd.write(&mut buf).unwrap();
        prop_assert_eq!(&buf[n - 2..n], b"\r\n");
        let again = Command::parse(&buf[..n - 2], STRICT).unwrap();
        prop_assert_eq!(cmd, again);
    }

    /// The parser never panics and never accepts a line with a control byte.
    #[test]
    fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200), lenient in any::<bool>()) {
        let opts = if lenient { LENIENT } else { STRICT };
        if let Ok(cmd) = Command::parse(&line, opts) {
            prop_assert!(!line.iter().any(|&b| b < 0x20 || b == 0x7f), "accepted a control byte: {:?}", cmd);
        }
    }
}

#[test]
fn inj02_inj05_hello_names_and_parameters_cannot_carry_line_breaks() {
    use embedded_smtp::syntax::{Host, XText};
    // INJ-05: the EHLO name must be a Domain or an address literal.
    for name in [
        "h\r\nMAIL FROM:<x@y>",
        "h h",
        "_bad",
        "h\n",
        "h\r",
        "h\0",
        "",
    ] {
        assert!(Host::parse(name, false).is_err(), "{name:?}");
        assert!(Host::parse(name, true).is_err(), "{name:?}");
    }
    // INJ-02: a lone CR, LF or NUL in an address or a parameter value.
    for addr in [
        "a\r@b.example",
        "a@b\n.example",
        "a\0@b.example",
        "\"a\rb\"@c.example",
    ] {
        assert!(Mailbox::parse(addr, false).is_err(), "{addr:?}");
        assert!(Mailbox::parse(addr, true).is_err(), "{addr:?}");
    }
    for v in [&b"a\rb"[..], b"a\nb", b"a\0b"] {
        assert!(XText::from_plain(v).is_err(), "{v:?}");
    }
}
