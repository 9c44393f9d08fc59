//! OCI image layouts on disk: directories (`dir`) and tar archives (`tar`).
//!
//! Both share the read side (resolving references, fetching verified content, finding
//! signatures by walking the manifests reachable from `index.json`) and the rules for adding
//! an entry to `index.json`; they differ only in how bytes are stored and made durable.
//!
//! Differences from upstream (oras-go `oci.Store`), on purpose:
//! * opening never writes: a directory without `index.json` is rejected instead of being
//!   turned into an empty layout;
//! * a digest that is only present under `blobs/` resolves with the media type the manifest
//!   declares, never `application/octet-stream`;
//! * signatures come back in `index.json` order, not in hash-map order;
//! * `index.json` is replaced atomically under an exclusive lock, so concurrent signers do
//!   not lose entries;
//! * tar (and gzip tar) layouts are supported.

mod dir;
mod stream;
mod tar;

use super::{
    check_content, check_length, checked_descriptor, digest_of, BlobSource, ByteStream,
    ContentStore, Indexing, NewBlob, Pushed, Result, TargetError, TargetWarning,
    MAX_MANIFEST_BYTES,
};
use crate::go::fmt::GoQuoted;
use crate::oci::{
    self, Descriptor, Digest, GraphNode, Index, ANNOTATION_REF_NAME, ARTIFACT_TYPE_NOTATION,
    MEDIA_TYPE_ARTIFACT_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_IMAGE_INDEX, MEDIA_TYPE_IMAGE_MANIFEST,
};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The only image layout version there is.
const IMAGE_LAYOUT_VERSION: &str = "1.0.0";
/// Largest `index.json` / `oci-layout` read, from a directory or an archive: they are not
/// content-addressed, so only a limit bounds them.
const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// An OCI image layout, as a directory or a tar archive (optionally gzip-compressed).
pub struct Layout {
    path: PathBuf,
    store: Store,
}

enum Store {
    Dir(Box<dir::DirStore>),
    Tar(Box<tar::TarStore>),
}

/// What the shared read logic needs from a store.
trait Storage {
    /// A snapshot of the current `index.json` (including pending, uncommitted entries).
    fn index(&self) -> Arc<Index>;
    /// The stored size of a blob, `None` if it is absent.
    fn blob_len(&self, digest: &Digest) -> Result<Option<u64>>;
    /// The stored bytes of a blob (not verified), `None` if it is absent. `accept` sees the
    /// stored length before any byte is read, and its error is returned as is; no more
    /// than that length is read.
    fn read_blob(
        &self,
        digest: &Digest,
        accept: &dyn Fn(u64) -> Result<()>,
    ) -> Result<Option<Vec<u8>>>;
}

impl Layout {
    /// Open the layout at `path`: a directory, or a regular file holding a (gzip) tar of one.
    /// Nothing is written. A missing path fails with `stat <path>: no such file or directory`.
    ///
    /// Like oras-go's OCI store, opening checks every `index.json` entry and every manifest
    /// and index reachable from it against its digest and size (layers and configs are not
    /// read), so that nothing later trusts a descriptor whose content was altered.
    pub fn open(path: &Path) -> Result<Layout> {
        let meta = std::fs::metadata(path).map_err(|e| stat_error(path, e))?;
        let store = if meta.is_dir() {
            Store::Dir(Box::new(dir::DirStore::open(path)?))
        } else if meta.is_file() {
            Store::Tar(Box::new(tar::TarStore::open(path)?))
        } else {
            return Err(TargetError::InvalidLayout(format!(
                "{}: not a directory or a tar file",
                path.display()
            )));
        };
        let layout = Layout {
            path: path.to_path_buf(),
            store,
        };
        check_index(layout.storage())?;
        Ok(layout)
    }

    /// Create a new, empty layout at `path` and open it: a tar archive when the name ends
    /// in `.tar` (gzip-compressed for `.tar.gz` / `.tgz`), else a directory. Fails if `path`
    /// exists.
    pub fn create(path: &Path) -> Result<Layout> {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(TargetError::io(
                path,
                std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            ));
        }
        let name = path.to_string_lossy();
        if name.ends_with(".tar") {
            tar::create_empty(path, false)?;
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            tar::create_empty(path, true)?;
        } else {
            dir::create_empty(path)?;
        }
        Layout::open(path)
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this layout is a tar archive (whose writes wait for [`ContentStore::commit`]).
    #[cfg(test)]
    pub(crate) fn is_tar(&self) -> bool {
        matches!(self.store, Store::Tar(_))
    }

