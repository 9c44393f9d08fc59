//! Where artifacts and their signatures live.
//!
//! Two levels: [`ContentStore`] is a store of OCI content (blobs, manifests, referrers),
//! what `copy` needs; [`Target`] is what the signer and verifier need (resolve, list, fetch
//! and push signatures), implemented once for every content store in [`signature`].
//! [`layout`] implements [`ContentStore`] for OCI image layouts on disk (directories and tar
//! files) and [`registry`] for OCI distribution registries.

mod check;
pub mod layout;
#[cfg(test)]
pub(crate) mod memory;
pub mod prefetch;
pub mod registry;
pub mod signature;

pub use check::verified_stream;
pub(crate) use check::{check_content, check_length, checked_descriptor, digest_of, ContentCheck};

pub use signature::{FetchedSignature, NewSignature, Target};

use crate::oci::Descriptor;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use std::pin::Pin;

/// A blob read or written in chunks, so that layers never sit in memory whole.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// Something a target operation wants the user to know without failing, e.g. that a
/// dangling referrers index could not be deleted. The CLI prints these as `Warning: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetWarning {
    /// The previous `sha256-<hex>` referrers index could not be deleted after the new one
    /// was pushed (registries with deletes disabled). The signature is in place.
    ReferrersIndexNotDeleted {
        /// Digest of the outdated index.
        index: String,
        /// Why the DELETE failed.
        reason: String,
    },
}

impl std::fmt::Display for TargetWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetWarning::ReferrersIndexNotDeleted { .. } => f.write_str(
                "Removal of outdated referrers index from remote registry failed. Garbage collection may be required.",
            ),
        }
    }
}

/// Largest manifest notation reads (signature manifests, referrers indexes).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Largest signature envelope notation reads.
pub(crate) const MAX_SIGNATURE_BLOB_BYTES: u64 = 32 * 1024 * 1024;

/// Errors of any target. The `Display` texts follow notation's where users (and scripts)
/// see them, e.g. `not found` and `mismatched digest`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// A tag, digest, blob or manifest does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Content read does not hash to the digest it was addressed by.
    #[error("mismatched digest")]
    DigestMismatch {
        /// The digest asked for.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },
    /// Content is larger than allowed or than its descriptor says.
    #[error("{what} too large: {size} bytes")]
    TooLarge {
        /// What it is (`signature manifest`, `signature blob`, …).
        what: &'static str,
        /// Its size (declared, or read so far).
        size: u64,
    },
    /// Content size differs from its descriptor. Shown as oras-go's `content.ReadAll` shows
    /// it: `trailing data` when there is more, `read failed: expected content size of …`
    /// when there is less.
    #[error("{}", size_mismatch_text(*.expected, *.actual, .digest))]
    SizeMismatch {
        /// The descriptor's size.
        expected: i64,
        /// The bytes read.
        actual: u64,
        /// The descriptor's digest.
        digest: String,
    },
    /// A descriptor with a negative size (oras-go `content.ErrInvalidDescriptorSize`).
    #[error("invalid descriptor size")]
    InvalidSize {
        /// The descriptor's digest.
        digest: String,
    },
    /// A descriptor whose digest is malformed or of an unknown algorithm. Such a digest is
    /// never turned into a path or URL. Text of oras-go's OCI storage.
    #[error("{digest}: {media_type}: invalid digest")]
    InvalidDigest {
        /// The digest as given.
        digest: String,
        /// The descriptor's media type.
        media_type: String,
    },
    /// An OCI layout whose `index.json`, or a manifest or index reachable from it, fails a
    /// check when the layout is opened (oras-go `oci.Store`'s wrapping text).
    #[error("invalid OCI Image Index: {0}")]
    InvalidIndex(Box<TargetError>),
    /// The layout on disk is not a valid OCI image layout.
    #[error("{0}")]
    InvalidLayout(String),
    /// A manifest or index could not be decoded.
    #[error("invalid manifest {digest}: {reason}")]
    InvalidManifest {
        /// The manifest (or the URL it was read from).
        digest: String,
        /// The decoding error.
        reason: String,
    },
    /// The caller passed something this target cannot take.
    #[error("{0}")]
    InvalidArgument(String),
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A registry request failed. `Display` shows `message`, in oras-go's words; the other
    /// fields are for programs to match on.
    #[error("{message}")]
    Registry {
        /// The URL of the request, when there was one.
        url: Option<String>,
        /// The HTTP status of the answer, when the registry answered with an error status.
        status: Option<u16>,
        /// The first distribution-spec error code of the answer (e.g. `NAME_UNKNOWN`).
        code: Option<String>,
        /// The whole text.
        message: String,
    },
    /// Authentication failed or credentials are missing.
    #[error("{0}")]
    Auth(String),
    /// Moving one blob between targets failed; names the blob, since the cause (e.g.
    /// `mismatched digest`, in oras' words) does not.
    #[error("{digest}: {source}")]
    Transfer {
        /// The blob.
        digest: String,
        /// Why it could not be moved.
        #[source]
        source: Box<TargetError>,
    },
}

