//! MAIL/RCPT parameter parsing: RFC tables and docs/rules.md rows EXT-01,
//! EXT-03, EXT-04, EXT-08 and AUT-09. Writers are in `params_write.rs`,
//! round trips in `params_props.rs`.
//!
//! RET, ENVID, NOTIFY and ORCPT are known only with the `dsn` feature,
//! SMTPUTF8 only with `smtputf8`: their tests are gated on it, and the
//! `*_without_*` tests check that a build without it takes them as unknown
//! parameters (a server answers 555).

use embedded_smtp::built;
use embedded_smtp::syntax::ParseOptions;
#[cfg(feature = "dsn")]
use embedded_smtp::syntax::WriteError;
#[cfg(feature = "dsn")]
use embedded_smtp::syntax::params::Ret;
#[cfg(feature = "dsn")]
use embedded_smtp::syntax::params::xtext::XText;
use embedded_smtp::syntax::params::{
    Body, By, ByMode, Hold, MailAuth, MailParameters, Notify, ParamError, RcptParameters,
    UnknownParam,
};

const STRICT: ParseOptions = ParseOptions::STRICT;

fn lenient() -> ParseOptions {
    STRICT.lenient()
}

fn mail(s: &str) -> Result<MailParameters<'_>, ParamError> {
    MailParameters::parse(s, STRICT)
}

fn rcpt(s: &str) -> Result<RcptParameters<'_>, ParamError> {
    RcptParameters::parse(s, STRICT)
}

#[cfg(feature = "dsn")]
fn xt(plain: &[u8]) -> XText<'_> {
    XText::from_plain(plain).unwrap()
}

#[cfg(feature = "dsn")]
fn write_mail(p: &MailParameters<'_>) -> Result<String, WriteError> {
    let mut buf = [0u8; 2048];
    let n = p.write(&mut buf)?;
    Ok(String::from_utf8(buf[..n].to_vec()).unwrap())
}

#[cfg(feature = "dsn")]
fn write_rcpt(p: &RcptParameters<'_>) -> Result<String, WriteError> {
    let mut buf = [0u8; 2048];
    let n = p.write(&mut buf)?;
    Ok(String::from_utf8(buf[..n].to_vec()).unwrap())
}

// ---- EXT-01: SIZE -------------------------------------------------------

#[test]
fn ext01_size() {
    assert_eq!(mail(" SIZE=abc"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" SIZE="), Err(ParamError::Syntax));
    assert_eq!(mail(" SIZE=1 SIZE=2"), Err(ParamError::Duplicate));
    assert_eq!(mail(" SIZE=1 size=1"), Err(ParamError::Duplicate));
    assert_eq!(mail(" SIZE"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" SIZE=-1"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" SIZE=1.5"), Err(ParamError::InvalidValue));
    let big = " SIZE=123456789012345678901234567890";
    assert_eq!(mail(big).unwrap().size, Some(u64::MAX));
    assert_eq!(
        mail(" SIZE=18446744073709551615").unwrap().size,
        Some(u64::MAX)
    );
    assert_eq!(
        mail(" SIZE=18446744073709551616").unwrap().size,
        Some(u64::MAX)
    );
    assert_eq!(mail(" SIZE=0").unwrap().size, Some(0));
    assert_eq!(mail(" SIZE=000123").unwrap().size, Some(123));
}

// ---- EXT-03: unknown parameters and esmtp-param syntax ------------------

