//! `notation plugin list|install|uninstall` (cli.md §9).

use super::common::{AnyArgs, LoggingArgs};
use super::flag_rules::Rules;
use super::{output, Context};
use anyhow::bail;
use clap::{Args, Subcommand};
use notation::go::fmt::slice_v as go_slice;
use notation::go::fmt::GoQuoted;
use notation::plugin::install::{self, InstallError};
use notation::plugin::{self, PluginError};
use std::path::Path;

/// Arguments of `notation plugin`.
#[derive(Args, Debug)]
pub struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Subcommand, Debug)]
enum PluginCommand {
    /// List installed plugins
    #[command(visible_alias = "ls")]
    List(AnyArgs),
    /// Install a plugin
    #[command(visible_alias = "add")]
    Install(InstallArgs),
    /// Uninstall a plugin
    #[command(visible_aliases = ["remove", "rm"])]
    Uninstall(UninstallArgs),
}

#[derive(Args, Debug)]
struct InstallArgs {
    /// install plugin from a file on file system
    #[arg(long = "file")]
    file: bool,
    /// install plugin from an HTTPS URL. The plugin download timeout is 10m0s
    #[arg(long = "url")]
    url: bool,
    /// must match SHA256 of the plugin source, required when "--url" flag is set
    #[arg(long = "sha256sum")]
    sha256sum: Option<String>,
    /// force the installation of the plugin
    #[arg(long = "force")]
    force: bool,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the plugin source: a file path, or an HTTPS URL with --url
    source: Vec<String>,
}

#[derive(Args, Debug)]
struct UninstallArgs {
    /// do not prompt for confirmation
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    #[command(flatten)]
    logging: LoggingArgs,
    /// the plugin name
    names: Vec<String>,
}

pub async fn run(args: PluginArgs, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        PluginCommand::List(_) => list(ctx),
        PluginCommand::Install(a) => install(a, ctx).await,
        PluginCommand::Uninstall(a) => uninstall(a, ctx),
    }
}

fn list(ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let mut rows = vec![vec![
        "NAME".to_string(),
        "DESCRIPTION".into(),
        "VERSION".into(),
        "CAPABILITIES".into(),
        "ERROR".into(),
    ]];
    for p in plugin::list(&ctx.dirs.plugins())? {
        match p.metadata {
            Ok(m) => rows.push(vec![
                p.name,
                m.description,
                m.version,
                go_slice(&m.capabilities),
                "<nil>".into(),
            ]),
            Err(e) => {
                let error = match e {
                    PluginError::NotFound { .. } => format!(
                        "plugin executable file `{}` not found. Use `notation plugin install` command to install the plugin",
                        plugin::binary_name(&p.name)
                    ),
                    // notation's userFriendlyError for ENOEXEC.
                    PluginError::NotExecutable { .. } => format!(
                        "plugin executable file `{}` is not executable. Use `notation plugin install` command to install the plugin. Please ensure that the plugin executable file is compatible with {}/{}",
                        plugin::binary_name(&p.name),
                        std::env::consts::OS,
                        go_arch()
                    ),
                    other => other.to_string(),
                };
                rows.push(vec![
                    p.name,
                    String::new(),
                    String::new(),
                    "[]".into(),
                    error,
                ]);
            }
        }
    }
    out.print(&output::table(&rows))?;
    Ok(())
}

/// `plugin install` takes exactly one of `--file`, `--url` (notation cmd/notation/plugin/install.go).
const INSTALL_RULES: Rules = Rules {
    one_required: &[&["file", "url"]],
    exclusive: &[&["file", "url"]],
    ..Rules::NONE
};

async fn install(args: InstallArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let source = match args.source.as_slice() {
        [] if args.file => bail!("missing plugin file path"),
        [] if args.url => bail!("missing plugin URL"),
        [] => bail!("missing plugin source location"),
        [one] => one,
        many => bail!(
            "can only install one plugin at a time, but got {}",
            go_slice(many)
        ),
    };
    INSTALL_RULES.check(&ctx.flags)?;
    // `--file=false` passes cobra's group check but selects no source.
    if !args.file && !args.url {
        bail!("plugin installation failed: unknown plugin source type");
    }
    let checksum = args.sha256sum.as_deref();
    let dir = ctx.dirs.plugins();
    let result = if args.url {
        if checksum.is_none_or(str::is_empty) {
            bail!("installing from URL requires non-empty SHA256 checksum of the plugin source");
        }
        if let Ok(u) = url::Url::parse(source) {
            if u.scheme() == "https" {
                out.println(&format!("Downloading plugin from {source}"))?;
            }
        }
        let data = install::download(source).await?;
        out.println("Download completed")?;
        install::install_bytes(&dir, Path::new("download"), data, checksum, args.force)
    } else {
        args.logging
            .log()
            .debug(&format!("Installing plugin from file {source}"));
        install::install_file(&dir, Path::new(source), checksum, args.force)
    };
    let installed = result.map_err(|e| {
        let hint = match e {
            InstallError::Downgrade { .. } => "\nIt is not recommended to install an older version. To force the installation, use the \"--force\" option".to_string(),
            InstallError::NewPluginMalformed(_) | InstallError::ExistingPluginMalformed(_) => format!(
                "\nPlease ensure that the plugin executable file is intact and compatible with {}/{}. Contact the plugin publisher for further assistance.",
                std::env::consts::OS,
                go_arch()
            ),
            _ => return anyhow::anyhow!("plugin installation failed: {e}"),
        };
        anyhow::anyhow!("plugin installation failed: {e}.{hint}")
    })?;
    let m = installed.metadata;
    match installed.previous_version {
        Some(old) => out.println(&format!(
            "Successfully updated plugin {} from version {old} to {}",
            m.name, m.version
        ))?,
        None => out.println(&format!(
            "Successfully installed plugin {}, version {}",
            m.name, m.version
        ))?,
    }
    Ok(())
}

/// Go's GOARCH spelling.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn uninstall(args: UninstallArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let [name] = args.names.as_slice() else {
        bail!("requires exactly 1 argument but received {}.\nUsage: notation plugin uninstall [flags] <plugin_name>\nPlease specify a plugin name as argument", args.names.len());
    };
    let dir = ctx.dirs.plugins();
    if !dir.join(name).is_dir() {
        bail!("unable to find plugin {name}.\nTo view a list of installed plugins, use `notation plugin list`");
    }
    let prompt = format!(
        "Are you sure you want to uninstall plugin {}?",
        GoQuoted(&name)
    );
    if !out.confirm(&prompt, args.yes)? {
        return Ok(());
    }
    install::uninstall(&dir, name)
        .map_err(|e| anyhow::anyhow!("failed to uninstall {name}: {e}"))?;
    out.println(&format!("Successfully uninstalled plugin {name}"))?;
    Ok(())
}
