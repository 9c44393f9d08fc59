//! Verification plugins (verification.md §5.2, §5.8; plugins.md §6): an envelope naming
//! `io.cncf.notary.verificationPlugin` hands trusted-identity and/or revocation checks to
//! that plugin.

use super::{CheckError, SignedFacts, SigningScheme};
use crate::envelope::header::{VERIFICATION_PLUGIN, VERIFICATION_PLUGIN_MIN_VERSION};
use crate::envelope::ExtendedAttribute;
use crate::go::fmt::GoQuoted;
use crate::go::json::decode::Json;
use crate::plugin::proto::{self, capability, CONTRACT_VERSION};
use crate::plugin::{semver, Plugin};
use crate::policy::OciStatement;
use std::collections::BTreeMap;
use std::path::PathBuf;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where verification plugins are found and the `--plugin-config` they get.
#[derive(Debug, Clone, Default)]
pub struct VerificationPlugins {
    /// `{NOTATION_LIBEXEC}/plugins`.
    pub dir: PathBuf,
    /// `notation verify --plugin-config` pairs.
    pub config: BTreeMap<String, String>,
}

/// A verification plugin an envelope asked for, found and vetted.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    plugin: Plugin,
    /// Its verifier capabilities.
    pub capabilities: Vec<String>,
}

impl Found {
    /// Whether the plugin takes over the trusted-identity check.
    pub fn trusted_identity(&self) -> bool {
        self.capabilities
            .iter()
            .any(|c| c == capability::TRUSTED_IDENTITY)
    }

    /// Whether the plugin takes over the revocation check.
    pub fn revocation(&self) -> bool {
        self.capabilities
            .iter()
            .any(|c| c == capability::REVOCATION_CHECK)
    }
}

fn attribute<'a>(facts: &'a SignedFacts, key: &str) -> Option<&'a ExtendedAttribute> {
    facts
        .content
        .as_ref()?
        .extended_attributes
        .iter()
        .find(|a| a.key == key)
}

/// A critical, non-blank string attribute, or notation-go's complaint.
fn critical_string(attr: &ExtendedAttribute) -> Result<String, CheckError> {
    if !attr.critical {
        return Err(CheckError::Plugin(format!(
            "{} is not marked as a critical attribute",
            GoQuoted(&attr.key)
        )));
    }
    match attr.value.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(CheckError::Plugin(format!(
            "{} from extended attribute is not a valid string",
            GoQuoted(&attr.key)
        ))),
    }
}

/// §5.2: `None` when the envelope names no plugin; an error ("inconclusive") when the
/// named plugin is unusable.
pub(crate) fn discover(
    plugins: Option<&VerificationPlugins>,
    facts: &SignedFacts,
) -> Result<Option<Found>, CheckError> {
    let Some(attr) = attribute(facts, VERIFICATION_PLUGIN) else {
        return Ok(None);
    };
    let name = critical_string(attr)?;
    log::debug!(
        "Finding verification plugin {}",
        crate::go::fmt::quote(&name)
    );
    let min_version = match attribute(facts, VERIFICATION_PLUGIN_MIN_VERSION) {
        None => None,
        Some(a) => {
            let v = critical_string(a)?;
            if semver::parse(&v).is_none() {
                return Err(CheckError::Plugin(format!(
                    "{VERIFICATION_PLUGIN_MIN_VERSION} from extended attribute is not a valid SemVer"
                )));
            }
            Some(v)
        }
    };
    let default = VerificationPlugins::default();
    let plugins = plugins.unwrap_or(&default);
    let plugin = Plugin::open(&plugins.dir, &name).map_err(|e| {
        CheckError::Plugin(format!("error while locating the verification plugin {}, make sure the plugin is installed successfully before verifying the signature. error: {e}", GoQuoted(&name)))
    })?;
    let metadata = plugin
        .metadata(&plugins.config)
        .map_err(|e| CheckError::Plugin(e.to_string()))?;
    let Some(version) = semver::parse(&metadata.version) else {
        return Err(CheckError::Plugin(format!(
            "plugin {name} has pluginVersion {} which is not in valid semver format",
            metadata.version
        )));
    };
    if let Some(min) = min_version {
        if semver::parse(&min).is_some_and(|m| version < m) {
            return Err(CheckError::Plugin(format!("found plugin {name} with version {} but signature verification needs plugin version greater than or equal to {min}", metadata.version)));
        }
    }
    let capabilities: Vec<String> = metadata
        .capabilities
        .into_iter()
        .filter(|c| c == capability::TRUSTED_IDENTITY || c == capability::REVOCATION_CHECK)
        .collect();
    if capabilities.is_empty() {
        return Err(CheckError::Plugin(format!(
            "digital signature requires plugin {} with signature verification capabilities ({} and/or {}) installed",
            GoQuoted(&name),
            GoQuoted(&capability::TRUSTED_IDENTITY),
            GoQuoted(&capability::REVOCATION_CHECK)
        )));
    }
    Ok(Some(Found {
        plugin,
        capabilities,
    }))
}

