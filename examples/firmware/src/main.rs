//! embedded-smtp on a NUCLEO-F767ZI, the client: bring up the board and
//! the network ([`net::start`]: clocks, Ethernet, DHCP), and hand the
//! network stack to [`mail::send_alert`], which resolves the relay by DNS,
//! connects to its submission port, upgrades to TLS and sends the alert
//! with the engine's client driver. (`src/bin/server.rs` is the server.)
//!
//! No heap: every buffer is either a `static` (Ethernet descriptors and
//! packets, the network stack's sockets, the TCP, SMTP and TLS buffers) or
//! lives in the `main` task's future, which the executor also keeps in a
//! `static`.

#![no_std]
#![no_main]

mod config;
mod mail;
mod net;

use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_time::Timer;
use {defmt_rtt as _, panic_probe as _};

/// The alert's text (any UTF-8; sent quoted-printable if not ASCII).
const ALERT: &str = "Input 3 tripped.\nThe latest readings are attached.\n";
/// The readings attached to the alert as a CSV: what a real panel would
/// keep in a ring buffer.
const READINGS: [mail::Reading; 4] = [
    mail::Reading {
        uptime_s: 0,
        value: 0,
    },
    mail::Reading {
        uptime_s: 60,
        value: 1,
    },
    mail::Reading {
        uptime_s: 120,
        value: 7,
    },
    mail::Reading {
        uptime_s: 180,
        value: 42,
    },
];
/// Tries per alert while the failures are transient (network, timeout, 4yz).
const MAX_ATTEMPTS: u32 = 5;
/// Seconds between two tries.
const RETRY_SECS: u64 = 30;

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    info!("embedded-smtp firmware on a NUCLEO-F767ZI");
    let (stack, mut rng) = net::start(spawner, config::MAC_ADDRESS).await;

    let mut buffers = mail::Buffers::take();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match mail::send_alert(stack, &mut buffers, &mut rng, ALERT, &READINGS).await {
            Ok(delivery) => info!("alert sent: {}", delivery),
            Err(e) if e.is_transient() && attempts < MAX_ATTEMPTS => {
                warn!("alert failed ({}), retrying in {} s", e, RETRY_SECS);
                Timer::after_secs(RETRY_SECS).await;
                continue;
            }
            Err(e) => warn!("alert failed: {}", e),
        }
        // A real panel would now wait for its next alarm.
        attempts = 0;
        Timer::after_secs(3600).await;
    }
}
