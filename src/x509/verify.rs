//! Go's `crypto/x509` `Certificate.Verify` chain building with Go's error texts: what
//! timestamp tokens (the `timestamp` module) and registry TLS ([`super::server`]) trust.

use crate::go::fmt::GoQuoted;
use der::asn1::ObjectIdentifier;
use time::OffsetDateTime;

use super::{check_signature, eku, Certificate, SignatureCheck};

/// Go's `maxChainSignatureChecks`: the work one verification may do.
/// Why Go's `x509.Certificate.Verify` refuses a certificate; texts are Go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertVerifyError {
    /// A critical extension Go does not handle.
    #[error("x509: unhandled critical extension")]
    UnhandledCriticalExtension,
    /// Outside the validity period (the detail names both times).
    #[error("x509: certificate has expired or is not yet valid: {0}")]
    Expired(String),
    /// No chain allows the requested extended key usage.
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    /// Too many candidate signatures were tried.
    #[error("x509: signature check attempts limit reached while verifying certificate chain")]
    SignatureCheckLimit,
    /// An intermediate without `cA`.
    #[error("x509: certificate is not authorized to sign other certificates")]
    NotAuthorizedToSign,
    /// A path length constraint is exceeded.
    #[error("x509: too many intermediates for path length constraint")]
    PathLength,
    /// No chain to a root (the text may name the candidate that came closest).
    #[error("{0}")]
    UnknownAuthority(String),
}

const MAX_SIGNATURE_CHECKS: usize = 100;

/// Extensions Go's certificate parser understands; any other critical extension makes
/// `isValid` fail.
const HANDLED_EXTENSIONS: [&str; 13] = [
    "2.5.29.14",         // subjectKeyIdentifier
    "2.5.29.15",         // keyUsage
    "2.5.29.17",         // subjectAltName
    "2.5.29.19",         // basicConstraints
    "2.5.29.30",         // nameConstraints
    "2.5.29.31",         // cRLDistributionPoints
    "2.5.29.32",         // certificatePolicies
    "2.5.29.33",         // policyMappings
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.36",         // policyConstraints
    "2.5.29.37",         // extKeyUsage
    "2.5.29.54",         // inhibitAnyPolicy
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
];

/// Go `isValid`'s checks every certificate gets: no unhandled critical extension, and
/// valid at `at` (printed in `at`'s offset, as Go prints the time it was given).
pub fn check_validity(cert: &Certificate, at: OffsetDateTime) -> Result<(), CertVerifyError> {
    let unhandled = cert
        .inner()
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten()
        .any(|e| e.critical && !HANDLED_EXTENSIONS.contains(&e.extn_id.to_string().as_str()));
    if unhandled {
        return Err(CertVerifyError::UnhandledCriticalExtension);
    }
    let detail = if at < cert.not_before() {
        format!(
            "current time {} is before {}",
            crate::go::time::rfc3339(at),
            crate::go::time::rfc3339(cert.not_before())
        )
    } else if at > cert.not_after() {
        format!(
            "current time {} is after {}",
            crate::go::time::rfc3339(at),
            crate::go::time::rfc3339(cert.not_after())
        )
    } else {
        return Ok(());
    };
    Err(CertVerifyError::Expired(detail))
}

/// The chain step of Go's `Verify` (the leaf's own checks already passed): `[leaf]` when
/// the leaf is one of `roots` byte for byte, else the first `[leaf, …, root]` built through
/// `intermediates` in which every certificate allows `usage`.
pub fn chain_to_root<'a>(
    leaf: &'a Certificate,
    intermediates: &'a [Certificate],
    roots: &'a [Certificate],
    at: OffsetDateTime,
    usage: ObjectIdentifier,
) -> Result<Vec<&'a Certificate>, CertVerifyError> {
    let chains = if roots.iter().any(|r| r.der() == leaf.der()) {
        vec![vec![leaf]]
    } else {
        let mut builder = ChainBuilder {
            intermediates,
            roots,
            at,
            signature_checks: 0,
        };
        builder.build(&mut vec![leaf])?
    };
    chains
        .into_iter()
        .find(|chain| chain.iter().all(|c| allows(c, usage)))
        .ok_or(CertVerifyError::IncompatibleUsage)
}

/// Go `checkChainForKeyUsage`, one certificate: no EKU, `anyExtendedKeyUsage`, or `usage`.
fn allows(cert: &Certificate, usage: ObjectIdentifier) -> bool {
    cert.ext_key_usage().is_none_or(|e| {
        e.usages.is_empty() || e.usages.iter().any(|u| *u == eku::ANY || *u == usage)
    })
}

