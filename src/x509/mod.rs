//! X.509 helpers: certificate files, names as Go prints them, chain rules.

pub(crate) mod chain;
mod key_pair;
pub(crate) mod name;
pub(crate) mod server;
mod signature;
pub(crate) mod verify;

use crate::go::pem::{self, pem_blocks};
use std::collections::HashSet;
use std::fmt;

use der::asn1::{BitStringRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

pub use chain::{validate_code_signing_chain, validate_timestamping_chain, ChainError};
pub use key_pair::load_key_pair;
pub(crate) use signature::{check_cms_signature, check_signed_data, CmsSignatureScheme};
pub use signature::{check_signature, CertSignatureError, SignatureCheck};

/// `id-ad-ocsp` (1.3.6.1.5.5.7.48.1) as DER, looked for inside the AIA extension.
const OID_AD_OCSP_DER: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];

/// Errors from parsing certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// The DER structure is not a valid certificate (Go `x509.ParseCertificate` failure).
    #[error("{0}")]
    Parse(String),
    /// A file or buffer held no certificate.
    #[error("no certificates found in the file")]
    NoCertificates,
}

/// OID of the keyUsage extension.
pub(crate) const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// OID of the extendedKeyUsage extension.
pub(crate) const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// OID of the basicConstraints extension.
pub(crate) const OID_BASIC_CONSTRAINTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.19");

/// Well-known extended key usages (Go `x509.ExtKeyUsage*`).
pub mod eku {
    use der::asn1::ObjectIdentifier;
    /// anyExtendedKeyUsage.
    pub const ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");
    /// id-kp-serverAuth.
    pub const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
    /// id-kp-clientAuth.
    pub const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
    /// id-kp-codeSigning.
    pub const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
    /// id-kp-emailProtection.
    pub const EMAIL_PROTECTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
    /// id-kp-timeStamping.
    pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
    /// id-kp-OCSPSigning.
    pub const OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
}

/// Key usage bits with Go's numbering (`x509.KeyUsage`: bit i of the BIT STRING is `1 << i`).
pub mod key_usage {
    /// digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    /// contentCommitment (nonRepudiation).
    pub const CONTENT_COMMITMENT: u16 = 1 << 1;
    /// keyEncipherment.
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    /// dataEncipherment.
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    /// keyAgreement.
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    /// keyCertSign.
    pub const CERT_SIGN: u16 = 1 << 5;
    /// cRLSign.
    pub const CRL_SIGN: u16 = 1 << 6;
    /// encipherOnly.
    pub const ENCIPHER_ONLY: u16 = 1 << 7;
    /// decipherOnly.
    pub const DECIPHER_ONLY: u16 = 1 << 8;
}

/// The keyUsage extension as Go sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    /// Go-numbered bits (see [`key_usage`]).
    pub bits: u16,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

/// The extendedKeyUsage extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtKeyUsage {
    /// Usage OIDs in encoding order.
    pub usages: Vec<ObjectIdentifier>,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

/// The basicConstraints extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    /// The `cA` flag.
    pub ca: bool,
    /// `pathLenConstraint` when present (an explicit 0 is `Some(0)`).
    pub path_len: Option<u64>,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

/// A parsed X.509 certificate together with its exact DER encoding.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    inner: x509_cert::Certificate,
    raw_tbs: std::ops::Range<usize>,
    raw_issuer: std::ops::Range<usize>,
    raw_subject: std::ops::Range<usize>,
    spki: std::ops::Range<usize>,
    subject: String,
    issuer: String,
    key_usage: Option<KeyUsage>,
    ext_key_usage: Option<ExtKeyUsage>,
    basic_constraints: Option<BasicConstraints>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

fn malformed(what: &str) -> X509Error {
    X509Error::Parse(format!("x509: malformed {what}"))
}

