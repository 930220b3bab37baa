//! EHLO capabilities (RFC 5321 §4.1.1.1, App. D.1; RFC 1870, 4954, 9422;
//! docs/rules.md RPL-10, RES-08, CNF-01).

use embedded_smtp::syntax::ehlo::{AuthMechanism, AuthMechanisms, Capabilities, Extension};
use embedded_smtp::syntax::{Invalid, Status, WriteError};
use embedded_smtp::wire::reply::ReplyLimits;
use proptest::prelude::*;

fn caps_of(input: &[u8]) -> Capabilities {
    let limits = ReplyLimits {
        max_line: 4096,
        max_lines: 20_000,
        max_total: 1 << 22,
    };
    match embedded_smtp::wire::reply::frame(input, &limits) {
        Ok(Status::Complete((r, used))) => {
            assert_eq!(used, input.len());
            Capabilities::parse(&r)
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn only(exts: &[Extension]) -> impl Fn(&Capabilities) -> bool + '_ {
    move |c| Extension::ALL.iter().all(|e| c.has(*e) == exts.contains(e))
}

fn mechs(list: &[AuthMechanism]) -> AuthMechanisms {
    list.iter().fold(AuthMechanisms::empty(), |s, m| s.with(*m))
}

#[test]
fn rpl10_verbatim() {
    let caps = caps_of(
        b"250-s.example\r\n250-SIZE\r\n250-size 1000\r\n250-SIZE abc\r\n250-AUTH=LOGIN PLAIN\r\n250-8BIT MIME\r\n250 PIPELINING\r\n",
    );
    assert!(
        only(&[Extension::Size, Extension::Auth, Extension::Pipelining])(&caps),
        "{caps:?}"
    );
    assert_eq!(caps.size_limit(), Some(1000));
    assert_eq!(
        caps.auth(),
        mechs(&[AuthMechanism::Login, AuthMechanism::Plain])
    );
    assert!(!caps.has(Extension::EightBitMime));
}

#[test]
fn rfc5321_appendix_d1() {
    let caps = caps_of(
        b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
    );
    assert!(
        only(&[Extension::EightBitMime, Extension::Size, Extension::Dsn])(&caps),
        "{caps:?}"
    );
    assert_eq!(caps.size_limit(), None);
}

#[test]
fn first_line_is_the_domain_not_a_keyword() {
    assert_eq!(caps_of(b"250 PIPELINING\r\n"), Capabilities::new());
    assert_eq!(caps_of(b"250-SIZE 10\r\n250 DSN\r\n").size_limit(), None);
}

#[test]
fn only_a_250_reply_has_capabilities() {
    for input in [
        &b"550 PIPELINING\r\n"[..],
        b"502-x\r\n502 PIPELINING\r\n",
        b"220-x\r\n220 SIZE 5\r\n",
        b"251-x\r\n251 DSN\r\n",
    ] {
        assert_eq!(caps_of(input), Capabilities::default());
    }
}

#[test]
fn keywords_are_case_insensitive() {
    let caps = caps_of(
        b"250-mx\r\n250-pipelining\r\n250-StartTls\r\n250-8bitmime\r\n250-SmtpUtf8\r\n250-chunking\r\n\
          250-binaryMIME\r\n250-dsn\r\n250-EnhancedStatusCodes\r\n250-requiretls\r\n250-auth plain login\r\n\
          250-limits rcptmax=7\r\n250 size 99\r\n",
    );
    assert!(only(&Extension::ALL)(&caps), "{caps:?}");
    assert_eq!(caps.size_limit(), Some(99));
    assert_eq!(caps.rcpt_max(), Some(7));
    assert_eq!(
        caps.auth(),
        mechs(&[AuthMechanism::Plain, AuthMechanism::Login])
    );
}

#[test]
fn malformed_and_unknown_keywords_are_ignored() {
    let mut caps = Capabilities::new();
    for line in [
        &b"8BIT MIME"[..],
        b"-PIPELINING",
        b"PIPE_LINING",
        b"PIPELINING=1",
        b"PIPELININGX",
        b" PIPELINING",
        b"PIPELINING\t",
        b"\xc3\xbcPIPELINING",
        b"",
        b"VRFY",
        b"ETRN",
        b"X-EXPS GSSAPI",
        b"HELP",
    ] {
        caps.add_line(line);
    }
    assert_eq!(caps, Capabilities::new());
}

#[test]
fn size_values() {
    let size = |lines: &[&[u8]]| {
        let mut c = Capabilities::new();
        for l in lines {
            c.add_line(l);
        }
        assert!(c.has(Extension::Size));
        c.size_limit()
    };
    assert_eq!(size(&[b"SIZE"]), None);
    assert_eq!(size(&[b"SIZE 0"]), None); // RFC 1870 §3: no fixed maximum
    assert_eq!(size(&[b"SIZE 35882577"]), Some(35_882_577));
    assert_eq!(size(&[b"SIZE 18446744073709551615"]), Some(u64::MAX));
    assert_eq!(size(&[b"SIZE 18446744073709551616"]), None);
    assert_eq!(size(&[b"SIZE 000000000000000000001"]), None); // over 20 digits
    assert_eq!(size(&[b"SIZE abc"]), None);
    assert_eq!(size(&[b"SIZE -5"]), None);
    assert_eq!(size(&[b"SIZE 10 20"]), None);
    assert_eq!(size(&[b"SIZE 1000", b"SIZE abc", b"SIZE"]), Some(1000));
    assert_eq!(size(&[b"SIZE 1000", b"SIZE 0"]), None);
}

#[test]
fn auth_mechanisms_accumulate() {
    let mut caps = Capabilities::new();
    caps.add_line(b"AUTH PLAIN");
    caps.add_line(b"AUTH LOGIN cram-md5 GSSAPI NTLM");
    caps.add_line(b"auth=xoauth2");
    assert!(caps.has(Extension::Auth));
    assert_eq!(
        caps.auth(),
        mechs(&[
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::CramMd5,
            AuthMechanism::XOAuth2
        ])
    );
    // Nothing usable: not advertised.
    let mut caps = Capabilities::new();
    caps.add_line(b"AUTH");
    caps.add_line(b"AUTH GSSAPI NTLM");
    caps.add_line(b"AUTH=");
    assert!(!caps.has(Extension::Auth));
    assert!(caps.auth().is_empty());
}

#[test]
fn limits_values() {
    let mut caps = Capabilities::new();
    caps.add_line(b"LIMITS RCPTMAX=50 MAILMAX=10");
    assert!(caps.has(Extension::Limits));
    assert_eq!((caps.rcpt_max(), caps.mail_max()), (Some(50), Some(10)));

    let mut caps = Capabilities::new();
    caps.add_line(b"limits RCPTDOMAINMAX=1 FOO mailmax=999999 rcptmax=1234567");
    assert_eq!((caps.rcpt_max(), caps.mail_max()), (None, Some(999_999)));

    let mut caps = Capabilities::new();
    for line in [
        &b"LIMITS"[..],
        b"LIMITS RCPTMAX=0",
        b"LIMITS RCPTMAX=abc MAILMAX=",
        b"LIMITS RCPTDOMAINMAX=5",
        b"LIMITS =5",
    ] {
        caps.add_line(line);
    }
    assert!(!caps.has(Extension::Limits), "{caps:?}");
    assert_eq!((caps.rcpt_max(), caps.mail_max()), (None, None));
}

#[test]
fn ten_thousand_keyword_lines_fold_in_fixed_memory() {
    assert!(core::mem::size_of::<Capabilities>() <= 48);
    let mut caps = Capabilities::new();
    for i in 0..10_000 {
        let line = match i % 5 {
            0 => format!("X-UNKNOWN-{i} a b c"),
            1 => format!("AUTH X-MECH-{i} PLAIN"),
            2 => format!("SIZE {i}"),
            3 => "8BITMIME".to_string(),
            _ => format!("LIMITS RCPTMAX={}", i + 1),
        };
        caps.add_line(line.as_bytes());
    }
    assert!(only(&[
        Extension::Auth,
        Extension::Size,
        Extension::EightBitMime,
        Extension::Limits
    ])(&caps));
    assert_eq!(caps.size_limit(), Some(9997));
    assert_eq!(caps.rcpt_max(), Some(10_000));
    assert_eq!(caps.auth(), mechs(&[AuthMechanism::Plain]));

    // The same as one reply.
    let mut input = b"250-big.example\r\n".to_vec();
    for i in 0..10_000 {
        input.extend_from_slice(format!("250-X-KEYWORD-{i}\r\n").as_bytes());
    }
    input.extend_from_slice(b"250 PIPELINING\r\n");
    assert!(only(&[Extension::Pipelining])(&caps_of(&input)));
}

#[test]
fn a_100kb_auth_line_is_bounded() {
    let mut line = b"AUTH".to_vec();
    while line.len() < 100_000 {
        line.extend_from_slice(b" X-FOO");
    }
    line.extend_from_slice(b" SCRAM-SHA-256");
    let mut caps = Capabilities::new();
    caps.add_line(&line);
    assert_eq!(caps.auth(), mechs(&[AuthMechanism::ScramSha256]));
}

#[test]
fn names() {
    for e in Extension::ALL {
        assert_eq!(Extension::from_name(e.name().as_bytes()), Some(e));
        assert_eq!(
            Extension::from_name(e.name().to_lowercase().as_bytes()),
            Some(e)
        );
        assert_eq!(e.to_string(), e.name());
    }
    let names: Vec<&str> = Extension::ALL.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "SIZE",
            "PIPELINING",
            "8BITMIME",
            "SMTPUTF8",
            "CHUNKING",
            "BINARYMIME",
            "DSN",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
            "AUTH",
            "REQUIRETLS",
            "LIMITS"
        ]
    );
    for m in AuthMechanism::ALL {
        assert_eq!(AuthMechanism::from_name(m.name().as_bytes()), Some(m));
        assert_eq!(
            AuthMechanism::from_name(m.name().to_lowercase().as_bytes()),
            Some(m)
        );
    }
    let names: Vec<&str> = AuthMechanism::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        [
            "PLAIN",
            "LOGIN",
            "XOAUTH2",
            "CRAM-MD5",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "EXTERNAL",
            "OAUTHBEARER"
        ]
    );
    assert_eq!(AuthMechanism::from_name(b"SCRAM-SHA-256-PLUS"), None);
    assert_eq!(Extension::from_name(b"SIZE "), None);
}

