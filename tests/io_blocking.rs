//! The blocking driver over in-memory transports: a client driver and a
//! server driver talk through a pair of channels, with reads and writes of
//! any size down to one byte. Every scenario runs whole and at 1-byte
//! chunks, on its own threads, bounded in time.
#![cfg(feature = "blocking")]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use embedded_io::{ErrorKind, ErrorType, Read, Write};
use embedded_smtp::client::{
    AuthConfig, ChunkingPolicy, ClientConfig, Envelope, Event as ClientEvent, FailureKind, Phase,
    Recipient, TlsPolicy,
};
use embedded_smtp::io::blocking::{SmtpClient, serve, serve_tls};
use embedded_smtp::io::{Decision, Delivery, Error, Handler};
use embedded_smtp::sasl::{Credentials, Decoded};
use embedded_smtp::server::{Config, Service};
use embedded_smtp::{
    AuthMechanism, AuthMechanisms, ForwardPath, Host, MailParameters, RcptParameters, ReplyCode,
    ReversePath, Verb,
};

type Log = Arc<Mutex<Vec<u8>>>;

/// One end of an in-memory duplex; `chunk` caps every read and write.
struct End {
    rx: mpsc::Receiver<u8>,
    tx: mpsc::Sender<u8>,
    chunk: usize,
    written: Log,
    /// A read that waits longer fails with `TimedOut`, as a socket with
    /// `set_read_timeout` does.
    read_timeout: Option<Duration>,
}

impl ErrorType for End {
    type Error = ErrorKind;
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let first = match self.read_timeout {
            None => self.rx.recv().ok(),
            Some(t) => match self.rx.recv_timeout(t) {
                Ok(b) => Some(b),
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(ErrorKind::TimedOut),
                Err(mpsc::RecvTimeoutError::Disconnected) => None,
            },
        };
        let Some(first) = first else {
            return Ok(0);
        };
        buf[0] = first;
        let mut n = 1;
        while n < buf.len().min(self.chunk) {
            match self.rx.try_recv() {
                Ok(b) => {
                    buf[n] = b;
                    n += 1;
                }
                Err(_) => break,
            }
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = buf.len().min(self.chunk);
        for &b in &buf[..n] {
            self.tx.send(b).map_err(|_| ErrorKind::BrokenPipe)?;
        }
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// The client's end, the server's end, and what the client wrote on the
/// plain transport.
fn pair(chunk: usize) -> (End, End, Log) {
    let (a, b) = (mpsc::channel(), mpsc::channel());
    let log = Log::default();
    (
        End {
            rx: a.1,
            tx: b.0,
            chunk,
            written: log.clone(),
            read_timeout: None,
        },
        End {
            rx: b.1,
            tx: a.0,
            chunk,
            written: Log::default(),
            read_timeout: None,
        },
        log,
    )
}

/// A pass-through "TLS" layer: a newtype around the transport that logs
/// what goes through it, so a test can tell which bytes went before and
/// which after the upgrade.
struct Tls<T> {
    inner: T,
    written: Log,
}

impl<T: ErrorType> ErrorType for Tls<T> {
    type Error = T::Error;
}

impl<T: Read> Read for Tls<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, T::Error> {
        self.inner.read(buf)
    }
}

impl<T: Write> Write for Tls<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, T::Error> {
        let n = self.inner.write(buf)?;
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), T::Error> {
        self.inner.flush()
    }
}

