//! Envelope integrity (verification.md §5.1): the envelope is decoded once into its
//! format's message, then checked in one pass (signature, content rules, payload type)
//! into the facts the trust checks use.

use super::facts::{ChainCert, SignedFacts, SigningScheme};
use super::{cose, jws, EnvelopeContent, EnvelopeError, Format};
use crate::go::fmt::GoQuoted;

/// Why an envelope failed integrity. `Display` texts are notation-go's verifier texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// The signature layer's media type is no envelope format.
    #[error("unable to parse the digital signature, error : signature envelope format with media type {} is not supported", GoQuoted(.0))]
    UnsupportedMediaType(String),
    /// The bytes are not an envelope of the format.
    #[error("unable to parse the digital signature, error : {0}")]
    Malformed(String),
    /// The signature or the content rules failed.
    #[error("{0}")]
    Envelope(EnvelopeError),
    /// The signing scheme is neither of the Notary Project's.
    #[error("signing scheme {} is not supported", GoQuoted(.0))]
    UnsupportedScheme(String),
    /// The envelope carries no certificate.
    #[error("certificate chain is not present")]
    NoCertificateChain,
}

impl From<EnvelopeError> for IntegrityError {
    fn from(e: EnvelopeError) -> IntegrityError {
        match e {
            EnvelopeError::Malformed(m) => IntegrityError::Malformed(m),
            other => IntegrityError::Envelope(other),
        }
    }
}

/// An envelope decoded from its bytes, not yet checked.
pub(crate) enum Decoded {
    Jws(jws::RawEnvelope),
    Cose(cose::Message),
}

impl Decoded {
    /// Decode `bytes` as a `format` envelope.
    pub(crate) fn decode(format: Format, bytes: &[u8]) -> Result<Decoded, EnvelopeError> {
        Ok(match format {
            Format::Jws => Decoded::Jws(jws::decode_envelope(bytes)?),
            Format::Cose => Decoded::Cose(cose::decode_message(bytes)?),
        })
    }

    /// The signature with the leaf key, then every content rule
    /// (signature-format.md §7.6/§8.7, verification.md §5.1 steps 1–3).
    pub(crate) fn verify(&self) -> Result<EnvelopeContent, EnvelopeError> {
        let (content, derived) = match self {
            Decoded::Jws(raw) => (jws::verify_decoded(raw)?, None),
            Decoded::Cose(msg) => {
                let (content, derived) = cose::verify_decoded(msg)?;
                (content, Some(derived))
            }
        };
        super::validate_content(&content, derived)?;
        super::check_content_type(&content)?;
        Ok(content)
    }
}

/// A signature envelope as a signature manifest layer carries it, decoded once.
pub struct Envelope {
    decoded: Decoded,
}

impl Envelope {
    /// Decode `bytes`; `media_type` is the signature manifest layer's media type.
    pub fn decode(media_type: &str, bytes: &[u8]) -> Result<Envelope, IntegrityError> {
        let Some(format) = Format::from_media_type(media_type) else {
            return Err(IntegrityError::UnsupportedMediaType(media_type.to_string()));
        };
        Ok(Envelope {
            decoded: Decoded::decode(format, bytes)?,
        })
    }

    /// The full integrity check (§5.1); its facts when it passes.
    pub fn verify_integrity(&self) -> Result<SignedFacts, IntegrityError> {
        facts(self.decoded.verify()?)
    }
}

/// The trust checks' view of verified content.
fn facts(content: EnvelopeContent) -> Result<SignedFacts, IntegrityError> {
    let signing_scheme = match content.signing_scheme.as_str() {
        "notary.x509" => SigningScheme::X509,
        "notary.x509.signingAuthority" => SigningScheme::X509SigningAuthority,
        other => return Err(IntegrityError::UnsupportedScheme(other.to_string())),
    };
    if content.cert_chain.is_empty() {
        return Err(IntegrityError::NoCertificateChain);
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
