//! The async driver, over `embedded_io_async::{Read, Write}` (feature
//! `async`). embassy-net's `TcpSocket` implements these traits; on a host,
//! wrap a tokio `TcpStream` in `embedded_io_adapters::tokio_1::FromTokio`.
//! The protocol work is the same as the blocking driver's (the shared
//! pumps); only the I/O calls differ.
//!
//! Deadlines: every read waits at most the engine's current deadline
//! ([`Client::deadline`], [`Server::deadline`]) through a [`Timer`] you
//! choose — [`NoTimer`] waits forever, `io::embassy::EmbassyTimer` uses
//! embassy-time, and on tokio a three-line `Timer` over
//! `tokio::time::timeout` does (see `examples/sink.rs`).

use core::future::Future;
use core::time::Duration;

use embedded_io_async::{Error as _, ErrorKind, Read, Write};

use crate::client::{Client, ClientConfig, Envelope, Event};
use crate::server::{Server, ServerConfig};
use crate::wire::proxy::ProxyHeader;

use super::batch::{Batch, Cursor, Message};
use super::client::{BodySource, ClientPump, Delivery, Goal, OnEvent, One, Work};
use super::server::{Handler, ServerPump, Transport};
use super::{Error, Need};

/// Bounds a future by a deadline: `None` when the time ran out first.
#[allow(async_fn_in_trait)]
pub trait Timer {
    /// Runs `future`, giving up after `after`.
    async fn timeout<F: Future>(&mut self, after: Duration, future: F) -> Option<F::Output>;
}

/// A [`Timer`] that never fires (the transport's own timeouts, if any, apply).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTimer;

impl Timer for NoTimer {
    async fn timeout<F: Future>(&mut self, _after: Duration, future: F) -> Option<F::Output> {
        Some(future.await)
    }
}

/// A client session over an async transport `T`, with deadlines from `M`.
pub struct SmtpClient<'b, 'c, T, M = NoTimer> {
    io: T,
    timer: M,
    pump: ClientPump<'b, 'c>,
}

impl<'b, 'c, T: Read + Write, M: Timer> SmtpClient<'b, 'c, T, M> {
    /// Reads the greeting, says EHLO and authenticates until the session is
    /// ready for a message, or until the server accepted STARTTLS (then
    /// [`SmtpClient::wants_tls`] is true and [`SmtpClient::start_tls`] follows).
    pub async fn connect(
        io: T,
        timer: M,
        config: ClientConfig<'c>,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<Self, Error> {
        Self::connect_with_events(io, timer, config, rx, tx, |_| {}).await
    }