#[test]
fn ext03_unknown_and_syntax() {
    let foo = UnknownParam {
        keyword: "FOO",
        value: Some("bar"),
    };
    assert_eq!(mail(" FOO=bar").unwrap().unknown, Some(foo));
    assert_eq!(rcpt(" FOO=bar").unwrap().unknown, Some(foo));
    let xfoo = UnknownParam {
        keyword: "X-FOO",
        value: None,
    };
    assert_eq!(mail(" X-FOO").unwrap().unknown, Some(xfoo));
    for bad in [
        " -X=1",
        " FOO=a=b",
        " SIZE =1",
        " =1",
        " FOO=",
        " F_O",
        " FOO=a\tb",
        " FOO=a\0",
    ] {
        assert_eq!(mail(bad), Err(ParamError::Syntax), "{bad:?}");
        assert_eq!(rcpt(bad), Err(ParamError::Syntax), "{bad:?}");
    }
    // The first unknown is kept; later ones are checked for syntax only.
    let p = mail(" A=1 SIZE=5 B-2=x 9").unwrap();
    assert_eq!(
        p.unknown,
        Some(UnknownParam {
            keyword: "A",
            value: Some("1")
        })
    );
    assert_eq!(p.size, Some(5));
    assert_eq!(mail(" A=1 B=x=y"), Err(ParamError::Syntax));
    // An unknown keyword may repeat.
    assert!(mail(" A=1 A=2").is_ok());
    // A keyword may start with a digit and hold dashes.
    assert_eq!(mail(" 8-X-").unwrap().unknown.unwrap().keyword, "8-X-");
    // Every esmtp-value character except "=" is allowed.
    let all: String = (33u8..=126)
        .filter(|&b| b != b'=')
        .map(char::from)
        .collect();
    let line = format!(" X={all}");
    assert_eq!(
        mail(&line).unwrap().unknown.unwrap().value,
        Some(all.as_str())
    );
}

#[test]
fn parameters_of_the_other_command_are_unknown() {
    let p = mail(" NOTIFY=SUCCESS").unwrap();
    assert_eq!(
        p.unknown,
        Some(UnknownParam {
            keyword: "NOTIFY",
            value: Some("SUCCESS")
        })
    );
    assert_eq!(
        mail(" ORCPT=rfc822;a@b").unwrap().unknown.unwrap().keyword,
        "ORCPT"
    );
    for kw in [
        " SIZE=1",
        " BODY=8BITMIME",
        " SMTPUTF8",
        " RET=FULL",
        " ENVID=x",
        " AUTH=<>",
    ] {
        let p = rcpt(kw).unwrap();
        assert!(
            p.unknown.is_some() && p.notify.is_none() && p.orcpt.is_none(),
            "{kw}"
        );
    }
    // Syntax of the value is not checked for an unknown keyword.
    assert!(rcpt(" SIZE=abc").unwrap().unknown.is_some());
}

// ---- EXT-04: value-less keywords -----------------------------------------

#[test]
fn ext04_flags_take_no_value() {
    assert_eq!(mail(" REQUIRETLS=1"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" REQUIRETLS requiretls"), Err(ParamError::Duplicate));
    let p = mail(" REQUIRETLS").unwrap();
    assert!(p.requiretls && p.unknown.is_none());
}

#[cfg(feature = "smtputf8")]
#[test]
fn ext04_smtputf8_takes_no_value() {
    assert_eq!(mail(" SMTPUTF8=yes"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" SMTPUTF8 SMTPUTF8"), Err(ParamError::Duplicate));
    let p = mail(" SMTPUTF8 REQUIRETLS").unwrap();
    assert!(p.smtputf8 && p.requiretls);
}

/// Without the `smtputf8` feature SMTPUTF8 is an unknown parameter: kept
/// (the server answers 555), never a flag, and the writer refuses the flag.
#[cfg(not(feature = "smtputf8"))]
#[test]
fn smtputf8_is_unknown_without_smtputf8() {
    let p = mail(" SMTPUTF8 REQUIRETLS").unwrap();
    assert!(!p.smtputf8 && p.requiretls);
    assert_eq!(
        p.unknown,
        Some(UnknownParam {
            keyword: "SMTPUTF8",
            value: None
        })
    );
    // No value check, no duplicate check: an unknown keyword may repeat.
    let p = mail(" smtputf8=yes SMTPUTF8").unwrap();
    assert!(!p.smtputf8);
    assert_eq!(p.unknown.unwrap().value, Some("yes"));
    let utf8 = ParseOptions::STRICT.utf8(true);
    assert!(!MailParameters::parse(" SMTPUTF8", utf8).unwrap().smtputf8);
    let flag = MailParameters {
        smtputf8: true,
        ..Default::default()
    };
    let mut buf = [0u8; 64];
    assert_eq!(
        flag.write(&mut buf),
        Err(embedded_smtp::syntax::WriteError::Invalid(
            embedded_smtp::syntax::Invalid::NotBuilt
        ))
    );
}

