//! Golden transcripts: RFC 5321 Appendix D.1–D.4 (CNF-01) and the RFC 3030
//! BDAT examples (CNF-02), replayed through the server engine.
//!
//! The RFC's reply texts are examples ("250 OK", "221 foo.com Service
//! closing transmission channel"); ours differ, so the tests assert the
//! codes and the structure (which lines, which keywords, which content) and
//! assert byte for byte only the texts that are ours. ENHANCEDSTATUSCODES is
//! off here, as in the RFC transcripts.

use crate::support::server_harness::*;
use embedded_smtp::built;
use embedded_smtp::server::ServerConfig;

fn s(x: &str) -> Seg {
    seg(x)
}

/// A server that advertises what Appendix D.1 shows: 8BITMIME, SIZE
/// (without value), DSN (in a build with the `dsn` feature).
fn foo_com() -> ServerConfig<'static> {
    let mut c = ServerConfig::new("foo.com");
    c.greeting_text = "Simple Mail Transfer Service Ready";
    c.max_message_size = 0;
    c.dsn = built::DSN;
    c.pipelining = false;
    c.chunking = false;
    c.enhanced_status_codes = false;
    c
}

/// Green@foo.com does not exist (D.1, D.2).
fn no_green(e: &Ev) -> Decision {
    match e {
        Ev::Rcpt(to, _) if to.starts_with("<Green@") => {
            Decision::Respond(550, None, "No such user here")
        }
        Ev::Verify(_, who) if who == "Crispin" => {
            Decision::Respond(250, None, "Mark Crispin <Admin.MRC@foo.com>")
        }
        _ => Decision::Accept,
    }
}

#[test]
fn cnf01_appendix_d1_typical_transaction() {
    let o = Script::new(
        foo_com(),
        vec![
            s("EHLO bar.com\r\n"),
            s("MAIL FROM:<Smith@bar.com>\r\n"),
            s("RCPT TO:<Jones@foo.com>\r\n"),
            s("RCPT TO:<Green@foo.com>\r\n"),
            s("RCPT TO:<Brown@foo.com>\r\n"),
            s("DATA\r\n"),
            // "...etc" starts with a period: stuffed on the wire.
            s("Blah blah blah...\r\n....etc. etc. etc.\r\n.\r\n"),
            s("QUIT\r\n"),
        ],
    )
    .policy(&no_green)
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 250, 550, 250, 354, 250, 221]);
    let r = o.replies();
    assert_eq!(
        r[0].1,
        "220 foo.com ESMTP Simple Mail Transfer Service Ready\r\n"
    );
    assert!(r[1].1.starts_with("250-foo.com\r\n"));
    for kw in ["250-SIZE\r\n", "250-8BITMIME\r\n"] {
        assert!(r[1].1.contains(kw), "{kw}");
    }
    // DSN only where it is built.
    assert_eq!(r[1].1.contains("250-DSN\r\n"), built::DSN, "{}", r[1].1);
    assert_eq!(r[4].1, "550 No such user here\r\n");
    assert_eq!(r[6].1, "354 End data with <CR><LF>.<CR><LF>\r\n");
    assert_eq!(r[7].1, "250 Ok: queued\r\n");
    assert_eq!(r[8].1, "221 Bye\r\n");
    assert_eq!(
        o.messages(),
        vec![b"Blah blah blah...\r\n...etc. etc. etc.\r\n".to_vec()]
    );
    assert!(o.closed);
}

#[test]
fn cnf01_appendix_d2_aborted_transaction() {
    let o = Script::new(
        foo_com(),
        vec![
            s("EHLO bar.com\r\n"),
            s("MAIL FROM:<Smith@bar.com>\r\n"),
            s("RCPT TO:<Jones@foo.com>\r\n"),
            s("RCPT TO:<Green@foo.com>\r\n"),
            s("RSET\r\n"),
            s("QUIT\r\n"),
        ],
    )
    .policy(&no_green)
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 250, 550, 250, 221]);
    assert_eq!(o.replies()[5].1, "250 Ok\r\n");
    assert!(o.messages().is_empty());
}

