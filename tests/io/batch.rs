//! `send_many` on the blocking driver against the server driver, over the
//! in-memory transport (whole and at 1-byte chunks): messages pipelined
//! across transactions (RFC 2920 §3.1), each with its own outcome — a
//! refused MAIL behind a delivered message (PIP-09), an envelope the engine
//! refuses before sending it, DATA and BDAT, and without PIPELINING.
#![cfg(feature = "blocking")]

use std::sync::{Arc, Mutex};

use crate::support::io_blocking::*;
use embedded_io::{ErrorKind, ErrorType, Read, Write};
use embedded_smtp::built;
use embedded_smtp::client::{ClientError, Envelope, EnvelopeError, FailureKind, Recipient, Stage};
use embedded_smtp::io::blocking::SmtpClient;
use embedded_smtp::io::{BodySource, Message};
use embedded_smtp::syntax::params::Notify;

/// A transport that keeps each write apart, to show what went together.
struct Writes<T> {
    inner: T,
    log: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<T: ErrorType<Error = ErrorKind>> ErrorType for Writes<T> {
    type Error = ErrorKind;
}

impl<T: Read + ErrorType<Error = ErrorKind>> Read for Writes<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.inner.read(buf)
    }
}

impl<T: Write + ErrorType<Error = ErrorKind>> Write for Writes<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = self.inner.write(buf)?;
        self.log.lock().unwrap().push(buf[..n].to_vec());
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), ErrorKind> {
        self.inner.flush()
    }
}

/// What a batch run gave: each message's outcome, the events by message,
/// and the client's writes.
struct Run {
    messages: Vec<(embedded_smtp::io::Delivery, Option<ClientError>)>,
    events: Vec<(usize, String)>,
    writes: Vec<Vec<u8>>,
}

/// Four messages: alice to bob and nobody (nobody refused), spammer
/// (MAIL refused), alice with DSN (the server offers no DSN, or the build
/// has none: refused by the engine, never sent), alice to bob again.
fn four(setup: Setup) -> Outcome<Run> {
    scenario(setup, |end, config, _| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let io = Writes {
            inner: end,
            log: log.clone(),
        };
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(io, config, &mut rx, &mut tx).unwrap();
        let two = [
            Recipient::new("bob@mx.example").unwrap(),
            Recipient::new("nobody@mx.example").unwrap(),
        ];
        let bob = [Recipient::new("bob@mx.example").unwrap()];
        let dsn = [Recipient::new("bob@mx.example")
            .unwrap()
            .notify(Notify::SUCCESS)];
        let mut bodies: [&[u8]; 4] = [BODY_1, BODY_2, BODY_3, BODY_1];
        let [b0, b1, b2, b3] = &mut bodies;
        let mut batch = [
            Message::new(Envelope::new("alice@client.example", &two).unwrap(), b0),
            Message::new(Envelope::new("spammer@client.example", &bob).unwrap(), b1),
            Message::new(Envelope::new("alice@client.example", &dsn).unwrap(), b2),
            Message::new(Envelope::new("alice@client.example", &bob).unwrap(), b3),
        ];
        let mut events = Vec::new();
        client
            .send_many(&mut batch, |i, e| events.push((i, format!("{e:?}"))))
            .unwrap();
        client.quit().unwrap();
        let writes = log.lock().unwrap().clone();
        Run {
            messages: batch.iter().map(|m| (m.delivery, m.refused)).collect(),
            events,
            writes,
        }
    })
}

fn check_four(o: &Outcome<Run>) {
    let m = &o.client.messages;
    assert!(m[0].0.is_delivered(), "{:?}", o.client.events);
    assert_eq!((m[0].0.accepted, m[0].0.rejected), (1, 1));
    assert_eq!(m[1].0.failure, Some((Stage::Mail, FailureKind::Permanent)));
    assert_eq!(
        (m[1].0.accepted, m[1].0.rejected, m[1].0.delivered),
        (0, 0, 0)
    );
    // Without the `dsn` feature the engine refuses NOTIFY whatever the
    // server offers.
    let dsn = if built::DSN {
        EnvelopeError::Dsn
    } else {
        EnvelopeError::NotBuilt("dsn")
    };
    assert_eq!(m[2].1, Some(ClientError::Envelope(dsn)));
    assert_eq!(m[2].0, Default::default(), "nothing of it was sent");
    assert!(m[3].0.is_delivered());
    assert_eq!(o.seen.messages, [BODY_1, BODY_1]);
    assert_eq!(
        o.seen.mails,
        [
            "<alice@client.example>",
            "<spammer@client.example>",
            "<alice@client.example>"
        ]
    );
    // Every event went to the message it belongs to, in order.
    let owners: Vec<usize> = o.client.events.iter().map(|(i, _)| *i).collect();
    assert!(owners.windows(2).all(|w| w[0] <= w[1]), "{owners:?}");
    assert!(!owners.contains(&2));
    let ends_1 = o
        .client
        .events
        .iter()
        .filter(|(i, e)| *i == 0 && e.starts_with("Delivered"));
    assert_eq!(ends_1.count(), 1);
}

