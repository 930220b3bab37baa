//! A whole SMTP conversation inside one process: a server driver on
//! 127.0.0.1 (an ephemeral port, in a thread) and a client driver that sends
//! one message to two recipients, one of which the server refuses. The
//! message is composed by the crate's `message` writer — headers, a text,
//! and a small CSV attached — and streamed to the driver as its body. The
//! transcript (`C:` what the client sent, `S:` what the server answered) is
//! captured by wrapping the client's socket, and the outcome follows.
//!
//! Both sides use the blocking driver over `std::net::TcpStream`, made an
//! `embedded_io` transport by `embedded_io_adapters::std::FromStd`.
//!
//! Run: `cargo run --example demo`

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use embedded_io_adapters::std::FromStd;
use embedded_smtp::client::{ClientConfig, Envelope, Event, Recipient, TlsPolicy};
use embedded_smtp::io::blocking::{SmtpClient, serve};
use embedded_smtp::io::{Decision, Handler, MessageBody};
use embedded_smtp::message::{
    Address, Attachment, ComposeError, Date, Message, MessageId, MessageWriter,
};
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{EnhancedCode, ForwardPath, RcptParameters, Reply, ReplyCode};

/// The server's mailbox store: knows one user, keeps messages in memory.
#[derive(Default)]
struct Store {
    current: Vec<u8>,
    messages: Vec<Vec<u8>>,
}

impl Handler for Store {
    fn rcpt(&mut self, to: &ForwardPath<'_>, _params: &RcptParameters<'_>) -> Decision<'_> {
        match to.mailbox() {
            Some(m) if m.local_part().as_str() == "bob" => Decision::Accept,
            _ => Decision::Respond {
                code: ReplyCode::new(550).expect("a valid code"),
                enhanced: EnhancedCode::new(5, 1, 1),
                text: "Error: no such user here",
            },
        }
    }

    fn data_start(&mut self) {
        self.current.clear();
    }

    fn data(&mut self, bytes: &[u8]) {
        self.current.extend_from_slice(bytes);
    }

    fn message_end(&mut self) -> Decision<'_> {
        self.messages.push(std::mem::take(&mut self.current));
        Decision::Accept
    }
}

/// A socket that prints every complete line going through it, prefixed
/// with `C:` (written by the client) or `S:` (read from the server).
struct Tap {
    inner: TcpStream,
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl Tap {
    fn print_lines(buf: &mut Vec<u8>, prefix: &str) {
        while let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            println!("{prefix} {}", String::from_utf8_lossy(&buf[..end]));
            buf.drain(..end + 2);
        }
    }
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.received.extend_from_slice(&buf[..n]);
        Self::print_lines(&mut self.received, "S:");
        Ok(n)
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sent.extend_from_slice(&buf[..n]);
        Self::print_lines(&mut self.sent, "C:");
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A small CSV log, as a sensor would keep it.
const CSV: &[u8] = b"time,temperature\r\n08:00,21.5\r\n08:05,22.0\r\n08:10,41.2\r\n";

/// The message, composed: `f` gets a writer (a fresh one each call, since
/// the attachment's source is read as it goes).
fn compose<R>(f: impl FnOnce(MessageWriter<'_, '_>) -> R) -> Result<R, ComposeError> {
    let to = [Address::new("bob@example.net").name("Bob")];
    let mut csv = CSV;
    let mut files = [Attachment::new("temperature.csv", "text/csv", &mut csv)];
    let message = Message::new(
        Address::new("alice@example.org").name("Alice"),
        // A device reads its RTC and its TRNG; the demo uses fixed values
        // so that the transcript is the same on every run.
        Date::new(1_796_368_884, 60).expect("a valid date"),
        MessageId::new(*b"embedded-smtp!!!", "example.org"),
    )
    .to(&to)
    .subject("hello from embedded-smtp")
    .text("Hi Bob,\n.this line starts with a dot\nThe log is attached.\n")
    .attachments(&mut files);
    Ok(f(MessageWriter::new(message)?))
}

/// The whole message as the writer makes it (what the server must store).
fn written() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    compose(|mut w| {
        let (mut all, mut buf) = (Vec::new(), [0u8; 256]);
        while !w.is_done() {
            let n = w.write(&mut buf).map_err(|e| e.to_string())?;
            all.extend_from_slice(&buf[..n]);
        }
        Ok(all)
    })?
}

/// A reply as one line of text: its lines joined by " / ".
fn text(reply: &Reply<'_>) -> String {
    String::from_utf8_lossy(reply.raw())
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("server listening on {addr}");

    // The server: one session, then it reports what it stored.
    let server = thread::spawn(move || -> Result<Vec<Vec<u8>>, String> {
        let (socket, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 2048]);
        serve(
            FromStd::new(socket),
            None,
            ServerConfig::new("mx.example.net"),
            &mut rx,
            &mut tx,
            &mut store,
        )
        .map_err(|e| e.to_string())?;
        Ok(store.messages)
    });

    // The client: a LAN relay without TLS, 1 KiB buffers as on a device.
    let socket = TcpStream::connect(addr)?;
    let tap = Tap {
        inner: socket,
        sent: Vec::new(),
        received: Vec::new(),
    };
    let mut config = ClientConfig::new("client.example.org");
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut client = SmtpClient::connect(FromStd::new(tap), config, &mut rx, &mut tx)?;

    let addresses = ["bob@example.net", "nobody@example.net"];
    let recipients = [Recipient::new(addresses[0])?, Recipient::new(addresses[1])?];
    let envelope = Envelope::new("alice@example.org", &recipients)?;
    let body = written()?;
    let mut outcome = Vec::new();
    let mut on_event = |event: &Event<'_>| match event {
        Event::Recipient { index, reply } => {
            let verdict = if reply.code().is_positive() {
                "accepted"
            } else {
                "rejected"
            };
            let addr = addresses.get(*index).copied().unwrap_or("?");
            outcome.push(format!("{verdict} {addr}: {}", text(reply)));
        }
        Event::Delivered { reply, .. } => outcome.push(format!("delivered: {}", text(reply))),
        Event::Failed(f) => outcome.push(format!(
            "failed: {}",
            f.reply
                .map_or_else(|| format!("{:?}", f.stage), |r| text(&r))
        )),
        _ => {}
    };
    // The message goes out as the writer makes it, 256 bytes at a time.
    let mut buf = [0u8; 256];
    let delivery =
        compose(|w| client.send(&envelope, MessageBody::new(w, &mut buf), &mut on_event))??;
    client.quit()?;
    let stored = server.join().map_err(|_| "server thread panicked")??;

    println!();
    for line in &outcome {
        println!("{line}");
    }
    println!(
        "outcome: {} recipient(s) accepted, {} rejected, message {}",
        delivery.accepted,
        delivery.rejected,
        if delivery.is_delivered() {
            "delivered"
        } else {
            "not delivered"
        }
    );
    for message in &stored {
        println!(
            "server stored {} bytes (body identical: {})",
            message.len(),
            *message == body
        );
    }
    if !delivery.is_delivered() || stored.len() != 1 {
        return Err("the message was not delivered".into());
    }
    Ok(())
}
