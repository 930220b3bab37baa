//! Drivers: they move bytes between a transport and an engine, and never
//! parse. The same engines run under both drivers, on a microcontroller and
//! on a host:
//!
//! - [`blocking`] over `embedded_io::{Read, Write}` (feature `blocking`); on a
//!   host, `std::net::TcpStream` through `embedded_io_adapters::std::FromStd`;
//! - [`asynch`] over `embedded_io_async::{Read, Write}` (feature `async`);
//!   embassy-net's `TcpSocket` implements these, and tokio's `TcpStream`
//!   does through `embedded_io_adapters::tokio_1::FromTokio`;
//! - `embassy` (feature `embassy`): connect by host name, an accept loop and
//!   deadlines with `embassy-time`;
//! - `tokio` (feature `tokio`, TLS with feature `rustls`): the same for a
//!   host — a timer, an accept loop with a task per session and a graceful
//!   shutdown, one-call servers, and clients that connect with STARTTLS.
//!
//! The protocol work of a driver lives in two small state machines shared by
//! the blocking and the async flavours (`ClientPump`, `ServerPump`): they
//! say what I/O is needed next ("write these bytes", "read into this
//! space", "upgrade to TLS", "done"), and each flavour only performs it.
//!
//! # Buffers
//!
//! The caller provides a receive and a transmit buffer; the drivers never
//! allocate. Verified minimums (tests `io::blocking*`, `io::tokio*`,
//! `io_embassy`):
//!
//! - **Client: 1 KiB each** ([`CLIENT_MIN_BUFFER`]). A reply line is at most
//!   1000 octets by default (`ReplyLimits`), and the engine writes whole
//!   commands only; the body streams through the transmit buffer in pieces
//!   (DATA stuffing and `BDAT n` chunks resume across flushes). The tests
//!   send 40 KiB to 200 KiB bodies (998-octet lines included) through
//!   1 KiB buffers over DATA and BDAT, in memory at 1-byte reads and writes,
//!   over tokio, and over embassy-net with 1 KiB TCP socket buffers too.
//! - **Server: 512 bytes transmit** at the least (the engine's
//!   `output_room`: one 512-octet reply line, or the EHLO reply if longer);
//!   1 KiB lets the replies of a pipelined group go out in one write
//!   (RFC 2920 §3.2). The receive buffer holds the longest command line
//!   (`Server::input_room`: `max_line`, 2048 by default, plus the extension
//!   allowances; 12288 octets with AUTH, RFC 4954 §4; twice that with AUTH
//!   LOGIN, whose two response lines must fit at once) — the drivers check
//!   it before the greeting ([`Error::RxBufferFull`]). [`SERVER_MIN_BUFFER`]
//!   is 2 KiB, the default configuration's `input_room`.
//! - **TLS** adds its own buffers underneath: rustls allocates on a host;
//!   embedded-tls needs a record read buffer of 16640 octets (a full TLS
//!   record, unless the server negotiates a smaller maximum fragment) and
//!   a record write buffer of at least the 128-octet record overhead plus
//!   what one write carries (4 KiB is ample; the handshake is encoded in the
//!   larger of the two).
//!
//! # Pipelining without deadlock
//!
//! The drivers do one I/O at a time: they do not read while a write is
//! blocked. With PIPELINING (RFC 2920 §3.1) that could leave both peers
//! writing for ever once the client's commands and the server's replies
//! each fill the transport. The client pump therefore keeps at most one
//! transmit buffer of commands awaiting replies (it reads a reply before
//! writing more), and the client engine at most
//! [`ClientConfig::max_chunks_in_flight`](crate::client::ClientConfig::max_chunks_in_flight)
//! (8) `BDAT` chunks awaiting theirs, whoever drives it; servers send
//! pending replies whenever their input runs dry (§3.2), so the wait always
//! ends. What remains asked of the transport is to absorb one transmit
//! buffer each way, which any TCP socket does (embassy-net sockets of
//! 1 KiB on both sides included: `tests/io/embassy.rs` sends a
//! 100-recipient envelope and a 230 KB BDAT body that way). Over a pipe smaller than that, turn
//! PIPELINING off (the client then goes in lock-step).
//!
//! # STARTTLS (RFC 3207)
//!
//! The driver stops when the engine asks for TLS; the caller wraps the
//! transport (embedded-tls on a device, rustls on a host) and gives the
//! wrapped one back to the same session, which resets and carries on
//! (`start_tls` on the clients, `serve_tls` for servers):
//!
//! 1. Client: `SmtpClient::connect` reads the greeting and says EHLO; when
//!    the server offers STARTTLS (and [`TlsPolicy`](crate::client::TlsPolicy)
//!    is `Required`, the default, or `Opportunistic`) it sends `STARTTLS`,
//!    reads the `220` and returns with `wants_tls()` true. Nothing else was
//!    sent: no AUTH, no MAIL.
//! 2. Call `start_tls(wrap)`: `wrap` receives the plain transport, performs
//!    the TLS handshake and returns the TLS stream (its error becomes
//!    [`Error::Tls`]). The session resets (RFC 3207 §4.2), says EHLO again,
//!    authenticates if configured, and returns ready for `send`.
//! 3. Server: `serve_tls(io, …, upgrade)` with `ServerConfig::tls_available`
//!    (and `tls_required` to refuse mail before TLS); on `STARTTLS` it
//!    writes the `220`, hands the transport to `upgrade` and goes on over
//!    the TLS stream with a reset session. `serve` cannot upgrade: a client
//!    saying STARTTLS to it ends it with [`Error::Tls`], so do not offer it
//!    there.
//! 4. Ending: when the session is over (`221` to QUIT, or the engine
//!    closed it), `serve_tls` gives the transport back as a [`Transport`]:
//!    the plain one, or the TLS stream after an upgrade. Close a TLS stream
//!    with its close_notify alert (RFC 8446 §6.1, a MUST): tokio-rustls
//!    `shutdown().await`, rustls `send_close_notify()` and a flush,
//!    embedded-tls `close().await`. Dropped instead, the peer sees the
//!    connection end without it (an "unexpected EOF" or a "TLS connection
//!    non-properly terminated").
//!
//! On a host with tokio and rustls (`tokio-rustls`, ring provider), as in
//! `tests/io/tokio.rs` — or in one call each with the `rustls` feature's
//! `io::tokio::connect_tls` and `io::tokio::serve_starttls`:
//!
//! ```text
//! use embedded_io_adapters::tokio_1::FromTokio;
//! use embedded_smtp::io::Transport;
//! use embedded_smtp::io::asynch::{SmtpClient, serve_tls};
//! use tokio::io::AsyncWriteExt;
//! use tokio::net::TcpStream;
//!
//! // Client (`connector`: a tokio_rustls::TlsConnector with your roots).
//! let tcp = TcpStream::connect(("relay.example.net", 587)).await?;
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let client = SmtpClient::connect(FromTokio::new(tcp), timer, config, &mut rx, &mut tx).await?;
//! let mut client = if client.wants_tls() {
//!     let name = ServerName::try_from("relay.example.net")?;
//!     client
//!         .start_tls(|io: FromTokio<TcpStream>| async {
//!             connector.connect(name, io.into_inner()).await.map(FromTokio::new)
//!         })
//!         .await?
//! } else {
//!     client // only reachable with TlsPolicy::Opportunistic or Never
//! };
//! let delivery = client.send(&envelope, body, |_| {}).await?;
//! client.quit().await?;
//!
//! // Server (`acceptor`: a tokio_rustls::TlsAcceptor with your certificate).
//! let mut config = embedded_smtp::server::ServerConfig::new("mx.example.net");
//! config.tls_available = true;
//! let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
//! let (tcp, peer) = listener.accept().await?;
//! let served = serve_tls(FromTokio::new(tcp), Some(peer), &mut timer, config, &mut rx, &mut tx, &mut handler,
//!     |io: FromTokio<TcpStream>| async {
//!         acceptor.accept(io.into_inner()).await.map(FromTokio::new)
//!     }).await?;
//! // The TLS stream says close_notify before the TCP FIN.
//! match served {
//!     Transport::Plain(tcp) => tcp.into_inner().shutdown().await?,
//!     Transport::Tls(tls) => tls.into_inner().shutdown().await?,
//! }
//! ```
//!
//! On a device with embassy-net and embedded-tls 0.19 (TLS 1.3 client,
//! `default-features = false`); the socket moves into the TLS connection,
//! which implements `embedded_io_async::{Read, Write}`:
//!
//! ```text
//! use embedded_tls::{Aes128GcmSha256, TlsConfig, TlsConnection, TlsContext, UnsecureProvider};
//!
//! let (mut srx, mut stx) = ([0u8; 1024], [0u8; 1024]);
//! let socket = embedded_smtp::io::embassy::connect(stack, "relay.example.net", 587, &mut srx, &mut stx).await?;
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let client = SmtpClient::connect(socket, EmbassyTimer, config, &mut rx, &mut tx).await?;
//! let (mut tls_rx, mut tls_tx) = ([0u8; 16640], [0u8; 4096]);
//! let tls_config = TlsConfig::new().with_server_name("relay.example.net");
//! let mut client = client
//!     .start_tls(|socket| async {
//!         let mut tls = TlsConnection::new(socket, &mut tls_rx, &mut tls_tx);
//!         // UnsecureProvider checks no certificate: use a CryptoProvider
//!         // with a verifier (embedded-tls `webpki` or `rustpki`) in production.
//!         let provider = UnsecureProvider::new::<Aes128GcmSha256>(rng);
//!         tls.open(TlsContext::new(&tls_config, provider)).await.map(|()| tls)
//!     })
//!     .await?;
//! ```
//!
//! # Implicit TLS (port 465, RFC 8314)
//!
//! TLS from the first byte: do the handshake on the connected transport
//! first, then start the session on the TLS stream.
//!
//! - Client: set [`ClientConfig::implicit_tls`](crate::client::ClientConfig::implicit_tls)
//!   so the engine knows the transport is already TLS (STARTTLS is never
//!   sent, `TlsPolicy::Required` is satisfied, credentials may go out), and
//!   call `SmtpClient::connect` with the TLS stream
//!   (`FromTokio::new(connector.connect(name, tcp).await?)`, or an opened
//!   embedded-tls `TlsConnection` around the socket).
//! - Server: accept, do the TLS handshake (`acceptor.accept(tcp).await?`),
//!   then `serve` on `FromTokio::new(tls)`. The server engine has no
//!   implicit-TLS setting: leave `tls_available` off and set
//!   `auth_without_tls` to offer AUTH on this (already encrypted) session.

