//! Certificate signature checks with Go `crypto/x509` semantics and error texts.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};

use super::Certificate;
use crate::crypto::{EcCurve, PublicKey};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// Which Go function the check mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// `cert.CheckSignature(...)` with the certificate's own key: no CA constraints,
    /// SHA-1 accepted.
    SelfSignature,
    /// `child.CheckSignatureFrom(parent)`: the parent must be allowed to sign
    /// certificates, SHA-1 and MD5 rejected.
    IssuedBy,
}

/// Why a certificate signature did not verify; Display is Go's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertSignatureError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
    Ed25519,
}

const RSA_PSS: &str = "1.2.840.113549.1.1.10";

fn scheme_for(cert: &Certificate) -> Option<(Scheme, &'static str)> {
    scheme_for_alg(cert.inner().signature_algorithm())
}

fn scheme_for_alg(alg: &spki::AlgorithmIdentifierOwned) -> Option<(Scheme, &'static str)> {
    let oid = alg.oid.to_string();
    Some(match oid.as_str() {
        "1.2.840.113549.1.1.4" => (Scheme::RsaPkcs1(Hash::Md5), "MD5-RSA"),
        "1.2.840.113549.1.1.5" => (Scheme::RsaPkcs1(Hash::Sha1), "SHA1-RSA"),
        "1.2.840.113549.1.1.11" => (Scheme::RsaPkcs1(Hash::Sha256), "SHA256-RSA"),
        "1.2.840.113549.1.1.12" => (Scheme::RsaPkcs1(Hash::Sha384), "SHA384-RSA"),
        "1.2.840.113549.1.1.13" => (Scheme::RsaPkcs1(Hash::Sha512), "SHA512-RSA"),
        "1.2.840.10045.4.1" => (Scheme::Ecdsa(Hash::Sha1), "ECDSA-SHA1"),
        "1.2.840.10045.4.3.2" => (Scheme::Ecdsa(Hash::Sha256), "ECDSA-SHA256"),
        "1.2.840.10045.4.3.3" => (Scheme::Ecdsa(Hash::Sha384), "ECDSA-SHA384"),
        "1.2.840.10045.4.3.4" => (Scheme::Ecdsa(Hash::Sha512), "ECDSA-SHA512"),
        "1.3.101.112" => (Scheme::Ed25519, "Ed25519"),
        RSA_PSS => {
            let hash = pss_hash(alg.parameters.as_ref())?;
            let name = match hash {
                Hash::Sha256 => "SHA256-RSAPSS",
                Hash::Sha384 => "SHA384-RSAPSS",
                _ => "SHA512-RSAPSS",
            };
            (Scheme::RsaPss(hash), name)
        }
        _ => return None,
    })
}

/// The hash of RSASSA-PSS parameters; Go only recognises SHA-256/384/512 with MGF1 of
/// the same hash and salt = hash length, which is what aws-lc-rs verifies.
fn pss_hash(params: Option<&der::Any>) -> Option<Hash> {
    let der_params = der::Encode::to_der(params?).ok()?;
    // Compare against the three exact encodings Go accepts.
    const SHA256: &str = "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120";
    const SHA384: &str = "3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130";
    const SHA512: &str = "3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140";
    match hex::encode(der_params).as_str() {
        SHA256 => Some(Hash::Sha256),
        SHA384 => Some(Hash::Sha384),
        SHA512 => Some(Hash::Sha512),
        _ => None,
    }
}

fn unimplemented() -> CertSignatureError {
    CertSignatureError("x509: cannot verify signature: algorithm unimplemented".into())
}

/// Verifies `child`'s signature with `parent`'s public key, as Go's `CheckSignature`
/// (mode [`SignatureCheck::SelfSignature`]) or `CheckSignatureFrom`
/// ([`SignatureCheck::IssuedBy`]) does, with Go's error texts.
pub fn check_signature(
    child: &Certificate,
    parent: &Certificate,
    mode: SignatureCheck,
) -> Result<(), CertSignatureError> {
    if mode == SignatureCheck::IssuedBy {
        let bc = parent.basic_constraints();
        let cannot_sign = (parent.version() == 3 && bc.is_none()) || bc.is_some_and(|b| !b.ca);
        let ku = parent.key_usage_bits();
        if cannot_sign || (ku != 0 && ku & super::key_usage::CERT_SIGN == 0) {
            return Err(CertSignatureError(
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
                    .into(),
            ));
        }
    }
    let key = PublicKey::from_spki_der(&parent.spki_der()).map_err(|_| unimplemented())?;
    if matches!(key, PublicKey::Unknown(_)) {
        return Err(unimplemented());
    }
    let (scheme, name) = scheme_for(child).ok_or_else(unimplemented)?;
    let hash = match scheme {
        Scheme::RsaPkcs1(h) | Scheme::RsaPss(h) | Scheme::Ecdsa(h) => Some(h),
        Scheme::Ed25519 => None,
    };
    match hash {
        Some(Hash::Md5) => return Err(insecure(name)),
        Some(Hash::Sha1) if mode == SignatureCheck::IssuedBy => return Err(insecure(name)),
        _ => {}
    }
    let pair = (parent.spki_der(), child.der().to_vec());
    if verified_pairs().contains(&pair) {
        return Ok(());
    }
    verify_with_key(&key, scheme, child.raw_tbs(), child.signature_bytes())?;
    verified_pairs().insert(pair);
    Ok(())
}

