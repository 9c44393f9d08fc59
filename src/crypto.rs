//! Signing and verification primitives: private keys, public keys, algorithms.
//!
//! aws-lc-rs does the work. RSASSA-PSS verification with an arbitrary salt length (what
//! Go's JWT library accepts) calls AWS-LC itself, which aws-lc-rs links: its API only
//! verifies one fixed salt length.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey, VerificationAlgorithm,
};
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Sequence};

use crate::go::pem::{self, pem_blocks};
use crate::oci::DigestAlgorithm;

mod rsa_signing;
pub use rsa_signing::RsaSigningKey;

/// Errors from key handling, signing and signature verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key type or size is not one notation signs with (Go `UnsupportedSigningKeyError`).
    #[error("{0}")]
    UnsupportedKey(String),
    /// A key could not be decoded.
    #[error("{0}")]
    InvalidKey(String),
    /// A signature did not verify; the text is the Go library's error.
    #[error("{0}")]
    Verification(String),
    /// Signing failed inside the crypto library.
    #[error("failed to sign: {0}")]
    Signing(String),
    /// Certificate/key file problems mirroring Go `tls.LoadX509KeyPair`.
    #[error("{0}")]
    KeyPair(String),
}

/// Elliptic curves notation supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
}

impl EcCurve {
    /// Curve size in bits (Go `Curve.Params().BitSize`).
    pub fn bits(self) -> usize {
        match self {
            EcCurve::P256 => 256,
            EcCurve::P384 => 384,
            EcCurve::P521 => 521,
        }
    }

    fn from_oid(oid: &ObjectIdentifier) -> Option<EcCurve> {
        match oid.to_string().as_str() {
            "1.2.840.10045.3.1.7" => Some(EcCurve::P256),
            "1.3.132.0.34" => Some(EcCurve::P384),
            "1.3.132.0.35" => Some(EcCurve::P521),
            _ => None,
        }
    }

    /// Byte width of one ECDSA scalar (r or s) in the fixed-width encoding.
    pub fn scalar_len(self) -> usize {
        self.bits().div_ceil(8)
    }
}

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

/// Key types and sizes notation signs with (notation-core-go `KeySpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// RSA 2048-bit.
    Rsa2048,
    /// RSA 3072-bit.
    Rsa3072,
    /// RSA 4096-bit.
    Rsa4096,
    /// ECDSA P-256.
    EcP256,
    /// ECDSA P-384.
    EcP384,
    /// ECDSA P-521.
    EcP521,
}

impl KeySpec {
    /// Derives the key spec from a SubjectPublicKeyInfo (Go `signature.ExtractKeySpec`).
    pub fn from_spki_der(spki: &[u8]) -> Result<KeySpec, CryptoError> {
        KeySpec::from_public_key(&PublicKey::from_spki_der(spki)?)
    }

    /// Derives the key spec from a parsed public key.
    pub fn from_public_key(key: &PublicKey) -> Result<KeySpec, CryptoError> {
        match key {
            PublicKey::Rsa { bits, .. } => match bits {
                2048 => Ok(KeySpec::Rsa2048),
                3072 => Ok(KeySpec::Rsa3072),
                4096 => Ok(KeySpec::Rsa4096),
                other => Err(CryptoError::UnsupportedKey(format!(
                    "rsa key size {other} bits is not supported"
                ))),
            },
            PublicKey::Ec { curve, .. } => Ok(match curve {
                EcCurve::P256 => KeySpec::EcP256,
                EcCurve::P384 => KeySpec::EcP384,
                EcCurve::P521 => KeySpec::EcP521,
            }),
            _ => Err(CryptoError::UnsupportedKey(
                "unsupported public key type".into(),
            )),
        }
    }

