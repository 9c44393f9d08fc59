//! Signature envelopes (JWS and COSE) and the payload they sign.
//!
//! [`sign`] builds an envelope byte-compatible with notation v1.3.2 and runs the
//! post-sign checks; [`verify`] performs the full integrity check notation applies
//! (verification.md §5.1); [`parse`] decodes and validates without the cryptographic
//! check (what `notation inspect` shows).
//!
//! Extended attributes: like notation-go, unknown *critical* extended attributes are
//! accepted here; only a named verification plugin would have to process them
//! (signature-format.md §9). Callers that implement plugin verification check them.

mod cbor;
pub(crate) mod cose;
pub(crate) mod facts;
pub(crate) mod integrity;
pub(crate) mod jws;
pub(crate) mod payload;

pub use facts::{ChainCert, SignedFacts, SigningScheme};
pub use integrity::{Envelope, IntegrityError};

use time::OffsetDateTime;

use crate::crypto::{CryptoError, KeySpec, PrivateKey, SignatureAlgorithm};
use crate::oci::Descriptor;
use crate::x509::{validate_code_signing_chain, Certificate};

/// Signing scheme `notary.x509`.
pub(crate) const SIGNING_SCHEME_X509: &str = "notary.x509";
/// Signing scheme `notary.x509.signingAuthority`.
pub(crate) const SIGNING_SCHEME_SIGNING_AUTHORITY: &str = "notary.x509.signingAuthority";

/// Protected header names shared by both envelopes.
pub mod header {
    /// Signing scheme.
    pub const SIGNING_SCHEME: &str = "io.cncf.notary.signingScheme";
    /// Signing time.
    pub const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
    /// Authentic signing time.
    pub const AUTHENTIC_SIGNING_TIME: &str = "io.cncf.notary.authenticSigningTime";
    /// Expiry.
    pub const EXPIRY: &str = "io.cncf.notary.expiry";
    /// Signing agent (unprotected).
    pub const SIGNING_AGENT: &str = "io.cncf.notary.signingAgent";
    /// Timestamp token (unprotected).
    pub const TIMESTAMP_SIGNATURE: &str = "io.cncf.notary.timestampSignature";
    /// Verification plugin (extended attribute).
    pub const VERIFICATION_PLUGIN: &str = "io.cncf.notary.verificationPlugin";
    /// Verification plugin minimum version (extended attribute).
    pub const VERIFICATION_PLUGIN_MIN_VERSION: &str = "io.cncf.notary.verificationPluginMinVersion";
}

/// The two envelope formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JWS JSON serialization (`application/jose+json`).
    Jws,
    /// COSE_Sign1 (`application/cose`).
    Cose,
}

impl Format {
    /// Format for a signature layer media type.
    pub fn from_media_type(media_type: &str) -> Option<Format> {
        match media_type {
            "application/jose+json" => Some(Format::Jws),
            "application/cose" => Some(Format::Cose),
            _ => None,
        }
    }

    /// The layer media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jws => "application/jose+json",
            Format::Cose => "application/cose",
        }
    }

    /// Format for a `--signature-format` value (`jws` or `cose`, lower case only).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "jws" => Some(Format::Jws),
            "cose" => Some(Format::Cose),
            _ => None,
        }
    }

    /// The `--signature-format` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jws => "jws",
            Format::Cose => "cose",
        }
    }
}

/// Errors from building, parsing or verifying envelopes. Display texts are upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes could not be decoded as the envelope format (Go `ParseEnvelope`
    /// failure); upstream's verifier shows it as
    /// `unable to parse the digital signature, error : <this>`.
    #[error("{0}")]
    Malformed(String),
    /// The cryptographic check failed (Go `SignatureIntegrityError`).
    #[error("signature is invalid. Error: {0}")]
    Integrity(String),
    /// The envelope content breaks a rule (Go `InvalidSignatureError`).
    #[error("{0}")]
    Invalid(String),
    /// The signing request was rejected (invalid times, unsupported key, …).
    #[error("{0}")]
    SignRequest(String),
    /// A crypto failure while signing.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The envelope just built does not verify (notation-go `genericSigner.Sign`, which
    /// checks every signature it makes, a RAW plugin's included).
    #[error("generated signature failed verification: {0}")]
    SelfCheck(Box<EnvelopeError>),
}

