//! `notation policy`.

use super::Context;
use clap::Args;

/// Arguments of `notation policy`.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn run(args: PolicyArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation policy` is being implemented")
}