// ---- EXT-08: NOTIFY -------------------------------------------------------

#[cfg(feature = "dsn")]
#[test]
fn ext08_notify() {
    for bad in [
        "NEVER,SUCCESS",
        "SUCCESS,NEVER",
        "BOGUS",
        "SUCCESS,",
        ",SUCCESS",
        "SUCCESS,,DELAY",
    ] {
        let line = format!(" NOTIFY={bad}");
        assert_eq!(rcpt(&line), Err(ParamError::InvalidValue), "{bad}");
    }
    assert_eq!(rcpt(" NOTIFY="), Err(ParamError::Syntax));
    assert_eq!(rcpt(" NOTIFY"), Err(ParamError::InvalidValue));
    assert_eq!(
        rcpt(" NOTIFY=NEVER NOTIFY=NEVER"),
        Err(ParamError::Duplicate)
    );
    assert_eq!(
        rcpt(" NOTIFY=SUCCESS notify=FAILURE"),
        Err(ParamError::Duplicate)
    );
    let table = [
        ("success,failure", Notify::SUCCESS | Notify::FAILURE),
        ("NEVER", Notify::NEVER),
        ("never", Notify::NEVER),
        ("NEVER,NEVER", Notify::NEVER),
        ("Delay", Notify::DELAY),
        (
            "DELAY,FAILURE,SUCCESS",
            Notify::SUCCESS.union(Notify::FAILURE).union(Notify::DELAY),
        ),
        ("SUCCESS,SUCCESS", Notify::SUCCESS),
    ];
    for (v, want) in table {
        assert_eq!(
            rcpt(&format!(" NOTIFY={v}")).unwrap().notify,
            Some(want),
            "{v}"
        );
    }
}

#[test]
fn notify_set() {
    let all = Notify::SUCCESS | Notify::FAILURE | Notify::DELAY;
    assert!(all.success() && all.failure() && all.delay() && !all.is_never());
    assert!(Notify::NEVER.is_never());
    assert!(!Notify::NEVER.success() && !Notify::NEVER.failure() && !Notify::NEVER.delay());
    assert_eq!(Notify::NEVER | Notify::DELAY, Notify::DELAY);
    assert_ne!(Notify::SUCCESS, Notify::FAILURE);
}

// ---- AUT-09: AUTH= on MAIL ---------------------------------------------

#[test]
fn aut09_mail_auth() {
    assert_eq!(mail(" AUTH=<>").unwrap().auth, Some(MailAuth::Empty));
    let p = mail(" AUTH=e+3Dmc2@example.com").unwrap();
    let Some(MailAuth::Mailbox(x)) = p.auth else {
        panic!("{p:?}")
    };
    let mut out = [0u8; 64];
    assert_eq!(x.decode_into(&mut out).unwrap(), b"e=mc2@example.com");
    assert_eq!(mail(" AUTH=x+0Ay"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" AUTH=x+0D+0Ay"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" AUTH=x+3dy"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" AUTH=<> AUTH=<>"), Err(ParamError::Duplicate));
    assert_eq!(mail(" AUTH"), Err(ParamError::InvalidValue));
}

// ---- RFC 3461 §9 example envelope ------------------------------------------

