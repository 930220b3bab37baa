//! Server sessions: greeting, hello, sequencing and reply codes (RFC 5321
//! §3.1, §4.1.1, §4.1.4, §4.2.4; rule D7); catalogue rows CMD-01..21 and the
//! replies of the engine that are ours byte for byte.

use crate::support::server_harness::*;
use embedded_smtp::built;
use embedded_smtp::server::{ServerConfig, Service, VrfyPolicy};
use embedded_smtp::syntax::Verb;

fn s(x: &str) -> Seg {
    seg(x)
}

#[test]
fn greeting_and_ehlo_reply_are_byte_exact() {
    let mut c = config();
    c.greeting_text = "hello";
    let o = check(c, vec![s("EHLO c.example\r\n"), s("QUIT\r\n")]);
    // CHUNKING is on by default where it is built, and never advertised
    // where it is not (feature `chunking`).
    let chunking = if built::CHUNKING {
        "250-CHUNKING\r\n"
    } else {
        ""
    };
    let expected = format!(
        "220 mx.example ESMTP hello\r\n\
         250-mx.example\r\n\
         250-SIZE 10240000\r\n\
         250-PIPELINING\r\n\
         250-8BITMIME\r\n\
         {chunking}\
         250-ENHANCEDSTATUSCODES\r\n\
         250 LIMITS RCPTMAX=1000\r\n\
         221 2.0.0 Bye\r\n"
    );
    assert_eq!(o.text(), expected);
    assert_eq!(
        o.events,
        vec![Ev::Hello(Verb::Ehlo, "c.example".into()), Ev::Close]
    );
    assert!(o.closed);
}

#[test]
fn helo_reply_is_single_line_without_extensions() {
    // RFC 5321 §3.2: no EHLO-style response to HELO (CMD-10).
    let o = check(config(), vec![s("HELO c.example\r\n")]);
    assert_eq!(o.text(), "220 mx.example ESMTP\r\n250 mx.example\r\n");
}

#[test]
fn cmd01_mail_before_hello_is_503_and_changes_nothing() {
    let o = check(
        config(),
        vec![
            s("MAIL FROM:<a@b>\r\n"),
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    );
    let r = o.replies();
    assert_eq!(r[1].1, "503 5.5.1 Error: send HELO/EHLO first\r\n");
    assert_eq!(o.codes(), [220, 503, 250, 250]);
}

#[test]
fn cmd02_rcpt_without_mail_data_without_rcpt_data_after_all_rejected() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("RCPT TO:<a@b>\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("DATA\r\n"),
            s("RCPT TO:<c@d>\r\n"),
            s("DATA\r\n"),
        ],
    );
    // The policy accepts everything: RCPT c@d accepted, so DATA gets 354.
    assert_eq!(o.codes(), [220, 250, 503, 250, 503, 250, 354]);
    let reject_rcpt = |e: &Ev| match e {
        Ev::Rcpt(..) => Decision::Reject,
        _ => Decision::Accept,
    };
    let o = Script::new(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RCPT TO:<c@d>\r\n"),
            s("DATA\r\n"),
        ],
    )
    .policy(&reject_rcpt)
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 550, 554]);
    assert_eq!(o.replies()[4].1, "554 5.5.1 Error: no valid recipients\r\n");
    assert!(!o.events.contains(&Ev::DataStart));
}

#[test]
fn cmd03_nested_mail_keeps_the_first_transaction() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("MAIL FROM:<c@d>\r\n"),
            s("RCPT TO:<e@f>\r\n"),
            s("DATA\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 503, 250, 354]);
    assert_eq!(o.replies()[3].1, "503 5.5.1 Error: nested MAIL command\r\n");
}

#[test]
fn cmd04_an_error_leaves_the_state_as_it_was() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<bad\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 501, 250]);
}

