//! A whole SMTP conversation inside one process: a server driver on
//! 127.0.0.1 (an ephemeral port, in a thread) and a client driver that sends
//! one message to two recipients, one of which the server refuses. The
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
use embedded_smtp::io::{Decision, Handler};
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
    let body: &[u8] = b"From: alice@example.org\r\n\
        To: bob@example.net\r\n\
        Subject: hello from embedded-smtp\r\n\
        \r\n\
        Hi Bob,\r\n\
        .this line starts with a dot\r\n";
    let mut outcome = Vec::new();
    let delivery = client.send(&envelope, body, |event| match event {
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
    })?;
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
            message == body
        );
    }
    if !delivery.is_delivered() || stored.len() != 1 {
        return Err("the message was not delivered".into());
    }
    Ok(())
}
