#![no_main]
//! Fuzz target `line_framer`: see `embedded_smtp_fuzz::line_framer` for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| embedded_smtp_fuzz::line_framer(data));
