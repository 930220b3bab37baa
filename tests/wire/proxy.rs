//! The PROXY protocol header (HAProxy's `doc/proxy-protocol.txt`, §2.1 for
//! version 1, §2.2 for version 2): every valid header whole, followed by
//! SMTP bytes, and at every truncation (always `Partial`); every class of
//! malformed field (its error, and never a different one at any prefix);
//! arbitrary bytes (no panic, bounded, the same answer however cut).

use core::net::SocketAddr;

use embedded_smtp::syntax::Status;
use embedded_smtp::wire::proxy::{
    self, MAX_HEADER, ProxiedAddresses, ProxyError, ProxyHeader, ProxyVersion, V1_MAX, V2_SIGNATURE,
};
use proptest::prelude::*;

fn addrs(source: &str, destination: &str) -> Option<ProxiedAddresses> {
    Some(ProxiedAddresses {
        source: source.parse().unwrap(),
        destination: destination.parse().unwrap(),
    })
}

fn v1(addresses: Option<ProxiedAddresses>) -> ProxyHeader {
    ProxyHeader {
        version: ProxyVersion::V1,
        addresses,
    }
}

fn v2(addresses: Option<ProxiedAddresses>) -> ProxyHeader {
    ProxyHeader {
        version: ProxyVersion::V2,
        addresses,
    }
}

/// A version 2 header: signature, `ver_cmd`, `fam`, the length of `block`, `block`.
fn v2_bytes(ver_cmd: u8, fam: u8, block: &[u8]) -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    h.push(ver_cmd);
    h.push(fam);
    h.extend_from_slice(&u16::try_from(block.len()).unwrap().to_be_bytes());
    h.extend_from_slice(block);
    h
}

/// The §2.2 IPv4 block: 192.0.2.7:50123 → 198.51.100.1:25.
const INET_BLOCK: [u8; 12] = [192, 0, 2, 7, 198, 51, 100, 1, 0xc3, 0xcb, 0, 25];

fn inet6_block() -> Vec<u8> {
    let mut b = Vec::new();
    // 2001:db8::7 and 2001:db8::1, ports 50123 and 587.
    b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    b.extend_from_slice(&[0xc3, 0xcb, 0x02, 0x4b]);
    b
}

/// Valid headers and what they say (from the spec's field descriptions).
fn valid() -> Vec<(Vec<u8>, ProxyHeader)> {
    let mut with_tlvs = INET_BLOCK.to_vec();
    // PP2_TYPE_NOOP with 3 octets, PP2_TYPE_UNIQUE_ID empty, PP2_TYPE_ALPN "smtp".
    with_tlvs.extend_from_slice(&[0x04, 0, 3, 0, 0, 0, 0x05, 0, 0, 0x01, 0, 4]);
    with_tlvs.extend_from_slice(b"smtp");
    let mut largest = INET_BLOCK.to_vec();
    // One NOOP TLV filling the header up to 536 octets.
    let fill = MAX_HEADER - 16 - 12 - 3;
    largest.extend_from_slice(&[0x04]);
    largest.extend_from_slice(&u16::try_from(fill).unwrap().to_be_bytes());
    largest.extend(std::iter::repeat_n(0xaa, fill));
    let worst_unknown = format!(
        "PROXY UNKNOWN {0} {0} 65535 65535\r\n",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    );
    assert_eq!(worst_unknown.len(), V1_MAX, "§2.1's worst case is 107");
    vec![
        (
            b"PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\r\n".to_vec(),
            v1(addrs("192.0.2.7:50123", "198.51.100.1:25")),
        ),
        (
            b"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n".to_vec(),
            v1(addrs("255.255.255.255:65535", "255.255.255.255:65535")),
        ),
        (
            b"PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n".to_vec(),
            v1(addrs("0.0.0.0:0", "10.0.0.1:0")),
        ),
        (
            b"PROXY TCP6 2001:db8::7 2001:DB8:0:0:0:0:0:1 50123 587\r\n".to_vec(),
            v1(addrs("[2001:db8::7]:50123", "[2001:db8::1]:587")),
        ),
        (
            format!(
                "PROXY TCP6 {0} {0} 65535 65535\r\n",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            )
            .into_bytes(),
            v1(addrs(
                "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
                "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
            )),
        ),
        // IPv4-mapped, as inet_ntop writes it (and HAProxy sends it).
        (
            b"PROXY TCP6 ::ffff:192.0.2.7 ::1 50123 25\r\n".to_vec(),
            v1(addrs("[::ffff:192.0.2.7]:50123", "[::1]:25")),
        ),
        (b"PROXY UNKNOWN\r\n".to_vec(), v1(None)),
        (worst_unknown.into_bytes(), v1(None)),
        (
            v2_bytes(0x21, 0x11, &INET_BLOCK),
            v2(addrs("192.0.2.7:50123", "198.51.100.1:25")),
        ),
        (
            v2_bytes(0x21, 0x21, &inet6_block()),
            v2(addrs("[2001:db8::7]:50123", "[2001:db8::1]:587")),
        ),
        (
            v2_bytes(0x21, 0x11, &with_tlvs),
            v2(addrs("192.0.2.7:50123", "198.51.100.1:25")),
        ),
        (
            v2_bytes(0x21, 0x11, &largest),
            v2(addrs("192.0.2.7:50123", "198.51.100.1:25")),
        ),
        // LOCAL (a health check): no address, whatever the block says.
        (v2_bytes(0x20, 0x00, &[]), v2(None)),
        (v2_bytes(0x20, 0x11, &INET_BLOCK), v2(None)),
        (v2_bytes(0x20, 0xff, &[1, 2, 3]), v2(None)),
        // Families and protocols that fall back to UNSPEC (§2.2).
        (v2_bytes(0x21, 0x00, &[]), v2(None)),
        (v2_bytes(0x21, 0x00, &[9; 7]), v2(None)),
        (v2_bytes(0x21, 0x12, &INET_BLOCK), v2(None)),
        (v2_bytes(0x21, 0x31, &[0; 216]), v2(None)),
        (v2_bytes(0x21, 0x32, &[0; 216]), v2(None)),
        (v2_bytes(0x21, 0x10, &[]), v2(None)),
    ]
}