/// What the server's handler saw.
#[derive(Debug, Default)]
struct Seen {
    hellos: Vec<(Verb, String)>,
    mails: Vec<String>,
    messages: Vec<Vec<u8>>,
    aborted: usize,
    /// Decoded credentials: (mechanism, user, password).
    auths: Vec<(&'static str, String, String)>,
}

/// Accepts what it is told to; refuses the sender `spammer@…`, the
/// recipient `nobody@…`, every recipient with `refuse_rcpts`; checks
/// credentials against alice / s3cret; in LMTP, refuses the message for the
/// second accepted recipient with a 452.
#[derive(Default)]
struct Store {
    seen: Seen,
    current: Vec<u8>,
    refuse_rcpts: bool,
    lmtp_finals: usize,
}

impl Handler for Store {
    fn hello(&mut self, verb: Verb, domain: &Host<'_>) {
        self.seen.hellos.push((verb, format!("{domain}")));
    }
    fn mail(&mut self, from: &ReversePath<'_>, _: &MailParameters<'_>) -> Decision<'_> {
        let from = format!("{from}");
        let spam = from.contains("spammer@");
        self.seen.mails.push(from);
        if spam {
            Decision::Reject
        } else {
            Decision::Accept
        }
    }
    fn rcpt(&mut self, to: &ForwardPath<'_>, _: &RcptParameters<'_>) -> Decision<'_> {
        match to.mailbox() {
            _ if self.refuse_rcpts => Decision::Reject,
            Some(m) if m.local_part().as_str() == "nobody" => Decision::Respond {
                code: ReplyCode::new(550).unwrap(),
                enhanced: None,
                text: "no such user",
            },
            _ => Decision::Accept,
        }
    }
    fn data_start(&mut self) {
        self.current.clear();
        self.lmtp_finals = 0;
    }
    fn data(&mut self, bytes: &[u8]) {
        self.current.extend_from_slice(bytes);
    }
    fn message_end(&mut self) -> Decision<'_> {
        self.lmtp_finals += 1;
        if self.lmtp_finals == 1 {
            self.seen.messages.push(self.current.clone());
            Decision::Accept
        } else {
            Decision::Respond {
                code: ReplyCode::new(452).unwrap(),
                enhanced: None,
                text: "mailbox full",
            }
        }
    }
    fn message_aborted(&mut self, _: embedded_smtp::server::AbortReason) {
        self.seen.aborted += 1;
    }
    fn auth(&mut self, credentials: &Credentials<'_>) -> Decision<'_> {
        let mut scratch = [0u8; 512];
        let (mech, user, pass) = match credentials.decode(&mut scratch) {
            Ok(Decoded::Plain(p)) => ("PLAIN", p.authcid.to_owned(), p.password.to_owned()),
            Ok(Decoded::Login { username, password }) => {
                ("LOGIN", username.to_owned(), password.to_owned())
            }
            _ => return Decision::Reject,
        };
        let ok = user == "alice" && pass == "s3cret";
        self.seen.auths.push((mech, user, pass));
        if ok {
            Decision::Accept
        } else {
            Decision::Reject
        }
    }
}

/// Runs `f` on its own thread; fails the test if it takes more than 20 s
/// (a driver waiting for bytes that never come) or panics.
fn bounded<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (done_tx, done_rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let r = f();
        let _ = done_tx.send(());
        r
    });
    match done_rx.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => handle.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("scenario still running after 20 s"),
    }
}

/// How the server of a scenario is set up.
#[derive(Clone, Copy)]
struct Setup {
    chunk: usize,
    chunking: bool,
    lmtp: bool,
    service: Service,
    auth: AuthMechanisms,
    tls: bool,
    refuse_rcpts: bool,
    pipelining: bool,
}

impl Setup {
    fn new(chunk: usize) -> Self {
        Setup {
            chunk,
            chunking: true,
            lmtp: false,
            service: Service::Ready,
            auth: AuthMechanisms::empty(),
            tls: false,
            refuse_rcpts: false,
            pipelining: true,
        }
    }
}

/// What a scenario produced: what the handler saw, the client's bytes on
/// the plain transport and after the upgrade, and the client's result.
struct Outcome<R> {
    seen: Seen,
    plain: String,
    tls: String,
    client: R,
}

/// Starts the server of `setup` on a thread and runs `client` against it
/// with the client's end, a config that fits the setup, and a log for the
/// TLS layer.
fn scenario<R: Send + 'static>(
    setup: Setup,
    client: impl FnOnce(End, ClientConfig<'static>, Log) -> R + Send + 'static,
) -> Outcome<R> {
    bounded(move || {
        let (client_end, server_end, plain) = pair(setup.chunk);
        let server = thread::spawn(move || {
            let mut store = Store {
                refuse_rcpts: setup.refuse_rcpts,
                ..Store::default()
            };
            let mut config = Config::new("mx.example");
            config.chunking = setup.chunking;
            config.pipelining = setup.pipelining;
            config.lmtp = setup.lmtp;
            config.service = setup.service;
            config.auth = setup.auth;
            config.auth_without_tls = !setup.tls;
            config.tls_available = setup.tls;
            config.tls_required = setup.tls;
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            let r = if setup.tls {
                let log = Log::default();
                serve_tls(server_end, config, &mut rx, &mut tx, &mut store, |t| {
                    Ok::<_, ()>(Tls {
                        inner: t,
                        written: log,
                    })
                })
            } else {
                serve(server_end, config, &mut rx, &mut tx, &mut store).map(drop)
            };
            (r, store.seen)
        });
        let mut config = ClientConfig::new("client.example").unwrap();
        config.tls = if setup.tls {
            TlsPolicy::Required
        } else {
            TlsPolicy::Never
        };
        config.lmtp = setup.lmtp;
        config.allow_plaintext_auth = !setup.tls;
        let tls = Log::default();
        let r = client(client_end, config, tls.clone());
        let (served, seen) = server.join().unwrap();
        served.unwrap();
        let text = |l: &Log| String::from_utf8(l.lock().unwrap().clone()).unwrap();
        Outcome {
            seen,
            plain: text(&plain),
            tls: text(&tls),
            client: r,
        }
    })
}

