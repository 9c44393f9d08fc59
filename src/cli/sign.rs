//! `notation sign`.

use super::common::{self, ArtifactCommandArgs, ArtifactRef, Input};
use super::flag_rules::Rules;
use super::output::Printer;
use super::signing::{self, SignerArgs, SIGNER_TOGETHER};
use super::{open, output, Context};
use anyhow::bail;
use clap::Args;
use notation::envelope::Format;
use notation::signer::{self, EnvelopeSigner, SignOptions};
use notation::target::Indexing;

/// Arguments of `notation sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// force to store signatures using the referrers tag schema
    #[arg(long = "force-referrers-tag", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true")]
    force_referrers_tag: bool,
    /// [Experimental] use the Referrers API to store signatures in the registry, if not supported, fallback to use the referrers tag schema
    #[arg(long = "allow-referrers-api", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    allow_referrers_api: Option<bool>,
    /// [Experimental] sign the artifact stored as OCI image layout (a directory, or a tar file)
    #[arg(long = "oci-layout")]
    oci_layout: bool,
    /// output format, options: 'text', 'json' (ours)
    #[arg(short = 'o', long = "output", default_value = "text", value_parser = ["text", "json"])]
    output: String,
    #[command(flatten)]
    common: ArtifactCommandArgs,
    /// the reference of the artifact: <registry>/<repository>@<digest>, or <path>:<tag> / <path>@<digest> with --oci-layout
    // Only the first is used; cobra ignores any further arguments.
    #[arg(value_name = "REFERENCE")]
    reference: Vec<String>,
}

pub async fn run(args: SignArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    // Routes the library's log records (plugin calls, HTTP trace) to stderr with -v / -d.
    args.common.logging.log();
    let (inputs, shared) = resolve(&args, ctx)?;
    let result = args
        .common
        .batch
        .run(out, inputs, args.output == "json", "signed", |raw| {
            let shared = &shared;
            async move { sign_one(&raw, shared).await }
        })
        .await;
    if shared.many {
        shared.report_revocation();
    }
    result
}

/// The references and what signing them shares, from the flags and config, checked in
/// the order cobra and notation check them.
fn resolve<'a>(args: &'a SignArgs, ctx: &'a Context) -> anyhow::Result<(Vec<Input>, Shared<'a>)> {
    let out = ctx.out;
    // Flag values are parsed before anything else, as cobra does.
    let expiry = args.signer.expiry()?;
    let inputs = args
        .common
        .batch
        .required_references(&args.reference, "sign")?;
    // PreRunE (the experimental notice), then cobra's flag checks, as cobra orders them.
    out.experimental_warning(ctx.flags.any(&["oci-layout", "allow-referrers-api"]));
    SIGN_FLAGS.check(&ctx.flags)?;
    let platforms = args.common.tree.platforms()?;
    args.signer.check_timestamp_flags()?;
    common::warn_allow_referrers_api(out, args.allow_referrers_api, true);
    let format = args.signer.format(ctx)?;
    let user_metadata = args.signer.user_metadata()?;
    let plugin_config = args.signer.plugin_config()?;
    let signer = args.signer.signer(&plugin_config, ctx)?;
    let tsa = args.signer.tsa(ctx, args.common.logging.log())?;
    let shared = Shared {
        args,
        ctx,
        signer,
        opts: signing::sign_options(format, expiry, user_metadata, tsa),
        platforms,
        pool: Default::default(),
        many: inputs.len() > 1,
    };
    Ok((inputs, shared))
}

/// What the references of one `sign` share, loaded once.
struct Shared<'a> {
    args: &'a SignArgs,
    ctx: &'a Context,
    signer: Box<dyn EnvelopeSigner>,
    opts: SignOptions,
    platforms: Vec<notation::recursive::PlatformSpec>,
    pool: notation::batch::RegistryPool,
    /// Several references: the CRL cache warning is given once, at the end.
    many: bool,
}

impl Shared<'_> {
    /// Upstream's CRL cache warning, when timestamping used the cache.
    fn report_revocation(&self) {
        if let Some(revocation) = self.opts.tsa.as_ref().and_then(|t| t.revocation.as_deref()) {
            super::verify::report_revocation(self.ctx.out, revocation);
        }
    }

    /// For one reference, the CRL cache warning right after signing, where upstream gives
    /// it; several references get it once, at the end.
    fn report_revocation_once_signed(&self) {
        if !self.many {
            self.report_revocation();
        }
    }
}

/// Sign one reference, printing what a single `sign` prints.
async fn sign_one(raw: &str, shared: &Shared<'_>) -> anyhow::Result<()> {
    let out = shared.ctx.out;
    let args = shared.args;
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open_sign_target(&reference, shared)?;
    let subject = common::resolve(
        out,
        target.as_ref(),
        &reference,
        "sign",
        args.common.logging.log(),
    )
    .await?;
    if args.common.tree.recursive {
        sign_tree(&reference, target.as_ref(), &subject, shared).await
    } else {
        sign_single(&reference, target.as_ref(), &subject, shared).await
    }
}