    /// The signature algorithm this key signs with.
    pub fn signature_algorithm(self) -> SignatureAlgorithm {
        match self {
            KeySpec::Rsa2048 => SignatureAlgorithm::RsaPssSha256,
            KeySpec::Rsa3072 => SignatureAlgorithm::RsaPssSha384,
            KeySpec::Rsa4096 => SignatureAlgorithm::RsaPssSha512,
            KeySpec::EcP256 => SignatureAlgorithm::EcdsaSha256,
            KeySpec::EcP384 => SignatureAlgorithm::EcdsaSha384,
            KeySpec::EcP521 => SignatureAlgorithm::EcdsaSha512,
        }
    }

    /// Plugin protocol name (`RSA-2048`, `EC-256`, …).
    pub fn name(self) -> &'static str {
        match self {
            KeySpec::Rsa2048 => "RSA-2048",
            KeySpec::Rsa3072 => "RSA-3072",
            KeySpec::Rsa4096 => "RSA-4096",
            KeySpec::EcP256 => "EC-256",
            KeySpec::EcP384 => "EC-384",
            KeySpec::EcP521 => "EC-521",
        }
    }

    /// Parses a plugin protocol key spec name.
    pub fn from_name(name: &str) -> Option<KeySpec> {
        [
            KeySpec::Rsa2048,
            KeySpec::Rsa3072,
            KeySpec::Rsa4096,
            KeySpec::EcP256,
            KeySpec::EcP384,
            KeySpec::EcP521,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// The six signature algorithms of the Notary Project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PSS with SHA-256.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512.
    RsaPssSha512,
    /// ECDSA P-256 with SHA-256.
    EcdsaSha256,
    /// ECDSA P-384 with SHA-384.
    EcdsaSha384,
    /// ECDSA P-521 with SHA-512.
    EcdsaSha512,
}

const ALL_ALGORITHMS: [SignatureAlgorithm; 6] = [
    SignatureAlgorithm::RsaPssSha256,
    SignatureAlgorithm::RsaPssSha384,
    SignatureAlgorithm::RsaPssSha512,
    SignatureAlgorithm::EcdsaSha256,
    SignatureAlgorithm::EcdsaSha384,
    SignatureAlgorithm::EcdsaSha512,
];

impl SignatureAlgorithm {
    /// Notary name, e.g. `RSASSA-PSS-SHA-256`, `ECDSA-SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPssSha256 => "RSASSA-PSS-SHA-256",
            SignatureAlgorithm::RsaPssSha384 => "RSASSA-PSS-SHA-384",
            SignatureAlgorithm::RsaPssSha512 => "RSASSA-PSS-SHA-512",
            SignatureAlgorithm::EcdsaSha256 => "ECDSA-SHA-256",
            SignatureAlgorithm::EcdsaSha384 => "ECDSA-SHA-384",
            SignatureAlgorithm::EcdsaSha512 => "ECDSA-SHA-512",
        }
    }

    /// JWS `alg` value.
    pub fn jws_alg(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPssSha256 => "PS256",
            SignatureAlgorithm::RsaPssSha384 => "PS384",
            SignatureAlgorithm::RsaPssSha512 => "PS512",
            SignatureAlgorithm::EcdsaSha256 => "ES256",
            SignatureAlgorithm::EcdsaSha384 => "ES384",
            SignatureAlgorithm::EcdsaSha512 => "ES512",
        }
    }

    /// COSE `alg` value.
    pub fn cose_alg(self) -> i64 {
        match self {
            SignatureAlgorithm::RsaPssSha256 => -37,
            SignatureAlgorithm::RsaPssSha384 => -38,
            SignatureAlgorithm::RsaPssSha512 => -39,
            SignatureAlgorithm::EcdsaSha256 => -7,
            SignatureAlgorithm::EcdsaSha384 => -35,
            SignatureAlgorithm::EcdsaSha512 => -36,
        }
    }

    /// The hash applied to the signing input.
    pub fn hash(self) -> DigestAlgorithm {
        match self {
            SignatureAlgorithm::RsaPssSha256 | SignatureAlgorithm::EcdsaSha256 => {
                DigestAlgorithm::Sha256
            }
            SignatureAlgorithm::RsaPssSha384 | SignatureAlgorithm::EcdsaSha384 => {
                DigestAlgorithm::Sha384
            }
            SignatureAlgorithm::RsaPssSha512 | SignatureAlgorithm::EcdsaSha512 => {
                DigestAlgorithm::Sha512
            }
        }
    }

    /// Whether this is an RSASSA-PSS algorithm.
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            SignatureAlgorithm::RsaPssSha256
                | SignatureAlgorithm::RsaPssSha384
                | SignatureAlgorithm::RsaPssSha512
        )
    }

    /// Looks up a JWS `alg` value.
    pub fn from_jws_alg(alg: &str) -> Option<SignatureAlgorithm> {
        ALL_ALGORITHMS.into_iter().find(|a| a.jws_alg() == alg)
    }

    /// Looks up a COSE `alg` value.
    pub fn from_cose_alg(alg: i64) -> Option<SignatureAlgorithm> {
        ALL_ALGORITHMS.into_iter().find(|a| a.cose_alg() == alg)
    }

    /// Looks up a Notary name (`RSASSA-PSS-SHA-256`, …).
    pub fn from_name(name: &str) -> Option<SignatureAlgorithm> {
        ALL_ALGORITHMS.into_iter().find(|a| a.name() == name)
    }

    /// The curve an ECDSA algorithm signs on.
    fn curve(self) -> Option<EcCurve> {
        match self {
            SignatureAlgorithm::EcdsaSha256 => Some(EcCurve::P256),
            SignatureAlgorithm::EcdsaSha384 => Some(EcCurve::P384),
            SignatureAlgorithm::EcdsaSha512 => Some(EcCurve::P521),
            _ => None,
        }
    }
}