    fn storage(&self) -> &dyn Storage {
        match &self.store {
            Store::Dir(s) => s.as_ref(),
            Store::Tar(s) => s.as_ref(),
        }
    }
}

/// Go's `os.Stat` error text, which notation shows for a missing layout path.
fn stat_error(path: &Path, e: std::io::Error) -> TargetError {
    TargetError::InvalidLayout(crate::go::os::path_error("stat", path, &e))
}

#[async_trait::async_trait]
impl ContentStore for Layout {
    async fn resolve(&self, reference: &str) -> Result<Descriptor> {
        resolve(self.storage(), reference)
    }

    async fn fetch(&self, desc: &Descriptor, max_size: u64) -> Result<Vec<u8>> {
        fetch(self.storage(), desc, max_size)
    }

    async fn exists(&self, desc: &Descriptor) -> Result<bool> {
        let digest = digest_of(desc)?;
        Ok(self.storage().blob_len(&digest)?.is_some())
    }

    async fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()> {
        check_content(desc, data)?;
        match &self.store {
            Store::Dir(s) => s.push_blob(desc, data),
            Store::Tar(s) => s.push_blob(desc, data),
        }
    }

    async fn push_manifest(
        &self,
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed> {
        self.push_manifest_with_blobs(&[], desc, data, tag).await
    }

    async fn push_manifest_with_blobs(
        &self,
        blobs: &[NewBlob<'_>],
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed> {
        for blob in blobs {
            check_content(blob.desc, blob.data)?;
        }
        check_content(desc, data)?;
        let entry = index_entry(desc, data, tag);
        match &self.store {
            Store::Dir(s) => s.push_manifest(blobs, desc, data, entry, tag)?,
            Store::Tar(s) => {
                for blob in blobs {
                    s.push_blob(blob.desc, blob.data)?;
                }
                s.push_manifest(desc, data, entry, tag)?
            }
        }
        let node: Option<GraphNode> = serde_json::from_slice(data).ok();
        Ok(Pushed {
            indexed_by: node.and_then(|n| n.subject).map(|_| Indexing::LayoutIndex),
            warnings: Vec::new(),
        })
    }

    /// The layout knows only signatures as referrers: what a layout-to-registry copy takes
    /// along.
    async fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        match artifact_type {
            None | Some(ARTIFACT_TYPE_NOTATION) => signatures(self.storage(), subject),
            Some(_) => Ok(Vec::new()),
        }
    }

    async fn delete_referrer(
        &self,
        _subject: &Descriptor,
        referrer: &Descriptor,
    ) -> Result<Vec<TargetWarning>> {
        let digest = digest_of(referrer)?;
        match &self.store {
            Store::Dir(s) => {
                // Which blobs go with it is read from the checked manifest, before anything
                // is removed: altered content must not decide what gets deleted.
                let layers = match read_node(self.storage(), referrer) {
                    Ok(node) => node.layers,
                    Err(e) if e.is_not_found() => Vec::new(),
                    Err(e) => return Err(e),
                };
                s.delete_manifest(&digest, &layers)?;
                Ok(Vec::new())
            }
            Store::Tar(_) => Err(TargetError::InvalidArgument(format!(
                "{}: deleting from a tar layout is not supported; extract it, delete, and pack it again",
                self.path.display()
            ))),
        }
    }

    /// Streams from the file (or the tar entry) in place, checked against `desc` as it goes
    /// (on the reading thread).
    async fn fetch_stream(&self, desc: &Descriptor) -> Result<ByteStream> {
        let (digest, _) = checked_descriptor(desc)?;
        let opened = match &self.store {
            Store::Dir(s) => s.open_blob(&digest)?,
            Store::Tar(s) => s.open_blob(&digest)?,
        };
        let Some((reader, _len)) = opened else {
            return Err(not_found());
        };
        let source = self
            .path
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex());
        let check = crate::target::ContentCheck::new(desc)?;
        Ok(stream::read_stream(reader, source, Some(check)))
    }

    /// Writes the stream to a temp file as it arrives; it lands only if it matches `desc`.
    async fn push_blob_stream(&self, desc: &Descriptor, stream: ByteStream) -> Result<()> {
        let digest = digest_of(desc)?;
        let checked = crate::target::verified_stream(desc, stream)?;
        match &self.store {
            Store::Dir(s) => s.push_blob_stream(&digest, checked).await,
            Store::Tar(s) => s.push_blob_stream(&digest, checked).await,
        }
    }

    /// As [`ContentStore::push_blob_stream`], without hashing again what the source checks (the
    /// [`BlobSource`] contract).
    async fn push_blob_from(&self, desc: &Descriptor, source: &dyn BlobSource) -> Result<()> {
        let digest = digest_of(desc)?;
        let stream = source.open().await?;
        match &self.store {
            Store::Dir(s) => s.push_blob_stream(&digest, stream).await,
            Store::Tar(s) => s.push_blob_stream(&digest, stream).await,
        }
    }

    async fn commit(&self) -> Result<()> {
        match &self.store {
            Store::Dir(_) => Ok(()),
            Store::Tar(s) => s.commit(),
        }
    }
}

fn parse_digest(digest: &str) -> Result<Digest> {
    Digest::parse(digest).map_err(|e| {
        TargetError::InvalidArgument(format!("invalid digest {}: {e}", GoQuoted(&digest)))
    })
}

fn not_found() -> TargetError {
    TargetError::NotFound("not found".into())
}

/// Check the `oci-layout` file's content: it must declare version 1.0.0.
fn check_oci_layout(data: &[u8]) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct OciLayout {
        #[serde(rename = "imageLayoutVersion", default)]
        version: String,
    }
    let layout: OciLayout = serde_json::from_slice(data).map_err(|e| {
        TargetError::InvalidLayout(format!(
            "invalid OCI Image Layout: failed to decode oci-layout: {e}"
        ))
    })?;
    if layout.version != IMAGE_LAYOUT_VERSION {
        return Err(TargetError::InvalidLayout(
            "invalid OCI Image Layout: unsupported version".into(),
        ));
    }
    Ok(())
}

