//! JWS JSON serialization envelope (signature-format.md §7), as notation-core-go's
//! `jws` package and golang-jwt v4 build and check it.

use std::collections::{BTreeMap, HashSet};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{
    header, payload, unsupported_scheme, EnvelopeContent, EnvelopeError, ExtendedAttribute,
    SignParams, SIGNING_SCHEME_SIGNING_AUTHORITY, SIGNING_SCHEME_X509,
};
use crate::crypto::{verify_signature, PssSalt, SignatureAlgorithm};
use crate::x509::Certificate;

/// Go `base64.RawURLEncoding` (no padding allowed, lenient trailing bits).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Go `base64.StdEncoding` as `encoding/json` uses it for `[]byte`.
const B64STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Standard protected header names (everything else is an extended attribute).
const STANDARD_HEADERS: [&str; 7] = [
    "alg",
    "cty",
    "crit",
    header::EXPIRY,
    header::SIGNING_TIME,
    header::SIGNING_SCHEME,
    header::AUTHENTIC_SIGNING_TIME,
];

/// A Go `encoding/base64` or `encoding/json` decoding failure, with Go's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GoDecodeError {
    /// `base64.CorruptInputError`.
    #[error("illegal base64 data at input byte {0}")]
    Base64(usize),
    #[error("unexpected end of JSON input")]
    JsonEnd,
    /// The first non-blank character (Go-quoted) starts no JSON value.
    #[error("invalid character {0} looking for beginning of value")]
    JsonStart(String),
    /// Any other JSON syntax error.
    #[error("{0}")]
    Json(String),
    #[error("json: cannot unmarshal {found} into Go struct field {path} of type {go_type}")]
    FieldType {
        found: &'static str,
        path: String,
        go_type: &'static str,
    },
    #[error("json: cannot unmarshal {found} into Go value of type {go_type}")]
    ValueType {
        found: &'static str,
        go_type: &'static str,
    },
}

/// Why golang-jwt rejects the token; texts are golang-jwt's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum JwtError {
    #[error(transparent)]
    Decode(#[from] GoDecodeError),
    #[error("signing method (alg) is unspecified.")]
    AlgUnspecified,
    #[error("signing method (alg) is unavailable.")]
    AlgUnavailable,
    #[error("signing method {0} is invalid")]
    AlgInvalid(String),
    #[error(transparent)]
    Signature(crate::crypto::CryptoError),
}

fn malformed(e: GoDecodeError) -> EnvelopeError {
    EnvelopeError::Malformed(e.to_string())
}

/// Decodes base64 the way Go does (CR/LF ignored), with Go's error text.
fn go_b64(engine: &GeneralPurpose, s: &str) -> Result<Vec<u8>, GoDecodeError> {
    // Certificates make up most of an envelope: copy only when there is a line break to drop.
    let cleaned: std::borrow::Cow<str> = if s.bytes().any(|b| b == b'\r' || b == b'\n') {
        s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
    } else {
        s.into()
    };
    engine.decode(cleaned.as_bytes()).map_err(|e| {
        let offset = match e {
            base64::DecodeError::InvalidByte(o, _)
            | base64::DecodeError::InvalidLastSymbol { offset: o, .. } => o,
            base64::DecodeError::InvalidLength(l) => l,
            base64::DecodeError::InvalidPadding => cleaned.find('=').unwrap_or(cleaned.len()),
        };
        GoDecodeError::Base64(offset)
    })
}

/// Parses JSON, producing Go's message for the common "not JSON at all" case.
fn go_json(bytes: &[u8]) -> Result<Value, GoDecodeError> {
    let first = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    match first {
        None => return Err(GoDecodeError::JsonEnd),
        Some(i)
            if !matches!(
                bytes[i],
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
            ) =>
        {
            return Err(GoDecodeError::JsonStart(crate::go::json::quote_char_at(
                bytes, i,
            )));
        }
        _ => {}
    }
    serde_json::from_slice(bytes).map_err(|e| GoDecodeError::Json(e.to_string()))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Looks a struct field up the way Go's `encoding/json` does: exact name, else a
/// case-insensitive match.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn type_error(v: &Value, path: &str, go_type: &'static str) -> GoDecodeError {
    GoDecodeError::FieldType {
        found: json_type(v),
        path: path.to_string(),
        go_type,
    }
}

