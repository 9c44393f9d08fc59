#![no_main]
//! Fuzz target: see [`notation_fuzz::crl`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::crl(data));