/// `--recursive`: sign every manifest the index reaches; report those signed, then the
/// first failure.
async fn sign_tree(
    reference: &ArtifactRef,
    target: &dyn notation::target::Target,
    subject: &notation::oci::Descriptor,
    shared: &Shared<'_>,
) -> anyhow::Result<()> {
    let out = shared.ctx.out;
    let nodes = shared
        .args
        .common
        .tree
        .nodes(target, subject, &shared.platforms)
        .await?;
    let tree_opts = notation::recursive::TreeSignOptions {
        index_children: matches!(reference, ArtifactRef::Layout(_)),
    };
    let signed = notation::recursive::sign(
        target,
        &nodes,
        shared.signer.as_ref(),
        &shared.opts,
        &tree_opts,
    )
    .await;
    shared.report_revocation_once_signed();
    let (done, failure) = match signed {
        Ok(done) => (done, None),
        Err(mut e) => (std::mem::take(&mut e.signed), Some(e)),
    };
    for s in &done {
        warn_signature(out, &s.signature);
    }
    render_tree(out, reference, &done, shared.args.output == "json")?;
    if let Some(e) = failure {
        bail!(
            "failed to sign {}: {}",
            reference.with_digest(&e.failed),
            e.source
        );
    }
    Ok(())
}

/// The manifests `--recursive` signed: one line each, or one JSON array.
fn render_tree(
    out: Printer,
    reference: &ArtifactRef,
    done: &[notation::recursive::SignedNode],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let documents: Vec<SignedJson> = done
            .iter()
            .map(|s| SignedJson::new(reference, &s.node, &s.signature))
            .collect();
        out.println(&output::json_array(&documents)?)?;
    } else {
        for s in done {
            out.println(&format!(
                "Successfully signed {}",
                reference.with_digest(&s.node.descriptor.digest)
            ))?;
        }
    }
    Ok(())
}

/// Sign the one manifest `subject`.
async fn sign_single(
    reference: &ArtifactRef,
    target: &dyn notation::target::Target,
    subject: &notation::oci::Descriptor,
    shared: &Shared<'_>,
) -> anyhow::Result<()> {
    let out = shared.ctx.out;
    let signed = signer::sign(target, subject, shared.signer.as_ref(), &shared.opts).await;
    shared.report_revocation_once_signed();
    let signature = signed?;
    warn_signature(out, &signature);
    if shared.args.output == "json" {
        let node = notation::recursive::Node {
            descriptor: subject.plain(),
            platform: None,
            depth: 0,
            parent: None,
        };
        let document = SignedJson::new(reference, &node, &signature);
        out.println(&serde_json::to_string_pretty(&document)?)?;
        return Ok(());
    }
    out.println(&format!(
        "Successfully signed {}",
        reference.with_digest(&subject.digest)
    ))?;
    Ok(())
}

/// The warnings storing a signature gave (a referrers fallback, say).
fn warn_signature(out: Printer, signature: &signer::SignedSignature) {
    for warning in &signature.warnings {
        out.warn(&warning.to_string());
    }
}

/// `sign -o json`: one signed artifact and its signature.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedJson {
    /// The artifact, by digest.
    reference: String,
    media_type: String,
    digest: String,
    size: i64,
    /// The platform the index gives it (`--recursive` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
    /// The signature manifest's digest.
    signature: String,
    /// `jws` or `cose`, and the envelope's media type.
    envelope_format: &'static str,
    envelope_media_type: String,
    /// How the signature was made findable: `layoutIndex` (an index.json entry),
    /// `referrersTagSchema` (the `sha256-<hex>` tag) or `referrersAPI`.
    indexed_by: &'static str,
}

impl SignedJson {
    fn new(
        reference: &ArtifactRef,
        node: &notation::recursive::Node,
        signature: &signer::SignedSignature,
    ) -> SignedJson {
        let indexed_by = match (reference, &signature.indexed_by) {
            (ArtifactRef::Layout(_), _) => "layoutIndex",
            (_, Some(Indexing::ReferrersApi)) => "referrersAPI",
            _ => "referrersTagSchema",
        };
        let format = Format::from_media_type(&signature.envelope.media_type);
        SignedJson {
            reference: reference.with_digest(&node.descriptor.digest),
            media_type: node.descriptor.media_type.clone(),
            digest: node.descriptor.digest.clone(),
            size: node.descriptor.size,
            platform: node
                .platform
                .as_ref()
                .map(notation::recursive::platform_text),
            signature: signature.manifest.digest.clone(),
            envelope_format: format.map(Format::name).unwrap_or(""),
            envelope_media_type: signature.envelope.media_type.clone(),
            indexed_by,
        }
    }
}

/// Cobra's flag rules of `notation sign` (notation@v1.3.2 cmd/notation/sign.go; the signer
/// groups come from internal/cmd/options.go `ApplyFlagsToCommand`).
const SIGN_FLAGS: Rules = Rules {
    together: SIGNER_TOGETHER,
    exclusive: &[
        &["key", "id"],
        &["key", "plugin"],
        &["oci-layout", "force-referrers-tag", "allow-referrers-api"],
    ],
    ..Rules::NONE
};

/// Open the target; for a registry, honour `--force-referrers-tag` (default true, as
/// v1.3.2) and the deprecated `--allow-referrers-api`, which means `=false`.
fn open_sign_target(
    reference: &ArtifactRef,
    shared: &Shared<'_>,
) -> anyhow::Result<std::sync::Arc<dyn notation::target::Target>> {
    let args = shared.args;
    let log = args.common.logging.log();
    open::pooled(
        reference,
        &args.common.registry,
        shared.ctx,
        log,
        &shared.pool,
        |opts| {
            opts.force_referrers_tag =
                args.force_referrers_tag && args.allow_referrers_api != Some(true);
            log::info!(
                "{}",
                if opts.force_referrers_tag {
                    "The referrers tag schema is always attempted"
                } else {
                    "Allowed to access the referrers API, fallback if not supported"
                }
            );
        },
    )
}
