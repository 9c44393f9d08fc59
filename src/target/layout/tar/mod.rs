//! An OCI image layout packed in a tar archive, optionally gzip-compressed, as
//! `docker buildx build -o type=oci,dest=x.tar` writes it (entries `oci-layout`,
//! `index.json`, `blobs/<alg>/<hex>`, possibly with a `./` prefix).
//!
//! Reading works in place: the archive is indexed once (path → data offset and length) and
//! entries are read by seeking; a gzip archive is first decompressed to an anonymous temp
//! file. Writes are staged (blobs in a temp directory beside the archive, `index.json` in
//! memory) and [`TarStore::commit`] streams a new archive — every original entry with
//! `index.json` replaced, then the new blobs — to a temp file beside the original and
//! renames it over, under an exclusive lock. Until then the archive is untouched.
//!
//! A damaged archive is never made worse: indexing checks that every entry's data lies
//! inside the file and that the archive ends with its end-of-archive block (so a cut at an
//! entry boundary is seen too); the rewrite copies each entry's declared length exactly,
//! checking every `blobs/<alg>/<hex>` entry of the original against its digest as it
//! streams (new blobs were checked as they were staged); and the new archive is synced and
//! read back (lengths, `index.json`, every blob's digest) before it replaces the original. On any failure the original is untouched and the temp file gone.
//! A symlink to an archive is followed: the archive it points to is rewritten.

mod entries;

use entries::{
    blob_digest, damaged, index_entries, invalid_tar, normalize, read_up_to, shown, CheckedEntry,
    Damaged, Span,
};

use super::{
    add_entry, check_oci_layout, encode_index, lock_dir, missing_index, parse_digest, parse_index,
    Storage, MAX_METADATA_BYTES,
};
use crate::oci::{Descriptor, Digest, Index};
use crate::target::{ByteStream, Result, TargetError};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// How far a gzip-compressed layout may expand: image layers inside are compressed
/// already, so real archives grow little; this bounds what a decompression bomb can write
/// to the temp directory.
const MAX_GZIP_RATIO: u64 = 100;
/// Archives smaller than this may expand to it whatever their ratio.
const MIN_GZIP_EXPANSION: u64 = 1 << 30;

/// The most bytes a gzip layout of `compressed` bytes may decompress to.
fn max_decompressed(compressed: u64) -> u64 {
    compressed
        .saturating_mul(MAX_GZIP_RATIO)
        .max(MIN_GZIP_EXPANSION)
}

/// Decompress a gzip layout into an anonymous temp file, refusing to write more than
/// `limit` bytes.
fn gunzip_to_temp(file: File, path: &Path, limit: u64) -> Result<File> {
    let mut plain = tempfile::tempfile().map_err(|e| TargetError::io(path, e))?;
    let written = io::copy(
        &mut flate2::read::MultiGzDecoder::new(io::BufReader::new(file)).take(limit + 1),
        &mut plain,
    )
    .map_err(|e| invalid_tar(path, io::Error::new(e.kind(), format!("gzip: {e}"))))?;
    if written > limit {
        return Err(invalid_tar(
            path,
            io::Error::other(format!(
                "gzip: decompresses to more than {limit} bytes, refused as a likely decompression bomb"
            )),
        ));
    }
    Ok(plain)
}

/// Mode of blob entries we add.
const ENTRY_MODE: u32 = 0o644;

pub(super) struct TarStore {
    /// The path as given, named in messages.
    path: PathBuf,
    /// The archive itself (symlinks resolved): what is rewritten, and where temp files go.
    real: PathBuf,
    state: Mutex<State>,
}

struct State {
    archive: Indexed,
    staged: Staged,
}

impl State {
    fn has_blob(&self, digest: &Digest) -> bool {
        self.archive.entries.contains_key(&blob_name(digest)) || self.staged.blob(digest).is_some()
    }
}

/// An archive indexed for random access.
struct Indexed {
    gzip: bool,
    /// The uncompressed tar: the archive itself, or a decompressed temp copy.
    file: File,
    entries: HashMap<String, Span>,
    /// `"./"` if the archive names its entries that way; new entries follow suit.
    prefix: &'static str,
    index: Index,
}

