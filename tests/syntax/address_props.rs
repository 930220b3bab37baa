//! Property tests: valid addresses generated from the RFC 5321 / RFC 6531
//! grammar round-trip (`parse(write(x)) == x`, local parts byte-identical),
//! and no input makes a parser panic or a parsed value unwritable.

use core::net::{Ipv4Addr, Ipv6Addr};

use embedded_smtp::syntax::WriteError;
use embedded_smtp::syntax::address::{AddressError, ForwardPath, LocalPart, Mailbox, ReversePath};
use embedded_smtp::syntax::domain::{AddressLiteral, Domain, Host};
use proptest::prelude::*;

fn written(f: impl FnOnce(&mut [u8]) -> Result<usize, WriteError>) -> String {
    let mut buf = [0u8; 1024];
    let n = f(&mut buf).expect("a parsed value is always writable");
    String::from_utf8(buf[..n].to_vec()).expect("UTF-8 out")
}

/// `Dot-string`; with `utf8`, atoms may hold non-ASCII characters.
fn dot_string(utf8: bool) -> impl Strategy<Value = String> {
    let atom = if utf8 {
        "[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~ü用é-]{1,8}"
    } else {
        "[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]{1,8}"
    };
    prop::collection::vec(atom, 1..5).prop_map(|atoms| atoms.join("."))
}

/// `Quoted-string` of qtextSMTP and quoted-pairSMTP.
fn quoted_string(utf8: bool) -> impl Strategy<Value = String> {
    let qtext = if utf8 {
        "[ !#-\\[\\]-~ü用]{1,6}"
    } else {
        "[ !#-\\[\\]-~]{1,6}"
    };
    let item = prop_oneof![qtext.prop_map(String::from), "\\\\[ -~]"];
    prop::collection::vec(item, 0..6).prop_map(|items| format!("\"{}\"", items.concat()))
}

fn local_part(utf8: bool) -> impl Strategy<Value = String> {
    prop_oneof![dot_string(utf8), quoted_string(utf8)].prop_filter("64 octets", |s| s.len() <= 64)
}

fn domain(utf8: bool) -> impl Strategy<Value = String> {
    let label = if utf8 {
        "[a-zA-Z0-9ü例]([a-zA-Z0-9ü例-]{0,12}[a-zA-Z0-9ü例])?"
    } else {
        "[a-zA-Z0-9]([a-zA-Z0-9-]{0,12}[a-zA-Z0-9])?"
    };
    prop::collection::vec(label, 1..5).prop_map(|labels| labels.join("."))
}

/// Address literals as text; each is what the writer prints back, except
/// the uncompressed IPv6 form, which is printed in RFC 5952 form.
fn literal() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| (format!("[{}]", Ipv4Addr::from(o)), true)),
        any::<[u16; 8]>().prop_map(|s| (format!("[IPv6:{}]", Ipv6Addr::from(s)), true)),
        // IPv6 with more zeros, so that `::` and the v4 forms show up often.
        prop::array::uniform8(prop_oneof![Just(0u16), Just(0xffff), any::<u16>()])
            .prop_map(|s| (format!("[IPv6:{}]", Ipv6Addr::from(s)), true)),
        any::<[u16; 8]>().prop_map(|s| {
            let groups: Vec<String> = s.iter().map(|g| format!("{g:X}")).collect();
            (format!("[ipv6:{}]", groups.join(":")), false)
        }),
        ("[a-zA-Z0-9-]{0,6}[a-zA-Z0-9]", "[!-;=?-Z^-~]{1,12}")
            .prop_filter("not the IPv6 tag", |(t, _)| !t.eq_ignore_ascii_case("ipv6"))
            .prop_map(|(t, c)| (format!("[{t}:{c}]"), true)),
    ]
}

/// A host as text, and whether the writer gives back exactly that text.
fn host(utf8: bool) -> impl Strategy<Value = (String, bool)> {
    prop_oneof![3 => domain(utf8).prop_map(|d| (d, true)), 1 => literal()]
}

