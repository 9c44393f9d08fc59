//! `notation inspect`.

use super::Context;
use clap::Args;

/// Arguments of `notation inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub async fn run(args: InspectArgs, ctx: &Context) -> anyhow::Result<()> {
    let _ = (args.rest, &ctx.dirs);
    anyhow::bail!("`notation inspect` is being implemented")
}