/// Writes waiting for [`TarStore::commit`].
struct Staged {
    dir: Option<crate::atomic::TempDir>,
    /// Digest string → (file in `dir`, length), in push order.
    blobs: Vec<(Digest, PathBuf, u64)>,
    /// `index.json` additions, replayed on the archive's current index at commit time.
    entries: Vec<(Descriptor, Option<String>)>,
    /// The archive's index with `entries` applied: what readers see meanwhile.
    index: Index,
}

impl Staged {
    fn new(index: Index) -> Staged {
        Staged {
            dir: None,
            blobs: Vec::new(),
            entries: Vec::new(),
            index,
        }
    }

    fn blob(&self, digest: &Digest) -> Option<&(Digest, PathBuf, u64)> {
        self.blobs.iter().find(|(d, _, _)| d == digest)
    }
}

/// File name of a staged blob in the staging directory.
fn staged_name(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm().name(), digest.hex())
}

fn blob_name(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().name(), digest.hex())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl Indexed {
    /// Index the archive at `file`; messages name it `path`.
    fn open(file: &Path, path: &Path) -> Result<Indexed> {
        let io_err = |e| TargetError::io(path, e);
        let mut file = File::open(file).map_err(io_err)?;
        let mut magic = [0u8; 2];
        let n = read_up_to(&mut file, &mut magic).map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let gzip = n == 2 && magic == GZIP_MAGIC;
        if gzip {
            let compressed = file.metadata().map_err(io_err)?.len();
            file = gunzip_to_temp(file, path, max_decompressed(compressed))?;
        }
        let (entries, prefix) = index_entries(&file).map_err(|e| invalid_tar(path, e))?;
        let mut indexed = Indexed {
            gzip,
            file,
            entries,
            prefix,
            index: empty_index(),
        };
        let location = |name: &str| format!("{}: {name}", path.display());
        if let Some(data) = indexed
            .read_entry("oci-layout", MAX_METADATA_BYTES)
            .map_err(io_err)?
        {
            check_oci_layout(&data)?;
        }
        let index = indexed
            .read_entry("index.json", MAX_METADATA_BYTES)
            .map_err(io_err)?
            .ok_or_else(|| missing_index(&location("index.json")))?;
        indexed.index = parse_index(&index, &location("index.json"))?;
        Ok(indexed)
    }

    /// The entry's bytes, `None` if absent; an entry over `limit` bytes is an `InvalidData` error.
    fn read_entry(&self, name: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(span) = self.entries.get(name) else {
            return Ok(None);
        };
        if span.len > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name}: {} bytes", span.len),
            ));
        }
        let mut file = &self.file;
        file.seek(SeekFrom::Start(span.offset))?;
        let mut data = Vec::with_capacity(span.len as usize);
        file.take(span.len).read_to_end(&mut data)?;
        if (data.len() as u64) < span.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{name}: truncated entry"),
            ));
        }
        Ok(Some(data))
    }
}

fn empty_index() -> Index {
    Index {
        schema_version: 2,
        media_type: None,
        artifact_type: None,
        manifests: Vec::new(),
        subject: None,
        annotations: None,
    }
}

/// Write a new, empty layout archive at `path` (`oci-layout` and an empty `index.json`),
/// gzip-compressed when `gzip`; fails if `path` exists.
pub(super) fn create_empty(path: &Path, gzip: bool) -> Result<()> {
    let io_err = |e| TargetError::io(path, e);
    let mut entries: Vec<(&str, Vec<u8>)> = vec![(
        "oci-layout",
        format!(
            r#"{{"imageLayoutVersion":"{}"}}"#,
            super::IMAGE_LAYOUT_VERSION
        )
        .into_bytes(),
    )];
    entries.push(("index.json", encode_index(&empty_index())?));
    let mut plain = tar::Builder::new(Vec::new());
    for (name, data) in &entries {
        let mut header = new_header(data.len() as u64);
        plain
            .append_data(&mut header, name, &data[..])
            .map_err(io_err)?;
    }
    let mut bytes = plain.into_inner().map_err(io_err)?;
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes).map_err(io_err)?;
        bytes = gz.finish().map_err(io_err)?;
    }
    crate::atomic::write_new(path, &bytes, ENTRY_MODE, 0o755).map_err(io_err)
}

