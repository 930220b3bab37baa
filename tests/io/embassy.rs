//! The async drivers over embassy-net: two smoltcp stacks joined in memory
//! by `embassy-net-driver-channel` (Ethernet medium, one channel per
//! direction, static IPv4 addresses), running on `embassy-executor`'s std
//! platform with `embassy-time`'s std driver. The client driver on one stack
//! (`io::embassy::connect` with an IP literal, 1 KiB socket and driver
//! buffers, as on a device) sends to the server driver (`io::asynch::serve`
//! with `EmbassyTimer`) on the other over TCP. No TAP device, no root.
//!
//! Run with `cargo test --features embassy --test suite io::embassy`.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use embassy_executor::{Executor, Spawner};
use embassy_futures::join::{join, join4};
use embassy_futures::select::{Either, select};
use embassy_net::driver::HardwareAddress;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel::{self as ch, RxRunner, TxRunner, driver::LinkState};
use embedded_smtp::client::{ClientConfig, Envelope, Event as ClientEvent, Recipient, TlsPolicy};
use embedded_smtp::io::Delivery;
use embedded_smtp::io::asynch::{SmtpClient, serve};
use embedded_smtp::io::embassy::{EmbassyTimer, accept_loop, connect};
use embedded_smtp::server::ServerConfig;

use crate::support::handler::Store;

const MTU: usize = 1514;
const SMTP_PORT: u16 = 2525;

/// Moves every frame one stack transmits into the other's receive queue.
async fn wire(mut from: TxRunner<'_, MTU>, mut to: RxRunner<'_, MTU>) {
    loop {
        let frame = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let n = frame.len().min(slot.len());
        slot[..n].copy_from_slice(&frame[..n]);
        to.rx_done(n);
        from.tx_done();
    }
}

fn ip_config(last: u8) -> embassy_net::Config {
    embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, last), 24),
        gateway: None,
        dns_servers: Default::default(),
    })
}

/// What a scenario sends and what came out.
struct Report {
    deliveries: Vec<(Delivery, Vec<(usize, u16)>)>,
    received: Vec<Vec<u8>>,
}

/// The `i`th additional recipient: long addresses make the pipelined
/// envelope several KiB.
fn extra_rcpt(i: usize) -> String {
    format!("recipient-{i:03}-with-a-rather-long-local-part@mx.example")
}

/// The client side: connect by IP literal with 1 KiB socket buffers and
/// 1 KiB driver buffers, send each body to bob and nobody, QUIT.
async fn client_side(
    stack: Stack<'_>,
    bodies: &[Vec<u8>],
    extra: usize,
) -> Vec<(Delivery, Vec<(usize, u16)>)> {
    let (mut srx, mut stx) = ([0u8; 1024], [0u8; 1024]);
    let socket = connect(stack, "10.0.0.2", SMTP_PORT, &mut srx, &mut stx)
        .await
        .expect("TCP connect");
    let mut config = ClientConfig::new("device.example");
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut client = SmtpClient::connect(socket, EmbassyTimer, config, &mut rx, &mut tx)
        .await
        .expect("SMTP connect");
    let names: Vec<String> = ["bob@mx.example".to_owned(), "nobody@mx.example".to_owned()]
        .into_iter()
        .chain((0..extra).map(extra_rcpt))
        .collect();
    let rcpts: Vec<Recipient<'_>> = names.iter().map(|n| Recipient::new(n).unwrap()).collect();
    let envelope = Envelope::new("sensor@device.example", &rcpts).unwrap();
    let mut out = Vec::new();
    for body in bodies {
        let mut codes = Vec::new();
        let d = client
            .send(&envelope, body.as_slice(), |e| {
                if let ClientEvent::Recipient { index, reply } = e {
                    codes.push((*index, reply.code().get()));
                }
            })
            .await
            .expect("send");
        out.push((d, codes));
    }
    let mut socket = client.quit().await.expect("QUIT");
    socket.close();
    let _ = embedded_io_async::Write::flush(&mut socket).await;
    out
}

