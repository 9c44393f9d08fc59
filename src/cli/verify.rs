//! `notation verify` (cli.md §2): upstream's flags, outputs and errors, plus a short
//! per-signature reason on failure and `-o json`.

use super::common::{self, ArtifactCommandArgs, ArtifactRef, ArtifactsArgs};
use super::flag_rules::Rules;
use super::output::Printer;
use super::Context;
use super::{key_value, open, output};
use clap::{Args, ValueEnum};
use notation::policy::OciDocument;
use notation::revocation::Validator;
use notation::verifier::{
    SignatureRecord, TrustStoreFailure, VerificationOutcome, Verified, Verifier, VerifyError,
    VerifyOptions,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Arguments of `notation verify`.
#[derive(Args, Debug)]
#[command(long_about = "Verify OCI artifacts")]
pub struct VerifyArgs {
    #[command(flatten)]
    artifacts: ArtifactsArgs,
    /// user defined {key}={value} pairs that must be present in the signature for successful verification if provided
    #[arg(short = 'm', long = "user-metadata")]
    user_metadata: Vec<String>,
    /// {key}={value} pairs that are passed as it is to a plugin, if the verification is associated with a verification plugin, refer plugin documentation to set appropriate values
    #[arg(long = "plugin-config")]
    plugin_config: Vec<String>,
    /// [Experimental] verify the artifact stored as OCI image layout
    #[arg(long = "oci-layout")]
    oci_layout: bool,
    /// [Experimental] set trust policy scope for artifact verification, required and can only be used when flag "--oci-layout" is set
    #[arg(long = "scope")]
    scope: Option<String>,
    /// [Experimental] use the Referrers API to verify signatures, if not supported (returns 404), fallback to the Referrers tag schema
    #[arg(long = "allow-referrers-api", hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    allow_referrers_api: Option<bool>,
    /// output format: text or json
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: Format,
    #[command(flatten)]
    common: ArtifactCommandArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Cobra's flag rules of `notation verify` (notation@v1.3.2 cmd/notation/verify.go).
const VERIFY_FLAGS: Rules = Rules {
    together: &[&["oci-layout", "scope"]],
    ..Rules::NONE
};

pub async fn run(args: VerifyArgs, ctx: &Context) -> anyhow::Result<()> {
    let (inputs, shared) = resolve(&args, ctx)?;
    let json = args.output == Format::Json;
    let result = args
        .common
        .batch
        .run(ctx.out, inputs, json, "verified", |raw| {
            let shared = &shared;
            async move { verify_one(&raw, shared).await }
        })
        .await;
    // One reference was warned about the CRL cache where it was verified.
    if let (true, Some((_, revocation, _))) = (shared.many, shared.verification.get()) {
        report_revocation(ctx.out, revocation);
    }
    result
}

/// The references and what verifying them shares, from the flags and config, checked in
/// the order cobra and notation check them.
fn resolve<'a>(
    args: &'a VerifyArgs,
    ctx: &'a Context,
) -> anyhow::Result<(Vec<common::Input>, Shared<'a>)> {
    let out = ctx.out;
    let inputs = args
        .common
        .batch
        .required_references(&args.artifacts.reference, "verify")?;
    out.experimental_warning(
        ctx.flags
            .any(&["oci-layout", "scope", "allow-referrers-api"]),
    );
    VERIFY_FLAGS.check(&ctx.flags)?;
    let platforms = args.common.tree.platforms()?;
    common::check_max_signatures(args.artifacts.max_signatures)?;
    common::warn_allow_referrers_api(out, args.allow_referrers_api, false);
    let user_metadata = key_value::parse_pairs(&args.user_metadata, "user-metadata")?;
    let plugin_config = key_value::parse_pairs(&args.plugin_config, "plugin-config")?;
    args.common.logging.log();

    // Upstream loads the policy before looking at the reference.
    let (policy, file) = OciDocument::load(&ctx.dirs)?;
    if let Some(w) = super::policy::bom_warning(&file) {
        out.warn(&w);
    }
    let shared = Shared {
        args,
        ctx,
        policy,
        platforms,
        opts: VerifyOptions {
            max_signatures: args.artifacts.max_signatures as usize,
            user_metadata,
            // One reference: Go's requests exactly. Many: one request less each.
            resolve_again: inputs.len() == 1,
        },
        plugin_config,
        verification: tokio::sync::OnceCell::new(),
        pool: Default::default(),
        many: inputs.len() > 1,
    };
    Ok((inputs, shared))
}

/// What the references of one `verify` share, loaded once.
struct Shared<'a> {
    args: &'a VerifyArgs,
    ctx: &'a Context,
    policy: OciDocument,
    platforms: Vec<notation::recursive::PlatformSpec>,
    opts: VerifyOptions,
    plugin_config: Vec<(String, String)>,
    /// Trust stores, CRL cache and plugins: set up once the first reference is resolved,
    /// where a single `verify` sets them up (and warns about the CRL cache).
    verification: tokio::sync::OnceCell<Verification>,
    pool: notation::batch::RegistryPool,
    /// Several references: the CRL cache warning is given once, at the end.
    many: bool,
}