impl TarStore {
    pub(super) fn open(path: &Path) -> Result<TarStore> {
        let real = std::fs::canonicalize(path).map_err(|e| TargetError::io(path, e))?;
        let archive = Indexed::open(&real, path)?;
        let staged = Staged::new(archive.index.clone());
        Ok(TarStore {
            path: path.to_path_buf(),
            real,
            state: Mutex::new(State { archive, staged }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stage a blob (already verified by the caller) unless the archive or the stage has it.
    pub(super) fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()> {
        let digest = parse_digest(&desc.digest)?;
        let mut state = self.state();
        if state.has_blob(&digest) {
            return Ok(());
        }
        let file = self.staging_dir(&mut state)?.join(staged_name(&digest));
        std::fs::write(&file, data).map_err(|e| TargetError::io(&file, e))?;
        state.staged.blobs.push((digest, file, data.len() as u64));
        Ok(())
    }

    /// Stage a blob from a stream (checked by the caller's stream) without holding it in
    /// memory; the lock is not held while the content is written.
    pub(super) async fn push_blob_stream(&self, digest: &Digest, stream: ByteStream) -> Result<()> {
        let dir = {
            let mut state = self.state();
            if state.has_blob(digest) {
                return Ok(());
            }
            self.staging_dir(&mut state)?
        };
        let tmp = crate::atomic::temp_in(&dir, 0o700).map_err(|e| TargetError::io(&dir, e))?;
        let (tmp, len) = super::stream::write_stream(stream, tmp).await?;
        let mut state = self.state();
        if state.has_blob(digest) {
            return Ok(()); // staged meanwhile by another push of the same content
        }
        let file = dir.join(staged_name(digest));
        tmp.persist(&file).map_err(|e| TargetError::io(&file, e))?;
        state.staged.blobs.push((digest.clone(), file, len));
        Ok(())
    }

    /// The staging directory beside the archive, created on first use.
    fn staging_dir(&self, state: &mut State) -> Result<PathBuf> {
        if let Some(dir) = &state.staged.dir {
            return Ok(dir.path().to_path_buf());
        }
        let parent = parent_dir(&self.real);
        let dir = crate::atomic::temp_dir_in(parent).map_err(|e| TargetError::io(parent, e))?;
        let path = dir.path().to_path_buf();
        state.staged.dir = Some(dir);
        Ok(path)
    }

    /// A blob's reader and length: staged content first, then the archive's entry.
    pub(super) fn open_blob(&self, digest: &Digest) -> Result<Option<(Box<dyn Read + Send>, u64)>> {
        let state = self.state();
        if let Some((_, file, len)) = state.staged.blob(digest) {
            let f = File::open(file).map_err(|e| TargetError::io(file, e))?;
            return Ok(Some((Box::new(f), *len)));
        }
        let Some(span) = state.archive.entries.get(&blob_name(digest)) else {
            return Ok(None);
        };
        let file = state
            .archive
            .file
            .try_clone()
            .map_err(|e| TargetError::io(&self.path, e))?;
        let reader = super::stream::SpanReader::new(file, span.offset, span.len);
        Ok(Some((Box::new(reader), span.len)))
    }

    /// Stage a manifest blob and its `index.json` entry.
    pub(super) fn push_manifest(
        &self,
        desc: &Descriptor,
        data: &[u8],
        entry: Descriptor,
        tag: Option<&str>,
    ) -> Result<()> {
        self.push_blob(desc, data)?;
        let mut state = self.state();
        add_entry(&mut state.staged.index, entry.clone(), tag);
        state.staged.entries.push((entry, tag.map(str::to_owned)));
        Ok(())
    }

    /// Write the staged content into a new archive that replaces the original.
    pub(super) fn commit(&self) -> Result<()> {
        let mut state = self.state();
        if state.staged.blobs.is_empty() && state.staged.entries.is_empty() {
            return Ok(());
        }
        let parent = parent_dir(&self.real);
        let _lock = lock_dir(parent)?;
        crate::atomic::remove_abandoned(parent);
        // Another process may have committed since we opened: build on the archive as it is now.
        let current = Indexed::open(&self.real, &self.path)?;
        let mut index = current.index.clone();
        for (entry, tag) in &state.staged.entries {
            add_entry(&mut index, entry.clone(), tag.as_deref());
        }
        let new_blobs: Vec<&(Digest, PathBuf, u64)> = state
            .staged
            .blobs
            .iter()
            .filter(|(d, _, _)| !current.entries.contains_key(&blob_name(d)))
            .collect();
        if !new_blobs.is_empty() || index != current.index {
            let index_bytes = encode_index(&index)?;
            self.rewrite(&current, &index_bytes, &new_blobs)?;
        }
        let archive = Indexed::open(&self.real, &self.path)?;
        state.staged = Staged::new(archive.index.clone());
        state.archive = archive;
        Ok(())
    }

    /// Write the new archive to a temp file beside the original, sync it, read it back, and
    /// only then rename it over the original.
    fn rewrite(
        &self,
        current: &Indexed,
        index_bytes: &[u8],
        new_blobs: &[&(Digest, PathBuf, u64)],
    ) -> Result<()> {
        let parent = parent_dir(&self.real);
        let tmp = crate::atomic::temp_in(parent, 0o755).map_err(|e| TargetError::io(parent, e))?;
        let write_err = |e: io::Error| match e.get_ref().and_then(|r| r.downcast_ref::<Damaged>()) {
            Some(_) => invalid_tar(&self.path, e),
            None => TargetError::io(tmp.path(), e),
        };
        let out = BufWriter::new(tmp.as_file());
        let written = if current.gzip {
            let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            write_archive(gz, current, index_bytes, new_blobs)
                .and_then(|(gz, blobs)| Ok((gz.finish()?, blobs)))
        } else {
            write_archive(out, current, index_bytes, new_blobs)
        };
        let blobs = written
            .and_then(|(mut w, blobs)| w.flush().map(|()| blobs))
            .map_err(write_err)?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| TargetError::io(tmp.path(), e))?;
        self.read_back(tmp.path(), index_bytes, &blobs)?;
        let meta = std::fs::metadata(&self.real).map_err(|e| TargetError::io(&self.path, e))?;
        // Keep the owner too (root signing someone's archive): best effort, as only root
        // may; before the mode, since a chown clears set-id bits.
        {
            use std::os::unix::fs::MetadataExt as _;
            let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()));
        }
        std::fs::set_permissions(tmp.path(), meta.permissions())
            .map_err(|e| TargetError::io(tmp.path(), e))?;
        tmp.persist(&self.real)
            .map_err(|e| TargetError::io(&self.path, e))?;
        // Make the rename itself durable.
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Check the freshly written archive at `tmp`: it indexes cleanly, holds `index_bytes`
    /// as `index.json`, and every blob written is there with its length and digest.
    fn read_back(&self, tmp: &Path, index_bytes: &[u8], blobs: &[(Digest, u64)]) -> Result<()> {
        let fail = |reason: String| {
            TargetError::InvalidLayout(format!(
                "{}: the rewritten archive did not read back intact, the original is unchanged: {reason}",
                self.path.display()
            ))
        };
        let written = Indexed::open(tmp, tmp).map_err(|e| fail(e.to_string()))?;
        let index = written
            .read_entry("index.json", MAX_METADATA_BYTES)
            .map_err(|e| fail(e.to_string()))?;
        if index.as_deref() != Some(index_bytes) {
            return Err(fail("index.json differs from what was written".into()));
        }
        let mut spans = Vec::with_capacity(blobs.len());
        for (digest, len) in blobs {
            let name = blob_name(digest);
            let Some(span) = written.entries.get(&name) else {
                return Err(fail(format!("entry {name} is missing")));
            };
            if span.len != *len {
                return Err(fail(format!(
                    "entry {name}: {} bytes, {len} written",
                    span.len
                )));
            }
            spans.push((name, digest, span));
        }
        let check = |(name, digest, span): &(String, &Digest, &entries::Span)| {
            let file = written.file.try_clone()?;
            let reader = super::stream::SpanReader::new(file, span.offset, span.len);
            drain(CheckedEntry::new(
                reader,
                name,
                span.len,
                Some((*digest).clone()),
            ))
        };
        on_all_cores(&spans, check).map_err(|e| fail(e.to_string()))
    }
}

/// Read `reader` to its end, discarding the bytes (in large reads: the 8 KiB of `io::copy`
/// made one system call per 8 KiB of a layer).
fn drain(mut reader: impl Read) -> io::Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    while reader.read(&mut buf)? != 0 {}
    Ok(())
}

/// Run `work` on every item, spread over as many threads as there are cores (one item at a
/// time each, so that a big layer and small ones share out evenly); the first error wins.
fn on_all_cores<T: Sync>(
    items: &[T],
    work: impl Fn(&T) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let worker = || -> io::Result<()> {
        while !failed.load(std::sync::atomic::Ordering::Relaxed) {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return Ok(());
            };
            work(item).inspect_err(|_| failed.store(true, std::sync::atomic::Ordering::Relaxed))?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut result = worker();
        for other in others {
            let joined = other
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a checking thread panicked")));
            result = result.and(joined);
        }
        result
    })
}

