#![no_main]
//! Fuzz target `bdat`: see `embedded_smtp_fuzz::bdat` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::bdat(data));
