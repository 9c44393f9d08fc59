//! Go's `crypto/x509` `Certificate.Verify` for a TLS server certificate, as `crypto/tls`
//! calls it: which server certificates a Go client trusts and how it words a refusal.
//!
//! The registry client asks webpki first. webpki refuses some certificates Go accepts (a
//! leaf with `CA:TRUE`, which is what `openssl req -x509` makes; a leaf that is itself a
//! trusted root; `anyExtendedKeyUsage`), so when it refuses, these rules decide. They never
//! accept what Go refuses: name constraints are not modelled here, so a chain through a
//! constrained CA is [`ServerCertError::Unsupported`] and the caller keeps webpki's refusal.

use std::net::IpAddr;

use der::asn1::ObjectIdentifier;
use der::Decode;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;

use super::{check_signature, eku, Certificate, SignatureCheck};

/// Why Go would refuse a server certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerCertError {
    /// Go refuses it; the text is Go's (`x509: ...`), without `crypto/tls`'s prefix.
    #[error("{0}")]
    Refused(String),
    /// The chain uses something these rules do not model (name constraints).
    #[error("certificate chain uses name constraints")]
    Unsupported,
}

fn refused(text: impl Into<String>) -> ServerCertError {
    ServerCertError::Refused(text.into())
}

/// Go's `maxChainSignatureChecks`: the work one verification may do.
const MAX_SIGNATURE_CHECKS: usize = 100;

const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
const OID_COMMON_NAME: &str = "2.5.4.3";

/// Extensions Go's parser understands, so they may be critical (others are
/// `UnhandledCriticalExtensions`).
const HANDLED_CRITICAL: [&str; 10] = [
    "2.5.29.14",         // subjectKeyIdentifier
    "2.5.29.15",         // keyUsage
    "2.5.29.17",         // subjectAltName
    "2.5.29.19",         // basicConstraints
    "2.5.29.30",         // nameConstraints
    "2.5.29.31",         // cRLDistributionPoints
    "2.5.29.32",         // certificatePolicies
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.37",         // extKeyUsage
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
];

/// Go's checks of the leaf before any chain is built, in Go's order: unhandled critical
/// extensions, validity period at `now`, then `VerifyHostname(host)`.
pub fn check_leaf(
    leaf: &Certificate,
    host: &str,
    now: OffsetDateTime,
) -> Result<(), ServerCertError> {
    check_critical_extensions(leaf)?;
    check_validity(leaf, now)?;
    verify_hostname(leaf, host)
}

/// Go's chain step of `Verify`: the leaf is trusted when it is one of `roots` byte for byte
/// or chains to one through `intermediates`, and some such chain allows serverAuth.
/// [`check_leaf`] is assumed to have passed.
pub fn check_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    now: OffsetDateTime,
) -> Result<(), ServerCertError> {
    let chains = if roots.iter().any(|r| r.der() == leaf.der()) {
        vec![vec![leaf]]
    } else {
        let mut builder = ChainBuilder {
            intermediates,
            roots,
            now,
            signature_checks: 0,
        };
        builder.build(&mut vec![leaf])?
    };
    if chains
        .iter()
        .any(|chain| chain.iter().all(|c| allows_server_auth(c)))
    {
        Ok(())
    } else {
        Err(refused(
            "x509: certificate specifies an incompatible key usage",
        ))
    }
}

/// Go `checkChainForKeyUsage` for serverAuth, one certificate: no EKU, any, or serverAuth.
fn allows_server_auth(cert: &Certificate) -> bool {
    cert.ext_key_usage().is_none_or(|e| {
        e.usages.is_empty()
            || e.usages
                .iter()
                .any(|u| *u == eku::ANY || *u == eku::SERVER_AUTH)
    })
}

fn check_critical_extensions(cert: &Certificate) -> Result<(), ServerCertError> {
    let exts = cert.inner().tbs_certificate().extensions();
    let unhandled = exts
        .into_iter()
        .flatten()
        .any(|e| e.critical && !HANDLED_CRITICAL.contains(&e.extn_id.to_string().as_str()));
    if unhandled {
        return Err(refused("x509: unhandled critical extension"));
    }
    Ok(())
}

/// Go `isValid`'s time check, with its text.
fn check_validity(cert: &Certificate, now: OffsetDateTime) -> Result<(), ServerCertError> {
    let detail = if now < cert.not_before() {
        format!(
            "current time {} is before {}",
            rfc3339(now),
            rfc3339(cert.not_before())
        )
    } else if now > cert.not_after() {
        format!(
            "current time {} is after {}",
            rfc3339(now),
            rfc3339(cert.not_after())
        )
    } else {
        return Ok(());
    };
    Err(refused(format!(
        "x509: certificate has expired or is not yet valid: {detail}"
    )))
}