/// Whether one write holds the end of message 1 and the MAIL of message 2.
fn pipelined_across(writes: &[Vec<u8>], end: &[u8]) -> bool {
    let next = b"MAIL FROM:<spammer@client.example>";
    writes.iter().any(|w| {
        w.windows(end.len())
            .position(|x| x == end)
            .is_some_and(|at| w[at..].windows(next.len()).any(|x| x == next))
    })
}

fn data(chunk: usize) {
    let o = four(Setup {
        chunking: false,
        ..Setup::new(chunk)
    });
    check_four(&o);
    if chunk > 1 {
        assert!(
            pipelined_across(&o.client.writes, b"line\r\n.\r\n"),
            "{:?}",
            o.plain
        );
    }
}

#[cfg(feature = "chunking")]
fn bdat(chunk: usize) {
    let o = four(Setup::new(chunk));
    check_four(&o);
    if chunk > 1 {
        assert!(
            pipelined_across(&o.client.writes, b"BDAT 34 LAST\r\n"),
            "{:?}",
            o.plain
        );
    }
}

fn lock_step(chunk: usize) {
    let o = four(Setup {
        pipelining: false,
        ..Setup::new(chunk)
    });
    check_four(&o);
    // One command per write: nothing pipelined, across messages neither.
    assert!(!pipelined_across(&o.client.writes, b"\r\n"));
}

/// A scenario preceded by `#[cfg(...)]` needs that extension.
macro_rules! both {
    ($($(#[$m:meta])* $name:ident => $f:expr;)*) => {
        mod whole {
            use super::*;
            $($(#[$m])* #[test] fn $name() { ($f)(4096) })*
        }
        mod one_byte {
            use super::*;
            $($(#[$m])* #[test] fn $name() { ($f)(1) })*
        }
    };
}

both! {
    data_pipelined_across_messages => data;
    #[cfg(feature = "chunking")]
    bdat_pipelined_across_messages => bdat;
    without_pipelining_one_after_the_other => lock_step;
}

/// A `BodySource` is what a batch message reads; `&mut &[u8]` is one.
#[test]
fn a_message_borrows_any_body_source() {
    let mut body: &[u8] = b"x\r\n";
    let rcpts = [Recipient::new("b@example.net").unwrap()];
    let m = Message::new(Envelope::new("a@example.org", &rcpts).unwrap(), &mut body);
    let source: &dyn BodySource = &*m.body;
    assert!(source.fill_ends_body());
}

/// The async driver's `send_many`, over a tokio duplex pipe: two messages,
/// the second's envelope behind the first's content.
#[cfg(feature = "async")]
#[tokio::test]
async fn async_send_many_over_tokio() {
    use crate::support::handler::Store;
    use crate::support::io_tokio::{TokioTimer, bounded};
    use embedded_io_adapters::tokio_1::FromTokio;
    use embedded_smtp::client::{ClientConfig, TlsPolicy};
    use embedded_smtp::io::asynch::{SmtpClient, serve};
    use embedded_smtp::server::ServerConfig;

    let (client_io, server_io) = tokio::io::duplex(4096);
    let server = async {
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(server_io),
            None,
            &mut TokioTimer,
            ServerConfig::new("mx.example"),
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        store
    };
    let client = async {
        let mut config = ClientConfig::new("client.example");
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(
            FromTokio::new(client_io),
            TokioTimer,
            config,
            &mut rx,
            &mut tx,
        )
        .await
        .unwrap();
        let bob = [Recipient::new("bob@mx.example").unwrap()];
        let envelope = Envelope::new("alice@client.example", &bob).unwrap();
        let (mut b1, mut b2): (&[u8], &[u8]) = (BODY_1, BODY_2);
        let mut batch = [
            Message::new(envelope, &mut b1),
            Message::new(envelope, &mut b2),
        ];
        let mut owners = Vec::new();
        client
            .send_many(&mut batch, |i, _| owners.push(i))
            .await
            .unwrap();
        client.quit().await.unwrap();
        (batch.map(|m| m.delivery.is_delivered()), owners)
    };
    let (store, (delivered, owners)) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!(delivered, [true, true]);
    assert_eq!(store.seen.messages, [BODY_1, BODY_2]);
    assert!(owners.windows(2).all(|w| w[0] <= w[1]) && owners.contains(&1));
}