/// An issuer's SubjectPublicKeyInfo and a certificate it signed, both DER.
type KeyAndCertificate = (Vec<u8>, Vec<u8>);

/// (issuer public key, certificate) pairs whose signature this process has verified.
/// One verification checks a certificate up to three times (the trust store's own check,
/// the envelope's chain, the revocation check's chain), and with many signatures from one
/// signer, once per signature; the result depends on those bytes alone.
fn verified_pairs() -> std::sync::MutexGuard<'static, HashSet<KeyAndCertificate>> {
    static VERIFIED: OnceLock<Mutex<HashSet<KeyAndCertificate>>> = OnceLock::new();
    VERIFIED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Verifies a signature over `message` made with `signer`'s key, as Go's
/// `signer.CheckSignature(algorithm, message, signature)` does (SHA-1 accepted, MD5 not):
/// what OCSP responses and CRLs are checked with.
pub(crate) fn check_signed_data(
    signer: &Certificate,
    algorithm: &spki::AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    let key = PublicKey::from_spki_der(&signer.spki_der()).map_err(|_| unimplemented())?;
    if matches!(key, PublicKey::Unknown(_)) {
        return Err(unimplemented());
    }
    let (scheme, name) = scheme_for_alg(algorithm).ok_or_else(unimplemented)?;
    if matches!(scheme, Scheme::RsaPkcs1(Hash::Md5)) {
        return Err(insecure(name));
    }
    verify_with_key(&key, scheme, message, signature)
}

fn insecure(name: &str) -> CertSignatureError {
    CertSignatureError(format!(
        "x509: cannot verify signature: insecure algorithm {name}"
    ))
}

fn mismatch(expected: &str, key: &PublicKey) -> CertSignatureError {
    let have = match key {
        PublicKey::Rsa { .. } => "*rsa.PublicKey",
        PublicKey::Ec { .. } => "*ecdsa.PublicKey",
        PublicKey::Ed25519(_) => "ed25519.PublicKey",
        PublicKey::Unknown(_) => "<nil>",
    };
    CertSignatureError(format!(
        "x509: signature algorithm specifies an {expected} public key, but have public key of type {have}"
    ))
}

