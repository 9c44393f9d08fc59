//! Timestamp countersignature verification (verification.md §8.3 steps 1–8), run by the
//! authentic-timestamp check when a `tsa:` store makes it necessary.

use crate::go::fmt::GoQuoted;
use time::OffsetDateTime;

use super::checks::{load_stores, CheckError};
use super::{ChainCert, SignedFacts, SigningScheme, TrustStores};
use crate::go::time::{rfc1123z, rfc3339_nano};
use crate::policy::OciStatement;
use crate::revocation::{LogLevel, LogLine, Validator};
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

/// Which rule the authentic-timestamp check applies to a signature (the first steps of
/// notation-go's `verifyAuthenticTimestamp` / `verifyTimestamp`), decided once: the check
/// and its `-v`/`-d` log lines both read this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampDecision {
    /// `notary.x509.signingAuthority`: the chain must cover the authentic signing time.
    AuthenticSigningTime,
    /// `notary.x509` without a `tsa` trust store: the chain must be valid now.
    NoTsaStore,
    /// `verifyTimestamp: afterCertExpiry` and an unexpired chain: valid now suffices.
    ChainUnexpired,
    /// The timestamp countersignature must be present and verify (§8.3).
    Timestamp,
}

impl TimestampDecision {
    /// Decide for `facts` under `statement` at `now`.
    pub fn new(
        statement: &OciStatement,
        facts: &SignedFacts,
        now: OffsetDateTime,
    ) -> TimestampDecision {
        if facts.signing_scheme == SigningScheme::X509SigningAuthority {
            return TimestampDecision::AuthenticSigningTime;
        }
        let has_tsa = statement
            .trust_stores
            .iter()
            .any(|s| s.split_once(':').is_some_and(|(t, _)| t == "tsa"));
        if !has_tsa {
            return TimestampDecision::NoTsaStore;
        }
        if statement
            .signature_verification
            .verify_timestamp_after_cert_expiry()
            && !facts.chain.iter().any(|c| now > c.not_after)
        {
            return TimestampDecision::ChainUnexpired;
        }
        TimestampDecision::Timestamp
    }

    /// notation-go's lines saying whether (and why not) the timestamp is verified.
    fn log(self, facts: &SignedFacts) -> Vec<LogLine> {
        match self {
            TimestampDecision::AuthenticSigningTime => Vec::new(),
            TimestampDecision::NoTsaStore => vec![info(
                "Timestamp verification disabled: no tsa trust store is configured in trust policy",
            )],
            TimestampDecision::ChainUnexpired => vec![info(
                "Timestamp verification disabled: verifyTimestamp is set to \"afterCertExpiry\" and signing cert chain unexpired",
            )],
            TimestampDecision::Timestamp => {
                let mut log = vec![
                    debug("Performing timestamp verification..."),
                    debug("Checking timestamp countersignature existence..."),
                ];
                if facts.has_timestamp {
                    log.push(debug("Verifying the timestamp countersignature..."));
                }
                log
            }
        }
    }
}

/// The whole authentic-timestamp check (§5.6, §8.3): [`authentic_timestamp`],
/// then, when a timestamp was verified, the revocation of its TSA chain (step 9; it runs
/// even when the policy skips revocation). Without a validator only a TSA chain without
/// revocation information passes. Returns notation-go's `-v`/`-d` log lines with it.
pub async fn check(
    stores: &dyn TrustStores,
    revocation: Option<&Validator>,
    statement: &OciStatement,
    facts: &SignedFacts,
    now: OffsetDateTime,
) -> (Result<(), CheckError>, Vec<LogLine>) {
    let decision = TimestampDecision::new(statement, facts, now);
    let mut log = decision.log(facts);
    let verified = match decided(decision, stores, statement, facts, now) {
        Ok(Some(v)) => v,
        Ok(None) => return (Ok(()), log),
        Err(e) => return (Err(e), log),
    };
    log.extend(verified_log(&verified));
    let (result, lines) =
        crate::revocation::check_timestamping_chain(revocation, &verified.tsa_chain).await;
    log.extend(lines);
    let result = result.map_err(|e| CheckError::Timestamp(e.to_string()));
    if result.is_ok() {
        log.push(debug("No verification impacting errors encountered while checking timestamping certificate chain revocation, status is OK"));
        log.push(debug("Timestamp verification: Success"));
    }
    (result, log)
}

/// The lines notation-go logs once a timestamp verified, before its TSA chain's revocation.
fn verified_log(verified: &VerifiedTimestamp) -> Vec<LogLine> {
    let mut log = vec![debug("Validating timestamping certificate chain...")];
    if let Some(tsa) = verified.tsa_chain.first() {
        log.push(debug(format!(
            "The subject of TSA signing certificate is: {}",
            ChainCert::from_certificate(tsa).subject
        )));
    }
    log.push(debug(
        "Checking the timestamp against the signing certificate chain...",
    ));
    log.push(debug(format!(
        "Timestamp range: [{}, {}]",
        rfc3339_nano(verified.timestamp.lower()),
        rfc3339_nano(verified.timestamp.upper())
    )));
    log.push(debug(
        "Checking timestamping certificate chain revocation...",
    ));
    log
}

/// Authentic timestamp (§5.6, §7, §8.3 steps 1–8), without the TSA chain's revocation
/// (step 9, see [`check`]).
#[cfg(test)]
pub fn authentic_timestamp(
    stores: &dyn TrustStores,
    statement: &OciStatement,
    facts: &SignedFacts,
    now: OffsetDateTime,
) -> Result<(), CheckError> {
    let decision = TimestampDecision::new(statement, facts, now);
    decided(decision, stores, statement, facts, now).map(|_| ())
}