/// Decode `index.json`; `location` names it in errors.
fn parse_index(data: &[u8], location: &str) -> Result<Index> {
    serde_json::from_slice(data).map_err(|e| {
        TargetError::InvalidLayout(format!(
            "invalid OCI Image Layout: failed to decode {location}: {e}"
        ))
    })
}

/// The error for a layout without `index.json` (upstream would silently create one).
fn missing_index(location: &str) -> TargetError {
    TargetError::InvalidLayout(format!(
        "invalid OCI Image Layout: {location} not found (is this an OCI image layout?)"
    ))
}

/// Encode `index.json` as oras does: compact Go JSON of image-spec's `Index`.
fn encode_index(index: &Index) -> Result<Vec<u8>> {
    crate::go::json::to_vec(index)
        .map_err(|e| TargetError::InvalidArgument(format!("cannot encode index.json: {e}")))
}

fn resolve(storage: &dyn Storage, reference: &str) -> Result<Descriptor> {
    let index = storage.index();
    // A repeated tag resolves to its last entry, as oras' tag map does.
    if let Some(entry) = index
        .manifests
        .iter()
        .rev()
        .find(|m| m.annotation(ANNOTATION_REF_NAME) == Some(reference))
    {
        // A tag resolves to its whole index.json entry (annotations included), a digest to
        // the plain descriptor, as oras-go's OCI store does; notation logs the former.
        return Ok(entry.clone());
    }
    let Ok(digest) = Digest::parse(reference) else {
        return Err(not_found());
    };
    if let Some(entry) = index.manifests.iter().find(|m| m.digest == reference) {
        return Ok(entry.plain());
    }
    resolve_blob(storage, &digest)
}

/// Resolve a digest present only under `blobs/` from the media type the manifest declares.
fn resolve_blob(storage: &dyn Storage, digest: &Digest) -> Result<Descriptor> {
    let not_manifest = || TargetError::InvalidManifest {
        digest: digest.to_string(),
        reason: "content is not an OCI or Docker manifest".into(),
    };
    let accept = |len| match len {
        0..=MAX_MANIFEST_BYTES => Ok(()),
        _ => Err(not_manifest()),
    };
    let data = storage.read_blob(digest, &accept)?.ok_or_else(not_found)?;
    let desc = Descriptor {
        digest: digest.to_string(),
        size: data.len() as i64,
        ..Default::default()
    };
    check_content(&desc, &data)?;
    let node: GraphNode = serde_json::from_slice(&data).map_err(|_| not_manifest())?;
    match node.media_type {
        Some(media_type) if oci::is_manifest_media_type(&media_type) => {
            Ok(Descriptor { media_type, ..desc })
        }
        _ => Err(not_manifest()),
    }
}

