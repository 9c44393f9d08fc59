//! Verification of signatures against a trust policy (verification.md §4–§7).
//!
//! [`Verifier::verify`] talks to the store only through [`Target`]: it selects the policy statement
//! for `<scope>@<digest>`, lists the artifact's signatures and evaluates them one by one
//! until one passes. Envelope integrity is delegated to an [`Integrity`] implementation
//! (the envelope module's, [`envelope_integrity::EnvelopeIntegrity`]); trust stores come
//! from [`TrustStores`]. Each check of §5 is one function giving one result, and the
//! statement's level turns its failures into fail / log / skip.

pub(crate) mod blob;
pub(crate) mod checks;
pub mod envelope_integrity;
mod evaluate;
pub mod plugin;
pub(crate) mod revocation;
pub mod stores;
pub(crate) mod timestamp;

pub use crate::envelope::facts::{ChainCert, SignedFacts, SigningScheme};
pub use crate::envelope::integrity::IntegrityError;
pub use blob::{BlobVerified, BlobVerifyError};
pub use checks::CheckError;

use crate::go::fmt::GoQuoted;
use crate::oci::Descriptor;
use crate::policy::{Action, CheckType, OciDocument, OciStatement, ScopeError, VerificationLevel};
use crate::target::{Target, TargetError};
use std::fmt;
use time::OffsetDateTime;

/// Default of `--max-signatures`.
pub const DEFAULT_MAX_SIGNATURES: usize = 100;

/// Verifies an envelope's integrity (§5.1) and extracts its facts.
pub trait Integrity: Send + Sync {
    /// `media_type` is the signature manifest layer's media type.
    fn verify(&self, media_type: &str, envelope: &[u8]) -> Result<SignedFacts, IntegrityError>;
}

/// A trust store could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustStoreFailure {
    /// The error as upstream's library reports it (used in logs and warnings).
    pub message: String,
    /// Whether the store or a file of it does not exist (upstream's error wraps
    /// `fs.ErrNotExist`).
    pub not_exist: bool,
    /// Upstream's inner error text, if any.
    pub inner: Option<String>,
}

/// Loads the certificates (DER) of a named trust store.
pub trait TrustStores: Send + Sync {
    /// The DER certificates of the store `store_type:name`.
    fn load(&self, store_type: &str, name: &str) -> Result<Vec<Vec<u8>>, TrustStoreFailure>;
}

/// Options of one verification.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Stop after this many signatures (> 0).
    pub max_signatures: usize,
    /// `-m key=value` pairs that the signature must carry.
    pub user_metadata: Vec<(String, String)>,
    /// Resolve the subject by digest once more before listing its signatures, as
    /// notation-go's Verify does (one request that a single `verify` keeps so that its
    /// requests and `-d` trace are Go's; verifying many references skips it).
    pub resolve_again: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_signatures: DEFAULT_MAX_SIGNATURES,
            user_metadata: vec![],
            resolve_again: true,
        }
    }
}

/// Which step failed for a signature: a policy check, or the binding steps after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A check of the trust policy.
    Check(CheckType),
    /// The payload names another artifact.
    TargetArtifact,
    /// A `-m` pair is missing.
    UserMetadata,
    /// The verification plugin the envelope names is unusable or inconclusive.
    VerificationPlugin,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Step::Check(c) => f.write_str(c.as_str()),
            Step::TargetArtifact => f.write_str("targetArtifact"),
            Step::UserMetadata => f.write_str("userMetadata"),
            Step::VerificationPlugin => f.write_str("verificationPlugin"),
        }
    }
}

/// The result of one check for one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check.
    pub check: CheckType,
    /// The action the level assigns (a `skip` check was not run).
    pub action: Action,
    /// The failure, if the check ran and failed.
    pub error: Option<CheckError>,
}

/// One signature that was evaluated.
#[derive(Debug, Clone)]
pub struct SignatureRecord {
    /// Digest of the signature manifest.
    pub digest: String,
    /// Media type of the signature manifest.
    pub manifest_media_type: String,
    /// The checks that ran, in order.
    pub results: Vec<CheckResult>,
    /// Why it failed (`None` for the one that passed).
    pub failure: Option<(Step, CheckError)>,
}

/// A successful verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Digest of the signature manifest that passed.
    pub signature_digest: String,
    /// The envelope's facts.
    pub facts: SignedFacts,
    /// Every signature evaluated, in order; the last one passed.
    pub records: Vec<SignatureRecord>,
}

impl Verified {
    /// The checks of the passing signature that failed with action `log`.
    pub fn logged_failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.records
            .last()
            .into_iter()
            .flat_map(|r| r.results.iter())
            .filter(|r| r.action == Action::Log && r.error.is_some())
    }
}

