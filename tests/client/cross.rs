//! Cross-transaction pipelining (RFC 2920 §3.1: message content may open a
//! pipelined group): the next MAIL, RCPT and DATA go in the same write as
//! the end of the previous message (`.` or `BDAT … LAST`), as Postfix's
//! smtp client sends them. Replies stay matched by position, and each
//! message's outcome stays its own: the previous message's final reply
//! first, then the next envelope's replies (catalogue row PIP-09 for a
//! refused MAIL). Every script runs whole, byte by byte and split at every
//! point.

use crate::support::client_script as script;

use embedded_smtp::Client;
use embedded_smtp::client::{ClientConfig, Event, Step};
use script::{EHLO_PIPE, GREETING, Run, Script, check, env, plain_config};

const ENVELOPE: &[u8] = b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n";
#[cfg(feature = "chunking")]
const EHLO_CHUNKING: &[u8] = b"250-s.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

/// Concatenation of byte strings, kept for the life of the test.
fn cat(parts: &[&[u8]]) -> &'static [u8] {
    parts.concat().leak()
}

/// The events that settle a message, in order, as Debug text prefixes.
fn settled(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter(|e| e.starts_with("Delivered") || e.starts_with("Failed"))
        .map(|e| e.split(['(', ' ']).next().unwrap_or_default().to_string())
        .collect()
}

fn two_messages(
    config: ClientConfig<'static>,
    steps: Vec<(&'static [u8], &'static [u8])>,
) -> Script<'static> {
    let mut s = Script::new(config, steps)
        .message(env(), b"one")
        .message(env(), b"two");
    s.cross = true;
    s
}