/// Reads one TLV from `input`, returning (header length, total length).
fn tlv_len(input: &[u8]) -> Option<(usize, usize)> {
    if input.len() < 2 || input[0] & 0x1f == 0x1f {
        return None;
    }
    let first = input[1] as usize;
    let (hlen, len) = if first < 0x80 {
        (2, first)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 || input.len() < 2 + n {
            return None;
        }
        let mut len = 0usize;
        for &b in &input[2..2 + n] {
            len = (len << 8) | b as usize;
        }
        (2 + n, len)
    };
    let total = hlen.checked_add(len)?;
    (total <= input.len()).then_some((hlen, total))
}

/// Byte ranges of the TBS, issuer, subject and SPKI inside a certificate's DER.
struct RawRanges {
    tbs: std::ops::Range<usize>,
    issuer: std::ops::Range<usize>,
    subject: std::ops::Range<usize>,
    spki: std::ops::Range<usize>,
}

fn raw_ranges(der: &[u8]) -> Option<RawRanges> {
    let (outer_h, _) = tlv_len(der)?;
    let tbs_start = outer_h;
    let (tbs_h, tbs_total) = tlv_len(&der[tbs_start..])?;
    let tbs = tbs_start..tbs_start + tbs_total;
    let mut pos = tbs_start + tbs_h;
    let next = |pos: &mut usize| -> Option<std::ops::Range<usize>> {
        let (_, total) = tlv_len(&der[*pos..tbs.end])?;
        let r = *pos..*pos + total;
        *pos += total;
        Some(r)
    };
    if der.get(pos) == Some(&0xa0) {
        next(&mut pos)?; // version
    }
    next(&mut pos)?; // serial
    next(&mut pos)?; // signature algorithm
    let issuer = next(&mut pos)?;
    next(&mut pos)?; // validity
    let subject = next(&mut pos)?;
    let spki = next(&mut pos)?;
    Some(RawRanges {
        tbs,
        issuer,
        subject,
        spki,
    })
}

impl Certificate {
    /// Parses exactly one DER-encoded certificate (trailing bytes are an error, as in Go).
    pub fn from_der(der: &[u8]) -> Result<Certificate, X509Error> {
        let inner = x509_cert::Certificate::from_der(der).map_err(|e| {
            if matches!(e.kind(), der::ErrorKind::TrailingData { .. }) {
                X509Error::Parse("x509: trailing data".into())
            } else {
                // Go reports most DER problems with this one text.
                malformed("certificate")
            }
        })?;
        let RawRanges {
            tbs: raw_tbs,
            issuer: raw_issuer,
            subject: raw_subject,
            spki,
        } = raw_ranges(der).ok_or_else(|| malformed("certificate"))?;
        let tbs = inner.tbs_certificate();
        let subject = name::go_string(&name::attributes(tbs.subject())?);
        let issuer = name::go_string(&name::attributes(tbs.issuer())?);
        let mut cert = Certificate {
            der: der.to_vec(),
            inner,
            raw_tbs,
            raw_issuer,
            raw_subject,
            spki,
            subject,
            issuer,
            key_usage: None,
            ext_key_usage: None,
            basic_constraints: None,
        };
        cert.parse_extensions()?;
        crate::crypto::PublicKey::from_spki_der(&cert.spki_der())
            .map_err(|e| X509Error::Parse(e.to_string()))?;
        Ok(cert)
    }