/// Go's `time.RFC3339` layout: whole seconds, `Z` or `±hh:mm`.
fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The names a certificate claims, as Go's parser exposes them.
struct Names {
    has_san: bool,
    dns: Vec<String>,
    ips: Vec<IpAddr>,
    common_name: Option<String>,
}

fn names(cert: &Certificate) -> Names {
    let mut out = Names {
        has_san: false,
        dns: Vec::new(),
        ips: Vec::new(),
        common_name: cert
            .subject_attributes()
            .into_iter()
            .rev()
            .find(|a| a.oid == OID_COMMON_NAME)
            .map(|a| a.value),
    };
    let exts = cert.inner().tbs_certificate().extensions();
    for ext in exts.into_iter().flatten() {
        if ext.extn_id != OID_SUBJECT_ALT_NAME {
            continue;
        }
        out.has_san = true;
        let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes()) else {
            continue;
        };
        for name in san.0 {
            match name {
                GeneralName::DnsName(d) => out.dns.push(d.to_string()),
                GeneralName::IpAddress(ip) => {
                    let b = ip.as_bytes();
                    if let Ok(v4) = <[u8; 4]>::try_from(b) {
                        out.ips.push(IpAddr::from(v4));
                    } else if let Ok(v6) = <[u8; 16]>::try_from(b) {
                        out.ips.push(IpAddr::from(v6).to_canonical());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Go `Certificate.VerifyHostname`: IPs against IP SANs, other names against DNS SANs
/// (left-most `*` wildcards for valid host names), never the Common Name.
fn verify_hostname(cert: &Certificate, host: &str) -> Result<(), ServerCertError> {
    let names = names(cert);
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .filter(|_| host.len() >= 3)
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        if names.ips.contains(&ip) {
            return Ok(());
        }
        return Err(hostname_error(&names, &ip.to_string(), true));
    }
    let candidate = host.to_ascii_lowercase();
    let valid_candidate = valid_hostname(&candidate, false);
    let matched = names.dns.iter().any(|pattern| {
        if valid_candidate && valid_hostname(pattern, true) {
            match_hostnames(pattern, &candidate)
        } else {
            match_exactly(pattern, &candidate)
        }
    });
    if matched {
        return Ok(());
    }
    Err(hostname_error(&names, host, false))
}

/// Go `HostnameError.Error()`.
fn hostname_error(names: &Names, host: &str, is_ip: bool) -> ServerCertError {
    if !names.has_san
        && names
            .common_name
            .as_deref()
            .is_some_and(|cn| match_hostnames(cn, host))
    {
        return refused("x509: certificate relies on legacy Common Name field, use SANs instead");
    }
    let valid = if is_ip {
        if names.ips.is_empty() {
            return refused(format!(
                "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
            ));
        }
        names
            .ips
            .iter()
            .map(|ip| ip.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        names.dns.join(", ")
    };
    if valid.is_empty() {
        return refused(format!(
            "x509: certificate is not valid for any names, but wanted to match {host}"
        ));
    }
    refused(format!(
        "x509: certificate is valid for {valid}, not {host}"
    ))
}

/// Go `validHostname`: RFC 6125 labels plus `_`; a pattern may start with `*.`.
fn valid_hostname(host: &str, is_pattern: bool) -> bool {
    let host = if is_pattern {
        host
    } else {
        host.strip_suffix('.').unwrap_or(host)
    };
    if host.is_empty() {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        if part.is_empty() {
            return false;
        }
        if is_pattern && i == 0 && part == "*" {
            return true;
        }
        part.char_indices()
            .all(|(j, c)| c.is_ascii_alphanumeric() || (c == '-' && j != 0) || c == '_')
    })
}

/// Go `matchExactly`.
fn match_exactly(a: &str, b: &str) -> bool {
    if a.is_empty() || a == "." || b.is_empty() || b == "." {
        return false;
    }
    a.eq_ignore_ascii_case(b)
}

/// Go `matchHostnames`: label by label, a left-most `*` matching one label.
fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.len() == h.len()
        && p.iter()
            .zip(&h)
            .enumerate()
            .all(|(i, (pp, hp))| (i == 0 && *pp == "*") || pp == hp)
}

/// Go `buildChains`: depth-first from the leaf to a root, every candidate parent found by
/// subject, its signature checked, then its own validity.
struct ChainBuilder<'a> {
    intermediates: &'a [Certificate],
    roots: &'a [Certificate],
    now: OffsetDateTime,
    signature_checks: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Intermediate,
    Root,
}

impl<'a> ChainBuilder<'a> {
    /// All chains completing `chain` (whose last element needs a parent), or Go's error.
    fn build(
        &mut self,
        chain: &mut Vec<&'a Certificate>,
    ) -> Result<Vec<Vec<&'a Certificate>>, ServerCertError> {
        let child = *chain.last().expect("the chain starts with the leaf");
        let candidates = (self.roots.iter().map(|c| (Role::Root, c)))
            .chain(self.intermediates.iter().map(|c| (Role::Intermediate, c)))
            .filter(|(_, c)| c.raw_subject() == child.raw_issuer());
        let mut chains = Vec::new();
        // Go keeps the last candidate's error and the first signature failure as a hint.
        let mut err = None;
        let mut hint = None;
        for (role, candidate) in candidates {
            if already_in_chain(candidate, chain) {
                continue;
            }
            self.signature_checks += 1;
            if self.signature_checks > MAX_SIGNATURE_CHECKS {
                return Err(refused(
                    "x509: signature check attempts limit reached while verifying certificate chain",
                ));
            }
            if let Err(e) = check_signature(child, candidate, SignatureCheck::IssuedBy) {
                hint.get_or_insert((e.0, candidate));
                continue;
            }
            if let Err(e) = self.check_parent(candidate, role, chain) {
                if e == ServerCertError::Unsupported {
                    return Err(e);
                }
                err = Some(e);
                continue;
            }
            chain.push(candidate);
            match role {
                Role::Root => chains.push(chain.clone()),
                Role::Intermediate => match self.build(chain) {
                    Ok(found) => chains.extend(found),
                    Err(ServerCertError::Unsupported) => return Err(ServerCertError::Unsupported),
                    Err(e) => err = Some(e),
                },
            }
            chain.pop();
        }
        if !chains.is_empty() {
            return Ok(chains);
        }
        Err(err.unwrap_or_else(|| unknown_authority(hint)))
    }

    /// Go `isValid` for an intermediate or root about to be appended to `chain`.
    fn check_parent(
        &self,
        cert: &Certificate,
        role: Role,
        chain: &[&Certificate],
    ) -> Result<(), ServerCertError> {
        check_critical_extensions(cert)?;
        check_validity(cert, self.now)?;
        let exts = cert.inner().tbs_certificate().extensions();
        if exts
            .into_iter()
            .flatten()
            .any(|e| e.extn_id == OID_NAME_CONSTRAINTS)
        {
            return Err(ServerCertError::Unsupported);
        }
        let bc = cert.basic_constraints();
        if role == Role::Intermediate && !bc.is_some_and(|b| b.ca) {
            return Err(refused(
                "x509: certificate is not authorized to sign other certificates",
            ));
        }
        let intermediates_below = chain.len() as u64 - 1;
        if bc
            .and_then(|b| b.path_len)
            .is_some_and(|max| intermediates_below > max)
        {
            return Err(refused(
                "x509: too many intermediates for path length constraint",
            ));
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
fn unknown_authority(hint: Option<(String, &Certificate)>) -> ServerCertError {
    let base = "x509: certificate signed by unknown authority";
    let Some((why, cert)) = hint else {
        return refused(base);
    };
    let attrs = cert.subject_attributes();
    let first = |oid: &str| attrs.iter().find(|a| a.oid == oid).map(|a| a.value.clone());
    let name = attrs
        .iter()
        .rev()
        .find(|a| a.oid == OID_COMMON_NAME)
        .map(|a| a.value.clone())
        .filter(|cn| !cn.is_empty())
        .or_else(|| first("2.5.4.10"))
        .unwrap_or_else(|| {
            format!(
                "serial:{}",
                decimal(cert.inner().tbs_certificate().serial_number().as_bytes())
            )
        });
    refused(format!(
        "{base} (possibly because of {} while trying to verify candidate authority certificate {})",
        crate::gofmt::quote(&why),
        crate::gofmt::quote(&name)
    ))
}

/// A big-endian unsigned integer in decimal (Go `big.Int.String()` of a serial).
fn decimal(bytes: &[u8]) -> String {
    let mut digits = vec![0u8]; // little-endian base-10
    for &b in bytes {
        let mut carry = b as u32;
        for d in digits.iter_mut() {
            let v = *d as u32 * 256 + carry;
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
