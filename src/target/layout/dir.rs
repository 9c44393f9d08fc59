//! An OCI image layout directory: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
//!
//! Blobs are written with a temp file + rename in their own directory and never replaced;
//! `index.json` is re-read and replaced (temp + rename) under an exclusive lock on the
//! layout directory, so concurrent writers each add their entry. The first write of a
//! store also removes the temp files a killed writer left (see
//! [`crate::atomic::remove_abandoned`]).

use super::{
    add_entry, check_oci_layout, encode_index, lock_dir, missing_index, parse_index, Storage,
    IMAGE_LAYOUT_VERSION, MAX_METADATA_BYTES,
};
use crate::oci::{Descriptor, Digest, Index};
use crate::target::{ByteStream, Result, TargetError};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Mode of blob files (upstream makes them read-only too).
const BLOB_MODE: u32 = 0o444;
/// Mode of `index.json` and `oci-layout`.
const FILE_MODE: u32 = 0o644;
/// Mode of directories created under `blobs/`.
const DIR_MODE: u32 = 0o755;

pub(super) struct DirStore {
    root: PathBuf,
    /// `index.json` as last read or written by us; shared, as the readers' snapshots are
    /// (copying every entry for each of them is most of what a big index costs).
    index: Mutex<Arc<Index>>,
    /// Whether this store has looked for a killed writer's leftovers yet.
    swept: AtomicBool,
}

