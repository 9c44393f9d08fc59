//! The test key and self-signed certificate of `notation cert generate-test`.
//!
//! Same profile as notation v1.3.2 (config-files.md §6, notation-core-go's
//! `GetRSASelfSignedCertTupleWithPK`): v3, serial in [0, 199], subject = issuer =
//! `C=US, ST=WA, L=Seattle, O=Notary, CN=<name>`, notBefore = now (seconds), notAfter =
//! notBefore + `days` days, keyUsage critical digitalSignature, extKeyUsage codeSigning, no
//! basicConstraints/SKID/AKID/SAN, signed sha256WithRSAEncryption. rcgen writes exactly these
//! fields when `is_ca` is `NoCa` and no key identifier is requested, and encodes the name
//! attributes as Go does (PrintableString, or UTF8String when the value has characters
//! outside PrintableString such as `_`). The only intended difference is `days` (upstream
//! always uses 1).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// Errors generating a test certificate.
#[derive(Debug, thiserror::Error)]
pub enum TestCertError {
    /// The common name is not a valid file/store name.
    #[error("name needs to follow [a-zA-Z0-9_.-]+ format")]
    InvalidName,
    /// `--days` below 1.
    #[error("days must be at least 1")]
    InvalidDays,
    /// Key generation failed (e.g. an unsupported size).
    #[error("{0}")]
    Key(String),
    /// The certificate could not be built or signed.
    #[error("failed to generate the test certificate: {0}")]
    Certificate(String),
}

/// A generated key and its self-signed certificate.
#[derive(Clone, Debug)]
pub struct TestCertificate {
    /// PKCS#8 `PRIVATE KEY` PEM.
    pub key_pem: String,
    /// One `CERTIFICATE` PEM block.
    pub cert_pem: String,
    /// The certificate DER.
    pub cert_der: Vec<u8>,
    /// notBefore (UTC, whole seconds).
    pub not_before: OffsetDateTime,
    /// notAfter (UTC, whole seconds).
    pub not_after: OffsetDateTime,
    /// The serial number.
    pub serial: u8,
}

/// Generate an RSA key of `bits` bits and a test certificate valid for `days` days from now.
pub fn generate(name: &str, bits: usize, days: u32) -> Result<TestCertificate, TestCertError> {
    if !crate::truststore::is_valid_name(name) {
        return Err(TestCertError::InvalidName);
    }
    if days < 1 {
        return Err(TestCertError::InvalidDays);
    }
    let key = crate::crypto::PrivateKey::generate_rsa(bits)
        .map_err(|e| TestCertError::Key(e.to_string()))?;
    let key_pem = key
        .to_pkcs8_pem()
        .map_err(|e| TestCertError::Key(e.to_string()))?;
    build(
        name,
        &key_pem,
        days,
        OffsetDateTime::now_utc(),
        random_serial(),
    )
}

/// Build the certificate for an existing PKCS#8 RSA key (deterministic given its inputs).
pub fn build(
    name: &str,
    key_pkcs8_pem: &str,
    days: u32,
    now: OffsetDateTime,
    serial: u8,
) -> Result<TestCertificate, TestCertError> {
    let cert_err = |e: rcgen::Error| TestCertError::Certificate(e.to_string());
    let key_pair = KeyPair::from_pkcs8_pem_and_sign_algo(key_pkcs8_pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(cert_err)?;
    let not_before = now
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    let not_after = not_before + Duration::days(i64::from(days));

    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(&[serial]));
    params.not_before = not_before;
    params.not_after = not_after;
    params.distinguished_name = subject(name);
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    params.use_authority_key_identifier_extension = false;
    let cert = params.self_signed(&key_pair).map_err(cert_err)?;
    let cert_der = cert.der().to_vec();
    Ok(TestCertificate {
        key_pem: key_pkcs8_pem.to_string(),
        cert_pem: crate::go::pem::encode("CERTIFICATE", &cert_der),
        cert_der,
        not_before,
        not_after,
        serial,
    })
}

/// `C=US, ST=WA, L=Seattle, O=Notary, CN=<name>` in Go's RDN order.
fn subject(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for (ty, value) in [
        (DnType::CountryName, "US"),
        (DnType::StateOrProvinceName, "WA"),
        (DnType::LocalityName, "Seattle"),
        (DnType::OrganizationName, "Notary"),
        (DnType::CommonName, name),
    ] {
        dn.push(ty, go_string_value(value));
    }
    dn
}