#[test]
fn cmd05_unknown_unimplemented_disabled_and_case_insensitive() {
    let mut c = config();
    c.vrfy = VrfyPolicy::Disabled;
    let o = check(
        c,
        vec![
            s("FOO\r\n"),
            s("TURN\r\n"),
            s("VRFY x\r\n"),
            s("eHlO x\r\n"),
            s("mail from:<a@b>\r\n"),
            s("NOOP\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 500, 502, 502, 250, 250, 250]);
    assert_eq!(
        o.replies()[1].1,
        "500 5.5.2 Error: command not recognized\r\n"
    );
    assert!(!o.closed);
    // EHLO never lists VRFY, TURN or anything that then gets 500/502.
    assert!(!o.text().contains("VRFY\r\n"));
}

#[test]
fn cmd08_hello_without_domain_is_501() {
    let o = check(
        config(),
        vec![
            s("EHLO\r\n"),
            s("HELO\r\n"),
            s("EHLO a b c\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
        ],
    );
    // Strict mode refuses trailing text after the domain (documented choice).
    assert_eq!(o.codes(), [220, 501, 501, 501, 503]);
    let mut c = config();
    c.mode = embedded_smtp::syntax::Mode::Lenient;
    let o = check(c, vec![s("EHLO a b c\r\n")]);
    assert_eq!(o.codes()[1], 250);
    assert_eq!(o.events[0], Ev::Hello(Verb::Ehlo, "a".into()));
}

#[test]
fn cmd09_ehlo_inside_a_transaction_clears_it() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RCPT TO:<c@d>\r\n"),
            s("EHLO y\r\n"),
            s("DATA\r\n"),
            s("RCPT TO:<c@d>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 503, 503]);
}

#[test]
fn cmd10_parameters_after_helo_are_555() {
    let o = check(
        config(),
        vec![s("HELO x\r\n"), s("MAIL FROM:<a@b> SIZE=10\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 555]);
    assert_eq!(
        o.replies()[2].1,
        "555 5.5.4 Error: unsupported parameter\r\n"
    );
}

#[test]
fn cmd11_spaces_around_the_colon() {
    let segs = || {
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM: <a@b>\r\n"),
            s("MAIL FROM :<a@b>\r\n"),
            s("MAIL FROM:a@b\r\n"),
        ]
    };
    assert_eq!(check(config(), segs()).codes(), [220, 250, 501, 501, 501]);
    let mut c = config();
    c.mode = embedded_smtp::syntax::Mode::Lenient;
    // Lenient: a SP after the colon is taken (then MAIL is nested: 503).
    assert_eq!(check(c, segs()).codes(), [220, 250, 250, 501, 503]);
}

#[test]
fn cmd12_null_paths_postmaster_and_source_routes() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<>\r\n"),
            s("RCPT TO:<>\r\n"),
            s("RCPT TO:<Postmaster>\r\n"),
            s("RCPT TO:<POSTMASTER@s.example>\r\n"),
            s("RCPT TO:<@r1.example,@r2.example:u@s.example>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 501, 250, 250, 250]);
    assert!(o.replies()[3].1.starts_with("501 5.1.3 "));
}

#[test]
fn cmd13_bad_addresses_are_501() {
    for addr in [
        "<\"unterminated@x>",
        "<a@[1.2.3.4>",
        "<a@b_c.example>",
        "<a@[300.1.1.1]>",
        "<a@[IPv6:1::2::3]>",
    ] {
        let o = check(
            config(),
            vec![s("EHLO x\r\n"), seg(format!("MAIL FROM:{addr}\r\n"))],
        );
        assert_eq!(o.codes(), [220, 250, 501], "{addr}");
        assert!(o.replies()[2].1.starts_with("501 5.1.7 "), "{addr}");
    }
}

#[test]
fn cmd15_path_length_limits() {
    let at_limit = format!("{}@b.example", "a".repeat(64));
    let over = format!("{}@b.example", "a".repeat(65));
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("MAIL FROM:<>\r\n"),
            seg(format!("RCPT TO:<{at_limit}>\r\n")),
            seg(format!("RCPT TO:<{over}>\r\n")),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 501]);
}

#[test]
fn cmd16_line_length_limits() {
    // "NOOP " + padding + CRLF: exactly 512 octets and exactly the 2048 limit
    // are processed; 2049 gets 500 5.5.2 once and is never executed.
    let line = |len: usize| format!("NOOP {}\r\n", "x".repeat(len - 7));
    let o = check(
        config(),
        vec![
            seg(line(512)),
            seg(line(2048)),
            seg(line(2049)),
            s("NOOP\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 500, 250]);
    assert_eq!(o.replies()[3].1, "500 5.5.2 Error: line too long\r\n");
    // A longer line is framed away (the tail never executes).
    let long = format!("NOOP {}\r\nQUIT\r\n", "x".repeat(5000));
    let o =
        Script::new(config(), vec![seg(&long[..long.len() - 6]), s("QUIT\r\n")]).check_coarse(7);
    assert_eq!(o.codes(), [220, 500, 221]);
}

#[test]
fn cmd16_mail_lines_get_the_extension_allowances() {
    let mut c = config();
    c.auth = embedded_smtp::syntax::AuthMechanisms::empty()
        .with(embedded_smtp::syntax::AuthMechanism::Plain);
    c.auth_without_tls = true;
    let s_ = embedded_smtp::Server::new(c).unwrap();
    assert_eq!(s_.line_limit(Verb::Mail), 2048 + 500);
    assert_eq!(s_.line_limit(Verb::Noop), 2048);
    // A MAIL line of 2548 octets with a long AUTH= value is processed.
    let head = "MAIL FROM:<a@b> AUTH=";
    let value = "x".repeat(2548 - head.len() - 2);
    let o = check(c, vec![s("EHLO x\r\n"), seg(format!("{head}{value}\r\n"))]);
    assert_eq!(o.codes(), [220, 250, 250]);
}

#[test]
fn cmd18_nul_and_8bit_bytes() {
    let o = check(
        config(),
        vec![
            s("HELO a\x00b\r\n"),
            s("EHLO x\r\n"),
            seg(b"MAIL FROM:<a\xff@b>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 501, 250, 500]);
    assert_eq!(o.replies()[3].1, "500 5.5.2 Error: bad UTF-8 syntax\r\n");
}

#[test]
fn cmd19_no_service_quit_rset_and_eof() {
    let mut c = config();
    c.service = Service::NoService;
    let o = check(
        c,
        vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b>\r\n"), s("QUIT\r\n")],
    );
    assert_eq!(o.codes(), [554, 503, 503, 221]);
    assert!(
        o.text()
            .starts_with("554 mx.example No SMTP service here\r\n")
    );
    // QUIT then more bytes: 221, close, nothing after it processed.
    let o = check(
        config(),
        vec![s("EHLO x\r\n"), atomic("QUIT\r\nNOOP\r\nFOO\r\n")],
    );
    assert_eq!(o.codes(), [220, 250, 221]);
    assert!(o.closed);
    // RSET anywhere: 250, never closes.
    let o = check(
        config(),
        vec![
            s("RSET\r\n"),
            s("EHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RSET\r\n"),
            s("RCPT TO:<c@d>\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 503]);
    assert!(!o.closed);
    // EOF in the middle of DATA: aborted, never committed.
    let mut segs = pre();
    segs.push(s("Subject: x\r\n\r\npartial"));
    let o = Script::new(config(), segs).eof().check();
    assert_eq!(
        o.events.last(),
        Some(&Ev::Aborted(embedded_smtp::server::AbortReason::Eof))
    );
    assert!(o.messages().is_empty());
    assert!(!o.events.contains(&Ev::MessageEnd));
}

#[test]
fn cmd21_recipient_limit_is_452_and_keeps_the_first_100() {
    let mut c = config();
    c.limits.max_recipients = 100;
    c.limits.hard_error_limit = 50;
    let mut segs = vec![s("EHLO x\r\n"), s("MAIL FROM:<a@b>\r\n")];
    for i in 0..101 {
        segs.push(seg(format!("RCPT TO:<r{i}@b>\r\n")));
    }
    segs.push(s("DATA\r\n"));
    let o = Script::new(c, segs).check();
    let codes = o.codes();
    // 220, EHLO, MAIL, then 100 × 250, then 452, then DATA's 354.
    assert!(codes[3..103].iter().all(|&c| c == 250));
    assert_eq!(codes[103], 452);
    assert_eq!(
        o.replies()[103].1,
        "452 4.5.3 Error: too many recipients\r\n"
    );
    assert_eq!(codes[104], 354);
    let mut c = config();
    c.limits.max_recipients = 50;
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        embedded_smtp::server::ConfigError::RecipientLimit
    );
}

#[test]
fn data_args_rset_args_quit_args_are_501() {
    let o = check(
        config(),
        vec![
            s("EHLO x\r\n"),
            s("RSET x\r\n"),
            s("DATA x\r\n"),
            s("QUIT x\r\n"),
            s("STARTTLS x\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 501, 501, 501, 501]);
}

#[test]
fn help_noop_vrfy_expn_defaults() {
    let o = check(
        config(),
        vec![
            s("HELP\r\n"),
            s("NOOP hi\r\n"),
            s("VRFY bob\r\n"),
            s("EXPN list\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 214, 250, 252, 252]);
    assert_eq!(
        o.replies()[3].1,
        "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n"
    );
    let mut c = config();
    c.vrfy = VrfyPolicy::Ask;
    let o = Script::new(c, vec![s("VRFY bob\r\n"), s("VRFY eve\r\n")])
        .policy(&|e| match e {
            Ev::Verify(_, a) if a == "bob" => {
                Decision::Respond(250, Some((2, 1, 5)), "Bob <bob@mx.example>")
            }
            _ => Decision::Reject,
        })
        .check();
    assert_eq!(o.codes(), [220, 250, 550]);
    assert_eq!(o.replies()[1].1, "250 2.1.5 Bob <bob@mx.example>\r\n");
    assert_eq!(o.events[0], Ev::Verify(Verb::Vrfy, "bob".into()));
}

#[test]
fn cross_protocol_lines_close_the_session() {
    // Rule D15.
    for line in [
        "GET / HTTP/1.1\r\n",
        "Host: x\r\n",
        "CONNECT a:25 HTTP/1.0\r\n",
    ] {
        let o = check(config(), vec![seg(line)]);
        assert_eq!(o.codes(), [220, 421], "{line}");
        assert!(o.closed);
    }
}

#[cfg(feature = "lmtp")]
#[test]
fn lmtp_uses_lhlo_and_answers_per_recipient() {
    let mut c = config();
    c.lmtp = true;
    let policy = |e: &Ev| match e {
        Ev::MessageEnd => Decision::Accept,
        _ => Decision::Accept,
    };
    let o = Script::new(
        c,
        vec![
            s("EHLO x\r\n"),
            s("HELO x\r\n"),
            s("LHLO x\r\n"),
            s("MAIL FROM:<a@b>\r\n"),
            s("RCPT TO:<c@d>\r\n"),
            s("RCPT TO:<e@f>\r\n"),
            s("DATA\r\n"),
            s("hi\r\n.\r\n"),
        ],
    )
    .policy(&policy)
    .check();
    assert!(o.text().starts_with("220 mx.example LMTP\r\n"));
    assert_eq!(
        o.codes(),
        [220, 500, 500, 250, 250, 250, 250, 354, 250, 250]
    );
    let ends = o.events.iter().filter(|e| **e == Ev::MessageEnd).count();
    assert_eq!(ends, 2);
}

#[test]
fn without_lmtp_lhlo_is_not_a_command() {
    let o = check(config(), vec![s("LHLO x\r\n")]);
    assert_eq!(o.codes(), [220, 500]);
    assert_eq!(
        o.replies()[1].1,
        "500 5.5.2 Error: command not recognized\r\n"
    );
}

#[cfg(not(feature = "lmtp"))]
#[test]
fn without_the_lmtp_feature_the_setting_is_refused() {
    use embedded_smtp::server::ConfigError;
    let mut c = config();
    c.lmtp = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("lmtp")));
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::NotBuilt("lmtp")
    );
    assert_eq!(
        ConfigError::NotBuilt("lmtp").to_string(),
        "needs the `lmtp` feature of embedded-smtp"
    );
}

#[test]
fn res04_junk_and_error_limits() {
    // 25 × FOO: 20 errors, the 20th followed by 421 4.7.0 and close.
    let segs: Vec<Seg> = (0..25).map(|_| s("FOO\r\n")).collect();
    let o = check(config(), segs);
    let codes = o.codes();
    assert_eq!(codes.len(), 22);
    assert!(codes[1..21].iter().all(|&c| c == 500));
    assert_eq!(o.replies()[21].1, "421 4.7.0 Error: too many errors\r\n");
    assert!(o.closed);
    // NOOP × many: the first 100 are free, then each counts as an error.
    let segs: Vec<Seg> = (0..200).map(|_| s("NOOP\r\n")).collect();
    let o = Script::new(config(), segs).check();
    let codes = o.codes();
    assert_eq!(codes.len(), 1 + 120 + 1);
    assert_eq!(*codes.last().unwrap(), 421);
    assert!(o.closed);
}

#[test]
fn d13_vrfy_asked_of_the_application_is_junk_too() {
    // Under VrfyPolicy::Ask, VRFY is a decision for the application and a
    // junk command like every other VRFY: the first 100 are free, then each
    // counts as an error, and the 20th error closes the session before the
    // application is asked again.
    let mut c = config();
    c.vrfy = VrfyPolicy::Ask;
    let segs: Vec<Seg> = (0..200).map(|_| s("VRFY bob\r\n")).collect();
    let o = Script::new(c, segs)
        .policy(&|_| Decision::Reject)
        .check_coarse(7);
    let codes = o.codes();
    // 100 free VRFYs and 19 counted ones are asked and refused (550); the
    // 120th reaches the error limit: 421, and it is never asked.
    assert_eq!(codes.len(), 1 + 119 + 1, "{codes:?}");
    assert!(codes[1..120].iter().all(|&c| c == 550), "{codes:?}");
    assert_eq!(o.replies()[120].1, "421 4.7.0 Error: too many errors\r\n");
    let asked = o
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Verify(..)))
        .count();
    assert_eq!(asked, 119);
    assert!(o.closed);
}

/// The client's side of a transaction with `count` recipients: MAIL, the
/// RCPTs, DATA, a one-line body; pipelined (one segment) or lock-step (a
/// segment per command, as a client that awaits each reply sends them).
fn overshoot_script(count: usize, pipelined: bool) -> Vec<Seg> {
    let mut commands = vec!["MAIL FROM:<a@b>\r\n".to_string()];
    commands.extend((0..count).map(|i| format!("RCPT TO:<r{i}@b>\r\n")));
    commands.push("DATA\r\n".into());
    let mut segs = vec![s("EHLO x\r\n")];
    if pipelined {
        segs.push(seg(commands.concat()));
    } else {
        segs.extend(commands.into_iter().map(seg));
    }
    segs.push(s("hello\r\n.\r\n"));
    segs
}

/// What the server answers `overshoot_script`: 250 to the first `limit`
/// RCPTs, `452 4.5.3` to the rest, and the transaction goes on to DATA and
/// delivers to the recipients accepted (RFC 5321 §4.5.3.1.10).
fn assert_overshoot_delivers(o: &Outcome, limit: usize, count: usize) {
    let mut want = vec![220, 250, 250];
    want.extend(std::iter::repeat_n(250, limit));
    want.extend(std::iter::repeat_n(452, count - limit));
    want.extend([354, 250]);
    assert_eq!(o.codes(), want);
    let over = o.replies()[3 + limit].1.clone();
    assert_eq!(over, "452 4.5.3 Error: too many recipients\r\n");
    let accepted = o
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Rcpt(..)))
        .count();
    assert_eq!(
        accepted, limit,
        "only the RCPTs within the limit reach the application"
    );
    assert_eq!(o.messages(), [b"hello\r\n".to_vec()]);
    assert!(!o.closed);
}

#[test]
fn res03_recipient_overshoot_is_452_and_the_transaction_goes_on() {
    // 150 RCPTs against a limit of 100, pipelined and lock-step.
    for pipelined in [true, false] {
        let mut c = config();
        c.limits.max_recipients = 100;
        let o = Script::new(c, overshoot_script(150, pipelined)).check_coarse(211);
        assert_overshoot_delivers(&o, 100, 150);
    }
}

#[test]
fn res03_recipient_overshoot_at_the_default_limits() {
    // 1000 recipients accepted, the next 120 refused with 452: more than the
    // error budget (20), well inside the overshoot budget (1000).
    let l = embedded_smtp::server::Limits::DEFAULT;
    assert_eq!(
        (l.max_recipients, l.recipient_overshoot_limit),
        (1000, 1000)
    );
    for pipelined in [true, false] {
        let o = Script::new(config(), overshoot_script(1120, pipelined)).check_coarse(4999);
        assert_overshoot_delivers(&o, 1000, 1120);
    }
}

#[test]
fn res03_one_hundred_thousand_rcpts_at_the_default_limits() {
    // The catalogue row: 1000 accepted, 1000 refused with 452 for free,
    // then 20 more that are errors; the 20th closes with 421. What the
    // client sent after that is never read.
    let o = Script::new(config(), overshoot_script(100_000, true)).check_coarse(99_991);
    let codes = o.codes();
    let mut want = vec![220, 250, 250];
    want.extend(std::iter::repeat_n(250, 1000));
    want.extend(std::iter::repeat_n(452, 1020));
    want.push(421);
    assert_eq!(codes, want);
    assert!(o.closed);
}

#[test]
fn res03_past_the_overshoot_budget_each_refusal_is_an_error() {
    // Overshoot budget 5, error budget 20: the first 5 excess RCPTs cost
    // nothing, the next 20 are errors, and the 20th closes with 421.
    for pipelined in [true, false] {
        let mut c = config();
        c.limits.max_recipients = 100;
        c.limits.recipient_overshoot_limit = 5;
        let o = Script::new(c, overshoot_script(100 + 5 + 30, pipelined)).check_coarse(211);
        let codes = o.codes();
        assert_eq!(codes.iter().filter(|&&c| c == 452).count(), 25, "{codes:?}");
        assert_eq!(codes[codes.len() - 2..], [452, 421]);
        assert!(o.closed);
        assert!(o.messages().is_empty());
    }
    // Errors of other kinds and overshoot add up in the error budget once
    // the overshoot budget is spent: 19 bad commands, then one overshoot.
    let mut c = config();
    c.limits.max_recipients = 100;
    c.limits.recipient_overshoot_limit = 0;
    let mut segs = vec![s("EHLO x\r\n")];
    segs.extend((0..19).map(|_| s("BOGUS\r\n")));
    segs.push(s("MAIL FROM:<a@b>\r\n"));
    segs.extend((0..101).map(|i| seg(format!("RCPT TO:<r{i}@b>\r\n"))));
    let o = Script::new(c, segs).check_coarse(97);
    let codes = o.codes();
    assert_eq!(codes[codes.len() - 2..], [452, 421], "{codes:?}");
    assert!(o.closed);
}

#[test]
fn res03_a_delivered_message_renews_the_overshoot_budget() {
    // Two transactions, each 8 RCPTs over a limit of 100 with an overshoot
    // budget of 10: the second would pass the budget if it carried over.
    let mut c = config();
    c.limits.max_recipients = 100;
    c.limits.recipient_overshoot_limit = 10;
    c.limits.hard_error_limit = 5;
    let mut segs = overshoot_script(108, true);
    segs.extend(overshoot_script(108, true).into_iter().skip(1));
    let o = Script::new(c, segs).check_coarse(503);
    assert_eq!(o.codes().iter().filter(|&&c| c == 452).count(), 16);
    assert_eq!(o.messages().len(), 2);
    assert!(!o.closed);
    // Without a delivery in between, the same 16 pass the budget of 10 and
    // the 5th error (the 15th overshoot) closes.
    let rcpts: String = (0..108).map(|i| format!("RCPT TO:<r{i}@b>\r\n")).collect();
    let group = seg(format!("MAIL FROM:<a@b>\r\n{rcpts}"));
    let segs = vec![s("EHLO x\r\n"), group.clone(), s("RSET\r\n"), group];
    let o = Script::new(c, segs).check_coarse(503);
    let codes = o.codes();
    assert_eq!(codes.iter().filter(|&&c| c == 452).count(), 15, "{codes:?}");
    assert_eq!(*codes.last().unwrap(), 421);
}

#[test]
fn size_of_server_is_fixed_and_small() {
    let size = core::mem::size_of::<embedded_smtp::Server>();
    assert!(size <= 512, "{size}");
    #[cfg(target_pointer_width = "64")]
    assert_eq!(size, 232);
}

#[test]
fn config_floors_are_enforced() {
    use embedded_smtp::server::ConfigError;
    let mut c = config();
    c.limits.max_line = 511;
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::LineLimit
    );
    let mut c = config();
    c.timeouts.command = core::time::Duration::from_secs(299);
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::Timeout
    );
    let mut c = config();
    c.timeouts.data = core::time::Duration::from_secs(179);
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::Timeout
    );
    let mut c = config();
    c.tls_required = true;
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::TlsRequiredWithoutTls
    );
    let mut c = config();
    c.greeting_text = "a\r\nb";
    assert_eq!(
        embedded_smtp::Server::new(c).unwrap_err(),
        ConfigError::GreetingText
    );
    assert_eq!(
        embedded_smtp::Server::new(ServerConfig::new("a_b.example")).unwrap_err(),
        ConfigError::Hostname
    );
    assert!(embedded_smtp::Server::new(ServerConfig::new("[192.0.2.1]")).is_ok());
}
