//! The revocation check of the signing chain (verification.md §5.7), run through
//! [`crate::revocation::Validator`].

use super::{checks, CheckError, SignedFacts, SigningScheme};
use crate::revocation::{final_result, LogLevel, LogLine, Purpose, Status, Validator};
use crate::x509::Certificate;

/// Check the signing chain of `facts`. Without a validator only chains without any
/// revocation information pass (upstream: no validator is an error).
pub async fn check(validator: Option<&Validator>, facts: &SignedFacts) -> Result<(), CheckError> {
    let Some(validator) = validator else {
        return checks::revocation(facts);
    };
    let chain = facts
        .chain
        .iter()
        .map(|c| Certificate::from_der(&c.der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CheckError::RevocationCheck(e.to_string()))?;
    // Invalidity dates are compared with the authentic signing time only (SA scheme).
    let signing_time = match facts.signing_scheme {
        SigningScheme::X509SigningAuthority => facts.authentic_signing_time,
        SigningScheme::X509 => None,
    };
    let results = validator
        .validate(&chain, Purpose::CodeSigning, signing_time)
        .await
        .map_err(|e| CheckError::RevocationCheck(e.to_string()))?;
    let verdict = final_result(&results, &chain);
    validator.record(verdict.log);
    match verdict.status {
        Status::Revoked => Err(CheckError::Revoked(verdict.subject)),
        Status::Unknown => Err(CheckError::RevocationUnknown(verdict.subject)),
        Status::Ok | Status::NonRevokable => {
            validator.record([LogLine {
                level: LogLevel::Debug,
                message: "No verification impacting errors encountered while checking revocation, status is OK".into(),
            }]);
            Ok(())
        }
    }
}

/// Revocation of a TSA chain `[tsa, intermediates…, root]` (verification.md §8.3 step 9),
/// for the timestamp check: the error is upstream's authentic-timestamp failure text.
pub async fn check_timestamping_chain(
    validator: &Validator,
    chain: &[Certificate],
) -> Result<(), String> {
    let results = validator
        .validate(chain, Purpose::Timestamping, None)
        .await
        .map_err(|e| {
            format!("failed to check timestamping certificate chain revocation with error: {e}")
        })?;
    let verdict = final_result(&results, chain);
    validator.record(verdict.log);
    match verdict.status {
        Status::Revoked => Err(format!(
            "timestamping certificate with subject {:?} is revoked",
            verdict.subject
        )),
        Status::Unknown => Err(format!(
            "timestamping certificate with subject {:?} revocation status is unknown",
            verdict.subject
        )),
        Status::Ok | Status::NonRevokable => Ok(()),
    }
}
