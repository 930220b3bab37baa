//! The PROXY protocol header before the greeting
//! (`ServerConfig::proxy_protocol`; HAProxy's `doc/proxy-protocol.txt`):
//! the greeting waits for a valid header, the header's client is reported,
//! anything else closes the connection with no reply; without the setting
//! a header is an unknown command. Every script is replayed whole, byte by
//! byte and at every split point (rule D2).
//!
//! The setting needs the `proxy` feature; without it, it is refused and a
//! header is an unknown command all the same.

#[cfg(feature = "proxy")]
use core::time::Duration;

use crate::support::server_harness::*;
use embedded_smtp::wire::proxy::V2_SIGNATURE;
#[cfg(feature = "proxy")]
use embedded_smtp::{
    server::{Event, Phase, PipeliningPolicy, Server, ServerConfig},
    syntax::Verb,
    wire::proxy::{ProxiedAddresses, ProxyHeader, ProxyVersion},
};

const V1: &str = "PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\r\n";

fn v2_tcp6() -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    h.extend_from_slice(&[0x21, 0x21, 0, 36]);
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&[0xc3, 0xcb, 0, 25]);
    h
}

#[cfg(feature = "proxy")]
fn proxied() -> ServerConfig<'static> {
    let mut c = config();
    c.proxy_protocol = true;
    c
}

#[cfg(feature = "proxy")]
fn header(version: ProxyVersion, source: &str, destination: &str) -> Ev {
    Ev::Proxy(ProxyHeader {
        version,
        addresses: Some(ProxiedAddresses {
            source: source.parse().unwrap(),
            destination: destination.parse().unwrap(),
        }),
    })
}

#[cfg(feature = "proxy")]
#[test]
fn v1_header_then_the_greeting_then_smtp() {
    let o = check(
        proxied(),
        vec![seg(V1), seg("HELO c.example\r\n"), seg("QUIT\r\n")],
    );
    assert_eq!(
        o.text(),
        "220 mx.example ESMTP\r\n250 mx.example\r\n221 2.0.0 Bye\r\n"
    );
    assert_eq!(
        o.events,
        vec![
            header(ProxyVersion::V1, "192.0.2.7:50123", "198.51.100.1:25"),
            Ev::Hello(Verb::Helo, "c.example".into()),
            Ev::Close
        ]
    );
}

#[cfg(feature = "proxy")]
#[test]
fn v2_header_then_a_message() {
    let mut segments = vec![seg(v2_tcp6())];
    segments.extend(pre());
    segments.push(seg("hi\r\n.\r\n"));
    let o = check(proxied(), segments);
    assert_eq!(o.codes(), [220, 250, 250, 250, 354, 250]);
    assert_eq!(
        o.events[0],
        header(ProxyVersion::V2, "[2001:db8::7]:50123", "[2001:db8::1]:25")
    );
    assert_eq!(o.messages(), [b"hi\r\n".to_vec()]);
}

#[cfg(feature = "proxy")]
#[test]
fn a_health_check_gives_no_address() {
    // v2 LOCAL: the proxy's own connection (§2.2).
    let mut local = V2_SIGNATURE.to_vec();
    local.extend_from_slice(&[0x20, 0x00, 0, 0]);
    let o = check(proxied(), vec![seg(local), seg("QUIT\r\n")]);
    assert_eq!(o.codes(), [220, 221]);
    assert_eq!(
        o.events,
        vec![
            Ev::Proxy(ProxyHeader {
                version: ProxyVersion::V2,
                addresses: None
            }),
            Ev::Close
        ]
    );
}

#[cfg(feature = "proxy")]
#[test]
fn no_header_or_a_bad_one_closes_without_a_reply() {
    // §2.1: "Any sequence which does not exactly match the protocol must be
    // discarded and cause the receiver to abort the connection".
    for input in [
        "EHLO c.example\r\n",
        "QUIT\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 50123 025\r\n",
        "PROXY TCP6 192.0.2.7 198.51.100.1 50123 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\n",
    ] {
        let o = check(proxied(), vec![seg(input), seg("EHLO c.example\r\n")]);
        assert_eq!(o.out, b"", "{input:?}");
        assert_eq!(o.events, vec![Ev::Close], "{input:?}");
        assert!(o.closed);
    }
}

