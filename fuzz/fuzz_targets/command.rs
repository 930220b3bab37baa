#![no_main]
//! Fuzz target `command`: see `embedded_smtp_fuzz::command` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::command(data));