/// oras-go's words for content whose length differs from its descriptor's size.
fn size_mismatch_text(expected: i64, actual: u64, digest: &str) -> String {
    if expected >= 0 && actual > expected as u64 {
        "trailing data".to_string()
    } else {
        format!(
            "read failed: expected content size of {expected}, got {actual}, for digest {digest}: unexpected EOF"
        )
    }
}

impl TargetError {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> TargetError {
        TargetError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A registry exchange (with `url`, when there was one) failed without an error status:
    /// `message` says how.
    pub(crate) fn registry(url: Option<&str>, message: String) -> TargetError {
        TargetError::Registry {
            url: url.map(str::to_string),
            status: None,
            code: None,
            message,
        }
    }

    /// Whether this is a "does not exist" error.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TargetError::NotFound(_))
    }
}

/// Result alias for target operations.
pub type Result<T> = std::result::Result<T, TargetError>;

/// A blob for [`ContentStore::push_manifest_with_blobs`].
pub struct NewBlob<'a> {
    /// What the blob is.
    pub desc: &'a Descriptor,
    /// Its bytes.
    pub data: &'a [u8],
    /// Ask the store first and push only if it lacks the blob (as Go notation does for the
    /// signature's `{}` config), instead of pushing it regardless.
    pub if_absent: bool,
}

/// How a pushed manifest with a `subject` was made findable as a referrer of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Indexing {
    /// The registry indexes it itself (it answered the push with `OCI-Subject`).
    ReferrersApi,
    /// Listed in the subject's `sha256-<hex>` referrers index tag.
    TagSchema {
        /// The index's tag.
        tag: String,
        /// Because `--force-referrers-tag` asked for it, not because the registry lacks the
        /// referrers API.
        forced: bool,
    },
    /// Listed in the layout's `index.json`.
    LayoutIndex,
}

/// In words for logs and `sign -o json` (e.g. `the referrers tag schema (tag sha256-…)`).
impl std::fmt::Display for Indexing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Indexing::ReferrersApi => {
                f.write_str("the registry's referrers API (it answered OCI-Subject)")
            }
            Indexing::TagSchema { tag, forced: true } => write!(
                f,
                "the referrers tag schema (tag {tag}; --force-referrers-tag)"
            ),
            Indexing::TagSchema { tag, forced: false } => write!(
                f,
                "the referrers tag schema (tag {tag}; the registry did not answer OCI-Subject)"
            ),
            Indexing::LayoutIndex => f.write_str("an entry in the layout's index.json"),
        }
    }
}

/// What storing a manifest did besides storing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// How the manifest was made findable as a referrer; `None` when it has no `subject`.
    pub indexed_by: Option<Indexing>,
    /// What the user should know although the push succeeded, in the order it happened.
    pub warnings: Vec<TargetWarning>,
}

