//! embedded-smtp on a NUCLEO-F767ZI, the server: bring up the board and the
//! network ([`net::start`], shared with the client: clocks, Ethernet,
//! DHCP), then accept SMTP sessions on port 25 forever with the engine's
//! embassy accept loop (`io::embassy::accept_loop`, over the async server
//! driver). The [`Counter`] handler takes mail for one domain
//! ([`DOMAIN`]) and postmaster, refuses every other recipient (no relay),
//! and counts the messages and their bytes; it keeps no message.
//!
//! Plain TCP: the server offers no STARTTLS (its configuration leaves
//! `tls_available` off), so it needs no TLS stack, no certificate and no
//! key. A server that must offer TLS would use `io::asynch::serve_tls`
//! with a TLS server implementation (embedded-tls is client only).
//!
//! No heap: the sockets' and the driver's buffers are one `static`; the
//! engine and the driver live in the `main` task's future, which the
//! executor keeps in a `static`.

#![no_std]
#![no_main]

#[path = "../net.rs"]
mod net;

use core::net::SocketAddr;

use defmt::{info, warn};
use embassy_executor::Spawner;
use embedded_smtp::io::asynch::Handler;
use embedded_smtp::io::embassy::accept_loop;
use embedded_smtp::io::{Decision, SERVER_MIN_BUFFER};
use embedded_smtp::server::{AbortReason, ServerConfig};
use embedded_smtp::syntax::{EnhancedCode, ForwardPath, Host, RcptParameters, ReplyCode, Verb};
use static_cell::ConstStaticCell;
use {defmt_rtt as _, panic_probe as _};

/// The mail domain the board takes mail for (`user@DOMAIN`, any user).
const DOMAIN: &str = "panel.example.net";
/// The name the server gives in its greeting and its EHLO reply.
const HOSTNAME: &str = "mx.panel.example.net";
/// The SMTP port (RFC 5321 §4.5.4.2: relay-to-relay, no TLS here).
const PORT: u16 = 25;
/// The Ethernet MAC: the client's (`config::MAC_ADDRESS`) with another last
/// octet, so that a client board and a server board can share a network.
const MAC_ADDRESS: [u8; 6] = [0x02, 0x00, 0x5E, 0x10, 0x76, 0x80];
/// Largest message taken, in octets (advertised with SIZE). The board only
/// counts the bytes, so this is a policy, not a buffer.
const MAX_MESSAGE: u64 = 1_000_000;

/// The socket's receive and transmit buffers and the driver's:
/// `accept_loop` cuts this in four equal parts, each the driver's
/// minimum ([`SERVER_MIN_BUFFER`], 2 KiB: the default configuration's
/// `input_room`, a command line of up to 2048 octets; the driver checks it
/// before the greeting).
const BUFFERS: usize = 4 * SERVER_MIN_BUFFER;

/// Zero-initialised, so it lands in `.bss` and is never built on the stack.
static SESSION_BUFFERS: ConstStaticCell<[u8; BUFFERS]> = ConstStaticCell::new([0; BUFFERS]);

/// Counts what it is given for [`DOMAIN`]; refuses to relay.
struct Counter {
    /// Messages accepted since boot.
    messages: u32,
    /// Bytes of the accepted messages (unstuffed, as the handler sees them).
    bytes: u64,
    /// Bytes of the message in progress.
    current: u64,
}

// The async handler of the accept loop: nothing here waits, but a
// handler that writes to flash (async in embassy) would `.await` in
// `message_end` without stalling the executor.
impl Handler for Counter {
    async fn connect(&mut self, peer: Option<SocketAddr>) -> Decision<'_> {
        if let Some(peer) = peer {
            info!("connection from {}", peer);
        }
        Decision::Accept
    }

    async fn hello(&mut self, verb: Verb, domain: &Host<'_>) -> Decision<'_> {
        info!("{} {}", verb, domain);
        Decision::Accept
    }

    async fn rcpt(&mut self, to: &ForwardPath<'_>, _: &RcptParameters<'_>) -> Decision<'_> {
        let ours = match to.mailbox() {
            // `<Postmaster>` must be accepted (RFC 5321 §4.5.1).
            None => true,
            Some(mailbox) => match mailbox.host() {
                Host::Domain(domain) => domain.eq_ignore_ascii_case(DOMAIN),
                _ => false,
            },
        };
        if ours {
            return Decision::Accept;
        }
        warn!("relaying refused: {}", to);
        // Postfix's answer to a relay attempt; the engine's own refusal
        // (`Decision::Reject`) would say "550 5.1.1 Recipient address
        // rejected", which reads as an unknown user.
        match (ReplyCode::new(554), EnhancedCode::new(5, 7, 1)) {
            (Some(code), enhanced) => Decision::Respond {
                code,
                enhanced,
                text: "Relay access denied",
            },
            (None, _) => Decision::Reject,
        }
    }

    async fn data_start(&mut self) {
        self.current = 0;
    }

    async fn data(&mut self, bytes: &[u8]) {
        self.current = self.current.saturating_add(bytes.len() as u64);
    }

    async fn message_end(&mut self) -> Decision<'_> {
        self.messages = self.messages.saturating_add(1);
        self.bytes = self.bytes.saturating_add(self.current);
        info!(
            "message {}: {} bytes ({} bytes in all)",
            self.messages, self.current, self.bytes
        );
        Decision::Accept
    }

    async fn message_aborted(&mut self, reason: AbortReason) {
        warn!("message dropped: {}", reason);
        self.current = 0;
    }
}

/// The session configuration: the defaults (ESMTP, PIPELINING, 8BITMIME,
/// CHUNKING, ENHANCEDSTATUSCODES, no AUTH, no STARTTLS, the RFC 5321
/// timeouts) with our name and size limit.
fn session_config() -> ServerConfig<'static> {
    let mut config = ServerConfig::new(HOSTNAME);
    config.max_message_size = MAX_MESSAGE;
    config
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    info!("embedded-smtp server on a NUCLEO-F767ZI");
    let (stack, _rng) = net::start(spawner, MAC_ADDRESS).await;
    info!("accepting mail for {} on port {}", DOMAIN, PORT);
    let mut counter = Counter {
        messages: 0,
        bytes: 0,
        current: 0,
    };
    accept_loop(
        stack,
        PORT,
        session_config,
        SESSION_BUFFERS.take(),
        &mut counter,
    )
    .await
}
