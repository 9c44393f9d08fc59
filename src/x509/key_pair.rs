//! A signing key with its certificate chain, loaded from PEM files as Go's
//! `tls.LoadX509KeyPair` does.

use crate::crypto::{CryptoError, KeySpec, PrivateKey, PublicKey};
use crate::go::pem::pem_blocks;
use crate::x509::Certificate;

/// Loads a key and its certificate chain like Go `tls.LoadX509KeyPair`: certificate
/// blocks from `cert_pem` (other blocks skipped), the first private key block from
/// `key_pem`, and the key must match the leaf.
pub fn load_key_pair(
    key_pem: &[u8],
    cert_pem: &[u8],
) -> Result<(PrivateKey, Vec<Certificate>), CryptoError> {
    let blocks = pem_blocks(cert_pem);
    if blocks.is_empty() {
        return Err(CryptoError::KeyPair(
            "tls: failed to find any PEM data in certificate input".into(),
        ));
    }
    let cert_blocks: Vec<_> = blocks.iter().filter(|b| b.label == "CERTIFICATE").collect();
    if cert_blocks.is_empty() {
        let msg = if blocks.iter().any(|b| b.label.ends_with("PRIVATE KEY")) {
            "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"
        } else {
            "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: []"
        };
        return Err(CryptoError::KeyPair(msg.into()));
    }
    let certs = cert_blocks
        .iter()
        .map(|b| Certificate::from_der(&b.contents))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CryptoError::KeyPair(e.to_string()))?;
    let key = match PrivateKey::from_pem(key_pem) {
        Ok(key) => key,
        // aws-lc-rs refuses RSA keys below 2048 bits; Go loads them and only then
        // rejects the leaf's key size, so report that instead.
        Err(e) => match KeySpec::from_spki_der(&certs[0].spki_der()) {
            Err(spec_err @ CryptoError::UnsupportedKey(_)) => return Err(spec_err),
            _ => return Err(e),
        },
    };
    let leaf_key = PublicKey::from_spki_der(&certs[0].spki_der())?;
    let own_key = PublicKey::from_spki_der(&key.spki_der())?;
    let same_type = matches!(
        (&leaf_key, &own_key),
        (PublicKey::Rsa { .. }, PublicKey::Rsa { .. })
            | (PublicKey::Ec { .. }, PublicKey::Ec { .. })
    );
    if !same_type {
        return Err(CryptoError::KeyPair(
            "tls: private key type does not match public key type".into(),
        ));
    }
    if leaf_key != own_key {
        return Err(CryptoError::KeyPair(
            "tls: private key does not match public key".into(),
        ));
    }
    Ok((key, certs))
}
