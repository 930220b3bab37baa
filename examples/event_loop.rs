//! A single-threaded SMTP server that drives many `server::Server` engines
//! straight from a `mio` poll loop: no driver, no async runtime, no thread
//! per connection — the proof that the core needs none of them.
//!
//! ```text
//! event_loop [--listen ADDR] [--hostname NAME] [--exit-after N]
//! ```
//!
//! Each connection is an engine plus a receive and a transmit buffer. The
//! loop reads what the socket has, hands it to `Server::feed`, answers the
//! decisions (every sender, recipient and message is accepted; messages
//! are counted, not stored), writes the replies, and waits for the socket
//! to become readable (or writable, while replies are pending). Deadlines
//! (`Server::deadline`) become the poll timeout. It prints
//! `listening on ADDR` once ready and one line per session on stderr; with
//! `--exit-after N` it stops after N sessions.
//!
//! Run: `cargo run --example event_loop -- --listen 127.0.0.1:2525`

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use embedded_smtp::server::{Event, Server, ServerConfig};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
/// Receive buffer: the longest command line with its extension allowances.
const RX: usize = 8192;
/// Transmit buffer: the engine needs `Server::output_room` (512 bytes, or
/// the EHLO reply if longer) free; more lets pipelined replies batch.
const TX: usize = 4096;

/// One connection: the engine and its buffers.
struct Conn<'c> {
    socket: TcpStream,
    peer: SocketAddr,
    engine: Server<'c>,
    rx: Box<[u8; RX]>,
    rx_len: usize,
    tx: Box<[u8; TX]>,
    tx_start: usize,
    tx_end: usize,
    interest: Interest,
    deadline: Option<Instant>,
    timed_out: bool,
    messages: u64,
    bytes: u64,
    current: u64,
}

