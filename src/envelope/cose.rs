//! COSE_Sign1 envelope (signature-format.md §8), as notation-core-go's `cose` package
//! and veraison/go-cose build and check it.

use std::collections::HashSet;

use base64::Engine as _;
use time::OffsetDateTime;

use super::cbor::{self, DecodeOptions, Value};
use super::{
    header, payload, EnvelopeContent, EnvelopeError, ExtendedAttribute, SignParams,
    SIGNING_SCHEME_SIGNING_AUTHORITY, SIGNING_SCHEME_X509,
};
use crate::crypto::{verify_signature, KeySpec, PssSalt, SignatureAlgorithm};
use crate::go::fmt::GoQuoted;
use crate::x509::Certificate;

const LABEL_ALG: i64 = 1;
const LABEL_CRIT: i64 = 2;
const LABEL_CONTENT_TYPE: i64 = 3;
const LABEL_X5CHAIN: i64 = 33;
const TAG_SIGN1: u8 = 0xd2;

/// A decoded COSE_Sign1 message.
pub(crate) struct Message {
    raw_protected: Vec<u8>,
    protected: Vec<(Value, Value)>,
    unprotected: Vec<(Value, Value)>,
    payload: Option<Vec<u8>>,
    signature: Vec<u8>,
}

fn lookup<'a>(map: &'a [(Value, Value)], label: &Value) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == label).map(|(_, v)| v)
}

fn int_label(i: i64) -> Value {
    Value::int(i)
}

fn text_label(s: &str) -> Value {
    Value::text(s)
}

fn malformed(msg: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Malformed(msg.into())
}

/// go-cose `Sign1Message.UnmarshalCBOR`.
pub(crate) fn decode_message(bytes: &[u8]) -> Result<Message, EnvelopeError> {
    if bytes.len() < 2 || bytes[0] != TAG_SIGN1 || bytes[1] != 0x84 {
        return Err(malformed("cbor: invalid COSE_Sign1_Tagged object"));
    }
    let outer = cbor::decode(&bytes[1..], DecodeOptions { allow_tags: false })
        .map_err(|e| malformed(e.to_string()))?;
    let Value::Array(items) = outer else {
        return Err(malformed("cbor: invalid COSE_Sign1_Tagged object"));
    };
    let [protected, unprotected, payload, signature] = <[Value; 4]>::try_from(items)
        .map_err(|_| malformed("cbor: invalid COSE_Sign1_Tagged object"))?;
    let raw_protected = match protected {
        Value::Bytes(b) => b,
        _ => return Err(malformed("cbor: require bstr type")),
    };
    let payload = match payload {
        Value::Bytes(b) => Some(b),
        Value::Null => None,
        _ => return Err(malformed("cbor: require bstr type")),
    };
    let signature = match signature {
        Value::Bytes(b) => b,
        _ => return Err(malformed("cbor: require bstr type")),
    };
    if signature.is_empty() {
        return Err(malformed("empty signature"));
    }
    let protected = if raw_protected.is_empty() {
        Vec::new()
    } else {
        match cbor::decode(&raw_protected, DecodeOptions { allow_tags: true })
            .map_err(|e| malformed(e.to_string()))?
        {
            Value::Map(m) => m,
            _ => return Err(malformed("cbor: protected header: require map type")),
        }
    };
    let unprotected = match unprotected {
        Value::Map(m) => m,
        _ => return Err(malformed("cbor: header must be a map")),
    };
    validate_header(&protected, true).map_err(|e| malformed(format!("protected header: {e}")))?;
    validate_header(&unprotected, false)
        .map_err(|e| malformed(format!("unprotected header: {e}")))?;
    Ok(Message {
        raw_protected,
        protected,
        unprotected,
        payload,
        signature,
    })
}

/// Labels as a hash set, so matching one list of labels against another stays linear
/// (`crit` and the header map both may hold 131,072 entries).
fn label_set<'a>(labels: impl Iterator<Item = &'a Value>) -> HashSet<Vec<u8>> {
    labels.filter_map(cbor::key_identity).collect()
}

fn contains_label(set: &HashSet<Vec<u8>>, label: &Value) -> bool {
    cbor::key_identity(label).is_some_and(|id| set.contains(&id))
}

