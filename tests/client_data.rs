//! Client rows of smtp-rules.md about the transaction and its content:
//! DOT-01..07 through the engine, PIP-06..08, BDT-09, EXT-06/07/10,
//! INJ-01..07, and LMTP. Every script runs whole, byte by byte and split at
//! every point.

#[path = "common/client_script.rs"]
mod script;

use embedded_smtp::client::{
    ClientConfig, ClientError, ContentError, Envelope, EnvelopeError, Recipient,
};
use embedded_smtp::syntax::params::{Body, Notify, Ret};
use embedded_smtp::wire::stuff::{BodyError, StuffPolicy};
use embedded_smtp::{AddressError, Client, Invalid};
use script::{Script, check, plain_config, tail};

const GREETING: &[u8] = b"220 s.example ESMTP\r\n";
const EHLO_PLAIN: &[u8] = b"250 s.example\r\n";
const EHLO_PIPE: &[u8] = b"250-s.example\r\n250 PIPELINING\r\n";

fn one_rcpt() -> &'static [Recipient<'static>] {
    static R: std::sync::OnceLock<[Recipient<'static>; 1]> = std::sync::OnceLock::new();
    R.get_or_init(|| [Recipient::new("b@s.example").unwrap()])
}

fn env() -> Envelope<'static> {
    Envelope::new("a@c.example", one_rcpt()).unwrap()
}

/// A lock-step session up to DATA; `content` is the expected wire content.
fn data_script<'a>(config: ClientConfig<'a>, body: &'a [u8], content: &'a [u8]) -> Script<'a> {
    Script::new(
        config,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (content, b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body)
}

/// DOT-01..03, DOT-05: the wire content for a body, fed whole, one byte at
/// a time, and into 1-, 2- and 3-byte output buffers.
fn dot(body: &'static [u8], content: &'static [u8]) {
    for (piece, out) in [
        (usize::MAX, 4096),
        (1, 4096),
        (1, 1),
        (2, 2),
        (3, 3),
        (usize::MAX, 1),
    ] {
        let mut s = data_script(plain_config(), body, content);
        s.body_piece = piece;
        s.body_out = out;
        let run = check(&s);
        assert_eq!(run.delivered(), 1, "piece {piece} out {out}");
        assert!(run.errors.is_empty());
    }
}

#[test]
fn dot01_period_on_the_first_line() {
    dot(b".hidden\r\nx", b"..hidden\r\nx\r\n.\r\n");
}

#[test]
fn dot02_injected_commands_stay_content() {
    dot(
        b"a\r\n.\r\nMAIL FROM:<x@y>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n",
    );
    dot(b"a\r\n\r\n.\r\nQUIT\r\n", b"a\r\n\r\n..\r\nQUIT\r\n.\r\n");
}

#[test]
fn dot03_final_crlf_added_only_when_missing() {
    dot(b"abc", b"abc\r\n.\r\n");
    dot(b"abc\r\n", b"abc\r\n.\r\n");
    dot(b"", b".\r\n");
}

/// DOT-04 under Reject: an error, the session closed, nothing of the
/// refused piece (nor the end mark) on the wire.
#[test]
fn dot04_bare_line_ends_refused_by_default() {
    for (body, sent, err) in [
        (&b"a\n.\nb"[..], &b""[..], BodyError::BareLf),
        (b"a\n.\r\nb", b"", BodyError::BareLf),
        (b"a\r.\rb", b"", BodyError::BareCr),
    ] {
        let s = Script::new(
            plain_config(),
            vec![
                (b"", GREETING),
                (b"EHLO c.example\r\n", EHLO_PLAIN),
                (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
                (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
                (b"DATA\r\n", b"354 go\r\n"),
            ],
        )
        .message(env(), body);
        let run = check(&s);
        assert_eq!(tail(&run), sent, "{body:?}");
        assert_eq!(run.errors, [ClientError::Content(ContentError::Text(err))]);
        assert!(run.closed);
    }
}

#[test]
fn dot04_normalize_then_stuff_or_replace_with_space() {
    let mut c = plain_config();
    c.stuff_policy = StuffPolicy::Normalize;
    for (body, content) in [
        (&b"a\n.\nb"[..], &b"a\r\n..\r\nb\r\n.\r\n"[..]),
        (b"a\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    ] {
        check(&data_script(c, body, content));
    }
    c.stuff_policy = StuffPolicy::Space;
    check(&data_script(c, b"a\n.\nb", b"a . b\r\n.\r\n"));
    check(&data_script(c, b"a\r.\rb", b"a . b\r\n.\r\n"));
}

#[test]
fn dot05_split_between_cr_lf_and_before_the_period() {
    // Body pieces of one byte put every split (\r|\n, \n|.) in play; the
    // output is the same as in one piece (checked inside `dot`).
    dot(b"a\r\n.b\r\n\r\n.\r\n", b"a\r\n..b\r\n\r\n..\r\n.\r\n");
}

#[test]
fn dot07_long_line_refused_by_default_and_allowed_when_configured() {
    let long = vec![b'x'; 1500].leak();
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
        ],
    )
    .message(env(), long);
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Content(ContentError::Text(
            BodyError::LineTooLong
        ))]
    );
    assert!(run.closed);
    let mut c = plain_config();
    c.max_line = None;
    let mut content = long.to_vec();
    content.extend_from_slice(b"\r\n.\r\n");
    check(&data_script(c, long, content.leak()));
}

