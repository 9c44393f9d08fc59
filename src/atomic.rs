//! Crash-safe file writes: write a temp file in the same directory, fsync, rename.
//!
//! Every file notation-rs writes (config files, trust store copies, layout blobs and
//! `index.json`, tar layouts) goes through here, so a crash or a full disk never leaves a
//! half-written file behind.

use std::fs;
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Write `data` to `path` atomically with permission `mode` (Unix). Parent directories are
/// created with `dir_mode` if missing.
pub fn write(path: &Path, data: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    let tmp = write_temp_beside(path, data, mode, dir_mode)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Like [`write`], but fails with `AlreadyExists` instead of replacing an existing file
/// (the rename is a hard link + unlink, so two writers cannot both win).
pub fn write_new(path: &Path, data: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    let tmp = write_temp_beside(path, data, mode, dir_mode)?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// An empty temp file in `dir` (created with `dir_mode` if missing), for content that is
/// written piece by piece and then published with [`persist_new`]. Dropped unpublished, it
/// is removed, so an interrupted write leaves nothing behind.
pub fn temp_in(dir: &Path, dir_mode: u32) -> io::Result<tempfile::NamedTempFile> {
    create_dir_all(dir, dir_mode)?;
    tempfile::Builder::new()
        .prefix(".notation-tmp-")
        .tempfile_in(dir)
}

/// Sync `tmp`, give it `mode` and rename it to `path`, failing with `AlreadyExists` instead
/// of replacing an existing file. `tmp` must be in `path`'s directory (see [`temp_in`]).
pub fn persist_new(tmp: tempfile::NamedTempFile, path: &Path, mode: u32) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = mode;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// A synced temp file holding `data`, in the directory `path` will live in (so the final
/// rename stays on one file system).
fn write_temp_beside(
    path: &Path,
    data: &[u8],
    mode: u32,
    dir_mode: u32,
) -> io::Result<tempfile::NamedTempFile> {
    let parent = parent_of(path);
    create_dir_all(parent, dir_mode)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".notation-tmp-")
        .tempfile_in(parent)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = mode;
    Ok(tmp)
}

/// `mkdir -p` with a mode for the directories it creates.
pub fn create_dir_all(dir: &Path, mode: u32) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    b.create(dir)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_with_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/file.json");
        write(&p, b"one", 0o600, 0o700).unwrap();
        write(&p, b"two", 0o600, 0o700).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                fs::metadata(p.parent().unwrap())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn write_new_refuses_existing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        write_new(&p, b"x", 0o600, 0o700).unwrap();
        let err = write_new(&p, b"y", 0o600, 0o700).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"x");
    }
}
