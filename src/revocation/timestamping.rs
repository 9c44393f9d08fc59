//! Revocation of a TSA chain, the same for signing (after timestamping) and verification.

use super::{final_result, LogLine, Purpose, Status, Validator};
use crate::go::fmt::GoQuoted;
use crate::x509::Certificate;

/// Why a TSA chain failed its revocation check; texts are notation-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaRevocationError {
    /// No validator, and the chain has revocation information.
    #[error("failed to check timestamping certificate chain revocation with error: timestamping revocation validator cannot be nil")]
    NoValidator,
    /// The chain could not be checked at all.
    #[error("failed to check timestamping certificate chain revocation with error: {0}")]
    Check(String),
    /// A certificate (named by subject) is revoked.
    #[error("timestamping certificate with subject {} is revoked", GoQuoted(.0))]
    Revoked(String),
    /// A certificate's (named by subject) status is unknown.
    #[error("timestamping certificate with subject {} revocation status is unknown", GoQuoted(.0))]
    Unknown(String),
}

/// Revocation of a TSA chain `[tsa, intermediates…, root]` (verification.md §8.3 step 9),
/// for the timestamp check: the error is upstream's authentic-timestamp failure text.
/// Returns the verdict's log lines too (verification logs them, signing does not).
/// Without a validator only chains whose non-root certificates carry no revocation
/// information pass (upstream: a nil validator is an error).
pub async fn check_timestamping_chain(
    validator: Option<&Validator>,
    chain: &[Certificate],
) -> (Result<(), TsaRevocationError>, Vec<LogLine>) {
    let Some(validator) = validator else {
        let non_root = chain.len().saturating_sub(1);
        if chain[..non_root]
            .iter()
            .any(Certificate::has_revocation_info)
        {
            return (Err(TsaRevocationError::NoValidator), vec![]);
        }
        return (Ok(()), vec![]);
    };
    let results = match validator.validate(chain, Purpose::Timestamping, None).await {
        Ok(r) => r,
        Err(e) => return (Err(TsaRevocationError::Check(e.to_string())), vec![]),
    };
    let verdict = final_result(&results, chain);
    let result = match verdict.status {
        Status::Revoked => Err(TsaRevocationError::Revoked(verdict.subject)),
        Status::Unknown => Err(TsaRevocationError::Unknown(verdict.subject)),
        Status::Ok | Status::NonRevokable => Ok(()),
    };
    (result, verdict.log)
}
