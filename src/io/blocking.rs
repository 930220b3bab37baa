//! The blocking driver, over `embedded_io::{Read, Write}` (feature
//! `blocking`). On a host, wrap a `std::net::TcpStream` in
//! `embedded_io_adapters::std::FromStd`; on a device, any blocking socket.
//!
//! Deadlines: a blocking transport cannot be interrupted by the driver, so
//! give the transport its own read timeout (on std:
//! `TcpStream::set_read_timeout` with [`Client::deadline`]'s duration); a
//! read that fails with [`ErrorKind::TimedOut`](super::ErrorKind) is turned
//! into the engine's timeout ([`Error::Timeout`]).
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use embedded_smtp::client::{ClientConfig, Envelope, Recipient, TlsPolicy};
//! use embedded_smtp::io::blocking::{SmtpClient, serve};
//! use embedded_smtp::io::Handler;
//! use embedded_smtp::server::ServerConfig;
//!
//! // An in-memory duplex stands in for a TCP connection here.
//! # use std::sync::mpsc;
//! # struct End { rx: mpsc::Receiver<Vec<u8>>, tx: mpsc::Sender<Vec<u8>>, buf: Vec<u8> }
//! # impl embedded_io::ErrorType for End { type Error = embedded_io::ErrorKind; }
//! # impl embedded_io::Read for End {
//! #     fn read(&mut self, out: &mut [u8]) -> Result<usize, Self::Error> {
//! #         if self.buf.is_empty() { match self.rx.recv() { Ok(v) => self.buf = v, Err(_) => return Ok(0) } }
//! #         let n = out.len().min(self.buf.len()); out[..n].copy_from_slice(&self.buf[..n]); self.buf.drain(..n); Ok(n)
//! #     }
//! # }
//! # impl embedded_io::Write for End {
//! #     fn write(&mut self, b: &[u8]) -> Result<usize, Self::Error> { self.tx.send(b.to_vec()).map_err(|_| embedded_io::ErrorKind::BrokenPipe)?; Ok(b.len()) }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! # let (a_tx, b_rx) = mpsc::channel(); let (b_tx, a_rx) = mpsc::channel();
//! # let client_end = End { rx: a_rx, tx: a_tx, buf: Vec::new() };
//! # let server_end = End { rx: b_rx, tx: b_tx, buf: Vec::new() };
//! struct Accept;
//! impl Handler for Accept {}
//! let server = std::thread::spawn(move || {
//!     let (mut rx, mut tx) = ([0u8; 2048], [0u8; 2048]);
//!     serve(server_end, None, ServerConfig::new("mx.example"), &mut rx, &mut tx, &mut Accept).unwrap();
//! });
//!
//! let mut config = ClientConfig::new("client.example");
//! config.tls = TlsPolicy::Never;
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let mut client = SmtpClient::connect(client_end, config, &mut rx, &mut tx).unwrap();
//! let rcpts = [Recipient::new("bob@mx.example").unwrap()];
//! let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
//! let body: &[u8] = b"Subject: hi\r\n\r\nhello\r\n";
//! let delivery = client.send(&envelope, body, |_event| {}).unwrap();
//! assert!(delivery.is_delivered());
//! client.quit().unwrap();
//! server.join().unwrap();
//! # }
//! ```

use core::net::SocketAddr;

use embedded_io::{Error as _, ErrorKind, Read, Write};

use crate::client::{Client, ClientConfig, Envelope, Event};
use crate::server::{Event as ServerEvent, ServerConfig};

use super::batch::{Batch, Cursor, Message};
use super::client::{BodySource, ClientPump, Delivery, Goal, OnEvent, One, Work};
use super::server::{Fed, Handler, ServerPump, Transport, Turn};
use super::{Error, Need};

/// A client session over a blocking transport `T`.
pub struct SmtpClient<'b, 'c, T> {
    io: T,
    pump: ClientPump<'b, 'c>,
}

impl<'b, 'c, T: Read + Write> SmtpClient<'b, 'c, T> {
    /// Reads the greeting, says EHLO and authenticates (as the
    /// configuration asks) until the session is ready for a message — or
    /// until the server accepted STARTTLS: then [`SmtpClient::wants_tls`] is
    /// true and [`SmtpClient::start_tls`] must follow.
    pub fn connect(
        io: T,
        config: ClientConfig<'c>,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<Self, Error> {
        Self::connect_with_events(io, config, rx, tx, |_| {})
    }

