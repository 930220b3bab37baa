//! The big providers, replayed (issue 10, item 4): what Gmail, Microsoft 365,
//! Exchange Server, Yahoo, iCloud, Fastmail, Amazon SES and SendGrid send,
//! taken from their documentation or from published sessions, replayed
//! against the client engine whole, byte by byte and split at every point.
//!
//! The transcripts are data files in `tests/client/providers/` (format in its
//! README); each names its sources, and says where it combines them. The
//! server lines are the sources'; the client lines are what this engine must
//! write. Every expected reply below is checked against the transcript's own
//! bytes.

use crate::support::client_script as script;

use embedded_smtp::client::{
    AuthConfig, AuthUnavailable, ClientConfig, ClientError, Envelope, Recipient, TlsPolicy,
};
use embedded_smtp::syntax::{AuthMechanism, Body, Capabilities, Extension};
use embedded_smtp::wire::reply::{ReplyLimits, frame};
use script::{EHLO_PLAIN, GREETING, Run, Script, Seen, check, esc, tail};

// ---------------------------------------------------------------------------
// Transcript files

/// One transcript: header fields, steps (client bytes, server bytes) and the
/// client bytes expected after the last server line.
struct Transcript {
    name: String,
    header: Vec<(String, String)>,
    steps: Vec<(Vec<u8>, Vec<u8>)>,
    tail: Vec<u8>,
}

impl Transcript {
    fn field(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The server bytes of every step.
    fn server(&self) -> impl Iterator<Item = &[u8]> {
        self.steps.iter().map(|(_, s)| s.as_slice())
    }
}

/// `\\` and `\xHH`; everything else as is.
fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = text.get(i + 2..i + 4).expect("\\x needs two hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Parses one transcript (format in `tests/client/providers/README.md`).
fn parse(name: &str, text: &str) -> Transcript {
    let mut t = Transcript {
        name: name.to_string(),
        header: Vec::new(),
        steps: Vec::new(),
        tail: Vec::new(),
    };
    let (mut client, mut server) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('@') {
            let (k, v) = rest.split_once(':').expect("@key: value");
            t.header.push((k.trim().to_string(), v.trim().to_string()));
        } else if let Some(rest) = line.strip_prefix("C:") {
            if !server.is_empty() {
                t.steps
                    .push((std::mem::take(&mut client), std::mem::take(&mut server)));
            }
            client.extend(unescape(rest.strip_prefix(' ').unwrap_or(rest)));
            client.extend_from_slice(b"\r\n");
        } else if let Some(rest) = line.strip_prefix("S:") {
            server.extend(unescape(rest.strip_prefix(' ').unwrap_or(rest)));
            server.extend_from_slice(b"\r\n");
        } else {
            panic!("{name}: line not understood: {line:?}");
        }
    }
    if !server.is_empty() {
        t.steps.push((std::mem::take(&mut client), server));
    }
    t.tail = client;
    assert!(t.field("provider").is_some(), "{name}: no @provider");
    assert!(t.field("source").is_some(), "{name}: no @source");
    t
}

fn read(file: &str) -> String {
    let path = format!(
        "{}/tests/client/providers/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(name: &str) -> Transcript {
    parse(name, &read(&format!("{name}.txt")))
}

/// Every server step is a sequence of complete replies that the reply
/// parser accepts, to the last byte.
fn replies_of(t: &Transcript, bytes: &[u8]) -> usize {
    let mut rest = bytes;
    let mut n = 0;
    while !rest.is_empty() {
        let parsed = frame(rest, &ReplyLimits::DEFAULT)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", t.name, esc(rest)));
        let (_, used) = parsed
            .complete()
            .unwrap_or_else(|| panic!("{}: incomplete reply {}", t.name, esc(rest)));
        rest = &rest[used..];
        n += 1;
    }
    n
}

/// Replays `t` with the given configuration and messages: every reply parses,
/// the client writes exactly the transcript's client lines at every split,
/// and never reports a protocol error. Returns the run; the tail is left to
/// the caller.
fn run_with(
    t: &Transcript,
    config: ClientConfig<'static>,
    messages: Vec<(Envelope<'static>, &'static [u8])>,
) -> Run {
    for server in t.server() {
        assert!(replies_of(t, server) >= 1);
    }
    let mut script = Script::new(
        config,
        t.steps
            .iter()
            .map(|(c, s)| (c.as_slice(), s.as_slice()))
            .collect(),
    );
    script.messages = messages;
    let run = check(&script);
    assert!(
        !run.errors
            .iter()
            .any(|e| matches!(e, ClientError::Protocol(_))),
        "{}: {:?}",
        t.name,
        run.errors
    );
    run
}

/// [`run_with`], and the client's bytes after the transcript are the
/// transcript's own trailing `C:` lines.
fn replay(
    t: &Transcript,
    config: ClientConfig<'static>,
    messages: Vec<(Envelope<'static>, &'static [u8])>,
) -> Run {
    let run = run_with(t, config, messages);
    assert_eq!(
        esc(tail(&run)),
        esc(&t.tail),
        "{}: after the last reply",
        t.name
    );
    run
}

// ---------------------------------------------------------------------------
// Configurations and expectations

const USER: &str = "user@example.com";
const PASSWORD: &str = "password";

fn config(tls: TlsPolicy, auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut c = ClientConfig::new("c.example");
    c.tls = tls;
    c.auth = auth;
    c
}

/// Port 465: the transport is TLS from the start.
fn implicit(auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut c = config(TlsPolicy::Required, auth);
    c.implicit_tls = true;
    c
}

fn password() -> Option<AuthConfig<'static>> {
    Some(AuthConfig::password(USER, PASSWORD))
}

fn message(from: &'static str, to: &'static str) -> Envelope<'static> {
    let rcpts: &'static [Recipient<'static>] = vec![Recipient::new(to).unwrap()].leak();
    Envelope::new(from, rcpts).unwrap()
}

