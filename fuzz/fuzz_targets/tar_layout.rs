#![no_main]
//! Fuzz target: see [`notation_fuzz::tar_layout`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::tar_layout(data));
