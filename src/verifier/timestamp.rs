//! Timestamp countersignature verification (verification.md §8.3 steps 1–8), run by the
//! authentic-timestamp check when a `tsa:` store makes it necessary.

use super::checks::{load_stores, rfc1123z, CheckError};
use super::{SignedFacts, TrustStores};
use crate::policy::OciStatement;
use crate::timestamp::{SignedToken, Timestamp};
use crate::x509::{validate_timestamping_chain, Certificate};

/// A timestamp that verified against the `tsa` trust stores.
#[derive(Debug, Clone)]
pub struct VerifiedTimestamp {
    /// `genTime ± accuracy`.
    pub timestamp: Timestamp,
    /// The TSA chain `[signing cert, …, root]`; its revocation check (§8.3 step 9) is
    /// the caller's.
    pub tsa_chain: Vec<Certificate>,
}

fn fail(message: String) -> CheckError {
    CheckError::Timestamp(message)
}

/// Verifies the envelope's timestamp token against the statement's `tsa` stores and
/// checks that the signing chain was valid at the stamped time (GO-VER `verifyTimestamp`).
pub fn verify_timestamp(
    stores: &dyn TrustStores,
    statement: &OciStatement,
    facts: &SignedFacts,
) -> Result<VerifiedTimestamp, CheckError> {
    let content = facts.content.as_deref();
    let token = content
        .and_then(|c| c.timestamp_token.as_deref())
        .filter(|t| !t.is_empty())
        .ok_or(CheckError::NoTimestamp)?;
    let signature = content.map(|c| c.signature.as_slice()).unwrap_or_default();
    let signed = SignedToken::parse(token).map_err(|e| {
        fail(format!(
            "failed to parse timestamp countersignature with error: {e}"
        ))
    })?;
    let info = signed.info().map_err(|e| {
        fail(format!(
            "failed to get the timestamp TSTInfo with error: {e}"
        ))
    })?;
    let timestamp = info.validate(signature).map_err(|e| {
        fail(format!(
            "failed to get timestamp from timestamp countersignature with error: {e}"
        ))
    })?;
    let anchors = load_stores(stores, statement, "tsa")
        .map_err(|e| fail(format!("failed to load tsa trust store with error: {e}")))?;
    if anchors.is_empty() {
        return Err(fail(
            "no trusted TSA certificate found in trust store".into(),
        ));
    }
    let roots: Vec<Certificate> = anchors
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .collect();
    let tsa_chain = signed.verify(&roots, timestamp.gen_time).map_err(|e| {
        fail(format!(
            "failed to verify the timestamp countersignature with error: {e}"
        ))
    })?;
    validate_timestamping_chain(&tsa_chain).map_err(|e| {
        fail(format!(
            "failed to validate the timestamping certificate chain with error: {e}"
        ))
    })?;
    check_range(&timestamp, facts)?;
    Ok(VerifiedTimestamp {
        timestamp,
        tsa_chain,
    })
}

/// §8.3 step 8: every signing-chain certificate covers `genTime ± accuracy`.
fn check_range(timestamp: &Timestamp, facts: &SignedFacts) -> Result<(), CheckError> {
    for c in &facts.chain {
        if !timestamp.bounded_after(c.not_before) {
            return Err(fail(format!(
                "timestamp can be before certificate {:?} validity period, it will be valid from {:?}",
                c.subject,
                rfc1123z(c.not_before)
            )));
        }
        if !timestamp.bounded_before(c.not_after) {
            return Err(fail(format!(
                "timestamp can be after certificate {:?} validity period, it was expired at {:?}",
                c.subject,
                rfc1123z(c.not_after)
            )));
        }
    }
    Ok(())
}