fn mechanisms(caps: &Capabilities) -> Vec<AuthMechanism> {
    caps.auth().iter().collect()
}

/// The enhanced status code a reply line starts with (`x.y.z` after the
/// code and separator), if its class is the code's first digit (RFC 3463).
fn written_esc(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line.get(4..)?).ok()?;
    let token = text.split(' ').next()?;
    let parts: Vec<&str> = token.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    (parts.len() == 3 && parts.iter().all(|p| digits(p)) && token.as_bytes()[0] == line[0])
        .then_some(token)
}

/// The reply handed to the caller is the transcript's `block`: the same
/// bytes, its code, the enhanced code its first line carries, and each
/// line's text (after the code, the separator and that enhanced code).
fn expect_reply(seen: &Seen, block: &[u8]) {
    assert_eq!(esc(&seen.raw), esc(block));
    let lines: Vec<&[u8]> = block
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_suffix(b"\r").unwrap())
        .collect();
    let code: u16 = std::str::from_utf8(&lines[0][..3])
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(seen.code, code);
    let first_esc = written_esc(lines[0]);
    assert_eq!(seen.enhanced.as_deref(), first_esc);
    let expected: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| {
            let text = l.get(4..).unwrap_or_default();
            match first_esc {
                Some(e) if written_esc(l) == Some(e) => text[e.len()..]
                    .strip_prefix(b" ")
                    .unwrap_or(&text[e.len()..])
                    .to_vec(),
                _ => text.to_vec(),
            }
        })
        .collect();
    assert_eq!(seen.lines, expected);
}

/// The one event starting with `prefix`, and its reply.
fn only<'r>(run: &'r Run, prefix: &str) -> (&'r str, Option<&'r Seen>) {
    let found = run.with_reply(prefix);
    assert_eq!(found.len(), 1, "{prefix}: {:#?}", run.events);
    found[0]
}

fn reply_of<'r>(run: &'r Run, prefix: &str) -> &'r Seen {
    only(run, prefix)
        .1
        .unwrap_or_else(|| panic!("{prefix} carries no reply"))
}

/// The server bytes of step `i`.
fn step(t: &Transcript, i: usize) -> &[u8] {
    &t.steps[i].1
}