/// RSASSA-PSS salt-length rule on verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PssSalt {
    /// Any salt length (Go JWT library, `PSSSaltLengthAuto`).
    Any,
    /// Salt length must equal the hash length (go-cose).
    HashLength,
}

/// Verifies `sig` over `msg` with the key in `spki_der` using `alg`.
///
/// ECDSA signatures are raw fixed-width `r || s`. Errors carry Go's texts:
/// `crypto/rsa: verification error` and `crypto/ecdsa: verification error`.
pub fn verify_signature(
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

/// A local signing key (RSA or ECDSA).
pub enum PrivateKey {
    /// RSA key pair (generated here).
    Rsa(RsaKeyPair),
    /// RSA key read from DER: it signs without a separate key check (see [`RsaSigningKey`]).
    RsaSigning(RsaSigningKey),
    /// ECDSA key pair (signs with the fixed-width encoding).
    Ec(EcdsaKeyPair, EcCurve),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?})", self.key_spec())
    }
}

fn ec_signing_alg(curve: EcCurve) -> &'static sig::EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        EcCurve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        EcCurve::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

const CURVES: [EcCurve; 3] = [EcCurve::P256, EcCurve::P384, EcCurve::P521];

impl PrivateKey {
    /// Reads the first private key PEM block (`PRIVATE KEY` PKCS#8, `RSA PRIVATE KEY`
    /// PKCS#1, `EC PRIVATE KEY` SEC1; unencrypted), skipping other blocks like Go's
    /// `tls.X509KeyPair`.
    pub fn from_pem(pem: &[u8]) -> Result<PrivateKey, CryptoError> {
        let blocks = pem_blocks(pem);
        if blocks.is_empty() {
            return Err(CryptoError::KeyPair(
                "tls: failed to find any PEM data in key input".into(),
            ));
        }
        let Some(block) = blocks
            .iter()
            .find(|b| b.label == "PRIVATE KEY" || b.label.ends_with(" PRIVATE KEY"))
        else {
            if blocks.iter().any(|b| b.label == "CERTIFICATE") {
                return Err(CryptoError::KeyPair(
                    "tls: found a certificate rather than a key in the PEM for the private key"
                        .into(),
                ));
            }
            return Err(CryptoError::KeyPair(
                "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input"
                    .into(),
            ));
        };
        PrivateKey::from_der(&block.contents)
    }

