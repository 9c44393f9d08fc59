//! `notation blob sign | verify | inspect | policy` (cli.md §14; notation main's
//! `cmd/notation/blob`): detached signatures over plain files.

use super::common::{AnyArgs, LoggingArgs};
use super::flag_rules::Rules;
use super::output::{Printer, WriteError};
use super::policy::{InitDocument, InitLevel};
use super::signing::{self, SignerArgs};
use super::{inspect, key_value, policy, verify, Context};
use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};
use notation::blob::{self, DEFAULT_MEDIA_TYPE};
use notation::config::{DIR_MODE, PRIVATE_FILE_MODE};
use notation::envelope;
use notation::go::os::path_error;
use notation::policy::Action;
use notation::policy::BlobDocument;
use notation::revocation::Validator;
use notation::signer::{EnvelopeSigner, SignOptions};
use notation::verifier::Verifier;
use serde::Serialize;
use std::path::Path;

/// Arguments of `notation blob`.
#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
pub struct BlobArgs {
    #[command(subcommand)]
    command: BlobCommand,
}

#[derive(Subcommand, Debug)]
enum BlobCommand {
    /// Produce a detached signature for a given blob
    Sign(SignArgs),
    /// Verify a signature associated with a blob
    Verify(VerifyArgs),
    /// Inspect a signature associated with a blob
    Inspect(InspectArgs),
    /// Manage trust policy configuration for arbitrary blob signature verification
    Policy(PolicyArgs),
}

#[derive(Args, Debug)]
struct SignArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// media type of the blob
    #[arg(long = "media-type", default_value = DEFAULT_MEDIA_TYPE)]
    media_type: String,
    /// directory where the blob signature needs to be placed
    #[arg(long = "signature-directory", default_value = ".")]
    signature_directory: String,
    /// override the existing signature file, never prompt
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the blob to sign
    #[arg(value_name = "BLOB_PATH")]
    blob_path: Vec<String>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// filepath of the signature to be verified
    #[arg(short = 's', long = "signature", default_value = "")]
    signature: String,
    /// {key}={value} pairs that are passed as it is to a plugin, if the verification is associated with a verification plugin, refer plugin documentation to set appropriate values
    #[arg(long = "plugin-config")]
    plugin_config: Vec<String>,
    /// media type of the blob to verify
    #[arg(long = "media-type")]
    media_type: Option<String>,
    /// policy name to verify against. If not provided, the global policy is used if exists
    #[arg(long = "policy-name")]
    policy_name: Option<String>,
    /// user defined {key}={value} pairs that must be present in the signature for successful verification if provided
    #[arg(short = 'm', long = "user-metadata")]
    user_metadata: Vec<String>,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the blob the signature is for
    #[arg(value_name = "BLOB_PATH")]
    blob_path: Vec<String>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// output format, options: 'json', 'tree'
    #[arg(short = 'o', long = "output", default_value = "tree")]
    output: String,
    /// the signature file
    #[arg(value_name = "SIGNATURE_PATH")]
    signature_path: Vec<String>,
}

#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Import blob trust policy configuration from a JSON file
    Import(PolicyImportArgs),
    /// Show blob trust policy configuration
    Show(AnyArgs),
    /// Initialize blob trust policy configuration
    Init(PolicyInitArgs),
}

