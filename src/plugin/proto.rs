//! The JSON messages of plugin contract 1.0 (plugins.md §3), with notation's member order.

use crate::go::fmt::{slice_v, GoQuoted};
use crate::go::json::decode::{self as godecode, key_matches, DecodeError, Json};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// The contract version notation speaks.
pub(crate) const CONTRACT_VERSION: &str = "1.0";
/// Prefix of plugin executables.
pub(crate) const BINARY_PREFIX: &str = "notation-";

/// Capability names (plugins.md §4).
pub mod capability {
    /// Generates raw signatures (`describe-key`, `generate-signature`).
    pub(crate) const SIGNATURE_GENERATOR_RAW: &str = "SIGNATURE_GENERATOR.RAW";
    /// Generates whole envelopes (`generate-envelope`).
    pub(crate) const SIGNATURE_GENERATOR_ENVELOPE: &str = "SIGNATURE_GENERATOR.ENVELOPE";
    /// Verifies trusted identities (`verify-signature`).
    pub const TRUSTED_IDENTITY: &str = "SIGNATURE_VERIFIER.TRUSTED_IDENTITY";
    /// Checks revocation (`verify-signature`).
    pub const REVOCATION_CHECK: &str = "SIGNATURE_VERIFIER.REVOCATION_CHECK";
}

/// `[]byte` members travel as standard base64 with padding.
mod b64 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(v))
    }
}

/// `[][]byte` members.
mod b64_list {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let list: Vec<String> = v.iter().map(|b| B64.encode(b)).collect();
        list.serialize(s)
    }
}

fn is_empty_map(m: &BTreeMap<String, String>) -> bool {
    m.is_empty()
}

/// `get-plugin-metadata` request (no `contractVersion`, as notation sends it).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct GetMetadataRequest {
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// A plugin response, decoded as notation-go decodes it with Go's `json.Unmarshal`: `null`
/// is the zero value of any member, member names match case-insensitively, unknown members
/// are ignored, the last of duplicate members wins, and nothing may follow the document.
pub trait Response: Default {
    /// Decode one JSON value into `dst` (a fresh default).
    fn decode(v: &Json, dst: &mut Self) -> Result<(), DecodeError>;

    /// Decode a whole response document.
    fn unmarshal(bytes: &[u8]) -> Result<Self, DecodeError> {
        godecode::unmarshal(bytes, Self::decode)
    }
}

/// `get-plugin-metadata` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The plugin's name (`notation-<name>` is its executable).
    pub name: String,
    /// A description.
    pub description: String,
    /// The plugin's version (semantic version).
    pub version: String,
    /// Where to learn about the plugin.
    pub url: String,
    #[serde(rename = "supportedContractVersions")]
    /// The plugin contract versions it speaks.
    pub supported_contract_versions: Vec<String>,
    /// What it can do (`SIGNATURE_GENERATOR.RAW`, …).
    pub capabilities: Vec<String>,
}

impl Response for Metadata {
    fn decode(v: &Json, dst: &mut Metadata) -> Result<(), DecodeError> {
        godecode::object(v, "proto.GetMetadataResponse", |k, val| {
            if key_matches(k, "name") {
                godecode::string(val, &mut dst.name)
            } else if key_matches(k, "description") {
                godecode::string(val, &mut dst.description)
            } else if key_matches(k, "version") {
                godecode::string(val, &mut dst.version)
            } else if key_matches(k, "url") {
                godecode::string(val, &mut dst.url)
            } else if key_matches(k, "supportedContractVersions") {
                godecode::string_slice(val, &mut dst.supported_contract_versions)
            } else if key_matches(k, "capabilities") {
                godecode::string_slice(val, &mut dst.capabilities)
            } else {
                Ok(())
            }
        })
    }
}

