//! OCSP checking (RFC 6960; verification.md §9.2, notation-core-go `internal/ocsp` with Go
//! `x/crypto/ocsp` parsing rules).
//!
//! The ASN.1 types are defined here with `der` derives: the maintained `x509-ocsp` crate
//! (0.2) is built on der 0.7 / x509-cert 0.2 and cannot share types with our der 0.8 /
//! x509-cert 0.3 stack, and only these few structures are needed.

use super::{http, CertResult, Method, ServerResult, Status};
use crate::go::fmt::GoQuoted;
use crate::x509::{check_signed_data, eku, Certificate};
use aws_lc_rs::digest;
use base64::Engine as _;
use der::asn1::{BitString, GeneralizedTime, Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Sequence, Tagged};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::ext::Extensions;

/// Largest response body read (notation-core-go `ocspMaxResponseSize`).
pub(crate) const MAX_RESPONSE_BYTES: usize = 20480;

const OID_AIA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
/// SHA-1 `AlgorithmIdentifier` with NULL parameters, as Go's `ocsp.CreateRequest` writes it.
const SHA1_ALG_DER: &[u8] = &[
    0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00,
];

/// The five RFC 6960 error responses (status only), with Go's texts.
const ERROR_RESPONSES: [(&[u8], &str); 5] = [
    (&[0x30, 0x03, 0x0a, 0x01, 0x06], "OCSP unauthorized"),
    (&[0x30, 0x03, 0x0a, 0x01, 0x01], "OCSP malformed"),
    (&[0x30, 0x03, 0x0a, 0x01, 0x02], "OCSP internal error"),
    (&[0x30, 0x03, 0x0a, 0x01, 0x03], "OCSP try later"),
    (&[0x30, 0x03, 0x0a, 0x01, 0x05], "OCSP signature required"),
];

#[derive(Sequence)]
struct OcspResponse {
    response_status: Any,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    response_bytes: Option<ResponseBytes>,
}

#[derive(Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

#[derive(Sequence)]
struct BasicOcspResponse {
    /// Kept raw: the signature covers its exact encoding.
    tbs_response_data: Any,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<Vec<Any>>,
}

// Every field is decoded to validate the structure; not all are consulted.
#[allow(dead_code)]
#[derive(Sequence)]
struct ResponseData {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<u8>,
    responder_id: Any,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    response_extensions: Option<Extensions>,
}

#[allow(dead_code)]
#[derive(Sequence)]
struct SingleResponse {
    cert_id: CertId,
    /// `good [0] NULL | revoked [1] RevokedInfo | unknown [2] NULL` (implicit tags).
    cert_status: Any,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    single_extensions: Option<Extensions>,
}

#[allow(dead_code)]
#[derive(Sequence)]
struct CertId {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: Int,
}

/// The certificate status a responder gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// A verified single response for the certificate asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The certificate's status.
    pub status: CertStatus,
    /// Until when the answer holds.
    pub next_update: Option<OffsetDateTime>,
    /// The invalidity-date entry extension (2.5.29.24), when present and well formed.
    pub invalidity_date: Option<OffsetDateTime>,
}

