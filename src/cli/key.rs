//! `notation key`: manage signingkeys.json (cli.md §6). Besides upstream's plugin keys,
//! `key add --key-file F --cert-file F` registers a local key and certificate chain.

use super::common::{AnyArgs, LoggingArgs};
use super::flag_rules::{Group, Rules};
use super::output::{Printer, WriteError};
use super::Context;
use super::{key_value, output};
use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};
use notation::config::signingkeys::SigningKeys;
use notation::go::fmt::GoQuoted;
use notation::go::os::PathError;
use notation::x509::{check_signature, Certificate, SignatureCheck};
use std::path::Path;

/// Arguments of `notation key`.
#[derive(Args, Debug)]
#[command(allow_external_subcommands = true)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: Option<KeyCommand>,
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Add key to Notation signing key list
    Add(AddArgs),
    /// List keys used for signing
    #[command(visible_alias = "ls")]
    List(AnyArgs),
    /// Update key in Notation signing key list
    #[command(visible_alias = "set")]
    Update(UpdateArgs),
    /// Remove key from Notation signing key list
    Delete(DeleteArgs),
    /// Unknown subcommands print the help, as cobra does for groups.
    #[command(external_subcommand)]
    #[allow(dead_code)] // the words are only there to be ignored
    Unknown(Vec<String>),
}

#[derive(Args, Debug)]
struct AddArgs {
    /// signing plugin name
    #[arg(long = "plugin")]
    plugin: Option<String>,
    /// key id (required if --plugin is set)
    #[arg(long = "id", default_value = "")]
    id: String,
    /// {key}={value} pairs that are passed as it is to a plugin, refer plugin's documentation to set appropriate values
    #[arg(long = "plugin-config", value_name = "stringArray")]
    plugin_config: Vec<String>,
    /// mark as default
    #[arg(long = "default")]
    default: bool,
    /// PEM private key file of a local key (instead of --plugin)
    #[arg(long = "key-file")]
    key_file: Option<String>,
    /// PEM certificate chain file (leaf first, ending with the root) of the local key
    #[arg(long = "cert-file")]
    cert_file: Option<String>,
    #[command(flatten)]
    logging: LoggingArgs,
    /// key name
    #[arg(value_name = "key_name")]
    names: Vec<String>,
}

#[derive(Args, Debug)]
struct UpdateArgs {
    /// mark as default
    #[arg(long = "default")]
    default: bool,
    #[command(flatten)]
    logging: LoggingArgs,
    /// key name
    #[arg(value_name = "key_name")]
    names: Vec<String>,
}

#[derive(Args, Debug)]
struct DeleteArgs {
    #[command(flatten)]
    logging: LoggingArgs,
    /// key names
    #[arg(value_name = "key_name")]
    names: Vec<String>,
}

/// Run `notation key …`.
pub fn run(args: KeyArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    match args.command {
        Some(KeyCommand::Add(a)) => add(a, ctx),
        Some(KeyCommand::List(_)) => list(ctx),
        Some(KeyCommand::Update(a)) => update(a, ctx),
        Some(KeyCommand::Delete(a)) => delete(a, ctx),
        Some(KeyCommand::Unknown(_)) | None => {
            super::help::print(out, &["key"])?;
            Ok(())
        }
    }
}

/// Our local-key flags, checked with cobra's rules and texts.
const LOCAL_GROUPS: &[Group] = &[
    &["key-file", "plugin"],
    &["key-file", "id"],
    &["key-file", "plugin-config"],
];

/// `key add` marks `--plugin` required (notation cmd/notation/key.go).
const PLUGIN_KEY_RULES: Rules = Rules {
    required: &["plugin"],
    together: &[&["key-file", "cert-file"]],
    exclusive: LOCAL_GROUPS,
    ..Rules::NONE
};

/// `key add --key-file` (ours) requires `--cert-file` instead.
const LOCAL_KEY_RULES: Rules = Rules {
    required: &["cert-file"],
    ..PLUGIN_KEY_RULES
};

fn add(args: AddArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let [name] = args.names.as_slice() else {
        bail!("either missing key name or unnecessary parameters passed");
    };
    // Upstream requires --plugin; our --key-file stands in for it and needs --cert-file.
    if ctx.flags.contains("key-file") {
        LOCAL_KEY_RULES.check(&ctx.flags)?;
    } else {
        PLUGIN_KEY_RULES.check(&ctx.flags)?;
    }
    if let (Some(key_file), Some(cert_file)) = (&args.key_file, &args.cert_file) {
        return add_local(name, key_file, cert_file, args.default, ctx);
    }
    let plugin = args.plugin.as_deref().unwrap_or_default();
    let plugin_config = key_value::parse_map(&args.plugin_config, "plugin-config")?;
    let log = args.logging.log();
    log.debug(&format!(
        "Adding key with name {name} and plugin name {plugin}"
    ));
    let mut keys = SigningKeys::load(&ctx.dirs)?;
    keys.add_plugin(
        name,
        &args.id,
        plugin,
        plugin_config,
        args.default,
        &ctx.dirs.plugins(),
    )
    .inspect_err(|e| log.error(&format!("Failed to add key with error: {e}")))?;
    keys.save(&ctx.dirs)?;
    print_added(out, name, args.default)?;
    Ok(())
}