/// PIP-06: replies matched by position only; content only after the 354.
#[test]
fn pip06_pipelined_replies_matched_by_position() {
    let rcpts = [
        Recipient::new("r1@s.example").unwrap(),
        Recipient::new("r2@s.example").unwrap(),
        Recipient::new("r3@s.example").unwrap(),
    ];
    let env = Envelope::new("a@c.example", &rcpts).unwrap();
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<r1@s.example>\r\nRCPT TO:<r2@s.example>\r\nRCPT TO:<r3@s.example>\r\nDATA\r\n",
                // The texts lie: only positions count.
                b"250 recipient ok\r\n550 sender ok\r\n250 no such user\r\n452 ok\r\n354 go\r\n",
            ),
            (b"hi\r\n.\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env, b"hi");
    let run = check(&s);
    let r: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.starts_with("Recipient"))
        .collect();
    assert!(r[0].contains("index: 0") && r[0].contains("ReplyCode(550)"));
    assert!(r[1].contains("index: 1") && r[1].contains("ReplyCode(250)"));
    assert!(r[2].contains("index: 2") && r[2].contains("ReplyCode(452)"));
    assert_eq!(run.delivered(), 1);
}

/// PIP-07: every recipient refused; DATA got 354 anyway → only `.`, then
/// RSET; DATA got 554 → RSET. Never the content.
#[test]
fn pip07_no_content_without_an_accepted_recipient() {
    let steps_354: Vec<(&[u8], &[u8])> = vec![
        (b"", GREETING),
        (b"EHLO c.example\r\n", EHLO_PIPE),
        (
            b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
            b"250 ok\r\n550 no\r\n354 go\r\n",
        ),
        (b".\r\n", b"554 no valid recipients\r\n"),
        (b"RSET\r\n", b"250 ok\r\n"),
        (b"QUIT\r\n", b"221 bye\r\n"),
    ];
    let run = check(&Script::new(plain_config(), steps_354).message(env(), b"SECRET"));
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Recipients"))
    );
    assert!(!run.wire.concat().windows(6).any(|w| w == b"SECRET"));

    let steps_554: Vec<(&[u8], &[u8])> = vec![
        (b"", GREETING),
        (b"EHLO c.example\r\n", EHLO_PIPE),
        (
            b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
            b"250 ok\r\n550 no\r\n554 no valid recipients\r\n",
        ),
        (b"RSET\r\n", b"250 ok\r\n"),
        (b"QUIT\r\n", b"221 bye\r\n"),
    ];
    let run = check(&Script::new(plain_config(), steps_554).message(env(), b"SECRET"));
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Permanent"))
    );
}

/// PIP-08: without PIPELINING each command waits; with it, DATA still
/// ends the group (content only after 354), and EHLO, AUTH and QUIT wait.
#[test]
fn pip08_group_ending_commands_wait_for_their_reply() {
    // Lock-step: data_script checks each command is alone before its reply.
    check(&data_script(plain_config(), b"x", b"x\r\n.\r\n"));
    // The caller may read while output is pending (no deadlock): a reply
    // can be fed before the due command is transmitted.
    let mut client = Client::new(plain_config()).unwrap();
    client.feed(GREETING).unwrap();
    assert!(client.wants_transmit());
    let (n, ev) = client.feed(b"421 shutting down\r\n").unwrap();
    assert_eq!(n, 19);
    assert!(matches!(ev, embedded_smtp::ClientEvent::Closing(_)));
    assert!(client.is_closed());
}

