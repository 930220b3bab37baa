//! xtext (RFC 3461 §4, docs/rules.md EXT-10) and the parameter writers
//! (rule D5: values outside their grammar are refused, nothing is written).
//! The DSN parameters (RET, ENVID, NOTIFY, ORCPT) and SMTPUTF8 are written
//! only in a build with their feature (`params.rs` checks the refusal
//! without it).

use embedded_smtp::built;
use embedded_smtp::syntax::params::xtext::XText;
use embedded_smtp::syntax::params::{
    Body, By, ByMode, Hold, MailAuth, MailParameters, Notify, Orcpt, ParamError, RcptParameters,
    Ret, UnknownParam,
};
use embedded_smtp::syntax::{Invalid, ParseOptions, WriteError};

const STRICT: ParseOptions = ParseOptions::STRICT;

fn mail(s: &str) -> Result<MailParameters<'_>, ParamError> {
    MailParameters::parse(s, STRICT)
}

fn rcpt(s: &str) -> Result<RcptParameters<'_>, ParamError> {
    RcptParameters::parse(s, STRICT)
}

fn xt(plain: &[u8]) -> XText<'_> {
    XText::from_plain(plain).unwrap()
}

fn write_mail(p: &MailParameters<'_>) -> Result<String, WriteError> {
    let mut buf = [0u8; 2048];
    let n = p.write(&mut buf)?;
    Ok(String::from_utf8(buf[..n].to_vec()).unwrap())
}

fn write_rcpt(p: &RcptParameters<'_>) -> Result<String, WriteError> {
    let mut buf = [0u8; 2048];
    let n = p.write(&mut buf)?;
    Ok(String::from_utf8(buf[..n].to_vec()).unwrap())
}

fn invalid(i: Invalid) -> Result<String, WriteError> {
    Err(WriteError::Invalid(i))
}

// ---- EXT-10 and xtext -------------------------------------------------------

#[test]
fn ext10_xtext_encoding() {
    let mut buf = [0u8; 64];
    let n = xt(b"a b=c+d").write(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"a+20b+3Dc+2Bd");
    assert_eq!(XText::from_plain(b"a b=c+d\r\n"), Err(Invalid::ControlByte));
    for c in (0u8..0x20).chain([0x7f]) {
        assert_eq!(
            XText::from_plain(&[b'a', c]),
            Err(Invalid::ControlByte),
            "{c:#x}"
        );
    }
    let n = xt(&[0x80, 0xff, b'~', b'!']).write(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"+80+FF~!");
}

#[cfg(feature = "dsn")]
#[test]
fn ext10_xtext_through_the_parameter_writers() {
    let p = MailParameters {
        envid: Some(xt(b"a b=c+d")),
        ..Default::default()
    };
    assert_eq!(write_mail(&p).unwrap(), " ENVID=a+20b+3Dc+2Bd");
    let o = Orcpt {
        addr_type: "rfc822",
        address: xt(b"x y@z"),
    };
    let r = RcptParameters {
        orcpt: Some(o),
        ..Default::default()
    };
    assert_eq!(write_rcpt(&r).unwrap(), " ORCPT=rfc822;x+20y@z");
}

#[test]
fn xtext_grammar_and_equality() {
    for ok in ["", "QQ314159", "a+2Bb", "+7E", "+80+FF", "!~<>;:@"] {
        assert!(XText::from_encoded(ok).is_ok(), "{ok}");
    }
    for bad in [
        "a b", "a=b", "+", "+2", "+2b", "+g0", "+0A", "+0D", "+00", "+7F", "é", "a\r",
    ] {
        assert_eq!(
            XText::from_encoded(bad),
            Err(ParamError::InvalidValue),
            "{bad:?}"
        );
    }
    assert_eq!(XText::from_encoded("a+2Bb").unwrap(), xt(b"a+b"));
    assert_eq!(
        XText::from_encoded("+41").unwrap(),
        XText::from_encoded("A").unwrap()
    );
    assert_ne!(XText::from_encoded("ab").unwrap(), xt(b"abc"));
    let x = XText::from_encoded("a+2Bb+FF").unwrap();
    assert_eq!((x.decoded_len(), x.encoded_len()), (4, 8));
    assert_eq!(x.decode().collect::<Vec<_>>(), b"a+b\xff");
    let mut small = [0u8; 3];
    assert_eq!(
        x.decode_into(&mut small),
        Err(WriteError::BufferTooSmall { needed: 4 })
    );
    let mut tiny = [0u8; 2];
    assert_eq!(
        x.write(&mut tiny),
        Err(WriteError::BufferTooSmall { needed: 8 })
    );
    let p = xt(b" +=");
    assert_eq!((p.decoded_len(), p.encoded_len()), (3, 9));
    assert!(xt(b"").is_empty() && XText::from_encoded("").unwrap().is_empty());
}

