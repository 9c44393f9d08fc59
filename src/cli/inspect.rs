//! `notation inspect`: every signature of an artifact, decoded (no trust decisions).

use super::common::{self, ArtifactCommandArgs, ArtifactRef};
use super::output::Printer;
use super::tree::Node;
use super::{open, output, timefmt, Context};
use anyhow::bail;
use clap::Args;
use notation::envelope::{self, EnvelopeContent, Format};
use notation::go::fmt::GoQuoted;
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
    common: ArtifactCommandArgs,
    /// the reference of the artifact
    #[arg(value_name = "REFERENCE")]
    reference: Vec<String>,
}

pub async fn run(args: InspectArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let inputs = args
        .common
        .batch
        .required_references(&args.reference, "inspect")?;
    out.experimental_warning(ctx.flags.any(&["allow-referrers-api"]));
    let platforms = args.common.tree.platforms()?;
    let json = match args.output.as_str() {
        "text" => false,
        "json" => true,
        other => bail!("unrecognized output format {other}"),
    };
    common::check_max_signatures(args.max_signatures)?;
    common::warn_allow_referrers_api(out, args.allow_referrers_api, false);
    let pool = notation::batch::RegistryPool::default();
    let many = inputs.len() > 1;
    args.common
        .batch
        .run(out, inputs, json, "inspected", |raw| {
            let (args, pool, platforms) = (&args, &pool, &platforms);
            async move { inspect_one_reference(&raw, args, ctx, platforms, json, many, pool).await }
        })
        .await
}

/// Inspect one reference, printing what a single `inspect` prints.
async fn inspect_one_reference(
    raw: &str,
    args: &InspectArgs,
    ctx: &Context,
    platforms: &[notation::recursive::PlatformSpec],
    json: bool,
    many: bool,
    pool: &notation::batch::RegistryPool,
) -> anyhow::Result<()> {
    let out = ctx.out;
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open::for_reading(&reference, &args.common, ctx, pool)?;
    let subject = common::resolve(
        out,
        target.as_ref(),
        &reference,
        "inspect",
        args.common.logging.log(),
    )
    .await?;
    let resolved = reference.with_digest(&subject.digest);
    let limit = args.max_signatures as usize;
    // Among several references, a JSON document names its artifact: the `--recursive` form.
    if args.common.tree.recursive || (many && json) {
        let nodes = args
            .common
            .tree
            .nodes(target.as_ref(), &subject, platforms)
            .await?;
        return inspect_tree(out, target.as_ref(), &reference, &nodes, limit, json).await;
    }
    let all = target.signature_pages(&subject).beyond(limit).await?;
    let over_limit = all.len() > limit;
    let (inspected, skipped) = inspect_all(out, target.as_ref(), &all, limit).await;

    if json {
        let doc = JsonDocument {
            media_type: subject.media_type.clone(),
            signatures: inspected.iter().map(json_signature).collect(),
        };
        let bytes = notation::go::json::to_vec_indent(&doc, "    ")?;
        out.println(&String::from_utf8(bytes)?)?;
    } else if all.is_empty() {
        out.println(&format!("{resolved} has no associated signature"))?;
    } else {
        out.println("Inspecting all signatures for signed artifact")?;
        let mut root = Node::new(resolved);
        let sigs = root.add(notation::oci::ARTIFACT_TYPE_NOTATION);
        for s in &inspected {
            sigs.children.push(text_signature(s));
        }
        out.print(&root.render())?;
    }
    finish(out, over_limit, limit, skipped)
}

/// Upstream's closing lines: the over-limit warning, and failure if a signature was skipped.
fn finish(out: Printer, over_limit: bool, limit: usize, skipped: bool) -> anyhow::Result<()> {
    if over_limit {
        out.println(&format!(
            "Warning: exceeded configured limit of max signatures {limit} to examine"
        ))?;
    }
    if skipped {
        bail!("at least one signature was skipped and not displayed");
    }
    Ok(())
}

/// The first `limit` signatures of `all`, decoded; a warning for each one that could not be
/// (and `true` if there was one).
async fn inspect_all(
    out: Printer,
    target: &dyn Target,
    all: &[Descriptor],
    limit: usize,
) -> (Vec<Inspected>, bool) {
    let mut inspected = Vec::new();
    let mut skipped = false;
    // Fetched ahead (a registry's round trips overlap), reported in Go's order.
    let mut fetched = notation::target::prefetch::Prefetch::new(
        all.iter().take(limit).map(|sig| inspect_one(target, sig)),
        target.fetch_concurrency(),
    );
    for sig in all.iter().take(limit) {
        match fetched.next().await.expect("one fetch per signature") {
            Ok(s) => inspected.push(s),
            Err(Skip::Fetch(e)) => {
                out.warn(&format!(
                    "unable to fetch signature {} due to error: {e}",
                    sig.digest
                ));
                skipped = true;
            }
            Err(Skip::Parse(e)) => {
                out.warn(&format!(
                    "Skipping signature {} because of error: {e}",
                    sig.digest
                ));
                skipped = true;
            }
        }
    }
    (inspected, skipped)
}

