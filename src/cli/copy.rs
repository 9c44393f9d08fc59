//! `notation copy` (alias `cp`): copy an artifact, and with `-r` its signatures, between
//! OCI layouts and registries, so that nobody needs ORAS to publish a signed layout.

use super::common::{LoggingArgs, RegistryArgs};
use super::open;
use super::output::Printer;
use super::progress::TransferProgress;
use super::Context;
use anyhow::{bail, Context as _};
use clap::Args;
use notation::copy::{CopyOptions, CopyReport, DEFAULT_CONCURRENCY};
use notation::go::fmt::GoQuoted;
use notation::oci::Descriptor;
use notation::reference::{LayoutReference, RegistryReference, Selector};
use notation::target::Target;
use std::path::Path;
use std::sync::Arc;

/// Arguments of `notation copy`.
#[derive(Args, Debug)]
pub struct CopyArgs {
    #[command(flatten)]
    logging: LoggingArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// the source is an OCI image layout (<path>:<tag> or <path>@<digest>)
    #[arg(long = "from-oci-layout")]
    from_oci_layout: bool,
    /// the destination is an OCI image layout (created if missing)
    #[arg(long = "to-oci-layout")]
    to_oci_layout: bool,
    /// also copy every referrer (signatures and their referrers)
    #[arg(short = 'r', long = "recursive")]
    recursive: bool,
    /// output format, options: 'json', 'text'
    #[arg(short = 'o', long = "output", default_value = "text", value_parser = ["text", "json"])]
    output: String,
    /// number of blobs transferred at once (at least 1)
    #[arg(long = "concurrency", default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// do not show transfer progress (it is shown only when stderr is a terminal)
    #[arg(long = "no-progress")]
    no_progress: bool,
    /// source and destination references
    #[arg(value_names = ["source", "destination"])]
    ends: Vec<String>,
}

/// One end of the copy.
enum End {
    Layout {
        path: String,
        selector: Option<Selector>,
    },
    Registry(RegistryReference),
}

impl End {
    fn parse_source(raw: &str, layout: bool) -> anyhow::Result<End> {
        Ok(if layout {
            let r = LayoutReference::parse(raw)?;
            End::Layout {
                path: r.path,
                selector: Some(r.selector),
            }
        } else {
            End::Registry(RegistryReference::parse(raw)?)
        })
    }

    /// The destination may omit its tag: the source's tag is used then.
    fn parse_destination(raw: &str, layout: bool) -> anyhow::Result<End> {
        Ok(if layout {
            match LayoutReference::parse(raw) {
                Ok(r) => End::Layout {
                    path: r.path,
                    selector: Some(r.selector),
                },
                Err(_) if !raw.is_empty() => End::Layout {
                    path: raw.to_string(),
                    selector: None,
                },
                Err(e) => return Err(e.into()),
            }
        } else {
            End::Registry(RegistryReference::parse_repository(raw)?)
        })
    }

    fn selector(&self) -> Option<&Selector> {
        match self {
            End::Layout { selector, .. } => selector.as_ref(),
            End::Registry(r) => r.selector.as_ref(),
        }
    }

    /// `<path or registry/repo>@<digest>`.
    fn with_digest(&self, digest: &str) -> String {
        match self {
            End::Layout { path, .. } => format!("{path}@{digest}"),
            End::Registry(r) => r.with_digest(digest),
        }
    }

    /// Open this end's store; a destination layout is created if missing.
    fn open(
        &self,
        args: &RegistryArgs,
        ctx: &Context,
        create: bool,
        log: super::output::Log,
    ) -> anyhow::Result<Box<dyn Target>> {
        let location = match self {
            End::Layout { path, .. } => open::Location::Layout { path, create },
            End::Registry(r) => open::Location::Registry(r),
        };
        open::target(location, args, ctx, log, |_| {})
    }
}

/// Split `ref:t1,t2,…` into `ref:t1` and the further tags, each checked.
fn split_tags(raw: &str) -> anyhow::Result<(&str, Vec<String>)> {
    let Some((first, rest)) = raw.split_once(',') else {
        return Ok((raw, Vec::new()));
    };
    let tags: Vec<String> = rest.split(',').map(str::to_string).collect();
    if let Some(bad) = tags.iter().find(|t| !notation::reference::is_valid_tag(t)) {
        bail!(
            "invalid destination tag {} in {}",
            GoQuoted(bad),
            GoQuoted(raw)
        );
    }
    Ok((first, tags))
}

/// A destination layout this copy created: removed again if the copy fails, so a failed
/// copy leaves nothing behind.
struct CreatedLayout(Option<std::path::PathBuf>);

impl CreatedLayout {
    fn keep(&mut self) {
        self.0 = None;
    }
}

