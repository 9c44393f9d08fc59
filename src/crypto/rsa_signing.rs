//! RSA signing keys built from their DER fields, without AWS-LC's key check.
//!
//! Parsing an RSA private key with AWS-LC (`RSA_parse_private_key`, which aws-lc-rs uses)
//! runs `RSA_check_key`: constant-time divisions over the key's fields that cost a sixth of
//! a whole `notation sign` (2.5 M of 15 M instructions). Signing needs no separate check:
//! AWS-LC verifies every private-key result against the public key before releasing it (its
//! defence against fault attacks), so an inconsistent key fails to sign and never yields a
//! signature. [`RsaSigningKey::check`] runs the full check where a key is accepted for
//! later use, and where a signature fails, to report Go's parse error.

use std::ptr::NonNull;

use aws_lc_rs::signature::RsaKeyPair;
use aws_lc_sys as ffi;
use der::asn1::UintRef;
use der::{Decode, Encode};

use super::{CryptoError, KeySpec};

/// `rsaEncryption` (PKCS #1).
const RSA_ENCRYPTION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// An RSA private key of 2048, 3072 or 4096 bits held by AWS-LC, freed on drop.
pub struct RsaSigningKey {
    rsa: NonNull<ffi::RSA>,
    spec: KeySpec,
    /// The DER the key came from (PKCS #1 or PKCS #8), for [`RsaSigningKey::check`].
    der: Vec<u8>,
    /// DER SubjectPublicKeyInfo of the public half.
    spki: Vec<u8>,
}

// SAFETY: AWS-LC's RSA objects may be used from several threads at once: the values computed
// lazily for private-key operations are set under the object's own lock.
unsafe impl Send for RsaSigningKey {}
// SAFETY: as for Send.
unsafe impl Sync for RsaSigningKey {}