fn value_error(v: &Value, go_type: &'static str) -> GoDecodeError {
    GoDecodeError::ValueType {
        found: json_type(v),
        go_type,
    }
}

fn opt_string(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<String>, GoDecodeError> {
    match field(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(type_error(other, path, "string")),
    }
}

fn opt_bytes(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, GoDecodeError> {
    match field(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => go_b64(&B64STD, s).map(Some),
        Some(other) => Err(type_error(other, path, "[]uint8")),
    }
}

/// The four members of the flattened JWS, decoded like Go's `jwsEnvelope` struct.
pub(crate) struct RawEnvelope {
    payload: String,
    protected: String,
    signature: String,
    cert_chain: Vec<Vec<u8>>,
    timestamp: Option<Vec<u8>>,
    signing_agent: Option<String>,
}

pub(crate) fn decode_envelope(bytes: &[u8]) -> Result<RawEnvelope, EnvelopeError> {
    let value = go_json(bytes).map_err(malformed)?;
    let obj = match value {
        Value::Object(o) => o,
        Value::Null => Map::new(),
        other => return Err(malformed(value_error(&other, "jws.jwsEnvelope"))),
    };
    let payload = opt_string(&obj, "payload", "jwsEnvelope.payload").map_err(malformed)?;
    let protected = opt_string(&obj, "protected", "jwsEnvelope.protected").map_err(malformed)?;
    let signature = opt_string(&obj, "signature", "jwsEnvelope.signature").map_err(malformed)?;
    let header = match field(&obj, "header") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(h)) => h.clone(),
        Some(other) => {
            return Err(malformed(type_error(
                other,
                "jwsEnvelope.header",
                "jws.jwsUnprotectedHeader",
            )))
        }
    };
    let cert_chain = match field(&header, "x5c") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(Vec::new()),
                Value::String(s) => go_b64(&B64STD, s),
                other => Err(type_error(other, "jwsEnvelope.header.x5c", "[]uint8")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(malformed)?,
        Some(other) => {
            return Err(malformed(type_error(
                other,
                "jwsEnvelope.header.x5c",
                "[][]uint8",
            )))
        }
    };
    let timestamp = opt_bytes(
        &header,
        header::TIMESTAMP_SIGNATURE,
        "jwsEnvelope.header.io.cncf.notary.timestampSignature",
    )
    .map_err(malformed)?;
    let signing_agent = opt_string(
        &header,
        header::SIGNING_AGENT,
        "jwsEnvelope.header.io.cncf.notary.signingAgent",
    )
    .map_err(malformed)?;
    Ok(RawEnvelope {
        payload: payload.unwrap_or_default(),
        protected: protected.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
        cert_chain,
        timestamp: timestamp.filter(|t| !t.is_empty()),
        signing_agent: signing_agent.filter(|s| !s.is_empty()),
    })
}

/// Algorithms golang-jwt knows; listed ones outside the Notary six are "invalid".
const JWT_REGISTERED: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA",
];

/// The three parts of a verified token, decoded once and handed on to the content rules.
struct Jwt {
    header: Map<String, Value>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// golang-jwt `Parser.Parse` with notation's options: valid methods restricted to the
/// six Notary algorithms, claims must be a JSON object, no claim validation.
fn verify_jwt(raw: &RawEnvelope, leaf: &Certificate) -> Result<Jwt, JwtError> {
    let header_bytes = go_b64(&B64URL, &raw.protected)?;
    let header: Map<String, Value> = match go_json(&header_bytes)? {
        Value::Object(o) => o,
        other => return Err(value_error(&other, "map[string]interface {}").into()),
    };
    let claims = go_b64(&B64URL, &raw.payload)?;
    match go_json(&claims)? {
        Value::Object(_) => {}
        other => return Err(value_error(&other, "jwt.MapClaims").into()),
    }
    let alg = match header.get("alg") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(JwtError::AlgUnspecified),
    };
    if alg != "none" && !JWT_REGISTERED.contains(&alg.as_str()) {
        return Err(JwtError::AlgUnavailable);
    }
    let Some(algorithm) = SignatureAlgorithm::from_jws_alg(&alg) else {
        return Err(JwtError::AlgInvalid(alg));
    };
    let signature = go_b64(&B64URL, &raw.signature)?;
    let signing_input = format!("{}.{}", raw.protected, raw.payload);
    verify_signature(
        &leaf.spki_der(),
        algorithm,
        signing_input.as_bytes(),
        &signature,
        PssSalt::Any,
    )
    .map_err(JwtError::Signature)?;
    Ok(Jwt {
        header,
        payload: claims,
        signature,
    })
}