    fn parse_extensions(&mut self) -> Result<(), X509Error> {
        let Some(exts) = self.inner.tbs_certificate().extensions() else {
            return Ok(());
        };
        // A set (Go: a map): a hostile certificate may carry very many extensions.
        let mut seen: HashSet<&ObjectIdentifier> = HashSet::new();
        let mut key_usage = None;
        let mut ext_key_usage = None;
        let mut basic_constraints = None;
        for ext in exts.iter() {
            if !seen.insert(&ext.extn_id) {
                return Err(X509Error::Parse(
                    "x509: certificate contains duplicate extensions".into(),
                ));
            }
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == OID_KEY_USAGE {
                let bits = BitStringRef::from_der(value)
                    .map_err(|_| X509Error::Parse("x509: invalid key usage".into()))?;
                let mut go_bits = 0u16;
                for i in 0..9 {
                    if bits.get(i) == Some(true) {
                        go_bits |= 1 << i;
                    }
                }
                key_usage = Some(KeyUsage {
                    bits: go_bits,
                    critical: ext.critical,
                });
            } else if ext.extn_id == OID_EXT_KEY_USAGE {
                let usages = Vec::<ObjectIdentifier>::from_der(value)
                    .map_err(|_| X509Error::Parse("x509: invalid extended key usages".into()))?;
                ext_key_usage = Some(ExtKeyUsage {
                    usages,
                    critical: ext.critical,
                });
            } else if ext.extn_id == OID_BASIC_CONSTRAINTS {
                let (ca, path_len) = parse_basic_constraints(value)
                    .ok_or_else(|| X509Error::Parse("x509: invalid basic constraints".into()))?;
                basic_constraints = Some(BasicConstraints {
                    ca,
                    path_len,
                    critical: ext.critical,
                });
            }
        }
        self.key_usage = key_usage;
        self.ext_key_usage = ext_key_usage;
        self.basic_constraints = basic_constraints;
        Ok(())
    }

    /// The exact DER bytes this certificate was parsed from.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed structure.
    pub fn inner(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// Subject as Go's `pkix.Name.String()` prints it.
    pub fn subject(&self) -> String {
        self.subject.clone()
    }

    /// Issuer as Go's `pkix.Name.String()` prints it.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    /// Subject attributes (type OID and value) in encoding order.
    pub fn subject_attributes(&self) -> Vec<name::NameAttribute> {
        name::attributes(self.inner.tbs_certificate().subject()).unwrap_or_default()
    }

    /// Raw DER of the subject name.
    pub fn raw_subject(&self) -> &[u8] {
        &self.der[self.raw_subject.clone()]
    }

    /// Raw DER of the issuer name.
    pub fn raw_issuer(&self) -> &[u8] {
        &self.der[self.raw_issuer.clone()]
    }

    /// Raw DER of the to-be-signed part (what the issuer signed).
    pub fn raw_tbs(&self) -> &[u8] {
        &self.der[self.raw_tbs.clone()]
    }

    /// Start of the validity period (UTC).
    pub fn not_before(&self) -> OffsetDateTime {
        to_offset(self.inner.tbs_certificate().validity().not_before)
    }

    /// End of the validity period (UTC).
    pub fn not_after(&self) -> OffsetDateTime {
        to_offset(self.inner.tbs_certificate().validity().not_after)
    }

    /// Lowercase hex SHA-256 of the DER encoding.
    pub fn sha256_fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// DER of the SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.der[self.spki.clone()].to_vec()
    }

    /// Whether the certificate has CRL distribution points or an OCSP responder in its AIA.
    pub fn has_revocation_info(&self) -> bool {
        let crl_dp = const_oid::ObjectIdentifier::new_unwrap("2.5.29.31");
        let aia = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
        let Some(exts) = self.inner().tbs_certificate().extensions() else {
            return false;
        };
        exts.iter().any(|e| {
            e.extn_id == crl_dp
                || (e.extn_id == aia
                    && e.extn_value
                        .as_bytes()
                        .windows(OID_AD_OCSP_DER.len())
                        .any(|w| w == OID_AD_OCSP_DER))
        })
    }

    /// X.509 version as Go numbers it (1, 2 or 3).
    pub fn version(&self) -> u8 {
        match self.inner.tbs_certificate().version() {
            x509_cert::certificate::Version::V1 => 1,
            x509_cert::certificate::Version::V2 => 2,
            x509_cert::certificate::Version::V3 => 3,
        }
    }