impl Drop for CreatedLayout {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

pub async fn run(args: CopyArgs, ctx: &Context) -> anyhow::Result<()> {
    // cobra.ExactArgs(2)'s check and text.
    let [source, destination] = args.ends.as_slice() else {
        bail!("accepts 2 arg(s), received {}", args.ends.len());
    };
    if args.concurrency == 0 {
        bail!("invalid value 0 for --concurrency: at least 1 blob must be transferred at a time");
    }
    let log = args.logging.log();
    let src = End::parse_source(source, args.from_oci_layout)?;
    // `dst:t1,t2,t3` tags the copy three times, as `oras cp` does.
    let (destination_ref, extra_tags) = split_tags(destination)?;
    let dst = End::parse_destination(destination_ref, args.to_oci_layout)?;
    let src_target = src.open(&args.registry, ctx, false, log)?;
    let mut created = CreatedLayout(match &dst {
        End::Layout { path, .. } if !Path::new(path).exists() => Some(path.into()),
        _ => None,
    });
    let dst_target = dst.open(&args.registry, ctx, true, log)?;
    let (root, tag) = resolve_root(src_target.as_ref(), &src, &dst, source).await?;
    log.info(&format!(
        "copying {} to {}",
        src.with_digest(&root.digest),
        dst.with_digest(&root.digest)
    ));
    if tag.is_none() && !extra_tags.is_empty() {
        bail!("extra destination tags need a first tag: {destination}");
    }
    let tags: Vec<String> = tag.iter().cloned().chain(extra_tags).collect();
    let report = transfer(
        &args,
        src_target.as_ref(),
        dst_target.as_ref(),
        &root,
        &tags,
    )
    .await
    .with_context(|| format!("failed to copy {source} to {destination}"))?;
    created.keep();
    let copied = Copied {
        src: &src,
        dst: &dst,
        root: &root,
        tags: &tags,
        first_tag_given: tag.is_some(),
        report: &report,
    };
    copied.render(ctx.out, &args)
}

/// The source's manifest, checked against a digest either end names, and the tag the
/// destination gets (its own, else the source's; none for a digest).
async fn resolve_root(
    src_target: &dyn Target,
    src: &End,
    dst: &End,
    source: &str,
) -> anyhow::Result<(Descriptor, Option<String>)> {
    let src_selector = src.selector().expect("sources always have a tag or digest");
    let root = src_target
        .resolve(src_selector.as_str())
        .await
        .with_context(|| format!("failed to resolve {source}"))?;
    if let Selector::Digest(d) = src_selector {
        if *d != root.digest {
            bail!(
                "user input digest {d} does not match the resolved digest {}",
                root.digest
            );
        }
    }
    let tag = match dst.selector() {
        Some(Selector::Digest(d)) if *d != root.digest => {
            bail!(
                "destination digest {d} does not match the source digest {}",
                root.digest
            )
        }
        Some(Selector::Digest(_)) => None,
        Some(Selector::Tag(t)) => Some(t.clone()),
        None => src_selector.tag().map(str::to_string),
    };
    Ok((root, tag))
}

/// Copy `root` (and with `-r` its referrers), drawing progress unless asked not to.
async fn transfer(
    args: &CopyArgs,
    src: &dyn Target,
    dst: &dyn Target,
    root: &Descriptor,
    tags: &[String],
) -> anyhow::Result<CopyReport> {
    let log = args.logging.log();
    // Log lines and JSON output would be torn by redraws.
    let draw = args.output == "text" && !args.no_progress && !log.verbose && !log.debug;
    let progress = Arc::new(TransferProgress::new(draw));
    let opts = CopyOptions {
        recursive: args.recursive,
        concurrency: args.concurrency,
    };
    let result = notation::copy::copy(src, dst, root, tags, &opts, progress.clone()).await;
    progress.finish();
    Ok(result?)
}

/// A finished copy, as it is reported.
struct Copied<'a> {
    src: &'a End,
    dst: &'a End,
    root: &'a Descriptor,
    /// The destination tags: the first one, then those after a comma.
    tags: &'a [String],
    first_tag_given: bool,
    report: &'a CopyReport,
}

impl Copied<'_> {
    fn render(&self, out: Printer, args: &CopyArgs) -> anyhow::Result<()> {
        let (src, root, report) = (self.src, self.root, self.report);
        for w in &report.warnings {
            out.warn(&w.to_string());
        }
        let destination = match (self.first_tag_given, self.dst) {
            (true, End::Layout { path, .. }) => format!("{path}:{}", self.tags[0]),
            (true, End::Registry(r)) => format!("{}/{}:{}", r.registry, r.repository, self.tags[0]),
            (false, dst) => dst.with_digest(&root.digest),
        };
        if args.output == "json" {
            let json = serde_json::json!({
                "source": src.with_digest(&root.digest),
                "destination": destination,
                "mediaType": root.media_type,
                "digest": root.digest,
                "size": root.size,
                "copied": report.copied.len(),
                "skipped": report.skipped.len(),
                "referrers": report.referrers.iter().map(|r| &r.digest).collect::<Vec<_>>(),
                "tags": self.tags,
            });
            out.println(&serde_json::to_string_pretty(&json)?)?;
            return Ok(());
        }
        out.println(&format!(
            "Copied {} => {}",
            src.with_digest(&root.digest),
            destination
        ))?;
        let extra_tags = self.tags.get(1..).unwrap_or_default();
        if !extra_tags.is_empty() {
            out.println(&format!("Also tagged: {}", extra_tags.join(", ")))?;
        }
        if args.recursive {
            out.println(&format!("Referrers copied: {}", report.referrers.len()))?;
        }
        out.println(&format!("Digest: {}", root.digest))?;
        Ok(())
    }
}