#[derive(Args, Debug)]
struct PolicyImportArgs {
    /// the blob trust policy file to import
    #[arg(num_args = 0..)]
    files: Vec<String>,
    /// override the existing blob trust policy configuration without prompt
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct PolicyInitArgs {
    /// name of the blob trust policy
    #[arg(short = 'n', long, default_value = "")]
    name: String,
    /// trust store in the format "<store_type>:<store_name>"
    #[arg(long = "trust-store")]
    trust_stores: Vec<String>,
    /// trusted identity, use the format "x509.subject:<subject_of_signing_certificate>" for x509 CA scheme and "<signing_authority_identity>" for x509 signingAuthority scheme
    #[arg(long = "trusted-identity")]
    trusted_identities: Vec<String>,
    /// override the existing blob trust policy configuration, never prompt
    #[arg(long)]
    force: bool,
    /// set the policy as the global policy
    #[arg(long)]
    global: bool,
    #[command(flatten)]
    args: AnyArgs,
}

pub async fn run(args: BlobArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    match args.command {
        BlobCommand::Sign(a) => run_sign(a, ctx),
        BlobCommand::Verify(a) => run_verify(a, ctx).await,
        BlobCommand::Inspect(a) => run_inspect(out, a),
        BlobCommand::Policy(a) => match a.command {
            PolicyCommand::Import(a) => policy_import(a, ctx),
            PolicyCommand::Show(a) => {
                a.exactly_none()?;
                policy_show(ctx)
            }
            PolicyCommand::Init(a) => policy_init(a, ctx),
        },
    }
}

/// Cobra's flag rules of `notation blob verify` (notation v2 cmd/notation/blob/verify.go).
const BLOB_VERIFY_FLAGS: Rules = Rules {
    required: &["signature"],
    ..Rules::NONE
};

/// Cobra's flag rules of `notation blob policy init` (notation v2 cmd/notation/blob/policy/init.go).
const BLOB_POLICY_INIT_FLAGS: Rules = Rules {
    required: &["name", "trust-store", "trusted-identity"],
    ..Rules::NONE
};

fn run_sign(args: SignArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let (blob_path, opts, signer) = resolve_sign(&args, ctx)?;
    let log = args.logging.log();
    let file = std::fs::File::open(blob_path)
        .map_err(|e| anyhow!("{}", path_error("open", Path::new(blob_path), &e)))?;
    let signed = blob::sign(
        std::io::BufReader::new(file),
        &args.media_type,
        signer.as_ref(),
        &opts,
    );
    if let Some(revocation) = opts.tsa.as_ref().and_then(|t| t.revocation.as_deref()) {
        verify::report_revocation(out, revocation);
    }
    let envelope = signed?;
    let sig_path = blob::signature_path(
        Path::new(&args.signature_directory),
        Path::new(blob_path),
        opts.format,
    );
    log.info(&format!("Writing signature to file {}", sig_path.display()));
    if args.force {
        out.warn("existing signature file will be overwritten");
    } else if sig_path.exists()
        && !out.confirm(
            "The signature file already exists, do you want to overwrite it?",
            false,
        )?
    {
        return Ok(());
    }
    notation::atomic::write(&sig_path, &envelope, PRIVATE_FILE_MODE, DIR_MODE)
        .map_err(|e| anyhow!("failed to write signature to file: {e}"))?;
    // Upstream prints the second line with a leading space.
    out.print(&format!(
        "Successfully signed {blob_path}\n Signature file written to {}\n",
        sig_path.display()
    ))?;
    Ok(())
}

/// The blob, the signing options and the signer `blob sign`'s flags and config give, in
/// the order upstream checks them.
fn resolve_sign<'a>(
    args: &'a SignArgs,
    ctx: &Context,
) -> anyhow::Result<(&'a String, SignOptions, Box<dyn EnvelopeSigner>)> {
    let expiry = args.signer.expiry()?;
    let Some(blob_path) = args.blob_path.first() else {
        bail!("missing file path to the blob artifact: use `notation blob sign --help` to see what parameters are required");
    };
    signing::BLOB_SIGN_FLAGS.check(&ctx.flags)?;
    args.signer.check_timestamp_flags()?;
    let log = args.logging.log();
    let plugin_config = args.signer.plugin_config()?;
    let signer = args.signer.signer(&plugin_config, ctx)?;
    let format = args.signer.format(ctx)?;
    let user_metadata = args.signer.user_metadata()?;
    let tsa = args.signer.tsa(ctx, log)?;
    let opts = signing::sign_options(format, expiry, user_metadata, tsa);
    Ok((blob_path, opts, signer))
}

/// The blob `blob verify` names, once its flags pass upstream's checks, in upstream's order.
fn check_verify_args<'a>(args: &'a VerifyArgs, ctx: &Context) -> anyhow::Result<&'a String> {
    let Some(blob_path) = args.blob_path.first() else {
        bail!("missing path to the blob artifact: use `notation blob verify --help` to see what parameters are required");
    };
    // Upstream's PreRunE checks the path before cobra's required-flag check, so a missing
    // --signature reads as an empty one.
    if args.signature.is_empty() {
        bail!("filepath of the signature cannot be empty");
    }
    if args.media_type.as_deref() == Some("") {
        bail!("--media-type is set but with empty value");
    }
    BLOB_VERIFY_FLAGS.check(&ctx.flags)?;
    Ok(blob_path)
}