/// What [`Verifier::verify`] concluded.
#[derive(Debug, Clone)]
pub struct VerificationOutcome {
    /// Name of the policy statement used.
    pub policy: String,
    /// Its effective level.
    pub level: VerificationLevel,
    /// `None` when the level is `skip` (nothing was fetched).
    pub verified: Option<Verified>,
}

/// Why verification failed. `Display` texts are notation-go's library errors (the CLI adds
/// its own prefixes).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The policy reference is unusable or no statement applies.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(
        "no signature is associated with {}, make sure the artifact was signed successfully", GoQuoted(.0)
    )]
    /// No signature is associated with the reference.
    NoSignature(String),
    /// Listing signatures failed.
    #[error("{0}")]
    List(#[source] TargetError),
    /// A signature manifest or envelope could not be fetched: aborts verification.
    #[error("unable to retrieve digital signature with digest {} associated with {} from the Repository, error : {source}", GoQuoted(.digest), GoQuoted(.reference))]
    Fetch {
        /// The signature manifest's digest.
        digest: String,
        /// Media type of the signature manifest that could not be fetched.
        manifest_media_type: String,
        /// The reference verified.
        reference: String,
        #[source]
        /// The fetch failure.
        source: TargetError,
        /// The signatures evaluated before this one.
        records: Vec<SignatureRecord>,
    },
    /// Every signature tried failed (or the `--max-signatures` limit was reached first).
    #[error("{}", match limit { Some(n) => format!("signature evaluation stopped. The configured limit of {n} signatures to verify per artifact exceeded"), None => "signature verification failed".to_string() })]
    Failed {
        /// The signatures evaluated.
        records: Vec<SignatureRecord>,
        /// The `--max-signatures` limit, when it stopped the evaluation.
        limit: Option<usize>,
    },
}

impl VerifyError {
    /// The first trust-store loading error among the failures, if any.
    pub fn trust_store_failure(&self) -> Option<&TrustStoreFailure> {
        let VerifyError::Failed { records, .. } = self else {
            return None;
        };
        records.iter().find_map(|r| match &r.failure {
            Some((_, CheckError::TrustStore(f))) => Some(f),
            _ => None,
        })
    }
}

/// Everything the verifier needs besides the target.
pub struct Verifier<'a> {
    /// The trust policy.
    pub policy: &'a OciDocument,
    /// The trust stores it names.
    pub stores: &'a dyn TrustStores,
    /// The envelope integrity check.
    pub integrity: &'a dyn Integrity,
    /// Network revocation checking; `None` accepts only chains without revocation info.
    pub revocation: Option<&'a crate::revocation::Validator>,
    /// The verification time.
    pub now: OffsetDateTime,
    /// Where to find verification plugins; `None` uses no `--plugin-config` and an
    /// empty plugin directory path.
    pub plugins: Option<&'a plugin::VerificationPlugins>,
}

/// The trust-policy statement that applies to an artifact and its effective level,
/// selected once (notation-go `SkipVerify`); the verification and its report both use it.
#[derive(Debug, Clone, Copy)]
pub struct Selected<'p> {
    /// The statement.
    pub statement: &'p OciStatement,
    /// Its effective level.
    pub level: VerificationLevel,
}

impl<'p> Selected<'p> {
    /// The statement of `policy` that applies to `policy_ref` (`<scope>@<digest>`).
    pub fn new(policy: &'p OciDocument, policy_ref: &str) -> Result<Selected<'p>, ScopeError> {
        let statement = policy.applicable(policy_ref)?;
        Ok(Selected {
            statement,
            level: statement.level(),
        })
    }
}

/// [`Selected::new`], logged as notation-go's `Verify` and `SkipVerify` log it.
pub fn select<'p>(policy: &'p OciDocument, policy_ref: &str) -> Result<Selected<'p>, ScopeError> {
    log::info!("Checking whether signature verification should be skipped or not");
    log::debug!("Check verification level against artifact {policy_ref}");
    let selected = Selected::new(policy, policy_ref)?;
    log::info!(
        "Trust policy configuration: {}",
        selected.statement.go_debug()
    );
    if selected.level.is_skip() {
        log::debug!("Skipping signature verification");
        log::info!("Signature verification skipped for {policy_ref}");
    } else {
        log::info!(
            "Check over. The signature verification level is not set to 'skip' in the trust policy."
        );
    }
    Ok(selected)
}