fn is_label(v: &Value) -> bool {
    v.as_i64().is_some() || v.as_text().is_some()
}

/// A header parameter go-cose rejects; texts are go-cose's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum HeaderError {
    #[error("header label: require int / tstr type")]
    Label,
    #[error("header parameter: alg: require int / tstr type")]
    Alg,
    #[error("header parameter: crit: not allowed")]
    CritNotAllowed,
    #[error("header parameter: crit: require array type")]
    CritType,
    #[error("header parameter: crit: empty crit header")]
    CritEmpty,
    /// The label as CBOR's debug form shows it.
    #[error("header parameter: crit: require int / tstr type, got {0}")]
    CritLabel(String),
    #[error("header parameter: crit: missing critical header: {0}")]
    CritMissing(String),
    #[error("header parameter: content type: require text of form type/subtype")]
    ContentTypeForm,
    #[error("header parameter: content type: require tstr / uint type")]
    ContentTypeType,
    #[error("header parameter: require bstr type")]
    Bstr,
    #[error("header parameter: IV and Partial IV: parameters must not both be present")]
    IvAndPartialIv,
}

/// go-cose `validateHeaderParameters` for the labels it knows.
fn validate_header(map: &[(Value, Value)], protected: bool) -> Result<(), HeaderError> {
    for (label, value) in map {
        if !is_label(label) {
            return Err(HeaderError::Label);
        }
        match label.as_i64() {
            Some(LABEL_ALG) if !is_label(value) => return Err(HeaderError::Alg),
            Some(LABEL_CRIT) => validate_crit(map, value, protected)?,
            Some(LABEL_CONTENT_TYPE) => match value {
                Value::Text(s) => {
                    if s.is_empty()
                        || s.starts_with(' ')
                        || s.ends_with(' ')
                        || s.split('/').count() != 2
                    {
                        return Err(HeaderError::ContentTypeForm);
                    }
                }
                Value::Uint(_) => {}
                _ => return Err(HeaderError::ContentTypeType),
            },
            Some(4..=6) if !matches!(value, Value::Bytes(_)) => return Err(HeaderError::Bstr),
            _ => {}
        }
    }
    if lookup(map, &int_label(5)).is_some() && lookup(map, &int_label(6)).is_some() {
        return Err(HeaderError::IvAndPartialIv);
    }
    Ok(())
}

/// The `crit` parameter: protected, a non-empty array of labels present in `map`.
fn validate_crit(
    map: &[(Value, Value)],
    value: &Value,
    protected: bool,
) -> Result<(), HeaderError> {
    if !protected {
        return Err(HeaderError::CritNotAllowed);
    }
    let Value::Array(labels) = value else {
        return Err(HeaderError::CritType);
    };
    if labels.is_empty() {
        return Err(HeaderError::CritEmpty);
    }
    let present = label_set(map.iter().map(|(k, _)| k));
    for l in labels {
        if !is_label(l) {
            return Err(HeaderError::CritLabel(format!("{l:?}")));
        }
        if !contains_label(&present, l) {
            return Err(HeaderError::CritMissing(l.to_string()));
        }
    }
    Ok(())
}

