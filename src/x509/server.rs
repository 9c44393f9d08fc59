//! Go's `crypto/x509` `Certificate.Verify` for a TLS server certificate, as `crypto/tls`
//! calls it: which server certificates a Go client trusts and how it words a refusal.
//!
//! The `tls` module runs [`check_leaf`] before webpki and [`check_chain`] when webpki refuses
//! (webpki refuses some certificates Go accepts: a leaf with `CA:TRUE`, which is what
//! `openssl req -x509` makes; a leaf that is itself a trusted root; `anyExtendedKeyUsage`).
//! Name constraints are not modelled here, so a chain through a constrained CA is
//! [`ServerCertError::Unsupported`] and the caller keeps webpki's verdict.

use std::net::IpAddr;

use der::asn1::ObjectIdentifier;
use der::Decode;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;

use super::verify::{chain_to_root, check_validity};
use super::{eku, Certificate};

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

const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
const OID_COMMON_NAME: &str = "2.5.4.3";

/// Go's checks of the leaf before any chain is built, in Go's order: unhandled critical
/// extensions, validity period at `now`, then `VerifyHostname(host)`.
pub fn check_leaf(
    leaf: &Certificate,
    host: &str,
    now: OffsetDateTime,
) -> Result<(), ServerCertError> {
    check_validity(leaf, now).map_err(|e| ServerCertError::Refused(e.to_string()))?;
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
    let chain = chain_to_root(leaf, intermediates, roots, now, eku::SERVER_AUTH)
        .map_err(|e| ServerCertError::Refused(e.to_string()))?;
    let constrained = chain.iter().skip(1).any(|c| {
        let exts = c.inner().tbs_certificate().extensions();
        exts.into_iter()
            .flatten()
            .any(|e| e.extn_id == OID_NAME_CONSTRAINTS)
    });
    if constrained {
        return Err(ServerCertError::Unsupported);
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
        Issuer, KeyPair, NameConstraints,
    };

    /// A certificate made for a test, with what it takes to issue others.
    struct Made {
        cert: Certificate,
        params: CertificateParams,
        key: KeyPair,
    }

    /// A certificate named `cn` for `sans`, signed by `issuer` (self-signed without one),
    /// after `edit` adjusted its parameters.
    fn make(
        cn: &str,
        sans: &[&str],
        ca: IsCa,
        issuer: Option<&Made>,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Made {
        let key = KeyPair::generate().unwrap();
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = ca;
        edit(&mut params);
        let der = match issuer {
            Some(i) => params
                .signed_by(&key, &Issuer::from_params(&i.params, &i.key))
                .unwrap(),
            None => params.self_signed(&key).unwrap(),
        };
        Made {
            cert: Certificate::from_der(der.der()).unwrap(),
            params,
            key,
        }
    }

    fn ca() -> IsCa {
        IsCa::Ca(BasicConstraints::Unconstrained)
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn host_check(sans: &[&str], cn: &str, host: &str) -> Result<(), ServerCertError> {
        verify_hostname(&make(cn, sans, IsCa::NoCa, None, |_| {}).cert, host)
    }

    #[test]
    fn host_names_match_as_go_matches_them() {
        assert!(host_check(&["registry.example"], "x", "registry.example").is_ok());
        assert!(host_check(&["Registry.Example"], "x", "registry.EXAMPLE").is_ok());
        assert!(host_check(&["registry.example"], "x", "registry.example.").is_ok());
        assert!(host_check(&["*.example"], "x", "a.example").is_ok());
        assert!(host_check(&["under_score.example"], "x", "under_score.example").is_ok());
        assert!(host_check(&["127.0.0.1"], "x", "127.0.0.1").is_ok());
        assert!(host_check(&["::1"], "x", "[::1]").is_ok());
        assert_eq!(
            host_check(&["*.example"], "x", "a.b.example"),
            Err(refused(
                "x509: certificate is valid for *.example, not a.b.example"
            ))
        );
        assert_eq!(
            host_check(&["*.example"], "x", "example"),
            Err(refused(
                "x509: certificate is valid for *.example, not example"
            ))
        );
    }

    #[test]
    fn host_name_refusals_use_go_s_words() {
        assert_eq!(
            host_check(&["10.1.2.3", "::1", "a.example"], "x", "127.0.0.1"),
            Err(refused(
                "x509: certificate is valid for 10.1.2.3, ::1, not 127.0.0.1"
            ))
        );
        assert_eq!(
            host_check(&["a.example", "b.example"], "x", "c.example"),
            Err(refused(
                "x509: certificate is valid for a.example, b.example, not c.example"
            ))
        );
        assert_eq!(
            host_check(&["a.example"], "x", "127.0.0.1"),
            Err(refused("x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"))
        );
        assert_eq!(
            host_check(&["10.1.2.3"], "x", "c.example"),
            Err(refused(
                "x509: certificate is not valid for any names, but wanted to match c.example"
            ))
        );
        // Go ignores the Common Name, and says so when it would have matched.
        assert_eq!(
            host_check(&[], "c.example", "c.example"),
            Err(refused(
                "x509: certificate relies on legacy Common Name field, use SANs instead"
            ))
        );
    }

    #[test]
    fn validity_is_checked_on_the_leaf_first() {
        let expired = make("x", &["127.0.0.1"], ca(), None, |p| {
            p.not_before = time::macros::datetime!(2020-01-01 00:00 UTC);
            p.not_after = time::macros::datetime!(2020-12-31 00:00 UTC);
        });
        let at = time::macros::datetime!(2021-06-01 12:00:00.5 +02:00);
        // Expiry is reported before the name mismatch, as Go does.
        assert_eq!(
            check_leaf(&expired.cert, "other.example", at),
            Err(refused("x509: certificate has expired or is not yet valid: current time 2021-06-01T12:00:00+02:00 is after 2020-12-31T00:00:00Z"))
        );
        let early = time::macros::datetime!(2019-06-01 00:00 UTC);
        assert_eq!(
            check_leaf(&expired.cert, "127.0.0.1", early),
            Err(refused("x509: certificate has expired or is not yet valid: current time 2019-06-01T00:00:00Z is before 2020-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn a_ca_true_leaf_is_trusted_as_a_root_or_when_issued_by_one() {
        let self_signed = make("x", &["127.0.0.1"], ca(), None, |_| {});
        let roots = [self_signed.cert.clone()];
        assert_eq!(check_chain(&self_signed.cert, &[], &roots, now()), Ok(()));

        let root = make("root", &[], ca(), None, |_| {});
        let leaf = make("leaf", &["127.0.0.1"], ca(), Some(&root), |_| {});
        let roots = [root.cert.clone()];
        assert_eq!(check_chain(&leaf.cert, &[], &roots, now()), Ok(()));
        // Through an intermediate the server sends.
        let mid = make("mid", &[], ca(), Some(&root), |_| {});
        let leaf = make("leaf", &["127.0.0.1"], ca(), Some(&mid), |_| {});
        let sent = [mid.cert.clone()];
        assert_eq!(check_chain(&leaf.cert, &sent, &roots, now()), Ok(()));
        // A leaf that is itself trusted needs no issuer at all.
        let trusted_leaf = [leaf.cert.clone()];
        assert_eq!(check_chain(&leaf.cert, &[], &trusted_leaf, now()), Ok(()));
    }

    #[test]
    fn what_go_refuses_stays_refused() {
        let unknown = "x509: certificate signed by unknown authority";
        let self_signed = make("x", &["127.0.0.1"], ca(), None, |_| {});
        assert_eq!(
            check_chain(&self_signed.cert, &[], &[], now()),
            Err(refused(unknown))
        );
        // A different certificate with the same name: Go names the candidate it tried.
        let other = make("x", &["127.0.0.1"], ca(), None, |_| {});
        assert_eq!(
            check_chain(&self_signed.cert, &[], &[other.cert], now()),
            Err(refused(format!("{unknown} (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"x\")")))
        );

        // An issuer that is not a CA cannot sign.
        let root = make("root", &[], ca(), None, |_| {});
        let not_ca = make("mid", &[], IsCa::ExplicitNoCa, Some(&root), |_| {});
        let leaf = make("leaf", &["127.0.0.1"], IsCa::NoCa, Some(&not_ca), |_| {});
        let roots = [root.cert.clone()];
        assert_eq!(
            check_chain(&leaf.cert, std::slice::from_ref(&not_ca.cert), &roots, now()),
            Err(refused(format!("{unknown} (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" while trying to verify candidate authority certificate \"mid\")")))
        );

        // pathLenConstraint 0 on the root forbids an intermediate.
        let root = make(
            "root",
            &[],
            IsCa::Ca(BasicConstraints::Constrained(0)),
            None,
            |_| {},
        );
        let mid = make("mid", &[], ca(), Some(&root), |_| {});
        let leaf = make("leaf", &["127.0.0.1"], IsCa::NoCa, Some(&mid), |_| {});
        assert_eq!(
            check_chain(
                &leaf.cert,
                std::slice::from_ref(&mid.cert),
                std::slice::from_ref(&root.cert),
                now()
            ),
            Err(refused(
                "x509: too many intermediates for path length constraint"
            ))
        );

        // An expired root is reported as such, not as unknown.
        let root = make("root", &[], ca(), None, |p| {
            p.not_after = time::macros::datetime!(2020-12-31 00:00 UTC);
        });
        let leaf = make("leaf", &["127.0.0.1"], IsCa::NoCa, Some(&root), |_| {});
        let at = time::macros::datetime!(2021-01-01 00:00 UTC);
        assert_eq!(
            check_chain(&leaf.cert, &[], std::slice::from_ref(&root.cert), at),
            Err(refused("x509: certificate has expired or is not yet valid: current time 2021-01-01T00:00:00Z is after 2020-12-31T00:00:00Z"))
        );
    }

    #[test]
    fn extended_key_usage_server_auth_any_or_none() {
        let with = |ekus: Vec<ExtendedKeyUsagePurpose>| {
            let leaf = make("x", &["127.0.0.1"], ca(), None, |p| {
                p.extended_key_usages = ekus;
            });
            check_chain(&leaf.cert, &[], std::slice::from_ref(&leaf.cert), now())
        };
        assert_eq!(with(vec![]), Ok(()));
        assert_eq!(with(vec![ExtendedKeyUsagePurpose::ServerAuth]), Ok(()));
        assert_eq!(with(vec![ExtendedKeyUsagePurpose::Any]), Ok(()));
        assert_eq!(
            with(vec![ExtendedKeyUsagePurpose::ClientAuth]),
            Err(refused(
                "x509: certificate specifies an incompatible key usage"
            ))
        );
    }

    #[test]
    fn name_constrained_chains_are_left_to_webpki() {
        let root = make("root", &[], ca(), None, |p| {
            p.name_constraints = Some(NameConstraints {
                permitted_subtrees: vec![GeneralSubtree::DnsName("example".into())],
                excluded_subtrees: vec![],
            });
        });
        let leaf = make("leaf", &["a.example"], ca(), Some(&root), |_| {});
        assert_eq!(
            check_chain(&leaf.cert, &[], std::slice::from_ref(&root.cert), now()),
            Err(ServerCertError::Unsupported)
        );
    }
}
