//! `notation login` and `notation logout`, and opening registry targets.

use super::common::RegistryArgs;
use super::Context;
use clap::Args;
use notation::reference::RegistryReference;
use notation::target::Target;

/// Arguments of `notation login`.
#[derive(Args, Debug)]
pub struct LoginArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Arguments of `notation logout`.
#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run_login(args: LoginArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation login` is being implemented")
}

pub async fn run_logout(args: LogoutArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation logout` is being implemented")
}

/// Open a registry repository as a signing/verification target.
pub async fn open_registry(
    reference: &RegistryReference,
    registry: &RegistryArgs,
    ctx: &Context,
) -> anyhow::Result<Box<dyn Target>> {
    let _ = (reference, registry, &ctx.dirs);
    anyhow::bail!("registry targets are being implemented")
}