#[test]
fn data_the_next_envelope_goes_with_the_dot() {
    let s = two_messages(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (ENVELOPE, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            // The end of message 1 and the envelope of message 2: one write.
            (
                cat(&[b"one\r\n.\r\n", ENVELOPE]),
                b"250 2.0.0 queued as 1\r\n250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"two\r\n.\r\n", b"250 2.0.0 queued as 2\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(run.delivered(), 2);
    let delivered = run.with_reply("Delivered");
    assert!(delivered[0].1.unwrap().raw.ends_with(b"queued as 1\r\n"));
    assert!(delivered[1].1.unwrap().raw.ends_with(b"queued as 2\r\n"));
    // Message 1's final reply comes before message 2's MAIL reply.
    let first = run.events.iter().position(|e| e.starts_with("Delivered"));
    let mails: Vec<_> = run
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.starts_with("MailFrom"))
        .map(|(i, _)| i)
        .collect();
    assert!(first.unwrap() < mails[1], "{:#?}", run.events);
}

#[cfg(feature = "chunking")]
#[test]
fn bdat_the_next_envelope_goes_with_the_last_chunk() {
    let s = two_messages(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n",
                b"250 ok\r\n250 ok\r\n",
            ),
            // The script hands the body with `body`, so the end is a
            // `BDAT 0 LAST` behind a chunk whose reply is still due: the
            // next envelope waits for that reply, and then goes before the
            // final one.
            (b"BDAT 3\r\noneBDAT 0 LAST\r\n", b"250 2.0.0 chunk ok\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n",
                b"250 2.0.0 queued as 1\r\n250 ok\r\n250 ok\r\n",
            ),
            (
                b"BDAT 3\r\ntwoBDAT 0 LAST\r\n",
                b"250 ok\r\n250 2.0.0 queued as 2\r\n",
            ),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(run.delivered(), 2, "{:#?}", run.events);
}

#[test]
fn a_refused_message_and_the_next_one_keep_their_own_outcomes() {
    // Message 1's content is refused (554), message 2 is delivered.
    let s = two_messages(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (ENVELOPE, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (
                cat(&[b"one\r\n.\r\n", ENVELOPE]),
                b"554 5.7.1 spam\r\n250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"two\r\n.\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert_eq!(settled(&run), ["Failed", "Delivered"], "{:#?}", run.events);
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("stage: Content") && failed[0].0.contains("Permanent"));
    assert_eq!(failed[0].1.unwrap().code, 554);
}

#[test]
fn pip09_a_refused_mail_in_a_cross_transaction_group() {
    // Issue 16: message 1 is delivered; message 2's MAIL, pipelined behind
    // it, gets 451 and its RCPT and DATA 503. Message 2 fails with the
    // 451 (transient, MAIL stage); no recipient is refused by a 503;
    // message 1's delivery is not confused with message 2's MAIL reply.
    let s = two_messages(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (ENVELOPE, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (
                cat(&[b"one\r\n.\r\n", ENVELOPE]),
                b"250 2.0.0 queued\r\n451 4.3.0 later\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert_eq!(settled(&run), ["Delivered", "Failed"], "{:#?}", run.events);
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("stage: Mail") && failed[0].0.contains("Transient"));
    assert!(failed[0].1.is_none(), "the MAIL reply came with MailFrom");
    assert!(!run.has_event("Recipient { index: 0, reply: Reply { code: ReplyCode(503)"));
    let recipients = run.with_reply("Recipient");
    assert_eq!(
        recipients.len(),
        1,
        "only message 1's recipient: {:#?}",
        run.events
    );
}

#[cfg(feature = "lmtp")]
#[test]
fn lmtp_every_final_reply_of_the_previous_message_comes_first() {
    use embedded_smtp::client::{Envelope, Recipient};
    static R: std::sync::OnceLock<[Recipient<'static>; 2]> = std::sync::OnceLock::new();
    let rcpts =
        R.get_or_init(|| ["b@s.example", "c@s.example"].map(|a| Recipient::new(a).unwrap()));
    let env2 = Envelope::new("a@c.example", rcpts).unwrap();
    let mut c = plain_config();
    c.lmtp = true;
    let two =
        b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nRCPT TO:<c@s.example>\r\nDATA\r\n";
    let mut s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"LHLO c.example\r\n", EHLO_PIPE),
            (two, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
            (
                cat(&[b"one\r\n.\r\n", two]),
                b"250 b ok\r\n452 c full\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"two\r\n.\r\n", b"250 b ok\r\n250 c ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env2, b"one")
    .message(env2, b"two");
    s.cross = true;
    let run = check(&s);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(
        settled(&run),
        ["Delivered", "Failed", "Delivered", "Delivered"],
        "{:#?}",
        run.events
    );
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("recipient: Some(1)"), "{failed:?}");
}

#[test]
fn without_pipelining_the_next_message_waits_for_the_final_reply() {
    let mut c = plain_config();
    c.pipelining = false;
    let s = two_messages(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"one\r\n.\r\n", b"250 queued\r\n"),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"two\r\n.\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    );
    let run = check(&s);
    assert_eq!(run.delivered(), 2);
}

/// A client in the final phase of message 1 with message 2 sent behind it.
fn overlapped() -> Client<'static> {
    let mut client = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 1024];
    let e = env();
    client.feed(GREETING).unwrap();
    client.transmit(None, &mut out).unwrap();
    client.feed(EHLO_PIPE).unwrap();
    assert!(!client.can_send_next(), "nothing to follow yet");
    client.send(&e).unwrap();
    client.transmit(Some(&e), &mut out).unwrap();
    let replies = b"250 ok\r\n250 ok\r\n354 go\r\n";
    let mut at = 0;
    while at < replies.len() {
        let Step { consumed, .. } = client.feed(&replies[at..]).unwrap();
        at += consumed;
    }
    client.body(b"one", &mut out).unwrap();
    assert!(!client.can_send_next(), "the content is not complete");
    assert!(client.finish_body(&mut out).unwrap().done);
    assert!(client.can_send_next());
    client.send(&e).unwrap();
    assert!(client.settles_previous());
    assert!(
        client.send(&e).is_err(),
        "one transaction behind the other at most"
    );
    client
}

#[test]
fn a_421_or_a_timeout_before_the_final_reply_fails_both_transiently() {
    let mut client = overlapped();
    let f = client.timeout().expect("an open transaction");
    assert_eq!(format!("{:?}/{:?}", f.stage, f.kind), "Content/Transient");
    assert!(client.is_closed());

    let mut client = overlapped();
    let Step { event, .. } = client.feed(b"421 4.3.2 shutting down\r\n").unwrap();
    let Event::Failed(f) = event else {
        panic!("{event:?}")
    };
    assert_eq!(format!("{:?}/{:?}", f.stage, f.kind), "Content/Transient");
    assert!(client.is_closed());
}

#[test]
fn the_deadline_is_the_final_replys_until_it_comes() {
    let mut client = overlapped();
    let t = client.config().timeouts;
    assert_eq!(client.deadline(), Some(t.data_final));
    assert!(client.awaits_reply());
    let mut out = [0u8; 1024];
    let n = client.transmit(Some(&env()), &mut out).unwrap();
    assert_eq!(&out[..n], ENVELOPE);
    let Step { event, .. } = client.feed(b"250 queued\r\n").unwrap();
    assert!(matches!(event, Event::Delivered { .. }), "{event:?}");
    assert!(!client.settles_previous());
    assert_eq!(client.deadline(), Some(t.mail));
}

/// A second transaction pipelined behind a delivered first one, whose
/// replies settle it in `second`; the client's next writes follow.
fn second_goes_wrong(
    second: &'static [u8],
    after: Vec<(&'static [u8], &'static [u8])>,
) -> Script<'static> {
    let mut steps: Vec<(&'static [u8], &'static [u8])> = vec![
        (b"", GREETING),
        (b"EHLO c.example\r\n", EHLO_PIPE),
        (ENVELOPE, b"250 ok\r\n250 ok\r\n354 go\r\n"),
        (cat(&[b"one\r\n.\r\n", ENVELOPE]), second),
    ];
    steps.extend(after);
    two_messages(plain_config(), steps)
}

#[test]
fn every_recipient_of_the_second_transaction_refused() {
    for (rcpt, kind) in [
        (&b"550 5.1.1 no such user\r\n"[..], "Permanent"),
        (b"450 4.2.1 busy\r\n", "Transient"),
    ] {
        let second = cat(&[
            b"250 2.0.0 queued\r\n250 ok\r\n",
            rcpt,
            b"554 5.5.1 no valid recipients\r\n",
        ]);
        let run = check(&second_goes_wrong(
            second,
            vec![(b"RSET\r\n", b"250 ok\r\n"), (b"QUIT\r\n", b"221 bye\r\n")],
        ));
        assert_eq!(settled(&run), ["Delivered", "Failed"], "{:#?}", run.events);
        let failed = run.with_reply("Failed");
        assert!(failed[0].0.contains("stage: Recipients") && failed[0].0.contains(kind));
        let refused = run.with_reply("Recipient");
        assert_eq!(refused.len(), 2, "message 1's and message 2's");
        assert_eq!(refused[1].1.unwrap().raw, rcpt);
    }
}

#[test]
fn a_4xx_to_data_in_the_second_transaction() {
    let run = check(&second_goes_wrong(
        b"250 2.0.0 queued\r\n250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n",
        vec![(b"RSET\r\n", b"250 ok\r\n"), (b"QUIT\r\n", b"221 bye\r\n")],
    ));
    assert_eq!(settled(&run), ["Delivered", "Failed"], "{:#?}", run.events);
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("stage: Data") && failed[0].0.contains("Transient"));
    assert_eq!(failed[0].1.unwrap().code, 451);
}

#[test]
fn a_421_in_the_middle_of_the_second_transaction() {
    // Message 1 delivered, message 2's MAIL accepted, then the server
    // closes: message 2 fails transiently, message 1 stays delivered, and
    // nothing more is written.
    let mut s = second_goes_wrong(
        b"250 2.0.0 queued\r\n250 ok\r\n421 4.3.2 shutting down\r\n",
        vec![],
    );
    s.no_quit = true;
    let run = check(&s);
    assert_eq!(settled(&run), ["Delivered", "Failed"], "{:#?}", run.events);
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("stage: Recipients") && failed[0].0.contains("Transient"));
    assert_eq!(failed[0].1.unwrap().code, 421);
    assert!(run.closed);
    assert!(script::tail(&run).is_empty());
}

#[test]
fn a_421_as_the_final_reply_of_the_first_fails_both() {
    // The server closes instead of answering message 1's content: message
    // 1 fails (transient, Content stage); message 2's envelope, already
    // written, is never answered.
    let mut s = second_goes_wrong(b"421 4.3.2 shutting down\r\n", vec![]);
    s.no_quit = true;
    let run = check(&s);
    assert_eq!(settled(&run), ["Failed"], "{:#?}", run.events);
    let failed = run.with_reply("Failed");
    assert!(failed[0].0.contains("stage: Content") && failed[0].0.contains("Transient"));
    assert!(run.closed);
}
