//! `notation list`.

use super::Context;
use clap::Args;

/// Arguments of `notation list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run(args: ListArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation list` is being implemented")
}