/// The server side: accept one connection (1 KiB socket buffers, as on a
/// device) and serve it.
async fn server_side(stack: Stack<'_>, chunking: bool) -> Vec<Vec<u8>> {
    let (mut srx, mut stx) = ([0u8; 1024], [0u8; 1024]);
    let mut socket = TcpSocket::new(stack, &mut srx, &mut stx);
    socket.accept(SMTP_PORT).await.expect("accept");
    let mut config = ServerConfig::new("mx.example");
    config.chunking = chunking;
    let mut store = Store::default();
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    serve(
        &mut socket,
        None,
        &mut EmbassyTimer,
        config,
        &mut rx,
        &mut tx,
        &mut store,
    )
    .await
    .expect("serve");
    socket.close();
    let _ = embedded_io_async::Write::flush(&mut socket).await;
    store.seen.messages
}

/// How the server side runs.
#[derive(Clone, Copy, Debug)]
enum Server {
    /// One accepted socket served by `io::asynch::serve`, with or without
    /// CHUNKING.
    Serve { chunking: bool },
    /// `io::embassy::accept_loop`, stopped once the client is done.
    AcceptLoop,
}

/// The client against `accept_loop`: the loop never returns, so it runs
/// until the client has its last reply (the handler has stored the
/// messages by then: the 250 follows `message_end`), then is dropped.
async fn against_accept_loop(
    client: Stack<'_>,
    server: Stack<'_>,
    bodies: &[Vec<u8>],
    extra: usize,
) -> (Vec<(Delivery, Vec<(usize, u16)>)>, Vec<Vec<u8>>) {
    let mut store = Store::default();
    // Socket rx/tx and driver rx/tx: a quarter each.
    let mut buffers = vec![0u8; 4 * 2048];
    let deliveries = {
        let server = accept_loop(
            server,
            SMTP_PORT,
            || ServerConfig::new("mx.example"),
            &mut buffers,
            &mut store,
        );
        match select(client_side(client, bodies, extra), server).await {
            Either::First(d) => d,
            Either::Second(never) => never,
        }
    };
    (deliveries, store.seen.messages)
}

/// Builds both stacks and the wires, runs client and server to the end.
async fn scenario(bodies: Vec<Vec<u8>>, server: Server, extra: usize) -> Report {
    let mut state_a = ch::State::<MTU, 4, 4>::new();
    let mut state_b = ch::State::<MTU, 4, 4>::new();
    let (mut runner_a, device_a) = ch::new(
        &mut state_a,
        HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, 1]),
    );
    let (mut runner_b, device_b) = ch::new(
        &mut state_b,
        HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, 2]),
    );
    runner_a.set_link_state(LinkState::Up);
    runner_b.set_link_state(LinkState::Up);
    let (_, rx_a, tx_a) = runner_a.split();
    let (_, rx_b, tx_b) = runner_b.split();

    let mut res_a = StackResources::<3>::new();
    let mut res_b = StackResources::<3>::new();
    let (stack_a, mut net_a) = embassy_net::new(device_a, ip_config(1), &mut res_a, 1);
    let (stack_b, mut net_b) = embassy_net::new(device_b, ip_config(2), &mut res_b, 2);

    let network = join4(net_a.run(), net_b.run(), wire(tx_a, rx_b), wire(tx_b, rx_a));
    let work = async {
        stack_a.wait_config_up().await;
        stack_b.wait_config_up().await;
        match server {
            Server::Serve { chunking } => {
                join(
                    client_side(stack_a, &bodies, extra),
                    server_side(stack_b, chunking),
                )
                .await
            }
            Server::AcceptLoop => against_accept_loop(stack_a, stack_b, &bodies, extra).await,
        }
    };
    match select(work, network).await {
        Either::First((deliveries, received)) => Report {
            deliveries,
            received,
        },
        Either::Second(_) => unreachable!("the network runs forever"),
    }
}

#[embassy_executor::task(pool_size = 16)]
async fn run(
    bodies: Vec<Vec<u8>>,
    server: Server,
    extra: usize,
    done: mpsc::Sender<Option<Report>>,
) {
    let limit = embassy_time::Duration::from_secs(30);
    let r = embassy_time::with_timeout(limit, scenario(bodies, server, extra))
        .await
        .ok();
    done.send(r).unwrap();
}