#[test]
fn mechanism_set() {
    let mut s = AuthMechanisms::empty();
    assert!(s.is_empty());
    s.insert(AuthMechanism::OAuthBearer);
    s.insert(AuthMechanism::Plain);
    s.insert(AuthMechanism::Plain);
    assert!(s.contains(AuthMechanism::Plain) && !s.contains(AuthMechanism::Login));
    assert_eq!(
        s.iter().collect::<Vec<_>>(),
        [AuthMechanism::Plain, AuthMechanism::OAuthBearer]
    );
    s.remove(AuthMechanism::Plain);
    assert_eq!(
        s.into_iter().collect::<Vec<_>>(),
        [AuthMechanism::OAuthBearer]
    );
}

#[test]
fn setters_and_remove() {
    let mut c = Capabilities::new();
    c.set_size_limit(Some(0));
    assert!(!c.has(Extension::Size) && c.size_limit().is_none());
    c.set_size_limit(Some(10));
    assert!(c.has(Extension::Size) && c.size_limit() == Some(10));
    c.set_size_limit(None);
    assert!(c.has(Extension::Size) && c.size_limit().is_none());
    c.set_auth(mechs(&[AuthMechanism::Plain]));
    c.set_rcpt_max(Some(5));
    c.set_mail_max(Some(6));
    assert!(c.has(Extension::Auth) && c.has(Extension::Limits));
    c.remove(Extension::Auth);
    c.remove(Extension::Limits);
    assert!(c.auth().is_empty() && c.rcpt_max().is_none() && c.mail_max().is_none());
    assert!(!c.has(Extension::Auth) && !c.has(Extension::Limits));
}

