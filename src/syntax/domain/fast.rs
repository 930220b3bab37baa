//! Hand-written fast paths for the common ASCII cases of the domain
//! grammars (RFC 5321 §4.1.2 `Domain`, §4.1.3 IPv4 address literals). Each
//! returns `None` for anything it does not handle, and the nom grammar in the
//! parent module then decides; the tests check that wherever a fast path
//! answers, the grammar gives the same value.

use core::net::Ipv4Addr;

use super::{AddressLiteral, Domain, Host, MAX_DOMAIN_LEN, MAX_LABEL_LEN};

/// Whether `label` is an ASCII `sub-domain = Let-dig [Ldh-str]` of at most
/// 63 octets; `label` holds only letters, digits and hyphens.
#[inline]
fn fast_label_ok(label: &[u8]) -> bool {
    matches!(
        (label.first(), label.last()),
        (Some(f), Some(l)) if *f != b'-' && *l != b'-'
    ) && label.len() <= MAX_LABEL_LEN
}

/// How many bytes at the start of `s` are in `class` (a byte table): the
/// scanning loop of the hand-written fast paths.
#[inline(always)]
pub(crate) fn run_len(s: &[u8], class: &[bool; 256]) -> usize {
    let mut n = 0;
    while let Some(&c) = s.get(n) {
        if !class[usize::from(c)] {
            break;
        }
        n += 1;
    }
    n
}

/// `ALPHA / DIGIT / "-"`, the characters of an ASCII label, by byte.
static LDH: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'-';
        c += 1;
    }
    t
};

/// The ASCII case of [`domain`](super::domain), hand-written for the hot paths (the EHLO
/// argument, the domain of every path): `Domain = sub-domain *("."
/// sub-domain)`, `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2), labels
/// of at most 63 octets, at most 255 in all. It stops at the first byte that
/// is not a letter, digit, hyphen or dot, as [`domain`](super::domain) does.
///
/// `None` means "not this simple case", not "invalid": a bad label, a
/// trailing dot, a length over a limit, or a non-ASCII byte (which [`domain`](super::domain)
/// may take as part of a U-label). The caller then runs [`domain`](super::domain), which
/// decides and reports. Whenever this returns `Some`, [`domain`](super::domain) returns the
/// same value (`tests::fast_domain_agrees`).
#[inline]
pub(crate) fn fast_domain(i: &str) -> Option<(Domain<'_>, &str)> {
    let b = i.as_bytes();
    let mut pos = 0;
    // Each pass reads one label and the byte after it.
    loop {
        let tail = b.get(pos..)?;
        let len = run_len(tail, &LDH);
        if !fast_label_ok(tail.get(..len)?) {
            return None;
        }
        pos += len;
        match b.get(pos) {
            Some(b'.') => pos += 1,
            Some(c) if !c.is_ascii() => return None,
            _ => break,
        }
    }
    if pos > MAX_DOMAIN_LEN {
        return None;
    }
    Some((Domain(i.get(..pos)?), i.get(pos..)?))
}

/// `"[" Snum 3("." Snum) "]"` (RFC 5321 §4.1.3) at the start of `b`, each
/// `Snum` greedy up to three digits of value 0–255 as [`snum`](super::snum)
/// reads it: the octets and the length, brackets included.
#[inline]
fn fast_ipv4_literal(b: &[u8]) -> Option<([u8; 4], usize)> {
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 1;
    for (k, octet) in octets.iter_mut().enumerate() {
        let mut n = 0u16;
        let mut digits = 0;
        while digits < 3 {
            match b.get(i) {
                Some(&c) if c.is_ascii_digit() => n = n * 10 + u16::from(c - b'0'),
                _ => break,
            }
            i += 1;
            digits += 1;
        }
        let sep = if k == 3 { b']' } else { b'.' };
        if digits == 0 || b.get(i) != Some(&sep) {
            return None;
        }
        *octet = u8::try_from(n).ok()?;
        i += 1;
    }
    Some((octets, i))
}