/// A message's delivery and its per-recipient reply codes.
type Sent = (Delivery, Vec<(usize, u16)>);

/// Sends `bodies` one after the other to `rcpts` from `from` on one
/// connection; returns each delivery with its per-recipient reply codes.
fn send_all(
    client: &mut SmtpClient<'_, '_, impl Read + Write>,
    from: &str,
    rcpts: &[&str],
    bodies: &[&[u8]],
) -> Vec<Sent> {
    let rcpts: Vec<Recipient<'_>> = rcpts.iter().map(|r| Recipient::new(r).unwrap()).collect();
    let envelope = Envelope::new(from, &rcpts).unwrap();
    bodies
        .iter()
        .map(|body| {
            let mut codes = Vec::new();
            let d = client
                .send(&envelope, *body, |e| {
                    if let ClientEvent::Recipient { index, reply } = e {
                        codes.push((*index, reply.code().get()));
                    }
                })
                .unwrap();
            (d, codes)
        })
        .collect()
}

const BODY_1: &[u8] = b"Subject: 1\r\n\r\n.leading dot\r\nline\r\n";
const BODY_2: &[u8] = b"Subject: 2\r\n\r\n..two dots\r\n.\r\nend\r\n";
const BODY_3: &[u8] = b"Subject: 3\r\n\r\nno dot\r\n";

/// Plain SMTP, no AUTH: three messages to bob and nobody on one
/// connection, then QUIT.
fn three_messages(setup: Setup) -> Outcome<Vec<Sent>> {
    scenario(setup, |end, config, _| {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
        let r = send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example", "nobody@mx.example"],
            &[BODY_1, BODY_2, BODY_3],
        );
        client.quit().unwrap();
        r
    })
}

fn check_three(o: &Outcome<Vec<Sent>>) {
    assert_eq!(o.seen.messages, [BODY_1, BODY_2, BODY_3]);
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 250), (1, 550)]);
        assert_eq!((d.accepted, d.rejected, d.delivered), (1, 1, 1));
        assert_eq!(d.final_code.map(|c| c.get()), Some(250));
        assert!(d.is_delivered());
    }
    assert_eq!(o.seen.hellos, [(Verb::Ehlo, "client.example".to_owned())]);
    assert!(
        o.plain.starts_with("EHLO client.example\r\n"),
        "{}",
        o.plain
    );
    assert!(o.plain.ends_with("QUIT\r\n"), "{}", o.plain);
}

fn data_three(chunk: usize) {
    let o = three_messages(Setup {
        chunking: false,
        ..Setup::new(chunk)
    });
    check_three(&o);
    // RFC 5321 §4.5.2: a line starting with "." gets one more; the body
    // ends with CRLF "." CRLF. The engine pipelines MAIL and the RCPTs and
    // waits for their replies before DATA (RFC 2920 §3.1).
    assert_eq!(o.plain.matches("DATA\r\n").count(), 3, "{}", o.plain);
    assert!(o.plain.contains(
        "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nRCPT TO:<nobody@mx.example>\r\n"
    ), "{}", o.plain);
    assert!(
        o.plain
            .contains("DATA\r\nSubject: 1\r\n\r\n..leading dot\r\nline\r\n.\r\n"),
        "{}",
        o.plain
    );
    assert!(
        o.plain
            .contains("DATA\r\nSubject: 2\r\n\r\n...two dots\r\n..\r\nend\r\n.\r\n"),
        "{}",
        o.plain
    );
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
}

