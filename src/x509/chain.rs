//! Certificate chain rules of notation-core-go (`ValidateCodeSigningCertChain`,
//! `ValidateTimestampingCertChain`), with upstream's error texts.

use crate::go::fmt::GoQuoted;
use time::OffsetDateTime;

use super::signature::{check_signature, CertSignatureError, SignatureCheck};
use super::{eku, key_usage, Certificate};
use crate::crypto::KeySpec;

/// A chain rule violation; Display is notation-core-go's text (without the
/// `certificate-chain is invalid, ` prefix that the envelope code adds).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChainError(pub String);

/// Which leaf rules apply.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    CodeSigning,
    Timestamping,
}

/// Validates a code-signing chain `[leaf, intermediates…, root]` (verification.md §6.1).
/// With `signing_time`, every certificate must be valid at that instant.
pub fn validate_code_signing_chain(
    chain: &[Certificate],
    signing_time: Option<OffsetDateTime>,
) -> Result<(), ChainError> {
    validate_chain(chain, signing_time, Purpose::CodeSigning)
}

/// Validates a timestamping (TSA) chain (verification.md §6.2); no time check.
pub fn validate_timestamping_chain(chain: &[Certificate]) -> Result<(), ChainError> {
    validate_chain(chain, None, Purpose::Timestamping)
}

fn err(msg: String) -> Result<(), ChainError> {
    Err(ChainError(msg))
}

fn validate_chain(
    chain: &[Certificate],
    signing_time: Option<OffsetDateTime>,
    purpose: Purpose,
) -> Result<(), ChainError> {
    let Some(first) = chain.first() else {
        return err("certificate chain must contain at least one certificate".into());
    };
    if chain.len() == 1 {
        return validate_self_signed(first, signing_time, purpose);
    }
    for (i, cert) in chain.iter().enumerate() {
        if purpose == Purpose::CodeSigning {
            validate_signing_time(cert, signing_time)?;
        }
        if i == chain.len() - 1 {
            validate_root(cert)?;
        } else {
            validate_issued(cert, &chain[i + 1], i)?;
        }
        if i == 0 {
            validate_leaf(cert, purpose)?;
        } else {
            validate_ca(cert, i - 1, purpose)?;
        }
    }
    Ok(())
}

/// A chain of one self-signed certificate.
fn validate_self_signed(
    cert: &Certificate,
    signing_time: Option<OffsetDateTime>,
    purpose: Purpose,
) -> Result<(), ChainError> {
    if let Err(e) = check_signature(cert, cert, SignatureCheck::SelfSignature) {
        return err(format!(
            "invalid self-signed certificate. subject: {}. Error: {e}",
            GoQuoted(&cert.subject())
        ));
    }
    if cert.raw_subject() != cert.raw_issuer() {
        return err(format!(
            "invalid self-signed certificate. subject: {}. Error: issuer({}) and subject({}) are not the same",
            GoQuoted(&cert.subject()),
            cert.issuer(),
            cert.subject()
        ));
    }
    if purpose == Purpose::CodeSigning {
        validate_signing_time(cert, signing_time)?;
    }
    validate_leaf(cert, purpose)
        .map_err(|e| ChainError(format!("invalid self-signed certificate. Error: {e}")))
}

/// The last certificate of a longer chain must be a self-signed root.
fn validate_root(cert: &Certificate) -> Result<(), ChainError> {
    match issued_by(cert, cert) {
        Err(e) => err(format!(
            "root certificate with subject {} is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: {e}",
            GoQuoted(&cert.subject())
        )),
        Ok(false) => err(format!(
            "root certificate with subject {} is not self-signed. Certificate chain must end with a valid self-signed root certificate",
            GoQuoted(&cert.subject())
        )),
        Ok(true) => Ok(()),
    }
}

/// Certificate `i` (not the root) is not self-signed and is issued by `parent`.
fn validate_issued(cert: &Certificate, parent: &Certificate, i: usize) -> Result<(), ChainError> {
    if let Ok(true) = issued_by(cert, cert) {
        let kind = if i == 0 { "leaf" } else { "intermediate" };
        return err(format!(
            "{kind} certificate with subject {} is self-signed. Certificate chain must not contain self-signed {kind} certificate",
            GoQuoted(&cert.subject())
        ));
    }
    match issued_by(cert, parent) {
        Err(e) => err(format!(
            "invalid certificates or certificate with subject {} is not issued by {}. Error: {e}",
            GoQuoted(&cert.subject()),
            GoQuoted(&parent.subject())
        )),
        Ok(false) => err(format!(
            "certificate with subject {} is not issued by {}",
            GoQuoted(&cert.subject()),
            GoQuoted(&parent.subject())
        )),
        Ok(true) => Ok(()),
    }
}

