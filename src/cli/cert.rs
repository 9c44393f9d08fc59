//! `notation cert` (alias of `notation certificate`): manage the x509 trust store, and create or
//! remove test keys (cli.md §5, §14).

use super::common::{AnyArgs, LoggingArgs};
use super::flag_rules::{Rules, SetFlags};
use super::output;
use super::Context;
use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};
use notation::config::signingkeys::SigningKeys;
use notation::config::DIR_MODE;
use notation::go::fmt::GoQuoted;
use notation::go::os::PathError;
use notation::truststore::{self, ListScope, StoreType};
use notation::x509::Certificate;
use std::path::{Path, PathBuf};

/// Arguments of `notation cert`.
#[derive(Args, Debug)]
#[command(allow_external_subcommands = true)]
pub struct CertArgs {
    #[command(subcommand)]
    command: Option<CertCommand>,
}

#[derive(Subcommand, Debug)]
enum CertCommand {
    /// Add certificates to the trust store.
    Add(AddArgs),
    /// List certificates in the trust store.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show certificate details given trust store type, named store, and certificate file name. If the certificate file contains multiple certificates, then all certificates are displayed.
    Show(ShowArgs),
    /// Delete certificates from the trust store.
    Delete(DeleteArgs),
    /// Generate a test RSA key and a corresponding self-signed certificate.
    #[command(name = "generate-test")]
    GenerateTest(GenerateTestArgs),
    /// Clean up a test RSA key and its corresponding certificate that were generated using the "generate-test" command.
    #[command(name = "cleanup-test")]
    CleanupTest(CleanupTestArgs),
    /// Unknown subcommands print the help, as cobra does for groups.
    #[command(external_subcommand)]
    #[allow(dead_code)] // the words are only there to be ignored
    Unknown(Vec<String>),
}

/// `--type` and `--store`, checked by hand so the argument checks run first, as in cobra.
#[derive(Args, Debug, Default)]
struct StoreFlags {
    /// specify named store
    #[arg(short = 's', long = "store")]
    store: Option<String>,
    /// specify trust store type, options: ca, signingAuthority, tsa
    #[arg(short = 't', long = "type")]
    store_type: Option<String>,
}

impl StoreFlags {
    /// `cert add|show|delete` mark both flags required (notation cmd/notation/cert/*.go).
    const RULES: Rules = Rules {
        required: &["store", "type"],
        ..Rules::NONE
    };

    /// cobra's required-flag check for `--store` and `--type`.
    fn require(&self, set: &SetFlags) -> anyhow::Result<(&str, &str)> {
        Self::RULES.check(set)?;
        Ok((
            self.store.as_deref().unwrap_or_default(),
            self.store_type.as_deref().unwrap_or_default(),
        ))
    }
}

#[derive(Args, Debug)]
struct AddArgs {
    #[command(flatten)]
    flags: StoreFlags,
    /// certificate files
    #[arg(value_name = "cert_path")]
    paths: Vec<String>,
}

#[derive(Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    flags: StoreFlags,
    #[command(flatten)]
    logging: LoggingArgs,
    #[command(flatten)]
    _args: AnyArgs,
}

#[derive(Args, Debug)]
struct ShowArgs {
    #[command(flatten)]
    flags: StoreFlags,
    #[command(flatten)]
    logging: LoggingArgs,
    /// certificate file name
    #[arg(value_name = "cert_fileName")]
    files: Vec<String>,
}

#[derive(Args, Debug)]
struct DeleteArgs {
    #[command(flatten)]
    flags: StoreFlags,
    /// delete all certificates in the named store
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// do not prompt for confirmation
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    /// certificate file name
    #[arg(value_name = "cert_fileName")]
    files: Vec<String>,
}

#[derive(Args, Debug)]
struct GenerateTestArgs {
    /// RSA key bits
    #[arg(short = 'b', long = "bits", default_value_t = 2048)]
    bits: usize,
    /// mark as default signing key
    #[arg(long = "default")]
    default: bool,
    /// days the certificate is valid (upstream always uses 1)
    #[arg(long = "days", default_value_t = 1)]
    days: u32,
    /// common name
    #[arg(value_name = "common_name")]
    names: Vec<String>,
}

#[derive(Args, Debug)]
struct CleanupTestArgs {
    /// do not prompt for confirmation
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    /// common name
    #[arg(value_name = "common_name")]
    names: Vec<String>,
}