#[test]
fn cnf01_appendix_d3_relayed_mail() {
    let body = "Date: Thu, 21 May 1998 05:33:29 -0700\r\n\
                From: John Q. Public <JQP@bar.com>\r\n\
                Subject: The Next Meeting of the Board\r\n\
                To: Jones@xyz.com\r\n\
                \r\n\
                Bill:\r\n\
                The next meeting of the board of directors will be\r\n\
                on Tuesday.\r\n\
                John.\r\n";
    let o = check(
        foo_com(),
        vec![
            s("EHLO bar.com\r\n"),
            s("MAIL FROM:<JQP@bar.com>\r\n"),
            s("RCPT TO:<@foo.com:Jones@XYZ.COM>\r\n"),
            s("DATA\r\n"),
            seg(format!("{body}.\r\n")),
            s("QUIT\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250, 221]);
    // The source route is accepted (and ignored by the application).
    assert!(matches!(&o.events[2], Ev::Rcpt(to, _) if to.contains("Jones@XYZ.COM")));
    assert_eq!(o.messages(), vec![body.as_bytes().to_vec()]);
}

#[test]
fn cnf01_appendix_d4_verifying_and_sending() {
    let mut c = foo_com();
    c.vrfy = embedded_smtp::server::VrfyPolicy::Ask;
    let o = Script::new(
        c,
        vec![
            s("EHLO bar.com\r\n"),
            s("VRFY Crispin\r\n"),
            s("MAIL FROM:<EAK@bar.com>\r\n"),
            s("RCPT TO:<Admin.MRC@foo.com>\r\n"),
            s("DATA\r\n"),
            s("Blah blah blah...\r\n....etc. etc. etc.\r\n.\r\n"),
            s("QUIT\r\n"),
        ],
    )
    .policy(&no_green)
    .check();
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 354, 250, 221]);
    assert_eq!(o.replies()[2].1, "250 Mark Crispin <Admin.MRC@foo.com>\r\n");
}

/// The RFC 3030 §4.1 example message (the RFC says 86 octets; the
/// catalogue's "69" is a miscount).
#[cfg(feature = "chunking")]
const RFC3030_MSG: &str =
    "To: Susan@random.com\r\nFrom: Sam@random.com\r\nSubject: This is a bodyless test message\r\n";

#[cfg(feature = "chunking")]
fn chunking() -> ServerConfig<'static> {
    let mut c = ServerConfig::new("cnri.reston.va.us");
    c.enhanced_status_codes = false;
    c
}

#[cfg(feature = "chunking")]
#[test]
fn cnf02_rfc3030_single_last_chunk() {
    assert_eq!(RFC3030_MSG.len(), 86);
    let o = check(
        chunking(),
        vec![
            s("EHLO ymir.claremont.edu\r\n"),
            s("MAIL FROM:<Sam@Random.com>\r\n"),
            s("RCPT TO:<Susan@Random.com>\r\n"),
            seg(format!("BDAT 86 LAST\r\n{RFC3030_MSG}")),
            s("QUIT\r\n"),
        ],
    );
    assert_eq!(o.codes(), [220, 250, 250, 250, 250, 221]);
    assert!(o.replies()[1].1.contains("250-CHUNKING\r\n"));
    assert_eq!(o.messages(), vec![RFC3030_MSG.as_bytes().to_vec()]);
}

#[cfg(feature = "chunking")]
#[test]
fn cnf02_rfc3030_pipelined_chunks() {
    // MAIL, RCPT, BDAT 100000, BDAT 324 LAST, all pipelined: one 250 per command.
    let first: Vec<u8> = (0..100_000u32)
        .map(|i| b"abcdefghij\r\n"[(i % 12) as usize])
        .collect();
    let last = vec![b'z'; 324];
    let mut seg2 =
        b"MAIL FROM:<ned@thor.innosoft.com>\r\nRCPT TO:<Maria@xyz.com>\r\nBDAT 100000\r\n".to_vec();
    seg2.extend_from_slice(&first);
    seg2.extend_from_slice(b"BDAT 324 LAST\r\n");
    seg2.extend_from_slice(&last);
    let script = Script::new(
        chunking(),
        vec![s("EHLO thor.innosoft.com\r\n"), seg(&seg2)],
    );
    let whole = script.run(Split::Whole);
    assert_eq!(whole.codes(), [220, 250, 250, 250, 250, 250]);
    assert_eq!(whole.replies()[4].1, "250 100000 octets received\r\n");
    let mut message = first.clone();
    message.extend_from_slice(&last);
    assert_eq!(whole.messages(), vec![message]);
    assert_eq!(script.run(Split::Bytes), whole);
    for at in [1, 37, 70, 71, 72, 100_070, 100_071, seg2.len() - 1] {
        assert_eq!(script.run(Split::At { seg: 1, at }), whole, "split at {at}");
    }
}