/// Runs a scenario on its own embassy executor (std platform); fails if it
/// takes longer than 30 s.
fn on_executor(bodies: Vec<Vec<u8>>, server: Server, extra: usize) -> Report {
    let (tx, rx) = mpsc::channel();
    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut result = None;
    executor.run_until(
        |spawner: Spawner| spawner.spawn(run(bodies, server, extra, tx).unwrap()),
        || {
            if let Ok(r) = rx.try_recv() {
                result = Some(r);
            }
            result.is_some() || Instant::now() > deadline
        },
    );
    result
        .expect("the executor stopped without a result")
        .expect("scenario still running after 30 s")
}

fn body(lines: usize) -> Vec<u8> {
    let mut b = b"From: sensor@device.example\r\nSubject: reading\r\n\r\n".to_vec();
    for i in 0..lines {
        b.extend_from_slice(format!("{i:05} temperature=21.5 humidity=40\r\n").as_bytes());
        if i % 7 == 0 {
            b.extend_from_slice(b".a dot line\r\n.\r\n");
        }
    }
    b
}

fn check(report: &Report, bodies: &[Vec<u8>]) {
    check_with(report, bodies, 0);
}

fn check_with(report: &Report, bodies: &[Vec<u8>], extra: usize) {
    let expected: Vec<(usize, u16)> = [(0, 250), (1, 550)]
        .into_iter()
        .chain((2..2 + extra).map(|i| (i, 250)))
        .collect();
    assert_eq!(report.deliveries.len(), bodies.len());
    for (d, codes) in &report.deliveries {
        assert_eq!(codes, &expected);
        assert_eq!((d.accepted, d.rejected, d.delivered), (1 + extra, 1, 1));
        assert!(d.is_delivered());
    }
    assert_eq!(report.received.len(), bodies.len());
    for (got, sent) in report.received.iter().zip(bodies) {
        assert!(
            got == sent,
            "message differs ({} vs {} bytes)",
            got.len(),
            sent.len()
        );
    }
}

#[test]
fn device_client_with_1k_buffers_delivers_over_smoltcp_data() {
    let bodies = vec![body(2000), body(3)];
    let report = on_executor(bodies.clone(), Server::Serve { chunking: false }, 0);
    check(&report, &bodies);
}

#[cfg(feature = "chunking")]
#[test]
fn device_client_with_1k_buffers_delivers_over_smoltcp_bdat() {
    let bodies = vec![body(500), body(1)];
    let report = on_executor(bodies.clone(), Server::Serve { chunking: true }, 0);
    check(&report, &bodies);
}

#[test]
fn device_client_to_the_accept_loop() {
    let bodies = vec![body(300), body(2)];
    let report = on_executor(bodies.clone(), Server::AcceptLoop, 0);
    check(&report, &bodies);
}

/// A body far larger than every buffer, as BDAT to the device-sized
/// server: without a bound on the chunks awaiting replies, the unread
/// `250`s filled the server's socket and both sides waited forever.
#[cfg(feature = "chunking")]
#[test]
fn a_long_bdat_body_does_not_deadlock() {
    let bodies = vec![body(6000)];
    assert!(bodies[0].len() > 200 * 1024);
    let report = on_executor(bodies.clone(), Server::Serve { chunking: true }, 0);
    check(&report, &bodies);
}

/// The largest pipelined envelope the client sends by default: MAIL and
/// 100 recipients with long addresses (about 6 KiB of commands, 2 KiB of
/// replies) through 1 KiB client buffers, over DATA and (when built) BDAT.
#[test]
fn a_pipelined_envelope_of_100_recipients() {
    let bodies = vec![body(50)];
    for chunking in [false, embedded_smtp::built::CHUNKING] {
        let report = on_executor(bodies.clone(), Server::Serve { chunking }, 98);
        check_with(&report, &bodies, 98);
    }
}