/// Rebuilds an EHLO reply from its first line's text and the given keyword
/// lines, for comparing capability sets.
fn ehlo(first: &str, lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let all: Vec<&str> = std::iter::once(first)
        .chain(lines.iter().copied())
        .collect();
    for (i, l) in all.iter().enumerate() {
        let sep = if i + 1 == all.len() { ' ' } else { '-' };
        out.extend_from_slice(format!("250{sep}{l}\r\n").as_bytes());
    }
    out
}

/// The same EHLO reply without its `AUTH mech...` lines, so that only the
/// old `AUTH=mech...` form is left.
fn old_auth_form_alone(reply: &[u8]) -> Capabilities {
    let text = std::str::from_utf8(reply).unwrap();
    let mut lines = text.lines().map(|l| &l[4..]);
    let first = lines.next().unwrap();
    let kept: Vec<&str> = lines.filter(|l| !l.starts_with("AUTH ")).collect();
    assert!(kept.iter().any(|l| l.starts_with("AUTH=")));
    caps_of(&ehlo(first, &kept))
}

fn caps_of(reply: &[u8]) -> Capabilities {
    let (r, _) = frame(reply, &ReplyLimits::DEFAULT)
        .unwrap()
        .complete()
        .unwrap();
    Capabilities::parse(&r)
}

// ---------------------------------------------------------------------------
// Gmail

#[test]
fn gmail_submission_starttls_then_plain_refused() {
    let t = load("gmail-submission-auth-failed");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    expect_reply(reply_of(&run, "Greeting"), step(&t, 0));
    assert!(run.has_event("StartTls"));

    // Before TLS: STARTTLS, no AUTH. After: AUTH, no STARTTLS (TLS-09).
    assert_eq!(run.hellos.len(), 2);
    let (pre, pre_tls) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(!pre_tls && post_tls);
    assert!(pre.has(Extension::StartTls) && !pre.has(Extension::Auth));
    assert!(!post.has(Extension::StartTls) && post.has(Extension::Auth));
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(35_882_577));
        for ext in [
            Extension::EightBitMime,
            Extension::EnhancedStatusCodes,
            Extension::Pipelining,
            Extension::Chunking,
            Extension::SmtpUtf8,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    // PLAIN-CLIENTTOKEN and XOAUTH are not mechanisms this crate knows.
    assert_eq!(
        mechanisms(&post),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2,
            AuthMechanism::OAuthBearer
        ]
    );
    assert_eq!(pre, caps_of(step(&t, 1)));

    // The refusal reaches the caller whole; the session goes on to QUIT.
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 4));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.8"))
    );
    assert_eq!(failed.lines.len(), 2);
    assert!(!run.has_event("Authenticated"));
    expect_reply(reply_of(&run, "Closed"), step(&t, 5));
    assert!(run.closed);
}

fn google_doc_xoauth2() -> Option<AuthConfig<'static>> {
    // The user and token of Google's example.
    Some(AuthConfig::XOAuth2 {
        user: "someuser@example.com",
        token: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    })
}

#[test]
fn gmail_xoauth2_initial_response_is_googles() {
    let t = load("gmail-xoauth2-accepted");
    let run = replay(&t, implicit(google_doc_xoauth2()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(35_651_584));
    assert!(caps.has(Extension::Pipelining) && !caps.has(Extension::Chunking));
    // XOAUTH (version 1) is ignored.
    assert_eq!(
        mechanisms(&caps),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2
        ]
    );
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 2));
    assert_eq!(ok.lines, [b"Accepted".to_vec()]);
}

#[test]
fn gmail_xoauth2_error_challenge_gets_an_empty_line() {
    let t = load("gmail-xoauth2-error");
    let run = replay(&t, implicit(google_doc_xoauth2()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let challenge = reply_of(&run, "AuthChallenge");
    expect_reply(challenge, step(&t, 2));
    assert_eq!(challenge.enhanced, None);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 3));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.1"))
    );
    assert!(!run.has_event("Authenticated"));
}

