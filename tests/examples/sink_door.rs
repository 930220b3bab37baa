//! `sink --max-per-ip N`: policy at the door. One client address may hold
//! N sessions; the next from it is refused with `421` at the greeting,
//! while another address is served, and a slot freed is a slot again.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{LIMIT, Proc};

/// Connects from `source` (an address of the loopback network) to `addr`.
fn connect_from(source: &str, addr: &str) -> (BufReader<TcpStream>, TcpStream) {
    let addr: SocketAddr = addr.parse().expect("address");
    let source: SocketAddr = format!("{source}:0").parse().expect("source");
    // std cannot bind before connecting: a tokio socket can, then it is
    // handed back as a blocking std stream.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(source).expect("bind the source address");
        socket.connect(addr).await.expect("connect")
    });
    let stream = stream.into_std().expect("std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let w = stream.try_clone().expect("clone");
    (BufReader::new(stream), w)
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("read a line");
    line
}

#[test]
fn sink_max_per_ip_refuses_the_extra_sessions_of_one_client_only() {
    let (sink, addr) =
        Proc::example_server("sink", &["--listen", "127.0.0.1:0", "--max-per-ip", "2"]);
    // Two idle sessions from 127.0.0.1 take its two slots.
    let mut held: Vec<_> = (0..2).map(|_| connect_from("127.0.0.1", &addr)).collect();
    for (r, _) in &mut held {
        assert!(line(r).starts_with("220 "));
    }
    // More from the same address: refused at the door, then closed.
    for _ in 0..2 {
        let (mut r, _w) = connect_from("127.0.0.1", &addr);
        assert_eq!(
            line(&mut r),
            "421 localhost Error: too many connections from 127.0.0.1\r\n"
        );
        assert_eq!(line(&mut r), "", "the connection stays open after 421");
    }
    // Another address is served meanwhile, all the way.
    let (mut r, mut w) = connect_from("127.0.0.2", &addr);
    assert!(line(&mut r).starts_with("220 "));
    w.write_all(b"HELO other.example\r\n").expect("write");
    assert_eq!(line(&mut r), "250 localhost\r\n");
    w.write_all(b"QUIT\r\n").expect("write");
    assert!(line(&mut r).starts_with("221 "));
    // One of the first two quits: its slot serves the next from 127.0.0.1.
    let (mut r, mut w) = held.pop().expect("a held session");
    w.write_all(b"QUIT\r\n").expect("write");
    assert!(line(&mut r).starts_with("221 "));
    assert_eq!(line(&mut r), "");
    // (The client sees the close a moment before the session's task ends
    // and gives the slot back: try again for a while.)
    let start = Instant::now();
    let _served = loop {
        let (mut r, w) = connect_from("127.0.0.1", &addr);
        let greeting = line(&mut r);
        if greeting.starts_with("220 ") {
            break w;
        }
        assert!(greeting.starts_with("421 "), "{greeting}");
        assert!(start.elapsed() < LIMIT, "the slot was never freed");
        thread::sleep(Duration::from_millis(20));
    };
    drop(held);
    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    assert!(
        err.matches("error: refused: too many connections").count() >= 2,
        "{err}"
    );
}
