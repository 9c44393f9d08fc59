//! Verification of a detached blob signature (notation-go `VerifyBlob`, verification.md
//! §3.6): the per-signature checks of §5 under a blob trust policy statement, then the
//! blob itself is hashed with the signature algorithm's hash and compared with the
//! payload's `targetArtifact` (digest and size; media type only when the user gives one).

use super::{Selected, SignatureRecord, SignedFacts, Step, Verifier, VerifyOptions};
use crate::crypto::SignatureAlgorithm;
use crate::envelope::Format;
use crate::oci::Descriptor;
use crate::policy::{BlobStatement, OciStatement, VerificationLevel};
use std::io::Read;

/// A successful blob verification.
#[derive(Debug, Clone)]
pub struct BlobVerified {
    /// Name of the statement used.
    pub policy: String,
    /// Its effective level.
    pub level: VerificationLevel,
    /// `None` when the level is `skip` (nothing was checked).
    pub signature: Option<(SignatureRecord, SignedFacts)>,
}

/// Why a blob signature was rejected. `Display` is notation-go's error text.
#[derive(Debug, thiserror::Error)]
pub enum BlobVerifyError {
    /// A check failed; the record tells which and why.
    #[error("{}", failure_text(.0))]
    Failed(Box<SignatureRecord>),
    /// The blob could not be read.
    #[error("failed to generate descriptor for given artifact. Error: {0}")]
    Read(#[source] std::io::Error),
}

fn failure_text(record: &SignatureRecord) -> String {
    match &record.failure {
        Some((Step::TargetArtifact, _)) => {
            "integrity check failed. signature does not match the given blob".to_string()
        }
        Some((_, e)) => e.to_string(),
        None => "signature verification failed".to_string(),
    }
}

impl BlobVerifyError {
    /// The trust-store loading error behind a failure, if that is what failed.
    pub fn trust_store_failure(&self) -> Option<&super::TrustStoreFailure> {
        match self {
            BlobVerifyError::Failed(r) => match &r.failure {
                Some((_, super::CheckError::TrustStore(f))) => Some(f),
                _ => None,
            },
            BlobVerifyError::Read(_) => None,
        }
    }
}

/// The statement in the shape the checks take (blob statements have no registry scopes).
pub fn as_oci_statement(statement: &BlobStatement) -> OciStatement {
    OciStatement {
        name: statement.name.clone(),
        registry_scopes: vec![],
        signature_verification: statement.signature_verification.clone(),
        trust_stores: statement.trust_stores.clone(),
        trusted_identities: statement.trusted_identities.clone(),
    }
}

impl Verifier<'_> {
    /// Verify the `format` envelope `signature` over the blob read from `blob` under
    /// `statement`. `media_type` is `--media-type` (`None`: not compared);
    /// `user_metadata` are the `-m` pairs the payload must carry. `self.policy` is not
    /// used: the caller selected the blob statement.
    pub async fn verify_blob<R: Read>(
        &self,
        statement: &BlobStatement,
        format: Format,
        signature: &[u8],
        blob: R,
        media_type: Option<&str>,
        user_metadata: &[(String, String)],
    ) -> Result<BlobVerified, BlobVerifyError> {
        let statement = as_oci_statement(statement);
        let level = statement.level();
        let mut outcome = BlobVerified {
            policy: statement.name.clone(),
            level,
            signature: None,
        };
        if level.is_skip() {
            return Ok(outcome);
        }
        // Integrity first (notation-go checks the envelope before it reads the blob), the
        // envelope decoded and checked once. The blob is then described as the verified envelope says: hashed with its
        // algorithm's hash, with its media type unless the user asked for one. An envelope
        // that fails integrity fails before the description is compared.
        let integrity = self.integrity.verify(format.media_type(), signature);
        let claimed = integrity.as_ref().ok().and_then(|facts| {
            let algorithm = SignatureAlgorithm::from_name(&facts.signature_algorithm)?;
            Some((
                algorithm.hash(),
                media_type.unwrap_or(&facts.target.media_type),
            ))
        });
        let subject = match claimed {
            Some((algorithm, media)) => {
                crate::oci::describe(blob, media, algorithm).map_err(BlobVerifyError::Read)?
            }
            None => Descriptor {
                digest: crate::oci::Digest::sha256(b"").to_string(),
                ..Default::default()
            },
        };
        let opts = VerifyOptions {
            user_metadata: user_metadata.to_vec(),
            ..Default::default()
        };
        let (record, facts) = self
            .evaluate(
                Selected {
                    statement: &statement,
                    level,
                },
                &subject,
                "",
                integrity,
                &opts,
            )
            .await;
        match facts {
            Some(facts) => {
                outcome.signature = Some((record, facts));
                Ok(outcome)
            }
            None => Err(BlobVerifyError::Failed(Box::new(record))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::CheckError;

    fn record(failure: Option<(Step, CheckError)>) -> SignatureRecord {
        SignatureRecord {
            digest: String::new(),
            manifest_media_type: String::new(),
            results: vec![],
            failure,
        }
    }

    #[test]
    fn failure_texts_are_notation_gos() {
        let mismatch = record(Some((
            Step::TargetArtifact,
            CheckError::TargetMismatch {
                payload: Box::default(),
            },
        )));
        assert_eq!(
            BlobVerifyError::Failed(Box::new(mismatch)).to_string(),
            "integrity check failed. signature does not match the given blob"
        );
        let untrusted = record(Some((
            Step::Check(crate::policy::CheckType::Authenticity),
            CheckError::Untrusted,
        )));
        assert_eq!(
            BlobVerifyError::Failed(Box::new(untrusted)).to_string(),
            CheckError::Untrusted.to_string()
        );
    }

    #[test]
    fn statements_keep_their_rules_without_scopes() {
        let blob = BlobStatement {
            name: "b".into(),
            trust_stores: vec!["ca:x".into()],
            trusted_identities: vec!["*".into()],
            global_policy: true,
            ..Default::default()
        };
        let oci = as_oci_statement(&blob);
        assert_eq!(oci.name, "b");
        assert!(oci.registry_scopes.is_empty());
        assert_eq!(oci.trust_stores, blob.trust_stores);
        assert_eq!(oci.trusted_identities, blob.trusted_identities);
    }
}