    /// As [`SmtpClient::connect`]; `on_event` sees each reply on the way
    /// (the greeting, EHLO, STARTTLS, AUTH): an [`Event::AuthFailed`]
    /// carries the server's refusal of the credentials, the session then
    /// being ready but not authenticated.
    pub async fn connect_with_events(
        io: T,
        timer: M,
        config: ClientConfig<'c>,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        mut on_event: impl FnMut(&Event<'_>),
    ) -> Result<Self, Error> {
        let engine = Client::new(config).map_err(|e| Error::Client(e.into()))?;
        let mut s = SmtpClient {
            io,
            timer,
            pump: ClientPump::new(engine, rx, tx),
        };
        s.run(
            Goal::Ready,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut on_event,
        )
        .await?;
        Ok(s)
    }

    /// Whether the transport must be wrapped in TLS now.
    pub fn wants_tls(&self) -> bool {
        self.pump.wants_tls()
    }

    /// Hands the transport to `wrap` (the TLS handshake) and carries on over
    /// the wrapped transport until the session is ready again.
    pub async fn start_tls<U, E, Fut>(
        self,
        wrap: impl FnOnce(T) -> Fut,
    ) -> Result<SmtpClient<'b, 'c, U, M>, Error>
    where
        U: Read + Write,
        Fut: Future<Output = Result<U, E>>,
    {
        self.start_tls_with_events(wrap, |_| {}).await
    }

    /// As [`SmtpClient::start_tls`]; `on_event` sees each reply on the way
    /// (EHLO, AUTH), as with [`SmtpClient::connect_with_events`].
    pub async fn start_tls_with_events<U, E, Fut>(
        self,
        wrap: impl FnOnce(T) -> Fut,
        mut on_event: impl FnMut(&Event<'_>),
    ) -> Result<SmtpClient<'b, 'c, U, M>, Error>
    where
        U: Read + Write,
        Fut: Future<Output = Result<U, E>>,
    {
        let SmtpClient {
            io,
            timer,
            mut pump,
        } = self;
        if !pump.wants_tls() {
            return Err(Error::Closed);
        }
        let io = wrap(io).await.map_err(|_| Error::Tls)?;
        pump.tls_established()?;
        let mut s = SmtpClient { io, timer, pump };
        s.run(
            Goal::Ready,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut on_event,
        )
        .await?;
        Ok(s)
    }

    /// Sends one message (see the blocking [`send`](super::blocking::SmtpClient::send)).
    pub async fn send<B: BodySource>(
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
        )
        .await?;
        Ok(delivery)
    }

    /// Sends a batch of messages, pipelined across transactions (see the
    /// blocking [`send_many`](super::blocking::SmtpClient::send_many)).
    pub async fn send_many(
        &mut self,
        batch: &mut [Message<'_>],
        mut on_event: impl FnMut(usize, &Event<'_>),
    ) -> Result<(), Error> {
        let mut work = Batch {
            messages: batch,
            at: Cursor::default(),
            on_event: &mut on_event,
        };
        self.drive(&mut work).await
    }

    /// Says QUIT, waits for the `221`, and gives the transport back.
    pub async fn quit(mut self) -> Result<T, Error> {
        self.pump.quit()?;
        self.run(
            Goal::Quit,
            None,
            &mut &[][..],
            &mut Delivery::default(),
            &mut |_| {},
        )
        .await?;
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

    async fn run(
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
        self.drive(&mut work).await
    }

    /// The I/O loop: writes what the pump has, reads under the engine's
    /// deadline, until the work is done.
    async fn drive(&mut self, work: &mut dyn Work) -> Result<(), Error> {
        loop {
            match work.step(&mut self.pump)? {
                Need::Write => {
                    write_all(&mut self.io, self.pump.tx.pending()).await?;
                    self.pump.tx.clear();
                }
                Need::Read => {
                    let wait = self.pump.engine.deadline().unwrap_or(Duration::MAX);
                    let space = self.pump.rx.space()?;
                    match self.timer.timeout(wait, self.io.read(space)).await {
                        Some(Ok(0)) => return work.eof(&mut self.pump),
                        Some(Ok(n)) => self.pump.rx.received(n),
                        None => {
                            work.timeout(&mut self.pump);
                            return Err(Error::Timeout);
                        }
                        Some(Err(e)) if e.kind() == ErrorKind::TimedOut => {
                            work.timeout(&mut self.pump);
                            return Err(Error::Timeout);
                        }
                        Some(Err(e)) => return Err(Error::Io(e.kind())),
                    }
                }
                Need::StartTls | Need::Done => return Ok(()),
            }
        }
    }
}

async fn write_all<T: Write>(io: &mut T, bytes: &[u8]) -> Result<(), Error> {
    io.write_all(bytes).await.map_err(|e| Error::Io(e.kind()))?;
    io.flush().await.map_err(|e| Error::Io(e.kind()))
}

/// Serves one SMTP session on `io` until the client quits or the engine
/// closes it; gives the transport back. The configuration must not offer
/// STARTTLS (use [`serve_tls`]).
pub async fn serve<T: Read + Write, H: Handler, M: Timer>(
    io: T,
    timer: &mut M,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
) -> Result<T, Error> {
    let engine = Server::new(config).map_err(Error::ServerConfig)?;
    let mut pump = ServerPump::new(engine, rx, tx);
    pump.greet()?;
    let mut io = io;
    match serve_until(&mut io, timer, &mut pump, handler).await? {
        Need::StartTls => Err(Error::Tls),
        _ => Ok(io),
    }
}

/// Serves one session that may upgrade to TLS (see the blocking
/// [`serve_tls`](super::blocking::serve_tls)); gives back the transport,
/// the TLS stream after an upgrade: close that one with its close_notify
/// alert (RFC 8446 §6.1; tokio-rustls `shutdown().await`, embedded-tls
/// `close().await`).
pub async fn serve_tls<T, U, E, H, M, Fut>(
    io: T,
    timer: &mut M,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
    upgrade: impl FnOnce(T) -> Fut,
) -> Result<Transport<T, U>, Error>
where
    T: Read + Write,
    U: Read + Write,
    H: Handler,
    M: Timer,
    Fut: Future<Output = Result<U, E>>,
{
    let mut header = None;
    serve_proxied(io, timer, config, rx, tx, handler, upgrade, &mut header).await
}

/// [`serve_tls`] for a server behind a proxy that sends the PROXY protocol
/// header ([`ServerConfig::proxy_protocol`]): `header` is set as soon as
/// the header has arrived (it stays `None` if the session ended before a
/// valid one), so that the caller knows the client's address however the
/// session ends. Without STARTTLS in `config`, `upgrade` is never called.
#[allow(clippy::too_many_arguments)]
pub async fn serve_proxied<T, U, E, H, M, Fut>(
    io: T,
    timer: &mut M,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
    upgrade: impl FnOnce(T) -> Fut,
    header: &mut Option<ProxyHeader>,
) -> Result<Transport<T, U>, Error>
where
    T: Read + Write,
    U: Read + Write,
    H: Handler,
    M: Timer,
    Fut: Future<Output = Result<U, E>>,
{
    let engine = Server::new(config).map_err(Error::ServerConfig)?;
    let mut pump = ServerPump::new(engine, rx, tx);
    pump.greet()?;
    let mut io = io;
    let first = serve_until(&mut io, timer, &mut pump, handler).await;
    *header = pump.proxy;
    if first? != Need::StartTls {
        return Ok(Transport::Plain(io));
    }
    let mut io = upgrade(io).await.map_err(|_| Error::Tls)?;
    pump.tls_established()?;
    serve_until(&mut io, timer, &mut pump, handler).await?;
    Ok(Transport::Tls(io))
}

async fn serve_until<T: Read + Write, H: Handler, M: Timer>(
    io: &mut T,
    timer: &mut M,
    pump: &mut ServerPump<'_, '_>,
    handler: &mut H,
) -> Result<Need, Error> {
    loop {
        match pump.step(handler)? {
            Need::Write => {
                write_all(io, pump.tx.pending()).await?;
                pump.tx.clear();
            }
            Need::Read => {
                let wait = pump.engine.deadline().unwrap_or(Duration::MAX);
                let space = pump.rx.space()?;
                match timer.timeout(wait, io.read(space)).await {
                    Some(Ok(0)) => {
                        pump.eof(handler);
                        return Ok(Need::Done);
                    }
                    Some(Ok(n)) => pump.rx.received(n),
                    Some(Err(e)) if e.kind() != ErrorKind::TimedOut => {
                        return Err(Error::Io(e.kind()));
                    }
                    // The timer's deadline, or the transport's own read
                    // timeout (as the blocking driver treats it): 421.
                    None | Some(Err(_)) => {
                        pump.timeout()?;
                        write_all(io, pump.tx.pending()).await?;
                        pump.tx.clear();
                        return Err(Error::Timeout);
                    }
                }
            }
            done @ (Need::StartTls | Need::Done) => return Ok(done),
        }
    }
}
