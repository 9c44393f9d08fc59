//! Requesting a timestamp from a TSA over HTTP (tspclient-go `NewRequest`,
//! `httpTimestamper.Timestamp`, `Response.Validate`; verification.md §8.1 steps 2–4).

use crate::go::fmt::GoQuoted;
use der::asn1::{Int, Null, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use spki::AlgorithmIdentifierOwned;

use super::asn1::{MessageImprint, PkiStatusInfo, TimeStampReq};
use super::{Hash, SignedToken, TimestampError};

/// Content type of a DER `TimeStampReq` (RFC 3161 §3.4).
pub(crate) const TIMESTAMP_QUERY: &str = "application/timestamp-query";
/// Content type of a DER `TimeStampResp` (RFC 3161 §3.4).
pub(crate) const TIMESTAMP_REPLY: &str = "application/timestamp-reply";
/// Largest response body accepted.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A timestamp request for one message.
#[derive(Debug, Clone)]
pub struct Request {
    hash: Hash,
    hashed_message: Vec<u8>,
    /// Nonce as minimal INTEGER content bytes.
    nonce: Vec<u8>,
    der: Vec<u8>,
}

/// The positive INTEGER with big-endian magnitude `raw`, in minimal DER. `der`'s `Int::new`
/// keeps leading zero bytes as given, and a request whose nonce starts with a needless
/// 0x00 (1 in 256 random nonces) is not DER: openssl's TSA rejects it as badDataFormat.
fn nonce_int(raw: &[u8]) -> Result<Int, TimestampError> {
    let mut start = 0;
    while start + 1 < raw.len() && raw[start] == 0 && raw[start + 1] < 0x80 {
        start += 1;
    }
    Int::new(&raw[start..]).map_err(|e| malformed(e.to_string()))
}

impl Request {
    /// A request over `hash(message)` with a random nonce in `[0, 2^159)` and `certReq`.
    pub fn new(message: &[u8], hash: Hash) -> Result<Request, TimestampError> {
        let mut nonce = [0u8; 20];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| malformed("failed to generate nonce".into()))?;
        nonce[0] &= 0x7f;
        let nonce = nonce_int(&nonce)?;
        let hashed_message = hash.digest(message);
        let req = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: hash.oid(),
                    parameters: Some(Null.into()),
                },
                hashed_message: OctetString::new(hashed_message.clone())
                    .map_err(|e| malformed(e.to_string()))?,
            },
            req_policy: None,
            nonce: Some(nonce.clone()),
            cert_req: Some(true),
            extensions: None,
        };
        let der = req.to_der().map_err(|e| malformed(e.to_string()))?;
        Ok(Request {
            hash,
            hashed_message,
            nonce: nonce.as_bytes().to_vec(),
            der,
        })
    }

    /// The DER encoding sent to the TSA.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// Sends the request to `url` and returns the validated token bytes exactly as
    /// received.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        url: &str,
    ) -> Result<Vec<u8>, TimestampError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| TimestampError::Http(format!("parse {}: {e}", GoQuoted(&url))))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().unwrap_or("").is_empty()
        {
            return Err(TimestampError::Http(format!(
                "Post {}: unsupported protocol scheme {}",
                GoQuoted(&url),
                GoQuoted(&parsed.scheme())
            )));
        }
        let post = client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, TIMESTAMP_QUERY)
            .body(self.der.clone());
        let response = crate::httptrace::send(post).await.map_err(|e| {
            TimestampError::Http(format!("Post {}: {}", GoQuoted(&url), transport_error(&e)))
        })?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(TimestampError::Http(format!(
                "POST {}: https response bad status: {}",
                GoQuoted(&url),
                go_status(status)
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if content_type != TIMESTAMP_REPLY {
            return Err(TimestampError::Http(format!(
                "POST {}: unexpected response content type: {content_type}",
                GoQuoted(&url)
            )));
        }
        let body = read_limited(response, url).await?;
        self.validate_response(&body)
    }

    /// tspclient-go `Response.Validate`; returns the token's bytes.
    pub fn validate_response(&self, body: &[u8]) -> Result<Vec<u8>, TimestampError> {
        let token = split_response(body)?;
        let signed = SignedToken::parse(&token).map_err(|e| invalid_response(e.to_string()))?;
        let info = signed.info().map_err(|e| invalid_response(e.to_string()))?;
        if info.version != Some(1) {
            return Err(invalid_response(format!(
                "timestamp token info version must be 1, but got {}",
                info.version.map(|v| v.to_string()).unwrap_or_default()
            )));
        }
        if info.hash_algorithm != self.hash.oid() || info.hashed_message != self.hashed_message {
            return Err(invalid_response(
                "message imprint in response does not match with request".into(),
            ));
        }
        if !info.gen_time_utc {
            return Err(invalid_response(
                "TSTInfo genTime must be in UTC, but got Local".into(),
            ));
        }
        if info.nonce.as_deref().map(strip_zeros) != Some(strip_zeros(&self.nonce)) {
            return Err(invalid_response(
                "nonce in response does not match nonce in request".into(),
            ));
        }
        // certReq was TRUE: some signer's certificate must be in the token.
        if signed.certificates().is_empty() || !signed.has_signing_certificate() {
            return Err(invalid_response(
                "certReq is True in request, but did not find any TSA signing certificate in the response".into(),
            ));
        }
        Ok(token)
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let mut b = b;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    b
}

fn malformed(m: String) -> TimestampError {
    TimestampError::Request(format!("malformed timestamping request: {m}"))
}

fn invalid_response(m: String) -> TimestampError {
    TimestampError::Response(format!("invalid timestamping response: {m}"))
}

/// Splits `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }`,
/// checks the status and returns the token's bytes as sent.
fn split_response(body: &[u8]) -> Result<Vec<u8>, TimestampError> {
    let asn1 = |e: der::Error| TimestampError::Response(format!("asn1: {e}"));
    let mut outer = SliceReader::new(body).map_err(asn1)?;
    let header = der::Header::decode(&mut outer).map_err(asn1)?;
    if header.tag() != der::Tag::Sequence {
        return Err(TimestampError::Response(
            "asn1: structure error: tags don't match".into(),
        ));
    }
    let inner = outer.read_slice(header.length()).map_err(asn1)?;
    let mut reader = SliceReader::new(inner).map_err(asn1)?;
    let status = PkiStatusInfo::decode(&mut reader).map_err(asn1)?;
    let rest = reader.read_slice(reader.remaining_len()).map_err(asn1)?;
    let code = status.status.as_bytes();
    let code = if code.len() == 1 {
        code[0] as i8 as i64
    } else {
        -1
    };
    if code != 0 && code != 1 {
        let failure = status
            .fail_info
            .as_ref()
            .map(fail_info_text)
            .filter(|s| !s.is_empty());
        let mut msg = format!(
            "invalid response with status code {code}: {}",
            status_name(code)
        );
        if let Some(f) = failure {
            msg.push_str(&format!(". Failure info: {f}"));
        }
        return Err(invalid_response(msg));
    }
    if rest.is_empty() {
        return Err(invalid_response(
            "cms: syntax error: invalid content info: failed to unmarshal DER to ContentInfo: missing timeStampToken".into(),
        ));
    }
    Ok(rest.to_vec())
}

/// tspclient-go `pki.Status.String()`.
fn status_name(code: i64) -> String {
    match code {
        0 => "granted".into(),
        1 => "granted with modifications".into(),
        2 => "rejected".into(),
        3 => "the request is not yet granted".into(),
        4 => "warning: a revocation is imminent".into(),
        5 => "revocation has occurred".into(),
        _ => format!("unknown PKIStatus {code}"),
    }
}

/// tspclient-go `pki.FailureInfo` texts, joined as Go's `errors.Join` does.
fn fail_info_text(bits: &der::asn1::BitString) -> String {
    const NAMES: [(usize, &str); 8] = [
        (0, "unrecognized or unsupported Algorithm Identifier"),
        (2, "transaction not permitted or supported"),
        (5, "the data submitted has the wrong format"),
        (14, "the TSA's time source is not available"),
        (15, "the requested TSA policy is not supported by the TSA"),
        (16, "the requested extension is not supported by the TSA"),
        (
            17,
            "the additional information requested could not be understood or is not available",
        ),
        (25, "the request cannot be handled due to system failure"),
    ];
    let set: Vec<bool> = bits.bits().collect();
    NAMES
        .iter()
        .filter(|(i, _)| set.get(*i).copied().unwrap_or(false))
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn read_limited(
    mut response: reqwest::Response,
    url: &str,
) -> Result<Vec<u8>, TimestampError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        TimestampError::Http(format!("Post {}: {}", GoQuoted(&url), error_chain(&e)))
    })? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_RESPONSE_BYTES {
            return Err(TimestampError::Http(format!(
                "POST {}: unexpected large http response, max response body size allowed is 1 MiB",
                GoQuoted(&url)
            )));
        }
    }
    Ok(body)
}

