//! Private keys: generation, PEM decoding, signing.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair as _, RsaKeyPair};

use crate::go::pem::{self, pem_blocks};

use super::*;

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
            PrivateKey::RsaSigning(k) => k.checked()?.as_der().map(|d| d.as_ref().to_vec()),
            PrivateKey::Ec(k, _) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|e| CryptoError::Signing(e.to_string()))?;
        Ok(pem::encode("PRIVATE KEY", &der))
    }
}