/// Run `notation cert …`.
pub fn run(args: CertArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    match args.command {
        Some(CertCommand::Add(a)) => add(a, ctx),
        Some(CertCommand::List(a)) => list(a, ctx),
        Some(CertCommand::Show(a)) => show(a, ctx),
        Some(CertCommand::Delete(a)) => delete(a, ctx),
        Some(CertCommand::GenerateTest(a)) => generate_test(a, ctx),
        Some(CertCommand::CleanupTest(a)) => cleanup_test(a, ctx),
        Some(CertCommand::Unknown(_)) | None => {
            super::help::print(out, &["certificate"])?;
            Ok(())
        }
    }
}

/// The store type and name checks shared by add, show and delete (after the required flags).
fn checked_store(store_type: &str, store: &str) -> anyhow::Result<StoreType> {
    if store_type.is_empty() {
        bail!("store type cannot be empty");
    }
    let t: StoreType = store_type.parse()?;
    if !truststore::is_valid_name(store) {
        bail!("named store name needs to follow [a-zA-Z0-9_.-]+ format");
    }
    Ok(t)
}

fn add(args: AddArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    if args.paths.is_empty() {
        bail!("missing certificate path");
    }
    let (store, store_type) = args.flags.require(&ctx.flags)?;
    let t = checked_store(store_type, store)?;
    let mut added = Vec::new();
    let mut failed = Vec::new();
    for path in &args.paths {
        match truststore::add_certificate(&ctx.dirs, t, store, Path::new(path)) {
            Ok(_) => added.push(path.as_str()),
            Err(e) => failed.push((path.as_str(), e.to_string())),
        }
    }
    if !added.is_empty() {
        out.println(&format!(
            "Successfully added following certificates to named store {store} of type {t}:"
        ))?;
        for p in added {
            out.println(p)?;
        }
    }
    if !failed.is_empty() {
        let mut msg =
            format!("Failed to add following certificates to named store {store} of type {t}:\n");
        for (p, e) in failed {
            msg.push_str(&format!("{p}, with error {}\n", GoQuoted(&e)));
        }
        return Err(anyhow!(msg));
    }
    Ok(())
}

/// `cert list`'s error text, as notation words it: what was listed, then the error.
fn list_failure(e: &truststore::ListError) -> String {
    let what = match &e.scope {
        ListScope::All => "in the trust store".to_string(),
        ListScope::Type(t) => format!("of type {t}"),
        ListScope::Store(s) => format!("in the named store {s}"),
        ListScope::TypeAndStore(t, s) => format!("in the named store {s} of type {t}"),
    };
    format!(
        "failed to list all certificates stored {what}, with error: {}",
        e.error
    )
}

fn list(args: ListArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let log = args.logging.log();
    let listed = truststore::list_certificates(
        &ctx.dirs,
        args.flags.store_type.as_deref(),
        args.flags.store.as_deref(),
    )
    .map_err(|e| {
        let message = list_failure(&e);
        log.debug(&format!("Failed to complete list: {message}"));
        anyhow!(message)
    })?;
    if listed.is_empty() {
        return Ok(());
    }
    let mut rows = vec![vec![
        "STORE TYPE".to_string(),
        "STORE NAME".into(),
        "CERTIFICATE".into(),
    ]];
    rows.extend(
        listed
            .into_iter()
            .map(|c| vec![c.store_type, c.store, c.file]),
    );
    out.print(&output::table(&rows))?;
    Ok(())
}

fn show(args: ShowArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let file = match args.files.as_slice() {
        [] => bail!("missing certificate file name"),
        [f] => f.as_str(),
        _ => bail!("show only supports single certificate file"),
    };
    let (store, store_type) = args.flags.require(&ctx.flags)?;
    let t = checked_store(store_type, store)?;
    if file.is_empty() {
        bail!("certificate fileName cannot be empty");
    }
    let path = truststore::store_dir(&ctx.dirs, t, store).join(file);
    args.logging.log().debug(&format!(
        "Showing details of certificate: {}",
        path.display()
    ));
    let certs = truststore::read_certificate_file(&path)
        .map_err(|e| anyhow!("failed to show details of certificate {file}, with error: {e}"))?;
    if certs.is_empty() {
        bail!("failed to show details of certificate {file}, with error: no valid certificate found in the file");
    }
    out.print(&certificate_details(&certs))?;
    Ok(())
}