/// Trust stores, CRL cache and verification plugins.
type Verification = (
    notation::verifier::stores::FileTrustStores,
    Validator,
    notation::verifier::plugin::VerificationPlugins,
);

impl Shared<'_> {
    /// The trust stores, CRL cache and plugins, set up (and the CRL cache warned about)
    /// by the first reference that gets here.
    async fn verification(&self) -> &Verification {
        let ctx = self.ctx;
        self.verification
            .get_or_init(|| async {
                let stores = notation::verifier::stores::FileTrustStores::new(ctx.dirs.clone());
                let revocation = Validator::new(Some(ctx.dirs.crl_cache()));
                if let Some(w) = revocation.cache_warning() {
                    ctx.out.warn(w);
                }
                let plugins = notation::verifier::plugin::VerificationPlugins {
                    dir: ctx.dirs.plugins(),
                    config: self.plugin_config.iter().cloned().collect(),
                };
                (stores, revocation, plugins)
            })
            .await
    }

    /// The CRL cache warning of a single reference (several get it once, at the end).
    fn report_revocation(&self, revocation: &Validator) {
        if !self.many {
            report_revocation(self.ctx.out, revocation);
        }
    }
}

/// Verify one reference, printing what a single `verify` prints.
async fn verify_one(raw: &str, shared: &Shared<'_>) -> anyhow::Result<()> {
    let (args, ctx, out) = (shared.args, shared.ctx, shared.ctx.out);
    let log = args.common.logging.log();
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open::for_reading(&reference, &args.common, ctx, &shared.pool)?;
    let subject = common::resolve(out, target.as_ref(), &reference, "verify", log).await?;
    let printed = reference.with_digest(&subject.digest);
    let policy_ref = match (&args.scope, &reference) {
        (Some(scope), _) => format!("{scope}@{}", subject.digest),
        (None, ArtifactRef::Registry(r)) => r.with_digest(&subject.digest),
        (None, ArtifactRef::Layout(_)) => printed.clone(),
    };
    let selected = notation::verifier::select(&shared.policy, &policy_ref);
    let (stores, revocation, plugins) = shared.verification().await;
    let verifier = Verifier {
        policy: &shared.policy,
        stores,
        integrity: &notation::verifier::envelope_integrity::EnvelopeIntegrity,
        revocation: Some(revocation),
        now: time::OffsetDateTime::now_utc(),
        plugins: Some(plugins),
    };
    // With -v/-d the log already gave each signature's reason.
    let reasons = !(log.verbose || log.debug);
    if args.common.tree.recursive {
        let nodes = args
            .common
            .tree
            .nodes(target.as_ref(), &subject, &shared.platforms)
            .await?;
        let policy_for = |digest: &str| match (&args.scope, &reference) {
            (Some(scope), _) => format!("{scope}@{digest}"),
            (None, _) => reference.with_digest(digest),
        };
        let results = notation::recursive::verify(
            &verifier,
            target.as_ref(),
            &nodes,
            policy_for,
            &shared.opts,
        )
        .await;
        shared.report_revocation(revocation);
        return report_tree(out, &reference, &results, args.output, reasons);
    }
    let result = match selected {
        Ok(selected) => {
            verifier
                .verify_selected(
                    target.as_ref(),
                    &subject,
                    &policy_ref,
                    selected,
                    &shared.opts,
                )
                .await
        }
        Err(e) => Err(VerifyError::Scope(e)),
    };
    shared.report_revocation(revocation);
    match result {
        Ok(outcome) => report_success(out, &outcome, &printed, args.output),
        Err(e) => {
            if args.output == Format::Json {
                out.println(&serde_json::to_string_pretty(&failure_json(&printed, &e))?)?;
            }
            Err(anyhow::anyhow!(failure_message(&e, &printed, reasons)))
        }
    }
}

/// Upstream's once-per-run CRL cache warning.
pub(super) fn report_revocation(out: Printer, revocation: &Validator) {
    if revocation.cache_error_seen() {
        out.warn("CRL cache error discarded. Enable debug log through '-d' for error details.");
    }
}