fn bdat_three(chunk: usize) {
    let o = three_messages(Setup::new(chunk));
    check_three(&o);
    // RFC 3030: BDAT carries the octets as they are, no stuffing.
    assert!(
        o.plain
            .contains("BDAT 34\r\nSubject: 1\r\n\r\n.leading dot\r\nline\r\nBDAT 0 LAST\r\n")
            || o.plain
                .contains("BDAT 34 LAST\r\nSubject: 1\r\n\r\n.leading dot\r\nline\r\n"),
        "{}",
        o.plain
    );
    assert!(!o.plain.contains("DATA\r\n"), "{}", o.plain);
}

/// LMTP (RFC 2033): LHLO, one final reply per accepted recipient.
fn lmtp(chunk: usize, chunking: bool) {
    let o = scenario(
        Setup {
            lmtp: true,
            chunking,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "nobody@mx.example", "carol@mx.example"],
                &[BODY_1, BODY_3],
            );
            client.quit().unwrap();
            r
        },
    );
    assert_eq!(o.seen.hellos, [(Verb::Lhlo, "client.example".to_owned())]);
    assert!(
        o.plain.starts_with("LHLO client.example\r\n"),
        "{}",
        o.plain
    );
    assert_eq!(o.seen.messages, [BODY_1, BODY_3]);
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 250), (1, 550), (2, 250)]);
        // bob's delivery succeeded, carol's got a 452 after the data.
        assert_eq!((d.accepted, d.rejected, d.delivered), (2, 1, 1));
        assert_eq!(d.failure, Some((Phase::Content, FailureKind::Transient)));
        assert!(!d.is_delivered());
    }
}

/// A refused sender fails that transaction only; the next one on the same
/// connection is delivered.
fn rejected_mail(chunk: usize) {
    let o = scenario(Setup::new(chunk), |end, config, _| {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
        let mut r = send_all(
            &mut client,
            "spammer@client.example",
            &["bob@mx.example"],
            &[BODY_1],
        );
        r.extend(send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example"],
            &[BODY_2],
        ));
        client.quit().unwrap();
        r
    });
    let (refused, codes) = &o.client[0];
    assert_eq!(refused.failure, Some((Phase::Mail, FailureKind::Permanent)));
    assert_eq!((refused.accepted, refused.delivered), (0, 0));
    assert!(!refused.is_delivered());
    // Whatever the client pipelined after the refused MAIL, no recipient
    // counts as accepted.
    assert!(codes.iter().all(|&(_, c)| c >= 500), "{codes:?}");
    let (ok, _) = &o.client[1];
    assert!(ok.is_delivered());
    assert_eq!(o.seen.messages, [BODY_2]);
    assert_eq!(
        o.seen.mails,
        ["<spammer@client.example>", "<alice@client.example>"]
    );
}

/// Every recipient refused: no data is sent, the transaction fails in the
/// recipients phase, the session goes on.
fn all_recipients_refused(chunk: usize) {
    let o = scenario(
        Setup {
            refuse_rcpts: true,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "carol@mx.example"],
                &[BODY_1, BODY_2],
            );
            client.quit().unwrap();
            r
        },
    );
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 550), (1, 550)]);
        assert_eq!((d.accepted, d.rejected, d.delivered), (0, 2, 0));
        assert_eq!(d.failure, Some((Phase::Recipients, FailureKind::Permanent)));
    }
    assert!(o.seen.messages.is_empty());
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
    assert!(o.plain.ends_with("QUIT\r\n"), "{}", o.plain);
}

/// A server that refuses the whole session (554 greeting, RFC 5321 §3.1):
/// the client never gets ready, sends no EHLO, and says QUIT.
fn no_service(chunk: usize) {
    let o = scenario(
        Setup {
            service: Service::NoService,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            SmtpClient::connect(end, config, &mut rx, &mut tx).map(|_| ())
        },
    );
    // The session is over once the client said QUIT (RFC 5321 §3.1).
    assert_eq!(o.client, Err(Error::Closed));
    assert_eq!(o.plain, "QUIT\r\n");
    assert!(o.seen.hellos.is_empty());
    assert!(o.seen.mails.is_empty());
    assert!(!o.plain.contains("EHLO"), "{}", o.plain);
    assert!(!o.plain.contains("MAIL"), "{}", o.plain);
}

