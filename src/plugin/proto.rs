//! The JSON messages of plugin contract 1.0 (plugins.md §3), with notation's member order.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The contract version notation speaks.
pub const CONTRACT_VERSION: &str = "1.0";
/// Prefix of plugin executables.
pub const BINARY_PREFIX: &str = "notation-";

/// Capability names (plugins.md §4).
pub mod capability {
    /// Generates raw signatures (`describe-key`, `generate-signature`).
    pub const SIGNATURE_GENERATOR_RAW: &str = "SIGNATURE_GENERATOR.RAW";
    /// Generates whole envelopes (`generate-envelope`).
    pub const SIGNATURE_GENERATOR_ENVELOPE: &str = "SIGNATURE_GENERATOR.ENVELOPE";
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
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        B64.decode(s).map_err(serde::de::Error::custom)
    }
}

/// `[][]byte` members.
mod b64_list {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let list: Vec<String> = v.iter().map(|b| B64.encode(b)).collect();
        list.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let list = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
        list.iter()
            .map(|s| B64.decode(s).map_err(serde::de::Error::custom))
            .collect()
    }
}

fn is_empty_map(m: &BTreeMap<String, String>) -> bool {
    m.is_empty()
}

/// `get-plugin-metadata` request (no `contractVersion`, as notation sends it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetMetadataRequest {
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// `get-plugin-metadata` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    pub name: String,
    pub description: String,
    pub version: String,
    pub url: String,
    #[serde(rename = "supportedContractVersions")]
    pub supported_contract_versions: Vec<String>,
    pub capabilities: Vec<String>,
}

impl Metadata {
    /// Whether the plugin declares `capability`.
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// notation-go's metadata `validate`.
    pub fn validate(&self) -> Result<(), String> {
        let empty = [
            (&self.name, "empty name"),
            (&self.description, "empty description"),
            (&self.version, "empty version"),
            (&self.url, "empty url"),
        ];
        if let Some((_, e)) = empty.iter().find(|(v, _)| v.is_empty()) {
            return Err((*e).to_string());
        }
        if self.capabilities.is_empty() {
            return Err("empty capabilities".into());
        }
        if self.supported_contract_versions.is_empty() {
            return Err("supported contract versions not specified".into());
        }
        if !self
            .supported_contract_versions
            .iter()
            .any(|v| v == CONTRACT_VERSION)
        {
            return Err(format!(
                "contract version {:?} is not in the list of the plugin supported versions {}",
                CONTRACT_VERSION,
                go_slice(&self.supported_contract_versions)
            ));
        }
        Ok(())
    }
}

/// Go's `%v` of a string slice: `[a b c]`.
pub fn go_slice(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `describe-key` request.
#[derive(Debug, Clone, Serialize)]
pub struct DescribeKeyRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// `describe-key` response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DescribeKeyResponse {
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(rename = "keySpec")]
    pub key_spec: String,
}

/// `generate-signature` request.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateSignatureRequest {
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GenerateSignatureResponse {
    #[serde(rename = "keyId")]
    pub key_id: String,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    #[serde(rename = "signingAlgorithm")]
    pub signing_algorithm: String,
    #[serde(rename = "certificateChain", with = "b64_list")]
    pub certificate_chain: Vec<Vec<u8>>,
}

/// `generate-envelope` request.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateEnvelopeRequest {
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GenerateEnvelopeResponse {
    #[serde(rename = "signatureEnvelope", with = "b64")]
    pub signature_envelope: Vec<u8>,
    #[serde(rename = "signatureEnvelopeType")]
    pub signature_envelope_type: String,
    pub annotations: BTreeMap<String, String>,
}

/// The critical attributes sent to `verify-signature`.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalAttributes {
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
pub struct SignatureInfo {
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
pub struct TrustPolicyInfo {
    #[serde(rename = "trustedIdentities")]
    pub trusted_identities: Vec<String>,
    #[serde(rename = "signatureVerification")]
    pub signature_verification: Vec<String>,
}

/// `verify-signature` request.
#[derive(Debug, Clone, Serialize)]
pub struct VerifySignatureRequest {
    #[serde(rename = "contractVersion")]
    pub contract_version: String,
    pub signature: SignatureInfo,
    #[serde(rename = "trustPolicy")]
    pub trust_policy: TrustPolicyInfo,
    #[serde(rename = "pluginConfig", skip_serializing_if = "is_empty_map")]
    pub plugin_config: BTreeMap<String, String>,
}

/// One capability's verdict.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VerificationResult {
    pub success: bool,
    pub reason: String,
}

/// `verify-signature` response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VerifySignatureResponse {
    #[serde(rename = "verificationResults")]
    pub verification_results: BTreeMap<String, VerificationResult>,
    #[serde(rename = "processedAttributes")]
    pub processed_attributes: Vec<serde_json::Value>,
}

/// The error object a failing plugin writes to stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RequestError {
    #[serde(rename = "errorCode")]
    pub code: String,
    #[serde(rename = "errorMessage")]
    pub message: String,
    #[serde(rename = "errorMetadata")]
    pub metadata: Option<BTreeMap<String, String>>,
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
            m.validate().unwrap_err(),
            r#"contract version "1.0" is not in the list of the plugin supported versions [2.0]"#
        );
        m.supported_contract_versions = vec!["1.0".into()];
        assert!(m.validate().is_ok());
        m.url.clear();
        assert_eq!(m.validate().unwrap_err(), "empty url");
    }
}
