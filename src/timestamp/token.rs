//! Parsing and verifying an RFC 3161 `TimeStampToken` (tspclient-go `ParseSignedToken`,
//! `SignedToken.Verify`, `TSTInfo.Validate`; verification.md §8.2).

use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, SliceReader, Tagged};
use std::collections::HashMap;
use time::OffsetDateTime;

use super::asn1::{SigningCertificateV2, TstInfo};
use super::{Hash, TimestampError};
use crate::x509::{check_cms_signature, eku, Certificate, CmsSignatureScheme};

const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const OID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// ETSI baseline timestamp policy (RFC 3628): accuracy defaults to one second.
const OID_BASELINE_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.2023.1.1");

/// Why one signer of a token did not verify (tspclient-go's and internal/cms's texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SignerError {
    /// The token has no signer.
    #[error("signerInfo not found")]
    NoSigner,
    /// `signingCertificateV2` names no certificate of the token, or the wrong one.
    #[error("{0}")]
    SigningCertificate(String),
    /// The signer's certificate does not chain to a trusted TSA.
    #[error("cms verification failure: {0}")]
    Certificate(#[from] crate::x509::verify::CertVerifyError),
    /// internal/cms rejected the signer.
    #[error("cms verification failure: {0}")]
    Cms(String),
    #[error("signing certificate extended key usage extension must be set as critical")]
    EkuNotCritical,
    #[error(
        "signing certificate must have and only have ExtKeyUsageTimeStamping as extended key usage"
    )]
    EkuNotTimestamping,
}

fn signing_cert(message: impl Into<String>) -> SignerError {
    SignerError::SigningCertificate(message.into())
}

fn cms(message: impl Into<String>) -> SignerError {
    SignerError::Cms(message.into())
}

/// A parsed, not yet verified timestamp token.
#[derive(Debug, Clone)]
pub struct SignedToken {
    certificates: Vec<Certificate>,
    /// Position of the first certificate with each (raw issuer, serial magnitude): every
    /// signer looks its certificate up, and a token may carry many of both.
    by_issuer_serial: HashMap<(Vec<u8>, Vec<u8>), usize>,
    /// DER `TSTInfo` (the encapsulated content).
    content: Vec<u8>,
    signer_infos: Vec<SignerInfo>,
}

/// What a token's `TSTInfo` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfoView {
    /// TSTInfo `version` (`None` if it does not fit an `i64`).
    pub version: Option<i64>,
    /// TSA policy OID.
    pub policy: ObjectIdentifier,
    /// Message imprint hash algorithm OID.
    pub hash_algorithm: ObjectIdentifier,
    /// DER of the imprint algorithm's parameters, if any.
    pub hash_parameters: Option<Vec<u8>>,
    /// The imprint's hashed message.
    pub hashed_message: Vec<u8>,
    /// `genTime`.
    pub gen_time: OffsetDateTime,
    /// Whether `genTime` was written in UTC (`Z`).
    pub gen_time_utc: bool,
    /// Accuracy as given (zero if absent).
    pub accuracy: time::Duration,
    /// Nonce as DER INTEGER content bytes.
    pub nonce: Option<Vec<u8>>,
}

/// The time a verified token vouches for: `genTime ± accuracy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// `genTime`.
    pub gen_time: OffsetDateTime,
    /// The accuracy (after the ETSI baseline default).
    pub accuracy: time::Duration,
}

impl Timestamp {
    /// Earliest possible time of the timestamp.
    pub fn lower(&self) -> OffsetDateTime {
        self.gen_time - self.accuracy
    }

    /// Latest possible time of the timestamp.
    pub fn upper(&self) -> OffsetDateTime {
        self.gen_time + self.accuracy
    }

    /// tspclient-go `BoundedAfter`: the lower limit is at or after `t`.
    pub fn bounded_after(&self, t: OffsetDateTime) -> bool {
        self.lower() >= t
    }

    /// tspclient-go `BoundedBefore`: the upper limit is at or before `t`.
    pub fn bounded_before(&self, t: OffsetDateTime) -> bool {
        self.upper() <= t
    }
}

fn syntax(message: &str, detail: impl std::fmt::Display) -> TimestampError {
    TimestampError::Parse(format!("cms: syntax error: {message}: {detail}"))
}

