//! `notation verify`.

use super::Context;
use clap::Args;

/// Arguments of `notation verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run(args: VerifyArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation verify` is being implemented")
}
