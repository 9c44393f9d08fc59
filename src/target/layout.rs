//! OCI image layouts on disk: directories and tar files.

use super::{Result, TargetError};
use std::path::{Path, PathBuf};

/// An OCI image layout, as a directory or a tar archive.
pub struct Layout {
    path: PathBuf,
}

impl Layout {
    /// Open the layout at `path`.
    pub fn open(path: &Path) -> Result<Layout> {
        Err(TargetError::InvalidLayout(format!(
            "{}: layouts are being implemented",
            path.display()
        )))
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait::async_trait]
impl super::Target for Layout {
    async fn resolve(&self, _reference: &str) -> Result<crate::oci::Descriptor> {
        Err(TargetError::NotFound("not found".into()))
    }
    async fn fetch(&self, _desc: &crate::oci::Descriptor, _max: u64) -> Result<Vec<u8>> {
        Err(TargetError::NotFound("not found".into()))
    }
    async fn exists(&self, _desc: &crate::oci::Descriptor) -> Result<bool> {
        Ok(false)
    }
    async fn push_blob(&self, _desc: &crate::oci::Descriptor, _data: &[u8]) -> Result<()> {
        Err(TargetError::InvalidArgument("not implemented".into()))
    }
    async fn push_manifest(
        &self,
        _d: &crate::oci::Descriptor,
        _b: &[u8],
        _t: Option<&str>,
    ) -> Result<()> {
        Err(TargetError::InvalidArgument("not implemented".into()))
    }
    async fn signatures(
        &self,
        _subject: &crate::oci::Descriptor,
    ) -> Result<Vec<crate::oci::Descriptor>> {
        Ok(vec![])
    }
}
