//! The async driver, over `embedded_io_async::{Read, Write}` (feature
//! `async`). embassy-net's `TcpSocket` implements these traits; on a host,
//! wrap a tokio `TcpStream` in `embedded_io_adapters::tokio_1::FromTokio`.
//! The protocol work is the same as the blocking driver's (the shared
//! pumps); only the I/O calls differ.
//!
//! Deadlines: every read waits at most the engine's current deadline
//! ([`Client::deadline`], [`Server::deadline`](crate::server::Server::deadline)) through a [`Timer`] you
//! choose — [`NoTimer`] waits forever, `io::embassy::EmbassyTimer` uses
//! embassy-time, and on tokio a three-line `Timer` over
//! `tokio::time::timeout` does (`io::tokio::TokioTimer`, feature `tokio`).
//!
//! Servers: [`serve`] and [`serve_tls`] take an async [`Handler`], whose
//! decisions may wait on I/O.

use core::future::Future;
use core::net::SocketAddr;
use core::time::Duration;

use embedded_io_async::{Error as _, ErrorKind, Read, Write};

use crate::client::{Client, ClientConfig, Envelope, Event};
use crate::sasl::Credentials;
use crate::server::{AbortReason, Event as ServerEvent, ServerConfig};
use crate::syntax::{ForwardPath, Host, MailParameters, RcptParameters, ReversePath, Verb};
use crate::wire::proxy::ProxyHeader;

use super::batch::{Batch, Cursor, Message};
use super::client::{BodySource, ClientPump, Delivery, Goal, One, Work, no_events};
use super::server::{Decision, Fed, ServerPump, Transport, Turn};
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
    // Not `async`: the future is `connect_with_events`'s, not one more
    // state machine around it (flash on a microcontroller).
    pub fn connect(
        io: T,
        timer: M,
        config: ClientConfig<'c>,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> impl Future<Output = Result<Self, Error>> {
        Self::connect_with_events(io, timer, config, rx, tx, no_events)
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
        s.drive(&mut One {
            goal: Goal::Ready,
            envelope: None,
            body: &mut &[][..],
            delivery: &mut Delivery::default(),
            on_event: &mut on_event,
        })
        .await?;
        Ok(s)
    }

    /// Whether the transport must be wrapped in TLS now.
    pub fn wants_tls(&self) -> bool {
        self.pump.wants_tls()
    }

    /// Hands the transport to `wrap` (the TLS handshake) and carries on over
    /// the wrapped transport until the session is ready again.
    // Not `async`, as `connect`.
    pub fn start_tls<U, E, Fut>(
        self,
        wrap: impl FnOnce(T) -> Fut,
    ) -> impl Future<Output = Result<SmtpClient<'b, 'c, U, M>, Error>>
    where
        U: Read + Write,
        Fut: Future<Output = Result<U, E>>,
    {
        self.start_tls_with_events(wrap, no_events)
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
        s.drive(&mut One {
            goal: Goal::Ready,
            envelope: None,
            body: &mut &[][..],
            delivery: &mut Delivery::default(),
            on_event: &mut on_event,
        })
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
        self.drive(&mut One {
            goal: Goal::Send,
            envelope: Some(envelope),
            body: &mut body,
            delivery: &mut delivery,
            on_event: &mut on_event,
        })
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
        // The callback type of `connect` and `start_tls`: one loop for all three.
        self.drive(&mut One {
            goal: Goal::Quit,
            envelope: None,
            body: &mut &[][..],
            delivery: &mut Delivery::default(),
            on_event: &mut no_events,
        })
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

    /// The I/O loop: asks `work` which I/O is next and has [`io`](Self::io)
    /// do it, until the work is done.
    ///
    /// Generic over the work (the body and the callback of `send`, not
    /// `dyn`), so that the future is `Send` when they are: a host can spawn
    /// a client's sends. Only this short loop is compiled once per work
    /// type; the I/O itself, the bulk of the code (the transport's and the
    /// timer's futures inlined), is compiled once per transport and timer.
    async fn drive<W: Work + ?Sized>(&mut self, work: &mut W) -> Result<(), Error> {
        loop {
            let need = work.step(&mut self.pump)?;
            if matches!(need, Need::StartTls | Need::Done) {
                return Ok(());
            }
            match self.io(need).await? {
                Io::Done => {}
                Io::Eof => return work.eof(&mut self.pump),
                Io::Timeout => {
                    work.timeout(&mut self.pump);
                    return Err(Error::Timeout);
                }
            }
        }
    }

    /// One write or read the pump asked for: writes what it has, or reads
    /// under the engine's deadline.
    async fn io(&mut self, need: Need) -> Result<Io, Error> {
        if need == Need::Write {
            write_all(&mut self.io, self.pump.tx.pending()).await?;
            self.pump.tx.clear();
            return Ok(Io::Done);
        }
        let wait = self.pump.engine.deadline().unwrap_or(Duration::MAX);
        let space = self.pump.rx.space()?;
        match self.timer.timeout(wait, self.io.read(space)).await {
            Some(Ok(0)) => Ok(Io::Eof),
            Some(Ok(n)) => {
                self.pump.rx.received(n);
                Ok(Io::Done)
            }
            None => Ok(Io::Timeout),
            Some(Err(e)) if e.kind() == ErrorKind::TimedOut => Ok(Io::Timeout),
            Some(Err(e)) => Err(Error::Io(e.kind())),
        }
    }
}

