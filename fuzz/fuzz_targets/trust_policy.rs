#![no_main]
//! Fuzz target: see [`notation_fuzz::trust_policy`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::trust_policy(data));
