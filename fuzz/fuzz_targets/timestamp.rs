#![no_main]
//! Fuzz target: see [`notation_fuzz::timestamp`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::timestamp(data));