#[test]
fn valid_headers_at_every_truncation() {
    for (header, expected) in valid() {
        let mut input = header.clone();
        input.extend_from_slice(b"EHLO client.example\r\n");
        assert_eq!(
            proxy::parse(&input),
            Ok(Status::Complete((expected, header.len()))),
            "{header:?}"
        );
        assert_eq!(
            proxy::parse(&header),
            Ok(Status::Complete((expected, header.len())))
        );
        for k in 0..header.len() {
            assert_eq!(
                proxy::parse(&header[..k]),
                Ok(Status::Partial),
                "{header:?} cut at {k}"
            );
        }
    }
}

#[test]
fn header_accessors() {
    let (_, h) = &valid()[0];
    assert_eq!(h.source(), Some("192.0.2.7:50123".parse().unwrap()));
    assert_eq!(h.destination(), Some("198.51.100.1:25".parse().unwrap()));
    assert_eq!(v2(None).source(), None::<SocketAddr>);
}

/// One malformed input per class of fault, and the error it must get.
fn malformed() -> Vec<(Vec<u8>, ProxyError)> {
    use ProxyError::*;
    let b = |s: &str| s.as_bytes().to_vec();
    let mut bad_tlv = INET_BLOCK.to_vec();
    bad_tlv.extend_from_slice(&[0x04, 0, 5, 0, 0]); // 5 announced, 2 there
    let mut short_tlv = INET_BLOCK.to_vec();
    short_tlv.extend_from_slice(&[0x04, 0]); // a TLV header cut short
    let mut too_long = v2_bytes(0x21, 0x11, &INET_BLOCK);
    too_long[14..16].copy_from_slice(&u16::try_from(MAX_HEADER - 15).unwrap().to_be_bytes());
    let mut wrong_sig = V2_SIGNATURE.to_vec();
    wrong_sig[11] = b'X';
    vec![
        // No header: SMTP, TLS, HTTP, an empty line, a lower-case keyword.
        (b("EHLO client.example\r\n"), NotProxy),
        (vec![0x16, 0x03, 0x01, 0x00], NotProxy),
        (b("GET / HTTP/1.1\r\n"), NotProxy),
        (b("\r\nEHLO x\r\n"), NotProxy),
        (b("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), NotProxy),
        (b("PROXZ TCP4"), NotProxy),
        (wrong_sig, NotProxy),
        // Version 1 line ends and length (§2.1).
        (
            b("PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\n"),
            LineEnding,
        ),
        (
            b("PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\rX\n"),
            LineEnding,
        ),
        (b("PROXY UNKNOWN\r\r\n"), LineEnding),
        (
            format!("PROXY UNKNOWN {}\r\n", "x".repeat(100)).into_bytes(),
            TooLong,
        ),
        (
            format!("PROXY UNKNOWN {}", "x".repeat(200)).into_bytes(),
            TooLong,
        ),
        // Version 1 fields.
        (b("PROXY\r\n"), Syntax),
        (b("PROXY \r\n"), Syntax),
        (b("PROXY  TCP4 192.0.2.7 198.51.100.1 50123 25\r\n"), Syntax),
        (b("PROXY TCP4 192.0.2.7  198.51.100.1 50123 25\r\n"), Syntax),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 50123 25 \r\n"), Syntax),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 50123\r\n"), Syntax),
        (
            b("PROXY TCP4 192.0.2.7 198.51.100.1 50123 25 7\r\n"),
            Syntax,
        ),
        (b("PROXY TCP4 192.0.2.7\t198.51.100.1 50123 25\r\n"), Syntax),
        (b("PROXY UNKNOWN \x7f\r\n"), Syntax),
        (
            b("PROXY UDP4 192.0.2.7 198.51.100.1 50123 25\r\n"),
            Protocol,
        ),
        (
            b("PROXY tcp4 192.0.2.7 198.51.100.1 50123 25\r\n"),
            Protocol,
        ),
        (b("PROXY UNKNOWNX\r\n"), Protocol),
        (
            b("PROXY TCP4 192.0.2.07 198.51.100.1 50123 25\r\n"),
            Address,
        ),
        (
            b("PROXY TCP4 192.0.2.256 198.51.100.1 50123 25\r\n"),
            Address,
        ),
        (b("PROXY TCP4 192.0.2 198.51.100.1 50123 25\r\n"), Address),
        (b("PROXY TCP4 ::1 198.51.100.1 50123 25\r\n"), Address),
        (b("PROXY TCP6 192.0.2.7 ::1 50123 25\r\n"), Address),
        (b("PROXY TCP6 1:2:3:4:5:6:7 ::1 50123 25\r\n"), Address),
        (b("PROXY TCP6 fe80::1%eth0 ::1 50123 25\r\n"), Address),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 050123 25\r\n"), Port),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n"), Port),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 +5 25\r\n"), Port),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 5 0x19\r\n"), Port),
        (b("PROXY TCP4 192.0.2.7 198.51.100.1 5 00\r\n"), Port),
        // Version 2 (§2.2).
        (v2_bytes(0x11, 0x11, &INET_BLOCK), Version),
        (v2_bytes(0x31, 0x11, &INET_BLOCK), Version),
        (v2_bytes(0x22, 0x11, &INET_BLOCK), Command),
        (v2_bytes(0x2f, 0x11, &INET_BLOCK), Command),
        (v2_bytes(0x21, 0x41, &INET_BLOCK), Family),
        (v2_bytes(0x21, 0x13, &INET_BLOCK), Family),
        (v2_bytes(0x21, 0x11, &INET_BLOCK[..11]), AddressLength),
        (v2_bytes(0x21, 0x21, &INET_BLOCK), AddressLength),
        (v2_bytes(0x21, 0x31, &[0; 215]), AddressLength),
        (v2_bytes(0x21, 0x11, &bad_tlv), Tlv),
        (v2_bytes(0x21, 0x11, &short_tlv), Tlv),
        (too_long, TooLong),
    ]
}