/// [`authentic_timestamp`] under `decision`, returning the verified timestamp when one
/// was required.
fn decided(
    decision: TimestampDecision,
    stores: &dyn TrustStores,
    statement: &OciStatement,
    facts: &SignedFacts,
    now: OffsetDateTime,
) -> Result<Option<VerifiedTimestamp>, CheckError> {
    match decision {
        TimestampDecision::AuthenticSigningTime => {
            let Some(t) = facts.authentic_signing_time else {
                // Integrity guarantees the attribute for this scheme; nothing to compare.
                return Ok(None);
            };
            for c in &facts.chain {
                if t < c.not_before || t > c.not_after {
                    return Err(CheckError::NotValidAtSigningTime {
                        subject: c.subject.clone(),
                        at: rfc1123z(t),
                    });
                }
            }
            Ok(None)
        }
        TimestampDecision::Timestamp => {
            if !facts.has_timestamp {
                return Err(CheckError::NoTimestamp);
            }
            verify_timestamp(stores, statement, facts).map(Some)
        }
        TimestampDecision::NoTsaStore | TimestampDecision::ChainUnexpired => {
            valid_now(facts, now).map(|_| None)
        }
    }
}

/// Every signing-chain certificate is valid at `now`.
fn valid_now(facts: &SignedFacts, now: OffsetDateTime) -> Result<(), CheckError> {
    for c in &facts.chain {
        if now < c.not_before {
            return Err(CheckError::CertNotYetValid {
                subject: c.subject.clone(),
                from: rfc1123z(c.not_before),
            });
        }
        if now > c.not_after {
            return Err(CheckError::CertExpired {
                subject: c.subject.clone(),
                at: rfc1123z(c.not_after),
            });
        }
    }
    Ok(())
}

fn fail(message: String) -> CheckError {
    CheckError::Timestamp(message)
}

fn info(message: impl Into<String>) -> LogLine {
    LogLine {
        level: LogLevel::Info,
        message: message.into(),
    }
}

fn debug(message: impl Into<String>) -> LogLine {
    LogLine {
        level: LogLevel::Debug,
        message: message.into(),
    }
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
                "timestamp can be before certificate {} validity period, it will be valid from {}",
                GoQuoted(&c.subject),
                GoQuoted(&rfc1123z(c.not_before))
            )));
        }
        if !timestamp.bounded_before(c.not_after) {
            return Err(fail(format!(
                "timestamp can be after certificate {} validity period, it was expired at {}",
                GoQuoted(&c.subject),
                GoQuoted(&rfc1123z(c.not_after))
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::{ChainCert, SigningScheme};
    use time::macros::datetime;
    use time::OffsetDateTime;

    fn facts(from: OffsetDateTime, to: OffsetDateTime) -> SignedFacts {
        SignedFacts {
            signing_scheme: SigningScheme::X509,
            chain: vec![ChainCert {
                der: vec![],
                subject: "CN=leaf".into(),
                not_before: from,
                not_after: to,
                has_revocation_info: false,
            }],
            expiry: None,
            signing_time: None,
            authentic_signing_time: None,
            has_timestamp: true,
            target: Default::default(),
            annotations: Default::default(),
            signature_algorithm: String::new(),
            content: None,
        }
    }

    #[test]
    fn stamped_range_must_lie_inside_every_certificate() {
        let f = facts(
            datetime!(2024-01-01 0:00 UTC),
            datetime!(2024-01-02 0:00 UTC),
        );
        let at = |t: OffsetDateTime, secs: i64| Timestamp {
            gen_time: t,
            accuracy: time::Duration::seconds(secs),
        };
        check_range(&at(datetime!(2024-01-01 12:00 UTC), 1), &f).unwrap();
        // Boundaries are inclusive.
        check_range(&at(datetime!(2024-01-01 0:00:01 UTC), 1), &f).unwrap();
        check_range(&at(datetime!(2024-01-01 23:59:59 UTC), 1), &f).unwrap();
        assert_eq!(
            check_range(&at(datetime!(2024-01-01 0:00:00.5 UTC), 1), &f)
                .unwrap_err()
                .to_string(),
            "timestamp can be before certificate \"CN=leaf\" validity period, it will be valid from \"Mon, 01 Jan 2024 00:00:00 +0000\""
        );
        assert_eq!(
            check_range(&at(datetime!(2024-01-01 23:59:59.5 UTC), 1), &f)
                .unwrap_err()
                .to_string(),
            "timestamp can be after certificate \"CN=leaf\" validity period, it was expired at \"Tue, 02 Jan 2024 00:00:00 +0000\""
        );
    }

    #[test]
    fn missing_token_is_reported() {
        let f = facts(
            datetime!(2024-01-01 0:00 UTC),
            datetime!(2024-01-02 0:00 UTC),
        );
        struct NoStores;
        impl TrustStores for NoStores {
            fn load(
                &self,
                _: &str,
                _: &str,
            ) -> Result<Vec<Vec<u8>>, crate::verifier::TrustStoreFailure> {
                Ok(vec![])
            }
        }
        let st = OciStatement {
            name: "p".into(),
            registry_scopes: vec!["*".into()],
            signature_verification: Default::default(),
            trust_stores: vec!["tsa:t".into()],
            trusted_identities: vec!["*".into()],
        };
        assert_eq!(
            verify_timestamp(&NoStores, &st, &f).unwrap_err(),
            CheckError::NoTimestamp
        );
    }
}