#[cfg(feature = "dsn")]
#[test]
fn rfc3461_examples() {
    let m = mail(" RET=HDRS ENVID=QQ314159").unwrap();
    assert_eq!(m.ret, Some(Ret::Hdrs));
    assert_eq!(m.envid, Some(xt(b"QQ314159")));
    assert_eq!(write_mail(&m).unwrap(), " RET=HDRS ENVID=QQ314159");
    let rows = [
        (
            " NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM",
            Notify::SUCCESS,
            Some("Bob@Example.COM"),
        ),
        (
            " NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU",
            Notify::FAILURE,
            Some("Carol@Ivory.EDU"),
        ),
        (
            " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU",
            Notify::SUCCESS | Notify::FAILURE,
            Some("Dana@Ivory.EDU"),
        ),
        (" NOTIFY=NEVER", Notify::NEVER, None),
    ];
    for (line, notify, orcpt) in rows {
        let r = rcpt(line).unwrap();
        assert_eq!(r.notify, Some(notify), "{line}");
        assert_eq!(r.orcpt.map(|o| o.addr_type), orcpt.map(|_| "rfc822"));
        assert_eq!(r.orcpt.map(|o| o.address), orcpt.map(|a| xt(a.as_bytes())));
        assert_eq!(write_rcpt(&r).unwrap(), line);
    }
}

#[cfg(feature = "dsn")]
#[test]
fn ret_envid_orcpt_values() {
    assert_eq!(mail(" RET=full").unwrap().ret, Some(Ret::Full));
    assert_eq!(mail(" RET=BODY"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" RET=FULL RET=HDRS"), Err(ParamError::Duplicate));
    assert_eq!(mail(" ENVID=a+0Db"), Err(ParamError::InvalidValue));
    assert_eq!(mail(" ENVID=a+2B ENVID=b"), Err(ParamError::Duplicate));
    let e100 = format!(" ENVID={}", "e".repeat(100));
    assert_eq!(mail(&e100).unwrap().envid.unwrap().decoded_len(), 100);
    let e101 = format!(" ENVID={}", "e".repeat(101));
    assert_eq!(mail(&e101), Err(ParamError::InvalidValue));
    // ORCPT: addr-type is an atom, then ";" and xtext (possibly empty).
    let o = rcpt(" ORCPT=utf-8;").unwrap().orcpt.unwrap();
    assert_eq!((o.addr_type, o.address.is_empty()), ("utf-8", true));
    let o = rcpt(" ORCPT=rfc822;a;b").unwrap().orcpt.unwrap();
    assert_eq!(o.address, xt(b"a;b"));
    for bad in ["rfc822", ";a@b", "rf@c;a@b", "rfc822;a+0Ab", "rfc822;a+2x"] {
        assert_eq!(
            rcpt(&format!(" ORCPT={bad}")),
            Err(ParamError::InvalidValue),
            "{bad}"
        );
    }
    let ok500 = format!(" ORCPT=rfc822;{}", "a".repeat(493));
    assert!(rcpt(&ok500).is_ok());
    let long = format!(" ORCPT=rfc822;{}", "a".repeat(494));
    assert_eq!(rcpt(&long), Err(ParamError::InvalidValue));
    assert_eq!(rcpt(" ORCPT=a;b ORCPT=a;b"), Err(ParamError::Duplicate));
}

#[test]
fn body_values() {
    let table = [
        ("7BIT", Body::SevenBit),
        ("7bit", Body::SevenBit),
        ("8BITMIME", Body::EightBitMime),
        ("8bitMime", Body::EightBitMime),
        ("BINARYMIME", Body::BinaryMime),
        ("binarymime", Body::BinaryMime),
    ];
    for (v, want) in table {
        assert_eq!(mail(&format!(" BODY={v}")).unwrap().body, Some(want), "{v}");
    }
    for bad in ["9BIT", "8BIT", "7BITS", "MIME"] {
        assert_eq!(
            mail(&format!(" BODY={bad}")),
            Err(ParamError::InvalidValue),
            "{bad}"
        );
    }
    assert_eq!(mail(" BODY=7BIT BODY=7BIT"), Err(ParamError::Duplicate));
}

