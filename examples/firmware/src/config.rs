//! What to change for your network and your relay. Everything the firmware
//! needs to know lives here, as constants: there is no flash storage, no
//! console and no allocator to read them into at run time.

/// The relay's host name, resolved by DNS through the server DHCP hands out.
/// An IPv4 address in dotted form works too (no query is then sent).
pub const RELAY_HOST: &str = "smtp.example.net";

/// The submission port (RFC 6409): plain TCP upgraded by STARTTLS.
pub const RELAY_PORT: u16 = 587;

/// The name the board gives itself in EHLO (RFC 5321 §4.1.1.1): its fully
/// qualified domain name, or an address literal such as `"[192.0.2.10]"`.
pub const EHLO_NAME: &str = "alarm-panel.example.net";

/// The user name for `AUTH PLAIN` once TLS is up (never sent in clear).
pub const USERNAME: &str = "alarm-panel";

/// The password for `AUTH PLAIN`. Keep real credentials out of version
/// control: put them in this file only on the machine that flashes.
pub const PASSWORD: &str = "change-me";

/// The reverse path (`MAIL FROM`), where bounces go.
pub const MAIL_FROM: &str = "alarm-panel@example.net";

/// The recipients (`RCPT TO`).
pub const RCPT_TO: &[&str] = &["oncall@example.net"];

/// The subject line of the alert (any UTF-8: the message writer encodes
/// it when it is not plain ASCII).
pub const SUBJECT: &str = "Alarm from the NUCLEO-F767ZI";

/// The display name of the sender in `From:`.
pub const FROM_NAME: &str = "Alarm panel";

/// The Unix time at boot, for the message's `Date:` (the crate reads no
/// clock, and this board has no battery-backed RTC): the date field is this
/// plus the uptime. Set it from an RTC or SNTP in a real product; the
/// relay also stamps its own `Received:` time.
#[cfg_attr(not(feature = "compose"), allow(dead_code))]
pub const UNIX_TIME_AT_BOOT: i64 = 1_796_368_884;

/// The zone of the `Date:` field, in minutes east of UTC.
#[cfg_attr(not(feature = "compose"), allow(dead_code))]
pub const UTC_OFFSET_MINUTES: i16 = 0;

/// The MAC address of the Ethernet port. The first octet has the
/// locally-administered bit set (0x02) and the multicast bit clear: choose the
/// other five so that no two boards on one network share it.
pub const MAC_ADDRESS: [u8; 6] = [0x02, 0x00, 0x5E, 0x10, 0x76, 0x7F];

/// Seconds to wait for the relay at any one step (TCP connect, a reply, the
/// TLS handshake) before giving up.
pub const TIMEOUT_SECS: u64 = 30;

/// The DER certificate of the CA that signed the relay's certificate chain
/// (feature `verify`), e.g. `include_bytes!("../relay-ca.der")`. Only ECDSA
/// P-256 and P-384 signatures can be checked (RSA needs an allocator in
/// embedded-tls), and the relay's name must be the certificate's CN or one of
/// its first three DNS names. Dates are not checked: the board has no clock.
#[cfg(feature = "verify")]
pub const RELAY_CA_DER: &[u8] = &[];

/// Bytes kept of the relay's certificate chain (all of its entries, as
/// sent) until its CertificateVerify signature is checked (feature
/// `verify`): an ECDSA leaf and one intermediate take about 2.5 KiB.
#[cfg(feature = "verify")]
pub const MAX_CERT_CHAIN: usize = 4096;
