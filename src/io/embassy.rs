//! embassy-net helpers (feature `embassy`; of embassy-net it needs `tcp`
//! and `dns` only: the medium and the IP versions are the application's
//! choice, one of each at least, e.g. `proto-ipv4` and `medium-ethernet`): connect to a relay by host name,
//! accept SMTP sessions in a loop, and enforce the engines' deadlines with
//! embassy-time. `embassy_net::tcp::TcpSocket` implements
//! `embedded_io_async::{Read, Write}`, so the sockets go straight to the
//! [`asynch`](super::asynch) driver.
//!
//! ```text
//! // In an embassy task, with a configured `stack`:
//! let (mut srx, mut stx) = ([0u8; 1024], [0u8; 1024]);
//! let socket = embedded_smtp::io::embassy::connect(stack, "relay.example.net", 587, &mut srx, &mut stx).await?;
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let client = SmtpClient::connect(socket, EmbassyTimer, config, &mut rx, &mut tx).await?;
//! ```

use core::future::Future;
use core::time::Duration;

use embassy_net::dns::DnsQueryType;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};

use super::asynch::{Handler, Timer, serve};
use crate::server::ServerConfig;

/// A [`Timer`] over `embassy_time::with_timeout`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmbassyTimer;

impl Timer for EmbassyTimer {
    async fn timeout<F: Future>(&mut self, after: Duration, future: F) -> Option<F::Output> {
        let micros = u64::try_from(after.as_micros()).unwrap_or(u64::MAX);
        // embassy-time counts in ticks; a deadline too far to express is no deadline.
        if micros >= u64::MAX / 2 {
            return Some(future.await);
        }
        embassy_time::with_timeout(embassy_time::Duration::from_micros(micros), future)
            .await
            .ok()
    }
}

/// Why [`connect`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConnectError {
    /// The name did not resolve (or resolved to nothing).
    Dns,
    /// The TCP connection was refused or timed out.
    Tcp,
}

impl core::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConnectError::Dns => "host name did not resolve",
            ConnectError::Tcp => "TCP connection failed",
        })
    }
}

impl core::error::Error for ConnectError {}

/// Resolves `host` (an IPv4 literal is used as is) and opens a TCP
/// connection to `port` with the given socket buffers.
pub async fn connect<'s>(
    stack: Stack<'s>,
    host: &str,
    port: u16,
    rx_buffer: &'s mut [u8],
    tx_buffer: &'s mut [u8],
) -> Result<TcpSocket<'s>, ConnectError> {
    let addrs = stack
        .dns_query(host, DnsQueryType::A)
        .await
        .map_err(|_| ConnectError::Dns)?;
    let addr = *addrs.first().ok_or(ConnectError::Dns)?;
    let mut socket = TcpSocket::new(stack, rx_buffer, tx_buffer);
    socket
        .connect(IpEndpoint::new(addr, port))
        .await
        .map_err(|_| ConnectError::Tcp)?;
    Ok(socket)
}

/// Accepts SMTP sessions on `port` one after the other, forever, serving
/// each with the [`asynch::serve`](super::asynch::serve) driver and the
/// async `handler` (which learns each client's address in
/// [`Handler::connect`] and may refuse it there), with embassy-time
/// deadlines. Run several of these tasks for
/// concurrent sessions. `make_config` builds the configuration of each
/// session.
///
/// `buffers` is cut in four equal parts: the socket's receive and transmit
/// buffers and the driver's (see [`SERVER_MIN_BUFFER`](super::SERVER_MIN_BUFFER)):
/// 8 KiB gives 2 KiB each, which serves the default limits
/// (`tests/io/embassy.rs` runs it so). The driver's receive part must hold
/// the configuration's [`Server::input_room`](crate::server::Server::input_room)
/// (more with AUTH or larger limits); otherwise every connection is closed
/// before the greeting, with a warning in the log.
pub async fn accept_loop<'c, H: Handler>(
    stack: Stack<'_>,
    port: u16,
    make_config: impl Fn() -> ServerConfig<'c>,
    buffers: &mut [u8],
    handler: &mut H,
) -> ! {
    // One caller buffer, cut in four: socket rx/tx and the driver's rx/tx.
    let quarter = buffers.len() / 4;
    let (sock, drv) = buffers.split_at_mut(2 * quarter);
    let (srx, stx) = sock.split_at_mut(quarter);
    let (drx, dtx) = drv.split_at_mut(quarter);
    loop {
        let mut socket = TcpSocket::new(stack, &mut *srx, &mut *stx);
        socket.set_timeout(Some(embassy_time::Duration::from_secs(600)));
        if socket.accept(port).await.is_ok() {
            // The client's address, for the handler's `connect`.
            let peer = socket.remote_endpoint().map(core::net::SocketAddr::from);
            let served = serve(
                &mut socket,
                peer,
                &mut EmbassyTimer,
                make_config(),
                &mut *drx,
                &mut *dtx,
                handler,
            )
            .await;
            if let Err(super::Error::RxBufferFull) = served {
                warn!(
                    "accept_loop: a receive buffer of {} bytes is below the configuration's input_room",
                    quarter
                );
            }
            socket.close();
            let _ = embedded_io_async::Write::flush(&mut socket).await;
        }
        socket.abort();
    }
}