/// What upstream prints after `Error: ` when a trust store failed to load (notation's
/// `parseErrorOnVerificationFailure`): a hint to add certificates when something is
/// missing, else the inner error, which Go formats as `%!w(<nil>)` when there is none.
pub(crate) fn trust_store_message(f: &TrustStoreFailure) -> String {
    if f.not_exist {
        return format!(
            "{}. Use command 'notation cert add' to create and add trusted certificates to the trust store",
            f.message
        );
    }
    format!(
        "{}. {}",
        f.message,
        f.inner.as_deref().unwrap_or("%!w(<nil>)")
    )
}

/// The `Error:` text upstream prints, then (with `reasons`) one line per signature tried.
fn failure_message(e: &VerifyError, printed: &str, reasons: bool) -> String {
    match e {
        VerifyError::Failed { records, .. } => {
            let head = match e.trust_store_failure() {
                Some(f) => trust_store_message(f),
                None => format!("signature verification failed for all the signatures associated with {printed}"),
            };
            let mut lines = vec![head];
            if let VerifyError::Failed { limit: Some(n), .. } = e {
                lines.push(format!(
                    "  stopped after the --max-signatures limit of {n} signatures"
                ));
            }
            lines.extend(records.iter().filter(|_| reasons).filter_map(|r| {
                r.failure
                    .as_ref()
                    .map(|(step, err)| format!("  signature {}: {step} failed: {err}", r.digest))
            }));
            lines.join("\n")
        }
        other => format!("signature verification failed: {other}"),
    }
}

/// The verification of every manifest `--recursive` reached, each reported as a single
/// verification is (text), or one JSON array; exit 1 if any failed.
fn report_tree(
    out: Printer,
    reference: &ArtifactRef,
    results: &[notation::recursive::NodeVerification],
    format: Format,
    reasons: bool,
) -> anyhow::Result<()> {
    let mut documents = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        let printed = reference.with_digest(&r.node.descriptor.digest);
        let platform = r
            .node
            .platform
            .as_ref()
            .map(notation::recursive::platform_text);
        let mut report = match &r.result {
            Ok(outcome) if format == Format::Text => {
                report_success(out, outcome, &printed, format)?;
                continue;
            }
            Ok(outcome) => {
                warn_logged_failures(out, outcome);
                outcome_json(&printed, outcome)
            }
            Err(e) => {
                failed.push(printed.clone());
                if format == Format::Text {
                    out.eprintln(&format!("Error: {}", failure_message(e, &printed, reasons)));
                    continue;
                }
                failure_json(&printed, e)
            }
        };
        report.platform = platform;
        documents.push(serde_json::to_value(&report)?);
    }
    if format == Format::Json {
        out.println(&output::json_array(&documents)?)?;
    }
    out.summary("verified", results.len(), &failed)
}

/// Upstream's warning for each check the policy only logs, that failed.
fn warn_logged_failures(out: Printer, outcome: &VerificationOutcome) {
    for r in outcome.verified.iter().flat_map(|v| v.logged_failures()) {
        if let Some(err) = &r.error {
            out.warn(&format!(
                "{} was set to \"log\" and failed with error: {err}",
                r.check
            ));
        }
    }
}

/// `-o json` of a verification that passed or was skipped.
fn outcome_json<'a>(printed: &'a str, outcome: &'a VerificationOutcome) -> JsonReport<'a> {
    match &outcome.verified {
        Some(v) => success_json(printed, outcome, v),
        None => skip_json(printed, outcome),
    }
}

fn report_success(
    out: Printer,
    outcome: &VerificationOutcome,
    printed: &str,
    format: Format,
) -> anyhow::Result<()> {
    if format == Format::Json {
        warn_logged_failures(out, outcome);
        out.println(&serde_json::to_string_pretty(&outcome_json(
            printed, outcome,
        ))?)?;
        return Ok(());
    }
    let Some(v) = &outcome.verified else {
        out.println(&format!(
            "Trust policy is configured to skip signature verification for {printed}"
        ))?;
        return Ok(());
    };
    warn_logged_failures(out, outcome);
    let mut text = format!("Successfully verified signature for {printed}\n");
    if !v.facts.annotations.is_empty() {
        text.push_str("\nThe artifact was signed with the following user metadata.\n\n");
        text.push_str(&metadata_table(&v.facts.annotations));
    }
    out.print(&text)?;
    Ok(())
}

