#![no_main]
//! Fuzz target `proxy`: see `embedded_smtp_fuzz::proxy` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::proxy(data));