#[test]
fn gmail_mx_unknown_recipient_reaches_the_caller() {
    let t = load("gmail-mx-no-such-user");
    let env = message("me@gmail.com", "somenonexistinguser@gmail.com");
    let run = replay(&t, config(TlsPolicy::Never, None), vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(157_286_400));
    for ext in [
        Extension::Pipelining,
        Extension::Chunking,
        Extension::SmtpUtf8,
        Extension::StartTls,
    ] {
        assert!(caps.has(ext), "{ext}");
    }
    assert_eq!(caps, caps_of(step(&t, 1)));

    // One server step answers MAIL and RCPT.
    let answers = step(&t, 2);
    assert_eq!(replies_of(&t, answers), 2);
    let (mail, rcpt) = answers.split_at(b"250 2.1.0 OK d72si22370812qhc.8 - gsmtp\r\n".len());
    expect_reply(reply_of(&run, "MailFrom"), mail);
    let (event, refused) = only(&run, "Recipient");
    assert!(event.contains("index: 0"));
    let refused = refused.unwrap();
    expect_reply(refused, rcpt);
    assert_eq!(
        (refused.code, refused.enhanced.as_deref()),
        (550, Some("5.1.1"))
    );
    assert_eq!(refused.lines.len(), 4);
    let (failed, reply) = only(&run, "Failed");
    assert!(failed.contains("Recipients") && failed.contains("Permanent"));
    assert_eq!(reply, None, "already reported with the Recipient event");
    assert_eq!(run.delivered(), 0);
}

// ---------------------------------------------------------------------------
// Microsoft 365 (Exchange Online)

fn microsoft_caps(run: &Run) -> (Capabilities, Capabilities) {
    assert_eq!(run.hellos.len(), 2);
    let (pre, pre_tls) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(!pre_tls && post_tls);
    assert!(pre.has(Extension::StartTls) && !pre.has(Extension::Auth));
    assert!(!post.has(Extension::StartTls));
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(157_286_400));
        for ext in [
            Extension::Pipelining,
            Extension::Dsn,
            Extension::EnhancedStatusCodes,
            Extension::EightBitMime,
            Extension::BinaryMime,
            Extension::Chunking,
            Extension::SmtpUtf8,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    // No PLAIN after STARTTLS.
    assert_eq!(
        mechanisms(&post),
        [AuthMechanism::Login, AuthMechanism::XOAuth2]
    );
    (pre, post)
}

#[test]
fn microsoft365_xoauth2_after_starttls() {
    let t = load("microsoft365-xoauth2");
    let auth = Some(AuthConfig::XOAuth2 {
        user: USER,
        token: "token",
    });
    let run = replay(&t, config(TlsPolicy::Required, auth), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    microsoft_caps(&run);
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 4));
    assert_eq!((ok.code, ok.enhanced.as_deref()), (235, Some("2.7.0")));
}

#[test]
fn microsoft365_password_goes_by_login_and_is_refused() {
    let t = load("microsoft365-login-refused");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    microsoft_caps(&run);
    let challenges = run.with_reply("AuthChallenge");
    assert_eq!(challenges.len(), 2);
    expect_reply(challenges[0].1.unwrap(), step(&t, 4));
    expect_reply(challenges[1].1.unwrap(), step(&t, 5));
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 6));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.139"))
    );
    // The [Hostname timestamp id] suffix is in the text the caller gets.
    assert!(failed.lines[0].ends_with(
        b"[ROAP284CA0246.BRAP284.PROD.OUTLOOK.COM 2024-11-09T18:52:38.365Z 08DD00AC0E70755C]"
    ));
}

// ---------------------------------------------------------------------------
// Exchange Server on premises

/// Exchange's own keywords change nothing: the capabilities are those of
/// the same reply without them.
fn without_exchange_keywords(reply: &[u8]) -> Capabilities {
    let text = std::str::from_utf8(reply).unwrap();
    let mut lines = text.lines().map(|l| &l[4..]);
    let first = lines.next().unwrap();
    let kept: Vec<&str> = lines
        .filter(|l| {
            !["X-EXPS", "XEXCH50", "XRDST", "XSHADOW", "X-ANONYMOUSTLS"]
                .iter()
                .any(|k| l.split(' ').next() == Some(k))
        })
        .collect();
    caps_of(&ehlo(first, &kept))
}

