//! Signing and verification primitives: private keys, public keys, algorithms.