/// How one I/O of [`SmtpClient::io`] ended.
enum Io {
    /// The bytes were written, or some were read.
    Done,
    /// The transport reported end of input.
    Eof,
    /// The engine's deadline, or the transport's own read timeout, passed.
    Timeout,
}

pub(crate) async fn write_all<T: Write>(io: &mut T, bytes: &[u8]) -> Result<(), Error> {
    io.write_all(bytes).await.map_err(|e| Error::Io(e.kind()))?;
    io.flush().await.map_err(|e| Error::Io(e.kind()))
}

/// What an application decides and receives while the async server driver
/// runs a session: the methods of the blocking [`Handler`](super::Handler),
/// `async` (async functions in a trait: nothing is boxed or allocated). A
/// decision may wait on I/O — a disk or database commit, a policy service,
/// an upstream — without blocking the executor; while it waits the driver
/// reads nothing more (backpressure: the client's further bytes stay in the
/// transport), and the session's deadline does not run (it bounds the
/// client, not you).
///
/// Every method has a default: serve every client, accept the envelope
/// and the message, refuse credentials and VRFY, ignore the data.
///
/// The futures are `Send` when your implementation's are (a concrete
/// handler on a multi-threaded runtime is checked where you spawn it).
#[allow(async_fn_in_trait)]
pub trait Handler {
    /// A client connected from `peer`: serve it, or refuse it at the door
    /// (see the blocking [`Handler::connect`](super::Handler::connect)).
    async fn connect(&mut self, _peer: Option<SocketAddr>) -> Decision<'_> {
        Decision::Accept
    }
    /// Behind a load balancer (`ServerConfig::proxy_protocol`): the PROXY
    /// protocol header came before the greeting (see the blocking
    /// [`Handler::proxied`](super::Handler::proxied)).
    async fn proxied(&mut self, _header: &ProxyHeader) {}
    /// HELO, EHLO or LHLO: accept, or refuse it (the session stays as it was).
    async fn hello(&mut self, _verb: Verb, _domain: &Host<'_>) -> Decision<'_> {
        Decision::Accept
    }
    /// `MAIL FROM`: accept or refuse the sender.
    async fn mail(
        &mut self,
        _from: &ReversePath<'_>,
        _params: &MailParameters<'_>,
    ) -> Decision<'_> {
        Decision::Accept
    }
    /// `RCPT TO`: accept or refuse a recipient.
    async fn rcpt(&mut self, _to: &ForwardPath<'_>, _params: &RcptParameters<'_>) -> Decision<'_> {
        Decision::Accept
    }
    /// `VRFY` / `EXPN` (only with `VrfyPolicy::Ask`).
    async fn verify(&mut self, _verb: Verb, _argument: &str) -> Decision<'_> {
        Decision::Reject
    }
    /// A message body starts.
    async fn data_start(&mut self) {}
    /// Message bytes, in order, unstuffed. The driver reads no more until
    /// this returns, so a slow store slows the client down, never fills
    /// memory.
    async fn data(&mut self, _bytes: &[u8]) {}
    /// The body is complete: accept (once it is committed) or refuse it. In
    /// LMTP mode this is asked once per accepted recipient, in RCPT order.
    async fn message_end(&mut self) -> Decision<'_> {
        Decision::Accept
    }
    /// Drop what `data` gave since `data_start`: the message will not be
    /// accepted (too big, bare line ending, reset, end of input).
    async fn message_aborted(&mut self, _reason: AbortReason) {}
    /// AUTH: check the credentials (decode them with
    /// [`Credentials::decode`](crate::sasl::Credentials::decode)).
    async fn auth(&mut self, _credentials: &Credentials<'_>) -> Decision<'_> {
        Decision::Reject
    }
}