/// What a connection waits for after `pump`.
enum Wait {
    Io(Interest),
    Closed(&'static str),
}

impl<'c> Conn<'c> {
    /// Writes what is pending; false if the socket would block.
    fn flush(&mut self) -> io::Result<bool> {
        while self.tx_start < self.tx_end {
            match self.socket.write(&self.tx[self.tx_start..self.tx_end]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.tx_start += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.tx_start = 0;
        self.tx_end = 0;
        Ok(true)
    }

    /// Runs the engine over what the socket has until it has to wait.
    fn pump(&mut self) -> Wait {
        loop {
            match self.flush() {
                Ok(true) => {}
                Ok(false) => return Wait::Io(Interest::READABLE | Interest::WRITABLE),
                Err(_) => return Wait::Closed("write error"),
            }
            if self.engine.is_closed() {
                return Wait::Closed(if self.timed_out { "timeout" } else { "ok" });
            }
            let step = match self
                .engine
                .feed(&self.rx[..self.rx_len], &mut self.tx[self.tx_end..])
            {
                Ok(s) => s,
                Err(_) => return Wait::Closed("engine error"),
            };
            self.tx_end += step.written;
            let mut need_input = false;
            let decided = match step.event {
                Event::Mail { .. } | Event::Rcpt { .. } => {
                    Some(self.engine.accept(&mut self.tx[self.tx_end..]))
                }
                Event::MessageEnd => {
                    self.messages += 1;
                    self.bytes += self.current;
                    Some(self.engine.accept(&mut self.tx[self.tx_end..]))
                }
                // Not offered in this configuration; refuse if they come.
                Event::Verify { .. } | Event::Auth(_) => {
                    Some(self.engine.reject(&mut self.tx[self.tx_end..]))
                }
                Event::DataStart => {
                    self.current = 0;
                    None
                }
                Event::Data(bytes) => {
                    self.current += bytes.len() as u64;
                    None
                }
                Event::NeedInput => {
                    need_input = true;
                    None
                }
                Event::StartTls => return Wait::Closed("STARTTLS is not offered"),
                Event::Hello { .. }
                | Event::MessageAborted(_)
                | Event::Flush
                | Event::Close
                | Event::Proxy(_) => None,
            };
            match decided {
                Some(Ok(n)) => self.tx_end += n,
                Some(Err(_)) => return Wait::Closed("engine error"),
                None => {}
            }
            let stuck = step.event == Event::Flush && self.tx_end == 0;
            let consumed = step.consumed.min(self.rx_len);
            self.rx.copy_within(consumed..self.rx_len, 0);
            self.rx_len -= consumed;
            if stuck {
                return Wait::Closed("transmit buffer too small");
            }
            if !need_input {
                continue;
            }
            // RFC 2920 §3.2: flush before waiting for input.
            match self.flush() {
                Ok(true) => {}
                Ok(false) => return Wait::Io(Interest::READABLE | Interest::WRITABLE),
                Err(_) => return Wait::Closed("write error"),
            }
            if self.rx_len == RX {
                return Wait::Closed("receive buffer full");
            }
            match self.socket.read(&mut self.rx[self.rx_len..]) {
                Ok(0) => {
                    let _ = self.engine.end_of_input();
                    return Wait::Closed("closed by the client");
                }
                Ok(n) => {
                    self.rx_len += n;
                    self.deadline = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Wait::Io(Interest::READABLE);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Wait::Closed("read error"),
            }
        }
    }

    /// The engine's deadline passed: it writes `421 4.4.2` and closes.
    fn expire(&mut self) {
        self.timed_out = true;
        if let Ok(n) = self.engine.timeout(&mut self.tx[self.tx_end..]) {
            self.tx_end += n;
        }
        let _ = self.flush();
    }
}

struct Args {
    listen: String,
    hostname: String,
    exit_after: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        listen: "127.0.0.1:2525".into(),
        hostname: "localhost".into(),
        exit_after: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => a.listen = value()?,
            "--hostname" => a.hostname = value()?,
            "--exit-after" => {
                a.exit_after = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--exit-after wants a number")?,
                )
            }
            _ => {
                return Err(format!(
                    "unknown argument {flag:?}\nusage: event_loop [--listen ADDR] [--hostname NAME] [--exit-after N]"
                ));
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("event_loop: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("event_loop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = ServerConfig::new(&args.hostname);
    Server::new(config).map_err(|e| format!("configuration: {e}"))?;
    let addr = args
        .listen
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| format!("{}: no address", args.listen))?;
    let mut listener = TcpListener::bind(addr)?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut out = io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;

    let mut conns: HashMap<Token, Conn<'_>> = HashMap::new();
    let mut events = Events::with_capacity(1024);
    let (mut next, mut finished) = (1usize, 0u64);
    while args.exit_after.is_none_or(|n| finished < n) {
        // The nearest engine deadline is the poll timeout.
        let now = Instant::now();
        let timeout = conns
            .values()
            .filter_map(|c| c.deadline)
            .min()
            .map_or(Duration::from_secs(1), |d| {
                d.saturating_duration_since(now).min(Duration::from_secs(1))
            });
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        let mut ready: Vec<Token> = Vec::new();
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut socket, peer)) => {
                            let token = Token(next);
                            next += 1;
                            let _ = socket.set_nodelay(true);
                            poll.registry()
                                .register(&mut socket, token, Interest::READABLE)?;
                            let mut engine = Server::new(config)?;
                            let mut tx = Box::new([0u8; TX]);
                            let n = engine.greet(&mut tx[..])?;
                            conns.insert(
                                token,
                                Conn {
                                    socket,
                                    peer,
                                    engine,
                                    rx: Box::new([0u8; RX]),
                                    rx_len: 0,
                                    tx,
                                    tx_start: 0,
                                    tx_end: n,
                                    interest: Interest::READABLE,
                                    deadline: None,
                                    timed_out: false,
                                    messages: 0,
                                    bytes: 0,
                                    current: 0,
                                },
                            );
                            ready.push(token);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => {
                            eprintln!("event_loop: accept: {e}");
                            break;
                        }
                    }
                }
            } else {
                ready.push(event.token());
            }
        }
        // Connections whose deadline passed.
        let now = Instant::now();
        for (token, conn) in conns.iter_mut() {
            if conn.deadline.is_some_and(|d| d <= now) {
                conn.expire();
                ready.push(*token);
            }
        }
        for token in ready {
            let Some(conn) = conns.get_mut(&token) else {
                continue;
            };
            match conn.pump() {
                Wait::Io(interest) => {
                    if interest != conn.interest {
                        poll.registry()
                            .reregister(&mut conn.socket, token, interest)?;
                        conn.interest = interest;
                    }
                    if conn.deadline.is_none() {
                        conn.deadline = conn.engine.deadline().map(|d| Instant::now() + d);
                    }
                }
                Wait::Closed(why) => {
                    if let Some(mut conn) = conns.remove(&token) {
                        let _ = poll.registry().deregister(&mut conn.socket);
                        finished += 1;
                        eprintln!(
                            "session {}: messages={} bytes={} {why}",
                            conn.peer, conn.messages, conn.bytes
                        );
                    }
                }
            }
        }
    }
    eprintln!("event_loop: stopped after {finished} session(s)");
    Ok(())
}
