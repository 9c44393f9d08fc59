//! Public keys and signature verification.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Sequence};

use super::*;

/// A public key taken from a SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: the PKCS#1 `RSAPublicKey` DER and the modulus size in bits as Go reports it
    /// (`Size() << 3`, i.e. byte length × 8).
    Rsa {
        /// PKCS#1 RSAPublicKey DER.
        pkcs1: Vec<u8>,
        /// Modulus size in bits, rounded up to whole bytes.
        bits: usize,
    },
    /// ECDSA on a named curve with its uncompressed point.
    Ec {
        /// The curve.
        curve: EcCurve,
        /// SEC1 encoded point.
        point: Vec<u8>,
    },
    /// Ed25519 raw key.
    Ed25519(Vec<u8>),
    /// Any other algorithm (dotted OID); Go parses such certificates but cannot use the key.
    Unknown(String),
}

#[derive(Sequence)]
struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    exponent: UintRef<'a>,
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo with Go `x509.ParsePKIXPublicKey`-like rules.
    pub fn from_spki_der(spki: &[u8]) -> Result<PublicKey, CryptoError> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(spki)
            .map_err(|e| CryptoError::InvalidKey(format!("x509: malformed public key: {e}")))?;
        let key_bytes = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::InvalidKey("x509: malformed public key".into()))?;
        match info.algorithm.oid.to_string().as_str() {
            "1.2.840.113549.1.1.1" => {
                let parsed = RsaPublicKeyDer::from_der(key_bytes)
                    .map_err(|_| CryptoError::InvalidKey("x509: invalid RSA public key".into()))?;
                let modulus = parsed.modulus.as_bytes();
                let significant = modulus.iter().skip_while(|&&b| b == 0).count();
                if significant == 0 {
                    return Err(CryptoError::InvalidKey(
                        "x509: RSA modulus is not a positive number".into(),
                    ));
                }
                Ok(PublicKey::Rsa {
                    pkcs1: key_bytes.to_vec(),
                    bits: significant * 8,
                })
            }
            "1.2.840.10045.2.1" => {
                let params = info.algorithm.parameters.ok_or_else(|| {
                    CryptoError::InvalidKey("x509: invalid ECDSA parameters".into())
                })?;
                let oid: ObjectIdentifier = params.decode_as().map_err(|_| {
                    CryptoError::InvalidKey("x509: invalid ECDSA parameters".into())
                })?;
                let curve = EcCurve::from_oid(&oid).ok_or_else(|| {
                    CryptoError::InvalidKey("x509: unsupported elliptic curve".into())
                })?;
                if key_bytes.first() != Some(&4) || key_bytes.len() != 1 + 2 * curve.scalar_len() {
                    return Err(CryptoError::InvalidKey(
                        "x509: failed to unmarshal elliptic curve point".into(),
                    ));
                }
                Ok(PublicKey::Ec {
                    curve,
                    point: key_bytes.to_vec(),
                })
            }
            "1.3.101.112" => {
                if key_bytes.len() != 32 {
                    return Err(CryptoError::InvalidKey(
                        "x509: wrong Ed25519 public key size".into(),
                    ));
                }
                Ok(PublicKey::Ed25519(key_bytes.to_vec()))
            }
            other => Ok(PublicKey::Unknown(other.to_string())),
        }
    }
}

/// RSASSA-PSS salt-length rule on verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PssSalt {
    /// Any salt length (Go JWT library, `PSSSaltLengthAuto`).
    Any,
    /// Salt length must equal the hash length (go-cose).
    HashLength,
}

