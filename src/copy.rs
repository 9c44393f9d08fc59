//! Copying an artifact graph between targets (layout ↔ registry, any direction), with its
//! referrers when asked: what `oras cp -r` does for notation users.
//!
//! The root's graph (index → manifests → config and layers) is copied children first, so a
//! manifest is only pushed once everything it points to is there; then, recursively, every
//! referrer of the root (and of an index's child manifests) with its own graph; the
//! destination tag is set last. Content already at the destination is skipped, blobs are
//! streamed (read, checked and sent at once, never held whole), and up to
//! [`CopyOptions::concurrency`] blobs move at once, wherever they are in the graph.

use crate::oci::{self, Descriptor, GraphNode};
use crate::target::{
    BlobSource, ByteStream, ContentStore, Pushed, Result, TargetError, TargetWarning,
    MAX_MANIFEST_BYTES,
};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt as _, StreamExt as _, TryStreamExt as _};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// Blobs in flight at once unless told otherwise (as `oras cp`).
pub const DEFAULT_CONCURRENCY: usize = 3;

/// How to copy.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Also copy every referrer (signatures and their referrers).
    pub recursive: bool,
    /// Blobs transferred at once (at least 1).
    pub concurrency: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            recursive: false,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Told how the copy goes (for progress displays). Calls come from several tasks at once
/// and must not block.
pub trait CopyProgress: Send + Sync {
    /// A blob's transfer starts, or starts over from its first byte (a retry).
    fn started(&self, _desc: &Descriptor) {}
    /// `bytes` more of a started blob were read, checked and handed to the destination.
    fn transferred(&self, _desc: &Descriptor, _bytes: u64) {}
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
    src: &'a dyn ContentStore,
    dst: &'a dyn ContentStore,
    opts: &'a CopyOptions,
    progress: Arc<dyn CopyProgress>,
    /// One cell per digest reached: whoever reaches a node first copies it, and everyone
    /// else waits for that copy, so that no manifest is pushed before a blob it shares with
    /// another manifest has landed.
    nodes: Mutex<HashMap<String, Arc<OnceCell<()>>>>,
    /// Permits for blob transfers: at most `concurrency` in flight, wherever in the graph.
    transfers: Semaphore,
    report: Mutex<CopyReport>,
}

/// Copy `root` (resolved in `src`) and its graph to `dst`, then tag it with each of `tags`
/// there.
pub async fn copy(
    src: &dyn ContentStore,
    dst: &dyn ContentStore,
    root: &Descriptor,
    tags: &[String],
    opts: &CopyOptions,
    progress: Arc<dyn CopyProgress>,
) -> Result<CopyReport> {
    if opts.concurrency == 0 {
        return Err(TargetError::InvalidArgument(
            "concurrency must be at least 1".into(),
        ));
    }
    let copier = Copier {
        src,
        dst,
        opts,
        progress,
        nodes: Mutex::new(HashMap::new()),
        transfers: Semaphore::new(opts.concurrency),
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
            let pushed = dst.push_manifest(&root, &data, Some(tag)).await?;
            copier.warn(pushed);
        }
    }
    dst.commit().await?;
    Ok(copier.report.into_inner().expect("report lock"))
}

/// A blob read from the copy's source, its progress reported as it is read.
struct Counted<'a> {
    src: &'a dyn ContentStore,
    desc: &'a Descriptor,
    progress: &'a Arc<dyn CopyProgress>,
}

#[async_trait::async_trait]
impl BlobSource for Counted<'_> {
    /// The source target checks the stream ([`ContentStore::fetch_stream`]'s contract).
    async fn open(&self) -> Result<ByteStream> {
        self.progress.started(self.desc);
        let stream = self.src.fetch_stream(self.desc).await?;
        let (progress, desc) = (self.progress.clone(), self.desc.clone());
        Ok(Box::pin(stream.inspect(move |item| {
            if let Ok(chunk) = item {
                progress.transferred(&desc, chunk.len() as u64);
            }
        })))
    }
}

impl<'a> Copier<'a> {
    /// Whether `digest` has been reached before.
    fn reached(&self, digest: &str) -> bool {
        self.nodes.lock().expect("nodes lock").contains_key(digest)
    }

    /// Keep what the destination said about a push, in the order it happened.
    fn warn(&self, pushed: Pushed) {
        let mut r = self.report.lock().expect("report lock");
        r.warnings.extend(pushed.warnings);
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

    /// Copy one node (a manifest with its children first), or wait for the copy of it that
    /// is already under way.
    fn copy_node(&'a self, desc: Descriptor) -> BoxFuture<'a, Result<()>> {
        async move {
            let cell = self
                .nodes
                .lock()
                .expect("nodes lock")
                .entry(desc.digest.clone())
                .or_default()
                .clone();
            cell.get_or_try_init(|| self.copy_new_node(desc)).await?;
            Ok(())
        }
        .boxed()
    }

    fn copy_new_node(&'a self, desc: Descriptor) -> BoxFuture<'a, Result<()>> {
        async move {
            if self.dst.exists(&desc).await? {
                self.record(&desc, true);
                return Ok(());
            }
            if !oci::is_manifest_media_type(&desc.media_type) {
                return self.copy_blob(&desc).await;
            }
            let data = self.src.fetch(&desc, MAX_MANIFEST_BYTES).await?;
            let node = parse_node(&desc, &data)?;
            // Blobs and child manifests at once; the transfer permits bound the blobs.
            let children: Vec<Descriptor> = node.children().map(Descriptor::plain).collect();
            futures_util::stream::iter(children.into_iter().map(|c| self.copy_node(c)))
                .buffer_unordered(self.opts.concurrency)
                .try_collect::<Vec<()>>()
                .await?;
            let pushed = self.dst.push_manifest(&desc, &data, None).await?;
            self.warn(pushed);
            self.record(&desc, false);
            Ok(())
        }
        .boxed()
    }

    /// Mount the blob if both ends are repositories of one registry, else stream it.
    async fn copy_blob(&self, desc: &Descriptor) -> Result<()> {
        let _permit = self
            .transfers
            .acquire()
            .await
            .expect("the transfer semaphore is never closed");
        if let Some(from) = self.src.mount_source() {
            if self.dst.mount_blob(desc, &from).await? {
                self.record(desc, false);
                return Ok(());
            }
        }
        let source = Counted {
            src: self.src,
            desc,
            progress: &self.progress,
        };
        self.dst
            .push_blob_from(desc, &source)
            .await
            .map_err(|e| TargetError::Transfer {
                digest: desc.digest.clone(),
                source: Box::new(e),
            })?;
        self.record(desc, false);
        Ok(())
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
                if self.reached(&r.digest) {
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

#[cfg(test)]
mod tests;