#[test]
fn mt_priority_values() {
    for n in -9i8..=9 {
        assert_eq!(
            mail(&format!(" MT-PRIORITY={n}")).unwrap().mt_priority,
            Some(n)
        );
    }
    assert_eq!(mail(" MT-PRIORITY=+4").unwrap().mt_priority, Some(4));
    assert_eq!(mail(" MT-PRIORITY=-0").unwrap().mt_priority, Some(0));
    for bad in ["12", "10", "-10", "+", "-", "a", "++1", "1-"] {
        let line = format!(" MT-PRIORITY={bad}");
        assert_eq!(mail(&line), Err(ParamError::InvalidValue), "{bad}");
    }
}

#[test]
fn by_values() {
    let by = |time, mode, trace| Some(By { time, mode, trace });
    let table = [
        ("120;R", by(120, ByMode::Return, false)),
        ("+120;r", by(120, ByMode::Return, false)),
        ("-5;N", by(-5, ByMode::Notify, false)),
        ("0;nt", by(0, ByMode::Notify, true)),
        ("999999999;RT", by(999_999_999, ByMode::Return, true)),
        ("-999999999;Nt", by(-999_999_999, ByMode::Notify, true)),
    ];
    for (v, want) in table {
        assert_eq!(mail(&format!(" BY={v}")).unwrap().by, want, "{v}");
    }
    for bad in [
        "1234567890;R",
        "120",
        "120;",
        "120;X",
        "120;RTT",
        ";R",
        "a;R",
        "12;TR",
    ] {
        assert_eq!(
            mail(&format!(" BY={bad}")),
            Err(ParamError::InvalidValue),
            "{bad}"
        );
    }
}

#[test]
fn hold_values() {
    assert_eq!(mail(" HOLDFOR=3600").unwrap().hold, Some(Hold::For(3600)));
    assert_eq!(
        mail(" HOLDFOR=999999999").unwrap().hold,
        Some(Hold::For(999_999_999))
    );
    for bad in ["1000000000", "-1", "1h", "+5"] {
        assert_eq!(
            mail(&format!(" HOLDFOR={bad}")),
            Err(ParamError::InvalidValue),
            "{bad}"
        );
    }
    for ok in [
        "2026-11-25T12:00:00Z",
        "2026-11-25t12:00:00z",
        "2026-11-25T12:00:00+01:00",
        "2026-11-25T23:59:60.123-08:30",
        "0000-01-01T00:00:00Z",
    ] {
        assert_eq!(
            mail(&format!(" HOLDUNTIL={ok}")).unwrap().hold,
            Some(Hold::Until(ok))
        );
    }
    for bad in [
        "2026-11-25",
        "2026-11-25T12:00:00",
        "2026-13-25T12:00:00Z",
        "2026-00-25T12:00:00Z",
        "2026-11-32T12:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T12:60:00Z",
        "2026-11-25T12:00:61Z",
        "2026-11-25T12:00:00.Z",
        "2026-11-25T12:00:00+1:00",
        "2026-11-25T12:00:00+0100",
        "2026-11-25T12:00:00+24:00",
        "26-11-25T12:00:00Z",
        "2026-11-25T12:00:00ZZ",
    ] {
        assert_eq!(
            mail(&format!(" HOLDUNTIL={bad}")),
            Err(ParamError::InvalidValue),
            "{bad}"
        );
    }
    // A space ends the value: what follows is a stray token.
    assert_eq!(
        mail(" HOLDUNTIL=2026-11-25 12:00:00Z"),
        Err(ParamError::Syntax)
    );
    assert_eq!(mail(" BY=1 2;R"), Err(ParamError::Syntax));
    assert_eq!(
        mail(" HOLDFOR=1 HOLDUNTIL=2026-11-25T12:00:00Z"),
        Err(ParamError::Duplicate)
    );
    assert_eq!(
        mail(" HOLDUNTIL=2026-11-25T12:00:00Z HOLDFOR=1"),
        Err(ParamError::Duplicate)
    );
    assert_eq!(mail(" HOLDFOR=1 HOLDFOR=1"), Err(ParamError::Duplicate));
}