impl SignedToken {
    /// Parses a BER or DER `TimeStampToken` (a CMS `ContentInfo` holding `SignedData`
    /// over a `TSTInfo`).
    pub fn parse(bytes: &[u8]) -> Result<SignedToken, TimestampError> {
        let der = super::ber::to_der(bytes)
            .map_err(|e| syntax("invalid signed data: failed to convert from BER to DER", e))?;
        let info = ContentInfo::from_der(&der).map_err(|e| {
            syntax(
                "invalid content info: failed to unmarshal DER to ContentInfo",
                e,
            )
        })?;
        if info.content_type != OID_SIGNED_DATA {
            return Err(TimestampError::Parse(
                "cms: content type is not signed-data".into(),
            ));
        }
        let signed: SignedData = info
            .content
            .decode_as()
            .map_err(|e| syntax("invalid signed data", e))?;
        // The decoded SET is re-sorted by `der`; keep the token's own order (shown by
        // inspect, as Go does) by reading the certificates from the raw encoding.
        let mut certificates = Vec::new();
        for der in certificates_in_token_order(info.content.value())
            .map_err(|e| syntax("failed to parse X509 certificates from signed data", e))?
        {
            certificates
                .push(Certificate::from_der(&der).map_err(|e| {
                    syntax("failed to parse X509 certificates from signed data", e)
                })?);
        }
        let econtent_type = signed.encap_content_info.econtent_type;
        if econtent_type != OID_TST_INFO {
            return Err(TimestampError::Parse(format!(
                "unexpected content type: {econtent_type}"
            )));
        }
        if signed.version != CmsVersion::V3 {
            return Err(syntax(
                "invalid signed data",
                format!("version must be 3, got {}", signed.version as u8),
            ));
        }
        let content = match &signed.encap_content_info.econtent {
            Some(any) => any
                .decode_as::<OctetString>()
                .map_err(|e| syntax("invalid signed data", e))?
                .into_bytes()
                .into_vec(),
            None => Vec::new(),
        };
        let mut by_issuer_serial = HashMap::new();
        for (i, c) in certificates.iter().enumerate() {
            let serial = int_magnitude(c.inner().tbs_certificate().serial_number().as_bytes());
            by_issuer_serial
                .entry((c.raw_issuer().to_vec(), serial.to_vec()))
                .or_insert(i);
        }
        Ok(SignedToken {
            certificates,
            by_issuer_serial,
            content,
            signer_infos: signed.signer_infos.0.into_vec(),
        })
    }

    /// The certificates carried by the token, in token order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Whether some signer's signing certificate is in the token (tspclient-go
    /// `GetSigningCertificate` succeeding for one `SignerInfo`).
    pub fn has_signing_certificate(&self) -> bool {
        self.signer_infos
            .iter()
            .any(|si| self.signing_certificate(si).is_ok())
    }