/// Verifies a decoded envelope's signature with the leaf key and extracts the content.
pub(crate) fn verify_decoded(raw: &RawEnvelope) -> Result<EnvelopeContent, EnvelopeError> {
    let leaf_der = raw
        .cert_chain
        .first()
        .ok_or_else(|| EnvelopeError::Invalid("certificate chain is not present".into()))?;
    let leaf = Certificate::from_der(leaf_der)
        .map_err(|_| EnvelopeError::Invalid("malformed leaf certificate".into()))?;
    let jwt = verify_jwt(raw, &leaf).map_err(|e| EnvelopeError::Integrity(e.to_string()))?;
    content(raw, Some((leaf, jwt)))
}

/// Decodes and extracts the content without the signature check.
pub fn parse(bytes: &[u8]) -> Result<EnvelopeContent, EnvelopeError> {
    content(&decode_envelope(bytes)?, None)
}

/// The protected header fields notation reads.
struct Protected {
    alg: String,
    cty: String,
    crit: Vec<String>,
    expiry: Option<OffsetDateTime>,
    signing_scheme: String,
    signing_time: Option<OffsetDateTime>,
    authentic_signing_time: Option<OffsetDateTime>,
    extended: Map<String, Value>,
}

fn protected_error(msg: impl std::fmt::Display) -> EnvelopeError {
    EnvelopeError::Invalid(format!(
        "jws envelope protected header can't be decoded: {msg}"
    ))
}

fn opt_time(obj: &Map<String, Value>, name: &str) -> Result<Option<OffsetDateTime>, EnvelopeError> {
    match opt_string(obj, name, &format!("jwsProtectedHeader.{name}"))
        .map_err(protected_error)?
    {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(&s, &Rfc3339).map(Some).map_err(|_| {
            protected_error(format!(
                "parsing time \"\\\"{s}\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse"
            ))
        }),
    }
}

fn parse_protected(encoded: &str) -> Result<Protected, EnvelopeError> {
    let raw = go_b64(&B64URL, encoded).map_err(protected_error)?;
    match go_json(&raw).map_err(protected_error)? {
        Value::Object(o) => protected_fields(o),
        other => Err(protected_error(value_error(
            &other,
            "jws.jwsProtectedHeader",
        ))),
    }
}

