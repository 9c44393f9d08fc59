//! Copying an artifact graph between targets (layout ↔ registry, any direction), with its
//! referrers when asked: what `oras cp -r` does for notation users.
//!
//! The root's graph (index → manifests → config and layers) is copied children first, so a
//! manifest is only pushed once everything it points to is there; then, recursively, every
//! referrer of the root (and of an index's child manifests) with its own graph; the
//! destination tag is set last. Content already at the destination is skipped, blobs are
//! streamed, and up to [`CopyOptions::concurrency`] blobs move at once.

use crate::oci::{self, Descriptor, GraphNode};
use crate::target::{Result, Target, TargetError, TargetWarning, MAX_MANIFEST_BYTES};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt as _, StreamExt as _, TryStreamExt as _};
use std::collections::HashSet;
use std::sync::Mutex;

/// How to copy.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Also copy every referrer (signatures and their referrers).
    pub recursive: bool,
    /// Blobs transferred at once.
    pub concurrency: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            recursive: false,
            concurrency: 4,
        }
    }
}

/// Told about every node as it is done (for progress bars). Must not block.
pub trait CopyProgress: Send + Sync {
    /// `desc` is now at the destination; `skipped` if it already was.
    fn done(&self, desc: &Descriptor, skipped: bool);
}

/// A [`CopyProgress`] that ignores everything.
pub struct NoProgress;

impl CopyProgress for NoProgress {
    fn done(&self, _: &Descriptor, _: bool) {}
}

/// What a copy did.
#[derive(Clone, Debug, Default)]
pub struct CopyReport {
    /// Nodes pushed to the destination.
    pub copied: Vec<Descriptor>,
    /// Nodes the destination already had.
    pub skipped: Vec<Descriptor>,
    /// Referrer manifests found (and copied) with `recursive`, in discovery order.
    pub referrers: Vec<Descriptor>,
    /// Warnings of the destination (e.g. a referrers index that could not be deleted).
    pub warnings: Vec<TargetWarning>,
}

struct Copier<'a> {
    src: &'a dyn Target,
    dst: &'a dyn Target,
    opts: &'a CopyOptions,
    progress: &'a dyn CopyProgress,
    seen: Mutex<HashSet<String>>,
    report: Mutex<CopyReport>,
}

/// Copy `root` (resolved in `src`) and its graph to `dst`, then tag it with each of `tags`
/// there.
pub async fn copy(
    src: &dyn Target,
    dst: &dyn Target,
    root: &Descriptor,
    tags: &[String],
    opts: &CopyOptions,
    progress: &dyn CopyProgress,
) -> Result<CopyReport> {
    let copier = Copier {
        src,
        dst,
        opts,
        progress,
        seen: Mutex::new(HashSet::new()),
        report: Mutex::new(CopyReport::default()),
    };
    let root = root.plain();
    copier.copy_node(root.clone()).await?;
    if opts.recursive {
        copier.copy_referrers_of_graph(root.clone()).await?;
    }
    if !tags.is_empty() {
        let data = src.fetch(&root, MAX_MANIFEST_BYTES).await?;
        for tag in tags {
            dst.push_manifest(&root, &data, Some(tag)).await?;
        }
    }
    dst.commit().await?;
    let mut report = copier.report.into_inner().expect("report lock");
    report.warnings = dst.take_warnings();
    Ok(report)
}

impl<'a> Copier<'a> {
    /// Whether `desc` is seen for the first time (and mark it).
    fn first_visit(&self, desc: &Descriptor) -> bool {
        self.seen
            .lock()
            .expect("seen lock")
            .insert(desc.digest.clone())
    }

    fn record(&self, desc: &Descriptor, skipped: bool) {
        let mut r = self.report.lock().expect("report lock");
        if skipped {
            r.skipped.push(desc.clone());
        } else {
            r.copied.push(desc.clone());
        }
        drop(r);
        self.progress.done(desc, skipped);
    }

    /// Copy one node and, for a manifest, its children first.
    fn copy_node(&'a self, desc: Descriptor) -> BoxFuture<'a, Result<()>> {
        async move {
            if !self.first_visit(&desc) {
                return Ok(());
            }
            if self.dst.exists(&desc).await? {
                self.record(&desc, true);
                return Ok(());
            }
            if !oci::is_manifest_media_type(&desc.media_type) {
                if let Some(from) = self.src.mount_source() {
                    if self.dst.mount_blob(&desc, &from).await? {
                        self.record(&desc, false);
                        return Ok(());
                    }
                }
                let stream = self.src.fetch_stream(&desc).await?;
                self.dst.push_blob_stream(&desc, stream).await?;
                self.record(&desc, false);
                return Ok(());
            }
            let data = self.src.fetch(&desc, MAX_MANIFEST_BYTES).await?;
            let node = parse_node(&desc, &data)?;
            let (manifests, blobs): (Vec<Descriptor>, Vec<Descriptor>) = node
                .children()
                .map(Descriptor::plain)
                .partition(|c| oci::is_manifest_media_type(&c.media_type));
            futures_util::stream::iter(blobs.into_iter().map(|b| self.copy_node(b)))
                .buffer_unordered(self.opts.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await?;
            for m in manifests {
                self.copy_node(m).await?;
            }
            self.dst.push_manifest(&desc, &data, None).await?;
            self.record(&desc, false);
            Ok(())
        }
        .boxed()
    }

    /// Copy the referrers of `desc` and, for an index, of its child manifests.
    fn copy_referrers_of_graph(&'a self, desc: Descriptor) -> BoxFuture<'a, Result<()>> {
        async move {
            self.copy_referrers(desc.clone()).await?;
            if is_index(&desc.media_type) {
                let data = self.src.fetch(&desc, MAX_MANIFEST_BYTES).await?;
                let node = parse_node(&desc, &data)?;
                for child in node.manifests {
                    self.copy_referrers_of_graph(child.plain()).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    /// Copy every referrer of `subject` (with its graph and its own referrers).
    fn copy_referrers(&'a self, subject: Descriptor) -> BoxFuture<'a, Result<()>> {
        async move {
            let referrers = self.src.referrers(&subject, None).await?;
            for r in referrers {
                let r = r.plain();
                let fresh = !self.seen.lock().expect("seen lock").contains(&r.digest);
                if !fresh {
                    continue;
                }
                self.report
                    .lock()
                    .expect("report lock")
                    .referrers
                    .push(r.clone());
                self.copy_node(r.clone()).await?;
                self.copy_referrers(r).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

fn is_index(media_type: &str) -> bool {
    media_type == oci::MEDIA_TYPE_IMAGE_INDEX || media_type == oci::MEDIA_TYPE_DOCKER_MANIFEST_LIST
}

fn parse_node(desc: &Descriptor, data: &[u8]) -> Result<GraphNode> {
    serde_json::from_slice(data).map_err(|e| TargetError::InvalidManifest {
        digest: desc.digest.clone(),
        reason: e.to_string(),
    })
}