    /// Decodes the `TSTInfo` (tspclient-go `Info`).
    pub fn info(&self) -> Result<TstInfoView, TimestampError> {
        let unmarshal = |e: String| {
            TimestampError::Info(format!(
                "cannot unmarshal TSTInfo from timestamp token: {e}"
            ))
        };
        let tst = TstInfo::from_der(&self.content).map_err(|e| unmarshal(e.to_string()))?;
        let (gen_time, gen_time_utc) = parse_generalized_time(&tst.gen_time).ok_or_else(|| {
            unmarshal("asn1: time did not serialize back to the original value".into())
        })?;
        let acc = tst.accuracy.unwrap_or_default();
        let accuracy = time::Duration::seconds(acc.seconds.unwrap_or(0).min(i64::MAX as u64) as i64)
            + time::Duration::milliseconds(i64::from(acc.millis.unwrap_or(0)))
            + time::Duration::microseconds(i64::from(acc.micros.unwrap_or(0)));
        Ok(TstInfoView {
            version: int_to_i64(&tst.version),
            policy: tst.policy,
            hash_algorithm: tst.message_imprint.hash_algorithm.oid,
            hash_parameters: tst
                .message_imprint
                .hash_algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok()),
            hashed_message: tst.message_imprint.hashed_message.into_bytes().into_vec(),
            gen_time,
            gen_time_utc,
            accuracy,
            nonce: tst.nonce.map(|n| n.as_bytes().to_vec()),
        })
    }

    /// Verifies the token (tspclient-go `SignedToken.Verify`) against `roots` at time `at`
    /// and returns the TSA chain `[signing cert, …, root]` of the first signer that verifies.
    pub fn verify(
        &self,
        roots: &[Certificate],
        at: OffsetDateTime,
    ) -> Result<Vec<Certificate>, TimestampError> {
        let fail =
            |m: String| TimestampError::Verify(format!("failed to verify signed token: {m}"));
        let mut last = SignerError::NoSigner;
        for si in &self.signer_infos {
            let result = self
                .signing_certificate(si)
                .and_then(|cert| self.verify_signer(si, cert, roots, at).map(|c| (cert, c)));
            let (cert, chain) = match result {
                Ok(v) => v,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            match cert.ext_key_usage() {
                Some(e) if e.usages.as_slice() == [eku::TIME_STAMPING] => {
                    if e.critical {
                        return Ok(chain);
                    }
                    last = SignerError::EkuNotCritical;
                }
                _ => {
                    last = SignerError::EkuNotTimestamping;
                }
            }
        }
        Err(fail(last.to_string()))
    }

    /// tspclient-go `SigningCertificate`: the certificate named by the first ESSCertIDv2 of
    /// the `signingCertificateV2` signed attribute, checked against its hash.
    fn signing_certificate(&self, si: &SignerInfo) -> Result<&Certificate, SignerError> {
        let attr = find_attribute(si, OID_SIGNING_CERTIFICATE_V2).ok_or_else(|| {
            signing_cert(
                "failed to get SigningCertificateV2 from signed attributes: attribute not found",
            )
        })?;
        let sc: SigningCertificateV2 = attr.decode_as().map_err(|e| {
            signing_cert(format!(
                "failed to get SigningCertificateV2 from signed attributes: {e}"
            ))
        })?;
        let first = sc
            .certs
            .first()
            .ok_or_else(|| signing_cert("signingCertificateV2 does not contain any certificate"))?;
        let found = match &first.issuer_serial {
            Some(is) => {
                let issuer = is
                    .issuer
                    .iter()
                    .find_map(|g| match g {
                        x509_cert::ext::pkix::name::GeneralName::DirectoryName(n) => {
                            n.to_der().ok()
                        }
                        _ => None,
                    })
                    .ok_or_else(|| signing_cert("issuer name is missing in IssuerSerial"))?;
                self.find_certificate(&issuer, &is.serial_number)
            }
            None => match &si.sid {
                SignerIdentifier::IssuerAndSerialNumber(isn) => {
                    let issuer = isn
                        .issuer
                        .to_der()
                        .map_err(|e| signing_cert(e.to_string()))?;
                    let serial = Int::new(isn.serial_number.as_bytes())
                        .map_err(|e| signing_cert(e.to_string()))?;
                    self.find_certificate(&issuer, &serial)
                }
                SignerIdentifier::SubjectKeyIdentifier(_) => None,
            },
        };
        let cert = found
            .ok_or_else(|| signing_cert("signing certificate not found in the timestamp token"))?;
        let hash = match &first.hash_algorithm {
            None => Hash::Sha256,
            Some(alg) => Hash::from_oid(&alg.oid).ok_or_else(|| {
                signing_cert(
                    "unsupported certificate hash algorithm in SigningCertificateV2 attribute",
                )
            })?,
        };
        if hash.digest(cert.der()) != first.cert_hash.as_bytes() {
            return Err(signing_cert(
                "signing certificate hash does not match CertHash in signed attribute",
            ));
        }
        Ok(cert)
    }

    fn find_certificate(&self, issuer_der: &[u8], serial: &Int) -> Option<&Certificate> {
        let key = (
            issuer_der.to_vec(),
            int_magnitude(serial.as_bytes()).to_vec(),
        );
        self.by_issuer_serial
            .get(&key)
            .map(|&i| &self.certificates[i])
    }

    /// internal/cms `VerifySigner`: chain, signature, then signed attributes.
    fn verify_signer(
        &self,
        si: &SignerInfo,
        cert: &Certificate,
        roots: &[Certificate],
        at: OffsetDateTime,
    ) -> Result<Vec<Certificate>, SignerError> {
        if si.version != CmsVersion::V1 {
            return Err(cms(format!(
                "invalid signer info version: only version 1 is supported; got {}",
                si.version as u8
            )));
        }
        // Go is given the token's time in UTC and prints it so.
        let at = at.to_offset(time::UtcOffset::UTC);
        crate::x509::verify::check_validity(cert, at)?;
        let chain: Vec<Certificate> = crate::x509::verify::chain_to_root(
            cert,
            &self.certificates,
            roots,
            at,
            eku::TIME_STAMPING,
        )?
        .into_iter()
        .cloned()
        .collect();
        let scheme = CmsSignatureScheme::from_oids(
            &si.digest_alg.oid.to_string(),
            &si.signature_algorithm.oid.to_string(),
        )
        .ok_or_else(|| cms("unknown signature algorithm"))?;
        let Some(attrs) = &si.signed_attrs else {
            return Err(cms("missing signed attributes"));
        };
        let signed = attrs
            .to_der()
            .map_err(|e| cms(format!("invalid signed attributes: {e}")))?;
        check_cms_signature(cert, scheme, &signed, si.signature.as_bytes())
            .map_err(|e| cms(e.to_string()))?;
        self.verify_signed_attributes(si, &chain)?;
        Ok(chain)
    }

    /// internal/cms `verifySignedAttributes`.
    fn verify_signed_attributes(
        &self,
        si: &SignerInfo,
        chain: &[Certificate],
    ) -> Result<(), SignerError> {
        let content_type: ObjectIdentifier = find_attribute(si, OID_CONTENT_TYPE)
            .ok_or_else(|| cms("invalid content type: attribute not found"))?
            .decode_as()
            .map_err(|e| cms(format!("invalid content type: {e}")))?;
        if content_type != OID_TST_INFO {
            return Err(cms(format!(
                "mismatch content type: found \"{content_type}\" in signer info, and \"{OID_TST_INFO}\" in signed data"
            )));
        }
        let digest: OctetString = find_attribute(si, OID_MESSAGE_DIGEST)
            .ok_or_else(|| cms("invalid message digest: attribute not found"))?
            .decode_as()
            .map_err(|e| cms(format!("invalid message digest: {e}")))?;
        let hash = Hash::from_oid(&si.digest_alg.oid)
            .ok_or_else(|| cms("unsupported digest algorithm"))?;
        if hash.digest(&self.content) != digest.as_bytes() {
            return Err(cms("mismatch message digest"));
        }
        let Some(attr) = find_attribute(si, OID_SIGNING_TIME) else {
            return Ok(());
        };
        let signing_time: x509_cert::time::Time = attr
            .decode_as()
            .map_err(|e| cms(format!("invalid signing time: {e}")))?;
        let t = OffsetDateTime::from(signing_time.to_system_time());
        if chain
            .iter()
            .all(|c| c.not_before() <= t && t <= c.not_after())
        {
            Ok(())
        } else {
            Err(cms(format!(
                "signing time, {}, is outside certificate's validity period",
                crate::go::time::string(t)
            )))
        }
    }
}

