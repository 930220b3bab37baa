//! Table tests for `syntax::domain` (domains, address literals, hosts) from
//! the RFC 5321 §4.1.2/§4.1.3/§4.5.3.1.2 and RFC 6531 §3.3 ABNF, and the
//! domain rows of docs/rules.md CMD-13 and CMD-15.

use core::net::{Ipv4Addr, Ipv6Addr};

use embedded_smtp::syntax::address::{AddressError, LocalPart, Mailbox};
use embedded_smtp::syntax::domain::{AddressLiteral, Domain, Host};
use embedded_smtp::syntax::{Invalid, WriteError};

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

// ---- Domain ---------------------------------------------------------------

#[test]
fn domains_accepted() {
    for d in [
        "a",
        "example",
        "s.example",
        "mail.EXAMPLE.org",
        "a-b.c--d.example",
        "0.example",
        "123",
        "1.2.3.4",
        "xn--mller-kva.example",
    ] {
        assert_eq!(Domain::parse(d, false).map(|d| d.as_str()), Ok(d), "{d}");
        assert_eq!(Domain::parse(d, true).map(|d| d.as_str()), Ok(d), "{d}");
    }
}

#[test]
fn domains_rejected() {
    let cases: &[(&str, AddressError)] = &[
        ("", Syntax),
        (".", Syntax),
        ("a.", Syntax),
        (".a", Syntax),
        ("a..b", Syntax),
        ("-a.example", Syntax),
        ("a-.example", Syntax),
        ("a.-b", Syntax),
        ("b_c.example", Syntax),
        ("a b", Syntax),
        ("a@b", Syntax),
        ("[1.2.3.4]", Syntax),
        ("a\r\nb", Syntax),
        ("a\0", Syntax),
        ("a>", Syntax),
        ("müller.example", NonAscii),
    ];
    for &(d, e) in cases {
        assert_eq!(Domain::parse(d, false), Err(e), "{d:?}");
    }
}

#[test]
fn domain_lengths() {
    // CMD-15: 255 octets accepted, 256 rejected (RFC 5321 §4.5.3.1.2).
    let d255 = domain_of(255);
    assert_eq!(Domain::parse(&d255, false).unwrap().as_str(), d255);
    assert_eq!(Domain::parse(&domain_of(256), false), Err(DomainTooLong));
    // Labels: 63 octets accepted, 64 rejected (RFC 1035).
    let l63 = format!("{}.example", label('x', 63));
    assert!(Domain::parse(&l63, false).is_ok());
    let l64 = format!("{}.example", label('x', 64));
    assert_eq!(Domain::parse(&l64, false), Err(DomainTooLong));
}

#[test]
fn u_label_domains() {
    let d = Domain::parse("müller.example", true).unwrap();
    assert!(!d.is_ascii());
    assert_eq!(written(|b| d.write(b)), "müller.example");
    assert!(Domain::parse("bücher.例え.jp", true).is_ok());
    // Hyphen rule still applies; IDNA dots and C1 controls are refused.
    for d in [
        "-ü.example",
        "ü-.example",
        "a\u{3002}b",
        "a\u{85}b",
        "a\u{a0}b",
    ] {
        assert_eq!(Domain::parse(d, true), Err(Syntax), "{d:?}");
    }
    assert!(
        Domain::parse("MÜLLER.example", true)
            .unwrap()
            .eq_ignore_ascii_case("MÜller.EXAMPLE")
    );
}

// ---- Address literals -----------------------------------------------------

fn v6(s: [u16; 8]) -> AddressLiteral<'static> {
    AddressLiteral::Ipv6(Ipv6Addr::from(s))
}

#[test]
fn literals_accepted() {
    let cases: Vec<(&str, AddressLiteral<'_>)> = vec![
        ("[1.2.3.4]", AddressLiteral::Ipv4(Ipv4Addr::new(1, 2, 3, 4))),
        (
            "[255.255.255.255]",
            AddressLiteral::Ipv4(Ipv4Addr::BROADCAST),
        ),
        ("[0.0.0.0]", AddressLiteral::Ipv4(Ipv4Addr::UNSPECIFIED)),
        (
            "[001.02.3.4]",
            AddressLiteral::Ipv4(Ipv4Addr::new(1, 2, 3, 4)),
        ),
        // IPv6-full
        ("[IPv6:1:2:3:4:5:6:7:8]", v6([1, 2, 3, 4, 5, 6, 7, 8])),
        (
            "[IPv6:2001:DB8:0:0:0:0:0:1]",
            v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
        ),
        (
            "[ipv6:0000:FFFF:0:0:0:0:0:0]",
            v6([0, 0xffff, 0, 0, 0, 0, 0, 0]),
        ),
        // IPv6-comp
        ("[IPv6:::]", v6([0; 8])),
        ("[IPv6:::1]", v6([0, 0, 0, 0, 0, 0, 0, 1])),
        ("[IPv6:fe80::]", v6([0xfe80, 0, 0, 0, 0, 0, 0, 0])),
        ("[IPv6:2001:db8::1]", v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])),
        ("[IPv6:1:2:3::4:5:6]", v6([1, 2, 3, 0, 0, 4, 5, 6])),
        ("[IPv6:1:2:3:4:5:6::]", v6([1, 2, 3, 4, 5, 6, 0, 0])),
        // IPv6v4-full
        (
            "[IPv6:1:2:3:4:5:6:10.0.0.1]",
            v6([1, 2, 3, 4, 5, 6, 0x0a00, 0x0001]),
        ),
        // IPv6v4-comp
        (
            "[IPv6:::ffff:192.0.2.1]",
            v6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]),
        ),
        ("[IPv6:::192.0.2.1]", v6([0, 0, 0, 0, 0, 0, 0xc000, 0x0201])),
        (
            "[IPv6:1:2:3:4::192.0.2.1]",
            v6([1, 2, 3, 4, 0, 0, 0xc000, 0x0201]),
        ),
        (
            "[IPv6:1::2:3:4:192.0.2.1]",
            v6([1, 0, 0, 2, 3, 4, 0xc000, 0x0201]),
        ),
        // General-address-literal
        (
            "[x-tag:anything!goes~here]",
            AddressLiteral::General {
                tag: "x-tag",
                content: "anything!goes~here",
            },
        ),
        (
            "[a:b:c]",
            AddressLiteral::General {
                tag: "a",
                content: "b:c",
            },
        ),
        (
            "[-9:x]",
            AddressLiteral::General {
                tag: "-9",
                content: "x",
            },
        ),
    ];
    for (s, want) in cases {
        assert_eq!(AddressLiteral::parse(s), Ok(want), "{s}");
        assert_eq!(Host::parse(s, false), Ok(Host::Literal(want)), "{s}");
    }
}

