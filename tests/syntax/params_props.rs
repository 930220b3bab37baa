//! Property tests: write→parse is the identity for generated MAIL/RCPT
//! parameters and xtext values, and parsing arbitrary text never panics.
//! The generated parameters are those this build has: SMTPUTF8 with the
//! `smtputf8` feature, RET, ENVID, NOTIFY and ORCPT with `dsn` (without
//! them the keywords are unknown parameters, generated as such).

use embedded_smtp::built;
use embedded_smtp::syntax::params::xtext::XText;
use embedded_smtp::syntax::params::{
    Body, By, ByMode, Hold, MailAuth, MailParameters, Notify, Orcpt, ParamError, RcptParameters,
    Ret, UnknownParam,
};
use embedded_smtp::syntax::{ParseOptions, WriteError};
use proptest::prelude::*;

const STRICT: ParseOptions = ParseOptions::STRICT;

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

// ---- property tests -------------------------------------------------------

/// Bytes an xtext may hold: everything but control bytes.
fn plain_byte() -> impl Strategy<Value = u8> {
    prop_oneof![0x20u8..0x7f, 0x80u8..=0xff]
}

fn date_time() -> impl Strategy<Value = String> {
    let offset = prop_oneof![
        Just("Z".to_string()),
        Just("z".to_string()),
        (prop_oneof![Just('+'), Just('-')], 0u8..24, 0u8..60)
            .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
    ];
    let frac = proptest::option::of("[0-9]{1,6}");
    (
        0u16..10000,
        1u8..13,
        1u8..32,
        0u8..24,
        0u8..60,
        0u8..61,
        frac,
        offset,
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
}

#[derive(Debug, Clone)]
struct MailSpec {
    size: Option<u64>,
    body: Option<Body>,
    smtputf8: bool,
    ret: Option<Ret>,
    envid: Option<Vec<u8>>,
    auth: Option<Option<Vec<u8>>>,
    requiretls: bool,
    mt_priority: Option<i8>,
    by: Option<By>,
    hold_for: Option<u32>,
    hold_until: Option<String>,
    unknown: Option<(String, Option<String>)>,
}

fn unknown_param(
    known: &'static [&'static str],
) -> impl Strategy<Value = (String, Option<String>)> {
    (
        "[A-Za-z0-9][A-Za-z0-9-]{0,12}",
        proptest::option::of("[!-<>-~]{1,20}"),
    )
        .prop_filter("known keyword", move |(k, _)| {
            !known.iter().any(|n| n.eq_ignore_ascii_case(k))
        })
}

/// The MAIL keywords this build knows (an unknown parameter is none of them).
const MAIL_KNOWN: &[&str] = &[
    "SIZE",
    "BODY",
    #[cfg(feature = "smtputf8")]
    "SMTPUTF8",
    #[cfg(feature = "dsn")]
    "RET",
    #[cfg(feature = "dsn")]
    "ENVID",
    "AUTH",
    "REQUIRETLS",
    "MT-PRIORITY",
    "BY",
    "HOLDFOR",
    "HOLDUNTIL",
];
/// The RCPT keywords this build knows.
const RCPT_KNOWN: &[&str] = &[
    #[cfg(feature = "dsn")]
    "NOTIFY",
    #[cfg(feature = "dsn")]
    "ORCPT",
];

