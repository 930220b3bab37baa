//! The in-memory harness of the blocking driver tests (`io::blocking`,
//! `io::blocking_edges`): a duplex of channels with a chunk cap down to one
//! byte, a pass-through "TLS" layer, and a scenario
//! runner bounded in time.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use embedded_io::{ErrorKind, ErrorType, Read, Write};
use embedded_smtp::built;
use embedded_smtp::client::{ClientConfig, Envelope, Event as ClientEvent, Recipient, TlsPolicy};
use embedded_smtp::io::blocking::{SmtpClient, serve, serve_tls};
use embedded_smtp::io::{Delivery, Transport};

pub use super::handler::{Seen, Store};
use embedded_smtp::server::{ServerConfig, Service};
use embedded_smtp::syntax::{AuthMechanisms, Verb};

pub type Log = Arc<Mutex<Vec<u8>>>;

/// One end of an in-memory duplex; `chunk` caps every read and write.
pub struct End {
    pub rx: mpsc::Receiver<u8>,
    pub tx: mpsc::Sender<u8>,
    pub chunk: usize,
    pub written: Log,
    /// A read that waits longer fails with `TimedOut`, as a socket with
    /// `set_read_timeout` does.
    pub read_timeout: Option<Duration>,
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
pub fn pair(chunk: usize) -> (End, End, Log) {
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
pub struct Tls<T> {
    pub inner: T,
    pub written: Log,
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

/// Runs `f` on its own thread; fails the test if it takes more than 20 s
/// (a driver waiting for bytes that never come) or panics.
pub fn bounded<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
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
pub struct Setup {
    pub chunk: usize,
    pub chunking: bool,
    pub lmtp: bool,
    pub service: Service,
    pub auth: AuthMechanisms,
    pub tls: bool,
    pub refuse_rcpts: bool,
    pub pipelining: bool,
}

impl Setup {
    pub fn new(chunk: usize) -> Self {
        Setup {
            chunk,
            // CHUNKING when this build has it (a server without the
            // `chunking` feature refuses it: `NotBuilt`).
            chunking: built::CHUNKING,
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
pub struct Outcome<R> {
    pub seen: Seen,
    pub plain: String,
    pub tls: String,
    pub client: R,
}

/// Starts the server of `setup` on a thread and runs `client` against it
/// with the client's end, a config that fits the setup, and a log for the
/// TLS layer.
pub fn scenario<R: Send + 'static>(
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
            let mut config = ServerConfig::new("mx.example");
            config.chunking = setup.chunking;
            config.pipelining = setup.pipelining;
            config.lmtp = setup.lmtp;
            config.service = setup.service;
            config.auth = setup.auth;
            config.auth_without_tls = !setup.tls;
            config.tls_available = setup.tls;
            config.tls_required = setup.tls;
            // The engine's `input_room`: AUTH lines are up to 12288 octets
            // (RFC 4954 §4), two at once for LOGIN.
            let room = embedded_smtp::server::Server::new(config)
                .unwrap()
                .input_room();
            let (mut rx, mut tx) = (vec![0u8; room], vec![0u8; 1024]);
            let r = if setup.tls {
                let log = Log::default();
                serve_tls(
                    server_end,
                    None,
                    config,
                    &mut rx,
                    &mut tx,
                    &mut store,
                    |t| {
                        Ok::<_, ()>(Tls {
                            inner: t,
                            written: log,
                        })
                    },
                )
                // The session upgraded: the TLS stream comes back, to be
                // closed with its close_notify.
                .map(|t| assert!(matches!(t, Transport::Tls(_))))
            } else {
                serve(server_end, None, config, &mut rx, &mut tx, &mut store).map(drop)
            };
            (r, store.seen)
        });
        let mut config = ClientConfig::new("client.example");
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
pub type Sent = (Delivery, Vec<(usize, u16)>);

/// Sends `bodies` one after the other to `rcpts` from `from` on one
/// connection; returns each delivery with its per-recipient reply codes.
pub fn send_all(
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

pub const BODY_1: &[u8] = b"Subject: 1\r\n\r\n.leading dot\r\nline\r\n";
pub const BODY_2: &[u8] = b"Subject: 2\r\n\r\n..two dots\r\n.\r\nend\r\n";
pub const BODY_3: &[u8] = b"Subject: 3\r\n\r\nno dot\r\n";

/// Plain SMTP, no AUTH: three messages to bob and nobody on one
/// connection, then QUIT.
pub fn three_messages(setup: Setup) -> Outcome<Vec<Sent>> {
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

pub fn check_three(o: &Outcome<Vec<Sent>>) {
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
