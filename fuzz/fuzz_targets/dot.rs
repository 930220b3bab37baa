#![no_main]
//! Fuzz target `dot`: see `embedded_smtp_fuzz::dot` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::dot(data));
