//! The hand-written fast path for the common case of a parameter list
//! (RFC 5321 §4.1.2 `Mail-parameters` / `Rcpt-parameters`): ASCII, one SP
//! before each parameter. Anything else returns "not handled", and the
//! checked nom path in the parent module then decides; the tests check that
//! wherever the fast path answers, the nom tokenizer agrees.

use super::super::domain::run_len;
use super::{ParamError, Raw};

/// The ASCII case of `SP esmtp-param` (RFC 5321 §4.1.2) at the start of
/// `s`, followed by SP or the end: `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA /
/// DIGIT / "-")`, `esmtp-value = 1*(%d33-60 / %d62-126)`. Returns the
/// parameter and the rest; `None` for anything else, including a non-ASCII
/// byte, which only the nom path ([`esmtp_param`](super::esmtp_param)) judges.
#[inline(always)]
pub(super) fn fast_param(s: &str) -> Option<(Raw<'_>, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b' ') || !b.get(1)?.is_ascii_alphanumeric() {
        return None;
    }
    let mut end = 2 + run_len(b.get(2..)?, &KEYWORD_CHAR);
    let keyword = s.get(1..end)?;
    let value = if b.get(end) == Some(&b'=') {
        let start = end + 1;
        end = start + run_len(b.get(start..)?, &VALUE_CHAR);
        if end == start {
            return None;
        }
        Some(s.get(start..end)?)
    } else {
        None
    };
    match b.get(end) {
        None | Some(b' ') => Some(((keyword, value), s.get(end..)?)),
        Some(_) => None,
    }
}

/// `ALPHA / DIGIT / "-"` (`esmtp-keyword`), by byte.
static KEYWORD_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c == b'-' as usize;
        c += 1;
    }
    t
};

/// `%d33-60 / %d62-126` (ASCII `esmtp-value`), by byte.
static VALUE_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = matches!(c as u8, b'!'..=b'<' | b'>'..=b'~');
        c += 1;
    }
    t
};

/// The common case in one pass: ASCII parameters each after exactly one SP
/// (which both modes read the same way), each handed to `apply` in order.
/// Returns false if that is not the shape of `s` or `apply` refuses a
/// parameter: the caller then starts over on the checked path, which finds
/// and ranks the error. When this returns true, the checked path would have
/// handed `apply` the same parameters in the same order.
#[inline(always)]
pub(super) fn one_pass<'a>(
    s: &'a str,
    mut apply: impl FnMut(Raw<'a>) -> Result<(), ParamError>,
) -> bool {
    if !crate::syntax::FAST_PATHS {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let Some((raw, next)) = fast_param(rest) else {
            return false;
        };
        if apply(raw).is_err() {
            return false;
        }
        rest = next;
    }
    true
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{ParseOptions, RawParams, eq_upper};
    use super::*;

    /// `eq_upper` is `eq_ignore_ascii_case` for upper-case targets.
    #[test]
    fn eq_upper_is_eq_ignore_ascii_case() {
        use proptest::prelude::*;
        let bytes = proptest::sample::select(&b"sSiIzZeE-:8 \x00\x13\x33\xd3\xf3@`"[..]);
        proptest!(|(v in proptest::collection::vec(bytes, 0..6))| {
            prop_assert_eq!(eq_upper(&v, b"SIZE"), v.eq_ignore_ascii_case(b"SIZE"));
            prop_assert_eq!(eq_upper(&v, b" FROM:"), v.eq_ignore_ascii_case(b" FROM:"));
            prop_assert_eq!(eq_upper(&v, b"8BIT"), v.eq_ignore_ascii_case(b"8BIT"));
            prop_assert_eq!(eq_upper(&v, b"S-Z"), v.eq_ignore_ascii_case(b"S-Z"));
        });
    }

    /// Parameter lists that are mostly well-formed, with the spacing,
    /// keyword and value mistakes the grammar cares about mixed in.
    fn near_params() -> impl proptest::strategy::Strategy<Value = std::string::String> {
        use proptest::prelude::*;
        use std::{format, string::String};
        let keyword = prop_oneof![
            6 => proptest::sample::select(&[
                "SIZE", "body", "RET", "ENVID", "AUTH", "NOTIFY", "ORCPT", "SMTPUTF8", "X-Y",
                "BY", "HOLDFOR", "MT-PRIORITY", "REQUIRETLS",
            ][..]),
            1 => proptest::sample::select(&["-A", "", "é", "A_B"][..]),
        ];
        let value = prop_oneof![
            6 => proptest::sample::select(&[
                "1", "48213", "8BITMIME", "7bit", "HDRS", "full", "QQ314159", "<>",
                "SUCCESS,FAILURE", "never", "rfc822;a+40b", "a+2Bb", "120;R", "-9",
            ][..]),
            1 => proptest::sample::select(&["", "a=b", "x y", "é", "+0A", "\t"][..]),
        ];
        let sep = prop_oneof![8 => Just(" "), 1 => Just("  "), 1 => Just("")];
        let param = (sep, keyword, proptest::option::of(value)).prop_map(|(s, k, v)| match v {
            Some(v) => format!("{s}{k}={v}"),
            None => format!("{s}{k}"),
        });
        let tail = prop_oneof![8 => Just(""), 1 => Just(" ")];
        (proptest::collection::vec(param, 1..4), tail).prop_map(|(v, t)| {
            let mut s: String = v.concat();
            s.push_str(t);
            s
        })
    }

    /// Wherever the one-pass tokenizer answers, the nom tokenizer agrees.
    #[test]
    fn fast_param_agrees() {
        use proptest::prelude::*;
        let hits = core::cell::Cell::new(0u32);
        proptest!(|(s in near_params())| {
            if let Some((raw, rest)) = fast_param(&s) {
                hits.set(hits.get() + 1);
                for lenient in [false, true] {
                    let opts = ParseOptions::STRICT.utf8(lenient);
                    let opts = if lenient { opts.lenient() } else { opts };
                    let mut it = RawParams { rest: &s, opts };
                    prop_assert_eq!(it.next(), Some(Ok(raw)));
                    prop_assert_eq!(it.rest, rest);
                }
            }
        });
        assert!(hits.get() > 25, "fast path reached {} times", hits.get());
    }

    /// Wherever the one pass succeeds, the checked path gives the same
    /// parameters, in every mode.
    // It counts how often the fast path answered: only with it on.
    #[cfg(feature = "fast-parse")]
    #[test]
    fn one_pass_agrees_with_the_checked_path() {
        use super::super::{MailParameters, RcptParameters};
        use proptest::prelude::*;
        let hits = core::cell::Cell::new(0u32);
        proptest!(|(s in near_params())| {
            for opts in [
                ParseOptions::STRICT,
                ParseOptions::STRICT.utf8(true),
                ParseOptions::STRICT.lenient(),
            ] {
                let mut m = MailParameters::default();
                if one_pass(&s, |raw| m.apply(raw)) {
                    hits.set(hits.get() + 1);
                    prop_assert_eq!(MailParameters::parse_checked(&s, opts), Ok(m));
                }
                let mut r = RcptParameters::default();
                if one_pass(&s, |raw| r.apply(raw)) {
                    hits.set(hits.get() + 1);
                    prop_assert_eq!(RcptParameters::parse_checked(&s, opts), Ok(r));
                }
            }
        });
        assert!(hits.get() > 50, "one pass succeeded {} times", hits.get());
    }
}
