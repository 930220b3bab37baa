//! The board and the network: the clocks, the heap the Wi-Fi driver
//! allocates from, the esp-rtos scheduler (which runs the Wi-Fi driver's
//! own tasks and the embassy executor), the Wi-Fi station (esp-radio) and an
//! embassy-net stack configured by DHCP.
//!
//! Only the Wi-Fi driver uses the heap: esp-radio's binary blobs and its
//! glue allocate their buffers and control blocks at run time, so it needs a
//! global allocator (`esp-alloc`). The SMTP side (`mail.rs`) does not
//! allocate: its buffers are statics, its state lives in the `main` task's
//! future, as on the NUCLEO.

use defmt::{Format, info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::{Runner, Stack, StackResources};
use embassy_time::Timer;
use esp_hal::clock::CpuClock;
use esp_hal::ram;
use esp_hal::rng::Trng;
use esp_hal::timer::timg::TimerGroup;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethodConfig, Config, ControllerConfig, Interface, Password, Ssid,
    WifiController, WifiError,
};
use static_cell::StaticCell;

use crate::config;

/// Bytes of heap for the Wi-Fi driver in the RAM the ESP-IDF second-stage
/// bootloader used, free once the application runs.
const HEAP_RECLAIMED: usize = 64 * 1024;
/// Bytes of heap for the Wi-Fi driver in ordinary RAM (`.bss`), on top of
/// [`HEAP_RECLAIMED`]. The two are what esp-radio's own examples give a
/// station; the driver's default buffer counts fit in them.
const HEAP_MAIN: usize = 36 * 1024;
/// Seconds between two tries to associate with the access point.
const REASSOCIATE_SECS: u64 = 5;

/// Why the network could not be brought up.
#[derive(Clone, Copy, Debug, Format)]
pub enum NetError {
    /// `config::WIFI_SSID` is longer than 32 bytes.
    Ssid(WifiError),
    /// `config::WIFI_PASSWORD` is too long for WPA2 (63 characters).
    Password(WifiError),
    /// The radio did not start.
    Radio(WifiError),
    /// No true random numbers (the radio was not running).
    Rng,
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
    runner.run().await
}

/// Keeps the station associated: connects, waits for a disconnection,
/// connects again. The controller lives here for the program's life, and
/// with it the radio (and the entropy the hardware RNG draws from it).
#[embassy_executor::task]
async fn wifi_task(mut controller: WifiController<'static>) -> ! {
    loop {
        match controller.connect_async().await {
            Ok(ap) => {
                info!(
                    "Wi-Fi: associated with {} on channel {}",
                    ap.ssid, ap.channel
                );
                match controller.wait_for_disconnect_async().await {
                    Ok(lost) => warn!("Wi-Fi: disconnected ({})", lost.reason),
                    Err(e) => warn!("Wi-Fi: {}", e),
                }
            }
            Err(e) => warn!(
                "Wi-Fi: could not associate with {}: {}",
                config::WIFI_SSID,
                e
            ),
        }
        Timer::after_secs(REASSOCIATE_SECS).await;
    }
}

/// The station's configuration from [`config::WIFI_SSID`] and
/// [`config::WIFI_PASSWORD`] (WPA2 Personal, or an open network with an
/// empty password).
fn station() -> Result<Config, NetError> {
    let ssid = Ssid::try_from(config::WIFI_SSID).map_err(NetError::Ssid)?;
    let auth = if config::WIFI_PASSWORD.is_empty() {
        AuthenticationMethodConfig::Open
    } else {
        let password = Password::try_from(config::WIFI_PASSWORD).map_err(NetError::Password)?;
        AuthenticationMethodConfig::Wpa2Personal(password)
    };
    Ok(Config::Station(
        StationConfig::default()
            .with_ssid(ssid)
            .with_authentication(auth),
    ))
}

/// Brings up the clocks, the heap, the scheduler and the Wi-Fi station,
/// starts the network stack's task and the one that keeps the station
/// associated, and waits for a DHCP lease. Returns the configured stack and
/// the true random number generator (which seeded the stack and feeds the
/// TLS key exchange).
pub async fn start(spawner: Spawner) -> Result<(Stack<'static>, Trng), NetError> {
    let p = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));

    esp_alloc::heap_allocator!(#[ram(reclaimed)] size: HEAP_RECLAIMED);
    esp_alloc::heap_allocator!(size: HEAP_MAIN);

    // The scheduler must run before the radio starts.
    let timg0 = TimerGroup::new(p.TIMG0);
    esp_rtos::start(timg0.timer0, p.FROM_CPU_INTR0);

    let station = station()?;
    let controller = WifiController::new(
        p.WIFI,
        ControllerConfig::default().with_initial_config(station),
    )
    .map_err(NetError::Radio)?;
    // The running radio is an entropy source: from here on the hardware
    // RNG gives true random numbers.
    let mut rng = Trng::try_new().map_err(|_| NetError::Rng)?;
    let seed = rand_core::RngCore::next_u64(&mut rng);

    // Sockets: the DHCP client, the DNS client and the one TCP connection.
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        Interface::station(),
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(unwrap!(wifi_task(controller)));
    spawner.spawn(unwrap!(net_task(runner)));

    info!("waiting for Wi-Fi and a DHCP lease");
    stack.wait_config_up().await;
    if let Some(v4) = stack.config_v4() {
        info!("address {}", v4.address);
    }
    Ok((stack, rng))
}