/// Go `isIssuedBy`: `CheckSignatureFrom` then raw issuer == parent's raw subject.
fn issued_by(child: &Certificate, parent: &Certificate) -> Result<bool, CertSignatureError> {
    check_signature(child, parent, SignatureCheck::IssuedBy)?;
    Ok(parent.raw_subject() == child.raw_issuer())
}

fn validate_signing_time(
    cert: &Certificate,
    signing_time: Option<OffsetDateTime>,
) -> Result<(), ChainError> {
    let Some(t) = signing_time else {
        return Ok(());
    };
    if t < cert.not_before() || t > cert.not_after() {
        return err(format!(
            "certificate with subject {} was invalid at signing time of {}. Certificate is valid from [{}] to [{}]",
            GoQuoted(&cert.subject()),
            crate::go::time::string(t),
            crate::go::time::string(cert.not_before()),
            crate::go::time::string(cert.not_after())
        ));
    }
    Ok(())
}

fn validate_ca(
    cert: &Certificate,
    expected_path_len: usize,
    purpose: Purpose,
) -> Result<(), ChainError> {
    let bc = cert.basic_constraints();
    if !bc.is_some_and(|b| b.ca) {
        return err(format!(
            "certificate with subject {}: ca field in basic constraints must be present, critical, and set to true",
            GoQuoted(&cert.subject())
        ));
    }
    if let Some(path_len) = bc.and_then(|b| b.path_len) {
        if path_len < expected_path_len as u64 {
            return err(format!(
                "certificate with subject {}: expected path length of {expected_path_len} but certificate has path length {path_len} instead",
                GoQuoted(&cert.subject())
            ));
        }
    }
    key_usage_present(cert, purpose)?;
    if cert.key_usage_bits() & key_usage::CERT_SIGN == 0 {
        return err(format!(
            "certificate with subject {}: key usage must have the bit positions for key cert sign set",
            GoQuoted(&cert.subject())
        ));
    }
    Ok(())
}

fn key_usage_present(cert: &Certificate, purpose: Purpose) -> Result<(), ChainError> {
    match cert.key_usage() {
        None => err(format!(
            "certificate with subject {}: key usage extension must be present",
            GoQuoted(&cert.subject())
        )),
        Some(ku) if !ku.critical && purpose == Purpose::CodeSigning => err(format!(
            "certificate with subject {}: key usage extension must be marked critical",
            GoQuoted(&cert.subject())
        )),
        Some(_) => Ok(()),
    }
}

fn validate_leaf(cert: &Certificate, purpose: Purpose) -> Result<(), ChainError> {
    if cert.is_ca() {
        return err(format!(
            "certificate with subject {}: if the basic constraints extension is present, the ca field must be set to false",
            GoQuoted(&cert.subject())
        ));
    }
    key_usage_present(cert, purpose)?;
    validate_leaf_key_usage(cert)?;
    match purpose {
        Purpose::CodeSigning => validate_code_signing_eku(cert)?,
        Purpose::Timestamping => validate_timestamping_eku(cert)?,
    }
    validate_key_spec(cert)
}

fn validate_leaf_key_usage(cert: &Certificate) -> Result<(), ChainError> {
    let bits = cert.key_usage_bits();
    if bits & key_usage::DIGITAL_SIGNATURE == 0 {
        return err(format!(
            "the certificate with subject {} is invalid. The key usage must have the bit positions for \"Digital Signature\" set",
            GoQuoted(&cert.subject())
        ));
    }
    let forbidden = [
        (key_usage::KEY_ENCIPHERMENT, "\"KeyEncipherment\""),
        (key_usage::DATA_ENCIPHERMENT, "\"DataEncipherment\""),
        (key_usage::KEY_AGREEMENT, "\"KeyAgreement\""),
        (key_usage::CERT_SIGN, "\"CertSign\""),
        (key_usage::CRL_SIGN, "\"CRLSign\""),
        (key_usage::ENCIPHER_ONLY, "\"EncipherOnly\""),
        (key_usage::DECIPHER_ONLY, "\"DecipherOnly\""),
    ];
    let found: Vec<&str> = forbidden
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if !found.is_empty() {
        return err(format!(
            "the certificate with subject {} is invalid. The key usage must be \"Digital Signature\" only, but found {}",
            GoQuoted(&cert.subject()),
            found.join(", ")
        ));
    }
    Ok(())
}