/// Verifies `sig` over `msg` with the key in `spki_der` using `alg`.
///
/// ECDSA signatures are raw fixed-width `r || s`. Errors carry Go's texts:
/// `crypto/rsa: verification error` and `crypto/ecdsa: verification error`.
pub(crate) fn verify_signature(
    spki_der: &[u8],
    alg: SignatureAlgorithm,
    msg: &[u8],
    sig: &[u8],
    salt: PssSalt,
) -> Result<(), CryptoError> {
    let key = PublicKey::from_spki_der(spki_der)?;
    match (&key, alg.curve()) {
        (PublicKey::Rsa { pkcs1, .. }, None) => match salt {
            PssSalt::HashLength => {
                let params: &'static dyn VerificationAlgorithm = match alg {
                    SignatureAlgorithm::RsaPssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
                    SignatureAlgorithm::RsaPssSha384 => &sig::RSA_PSS_2048_8192_SHA384,
                    _ => &sig::RSA_PSS_2048_8192_SHA512,
                };
                UnparsedPublicKey::new(params, pkcs1)
                    .verify(msg, sig)
                    .map_err(|_| rsa_verification_error())
            }
            PssSalt::Any => verify_pss_any_salt(pkcs1, alg, msg, sig),
        },
        (PublicKey::Ec { curve, point }, Some(expected)) => {
            if *curve != expected || sig.len() != 2 * curve.scalar_len() {
                return Err(ecdsa_verification_error());
            }
            let params: &'static dyn VerificationAlgorithm = match curve {
                EcCurve::P256 => &sig::ECDSA_P256_SHA256_FIXED,
                EcCurve::P384 => &sig::ECDSA_P384_SHA384_FIXED,
                EcCurve::P521 => &sig::ECDSA_P521_SHA512_FIXED,
            };
            UnparsedPublicKey::new(params, point)
                .verify(msg, sig)
                .map_err(|_| ecdsa_verification_error())
        }
        // golang-jwt's wording when the key type does not fit the method.
        (_, None) => Err(CryptoError::Verification("key is invalid".into())),
        (_, Some(_)) => Err(CryptoError::Verification("key is of invalid type".into())),
    }
}

fn rsa_verification_error() -> CryptoError {
    CryptoError::Verification("crypto/rsa: verification error".into())
}

fn ecdsa_verification_error() -> CryptoError {
    CryptoError::Verification("crypto/ecdsa: verification error".into())
}

/// RSASSA-PSS verification that recovers the salt length from the signature, as Go's
/// `rsa.VerifyPSS` with `PSSSaltLengthAuto` does: AWS-LC's `RSA_verify_pss_mgf1` with
/// `RSA_PSS_SALTLEN_AUTO` (one public-key operation, whatever the salt length).
fn verify_pss_any_salt(
    pkcs1: &[u8],
    alg: SignatureAlgorithm,
    msg: &[u8],
    sig_bytes: &[u8],
) -> Result<(), CryptoError> {
    use aws_lc_rs::digest;
    use aws_lc_sys as ffi;
    let (hash, md) = match alg {
        // SAFETY: the EVP_sha* functions return pointers to static tables.
        SignatureAlgorithm::RsaPssSha256 => (&digest::SHA256, unsafe { ffi::EVP_sha256() }),
        SignatureAlgorithm::RsaPssSha384 => (&digest::SHA384, unsafe { ffi::EVP_sha384() }),
        _ => (&digest::SHA512, unsafe { ffi::EVP_sha512() }),
    };
    let key = AwsLcRsaKey::from_pkcs1(pkcs1).ok_or_else(rsa_verification_error)?;
    let digest = digest::digest(hash, msg);
    let digest = digest.as_ref();
    // SAFETY: `key` holds a valid RSA public key until it is dropped after this call; the
    // digest and signature pointers are valid for the lengths given; a null MGF1 hash means
    // "the same as md". The function only reads its inputs.
    let verified = unsafe {
        ffi::RSA_verify_pss_mgf1(
            key.0.as_ptr(),
            digest.as_ptr(),
            digest.len(),
            md,
            std::ptr::null(),
            ffi::RSA_PSS_SALTLEN_AUTO,
            sig_bytes.as_ptr(),
            sig_bytes.len(),
        )
    };
    if verified == 1 {
        Ok(())
    } else {
        // SAFETY: clears this thread's AWS-LC error queue, which the failure filled.
        unsafe { ffi::ERR_clear_error() };
        Err(rsa_verification_error())
    }
}

/// An AWS-LC `RSA` public key, freed on drop.
struct AwsLcRsaKey(std::ptr::NonNull<aws_lc_sys::RSA>);

impl AwsLcRsaKey {
    /// Parses a PKCS#1 `RSAPublicKey` (DER); `None` if AWS-LC refuses it.
    fn from_pkcs1(der: &[u8]) -> Option<AwsLcRsaKey> {
        // SAFETY: reads `der.len()` bytes from `der`; returns a new key or null.
        let key = unsafe { aws_lc_sys::RSA_public_key_from_bytes(der.as_ptr(), der.len()) };
        match std::ptr::NonNull::new(key) {
            Some(key) => Some(AwsLcRsaKey(key)),
            None => {
                // SAFETY: clears this thread's AWS-LC error queue, which the failure filled.
                unsafe { aws_lc_sys::ERR_clear_error() };
                None
            }
        }
    }
}

impl Drop for AwsLcRsaKey {
    fn drop(&mut self) {
        // SAFETY: the key came from RSA_public_key_from_bytes and is freed once.
        unsafe { aws_lc_sys::RSA_free(self.0.as_ptr()) }
    }
}
