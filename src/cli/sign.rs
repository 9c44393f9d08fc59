//! `notation sign`.

use super::Context;
use clap::Args;

/// Arguments of `notation sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run(args: SignArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation sign` is being implemented")
}