/// What to sign.
#[derive(Debug)]
pub struct SignRequest<'a> {
    /// Plain descriptor of the target manifest plus user annotations.
    pub target: &'a Descriptor,
    /// Signing time (truncated to whole seconds when encoded).
    pub signing_time: OffsetDateTime,
    /// Optional expiry (truncated to whole seconds).
    pub expiry: Option<OffsetDateTime>,
    /// Signing agent written to the unprotected header (omitted when empty).
    pub signing_agent: &'a str,
    /// The private key (must match `cert_chain[0]`).
    pub key: &'a PrivateKey,
    /// Certificate chain, leaf first, ending with the root.
    pub cert_chain: &'a [Certificate],
}

/// One extended (non-standard) protected header.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendedAttribute {
    /// Header name (COSE integer labels are rendered in decimal).
    pub key: String,
    /// Value as JSON (COSE byte strings become base64 strings, as Go marshals them).
    pub value: serde_json::Value,
    /// Whether the attribute is listed in `crit`.
    pub critical: bool,
}

/// Everything an envelope says, after decoding.
#[derive(Debug, Clone)]
pub struct EnvelopeContent {
    /// Payload bytes exactly as signed.
    pub payload: Vec<u8>,
    /// `targetArtifact` decoded from the payload.
    pub target_artifact: Descriptor,
    /// Payload content type (`cty` / label 3).
    pub content_type: String,
    /// `notary.x509` or `notary.x509.signingAuthority`.
    pub signing_scheme: String,
    /// Signing time (`notary.x509`), with the UTC offset it was written with.
    pub signing_time: Option<OffsetDateTime>,
    /// Authentic signing time (`notary.x509.signingAuthority`).
    pub authentic_signing_time: Option<OffsetDateTime>,
    /// Expiry, if any.
    pub expiry: Option<OffsetDateTime>,
    /// Extended protected headers, sorted by key.
    pub extended_attributes: Vec<ExtendedAttribute>,
    /// Certificate chain, leaf first.
    pub cert_chain: Vec<Certificate>,
    /// Signing agent, if any.
    pub signing_agent: Option<String>,
    /// RFC 3161 timestamp token bytes, if any.
    pub timestamp_token: Option<Vec<u8>>,
    /// Raw signature bytes (what a timestamp countersigns).
    pub signature: Vec<u8>,
    /// Declared signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
}

impl EnvelopeContent {
    /// The signing time notation uses for this scheme (authentic signing time for
    /// `notary.x509.signingAuthority`).
    pub fn effective_signing_time(&self) -> Option<OffsetDateTime> {
        match self.signing_scheme.as_str() {
            SIGNING_SCHEME_SIGNING_AUTHORITY => self.authentic_signing_time,
            _ => self.signing_time,
        }
    }
}

/// Signs `req` into an envelope of `format` and runs notation's post-sign checks
/// (chain valid at the signing time, code-signing rules, algorithm match, verify back).
pub fn sign(format: Format, req: &SignRequest) -> Result<Vec<u8>, EnvelopeError> {
    sign_with_timestamper(format, req, None)
}

/// A callback that obtains an RFC 3161 token for the raw signature bytes.
pub type Timestamper<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>, String>;

