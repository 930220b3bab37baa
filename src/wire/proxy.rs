//! The PROXY protocol header (HAProxy's `doc/proxy-protocol.txt`, versions 1
//! and 2), read by a server behind a load balancer before anything else on
//! the connection.
//!
//! A proxy that relays a TCP connection (HAProxy's `send-proxy` and
//! `send-proxy-v2`) prepends one header saying whose connection it is: the
//! client's address and port, and the address it connected to. The server
//! must be configured to expect it and must not guess (§2: "MUST not try to
//! guess whether the protocol header is present"); a missing or malformed
//! header aborts the connection with no reply (§2.1: "must be discarded and
//! cause the receiver to abort the connection").
//!
//! [`parse`] looks at the start of the received bytes, in the caller's
//! buffer, and says whether they hold a whole header ([`Status::Complete`],
//! with the octets it takes), need more bytes ([`Status::Partial`]) or can
//! never be one ([`ProxyError`]). It checks each byte as soon as it is
//! there, in the order it arrives, so a prefix of any input is either
//! `Partial` or gets the same answer as the whole input: a client that
//! talks SMTP to a port expecting the header is turned away at its first
//! byte, and a split anywhere in a valid header changes nothing. It never
//! looks past [`MAX_HEADER`] octets.
//!
//! ```
//! use core::net::SocketAddr;
//! use embedded_smtp::syntax::Status;
//! use embedded_smtp::wire::proxy::{self, ProxyVersion};
//!
//! let input = b"PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\r\nEHLO";
//! let Ok(Status::Complete((header, n))) = proxy::parse(input) else { panic!() };
//! assert_eq!(&input[n..], b"EHLO");
//! assert_eq!(header.version, ProxyVersion::V1);
//! assert_eq!(header.source(), Some("192.0.2.7:50123".parse::<SocketAddr>().unwrap()));
//! assert_eq!(proxy::parse(b"PROXY TCP4 192.0.2.7"), Ok(Status::Partial));
//! assert_eq!(proxy::parse(b"EHLO x\r\n"), Err(proxy::ProxyError::NotProxy));
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::str::FromStr;

use crate::syntax::Status;

/// The version 1 prefix, `PROXY` (§2.1).
const V1_PREFIX: &[u8] = b"PROXY";
/// The longest version 1 line, CRLF included (§2.1: "If the CRLF sequence is
/// not found in the first 107 characters, the receiver should declare the
/// line invalid").
pub const V1_MAX: usize = 107;
/// The 12-octet version 2 signature (§2.2).
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// The fixed part of a version 2 header: signature, version and command,
/// family and protocol, length (§2.2, `struct proxy_hdr_v2`).
const V2_FIXED: usize = 16;
/// The longest header accepted, either version: 536 octets, the smallest
/// TCP segment every host must accept, which §2 says both formats were
/// designed to fit. A version 2 header announcing more (TLVs beyond that)
/// is refused with [`ProxyError::TooLong`]: the receive buffer never has to
/// hold more than this before the greeting.
pub const MAX_HEADER: usize = 536;

/// Which format the header had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ProxyVersion {
    /// The text line (§2.1), HAProxy's `send-proxy`.
    V1,
    /// The binary header (§2.2), HAProxy's `send-proxy-v2`.
    V2,
}

/// A decoded header.
///
/// `addresses` is `None` when the header says to use the connection's own
/// endpoints: version 1 `UNKNOWN` (§2.1), the version 2 `LOCAL` command
/// (a proxy's health check, §2.2), and the version 2 families and protocols
/// this receiver does not use, which §2.2 says to treat as `UNSPEC`
/// (`AF_UNSPEC`, `AF_UNIX`, and UDP: SMTP is TCP only).
///
/// ```
/// use embedded_smtp::syntax::Status;
/// use embedded_smtp::wire::proxy;
/// // A version 2 LOCAL header, as HAProxy sends for its health checks.
/// let local = b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00";
/// let Ok(Status::Complete((header, 16))) = proxy::parse(local) else { panic!() };
/// assert_eq!(header.addresses, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProxyHeader {
    /// The format.
    pub version: ProxyVersion,
    /// The relayed connection's endpoints, when the header gives them.
    pub addresses: Option<ProxiedAddresses>,
}

