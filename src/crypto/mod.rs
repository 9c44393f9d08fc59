//! Signing and verification primitives: private keys, public keys, algorithms.
//!
//! aws-lc-rs does the work. RSASSA-PSS verification with an arbitrary salt length (what
//! Go's JWT library accepts) calls AWS-LC itself, which aws-lc-rs links: its API only
//! verifies one fixed salt length.

use der::asn1::ObjectIdentifier;

use crate::oci::DigestAlgorithm;

mod private_key;
mod public_key;
mod rsa_signing;

pub use private_key::PrivateKey;
pub use public_key::PublicKey;
pub(crate) use public_key::{verify_signature, PssSalt};
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
#[cfg(test)]
pub(crate) mod tests;