/// Read the content `desc` names, at most `max_size` bytes, checked against its digest and
/// size. Nothing is read unless the digest is valid (it becomes a path only then) and the
/// stored length is the descriptor's size.
fn fetch(storage: &dyn Storage, desc: &Descriptor, max_size: u64) -> Result<Vec<u8>> {
    let (digest, size) = checked_descriptor(desc)?;
    let not_found =
        || TargetError::NotFound(format!("{}: {}: not found", desc.digest, desc.media_type));
    let accept = |len| {
        check_length(desc, size, len)?;
        if size > max_size {
            return Err(TargetError::TooLarge {
                what: "content",
                size,
            });
        }
        Ok(())
    };
    let data = storage.read_blob(&digest, &accept)?.ok_or_else(not_found)?;
    check_content(desc, &data)?;
    Ok(data)
}

/// Read and decode the manifest or index `desc` names, checked as [`fetch`] checks.
fn read_node(storage: &dyn Storage, desc: &Descriptor) -> Result<GraphNode> {
    let data = fetch(storage, desc, MAX_MANIFEST_BYTES).map_err(|e| match e {
        TargetError::TooLarge { size, .. } => TargetError::InvalidManifest {
            digest: desc.digest.clone(),
            reason: format!("{size} bytes, more than the {MAX_MANIFEST_BYTES} a manifest may have"),
        },
        e => e,
    })?;
    serde_json::from_slice(&data).map_err(|e| TargetError::InvalidManifest {
        digest: desc.digest.clone(),
        reason: e.to_string(),
    })
}

/// What oras-go's OCI store checks when it opens a layout (`loadIndex` → `graph.IndexAll`):
/// each `index.json` entry, then every manifest and index reachable from one. Failures read
/// `invalid OCI Image Index: <reason>`.
fn check_index(storage: &dyn Storage) -> Result<()> {
    let index = storage.index();
    let checked = index
        .manifests
        .iter()
        .try_for_each(|entry| checked_descriptor(entry).map(drop))
        .and_then(|()| check_graph(storage, &index.manifests));
    checked.map_err(|e| TargetError::InvalidIndex(Box::new(e)))
}

/// Read and check every manifest and index reachable from `roots` through the edges oras-go
/// follows (`content.Successors`). Only manifest media types are read, so layers and configs
/// never are; missing content is tolerated, as upstream does. Iterative, so that a deep chain
/// of nested indexes cannot exhaust the stack.
fn check_graph(storage: &dyn Storage, roots: &[Descriptor]) -> Result<()> {
    let mut seen = HashSet::new();
    let mut pending: Vec<Descriptor> = roots.iter().rev().map(Descriptor::plain).collect();
    while let Some(desc) = pending.pop() {
        let key = (desc.media_type.clone(), desc.digest.clone(), desc.size);
        if !oci::is_manifest_media_type(&desc.media_type) || !seen.insert(key) {
            continue;
        }
        let node = match read_node(storage, &desc) {
            Ok(node) => node,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let children = successors(&desc.media_type, node);
        pending.extend(
            children
                .into_iter()
                .rev()
                .filter(|c| oci::is_manifest_media_type(&c.media_type)),
        );
    }
    Ok(())
}

/// The descriptors a manifest or index points to, by its media type, as oras-go's
/// `content.Successors` reads them (a Docker manifest has no subject).
fn successors(media_type: &str, node: GraphNode) -> Vec<Descriptor> {
    let GraphNode {
        config,
        layers,
        manifests,
        blobs,
        subject,
        ..
    } = node;
    match media_type {
        MEDIA_TYPE_DOCKER_MANIFEST => config.into_iter().chain(layers).collect(),
        MEDIA_TYPE_IMAGE_MANIFEST => subject.into_iter().chain(config).chain(layers).collect(),
        MEDIA_TYPE_DOCKER_MANIFEST_LIST => manifests,
        MEDIA_TYPE_IMAGE_INDEX => subject.into_iter().chain(manifests).collect(),
        MEDIA_TYPE_ARTIFACT_MANIFEST => subject.into_iter().chain(blobs).collect(),
        _ => Vec::new(),
    }
}

/// Every Notary Project signature manifest reachable from `index.json` whose subject is
/// `subject`, in the order they are reached (depth first, `index.json` order, children
/// before their index). Missing manifests are skipped, as upstream tolerates them; content
/// that fails its digest or size check is an error.
fn signatures(storage: &dyn Storage, subject: &Descriptor) -> Result<Vec<Descriptor>> {
    /// Visit a descriptor, or report a visited one once its children are done.
    enum Step {
        Visit(Descriptor),
        Report(Descriptor, Box<GraphNode>),
    }
    let index = storage.index();
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut steps: Vec<Step> = index
        .manifests
        .iter()
        .rev()
        .cloned()
        .map(Step::Visit)
        .collect();
    while let Some(step) = steps.pop() {
        match step {
            Step::Visit(desc) => {
                if !oci::is_manifest_media_type(&desc.media_type)
                    || !seen.insert(desc.digest.clone())
                {
                    continue;
                }
                let node = match read_node(storage, &desc) {
                    Ok(node) => node,
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e),
                };
                let children: Vec<Descriptor> = node.manifests.clone();
                steps.push(Step::Report(desc, Box::new(node)));
                steps.extend(children.into_iter().rev().map(Step::Visit));
            }
            Step::Report(desc, node) => {
                let refers = node
                    .subject
                    .as_ref()
                    .is_some_and(|s| s.same_content(subject));
                if refers && super::signature::is_signature_manifest(&desc.media_type, &node) {
                    found.push(Descriptor {
                        media_type: desc.media_type.clone(),
                        digest: desc.digest.clone(),
                        size: desc.size,
                        annotations: node.annotations.clone(),
                        artifact_type: Some(ARTIFACT_TYPE_NOTATION.to_string()),
                        ..Default::default()
                    });
                }
            }
        }
    }
    Ok(found)
}