async fn run_verify(args: VerifyArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    // Routes the verifier's log records to stderr with -v / -d.
    args.logging.log();
    let blob_path = check_verify_args(&args, ctx)?;
    let file = std::fs::File::open(blob_path)
        .map_err(|e| anyhow!("{}", path_error("open", Path::new(blob_path), &e)))?;
    let signature = std::fs::read(&args.signature)
        .map_err(|e| anyhow!("{}", path_error("open", Path::new(&args.signature), &e)))?;
    let (doc, _) = BlobDocument::load(&ctx.dirs)?;
    let plugin_config = key_value::parse_map(&args.plugin_config, "plugin-config")?;
    let user_metadata: Vec<(String, String)> =
        key_value::parse_map(&args.user_metadata, "user-metadata")?
            .into_iter()
            .collect();
    let format = blob::format_for_verify(Path::new(&args.signature))?;
    let failed = |e: &dyn std::fmt::Display| anyhow!("signature verification failed: {e}");
    if signature.is_empty() {
        return Err(failed(&"blobReader cannot be nil or empty"));
    }
    if let Some(mt) = args.media_type.as_deref() {
        blob::check_media_type(mt).map_err(|e| failed(&e))?;
    }
    let statement = doc
        .applicable(args.policy_name.as_deref())
        .map_err(|e| failed(&e))?;
    let stores = notation::verifier::stores::FileTrustStores::new(ctx.dirs.clone());
    let revocation = Validator::new(Some(ctx.dirs.crl_cache()));
    if let Some(w) = revocation.cache_warning() {
        out.warn(w);
    }
    // The OCI policy is not consulted for blobs; the statement is passed explicitly.
    let no_oci_policy = notation::policy::OciDocument::default();
    let plugins = notation::verifier::plugin::VerificationPlugins {
        dir: ctx.dirs.plugins(),
        config: plugin_config.into_iter().collect(),
    };
    let verifier = Verifier {
        policy: &no_oci_policy,
        stores: &stores,
        integrity: &notation::verifier::envelope_integrity::EnvelopeIntegrity,
        revocation: Some(&revocation),
        now: time::OffsetDateTime::now_utc(),
        plugins: Some(&plugins),
    };
    let outcome = verifier
        .verify_blob(
            statement,
            format,
            &signature,
            std::io::BufReader::new(file),
            args.media_type.as_deref(),
            &user_metadata,
        )
        .await;
    verify::report_revocation(out, &revocation);
    let outcome = outcome.map_err(|e| match e.trust_store_failure() {
        Some(f) => anyhow!("{}", verify::trust_store_message(f)),
        None => failed(&e),
    })?;
    render_verified(out, blob_path, &outcome)
}

/// What `blob verify` prints for a verified (or skipped) blob.
fn render_verified(
    out: Printer,
    blob_path: &str,
    outcome: &notation::verifier::BlobVerified,
) -> anyhow::Result<()> {
    let Some((record, facts)) = &outcome.signature else {
        out.println(&format!(
            "Trust policy is configured to skip signature verification for {blob_path}"
        ))?;
        return Ok(());
    };
    for r in &record.results {
        if let (Action::Log, Some(err)) = (r.action, &r.error) {
            out.warn(&format!(
                "{} was set to \"log\" and failed with error: {err}",
                r.check
            ));
        }
    }
    let mut text = format!("Successfully verified signature for {blob_path}\n");
    if !facts.annotations.is_empty() {
        text.push_str("\nThe artifact was signed with the following user metadata.\n\n");
        text.push_str(&verify::metadata_table(&facts.annotations));
    }
    out.print(&text)?;
    Ok(())
}

