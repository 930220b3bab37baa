//! The `Date:` field from a caller-supplied clock (the crate reads none).
//!
//! RFC 5322 §3.3:
//!
//! ```text
//! date-time   = [ day-of-week "," ] date time [CFWS]
//! date        = day month year          ; "04 Dec 2026"
//! time        = time-of-day zone        ; "07:21:24 +0100"
//! zone        = (FWS) ( "+" / "-" ) 4DIGIT
//! ```
//!
//! The date and time are local to the zone: the Unix time plus the offset.
//! The year must be 1900 or later (§3.3) and at most 9999 (four digits).

use super::sink::Sink;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Seconds from 1970-01-01T00:00:00Z to 1900-01-01T00:00:00Z and to
/// 10000-01-01T00:00:00Z: the range a four-digit year of 1900 or later
/// covers.
const MIN_LOCAL: i64 = -2_208_988_800;
const MAX_LOCAL: i64 = 253_402_300_800;

/// The largest offset from UTC, in minutes (`+2359`).
pub const MAX_OFFSET_MINUTES: i16 = 23 * 60 + 59;

/// A point in time and the zone to show it in: the value of a `Date:`
/// field (RFC 5322 §3.3, §3.6.1).
///
/// ```
/// use embedded_smtp::message::Date;
///
/// // 2026-12-04T07:21:24Z, shown in UTC+01:00.
/// let date = Date::new(1_796_368_884, 60).unwrap();
/// let mut out = [0u8; 40];
/// let n = date.format(&mut out);
/// assert_eq!(&out[..n], b"Fri, 04 Dec 2026 08:21:24 +0100");
/// assert!(Date::new(0, 24 * 60).is_none()); // an offset of a day
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Date {
    unix: i64,
    offset_minutes: i16,
}

impl Date {
    /// `unix_seconds` since 1970-01-01T00:00:00Z, shown at
    /// `utc_offset_minutes` from UTC (−1439 to +1439). `None` when the
    /// offset is out of range or the local year is not within 1900–9999.
    pub const fn new(unix_seconds: i64, utc_offset_minutes: i16) -> Option<Date> {
        if utc_offset_minutes > MAX_OFFSET_MINUTES || utc_offset_minutes < -MAX_OFFSET_MINUTES {
            return None;
        }
        let local = unix_seconds.saturating_add(utc_offset_minutes as i64 * 60);
        if local < MIN_LOCAL || local >= MAX_LOCAL {
            return None;
        }
        Some(Date {
            unix: unix_seconds,
            offset_minutes: utc_offset_minutes,
        })
    }

    /// The Unix time.
    pub const fn unix_seconds(&self) -> i64 {
        self.unix
    }

    /// The offset from UTC, in minutes.
    pub const fn utc_offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Writes `date-time` (31 octets) into `out`, which must hold 31 octets;
    /// returns how many were written (fewer when `out` is shorter).
    pub fn format(&self, out: &mut [u8]) -> usize {
        let mut sink = Sink::new(out, 0);
        self.write(&mut sink);
        sink.written()
    }

    /// `day-of-week "," SP date SP time-of-day SP zone`.
    pub(super) fn write(&self, sink: &mut Sink<'_>) {
        let local = self.unix + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut b = [0u8; 31];
        b[..3].copy_from_slice(DAYS[days.rem_euclid(7) as usize]);
        b[3..5].copy_from_slice(b", ");
        two(&mut b[5..7], day);
        b[7] = b' ';
        b[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
        b[11] = b' ';
        two(&mut b[12..14], (year / 100) as u32);
        two(&mut b[14..16], (year % 100) as u32);
        b[16] = b' ';
        two(&mut b[17..19], (secs / 3600) as u32);
        b[19] = b':';
        two(&mut b[20..22], (secs / 60 % 60) as u32);
        b[22] = b':';
        two(&mut b[23..25], (secs % 60) as u32);
        b[25] = b' ';
        b[26] = if self.offset_minutes < 0 { b'-' } else { b'+' };
        let off = u32::from(self.offset_minutes.unsigned_abs());
        two(&mut b[27..29], off / 60);
        two(&mut b[29..31], off % 60);
        sink.put(&b);
    }
}

/// Two decimal digits of `v` (below 100).
fn two(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01):
/// the era-based conversion published by Howard Hinnant
/// ("chrono-Compatible Low-Level Date Algorithms", `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