impl TstInfoView {
    /// tspclient-go `TSTInfo.Validate`: the token must be version 1 and its imprint must be
    /// the hash of `message`; returns `genTime` with its accuracy.
    pub fn validate(&self, message: &[u8]) -> Result<Timestamp, TimestampError> {
        let invalid = |m: String| TimestampError::TstInfo(format!("invalid TSTInfo: {m}"));
        if self.version != Some(1) {
            return Err(invalid(format!(
                "timestamp token info version must be 1, but got {}",
                self.version.map(|v| v.to_string()).unwrap_or_default()
            )));
        }
        let hash = Hash::from_oid(&self.hash_algorithm).ok_or_else(|| {
            invalid(format!(
                "unrecognized hash algorithm: {}",
                self.hash_algorithm
            ))
        })?;
        if hash.digest(message) != self.hashed_message {
            return Err(invalid("mismatched message".into()));
        }
        let accuracy = if self.accuracy.is_zero() && self.policy == OID_BASELINE_POLICY {
            time::Duration::seconds(1)
        } else {
            self.accuracy
        };
        Ok(Timestamp {
            gen_time: self.gen_time,
            accuracy,
        })
    }
}

/// The `certificates [0] IMPLICIT CertificateSet` of a DER `SignedData` (its content
/// octets), each X.509 certificate's DER in encoding order; other choices are skipped.
fn certificates_in_token_order(signed_data: &[u8]) -> der::Result<Vec<Vec<u8>>> {
    let mut reader = SliceReader::new(signed_data)?;
    // version, digestAlgorithms, encapContentInfo
    for _ in 0..3 {
        der::Any::decode(&mut reader)?;
    }
    if reader.is_finished() {
        return Ok(Vec::new());
    }
    let field = der::Any::decode(&mut reader)?;
    let certificates_tag = der::Tag::ContextSpecific {
        number: der::TagNumber(0),
        constructed: true,
    };
    if field.tag() != certificates_tag {
        return Ok(Vec::new());
    }
    let mut inner = SliceReader::new(field.value())?;
    let mut out = Vec::new();
    while !inner.is_finished() {
        let item = der::Any::decode(&mut inner)?;
        if item.tag() == der::Tag::Sequence {
            out.push(item.to_der()?);
        }
    }
    Ok(out)
}

