//! What an integrity-verified envelope says, in the form the trust checks use.

use crate::oci::Descriptor;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The Notary Project signing schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningScheme {
    /// `notary.x509`.
    X509,
    /// `notary.x509.signingAuthority`.
    X509SigningAuthority,
}

impl SigningScheme {
    /// The scheme's name as written in envelopes.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningScheme::X509 => "notary.x509",
            SigningScheme::X509SigningAuthority => "notary.x509.signingAuthority",
        }
    }
}

/// One certificate of the signing chain, as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCert {
    /// DER encoding (compared byte for byte with trust-store certificates).
    pub der: Vec<u8>,
    /// The subject as Go's `pkix.Name.String()` prints it.
    pub subject: String,
    /// Start of the validity period.
    pub not_before: OffsetDateTime,
    /// End of the validity period.
    pub not_after: OffsetDateTime,
    /// Whether the certificate names OCSP responders or CRL distribution points.
    pub has_revocation_info: bool,
}

impl ChainCert {
    /// The facts the checks need from a parsed certificate.
    pub fn from_certificate(cert: &crate::x509::Certificate) -> ChainCert {
        ChainCert {
            der: cert.der().to_vec(),
            subject: cert.subject(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            has_revocation_info: cert.has_revocation_info(),
        }
    }
}

/// What an integrity-verified envelope says, in the form the trust checks use.
#[derive(Debug, Clone)]
pub struct SignedFacts {
    /// The scheme the envelope declares.
    pub signing_scheme: SigningScheme,
    /// `[leaf, intermediates…, root]`.
    pub chain: Vec<ChainCert>,
    /// The signature expiry, if any.
    pub expiry: Option<OffsetDateTime>,
    /// The (untrusted) signing time.
    pub signing_time: Option<OffsetDateTime>,
    /// The authentic signing time (signingAuthority scheme only).
    pub authentic_signing_time: Option<OffsetDateTime>,
    /// Whether an RFC 3161 timestamp token is attached.
    pub has_timestamp: bool,
    /// The payload's `targetArtifact`.
    pub target: Descriptor,
    /// The payload's `targetArtifact.annotations` (user metadata).
    pub annotations: BTreeMap<String, String>,
    /// The signature algorithm name (e.g. `RSASSA-PSS-SHA-256`), for reports.
    pub signature_algorithm: String,
    /// The full envelope content, when the integrity layer provides it.
    pub content: Option<Box<super::EnvelopeContent>>,
}

impl SignedFacts {
    /// The leaf certificate's subject.
    pub fn signer_subject(&self) -> &str {
        self.chain.first().map(|c| c.subject.as_str()).unwrap_or("")
    }
}