/// Serves one SMTP session on `io` until the client quits or the engine
/// closes it; gives the transport back. `peer` is the client's address
/// (or `None`), for the handler's [`connect`](Handler::connect). The
/// configuration must not offer STARTTLS (use [`serve_tls`]).
pub async fn serve<T: Read + Write, H: Handler, M: Timer>(
    io: T,
    peer: Option<SocketAddr>,
    timer: &mut M,
    config: ServerConfig<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    handler: &mut H,
) -> Result<T, Error> {
    let mut pump = ServerPump::new(ServerPump::engine(config)?, rx, tx);
    pump.greet(handler.connect(peer).await)?;
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
// The transport, its address, the deadlines, the configuration, two
// buffers, the handler and the TLS upgrade: each is the caller's (the
// `tokio` feature's `io::tokio::serve_tcp` takes fewer).
#[allow(clippy::too_many_arguments)]
pub async fn serve_tls<T, U, E, H, M, Fut>(
    io: T,
    peer: Option<SocketAddr>,
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
    let mut pump = ServerPump::new(ServerPump::engine(config)?, rx, tx);
    pump.greet(handler.connect(peer).await)?;
    let mut io = io;
    if serve_until(&mut io, timer, &mut pump, handler).await? != Need::StartTls {
        return Ok(Transport::Plain(io));
    }
    let mut io = upgrade(io).await.map_err(|_| Error::Tls)?;
    pump.tls_established()?;
    serve_until(&mut io, timer, &mut pump, handler).await?;
    Ok(Transport::Tls(io))
}

/// Hands one event to the handler, answering the decision it asks for.
/// The event is matched by reference: its fields are not copied into this
/// future's state (an idle session's future is as large as its largest
/// await).
async fn handle<H: Handler>(fed: &mut Fed<'_, '_, '_>, handler: &mut H) -> Result<(), Error> {
    let decision = match &fed.event {
        ServerEvent::Hello { verb, domain } => handler.hello(*verb, domain).await,
        ServerEvent::Mail { from, params } => handler.mail(from, params).await,
        ServerEvent::Rcpt { to, params } => handler.rcpt(to, params).await,
        ServerEvent::Verify { verb, argument } => handler.verify(*verb, argument).await,
        ServerEvent::MessageEnd => handler.message_end().await,
        ServerEvent::Auth(credentials) => handler.auth(credentials).await,
        ServerEvent::DataStart => {
            handler.data_start().await;
            return Ok(());
        }
        ServerEvent::Data(bytes) => {
            handler.data(bytes).await;
            return Ok(());
        }
        ServerEvent::MessageAborted(reason) => {
            handler.message_aborted(*reason).await;
            return Ok(());
        }
        ServerEvent::Proxy(header) => {
            handler.proxied(header).await;
            return Ok(());
        }
        ServerEvent::NeedInput
        | ServerEvent::Flush
        | ServerEvent::StartTls
        | ServerEvent::Close => return Ok(()),
    };
    fed.answer(decision)
}

/// Serves until the session ends or asks for TLS (after the greeting).
/// Everything by reference: the `io::tokio` helpers keep the pump in their
/// own frame, so that a session's future carries each piece once.
pub(crate) async fn serve_until<T: Read + Write, H: Handler, M: Timer>(
    io: &mut T,
    timer: &mut M,
    pump: &mut ServerPump<'_, '_>,
    handler: &mut H,
) -> Result<Need, Error> {
    serve_until_idle(io, timer, pump, handler, false, false).await
}

/// [`serve_until`]; with `idle`, also returns `Need::Read` when the session
/// waits for the client with nothing held ([`ServerPump::holds_nothing`]),
/// so that the caller can give the buffers back while it waits — but not
/// before a first read when `woke` (the caller saw the transport readable).
pub(crate) async fn serve_until_idle<T: Read + Write, H: Handler, M: Timer>(
    io: &mut T,
    timer: &mut M,
    pump: &mut ServerPump<'_, '_>,
    handler: &mut H,
    idle: bool,
    woke: bool,
) -> Result<Need, Error> {
    let mut may_idle = idle && !woke;
    loop {
        let need = match pump.turn()? {
            Turn::Io(need) => need,
            Turn::Event(mut fed) => {
                handle(&mut fed, handler).await?;
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
                write_all(io, pump.tx.pending()).await?;
                pump.tx.clear();
            }
            Need::Read if may_idle && pump.holds_nothing() => return Ok(Need::Read),
            Need::Read => {
                let wait = pump.engine.deadline().unwrap_or(Duration::MAX);
                let space = pump.rx.space()?;
                match timer.timeout(wait, io.read(space)).await {
                    Some(Ok(0)) => {
                        if let Some(reason) = pump.eof() {
                            handler.message_aborted(reason).await;
                        }
                        return Ok(Need::Done);
                    }
                    Some(Ok(n)) => {
                        pump.rx.received(n);
                        may_idle = idle;
                    }
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