impl Metadata {
    /// Whether the plugin declares `capability`.
    pub(crate) fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// notation-go's metadata `validate`.
    pub fn validate(&self) -> Result<(), MetadataError> {
        let empty = [
            (&self.name, "name"),
            (&self.description, "description"),
            (&self.version, "version"),
            (&self.url, "url"),
        ];
        if let Some((_, field)) = empty.iter().find(|(v, _)| v.is_empty()) {
            return Err(MetadataError::Empty(field));
        }
        if self.capabilities.is_empty() {
            return Err(MetadataError::Empty("capabilities"));
        }
        if self.supported_contract_versions.is_empty() {
            return Err(MetadataError::NoContractVersions);
        }
        if !self
            .supported_contract_versions
            .iter()
            .any(|v| v == CONTRACT_VERSION)
        {
            return Err(MetadataError::UnsupportedContract(
                self.supported_contract_versions.clone(),
            ));
        }
        Ok(())
    }
}

/// Why plugin metadata is invalid, with notation-go's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// A required field is empty.
    #[error("empty {0}")]
    Empty(&'static str),
    /// `supportedContractVersions` is empty.
    #[error("supported contract versions not specified")]
    NoContractVersions,
    /// `supportedContractVersions` lacks ours.
    #[error("contract version {} is not in the list of the plugin supported versions {}", GoQuoted(&CONTRACT_VERSION), slice_v(.0))]
    UnsupportedContract(Vec<String>),
}

/// `describe-key` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DescribeKeyRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// `describe-key` response.
#[derive(Debug, Clone, Default)]
pub(crate) struct DescribeKeyResponse {
    pub key_id: String,
    pub key_spec: String,
}

impl Response for DescribeKeyResponse {
    fn decode(v: &Json, dst: &mut DescribeKeyResponse) -> Result<(), DecodeError> {
        godecode::object(v, "proto.DescribeKeyResponse", |k, val| {
            if key_matches(k, "keyId") {
                godecode::string(val, &mut dst.key_id)
            } else if key_matches(k, "keySpec") {
                godecode::string(val, &mut dst.key_spec)
            } else {
                Ok(())
            }
        })
    }
}

/// `generate-signature` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GenerateSignatureRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(rename = "keySpec")]
    pub key_spec: String,
    #[serde(rename = "hashAlgorithm")]
    pub hash_algorithm: String,
    #[serde(with = "b64")]
    pub payload: Vec<u8>,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// `generate-signature` response.
#[derive(Debug, Clone, Default)]
pub(crate) struct GenerateSignatureResponse {
    pub key_id: String,
    pub signature: Vec<u8>,
    pub signing_algorithm: String,
    pub certificate_chain: Vec<Vec<u8>>,
}

impl Response for GenerateSignatureResponse {
    fn decode(v: &Json, dst: &mut GenerateSignatureResponse) -> Result<(), DecodeError> {
        godecode::object(v, "proto.GenerateSignatureResponse", |k, val| {
            if key_matches(k, "keyId") {
                godecode::string(val, &mut dst.key_id)
            } else if key_matches(k, "signature") {
                godecode::bytes(val, &mut dst.signature)
            } else if key_matches(k, "signingAlgorithm") {
                godecode::string(val, &mut dst.signing_algorithm)
            } else if key_matches(k, "certificateChain") {
                godecode::bytes_slice(val, &mut dst.certificate_chain)
            } else {
                Ok(())
            }
        })
    }
}

/// `generate-envelope` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GenerateEnvelopeRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    #[serde(rename = "signatureEnvelopeType")]
    pub signature_envelope_type: String,
    #[serde(with = "b64")]
    pub payload: Vec<u8>,
    #[serde(
        rename = "expiryDurationInSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiry_duration_in_seconds: Option<u64>,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// `generate-envelope` response.
#[derive(Debug, Clone, Default)]
pub(crate) struct GenerateEnvelopeResponse {
    pub signature_envelope: Vec<u8>,
    pub signature_envelope_type: String,
    pub annotations: BTreeMap<String, String>,
}