impl Verifier<'_> {
    /// Verify `subject` (already resolved in `target`) under the statement that applies to
    /// `policy_ref` (`<scope>@<digest>`), per verification.md §4.
    pub async fn verify(
        &self,
        target: &dyn Target,
        subject: &Descriptor,
        policy_ref: &str,
        opts: &VerifyOptions,
    ) -> Result<VerificationOutcome, VerifyError> {
        let selected = Selected::new(self.policy, policy_ref)?;
        self.verify_selected(target, subject, policy_ref, selected, opts)
            .await
    }

    /// [`Verifier::verify`] under a statement already selected (see [`select`]).
    pub async fn verify_selected(
        &self,
        target: &dyn Target,
        subject: &Descriptor,
        policy_ref: &str,
        selected: Selected<'_>,
        opts: &VerifyOptions,
    ) -> Result<VerificationOutcome, VerifyError> {
        let mut outcome = VerificationOutcome {
            policy: selected.statement.name.clone(),
            level: selected.level,
            verified: None,
        };
        if selected.level.is_skip() {
            return Ok(outcome);
        }
        if opts.resolve_again {
            target
                .resolve(&subject.digest)
                .await
                .map_err(VerifyError::List)?;
        }
        outcome.verified = Some(
            self.first_good_signature(target, subject, policy_ref, selected, opts)
                .await?,
        );
        Ok(outcome)
    }

    /// Evaluate the signatures one by one, in Go's order, until one passes (§4).
    async fn first_good_signature(
        &self,
        target: &dyn Target,
        subject: &Descriptor,
        policy_ref: &str,
        selected: Selected<'_>,
        opts: &VerifyOptions,
    ) -> Result<Verified, VerifyError> {
        log::debug!("Fetching signature manifests");
        let mut records = Vec::new();
        // Page by page, fetched ahead (a registry's round trips overlap), consumed in Go's
        // order; no page is read past a good signature, as Go's ListSignatures callback.
        let mut candidates = crate::target::prefetch::PagedPrefetch::new(
            target.signature_pages(subject),
            move |m| {
                Box::pin(async move {
                    let fetched = target.fetch_signature(&m).await?;
                    Ok((fetched.blob.media_type, fetched.envelope))
                })
            },
            target.fetch_concurrency(),
            opts.max_signatures,
        );
        let mut processed = 0;
        loop {
            // Before the next page is read, as Go: at the limit, no more requests.
            if processed >= opts.max_signatures {
                return Err(VerifyError::Failed {
                    records,
                    limit: Some(opts.max_signatures),
                });
            }
            let Some(manifest) = candidates.next().await.map_err(VerifyError::List)? else {
                break;
            };
            processed += 1;
            log::info!(
                "Processing signature with manifest mediaType: {} and digest: {}",
                manifest.media_type,
                manifest.digest
            );
            let (media_type, envelope) =
                match candidates.content().await.expect("one fetch per candidate") {
                    Ok(fetched) => fetched,
                    Err(source) => {
                        return Err(VerifyError::Fetch {
                            digest: manifest.digest.clone(),
                            manifest_media_type: manifest.media_type.clone(),
                            reference: policy_ref.to_string(),
                            source,
                            records,
                        })
                    }
                };
            let envelope = Fetched {
                manifest: &manifest,
                media_type: &media_type,
                bytes: &envelope,
            };
            let (record, facts) = self
                .signature(selected, subject, policy_ref, envelope, opts)
                .await;
            records.push(record);
            if let Some(facts) = facts {
                return Ok(Verified {
                    signature_digest: manifest.digest.clone(),
                    facts,
                    records,
                });
            }
        }
        if processed == 0 {
            return Err(VerifyError::NoSignature(policy_ref.to_string()));
        }
        log::debug!(
            "Signature verification failed for all the signatures associated with artifact {}",
            subject.digest
        );
        Err(VerifyError::Failed {
            records,
            limit: None,
        })
    }

    /// Evaluate one fetched signature of `subject`, logged as notation-go's `Verify` logs it.
    async fn signature(
        &self,
        selected: Selected<'_>,
        subject: &Descriptor,
        policy_ref: &str,
        envelope: Fetched<'_>,
        opts: &VerifyOptions,
    ) -> (SignatureRecord, Option<SignedFacts>) {
        let manifest = envelope.manifest;
        log::debug!(
            "Verify signature against artifact {} referenced as {policy_ref} in signature media type {}",
            subject.digest,
            envelope.media_type
        );
        log::info!(
            "Trust policy configuration: {}",
            selected.statement.go_debug()
        );
        let integrity = self.integrity.verify(envelope.media_type, envelope.bytes);
        let (mut record, facts) = self
            .evaluate(selected, subject, &manifest.digest, integrity, opts)
            .await;
        record.manifest_media_type = manifest.media_type.clone();
        match &record.failure {
            Some((_, err)) => log::warn!(
                "Signature {} failed verification with error: {err}",
                manifest.digest
            ),
            None => log::debug!(
                "Signature verification succeeded for artifact {} with signature digest {}",
                subject.digest,
                manifest.digest
            ),
        }
        (record, facts)
    }
}

/// Where a fetched signature came from and what it holds.
#[derive(Clone, Copy)]
struct Fetched<'f> {
    manifest: &'f Descriptor,
    media_type: &'f str,
    bytes: &'f [u8],
}

#[cfg(test)]
mod tests;
