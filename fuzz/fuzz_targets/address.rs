#![no_main]
//! Fuzz target `address`: see `embedded_smtp_fuzz::address` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::address(data));