fn mail_spec() -> impl Strategy<Value = MailSpec> {
    let body = prop_oneof![
        Just(Body::SevenBit),
        Just(Body::EightBitMime),
        Just(Body::BinaryMime)
    ];
    let ret = prop_oneof![Just(Ret::Full), Just(Ret::Hdrs)];
    let by = (-999_999_999i32..=999_999_999, any::<bool>(), any::<bool>()).prop_map(
        |(time, r, trace)| By {
            time,
            mode: if r { ByMode::Return } else { ByMode::Notify },
            trace,
        },
    );
    let auth = proptest::option::of(
        proptest::collection::vec(plain_byte(), 1..40).prop_filter("<>", |v| v.as_slice() != b"<>"),
    );
    let hold = prop_oneof![
        Just((None, None)),
        (0u32..=999_999_999).prop_map(|n| (Some(n), None)),
        date_time().prop_map(|d| (None, Some(d))),
    ];
    (
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of(body),
            any::<bool>(),
            proptest::option::of(ret),
        ),
        (
            proptest::option::of(proptest::collection::vec(plain_byte(), 1..=33)),
            proptest::option::of(auth),
            any::<bool>(),
            proptest::option::of(-9i8..=9),
        ),
        (
            proptest::option::of(by),
            hold,
            proptest::option::of(unknown_param(MAIL_KNOWN)),
        ),
    )
        .prop_map(
            |(
                (size, body, smtputf8, ret),
                (envid, auth, requiretls, mt_priority),
                (by, hold, unknown),
            )| {
                MailSpec {
                    size,
                    body,
                    smtputf8: built::SMTPUTF8 && smtputf8,
                    ret: ret.filter(|_| built::DSN),
                    envid: envid.filter(|_| built::DSN),
                    auth,
                    requiretls,
                    mt_priority,
                    by,
                    hold_for: hold.0,
                    hold_until: hold.1,
                    unknown,
                }
            },
        )
}

impl MailSpec {
    fn build(&self) -> MailParameters<'_> {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.as_deref().map(xt),
            auth: self.auth.as_ref().map(|a| {
                a.as_deref()
                    .map_or(MailAuth::Empty, |v| MailAuth::Mailbox(xt(v)))
            }),
            requiretls: self.requiretls,
            mt_priority: self.mt_priority,
            by: self.by,
            hold: self
                .hold_for
                .map(Hold::For)
                .or(self.hold_until.as_deref().map(Hold::Until)),
            unknown: self.unknown.as_ref().map(|(k, v)| UnknownParam {
                keyword: k,
                value: v.as_deref(),
            }),
        }
    }
}

fn notify() -> impl Strategy<Value = Notify> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(s, f, d)| {
        let pick = |on, n| if on { n } else { Notify::NEVER };
        pick(s, Notify::SUCCESS) | pick(f, Notify::FAILURE) | pick(d, Notify::DELAY)
    })
}

proptest! {
    #[test]
    fn xtext_plain_round_trip(bytes in proptest::collection::vec(plain_byte(), 0..64)) {
        let x = XText::from_plain(&bytes).unwrap();
        let mut buf = [0u8; 256];
        let n = x.write(&mut buf).unwrap();
        prop_assert_eq!(n, x.encoded_len());
        let wire = core::str::from_utf8(&buf[..n]).unwrap();
        let back = XText::from_encoded(wire).unwrap();
        prop_assert_eq!(back, x);
        prop_assert_eq!(back.decode().collect::<Vec<_>>(), bytes.clone());
        prop_assert_eq!(back.decoded_len(), bytes.len());
        let mut out = [0u8; 64];
        prop_assert_eq!(back.decode_into(&mut out).unwrap(), &bytes[..]);
        // The encoded form is written back unchanged.
        let mut again = [0u8; 256];
        let m = back.write(&mut again).unwrap();
        prop_assert_eq!(&again[..m], wire.as_bytes());
    }

    #[test]
    fn xtext_encoded_never_panics(s in "\\PC{0,24}|[!-~]{0,24}") {
        if let Ok(x) = XText::from_encoded(&s) {
            prop_assert!(x.decode().all(|b| b >= 0x20 && b != 0x7f));
            let mut buf = [0u8; 128];
            let n = x.write(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], s.as_bytes());
        }
    }

    #[test]
    fn mail_round_trip(spec in mail_spec(), lenient in any::<bool>()) {
        let p = spec.build();
        let wire = write_mail(&p).unwrap();
        let opts = if lenient { STRICT.lenient() } else { STRICT };
        prop_assert_eq!(MailParameters::parse(&wire, opts), Ok(p));
    }

    #[test]
    fn rcpt_round_trip(
        notify in proptest::option::of(notify()),
        orcpt in proptest::option::of(("[A-Za-z0-9!#$%&'*+/?^_`{|}~-]{1,10}", proptest::collection::vec(plain_byte(), 0..100))),
        unknown in proptest::option::of(unknown_param(RCPT_KNOWN)),
    ) {
        let p = RcptParameters {
            notify: notify.filter(|_| built::DSN),
            orcpt: orcpt.as_ref().filter(|_| built::DSN).map(|(t, a)| Orcpt { addr_type: t, address: xt(a) }),
            unknown: unknown.as_ref().map(|(k, v)| UnknownParam { keyword: k, value: v.as_deref() }),
        };
        let wire = write_rcpt(&p).unwrap();
        prop_assert_eq!(rcpt(&wire), Ok(p));
    }

    #[test]
    fn parse_never_panics_and_reparses(s in "( [!-~]{0,12}){0,4}|\\PC{0,40}", utf8 in any::<bool>(), lenient in any::<bool>()) {
        let opts = STRICT.utf8(utf8);
        let opts = if lenient { opts.lenient() } else { opts };
        // Whatever parses is written back (the writer accepts it) and reads the same.
        if let Ok(p) = MailParameters::parse(&s, opts) {
            let wire = write_mail(&p).unwrap();
            prop_assert_eq!(MailParameters::parse(&wire, opts.utf8(true)), Ok(p));
        }
        // Whatever parses is written back (the writer accepts it) and reads the same.
        if let Ok(p) = RcptParameters::parse(&s, opts) {
            let wire = write_rcpt(&p).unwrap();
            prop_assert_eq!(RcptParameters::parse(&wire, opts.utf8(true)), Ok(p));
        }
    }
}