/// The `index.json` entry for a pushed manifest: its descriptor with the annotations the
/// caller gave (else the manifest's own), tagged if `tag` is given, never an artifactType.
fn index_entry(desc: &Descriptor, data: &[u8], tag: Option<&str>) -> Descriptor {
    let mut entry = desc.plain();
    let mut annotations = desc.annotations.clone().or_else(|| {
        serde_json::from_slice::<GraphNode>(data)
            .ok()
            .and_then(|n| n.annotations)
    });
    match tag {
        Some(t) => {
            annotations
                .get_or_insert_with(Default::default)
                .insert(ANNOTATION_REF_NAME.into(), t.into());
        }
        None => {
            if let Some(a) = annotations.as_mut() {
                a.remove(ANNOTATION_REF_NAME);
            }
        }
    }
    entry.annotations = annotations.filter(|a| !a.is_empty());
    entry
}

/// Add `entry` to `index`, following oras' rules: a digest is listed untagged only if it is
/// not listed at all; a tag names one digest (moving it untags the old entry). Existing
/// entries keep their order; new ones are appended. Returns whether anything changed.
fn add_entry(index: &mut Index, entry: Descriptor, tag: Option<&str>) -> bool {
    let ref_name = |m: &Descriptor| m.annotation(ANNOTATION_REF_NAME).map(str::to_owned);
    let Some(tag) = tag else {
        if index.manifests.iter().any(|m| m.digest == entry.digest) {
            return false;
        }
        index.manifests.push(entry);
        return true;
    };
    if index
        .manifests
        .iter()
        .any(|m| m.digest == entry.digest && ref_name(m).as_deref() == Some(tag))
    {
        return false;
    }
    // Move the tag: the old entry becomes untagged, or disappears if its digest is listed elsewhere.
    let mut i = 0;
    while i < index.manifests.len() {
        if ref_name(&index.manifests[i]).as_deref() == Some(tag) {
            let digest = index.manifests[i].digest.clone();
            let listed_elsewhere = index
                .manifests
                .iter()
                .enumerate()
                .any(|(j, m)| j != i && m.digest == digest);
            if listed_elsewhere {
                index.manifests.remove(i);
                continue;
            }
            let m = &mut index.manifests[i];
            if let Some(a) = m.annotations.as_mut() {
                a.remove(ANNOTATION_REF_NAME);
            }
            if m.annotations.as_ref().is_some_and(|a| a.is_empty()) {
                m.annotations = None;
            }
        }
        i += 1;
    }
    let untagged = index
        .manifests
        .iter()
        .position(|m| m.digest == entry.digest && ref_name(m).is_none());
    match untagged {
        Some(i) => index.manifests[i] = entry,
        None => index.manifests.push(entry),
    }
    true
}

/// Take an exclusive lock that serializes writers of one layout. The lock is held on the
/// directory itself (a file would be replaced by the very rename it protects), and released
/// when the returned handle is dropped.
fn lock_dir(dir: &Path) -> Result<File> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    #[cfg(unix)]
    let file = File::open(dir).map_err(|e| TargetError::io(dir, e))?;
    #[cfg(not(unix))]
    let file = {
        let path = dir.join(".notation.lock");
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| TargetError::io(&path, e))?
    };
    file.lock().map_err(|e| TargetError::io(dir, e))?;
    Ok(file)
}

#[cfg(test)]
mod integrity_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tar_tests;
#[cfg(test)]
mod tests;