// ---- writers --------------------------------------------------------------

#[test]
fn writer_order_and_forms() {
    // SMTPUTF8, RET and ENVID where this build has them.
    let p = MailParameters {
        size: Some(12345),
        body: Some(Body::BinaryMime),
        smtputf8: built::SMTPUTF8,
        ret: built::DSN.then_some(Ret::Full),
        envid: built::DSN.then(|| xt(b"id=1")),
        auth: Some(MailAuth::Mailbox(xt(b"a+b@c"))),
        requiretls: true,
        mt_priority: Some(-3),
        by: Some(By {
            time: -60,
            mode: ByMode::Notify,
            trace: true,
        }),
        hold: Some(Hold::For(0)),
        unknown: Some(UnknownParam {
            keyword: "X-Y",
            value: None,
        }),
    };
    let want = format!(
        " SIZE=12345 BODY=BINARYMIME{}{} AUTH=a+2Bb@c \
         REQUIRETLS MT-PRIORITY=-3 BY=-60;NT HOLDFOR=0 X-Y",
        if built::SMTPUTF8 { " SMTPUTF8" } else { "" },
        if built::DSN {
            " RET=FULL ENVID=id+3D1"
        } else {
            ""
        },
    );
    assert_eq!(write_mail(&p).unwrap(), want);
    assert_eq!(mail(&want).unwrap(), p);
    assert_eq!(write_mail(&MailParameters::default()).unwrap(), "");
    // NOTIFY and ORCPT where this build has them.
    let r = RcptParameters {
        notify: built::DSN.then_some(Notify::DELAY | Notify::SUCCESS),
        orcpt: built::DSN.then(|| Orcpt {
            addr_type: "rfc822",
            address: xt(b"a@b"),
        }),
        unknown: Some(UnknownParam {
            keyword: "SIZE",
            value: Some("1"),
        }),
    };
    let want = if built::DSN {
        " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a@b SIZE=1"
    } else {
        " SIZE=1"
    };
    assert_eq!(write_rcpt(&r).unwrap(), want);
    assert_eq!(rcpt(want).unwrap(), r);
    let mut small = [0u8; 8];
    let s = MailParameters {
        size: Some(1000),
        ..Default::default()
    };
    assert_eq!(
        s.write(&mut small),
        Err(WriteError::BufferTooSmall { needed: 10 })
    );
}

