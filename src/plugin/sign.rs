//! Signing through a plugin (plugins.md §5): RAW signers give us a signature and chain for
//! the envelope we build; ENVELOPE signers give us a whole envelope, which we check.

use super::proto::{self, capability, CONTRACT_VERSION};
use super::Plugin;
use crate::crypto::KeySpec;
use crate::envelope::{self, payload, EnvelopeError, Format, RawSigner};
use crate::oci::Descriptor;
use crate::signer::{raw_envelope, EnvelopeSigner, SignError, SignOptions, SignedEnvelope};
use crate::x509::Certificate;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A key held by a signing plugin.
#[derive(Debug, Clone)]
pub struct PluginSigner {
    plugin: Plugin,
    key_id: String,
    /// The key's `pluginConfig` merged with `--plugin-config` (the flag wins).
    config: BTreeMap<String, String>,
}

impl PluginSigner {
    /// Sign with key `key_id` of `plugin`; `config` overrides `base_config` key by key.
    pub fn new(
        plugin: Plugin,
        key_id: &str,
        base_config: &BTreeMap<String, String>,
        config: &BTreeMap<String, String>,
    ) -> PluginSigner {
        let mut merged = base_config.clone();
        merged.extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
        PluginSigner {
            plugin,
            key_id: key_id.to_string(),
            config: merged,
        }
    }

    fn key_spec(&self) -> Result<KeySpec, SignError> {
        let resp = self.plugin.describe_key(&proto::DescribeKeyRequest {
            contract_version: CONTRACT_VERSION.into(),
            key_id: self.key_id.clone(),
            plugin_config: self.config.clone(),
        })?;
        if resp.key_id != self.key_id {
            return Err(SignError::PluginResponse(format!(
                "keyID in describeKey response {:?} does not match request {:?}",
                resp.key_id, self.key_id
            )));
        }
        KeySpec::from_name(&resp.key_spec).ok_or_else(|| {
            SignError::PluginResponse(format!(
                "signature key spec {:?} not supported",
                resp.key_spec
            ))
        })
    }

    fn generate_envelope(
        &self,
        payload_target: &Descriptor,
        opts: &SignOptions,
    ) -> Result<SignedEnvelope, SignError> {
        let request_type = opts.format.media_type();
        let resp = self
            .plugin
            .generate_envelope(&proto::GenerateEnvelopeRequest {
                contract_version: CONTRACT_VERSION.into(),
                key_id: self.key_id.clone(),
                payload_type: payload::CONTENT_TYPE.into(),
                signature_envelope_type: request_type.into(),
                payload: payload::build(payload_target),
                expiry_duration_in_seconds: opts
                    .expiry
                    .map(|d| d.whole_seconds())
                    .filter(|s| *s > 0)
                    .map(|s| s as u64),
                plugin_config: self.config.clone(),
            })
            .map_err(|e| {
                SignError::PluginResponse(format!(
                    "plugin failed to sign with following error: {e}"
                ))
            })?;
        if resp.signature_envelope_type != request_type {
            return Err(SignError::PluginResponse(format!(
                "signatureEnvelopeType in generateEnvelope response {:?} does not match request {:?}",
                resp.signature_envelope_type, request_type
            )));
        }
        let content = check_envelope(opts.format, &resp.signature_envelope, payload_target)?;
        Ok(SignedEnvelope {
            bytes: resp.signature_envelope,
            chain: content.cert_chain,
            signing_time: content
                .signing_time
                .unwrap_or(time::macros::datetime!(0001-01-01 00:00:00 UTC)),
            annotations: resp.annotations,
        })
    }
}

/// notation-go `generateSignatureEnvelope` checks on a plugin-made envelope.
fn check_envelope(
    format: Format,
    bytes: &[u8],
    requested: &Descriptor,
) -> Result<envelope::EnvelopeContent, SignError> {
    let content = envelope::verify(format, bytes).map_err(|e| match e {
        EnvelopeError::Malformed(m) => SignError::PluginResponse(m),
        other => {
            SignError::PluginResponse(format!("generated signature failed verification: {other}"))
        }
    })?;
    let signed = &content.target_artifact;
    let same = signed.media_type == requested.media_type
        && signed.digest == requested.digest
        && signed.size == requested.size
        && requested
            .annotations
            .iter()
            .flatten()
            .all(|(k, v)| signed.annotation(k) == Some(v.as_str()));
    if !same {
        return Err(SignError::PluginResponse(format!(
            "during signing descriptor subject has changed from {} to {}",
            go_descriptor(requested),
            go_descriptor(signed)
        )));
    }
    let unknown = unknown_payload_members(&content.payload);
    if !unknown.is_empty() {
        let quoted: Vec<String> = unknown.iter().map(|k| format!("{k:?}")).collect();
        return Err(SignError::PluginResponse(format!(
            "during signing, following unknown attributes were added to subject descriptor: [{}]",
            quoted.join(" ")
        )));
    }
    Ok(content)
}