/// Go's `encoding/asn1` marshals strings as PrintableString when every character is allowed
/// there, else as UTF8String (`*`, which Go also allows, cannot occur in a valid name).
fn go_string_value(value: &str) -> DnValue {
    match rcgen::string::PrintableString::try_from(value) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(value.to_string()),
    }
}

/// A serial in [0, 199] as upstream's `math/rand.Intn(200)`.
fn random_serial() -> u8 {
    let mut buf = [0u8; 4];
    aws_lc_rs::rand::fill(&mut buf).expect("the system RNG works");
    (u32::from_be_bytes(buf) % 200) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn interop_key() -> String {
        let dir = std::env::var_os("NOTATION_INTEROP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
        std::fs::read_to_string(dir.join("pki/leaf-rsa2048.key"))
            .expect("interop fixtures (set NOTATION_INTEROP_DIR)")
    }

    #[test]
    fn certificate_has_exactly_upstreams_profile() {
        let now = time::macros::datetime!(2026-01-02 03:04:05.678 UTC);
        let t = build("wabbit-networks.io", &interop_key(), 1, now, 150).unwrap();
        let cert = crate::x509::Certificate::from_der(&t.cert_der).unwrap();
        assert_eq!(cert.version(), 3);
        assert_eq!(cert.serial_hex(), "0096");
        assert_eq!(
            cert.subject(),
            "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US"
        );
        assert_eq!(cert.raw_subject(), cert.raw_issuer());
        assert_eq!(
            cert.not_before(),
            time::macros::datetime!(2026-01-02 03:04:05 UTC)
        );
        assert_eq!(
            cert.not_after(),
            time::macros::datetime!(2026-01-03 03:04:05 UTC)
        );
        assert_eq!(t.not_after, cert.not_after());
        assert!(!cert.is_ca());
        assert!(cert.basic_constraints().is_none());
        assert!(cert.is_self_signed());
        assert_eq!(
            cert.signature_algorithm_oid().to_string(),
            "1.2.840.113549.1.1.11"
        );
        // Exactly two extensions, in Go's order, with Go's encodings.
        let exts = cert
            .inner()
            .tbs_certificate()
            .extensions()
            .expect("extensions");
        let summary: Vec<(String, bool, Vec<u8>)> = exts
            .iter()
            .map(|e| {
                (
                    e.extn_id.to_string(),
                    e.critical,
                    e.extn_value.as_bytes().to_vec(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2.5.29.15".to_string(), true, vec![0x03, 0x02, 0x07, 0x80]),
                (
                    "2.5.29.37".to_string(),
                    false,
                    vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03]
                ),
            ]
        );
        // C=US as a PrintableString, as Go writes it.
        assert!(cert
            .raw_subject()
            .windows(4)
            .any(|w| w == [0x13, 0x02, b'U', b'S']));
        assert!(t.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(t.cert_pem.ends_with("\n-----END CERTIFICATE-----\n"));
        assert!(t.cert_pem.lines().all(|l| l.len() <= 64));
        let parsed = crate::x509::parse_certificates(t.cert_pem.as_bytes()).unwrap();
        assert_eq!(parsed[0].der(), &t.cert_der[..]);
    }

    #[test]
    fn serial_zero_days_and_underscore_names() {
        let now = time::macros::datetime!(2049-12-31 00:00:00 UTC);
        let t = build("my_key", &interop_key(), 30, now, 0).unwrap();
        let cert = crate::x509::Certificate::from_der(&t.cert_der).unwrap();
        assert_eq!(cert.serial_hex(), "00");
        assert_eq!(
            cert.not_after(),
            time::macros::datetime!(2050-01-30 00:00:00 UTC)
        );
        // "_" is outside PrintableString: Go switches to UTF8String.
        assert!(cert
            .raw_subject()
            .windows(8)
            .any(|w| w == [0x0c, 0x06, b'm', b'y', b'_', b'k', b'e', b'y']));
        assert!(matches!(
            generate("bad name", 2048, 1),
            Err(TestCertError::InvalidName)
        ));
        assert!(matches!(
            generate("ok", 2048, 0),
            Err(TestCertError::InvalidDays)
        ));
    }

    #[test]
    fn serials_stay_below_200() {
        assert!((0..500).map(|_| random_serial()).all(|s| s < 200));
    }
}
