#![no_main]
//! Fuzz target `message`: see `embedded_smtp_fuzz::message` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::message(data));