// ---- Writer ----

fn write(caps: &Capabilities, domain: &str, greeting: &str) -> Result<String, WriteError> {
    let mut buf = vec![0u8; 4096];
    let n = caps.write_ehlo_reply(domain, greeting, &mut buf)?;
    Ok(String::from_utf8(buf[..n].to_vec()).unwrap())
}

#[test]
fn write_every_extension() {
    let mut c = Capabilities::new();
    for e in Extension::ALL {
        c.insert(e);
    }
    c.set_size_limit(Some(10_240_000));
    c.set_auth(mechs(&[
        AuthMechanism::Login,
        AuthMechanism::Plain,
        AuthMechanism::ScramSha256,
    ]));
    c.set_rcpt_max(Some(100));
    c.set_mail_max(Some(20));
    assert_eq!(
        write(&c, "mx.example", "ESMTP ready").unwrap(),
        "250-mx.example ESMTP ready\r\n250-SIZE 10240000\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
         250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n\
         250-STARTTLS\r\n250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n250-REQUIRETLS\r\n\
         250 LIMITS RCPTMAX=100 MAILMAX=20\r\n"
    );
}

#[test]
fn write_small_forms() {
    let none = Capabilities::new();
    assert_eq!(
        write(&none, "mx.example", "").unwrap(),
        "250 mx.example\r\n"
    );
    assert_eq!(
        write(&none, "mx.example", "hi there").unwrap(),
        "250 mx.example hi there\r\n"
    );
    assert_eq!(
        write(&none, "[192.0.2.1]", "").unwrap(),
        "250 [192.0.2.1]\r\n"
    );
    let mut c = Capabilities::new();
    c.insert(Extension::Size);
    assert_eq!(
        write(&c, "mx.example", "").unwrap(),
        "250-mx.example\r\n250 SIZE\r\n"
    );
    // AUTH without mechanisms and LIMITS without values are not written.
    c.insert(Extension::Auth);
    c.insert(Extension::Limits);
    assert_eq!(
        write(&c, "mx.example", "").unwrap(),
        "250-mx.example\r\n250 SIZE\r\n"
    );
    let mut c = Capabilities::new();
    c.set_mail_max(Some(3));
    assert_eq!(
        write(&c, "m", "").unwrap(),
        "250-m\r\n250 LIMITS MAILMAX=3\r\n"
    );
}