#[test]
fn exchange_login_only_after_starttls() {
    let t = load("exchange-login-after-starttls");
    let run = replay(&t, config(TlsPolicy::Required, password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(run.hellos.len(), 2);
    let (pre, _) = run.hellos[0];
    let (post, post_tls) = run.hellos[1];
    assert!(post_tls);
    // "AUTH NTLM": no mechanism this crate knows, so no AUTH at all.
    assert!(!pre.has(Extension::Auth) && pre.auth().is_empty());
    assert_eq!(mechanisms(&post), [AuthMechanism::Login]);
    for caps in [pre, post] {
        assert_eq!(caps.size_limit(), Some(10_485_760));
        for ext in [
            Extension::Pipelining,
            Extension::Dsn,
            Extension::BinaryMime,
            Extension::Chunking,
        ] {
            assert!(caps.has(ext), "{ext}");
        }
    }
    assert_eq!(pre, without_exchange_keywords(step(&t, 1)));
    assert_eq!(post, without_exchange_keywords(step(&t, 3)));

    assert_eq!(run.with_reply("AuthChallenge").len(), 2);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 6));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.3"))
    );
}

#[test]
fn exchange_ntlm_only_is_auth_unavailable_before_mail() {
    let t = load("exchange-ntlm-only");
    let mut c = config(TlsPolicy::Never, password());
    c.allow_plaintext_auth = true;
    let env = message("a@c.example", "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    // A clear error, not a protocol error; nothing authenticated, no MAIL.
    assert_eq!(
        run.errors,
        [ClientError::AuthUnavailable(
            AuthUnavailable::NoCommonMechanism
        )]
    );
    assert!(
        run.errors[0]
            .to_string()
            .contains("no AUTH mechanism in common")
    );
    let wire = run.wire.concat();
    assert!(!wire.windows(4).any(|w| w == b"AUTH"));
    assert!(!wire.windows(4).any(|w| w == b"MAIL"));
    let caps = run.hellos[0].0;
    assert!(!caps.has(Extension::Auth));
    assert_eq!(caps, without_exchange_keywords(step(&t, 1)));
}

#[test]
fn exchange_binarymime_goes_by_bdat() {
    let t = load("exchange-ntlm-only");
    let rcpts: &'static [Recipient<'static>] = vec![Recipient::new("b@s.example").unwrap()].leak();
    let env = Envelope::new("a@c.example", rcpts)
        .unwrap()
        .body(Body::BinaryMime);
    let run = run_with(&t, config(TlsPolicy::Never, None), vec![(env, b"\x00\xff")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    // PIPELINING and CHUNKING: MAIL and RCPT in one flight, no DATA; the
    // content waits for the replies (not in the source).
    assert_eq!(
        esc(tail(&run)),
        esc(b"MAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<b@s.example>\r\n")
    );
}

// ---------------------------------------------------------------------------
// Yahoo, iCloud, Fastmail

#[test]
fn yahoo_plain_refused() {
    let t = load("yahoo-submission-auth-refused");
    let run = replay(&t, implicit(password()), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    // "8 BITMIME" is not 8BITMIME; XYMCOOKIE is not a known mechanism.
    assert!(!caps.has(Extension::EightBitMime));
    assert!(caps.has(Extension::Pipelining));
    assert_eq!(caps.size_limit(), Some(41_697_280));
    assert_eq!(
        mechanisms(&caps),
        [
            AuthMechanism::Plain,
            AuthMechanism::Login,
            AuthMechanism::XOAuth2
        ]
    );
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 2));
    assert_eq!(
        (failed.code, failed.enhanced.as_deref()),
        (535, Some("5.7.0"))
    );
    assert_eq!(
        failed.lines,
        [b"(#AUTH005) Too many bad auth attempts.".to_vec()]
    );
}

#[test]
fn icloud_plain_without_initial_response_and_bare_334() {
    let t = load("icloud-auth-plain");
    let long: &'static str = "p".repeat(400).leak();
    let run = replay(&t, implicit(Some(AuthConfig::password(USER, long))), vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let challenge = reply_of(&run, "AuthChallenge");
    expect_reply(challenge, step(&t, 2));
    assert_eq!(challenge.lines, [Vec::<u8>::new()]);
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 3));
    assert_eq!((ok.code, ok.enhanced.as_deref()), (235, Some("2.7.0")));
}