/// Like [`sign`], additionally embedding a timestamp token obtained from `timestamper`
/// for the raw signature bytes (only for `notary.x509`, which is what notation signs).
pub fn sign_with_timestamper(
    format: Format,
    req: &SignRequest,
    timestamper: Option<Timestamper>,
) -> Result<Vec<u8>, EnvelopeError> {
    let leaf = req
        .cert_chain
        .first()
        .ok_or_else(|| EnvelopeError::SignRequest("certificate chain is not set".into()))?;
    let key_spec = KeySpec::from_spki_der(&leaf.spki_der())
        .map_err(|e| EnvelopeError::SignRequest(e.to_string()))?;
    let local = LocalRawSigner {
        key: req.key,
        chain: req.cert_chain,
    };
    sign_raw(
        format,
        &RawSignRequest {
            target: req.target,
            signing_time: req.signing_time,
            expiry: req.expiry,
            signing_agent: req.signing_agent,
            key_spec,
            signer: &local,
        },
        timestamper,
    )
}

/// Produces raw signatures: a local key, or a plugin's `generate-signature`.
pub trait RawSigner {
    /// Sign `signing_input` (the exact bytes, not a digest) and return the signature with
    /// the certificate chain to embed (leaf first).
    fn sign(&self, signing_input: &[u8]) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError>;
}

struct LocalRawSigner<'a> {
    key: &'a PrivateKey,
    chain: &'a [Certificate],
}

impl RawSigner for LocalRawSigner<'_> {
    fn sign(&self, signing_input: &[u8]) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError> {
        Ok((self.key.sign(signing_input)?, self.chain.to_vec()))
    }
}

/// What to sign with a [`RawSigner`] whose key spec is known up front.
pub struct RawSignRequest<'a> {
    /// Plain descriptor of the target manifest plus user annotations.
    pub target: &'a Descriptor,
    /// Signing time (truncated to whole seconds when encoded).
    pub signing_time: OffsetDateTime,
    /// Optional expiry (truncated to whole seconds).
    pub expiry: Option<OffsetDateTime>,
    /// Signing agent written to the unprotected header (omitted when empty).
    pub signing_agent: &'a str,
    /// The key spec; decides the signature algorithm.
    pub key_spec: KeySpec,
    /// Who signs.
    pub signer: &'a dyn RawSigner,
}

/// Build an envelope whose signature comes from `req.signer`, then run notation's
/// post-sign checks on the returned chain (valid at the signing time, code-signing rules,
/// leaf algorithm equals the key spec's) and verify it back (notation-core-go `Sign`).
pub fn sign_raw(
    format: Format,
    req: &RawSignRequest,
    timestamper: Option<Timestamper>,
) -> Result<Vec<u8>, EnvelopeError> {
    let signing_time = truncate(req.signing_time);
    let expiry = req.expiry.map(truncate);
    if let Some(exp) = expiry {
        if exp <= signing_time {
            return Err(EnvelopeError::Invalid(
                "expiry cannot be equal or before the signing time".into(),
            ));
        }
    }
    let params = SignParams {
        payload_target: req.target,
        signing_time,
        expiry,
        signing_agent: req.signing_agent,
        signer: req.signer,
        algorithm: req.key_spec.signature_algorithm(),
        timestamper,
    };
    let (bytes, chain) = match format {
        Format::Jws => jws::sign(&params)?,
        Format::Cose => cose::sign(&params)?,
    };
    validate_chain_and_algorithm(&chain, Some(signing_time), params.algorithm, None)?;
    let content = verify(format, &bytes).map_err(|e| EnvelopeError::SelfCheck(Box::new(e)))?;
    check_content_type(&content)?;
    Ok(bytes)
}

/// Inputs shared by both encoders.
pub(crate) struct SignParams<'a> {
    pub payload_target: &'a Descriptor,
    pub signing_time: OffsetDateTime,
    pub expiry: Option<OffsetDateTime>,
    pub signing_agent: &'a str,
    pub signer: &'a dyn RawSigner,
    pub algorithm: SignatureAlgorithm,
    pub timestamper: Option<Timestamper<'a>>,
}

fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Decodes and cryptographically verifies an envelope, then applies every integrity
/// rule (signature-format.md §7.6/§8.7, verification.md §5.1 steps 1–3).
pub fn verify(format: Format, bytes: &[u8]) -> Result<EnvelopeContent, EnvelopeError> {
    integrity::Decoded::decode(format, bytes)?.verify()
}

/// Decodes an envelope and validates its content without checking the signature value
/// (notation-core-go `Content()`), for `inspect`.
pub fn parse(format: Format, bytes: &[u8]) -> Result<EnvelopeContent, EnvelopeError> {
    let content = match format {
        Format::Jws => jws::parse(bytes)?,
        Format::Cose => cose::parse(bytes)?,
    };
    validate_content(&content, None)?;
    Ok(content)
}

/// notation-core-go `validateEnvelopeContent`; `derived` is the algorithm of the leaf key
/// when the caller has derived it already.
pub(crate) fn validate_content(
    content: &EnvelopeContent,
    derived: Option<SignatureAlgorithm>,
) -> Result<(), EnvelopeError> {
    if content.payload.is_empty() {
        return Err(EnvelopeError::Invalid("content not present".into()));
    }
    if content.signature.is_empty() {
        return Err(EnvelopeError::Invalid(
            "signature not present or is empty".into(),
        ));
    }
    let signing_time = content
        .effective_signing_time()
        .filter(|t| !is_go_zero_time(*t))
        .ok_or_else(|| EnvelopeError::Invalid("signing-time not present".into()))?;
    if let Some(expiry) = content.expiry.filter(|t| !is_go_zero_time(*t)) {
        if expiry <= signing_time {
            return Err(EnvelopeError::Invalid(
                "expiry cannot be equal or before the signing time".into(),
            ));
        }
    }
    validate_chain_and_algorithm(
        &content.cert_chain,
        None,
        content.signature_algorithm,
        derived,
    )
}

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) means "absent".
fn is_go_zero_time(t: OffsetDateTime) -> bool {
    t.to_offset(time::UtcOffset::UTC) == time::macros::datetime!(0001-01-01 00:00:00 UTC)
}

/// notation-core-go `validateCertificateChain`; `derived` as for [`validate_content`].
fn validate_chain_and_algorithm(
    chain: &[Certificate],
    signing_time: Option<OffsetDateTime>,
    declared: SignatureAlgorithm,
    derived: Option<SignatureAlgorithm>,
) -> Result<(), EnvelopeError> {
    if chain.is_empty() {
        return Err(EnvelopeError::Invalid(
            "certificate-chain not present or is empty".into(),
        ));
    }
    validate_code_signing_chain(chain, signing_time)
        .map_err(|e| EnvelopeError::Invalid(format!("certificate-chain is invalid, {e}")))?;
    let derived = match derived {
        Some(d) => d,
        None => KeySpec::from_spki_der(&chain[0].spki_der())
            .map_err(|e| EnvelopeError::Invalid(e.to_string()))?
            .signature_algorithm(),
    };
    if derived != declared {
        return Err(EnvelopeError::Invalid(format!(
            "mismatch between signature algorithm derived from signing certificate ({}) and signing algorithm specified ({})",
            derived.name(),
            declared.name()
        )));
    }
    Ok(())
}

/// notation-go requires the Notary payload content type.
pub(crate) fn check_content_type(content: &EnvelopeContent) -> Result<(), EnvelopeError> {
    if content.content_type != payload::CONTENT_TYPE {
        return Err(EnvelopeError::Invalid(format!(
            "payload content type {:?} not supported",
            content.content_type
        )));
    }
    Ok(())
}

/// Checks the scheme-dependent presence rules shared by both formats and returns
/// the error text notation-core-go uses.
pub(crate) fn unsupported_scheme(scheme: &str) -> EnvelopeError {
    EnvelopeError::Invalid(format!("unsupported SigningScheme: `{scheme}`"))
}

#[cfg(test)]
mod tests;