    /// As [`SmtpClient::connect`]; `on_event` sees each reply on the way
    /// (the greeting, EHLO, STARTTLS, AUTH): an
    /// [`Event::AuthFailed`] carries the server's refusal of the
    /// credentials, the session then being ready but not authenticated.
    pub fn connect_with_events(
        io: T,
        config: ClientConfig<'c>,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        mut on_event: impl FnMut(&Event<'_>),
    ) -> Result<Self, Error> {
        let engine = Client::new(config).map_err(|e| Error::Client(e.into()))?;
        let mut s = SmtpClient {
            io,
            pump: ClientPump::new(engine, rx, tx),
        };
        s.run(
            Goal::Ready,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut on_event,
        )?;
        Ok(s)
    }

    /// Whether the server accepted STARTTLS and the transport must be
    /// wrapped in TLS now.
    pub fn wants_tls(&self) -> bool {
        self.pump.wants_tls()
    }

    /// Hands the transport to `wrap` (which performs the TLS handshake) and
    /// carries on over the wrapped transport: EHLO again, AUTH, until ready.
    pub fn start_tls<U, E>(
        self,
        wrap: impl FnOnce(T) -> Result<U, E>,
    ) -> Result<SmtpClient<'b, 'c, U>, Error>
    where
        U: Read + Write,
    {
        self.start_tls_with_events(wrap, |_| {})
    }

    /// As [`SmtpClient::start_tls`]; `on_event` sees each reply on the way
    /// (EHLO, AUTH), as with [`SmtpClient::connect_with_events`].
    pub fn start_tls_with_events<U, E>(
        self,
        wrap: impl FnOnce(T) -> Result<U, E>,
        mut on_event: impl FnMut(&Event<'_>),
    ) -> Result<SmtpClient<'b, 'c, U>, Error>
    where
        U: Read + Write,
    {
        let SmtpClient { io, mut pump } = self;
        if !pump.wants_tls() {
            return Err(Error::Closed);
        }
        let io = wrap(io).map_err(|_| Error::Tls)?;
        pump.tls_established()?;
        let mut s = SmtpClient { io, pump };
        s.run(
            Goal::Ready,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut on_event,
        )?;
        Ok(s)
    }

    /// Sends one message: the envelope (validated whole before any byte is
    /// written), then the body read from `body` in chunks. `on_event` sees
    /// every reply of the transaction (per-recipient results included). The
    /// message counts as delivered only after the final `2yz`.
    pub fn send<B: BodySource>(
        &mut self,
        envelope: &Envelope<'_>,
        mut body: B,
        mut on_event: impl FnMut(&Event<'_>),
    ) -> Result<Delivery, Error> {
        let mut delivery = Delivery::default();
        self.pump.begin(envelope)?;
        self.run(
            Goal::Send,
            Some(envelope),
            &mut body,
            &mut delivery,
            &mut on_event,
        )?;
        Ok(delivery)
    }

    /// Sends the messages of `batch` in order on this connection and fills
    /// in each one's [`Message::delivery`]. With PIPELINING each message's
    /// envelope goes in the same write as the end of the previous one's
    /// content (RFC 2920 §3.1), and its outcome stays its own; without it,
    /// one after the other as with [`send`](Self::send). `on_event` sees
    /// every reply with the index of the message it belongs to. A message
    /// whose envelope the engine refuses gets [`Message::refused`] and the
    /// batch goes on; an I/O error ends it (the messages not settled then
    /// failed, transiently, or were not attempted).
    pub fn send_many(
        &mut self,
        batch: &mut [Message<'_>],
        mut on_event: impl FnMut(usize, &Event<'_>),
    ) -> Result<(), Error> {
        let mut work = Batch {
            messages: batch,
            at: Cursor::default(),
            on_event: &mut on_event,
        };
        self.drive(&mut work)
    }

    /// Says QUIT, waits for the `221`, and gives the transport back.
    pub fn quit(mut self) -> Result<T, Error> {
        self.pump.quit()?;
        self.run(
            Goal::Quit,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut |_| {},
        )?;
        Ok(self.io)
    }

    /// The engine, for its capabilities and state.
    pub fn engine(&self) -> &Client<'c> {
        &self.pump.engine
    }

    /// The transport.
    pub fn into_inner(self) -> T {
        self.io
    }

    fn run(
        &mut self,
        goal: Goal,
        envelope: Option<&Envelope<'_>>,
        body: &mut dyn BodySource,
        delivery: &mut Delivery,
        on_event: &mut OnEvent<'_>,
    ) -> Result<(), Error> {
        let mut work = One {
            goal,
            envelope,
            body,
            delivery,
            on_event,
        };
        self.drive(&mut work)
    }

    /// The I/O loop: writes what the pump has, reads (a read timeout of the
    /// transport is the deadline), until the work is done.
    fn drive(&mut self, work: &mut dyn Work) -> Result<(), Error> {
        loop {
            match work.step(&mut self.pump)? {
                Need::Write => {
                    write_all(&mut self.io, self.pump.tx.pending())?;
                    self.pump.tx.clear();
                }
                Need::Read => match self.io.read(self.pump.rx.space()?) {
                    Ok(0) => return work.eof(&mut self.pump),
                    Ok(n) => self.pump.rx.received(n),
                    Err(e) if e.kind() == ErrorKind::TimedOut => {
                        work.timeout(&mut self.pump);
                        return Err(Error::Timeout);
                    }
                    Err(e) => return Err(Error::Io(e.kind())),
                },
                Need::StartTls | Need::Done => return Ok(()),
            }
        }
    }
}

fn write_all<T: Write>(io: &mut T, bytes: &[u8]) -> Result<(), Error> {
    io.write_all(bytes).map_err(|e| Error::Io(e.kind()))?;
    io.flush().map_err(|e| Error::Io(e.kind()))
}

/// Serves one SMTP session on `io` until the client quits or the engine
/// closes it; gives the transport back. `peer` is the client's address
/// (`TcpStream::peer_addr`, or `None`), for the handler's
/// [`connect`](Handler::connect). The configuration must not offer
/// STARTTLS (use [`serve_tls`]).
pub fn serve<T: Read + Write, H: Handler>(
    io: T,
    peer: Option<SocketAddr>,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
) -> Result<T, Error> {
    let mut pump = ServerPump::new(ServerPump::engine(config)?, rx, tx);
    pump.greet(handler.connect(peer))?;
    let mut io = io;
    match serve_until(&mut io, &mut pump, handler)? {
        Need::StartTls => Err(Error::Tls),
        _ => Ok(io),
    }
}

/// Serves one session that may upgrade to TLS: when the client says
/// STARTTLS, the transport goes to `upgrade` (which performs the server
/// side of the handshake) and the same session carries on over the
/// wrapped transport, reset as RFC 3207 §4.2 requires. When the session is
/// over, the transport comes back as a [`Transport`]: close a
/// [`Transport::Tls`] stream with its close_notify alert (RFC 8446 §6.1),
/// e.g. rustls `send_close_notify()` and a flush, before dropping it.
pub fn serve_tls<T, U, E, H>(
    io: T,
    peer: Option<SocketAddr>,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
    upgrade: impl FnOnce(T) -> Result<U, E>,
) -> Result<Transport<T, U>, Error>
where
    T: Read + Write,
    U: Read + Write,
    H: Handler,
{
    let mut pump = ServerPump::new(ServerPump::engine(config)?, rx, tx);
    pump.greet(handler.connect(peer))?;
    let mut io = io;
    if serve_until(&mut io, &mut pump, handler)? != Need::StartTls {
        return Ok(Transport::Plain(io));
    }
    let mut io = upgrade(io).map_err(|_| Error::Tls)?;
    pump.tls_established()?;
    serve_until(&mut io, &mut pump, handler)?;
    Ok(Transport::Tls(io))
}

/// Hands one event to the handler, answering the decision it asks for.
fn handle<H: Handler>(fed: &mut Fed<'_, '_, '_>, handler: &mut H) -> Result<(), Error> {
    let decision = match fed.event {
        ServerEvent::Hello { verb, domain } => handler.hello(verb, &domain),
        ServerEvent::Mail { from, params } => handler.mail(&from, &params),
        ServerEvent::Rcpt { to, params } => handler.rcpt(&to, &params),
        ServerEvent::Verify { verb, argument } => handler.verify(verb, argument),
        ServerEvent::MessageEnd => handler.message_end(),
        ServerEvent::Auth(credentials) => handler.auth(&credentials),
        ServerEvent::DataStart => {
            handler.data_start();
            return Ok(());
        }
        ServerEvent::Data(bytes) => {
            handler.data(bytes);
            return Ok(());
        }
        ServerEvent::MessageAborted(reason) => {
            handler.message_aborted(reason);
            return Ok(());
        }
        ServerEvent::Proxy(header) => {
            handler.proxied(&header);
            return Ok(());
        }
        ServerEvent::NeedInput
        | ServerEvent::Flush
        | ServerEvent::StartTls
        | ServerEvent::Close => return Ok(()),
    };
    fed.answer(decision)
}

fn serve_until<T: Read + Write, H: Handler>(
    io: &mut T,
    pump: &mut ServerPump<'_, '_>,
    handler: &mut H,
) -> Result<Need, Error> {
    loop {
        let need = match pump.turn()? {
            Turn::Io(need) => need,
            Turn::Event(mut fed) => {
                handle(&mut fed, handler)?;
                let (used, next) = fed.finish()?;
                pump.rx.consume(used);
                match next {
                    Some(need) => need,
                    None => continue,
                }
            }
        };
        match need {
            Need::Write => {
                write_all(io, pump.tx.pending())?;
                pump.tx.clear();
            }
            Need::Read => match io.read(pump.rx.space()?) {
                Ok(0) => {
                    if let Some(reason) = pump.eof() {
                        handler.message_aborted(reason);
                    }
                    return Ok(Need::Done);
                }
                Ok(n) => pump.rx.received(n),
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    pump.timeout()?;
                    write_all(io, pump.tx.pending())?;
                    pump.tx.clear();
                    return Err(Error::Timeout);
                }
                Err(e) => return Err(Error::Io(e.kind())),
            },
            done @ (Need::StartTls | Need::Done) => return Ok(done),
        }
    }
}