// ---- spacing, case, non-ASCII ---------------------------------------------

#[test]
fn strict_and_lenient_spacing() {
    assert!(mail("").unwrap().is_empty());
    assert!(rcpt("").unwrap().is_empty());
    for bad in [
        " ",
        "  SIZE=1",
        " SIZE=1  BODY=7BIT",
        " SIZE=1 ",
        "SIZE=1",
        "\tSIZE=1",
    ] {
        assert_eq!(mail(bad), Err(ParamError::Syntax), "{bad:?}");
    }
    for (s, size) in [
        ("   ", None),
        ("  SIZE=1", Some(1)),
        (" SIZE=1   BODY=7BIT  ", Some(1)),
    ] {
        let p = MailParameters::parse(s, lenient()).unwrap();
        assert_eq!(p.size, size, "{s:?}");
    }
    let r = RcptParameters::parse("  NOTIFY=NEVER   ", lenient()).unwrap();
    #[cfg(feature = "dsn")]
    assert_eq!(r.notify, Some(Notify::NEVER));
    #[cfg(not(feature = "dsn"))]
    assert_eq!(r.unknown.map(|u| u.value), Some(Some("NEVER")));
    let r = RcptParameters::parse("  X-A=1   X-B  ", lenient()).unwrap();
    assert_eq!(r.unknown.map(|u| u.keyword), Some("X-A"));
    assert_eq!(
        MailParameters::parse("SIZE=1", lenient()),
        Err(ParamError::Syntax)
    );
    assert_eq!(
        MailParameters::parse(" SIZE=1\t", lenient()),
        Err(ParamError::Syntax)
    );
}

#[test]
fn every_keyword_in_every_case() {
    // The keywords this build knows (the others are unknown parameters:
    // see the `*_without_*` tests).
    let mail_rows = [
        ("SIZE=1", true),
        ("BODY=7BIT", true),
        ("SMTPUTF8", built::SMTPUTF8),
        ("RET=FULL", built::DSN),
        ("ENVID=x", built::DSN),
        ("AUTH=<>", true),
        ("REQUIRETLS", true),
        ("MT-PRIORITY=1", true),
        ("BY=1;R", true),
        ("HOLDFOR=1", true),
        ("HOLDUNTIL=2026-11-25T12:00:00Z", true),
    ]
    .into_iter()
    .filter_map(|(row, known)| known.then_some(row));
    let mixed = |s: &str| -> String {
        s.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect()
    };
    for row in mail_rows {
        for variant in [row.to_string(), row.to_ascii_lowercase(), mixed(row)] {
            let line = format!(" {variant}");
            let p = mail(&line).unwrap();
            assert!(p.unknown.is_none() && !p.is_empty(), "{line}");
            if let Some(Hold::Until(v)) = p.hold {
                assert!(v.eq_ignore_ascii_case("2026-11-25T12:00:00Z"));
            } else {
                assert_eq!(p, mail(&format!(" {row}")).unwrap(), "{line}");
            }
        }
    }
    let rcpt_rows = if built::DSN {
        &["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;a@b"][..]
    } else {
        &[]
    };
    for row in rcpt_rows {
        for variant in [row.to_ascii_lowercase(), mixed(row)] {
            let line = format!(" {variant}");
            let p = rcpt(&line).unwrap();
            assert!(p.unknown.is_none() && !p.is_empty(), "{line}");
        }
    }
}

