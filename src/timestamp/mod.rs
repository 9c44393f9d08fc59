//! RFC 3161 trusted timestamps (verification.md §8): requesting a token for a signature
//! when signing, parsing and verifying tokens when verifying or inspecting.
//!
//! Revocation of the TSA chain is checked here when signing ([`Tsa::revocation`]) and by
//! `verifier::timestamp::check` when verifying.

pub(crate) mod asn1;
mod ber;
pub(crate) mod request;
pub(crate) mod token;

use std::sync::Arc;
use std::time::Duration;

use der::asn1::ObjectIdentifier;
use time::OffsetDateTime;

use crate::crypto::SignatureAlgorithm;
use crate::revocation::Validator;
use crate::x509::{validate_timestamping_chain, Certificate, ChainError};

pub use request::Request;
pub use token::{SignedToken, Timestamp, TstInfoView};

/// HTTP timeout of a TSA request (notation's CLI uses 15 s).
pub(crate) const TSA_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a timestamp could not be obtained or verified. Display texts are tspclient-go's and
/// notation-core-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The token is not a CMS `SignedData` over a `TSTInfo` (`ParseSignedToken`).
    #[error("{0}")]
    Parse(String),
    /// The `TSTInfo` could not be decoded (`Info`).
    #[error("{0}")]
    Info(String),
    /// The `TSTInfo` is invalid or does not cover the message (`TSTInfo.Validate`).
    #[error("{0}")]
    TstInfo(String),
    /// The token's signature or TSA chain did not verify (`SignedToken.Verify`).
    #[error("{0}")]
    Verify(String),
    /// The TSA chain breaks the timestamping certificate rules.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The request could not be built.
    #[error("{0}")]
    Request(String),
    /// The TSA answered, but not with a usable response (`Response.Validate`).
    #[error("{0}")]
    Response(String),
    /// The HTTP exchange failed.
    #[error("{0}")]
    Http(String),
    /// The TSA chain is revoked or its status unknown (signing side).
    #[error("{0}")]
    Revocation(String),
}

/// The hash algorithms a message imprint may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The hash notation uses for a signature algorithm's timestamp request.
    pub fn for_signature(alg: SignatureAlgorithm) -> Hash {
        match alg.hash() {
            crate::oci::DigestAlgorithm::Sha256 => Hash::Sha256,
            crate::oci::DigestAlgorithm::Sha384 => Hash::Sha384,
            crate::oci::DigestAlgorithm::Sha512 => Hash::Sha512,
        }
    }

    /// The algorithm OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Hash::Sha256 => ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
            Hash::Sha384 => ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2"),
            Hash::Sha512 => ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3"),
        }
    }

    /// SHA-256/384/512 by OID.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        [Hash::Sha256, Hash::Sha384, Hash::Sha512]
            .into_iter()
            .find(|h| h.oid() == *oid)
    }

    /// Digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Hash::Sha256 => &aws_lc_rs::digest::SHA256,
            Hash::Sha384 => &aws_lc_rs::digest::SHA384,
            Hash::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
    }
}

/// A TSA to timestamp signatures with, trusted through a single root certificate.
#[derive(Clone)]
pub struct Tsa {
    /// The TSA URL (http or https).
    pub url: String,
    /// The only trust anchor for its tokens (`--timestamp-root-cert`).
    pub root: Certificate,
    /// Checks the TSA chain's revocation after timestamping; without it a TSA chain
    /// carrying revocation information is refused.
    pub revocation: Option<Arc<Validator>>,
}

impl std::fmt::Debug for Tsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsa")
            .field("url", &self.url)
            .field("root", &self.root)
            .field("revocation", &self.revocation.is_some())
            .finish()
    }
}

/// A token obtained and verified at signing time.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// The `TimeStampToken` bytes exactly as the TSA sent them.
    pub token: Vec<u8>,
    /// The verified TSA chain `[signing cert, …, root]`, for the revocation check.
    pub tsa_chain: Vec<Certificate>,
}

impl Tsa {
    /// notation-core-go `internal/timestamp.Timestamp`: request a token over `signature`,
    /// validate the response, verify the token against the root now, validate the TSA
    /// chain and check its revocation.
    pub async fn timestamp(&self, signature: &[u8], hash: Hash) -> Result<Stamped, TimestampError> {
        let tls = crate::tls::client_config(Vec::new())
            .map_err(|e| TimestampError::Http(e.to_string()))?;
        let client = reqwest::Client::builder()
            .timeout(TSA_TIMEOUT)
            .user_agent(crate::version::user_agent())
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| TimestampError::Http(e.to_string()))?;
        let request = Request::new(signature, hash)?;
        let token = request.send(&client, &self.url).await?;
        let tsa_chain = verify_at(
            &token,
            std::slice::from_ref(&self.root),
            OffsetDateTime::now_utc(),
        )?;
        self.check_revocation(&tsa_chain).await?;
        Ok(Stamped { token, tsa_chain })
    }

    /// §8.1 step 5: any revoked or unknown TSA certificate aborts signing.
    async fn check_revocation(&self, chain: &[Certificate]) -> Result<(), TimestampError> {
        let after = |e: crate::revocation::TsaRevocationError| {
            TimestampError::Revocation(format!("after timestamping: {e}"))
        };
        // notation's signer does not log the TSA chain's revocation details.
        crate::revocation::check_timestamping_chain(self.revocation.as_deref(), chain)
            .await
            .0
            .map_err(after)
    }
}

/// Parse `token`, verify it against `roots` at `at` and validate the TSA chain (§6.2).
pub(crate) fn verify_at(
    token: &[u8],
    roots: &[Certificate],
    at: OffsetDateTime,
) -> Result<Vec<Certificate>, TimestampError> {
    let signed = SignedToken::parse(token)?;
    let chain = signed.verify(roots, at)?;
    validate_timestamping_chain(&chain)?;
    Ok(chain)
}