/// `inspect --recursive`: every manifest the index reaches with its decoded signatures, as
/// one tree, or a JSON array of `-o json` documents (each with its reference).
async fn inspect_tree(
    out: Printer,
    target: &dyn Target,
    reference: &ArtifactRef,
    nodes: &[notation::recursive::Node],
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    let mut per_node = Vec::with_capacity(nodes.len());
    let (mut over_limit, mut skipped) = (false, false);
    for node in nodes {
        let all = target.signatures(&node.descriptor).await?;
        over_limit |= all.len() > limit;
        let (inspected, skipped_here) = inspect_all(out, target, &all, limit).await;
        skipped |= skipped_here;
        per_node.push(inspected);
    }
    if json {
        let documents: Vec<JsonTreeDocument> = nodes
            .iter()
            .zip(&per_node)
            .map(|(node, inspected)| JsonTreeDocument {
                reference: reference.with_digest(&node.descriptor.digest),
                platform: node
                    .platform
                    .as_ref()
                    .map(notation::recursive::platform_text),
                document: JsonDocument {
                    media_type: node.descriptor.media_type.clone(),
                    signatures: inspected.iter().map(json_signature).collect(),
                },
            })
            .collect();
        out.println(&output::json_array(&documents)?)?;
    } else {
        out.println("Inspecting all signatures for signed artifact")?;
        let root = reference.with_digest(&nodes[0].descriptor.digest);
        let tree = common::tree_of(nodes, root, |i, node| {
            if !per_node[i].is_empty() {
                let sigs = node.add(notation::oci::ARTIFACT_TYPE_NOTATION);
                sigs.children.extend(per_node[i].iter().map(text_signature));
            }
        });
        out.print(&tree.render())?;
    }
    finish(out, over_limit, limit, skipped)
}

/// One manifest of `inspect --recursive -o json`.
#[derive(Serialize)]
struct JsonTreeDocument {
    reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
    #[serde(flatten)]
    document: JsonDocument,
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
    let target::FetchedSignature {
        blob,
        envelope: bytes,
    } = target.fetch_signature(sig).await.map_err(Skip::Fetch)?;
    let format = Format::from_media_type(&blob.media_type).ok_or_else(|| {
        Skip::Parse(format!(
            "signature envelope format with media type {} is not supported",
            GoQuoted(&blob.media_type)
        ))
    })?;
    let content = envelope::parse(format, &bytes).map_err(|e| Skip::Parse(e.to_string()))?;
    Ok(Inspected {
        manifest_digest: sig.digest.clone(),
        media_type: blob.media_type,
        content,
    })
}

/// `blob inspect`: the one signature of a signature file, as notation's v2 line prints it
/// (its labels differ from v1.3.2's `inspect`): a tree rooted at the file's path, or a
/// JSON object with the envelope type and without a digest, indented by two spaces.
pub(super) fn render_blob_signature(
    path: &str,
    media_type: &str,
    content: EnvelopeContent,
    json: bool,
) -> anyhow::Result<String> {
    if json {
        let bytes =
            notation::go::json::to_vec_indent(&json_blob_signature(media_type, &content), "  ")?;
        return Ok(String::from_utf8(bytes)? + "\n");
    }
    let c = &content;
    let mut node = Node::new(path);
    node.add_kv("signature algorithm", c.signature_algorithm.name());
    node.add_kv("signature envelope type", media_type);
    let signed = node.add("signed attributes");
    signed.add_kv("content type", &c.content_type);
    signed.add_kv("signing scheme", &c.signing_scheme);
    if let Some(t) = c.signing_time.or(c.authentic_signing_time) {
        signed.add_kv("signing time", timefmt::ansic(t));
    }
    if let Some(t) = c.expiry {
        signed.add_kv("expiry", timefmt::ansic(t));
    }
    for (k, v) in extended_attributes(c) {
        signed.add_kv(&k, v);
    }
    add_user_defined_attributes(&mut node, c);
    let unsigned = node.add("unsigned attributes");
    if let Some(agent) = &c.signing_agent {
        unsigned.add_kv("signing agent", agent);
    }
    add_timestamp(unsigned, c);
    add_certificates(&mut node, &c.cert_chain);
    add_signed_artifact(&mut node, c);
    Ok(node.render())
}