#[test]
fn writer_refusals() {
    let m = |p: MailParameters<'static>| write_mail(&p);
    let unknown = |keyword, value| MailParameters {
        unknown: Some(UnknownParam { keyword, value }),
        ..Default::default()
    };
    assert_eq!(m(unknown("-X", None)), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("", None)), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("A B", None)), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("SIZE", Some("1"))), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("requiretls", None)), invalid(Invalid::Parameter));
    #[cfg(feature = "smtputf8")]
    assert_eq!(m(unknown("smtputf8", None)), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("X", Some(""))), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("X", Some("a=b"))), invalid(Invalid::Parameter));
    assert_eq!(m(unknown("X", Some("a b"))), invalid(Invalid::Parameter));
    assert_eq!(
        m(unknown("X", Some("a\r\nRSET"))),
        invalid(Invalid::ControlByte)
    );
    assert_eq!(m(unknown("X\n", None)), invalid(Invalid::ControlByte));
    assert_eq!(
        m(unknown("NOTIFY", Some("NEVER"))).unwrap(),
        " NOTIFY=NEVER"
    );

    let auth = |a| MailParameters {
        auth: Some(a),
        ..Default::default()
    };
    assert_eq!(m(auth(MailAuth::Empty)).unwrap(), " AUTH=<>");
    assert_eq!(
        m(auth(MailAuth::Mailbox(xt(b"")))),
        invalid(Invalid::Parameter)
    );
    assert_eq!(
        m(auth(MailAuth::Mailbox(xt(b"<>")))),
        invalid(Invalid::Parameter)
    );
    assert_eq!(
        m(auth(MailAuth::Mailbox(xt(b"< >")))).unwrap(),
        " AUTH=<+20>"
    );

    for (p, ok) in [
        (9, true),
        (-9, true),
        (10, false),
        (-10, false),
        (i8::MIN, false),
    ] {
        let r = m(MailParameters {
            mt_priority: Some(p),
            ..Default::default()
        });
        assert_eq!(r.is_ok(), ok, "{p}");
    }
    let by = |time| MailParameters {
        by: Some(By {
            time,
            mode: ByMode::Return,
            trace: false,
        }),
        ..Default::default()
    };
    assert_eq!(m(by(1_000_000_000)), invalid(Invalid::Parameter));
    assert_eq!(m(by(i32::MIN)), invalid(Invalid::Parameter));
    assert_eq!(m(by(-999_999_999)).unwrap(), " BY=-999999999;R");

    let hold = |h| MailParameters {
        hold: Some(h),
        ..Default::default()
    };
    assert_eq!(
        m(hold(Hold::For(1_000_000_000))),
        invalid(Invalid::Parameter)
    );
    assert_eq!(
        m(hold(Hold::Until("tomorrow"))),
        invalid(Invalid::Parameter)
    );
    assert_eq!(
        m(hold(Hold::Until("2026-11-25T12:00:00Z\r\n"))),
        invalid(Invalid::ControlByte)
    );
    assert_eq!(
        m(hold(Hold::Until("2026-11-25T12:00:00Z"))).unwrap(),
        " HOLDUNTIL=2026-11-25T12:00:00Z"
    );
}

#[cfg(feature = "dsn")]
#[test]
fn writer_refusals_dsn() {
    let m = |p: MailParameters<'static>| write_mail(&p);
    let envid = |x| MailParameters {
        envid: Some(x),
        ..Default::default()
    };
    assert_eq!(m(envid(xt(b""))), invalid(Invalid::Parameter));
    assert_eq!(m(envid(xt(&[b'a'; 100]))).unwrap().len(), 107);
    assert_eq!(m(envid(xt(&[b'a'; 101]))), invalid(Invalid::TooLong));
    assert_eq!(m(envid(xt(&[b' '; 34]))), invalid(Invalid::TooLong));

    let r = |addr_type, address| {
        write_rcpt(&RcptParameters {
            orcpt: Some(Orcpt { addr_type, address }),
            ..Default::default()
        })
    };
    assert_eq!(r("", xt(b"a@b")), invalid(Invalid::Parameter));
    assert_eq!(r("rfc 822", xt(b"a@b")), invalid(Invalid::Parameter));
    assert_eq!(r("rfc=822", xt(b"a@b")), invalid(Invalid::Parameter));
    assert_eq!(r("rfc;822", xt(b"a@b")), invalid(Invalid::Parameter));
    assert_eq!(r("rfc\r822", xt(b"a@b")), invalid(Invalid::ControlByte));
    assert!(r("rfc822", xt(&[b'a'; 493])).is_ok());
    assert_eq!(r("rfc822", xt(&[b'a'; 494])), invalid(Invalid::TooLong));
    let u = RcptParameters {
        unknown: Some(UnknownParam {
            keyword: "Orcpt",
            value: Some("a;b"),
        }),
        ..Default::default()
    };
    assert_eq!(write_rcpt(&u), invalid(Invalid::Parameter));
}