/// COSE `Sig_structure` for COSE_Sign1 with empty external AAD.
fn sig_structure(raw_protected: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor::encode(&Value::Array(vec![
        Value::text("Signature1"),
        Value::Bytes(raw_protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

fn leaf_certificate(msg: &Message) -> Result<Certificate, EnvelopeError> {
    let invalid = |m: &str| EnvelopeError::Invalid(m.into());
    let Some(Value::Array(certs)) = lookup(&msg.unprotected, &int_label(LABEL_X5CHAIN)) else {
        return Err(invalid("certificate chain is not present"));
    };
    let Some(first) = certs.first() else {
        return Err(invalid("certificate chain is not present"));
    };
    let der = first
        .as_bytes()
        .ok_or_else(|| invalid("COSE envelope malformed leaf certificate"))?;
    Certificate::from_der(der).map_err(|_| invalid("malformed leaf certificate"))
}

/// Why the declared algorithm is unusable; texts are go-cose's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum AlgorithmError {
    #[error("algorithm not found")]
    NotFound,
    #[error("Algorithm({}): algorithm not supported", GoQuoted(.0))]
    Text(String),
    #[error("invalid algorithm")]
    Invalid,
}

/// go-cose `ProtectedHeader.Algorithm` + algorithm table.
fn declared_algorithm(msg: &Message) -> Result<i64, AlgorithmError> {
    match lookup(&msg.protected, &int_label(LABEL_ALG)) {
        None => Err(AlgorithmError::NotFound),
        Some(Value::Text(s)) => Err(AlgorithmError::Text(s.clone())),
        Some(v) => v.as_i64().ok_or(AlgorithmError::Invalid),
    }
}

/// Verifies the signature of a decoded message with the leaf key (salt = hash length for
/// PSS) and extracts the content, with the algorithm the leaf key gives (so that the
/// content rules need not derive it again).
pub(crate) fn verify_decoded(
    msg: &Message,
) -> Result<(EnvelopeContent, SignatureAlgorithm), EnvelopeError> {
    let leaf = leaf_certificate(msg)?;
    let spki = leaf.spki_der();
    let expected = KeySpec::from_spki_der(&spki)
        .map_err(|e| EnvelopeError::Invalid(e.to_string()))?
        .signature_algorithm();
    let declared = declared_algorithm(msg).map_err(|e| EnvelopeError::Integrity(e.to_string()))?;
    if declared != expected.cose_alg() {
        return Err(EnvelopeError::Integrity("algorithm mismatch".into()));
    }
    let payload = msg
        .payload
        .as_deref()
        .ok_or_else(|| EnvelopeError::Integrity("missing payload".into()))?;
    let to_be_signed = sig_structure(&msg.raw_protected, payload);
    verify_signature(
        &spki,
        expected,
        &to_be_signed,
        &msg.signature,
        PssSalt::HashLength,
    )
    .map_err(|_| EnvelopeError::Integrity("verification error".into()))?;
    Ok((content(msg, Some(leaf))?, expected))
}

/// Decodes and extracts the content without the signature check.
pub fn parse(bytes: &[u8]) -> Result<EnvelopeContent, EnvelopeError> {
    content(&decode_message(bytes)?, None)
}

fn invalid(msg: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Invalid(msg.into())
}

/// Why a time header is unusable; texts are notation-core-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum TimeError {
    #[error("protected header {} is missing", GoQuoted(.0))]
    Missing(String),
    #[error("invalid timeValue type")]
    ValueType,
    #[error("only Tag `1` Datetime CBOR object is supported")]
    Tag0,
    #[error("header {} time value does not have a tag", GoQuoted(.0))]
    NoTag(String),
}

/// Reads a tag-1 time from the protected header (notation-core-go `parseTime`).
fn parse_time(msg: &Message, label: &str) -> Result<OffsetDateTime, TimeError> {
    match lookup(&msg.protected, &text_label(label)) {
        None => Err(TimeError::Missing(label.to_string())),
        Some(Value::Tag(1, inner)) => epoch_time(inner).ok_or(TimeError::ValueType),
        Some(Value::Tag(0, _)) => Err(TimeError::Tag0),
        Some(_) => Err(TimeError::NoTag(label.to_string())),
    }
}

fn epoch_time(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::Float(f) if f.is_finite() => {
            let nanos = (f * 1e9).round() as i128;
            OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
        }
        other => OffsetDateTime::from_unix_timestamp(other.as_i64()?).ok(),
    }
}

fn standard_labels() -> [Value; 7] {
    [
        int_label(LABEL_ALG),
        int_label(LABEL_CRIT),
        int_label(LABEL_CONTENT_TYPE),
        text_label(header::EXPIRY),
        text_label(header::SIGNING_SCHEME),
        text_label(header::SIGNING_TIME),
        text_label(header::AUTHENTIC_SIGNING_TIME),
    ]
}

/// CBOR → JSON as Go's `encoding/json` would marshal the decoded value.
fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Uint(u) => J::from(*u),
        Value::Nint(_) => v.as_i64().map(J::from).unwrap_or(J::Null),
        Value::Bytes(b) => J::from(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Text(s) => J::from(s.as_str()),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(pairs) => J::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        ),
        Value::Tag(1, inner) => epoch_time(inner)
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(J::from)
            .unwrap_or(J::Null),
        Value::Tag(_, inner) => to_json(inner),
        Value::Bool(b) => J::from(*b),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Null | Value::Undefined | Value::Simple(_) => J::Null,
    }
}