/// The common cases of [`host`](super::host), hand-written: a [`fast_domain`], or an
/// `IPv4-address-literal` in brackets (`"[" Snum 3("." Snum) "]"`, RFC 5321
/// §4.1.3). Returns the host, its length on the wire and the rest; `None`
/// sends the caller to [`host`](super::host) (`tests::fast_host_agrees`).
#[inline]
pub(crate) fn fast_host(i: &str) -> Option<(Host<'_>, usize, &str)> {
    if !crate::syntax::FAST_PATHS {
        return None;
    }
    if !i.starts_with('[') {
        let (d, rest) = fast_domain(i)?;
        return Some((Host::Domain(d), d.0.len(), rest));
    }
    let (octets, len) = fast_ipv4_literal(i.as_bytes())?;
    let lit = AddressLiteral::Ipv4(Ipv4Addr::from(octets));
    Some((Host::Literal(lit), len, i.get(len..)?))
}

#[cfg(test)]
mod tests {
    use super::super::domain;
    #[cfg(feature = "fast-parse")]
    use super::super::host;
    use super::*;

    /// Wherever the fast path answers, it gives what the grammar gives.
    #[test]
    fn fast_domain_agrees() {
        use proptest::prelude::*;
        let pieces = proptest::sample::select(
            &[
                "a",
                "b1",
                "-",
                ".",
                "..",
                "x-y",
                "0",
                "ü",
                "_",
                ">",
                " ",
                "[",
                "abcdefghij",
            ][..],
        );
        let strategy = (proptest::collection::vec(pieces, 0..40), 0usize..70);
        proptest!(|((parts, repeat) in strategy)| {
            let mut s = parts.concat();
            if repeat > 60 {
                s = s.repeat(20);
            }
            if let Some((d, rest)) = fast_domain(&s) {
                for utf8 in [false, true] {
                    prop_assert_eq!(domain(&s, utf8), Ok((rest, d)));
                }
            }
        });
        assert_eq!(fast_domain("a.b>"), Some((Domain("a.b"), ">")));
        assert_eq!(fast_domain("a.b."), None);
        assert_eq!(fast_domain("-a"), None);
        assert_eq!(fast_domain("aü"), None);
    }

    // It counts how often the fast path answered: only with it on.
    #[cfg(feature = "fast-parse")]
    #[test]
    fn fast_host_agrees() {
        extern crate std;
        use proptest::prelude::*;
        use std::{format, string::String, vec::Vec};
        // Dotted numbers of one to five parts, each 0-1300 with optional
        // leading zeros, in brackets or not, then something after.
        let num = (0u16..1300, 0usize..3).prop_map(|(n, z)| format!("{}{n}", "0".repeat(z)));
        let literal = (proptest::collection::vec(num, 1..6), 0usize..4, 0usize..3).prop_map(
            |(parts, open, close)| {
                let open = ["[", "[", "[", ""][open];
                let close = ["]", "]", ""][close];
                let parts: Vec<String> = parts;
                format!("{open}{}{close}", parts.join("."))
            },
        );
        let tail = proptest::sample::select(&["", ">", " x", ":", "]"][..]);
        let hits = core::cell::Cell::new(0u32);
        proptest!(|((lit, t) in (literal, tail))| {
            let s = format!("{lit}{t}");
            if let Some((h, len, rest)) = fast_host(&s) {
                hits.set(hits.get() + 1);
                prop_assert_eq!(s.len() - rest.len(), len);
                for utf8 in [false, true] {
                    prop_assert_eq!(host(&s, utf8), Ok((rest, h)));
                }
            }
        });
        assert!(hits.get() > 10, "fast path reached {} times", hits.get());
        let want = AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 17));
        assert_eq!(
            fast_host("[192.0.2.17]>"),
            Some((Host::Literal(want), 12, ">"))
        );
        for no in [
            "[256.0.0.1]",
            "[1.2.3]",
            "[1.2.3.4.5]",
            "[1.2.3.4",
            "[01234.1.1.1]",
        ] {
            assert_eq!(fast_host(no), None, "{no}");
        }
    }
}
