//! Envelope integrity (verification.md §5.1) through `crate::envelope`.
//!
//! Not wired yet: JWS/COSE verification lands with the `envelope` branch; until then every
//! envelope fails integrity with an explicit error.

use super::{Integrity, SignedFacts};

/// Verifies JWS and COSE envelopes.
pub struct EnvelopeIntegrity;

impl Integrity for EnvelopeIntegrity {
    fn verify(&self, media_type: &str, _envelope: &[u8]) -> Result<SignedFacts, String> {
        Err(format!(
            "unable to verify the {media_type} envelope: envelope support is not built in yet"
        ))
    }
}
