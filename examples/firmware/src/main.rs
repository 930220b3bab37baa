//! embedded-smtp on a NUCLEO-F767ZI: bring up the clocks and the on-board
//! Ethernet (RMII, LAN8742A PHY), get an address by DHCP, and hand the
//! network stack to [`mail::send_alert`], which resolves the relay by DNS,
//! connects to its submission port, upgrades to TLS and sends the alert
//! with the engine's client driver.
//!
//! No heap: every buffer is either a `static` (Ethernet descriptors and
//! packets, the network stack's sockets, the TCP, SMTP and TLS buffers) or
//! lives in the `main` task's future, which the executor also keeps in a
//! `static`.

#![no_std]
#![no_main]

mod config;
mod mail;

use defmt::{info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::{Runner, StackResources};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::{Config, bind_interrupts, eth, rng};
use embassy_time::Timer;
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

/// The Ethernet driver with the PHY found by probing the SMI bus (the
/// LAN8742A answers at address 0 on the NUCLEO).
type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// The alert's text (one line of printable ASCII).
const ALERT: &str = "Input 3 tripped";
/// Tries per alert while the failures are transient (network, timeout, 4yz).
const MAX_ATTEMPTS: u32 = 5;
/// Seconds between two tries.
const RETRY_SECS: u64 = 30;

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    let p = embassy_stm32::init(clocks());
    info!("embedded-smtp firmware on a NUCLEO-F767ZI");

    let mut rng = Rng::new(p.RNG, Irqs);
    let seed = rng.next_u64();

    // 4 + 4 DMA descriptors and buffers of one frame each: about 12 KiB.
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,  // RMII_REF_CLK
        p.PA7,  // RMII_CRS_DV
        p.PC4,  // RMII_RXD0
        p.PC5,  // RMII_RXD1
        p.PG13, // RMII_TXD0
        p.PB13, // RMII_TXD1
        p.PG11, // RMII_TX_EN
        config::MAC_ADDRESS,
        p.ETH_SMA,
        p.PA2, // MDIO
        p.PC1, // MDC
    );

    // Sockets: the DHCP client, the DNS client and the one TCP connection.
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(unwrap!(net_task(runner)));

    info!("waiting for the link and a DHCP lease");
    stack.wait_config_up().await;
    if let Some(v4) = stack.config_v4() {
        info!("address {}", v4.address);
    }

    let mut buffers = mail::Buffers::take();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match mail::send_alert(stack, &mut buffers, &mut rng, ALERT).await {
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

/// 216 MHz from the 8 MHz clock the ST-LINK puts out on MCO (HSE bypass):
/// 8 / 4 × 216 = 432 MHz VCO, / 2 for the core, / 9 = 48 MHz for the RNG.
/// APB1 at 54 MHz and APB2 at 108 MHz are the fastest the buses allow.
fn clocks() -> Config {
    use embassy_stm32::rcc::{
        AHBPrescaler, APBPrescaler, Hse, HseMode, Pll, PllMul, PllPDiv, PllPreDiv, PllQDiv,
        PllSource, Sysclk, mux,
    };
    let mut config = Config::default();
    config.rcc.hse = Some(Hse {
        freq: Hertz(8_000_000),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL216,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV9),
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.mux.clk48sel = mux::Clk48sel::PLL1_Q;
    config
}