impl RsaSigningKey {
    /// Reads a two-prime PKCS #1 `RSAPrivateKey`, or a PKCS #8 `PrivateKeyInfo` holding one,
    /// of a size notation signs with; `None` for anything else (the caller then parses it
    /// the checked way, which gives Go's error texts).
    pub fn from_der(der: &[u8]) -> Option<RsaSigningKey> {
        if let Ok(key) = pkcs1::RsaPrivateKeyRef::from_der(der) {
            return RsaSigningKey::from_fields(&key, der);
        }
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).ok()?;
        let params_ok = info
            .algorithm
            .parameters
            .as_ref()
            .is_none_or(|p| p.is_null());
        if info.algorithm.oid != RSA_ENCRYPTION || !params_ok {
            return None;
        }
        let key = pkcs1::RsaPrivateKeyRef::from_der(info.private_key.as_bytes()).ok()?;
        RsaSigningKey::from_fields(&key, der)
    }

    fn from_fields(key: &pkcs1::RsaPrivateKeyRef<'_>, der: &[u8]) -> Option<RsaSigningKey> {
        let spec = match key.modulus.as_bytes().len() * 8 {
            2048 => KeySpec::Rsa2048,
            3072 => KeySpec::Rsa3072,
            4096 => KeySpec::Rsa4096,
            _ => return None,
        };
        let public = pkcs1::RsaPublicKeyRef {
            modulus: key.modulus,
            public_exponent: key.public_exponent,
        };
        let spki = spki::SubjectPublicKeyInfo {
            algorithm: spki::AlgorithmIdentifier {
                oid: RSA_ENCRYPTION,
                parameters: Some(der::asn1::Null),
            },
            subject_public_key: der::asn1::BitString::from_bytes(&public.to_der().ok()?).ok()?,
        }
        .to_der()
        .ok()?;
        let rsa = Self::aws_lc_key(key)?;
        Some(RsaSigningKey {
            rsa,
            spec,
            der: der.to_vec(),
            spki,
        })
    }

    /// Hands the fields to a new AWS-LC `RSA` (which owns them from then on).
    fn aws_lc_key(key: &pkcs1::RsaPrivateKeyRef<'_>) -> Option<NonNull<ffi::RSA>> {
        let fields = [
            key.modulus,
            key.public_exponent,
            key.private_exponent,
            key.prime1,
            key.prime2,
            key.exponent1,
            key.exponent2,
            key.coefficient,
        ];
        let bns = fields.map(bignum);
        // SAFETY: RSA_new returns a new object or null.
        let rsa = NonNull::new(unsafe { ffi::RSA_new() });
        let (Some(rsa), true) = (rsa, bns.iter().all(|b| !b.is_null())) else {
            // SAFETY: each non-null BIGNUM came from BN_bin2bn and is freed once; the RSA,
            // if any, owns nothing yet.
            unsafe {
                bns.iter().for_each(|b| ffi::BN_free(*b));
                rsa.inspect(|r| ffi::RSA_free(r.as_ptr()));
            }
            return None;
        };
        let [n, e, d, p, q, dmp1, dmq1, iqmp] = bns;
        // SAFETY: `rsa` is a fresh RSA with no fields set, so each set0 call succeeds and
        // takes ownership of its (non-null) BIGNUMs, which RSA_free then frees.
        unsafe {
            ffi::RSA_set0_key(rsa.as_ptr(), n, e, d);
            ffi::RSA_set0_factors(rsa.as_ptr(), p, q);
            ffi::RSA_set0_crt_params(rsa.as_ptr(), dmp1, dmq1, iqmp);
        }
        Some(rsa)
    }

    /// The key's size as a notation key spec.
    pub fn key_spec(&self) -> KeySpec {
        self.spec
    }

    /// DER SubjectPublicKeyInfo of the public half.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// RSASSA-PSS over `msg` with the hash of the key's size and a salt of the hash's
    /// length, as notation signs. An inconsistent key fails here, with the error Go gives
    /// when it loads such a key.
    pub fn sign_pss(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use aws_lc_rs::digest;
        let (hash, md) = match self.spec {
            // SAFETY: the EVP_sha* functions return pointers to static tables.
            KeySpec::Rsa2048 => (&digest::SHA256, unsafe { ffi::EVP_sha256() }),
            KeySpec::Rsa3072 => (&digest::SHA384, unsafe { ffi::EVP_sha384() }),
            _ => (&digest::SHA512, unsafe { ffi::EVP_sha512() }),
        };
        let digest = digest::digest(hash, msg);
        let digest = digest.as_ref();
        // SAFETY: RSA_size reads the modulus of a valid key.
        let mut out = vec![0u8; unsafe { ffi::RSA_size(self.rsa.as_ptr()) } as usize];
        let mut len = 0usize;
        // SAFETY: `self.rsa` is a valid key for the life of `self`; `out` has room for
        // RSA_size bytes, the digest pointer is valid for its length, and a null MGF1 hash
        // means "the same as md".
        let signed = unsafe {
            ffi::RSA_sign_pss_mgf1(
                self.rsa.as_ptr(),
                &mut len,
                out.as_mut_ptr(),
                out.len(),
                digest.as_ptr(),
                digest.len(),
                md,
                std::ptr::null(),
                ffi::RSA_PSS_SALTLEN_DIGEST,
            )
        };
        if signed == 1 {
            out.truncate(len);
            return Ok(out);
        }
        // SAFETY: clears this thread's AWS-LC error queue, which the failure filled.
        unsafe { ffi::ERR_clear_error() };
        self.check()?;
        Err(CryptoError::Signing("RSA-PSS signing failed".into()))
    }

    /// AWS-LC's full consistency check of the key, with Go's error text when it fails.
    pub fn check(&self) -> Result<(), CryptoError> {
        self.checked().map(drop)
    }

    /// The key parsed by AWS-LC, which checks it (see [`RsaSigningKey::check`]).
    pub fn checked(&self) -> Result<RsaKeyPair, CryptoError> {
        RsaKeyPair::from_der(&self.der)
            .or_else(|_| RsaKeyPair::from_pkcs8(&self.der))
            .map_err(|_| CryptoError::KeyPair("tls: failed to parse private key".into()))
    }
}

