//! The hand-written fast path for the common case of a path (RFC 5321
//! §4.1.2): ASCII, no source route, no quoted string. It returns `None` for
//! anything else, and the nom grammar in the parent module then decides; the
//! tests check that wherever it answers, the grammar gives the same value.

use super::super::domain::{fast_host, run_len};
use super::{LocalPart, MAX_LOCAL_PART_LEN, MAX_PATH_LEN, Mailbox};

/// ASCII `atext` (RFC 5322 §3.2.3): what [`is_atext`](super::is_atext) accepts below 0x80.
const fn ascii_atext_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        c += 1;
    }
    t
}

static ATEXT: [bool; 256] = ascii_atext_table();

/// The common case of [`path`](super::path), hand-written: `"<" Dot-string "@" Domain ">"`
/// (RFC 5321 §4.1.2) in ASCII, with no source route or quoted string, the
/// host as [`fast_host`] reads it (a domain or an IPv4 literal), the local part at most 64 octets (§4.5.3.1.1) and the
/// mailbox at most 254 (§4.5.3.1.3). `None` means "not this simple case",
/// not "invalid": the caller then runs the nom grammar, which decides and
/// reports. Whenever this returns `Some`, [`path`](super::path) gives the same value
/// (`tests::fast_path_agrees`).
#[inline(always)]
pub(crate) fn fast_path(i: &str) -> Option<(&str, Mailbox<'_>)> {
    if !crate::syntax::FAST_PATHS {
        return None;
    }
    let b = i.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    // `Dot-string = Atom *("." Atom)`: each pass reads one atom (which must
    // not be empty) and the byte after it.
    let mut pos = 1;
    loop {
        let tail = b.get(pos..)?;
        let len = run_len(tail, &ATEXT);
        if len == 0 {
            return None;
        }
        pos += len;
        match b.get(pos) {
            Some(b'.') => pos += 1,
            Some(b'@') => break,
            _ => return None,
        }
    }
    if pos - 1 > MAX_LOCAL_PART_LEN {
        return None;
    }
    let local = LocalPart(i.get(1..pos)?);
    let (host, host_len, rest) = fast_host(i.get(pos + 1..)?)?;
    let rest = rest.strip_prefix('>')?;
    if pos + host_len > MAX_PATH_LEN - 2 {
        return None;
    }
    Some((rest, Mailbox { local, host }))
}

// They count how often the fast path answered: only with it on.
#[cfg(all(test, feature = "fast-parse"))]
mod tests {
    extern crate std;
    use super::super::grammar_path;
    use super::*;

    /// Near-valid paths: atoms and labels that are mostly right, with the
    /// mistakes and limits the grammar cares about mixed in.
    fn near_paths() -> impl proptest::strategy::Strategy<Value = std::string::String> {
        use proptest::prelude::*;
        use std::format;
        let atom = prop_oneof![
            8 => proptest::sample::select(&["a", "bob", "x-y", "!#$%&'*+/=?^_`{|}~", "A1"][..]),
            1 => proptest::sample::select(&["\"q\"", "", "ü", " ", "\x01"][..]),
        ];
        let label = prop_oneof![
            8 => proptest::sample::select(&["a", "example", "b-c", "1", "abcdefghijklmnopqrst"][..]),
            1 => proptest::sample::select(&["-x", "x-", "ab_c", "", "ü"][..]),
        ];
        let local = (proptest::collection::vec(atom, 1..4), 1usize..40).prop_map(|(v, n)| {
            let l = v.join(".");
            if n > 34 { l.repeat(n) } else { l }
        });
        let domain = (proptest::collection::vec(label, 1..5), 1usize..40).prop_map(|(v, n)| {
            let d = v.join(".");
            if n > 34 { d.repeat(n) } else { d }
        });
        let literal = (0u16..300, 0u16..300, 0u16..300, 0u16..1300)
            .prop_map(|(a, b, c, d)| format!("[{a}.{b}.{c}.{d}]"));
        let host = prop_oneof![3 => domain, 1 => literal];
        let route = proptest::sample::select(&["", "", "", "", "", "", "@r.example:"][..]);
        let tail = proptest::sample::select(&["", " SIZE=1", ">", "x", "\r"][..]);
        (route, local, host, any::<bool>(), tail).prop_map(|(r, l, h, close, t)| {
            let close = if close { ">" } else { "" };
            format!("<{r}{l}@{h}{close}{t}")
        })
    }

    /// Wherever the fast path answers, it gives what the grammar gives; and
    /// it does answer for most well-formed paths.
    #[test]
    fn fast_path_agrees() {
        use proptest::prelude::*;
        use std::format;
        let hits = core::cell::Cell::new(0u32);
        proptest!(|(s in near_paths())| {
            if let Some(fast) = fast_path(&s) {
                hits.set(hits.get() + 1);
                for utf8 in [false, true] {
                    prop_assert_eq!(grammar_path(&s, utf8), Ok(fast));
                }
            }
        });
        assert!(hits.get() > 25, "fast path reached {} times", hits.get());
        let long = format!("<{}@b.example>", "a".repeat(65));
        assert_eq!(fast_path(&long), None);
        assert!(fast_path("<a.b@c.example> X").is_some());
        for no in [
            "<>",
            "<@r.example:a@b>",
            "<\"a\"@b>",
            "<a@[IPv6:::1]>",
            "<a.@b>",
            "<a@b",
        ] {
            assert_eq!(fast_path(no), None, "{no}");
        }
    }
}
