//! Tokio on a host (feature `tokio`; the TLS helpers with feature
//! `rustls`): what `io::embassy` gives a firmware, as thin layers over the
//! same [`asynch`](super::asynch) drivers — a [`Timer`], a [`Stream`] that
//! is TCP or TCP inside rustls, an [`accept_loop`] with a task per session,
//! a bound on sessions and a graceful shutdown, one-call servers
//! ([`serve_tcp`], [`serve_starttls`]) and one-call clients ([`connect`],
//! [`connect_tls`]: STARTTLS or implicit TLS over rustls).
//!
//! The helpers allocate (the session buffers, one `Vec` per session; the
//! task per session); the drivers underneath do not.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use embedded_smtp::io::asynch::Handler;
//! use embedded_smtp::io::tokio::{accept_loop, serve_tcp};
//! use embedded_smtp::server::ServerConfig;
//!
//! struct Accept;
//! impl Handler for Accept {}
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2525").await?;
//! let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
//! let stopped = accept_loop(listener, 1024, shutdown, Duration::from_secs(10), |tcp, peer| async move {
//!     let config = ServerConfig::new("mx.example.net");
//!     let result = serve_tcp(tcp, peer, &config, &mut Accept).await;
//!     eprintln!("session {peer}: {result:?}");
//! })
//! .await;
//! eprintln!("{} sessions, {} cut off", stopped.sessions, stopped.cut_off);
//! # Ok(())
//! # }
//! ```

use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::time::Duration;

use std::vec;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinSet;

use super::asynch::{Handler, SmtpClient, Timer};
use super::server::ServerPump;
use super::{Error, Need};
use crate::client::{ClientConfig, Event};
use crate::server::ServerConfig;

/// The transmit buffer of [`serve_tcp`] and [`serve_starttls`]: twice the
/// engine's `output_room` (512), so that the replies of a pipelined group
/// go out in one write (RFC 2920 §3.2), while an idle session stays small.
pub const SERVER_TX_BUFFER: usize = 1024;
/// The receive and transmit buffers of [`connect`] and [`connect_tls`]
/// ([`CLIENT_MIN_BUFFER`](super::CLIENT_MIN_BUFFER) suffices; more means
/// fewer writes for a large body).
pub const CLIENT_BUFFER: usize = 4096;

/// A [`Timer`] over `tokio::time::timeout_at` (a deadline too far to
/// express is no deadline).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    async fn timeout<F: Future>(&mut self, after: Duration, future: F) -> Option<F::Output> {
        match tokio::time::Instant::now().checked_add(after) {
            Some(deadline) => tokio::time::timeout_at(deadline, future).await.ok(),
            None => Some(future.await),
        }
    }
}

/// A TCP connection, plain or inside rustls (after STARTTLS, or from the
/// first byte): the transport the helpers give the drivers. It implements
/// `embedded_io_async::{Read, Write}` with `std::io::Error`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TCP inside rustls (client or server side).
    #[cfg(feature = "rustls")]
    Tls(std::boxed::Box<tokio_rustls::TlsStream<TcpStream>>),
}

impl Stream {
    /// Closes the connection: the TLS `close_notify` first, if any, then
    /// the TCP FIN (errors are ignored: the peer may be gone).
    pub async fn shutdown(&mut self) {
        let _ = match self {
            Stream::Plain(s) => s.shutdown().await,
            #[cfg(feature = "rustls")]
            Stream::Tls(s) => s.shutdown().await,
        };
    }

    /// Waits until the TCP connection has something to read (data, or its
    /// end).
    async fn readable(&self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.readable().await,
            #[cfg(feature = "rustls")]
            Stream::Tls(s) => s.get_ref().0.readable().await,
        }
    }

    /// Whether the connection is inside TLS.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Stream::Plain(_))
    }
}

impl embedded_io_async::ErrorType for Stream {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for Stream {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        match self {
            Stream::Plain(s) => s.read(buf).await,
            #[cfg(feature = "rustls")]
            Stream::Tls(s) => s.read(buf).await,
        }
    }
}

