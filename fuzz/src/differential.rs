//! Differential check: our command parser against smtp-proto 0.2's
//! `Request::parse` on lines that both accept. They must agree on the verb,
//! the path and the parameters both understand.
//!
//! Intentional differences (not compared, or compared after mapping):
//! - `<Postmaster>`: smtp-proto returns the empty address (as for `<>`); we
//!   keep `ForwardPath::Postmaster`. Mapped to "" before comparing.
//! - Quoted local parts and address literals: smtp-proto unquotes and keeps
//!   literals as text, we keep the local part lossless and type literals;
//!   paths with either are compared on the verb only.
//! - Case: smtp-proto keeps the address as sent, so do we; EHLO hosts are
//!   compared ASCII-case-insensitively.
//! - We are stricter in many places (domain grammar, lengths, parameter
//!   grammar, duplicate parameters, control bytes): lines only one side
//!   accepts are not compared.
//! - An over-long SIZE: ours saturates at `u64::MAX`, smtp-proto caps it at
//!   9999999999999 (found by this target); a server answers 552 to either.
//!   SIZE is compared below 10^12 only.
//! - MT-PRIORITY, BY, HOLDFOR, HOLDUNTIL, ENVID, AUTH=, ORCPT and unknown
//!   parameters are not compared (smtp-proto decodes some and ignores others).
//! - SMTPUTF8 (without the `smtputf8` feature) and RET and NOTIFY (without
//!   `dsn`) are unknown parameters to us: then we must not have set them,
//!   whatever smtp-proto read.

use embedded_smtp::built;
use embedded_smtp::syntax::{Body, Command, ForwardPath, Host, Mailbox, Ret, ReversePath};

fn plain_address(m: &Mailbox<'_>) -> Option<String> {
    if m.local_part().is_quoted() || !matches!(m.host(), Host::Domain(_)) {
        return None;
    }
    Some(m.to_string())
}

/// See the module docs.
pub fn differential(data: &[u8]) {
    let Some((&sel, line)) = data.split_first() else {
        return;
    };
    if line.iter().any(|&b| b == b'\r' || b == b'\n') {
        return;
    }
    let opts = embedded_smtp::syntax::ParseOptions {
        mode: embedded_smtp::syntax::Mode::Strict,
        utf8: sel & 1 == 1,
    };
    let Ok(ours) = Command::parse(line, opts) else {
        return;
    };
    let mut framed = line.to_vec();
    framed.extend_from_slice(b"\r\n");
    let Ok(theirs) = smtp_proto::Request::parse(&mut framed.iter()) else {
        return;
    };

    assert_eq!(
        ours.verb().as_str(),
        theirs.name(),
        "verb differs for {:?}",
        String::from_utf8_lossy(line)
    );
    match (ours, theirs) {
        (Command::Ehlo(h), smtp_proto::Request::Ehlo { host })
        | (Command::Helo(h), smtp_proto::Request::Helo { host })
        | (Command::Lhlo(h), smtp_proto::Request::Lhlo { host }) => {
            if matches!(h, Host::Domain(_)) {
                assert!(
                    h.to_string().eq_ignore_ascii_case(&host),
                    "host: ours {h} theirs {host}"
                );
            }
        }
        (Command::Mail { from, params }, smtp_proto::Request::Mail { from: theirs }) => {
            let ours_addr = match from {
                ReversePath::Null => Some(String::new()),
                ReversePath::Mailbox(m) => plain_address(&m),
            };
            if let Some(a) = ours_addr {
                assert_eq!(a, theirs.address, "MAIL address");
            }
            if let Some(size) = params.size.filter(|&n| n < 1_000_000_000_000) {
                assert_eq!(size as usize, theirs.size, "SIZE");
            }
            let flag = |f: u64| theirs.flags & f != 0;
            assert_eq!(
                params.body == Some(Body::SevenBit),
                flag(smtp_proto::MAIL_BODY_7BIT),
                "BODY=7BIT"
            );
            assert_eq!(
                params.body == Some(Body::EightBitMime),
                flag(smtp_proto::MAIL_BODY_8BITMIME),
                "BODY=8BITMIME"
            );
            assert_eq!(
                params.body == Some(Body::BinaryMime),
                flag(smtp_proto::MAIL_BODY_BINARYMIME),
                "BINARYMIME"
            );
            if built::SMTPUTF8 {
                assert_eq!(params.smtputf8, flag(smtp_proto::MAIL_SMTPUTF8), "SMTPUTF8");
            } else {
                assert!(!params.smtputf8, "SMTPUTF8 not built");
            }
            assert_eq!(
                params.requiretls,
                flag(smtp_proto::MAIL_REQUIRETLS),
                "REQUIRETLS"
            );
            if built::DSN {
                assert_eq!(
                    params.ret == Some(Ret::Full),
                    flag(smtp_proto::MAIL_RET_FULL),
                    "RET=FULL"
                );
                assert_eq!(
                    params.ret == Some(Ret::Hdrs),
                    flag(smtp_proto::MAIL_RET_HDRS),
                    "RET=HDRS"
                );
            } else {
                assert!(
                    params.ret.is_none() && params.envid.is_none(),
                    "DSN not built"
                );
            }
        }
        (Command::Rcpt { to, params }, smtp_proto::Request::Rcpt { to: theirs }) => {
            let ours_addr = match to {
                ForwardPath::Postmaster => Some(String::new()),
                ForwardPath::Mailbox(m) => plain_address(&m),
            };
            if let Some(a) = ours_addr {
                assert_eq!(a, theirs.address, "RCPT address");
            }
            if !built::DSN {
                assert!(
                    params.notify.is_none() && params.orcpt.is_none(),
                    "DSN not built"
                );
            }
            if let Some(n) = params.notify {
                let flag = |f: u64| theirs.flags & f != 0;
                assert_eq!(
                    n.success(),
                    flag(smtp_proto::RCPT_NOTIFY_SUCCESS),
                    "NOTIFY=SUCCESS"
                );
                assert_eq!(
                    n.failure(),
                    flag(smtp_proto::RCPT_NOTIFY_FAILURE),
                    "NOTIFY=FAILURE"
                );
                assert_eq!(
                    n.delay(),
                    flag(smtp_proto::RCPT_NOTIFY_DELAY),
                    "NOTIFY=DELAY"
                );
            }
        }
        (
            Command::Bdat { size, last },
            smtp_proto::Request::Bdat {
                chunk_size,
                is_last,
            },
        ) => {
            assert_eq!(size as usize, chunk_size, "BDAT size");
            assert_eq!(last, is_last, "BDAT LAST");
        }
        _ => {}
    }
}
