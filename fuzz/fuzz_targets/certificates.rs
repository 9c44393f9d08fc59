#![no_main]
//! Fuzz target: see [`notation_fuzz::certificates`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::certificates(data));