/// AUTH over the plain transport (allowed on both sides for the test).
fn auth(chunk: usize, mechanism: AuthMechanism, password: &'static str) -> Outcome<bool> {
    scenario(
        Setup {
            auth: AuthMechanisms::empty().with(mechanism),
            ..Setup::new(chunk)
        },
        move |end, mut config, _| {
            config.auth = Some(AuthConfig::password("alice", password));
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let authenticated = client.engine().is_authenticated();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example"],
                &[BODY_3],
            );
            assert!(r[0].0.is_delivered());
            client.quit().unwrap();
            authenticated
        },
    )
}

fn auth_plain(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Plain, "s3cret");
    assert!(o.client);
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    // RFC 4616: base64("\0alice\0s3cret"), as the initial response.
    assert!(
        o.plain.contains("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
        "{}",
        o.plain
    );
}

fn auth_login(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Login, "s3cret");
    assert!(o.client);
    assert_eq!(
        o.seen.auths,
        [("LOGIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    // base64("alice"), base64("s3cret"), each on its own line.
    assert!(o.plain.contains("YWxpY2U=\r\n"), "{}", o.plain);
    assert!(o.plain.contains("czNjcmV0\r\n"), "{}", o.plain);
}

fn auth_wrong_password(chunk: usize) {
    let o = auth(chunk, AuthMechanism::Plain, "wrong");
    assert!(!o.client);
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "wrong".to_owned())]
    );
    // The session went on unauthenticated and the message was delivered.
    assert_eq!(o.seen.messages, [BODY_3]);
}

/// STARTTLS over the pass-through layer, then AUTH PLAIN and a message:
/// the session resets (EHLO again) and everything after the 220 goes
/// through the wrapper.
fn starttls(chunk: usize) {
    let o = scenario(
        Setup {
            tls: true,
            auth: AuthMechanisms::empty().with(AuthMechanism::Plain),
            ..Setup::new(chunk)
        },
        |end, mut config, tls_log| {
            config.auth = Some(AuthConfig::password("alice", "s3cret"));
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            assert!(client.wants_tls());
            assert!(!client.engine().is_authenticated());
            let mut client = client
                .start_tls(|t| {
                    Ok::<_, ()>(Tls {
                        inner: t,
                        written: tls_log,
                    })
                })
                .unwrap();
            assert!(!client.wants_tls());
            assert!(client.engine().is_authenticated());
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example", "nobody@mx.example"],
                &[BODY_1, BODY_2],
            );
            client.quit().unwrap();
            r
        },
    );
    // Before: EHLO and STARTTLS only, in the clear.
    assert_eq!(o.plain.find("EHLO client.example\r\nSTARTTLS\r\n"), Some(0));
    let tls_part = &o.plain["EHLO client.example\r\nSTARTTLS\r\n".len()..];
    // After: the same bytes went through the wrapper; EHLO again first
    // (RFC 3207 §4.2), then AUTH, the transactions and QUIT.
    assert_eq!(tls_part, o.tls);
    assert!(
        o.tls.starts_with("EHLO client.example\r\nAUTH PLAIN "),
        "{}",
        o.tls
    );
    assert!(o.tls.ends_with("QUIT\r\n"), "{}", o.tls);
    assert_eq!(
        o.seen.hellos,
        [
            (Verb::Ehlo, "client.example".to_owned()),
            (Verb::Ehlo, "client.example".to_owned())
        ]
    );
    assert_eq!(
        o.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
    assert_eq!(o.seen.messages, [BODY_1, BODY_2]);
    for (d, codes) in &o.client {
        assert_eq!(codes, &[(0, 250), (1, 550)]);
        assert!(d.is_delivered());
    }
}

/// A client that requires TLS stops before anything else when the server
/// does not offer STARTTLS (RFC 3207, rule D6).
fn tls_required_but_missing(chunk: usize) {
    let o = scenario(Setup::new(chunk), |end, mut config, _| {
        config.tls = TlsPolicy::Required;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        SmtpClient::connect(end, config, &mut rx, &mut tx).map(|_| ())
    });
    assert_eq!(
        o.client,
        Err(Error::Client(embedded_smtp::ClientError::TlsUnavailable))
    );
    assert_eq!(o.plain, "EHLO client.example\r\n");
    assert!(o.seen.mails.is_empty());
    assert!(!o.plain.contains("MAIL"), "{}", o.plain);
}

/// The client refuses to use CHUNKING when told so, even when offered.
fn chunking_never(chunk: usize) {
    let o = scenario(Setup::new(chunk), |end, mut config, _| {
        config.chunking = ChunkingPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
        let r = send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example"],
            &[BODY_2],
        );
        client.quit().unwrap();
        r
    });
    assert!(o.client[0].0.is_delivered());
    assert_eq!(o.seen.messages, [BODY_2]);
    assert!(!o.plain.contains("BDAT"), "{}", o.plain);
}