/// Stream every entry of `current` (with `index.json` replaced), then the new blobs.
/// Returns the writer and every blob entry written (digest, length).
fn write_archive<W: Write>(
    out: W,
    current: &Indexed,
    index_bytes: &[u8],
    new_blobs: &[&(Digest, PathBuf, u64)],
) -> io::Result<(W, Vec<(Digest, u64)>)> {
    let mut builder = tar::Builder::new(out);
    let mut reader = &current.file;
    reader.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(reader);
    let mut wrote_index = false;
    let mut blobs = Vec::new();
    for entry in archive.entries_with_seek()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let name = normalize(&path.to_string_lossy()).to_string();
        // tar (rightly) writes no such name; say which entry rather than fail on the temp file.
        if path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(damaged(
                io::ErrorKind::InvalidData,
                format!(
                    "entry {}: path is absolute or has `..`",
                    shown(&path.to_string_lossy())
                ),
            ));
        }
        let mut header = entry.header().clone();
        let kind = header.entry_type();
        if kind.is_file() && name == "index.json" {
            if !wrote_index {
                header.set_size(index_bytes.len() as u64);
                builder.append_data(&mut header, &path, index_bytes)?;
                wrote_index = true;
            }
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()?
                .map(|t| t.into_owned())
                .unwrap_or_default();
            builder.append_link(&mut header, &path, target)?;
            continue;
        }
        // The size the reader saw (a PAX size overrides the header's).
        let size = entry.size();
        header.set_size(size);
        let digest = if kind.is_file() {
            blob_digest(&name)
        } else {
            None
        };
        if let Some(d) = &digest {
            blobs.push((d.clone(), size));
        }
        let data = CheckedEntry::new(&mut entry, &name, size, digest);
        builder.append_data(&mut header, &path, data)?;
    }
    if !wrote_index {
        let mut header = new_header(index_bytes.len() as u64);
        builder.append_data(
            &mut header,
            format!("{}index.json", current.prefix),
            index_bytes,
        )?;
    }
    for (digest, file, len) in new_blobs {
        let mut header = new_header(*len);
        let name = blob_name(digest);
        // A staged blob was checked against its digest as it was staged, and the new archive
        // is read back (every blob's digest) before it is used: hashing it here as well was
        // a third pass over every byte of a copy (a third of its CPU). Its length is checked.
        let data = CheckedEntry::new(File::open(file)?, &name, *len, None);
        builder.append_data(&mut header, format!("{}{name}", current.prefix), data)?;
        blobs.push((digest.clone(), *len));
    }
    Ok((builder.into_inner()?, blobs))
}

