//! `notation list`: the signature manifests of an artifact, as a tree.

use super::common::{self, ArtifactCommandArgs, ArtifactRef, ArtifactsArgs};
use super::output::Printer;
use super::tree::Node;
use super::Context;
use super::{open, output};
use anyhow::Context as _;
use clap::Args;
use notation::oci::{Descriptor, ARTIFACT_TYPE_NOTATION};

/// Arguments of `notation list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    artifacts: ArtifactsArgs,
    /// [Experimental] list signatures stored in OCI image layout
    #[arg(long = "oci-layout")]
    oci_layout: bool,
    /// [Experimental] use the Referrers API to list signatures, if not supported (returns 404), fallback to the Referrers tag schema
    #[arg(
        long = "allow-referrers-api",
        hide = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    allow_referrers_api: Option<bool>,
    /// output format, options: 'text', 'json' (ours; upstream lists as text only)
    #[arg(short = 'o', long = "output", default_value = "text", value_parser = ["text", "json"])]
    output: String,
    #[command(flatten)]
    common: ArtifactCommandArgs,
}

pub async fn run(args: ListArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let inputs = args
        .common
        .batch
        .required_references(&args.artifacts.reference, "list")?;
    out.experimental_warning(ctx.flags.any(&["oci-layout", "allow-referrers-api"]));
    let platforms = args.common.tree.platforms()?;
    // RunE: the count first, then the deprecation notice, as verify and inspect.
    common::check_max_signatures(args.artifacts.max_signatures)?;
    common::warn_allow_referrers_api(out, args.allow_referrers_api, false);
    let pool = notation::batch::RegistryPool::default();
    let json = args.output == "json";
    args.common
        .batch
        .run(out, inputs, json, "listed", |raw| {
            let (args, pool, platforms) = (&args, &pool, &platforms);
            async move { list_one(&raw, args, ctx, platforms, pool).await }
        })
        .await
}

/// List one reference, printing what a single `list` prints.
async fn list_one(
    raw: &str,
    args: &ListArgs,
    ctx: &Context,
    platforms: &[notation::recursive::PlatformSpec],
    pool: &notation::batch::RegistryPool,
) -> anyhow::Result<()> {
    let out = ctx.out;
    let reference = ArtifactRef::parse(raw, args.oci_layout)?;
    let target = open::for_reading(&reference, &args.common, ctx, pool)?;
    let desc = common::resolve(
        out,
        target.as_ref(),
        &reference,
        "list",
        args.common.logging.log(),
    )
    .await?;
    if args.common.tree.recursive {
        let nodes = args
            .common
            .tree
            .nodes(target.as_ref(), &desc, platforms)
            .await?;
        let all = tree_signatures(target.as_ref(), &reference, &nodes).await?;
        return print_tree(out, &reference, &nodes, &all, args);
    }
    let max = args.artifacts.max_signatures as usize;
    let signatures = target
        .signature_pages(&desc)
        .beyond(max)
        .await
        .with_context(|| {
            format!(
                "failed to list signatures of {}",
                reference.with_digest(&desc.digest)
            )
        })?;
    print_one(
        out,
        &reference.with_digest(&desc.digest),
        &desc,
        &signatures,
        args,
    )
}

/// The signatures of every manifest `--recursive` reached, in walk order.
async fn tree_signatures(
    target: &dyn notation::target::Target,
    reference: &ArtifactRef,
    nodes: &[notation::recursive::Node],
) -> anyhow::Result<Vec<Vec<Descriptor>>> {
    let mut all = Vec::with_capacity(nodes.len());
    for node in nodes {
        let printed = reference.with_digest(&node.descriptor.digest);
        let signatures = target
            .signatures(&node.descriptor)
            .await
            .with_context(|| format!("failed to list signatures of {printed}"))?;
        all.push(signatures);
    }
    Ok(all)
}