/// The certificate's OCSP responder URLs (AIA `id-ad-ocsp` URIs), in order.
pub fn responder_urls(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::AuthorityInfoAccessSyntax;
    let Some(exts) = cert.inner().tbs_certificate().extensions() else {
        return vec![];
    };
    exts.iter()
        .filter(|e| e.extn_id == OID_AIA)
        .filter_map(|e| AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|aia| aia.0)
        .filter(|ad| ad.access_method == OID_AD_OCSP)
        .filter_map(|ad| match ad.access_location {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .collect()
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn sha1(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

/// The issuer's subjectPublicKey bits (what the issuer key hash covers).
fn issuer_key_bits(issuer: &Certificate) -> &[u8] {
    issuer
        .inner()
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
}

/// An unsigned single-certificate `OCSPRequest` with a SHA-1 `CertID` and no nonce, as
/// Go's `ocsp.CreateRequest(cert, issuer, {Hash: SHA1})` encodes it.
pub(crate) fn build_request(cert: &Certificate, issuer: &Certificate) -> Vec<u8> {
    let serial = cert.inner().tbs_certificate().serial_number().as_bytes();
    let cert_id = tlv(
        0x30,
        &[
            SHA1_ALG_DER.to_vec(),
            tlv(0x04, &sha1(issuer.raw_subject())),
            tlv(0x04, &sha1(issuer_key_bits(issuer))),
            tlv(0x02, serial),
        ]
        .concat(),
    );
    let request = tlv(0x30, &cert_id);
    let request_list = tlv(0x30, &request);
    let tbs_request = tlv(0x30, &request_list);
    tlv(0x30, &tbs_request)
}

fn to_offset(t: GeneralizedTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Why an OCSP response is unusable; texts are Go's `x/crypto/ocsp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    /// Not DER of the expected structure.
    #[error("asn1: {0}")]
    Asn1(String),
    /// The responder answered with an error status.
    #[error("ocsp: error from server: {0}")]
    Server(&'static str),
    /// The response is not a basic OCSP response.
    #[error("bad OCSP response type")]
    ResponseType,
    /// No single response is about the certificate.
    #[error("no response matching the supplied certificate")]
    NoMatchingResponse,
    /// The certificate status has an unknown tag.
    #[error("bad OCSP certificate status")]
    CertStatus,
    /// The response signature does not verify.
    #[error("bad OCSP signature: {0}")]
    Signature(String),
    /// The embedded responder certificate does not parse.
    #[error("{0}")]
    Responder(String),
    /// The embedded responder certificate's signature does not verify.
    #[error("bad signature on embedded certificate: {0}")]
    EmbeddedSignature(String),
    /// The responder certificate lacks the OCSPSigning usage.
    #[error("bad OCSP signature: responder certificate is not authorized for OCSP signing")]
    NotDelegated,
}

fn asn1(e: der::Error) -> OcspError {
    OcspError::Asn1(e.to_string())
}

/// Parse a response and verify it answers for `cert` and is signed by `issuer` or by a
/// responder certificate `issuer` delegated (EKU OCSPSigning). Errors are Go's texts.
pub fn parse_response(
    body: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<Answer, OcspError> {
    let resp = OcspResponse::from_der(body).map_err(asn1)?;
    let status = resp.response_status.value();
    if resp.response_status.tag() != der::Tag::Enumerated || status != [0] {
        let code = status.first().copied().unwrap_or(0xff);
        return Err(OcspError::Server(status_name(code)));
    }
    let bytes = resp.response_bytes.ok_or(OcspError::ResponseType)?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err(OcspError::ResponseType);
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(asn1)?;
    let tbs = basic.tbs_response_data.to_der().map_err(asn1)?;
    let data = ResponseData::from_der(&tbs).map_err(asn1)?;
    verify_signer(&basic, &tbs, issuer)?;
    let serial = cert.inner().tbs_certificate().serial_number().as_bytes();
    let single = data
        .responses
        .iter()
        .find(|r| r.cert_id.serial_number.as_bytes() == serial)
        .ok_or(OcspError::NoMatchingResponse)?;
    let tag = single.cert_status.tag();
    let status = match (tag.class(), tag.number().value()) {
        (der::Class::ContextSpecific, 0) => CertStatus::Good,
        (der::Class::ContextSpecific, 1) => CertStatus::Revoked,
        (der::Class::ContextSpecific, 2) => CertStatus::Unknown,
        _ => return Err(OcspError::CertStatus),
    };
    let invalidity_date = single
        .single_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == OID_INVALIDITY_DATE)
        .and_then(|e| GeneralizedTime::from_der(e.extn_value.as_bytes()).ok())
        .map(to_offset);
    Ok(Answer {
        status,
        next_update: single.next_update.map(to_offset),
        invalidity_date,
    })
}

fn status_name(code: u8) -> &'static str {
    match code {
        1 => "malformed",
        2 => "internal error",
        3 => "try later",
        5 => "signature required",
        6 => "unauthorized",
        _ => "unknown OCSP status",
    }
}

fn verify_signer(
    basic: &BasicOcspResponse,
    tbs: &[u8],
    issuer: &Certificate,
) -> Result<(), OcspError> {
    let alg = &basic.signature_algorithm;
    let sig = basic.signature.raw_bytes();
    let embedded = basic.certs.as_deref().and_then(|c| c.first());
    let Some(embedded) = embedded else {
        return check_signed_data(issuer, alg, tbs, sig)
            .map_err(|e| OcspError::Signature(e.to_string()));
    };
    let der = embedded.to_der().map_err(asn1)?;
    let responder = Certificate::from_der(&der).map_err(|e| OcspError::Responder(e.to_string()))?;
    check_signed_data(&responder, alg, tbs, sig)
        .map_err(|e| OcspError::EmbeddedSignature(e.to_string()))?;
    if responder == *issuer {
        return Ok(());
    }
    check_signed_data(
        issuer,
        responder.inner().signature_algorithm(),
        responder.raw_tbs(),
        responder.signature_bytes(),
    )
    .map_err(|e| OcspError::Signature(e.to_string()))?;
    let delegated = responder
        .ext_key_usage()
        .is_some_and(|u| u.usages.contains(&eku::OCSP_SIGNING));
    if !delegated {
        return Err(OcspError::NotDelegated);
    }
    Ok(())
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Why a responder could not be asked; texts are notation-core-go's and Go's `net/http`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ExchangeError {
    /// The client timeout elapsed.
    #[error("exceeded timeout threshold of {:.2} seconds for OCSP check", .0.as_secs_f64())]
    Timeout(std::time::Duration),
    /// The request failed (`method` is Go's `Get` or `Post`).
    #[error("{method} {}: {reason}", GoQuoted(.url))]
    Transport {
        method: &'static str,
        url: String,
        reason: String,
    },
    #[error("failed to retrieve OCSP: response had status code {0}")]
    Status(u16),
    /// The response body could not be read.
    #[error("{0}")]
    Read(String),
}

/// Send the request (GET when its escaped base64 is short, else POST) and read the body.
async fn exchange(
    client: &reqwest::Client,
    server: &str,
    request: &[u8],
) -> Result<Vec<u8>, ExchangeError> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(request);
    let escaped = query_escape(&b64);
    let send = if b64.len() < 255 && escaped.len() < 255 {
        let url = format!("{}/{escaped}", server.trim_end_matches('/'));
        crate::httptrace::send(client.get(&url))
            .await
            .map_err(|e| (e, "Get", url))
    } else {
        let post = client
            .post(server)
            .header("Content-Type", "application/ocsp-request")
            .body(request.to_vec());
        crate::httptrace::send(post)
            .await
            .map_err(|e| (e, "Post", server.to_string()))
    };
    let resp = send.map_err(|(e, method, url)| {
        if e.is_timeout() {
            ExchangeError::Timeout(super::OCSP_TIMEOUT)
        } else {
            ExchangeError::Transport {
                method,
                url,
                reason: http::transport_reason(&e),
            }
        }
    })?;
    let code = resp.status().as_u16();
    if !(200..300).contains(&code) {
        return Err(ExchangeError::Status(code));
    }
    http::read_limited(resp, MAX_RESPONSE_BYTES)
        .await
        .map_err(|e| ExchangeError::Read(e.to_string()))
}

fn server_result(server: &str, status: Status, error: Option<String>) -> ServerResult {
    ServerResult {
        server: server.to_string(),
        method: Method::Ocsp,
        status,
        error,
    }
}

const UNKNOWN_STATUS: &str = "certificate has unknown status via OCSP";

async fn check_server(
    client: &reqwest::Client,
    cert: &Certificate,
    issuer: &Certificate,
    server: &str,
    signing_time: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> ServerResult {
    let unknown = |e: String| server_result(server, Status::Unknown, Some(e));
    let scheme = url::Url::parse(server)
        .map(|u| u.scheme().to_string())
        .unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("http") {
        return unknown(format!("OCSPServer protocol {scheme} is not supported"));
    }
    let body = match exchange(client, server, &build_request(cert, issuer)).await {
        Ok(b) => b,
        Err(e) => return unknown(e.to_string()),
    };
    if let Some((_, text)) = ERROR_RESPONSES.iter().find(|(r, _)| *r == body.as_slice()) {
        return unknown(text.to_string());
    }
    let answer = match parse_response(&body, cert, issuer) {
        Ok(a) => a,
        Err(e) => return unknown(e.to_string()),
    };
    if answer.next_update.is_none_or(|t| now > t) {
        return unknown("expired OCSP response".into());
    }
    match answer.status {
        CertStatus::Good => server_result(server, Status::Ok, None),
        CertStatus::Revoked => match (signing_time, answer.invalidity_date) {
            (Some(t), Some(invalid_from)) if t < invalid_from => {
                server_result(server, Status::Ok, None)
            }
            _ => server_result(
                server,
                Status::Revoked,
                Some("certificate is revoked via OCSP".into()),
            ),
        },
        CertStatus::Unknown => unknown(UNKNOWN_STATUS.into()),
    }
}

/// Ask each responder in turn; the first definite answer (good, revoked or the `unknown`
/// status) decides, otherwise every server's error is kept and the result is unknown.
pub async fn check(
    client: &reqwest::Client,
    cert: &Certificate,
    issuer: &Certificate,
    urls: &[String],
    signing_time: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> CertResult {
    let mut servers = Vec::new();
    for url in urls {
        let r = check_server(client, cert, issuer, url, signing_time, now).await;
        let definite = matches!(r.status, Status::Ok | Status::Revoked)
            || r.error.as_deref() == Some(UNKNOWN_STATUS);
        if definite {
            return CertResult {
                status: r.status,
                method: Method::Ocsp,
                servers: vec![r],
            };
        }
        servers.push(r);
    }
    CertResult {
        status: servers.last().map_or(Status::Unknown, |r| r.status),
        method: Method::Ocsp,
        servers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_escape_matches_go() {
        assert_eq!(query_escape("ab+/=c d~"), "ab%2B%2F%3Dc+d~");
    }

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(long.len(), 304);
    }

    #[test]
    fn error_responses_are_recognised() {
        for (body, _) in ERROR_RESPONSES {
            let r = OcspResponse::from_der(body).unwrap();
            assert_ne!(r.response_status.value(), [0]);
        }
    }
}