impl DirStore {
    /// Open an existing layout directory without writing anything.
    pub(super) fn open(root: &Path) -> Result<DirStore> {
        let layout_file = root.join("oci-layout");
        match read_metadata(&layout_file) {
            Ok(data) => check_oci_layout(&data)?,
            // Tolerated as upstream does (it would create the file); writes add it.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(TargetError::io(&layout_file, e)),
        }
        let index = read_index(root)?;
        Ok(DirStore {
            root: root.to_path_buf(),
            index: Mutex::new(Arc::new(index)),
            swept: AtomicBool::new(false),
        })
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// Store a blob (already verified by the caller) unless it exists.
    pub(super) fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()> {
        let digest = super::parse_digest(&desc.digest)?;
        let path = self.blob_path(&digest);
        if path.exists() {
            return Ok(());
        }
        match crate::atomic::write_new(&path, data, BLOB_MODE, DIR_MODE) {
            Ok(()) => Ok(()),
            // Another writer stored the same content first.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(TargetError::io(&path, e)),
        }
    }

    /// Store a blob from a stream (checked by the caller's stream) unless it exists, without
    /// holding it in memory: temp file in the blob's directory, then a no-clobber rename.
    pub(super) async fn push_blob_stream(&self, digest: &Digest, stream: ByteStream) -> Result<()> {
        let path = self.blob_path(digest);
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let tmp = crate::atomic::temp_in(&dir, DIR_MODE).map_err(|e| TargetError::io(&dir, e))?;
        let (tmp, _) = super::stream::write_stream(stream, tmp).await?;
        let target = path.clone();
        let persisted = tokio::task::spawn_blocking(move || {
            crate::atomic::persist_new(tmp, &target, BLOB_MODE)
        })
        .await
        .map_err(|e| TargetError::io(&path, io::Error::other(e.to_string())))?;
        match persisted {
            Ok(()) => Ok(()),
            // Another writer stored the same content first.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(TargetError::io(&path, e)),
        }
    }

    /// A blob's reader and length, `None` if it is absent.
    pub(super) fn open_blob(&self, digest: &Digest) -> Result<Option<(Box<dyn Read + Send>, u64)>> {
        let path = self.blob_path(digest);
        match File::open(&path) {
            Ok(f) => {
                let len = f.metadata().map_err(|e| TargetError::io(&path, e))?.len();
                Ok(Some((Box::new(f), len)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TargetError::io(&path, e)),
        }
    }

    /// Store `blobs` and a manifest blob, then add `entry` to `index.json` under the layout
    /// lock.
    ///
    /// The new files are synced together (one journal flush rather than one per file), then
    /// published blobs first and `index.json` last: `index.json` never names content that a
    /// power cut could lose or truncate (see the README's "Durability").
    pub(super) fn push_manifest(
        &self,
        blobs: &[crate::target::NewBlob<'_>],
        desc: &Descriptor,
        data: &[u8],
        entry: Descriptor,
        tag: Option<&str>,
    ) -> Result<()> {
        let mut new_blobs = Vec::new();
        // Present blobs are left alone whatever `if_absent` says: blobs are never replaced.
        let all = blobs.iter().map(|b| (b.desc, b.data)).chain([(desc, data)]);
        for (blob, bytes) in all {
            let path = self.blob_path(&super::parse_digest(&blob.digest)?);
            if path.exists() || new_blobs.iter().any(|(p, _)| *p == path) {
                continue;
            }
            let tmp = crate::atomic::unsynced_temp_beside(&path, bytes, BLOB_MODE, DIR_MODE)
                .map_err(|e| TargetError::io(&path, e))?;
            new_blobs.push((path, tmp));
        }
        let _lock = lock_dir(&self.root)?;
        self.remove_abandoned();
        self.ensure_oci_layout()?;
        let mut index = read_index(&self.root)?;
        let index_path = self.root.join("index.json");
        let index_tmp = match add_entry(&mut index, entry, tag) {
            true => Some(
                crate::atomic::unsynced_temp_beside(
                    &index_path,
                    &encode_index(&index)?,
                    FILE_MODE,
                    DIR_MODE,
                )
                .map_err(|e| TargetError::io(&index_path, e))?,
            ),
            false => None,
        };
        crate::atomic::sync_together(new_blobs.iter().map(|(_, tmp)| tmp).chain(&index_tmp))
            .map_err(|e| TargetError::io(&self.root, e))?;
        for (path, tmp) in new_blobs {
            match tmp.persist_noclobber(&path) {
                // Another writer stored the same content first.
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(TargetError::io(&path, e))
                }
                _ => {}
            }
        }
        if let Some(tmp) = index_tmp {
            tmp.persist(&index_path)
                .map_err(|e| TargetError::io(&index_path, e))?;
        }
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(index);
        Ok(())
    }

    /// Drop every `index.json` entry for the manifest `digest` (under the layout lock),
    /// then its blob and its `layers`' blobs (as read from the checked manifest), unless
    /// another entry still names them. Shared blobs such as the `{}` config are kept. A
    /// manifest that is not listed in `index.json` itself (e.g. only inside a referrers
    /// index) is refused.
    pub(super) fn delete_manifest(&self, digest: &Digest, layers: &[Descriptor]) -> Result<()> {
        let _lock = lock_dir(&self.root)?;
        let mut index = read_index(&self.root)?;
        let wanted = digest.to_string();
        let before = index.manifests.len();
        index.manifests.retain(|m| m.digest != wanted);
        if index.manifests.len() == before {
            return Err(TargetError::NotFound(format!(
                "{wanted} is not listed in {}",
                self.root.join("index.json").display()
            )));
        }
        let path = self.root.join("index.json");
        let bytes = encode_index(&index)?;
        crate::atomic::write(&path, &bytes, FILE_MODE, DIR_MODE)
            .map_err(|e| TargetError::io(&path, e))?;
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(index.clone());
        let still_listed = |d: &str| index.manifests.iter().any(|m| m.digest == d);
        let layers = layers.iter().map(|l| l.digest.clone());
        for blob in std::iter::once(wanted.clone()).chain(layers) {
            if still_listed(&blob) {
                continue;
            }
            if let Ok(d) = Digest::parse(&blob) {
                let p = self.blob_path(&d);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(TargetError::io(&p, e)),
                }
            }
        }
        Ok(())
    }

    /// Once per store: remove temp files that killed writers left in the layout root and
    /// the blob directories.
    fn remove_abandoned(&self) {
        if self.swept.swap(true, Ordering::Relaxed) {
            return;
        }
        crate::atomic::remove_abandoned(&self.root);
        if let Ok(algs) = std::fs::read_dir(self.root.join("blobs")) {
            for alg in algs.flatten() {
                if alg.file_type().is_ok_and(|t| t.is_dir()) {
                    crate::atomic::remove_abandoned(&alg.path());
                }
            }
        }
    }

    fn ensure_oci_layout(&self) -> Result<()> {
        let path = self.root.join("oci-layout");
        if path.exists() {
            return Ok(());
        }
        let data = format!(r#"{{"imageLayoutVersion":"{IMAGE_LAYOUT_VERSION}"}}"#);
        crate::atomic::write(&path, data.as_bytes(), FILE_MODE, DIR_MODE)
            .map_err(|e| TargetError::io(&path, e))
    }
}

/// Make an empty layout directory: `blobs/`, `oci-layout`, an empty `index.json`.
pub(super) fn create_empty(root: &Path) -> Result<()> {
    let io_err = |p: &Path, e| TargetError::io(p, e);
    crate::atomic::create_dir_all(&root.join("blobs"), DIR_MODE).map_err(|e| io_err(root, e))?;
    let layout_file = root.join("oci-layout");
    let data = format!(r#"{{"imageLayoutVersion":"{IMAGE_LAYOUT_VERSION}"}}"#);
    crate::atomic::write(&layout_file, data.as_bytes(), FILE_MODE, DIR_MODE)
        .map_err(|e| io_err(&layout_file, e))?;
    let index_file = root.join("index.json");
    crate::atomic::write(
        &index_file,
        br#"{"schemaVersion":2,"manifests":[]}"#,
        FILE_MODE,
        DIR_MODE,
    )
    .map_err(|e| io_err(&index_file, e))
}

/// At most `limit` bytes of `file`, into a buffer sized for the `expected` length (plus the
/// byte that shows a longer file): `read_to_end` into an empty buffer starts with small
/// probing reads, some six `read` calls for a manifest, which sign and verify make for every
/// manifest in the layout.
fn read_up_to(file: File, expected: u64, limit: u64) -> io::Result<Vec<u8>> {
    let capacity = usize::try_from(expected.saturating_add(1)).unwrap_or(usize::MAX);
    let mut data = Vec::with_capacity(capacity);
    file.take(limit).read_to_end(&mut data)?;
    Ok(data)
}

/// Read a layout metadata file (`index.json`, `oci-layout`), at most
/// [`MAX_METADATA_BYTES`]: they are not content-addressed, so only a limit bounds them.
fn read_metadata(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let data = read_up_to(file, len.min(MAX_METADATA_BYTES), MAX_METADATA_BYTES + 1)?;
    if data.len() as u64 > MAX_METADATA_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_METADATA_BYTES} bytes"),
        ));
    }
    Ok(data)
}

