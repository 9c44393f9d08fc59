//! The one place a command opens the store a reference names: an OCI layout (a directory
//! or a tar file) or a registry repository, with the registry options the flags and
//! config.json give.

use super::common::{ArtifactCommandArgs, ArtifactRef, RegistryArgs};
use super::output::Log;
use super::Context;
use anyhow::Context as _;
use notation::batch::RegistryPool;
use notation::credentials::{Credential, CredentialStore};
use notation::reference::RegistryReference;
use notation::target::layout::Layout;
use notation::target::registry::{CredentialSource, Registry, RegistryOptions};
use notation::target::Target;
use std::path::Path;
use std::sync::Arc;

/// Where a store is: a layout path (created if missing when `create`), or a repository.
pub enum Location<'a> {
    Layout { path: &'a str, create: bool },
    Registry(&'a RegistryReference),
}

impl<'a> From<&'a ArtifactRef> for Location<'a> {
    fn from(reference: &'a ArtifactRef) -> Location<'a> {
        match reference {
            ArtifactRef::Layout(r) => Location::Layout {
                path: &r.path,
                create: false,
            },
            ArtifactRef::Registry(r) => Location::Registry(r),
        }
    }
}

/// Open the store at `location`. `configure` adjusts a registry's options (and logs what
/// the command says about them) before its client is made.
pub fn target(
    location: Location<'_>,
    registry: &RegistryArgs,
    ctx: &Context,
    log: Log,
    configure: impl FnOnce(&mut RegistryOptions),
) -> anyhow::Result<Box<dyn Target>> {
    // The library logs its HTTP trace through `log`: route it before the first request.
    log.install();
    match location {
        Location::Layout { path, create } => {
            let p = Path::new(path);
            let layout = if create && !p.exists() {
                Layout::create(p).with_context(|| format!("failed to create OCI layout {path}"))?
            } else {
                Layout::open(p).context("failed to create OCI store")?
            };
            Ok(Box::new(layout))
        }
        Location::Registry(r) => {
            let mut opts = registry_options(&r.registry, registry, ctx)?;
            configure(&mut opts);
            Ok(Box::new(Registry::new(r, opts)?))
        }
    }
}

/// Open the store of `reference` once per invocation: a layout as [`target`] does; a
/// registry repository from `pool`, sharing one client per registry. `configure` adjusts
/// the options of the first client of a registry.
pub fn pooled(
    reference: &ArtifactRef,
    registry: &RegistryArgs,
    ctx: &Context,
    log: Log,
    pool: &RegistryPool,
    configure: impl FnOnce(&mut RegistryOptions),
) -> anyhow::Result<Arc<dyn Target>> {
    match reference {
        ArtifactRef::Layout(_) => Ok(target(reference.into(), registry, ctx, log, |_| {})?.into()),
        ArtifactRef::Registry(r) => {
            log.install();
            let repository = pool.get(r, || {
                let mut opts = registry_options(&r.registry, registry, ctx)?;
                configure(&mut opts);
                anyhow::Ok(opts)
            })?;
            Ok(repository)
        }
    }
}

/// [`pooled`] for the commands that only read (verify, list, inspect), which log
/// upstream's referrers line when they open a registry.
pub fn for_reading(
    reference: &ArtifactRef,
    flags: &ArtifactCommandArgs,
    ctx: &Context,
    pool: &RegistryPool,
) -> anyhow::Result<Arc<dyn Target>> {
    pooled(
        reference,
        &flags.registry,
        ctx,
        flags.logging.log(),
        pool,
        |_| referrers_api_allowed(),
    )
}

/// Upstream's log line for a registry opened with the referrers API allowed.
pub fn referrers_api_allowed() {
    log::info!("Allowed to access the referrers API, fallback if not supported");
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