impl ProxyHeader {
    /// The original client's address and port, when the header gives them.
    pub fn source(&self) -> Option<SocketAddr> {
        self.addresses.map(|a| a.source)
    }

    /// The address and port the client connected to, when given.
    pub fn destination(&self) -> Option<SocketAddr> {
        self.addresses.map(|a| a.destination)
    }
}

/// The endpoints of the relayed TCP connection (what `getpeername()` and
/// `getsockname()` would have said without the proxy, §2). Both are of the
/// same family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProxiedAddresses {
    /// The client.
    pub source: SocketAddr,
    /// The address the client connected to (the proxy's front end).
    pub destination: SocketAddr,
}

/// Why the bytes are not a PROXY protocol header. The peer (the proxy, or
/// whoever connected instead of it) is at fault; the connection must be
/// closed without a reply (§2.1, §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ProxyError {
    /// Neither `PROXY` (version 1) nor the version 2 signature: no header,
    /// or another protocol (§2.2, "the protocol is not covered by this
    /// specification and the connection must be dropped").
    NotProxy,
    /// Version 1: no CRLF within [`V1_MAX`] octets (§2.1). Version 2: the
    /// length field announces more than [`MAX_HEADER`] octets in all.
    TooLong,
    /// Version 1: a CR not followed by LF, or an LF not preceded by CR
    /// (§2.1: "must not tolerate a single CR or LF character").
    LineEnding,
    /// Version 1: not exactly `PROXY SP protocol SP src SP dst SP sport SP
    /// dport` with single spaces (§2.1), or a byte that is not printable
    /// US-ASCII.
    Syntax,
    /// Version 1: a protocol other than `TCP4`, `TCP6` and `UNKNOWN` (§2.1).
    Protocol,
    /// Version 1: an address that is not one of the announced family
    /// (§2.1: a dotted quad without leading zeros; colon hex).
    Address,
    /// Version 1: a port that is not a decimal in 0..=65535 without
    /// leading zeros (§2.1).
    Port,
    /// Version 2: the version nibble is not 2 (§2.2: "the receiver must
    /// only accept this value").
    Version,
    /// Version 2: a command other than LOCAL (0) and PROXY (1) (§2.2:
    /// "Receivers must drop connections presenting unexpected values").
    Command,
    /// Version 2: a family or protocol nibble outside the assigned values
    /// (§2.2: "must be rejected as invalid by receivers").
    Family,
    /// Version 2: the length is shorter than the addresses of the
    /// announced family (§2.2: 12 for IPv4, 36 for IPv6, 216 for UNIX).
    AddressLength,
    /// Version 2: a TLV after the addresses runs past the announced length
    /// (§2.2, `struct pp2_tlv`).
    Tlv,
}

impl core::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ProxyError::NotProxy => "not a PROXY protocol header",
            ProxyError::TooLong => "PROXY header too long",
            ProxyError::LineEnding => "PROXY v1 line with a bare CR or LF",
            ProxyError::Syntax => "PROXY v1 line malformed",
            ProxyError::Protocol => "PROXY v1 protocol not TCP4, TCP6 or UNKNOWN",
            ProxyError::Address => "PROXY v1 address malformed or of the wrong family",
            ProxyError::Port => "PROXY v1 port malformed",
            ProxyError::Version => "PROXY v2 version is not 2",
            ProxyError::Command => "PROXY v2 command is not LOCAL or PROXY",
            ProxyError::Family => "PROXY v2 family or protocol unassigned",
            ProxyError::AddressLength => "PROXY v2 length too short for its addresses",
            ProxyError::Tlv => "PROXY v2 TLV runs past the header",
        })
    }
}

impl core::error::Error for ProxyError {}

/// Reads a PROXY protocol header (either version) at the start of `input`:
/// the header and the octets it takes, once it is whole.
///
/// The version is told by the first byte (§2.2, "Identifying the protocol
/// version"): `P` starts version 1, CR version 2, anything else is
/// [`ProxyError::NotProxy`]. See the [module documentation](self).
pub fn parse(input: &[u8]) -> Result<Status<(ProxyHeader, usize)>, ProxyError> {
    match input.first() {
        None => Ok(Status::Partial),
        Some(b'P') => parse_v1(input),
        Some(b'\r') => parse_v2(input),
        Some(_) => Err(ProxyError::NotProxy),
    }
}