fn mailbox(utf8: bool) -> impl Strategy<Value = (String, String, bool)> {
    (local_part(utf8), host(utf8))
        .prop_map(|(l, (h, exact))| (format!("{l}@{h}"), l, exact))
        .prop_filter("254 octets", |(m, _, _)| m.len() <= 254)
}

fn check_mailbox(s: &str, local: &str, exact: bool, utf8: bool) -> Result<(), TestCaseError> {
    let m = Mailbox::parse(s, utf8).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
    let out = written(|b| m.write(b));
    if exact {
        prop_assert_eq!(&out, s);
    }
    // The local part is lossless, byte for byte.
    prop_assert_eq!(m.local_part().as_str(), local);
    let prefix = format!("{local}@");
    prop_assert!(out.starts_with(&prefix));
    prop_assert_eq!(Mailbox::parse(&out, utf8), Ok(m));
    prop_assert_eq!(m.to_string(), out);
    prop_assert_eq!(m.is_ascii(), s.is_ascii());
    Ok(())
}

/// Pieces of addresses, good and bad, to splice into near-miss inputs.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "<>",
    "@",
    "a",
    "B",
    "ü",
    "\"",
    "\\",
    ".",
    " ",
    ",",
    ":",
    "[",
    "]",
    "IPv6:",
    "::",
    "1",
    "255",
    "256",
    "1.2.3.4",
    "ffff",
    "-",
    "_",
    "x.example",
    "Postmaster",
    "\r\n",
    "\0",
    "@r.example:",
    "x:y",
];