#[test]
fn every_malformed_class_gets_its_error_at_every_cut() {
    for (input, expected) in malformed() {
        assert_eq!(proxy::parse(&input), Err(expected), "{input:?}");
        // A prefix is Partial or the same error, never another answer.
        for k in 0..input.len() {
            let got = proxy::parse(&input[..k]);
            assert!(
                got == Ok(Status::Partial) || got == Err(expected),
                "{input:?} cut at {k}: {got:?}, whole: {expected:?}"
            );
        }
        // More bytes behind it change nothing.
        let mut longer = input.clone();
        longer.extend_from_slice(b"\r\nEHLO x\r\n");
        assert_eq!(proxy::parse(&longer), Err(expected), "{longer:?}");
    }
}

#[test]
fn smtp_is_refused_at_its_first_byte() {
    // §2: the receiver must not wait for a header that is not coming.
    assert_eq!(proxy::parse(b"E"), Err(ProxyError::NotProxy));
    assert_eq!(proxy::parse(b"H"), Err(ProxyError::NotProxy));
    assert_eq!(proxy::parse(b"\r\n\r\n\0\r\nQ"), Ok(Status::Partial));
    assert_eq!(proxy::parse(b"\r\n\r\n\0\r\nX"), Err(ProxyError::NotProxy));
}

#[test]
fn errors_display_what_is_wrong() {
    for (_, e) in malformed() {
        let text = e.to_string();
        assert!(text.contains("PROXY") || text.contains("proxy"), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes, and arbitrary bytes behind a valid signature: the
    /// fuzz target's check (bounded, the same answer at every prefix, a
    /// decoded v1 header written again parses the same).
    #[test]
    fn arbitrary_input_is_bounded_and_cut_proof(
        start in 0usize..4,
        body in proptest::collection::vec(any::<u8>(), 0..160),
    ) {
        let prefixes: [&[u8]; 4] = [b"", b"PROXY ", b"PROXY TCP4 ", &V2_SIGNATURE];
        let mut input = prefixes[start].to_vec();
        input.extend_from_slice(&body);
        crate::fuzz_checks::proxy(&input);
    }

    /// Every v1 TCP header written from addresses parses back to them.
    #[test]
    fn v1_written_from_addresses_parses_back(
        a in any::<[u8; 4]>(), b in any::<[u8; 4]>(),
        c in any::<[u16; 8]>(), d in any::<[u16; 8]>(),
        p in any::<u16>(), q in any::<u16>(),
    ) {
        let four = (SocketAddr::from((a, p)), SocketAddr::from((b, q)));
        let six = (SocketAddr::from((c, p)), SocketAddr::from((d, q)));
        for ((s, t), proto) in [(four, "TCP4"), (six, "TCP6")] {
            let line = format!("PROXY {proto} {} {} {} {}\r\n", s.ip(), t.ip(), p, q);
            let want = v1(Some(ProxiedAddresses { source: s, destination: t }));
            prop_assert_eq!(proxy::parse(line.as_bytes()), Ok(Status::Complete((want, line.len()))));
        }
    }
}