#[test]
fn literals_rejected() {
    for s in [
        "[]",
        "1.2.3.4",
        "[1.2.3.4",
        "1.2.3.4]",
        "[300.1.1.1]",
        "[256.0.0.0]",
        "[1.2.3]",
        "[1.2.3.4.5]",
        "[1.2.3.4 ]",
        "[ 1.2.3.4]",
        "[1..3.4]",
        "[1234.1.1.1]",
        "[a.b.c.d]",
        "[-1.2.3.4]",
        "[1.2.3.4]x",
        // Bad IPv6 with the IPv6 tag: an error, never a general literal.
        "[IPv6:1::2::3]",
        "[IPv6:]",
        "[IPv6::]",
        "[IPv6::::]",
        "[IPv6:1:2:3:4:5:6:7]",
        "[IPv6:1:2:3:4:5:6:7:8:9]",
        "[IPv6:1:2:3:4:5:6:7::]",
        "[IPv6:::1:2:3:4:5:6:7]",
        "[IPv6:1:2:3:4:5::6:7]",
        "[IPv6:12345::]",
        "[IPv6:g::]",
        "[IPv6:1:2:3:4:5::1.2.3.4]",
        "[IPv6:1:2:3:4:5:1.2.3.4]",
        "[IPv6:1.2.3.4::]",
        "[IPv6:::1.2.3.4:1]",
        "[IPv6:::300.2.3.4]",
        "[IPv6:1::2:]",
        "[IPv6:1.2.3.4]",
        // General: tag must be an Ldh-str ending in a letter or digit, content 1*dcontent.
        "[x:]",
        "[:x]",
        "[x-:y]",
        "[x_y:z]",
        "[x:a b]",
        "[x:a[b]",
        "[x:a\\b]",
        "[x:a]b]",
        "[x:a\u{1}]",
        "[x:<b>]",
        "[x:ü]",
    ] {
        assert_eq!(AddressLiteral::parse(s), Err(Syntax), "{s:?}");
    }
}

#[test]
fn literal_writing() {
    let cases = [
        ("[001.2.3.4]", "[1.2.3.4]"),
        ("[IPv6:2001:DB8:0:0:0:0:0:1]", "[IPv6:2001:db8::1]"),
        ("[ipv6:::ffff:192.0.2.1]", "[IPv6:::ffff:192.0.2.1]"),
        ("[IPv6:::]", "[IPv6:::]"),
        ("[x-tag:a:b]", "[x-tag:a:b]"),
    ];
    for (s, out) in cases {
        let lit = AddressLiteral::parse(s).unwrap();
        assert_eq!(written(|b| lit.write(b)), out, "{s}");
        assert_eq!(lit.to_string(), out);
        assert_eq!(AddressLiteral::parse(out), Ok(lit));
    }
}

#[test]
fn hand_built_general_literals_are_checked() {
    assert!(AddressLiteral::general("x", "y").is_ok());
    assert_eq!(AddressLiteral::general("IPv6", "::1"), Err(Syntax));
    assert_eq!(AddressLiteral::general("x", "a>b"), Err(Syntax));
    let bad = [
        AddressLiteral::General {
            tag: "x",
            content: "a\r\nb",
        },
        AddressLiteral::General {
            tag: "x",
            content: "a>b",
        },
        AddressLiteral::General {
            tag: "x y",
            content: "b",
        },
        AddressLiteral::General {
            tag: "x",
            content: "",
        },
        AddressLiteral::General {
            tag: "IPv6",
            content: "zz",
        },
    ];
    for lit in bad {
        let mut buf = [0u8; 64];
        assert!(
            matches!(lit.write(&mut buf), Err(WriteError::Invalid(_))),
            "{lit:?}"
        );
        let local = LocalPart::parse("a", false).unwrap();
        assert_eq!(
            Mailbox::new(local, Host::Literal(lit)),
            Err(Syntax),
            "{lit:?}"
        );
    }
    let ctl = AddressLiteral::General {
        tag: "x",
        content: "a\nb",
    };
    assert_eq!(
        ctl.write(&mut [0u8; 64]),
        Err(WriteError::Invalid(Invalid::ControlByte))
    );
}