/// Go `buildChains`: depth-first from the leaf to a root, every candidate parent found by
/// subject, its signature checked, then its own `isValid`.
struct ChainBuilder<'a> {
    intermediates: &'a [Certificate],
    roots: &'a [Certificate],
    at: OffsetDateTime,
    signature_checks: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Intermediate,
    Root,
}

impl<'a> ChainBuilder<'a> {
    /// Every chain completing `chain` (whose last certificate needs a parent), or Go's
    /// error: the last candidate's own error, else unknown authority with a hint.
    fn build(
        &mut self,
        chain: &mut Vec<&'a Certificate>,
    ) -> Result<Vec<Vec<&'a Certificate>>, CertVerifyError> {
        let child = *chain.last().expect("the chain starts with the leaf");
        let candidates = (self.roots.iter().map(|c| (Role::Root, c)))
            .chain(self.intermediates.iter().map(|c| (Role::Intermediate, c)))
            .filter(|(_, c)| c.raw_subject() == child.raw_issuer());
        let mut chains = Vec::new();
        let mut err = None;
        let mut hint: Option<(String, &Certificate)> = None;
        for (role, candidate) in candidates {
            if already_in_chain(candidate, chain) {
                continue;
            }
            self.signature_checks += 1;
            if self.signature_checks > MAX_SIGNATURE_CHECKS {
                return Err(CertVerifyError::SignatureCheckLimit);
            }
            if let Err(e) = check_signature(child, candidate, SignatureCheck::IssuedBy) {
                hint.get_or_insert((e.0, candidate));
                continue;
            }
            if let Err(e) = self.check_parent(candidate, role, chain) {
                hint.get_or_insert((e.to_string(), candidate));
                err = Some(e);
                continue;
            }
            chain.push(candidate);
            err = match role {
                Role::Root => {
                    chains.push(chain.clone());
                    None
                }
                Role::Intermediate => match self.build(chain) {
                    Ok(found) => {
                        chains.extend(found);
                        None
                    }
                    Err(e) => Some(e),
                },
            };
            chain.pop();
        }
        if !chains.is_empty() {
            return Ok(chains);
        }
        Err(err.unwrap_or_else(|| CertVerifyError::UnknownAuthority(unknown_authority(hint))))
    }

    /// Go `isValid` for an intermediate or root about to be appended to `chain`.
    fn check_parent(
        &self,
        cert: &Certificate,
        role: Role,
        chain: &[&Certificate],
    ) -> Result<(), CertVerifyError> {
        check_validity(cert, self.at)?;
        let bc = cert.basic_constraints();
        if role == Role::Intermediate && !bc.is_some_and(|b| b.ca) {
            return Err(CertVerifyError::NotAuthorizedToSign);
        }
        let intermediates_below = chain.len() as u64 - 1;
        if bc
            .and_then(|b| b.path_len)
            .is_some_and(|max| intermediates_below > max)
        {
            return Err(CertVerifyError::PathLength);
        }
        Ok(())
    }
}

/// Go `alreadyInChain`, simplified to subject and key (stops cross-signature loops).
fn already_in_chain(candidate: &Certificate, chain: &[&Certificate]) -> bool {
    chain
        .iter()
        .any(|c| c.raw_subject() == candidate.raw_subject() && c.spki_der() == candidate.spki_der())
}

/// Go `UnknownAuthorityError.Error()`, with its hint about a rejected candidate parent.
fn unknown_authority(hint: Option<(String, &Certificate)>) -> String {
    let base = "x509: certificate signed by unknown authority";
    let Some((err, cert)) = hint else {
        return base.to_string();
    };
    let attrs = cert.subject_attributes();
    let find = |oid: &str| attrs.iter().find(|a| a.oid == oid).map(|a| a.value.clone());
    let name = find("2.5.4.3")
        .filter(|n| !n.is_empty())
        .or_else(|| find("2.5.4.10"))
        .unwrap_or_else(|| format!("serial:{}", decimal(&cert.serial_hex())));
    format!(
        "{base} (possibly because of {} while trying to verify candidate authority certificate {})",
        GoQuoted(&err),
        GoQuoted(&name)
    )
}

/// A non-negative hexadecimal number in decimal (Go prints serial numbers with `big.Int`).
fn decimal(hex_digits: &str) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for c in hex_digits.chars().filter_map(|c| c.to_digit(16)) {
        let mut carry = c;
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 16 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_serials() {
        assert_eq!(super::decimal("0"), "0");
        assert_eq!(super::decimal("ff"), "255");
        assert_eq!(super::decimal("0100"), "256");
        assert_eq!(
            super::decimal("ffffffffffffffffffff"),
            "1208925819614629174706175"
        );
    }
}