/// The envelope's content; `leaf` is its first certificate when the caller has parsed it
/// already (parsing a certificate costs as much as the rest of the envelope).
fn content(msg: &Message, leaf: Option<Certificate>) -> Result<EnvelopeContent, EnvelopeError> {
    // payload(): content type
    let content_type = match lookup(&msg.protected, &int_label(LABEL_CONTENT_TYPE)) {
        None => return Err(invalid("missing content type")),
        Some(Value::Text(s)) => s.clone(),
        Some(_) => return Err(invalid("content type should be of 'tstr' type")),
    };
    let (crit, signing_scheme) = critical_headers(msg)?;
    // Algorithm
    let alg = declared_algorithm(msg).map_err(|e| invalid(e.to_string()))?;
    let signature_algorithm = SignatureAlgorithm::from_cose_alg(alg)
        .ok_or_else(|| invalid(format!("signature algorithm not supported: {alg}")))?;
    let (signing_time, expiry) = times(msg, &signing_scheme)?;
    let extended_attributes = extended_attributes(msg, &crit);
    let cert_chain = cert_chain(msg, leaf)?;
    let signing_agent = lookup(&msg.unprotected, &text_label(header::SIGNING_AGENT))
        .and_then(Value::as_text)
        .map(str::to_string);
    let timestamp_token = lookup(&msg.unprotected, &text_label(header::TIMESTAMP_SIGNATURE))
        .and_then(Value::as_bytes)
        .map(<[u8]>::to_vec);
    let payload_bytes = msg.payload.clone().unwrap_or_default();
    let target_artifact = payload::parse(&payload_bytes).unwrap_or_default();
    let is_sa = signing_scheme == SIGNING_SCHEME_SIGNING_AUTHORITY;
    Ok(EnvelopeContent {
        payload: payload_bytes,
        target_artifact,
        content_type,
        signing_scheme,
        signing_time: (!is_sa).then_some(signing_time),
        authentic_signing_time: is_sa.then_some(signing_time),
        expiry,
        extended_attributes,
        cert_chain,
        signing_agent,
        timestamp_token,
        signature: msg.signature.clone(),
        signature_algorithm,
    })
}

/// notation-core-go `validateCritHeaders`: the `crit` labels, and the signing scheme once
/// the headers it requires are critical.
fn critical_headers(msg: &Message) -> Result<(HashSet<Vec<u8>>, String), EnvelopeError> {
    let crit = match lookup(&msg.protected, &int_label(LABEL_CRIT)) {
        Some(Value::Array(labels)) => label_set(labels.iter()),
        _ => HashSet::new(),
    };
    let signing_scheme = lookup(&msg.protected, &text_label(header::SIGNING_SCHEME))
        .and_then(Value::as_text)
        .ok_or_else(|| invalid("invalid signingScheme"))?
        .to_string();
    let mut must = vec![header::SIGNING_SCHEME];
    if signing_scheme == SIGNING_SCHEME_SIGNING_AUTHORITY {
        must.push(header::AUTHENTIC_SIGNING_TIME);
    }
    if lookup(&msg.protected, &text_label(header::EXPIRY)).is_some() {
        must.push(header::EXPIRY);
    }
    must.retain(|m| !contains_label(&crit, &text_label(m)));
    if !must.is_empty() {
        return Err(invalid(format!(
            "these required headers are not marked as critical: [{}]",
            must.join(" ")
        )));
    }
    Ok((crit, signing_scheme))
}

/// The scheme's signing time and the expiry, if any.
fn times(
    msg: &Message,
    signing_scheme: &str,
) -> Result<(OffsetDateTime, Option<OffsetDateTime>), EnvelopeError> {
    let time_label = match signing_scheme {
        SIGNING_SCHEME_X509 => header::SIGNING_TIME,
        SIGNING_SCHEME_SIGNING_AUTHORITY => header::AUTHENTIC_SIGNING_TIME,
        other => return Err(invalid(format!("unsupported signingScheme: {other}"))),
    };
    let signing_time =
        parse_time(msg, time_label).map_err(|e| invalid(format!("invalid signingTime: {e}")))?;
    let expiry = match lookup(&msg.protected, &text_label(header::EXPIRY)) {
        Some(_) => Some(
            parse_time(msg, header::EXPIRY).map_err(|e| invalid(format!("invalid expiry: {e}")))?,
        ),
        None => None,
    };
    Ok((signing_time, expiry))
}

