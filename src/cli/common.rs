//! Flag sets shared by several commands, and opening the target a reference names (with
//! the registry options of the flags and config).

use super::output::{self, Log};
use super::Context;
use anyhow::Context as _;
use clap::Args;
use notation::credentials::{Credential, CredentialStore};
use notation::oci::Descriptor;
use notation::reference::{LayoutReference, RegistryReference, Selector};
use notation::target::registry::{CredentialSource, Registry, RegistryOptions};
use notation::target::Target;
use std::sync::Arc;

/// `-d/--debug`, `-v/--verbose`.
#[derive(Args, Debug, Clone, Default)]
pub struct LoggingArgs {
    /// debug mode
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,
    /// verbose mode
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

impl LoggingArgs {
    /// The logger these flags ask for.
    /// Also routes the library's log records (the `log` facade) to stderr at this level.
    pub fn log(&self) -> Log {
        let log = Log {
            verbose: self.verbose,
            debug: self.debug,
        };
        log.install();
        log
    }
}

/// The arguments of a command upstream gives no `Args` check: cobra accepts and ignores
/// them, so clap must not reject them.
#[derive(Args, Debug, Clone, Default)]
pub struct AnyArgs {
    #[arg(hide = true)]
    args: Vec<String>,
}

impl AnyArgs {
    /// cobra.NoArgs: `unknown command "<arg>" for "<command path>"`.
    pub fn no_args(&self, command_path: &str) -> anyhow::Result<()> {
        match self.args.first() {
            Some(first) => anyhow::bail!(
                "unknown command {} for {}",
                notation::go::fmt::quote(first),
                notation::go::fmt::quote(command_path)
            ),
            None => Ok(()),
        }
    }

    /// cobra.ExactArgs(0): `accepts 0 arg(s), received <n>`.
    pub fn exactly_none(&self) -> anyhow::Result<()> {
        if !self.args.is_empty() {
            anyhow::bail!("accepts 0 arg(s), received {}", self.args.len());
        }
        Ok(())
    }
}

/// `-u`, `-p`, `--insecure-registry`, and our `--ca-file`.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryArgs {
    /// username for registry operations (default to $NOTATION_USERNAME if not specified)
    #[arg(
        short = 'u',
        long = "username",
        env = "NOTATION_USERNAME",
        hide_env_values = true
    )]
    pub username: Option<String>,
    /// password for registry operations (default to $NOTATION_PASSWORD if not specified)
    #[arg(
        short = 'p',
        long = "password",
        env = "NOTATION_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// use HTTP protocol while connecting to registries. Should be used only for testing
    #[arg(long = "insecure-registry")]
    pub insecure_registry: bool,
    /// additional CA certificates (PEM file) to trust for the registry's TLS certificate
    #[arg(long = "ca-file", value_name = "file")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// A parsed artifact reference: in an OCI layout or in a registry.
#[derive(Debug, Clone)]
pub enum ArtifactRef {
    Layout(LayoutReference),
    Registry(RegistryReference),
}

impl ArtifactRef {
    /// Parse `raw` as a layout reference (`--oci-layout`) or a registry reference.
    pub fn parse(raw: &str, oci_layout: bool) -> anyhow::Result<ArtifactRef> {
        Ok(if oci_layout {
            ArtifactRef::Layout(LayoutReference::parse(raw)?)
        } else {
            ArtifactRef::Registry(RegistryReference::parse(raw)?)
        })
    }

    /// The tag or digest part.
    pub fn selector(&self) -> &Selector {
        match self {
            ArtifactRef::Layout(r) => &r.selector,
            ArtifactRef::Registry(r) => r.selector.as_ref().expect("parsed with a selector"),
        }
    }

    /// How notation prints the resolved reference: `<path>@<digest>` or
    /// `<registry>/<repo>@<digest>`.
    pub fn with_digest(&self, digest: &str) -> String {
        match self {
            ArtifactRef::Layout(r) => r.with_digest(digest),
            ArtifactRef::Registry(r) => r.with_digest(digest),
        }
    }
}

