#![no_main]
//! Fuzz target `differential`: see `embedded_smtp_fuzz::differential` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::differential::differential(data));
