//! A private HAProxy for the PROXY protocol tests (tests/interop/haproxy.rs):
//! its own configuration in a temp dir, a TCP front end on 127.0.0.1 and a
//! free port, round robin over the given back ends with `send-proxy` (v1)
//! or `send-proxy-v2`, SMTP health checks every 500 ms preceded by a
//! header too (`check-send-proxy`), run in the foreground (`-db`) and killed when its guard drops (a failed
//! assertion included). It is README's "Behind a load balancer"
//! configuration with test addresses.
//!
//! It logs one line per connection on stderr (`log stderr`, a `log-format`
//! of our own): the client's address as HAProxy saw it and the back end it
//! went to, which the tests compare with what the sinks logged.

use std::fs;
use std::time::{Duration, Instant};

use super::peers::HAPROXY;
use super::{LIMIT, Proc, TempDir, free_port};

/// Which PROXY protocol header HAProxy puts before each relayed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendProxy {
    /// `send-proxy`: the v1 text line.
    V1,
    /// `send-proxy-v2`: the v2 binary header.
    V2,
}

impl SendProxy {
    fn keyword(self) -> &'static str {
        match self {
            SendProxy::V1 => "send-proxy",
            SendProxy::V2 => "send-proxy-v2",
        }
    }
}

/// One relayed connection, from HAProxy's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relayed {
    /// The client's address and port (`%ci:%cp`).
    pub client: String,
    /// The back end's name (`%s`: `sink1`, `sink2`).
    pub server: String,
}

/// A running private HAProxy.
pub struct Haproxy {
    proc: Proc,
    /// Its front end, `127.0.0.1:port`.
    pub addr: String,
    _dir: TempDir,
}

/// The configuration: TCP mode, one front end, the back ends in round
/// robin as `sink1`, `sink2`, …, each sent the PROXY header, each
/// health-checked with EHLO.
pub fn config(port: u16, backends: &[&str], send: SendProxy) -> String {
    let mut c = String::from(
        "global\n\
         \x20   log stderr format raw local0 info\n\
         \x20   maxconn 256\n\
         defaults\n\
         \x20   mode tcp\n\
         \x20   log global\n\
         \x20   log-format \"relayed client=%ci:%cp server=%s\"\n\
         \x20   timeout connect 10s\n\
         \x20   timeout client 60s\n\
         \x20   timeout server 60s\n",
    );
    c.push_str(&format!(
        "frontend smtp\n    bind 127.0.0.1:{port}\n    default_backend sinks\n\
         backend sinks\n    balance roundrobin\n    option smtpchk EHLO haproxy.example\n"
    ));
    for (i, b) in backends.iter().enumerate() {
        c.push_str(&format!(
            "    server sink{} {b} {} check check-send-proxy inter 500ms\n",
            i + 1,
            send.keyword()
        ));
    }
    c
}

impl Haproxy {
    /// Starts HAProxy in front of `backends` and waits (bounded) until its
    /// front end listens, without connecting to it: a probe would be
    /// relayed to a back end and counted in the round robin.
    pub fn start(backends: &[&str], send: SendProxy) -> Haproxy {
        let dir = TempDir::new("haproxy");
        let port = free_port();
        let cfg = dir.file("haproxy.cfg", config(port, backends, send).as_bytes());
        let (code, out, err) = super::run(HAPROXY, &["-c", "-f", &cfg]);
        assert_eq!(code, 0, "haproxy -c refused the configuration:\n{out}{err}");
        let proc = Proc::spawn(HAPROXY, &["-db", "-f", &cfg]);
        let start = Instant::now();
        while !listening(port) {
            assert!(
                start.elapsed() < LIMIT,
                "haproxy does not listen on 127.0.0.1:{port}: {}",
                proc.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Haproxy {
            proc,
            addr: format!("127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// Stops it (a soft stop, SIGUSR1: the connections in progress finish
    /// first; bounded) and returns what it logged, one entry per relayed
    /// connection.
    pub fn stop(mut self) -> (Vec<Relayed>, String) {
        self.proc.signal("USR1");
        let status = self.proc.wait_exit(LIMIT);
        let log = self.proc.stderr();
        assert!(status.is_some(), "haproxy did not stop: {log}");
        let relayed = log
            .lines()
            .filter_map(|l| l.split_once("relayed client=").map(|(_, r)| r))
            .filter_map(|r| r.split_once(" server="))
            .map(|(client, server)| Relayed {
                client: client.to_string(),
                server: server.trim().to_string(),
            })
            .collect();
        (relayed, log)
    }
}

/// Whether a socket listens on 127.0.0.1:`port` (Linux's /proc/net/tcp:
/// local address `0100007F:PORT`, state `0A`).
fn listening(port: u16) -> bool {
    let want = format!("0100007F:{port:04X}");
    fs::read_to_string("/proc/net/tcp").is_ok_and(|t| {
        t.lines().skip(1).any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&want.as_str()) && f.get(3) == Some(&"0A")
        })
    })
}
