//! Envelope integrity (verification.md §5.1) through [`crate::envelope::verify`].

use super::{ChainCert, Integrity, SignedFacts, SigningScheme};
use crate::envelope::{self, EnvelopeContent, Format};
use crate::go::fmt::GoQuoted;

/// Verifies JWS and COSE envelopes with `crate::envelope`.
pub struct EnvelopeIntegrity;

impl Integrity for EnvelopeIntegrity {
    fn verify(&self, media_type: &str, bytes: &[u8]) -> Result<SignedFacts, String> {
        let Some(format) = Format::from_media_type(media_type) else {
            return Err(format!(
                "unable to parse the digital signature, error : signature envelope format with media type {} is not supported",
                GoQuoted(&media_type)
            ));
        };
        let content = envelope::verify(format, bytes).map_err(|e| match e {
            envelope::EnvelopeError::Malformed(m) => {
                format!("unable to parse the digital signature, error : {m}")
            }
            other => other.to_string(),
        })?;
        facts(content)
    }
}

fn facts(content: EnvelopeContent) -> Result<SignedFacts, String> {
    let signing_scheme = match content.signing_scheme.as_str() {
        "notary.x509" => SigningScheme::X509,
        "notary.x509.signingAuthority" => SigningScheme::X509SigningAuthority,
        other => {
            return Err(format!(
                "signing scheme {} is not supported",
                GoQuoted(&other)
            ))
        }
    };
    if content.cert_chain.is_empty() {
        return Err("certificate chain is not present".into());
    }
    Ok(SignedFacts {
        signing_scheme,
        chain: content
            .cert_chain
            .iter()
            .map(ChainCert::from_certificate)
            .collect(),
        expiry: content.expiry,
        signing_time: content.signing_time,
        authentic_signing_time: content.authentic_signing_time,
        has_timestamp: content
            .timestamp_token
            .as_ref()
            .is_some_and(|t| !t.is_empty()),
        annotations: content
            .target_artifact
            .annotations
            .clone()
            .unwrap_or_default(),
        target: content.target_artifact.clone(),
        signature_algorithm: content.signature_algorithm.name().to_string(),
        content: Some(Box::new(content)),
    })
}