/// A token that looks like a parameter: a known or unknown keyword in any
/// case, with a value drawn from plausible and broken ones.
fn token() -> impl Strategy<Value = String> {
    let keyword = prop_oneof![
        proptest::sample::select(vec![
            "SIZE",
            "BODY",
            "SMTPUTF8",
            "RET",
            "ENVID",
            "AUTH",
            "REQUIRETLS",
            "MT-PRIORITY",
            "BY",
            "HOLDFOR",
            "HOLDUNTIL",
            "NOTIFY",
            "ORCPT",
            "X-FOO",
            "-X",
            "",
        ])
        .prop_map(str::to_string),
        "[A-Za-z0-9-]{1,6}",
    ];
    let value = prop_oneof![
        Just(None),
        proptest::sample::select(vec![
            "",
            "0",
            "123",
            "abc",
            "7BIT",
            "8bitmime",
            "FULL",
            "hdrs",
            "<>",
            "a+2Bb",
            "x+0Ay",
            "-5",
            "+9",
            "12",
            "120;R",
            "-1;nt",
            "2026-11-25T12:00:00Z",
            "success,delay",
            "NEVER",
            "never,success",
            "rfc822;a@b",
            "a=b",
            "ü",
            "+",
            "+2b",
        ])
        .prop_map(|v| Some(v.to_string())),
        "[!-~]{1,8}".prop_map(Some),
    ];
    (keyword, value, any::<bool>()).prop_map(|(k, v, lower)| {
        let k = if lower { k.to_ascii_lowercase() } else { k };
        match v {
            Some(v) => format!("{k}={v}"),
            None => k,
        }
    })
}

proptest! {
    #[test]
    fn keyword_soup(
        tokens in proptest::collection::vec(token(), 0..6),
        sep in proptest::sample::select(vec![" ", "  "]),
        utf8 in any::<bool>(),
        lenient in any::<bool>(),
    ) {
        let line: String = tokens.iter().map(|t| format!("{sep}{t}")).collect();
        let opts = STRICT.utf8(utf8);
        let opts = if lenient { opts.lenient() } else { opts };
        if let Ok(p) = MailParameters::parse(&line, opts) {
            let wire = write_mail(&p).unwrap();
            prop_assert_eq!(MailParameters::parse(&wire, opts), Ok(p));
        }
        if let Ok(p) = RcptParameters::parse(&line, opts) {
            let wire = write_rcpt(&p).unwrap();
            prop_assert_eq!(RcptParameters::parse(&wire, opts), Ok(p));
        }
        // A double space is never strict.
        if sep == "  " && !tokens.is_empty() && !lenient {
            prop_assert!(MailParameters::parse(&line, opts).is_err());
        }
    }
}