impl embedded_io_async::Write for Stream {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        match self {
            Stream::Plain(s) => s.write(buf).await,
            #[cfg(feature = "rustls")]
            Stream::Tls(s) => s.write(buf).await,
        }
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        match self {
            Stream::Plain(s) => s.flush().await,
            #[cfg(feature = "rustls")]
            Stream::Tls(s) => s.flush().await,
        }
    }
}

/// How an [`accept_loop`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// Sessions accepted in all.
    pub sessions: u64,
    /// Sessions still running when the grace period ended (their tasks
    /// were dropped: a handler's `Drop` cleans up what they left).
    pub cut_off: usize,
}

/// Accepts connections on `listener` until `shutdown` completes, running
/// `session(tcp, peer)` in a task of its own for each, at most
/// `max_sessions` at once (further clients wait in the listen queue). On
/// shutdown it closes the listener (new clients are refused), lets the
/// running sessions finish for up to `grace`, then drops those left. A
/// failed `accept` (out of descriptors) is logged and retried after 100 ms.
///
/// `session` builds the task's future: create the handler there and call
/// [`serve_tcp`] or [`serve_starttls`] (the handler is concrete there, so
/// the future is `Send` when the handler's futures are).
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    max_sessions: usize,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    mut session: F,
) -> Stopped
where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let max_sessions = max_sessions.max(1);
    let mut tasks = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    let mut sessions = 0u64;
    loop {
        // Finished sessions leave the set as we go.
        while tasks.try_join_next().is_some() {}
        let next = tokio::select! {
            next = async {
                // Room first, so that at most `max_sessions` run.
                while tasks.len() >= max_sessions {
                    tasks.join_next().await;
                }
                listener.accept().await
            } => next,
            () = &mut shutdown => break,
        };
        match next {
            Ok((tcp, peer)) => {
                sessions += 1;
                // The session's future as the task, not wrapped in another
                // future: an idle session costs its own size once.
                tasks.spawn(session(tcp, peer));
            }
            Err(_e) => {
                // The kind, which defmt can print too.
                warn!(
                    "accept_loop: accept failed: {:?}",
                    embedded_io::ErrorKind::from(_e.kind())
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    // Closed now: new clients are refused while the running sessions end.
    drop(listener);
    let drained = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(grace, drained).await;
    while tasks.try_join_next().is_some() {}
    let cut_off = tasks.len();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    Stopped { sessions, cut_off }
}

/// The buffers of one server session: the engine's `input_room` for
/// `config` (the longest command line it allows) and [`SERVER_TX_BUFFER`].
#[cfg(feature = "rustls")]
fn server_buffers(config: ServerConfig<'_>) -> Result<(vec::Vec<u8>, usize), Error> {
    let room = crate::server::Server::new(config)
        .map_err(Error::ServerConfig)?
        .input_room();
    Ok((vec![0u8; room + SERVER_TX_BUFFER], room))
}

/// Serves one plain-TCP session from `peer` (the handler's
/// [`connect`](Handler::connect) gets it) with [`TokioTimer`] deadlines
/// and buffers sized for `config` (by reference: a session's future
/// carries one copy, the engine's), then closes the connection. The
/// configuration must not offer STARTTLS (see [`serve_starttls`]).
pub async fn serve_tcp<H: Handler>(
    tcp: TcpStream,
    peer: SocketAddr,
    config: &ServerConfig<'_>,
    handler: &mut H,
) -> Result<(), Error> {
    let _ = tcp.set_nodelay(true);
    let mut engine = ServerPump::engine(*config)?;
    let room = engine.input_room();
    let mut io = Stream::Plain(tcp);
    let mut greeted = false;
    // The buffers live while the session has something to do: whenever it
    // waits for the client with nothing received and nothing to send, they
    // are given back and the session waits for the socket to be readable
    // with only the engine's state (an idle session costs no buffer;
    // scripts/load.sh measures it). The driver's steps run with the pump
    // in this frame (`asynch::serve` would carry a second copy of the
    // configuration and the transport).
    let (mut timed_out, mut woke) = (false, false);
    loop {
        let mut buffers = vec![0u8; room + SERVER_TX_BUFFER];
        let (rx, tx) = buffers.split_at_mut(room);
        let mut pump = ServerPump::new(engine, rx, tx);
        if !greeted {
            pump.greet(handler.connect(Some(peer)).await)?;
            greeted = true;
        }
        if timed_out {
            // The client said nothing until the deadline: `421 4.4.2`.
            pump.timeout()?;
            super::asynch::write_all(&mut io, pump.tx.pending()).await?;
            return Err(Error::Timeout);
        }
        let need = super::asynch::serve_until_idle(
            &mut io,
            &mut TokioTimer,
            &mut pump,
            handler,
            true,
            woke,
        )
        .await?;
        match need {
            Need::Read => {
                engine = pump.into_engine();
                drop(buffers);
                let wait = engine.deadline().unwrap_or(Duration::MAX);
                match tokio::time::timeout(wait, io.readable()).await {
                    Ok(Ok(())) => woke = true,
                    Ok(Err(e)) => return Err(Error::Io(e.kind().into())),
                    Err(_) => timed_out = true,
                }
            }
            // The configuration offered STARTTLS (use `serve_starttls`).
            Need::StartTls => return Err(Error::Tls),
            Need::Write | Need::Done => break,
        }
    }
    io.shutdown().await;
    Ok(())
}

/// Serves one session that offers STARTTLS (set `config.tls_available`):
/// on `STARTTLS` the handshake goes through `acceptor` and the session
/// carries on inside TLS, which is closed with `close_notify` at the end.
/// Returns whether TLS was started, with how the session ended.
#[cfg(feature = "rustls")]
pub async fn serve_starttls<H: Handler>(
    tcp: TcpStream,
    peer: SocketAddr,
    config: &ServerConfig<'_>,
    acceptor: &tokio_rustls::TlsAcceptor,
    handler: &mut H,
) -> (bool, Result<(), Error>) {
    let _ = tcp.set_nodelay(true);
    let (mut buffers, room) = match server_buffers(*config) {
        Ok(b) => b,
        Err(e) => return (false, Err(e)),
    };
    let (rx, tx) = buffers.split_at_mut(room);
    let mut pump = match ServerPump::engine(*config) {
        Ok(engine) => ServerPump::new(engine, rx, tx),
        Err(e) => return (false, Err(e)),
    };
    let mut io = Stream::Plain(tcp);
    if let Err(e) = pump.greet(handler.connect(Some(peer)).await) {
        return (false, Err(e));
    }
    let mut timer = TokioTimer;
    match super::asynch::serve_until(&mut io, &mut timer, &mut pump, handler).await {
        Ok(Need::StartTls) => {}
        Ok(_) => {
            io.shutdown().await;
            return (false, Ok(()));
        }
        Err(e) => return (false, Err(e)),
    }
    // The `220` to STARTTLS is out: the handshake, then the same session.
    let Stream::Plain(tcp) = io else {
        return (false, Err(Error::Tls));
    };
    let mut io = match acceptor.accept(tcp).await {
        Ok(tls) => Stream::Tls(std::boxed::Box::new(tls.into())),
        Err(_) => return (false, Err(Error::Tls)),
    };
    if let Err(e) = pump.tls_established() {
        return (true, Err(e));
    }
    let result = super::asynch::serve_until(&mut io, &mut timer, &mut pump, handler).await;
    // The session ended on our side (QUIT, a closing reply, or the `421` of
    // a deadline): TLS ends with close_notify (RFC 8446 §6.1), so that the
    // client reads the end of the stream, not a truncation. Bounded: a
    // client that stopped reading could hold the write. After a transport
    // error there is nothing left to close.
    if matches!(result, Ok(_) | Err(Error::Timeout)) {
        let _ = tokio::time::timeout(CLOSE_NOTIFY_WAIT, io.shutdown()).await;
    }
    (true, result.map(drop))
}

/// How long [`serve_starttls`] waits for its `close_notify` to go out.
#[cfg(feature = "rustls")]
const CLOSE_NOTIFY_WAIT: Duration = Duration::from_secs(10);

/// Opens a TCP connection to `addr`.
async fn tcp(addr: impl ToSocketAddrs) -> Result<TcpStream, Error> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| Error::Io(e.kind().into()))?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// Connects to `addr` over plain TCP, reads the greeting and says EHLO:
/// the client is ready for `send`. For a server on the Internet use
/// [`connect_tls`]; over plain TCP set `config.tls` to
/// [`TlsPolicy::Never`](crate::client::TlsPolicy::Never) or
/// `Opportunistic` (with `Required`, the default, a server that offers
/// STARTTLS gets a client that [`wants_tls`](SmtpClient::wants_tls), and
/// one that does not fails).
pub async fn connect<'b, 'c>(
    addr: impl ToSocketAddrs,
    config: ClientConfig<'c>,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
) -> Result<SmtpClient<'b, 'c, Stream, TokioTimer>, Error> {
    connect_with_events(addr, config, rx, tx, |_| {}).await
}

/// As [`connect`]; `on_event` sees each reply on the way (the greeting,
/// EHLO, AUTH): an [`Event::AuthFailed`] carries the server's refusal of
/// the credentials.
pub async fn connect_with_events<'b, 'c>(
    addr: impl ToSocketAddrs,
    config: ClientConfig<'c>,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
    on_event: impl FnMut(&Event<'_>),
) -> Result<SmtpClient<'b, 'c, Stream, TokioTimer>, Error> {
    let tcp = tcp(addr).await?;
    SmtpClient::connect_with_events(Stream::Plain(tcp), TokioTimer, config, rx, tx, on_event).await
}

/// Connects to `addr` with TLS through `connector` (rustls; the
/// certificate must be valid for `name`): from the first byte when
/// `config.implicit_tls` is set (port 465, RFC 8314), else by STARTTLS
/// (RFC 3207) when the server offers it — required under the default
/// [`TlsPolicy::Required`](crate::client::TlsPolicy::Required). Returns
/// the client ready for `send`, authenticated if `config` says so.
#[cfg(feature = "rustls")]
pub async fn connect_tls<'b, 'c>(
    addr: impl ToSocketAddrs,
    connector: &tokio_rustls::TlsConnector,
    name: tokio_rustls::rustls::pki_types::ServerName<'static>,
    config: ClientConfig<'c>,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
) -> Result<SmtpClient<'b, 'c, Stream, TokioTimer>, Error> {
    connect_tls_with_events(addr, connector, name, config, rx, tx, |_| {}).await
}

/// As [`connect_tls`]; `on_event` sees each reply on the way (the
/// greeting, EHLO before and after STARTTLS, AUTH), as with
/// [`connect_with_events`].
#[cfg(feature = "rustls")]
pub async fn connect_tls_with_events<'b, 'c>(
    addr: impl ToSocketAddrs,
    connector: &tokio_rustls::TlsConnector,
    name: tokio_rustls::rustls::pki_types::ServerName<'static>,
    config: ClientConfig<'c>,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
    mut on_event: impl FnMut(&Event<'_>),
) -> Result<SmtpClient<'b, 'c, Stream, TokioTimer>, Error> {
    let tcp = tcp(addr).await?;
    let io = if config.implicit_tls {
        let tls = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|_| Error::Tls)?;
        Stream::Tls(std::boxed::Box::new(tls.into()))
    } else {
        Stream::Plain(tcp)
    };
    let client =
        SmtpClient::connect_with_events(io, TokioTimer, config, rx, tx, &mut on_event).await?;
    if !client.wants_tls() {
        return Ok(client);
    }
    client
        .start_tls_with_events(
            |io| async move {
                let Stream::Plain(tcp) = io else {
                    return Err(std::io::ErrorKind::InvalidInput.into());
                };
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(Stream::Tls(std::boxed::Box::new(tls.into())))
            },
            &mut on_event,
        )
        .await
}