impl Response for GenerateEnvelopeResponse {
    fn decode(v: &Json, dst: &mut GenerateEnvelopeResponse) -> Result<(), DecodeError> {
        godecode::object(v, "proto.GenerateEnvelopeResponse", |k, val| {
            if key_matches(k, "signatureEnvelope") {
                godecode::bytes(val, &mut dst.signature_envelope)
            } else if key_matches(k, "signatureEnvelopeType") {
                godecode::string(val, &mut dst.signature_envelope_type)
            } else if key_matches(k, "annotations") {
                let mut pairs = std::mem::take(&mut dst.annotations).into_iter().collect();
                godecode::string_map(val, &mut pairs)?;
                dst.annotations = pairs.into_iter().collect();
                Ok(())
            } else {
                Ok(())
            }
        })
    }
}

/// The critical attributes sent to `verify-signature`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CriticalAttributes {
    #[serde(rename = "contentType")]
    pub content_type: String,
    #[serde(rename = "signingScheme")]
    pub signing_scheme: String,
    /// RFC 3339; Go's zero time when the signature has none.
    pub expiry: String,
    #[serde(
        rename = "authenticSigningTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub authentic_signing_time: Option<String>,
    #[serde(
        rename = "extendedAttributes",
        skip_serializing_if = "serde_json::Map::is_empty"
    )]
    pub extended_attributes: serde_json::Map<String, serde_json::Value>,
}

/// The signature part of a `verify-signature` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SignatureInfo {
    #[serde(rename = "criticalAttributes")]
    pub critical_attributes: CriticalAttributes,
    /// `null` when empty, as Go sends a nil slice.
    #[serde(rename = "unprocessedAttributes")]
    pub unprocessed_attributes: Option<Vec<String>>,
    #[serde(rename = "certificateChain", with = "b64_list")]
    pub certificate_chain: Vec<Vec<u8>>,
}

/// The trust policy part of a `verify-signature` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrustPolicyInfo {
    #[serde(rename = "trustedIdentities")]
    pub trusted_identities: Vec<String>,
    #[serde(rename = "signatureVerification")]
    pub signature_verification: Vec<String>,
}

/// `verify-signature` request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerifySignatureRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    pub signature: SignatureInfo,
    #[serde(rename = "trustPolicy")]
    pub trust_policy: TrustPolicyInfo,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// One capability's verdict.
#[derive(Debug, Clone, Default)]
pub(crate) struct VerificationResult {
    pub success: bool,
    pub reason: String,
}

impl Response for VerificationResult {
    fn decode(v: &Json, dst: &mut VerificationResult) -> Result<(), DecodeError> {
        godecode::object(v, "proto.VerificationResult", |k, val| {
            if key_matches(k, "success") {
                godecode::boolean(val, &mut dst.success)
            } else if key_matches(k, "reason") {
                godecode::string(val, &mut dst.reason)
            } else {
                Ok(())
            }
        })
    }
}

/// `verify-signature` response.
#[derive(Debug, Clone, Default)]
pub(crate) struct VerifySignatureResponse {
    /// Go's `map[Capability]*VerificationResult`: a `null` result is `None`.
    pub verification_results: BTreeMap<String, Option<VerificationResult>>,
    pub processed_attributes: Vec<Json>,
}

impl Response for VerifySignatureResponse {
    fn decode(v: &Json, dst: &mut VerifySignatureResponse) -> Result<(), DecodeError> {
        godecode::object(v, "proto.VerifySignatureResponse", |k, val| {
            if key_matches(k, "verificationResults") {
                godecode::struct_ptr_map(
                    val,
                    "map[proto.Capability]*proto.VerificationResult",
                    &mut dst.verification_results,
                    VerificationResult::decode,
                )
            } else if key_matches(k, "processedAttributes") {
                godecode::value_slice(val, &mut dst.processed_attributes)
            } else {
                Ok(())
            }
        })
    }
}

/// The error object a failing plugin writes to stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestError {
    /// `errorCode`.
    pub code: String,
    /// `errorMessage`.
    pub message: String,
    /// `None` when the plugin sent none (or `null`), as Go's nil map.
    pub metadata: Option<Vec<(String, String)>>,
}

