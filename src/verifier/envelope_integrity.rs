//! Envelope integrity (verification.md §5.1) through [`crate::envelope::Envelope`].

use super::{Integrity, IntegrityError, SignedFacts};
use crate::envelope::integrity::Envelope;

/// Verifies JWS and COSE envelopes with `crate::envelope`.
pub struct EnvelopeIntegrity;

impl Integrity for EnvelopeIntegrity {
    fn verify(&self, media_type: &str, bytes: &[u8]) -> Result<SignedFacts, IntegrityError> {
        Envelope::decode(media_type, bytes)?.verify_integrity()
    }
}
