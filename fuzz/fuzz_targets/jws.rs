#![no_main]
//! Fuzz target: see [`notation_fuzz::jws`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::jws(data));
