//! Table tests for `syntax::address` and `syntax::domain`, from the RFC 5321
//! §4.1.2/§4.1.3/§4.5.3.1 and RFC 6531 §3.3 ABNF and the docs/rules.md rows
//! CMD-12, CMD-13, CMD-15, INJ-01..03, EXT-04. Domains and literals: domain.rs.

use core::net::Ipv6Addr;

use embedded_smtp::syntax::WriteError;
use embedded_smtp::syntax::address::{AddressError, ForwardPath, LocalPart, Mailbox, ReversePath};
use embedded_smtp::syntax::domain::{AddressLiteral, Domain, Host};

use AddressError::*;

fn label(c: char, n: usize) -> String {
    core::iter::repeat_n(c, n).collect()
}

/// A domain of exactly `len` octets made of valid labels of at most 63.
fn domain_of(len: usize) -> String {
    let mut d = String::new();
    while d.len() < len {
        if !d.is_empty() {
            d.push('.');
        }
        let room = len - d.len();
        // Never leave exactly one octet for a trailing "." + nothing.
        let n = if room > 63 && room - 63 < 2 {
            61
        } else {
            room.min(63)
        };
        d.push_str(&label('d', n));
    }
    assert_eq!(d.len(), len);
    d
}

fn written(f: impl FnOnce(&mut [u8]) -> Result<usize, WriteError>) -> String {
    let mut buf = [0u8; 600];
    let n = f(&mut buf).expect("write");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

// ---- Local parts ----------------------------------------------------------

#[test]
fn local_parts_accepted() {
    for (s, quoted) in [
        ("a", false),
        ("first.last", false),
        ("!#$%&'*+-/=?^_`{|}~", false),
        ("0", false),
        ("\"\"", true),
        ("\"a b\"", true),
        ("\"a\\\"b\"", true),
        ("\"a\\\\b\"", true),
        ("\"a>b<c\"", true),
        ("\"a@b\"", true),
        ("\"a..b.\"", true),
        ("\"\\ \"", true),
    ] {
        let lp = LocalPart::parse(s, false).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(lp.as_str(), s);
        assert_eq!(lp.is_quoted(), quoted, "{s}");
        // Lossless: the same bytes come back.
        assert_eq!(written(|b| lp.write(b)), s);
        assert_eq!(lp.to_string(), s);
    }
}

#[test]
fn local_parts_rejected() {
    for s in [
        "",
        ".a",
        "a.",
        "a..b",
        "a b",
        "a<b",
        "a>b",
        "a@b",
        "a\"b",
        "a(b)",
        "a,b",
        "a;b",
        "a:b",
        "a[b]",
        "a\\b",
        "\"a",
        "a\"",
        "\"a\"b",
        "\"a\\\"",
        "\"a\"\"b\"",
        "\"a\tb\"",
        "\"a\\\tb\"",
        "\"a\x7fb\"",
        "\"a\r\nRSET\"",
        "\"a\x01\"",
        "a\0",
        "\"\\ü\"",
    ] {
        assert!(LocalPart::parse(s, true).is_err(), "{s:?}");
        assert!(LocalPart::parse(s, false).is_err(), "{s:?}");
    }
}

#[test]
fn local_part_lengths() {
    // CMD-15: 64 octets accepted, 65 rejected (RFC 5321 §4.5.3.1.1).
    assert!(LocalPart::parse(&label('a', 64), false).is_ok());
    assert_eq!(
        LocalPart::parse(&label('a', 65), false),
        Err(LocalPartTooLong)
    );
    let q64 = format!("\"{}\"", label(' ', 62));
    assert!(LocalPart::parse(&q64, false).is_ok());
    let q65 = format!("\"{}\"", label(' ', 63));
    assert_eq!(LocalPart::parse(&q65, false), Err(LocalPartTooLong));
    let m = format!("{}@x.example", label('a', 65));
    assert_eq!(Mailbox::parse(&m, false), Err(LocalPartTooLong));
}

#[test]
fn utf8_local_parts() {
    // RFC 6531 §3.3: UTF-8 only in SMTPUTF8 mode (EXT-04: 553 5.6.7 otherwise).
    for s in ["ü", "jörg.müller", "\"ü ö\"", "用户"] {
        let lp = LocalPart::parse(s, true).unwrap();
        assert!(!lp.is_ascii());
        assert_eq!(written(|b| lp.write(b)), s);
        assert_eq!(LocalPart::parse(s, false), Err(NonAscii), "{s}");
    }
    assert_eq!(LocalPart::parse("a\u{85}", true), Err(Syntax));
}

// ---- Mailboxes ------------------------------------------------------------

#[test]
fn mailboxes() {
    let m = Mailbox::parse("\"a b\"@c.example", false).unwrap();
    assert!(m.local_part().is_quoted());
    assert_eq!(m.local_part().as_str(), "\"a b\"");
    assert_eq!(
        m.host(),
        Host::Domain(Domain::parse("c.example", false).unwrap())
    );
    assert_eq!(written(|b| m.write(b)), "\"a b\"@c.example");

    let m = Mailbox::parse("\"a\\\"b\"@c", false).unwrap();
    assert_eq!(written(|b| m.write(b)), "\"a\\\"b\"@c");

    let m = Mailbox::parse("u@[IPv6:::1]", false).unwrap();
    assert_eq!(
        m.host(),
        Host::Literal(AddressLiteral::Ipv6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(m.to_string(), "u@[IPv6:::1]");

    let m = Mailbox::parse("\"a@b\"@c", false).unwrap();
    assert_eq!(m.local_part().as_str(), "\"a@b\"");

    for s in ["PostMaster@x", "postmaster@[1.2.3.4]"] {
        assert!(Mailbox::parse(s, false).unwrap().is_postmaster(), "{s}");
    }
    for s in ["\"postmaster\"@x", "postmaster1@x", "post.master@x"] {
        assert!(!Mailbox::parse(s, false).unwrap().is_postmaster(), "{s}");
    }
}

#[test]
fn mailboxes_rejected() {
    let cases: &[(&str, AddressError)] = &[
        ("", Syntax),
        ("a", Syntax),
        ("@b", Syntax),
        ("a@", Syntax),
        ("a@@b", Syntax),
        ("a@b@c", Syntax),
        ("a@b.", Syntax),
        ("<a@b>", Syntax),
        ("a@b ", Syntax),
        (" a@b", Syntax),
        ("a@b_c.example", Syntax),
        ("a@[1.2.3.4", Syntax),
        ("a@[300.1.1.1]", Syntax),
        ("a@[IPv6:1::2::3]", Syntax),
        ("a@b>\r\nRCPT TO:<v@x>", Syntax),
        ("ü@x.example", NonAscii),
        ("a@müller.example", NonAscii),
    ];
    for &(s, e) in cases {
        assert_eq!(Mailbox::parse(s, false), Err(e), "{s:?}");
    }
}

#[test]
fn mailbox_utf8() {
    let m = Mailbox::parse("ü@müller.example", true).unwrap();
    assert!(!m.is_ascii());
    assert_eq!(m.to_string(), "ü@müller.example");
    assert!(Mailbox::parse("a@b.example", true).unwrap().is_ascii());
}

#[test]
fn mailbox_prefix() {
    let (m, rest) = Mailbox::parse_prefix("a@b.example SIZE=1", false).unwrap();
    assert_eq!((m.to_string().as_str(), rest), ("a@b.example", " SIZE=1"));
    let (m, rest) = Mailbox::parse_prefix("\"x y\"@[1.2.3.4]", false).unwrap();
    assert_eq!((m.to_string().as_str(), rest), ("\"x y\"@[1.2.3.4]", ""));
    for s in [
        "a@b>\r\nRCPT TO:<v@x>",
        "a@b\r\n",
        "a@b_c",
        "a@b.",
        "a@b\0",
        "a@b,c",
    ] {
        assert_eq!(Mailbox::parse_prefix(s, false), Err(Syntax), "{s:?}");
    }
    assert_eq!(Mailbox::parse_prefix("ü@x SIZE=1", false), Err(NonAscii));
    assert_eq!(Mailbox::parse_prefix("a@xü SIZE=1", false), Err(NonAscii));
}

#[test]
fn mailbox_new() {
    let l64 = label('l', 64);
    let lp = LocalPart::parse(&l64, false).unwrap();
    // <64 @ 189> is 256 octets: fits.
    let d189 = domain_of(189);
    let m = Mailbox::new(lp, Host::parse(&d189, false).unwrap()).unwrap();
    assert_eq!(m.local_part(), lp);
    assert_eq!(written(|b| m.write(b)).len(), 254);
    let d190 = domain_of(190);
    assert_eq!(
        Mailbox::new(lp, Host::parse(&d190, false).unwrap()),
        Err(PathTooLong)
    );
    let lit = Host::Literal(AddressLiteral::Ipv6(Ipv6Addr::LOCALHOST));
    let m = Mailbox::new(LocalPart::parse("a", false).unwrap(), lit).unwrap();
    assert_eq!(m.to_string(), "a@[IPv6:::1]");
}

// ---- Paths ----------------------------------------------------------------

#[test]
fn cmd_12_paths() {
    assert_eq!(ReversePath::parse("<>", false), Ok(ReversePath::Null));
    assert_eq!(ForwardPath::parse("<>", false), Err(Syntax));
    for s in ["<Postmaster>", "<postmaster>", "<POSTMASTER>"] {
        let p = ForwardPath::parse(s, false).unwrap();
        assert_eq!(p, ForwardPath::Postmaster);
        assert!(p.is_postmaster());
        assert_eq!(written(|b| p.write(b)), "<Postmaster>");
    }
    let p = ForwardPath::parse("<POSTMASTER@s.example>", false).unwrap();
    assert!(matches!(p, ForwardPath::Mailbox(_)));
    assert!(p.is_postmaster());
    assert_eq!(p.to_string(), "<POSTMASTER@s.example>");

    let p = ForwardPath::parse("<@r1.example,@r2.example:u@s.example>", false).unwrap();
    assert_eq!(
        p,
        ForwardPath::Mailbox(Mailbox::parse("u@s.example", false).unwrap())
    );
    assert!(!p.is_postmaster());
    assert_eq!(written(|b| p.write(b)), "<u@s.example>");
    let r = ReversePath::parse("<@r1.example:u@s.example>", false).unwrap();
    assert_eq!(r.to_string(), "<u@s.example>");
    assert_eq!(written(|b| ReversePath::Null.write(b)), "<>");
}

#[test]
fn paths_rejected() {
    let cases: &[(&str, AddressError)] = &[
        // CMD-13
        ("<\"unterminated@x>", Syntax),
        ("<a@[1.2.3.4>", Syntax),
        ("<a@b_c.example>", Syntax),
        ("<a@[300.1.1.1]>", Syntax),
        ("<a@[IPv6:1::2::3]>", Syntax),
        // More from the Path ABNF
        ("", Syntax),
        ("<", Syntax),
        ("a@b", Syntax),
        ("<a@b", Syntax),
        ("a@b>", Syntax),
        ("<a@b>>", Syntax),
        ("<<a@b>", Syntax),
        ("< a@b>", Syntax),
        ("<a@b >", Syntax),
        ("<a>", Syntax),
        ("<@b>", Syntax),
        ("<@r.example:>", Syntax),
        ("<@r.example u@s>", Syntax),
        ("<@r.example,u@s>", Syntax),
        ("<r.example:u@s>", Syntax),
        ("<@r_x.example:u@s>", Syntax),
        ("<@[1.2.3.4]:u@s>", Syntax),
        ("<@r.example,:u@s>", Syntax),
        ("<Postmaster>x", Syntax),
        ("<>x", Syntax),
        // INJ-01..03
        ("<a@b>\r\nRCPT TO:<v@x>", Syntax),
        ("<a@b\r>", Syntax),
        ("<a@b\n>", Syntax),
        ("<a\0@b>", Syntax),
        ("<\"a\r\nRSET\"@x>", Syntax),
        ("<\"a\x01\"@x>", Syntax),
        // EXT-04
        ("<ü@x.example>", NonAscii),
    ];
    for &(s, e) in cases {
        if s != "<>" && !s.starts_with("<Postmaster>") {
            assert_eq!(ForwardPath::parse(s, false), Err(e), "forward {s:?}");
        }
        if !s.starts_with("<>") {
            assert_eq!(ReversePath::parse(s, false), Err(e), "reverse {s:?}");
        }
    }
    assert_eq!(ReversePath::parse("<>x", false), Err(Syntax));
    assert_eq!(ForwardPath::parse("<Postmaster>x", false), Err(Syntax));
}

#[test]
fn path_prefix() {
    let (p, rest) = ReversePath::parse_prefix("<> BODY=8BITMIME", false).unwrap();
    assert_eq!((p, rest), (ReversePath::Null, " BODY=8BITMIME"));
    let (p, rest) = ForwardPath::parse_prefix("<\"a>b\"@c.example> NOTIFY=NEVER", false).unwrap();
    assert_eq!(p.mailbox().unwrap().local_part().as_str(), "\"a>b\"");
    assert_eq!(rest, " NOTIFY=NEVER");
    let (p, rest) = ForwardPath::parse_prefix("<postmaster> X", false).unwrap();
    assert_eq!((p, rest), (ForwardPath::Postmaster, " X"));
    let (p, rest) = ForwardPath::parse_prefix("<Postmaster@x>", false).unwrap();
    assert!(p.mailbox().is_some() && rest.is_empty());
    let (_, rest) = ReversePath::parse_prefix("<a@b>\r\nRCPT TO:<v@x>", false).unwrap();
    assert_eq!(rest, "\r\nRCPT TO:<v@x>", "the caller sees what follows");
    assert_eq!(ForwardPath::parse_prefix("<> X", false), Err(Syntax));
    assert_eq!(
        ReversePath::parse_prefix("<ü@x> SMTPUTF8", false),
        Err(NonAscii)
    );
    let (p, _) = ReversePath::parse_prefix("<ü@x> SMTPUTF8", true).unwrap();
    assert!(!p.is_ascii());
}

#[test]
fn path_lengths() {
    // CMD-15: a path of 256 octets is accepted, 257 rejected (§4.5.3.1.3).
    let local = label('l', 64);
    let p256 = format!("<{local}@{}>", domain_of(189));
    assert_eq!(p256.len(), 256);
    let p = ForwardPath::parse(&p256, false).unwrap();
    assert_eq!(written(|b| p.write(b)), p256);
    let p257 = format!("<{local}@{}>", domain_of(190));
    assert_eq!(ForwardPath::parse(&p257, false), Err(PathTooLong));
    assert_eq!(ReversePath::parse(&p257, false), Err(PathTooLong));
    assert_eq!(Mailbox::parse(&p257[1..256], false), Err(PathTooLong));
    assert!(Mailbox::parse(&p256[1..255], false).is_ok());

    // The source route counts: what was on the wire is measured.
    let m = format!("u@{}", domain_of(200));
    let with_route = |r: usize| format!("<@{}:{m}>", domain_of(r));
    let ok = with_route(256 - 4 - m.len());
    assert_eq!(ok.len(), 256);
    assert!(ReversePath::parse(&ok, false).is_ok());
    let too_long = with_route(257 - 4 - m.len());
    assert_eq!(too_long.len(), 257);
    assert_eq!(ReversePath::parse(&too_long, false), Err(PathTooLong));

    // A domain over 255 inside a path is reported as such.
    let p = format!("<a@{}>", domain_of(256));
    assert_eq!(ForwardPath::parse(&p, false), Err(DomainTooLong));
    let p = format!("<{}@x>", label('a', 65));
    assert_eq!(ForwardPath::parse(&p, false), Err(LocalPartTooLong));
}

#[test]
fn buffer_too_small_writes_nothing_useful() {
    let p = ForwardPath::parse("<a@b.example>", false).unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(
        p.write(&mut buf),
        Err(WriteError::BufferTooSmall { needed: 13 })
    );
}

#[test]
fn errors_display() {
    for e in [
        Syntax,
        LocalPartTooLong,
        DomainTooLong,
        PathTooLong,
        NonAscii,
    ] {
        assert!(!e.to_string().is_empty());
        let _: &dyn core::error::Error = &e;
    }
}
