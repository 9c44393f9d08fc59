//! `notation delete` (ours; upstream has no command and sends users to `oras manifest
//! delete`, which leaves the `sha256-<hex>` referrers index stale): delete signatures of an
//! artifact from a registry or an OCI layout directory, keeping the referrers index right.

use super::common::{self, ArtifactRef, LoggingArgs, RegistryArgs};
use super::flag_rules::Rules;
use super::open;
use super::Context;
use anyhow::Context as _;
use clap::Args;
use notation::oci::Descriptor;

/// Arguments of `notation delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// the signed artifact: <registry>/<repository>(:<tag>|@<digest>), or <path>(:<tag>|@<digest>) with --oci-layout
    #[arg(value_name = "REFERENCE")]
    reference: Vec<String>,
    /// digest of a signature manifest to delete (repeatable)
    #[arg(long = "signature", value_name = "digest")]
    signatures: Vec<String>,
    /// delete every signature of the artifact
    #[arg(long)]
    all: bool,
    /// [Experimental] the artifact is in an OCI image layout directory
    #[arg(long = "oci-layout")]
    oci_layout: bool,
    /// do not prompt for confirmation
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    logging: LoggingArgs,
}

/// Either `--signature` or `--all`, checked as cobra checks upstream's flag groups.
const DELETE_FLAGS: Rules = Rules {
    one_required: &[&["signature", "all"]],
    exclusive: &[&["signature", "all"]],
    ..Rules::NONE
};

pub async fn run(args: DeleteArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let Some(raw) = args.reference.first() else {
        anyhow::bail!("missing reference to the artifact: use `notation delete --help` to see what parameters are required");
    };
    out.experimental_warning(ctx.flags.any(&["oci-layout"]));
    DELETE_FLAGS.check(&ctx.flags)?;
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open::target(
        (&reference).into(),
        &args.registry,
        ctx,
        args.logging.log(),
        |_| open::referrers_api_allowed(),
    )?;
    let subject = common::resolve(
        out,
        target.as_ref(),
        &reference,
        "delete",
        args.logging.log(),
    )
    .await?;
    let printed = reference.with_digest(&subject.digest);
    let associated = target
        .signatures(&subject)
        .await
        .with_context(|| format!("failed to list signatures of {printed}"))?;
    let chosen = choose(&associated, &args.signatures, args.all, &printed)?;
    if chosen.is_empty() {
        out.println(&format!("{printed} has no associated signature"))?;
        return Ok(());
    }
    let prompt = format!(
        "Are you sure you want to delete {} signature(s) of {printed}?",
        chosen.len()
    );
    if !out.confirm(&prompt, args.yes)? {
        return Ok(());
    }
    for sig in chosen {
        let warnings = target
            .delete_referrer(&subject, &sig)
            .await
            .with_context(|| format!("failed to delete signature {}", sig.digest))?;
        for w in warnings {
            out.warn(&w.to_string());
        }
        out.println(&format!("Deleted signature {} of {printed}", sig.digest))?;
    }
    Ok(())
}

/// The signatures to delete: all of them, or the named ones, each of which must be one of
/// the artifact's (nothing is deleted otherwise).
fn choose(
    associated: &[Descriptor],
    wanted: &[String],
    all: bool,
    printed: &str,
) -> anyhow::Result<Vec<Descriptor>> {
    if all {
        return Ok(associated.iter().map(Descriptor::plain).collect());
    }
    let mut chosen: Vec<Descriptor> = Vec::new();
    for digest in wanted {
        let Some(sig) = associated.iter().find(|s| &s.digest == digest) else {
            anyhow::bail!("signature {digest} is not associated with {printed}");
        };
        if !chosen.iter().any(|c| c.digest == sig.digest) {
            chosen.push(sig.plain());
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: u8) -> Descriptor {
        Descriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: format!("sha256:{n}"),
            size: 1,
            ..Default::default()
        }
    }

    #[test]
    fn named_signatures_must_belong_to_the_artifact() {
        let all = [sig(1), sig(2)];
        let one = choose(&all, &["sha256:2".into(), "sha256:2".into()], false, "x").unwrap();
        assert_eq!(one, vec![sig(2)]);
        assert_eq!(choose(&all, &[], true, "x").unwrap(), all.to_vec());
        let err = choose(&all, &["sha256:9".into()], false, "x@sha256:0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "signature sha256:9 is not associated with x@sha256:0"
        );
    }
}