/// PIP-08 with AUTH LOGIN: MAIL is not pipelined behind AUTH.
#[test]
fn pip08_no_mail_behind_auth_login() {
    let mut c = plain_config();
    c.allow_plaintext_auth = true;
    c.auth = Some(embedded_smtp::client::AuthConfig::password("u", "p"));
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (
                b"EHLO c.example\r\n",
                b"250-s.example\r\n250-PIPELINING\r\n250 AUTH LOGIN\r\n",
            ),
            (b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n"),
            (b"dQ==\r\n", b"334 UGFzc3dvcmQ6\r\n"),
            (b"cA==\r\n", b"235 ok\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"x");
    assert_eq!(check(&s).delivered(), 1);
}

const EHLO_CHUNKING: &[u8] =
    b"250-s.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n";

/// BDT-09: after a refused chunk no further BDAT; RSET follows. The BDAT
/// size equals the octets sent: no stuffing, no appended CRLF.
#[test]
fn bdt09_no_chunk_after_a_refused_one() {
    let body: &'static [u8] = &[b'.'; 150];
    // Pipelined: the chunks that fit are out before the 552 arrives; the
    // size is the octets sent (periods are not stuffed under BDAT).
    let mut chunks = b"BDAT 100\r\n".to_vec();
    chunks.extend_from_slice(&body[..100]);
    chunks.extend_from_slice(b"BDAT 50\r\n");
    chunks.extend_from_slice(&body[100..]);
    chunks.extend_from_slice(b"BDAT 0 LAST\r\n");
    let mut s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\n",
                b"250 ok\r\n250 ok\r\n",
            ),
            (chunks.leak(), b"552 too big\r\n503 no\r\n503 no\r\n"),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    s.body_out = 110;
    let run = check(&s);
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Content"))
    );

    // Lock-step BDAT (no PIPELINING): the 552 to the first chunk stops it.
    let mut c = plain_config();
    c.pipelining = false;
    let mut chunk1 = b"BDAT 100\r\n".to_vec();
    chunk1.extend_from_slice(&body[..100]);
    let mut s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (chunk1.leak(), b"552 too big\r\n"),
            (b"RSET\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    s.body_out = 110;
    let run = check(&s);
    assert_eq!(run.delivered(), 0);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Failed") && e.contains("Content"))
    );
}

#[test]
fn bdat_whole_message_and_binarymime() {
    let mut c = plain_config();
    c.pipelining = false;
    let body: &[u8] = b"a\r\n.\r\nQUIT\r\n";
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 12\r\na\r\n.\r\nQUIT\r\n", b"250 12 octets\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), body);
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(run.has_event("ChunkAccepted"));

    // BINARYMIME: bare CR, LF, NUL and 8-bit octets pass untouched.
    let bin: &[u8] = b"\x00\r\xff\n";
    let e = env().body(Body::BinaryMime);
    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (
                b"MAIL FROM:<a@c.example> BODY=BINARYMIME\r\n",
                b"250 ok\r\n",
            ),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 4\r\n\x00\r\xff\n", b"250 ok\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(e, bin);
    assert_eq!(check(&s).delivered(), 1);
}

/// BDAT needs canonical text (RFC 3030 §3): a CR at the end of a piece is
/// held until its LF is seen; a bare one is refused.
#[test]
fn bdat_holds_a_trailing_cr_and_refuses_bare_ones() {
    let mut c = plain_config();
    c.pipelining = false;
    let mut s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"BDAT 1\r\na", b"250 ok\r\n"),
            // The held CR goes out with the LF that follows it.
            (b"BDAT 3\r\n\r\nb", b"250 ok\r\n"),
            (b"BDAT 0 LAST\r\n", b"250 queued\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"a\r\nb");
    s.body_piece = 2;
    assert_eq!(check(&s).delivered(), 1);

    let s = Script::new(
        c,
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_CHUNKING),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
        ],
    )
    .message(env(), b"a\nb");
    let run = check(&s);
    assert_eq!(
        run.errors,
        [ClientError::Content(ContentError::Text(BodyError::BareLf))]
    );
    assert_eq!(tail(&run), b"");
}

fn ready_client(ehlo: &[u8]) -> Client<'static> {
    let mut c = Client::new(plain_config()).unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    let (n, _) = c.feed(ehlo).unwrap();
    assert_eq!(n, ehlo.len());
    assert!(c.is_ready());
    c
}

/// `send` refuses and nothing is written; the session stays ready.
fn refused(ehlo: &[u8], env: &Envelope<'_>, err: EnvelopeError) {
    let mut c = ready_client(ehlo);
    assert_eq!(c.send(env), Err(ClientError::Envelope(err)));
    assert!(c.is_ready());
    let mut out = [0u8; 512];
    assert_eq!(c.transmit(Some(env), &mut out), Ok(0));
}