#[test]
fn fastmail_unauthenticated_mail_refused() {
    let t = load("fastmail-unauthenticated");
    let mut c = implicit(None);
    c.pipelining = false;
    let env = message(USER, "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(71_000_000));
    // "AUTH PLAIN LOGIN" and the old "AUTH=PLAIN LOGIN" agree.
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    assert_eq!(
        mechanisms(&old_auth_form_alone(step(&t, 1))),
        mechanisms(&caps)
    );
    let refused = reply_of(&run, "MailFrom");
    expect_reply(refused, step(&t, 2));
    assert_eq!(
        (refused.code, refused.enhanced.as_deref()),
        (530, Some("5.7.1"))
    );
    let (failed, _) = only(&run, "Failed");
    assert!(failed.contains("Mail") && failed.contains("Permanent"));
}

// ---------------------------------------------------------------------------
// Amazon SES, SendGrid

const SES_BODY: &[u8] = b"Subject: Amazon SES SMTP test\r\n\r\nhello\r\n";

#[test]
fn amazon_ses_plain_then_delivered() {
    let t = load("amazon-ses-delivered");
    let env = message("sender@example.com", "recipient@example.com").size(SES_BODY.len() as u64);
    let run = replay(&t, implicit(password()), vec![(env, SES_BODY)]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let caps = run.hellos[0].0;
    // "250 Ok" ends the list; it is not a keyword. No PIPELINING: lock-step.
    assert_eq!(caps.size_limit(), Some(10_485_760));
    assert!(caps.has(Extension::EightBitMime) && !caps.has(Extension::Pipelining));
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    let ok = reply_of(&run, "Authenticated");
    expect_reply(ok, step(&t, 2));
    assert_eq!(ok.enhanced, None);
    expect_reply(reply_of(&run, "SendBody"), step(&t, 5));
    let delivered = reply_of(&run, "Delivered");
    expect_reply(delivered, step(&t, 6));
    assert_eq!(run.delivered(), 1);
}

#[test]
fn amazon_ses_unverified_sender_refused_after_the_data() {
    let t = load("amazon-ses-unverified");
    let env = message(
        "root@ip-172-31-38-21.eu-west-1.compute.internal",
        "recipient@example.com",
    );
    let run = replay(&t, implicit(password()), vec![(env, SES_BODY)]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let (failed, reply) = only(&run, "Failed");
    assert!(failed.contains("Content") && failed.contains("Permanent"));
    let reply = reply.unwrap();
    expect_reply(reply, step(&t, 6));
    assert_eq!((reply.code, reply.enhanced.as_deref()), (554, None));
    assert_eq!(run.delivered(), 0);
}

fn sendgrid_caps(t: &Transcript, run: &Run) {
    let caps = run.hellos[0].0;
    assert_eq!(caps.size_limit(), Some(31_457_280));
    assert!(caps.has(Extension::StartTls) && caps.has(Extension::Pipelining));
    assert_eq!(
        mechanisms(&caps),
        [AuthMechanism::Plain, AuthMechanism::Login]
    );
    // The old "AUTH=PLAIN LOGIN" alone says the same.
    assert_eq!(
        mechanisms(&old_auth_form_alone(step(t, 1))),
        mechanisms(&caps)
    );
}

#[test]
fn sendgrid_plain_refused_with_451() {
    let t = load("sendgrid-auth-refused");
    let mut c = config(TlsPolicy::Never, password());
    c.allow_plaintext_auth = true;
    let run = replay(&t, c, vec![]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    sendgrid_caps(&t, &run);
    let failed = reply_of(&run, "AuthFailed");
    expect_reply(failed, step(&t, 2));
    assert_eq!((failed.code, failed.enhanced.as_deref()), (451, None));
}

#[test]
fn sendgrid_unauthenticated_mail_refused() {
    let t = load("sendgrid-unauthenticated");
    let mut c = config(TlsPolicy::Never, None);
    c.pipelining = false;
    let env = message(USER, "b@s.example");
    let run = replay(&t, c, vec![(env, b"x\r\n")]);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    sendgrid_caps(&t, &run);
    let refused = reply_of(&run, "MailFrom");
    expect_reply(refused, step(&t, 2));
    assert_eq!((refused.code, refused.enhanced.as_deref()), (550, None));
    let (failed, _) = only(&run, "Failed");
    assert!(failed.contains("Mail") && failed.contains("Permanent"));
}

// ---------------------------------------------------------------------------
// Single refusals in a synthetic session

#[test]
fn refusals_reach_the_caller_with_code_and_text() {
    let text = read("refusals.txt");
    let mut chunks: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("@entry:") {
            chunks.push(String::new());
        }
        if let Some(c) = chunks.last_mut() {
            c.push_str(line);
            c.push('\n');
        }
    }
    assert!(chunks.len() >= 7);
    let mut phases = Vec::new();
    for chunk in &chunks {
        let t = parse("refusals.txt", chunk);
        let name = t.field("entry").unwrap().to_string();
        let phase = t.field("phase").unwrap().to_string();
        assert_eq!(t.steps.len(), 1, "{name}: one reply");
        assert!(t.tail.is_empty());
        let block: &'static [u8] = t.steps[0].1.clone().leak();
        assert_eq!(replies_of(&t, block), 1, "{name}");
        let code = block[0];
        let closes = block.starts_with(b"421");

        // The harness's server, not the provider's, up to the refusal.
        let mut steps: Vec<(&'static [u8], &'static [u8])> = vec![
            (b"", GREETING),
            (b"EHLO c.example\r\n", EHLO_PLAIN),
            (b"MAIL FROM:<a@c.example>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@s.example>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"x\r\n.\r\n", b"250 queued\r\n"),
        ];
        let (at, failed_phase) = match phase.as_str() {
            "mail" => (2, "Mail"),
            "rcpt" => (3, "Recipients"),
            "final" => (5, "Content"),
            p => panic!("{name}: phase {p}"),
        };
        steps.truncate(at + 1);
        steps[at].1 = block;
        let script = Script::new(script::plain_config(), steps).message(script::env(), b"x");
        let run = check(&script);
        assert!(run.errors.is_empty(), "{name}: {:?}", run.errors);

        let kind = if code == b'4' {
            "Transient"
        } else {
            "Permanent"
        };
        let (failed, failed_reply) = only(&run, "Failed");
        assert!(
            failed.contains(failed_phase) && failed.contains(kind),
            "{name}: {failed}"
        );
        // The reply comes with the event of its command; a 421, which
        // closes the session, with the failure itself.
        let seen = match (phase.as_str(), closes) {
            (_, true) | ("final", _) => failed_reply.unwrap(),
            ("mail", false) => reply_of(&run, "MailFrom"),
            _ => reply_of(&run, "Recipient"),
        };
        expect_reply(seen, block);
        assert_eq!(run.delivered(), 0, "{name}");
        if closes {
            assert!(
                run.closed && tail(&run).is_empty(),
                "{name}: no QUIT after 421"
            );
        } else if phase == "final" {
            assert_eq!(tail(&run), b"QUIT\r\n", "{name}");
        } else {
            assert_eq!(tail(&run), b"RSET\r\n", "{name}");
        }
        phases.push(phase);
    }
    for p in ["mail", "rcpt", "final"] {
        assert!(phases.iter().any(|q| q == p), "no {p} refusal");
    }
}

#[test]
fn transcript_format_escapes() {
    let t = parse(
        "inline",
        "@provider: x\n@source: y\nS: 220 a\\\\b\\x21\nC: EHLO c\nS: 250 ok\nC: QUIT\n",
    );
    assert_eq!(t.steps[0], (Vec::new(), b"220 a\\b!\r\n".to_vec()));
    assert_eq!(t.steps[1], (b"EHLO c\r\n".to_vec(), b"250 ok\r\n".to_vec()));
    assert_eq!(t.tail, b"QUIT\r\n");
}