#[cfg(feature = "proxy")]
#[test]
fn bytes_behind_the_header_before_the_greeting_are_an_early_talker() {
    // Rule D8: the client spoke before the greeting it could not have seen.
    let early = format!("{V1}EHLO c.example\r\n");
    let o = check(proxied(), vec![atomic(&early)]);
    assert_eq!(
        o.text(),
        "554 5.5.0 Error: SMTP protocol synchronization\r\n"
    );
    assert!(o.closed);
    // The lenient policy greets and goes on.
    let mut c = proxied();
    c.pipelining_violations = PipeliningPolicy::Lenient;
    let o = check(c, vec![atomic(&early), seg("QUIT\r\n")]);
    assert_eq!(o.codes()[..2], [220, 250]);
    assert_eq!(
        o.events[0],
        header(ProxyVersion::V1, "192.0.2.7:50123", "198.51.100.1:25")
    );
}

#[test]
fn without_the_setting_a_header_is_an_unknown_command() {
    // §2: the receiver "MUST not try to guess whether the protocol header
    // is present".
    let o = check(config(), vec![seg(V1), seg("EHLO c.example\r\n")]);
    assert_eq!(o.codes()[..2], [220, 500]);
    assert_eq!(o.codes()[2], 250);
    assert!(!o.events.iter().any(|e| matches!(e, Ev::Proxy(_))));
    // The v2 signature is not a command either: never a 2xx, never a header.
    let o = check(config(), vec![atomic(v2_tcp6())]);
    assert_eq!(o.codes()[0], 220);
    assert!(o.codes().len() > 1, "{}", o.text());
    assert!(o.codes()[1..].iter().all(|&c| c >= 500), "{}", o.text());
    assert!(!o.events.iter().any(|e| matches!(e, Ev::Proxy(_))));
}

#[cfg(feature = "proxy")]
#[test]
fn waiting_for_the_header() {
    let mut server = Server::new(proxied()).unwrap();
    let mut out = [0u8; 1024];
    assert_eq!(server.greet(&mut out), Ok(0));
    assert_eq!(server.phase(), Phase::Connected);
    // The command timeout applies (rule D12) ...
    assert_eq!(server.deadline(), Some(Duration::from_secs(300)));
    let step = server.feed(b"PROXY TCP4 192.0.2.7", &mut out).unwrap();
    assert_eq!((step.consumed, step.written), (0, 0));
    assert_eq!(step.event, Event::NeedInput);
    // ... and when it passes, the proxy gets no reply either.
    assert_eq!(server.timeout(&mut out), Ok(0));
    assert!(server.is_closed());
    // The end of input before a header: closed, nothing to abort.
    let mut server = Server::new(proxied()).unwrap();
    server.greet(&mut out).unwrap();
    assert_eq!(server.end_of_input(), Event::Close);
}

#[cfg(feature = "proxy")]
#[test]
fn the_receive_buffer_holds_the_longest_header() {
    let mut c = proxied();
    c.limits.max_line = 512;
    let with = Server::new(c).unwrap().input_room();
    c.proxy_protocol = false;
    let without = Server::new(c).unwrap().input_room();
    assert!(without < 536, "{without}");
    assert_eq!(with, 536);
}

#[cfg(not(feature = "proxy"))]
#[test]
fn without_the_feature_the_setting_is_refused() {
    use embedded_smtp::server::{ConfigError, Server};
    let mut c = config();
    c.proxy_protocol = true;
    assert_eq!(c.validate(), Err(ConfigError::NotBuilt("proxy")));
    assert_eq!(Server::new(c).unwrap_err(), ConfigError::NotBuilt("proxy"));
}