const RULE: &str =
    "--------------------------------------------------------------------------------";

/// The `cert show` text for `certs`.
fn certificate_details(certs: &[Certificate]) -> String {
    let mut out = format!("Certificate details\n{RULE}\n");
    for (i, cert) in certs.iter().enumerate() {
        if i > 0 {
            out.push_str(RULE);
            out.push('\n');
        }
        out.push_str(&format!(
            "Issuer: {}\nSubject: {}\nValid from: {}\nValid to: {}\nIsCA: {}\nSHA256 Thumbprint: {}\n",
            cert.issuer(),
            cert.subject(),
            notation::go::time::string(cert.not_before()),
            notation::go::time::string(cert.not_after()),
            cert.is_ca(),
            cert.sha256_fingerprint(),
        ));
    }
    out
}

fn delete(args: DeleteArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    if args.all && !args.files.is_empty() {
        bail!("cannot delete a single certificate file when --all flag is set. use --help flag for more details");
    }
    if !args.all && args.files.is_empty() {
        bail!("delete requires either the certificate file name that needs to be deleted or --all flag to delete all certificates in the given named trust store");
    }
    let (store, store_type) = args.flags.require(&ctx.flags)?;
    if !truststore::is_valid_name(store) {
        bail!("named store name needs to follow [a-zA-Z0-9_.-]+ format");
    }
    if store_type.is_empty() {
        bail!("store type cannot be empty");
    }
    let t: StoreType = store_type.parse()?;
    if args.all {
        let prompt = format!(
            "Are you sure you want to delete all certificates in {} of type {}?",
            GoQuoted(store),
            GoQuoted(store_type)
        );
        if !out.confirm(&prompt, args.yes)? {
            return Ok(());
        }
        let dir = truststore::delete_store(&ctx.dirs, t, store)
            .context("failed to delete the named trust store")?;
        out.println(&format!("Successfully deleted {}", dir.display()))?;
        return Ok(());
    }
    let file = args.files[0].as_str();
    if file.is_empty() {
        bail!("to delete a specific certificate, certificate fileName cannot be empty");
    }
    let prompt = format!(
        "Are you sure you want to delete {} in {} of type {}?",
        GoQuoted(file),
        GoQuoted(store),
        GoQuoted(store_type)
    );
    if !out.confirm(&prompt, args.yes)? {
        return Ok(());
    }
    truststore::delete_certificate(&ctx.dirs, t, store, file)
        .context("failed to delete the certificate file")?;
    out.println(&format!("Successfully deleted {file}"))?;
    Ok(())
}

/// `{NOTATION_CONFIG}/localkeys/<name>.key` and `.crt`.
fn local_key_paths(ctx: &Context, name: &str) -> (PathBuf, PathBuf) {
    let dir = ctx.dirs.localkeys();
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    )
}

fn generate_test(args: GenerateTestArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let Some(name) = args.names.first() else {
        bail!("missing certificate common_name");
    };
    if !truststore::is_valid_name(name) {
        bail!("name needs to follow [a-zA-Z0-9_.-]+ format");
    }
    out.println(&format!("generating RSA Key with {} bits", args.bits))?;
    let generated = notation::testcert::generate(name, args.bits, args.days)?;
    let expiry = notation::go::time::rfc3339(generated.not_after);
    out.println(&format!("generated certificate expiring on {expiry}"))?;

    let (key_path, cert_path) = local_key_paths(ctx, name);
    write_exclusive(&key_path, generated.key_pem.as_bytes(), 0o600)
        .context("failed to write key file")?;
    out.println(&format!("wrote key: {}", key_path.display()))?;
    write_exclusive(&cert_path, generated.cert_pem.as_bytes(), 0o644)
        .context("failed to write certificate file")?;
    out.println(&format!("wrote certificate: {}", cert_path.display()))?;

    let mut keys = SigningKeys::load(&ctx.dirs)?;
    keys.add_local(
        name,
        &key_path.to_string_lossy(),
        &cert_path.to_string_lossy(),
        args.default,
    )?;
    truststore::add_certificate(&ctx.dirs, StoreType::Ca, name, &cert_path)?;
    out.println(&format!(
        "Successfully added {name}.crt to named store {name} of type ca"
    ))?;
    keys.save(&ctx.dirs)?;
    out.println(&format!("{name}: added to the key list"))?;
    if args.default {
        out.println(&format!("{name}: mark as default signing key"))?;
    }
    Ok(())
}

