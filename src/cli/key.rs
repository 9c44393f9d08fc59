//! `notation key`.

use super::Context;
use clap::Args;

/// Arguments of `notation key`.
#[derive(Args, Debug)]
pub struct KeyArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn run(args: KeyArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation key` is being implemented")
}