fn find_attribute(si: &SignerInfo, oid: ObjectIdentifier) -> Option<&der::Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)?
        .values
        .iter()
        .next()
}

/// Two's-complement INTEGER content without redundant leading zero bytes.
fn int_magnitude(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    b
}

fn int_to_i64(i: &Int) -> Option<i64> {
    let b = i.as_bytes();
    if b.is_empty() || b.len() > 8 {
        return None;
    }
    let negative = b[0] & 0x80 != 0;
    let mut v: i64 = if negative { -1 } else { 0 };
    for byte in b {
        v = (v << 8) | i64::from(*byte);
    }
    Some(v)
}

/// Parses a `GeneralizedTime` as Go's `encoding/asn1` does: `YYYYMMDDHHMMSS[.fff…]`
/// followed by `Z` or `±hhmm`. Returns the instant and whether it was `Z`.
fn parse_generalized_time(any: &der::Any) -> Option<(OffsetDateTime, bool)> {
    if any.tag() != der::Tag::GeneralizedTime {
        return None;
    }
    let s = std::str::from_utf8(any.value()).ok()?;
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = digits(0..4)? as i32;
    let month = time::Month::try_from(digits(4..6)? as u8).ok()?;
    let date = time::Date::from_calendar_date(year, month, digits(6..8)? as u8).ok()?;
    let (h, m, sec) = (digits(8..10)?, digits(10..12)?, digits(12..14)?);
    let mut rest = &s[14..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = frac[..n].parse::<u32>().ok()? * 10u32.pow(9 - n as u32);
        rest = &frac[n..];
    }
    let t = date
        .with_hms_nano(h as u8, m as u8, sec as u8, nanos)
        .ok()?;
    if rest == "Z" {
        return Some((t.assume_utc(), true));
    }
    let sign = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if rest.len() != 5 || !rest[1..].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let oh: i8 = rest[1..3].parse().ok()?;
    let om: i8 = rest[3..5].parse().ok()?;
    let offset = time::UtcOffset::from_hms(sign * oh, sign * om, 0).ok()?;
    Some((t.assume_offset(offset), false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn gt(s: &str) -> der::Any {
        der::Any::new(der::Tag::GeneralizedTime, s.as_bytes()).unwrap()
    }

    #[test]
    fn generalized_time_forms() {
        assert_eq!(
            parse_generalized_time(&gt("20240102030405Z")),
            Some((datetime!(2024-01-02 03:04:05 UTC), true))
        );
        assert_eq!(
            parse_generalized_time(&gt("20240102030405.25Z")),
            Some((datetime!(2024-01-02 03:04:05.25 UTC), true))
        );
        let (t, utc) = parse_generalized_time(&gt("20240102030405+0100")).unwrap();
        assert!(!utc);
        assert_eq!(t, datetime!(2024-01-02 02:04:05 UTC));
        assert_eq!(parse_generalized_time(&gt("2024010203040Z")), None);
        assert_eq!(parse_generalized_time(&gt("20241302030405Z")), None);
        assert_eq!(parse_generalized_time(&gt("20240102030405.Z")), None);
    }

    #[test]
    fn integers() {
        assert_eq!(int_to_i64(&Int::new(&[1]).unwrap()), Some(1));
        assert_eq!(int_to_i64(&Int::new(&[0xff]).unwrap()), Some(-1));
        assert_eq!(int_magnitude(&[0, 0x80]), &[0x80]);
    }

    #[test]
    fn garbage_is_a_syntax_error() {
        let e = SignedToken::parse(b"not a token").unwrap_err();
        assert!(e.to_string().starts_with(
            "cms: syntax error: invalid signed data: failed to convert from BER to DER"
        ));
        let e = SignedToken::parse(&[0x30, 0x03, 0x02, 0x01, 0x01]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("cms: syntax error: invalid content info"));
    }

    #[test]
    fn bounds() {
        let ts = Timestamp {
            gen_time: datetime!(2024-01-01 0:00:10 UTC),
            accuracy: time::Duration::seconds(1),
        };
        assert!(ts.bounded_after(datetime!(2024-01-01 0:00:09 UTC)));
        assert!(!ts.bounded_after(datetime!(2024-01-01 0:00:09.5 UTC)));
        assert!(ts.bounded_before(datetime!(2024-01-01 0:00:11 UTC)));
        assert!(!ts.bounded_before(datetime!(2024-01-01 0:00:10.5 UTC)));
    }
}
