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
//!   deadlines with `embassy-time`.
//!
//! The protocol work of a driver lives in two small state machines shared by
//! the blocking and the async flavours (`ClientPump`, `ServerPump`): they
//! say what I/O is needed next ("write these bytes", "read into this
//! space", "upgrade to TLS", "done"), and each flavour only performs it.
//!
//! # Buffers
//!
//! The caller provides a receive and a transmit buffer. A client works with
//! 1 KiB each ([`CLIENT_MIN_BUFFER`]): a reply line is at most 1000 octets
//! (512 in the RFC) and the engine writes whole commands only. A server needs
//! a transmit buffer of at least 1 KiB and a receive buffer that holds its
//! longest command line (the engine's `max_line`, 2048 by default; LOGIN
//! needs both AUTH lines at once) — [`SERVER_MIN_BUFFER`] is 2 KiB.
//!
//! # STARTTLS
//!
//! The driver stops when the engine asks for TLS; the caller wraps the
//! transport (embedded-tls on a device, rustls on a host) and gives the
//! wrapped one back to the same session, which resets and carries on
//! (`start_tls` on the clients, `serve_tls` for servers).

mod client;
mod server;

#[cfg(feature = "async")]
pub mod asynch;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "embassy")]
pub mod embassy;

pub use client::{Body, Delivery};
pub use server::{Decision, Handler};

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
    /// than the longest line the peer may send.
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
pub(crate) enum Io {
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
pub(crate) struct Rx<'b> {
    buf: &'b mut [u8],
    start: usize,
    end: usize,
}

impl<'b> Rx<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Rx {
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
pub(crate) struct Tx<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Tx<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Tx { buf, len: 0 }
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
