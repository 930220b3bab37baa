#![no_main]
//! Fuzz target `ehlo`: see `embedded_smtp_fuzz::ehlo` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::ehlo(data));
