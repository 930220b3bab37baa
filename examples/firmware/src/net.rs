//! The board and the network, shared by both binaries (`src/main.rs`, the
//! client, and `src/bin/server.rs`, the server): the clocks, the on-board
//! Ethernet (RMII, LAN8742A PHY), the hardware RNG and an embassy-net stack
//! configured by DHCP.

use defmt::{info, unwrap};
use embassy_executor::Spawner;
use embassy_net::{Runner, Stack, StackResources};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::{Config, bind_interrupts, eth, rng};
use static_cell::StaticCell;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

/// The Ethernet driver with the PHY found by probing the SMI bus (the
/// LAN8742A answers at address 0 on the NUCLEO).
type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

/// Brings up the clocks, the RNG and Ethernet with `mac`, starts the
/// network stack's task and waits for the link and a DHCP lease. Returns
/// the configured stack and the hardware RNG (which seeded the stack).
pub async fn start(spawner: Spawner, mac: [u8; 6]) -> (Stack<'static>, Rng<'static, RNG>) {
    let p = embassy_stm32::init(clocks());

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
        mac,
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
    (stack, rng)
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
