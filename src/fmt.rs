//! Logging shim: `trace!`, `debug!`, `warn!` go to `defmt` when the `defmt`
//! feature is on, else to `log` when the `log` feature is on, else nowhere.
//!
//! With both features on (as `--all-features` does), `defmt` wins, so that a
//! firmware build never pulls in two logging frameworks' formatting code.
#![allow(unused_macros)]

#[cfg(feature = "defmt")]
macro_rules! trace {
    ($($arg:tt)*) => { ::defmt::trace!($($arg)*) };
}
#[cfg(all(feature = "log", not(feature = "defmt")))]
macro_rules! trace {
    ($($arg:tt)*) => { ::log::trace!($($arg)*) };
}
#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! trace {
    ($($arg:tt)*) => {{
        let _ = ($crate::fmt::Ignore);
    }};
}

#[cfg(feature = "defmt")]
macro_rules! debug {
    ($($arg:tt)*) => { ::defmt::debug!($($arg)*) };
}
#[cfg(all(feature = "log", not(feature = "defmt")))]
macro_rules! debug {
    ($($arg:tt)*) => { ::log::debug!($($arg)*) };
}
#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! debug {
    ($($arg:tt)*) => {{
        let _ = ($crate::fmt::Ignore);
    }};
}

#[cfg(feature = "defmt")]
macro_rules! warn {
    ($($arg:tt)*) => { ::defmt::warn!($($arg)*) };
}
#[cfg(all(feature = "log", not(feature = "defmt")))]
macro_rules! warn {
    ($($arg:tt)*) => { ::log::warn!($($arg)*) };
}
#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! warn {
    ($($arg:tt)*) => {{
        let _ = ($crate::fmt::Ignore);
    }};
}

/// A unit value the no-logging macros evaluate, so they stay expressions.
#[allow(dead_code)]
pub(crate) struct Ignore;
