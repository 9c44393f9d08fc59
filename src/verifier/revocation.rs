//! The revocation check of the signing chain (verification.md §5.7), run through
//! [`crate::revocation::Validator`].

use super::{checks, CheckError, SignedFacts, SigningScheme};
use crate::revocation::{final_result, LogLevel, LogLine, Purpose, Status, Validator};
use crate::x509::Certificate;

/// Check the signing chain of `facts`; also returns the check's log lines. Without a
/// validator only chains without any revocation information pass (upstream: no validator
/// is an error).
pub async fn check(
    validator: Option<&Validator>,
    facts: &SignedFacts,
) -> (Result<(), CheckError>, Vec<LogLine>) {
    let Some(validator) = validator else {
        return (checks::revocation(facts), vec![]);
    };
    let chain = match facts
        .chain
        .iter()
        .map(|c| Certificate::from_der(&c.der))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(c) => c,
        Err(e) => return (Err(CheckError::RevocationCheck(e.to_string())), vec![]),
    };
    // Invalidity dates are compared with the authentic signing time only (SA scheme).
    let signing_time = match facts.signing_scheme {
        SigningScheme::X509SigningAuthority => facts.authentic_signing_time,
        SigningScheme::X509 => None,
    };
    let validated = validator
        .validate(&chain, Purpose::CodeSigning, signing_time)
        .await;
    let mut log = Vec::new();
    let results = match validated {
        Ok(r) => r,
        Err(e) => {
            log.push(LogLine {
                level: LogLevel::Debug,
                message: format!("Error while checking revocation status, err: {e}"),
            });
            return (Err(CheckError::RevocationCheck(e.to_string())), log);
        }
    };
    let verdict = final_result(&results, &chain);
    log.extend(verdict.log);
    let result = match verdict.status {
        Status::Revoked => Err(CheckError::Revoked(verdict.subject)),
        Status::Unknown => Err(CheckError::RevocationUnknown(verdict.subject)),
        Status::Ok | Status::NonRevokable => {
            log.push(LogLine {
                level: LogLevel::Debug,
                message: "No verification impacting errors encountered while checking revocation, status is OK".into(),
            });
            Ok(())
        }
    };
    (result, log)
}