/// `local@host`, each side spliced from likely pieces, maybe in a path.
fn near_miss() -> impl Strategy<Value = String> {
    // Good pieces are repeated so that about half the inputs are valid.
    const LOCAL: &[&str] = &[
        "a", "a", "a", "a", "B", "B", "1", "-", "ü", "\"a b\"", "\"a>b\"", "\"", "\\", " ", ".",
        "_", "\r\n", ">",
    ];
    const HOST: &[&str] = &[
        "x.example",
        "x.example",
        "x.example",
        "b",
        "b",
        "[1.2.3.4]",
        "[IPv6:::1]",
        "[x:y]",
        "1",
        "255",
        "256",
        ".",
        "[",
        "]",
        "IPv6:",
        "::",
        "ffff",
        "1.2.3.4",
        "-",
        "_",
        "x:y",
        ":",
        "ü",
        ">",
    ];
    let side = |set: &'static [&'static str], n| {
        prop::collection::vec(prop::sample::select(set), 1..n).prop_map(|t| t.concat())
    };
    let wrap = prop::sample::select(&["{}", "<{}>", "<@r.example:{}>", "<{}> X", "{} X"][..]);
    (side(LOCAL, 4), side(HOST, 6), wrap).prop_map(|(l, h, w)| w.replace("{}", &format!("{l}@{h}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ascii_mailboxes_round_trip((s, local, exact) in mailbox(false)) {
        check_mailbox(&s, &local, exact, false)?;
        check_mailbox(&s, &local, exact, true)?;
    }

    #[test]
    fn utf8_mailboxes_round_trip((s, local, exact) in mailbox(true)) {
        check_mailbox(&s, &local, exact, true)?;
        if !s.is_ascii() {
            prop_assert_eq!(Mailbox::parse(&s, false), Err(AddressError::NonAscii));
        }
    }

    #[test]
    fn paths_round_trip(
        (m, local, exact) in mailbox(true),
        route in prop::collection::vec(domain(false), 0..3),
        rest in "( [A-Z]{1,8}(=[a-z0-9]{1,4})?)?",
    ) {
        let adl: Vec<String> = route.iter().map(|d| format!("@{d}")).collect();
        let wire = if adl.is_empty() { format!("<{m}>") } else { format!("<{}:{m}>", adl.join(",")) };
        let line = format!("{wire}{rest}");
        let (fwd, tail) = match ForwardPath::parse_prefix(&line, true) {
            Ok(v) => v,
            Err(e) => {
                prop_assert!(wire.len() > 256, "{:?}: {}", wire, e);
                prop_assert_eq!(e, AddressError::PathTooLong);
                return Ok(());
            }
        };
        prop_assert!(wire.len() <= 256);
        prop_assert_eq!(tail, rest.as_str());
        let fwd_mb = fwd.mailbox().unwrap();
        prop_assert_eq!(fwd_mb.local_part().as_str(), local.as_str());
        let out = written(|b| fwd.write(b));
        if exact {
            prop_assert_eq!(&out, &format!("<{m}>"));
        }
        prop_assert_eq!(ForwardPath::parse(&out, true), Ok(fwd));
        let (rev, tail) = ReversePath::parse_prefix(&line, true).unwrap();
        prop_assert_eq!(tail, rest.as_str());
        prop_assert_eq!(rev.mailbox(), Some(fwd_mb));
        prop_assert_eq!(written(|b| rev.write(b)), out.clone());
        prop_assert_eq!(ReversePath::parse(&out, true), Ok(rev));
    }

    #[test]
    fn bracketless_prefix((m, _, _) in mailbox(false), rest in "( [A-Z]{1,8}=[0-9]{1,4})*") {
        let line = format!("{m}{rest}");
        let (got, tail) = Mailbox::parse_prefix(&line, false).unwrap();
        prop_assert_eq!(Ok(got), Mailbox::parse(&m, false));
        prop_assert_eq!(tail, rest.as_str());
    }

    #[test]
    fn any_ipv6_written_by_core_is_accepted(a in any::<[u16; 8]>(), v4 in any::<[u8; 4]>()) {
        for addr in [Ipv6Addr::from(a), Ipv4Addr::from(v4).to_ipv6_mapped(), Ipv4Addr::from(v4).to_ipv6_compatible()] {
            let lit = AddressLiteral::Ipv6(addr);
            let out = written(|b| lit.write(b));
            prop_assert_eq!(&out, &format!("[IPv6:{addr}]"));
            prop_assert_eq!(AddressLiteral::parse(&out), Ok(lit));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Arbitrary text never panics; whatever parses writes back to something
    /// that parses to the same value and holds no control byte.
    #[test]
    fn no_panic_and_parsed_values_are_writable(
        s in prop_oneof![
            any::<String>(),
            "[<>@\\[\\]\".:,a-c0-9 \\\\\r\n\0ü-]{0,40}",
            prop::collection::vec(prop::sample::select(TOKENS), 0..14).prop_map(|t| t.concat()),
            near_miss(),
        ],
        utf8 in any::<bool>(),
    ) {
        let clean = |out: &str| !out.bytes().any(|b| b < 0x20 || b == 0x7f);
        if let Ok(v) = Domain::parse(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out) && out == s);
        }
        if let Ok(v) = Host::parse(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out));
            prop_assert_eq!(Host::parse(&out, utf8), Ok(v));
        }
        if let Ok(v) = LocalPart::parse(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out) && out == s);
        }
        if let Ok(v) = Mailbox::parse(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out));
            prop_assert_eq!(Mailbox::parse(&out, utf8), Ok(v));
        }
        if let Ok((v, _)) = ReversePath::parse_prefix(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out) && out.len() <= 256);
            prop_assert_eq!(ReversePath::parse(&out, utf8), Ok(v));
        }
        if let Ok((v, _)) = ForwardPath::parse_prefix(&s, utf8) {
            let out = written(|b| v.write(b));
            prop_assert!(clean(&out) && out.len() <= 256);
            prop_assert_eq!(ForwardPath::parse(&out, utf8), Ok(v));
        }
        let _ = Mailbox::parse_prefix(&s, utf8);
        let _ = AddressLiteral::parse(&s);
        if !utf8 && !s.is_ascii() {
            prop_assert_eq!(Mailbox::parse(&s, false), Err(AddressError::NonAscii));
        }
    }
}
