//! Shared test helpers.

pub mod server_harness;