impl Response for RequestError {
    fn decode(v: &Json, dst: &mut RequestError) -> Result<(), DecodeError> {
        godecode::object(v, "proto.jsonErr", |k, val| {
            if key_matches(k, "errorCode") {
                godecode::string(val, &mut dst.code)
            } else if key_matches(k, "errorMessage") {
                godecode::string(val, &mut dst.message)
            } else if key_matches(k, "errorMetadata") {
                if let Json::Null = val {
                    dst.metadata = None;
                    return Ok(());
                }
                godecode::string_map(val, dst.metadata.get_or_insert_with(Vec::new))
            } else {
                Ok(())
            }
        })
    }
}

impl std::fmt::Display for RequestError {
    /// Go's `RequestError.Error()`: `<code>: <message>`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}: <nil>", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_serialize_in_notation_order() {
        let req = GenerateSignatureRequest {
            contract_version: CONTRACT_VERSION.into(),
            key_id: "k".into(),
            key_spec: "EC-256".into(),
            hash_algorithm: "SHA-256".into(),
            payload: b"ab".to_vec(),
            plugin_config: BTreeMap::new(),
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"contractVersion":"1.0","keyId":"k","keySpec":"EC-256","hashAlgorithm":"SHA-256","payload":"YWI="}"#
        );
        let meta = GetMetadataRequest {
            plugin_config: BTreeMap::from([("a".into(), "b".into())]),
        };
        assert_eq!(
            serde_json::to_string(&meta).unwrap(),
            r#"{"pluginConfig":{"a":"b"}}"#
        );
    }

    #[test]
    fn responses_decode_as_go_unmarshal() {
        let r = VerifySignatureResponse::unmarshal(
            br#"{"verificationResults":{"A":{"success":true},"B":null},
                "VERIFICATIONRESULTS":{"C":{"SUCCESS":true,"reason":null}},
                "processedAttributes":null,"other":[1]}"#,
        )
        .unwrap();
        // Duplicate map members merge; a null result is a nil pointer.
        assert_eq!(r.verification_results.len(), 3);
        assert!(r.verification_results["A"].as_ref().unwrap().success);
        assert!(r.verification_results["B"].is_none());
        assert!(r.verification_results["C"].as_ref().unwrap().success);
        assert!(r.processed_attributes.is_empty());

        let s = GenerateSignatureResponse::unmarshal(
            br#"{"keyId":null,"signature":"YW\nI=","certificateChain":[null,"YWI="],"keyid":"k"}"#,
        )
        .unwrap();
        assert_eq!(s.key_id, "k", "the last duplicate (any case) wins");
        assert_eq!(s.signature, b"ab");
        assert_eq!(s.certificate_chain, vec![Vec::new(), b"ab".to_vec()]);

        for bad in [
            &br#"{"signature":"not base64!"}"#[..],
            br#"{"keyId":1}"#,
            br#"{"keyId":"k"} x"#,
            br#"[]"#,
        ] {
            assert!(
                GenerateSignatureResponse::unmarshal(bad).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            Metadata::unmarshal(b"null").unwrap(),
            Metadata::default(),
            "null into a struct leaves it as it is"
        );
        let e = RequestError::unmarshal(br#"{"errorcode":"E","errorMetadata":{}}"#).unwrap();
        assert_eq!(e.code, "E");
        assert_eq!(e.metadata, Some(Vec::new()));
    }

    #[test]
    fn metadata_validation_texts() {
        let mut m = Metadata {
            name: "n".into(),
            description: "d".into(),
            version: "1.0.0".into(),
            url: "u".into(),
            supported_contract_versions: vec!["2.0".into()],
            capabilities: vec![capability::SIGNATURE_GENERATOR_RAW.into()],
        };
        assert_eq!(
            m.validate().unwrap_err().to_string(),
            r#"contract version "1.0" is not in the list of the plugin supported versions [2.0]"#
        );
        m.supported_contract_versions = vec!["1.0".into()];
        assert!(m.validate().is_ok());
        m.url.clear();
        assert_eq!(m.validate().unwrap_err().to_string(), "empty url");
    }
}