/// A 1 KiB-buffer client sends a body much larger than its buffers, with
/// long (998-octet) lines.
fn big_body(chunk: usize, chunking: bool) {
    let mut body = Vec::new();
    for i in 0..40 {
        let line = format!("{i:04}");
        body.extend_from_slice(line.as_bytes());
        body.extend(std::iter::repeat_n(b'x', 994));
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(b".\r\n");
    }
    let expected = body.clone();
    let o = scenario(
        Setup {
            chunking,
            ..Setup::new(chunk)
        },
        move |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let r = send_all(
                &mut client,
                "alice@client.example",
                &["bob@mx.example"],
                &[&body],
            );
            client.quit().unwrap();
            r
        },
    );
    assert!(o.client[0].0.is_delivered());
    assert_eq!(o.seen.messages, [expected]);
}

/// Each scenario, whole (4 KiB reads and writes) and at 1-byte chunks.
macro_rules! both {
    ($($name:ident => $f:expr;)*) => {
        mod whole {
            use super::*;
            $(#[test] fn $name() { ($f)(4096) })*
        }
        mod one_byte {
            use super::*;
            $(#[test] fn $name() { ($f)(1) })*
        }
    };
}

both! {
    data_several_messages => data_three;
    bdat_several_messages => bdat_three;
    lmtp_per_recipient_replies_data => |c| lmtp(c, false);
    lmtp_per_recipient_replies_bdat => |c| lmtp(c, true);
    rejected_mail_then_next_message => rejected_mail;
    every_recipient_refused => all_recipients_refused;
    server_refuses_the_session => no_service;
    auth_plain_checked_by_the_handler => auth_plain;
    auth_login_checked_by_the_handler => auth_login;
    auth_refused_session_goes_on => auth_wrong_password;
    starttls_resets_the_session => starttls;
    tls_required_but_not_offered => tls_required_but_missing;
    chunking_never_uses_data => chunking_never;
    big_body_over_data_with_1k_buffers => |c| big_body(c, false);
    big_body_over_bdat_with_1k_buffers => |c| big_body(c, true);
}

#[test]
fn one_byte_reads_and_writes_give_the_same_bytes() {
    let whole = three_messages(Setup::new(4096));
    let bytewise = three_messages(Setup::new(1));
    assert_eq!(whole.plain, bytewise.plain);
    assert_eq!(whole.seen.messages, bytewise.seen.messages);
}

#[test]
fn a_server_config_with_starttls_is_refused_by_serve() {
    // `serve` cannot upgrade: the client's STARTTLS ends it with Error::Tls.
    let r = bounded(|| {
        let (client_end, server_end, _) = pair(4096);
        let server = thread::spawn(move || {
            let mut config = Config::new("mx.example");
            config.tls_available = true;
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(server_end, config, &mut rx, &mut tx, &mut Store::default()).map(drop)
        });
        let config = ClientConfig::new("client.example").unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let client = SmtpClient::connect(client_end, config, &mut rx, &mut tx).unwrap();
        assert!(client.wants_tls());
        let served = server.join().unwrap();
        drop(client);
        served
    });
    assert_eq!(r, Err(Error::Tls));
}

#[test]
fn a_silent_client_gets_421_when_the_read_times_out() {
    let (served, heard) = bounded(|| {
        let (mut client_end, mut server_end, _) = pair(4096);
        server_end.read_timeout = Some(Duration::from_millis(200));
        let server = thread::spawn(move || {
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(
                server_end,
                Config::new("mx.example"),
                &mut rx,
                &mut tx,
                &mut Store::default(),
            )
            .map(drop)
        });
        client_end.write_all(b"EHLO client.example\r\n").unwrap();
        let served = server.join().unwrap();
        let mut heard = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            match client_end.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => heard.extend_from_slice(&buf[..n]),
            }
        }
        (served, String::from_utf8(heard).unwrap())
    });
    assert_eq!(served, Err(Error::Timeout));
    assert!(heard.starts_with("220 mx.example"), "{heard}");
    // RFC 5321 §4.5.3.2.7 / rule D7: 421 4.4.2 and the connection closes.
    let last = heard.trim_end().lines().last().unwrap();
    assert!(last.starts_with("421 4.4.2 "), "{heard}");
}