/// One store of OCI content: an image layout or a registry repository. What `copy` needs;
/// the signer and verifier use the signature-level [`Target`] built on it.
///
/// Every read checks the content against the digest (and size) of the descriptor it was
/// asked for. Writes become visible atomically; implementations that need to batch writes
/// (a tar layout) do so until [`ContentStore::commit`].
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Resolve a tag or a digest string to the manifest descriptor (mediaType, digest, size).
    async fn resolve(&self, reference: &str) -> Result<Descriptor>;

    /// Read a manifest or blob in full, at most `max_size` bytes, digest-checked.
    async fn fetch(&self, desc: &Descriptor, max_size: u64) -> Result<Vec<u8>>;

    /// Whether the content exists.
    async fn exists(&self, desc: &Descriptor) -> Result<bool>;

    /// Store a blob (config, layer, envelope). Existing content is left alone.
    async fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()>;

    /// Store a manifest or index by digest, and make it findable: a layout lists it in
    /// `index.json` (tagged if `tag` is given); a registry maintains the referrers tag
    /// schema for manifests with a `subject` when asked to.
    async fn push_manifest(
        &self,
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed>;

    /// Store `blobs`, then the manifest `desc` that names them: by default, in order,
    /// [`ContentStore::push_blob`] for each (after [`ContentStore::exists`] for those pushed
    /// only if absent), then [`ContentStore::push_manifest`]. A layout directory overrides
    /// it to make all the new files durable at once.
    async fn push_manifest_with_blobs(
        &self,
        blobs: &[NewBlob<'_>],
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed> {
        push_in_order(self, blobs, desc, data, tag).await
    }

    /// Every manifest whose `subject` is `subject`, optionally only those of
    /// `artifact_type`, in the order the store reports them (`notation copy -r` copies
    /// whatever this returns).
    async fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>>;

    /// [`ContentStore::referrers`] as the store serves them, page by page, for callers
    /// that may stop early. The default is one page.
    fn referrer_pages<'a>(
        &'a self,
        subject: &'a Descriptor,
        artifact_type: Option<&'a str>,
    ) -> Box<dyn SignaturePages + 'a> {
        Box::new(OnePage {
            store: self,
            subject,
            artifact_type,
            done: false,
        })
    }

    /// Make pushed content durable and visible. A no-op for stores that write through.
    async fn commit(&self) -> Result<()> {
        Ok(())
    }

    /// Read a blob as a stream of chunks; the stream fails at the end if the content does
    /// not match the descriptor's digest and size. The default reads it whole.
    async fn fetch_stream(&self, desc: &Descriptor) -> Result<ByteStream> {
        let data = self.fetch(desc, desc.size.max(0) as u64).await?;
        Ok(Box::pin(futures_util::stream::once(async move {
            Ok(Bytes::from(data))
        })))
    }

    /// Store a blob from a stream (existing content is left alone). The default collects
    /// the stream and calls [`ContentStore::push_blob`].
    async fn push_blob_stream(&self, desc: &Descriptor, mut stream: ByteStream) -> Result<()> {
        // The size is the sender's claim: reserve no more than a manifest's worth up front.
        let mut data = Vec::with_capacity(desc.size.clamp(0, MAX_MANIFEST_BYTES as i64) as usize);
        while let Some(chunk) = stream.next().await {
            data.extend_from_slice(&chunk?);
        }
        self.push_blob(desc, &data).await
    }

    /// Store the blob `desc` read from `source`, which may be opened more than once (a
    /// registry that refuses one way of uploading is sent the blob again another way). The
    /// caller has checked that the blob is absent; storing it again is harmless. The default
    /// streams one opening through [`ContentStore::push_blob_stream`].
    async fn push_blob_from(&self, desc: &Descriptor, source: &dyn BlobSource) -> Result<()> {
        self.push_blob_stream(desc, source.open().await?).await
    }

    /// Remove `referrer` (a manifest listed among the referrers of `subject`, e.g. a
    /// signature) so that it is no longer found; returns what the user should know although
    /// it was removed. Not every store can.
    async fn delete_referrer(
        &self,
        _subject: &Descriptor,
        _referrer: &Descriptor,
    ) -> Result<Vec<TargetWarning>> {
        Err(TargetError::InvalidArgument(
            "deleting referrers is not supported by this target".into(),
        ))
    }

    /// How many signature fetches to keep in flight at once (see [`prefetch::Prefetch`]).
    /// 1 for stores where a fetch is a local read that waiting in parallel cannot speed up.
    fn fetch_concurrency(&self) -> usize {
        1
    }

    /// Where this store's blobs live, for a copy destination on the same registry that can
    /// mount them instead of receiving them: `(registry, repository)`. `None` for layouts.
    fn mount_source(&self) -> Option<(String, String)> {
        None
    }

    /// Link `desc` from `from` (a [`ContentStore::mount_source`]) without transferring it.
    /// `Ok(false)` when this store cannot (another registry, or the registry declined): the
    /// caller then copies the blob.
    async fn mount_blob(&self, _desc: &Descriptor, _from: &(String, String)) -> Result<bool> {
        Ok(false)
    }
}