/// What the plugin said about the capabilities it was asked for.
#[derive(Debug, Default)]
pub(crate) struct PluginVerdict {
    /// Trusted-identity failure, if any.
    pub identity: Option<CheckError>,
    /// Revocation failure, if any.
    pub revocation: Option<CheckError>,
}

fn go_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// §5.8: call `verify-signature` for `capabilities` and interpret the answer. An `Err` is
/// "inconclusive" (not subject to the policy level).
pub(crate) fn verify(
    found: &Found,
    plugins: Option<&VerificationPlugins>,
    statement: &OciStatement,
    facts: &SignedFacts,
    capabilities: Vec<String>,
) -> Result<PluginVerdict, CheckError> {
    if capabilities.is_empty() {
        return Ok(PluginVerdict::default());
    }
    let name = found.plugin.name().to_string();
    let extended = extended_attributes(facts);
    log::debug!(
        "Executing verification plugin {} with capabilities {}",
        crate::go::fmt::quote(&name),
        crate::go::fmt::slice_v(&capabilities)
    );
    let unprocessed: Vec<String> = extended.keys().cloned().collect();
    log::debug!(
        "Added plugin attributes to be processed {}",
        crate::go::fmt::slice_v(&unprocessed)
    );
    let request = proto::VerifySignatureRequest {
        contract_version: CONTRACT_VERSION.into(),
        signature: signature_info(facts, extended, &unprocessed),
        trust_policy: proto::TrustPolicyInfo {
            trusted_identities: statement.trusted_identities.clone(),
            signature_verification: capabilities.clone(),
        },
        plugin_config: plugins.map(|p| p.config.clone()).unwrap_or_default(),
    };
    let response = found
        .plugin
        .verify_signature(&request)
        .map_err(|e| CheckError::Plugin(e.to_string()))?;
    all_processed(&response, &unprocessed, &name)?;
    verdict(&response, &capabilities, &name)
}

/// The extended attributes the plugin must process (all but the ones naming it).
fn extended_attributes(facts: &SignedFacts) -> serde_json::Map<String, serde_json::Value> {
    let content = facts.content.as_deref();
    let mut extended = serde_json::Map::new();
    for a in content.iter().flat_map(|c| c.extended_attributes.iter()) {
        if a.key != VERIFICATION_PLUGIN && a.key != VERIFICATION_PLUGIN_MIN_VERSION {
            extended.insert(a.key.clone(), a.value.clone());
        }
    }
    extended
}

/// The request's `signature` (plugins.md §6.2).
fn signature_info(
    facts: &SignedFacts,
    extended: serde_json::Map<String, serde_json::Value>,
    unprocessed: &[String],
) -> proto::SignatureInfo {
    let content = facts.content.as_deref();
    proto::SignatureInfo {
        critical_attributes: proto::CriticalAttributes {
            content_type: content.map(|c| c.content_type.clone()).unwrap_or_default(),
            signing_scheme: facts.signing_scheme.as_str().into(),
            expiry: facts
                .expiry
                .map(go_time)
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
            authentic_signing_time: (facts.signing_scheme == SigningScheme::X509SigningAuthority)
                .then(|| facts.authentic_signing_time.map(go_time))
                .flatten(),
            extended_attributes: extended,
        },
        unprocessed_attributes: (!unprocessed.is_empty()).then(|| unprocessed.to_vec()),
        certificate_chain: facts.chain.iter().map(|c| c.der.clone()).collect(),
    }
}

/// Every extended critical attribute must come back as processed.
fn all_processed(
    response: &proto::VerifySignatureResponse,
    unprocessed: &[String],
    name: &str,
) -> Result<(), CheckError> {
    for attr in unprocessed {
        if !response
            .processed_attributes
            .iter()
            .any(|p| matches!(p, Json::String(s) if s == attr))
        {
            return Err(CheckError::Plugin(format!(
                "extended critical attribute {} was not processed by the verification plugin {} (all extended critical attributes must be processed by the verification plugin)",
                GoQuoted(&attr),
                GoQuoted(&name)
            )));
        }
    }
    Ok(())
}

/// The plugin's result for each capability it was asked for.
fn verdict(
    response: &proto::VerifySignatureResponse,
    capabilities: &[String],
    name: &str,
) -> Result<PluginVerdict, CheckError> {
    let mut verdict = PluginVerdict::default();
    for cap in capabilities {
        // Absent and `null` (Go's nil pointer) are both "no result".
        let Some(Some(result)) = response.verification_results.get(cap) else {
            return Err(CheckError::Plugin(format!(
                "verification plugin {} failed to verify {}",
                GoQuoted(&name),
                GoQuoted(&cap)
            )));
        };
        if result.success {
            continue;
        }
        if cap == capability::TRUSTED_IDENTITY {
            verdict.identity = Some(CheckError::Plugin(format!(
                "trusted identify verification by plugin {} failed with reason {}",
                GoQuoted(&name),
                GoQuoted(&result.reason)
            )));
        } else {
            verdict.revocation = Some(CheckError::Plugin(format!(
                "revocation check by verification plugin {} failed with reason {}",
                GoQuoted(&name),
                GoQuoted(&result.reason)
            )));
        }
    }
    Ok(verdict)
}
