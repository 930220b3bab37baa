//! Property test: random command sequences (valid and invalid) and random
//! decisions; the reply codes of the engine equal those of a small
//! reference model of the RFC 5321 state table written here, independently
//! of the engine's code (RFC 5321 §4.1.1, §4.1.4, §3.3; RFC 3030 §2).

use std::cell::Cell;

use crate::support::server_harness::*;
use embedded_smtp::built;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Cmd {
    Ehlo,
    Helo,
    Mail,
    MailBad,
    Rcpt,
    RcptBad,
    Data,
    Bdat,
    Rset,
    Noop,
    Vrfy,
    Foo,
    Quit,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        2 => Just(Cmd::Ehlo),
        1 => Just(Cmd::Helo),
        3 => Just(Cmd::Mail),
        1 => Just(Cmd::MailBad),
        4 => Just(Cmd::Rcpt),
        1 => Just(Cmd::RcptBad),
        2 => Just(Cmd::Data),
        1 => Just(Cmd::Bdat),
        1 => Just(Cmd::Rset),
        1 => Just(Cmd::Noop),
        1 => Just(Cmd::Vrfy),
        1 => Just(Cmd::Foo),
        1 => Just(Cmd::Quit),
    ]
}

fn line(c: Cmd) -> &'static str {
    match c {
        Cmd::Ehlo => "EHLO c.example\r\n",
        Cmd::Helo => "HELO c.example\r\n",
        Cmd::Mail => "MAIL FROM:<a@c.example>\r\n",
        Cmd::MailBad => "MAIL FROM:<bad\r\n",
        Cmd::Rcpt => "RCPT TO:<b@s.example>\r\n",
        Cmd::RcptBad => "RCPT TO:<>\r\n",
        Cmd::Data => "DATA\r\n",
        Cmd::Bdat => "BDAT 2 LAST\r\nhi",
        Cmd::Rset => "RSET\r\n",
        Cmd::Noop => "NOOP\r\n",
        Cmd::Vrfy => "VRFY bob\r\n",
        Cmd::Foo => "FOO\r\n",
        Cmd::Quit => "QUIT\r\n",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hello {
    None,
    Helo,
    Ehlo,
}

/// The reference model: the codes the RFC state table gives, and the
/// client segments (the body is sent only after a 354).
fn model(cmds: &[Cmd], decisions: &[bool]) -> (Vec<u16>, Vec<Seg>) {
    let mut codes = vec![220];
    let mut segs = Vec::new();
    let mut hello = Hello::None;
    let (mut mail, mut accepted, mut rcpt_seen) = (false, 0u32, false);
    let mut next = 0usize;
    let mut decide = |ok: u16, no: u16| {
        let d = decisions[next % decisions.len()];
        next += 1;
        if d { ok } else { no }
    };
    for &c in cmds {
        segs.push(seg(line(c)));
        let code = match c {
            Cmd::Ehlo | Cmd::Helo => {
                hello = if matches!(c, Cmd::Ehlo) {
                    Hello::Ehlo
                } else {
                    Hello::Helo
                };
                (mail, accepted, rcpt_seen) = (false, 0, false);
                250
            }
            Cmd::MailBad | Cmd::RcptBad => 501,
            Cmd::Mail if hello == Hello::None || mail => 503,
            Cmd::Mail => {
                let code = decide(250, 550);
                mail = code == 250;
                code
            }
            Cmd::Rcpt if hello == Hello::None || !mail => 503,
            Cmd::Rcpt => {
                let code = decide(250, 550);
                rcpt_seen = true;
                accepted += u32::from(code == 250);
                code
            }
            // BDAT where CHUNKING was not advertised (after HELO, or in a
            // build without the `chunking` feature): 502, and the session
            // ends (RFC 3030 §2: the octets would be read as commands).
            Cmd::Bdat if hello != Hello::Ehlo || !built::CHUNKING => {
                codes.push(502);
                break;
            }
            Cmd::Data | Cmd::Bdat if hello == Hello::None || !mail => 503,
            Cmd::Data | Cmd::Bdat if accepted == 0 => {
                if rcpt_seen {
                    554
                } else {
                    503
                }
            }
            Cmd::Data => {
                codes.push(354);
                segs.push(seg("x\r\n.\r\n"));
                let code = decide(250, 554);
                (mail, accepted, rcpt_seen) = (false, 0, false);
                code
            }
            Cmd::Bdat => {
                let code = decide(250, 554);
                (mail, accepted, rcpt_seen) = (false, 0, false);
                code
            }
            Cmd::Rset => {
                (mail, accepted, rcpt_seen) = (false, 0, false);
                250
            }
            Cmd::Noop => 250,
            Cmd::Vrfy => 252,
            Cmd::Foo => 500,
            Cmd::Quit => {
                codes.push(221);
                break;
            }
        };
        codes.push(code);
    }
    (codes, segs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn replies_follow_the_reference_state_table(
        cmds in proptest::collection::vec(cmd(), 1..40),
        decisions in proptest::collection::vec(any::<bool>(), 1..16),
    ) {
        let (expected, segs) = model(&cmds, &decisions);
        let mut c = config();
        c.limits.hard_error_limit = 10_000;
        c.limits.junk_command_limit = 10_000;
        let next = Cell::new(0usize);
        let policy = |_: &Ev| {
            let d = decisions[next.get() % decisions.len()];
            next.set(next.get() + 1);
            if d { Decision::Accept } else { Decision::Reject }
        };
        let script = Script::new(c, segs).policy(&policy);
        let whole = script.run(Split::Whole);
        prop_assert_eq!(whole.codes(), expected, "{:?}", cmds);
        next.set(0);
        let bytes = script.run(Split::Bytes);
        prop_assert_eq!(bytes, whole);
    }
}