/// Go's `http.Response.Status`: `200 OK`.
fn go_status(status: reqwest::StatusCode) -> String {
    format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_string()
}

/// A failed exchange described as Go's `net/http` would (`dial tcp …: connect: …`,
/// client timeout), else the error with its sources.
fn transport_error(e: &reqwest::Error) -> String {
    if let Some(text) = crate::tls::go_text(e) {
        return text;
    }
    if e.is_timeout() {
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into();
    }
    if let Some(text) = e
        .url()
        .and_then(|u| u.host_str())
        .and_then(|host| crate::go::net::dial_lookup_failure(e, host))
    {
        return text;
    }
    if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                let url = e.url();
                let host = url.and_then(|u| u.host_str()).unwrap_or_default();
                let port = url.and_then(|u| u.port_or_known_default()).unwrap_or(80);
                return crate::go::net::connect_failure(host, port, io);
            }
            source = s.source();
        }
    }
    error_chain(e)
}

/// The error with its sources, as Go prints wrapped network errors.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: nonces with leading zero bytes were encoded with them (not DER), and
    /// openssl's TSA answered "the data submitted has the wrong format" about once in 256.
    #[test]
    fn nonces_are_minimal_der_integers() {
        use der::Encode as _;
        let der = |raw: &[u8]| nonce_int(raw).unwrap().to_der().unwrap();
        assert_eq!(der(&[0, 0, 1, 2]), [0x02, 0x02, 0x01, 0x02]);
        assert_eq!(der(&[0, 0x81, 2]), [0x02, 0x03, 0x00, 0x81, 0x02]);
        assert_eq!(der(&[0, 0, 0x81]), [0x02, 0x02, 0x00, 0x81]);
        assert_eq!(der(&[0, 0]), [0x02, 0x01, 0x00]);
        assert_eq!(der(&[0x7f, 0]), [0x02, 0x02, 0x7f, 0x00]);
        // Every request's nonce decodes back as a strict DER INTEGER.
        for _ in 0..2000 {
            let req = Request::new(b"m", Hash::Sha256).unwrap();
            let decoded = super::super::asn1::TimeStampReq::from_der(&req.der).unwrap();
            let n = decoded.nonce.unwrap();
            let b = n.as_bytes();
            assert!(b.len() == 1 || b[0] != 0 || b[1] >= 0x80, "{b:02x?}");
        }
    }

    #[test]
    fn request_encoding() {
        let req = Request::new(b"signature", Hash::Sha256).unwrap();
        let decoded = TimeStampReq::from_der(req.to_der()).unwrap();
        assert_eq!(decoded.version, 1);
        assert_eq!(decoded.cert_req, Some(true));
        assert_eq!(decoded.req_policy, None);
        assert_eq!(
            decoded.message_imprint.hash_algorithm.oid.to_string(),
            "2.16.840.1.101.3.4.2.1"
        );
        // parameters = NULL, as Go writes them.
        assert_eq!(
            decoded
                .message_imprint
                .hash_algorithm
                .parameters
                .unwrap()
                .to_der()
                .unwrap(),
            vec![0x05, 0x00]
        );
        assert_eq!(
            decoded.message_imprint.hashed_message.as_bytes(),
            Hash::Sha256.digest(b"signature")
        );
        let nonce = decoded.nonce.unwrap();
        assert!(nonce.as_bytes()[0] & 0x80 == 0, "nonce is non-negative");
        assert!(nonce.as_bytes().len() <= 20);
    }

    #[test]
    fn error_status_is_reported() {
        // TimeStampResp { status { rejected(2), failInfo badDataFormat(bit 5) } }
        let status = [0x02, 0x01, 0x02, 0x03, 0x02, 0x02, 0x04];
        let mut info = vec![0x30, status.len() as u8];
        info.extend_from_slice(&status);
        let mut body = vec![0x30, info.len() as u8];
        body.extend_from_slice(&info);
        let req = Request::new(b"x", Hash::Sha256).unwrap();
        assert_eq!(
            req.validate_response(&body).unwrap_err().to_string(),
            "invalid timestamping response: invalid response with status code 2: rejected. Failure info: the data submitted has the wrong format"
        );
    }
}