fn mail_line(ehlo: &[u8], env: &Envelope<'_>) -> String {
    let mut c = ready_client(ehlo);
    c.send(env).unwrap();
    let mut out = [0u8; 1024];
    let n = c.transmit(Some(env), &mut out).unwrap();
    let s = String::from_utf8(out[..n].to_vec()).unwrap();
    s.split("\r\n").next().unwrap().to_string()
}

#[test]
fn ext06_smtputf8_only_when_needed_and_advertised() {
    let utf8 = [Recipient::new("ü@x.example").unwrap()];
    let e = Envelope::new("a@c.example", &utf8).unwrap();
    refused(EHLO_PLAIN, &e, EnvelopeError::SmtpUtf8);
    let ehlo = b"250-s.example\r\n250 SMTPUTF8\r\n";
    assert_eq!(mail_line(ehlo, &e), "MAIL FROM:<a@c.example> SMTPUTF8");
    assert_eq!(mail_line(ehlo, &env()), "MAIL FROM:<a@c.example>");
}

#[test]
fn ext07_size_declared_only_when_advertised_and_refused_over_limit() {
    let e = env().size(5000);
    refused(
        b"250-s.example\r\n250 SIZE 1000\r\n",
        &e,
        EnvelopeError::TooBig { limit: 1000 },
    );
    assert_eq!(
        mail_line(b"250-s.example\r\n250 SIZE\r\n", &e),
        "MAIL FROM:<a@c.example> SIZE=5000"
    );
    assert_eq!(
        mail_line(b"250-s.example\r\n250 SIZE 5000\r\n", &e),
        "MAIL FROM:<a@c.example> SIZE=5000"
    );
    assert_eq!(mail_line(EHLO_PLAIN, &e), "MAIL FROM:<a@c.example>");
}

#[test]
fn ext10_dsn_xtext_and_eight_bit() {
    let rc = [Recipient::new("b@s.example")
        .unwrap()
        .notify(Notify::SUCCESS | Notify::FAILURE)
        .orcpt("rfc822", b"x y@z")
        .unwrap()];
    let e = Envelope::new("a@c.example", &rc)
        .unwrap()
        .ret(Ret::Hdrs)
        .envid(b"a b=c+d")
        .unwrap();
    refused(EHLO_PLAIN, &e, EnvelopeError::Dsn);
    let ehlo = b"250-s.example\r\n250 DSN\r\n";
    assert_eq!(
        mail_line(ehlo, &e),
        "MAIL FROM:<a@c.example> RET=HDRS ENVID=a+20b+3Dc+2Bd"
    );
    let mut c = ready_client(b"250-s.example\r\n250-PIPELINING\r\n250 DSN\r\n");
    c.send(&e).unwrap();
    let mut out = [0u8; 512];
    let n = c.transmit(Some(&e), &mut out).unwrap();
    assert!(
        std::str::from_utf8(&out[..n])
            .unwrap()
            .contains("RCPT TO:<b@s.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+20y@z\r\n")
    );
    // CR/LF in an ENVID or ORCPT is refused, not encoded.
    assert_eq!(
        env().envid(b"a\r\nb").unwrap_err(),
        EnvelopeError::Invalid(Invalid::ControlByte)
    );
    assert!(
        Recipient::new("b@s.example")
            .unwrap()
            .orcpt("rfc822", b"x\ny")
            .is_err()
    );
    // 8BITMIME needs the keyword; an 8-bit body needs BODY=8BITMIME.
    refused(
        EHLO_PLAIN,
        &env().body(Body::EightBitMime),
        EnvelopeError::EightBitMime,
    );
    assert_eq!(
        mail_line(
            b"250-s.example\r\n250 8BITMIME\r\n",
            &env().body(Body::EightBitMime)
        ),
        "MAIL FROM:<a@c.example> BODY=8BITMIME"
    );
    refused(
        EHLO_PLAIN,
        &env().body(Body::BinaryMime),
        EnvelopeError::BinaryMime,
    );
    refused(
        b"250-s.example\r\n250 BINARYMIME\r\n",
        &env().body(Body::BinaryMime),
        EnvelopeError::BinaryMime,
    );
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
        ],
    )
    .message(env(), "caf\u{e9}".as_bytes());
    let run = check(&s);
    assert_eq!(run.errors, [ClientError::Content(ContentError::EightBit)]);
    assert_eq!(tail(&run), b"");
}