fn run_inspect(out: Printer, args: InspectArgs) -> anyhow::Result<()> {
    let Some(path) = args.signature_path.first() else {
        bail!("missing signature path: use `notation blob inspect --help` to see what parameters are required");
    };
    let json = match args.output.as_str() {
        "tree" => false,
        "json" => true,
        other => bail!("unrecognized output format {other}"),
    };
    let format = blob::format_for_inspect(Path::new(path))?;
    let bytes = std::fs::read(path).map_err(|e| {
        anyhow!(
            "failed to read signature file: {}",
            path_error("open", Path::new(path), &e)
        )
    })?;
    let content =
        envelope::parse(format, &bytes).map_err(|e| anyhow!("failed to parse signature: {e}"))?;
    out.print(&inspect::render_blob_signature(
        path,
        format.media_type(),
        content,
        json,
    )?)?;
    Ok(())
}

/// Prompt before replacing a blob policy that loads and validates, as upstream.
fn confirm_policy_overwrite(ctx: &Context, force: bool) -> Result<bool, WriteError> {
    let out = ctx.out;
    if BlobDocument::load(&ctx.dirs).is_err() {
        return Ok(true);
    }
    if force {
        out.warn("existing blob trust policy configuration will be overwritten");
        return Ok(true);
    }
    out.confirm(
        "The blob trust policy configuration already exists, do you want to overwrite it?",
        false,
    )
}

fn policy_import(args: PolicyImportArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let [file] = args.files.as_slice() else {
        bail!(
            "requires 1 argument but received {}.\nUsage: notation blob policy import <path-to-policy.json>\nPlease specify a trust policy configuration location as the argument",
            args.files.len()
        );
    };
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow!(
            "failed to read blob trust policy file: {}",
            path_error("open", Path::new(file), &e)
        )
    })?;
    let doc = BlobDocument::parse_exact(&bytes)
        .map_err(|e| anyhow!("failed to parse blob trust policy configuration: {e}"))?;
    doc.validate()
        .map_err(|e| anyhow!("failed to validate blob trust policy configuration: {e}"))?;
    if !confirm_policy_overwrite(ctx, args.force)? {
        return Ok(());
    }
    let dest = ctx.dirs.trust_policy_blob_json();
    notation::atomic::write(&dest, &bytes, PRIVATE_FILE_MODE, DIR_MODE)
        .map_err(|e| anyhow!("failed to write blob trust policy configuration: {e}"))?;
    out.println(&format!(
        "Successfully imported blob trust policy configuration to {}.",
        dest.display()
    ))?;
    Ok(())
}

fn policy_show(ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    policy::show_file(
        out,
        &[ctx.dirs.trust_policy_blob_json()],
        false,
        "failed to show blob trust policy as the configuration does not exist.\nYou can import one using `notation blob policy import <path-to-policy.json>`",
        "Existing blob trust policy configuration is invalid, you may update or create a new one via `notation blob policy import <path-to-policy.json>`",
        |bytes| match BlobDocument::parse(bytes) {
            Err(e) => Some(e.to_string()),
            Ok(doc) => doc.validate().err().map(|e| e.to_string()),
        },
    )
}

/// notation-go's `BlobPolicy` field order and `omitempty`s.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InitStatement<'a> {
    name: &'a str,
    signature_verification: InitLevel,
    trust_stores: &'a [String],
    trusted_identities: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    global_policy: bool,
}

fn policy_init(args: PolicyInitArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    args.args.exactly_none()?;
    BLOB_POLICY_INIT_FLAGS.check(&ctx.flags)?;
    let bytes = InitDocument::json(InitStatement {
        name: &args.name,
        signature_verification: InitLevel::STRICT,
        trust_stores: &args.trust_stores,
        trusted_identities: &args.trusted_identities,
        global_policy: args.global,
    })?;
    // Validate exactly what is written, through the same reader verify uses.
    BlobDocument::parse(&bytes)?
        .validate()
        .map_err(|e| anyhow!("invalid blob policy: {e}"))?;
    if !confirm_policy_overwrite(ctx, args.force)? {
        return Ok(());
    }
    let dest = ctx.dirs.trust_policy_blob_json();
    notation::atomic::write(&dest, &bytes, PRIVATE_FILE_MODE, DIR_MODE)
        .with_context(|| "failed to write blob trust policy configuration")?;
    out.println(&format!(
        "Successfully initialized blob trust policy file to {}.",
        dest.display()
    ))?;
    Ok(())
}
