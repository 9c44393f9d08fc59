//! `notation sign`.

use super::common::{self, ArtifactRef, BatchArgs, LoggingArgs, RegistryArgs, TreeArgs};
use super::flag_rules::Rules;
use super::{duration, key_value, output, Context};
use anyhow::{anyhow, bail};
use clap::Args;
use notation::config::config_json::ConfigJson;
use notation::config::signingkeys::SigningKeys;
use notation::envelope::Format;
use notation::go::fmt::GoQuoted;
use notation::plugin::Plugin;
use notation::revocation::Validator;
use notation::signer::plugin::PluginSigner;
use notation::signer::{self, EnvelopeSigner, LocalSigner, SignOptions};
use notation::timestamp::Tsa;
use notation::x509::{check_signature, Certificate, SignatureCheck};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Arguments of `notation sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// signing key name, for a key previously added to notation's key list. This flag cannot be used with --id or --plugin
    #[arg(short = 'k', long = "key")]
    key: Option<String>,
    /// key id (required if --plugin is set). This is mutually exclusive with the --key flag
    #[arg(long = "id")]
    id: Option<String>,
    /// signing plugin name (required if --id is set). This is mutually exclusive with the --key flag
    #[arg(long = "plugin")]
    plugin: Option<String>,
    /// signature envelope format, options: "jws", "cose" (default "jws")
    #[arg(long = "signature-format")]
    signature_format: Option<String>,
    /// optional expiry that provides a "best by use" time for the artifact. The duration is specified in minutes(m) and/or hours(h). For example: 12h, 30m, 3h20m
    #[arg(short = 'e', long = "expiry", allow_hyphen_values = true)]
    expiry: Option<String>,
    /// {key}={value} pairs that are passed as it is to a plugin, refer plugin's documentation to set appropriate values
    #[arg(long = "plugin-config")]
    plugin_config: Vec<String>,
    /// {key}={value} pairs that are added to the signature payload
    #[arg(short = 'm', long = "user-metadata")]
    user_metadata: Vec<String>,
    /// RFC 3161 Timestamping Authority (TSA) server URL
    #[arg(long = "timestamp-url")]
    timestamp_url: Option<String>,
    /// filepath of timestamp authority root certificate
    #[arg(long = "timestamp-root-cert")]
    timestamp_root_cert: Option<String>,
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
    tree: TreeArgs,
    #[command(flatten)]
    batch: BatchArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the reference of the artifact: <registry>/<repository>@<digest>, or <path>:<tag> / <path>@<digest> with --oci-layout
    // Only the first is used; cobra ignores any further arguments.
    #[arg(value_name = "REFERENCE")]
    reference: Vec<String>,
}

pub async fn run(args: SignArgs, ctx: &Context) -> anyhow::Result<()> {
    // Routes the library's log records (plugin calls, HTTP trace) to stderr with -v / -d.
    args.logging.log();
    // Flag values are parsed before anything else, as cobra does.
    let expiry = args
        .expiry
        .as_deref()
        .map(|e| {
            duration::parse_go_duration(e).map_err(|err| {
                anyhow!(
                    "invalid argument {} for \"-e, --expiry\" flag: {err}",
                    GoQuoted(e)
                )
            })
        })
        .transpose()?;
    let inputs = args.batch.references(&args.reference)?;
    if inputs.is_empty() {
        bail!("missing reference to the artifact: use `notation sign --help` to see what parameters are required");
    }
    // PreRunE (the experimental notice), then cobra's flag checks, as cobra orders them.
    output::experimental_warning(ctx.flags.any(&["oci-layout", "allow-referrers-api"]));
    SIGN_FLAGS.check(&ctx.flags)?;
    let platforms = args.tree.platforms()?;
    check_timestamp_flags(
        args.timestamp_url.as_deref(),
        args.timestamp_root_cert.as_deref(),
    )?;
    if let Some(v) = args.allow_referrers_api {
        let tail = if v {
            ", use '--force-referrers-tag=false' instead."
        } else {
            "."
        };
        output::warn(&format!(
            "flag '--allow-referrers-api' is deprecated and will be removed in future versions{tail}"
        ));
    }
    let config = ConfigJson::load(&ctx.dirs)?;
    let format = signature_format(
        args.signature_format.as_deref(),
        config.signature_format.as_deref(),
    )?;
    let user_metadata = key_value::parse_map(&args.user_metadata, "user-metadata")?;
    let plugin_config = key_value::parse_map(&args.plugin_config, "plugin-config")?;

    let signer = load_signer(&args, &plugin_config, ctx)?;
    let tsa = match (&args.timestamp_url, &args.timestamp_root_cert) {
        (Some(url), Some(root)) => {
            args.logging.log().info(&format!(
                "Configured to timestamp with TSA {}",
                GoQuoted(url)
            ));
            let root = read_tsa_root(root)?;
            // Like `verify`, timestamping sets up the CRL file cache for the TSA chain's
            // revocation check.
            let revocation = Validator::new(Some(ctx.dirs.crl_cache()));
            if let Some(w) = revocation.cache_warning() {
                output::warn(w);
            }
            Some(Tsa {
                url: url.clone(),
                root,
                revocation: Some(Arc::new(revocation)),
            })
        }
        _ => None,
    };
    let opts = SignOptions {
        format,
        expiry,
        user_metadata,
        signing_agent: notation::version::SIGNING_AGENT.to_string(),
        tsa,
    };
    let shared = Shared {
        args: &args,
        ctx,
        signer,
        opts,
        platforms,
        pool: Default::default(),
        many: inputs.len() > 1,
    };
    let result = match inputs.as_slice() {
        [Ok(raw)] => sign_one(raw, &shared).await,
        _ => {
            args.batch
                .run(inputs, args.output == "json", "signed", |raw| {
                    let shared = &shared;
                    async move { sign_one(&raw, shared).await }
                })
                .await
        }
    };
    if shared.many {
        shared.report_revocation();
    }
    result
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
            super::verify::report_revocation(revocation);
        }
    }
}

/// Sign one reference, printing what a single `sign` prints.
async fn sign_one(raw: &str, shared: &Shared<'_>) -> anyhow::Result<()> {
    let (args, opts, signer) = (shared.args, &shared.opts, shared.signer.as_ref());
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open_sign_target(&reference, shared).await?;
    let subject = common::resolve(target.as_ref(), &reference, "sign", args.logging.log()).await?;
    if args.tree.recursive {
        let nodes = args
            .tree
            .nodes(target.as_ref(), &subject, &shared.platforms)
            .await?;
        let tree_opts = notation::recursive::TreeSignOptions {
            index_children: matches!(reference, ArtifactRef::Layout(_)),
        };
        let signed =
            notation::recursive::sign(target.as_ref(), &nodes, signer, opts, &tree_opts).await;
        if !shared.many {
            shared.report_revocation();
        }
        for warning in target.take_warnings() {
            output::warn(&warning.to_string());
        }
        let (done, failure) = match signed {
            Ok(done) => (done, None),
            Err(mut e) => (std::mem::take(&mut e.signed), Some(e)),
        };
        if args.output == "json" {
            let documents: Vec<SignedJson> = done
                .iter()
                .map(|s| {
                    SignedJson::new(&reference, &s.node, &s.signature, s.indexed_by.as_deref())
                })
                .collect();
            output::println(&output::json_array(&documents)?);
        } else {
            for s in &done {
                output::println(&format!(
                    "Successfully signed {}",
                    reference.with_digest(&s.node.descriptor.digest)
                ));
            }
        }
        if let Some(e) = failure {
            bail!(
                "failed to sign {}: {}",
                reference.with_digest(&e.failed),
                e.source
            );
        }
        return Ok(());
    }
    let signed = signer::sign(target.as_ref(), &subject, signer, opts).await;
    if !shared.many {
        shared.report_revocation();
    }
    let signature = signed?;
    for warning in target.take_warnings() {
        output::warn(&warning.to_string());
    }
    if args.output == "json" {
        let node = notation::recursive::Node {
            descriptor: subject.plain(),
            platform: None,
            depth: 0,
            parent: None,
        };
        let method = target.referrers_method();
        let document = SignedJson::new(&reference, &node, &signature, method.as_deref());
        output::println(&serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    output::println(&format!(
        "Successfully signed {}",
        reference.with_digest(&subject.digest)
    ));
    Ok(())
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
        method: Option<&str>,
    ) -> SignedJson {
        let indexed_by = match (reference, method) {
            (ArtifactRef::Layout(_), _) => "layoutIndex",
            (_, Some(m)) if m.starts_with("the registry's referrers API") => "referrersAPI",
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
    together: &[&["id", "plugin"], &["timestamp-url", "timestamp-root-cert"]],
    exclusive: &[
        &["key", "id"],
        &["key", "plugin"],
        &["oci-layout", "force-referrers-tag", "allow-referrers-api"],
    ],
    ..Rules::NONE
};

/// Cobra's flag rules of `notation blob sign` (notation v2 cmd/notation/blob/sign.go).
pub(super) const BLOB_SIGN_FLAGS: Rules = Rules {
    together: &[&["id", "plugin"], &["timestamp-url", "timestamp-root-cert"]],
    exclusive: &[&["key", "id"], &["key", "plugin"]],
    ..Rules::NONE
};

/// The timestamping checks `sign` and `blob sign` run first in `RunE`: a given
/// `--timestamp-url` and its root certificate path must not be empty.
pub(super) fn check_timestamp_flags(url: Option<&str>, root: Option<&str>) -> anyhow::Result<()> {
    if url.is_some() {
        if url == Some("") {
            bail!("timestamping: tsa url cannot be empty");
        }
        if root.is_none_or(str::is_empty) {
            bail!("timestamping: tsa root certificate path cannot be empty");
        }
    }
    Ok(())
}

/// The `--timestamp-root-cert` file: exactly one self-issued certificate that verifies as
/// its own issuer (notation `sign.go`, internal/x509 `NewRootCertPool`, `IsRootCertificate`).
pub(super) fn read_tsa_root(path: &str) -> anyhow::Result<Certificate> {
    let expecting = "Expecting single x509 root certificate in PEM or DER format from the file";
    let mut certs = notation::truststore::read_certificate_file(path.as_ref())?;
    if certs.is_empty() {
        bail!(
            "cannot find any certificate from {}. {expecting}",
            GoQuoted(path)
        );
    }
    if certs.len() > 1 {
        bail!(
            "found more than one certificates from {}. {expecting}",
            GoQuoted(path)
        );
    }
    let root = certs.remove(0);
    // notation's IsRootCertificate checks the self-signature before comparing the names.
    check_signature(&root, &root, SignatureCheck::IssuedBy)
        .map_err(|e| anyhow!("failed to check root certificate with error: {e}"))?;
    if root.raw_subject() != root.raw_issuer() {
        bail!(
            "certificate from {} is not a root certificate. {expecting}",
            GoQuoted(path)
        );
    }
    Ok(root)
}

/// `--signature-format`, else config.json's `signatureFormat`, else JWS.
pub(super) fn signature_format(flag: Option<&str>, config: Option<&str>) -> anyhow::Result<Format> {
    let name = flag
        .map(str::to_string)
        .or_else(|| config.map(str::to_lowercase))
        .unwrap_or_default();
    let name = if name.is_empty() {
        "jws".to_string()
    } else {
        name
    };
    Format::from_name(&name).ok_or_else(|| {
        anyhow!("signature format {} not supported\nSupported signature envelope formats are \"jws\" and \"cose\"", GoQuoted(&name))
    })
}

/// The key named by `--key` (or the default key), or `--plugin` + `--id`.
fn load_signer(
    args: &SignArgs,
    plugin_config: &BTreeMap<String, String>,
    ctx: &Context,
) -> anyhow::Result<Box<dyn EnvelopeSigner>> {
    select_signer(
        args.key.as_deref(),
        args.plugin.as_deref().zip(args.id.as_deref()),
        plugin_config,
        ctx,
    )
}

/// The signer `sign` and `blob sign` use: `--plugin` with `--id`, else the key `-k` names
/// (or the default key), local or plugin-backed.
pub(super) fn select_signer(
    key: Option<&str>,
    plugin_and_id: Option<(&str, &str)>,
    plugin_config: &BTreeMap<String, String>,
    ctx: &Context,
) -> anyhow::Result<Box<dyn EnvelopeSigner>> {
    if let Some((plugin, id)) = plugin_and_id {
        let plugin = Plugin::open(&ctx.dirs.plugins(), plugin)?;
        return Ok(Box::new(PluginSigner::new(
            plugin,
            id,
            &BTreeMap::new(),
            plugin_config,
        )));
    }
    let keys = SigningKeys::load(&ctx.dirs)?;
    let entry = keys.resolve(key)?;
    if let Some(external) = entry.external() {
        if entry.local_pair().is_none() {
            let plugin = Plugin::open(&ctx.dirs.plugins(), &external.plugin_name)?;
            return Ok(Box::new(PluginSigner::new(
                plugin,
                &external.id,
                &external.plugin_config,
                plugin_config,
            )));
        }
    }
    let (Some(key_path), Some(cert_path)) = (entry.key_path.as_deref(), entry.cert_path.as_deref())
    else {
        bail!("key path not specified");
    };
    Ok(Box::new(LocalSigner::from_files(
        key_path.as_ref(),
        cert_path.as_ref(),
    )?))
}

/// Open the target; for a registry, honour `--force-referrers-tag` (default true, as
/// v1.3.2) and the deprecated `--allow-referrers-api`, which means `=false`.
async fn open_sign_target(
    reference: &ArtifactRef,
    shared: &Shared<'_>,
) -> anyhow::Result<std::sync::Arc<dyn notation::target::Target>> {
    let args = shared.args;
    let log = args.logging.log();
    common::open_pooled(
        reference,
        &args.registry,
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
    .await
}