/// Members of the payload (or its `targetArtifact`) that a descriptor does not have.
fn unknown_payload_members(payload: &[u8]) -> Vec<String> {
    const KNOWN: [&str; 8] = [
        "mediaType",
        "digest",
        "size",
        "urls",
        "annotations",
        "data",
        "platform",
        "artifactType",
    ];
    let Ok(serde_json::Value::Object(top)) = serde_json::from_slice(payload) else {
        return vec![];
    };
    let mut unknown: Vec<String> = top
        .get("targetArtifact")
        .and_then(|t| t.as_object())
        .into_iter()
        .flat_map(|t| t.keys())
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    unknown.extend(top.keys().filter(|k| *k != "targetArtifact").cloned());
    unknown.sort();
    unknown
}

/// Go's `%+v` of an `ocispec.Descriptor`.
fn go_descriptor(d: &Descriptor) -> String {
    let annotations: Vec<String> = d
        .annotations
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    format!(
        "{{MediaType:{} Digest:{} Size:{} URLs:[] Annotations:map[{}] Data:[] Platform:<nil> ArtifactType:{}}}",
        d.media_type,
        d.digest,
        d.size,
        annotations.join(" "),
        d.artifact_type.as_deref().unwrap_or("")
    )
}

/// `generate-signature` as the envelope's raw signer.
struct RawPlugin<'a> {
    signer: &'a PluginSigner,
    key_spec: KeySpec,
}

impl RawSigner for RawPlugin<'_> {
    fn sign(&self, signing_input: &[u8]) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError> {
        let s = self.signer;
        let resp = s
            .plugin
            .generate_signature(&proto::GenerateSignatureRequest {
                contract_version: CONTRACT_VERSION.into(),
                key_id: s.key_id.clone(),
                key_spec: self.key_spec.name().into(),
                hash_algorithm: hash_name(self.key_spec).into(),
                payload: signing_input.to_vec(),
                plugin_config: s.config.clone(),
            })
            .map_err(|e| EnvelopeError::SignRequest(e.to_string()))?;
        if resp.key_id != s.key_id {
            return Err(EnvelopeError::SignRequest(format!(
                "keyID in generateSignature response {:?} does not match request {:?}",
                resp.key_id, s.key_id
            )));
        }
        let chain = resp
            .certificate_chain
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EnvelopeError::SignRequest(e.to_string()))?;
        Ok((resp.signature, chain))
    }
}

/// The hash a key spec signs with (plugins.md §3.3).
fn hash_name(spec: KeySpec) -> &'static str {
    match spec.name() {
        "RSA-2048" | "EC-256" => "SHA-256",
        "RSA-3072" | "EC-384" => "SHA-384",
        _ => "SHA-512",
    }
}

impl EnvelopeSigner for PluginSigner {
    /// From `describe-key`, which notation also asks before signing a blob.
    fn signature_algorithm(&self) -> Result<crate::crypto::SignatureAlgorithm, SignError> {
        Ok(self.key_spec()?.signature_algorithm())
    }

    fn sign_envelope(
        &self,
        payload_target: &Descriptor,
        signing_time: OffsetDateTime,
        opts: &SignOptions,
    ) -> Result<SignedEnvelope, SignError> {
        let metadata = self.plugin.metadata(&self.config)?;
        if metadata.has_capability(capability::SIGNATURE_GENERATOR_RAW) {
            let key_spec = self.key_spec()?;
            let raw = RawPlugin {
                signer: self,
                key_spec,
            };
            let agent = format!(
                "{} {}/{}",
                opts.signing_agent, metadata.name, metadata.version
            );
            let bytes = raw_envelope(payload_target, signing_time, key_spec, &raw, &agent, opts)?;
            let chain = envelope::parse(opts.format, &bytes)
                .map(|c| c.cert_chain)
                .unwrap_or_default();
            return Ok(SignedEnvelope {
                bytes,
                chain,
                signing_time,
                annotations: BTreeMap::new(),
            });
        }
        if metadata.has_capability(capability::SIGNATURE_GENERATOR_ENVELOPE) {
            return self.generate_envelope(payload_target, opts);
        }
        Err(SignError::PluginResponse(
            "plugin does not have signing capabilities".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_members_of_the_payload() {
        let p = br#"{"targetArtifact":{"mediaType":"m","digest":"d","size":1,"extra":1},"more":2}"#;
        assert_eq!(unknown_payload_members(p), vec!["extra", "more"]);
        assert!(unknown_payload_members(br#"{"targetArtifact":{"mediaType":"m"}}"#).is_empty());
    }
}