#[test]
fn non_ascii() {
    assert_eq!(mail(" FOO=ü"), Err(ParamError::NonAscii));
    assert_eq!(rcpt(" NOTIFY=NEVER X=ü"), Err(ParamError::NonAscii));
    let utf8 = STRICT.utf8(true);
    let p = MailParameters::parse(" FOO=ü", utf8).unwrap();
    assert_eq!(
        p.unknown,
        Some(UnknownParam {
            keyword: "FOO",
            value: Some("ü")
        })
    );
    #[cfg(feature = "dsn")]
    assert_eq!(
        MailParameters::parse(" ENVID=ü", utf8),
        Err(ParamError::InvalidValue)
    );
    #[cfg(not(feature = "dsn"))]
    assert_eq!(
        MailParameters::parse(" ENVID=ü", utf8).map(|p| p.unknown),
        Ok(Some(UnknownParam {
            keyword: "ENVID",
            value: Some("ü")
        }))
    );
    assert_eq!(
        MailParameters::parse(" SIZE=١", utf8),
        Err(ParamError::InvalidValue)
    );
    assert_eq!(
        MailParameters::parse(" FÖO=1", utf8),
        Err(ParamError::Syntax)
    );
}

#[test]
fn error_display() {
    for e in [
        ParamError::Syntax,
        ParamError::InvalidValue,
        ParamError::Duplicate,
        ParamError::NonAscii,
    ] {
        assert!(!e.to_string().is_empty());
        let _: &dyn core::error::Error = &e;
    }
}

/// Without the `dsn` feature RET, ENVID, NOTIFY and ORCPT are unknown
/// parameters: kept as they came (the server answers 555 5.5.4), their
/// values unchecked; the writers refuse the typed fields.
#[cfg(not(feature = "dsn"))]
#[test]
fn dsn_parameters_are_unknown_without_dsn() {
    use embedded_smtp::syntax::params::xtext::XText;
    use embedded_smtp::syntax::params::{Orcpt, Ret};
    use embedded_smtp::syntax::{Invalid, WriteError};
    let p = mail(" RET=HDRS ENVID=QQ314159").unwrap();
    assert_eq!((p.ret, p.envid), (None, None));
    assert_eq!(
        p.unknown,
        Some(UnknownParam {
            keyword: "RET",
            value: Some("HDRS")
        })
    );
    assert_eq!(mail(" ENVID=x").unwrap().unknown.unwrap().keyword, "ENVID");
    // Values outside the RFC 3461 grammar and repeats are not errors then.
    assert!(mail(" RET=BODY RET=FULL").is_ok());
    let r = rcpt(" NOTIFY=NEVER,SUCCESS ORCPT=rfc822;a@b").unwrap();
    assert_eq!((r.notify, r.orcpt), (None, None));
    assert_eq!(
        r.unknown,
        Some(UnknownParam {
            keyword: "NOTIFY",
            value: Some("NEVER,SUCCESS")
        })
    );
    assert_eq!(rcpt(" orcpt=x").unwrap().unknown.unwrap().keyword, "orcpt");

    let refused = Err(WriteError::Invalid(Invalid::NotBuilt));
    let mut buf = [0u8; 128];
    let xt = XText::from_plain(b"id").unwrap();
    let ret = MailParameters {
        ret: Some(Ret::Full),
        ..Default::default()
    };
    assert_eq!(ret.write(&mut buf), refused);
    let envid = MailParameters {
        size: Some(1),
        envid: Some(xt),
        ..Default::default()
    };
    assert_eq!(envid.write(&mut buf), refused);
    let notify = RcptParameters {
        notify: Some(Notify::NEVER),
        ..Default::default()
    };
    assert_eq!(notify.write(&mut buf), refused);
    let orcpt = RcptParameters {
        orcpt: Some(Orcpt {
            addr_type: "rfc822",
            address: xt,
        }),
        ..Default::default()
    };
    assert_eq!(orcpt.write(&mut buf), refused);
    // As unknown parameters they are written as they are.
    let unknown = RcptParameters {
        unknown: Some(UnknownParam {
            keyword: "NOTIFY",
            value: Some("NEVER"),
        }),
        ..Default::default()
    };
    let n = unknown.write(&mut buf).unwrap();
    assert_eq!(&buf[..n], b" NOTIFY=NEVER");
}
