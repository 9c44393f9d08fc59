//! `notation inspect`: every signature of an artifact, decoded (no trust decisions).

use super::common::{self, ArtifactRef, LoggingArgs, RegistryArgs};
use super::tree::Node;
use super::{output, timefmt, Context};
use anyhow::bail;
use clap::Args;
use notation::envelope::{self, EnvelopeContent, Format};
use notation::oci::Descriptor;
use notation::target::{self, Target};
use notation::timestamp::{SignedToken, Timestamp, TimestampError};
use notation::x509::Certificate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Arguments of `notation inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// output format, options: 'json', 'text'
    #[arg(short = 'o', long = "output", default_value = "text")]
    output: String,
    /// maximum number of signatures to evaluate or examine
    #[arg(long = "max-signatures", default_value_t = 100)]
    max_signatures: i64,
    /// inspect an artifact stored as OCI image layout (a directory, or a tar file); upstream lacks this
    #[arg(long = "oci-layout")]
    oci_layout: bool,
    /// [Experimental] use the Referrers API to inspect signatures, if not supported (returns 404), fallback to the Referrers tag schema
    #[arg(long = "allow-referrers-api", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    allow_referrers_api: Option<bool>,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the reference of the artifact
    #[arg(value_name = "REFERENCE")]
    reference: Vec<String>,
}

pub async fn run(args: InspectArgs, ctx: &Context) -> anyhow::Result<()> {
    let Some(raw) = args.reference.first() else {
        bail!("missing reference to the artifact: use `notation inspect --help` to see what parameters are required");
    };
    output::experimental_warning(ctx.flags.any(&["allow-referrers-api"]));
    let json = match args.output.as_str() {
        "text" => false,
        "json" => true,
        other => bail!("unrecognized output format {other}"),
    };
    if args.max_signatures <= 0 {
        bail!(
            "max-signatures value {} must be a positive number",
            args.max_signatures
        );
    }
    if args.allow_referrers_api.is_some() {
        output::warn(
            "flag '--allow-referrers-api' is deprecated and will be removed in future versions.",
        );
    }
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = common::open_target(&reference, &args.registry, ctx, args.logging.log()).await?;
    let subject =
        common::resolve(target.as_ref(), &reference, "inspect", args.logging.log()).await?;
    let resolved = reference.with_digest(&subject.digest);
    let all = target.signatures(&subject).await?;
    let limit = args.max_signatures as usize;
    let over_limit = all.len() > limit;

    let mut inspected = Vec::new();
    let mut skipped = false;
    for sig in all.iter().take(limit) {
        match inspect_one(target.as_ref(), sig).await {
            Ok(s) => inspected.push(s),
            Err(Skip::Fetch(e)) => {
                output::warn(&format!(
                    "unable to fetch signature {} due to error: {e}",
                    sig.digest
                ));
                skipped = true;
            }
            Err(Skip::Parse(e)) => {
                output::warn(&format!(
                    "Skipping signature {} because of error: {e}",
                    sig.digest
                ));
                skipped = true;
            }
        }
    }

    if json {
        let doc = JsonDocument {
            media_type: subject.media_type.clone(),
            signatures: inspected.iter().map(json_signature).collect(),
        };
        let bytes = notation::gojson::to_vec_indent(&doc, "    ")?;
        output::println(&String::from_utf8(bytes)?);
    } else if all.is_empty() {
        output::println(&format!("{resolved} has no associated signature"));
    } else {
        output::println("Inspecting all signatures for signed artifact");
        let mut root = Node::new(resolved);
        let sigs = root.add(notation::oci::ARTIFACT_TYPE_NOTATION);
        for s in &inspected {
            sigs.children.push(text_signature(s));
        }
        output::print(&root.render());
    }
    if over_limit {
        output::println(&format!(
            "Warning: exceeded configured limit of max signatures {limit} to examine"
        ));
    }
    if skipped {
        bail!("at least one signature was skipped and not displayed");
    }
    Ok(())
}

/// A signature that could be read and decoded.
struct Inspected {
    manifest_digest: String,
    media_type: String,
    content: EnvelopeContent,
}

enum Skip {
    Fetch(target::TargetError),
    Parse(String),
}

async fn inspect_one(target: &dyn Target, sig: &Descriptor) -> Result<Inspected, Skip> {
    let (blob, bytes) = target::fetch_signature_envelope(target, sig)
        .await
        .map_err(Skip::Fetch)?;
    let format = Format::from_media_type(&blob.media_type).ok_or_else(|| {
        Skip::Parse(format!(
            "signature envelope format with media type {:?} is not supported",
            blob.media_type
        ))
    })?;
    let content = envelope::parse(format, &bytes).map_err(|e| Skip::Parse(e.to_string()))?;
    Ok(Inspected {
        manifest_digest: sig.digest.clone(),
        media_type: blob.media_type,
        content,
    })
}

/// `blob inspect`: the one signature of a signature file, as a tree rooted at its path or
/// as the JSON object `inspect -o json` prints per signature (without a digest).
pub(super) fn render_blob_signature(
    path: &str,
    media_type: &str,
    content: EnvelopeContent,
    json: bool,
) -> anyhow::Result<String> {
    let s = Inspected {
        manifest_digest: if json {
            String::new()
        } else {
            path.to_string()
        },
        media_type: media_type.to_string(),
        content,
    };
    if json {
        let bytes = notation::gojson::to_vec_indent(&json_signature(&s), "    ")?;
        Ok(String::from_utf8(bytes)? + "\n")
    } else {
        // notation main names the envelope media type after the algorithm.
        let mut node = text_signature(&s);
        node.children[0].value = format!("signature envelope type: {media_type}");
        node.children.swap(0, 1);
        Ok(node.render())
    }
}

/// Signed attributes in a fixed order (upstream's order is Go map order, i.e. random).
fn signed_attributes(
    c: &EnvelopeContent,
    time_fmt: fn(time::OffsetDateTime) -> String,
) -> Vec<(String, String)> {
    let mut attrs = vec![("signingScheme".to_string(), c.signing_scheme.clone())];
    if let Some(t) = c.signing_time {
        attrs.push(("signingTime".into(), time_fmt(t)));
    }
    if let Some(t) = c.authentic_signing_time {
        attrs.push(("authenticSigningTime".into(), time_fmt(t)));
    }
    if let Some(t) = c.expiry {
        attrs.push(("expiry".into(), time_fmt(t)));
    }
    for a in &c.extended_attributes {
        let value = match &a.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        attrs.push((a.key.clone(), value));
    }
    attrs
}

fn text_signature(s: &Inspected) -> Node {
    let c = &s.content;
    let mut node = Node::new(s.manifest_digest.clone());
    node.add_kv("media type", &s.media_type);
    node.add_kv("signature algorithm", c.signature_algorithm.name());
    let signed = node.add("signed attributes");
    for (k, v) in signed_attributes(c, timefmt::ansic) {
        signed.add_kv(&k, v);
    }
    let user = node.add("user defined attributes");
    match &c.target_artifact.annotations {
        Some(a) if !a.is_empty() => {
            for (k, v) in a {
                user.add_kv(k, v);
            }
        }
        _ => {
            user.add("(empty)");
        }
    }
    let unsigned = node.add("unsigned attributes");
    if let Some(agent) = &c.signing_agent {
        unsigned.add_kv("signingAgent", agent);
    }
    if let Some(token) = &c.timestamp_token {
        let ts_node = unsigned.add("timestamp signature");
        match decode_timestamp(token, &c.signature) {
            Ok((ts, certs)) => {
                ts_node.add_kv("timestamp", timestamp_range(&ts, timefmt::ansic));
                add_certificates(ts_node, &certs);
            }
            Err(e) => {
                ts_node.add_kv("error", e);
            }
        }
    }
    add_certificates(&mut node, &c.cert_chain);
    let artifact = node.add("signed artifact");
    artifact.add_kv("media type", &c.target_artifact.media_type);
    artifact.add_kv("digest", &c.target_artifact.digest);
    artifact.add_kv("size", c.target_artifact.size);
    node
}

fn add_certificates(node: &mut Node, chain: &[Certificate]) {
    let certs = node.add("certificates");
    for cert in chain {
        let n = certs.add_kv("SHA256 fingerprint", cert.sha256_fingerprint());
        n.add_kv("issued to", cert.subject());
        n.add_kv("issued by", cert.issuer());
        n.add_kv("expiry", timefmt::ansic(cert.not_after()));
    }
}

/// What upstream's `parseTimestamp` shows: the token's time range (it must cover this
/// signature) and its certificates, or why it could not be read. Nothing is verified.
fn decode_timestamp(
    token: &[u8],
    signature: &[u8],
) -> Result<(Timestamp, Vec<Certificate>), String> {
    let describe = |e: TimestampError| format!("failed to parse timestamp countersignature: {e}");
    let signed = SignedToken::parse(token).map_err(describe)?;
    let ts = signed
        .info()
        .and_then(|info| info.validate(signature))
        .map_err(describe)?;
    Ok((ts, signed.certificates().to_vec()))
}

/// tspclient-go `Timestamp.Format`: `[genTime - accuracy, genTime + accuracy]`.
fn timestamp_range(ts: &Timestamp, fmt: fn(time::OffsetDateTime) -> String) -> String {
    format!("[{}, {}]", fmt(ts.lower()), fmt(ts.upper()))
}

fn json_certificates(chain: &[Certificate]) -> Vec<JsonCertificate> {
    chain
        .iter()
        .map(|cert| JsonCertificate {
            sha256_fingerprint: cert.sha256_fingerprint(),
            issued_to: cert.subject(),
            issued_by: cert.issuer(),
            expiry: timefmt::rfc3339(cert.not_after()),
        })
        .collect()
}

/// `inspect -o json`, v1.3.2's schema (note the capital `Signatures`).
#[derive(Serialize)]
struct JsonDocument {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "Signatures")]
    signatures: Vec<JsonSignature>,
}

#[derive(Serialize)]
struct JsonSignature {
    #[serde(rename = "mediaType")]
    media_type: String,
    /// Empty (and omitted) for a blob signature, which has no manifest.
    #[serde(skip_serializing_if = "String::is_empty")]
    digest: String,
    #[serde(rename = "signatureAlgorithm")]
    signature_algorithm: String,
    #[serde(rename = "signedAttributes")]
    signed_attributes: BTreeMap<String, String>,
    #[serde(rename = "userDefinedAttributes")]
    user_defined_attributes: Option<BTreeMap<String, String>>,
    #[serde(rename = "unsignedAttributes")]
    unsigned_attributes: BTreeMap<String, UnsignedValue>,
    certificates: Vec<JsonCertificate>,
    #[serde(rename = "signedArtifact")]
    signed_artifact: Descriptor,
}

/// An unsigned attribute: the signing agent, or the decoded timestamp.
#[derive(Serialize)]
#[serde(untagged)]
enum UnsignedValue {
    Text(String),
    Timestamp(JsonTimestamp),
}

/// Upstream's `timestampOutput` (fields omitted when empty).
#[derive(Serialize)]
struct JsonTimestamp {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificates: Option<Vec<JsonCertificate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonCertificate {
    #[serde(rename = "SHA256Fingerprint")]
    sha256_fingerprint: String,
    #[serde(rename = "issuedTo")]
    issued_to: String,
    #[serde(rename = "issuedBy")]
    issued_by: String,
    expiry: String,
}

fn json_signature(s: &Inspected) -> JsonSignature {
    let c = &s.content;
    let mut unsigned = BTreeMap::new();
    if let Some(agent) = &c.signing_agent {
        unsigned.insert(
            "signingAgent".to_string(),
            UnsignedValue::Text(agent.clone()),
        );
    }
    if let Some(token) = &c.timestamp_token {
        let value = match decode_timestamp(token, &c.signature) {
            Ok((ts, certs)) => JsonTimestamp {
                timestamp: Some(timestamp_range(&ts, timefmt::rfc3339)),
                certificates: Some(json_certificates(&certs)),
                error: None,
            },
            Err(e) => JsonTimestamp {
                timestamp: None,
                certificates: None,
                error: Some(e),
            },
        };
        unsigned.insert(
            "timestampSignature".to_string(),
            UnsignedValue::Timestamp(value),
        );
    }
    let mut artifact = c.target_artifact.clone();
    artifact.annotations = None;
    JsonSignature {
        media_type: s.media_type.clone(),
        digest: s.manifest_digest.clone(),
        signature_algorithm: c.signature_algorithm.name().to_string(),
        signed_attributes: signed_attributes(c, timefmt::rfc3339).into_iter().collect(),
        user_defined_attributes: c.target_artifact.annotations.clone(),
        unsigned_attributes: unsigned,
        certificates: json_certificates(&c.cert_chain),
        signed_artifact: artifact,
    }
}