    /// Serial number as lowercase hex of its big-endian bytes.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.inner.tbs_certificate().serial_number().as_bytes())
    }

    /// Whether basicConstraints is present with `cA` true (Go `IsCA` with `BasicConstraintsValid`).
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }

    /// The keyUsage extension, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }

    /// Go-numbered key usage bits (0 when the extension is absent, as Go reports it).
    pub fn key_usage_bits(&self) -> u16 {
        self.key_usage.map_or(0, |k| k.bits)
    }

    /// The extendedKeyUsage extension, if present.
    pub fn ext_key_usage(&self) -> Option<&ExtKeyUsage> {
        self.ext_key_usage.as_ref()
    }

    /// The basicConstraints extension, if present.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
    }

    /// Dotted OID of the certificate's signature algorithm.
    pub fn signature_algorithm_oid(&self) -> ObjectIdentifier {
        self.inner.signature_algorithm().oid
    }

    /// Whether raw subject equals raw issuer and the certificate's own key verifies its
    /// signature (Go `CheckSignature`, SHA-1 tolerated).
    pub fn is_self_signed(&self) -> bool {
        self.raw_subject() == self.raw_issuer()
            && check_signature(self, self, SignatureCheck::SelfSignature).is_ok()
    }

    /// The signature value bytes.
    pub fn signature_bytes(&self) -> &[u8] {
        self.inner.signature().raw_bytes()
    }
}

fn parse_basic_constraints(value: &[u8]) -> Option<(bool, Option<u64>)> {
    let mut outer = SliceReader::new(value).ok()?;
    let header = der::Header::decode(&mut outer).ok()?;
    if header.tag() != der::Tag::Sequence {
        return None;
    }
    let body = outer.read_slice(header.length()).ok()?;
    if !outer.is_finished() {
        return None;
    }
    let mut r = SliceReader::new(body).ok()?;
    let mut ca = false;
    let mut path_len = None;
    if der::Tag::peek(&r).ok() == Some(der::Tag::Boolean) {
        ca = bool::decode(&mut r).ok()?;
    }
    if der::Tag::peek(&r).ok() == Some(der::Tag::Integer) {
        let int = der::asn1::IntRef::decode(&mut r).ok()?;
        let bytes = int.as_bytes();
        if bytes.first().is_some_and(|b| b & 0x80 != 0) || bytes.len() > 8 {
            return None;
        }
        path_len = Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64));
    }
    r.is_finished().then_some((ca, path_len))
}

fn to_offset(t: x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs() as i64;
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Parses certificates from PEM (every block must be a certificate; text around the
/// blocks is ignored) or else from one or more concatenated DER certificates.
/// Zero certificates is an error (Go `ReadCertificateFile`).
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, X509Error> {
    let blocks = pem_blocks(bytes);
    let certs = if blocks.is_empty() {
        parse_der_sequence(bytes)?
    } else {
        blocks
            .iter()
            .map(|b| Certificate::from_der(&b.contents))
            .collect::<Result<Vec<_>, _>>()?
    };
    if certs.is_empty() {
        return Err(X509Error::NoCertificates);
    }
    Ok(certs)
}

/// Go `x509.ParseCertificates`: consecutive DER certificates with nothing in between.
pub(crate) fn parse_der_sequence(mut bytes: &[u8]) -> Result<Vec<Certificate>, X509Error> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (_, total) = tlv_len(bytes).ok_or_else(|| malformed("certificate"))?;
        out.push(Certificate::from_der(&bytes[..total])?);
        bytes = &bytes[total..];
    }
    Ok(out)
}

