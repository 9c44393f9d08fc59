#![no_main]
//! Fuzz target: see [`notation_fuzz::cose`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::cose(data));