/// Whether `input` starts like `expected` as far as it goes.
fn matches_prefix(input: &[u8], expected: &[u8]) -> bool {
    let n = input.len().min(expected.len());
    input[..n] == expected[..n]
}

// ------------------------------------------------------------- version 1

/// Version 1 (§2.1): `PROXY`, then a line of at most [`V1_MAX`] octets
/// ending in CRLF, decoded only once the CRLF is there.
fn parse_v1(input: &[u8]) -> Result<Status<(ProxyHeader, usize)>, ProxyError> {
    if !matches_prefix(input, V1_PREFIX) {
        return Err(ProxyError::NotProxy);
    }
    let window = &input[..input.len().min(V1_MAX)];
    let Some(at) = memchr::memchr2(b'\r', b'\n', window) else {
        return if input.len() >= V1_MAX {
            Err(ProxyError::TooLong)
        } else {
            Ok(Status::Partial)
        };
    };
    if window[at] == b'\n' {
        return Err(ProxyError::LineEnding);
    }
    // A CR: the line ends here if an LF follows.
    match input.get(at + 1) {
        None => Ok(Status::Partial),
        Some(_) if at + 2 > V1_MAX => Err(ProxyError::TooLong),
        Some(b'\n') => {
            let header = v1_fields(&input[..at])?;
            Ok(Status::Complete((header, at + 2)))
        }
        Some(_) => Err(ProxyError::LineEnding),
    }
}

/// The fields of a version 1 line without its CRLF.
fn v1_fields(line: &[u8]) -> Result<ProxyHeader, ProxyError> {
    if !line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(ProxyError::Syntax);
    }
    // Printable US-ASCII, so valid UTF-8.
    let line = core::str::from_utf8(line).map_err(|_| ProxyError::Syntax)?;
    let mut fields = line.split(' ');
    if fields.next() != Some("PROXY") {
        return Err(ProxyError::Syntax);
    }
    let ipv6 = match fields.next() {
        Some("TCP4") => false,
        Some("TCP6") => true,
        // "the receiver must ignore anything presented before the CRLF".
        Some("UNKNOWN") => {
            return Ok(ProxyHeader {
                version: ProxyVersion::V1,
                addresses: None,
            });
        }
        Some("") | None => return Err(ProxyError::Syntax),
        Some(_) => return Err(ProxyError::Protocol),
    };
    // Exactly four non-empty fields: an empty one is a doubled or trailing space.
    let mut next = || fields.next().filter(|f| !f.is_empty());
    let (src, dst) = (next(), next());
    let (sport, dport) = (next(), next());
    let (Some(src), Some(dst), Some(sport), Some(dport)) = (src, dst, sport, dport) else {
        return Err(ProxyError::Syntax);
    };
    if fields.next().is_some() {
        return Err(ProxyError::Syntax);
    }
    let source = SocketAddr::new(v1_address(src, ipv6)?, v1_port(sport)?);
    let destination = SocketAddr::new(v1_address(dst, ipv6)?, v1_port(dport)?);
    Ok(ProxyHeader {
        version: ProxyVersion::V1,
        addresses: Some(ProxiedAddresses {
            source,
            destination,
        }),
    })
}

/// An address of the announced family (§2.1), as `inet_pton` reads it
/// (`core::net` parses the same forms): a dotted quad without leading
/// zeros; colon hex with at most one `::`, which may end in a dotted quad
/// (`::ffff:192.0.2.7`: HAProxy writes its addresses with `inet_ntop`,
/// which writes IPv4-mapped addresses that way). No zone index.
fn v1_address(text: &str, ipv6: bool) -> Result<IpAddr, ProxyError> {
    if ipv6 {
        Ipv6Addr::from_str(text).map(IpAddr::V6)
    } else {
        Ipv4Addr::from_str(text).map(IpAddr::V4)
    }
    .map_err(|_| ProxyError::Address)
}

/// A port: decimal digits only, no leading zero, at most 65535 (§2.1).
fn v1_port(text: &str) -> Result<u16, ProxyError> {
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    if !digits || text.len() > 5 || (text.len() > 1 && text.starts_with('0')) {
        return Err(ProxyError::Port);
    }
    text.parse().map_err(|_| ProxyError::Port)
}

// ------------------------------------------------------------- version 2

