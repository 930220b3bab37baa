//! embedded-smtp on a NUCLEO-F767ZI: bring up the clocks and the on-board
//! Ethernet (RMII, LAN8742A PHY), get an address by DHCP, resolve the relay by
//! DNS, open a TCP connection to its submission port and hand it to
//! [`mail::send_alert`], which speaks SMTP and upgrades to TLS.
//!
//! No heap: every buffer is either a `static` (Ethernet descriptors and
//! packets, the network stack's sockets, the SMTP and TLS buffers) or lives in
//! the `main` task's future, which the executor also keeps in a `static`.

#![no_std]
#![no_main]

mod config;
mod mail;

use defmt::{info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::dns::DnsQueryType;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, Runner, StackResources};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::{Config, bind_interrupts, eth, rng};
use embassy_time::{Duration, Timer};
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

/// The Ethernet driver with the PHY found by probing the SMI bus (the
/// LAN8742A answers at address 0 on the NUCLEO).
type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// Bytes of the TCP receive window. It holds one full segment (an Ethernet
/// MSS is 1460 bytes), so the relay never has to send runts; the TLS record
/// buffer, not this one, holds a whole record while it is decrypted.
const TCP_RX: usize = 2048;
/// Bytes of the TCP send buffer. SMTP commands are short and the body goes out
/// in TLS records of at most [`mail::TLS_WRITE_RECORD`] bytes, which
/// `write_all` feeds in as the peer acknowledges: 1 KiB is enough.
const TCP_TX: usize = 1024;

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

    let mut rx = [0u8; TCP_RX];
    let mut tx = [0u8; TCP_TX];
    let mut buffers = mail::Buffers::take();
    loop {
        let relay = match resolve(stack).await {
            Some(ip) => ip,
            None => {
                Timer::after_secs(10).await;
                continue;
            }
        };
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(Duration::from_secs(config::TIMEOUT_SECS)));
        info!("connecting to {}:{}", relay, config::RELAY_PORT);
        if let Err(e) = socket.connect((relay, config::RELAY_PORT)).await {
            warn!("connect: {}", e);
            Timer::after_secs(10).await;
            continue;
        }
        match mail::send_alert(socket, &mut buffers, &mut rng, "Input 3 tripped").await {
            Ok(()) => info!("alert sent"),
            Err(e) => warn!("alert failed: {}", e),
        }
        // A real panel would now wait for its next alarm.
        Timer::after_secs(3600).await;
    }
}

/// The first IPv4 address of [`config::RELAY_HOST`].
async fn resolve(stack: embassy_net::Stack<'_>) -> Option<IpAddress> {
    match stack.dns_query(config::RELAY_HOST, DnsQueryType::A).await {
        Ok(addrs) => addrs.first().copied(),
        Err(e) => {
            warn!("DNS {}: {}", config::RELAY_HOST, e);
            None
        }
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
