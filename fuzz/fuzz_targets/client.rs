#![no_main]
//! Fuzz target `client`: see `embedded_smtp_fuzz::client` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::client(data));