/// The non-standard protected headers, sorted by key.
fn extended_attributes(msg: &Message, crit: &HashSet<Vec<u8>>) -> Vec<ExtendedAttribute> {
    let standard = standard_labels();
    let mut extended: Vec<ExtendedAttribute> = msg
        .protected
        .iter()
        .filter(|(k, _)| !standard.contains(k))
        .map(|(k, v)| ExtendedAttribute {
            key: k.to_string(),
            value: to_json(v),
            critical: contains_label(crit, k),
        })
        .collect();
    extended.sort_by(|a, b| a.key.cmp(&b.key));
    extended
}

/// The `x5chain` certificates; `leaf` is the first one when already parsed.
fn cert_chain(msg: &Message, leaf: Option<Certificate>) -> Result<Vec<Certificate>, EnvelopeError> {
    let Some(Value::Array(certs)) = lookup(&msg.unprotected, &int_label(LABEL_X5CHAIN)) else {
        return Err(invalid("certificate chain is not present"));
    };
    if certs.is_empty() {
        return Err(invalid("certificate chain is not present"));
    }
    let parsed = certs.len().min(usize::from(leaf.is_some()));
    leaf.into_iter()
        .map(Ok)
        .chain(certs[parsed..].iter().map(|c| {
            let der = c
                .as_bytes()
                .ok_or_else(|| invalid("certificate chain is not present"))?;
            Certificate::from_der(der).map_err(|e| invalid(e.to_string()))
        }))
        .collect()
}

fn tag1(t: OffsetDateTime) -> Value {
    Value::Tag(1, Box::new(Value::int(t.unix_timestamp())))
}

/// The protected header map notation writes for `notary.x509`.
pub(crate) fn protected_header(
    alg: SignatureAlgorithm,
    signing_time: OffsetDateTime,
    expiry: Option<OffsetDateTime>,
) -> Vec<u8> {
    let mut crit = vec![Value::text(header::SIGNING_SCHEME)];
    let mut map = vec![
        (int_label(LABEL_ALG), Value::int(alg.cose_alg())),
        (
            int_label(LABEL_CONTENT_TYPE),
            Value::text(payload::CONTENT_TYPE),
        ),
        (
            text_label(header::SIGNING_SCHEME),
            Value::text(SIGNING_SCHEME_X509),
        ),
        (text_label(header::SIGNING_TIME), tag1(signing_time)),
    ];
    if let Some(exp) = expiry {
        crit.push(Value::text(header::EXPIRY));
        map.push((text_label(header::EXPIRY), tag1(exp)));
    }
    map.push((int_label(LABEL_CRIT), Value::Array(crit)));
    cbor::encode(&Value::Map(map))
}

/// Builds and signs a COSE_Sign1_Tagged envelope.
pub(crate) fn sign(params: &SignParams) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError> {
    let protected = protected_header(params.algorithm, params.signing_time, params.expiry);
    let payload_bytes = payload::build(params.payload_target);
    let (signature, chain) = params
        .signer
        .sign(&sig_structure(&protected, &payload_bytes))?;
    let mut unprotected = vec![(
        int_label(LABEL_X5CHAIN),
        Value::Array(
            chain
                .iter()
                .map(|c| Value::Bytes(c.der().to_vec()))
                .collect(),
        ),
    )];
    if !params.signing_agent.is_empty() {
        unprotected.push((
            text_label(header::SIGNING_AGENT),
            Value::text(params.signing_agent),
        ));
    }
    if let Some(ts) = params.timestamper {
        let token = ts(&signature).map_err(EnvelopeError::SignRequest)?;
        unprotected.push((text_label(header::TIMESTAMP_SIGNATURE), Value::Bytes(token)));
    }
    let mut out = vec![TAG_SIGN1];
    out.extend(cbor::encode(&Value::Array(vec![
        Value::Bytes(protected),
        Value::Map(unprotected),
        Value::Bytes(payload_bytes),
        Value::Bytes(signature),
    ])));
    Ok((out, chain))
}