#[test]
fn too_many_recipients_for_the_caller_or_the_server() {
    let many: Vec<Recipient<'static>> = (0..3)
        .map(|_| Recipient::new("b@s.example").unwrap())
        .collect();
    let e = Envelope::new("a@c.example", &many).unwrap();
    refused(
        b"250-s.example\r\n250 LIMITS RCPTMAX=2\r\n",
        &e,
        EnvelopeError::TooManyRecipients,
    );
    let mut c = Client::new({
        let mut c = plain_config();
        c.max_recipients = 2;
        c
    })
    .unwrap();
    let mut out = [0u8; 512];
    c.feed(GREETING).unwrap();
    c.transmit(None, &mut out).unwrap();
    c.feed(EHLO_PLAIN).unwrap();
    assert_eq!(
        c.send(&e),
        Err(ClientError::Envelope(EnvelopeError::TooManyRecipients))
    );
    refused(
        EHLO_PLAIN,
        &Envelope::new("a@c.example", &[]).unwrap(),
        EnvelopeError::NoRecipients,
    );
}

#[test]
fn inj01_02_03_addresses_with_line_breaks_or_controls_are_refused() {
    for bad in [
        "a@b>\r\nRCPT TO:<v@x>",
        "v@x>\r\nDATA\r\n",
        "a\r@b",
        "a\n@b",
        "a\0@b",
        "a@b\r",
        "\"a\r\nRSET\"@x",
        "\"a\x01\"@x",
        "a b@x",
        "<a@b",
    ] {
        assert!(Recipient::new(bad).is_err(), "{bad:?}");
        assert!(Envelope::new(bad, &[]).is_err(), "{bad:?}");
    }
    assert!(matches!(
        Recipient::new("v@x>\r\nDATA"),
        Err(EnvelopeError::Address(AddressError::Syntax | _))
    ));
}

#[test]
fn inj05_ehlo_name_must_be_a_domain_or_literal() {
    for bad in ["h\r\nMAIL FROM:<x@y>", "h h", "_bad", "", "h\0"] {
        assert!(ClientConfig::new(bad).is_err(), "{bad:?}");
    }
    assert!(ClientConfig::new("[192.0.2.1]").is_ok());
    assert!(ClientConfig::new("c.example").is_ok());
}

#[test]
fn inj07_credentials_with_nul_cr_lf_are_refused() {
    use embedded_smtp::client::{AuthConfig, ConfigError};
    for (u, p) in [
        ("a\0b", "p"),
        ("a", "p\r"),
        ("a", "p\n"),
        ("a\r\n", "p"),
        ("", "p"),
    ] {
        let mut c = plain_config();
        c.auth = Some(AuthConfig::password(u, p));
        assert_eq!(
            Client::new(c).err(),
            Some(ConfigError::Credentials),
            "{u:?} {p:?}"
        );
    }
    let mut c = plain_config();
    c.auth = Some(AuthConfig::XOAuth2 {
        user: "a@b",
        token: "t\x01",
    });
    assert_eq!(Client::new(c).err(), Some(ConfigError::Credentials));
}

#[test]
fn lmtp_one_final_reply_per_accepted_recipient() {
    let mut c = plain_config();
    c.lmtp = true;
    let rcpts = [
        Recipient::new("r0@s.example").unwrap(),
        Recipient::new("r1@s.example").unwrap(),
        Recipient::new("r2@s.example").unwrap(),
    ];
    let e = Envelope::new("a@c.example", &rcpts).unwrap();
    let s = Script::new(
        c,
        vec![
            (b"", b"220 s.example LMTP\r\n"),
            (b"LHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<r0@s.example>\r\nRCPT TO:<r1@s.example>\r\nRCPT TO:<r2@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 r0 ok\r\n452 r2 full\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(e, b"x");
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    assert!(
        run.events
            .iter()
            .any(|e| e.starts_with("Delivered { recipient: Some(0)"))
    );
    assert!(
        run.events
            .iter()
            .any(|e| e.contains("Transient") && e.contains("recipient: Some(2)"))
    );
}

#[test]
fn several_transactions_rset_after_a_failed_one() {
    let s = Script::new(
        plain_config(),
        vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PIPE),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"451 try later\r\n503 no mail\r\n503 no rcpt\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"two\r\n.\r\n", b"554 rejected\r\n"),
            (
                b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"three\r\n.\r\n", b"250 ok\r\n"),
            (b"QUIT\r\n", b"221 bye\r\n"),
        ],
    )
    .message(env(), b"one")
    .message(env(), b"two")
    .message(env(), b"three");
    let run = check(&s);
    assert_eq!(run.delivered(), 1);
    let failed: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.starts_with("Failed"))
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed[0].contains("Mail") && failed[0].contains("Transient"));
    assert!(failed[1].contains("Content") && failed[1].contains("Permanent"));
}