/// Go knows these EKU OIDs (`x509.ExtKeyUsage`); others are "unknown".
fn is_known_eku(oid: &der::asn1::ObjectIdentifier) -> bool {
    const KNOWN: [&str; 14] = [
        "2.5.29.37.0",
        "1.3.6.1.5.5.7.3.1",
        "1.3.6.1.5.5.7.3.2",
        "1.3.6.1.5.5.7.3.3",
        "1.3.6.1.5.5.7.3.4",
        "1.3.6.1.5.5.7.3.5",
        "1.3.6.1.5.5.7.3.6",
        "1.3.6.1.5.5.7.3.7",
        "1.3.6.1.5.5.7.3.8",
        "1.3.6.1.5.5.7.3.9",
        "1.3.6.1.4.1.311.10.3.3",
        "2.16.840.1.113730.4.1",
        "1.3.6.1.4.1.311.2.1.22",
        "1.3.6.1.4.1.311.61.1.1",
    ];
    KNOWN.contains(&oid.to_string().as_str())
}

fn validate_code_signing_eku(cert: &Certificate) -> Result<(), ChainError> {
    let Some(ext) = cert.ext_key_usage() else {
        return Ok(());
    };
    let excluded = [
        (eku::SERVER_AUTH, "ServerAuth"),
        (eku::CLIENT_AUTH, "ClientAuth"),
        (eku::EMAIL_PROTECTION, "EmailProtection"),
        (eku::TIME_STAMPING, "Timestamping"),
        (eku::OCSP_SIGNING, "OCSPSigning"),
    ];
    for usage in &ext.usages {
        if let Some((_, name)) = excluded.iter().find(|(oid, _)| oid == usage) {
            return err(format!(
                "certificate with subject {}: extended key usage must not contain {name} eku",
                GoQuoted(&cert.subject())
            ));
        }
    }
    Ok(())
}

fn validate_timestamping_eku(cert: &Certificate) -> Result<(), ChainError> {
    let ok = cert.ext_key_usage().is_some_and(|ext| {
        ext.usages.len() == 1
            && ext.usages[0] == eku::TIME_STAMPING
            && ext.usages.iter().all(is_known_eku)
    });
    if !ok {
        return err(format!(
            "timestamp signing certificate with subject {} must have and only have Timestamping as extended key usage",
            GoQuoted(&cert.subject())
        ));
    }
    if cert.ext_key_usage().is_some_and(|e| !e.critical) {
        return err(format!(
            "timestamp signing certificate with subject {} must have extended key usage extension marked as critical",
            GoQuoted(&cert.subject())
        ));
    }
    Ok(())
}