/// The fields notation reads from the decoded protected header.
fn protected_fields(obj: Map<String, Value>) -> Result<Protected, EnvelopeError> {
    let crit = match field(&obj, "crit") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Null => Ok(String::new()),
                other => Err(protected_error(type_error(
                    other,
                    "jwsProtectedHeader.crit",
                    "string",
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(protected_error(type_error(
                other,
                "jwsProtectedHeader.crit",
                "[]string",
            )))
        }
    };
    let mut extended = obj.clone();
    for key in STANDARD_HEADERS {
        extended.remove(key);
    }
    Ok(Protected {
        alg: opt_string(&obj, "alg", "jwsProtectedHeader.alg")
            .map_err(protected_error)?
            .unwrap_or_default(),
        cty: opt_string(&obj, "cty", "jwsProtectedHeader.cty")
            .map_err(protected_error)?
            .unwrap_or_default(),
        crit,
        expiry: opt_time(&obj, header::EXPIRY)?,
        signing_scheme: opt_string(
            &obj,
            header::SIGNING_SCHEME,
            "jwsProtectedHeader.io.cncf.notary.signingScheme",
        )
        .map_err(protected_error)?
        .unwrap_or_default(),
        signing_time: opt_time(&obj, header::SIGNING_TIME)?,
        authentic_signing_time: opt_time(&obj, header::AUTHENTIC_SIGNING_TIME)?,
        extended,
    })
}

/// notation-core-go `validateProtectedHeaders` + `validateCriticalHeaders`.
fn validate_protected(p: &Protected) -> Result<(), EnvelopeError> {
    let invalid = |m: String| Err(EnvelopeError::Invalid(m));
    match p.signing_scheme.as_str() {
        SIGNING_SCHEME_X509 => {
            if p.authentic_signing_time.is_some() {
                return invalid(format!(
                    "{:?} header must not be present for {SIGNING_SCHEME_X509} signing scheme",
                    header::AUTHENTIC_SIGNING_TIME
                ));
            }
        }
        SIGNING_SCHEME_SIGNING_AUTHORITY => {
            if p.signing_time.is_some() {
                return invalid(format!(
                    "{:?} header must not be present for {SIGNING_SCHEME_SIGNING_AUTHORITY} signing scheme",
                    header::SIGNING_TIME
                ));
            }
            if p.authentic_signing_time.is_none() {
                return invalid(format!(
                    "{:?} header must be present for {SIGNING_SCHEME_X509} signing scheme",
                    header::AUTHENTIC_SIGNING_TIME
                ));
            }
        }
        other => return Err(unsupported_scheme(other)),
    }
    if p.crit.is_empty() {
        return invalid("missing \"crit\" header".into());
    }
    let mut must: Vec<&str> = vec![header::SIGNING_SCHEME];
    if p.expiry.is_some() {
        must.push(header::EXPIRY);
    }
    if p.signing_scheme == SIGNING_SCHEME_SIGNING_AUTHORITY {
        must.push(header::AUTHENTIC_SIGNING_TIME);
    }
    for name in &p.crit {
        if let Some(pos) = must.iter().position(|m| m == name) {
            must.remove(pos);
        } else if !p.extended.contains_key(name) {
            return invalid(format!(
                "{name:?} header is marked critical but not present"
            ));
        }
    }
    if !must.is_empty() {
        return invalid(format!(
            "these required headers are not marked as critical: [{}]",
            must.join(" ")
        ));
    }
    Ok(())
}

/// The envelope's content; `verified` is the leaf certificate and the decoded token when
/// the signature was verified (parsing a certificate costs as much as the rest of the
/// envelope, and the token's parts are not decoded twice).
fn content(
    raw: &RawEnvelope,
    verified: Option<(Certificate, Jwt)>,
) -> Result<EnvelopeContent, EnvelopeError> {
    let (leaf, jwt) = verified.unzip();
    let (header, payload, signature) = match jwt {
        Some(Jwt {
            header,
            payload,
            signature,
        }) => (Some(header), Some(payload), Some(signature)),
        None => (None, None, None),
    };
    let protected = match header {
        Some(header) => protected_fields(header)?,
        None => parse_protected(&raw.protected)?,
    };
    let payload_bytes = match payload {
        Some(payload) => payload,
        None => go_b64(&B64URL, &raw.payload)
            .map_err(|e| EnvelopeError::Invalid(format!("payload error: {e}")))?,
    };
    validate_protected(&protected)?;
    let signature_algorithm =
        SignatureAlgorithm::from_jws_alg(&protected.alg).ok_or_else(|| {
            EnvelopeError::Invalid(format!(
                "signature algorithm {:?} is not supported",
                protected.alg
            ))
        })?;
    let signature = match signature {
        Some(signature) => signature,
        None => {
            go_b64(&B64URL, &raw.signature).map_err(|e| EnvelopeError::Invalid(e.to_string()))?
        }
    };
    if signature.is_empty() {
        return Err(EnvelopeError::Invalid(
            "signature missing in jws envelope".into(),
        ));
    }
    let parsed = raw.cert_chain.len().min(usize::from(leaf.is_some()));
    let cert_chain = leaf
        .into_iter()
        .map(Ok)
        .chain(
            raw.cert_chain[parsed..]
                .iter()
                .map(|der| Certificate::from_der(der)),
        )
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EnvelopeError::Invalid(e.to_string()))?;
    let extended_attributes = extended_attributes(&protected);
    let target_artifact = payload::parse(&payload_bytes).unwrap_or_default();
    let is_sa = protected.signing_scheme == SIGNING_SCHEME_SIGNING_AUTHORITY;
    Ok(EnvelopeContent {
        payload: payload_bytes,
        target_artifact,
        content_type: protected.cty,
        signing_scheme: protected.signing_scheme,
        signing_time: if is_sa { None } else { protected.signing_time },
        authentic_signing_time: if is_sa {
            protected.authentic_signing_time
        } else {
            None
        },
        expiry: protected.expiry,
        extended_attributes,
        cert_chain,
        signing_agent: raw.signing_agent.clone(),
        timestamp_token: raw.timestamp.clone(),
        signature,
        signature_algorithm,
    })
}

