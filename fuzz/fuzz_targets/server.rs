#![no_main]
//! Fuzz target `server`: see `embedded_smtp_fuzz::server` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::server(data));