mod batch;
mod client;
mod message;
mod server;

#[cfg(feature = "async")]
pub mod asynch;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "embassy")]
pub mod embassy;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use batch::Message;
pub use client::{BodySource, Delivery};
pub use message::MessageBody;
pub use server::{Decision, Handler, Transport};

pub use embedded_io::ErrorKind;

use crate::client::ClientError;
use crate::server::ServerError;

/// The smallest receive and transmit buffers a client driver works with.
pub const CLIENT_MIN_BUFFER: usize = 1024;
/// The smallest receive and transmit buffers a server driver works with
/// under the default limits.
pub const SERVER_MIN_BUFFER: usize = 2048;

/// Why a driver stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (its error's [`ErrorKind`]).
    Io(ErrorKind),
    /// The peer closed the connection before the session was over.
    Eof,
    /// A deadline of the engine passed (RFC 5321 §4.5.3.2); the client
    /// counts it as a transient failure, the server sent `421 4.4.2`.
    Timeout,
    /// The TLS wrapper given to `start_tls` / `serve_tls` failed.
    Tls,
    /// The client engine refused a call or the server broke the protocol.
    Client(ClientError),
    /// The server engine refused a call (a handler's reply that does not fit
    /// or is invalid).
    Server(ServerError),
    /// The server configuration was refused.
    ServerConfig(crate::server::ConfigError),
    /// The body source failed; the session was closed.
    Body,
    /// The receive buffer is full without a complete line: it is smaller
    /// than the longest line the peer may send. A server driver checks this
    /// before its greeting (the buffer must hold `Server::input_room`).
    RxBufferFull,
    /// The session is closed (QUIT done, or the engine closed it).
    Closed,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Io(k) => write!(f, "transport error: {k:?}"),
            Error::Eof => f.write_str("connection closed by the peer"),
            Error::Timeout => f.write_str("timeout"),
            Error::Tls => f.write_str("TLS handshake failed"),
            Error::Client(e) => write!(f, "client: {e}"),
            Error::Server(e) => write!(f, "server: {e}"),
            Error::ServerConfig(e) => write!(f, "server configuration: {e}"),
            Error::Body => f.write_str("the message body could not be read"),
            Error::RxBufferFull => f.write_str("receive buffer too small for a line"),
            Error::Closed => f.write_str("session closed"),
        }
    }
}

impl core::error::Error for Error {}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        Error::Client(e)
    }
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Self {
        Error::Server(e)
    }
}

/// What a pump needs next from its driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Write `pending()` to the transport, then call `written()`.
    Write,
    /// Read into `read_space()`, then call `received(n)` (0 = end of input).
    Read,
    /// Flush nothing more; the engine asks for TLS now.
    StartTls,
    /// The goal is reached.
    Done,
}

/// Receive buffer bookkeeping shared by both pumps: unconsumed input is
/// `buf[start..end]`; it is moved to the front only when more room is needed.
pub(crate) struct RxBuffer<'b> {
    buf: &'b mut [u8],
    start: usize,
    end: usize,
}

impl<'b> RxBuffer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        RxBuffer {
            buf,
            start: 0,
            end: 0,
        }
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn space(&mut self) -> Result<&mut [u8], Error> {
        if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(Error::RxBufferFull);
        }
        Ok(&mut self.buf[self.end..])
    }

    pub(crate) fn received(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }
}

/// Transmit buffer bookkeeping: `buf[..len]` is waiting to be written.
pub(crate) struct TxBuffer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> TxBuffer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        TxBuffer { buf, len: 0 }
    }

    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn free(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    pub(crate) fn push(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}