/// The non-standard protected headers, marked critical when `crit` lists them.
fn extended_attributes(protected: &Protected) -> Vec<ExtendedAttribute> {
    // A set: both lists come from the envelope and may be long.
    let crit: HashSet<&str> = protected.crit.iter().map(String::as_str).collect();
    protected
        .extended
        .iter()
        .map(|(k, v)| ExtendedAttribute {
            key: k.clone(),
            value: v.clone(),
            critical: crit.contains(k.as_str()),
        })
        .collect()
}

/// RFC 3339 as Go's `time.Time.MarshalJSON` writes whole seconds (`Z` for UTC).
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The protected header JSON (a Go map: keys sorted) for `notary.x509`.
pub(crate) fn protected_header(
    alg: SignatureAlgorithm,
    signing_time: OffsetDateTime,
    expiry: Option<OffsetDateTime>,
) -> Vec<u8> {
    let mut crit = vec![Value::from(header::SIGNING_SCHEME)];
    let mut map: BTreeMap<&str, Value> = BTreeMap::new();
    map.insert("alg", Value::from(alg.jws_alg()));
    map.insert("cty", Value::from(payload::CONTENT_TYPE));
    map.insert(header::SIGNING_SCHEME, Value::from(SIGNING_SCHEME_X509));
    map.insert(header::SIGNING_TIME, Value::from(format_time(signing_time)));
    if let Some(exp) = expiry {
        crit.push(Value::from(header::EXPIRY));
        map.insert(header::EXPIRY, Value::from(format_time(exp)));
    }
    map.insert("crit", Value::Array(crit));
    crate::go::json::to_vec(&map).unwrap_or_default()
}

#[derive(serde::Serialize)]
struct UnprotectedOut<'a> {
    #[serde(
        rename = "io.cncf.notary.timestampSignature",
        skip_serializing_if = "Option::is_none"
    )]
    timestamp: Option<String>,
    x5c: Vec<String>,
    #[serde(
        rename = "io.cncf.notary.signingAgent",
        skip_serializing_if = "str::is_empty"
    )]
    signing_agent: &'a str,
}

#[derive(serde::Serialize)]
struct EnvelopeOut<'a> {
    payload: String,
    protected: String,
    header: UnprotectedOut<'a>,
    signature: String,
}

/// Builds and signs a JWS envelope.
pub(crate) fn sign(params: &SignParams) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError> {
    let payload_b64 = B64URL.encode(payload::build_jws(params.payload_target));
    let protected_b64 = B64URL.encode(protected_header(
        params.algorithm,
        params.signing_time,
        params.expiry,
    ));
    let signing_input = format!("{protected_b64}.{payload_b64}");
    let (signature, chain) = params.signer.sign(signing_input.as_bytes())?;
    let timestamp = match params.timestamper {
        Some(ts) => Some(B64STD.encode(ts(&signature).map_err(EnvelopeError::SignRequest)?)),
        None => None,
    };
    let out = EnvelopeOut {
        payload: payload_b64,
        protected: protected_b64,
        header: UnprotectedOut {
            timestamp,
            x5c: chain.iter().map(|c| B64STD.encode(c.der())).collect(),
            signing_agent: params.signing_agent,
        },
        signature: B64URL.encode(&signature),
    };
    let bytes =
        crate::go::json::to_vec(&out).map_err(|e| EnvelopeError::SignRequest(e.to_string()))?;
    Ok((bytes, chain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_ignores_line_breaks() {
        assert_eq!(go_b64(&B64URL, "aGVsbG8").unwrap(), b"hello");
        assert_eq!(go_b64(&B64URL, "aGVs\r\nbG8\n").unwrap(), b"hello");
        assert_eq!(go_b64(&B64STD, "aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(
            go_b64(&B64URL, "aGV*bG8").unwrap_err().to_string(),
            "illegal base64 data at input byte 3"
        );
    }
}