/// The v2 line's blob signature object (Go map members sorted, as Go's encoder sorts them).
#[derive(Serialize)]
struct JsonBlobSignature {
    #[serde(rename = "signatureAlgorithm")]
    signature_algorithm: String,
    #[serde(rename = "signatureEnvelopeType")]
    signature_envelope_type: String,
    #[serde(flatten)]
    details: JsonSignatureDetails,
}

/// The members both signature objects end with.
#[derive(Serialize)]
struct JsonSignatureDetails {
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

impl JsonSignatureDetails {
    fn new(c: &EnvelopeContent, signed_attributes: BTreeMap<String, String>) -> Self {
        let mut artifact = c.target_artifact.clone();
        // Shown as the user defined attributes.
        artifact.annotations = None;
        JsonSignatureDetails {
            signed_attributes,
            user_defined_attributes: c.target_artifact.annotations.clone(),
            unsigned_attributes: json_unsigned_attributes(c),
            certificates: json_certificates(&c.cert_chain),
            signed_artifact: artifact,
        }
    }
}

fn json_blob_signature(media_type: &str, c: &EnvelopeContent) -> JsonBlobSignature {
    let mut signed: BTreeMap<String, String> = extended_attributes(c).into_iter().collect();
    signed.insert("contentType".into(), c.content_type.clone());
    signed.insert("signingScheme".into(), c.signing_scheme.clone());
    if let Some(t) = c.signing_time.or(c.authentic_signing_time) {
        signed.insert("signingTime".into(), timefmt::rfc3339(t));
    }
    if let Some(t) = c.expiry {
        signed.insert("expiry".into(), timefmt::rfc3339(t));
    }
    JsonBlobSignature {
        signature_algorithm: c.signature_algorithm.name().to_string(),
        signature_envelope_type: media_type.to_string(),
        details: JsonSignatureDetails::new(c, signed),
    }
}

/// Extended signed attributes as key and printed value (Go's `fmt.Sprint` of a string is
/// the string itself).
fn extended_attributes(c: &EnvelopeContent) -> Vec<(String, String)> {
    c.extended_attributes
        .iter()
        .map(|a| {
            let value = match &a.value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (a.key.clone(), value)
        })
        .collect()
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
    attrs.extend(extended_attributes(c));
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
    add_user_defined_attributes(&mut node, c);
    let unsigned = node.add("unsigned attributes");
    if let Some(agent) = &c.signing_agent {
        unsigned.add_kv("signingAgent", agent);
    }
    add_timestamp(unsigned, c);
    add_certificates(&mut node, &c.cert_chain);
    add_signed_artifact(&mut node, c);
    node
}

fn add_user_defined_attributes(node: &mut Node, c: &EnvelopeContent) {
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
}

fn add_timestamp(unsigned: &mut Node, c: &EnvelopeContent) {
    let Some(token) = &c.timestamp_token else {
        return;
    };
    let ts_node = unsigned.add("timestamp signature");
    match decode_timestamp(token, &c.signature) {
        Ok((ts, certs)) => {
            ts_node.add_kv("timestamp", timestamp_range(&ts, timefmt::ansic));
            add_certificates(ts_node, &certs);
        }
        Err(e) => {
            ts_node.add_kv("error", e.to_string());
        }
    }
}

fn add_signed_artifact(node: &mut Node, c: &EnvelopeContent) {
    let artifact = node.add("signed artifact");
    artifact.add_kv("media type", &c.target_artifact.media_type);
    artifact.add_kv("digest", &c.target_artifact.digest);
    artifact.add_kv("size", c.target_artifact.size);
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
) -> Result<(Timestamp, Vec<Certificate>), TimestampShown> {
    let signed = SignedToken::parse(token)?;
    let ts = signed.info().and_then(|info| info.validate(signature))?;
    Ok((ts, signed.certificates().to_vec()))
}

/// Why `inspect` shows no time range for a timestamp countersignature.
#[derive(Debug, thiserror::Error)]
#[error("failed to parse timestamp countersignature: {0}")]
struct TimestampShown(#[from] TimestampError);

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
    digest: String,
    #[serde(rename = "signatureAlgorithm")]
    signature_algorithm: String,
    #[serde(flatten)]
    details: JsonSignatureDetails,
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
    JsonSignature {
        media_type: s.media_type.clone(),
        digest: s.manifest_digest.clone(),
        signature_algorithm: c.signature_algorithm.name().to_string(),
        details: JsonSignatureDetails::new(
            c,
            signed_attributes(c, timefmt::rfc3339).into_iter().collect(),
        ),
    }
}

/// The signing agent and the decoded timestamp, as both JSON outputs show them.
fn json_unsigned_attributes(c: &EnvelopeContent) -> BTreeMap<String, UnsignedValue> {
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
                error: Some(e.to_string()),
            },
        };
        unsigned.insert(
            "timestampSignature".to_string(),
            UnsignedValue::Timestamp(value),
        );
    }
    unsigned
}