/// Address families (§2.2, high nibble of the 14th byte).
const AF_UNSPEC: u8 = 0x0;
const AF_INET: u8 = 0x1;
const AF_INET6: u8 = 0x2;
const AF_UNIX: u8 = 0x3;
/// Transport protocols (low nibble).
const STREAM: u8 = 0x1;
const DGRAM: u8 = 0x2;
/// Commands (low nibble of the 13th byte).
const LOCAL: u8 = 0x0;
const PROXY: u8 = 0x1;

/// Version 2 (§2.2): the signature, `ver_cmd`, `fam`, `len`, then `len`
/// octets of addresses and TLVs.
fn parse_v2(input: &[u8]) -> Result<Status<(ProxyHeader, usize)>, ProxyError> {
    if !matches_prefix(input, &V2_SIGNATURE) {
        return Err(ProxyError::NotProxy);
    }
    let Some(&ver_cmd) = input.get(12) else {
        return Ok(Status::Partial);
    };
    if ver_cmd >> 4 != 2 {
        return Err(ProxyError::Version);
    }
    let command = ver_cmd & 0x0f;
    if command != LOCAL && command != PROXY {
        return Err(ProxyError::Command);
    }
    let Some(&fam) = input.get(13) else {
        return Ok(Status::Partial);
    };
    // LOCAL: "discard the protocol block including the family which is
    // ignored".
    let (family, protocol) = (fam >> 4, fam & 0x0f);
    if command == PROXY && (family > AF_UNIX || protocol > DGRAM) {
        return Err(ProxyError::Family);
    }
    let Some(len) = input.get(14..16) else {
        return Ok(Status::Partial);
    };
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let total = V2_FIXED + len;
    if total > MAX_HEADER {
        return Err(ProxyError::TooLong);
    }
    let Some(block) = input.get(V2_FIXED..total) else {
        return Ok(Status::Partial);
    };
    let addresses = if command == LOCAL {
        None
    } else {
        v2_block(family, protocol, block)?
    };
    let header = ProxyHeader {
        version: ProxyVersion::V2,
        addresses,
    };
    Ok(Status::Complete((header, total)))
}

/// The address block of a PROXY command: the addresses, then TLVs, which
/// are skipped but must fit (§2.2). `None` for what falls back to UNSPEC.
fn v2_block(
    family: u8,
    protocol: u8,
    block: &[u8],
) -> Result<Option<ProxiedAddresses>, ProxyError> {
    let size = match family {
        // "The receiver should ignore address information": what follows
        // cannot be told apart from TLVs.
        AF_UNSPEC => return Ok(None),
        AF_INET => 12,
        AF_INET6 => 36,
        _ => 216,
    };
    if protocol == 0 && family != AF_UNSPEC {
        // A family with an UNSPEC protocol: addresses of unknown shape.
        return Ok(None);
    }
    let (addrs, mut tlvs) = block
        .split_at_checked(size)
        .ok_or(ProxyError::AddressLength)?;
    while !tlvs.is_empty() {
        let Some(&[_, hi, lo]) = tlvs.get(..3) else {
            return Err(ProxyError::Tlv);
        };
        let end = 3 + usize::from(u16::from_be_bytes([hi, lo]));
        tlvs = tlvs.get(end..).ok_or(ProxyError::Tlv)?;
    }
    if protocol != STREAM {
        // UDP: not an SMTP connection; the real endpoints are used.
        return Ok(None);
    }
    let port = |at: usize| u16::from_be_bytes([addrs[at], addrs[at + 1]]);
    let (source, destination) = match family {
        AF_INET => {
            let ip =
                |at: usize| Ipv4Addr::new(addrs[at], addrs[at + 1], addrs[at + 2], addrs[at + 3]);
            (
                SocketAddr::new(IpAddr::V4(ip(0)), port(8)),
                SocketAddr::new(IpAddr::V4(ip(4)), port(10)),
            )
        }
        AF_INET6 => {
            let ip = |at: usize| {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&addrs[at..at + 16]);
                Ipv6Addr::from(octets)
            };
            (
                SocketAddr::new(IpAddr::V6(ip(0)), port(32)),
                SocketAddr::new(IpAddr::V6(ip(16)), port(34)),
            )
        }
        // AF_UNIX: no IP endpoints.
        _ => return Ok(None),
    };
    Ok(Some(ProxiedAddresses {
        source,
        destination,
    }))
}