/// One artifact's signatures (up to `--max-signatures`, one more tells it was exceeded):
/// a tree or one JSON document.
fn print_one(
    out: Printer,
    root: &str,
    desc: &Descriptor,
    signatures: &[Descriptor],
    args: &ListArgs,
) -> anyhow::Result<()> {
    let max = args.artifacts.max_signatures as usize;
    if args.output == "json" {
        out.println(&serde_json::to_string_pretty(&json(
            root, desc, signatures, max,
        ))?)?;
        if signatures.len() > max {
            out.warn(&format!(
                "exceeded configured limit of max signatures {max} to examine"
            ));
        }
        return Ok(());
    }
    out.print(&render(root, signatures, max))?;
    Ok(())
}

/// `list --recursive`: the index, its manifests and each one's signatures, as one tree, or
/// a JSON array with one `-o json` document per manifest.
fn print_tree(
    out: Printer,
    reference: &ArtifactRef,
    nodes: &[notation::recursive::Node],
    signatures: &[Vec<Descriptor>],
    args: &ListArgs,
) -> anyhow::Result<()> {
    let max = args.artifacts.max_signatures as usize;
    let over = signatures.iter().any(|s| s.len() > max);
    if args.output == "json" {
        let documents: Vec<serde_json::Value> = nodes
            .iter()
            .zip(signatures)
            .map(|(node, sigs)| {
                let printed = reference.with_digest(&node.descriptor.digest);
                let mut doc = json(&printed, &node.descriptor, sigs, max);
                if let Some(p) = &node.platform {
                    doc["platform"] = notation::recursive::platform_text(p).into();
                }
                doc
            })
            .collect();
        out.println(&output::json_array(&documents)?)?;
    } else {
        let root = reference.with_digest(&nodes[0].descriptor.digest);
        let tree = common::tree_of(nodes, root, |i, node| {
            if !signatures[i].is_empty() {
                let kind = node.add(ARTIFACT_TYPE_NOTATION);
                for sig in signatures[i].iter().take(max) {
                    kind.add(sig.digest.clone());
                }
            }
        });
        out.print(&tree.render())?;
    }
    if over {
        out.warn(&format!(
            "exceeded configured limit of max signatures {max} to examine"
        ));
    }
    Ok(())
}

/// `-o json`: the artifact and its signature manifests (at most `max`), for scripts.
fn json(root: &str, desc: &Descriptor, signatures: &[Descriptor], max: usize) -> serde_json::Value {
    serde_json::json!({
        "reference": root,
        "mediaType": desc.media_type,
        "digest": desc.digest,
        "size": desc.size,
        "signatures": signatures.iter().take(max).collect::<Vec<_>>(),
        "truncated": signatures.len() > max,
    })
}

/// The list output: the tree of at most `max` signatures, the over-limit warning, or the
/// "no associated signature" line.
fn render(root: &str, signatures: &[Descriptor], max: usize) -> String {
    if signatures.is_empty() {
        return format!("{root} has no associated signature\n");
    }
    let mut tree = Node::new(root);
    let kind = tree.add(ARTIFACT_TYPE_NOTATION);
    for sig in signatures.iter().take(max) {
        kind.add(sig.digest.clone());
    }
    let mut out = tree.render();
    if signatures.len() > max {
        out.push_str(&format!(
            "Warning: exceeded configured limit of max signatures {max} to examine\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: u8) -> Descriptor {
        Descriptor {
            digest: format!("sha256:{n}"),
            ..Default::default()
        }
    }

    #[test]
    fn no_signature() {
        assert_eq!(
            render("l@sha256:x", &[], 100),
            "l@sha256:x has no associated signature\n"
        );
    }

    #[test]
    fn tree_and_limit() {
        let sigs = [sig(1), sig(2), sig(3)];
        assert_eq!(
            render("l@d", &sigs, 100),
            "l@d\n└── application/vnd.cncf.notary.signature\n    ├── sha256:1\n    ├── sha256:2\n    └── sha256:3\n"
        );
        assert_eq!(
            render("l@d", &sigs, 2),
            "l@d\n└── application/vnd.cncf.notary.signature\n    ├── sha256:1\n    └── sha256:2\nWarning: exceeded configured limit of max signatures 2 to examine\n"
        );
        assert!(!render("l@d", &sigs, 3).contains("Warning"));
    }
}