/// Go's tabwriter with padding 3, every cell tab-terminated (so padded too).
pub(super) fn metadata_table(rows: &BTreeMap<String, String>) -> String {
    let width = |s: &str| s.chars().count();
    let kw = rows.keys().map(|k| width(k)).chain([3]).max().unwrap_or(3) + 3;
    let vw = rows
        .values()
        .map(|v| width(v))
        .chain([5])
        .max()
        .unwrap_or(5)
        + 3;
    let line = |k: &str, v: &str| {
        format!(
            "{k}{}{v}{}\n",
            " ".repeat(kw - width(k)),
            " ".repeat(vw - width(v))
        )
    };
    let mut out = line("KEY", "VALUE");
    for (k, v) in rows {
        out.push_str(&line(k, v));
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    reference: &'a str,
    /// The platform the index gives a manifest (`--recursive` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
    verified: bool,
    skipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<JsonSignature<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<JsonFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSignature<'a> {
    digest: &'a str,
    signer: &'a str,
    signing_scheme: &'a str,
    signature_algorithm: &'a str,
    checks: Vec<JsonCheck>,
    user_metadata: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct JsonCheck {
    check: String,
    action: String,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonFailure {
    digest: String,
    check: String,
    reason: String,
}

fn skip_json<'a>(printed: &'a str, outcome: &'a VerificationOutcome) -> JsonReport<'a> {
    JsonReport {
        reference: printed,
        platform: None,
        verified: false,
        skipped: true,
        policy: Some(&outcome.policy),
        level: Some(outcome.level.name),
        signature: None,
        failures: vec![],
        error: None,
    }
}

fn success_json<'a>(
    printed: &'a str,
    outcome: &'a VerificationOutcome,
    v: &'a Verified,
) -> JsonReport<'a> {
    let results = v
        .records
        .last()
        .map(|r| r.results.as_slice())
        .unwrap_or_default();
    let checks = notation::policy::CheckType::ALL
        .iter()
        .map(|&check| {
            let action = outcome.level.action(check);
            let r = results.iter().find(|r| r.check == check);
            JsonCheck {
                check: check.to_string(),
                action: action.to_string(),
                result: match r {
                    None => "skipped",
                    Some(r) if r.error.is_some() => "failed",
                    Some(_) => "passed",
                },
                error: r.and_then(|r| r.error.as_ref()).map(|e| e.to_string()),
            }
        })
        .collect();
    JsonReport {
        reference: printed,
        platform: None,
        verified: true,
        skipped: false,
        policy: Some(&outcome.policy),
        level: Some(outcome.level.name),
        signature: Some(JsonSignature {
            digest: &v.signature_digest,
            signer: v.facts.signer_subject(),
            signing_scheme: v.facts.signing_scheme.as_str(),
            signature_algorithm: &v.facts.signature_algorithm,
            checks,
            user_metadata: &v.facts.annotations,
        }),
        failures: failures(&v.records),
        error: None,
    }
}

fn failures(records: &[SignatureRecord]) -> Vec<JsonFailure> {
    records
        .iter()
        .filter_map(|r| {
            r.failure.as_ref().map(|(step, err)| JsonFailure {
                digest: r.digest.clone(),
                check: step.to_string(),
                reason: err.to_string(),
            })
        })
        .collect()
}

fn failure_json<'a>(printed: &'a str, e: &VerifyError) -> JsonReport<'a> {
    let records = match e {
        VerifyError::Failed { records, .. } => records.as_slice(),
        _ => &[],
    };
    JsonReport {
        reference: printed,
        platform: None,
        verified: false,
        skipped: false,
        policy: None,
        level: None,
        signature: None,
        failures: failures(records),
        error: Some(
            failure_message(e, printed, false)
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_store_messages_as_upstream() {
        let failure = |message: &str, not_exist, inner: Option<&str>| TrustStoreFailure {
            message: message.into(),
            not_exist,
            inner: inner.map(str::to_string),
        };
        let missing = failure(
            "the trust store \"s\" of type \"ca\" does not exist",
            true,
            Some("lstat x: no such file or directory"),
        );
        assert_eq!(
            trust_store_message(&missing),
            "the trust store \"s\" of type \"ca\" does not exist. Use command 'notation cert add' to create and add trusted certificates to the trust store"
        );
        let invalid = failure(
            "failed to validate the trusted certificate e.crt in trust store s of type ca",
            false,
            Some("input certs cannot be empty"),
        );
        assert_eq!(
            trust_store_message(&invalid),
            "failed to validate the trusted certificate e.crt in trust store s of type ca. input certs cannot be empty"
        );
        let link = failure(
            "trusted certificate r.crt in trust store s of type ca is not a regular file (directories or symlinks are not supported)",
            false,
            None,
        );
        assert_eq!(
            trust_store_message(&link),
            "trusted certificate r.crt in trust store s of type ca is not a regular file (directories or symlinks are not supported). %!w(<nil>)"
        );
    }

    #[test]
    fn table_matches_go_tabwriter() {
        let rows: BTreeMap<String, String> =
            [("env", "prod"), ("note", "a=b"), ("team", "interop")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(
            metadata_table(&rows),
            "KEY    VALUE     \nenv    prod      \nnote   a=b       \nteam   interop   \n"
        );
    }
}