fn read_index(root: &Path) -> Result<Index> {
    let path = root.join("index.json");
    match read_metadata(&path) {
        Ok(data) => parse_index(&data, &path.display().to_string()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(missing_index(&path.display().to_string()))
        }
        Err(e) => Err(TargetError::io(&path, e)),
    }
}

impl Storage for DirStore {
    fn index(&self) -> Arc<Index> {
        Arc::clone(&self.index.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn blob_len(&self, digest: &Digest) -> Result<Option<u64>> {
        let path = self.blob_path(digest);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TargetError::io(&path, e)),
        }
    }

    /// One open and one `fstat` (no separate `stat` by path), and a buffer of the stored
    /// length, so that a small blob takes one `read`.
    fn read_blob(
        &self,
        digest: &Digest,
        accept: &dyn Fn(u64) -> Result<()>,
    ) -> Result<Option<Vec<u8>>> {
        let path = self.blob_path(digest);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TargetError::io(&path, e)),
        };
        let meta = file.metadata().map_err(|e| TargetError::io(&path, e))?;
        if !meta.is_file() {
            return Ok(None);
        }
        let len = meta.len();
        accept(len)?;
        // Bytes appended after the `fstat` are not read: what is read is checked against
        // the descriptor's digest and size anyway.
        read_up_to(file, len, len)
            .map(Some)
            .map_err(|e| TargetError::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::read_up_to;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> std::fs::File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f.sync_all().unwrap();
        std::io::Seek::rewind(&mut f).unwrap();
        f
    }

    #[test]
    fn read_up_to_reads_the_expected_length_and_no_more_than_the_limit() {
        assert_eq!(
            read_up_to(file_of(b"0123456789"), 10, 10).unwrap(),
            b"0123456789"
        );
        // A stale expectation (the file grew) only sizes the buffer: the limit decides.
        assert_eq!(
            read_up_to(file_of(b"0123456789"), 3, 100).unwrap(),
            b"0123456789"
        );
        assert_eq!(read_up_to(file_of(b"0123456789"), 10, 4).unwrap(), b"0123");
        // A file shorter than expected is returned as it is, for the digest check to refuse.
        assert_eq!(read_up_to(file_of(b"012"), 10, 10).unwrap(), b"012");
    }
}