#[test]
fn write_refuses_bad_domain_or_greeting() {
    let c = Capabilities::new();
    let err = |i| Err(WriteError::Invalid(i));
    assert_eq!(write(&c, "", "x"), err(Invalid::Domain));
    assert_eq!(write(&c, "a b", ""), err(Invalid::Domain));
    assert_eq!(
        write(&c, "h\r\nMAIL FROM:<x@y>", ""),
        err(Invalid::ControlByte)
    );
    assert_eq!(write(&c, "h\0", ""), err(Invalid::ControlByte));
    assert_eq!(write(&c, "h", "hi\n250 x"), err(Invalid::ControlByte));
    assert_eq!(write(&c, "h", "a\tb"), err(Invalid::ControlByte));
    let long = "g".repeat(504); // "250 h " + 504 + CRLF = 512
    assert_eq!(write(&c, "h", &long).map(|s| s.len()), Ok(512));
    assert_eq!(write(&c, "h", &format!("{long}g")), err(Invalid::TooLong));
    let mut c = Capabilities::new();
    c.set_rcpt_max(Some(1_000_000));
    assert_eq!(write(&c, "h", ""), err(Invalid::Argument));
    let mut small = [0u8; 8];
    assert_eq!(
        Capabilities::new().write_ehlo_reply("mx.example", "", &mut small),
        Err(WriteError::BufferTooSmall { needed: 16 })
    );
}

// ---- Properties ----

fn canonical_caps() -> impl Strategy<Value = Capabilities> {
    (
        any::<u16>(),
        any::<u8>(),
        proptest::option::of(0u64..=u64::MAX),
        proptest::option::of(1u32..=999_999),
        proptest::option::of(1u32..=999_999),
    )
        .prop_map(|(exts, auth, size, rcpt, mail)| {
            let mut c = Capabilities::new();
            for (i, e) in Extension::ALL.into_iter().enumerate() {
                if exts & (1 << i) != 0 && !matches!(e, Extension::Auth | Extension::Limits) {
                    c.insert(e);
                }
            }
            let set = AuthMechanism::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| auth & (1 << i) != 0)
                .fold(AuthMechanisms::empty(), |s, (_, m)| s.with(m));
            c.set_auth(set);
            if c.has(Extension::Size) {
                c.set_size_limit(size);
            }
            c.set_rcpt_max(rcpt);
            c.set_mail_max(mail);
            c
        })
}

proptest! {
    #[test]
    fn write_then_parse_gives_the_same_capabilities(
        caps in canonical_caps(),
        domain in "[a-z0-9.-]{1,60}|\\[[0-9.]{1,15}\\]",
        greeting in "[ -~]{0,80}",
    ) {
        let mut buf = [0u8; 1024];
        let n = caps.write_ehlo_reply(&domain, &greeting, &mut buf).unwrap();
        let Ok(Status::Complete((r, used))) = embedded_smtp::wire::reply::frame(&buf[..n], &ReplyLimits::DEFAULT) else {
            panic!("written EHLO reply does not parse");
        };
        prop_assert_eq!(used, n);
        prop_assert_eq!(Capabilities::parse(&r), caps);
        let first = r.text();
        prop_assert!(first.starts_with(domain.as_bytes()));
    }

    #[test]
    fn add_line_accepts_any_bytes(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..20)) {
        let mut caps = Capabilities::new();
        for l in &lines {
            caps.add_line(l);
        }
        // Whatever was read can be written and read back the same.
        let mut buf = [0u8; 1024];
        let n = caps.write_ehlo_reply("x.example", "", &mut buf).unwrap();
        let (r, _) = embedded_smtp::wire::reply::frame(&buf[..n], &ReplyLimits::DEFAULT).unwrap().complete().unwrap();
        prop_assert_eq!(Capabilities::parse(&r), caps);
    }
}

#[test]
fn limits_zero_is_ignored_and_never_clears_an_earlier_value() {
    // Found by the `ehlo` fuzz target: `RCPTMAX=000` after `RCPTMAX=099`
    // cleared the value but left LIMITS advertised with nothing to write.
    let mut caps = Capabilities::default();
    caps.add_line(b"LIMITS RCPTMAX=099 RCPTMAX=000 MAILMAX=0");
    assert_eq!(caps.rcpt_max(), Some(99));
    assert_eq!(caps.mail_max(), None);
    assert!(caps.has(Extension::Limits));
    let mut only_zero = Capabilities::default();
    only_zero.add_line(b"LIMITS RCPTMAX=0");
    assert!(!only_zero.has(Extension::Limits));
}