fn validate_key_spec(cert: &Certificate) -> Result<(), ChainError> {
    KeySpec::from_spki_der(&cert.spki_der())
        .map(|_| ())
        .map_err(|e| {
            ChainError(format!(
                "certificate with subject {}: {e}",
                GoQuoted(&cert.subject())
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x509::parse_certificates;
    use crate::x509::tests::pki;

    fn chain(name: &str) -> Vec<Certificate> {
        parse_certificates(&pki(name)).unwrap()
    }

    fn message(name: &str, t: Option<OffsetDateTime>) -> String {
        validate_code_signing_chain(&chain(name), t)
            .unwrap_err()
            .to_string()
    }

    const LEAF_SUBJECT: &str = "O=Notation-RS Interop,L=Seattle,ST=WA,C=US";

    #[test]
    fn valid_chains_pass() {
        for name in [
            "leaf-rsa2048.chain.pem",
            "leaf-rsa3072.chain.pem",
            "leaf-rsa4096.chain.pem",
            "leaf-ecp256.chain.pem",
            "leaf-ecp384.chain.pem",
            "leaf-ecp521.chain.pem",
            "leaf-other-root.chain.pem",
            "leaf-selfsigned.crt",
        ] {
            validate_code_signing_chain(&chain(name), None).unwrap();
            validate_code_signing_chain(&chain(name), Some(OffsetDateTime::now_utc())).unwrap();
        }
    }

    #[test]
    fn wrong_eku() {
        assert_eq!(
            message("leaf-wrong-eku.chain.pem", None),
            format!("certificate with subject \"CN=leaf-wrong-eku,{LEAF_SUBJECT}\": extended key usage must not contain ServerAuth eku")
        );
    }

    #[test]
    fn rsa1024_leaf() {
        assert_eq!(
            message("leaf-rsa1024.chain.pem", None),
            format!("certificate with subject \"CN=leaf-rsa1024,{LEAF_SUBJECT}\": rsa key size 1024 bits is not supported")
        );
    }

    #[test]
    fn chain_without_root() {
        assert_eq!(
            message("leaf-rsa2048.noroot.chain.pem", None),
            format!("root certificate with subject \"CN=Interop Intermediate CA,{LEAF_SUBJECT}\" is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: crypto/rsa: verification error")
        );
    }

    #[test]
    fn lone_leaf_not_self_signed() {
        assert_eq!(
            message("leaf-rsa2048.crt", None),
            format!("invalid self-signed certificate. subject: \"CN=leaf-rsa2048,{LEAF_SUBJECT}\". Error: crypto/rsa: verification error")
        );
    }

    #[test]
    fn expired_at_signing_time() {
        let certs = chain("leaf-expired.chain.pem");
        let t = certs[0].not_after() + time::Duration::seconds(18);
        let msg = validate_code_signing_chain(&certs, Some(t))
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            format!(
                "certificate with subject \"CN=leaf-expired,{LEAF_SUBJECT}\" was invalid at signing time of {}. Certificate is valid from [{}] to [{}]",
                crate::go::time::string(t),
                crate::go::time::string(certs[0].not_before()),
                crate::go::time::string(certs[0].not_after())
            )
        );
        assert!(msg.contains("to [2026-11-23 09:17:38 +0000 UTC]"), "{msg}");
        // Inclusive bounds; structure alone is fine.
        validate_code_signing_chain(&certs, Some(certs[0].not_after())).unwrap();
        validate_code_signing_chain(&certs, None).unwrap();
    }

    #[test]
    fn out_of_order_and_swapped_chains() {
        let mut certs = chain("leaf-rsa2048.chain.pem");
        certs.swap(0, 1);
        assert!(validate_code_signing_chain(&certs, None).is_err());
        let mut extra_root = chain("leaf-rsa2048.chain.pem");
        extra_root.insert(2, chain("other-root-ca.crt").remove(0));
        let msg = validate_code_signing_chain(&extra_root, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("is not issued by"), "{msg}");
        let mut other = chain("leaf-rsa2048.chain.pem");
        other[0] = chain("leaf-other-root.crt").remove(0);
        assert!(validate_code_signing_chain(&other, None).is_err());
        assert!(validate_code_signing_chain(&[], None).is_err());
    }

    #[test]
    fn self_signed_non_ca_leaf_inside_chain() {
        // Go's CheckSignatureFrom(itself) fails for a non-CA, so the leaf is not
        // "self-signed" in the chain sense; the issuer check reports it instead.
        let mut certs = chain("leaf-selfsigned.crt");
        certs.push(chain("root-ca.crt").remove(0));
        assert_eq!(
            validate_code_signing_chain(&certs, None)
                .unwrap_err()
                .to_string(),
            format!("invalid certificates or certificate with subject \"CN=leaf-selfsigned,{LEAF_SUBJECT}\" is not issued by \"CN=Interop Root CA,OU=Interop Fixtures,{LEAF_SUBJECT}\". Error: crypto/rsa: verification error")
        );
        // A self-signed CA before the end of the chain is reported as self-signed.
        let mut roots = chain("root-ca.crt");
        roots.insert(0, chain("leaf-rsa2048.crt").remove(0));
        roots.insert(1, chain("other-root-ca.crt").remove(0));
        let msg = validate_code_signing_chain(&roots, None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("invalid certificates or certificate with subject \"CN=leaf-rsa2048"),
            "{msg}"
        );
        let mut two_roots = chain("root-ca.crt");
        two_roots.insert(0, chain("intermediate-ca.crt").remove(0));
        two_roots.insert(0, chain("leaf-rsa2048.crt").remove(0));
        two_roots.push(chain("root-ca.crt").remove(0));
        let msg = validate_code_signing_chain(&two_roots, None)
            .unwrap_err()
            .to_string();
        assert_eq!(msg, format!("intermediate certificate with subject \"CN=Interop Root CA,OU=Interop Fixtures,{LEAF_SUBJECT}\" is self-signed. Certificate chain must not contain self-signed intermediate certificate"));
    }

    #[test]
    fn code_signing_leaf_is_not_a_tsa_leaf() {
        let msg = validate_timestamping_chain(&chain("leaf-rsa2048.chain.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("must have and only have Timestamping"),
            "{msg}"
        );
    }
}
