#![no_main]
//! Fuzz target: see [`notation_fuzz::ocsp`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::ocsp(data));
