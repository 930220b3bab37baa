#![no_main]
//! Fuzz target `reply`: see `embedded_smtp_fuzz::reply` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::reply(data));