#[test]
fn a_silent_server_is_a_timeout_for_the_client() {
    let r = bounded(|| {
        let (mut client_end, server_end, _) = pair(4096);
        client_end.read_timeout = Some(Duration::from_millis(200));
        let config = ClientConfig::new("client.example").unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let r = SmtpClient::connect(client_end, config, &mut rx, &mut tx).map(drop);
        drop(server_end);
        r
    });
    assert_eq!(r, Err(Error::Timeout));
}

/// A body source that gives `good` and then fails.
struct Failing<'a> {
    good: &'a [u8],
}

impl embedded_smtp::io::Body for Failing<'_> {
    fn fill(&mut self) -> Result<&[u8], Error> {
        if self.good.is_empty() {
            Err(Error::Body)
        } else {
            Ok(self.good)
        }
    }
    fn consume(&mut self, n: usize) {
        self.good = &self.good[n.min(self.good.len())..];
    }
}

/// A body source that fails half-way: `send` reports it, the caller drops
/// the connection, and the server discards the partial message (content
/// cannot be withdrawn in band, so end of input is the only way out).
fn failing_body(chunk: usize, chunking: bool) {
    let o = scenario(
        Setup {
            chunking,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let rcpts = [Recipient::new("bob@mx.example").unwrap()];
            let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
            let r = client.send(
                &envelope,
                Failing {
                    good: b"Subject: half\r\n\r\nfirst line\r\n",
                },
                |_| {},
            );
            drop(client);
            r.map(drop)
        },
    );
    assert_eq!(o.client, Err(Error::Body));
    assert!(o.seen.messages.is_empty());
    if chunking {
        // The only BDAT chunk was still in the transmit buffer when the
        // source failed: the server never saw a message start.
        assert!(!o.plain.contains("BDAT"), "{}", o.plain);
        assert_eq!(o.seen.aborted, 0);
    } else {
        // After the 354 the server was in the data: end of input aborts it.
        assert!(o.plain.contains("DATA\r\n"), "{}", o.plain);
        assert_eq!(o.seen.aborted, 1);
    }
}

#[test]
fn failing_body_over_data_is_discarded() {
    failing_body(4096, false);
    failing_body(1, false);
}

#[test]
fn failing_body_over_bdat_is_discarded() {
    failing_body(4096, true);
    failing_body(1, true);
}

/// Without PIPELINING the client goes in lock-step: one command, one
/// reply, BDAT chunks included. A BDAT chunk's octets follow its command in
/// the same write (RFC 3030 §2): the server engine used to take them for a
/// command sent before the reply (554 synchronization, rule D8).
fn lock_step(chunk: usize, chunking: bool) {
    let o = three_messages(Setup {
        chunking,
        pipelining: false,
        ..Setup::new(chunk)
    });
    // The server refuses any command sent before the previous reply
    // (554 and close, rule D8): all three messages went through.
    check_three(&o);
}

#[test]
fn lock_step_data() {
    lock_step(4096, false);
    lock_step(1, false);
}

#[test]
fn lock_step_bdat() {
    lock_step(4096, true);
    lock_step(1, true);
}

/// The blocking drivers on a host: `std::net::TcpStream` over 127.0.0.1
/// through `embedded_io_adapters::std::FromStd`, with the socket's read
/// timeout standing for the engine's deadlines.
#[test]
fn over_std_tcp_loopback() {
    use embedded_io_adapters::std::FromStd;
    use std::net::{TcpListener, TcpStream};

    let o = bounded(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(300)))
                .unwrap();
            let mut store = Store::default();
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(
                FromStd::new(stream),
                Config::new("mx.example"),
                &mut rx,
                &mut tx,
                &mut store,
            )
            .unwrap();
            store.seen
        });
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(300)))
            .unwrap();
        let mut config = ClientConfig::new("client.example").unwrap();
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client =
            SmtpClient::connect(FromStd::new(stream), config, &mut rx, &mut tx).unwrap();
        let r = send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example", "nobody@mx.example"],
            &[BODY_1, BODY_2, BODY_3],
        );
        client.quit().unwrap();
        (r, server.join().unwrap())
    });
    let (sent, seen) = o;
    for (d, codes) in &sent {
        assert_eq!(codes, &[(0, 250), (1, 550)]);
        assert!(d.is_delivered());
    }
    assert_eq!(seen.messages, [BODY_1, BODY_2, BODY_3]);
}
