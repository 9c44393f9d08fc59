//! Building the TSA certificate chain the way Go's `x509.Certificate.Verify` does for a
//! timestamp token: intermediates from the token, roots from the trust anchors, every
//! certificate valid at the given time, and the `timeStamping` usage allowed throughout.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::x509::{check_signature, eku, Certificate, SignatureCheck};

/// Go refuses chains longer than this many certificates while searching.
const MAX_CHAIN_LEN: usize = 10;

/// Go `maxChainSignatureChecks`: signature checks one chain search may make. Without
/// it, intermediates sharing a subject and key make the search exponential.
const MAX_SIGNATURE_CHECKS: usize = 100;

/// Go's error when [`MAX_SIGNATURE_CHECKS`] is reached and no chain was found.
const SIGNATURE_LIMIT: &str =
    "x509: signature check attempts limit reached while verifying certificate chain";

/// Builds `[leaf, …, root]` ending in one of `roots`. Errors carry Go's `x509` texts.
pub fn build(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    at: OffsetDateTime,
) -> Result<Vec<Certificate>, String> {
    check_validity(leaf, at)?;
    let chains = if roots.iter().any(|r| r.der() == leaf.der()) {
        vec![vec![leaf.clone()]]
    } else {
        let mut by_subject: HashMap<&[u8], Vec<(bool, &Certificate)>> = HashMap::new();
        let candidates = roots.iter().map(|c| (true, c));
        for (is_root, c) in candidates.chain(intermediates.iter().map(|c| (false, c))) {
            by_subject
                .entry(c.raw_subject())
                .or_default()
                .push((is_root, c));
        }
        let mut search = Search {
            by_subject,
            at,
            chains: vec![],
            hint: None,
            signature_checks: 0,
        };
        search.extend(vec![leaf.clone()]);
        if search.chains.is_empty() && search.signature_checks > MAX_SIGNATURE_CHECKS {
            return Err(SIGNATURE_LIMIT.to_string());
        }
        if search.chains.is_empty() {
            return Err(unknown_authority(search.hint));
        }
        search.chains
    };
    chains
        .into_iter()
        .find(|c| c.iter().all(allows_time_stamping))
        .ok_or_else(|| "x509: certificate specifies an incompatible key usage".to_string())
}

struct Search<'a> {
    /// Candidate parents by subject (raw DER), roots first, each group in input order:
    /// Go's `CertPool.findPotentialParents`, without scanning every certificate per step.
    by_subject: HashMap<&'a [u8], Vec<(bool, &'a Certificate)>>,
    at: OffsetDateTime,
    chains: Vec<Vec<Certificate>>,
    /// The first rejected candidate parent and why (Go's `UnknownAuthorityError` hint).
    hint: Option<(String, Certificate)>,
    /// Signature checks so far, over the whole search (Go's `sigChecks`).
    signature_checks: usize,
}

impl<'a> Search<'a> {
    fn extend(&mut self, chain: Vec<Certificate>) {
        let child = chain.last().expect("chains are never empty").clone();
        // A copy of the group's references: the search below extends `self`.
        let parents = self.by_subject.get(child.raw_issuer()).cloned();
        for (is_root, parent) in parents.unwrap_or_default() {
            if chain.iter().any(|c| c.der() == parent.der()) {
                continue;
            }
            self.signature_checks += 1;
            if self.signature_checks > MAX_SIGNATURE_CHECKS {
                return;
            }
            let checked = check_signature(&child, parent, SignatureCheck::IssuedBy)
                .map_err(|e| e.to_string())
                .and_then(|_| check_validity(parent, self.at));
            if let Err(e) = checked {
                self.hint.get_or_insert((e, parent.clone()));
                continue;
            }
            let mut next = chain.clone();
            next.push(parent.clone());
            if is_root {
                self.chains.push(next);
            } else if next.len() < MAX_CHAIN_LEN {
                self.extend(next);
            }
        }
    }
}

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

/// Go `isValid`: no unhandled critical extension, and valid at `at`.
fn check_validity(cert: &Certificate, at: OffsetDateTime) -> Result<(), String> {
    let unhandled = cert
        .inner()
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten()
        .any(|e| e.critical && !HANDLED_EXTENSIONS.contains(&e.extn_id.to_string().as_str()));
    if unhandled {
        return Err("x509: unhandled critical extension".into());
    }
    let fmt = |t: OffsetDateTime| {
        t.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default()
    };
    if at < cert.not_before() {
        return Err(format!(
            "x509: certificate has expired or is not yet valid: current time {} is before {}",
            fmt(at),
            fmt(cert.not_before())
        ));
    }
    if at > cert.not_after() {
        return Err(format!(
            "x509: certificate has expired or is not yet valid: current time {} is after {}",
            fmt(at),
            fmt(cert.not_after())
        ));
    }
    Ok(())
}

/// Go `checkChainForKeyUsage` for `timeStamping`: a certificate without EKUs, or with
/// `anyExtendedKeyUsage`, allows everything.
fn allows_time_stamping(cert: &Certificate) -> bool {
    match cert.ext_key_usage() {
        None => true,
        Some(e) if e.usages.is_empty() => true,
        Some(e) => e
            .usages
            .iter()
            .any(|u| *u == eku::TIME_STAMPING || *u == eku::ANY),
    }
}

/// Go `UnknownAuthorityError.Error()`.
fn unknown_authority(hint: Option<(String, Certificate)>) -> String {
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
        "{base} (possibly because of {err:?} while trying to verify candidate authority certificate {name:?})"
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
    use super::*;

    /// `n` CA certificates all named `X`, issued by `X`, with one key, and a leaf issued
    /// by `X`: every intermediate verifies under every other one.
    fn tangled_intermediates(n: usize) -> (Certificate, Vec<Certificate>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(vec![]).unwrap();
        ca.distinguished_name.push(rcgen::DnType::CommonName, "X");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::from_params(&ca, &key);
        let intermediates = (0..n)
            .map(|i| {
                let mut params = ca.clone();
                params.serial_number = Some(rcgen::SerialNumber::from(i as u64 + 1));
                let cert = params.signed_by(&key, &issuer).unwrap();
                Certificate::from_der(cert.der()).unwrap()
            })
            .collect();
        let mut leaf = rcgen::CertificateParams::new(vec![]).unwrap();
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "leaf");
        let leaf = leaf.signed_by(&key, &issuer).unwrap();
        (Certificate::from_der(leaf.der()).unwrap(), intermediates)
    }

    /// Issue 9 §3 review: the chain search tried every ordering of such intermediates
    /// (20^9 paths here); like Go it now stops after 100 signature checks.
    #[test]
    fn exponential_chain_search_stops_at_go_signature_check_limit() {
        let (leaf, intermediates) = tangled_intermediates(20);
        let at = OffsetDateTime::now_utc();
        assert_eq!(
            build(&leaf, &intermediates, &[], at),
            Err(SIGNATURE_LIMIT.into())
        );
    }

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
