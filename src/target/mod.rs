//! Where artifacts and their signatures live.
//!
//! The signer and verifier talk only to the [`Target`] trait; [`layout`] implements it for
//! OCI image layouts on disk (directories and tar files) and [`registry`] for OCI
//! distribution registries.

pub mod layout;
pub mod registry;

use crate::oci::{Descriptor, Digest};
use async_trait::async_trait;

/// Largest manifest notation reads (signature manifests, referrers indexes).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Largest signature envelope notation reads.
pub const MAX_SIGNATURE_BLOB_BYTES: u64 = 32 * 1024 * 1024;

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
    DigestMismatch { expected: String, actual: String },
    /// Content is larger than allowed or than its descriptor says.
    #[error("{what} too large: {size} bytes")]
    TooLarge { what: &'static str, size: u64 },
    /// Content size differs from its descriptor.
    #[error("mismatched size: descriptor says {expected} bytes, content has {actual}")]
    SizeMismatch { expected: i64, actual: u64 },
    /// The layout on disk is not a valid OCI image layout.
    #[error("{0}")]
    InvalidLayout(String),
    /// A manifest or index could not be decoded.
    #[error("invalid manifest {digest}: {reason}")]
    InvalidManifest { digest: String, reason: String },
    /// The caller passed something this target cannot take.
    #[error("{0}")]
    InvalidArgument(String),
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A registry request failed (message already in notation's format).
    #[error("{0}")]
    Registry(String),
    /// Authentication failed or credentials are missing.
    #[error("{0}")]
    Auth(String),
}

impl TargetError {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> TargetError {
        TargetError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// Whether this is a "does not exist" error.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TargetError::NotFound(_))
    }
}

/// Result alias for target operations.
pub type Result<T> = std::result::Result<T, TargetError>;

/// One store of OCI content: an image layout or a registry repository.
///
/// Every read checks the content against the digest (and size) of the descriptor it was
/// asked for. Writes become visible atomically; implementations that need to batch writes
/// (a tar layout) do so until [`Target::commit`].
#[async_trait]
pub trait Target: Send + Sync {
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
    async fn push_manifest(&self, desc: &Descriptor, data: &[u8], tag: Option<&str>) -> Result<()>;

    /// Descriptors of the Notary Project signature manifests whose `subject` is `subject`,
    /// in the order the store reports them.
    async fn signatures(&self, subject: &Descriptor) -> Result<Vec<Descriptor>>;

    /// Make pushed content durable and visible. A no-op for stores that write through.
    async fn commit(&self) -> Result<()> {
        Ok(())
    }
}

/// Fetch `desc` from `target` and check that it is what it claims to be. Shared helper for
/// implementations: verifies size and digest of bytes already read.
pub fn check_content(desc: &Descriptor, data: &[u8]) -> Result<()> {
    if desc.size >= 0 && data.len() as u64 != desc.size as u64 {
        return Err(TargetError::SizeMismatch {
            expected: desc.size,
            actual: data.len() as u64,
        });
    }
    let digest = Digest::parse(&desc.digest).map_err(|e| {
        TargetError::InvalidArgument(format!("invalid digest {:?}: {e}", desc.digest))
    })?;
    if !digest.matches(data) {
        let actual = Digest::compute(digest.algorithm(), data).to_string();
        return Err(TargetError::DigestMismatch {
            expected: desc.digest.clone(),
            actual,
        });
    }
    Ok(())
}