/// Create `path` only if it does not exist (upstream's O_EXCL), atomically, with `mode`.
fn write_exclusive(path: &Path, data: &[u8], mode: u32) -> Result<(), PathError> {
    notation::atomic::write_new(path, data, mode, DIR_MODE)
        .map_err(|e| PathError::new("open", path, e))
}

fn cleanup_test(args: CleanupTestArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let Some(name) = args.names.first() else {
        bail!("missing certificate common_name");
    };
    if !truststore::is_valid_name(name) {
        bail!("name needs to follow [a-zA-Z0-9_.-]+ format");
    }
    let mut keys = SigningKeys::load(&ctx.dirs)?;
    let (default_key, default_cert) = local_key_paths(ctx, name);
    let (key_path, cert_path) = match keys.get(name).ok() {
        Some(entry) if entry.external().is_some() && entry.local_pair().is_none() => {
            bail!("cleanup-test can only apply to non-external keys created by the generate-test command")
        }
        Some(entry) => entry
            .local_pair()
            .map(|p| (p.key_path, p.cert_path))
            .unwrap_or((default_key, default_cert)),
        None => (default_key, default_cert),
    };
    let cert_file = format!("{name}.crt");
    let prompt = format!(
        "The following will be removed:\n  trust store certificate ca/{name}/{cert_file}\n  signing key {name} in signingkeys.json\n  key file {}\n  certificate file {}\nAre you sure you want to clean up test key {} and its certificate?",
        key_path.display(),
        cert_path.display(),
        GoQuoted(name)
    );
    if !out.confirm(&prompt, args.yes)? {
        return Ok(());
    }

    match truststore::delete_certificate(&ctx.dirs, StoreType::Ca, name, &cert_file) {
        Ok(_) => {
            // An empty named store would only make verification fail with "no certificates".
            let _ = std::fs::remove_dir(truststore::store_dir(&ctx.dirs, StoreType::Ca, name));
            out.println(&format!(
                "Successfully deleted {cert_file} from trust store ca/{name}"
            ))?;
        }
        Err(e) if e.is_not_found() => out.println(&format!(
            "Certificate {cert_file} does not exist in trust store ca/{name}"
        ))?,
        Err(e) => {
            return Err(anyhow!(e).context("failed to remove the certificate from the trust store"))
        }
    }
    if keys.get(name).is_ok() {
        keys.delete(&[name.as_str()])?;
        keys.save(&ctx.dirs)?;
        out.println(&format!(
            "Successfully removed {} from signingkeys.json",
            GoQuoted(name)
        ))?;
    } else {
        out.println(&format!(
            "Key {} does not exist in signingkeys.json",
            GoQuoted(name)
        ))?;
    }
    for (what, path) in [("key file", &key_path), ("certificate file", &cert_path)] {
        match std::fs::remove_file(path) {
            Ok(()) => out.println(&format!("Successfully deleted {what} {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.println(&format!("The {what} {} does not exist", path.display()))?
            }
            Err(e) => return Err(anyhow!(PathError::new("remove", path.clone(), e))),
        }
    }
    out.println("Cleanup completed successfully")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use notation::truststore::{CertFileError, ListError};

    #[test]
    fn list_failures_name_what_was_listed() {
        let failure = |scope| {
            list_failure(&ListError {
                scope,
                error: CertFileError::Parse("x509: malformed certificate".into()),
            })
        };
        let s = || "s".to_string();
        assert_eq!(
            failure(ListScope::All),
            "failed to list all certificates stored in the trust store, with error: x509: malformed certificate"
        );
        assert_eq!(
            failure(ListScope::Type("ca".into())),
            "failed to list all certificates stored of type ca, with error: x509: malformed certificate"
        );
        assert_eq!(
            failure(ListScope::Store(s())),
            "failed to list all certificates stored in the named store s, with error: x509: malformed certificate"
        );
        assert_eq!(
            failure(ListScope::TypeAndStore("tsa".into(), s())),
            "failed to list all certificates stored in the named store s of type tsa, with error: x509: malformed certificate"
        );
    }
}
