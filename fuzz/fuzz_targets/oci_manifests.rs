#![no_main]
//! Fuzz target: see [`notation_fuzz::oci_manifests`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| notation_fuzz::oci_manifests(data));