    /// Parses a DER private key, trying PKCS#1, PKCS#8 and SEC1 in Go's order.
    pub fn from_der(der: &[u8]) -> Result<PrivateKey, CryptoError> {
        if let Some(k) = RsaSigningKey::from_der(der) {
            return Ok(PrivateKey::RsaSigning(k));
        }
        if let Ok(k) = RsaKeyPair::from_der(der) {
            return Ok(PrivateKey::Rsa(k));
        }
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Ok(PrivateKey::Rsa(k));
        }
        for curve in CURVES {
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(ec_signing_alg(curve), der) {
                return Ok(PrivateKey::Ec(k, curve));
            }
        }
        for curve in CURVES {
            if let Ok(k) = EcdsaKeyPair::from_private_key_der(ec_signing_alg(curve), der) {
                return Ok(PrivateKey::Ec(k, curve));
            }
        }
        Err(CryptoError::KeyPair(
            "tls: failed to parse private key".into(),
        ))
    }

    /// Generates an RSA key (2048, 3072 or 4096 bits).
    pub fn generate_rsa(bits: usize) -> Result<PrivateKey, CryptoError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => {
                return Err(CryptoError::UnsupportedKey(format!(
                    "rsa key size {other} bits is not supported"
                )))
            }
        };
        RsaKeyPair::generate(size)
            .map(PrivateKey::Rsa)
            .map_err(|e| CryptoError::Signing(e.to_string()))
    }

    /// Generates an ECDSA key on `curve`.
    pub fn generate_ec(curve: EcCurve) -> Result<PrivateKey, CryptoError> {
        EcdsaKeyPair::generate(ec_signing_alg(curve))
            .map(|k| PrivateKey::Ec(k, curve))
            .map_err(|e| CryptoError::Signing(e.to_string()))
    }

    /// DER SubjectPublicKeyInfo of the public half.
    pub fn spki_der(&self) -> Vec<u8> {
        let der = match self {
            PrivateKey::Rsa(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            PrivateKey::RsaSigning(k) => Ok(k.spki_der().to_vec()),
            PrivateKey::Ec(k, _) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
        };
        der.unwrap_or_default()
    }

    /// The key spec (errors for RSA sizes other than 2048/3072/4096).
    pub fn key_spec(&self) -> Result<KeySpec, CryptoError> {
        match self {
            PrivateKey::Rsa(k) => match k.public_modulus_len() * 8 {
                2048 => Ok(KeySpec::Rsa2048),
                3072 => Ok(KeySpec::Rsa3072),
                4096 => Ok(KeySpec::Rsa4096),
                other => Err(CryptoError::UnsupportedKey(format!(
                    "rsa key size {other} bits is not supported"
                ))),
            },
            PrivateKey::RsaSigning(k) => Ok(k.key_spec()),
            PrivateKey::Ec(_, curve) => Ok(match curve {
                EcCurve::P256 => KeySpec::EcP256,
                EcCurve::P384 => KeySpec::EcP384,
                EcCurve::P521 => KeySpec::EcP521,
            }),
        }
    }

    /// Signs `msg` with the key's algorithm: RSASSA-PSS with salt = hash length, or
    /// ECDSA with the raw fixed-width `r || s` encoding.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = SystemRandom::new();
        match self {
            PrivateKey::Rsa(k) => {
                let encoding: &'static dyn sig::RsaEncoding = match self.key_spec()? {
                    KeySpec::Rsa2048 => &sig::RSA_PSS_SHA256,
                    KeySpec::Rsa3072 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(encoding, &rng, msg, &mut out)
                    .map_err(|e| CryptoError::Signing(e.to_string()))?;
                Ok(out)
            }
            PrivateKey::RsaSigning(k) => k.sign_pss(msg),
            PrivateKey::Ec(k, _) => k
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| CryptoError::Signing(e.to_string())),
        }
    }

    /// The full consistency check Go runs when it loads a key (AWS-LC's `RSA_check_key`;
    /// keys AWS-LC generated or parsed have passed it already).
    pub fn check(&self) -> Result<(), CryptoError> {
        match self {
            PrivateKey::RsaSigning(k) => k.check(),
            PrivateKey::Rsa(_) | PrivateKey::Ec(..) => Ok(()),
        }
    }

    /// PKCS#8 PEM (`PRIVATE KEY`) encoding.
    pub fn to_pkcs8_pem(&self) -> Result<String, CryptoError> {
        let der = match self {
            PrivateKey::Rsa(k) => k.as_der().map(|d| d.as_ref().to_vec()),
            PrivateKey::RsaSigning(k) => {
                k.check()?;
                RsaKeyPair::from_pkcs8(k.der())
                    .or_else(|_| RsaKeyPair::from_der(k.der()))
                    .map_err(|e| CryptoError::Signing(e.to_string()))?
                    .as_der()
                    .map(|d| d.as_ref().to_vec())
            }
            PrivateKey::Ec(k, _) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|e| CryptoError::Signing(e.to_string()))?;
        Ok(pem::encode("PRIVATE KEY", &der))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::x509::load_key_pair;
    use crate::x509::tests::pki;

    const SPECS: [(&str, KeySpec); 6] = [
        ("rsa2048", KeySpec::Rsa2048),
        ("rsa3072", KeySpec::Rsa3072),
        ("rsa4096", KeySpec::Rsa4096),
        ("ecp256", KeySpec::EcP256),
        ("ecp384", KeySpec::EcP384),
        ("ecp521", KeySpec::EcP521),
    ];

    #[test]
    fn fixture_keys_sign_and_verify() {
        for (name, spec) in SPECS {
            let (key, certs) = load_key_pair(
                &pki(&format!("leaf-{name}.key")),
                &pki(&format!("leaf-{name}.chain.pem")),
            )
            .unwrap();
            assert_eq!(key.key_spec().unwrap(), spec);
            assert_eq!(KeySpec::from_spki_der(&certs[0].spki_der()).unwrap(), spec);
            let alg = spec.signature_algorithm();
            let sig = key.sign(b"hello").unwrap();
            let spki = certs[0].spki_der();
            verify_signature(&spki, alg, b"hello", &sig, PssSalt::HashLength).unwrap();
            verify_signature(&spki, alg, b"hello", &sig, PssSalt::Any).unwrap();
            let err = verify_signature(&spki, alg, b"hellO", &sig, PssSalt::Any).unwrap_err();
            let expected = if alg.is_rsa() {
                "crypto/rsa: verification error"
            } else {
                "crypto/ecdsa: verification error"
            };
            assert_eq!(err.to_string(), expected);
        }
    }

    #[test]
    fn rsa1024_is_unsupported() {
        let err =
            load_key_pair(&pki("leaf-rsa1024.key"), &pki("leaf-rsa1024.chain.pem")).unwrap_err();
        assert_eq!(err.to_string(), "rsa key size 1024 bits is not supported");
        let certs = crate::x509::parse_certificates(&pki("leaf-rsa1024.crt")).unwrap();
        assert_eq!(
            KeySpec::from_spki_der(&certs[0].spki_der())
                .unwrap_err()
                .to_string(),
            "rsa key size 1024 bits is not supported"
        );
    }

    #[test]
    fn mismatched_key_is_rejected() {
        let err = load_key_pair(&pki("leaf-rsa2048-alt.key"), &pki("leaf-rsa2048.chain.pem"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "tls: private key does not match public key"
        );
        let err =
            load_key_pair(&pki("leaf-ecp256.key"), &pki("leaf-rsa2048.chain.pem")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tls: private key type does not match public key type"
        );
    }

    /// Randomness for the `rsa` crate in tests, from aws-lc-rs.
    struct TestRng;

    impl rsa::rand_core::TryRng for TestRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            aws_lc_rs::rand::fill(dst).expect("system randomness");
            Ok(())
        }
    }

    impl rsa::rand_core::TryCryptoRng for TestRng {}

    /// An RSASSA-PSS signature of `msg` by the PKCS#8 PEM `key_pem` with `salt_len` bytes of
    /// salt, which aws-lc-rs cannot make (it signs with salt = hash length only).
    pub(crate) fn pss_sign_with_salt(
        key_pem: &[u8],
        alg: SignatureAlgorithm,
        salt_len: usize,
        msg: &[u8],
    ) -> Vec<u8> {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        let key =
            rsa::RsaPrivateKey::from_pkcs8_pem(std::str::from_utf8(key_pem).unwrap()).unwrap();
        match alg {
            SignatureAlgorithm::RsaPssSha256 => {
                rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(key, salt_len)
                    .sign_with_rng(&mut TestRng, msg)
                    .to_vec()
            }
            SignatureAlgorithm::RsaPssSha384 => {
                rsa::pss::SigningKey::<sha2::Sha384>::new_with_salt_len(key, salt_len)
                    .sign_with_rng(&mut TestRng, msg)
                    .to_vec()
            }
            _ => rsa::pss::SigningKey::<sha2::Sha512>::new_with_salt_len(key, salt_len)
                .sign_with_rng(&mut TestRng, msg)
                .to_vec(),
        }
    }

    #[test]
    fn pss_salt_rules() {
        // Any salt length verifies for JWS (Go's PSSSaltLengthAuto), only the hash length
        // for COSE; a wrong message or a truncated signature never does.
        for (name, alg) in [
            ("rsa2048", SignatureAlgorithm::RsaPssSha256),
            ("rsa3072", SignatureAlgorithm::RsaPssSha384),
            ("rsa4096", SignatureAlgorithm::RsaPssSha512),
        ] {
            let key = pki(&format!("leaf-{name}.key"));
            let certs = crate::x509::parse_certificates(&pki(&format!("leaf-{name}.crt"))).unwrap();
            let spki = certs[0].spki_der();
            let hash_len = match alg.hash() {
                DigestAlgorithm::Sha256 => 32,
                DigestAlgorithm::Sha384 => 48,
                DigestAlgorithm::Sha512 => 64,
            };
            for salt in [0, 20, hash_len, hash_len + 1, 128] {
                let sig = pss_sign_with_salt(&key, alg, salt, b"msg");
                verify_signature(&spki, alg, b"msg", &sig, PssSalt::Any)
                    .unwrap_or_else(|e| panic!("{name} salt {salt}: {e}"));
                let strict = verify_signature(&spki, alg, b"msg", &sig, PssSalt::HashLength);
                assert_eq!(strict.is_ok(), salt == hash_len, "{name} salt {salt}");
                let err = verify_signature(&spki, alg, b"msG", &sig, PssSalt::Any).unwrap_err();
                assert_eq!(err.to_string(), "crypto/rsa: verification error");
                let short = &sig[..sig.len() - 1];
                assert!(verify_signature(&spki, alg, b"msg", short, PssSalt::Any).is_err());
            }
        }
    }

    #[test]
    fn generated_keys_round_trip_through_pkcs8() {
        for key in [
            PrivateKey::generate_rsa(2048).unwrap(),
            PrivateKey::generate_ec(EcCurve::P384).unwrap(),
        ] {
            let pem = key.to_pkcs8_pem().unwrap();
            let back = PrivateKey::from_pem(pem.as_bytes()).unwrap();
            assert_eq!(back.spki_der(), key.spki_der());
            assert_eq!(back.key_spec().unwrap(), key.key_spec().unwrap());
        }
        assert!(PrivateKey::generate_rsa(1024).is_err());
    }

    #[test]
    fn algorithm_tables() {
        for alg in ALL_ALGORITHMS {
            assert_eq!(SignatureAlgorithm::from_jws_alg(alg.jws_alg()), Some(alg));
            assert_eq!(SignatureAlgorithm::from_cose_alg(alg.cose_alg()), Some(alg));
            assert_eq!(SignatureAlgorithm::from_name(alg.name()), Some(alg));
        }
        assert_eq!(SignatureAlgorithm::from_jws_alg("none"), None);
        assert_eq!(SignatureAlgorithm::EcdsaSha384.cose_alg(), -35);
    }
}