/// A new BIGNUM holding the big-endian unsigned integer `value` (null if out of memory).
fn bignum(value: UintRef<'_>) -> *mut ffi::BIGNUM {
    let bytes = value.as_bytes();
    // SAFETY: reads `bytes.len()` bytes; a null `ret` asks for a new BIGNUM.
    unsafe { ffi::BN_bin2bn(bytes.as_ptr(), bytes.len(), std::ptr::null_mut()) }
}

impl Drop for RsaSigningKey {
    fn drop(&mut self) {
        // SAFETY: the key came from RSA_new, owns its BIGNUMs, and is freed once.
        unsafe { ffi::RSA_free(self.rsa.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{verify_signature, PrivateKey, PssSalt};

    /// A key AWS-LC generated, as PKCS #8 DER.
    fn generated(bits: usize) -> Vec<u8> {
        let pem = PrivateKey::generate_rsa(bits)
            .unwrap()
            .to_pkcs8_pem()
            .unwrap();
        crate::go::pem::pem_blocks(pem.as_bytes())[0]
            .contents
            .clone()
    }

    #[test]
    fn signs_what_the_public_key_verifies() {
        for (bits, spec) in [(2048, KeySpec::Rsa2048), (3072, KeySpec::Rsa3072)] {
            let key = RsaSigningKey::from_der(&generated(bits)).unwrap();
            assert_eq!(key.key_spec(), spec);
            key.check().unwrap();
            let sig = key.sign_pss(b"payload").unwrap();
            let alg = spec.signature_algorithm();
            verify_signature(key.spki_der(), alg, b"payload", &sig, PssSalt::HashLength).unwrap();
            verify_signature(key.spki_der(), alg, b"payload!", &sig, PssSalt::Any).unwrap_err();
        }
    }

    #[test]
    fn reads_pkcs1_too() {
        let pkcs8 = generated(2048);
        let info = pkcs8::PrivateKeyInfoRef::from_der(&pkcs8).unwrap();
        let key = RsaSigningKey::from_der(info.private_key.as_bytes()).unwrap();
        let from_pkcs8 = RsaSigningKey::from_der(&pkcs8).unwrap();
        assert_eq!(key.spki_der(), from_pkcs8.spki_der());
        key.sign_pss(b"payload").unwrap();
        // Exported as PKCS #8, it reads back as the same key.
        let pem = PrivateKey::from_der(info.private_key.as_bytes())
            .unwrap()
            .to_pkcs8_pem()
            .unwrap();
        let again = PrivateKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(again.spki_der(), key.spki_der());
    }

    #[test]
    fn an_inconsistent_key_signs_nothing_and_fails_as_go_loads_it() {
        let pkcs8 = generated(2048);
        let info = pkcs8::PrivateKeyInfoRef::from_der(&pkcs8).unwrap();
        let mut pkcs1 = info.private_key.as_bytes().to_vec();
        // Flip a bit in the last byte: the CRT coefficient.
        let last = pkcs1.len() - 1;
        pkcs1[last] ^= 1;
        let key = RsaSigningKey::from_der(&pkcs1).unwrap();
        let err = key.sign_pss(b"payload").unwrap_err();
        assert_eq!(err.to_string(), "tls: failed to parse private key");
        assert_eq!(key.check().unwrap_err().to_string(), err.to_string());
    }

    #[test]
    fn other_keys_are_left_to_the_checked_parser() {
        let ec = PrivateKey::generate_ec(crate::crypto::EcCurve::P256)
            .unwrap()
            .to_pkcs8_pem()
            .unwrap();
        let ec = crate::go::pem::pem_blocks(ec.as_bytes())[0]
            .contents
            .clone();
        assert!(RsaSigningKey::from_der(&ec).is_none());
        assert!(RsaSigningKey::from_der(b"\x30\x03\x02\x01\x00").is_none());
        assert!(RsaSigningKey::from_der(&[]).is_none());
    }
}