/// What [`ContentStore::push_manifest_with_blobs`] does by default: each blob (those pushed
/// only if absent after [`ContentStore::exists`]), then the manifest.
pub(crate) async fn push_in_order<T: ContentStore + ?Sized>(
    store: &T,
    blobs: &[NewBlob<'_>],
    desc: &Descriptor,
    data: &[u8],
    tag: Option<&str>,
) -> Result<Pushed> {
    for blob in blobs {
        if blob.if_absent && store.exists(blob.desc).await? {
            continue;
        }
        store.push_blob(blob.desc, blob.data).await?;
    }
    store.push_manifest(desc, data, tag).await
}

/// Referrer descriptors (signatures, for [`Target::signature_pages`]) read page by page (Go
/// notation's `ListSignatures` callback): a caller that has seen enough (`verify` after a
/// good signature, `list` past its limit) stops before the remaining pages are fetched.
#[async_trait]
pub trait SignaturePages: Send {
    /// The next page, in the store's order; `None` after the last.
    async fn next_page(&mut self) -> Result<Option<Vec<Descriptor>>>;

    /// Pages until more than `max` signatures are known, or all are: what a caller that shows
    /// at most `max` needs to tell whether there are more (Go's listSignatures stops at
    /// signature `max` + 1).
    async fn beyond(&mut self, max: usize) -> Result<Vec<Descriptor>> {
        let mut signatures = Vec::new();
        while signatures.len() <= max {
            match self.next_page().await? {
                Some(page) => signatures.extend(page),
                None => break,
            }
        }
        Ok(signatures)
    }
}

/// All of [`ContentStore::referrers`] as a single page.
struct OnePage<'a, T: ?Sized> {
    store: &'a T,
    subject: &'a Descriptor,
    artifact_type: Option<&'a str>,
    done: bool,
}

#[async_trait]
impl<T: ContentStore + ?Sized> SignaturePages for OnePage<'_, T> {
    async fn next_page(&mut self) -> Result<Option<Vec<Descriptor>>> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        self.store
            .referrers(self.subject, self.artifact_type)
            .await
            .map(Some)
    }
}

/// A blob to copy, readable from its first byte as often as needed.
#[async_trait]
pub trait BlobSource: Send + Sync {
    /// A fresh stream of the whole blob. It must be checked as [`verified_stream`] checks:
    /// the chunk that completes the content is only yielded once size and digest match, so a
    /// consumer that has seen every byte has seen checked content.
    async fn open(&self) -> Result<ByteStream>;
}