fn verify_with_key(
    key: &PublicKey,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    match (scheme, key) {
        (Scheme::RsaPkcs1(h), PublicKey::Rsa { pkcs1, bits, .. }) => {
            let small = *bits < 2048;
            let alg: &'static dyn VerificationAlgorithm = match (h, small) {
                (Hash::Sha1, true) => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                (Hash::Sha1, false) => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                (Hash::Sha256, true) => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                (Hash::Sha256, false) => &sig::RSA_PKCS1_2048_8192_SHA256,
                (Hash::Sha384, _) => &sig::RSA_PKCS1_2048_8192_SHA384,
                (Hash::Sha512, true) => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                (Hash::Sha512, false) => &sig::RSA_PKCS1_2048_8192_SHA512,
                (Hash::Md5, _) => return Err(unimplemented()),
            };
            UnparsedPublicKey::new(alg, pkcs1)
                .verify(message, signature)
                .map_err(|_| CertSignatureError("crypto/rsa: verification error".into()))
        }
        (Scheme::RsaPss(h), PublicKey::Rsa { pkcs1, .. }) => {
            let alg: &'static dyn VerificationAlgorithm = match h {
                Hash::Sha256 => &sig::RSA_PSS_2048_8192_SHA256,
                Hash::Sha384 => &sig::RSA_PSS_2048_8192_SHA384,
                _ => &sig::RSA_PSS_2048_8192_SHA512,
            };
            UnparsedPublicKey::new(alg, pkcs1)
                .verify(message, signature)
                .map_err(|_| CertSignatureError("crypto/rsa: verification error".into()))
        }
        (Scheme::Ecdsa(h), PublicKey::Ec { curve, point }) => {
            let alg: &'static dyn VerificationAlgorithm = match (curve, h) {
                (EcCurve::P256, Hash::Sha1) => &sig::ECDSA_P256_SHA1_ASN1,
                (EcCurve::P256, Hash::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
                (EcCurve::P256, Hash::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
                (EcCurve::P256, Hash::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
                (EcCurve::P384, Hash::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
                (EcCurve::P384, Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
                (EcCurve::P384, Hash::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
                (EcCurve::P521, Hash::Sha1) => &sig::ECDSA_P521_SHA1_ASN1,
                (EcCurve::P521, Hash::Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
                (EcCurve::P521, Hash::Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
                (EcCurve::P521, Hash::Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
                _ => return Err(unimplemented()),
            };
            UnparsedPublicKey::new(alg, point)
                .verify(message, signature)
                .map_err(|_| CertSignatureError("x509: ECDSA verification failure".into()))
        }
        (Scheme::Ed25519, PublicKey::Ed25519(raw)) => UnparsedPublicKey::new(&sig::ED25519, raw)
            .verify(message, signature)
            .map_err(|_| CertSignatureError("x509: Ed25519 verification failure".into())),
        (Scheme::RsaPkcs1(_) | Scheme::RsaPss(_), k) => Err(mismatch("RSA", k)),
        (Scheme::Ecdsa(_), k) => Err(mismatch("ECDSA", k)),
        (Scheme::Ed25519, k) => Err(mismatch("Ed25519", k)),
    }
}

/// A CMS `SignerInfo` signature scheme (tspclient-go `oid.ToSignatureAlgorithm`): the
/// signature algorithm OID, with the digest algorithm OID where the former names no hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CmsSignatureScheme(Scheme);

impl CmsSignatureScheme {
    /// Maps `(digestAlgorithm, signatureAlgorithm)` to a scheme; only SHA-256/384/512 with
    /// RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA are known (`None` otherwise).
    pub fn from_oids(digest: &str, signature: &str) -> Option<CmsSignatureScheme> {
        let digest_hash = match digest {
            "2.16.840.1.101.3.4.2.1" => Hash::Sha256,
            "2.16.840.1.101.3.4.2.2" => Hash::Sha384,
            "2.16.840.1.101.3.4.2.3" => Hash::Sha512,
            _ => return None,
        };
        let scheme = match signature {
            "1.2.840.113549.1.1.1" => Scheme::RsaPkcs1(digest_hash),
            "1.2.840.113549.1.1.11" => Scheme::RsaPkcs1(Hash::Sha256),
            "1.2.840.113549.1.1.12" => Scheme::RsaPkcs1(Hash::Sha384),
            "1.2.840.113549.1.1.13" => Scheme::RsaPkcs1(Hash::Sha512),
            RSA_PSS => Scheme::RsaPss(digest_hash),
            "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Hash::Sha256),
            "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Hash::Sha384),
            "1.2.840.10045.4.3.4" => Scheme::Ecdsa(Hash::Sha512),
            _ => return None,
        };
        Some(CmsSignatureScheme(scheme))
    }
}

/// Verifies a CMS signature (ECDSA in ASN.1 form) over `message` with `signer`'s key, with
/// Go's error texts (`crypto/rsa: verification error`, `x509: ECDSA verification failure`).
pub(crate) fn check_cms_signature(
    signer: &Certificate,
    scheme: CmsSignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    let key = PublicKey::from_spki_der(&signer.spki_der()).map_err(|_| unimplemented())?;
    verify_with_key(&key, scheme.0, message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x509::parse_certificates;
    use crate::x509::tests::pki;

    fn cert(name: &str) -> Certificate {
        parse_certificates(&pki(name)).unwrap().remove(0)
    }

    #[test]
    fn remembered_signatures_decide_nothing_else() {
        let leaf = cert("leaf-rsa2048.crt");
        let intermediate = cert("intermediate-ca.crt");
        let other_root = cert("other-root-ca.crt");
        let self_signed = cert("leaf-selfsigned.crt");
        for _ in 0..2 {
            check_signature(&leaf, &intermediate, SignatureCheck::IssuedBy).unwrap();
            check_signature(&self_signed, &self_signed, SignatureCheck::SelfSignature).unwrap();
            // Another key over the same certificate still fails.
            let err = check_signature(&leaf, &other_root, SignatureCheck::IssuedBy).unwrap_err();
            assert_eq!(err.to_string(), "crypto/rsa: verification error");
            // The parent's constraints are checked every time, before any memory.
            let err =
                check_signature(&self_signed, &self_signed, SignatureCheck::IssuedBy).unwrap_err();
            assert_eq!(
                err.to_string(),
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
            );
        }
    }
}