/// Encodes a certificate as a PEM `CERTIFICATE` block (64-column lines, trailing newline).
pub fn to_pem(cert: &Certificate) -> String {
    pem::encode("CERTIFICATE", cert.der())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The interop fixture directory (env `NOTATION_INTEROP_DIR` or `<repo>/testdata/interop`).
    pub(crate) fn interop_dir() -> PathBuf {
        let dir = std::env::var_os("NOTATION_INTEROP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
        assert!(
            dir.join("cases.json").is_file(),
            "interop fixtures not found at {}; set NOTATION_INTEROP_DIR",
            dir.display()
        );
        dir
    }

    pub(crate) fn pki(name: &str) -> Vec<u8> {
        std::fs::read(interop_dir().join("pki").join(name)).unwrap()
    }

    /// Issue 9 §3 review: each extension was compared with every earlier one; a
    /// certificate with very many extensions is now checked in one pass.
    #[test]
    fn quadratic_duplicate_extension_check() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params.custom_extensions = (0..20_000u64)
            .map(|i| rcgen::CustomExtension::from_oid_content(&[1, 3, 9999, i], vec![5, 0]))
            .collect();
        let distinct = params.self_signed(&key).unwrap();
        Certificate::from_der(distinct.der()).unwrap();
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 9999, 7],
                vec![5, 0],
            ));
        let duplicated = params.self_signed(&key).unwrap();
        assert_eq!(
            Certificate::from_der(duplicated.der())
                .unwrap_err()
                .to_string(),
            "x509: certificate contains duplicate extensions"
        );
    }

    #[test]
    fn parses_chain_file_and_renders_names() {
        let certs = parse_certificates(&pki("leaf-rsa2048.chain.pem")).unwrap();
        assert_eq!(certs.len(), 3);
        assert_eq!(
            certs[0].subject(),
            "CN=leaf-rsa2048,O=Notation-RS Interop,L=Seattle,ST=WA,C=US"
        );
        assert_eq!(
            certs[0].issuer(),
            "CN=Interop Intermediate CA,O=Notation-RS Interop,L=Seattle,ST=WA,C=US"
        );
        assert_eq!(
            certs[2].subject(),
            "CN=Interop Root CA,OU=Interop Fixtures,O=Notation-RS Interop,L=Seattle,ST=WA,C=US"
        );
        assert!(!certs[0].is_ca());
        assert!(certs[1].is_ca());
        assert!(certs[2].is_ca());
        assert!(certs[2].is_self_signed());
        assert!(!certs[1].is_self_signed());
        assert!(!certs[0].is_self_signed());
        assert_eq!(certs[1].basic_constraints().unwrap().path_len, Some(0));
        let ku = certs[0].key_usage().unwrap();
        assert!(ku.critical);
        assert_eq!(ku.bits, key_usage::DIGITAL_SIGNATURE);
        assert_eq!(
            certs[0].ext_key_usage().unwrap().usages,
            vec![eku::CODE_SIGNING]
        );
        assert_eq!(certs[0].raw_issuer(), certs[1].raw_subject());
    }

    #[test]
    fn validity_and_fingerprint() {
        let cert = &parse_certificates(&pki("leaf-expired.crt")).unwrap()[0];
        assert!(cert.not_before() < cert.not_after());
        assert_eq!(cert.not_after().year(), 2026);
        let der_bytes = cert.der().to_vec();
        assert_eq!(
            hex::encode(Sha256::digest(&der_bytes)),
            cert.sha256_fingerprint()
        );
    }

    #[test]
    fn der_and_pem_forms() {
        let pem_certs = parse_certificates(&pki("leaf-rsa2048.chain.pem")).unwrap();
        let mut der_concat = Vec::new();
        for c in &pem_certs {
            der_concat.extend_from_slice(c.der());
        }
        let der_certs = parse_certificates(&der_concat).unwrap();
        assert_eq!(pem_certs, der_certs);
        // Text around PEM blocks is ignored.
        let mut noisy = b"leading text\n".to_vec();
        noisy.extend_from_slice(to_pem(&pem_certs[0]).as_bytes());
        noisy.extend_from_slice(b"trailing text\n");
        assert_eq!(parse_certificates(&noisy).unwrap()[0], pem_certs[0]);
        assert_eq!(parse_certificates(b""), Err(X509Error::NoCertificates));
        assert!(parse_certificates(b"garbage").is_err());
        // A non-certificate PEM block is an error.
        assert!(parse_certificates(&pki("leaf-rsa2048.key")).is_err());
        // Trailing garbage after a single DER certificate is an error.
        let mut trailing = pem_certs[0].der().to_vec();
        trailing.push(0);
        assert!(Certificate::from_der(&trailing).is_err());
    }

    #[test]
    fn truncations_never_panic() {
        let der_bytes = parse_certificates(&pki("leaf-ecp256.crt")).unwrap()[0]
            .der()
            .to_vec();
        for n in 0..der_bytes.len() {
            assert!(Certificate::from_der(&der_bytes[..n]).is_err());
            let _ = parse_certificates(&der_bytes[..n]);
        }
    }
}
