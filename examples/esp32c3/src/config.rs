//! What to change for your network and your relay, read from the
//! environment **at build time** (`option_env!`): the board has no console
//! and no flash storage to read them from at run time, and secrets stay out
//! of version control. A variable that is not set gets the placeholder shown
//! beside it, so the firmware always builds (CI builds it that way); with a
//! placeholder the board will not find the network or the relay.
//!
//! ```sh
//! WIFI_SSID=workshop WIFI_PASSWORD=... \
//! SMTP_RELAY=smtp.example.net SMTP_USERNAME=alarm-panel SMTP_PASSWORD=... \
//! SMTP_FROM=alarm-panel@example.net SMTP_TO=oncall@example.net \
//! cargo run --release
//! ```
//!
//! The names are those of `examples/firmware/src/config.rs` (the NUCLEO's),
//! whose `mail.rs` this firmware shares; `WIFI_*` are its own.

/// The value of a build-time variable, or `default` when it is not set.
const fn or(value: Option<&'static str>, default: &'static str) -> &'static str {
    match value {
        Some(v) => v,
        None => default,
    }
}

/// The network's name (`WIFI_SSID`, at most 32 bytes).
pub const WIFI_SSID: &str = or(option_env!("WIFI_SSID"), "SSID");

/// The network's WPA2 passphrase (`WIFI_PASSWORD`, 8 to 63 characters);
/// empty (`WIFI_PASSWORD=`) for an open network.
pub const WIFI_PASSWORD: &str = or(option_env!("WIFI_PASSWORD"), "PASSWORD");

/// The relay's host name (`SMTP_RELAY`), resolved by DNS through the server
/// DHCP hands out. An IPv4 address in dotted form works too (no query is
/// then sent). Also the TLS server name.
pub const RELAY_HOST: &str = or(option_env!("SMTP_RELAY"), "smtp.example.net");

/// The submission port (RFC 6409): plain TCP upgraded by STARTTLS.
pub const RELAY_PORT: u16 = 587;

/// The name the board gives itself in EHLO (`SMTP_EHLO_NAME`, RFC 5321
/// §4.1.1.1): its fully qualified domain name, or an address literal such
/// as `"[192.0.2.10]"`.
pub const EHLO_NAME: &str = or(option_env!("SMTP_EHLO_NAME"), "alarm-panel.example.net");

/// The user name for AUTH once TLS is up (`SMTP_USERNAME`, never sent in
/// clear).
pub const USERNAME: &str = or(option_env!("SMTP_USERNAME"), "alarm-panel");

/// The password for AUTH (`SMTP_PASSWORD`).
pub const PASSWORD: &str = or(option_env!("SMTP_PASSWORD"), "change-me");

/// The reverse path (`MAIL FROM`, `SMTP_FROM`), where bounces go.
pub const MAIL_FROM: &str = or(option_env!("SMTP_FROM"), "alarm-panel@example.net");

/// The recipient (`RCPT TO`, `SMTP_TO`): one from the environment; list more
/// here (at most `mail::MAX_RECIPIENTS`).
pub const RCPT_TO: &[&str] = &[or(option_env!("SMTP_TO"), "oncall@example.net")];

/// The subject line of the alert (any UTF-8: the message writer encodes
/// it when it is not plain ASCII).
pub const SUBJECT: &str = "Alarm from the ESP32-C3";

/// The display name of the sender in `From:`.
pub const FROM_NAME: &str = "Alarm panel";

/// The Unix time at boot, for the message's `Date:` (the crate reads no
/// clock, and the board's RTC is not set): the date field is this plus the
/// uptime. Set it from SNTP in a real product; the relay also stamps its
/// own `Received:` time.
#[cfg_attr(not(feature = "compose"), allow(dead_code))]
pub const UNIX_TIME_AT_BOOT: i64 = 1_796_368_884;

/// The zone of the `Date:` field, in minutes east of UTC.
#[cfg_attr(not(feature = "compose"), allow(dead_code))]
pub const UTC_OFFSET_MINUTES: i16 = 0;

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