fn new_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(ENTRY_MODE);
    header.set_size(size);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    header.set_mtime(now);
    header
}

impl Storage for TarStore {
    fn index(&self) -> Arc<Index> {
        Arc::new(self.state().staged.index.clone())
    }

    fn blob_len(&self, digest: &Digest) -> Result<Option<u64>> {
        let state = self.state();
        if let Some((_, _, len)) = state.staged.blob(digest) {
            return Ok(Some(*len));
        }
        Ok(state.archive.entries.get(&blob_name(digest)).map(|s| s.len))
    }

    fn read_blob(
        &self,
        digest: &Digest,
        accept: &dyn Fn(u64) -> Result<()>,
    ) -> Result<Option<Vec<u8>>> {
        let state = self.state();
        if let Some((_, file, len)) = state.staged.blob(digest) {
            accept(*len)?;
            return std::fs::read(file)
                .map(Some)
                .map_err(|e| TargetError::io(file, e));
        }
        let name = blob_name(digest);
        let Some(span) = state.archive.entries.get(&name) else {
            return Ok(None);
        };
        accept(span.len)?;
        state
            .archive
            .read_entry(&name, span.len)
            .map_err(|e| TargetError::io(self.path.join(&name), e))
    }
}

#[cfg(test)]
mod tests;
