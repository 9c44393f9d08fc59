//! Key, signing and verification tests over the fixture PKI.

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
    let err = load_key_pair(&pki("leaf-rsa1024.key"), &pki("leaf-rsa1024.chain.pem")).unwrap_err();
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
    let err =
        load_key_pair(&pki("leaf-rsa2048-alt.key"), &pki("leaf-rsa2048.chain.pem")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tls: private key does not match public key"
    );
    let err = load_key_pair(&pki("leaf-ecp256.key"), &pki("leaf-rsa2048.chain.pem")).unwrap_err();
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
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(std::str::from_utf8(key_pem).unwrap()).unwrap();
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
