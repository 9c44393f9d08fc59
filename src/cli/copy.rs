//! `notation copy`.

use super::Context;
use clap::Args;

/// Arguments of `notation copy`.
#[derive(Args, Debug)]
pub struct CopyArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run(args: CopyArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation copy` is being implemented")
}
