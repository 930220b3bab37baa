//! embedded-smtp on an ESP32-C3: bring up the board and the Wi-Fi network
//! ([`net::start`]: clocks, heap for the Wi-Fi driver, scheduler, station,
//! DHCP), and hand the network stack to [`mail::send_alert`], which resolves
//! the relay by DNS, connects to its submission port, upgrades to TLS with
//! STARTTLS, authenticates and sends the alert with the engine's client
//! driver.
//!
//! The SMTP side is the NUCLEO-F767ZI firmware's own `mail.rs`
//! (`examples/firmware/src/mail.rs`), compiled here unchanged: it only needs
//! an embassy-net stack, a `rand_core` 0.6 crypto RNG and the constants of
//! [`config`]. It allocates nothing; only the Wi-Fi driver has a heap.

#![no_std]
#![no_main]

mod config;
#[path = "../../firmware/src/mail.rs"]
mod mail;
mod net;

use defmt::{error, info, warn};
use embassy_executor::Spawner;
use embassy_time::Timer;
use {esp_backtrace as _, esp_println as _};

// The application descriptor the ESP-IDF second-stage bootloader checks.
esp_bootloader_esp_idf::esp_app_desc!();

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

#[esp_hal::main]
async fn main(spawner: Spawner) -> ! {
    info!("embedded-smtp firmware on an ESP32-C3");
    let (stack, mut rng) = match net::start(spawner).await {
        Ok(up) => up,
        Err(e) => {
            // A configuration the radio refused: nothing to retry.
            error!("network not started: {}", e);
            loop {
                Timer::after_secs(3600).await;
            }
        }
    };

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