/// Open the store `reference` lives in.
pub async fn open_target(
    reference: &ArtifactRef,
    registry: &RegistryArgs,
    ctx: &super::Context,
    log: super::output::Log,
) -> anyhow::Result<Box<dyn Target>> {
    // The library logs its HTTP trace through `log`: route it before the first request.
    log.install();
    match reference {
        ArtifactRef::Layout(r) => {
            let layout = notation::target::layout::Layout::open(std::path::Path::new(&r.path))
                .context("failed to create OCI store")?;
            Ok(Box::new(layout))
        }
        ArtifactRef::Registry(r) => open_registry(r, registry, ctx).await,
    }
}

/// Whether config.json lists `registry` in `insecureRegistries` (case-insensitive).
fn listed_insecure(registry: &str, ctx: &Context) -> anyhow::Result<bool> {
    let cfg = notation::config::config_json::ConfigJson::load(&ctx.dirs)?;
    Ok(cfg.is_insecure_registry(registry))
}

/// The options for talking to `registry` with these flags and this config: plain HTTP,
/// CA file, and credentials (`-u/-p` or the environment, else the credential store).
pub fn registry_options(
    registry: &str,
    args: &RegistryArgs,
    ctx: &Context,
) -> anyhow::Result<RegistryOptions> {
    let username = args.username.clone().unwrap_or_default();
    let password = args.password.clone().unwrap_or_default();
    let credentials = if !username.is_empty() || !password.is_empty() {
        CredentialSource::Static(Credential::from_user_password(&username, &password))
    } else {
        let store =
            CredentialStore::detect(&ctx.dirs.config).context("failed to get credentials store")?;
        CredentialSource::Store(Arc::new(store))
    };
    Ok(RegistryOptions {
        plain_http: args.insecure_registry || listed_insecure(registry, ctx)?,
        ca_file: args.ca_file.clone().or_else(|| docker_certs_d_ca(registry)),
        credentials,
        ..RegistryOptions::default()
    })
}

/// Docker's per-registry CA: `/etc/docker/certs.d/<registry>/ca.crt`, or the rootless
/// `~/.config/docker/certs.d/<registry>/ca.crt` (user-voice §9: private registry CAs
/// without `SSL_CERT_FILE`). Adds trust for that registry only; never weakens checks.
fn docker_certs_d_ca(registry: &str) -> Option<std::path::PathBuf> {
    let mut dirs = vec![std::path::PathBuf::from("/etc/docker/certs.d")];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        dirs.push(std::path::PathBuf::from(home).join(".config/docker/certs.d"));
    }
    dirs.into_iter()
        .map(|d| d.join(registry).join("ca.crt"))
        .find(|p| p.is_file())
}

/// Open a registry repository as a signing/verification target.
pub async fn open_registry(
    reference: &RegistryReference,
    registry: &RegistryArgs,
    ctx: &Context,
) -> anyhow::Result<Box<dyn Target>> {
    let opts = registry_options(&reference.registry, registry, ctx)?;
    log::info!("Allowed to access the referrers API, fallback if not supported");
    Ok(Box::new(Registry::new(reference, opts)?))
}

/// Resolve the reference to its manifest descriptor, checking a given digest and printing
/// the tag warning for `verb`, as every notation command does.
pub async fn resolve(
    target: &dyn Target,
    reference: &ArtifactRef,
    verb: &str,
    log: Log,
) -> anyhow::Result<Descriptor> {
    let selector = reference.selector();
    let desc = target
        .resolve(selector.as_str())
        .await
        .context("failed to get manifest descriptor")?;
    log.info(&format!(
        "Reference {} resolved to manifest descriptor: {}",
        selector.as_str(),
        desc.go_debug()
    ));
    match selector {
        Selector::Digest(d) if *d != desc.digest => {
            anyhow::bail!(
                "user input digest {} does not match the resolved digest {}",
                d,
                desc.digest
            )
        }
        Selector::Tag(t) => output::tag_warning(verb, t),
        _ => {}
    }
    Ok(desc.plain())
}
