//! `notation cert`.

use super::Context;
use clap::Args;

/// Arguments of `notation cert`.
#[derive(Args, Debug)]
pub struct CertArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn run(args: CertArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation cert` is being implemented")
}