fn print_added(out: Printer, name: &str, default: bool) -> Result<(), WriteError> {
    if default {
        out.println(&format!("{name}: marked as default"))
    } else {
        out.println(name)
    }
}

/// Our addition: register an existing key and certificate chain, after checking the key
/// matches the leaf and the chain is in order and ends in a self-signed root (what signing
/// will demand). Paths are stored absolute, as `cert generate-test` writes them.
fn add_local(
    name: &str,
    key_file: &str,
    cert_file: &str,
    default: bool,
    ctx: &Context,
) -> anyhow::Result<()> {
    let out = ctx.out;
    let key_path = std::path::absolute(key_file).unwrap_or_else(|_| key_file.into());
    let cert_path = std::path::absolute(cert_file).unwrap_or_else(|_| cert_file.into());
    let cert_pem = read(&cert_path)?;
    let key_pem = read(&key_path)?;
    let (key, chain) = notation::x509::load_key_pair(&key_pem, &cert_pem)?;
    // Signing skips the key check (a bad key cannot sign); a key kept for later gets it now,
    // as Go checks every key it loads.
    key.check()?;
    check_chain(&chain)
        .with_context(|| format!("certificate chain in {} is not usable", cert_path.display()))?;
    let mut keys = SigningKeys::load(&ctx.dirs)?;
    keys.add_local(
        name,
        &key_path.to_string_lossy(),
        &cert_path.to_string_lossy(),
        default,
    )?;
    keys.save(&ctx.dirs)?;
    print_added(out, name, default)?;
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow!(PathError::new("open", path, e)))
}

/// Each certificate must be issued by the next, and the last must be a self-signed root.
fn check_chain(chain: &[Certificate]) -> anyhow::Result<()> {
    for pair in chain.windows(2) {
        check_signature(&pair[0], &pair[1], SignatureCheck::IssuedBy).map_err(|e| {
            anyhow!(
                "certificate with subject {} is not issued by the next certificate {}: {e}",
                GoQuoted(&pair[0].subject()),
                GoQuoted(&pair[1].subject())
            )
        })?;
    }
    let last = chain
        .last()
        .ok_or_else(|| anyhow!("no certificate found"))?;
    if !last.is_self_signed() {
        bail!(
            "the last certificate (subject {}) is not a self-signed root; append the issuing certificates up to the root",
            GoQuoted(&last.subject())
        );
    }
    Ok(())
}

fn list(ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let keys = SigningKeys::load(&ctx.dirs)?;
    let mut rows = vec![vec![
        "NAME".to_string(),
        "KEY PATH".into(),
        "CERTIFICATE PATH".into(),
        "ID".into(),
        "PLUGIN NAME".into(),
    ]];
    for key in &keys.keys {
        let name = if keys.default.as_deref() == Some(key.name.as_str()) {
            format!("* {}", key.name)
        } else {
            key.name.clone()
        };
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        rows.push(vec![
            name,
            field(&key.key_path),
            field(&key.cert_path),
            field(&key.id),
            field(&key.plugin_name),
        ]);
    }
    out.print(&output::table(&rows))?;
    Ok(())
}

fn update(args: UpdateArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let Some(name) = args.names.first() else {
        bail!("missing key name");
    };
    if !args.default {
        args.logging
            .log()
            .warning("--default flag is not set, command did not take effect");
        return Ok(());
    }
    let mut keys = SigningKeys::load(&ctx.dirs)?;
    keys.update_default(name)?;
    keys.save(&ctx.dirs)?;
    out.println(&format!("{name}: marked as default"))?;
    Ok(())
}

fn delete(args: DeleteArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    if args.names.is_empty() {
        bail!("missing key names");
    }
    let log = args.logging.log();
    let mut keys = SigningKeys::load(&ctx.dirs)?;
    let previous_default = keys.default.clone();
    let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
    let removed = keys
        .delete(&names)
        .inspect_err(|e| log.error(&format!("Keys deletion failed to complete with error: {e}")))?;
    keys.save(&ctx.dirs)?;
    let was_default = |n: &str| previous_default.as_deref() == Some(n);
    match removed.as_slice() {
        [one] if was_default(one) => out.println(&format!(
            "Removed default key {one} from Notation signing key list. The source key still exists."
        ))?,
        [one] => out.println(&format!(
            "Removed {one} from Notation signing key list. The source key still exists."
        ))?,
        many => {
            out.println("Removed the following keys from Notation signing key list. The source keys still exist.")?;
            for n in many {
                if was_default(n) {
                    out.println(&format!("{n} (default)"))?;
                } else {
                    out.println(n)?;
                }
            }
        }
    }
    Ok(())
}
