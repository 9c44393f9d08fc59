//! Crash-safe file writes: write a temp file in the same directory, fsync, rename.
//!
//! Every file notation-rs writes (config files, trust store copies, layout blobs and
//! `index.json`, tar layouts) goes through here, so a crash or a full disk never leaves a
//! half-written file behind.
//!
//! Temp files (`.notation-tmp-*`) and staging directories (`.notation-staging-*`) are
//! * locked (`flock`) by the process that made them for as long as it lives, so another
//!   process can tell a live writer's file from a dead one's with a non-blocking try-lock;
//! * registered, so that [`remove_all_for_exit`] (run on SIGINT/SIGTERM) removes what this
//!   process made before it dies;
//! * removed, when a killed process (`kill -9`, power loss) left them, by the next writer of
//!   the same layout through `remove_abandoned`.

use std::fs::{self, File};
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Name prefix of temp files.
pub(crate) const TEMP_PREFIX: &str = ".notation-tmp-";
/// Name prefix of staging directories.
pub(crate) const STAGING_PREFIX: &str = ".notation-staging-";

/// An unlocked leftover is removed once it has not changed for this long. The lock alone
/// would do, but a writer creates its file an instant before it locks it; this covers that
/// instant (and clocks that disagree a little).
const UNLOCKED_GRACE: Duration = Duration::from_secs(60);
/// On file systems without `flock` (some network mounts) only age can tell a dead writer's
/// leftover from a live one's: nobody writes one file for a day.
const UNLOCKABLE_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// Paths of the temp files and staging directories this process holds.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

fn forget_live(path: &Path) {
    let mut live = live();
    if let Some(i) = live.iter().position(|p| p == path) {
        live.swap_remove(i);
    }
}

/// A temp file (`.notation-tmp-*`) being written by this process: locked, registered for
/// removal on SIGINT/SIGTERM, and removed when dropped unpublished.
#[derive(Debug)]
pub(crate) struct TempFile {
    inner: Option<tempfile::NamedTempFile>,
}

impl TempFile {
    fn get(&self) -> &tempfile::NamedTempFile {
        self.inner
            .as_ref()
            .expect("temp file present until persisted")
    }

    /// The open file.
    pub(crate) fn as_file(&self) -> &File {
        self.get().as_file()
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.get().path()
    }

    /// Rename it to `path`, replacing what is there.
    pub(crate) fn persist(mut self, path: &Path) -> io::Result<()> {
        let tmp = self
            .inner
            .take()
            .expect("temp file present until persisted");
        let from = tmp.path().to_path_buf();
        let result = tmp.persist(path).map(drop).map_err(|e| e.error);
        forget_live(&from);
        result
    }

    /// Rename it to `path`, failing with `AlreadyExists` instead of replacing a file (a
    /// hard link + unlink, so two writers cannot both win).
    pub(crate) fn persist_noclobber(mut self, path: &Path) -> io::Result<()> {
        let tmp = self
            .inner
            .take()
            .expect("temp file present until persisted");
        let from = tmp.path().to_path_buf();
        let result = tmp.persist_noclobber(path).map(drop).map_err(|e| e.error);
        forget_live(&from);
        result
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.as_file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.as_file().flush()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.inner.take() {
            let path = tmp.path().to_path_buf();
            drop(tmp); // removes the file
            forget_live(&path);
        }
    }
}

/// A staging directory (`.notation-staging-*`) of this process: locked, registered for
/// removal on SIGINT/SIGTERM, and removed with its content when dropped.
#[derive(Debug)]
pub struct TempDir {
    inner: Option<tempfile::TempDir>,
    /// Holds the directory's lock.
    _lock: Option<File>,
}

impl TempDir {
    /// Where it is.
    pub fn path(&self) -> &Path {
        self.inner
            .as_ref()
            .expect("temp dir present until dropped")
            .path()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.inner.take() {
            let path = dir.path().to_path_buf();
            drop(dir);
            forget_live(&path);
        }
    }
}

/// Take the lock that tells other processes this file is in use. Failure (a file system
/// without locks) is not an error: [`remove_abandoned`] then goes by age alone.
fn hold_lock(file: &File) {
    let _ = file.try_lock();
}

/// Write `data` to `path` atomically with permission `mode` (Unix). Parent directories are
/// created with `dir_mode` if missing.
pub fn write(path: &Path, data: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    write_temp_beside(path, data, mode, dir_mode)?.persist(path)
}

/// Like [`write()`], but fails with `AlreadyExists` instead of replacing an existing file
/// (the rename is a hard link + unlink, so two writers cannot both win).
pub fn write_new(path: &Path, data: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    write_temp_beside(path, data, mode, dir_mode)?.persist_noclobber(path)
}

/// An empty, locked temp file in `dir` (created with `dir_mode` if missing), for content
/// that is written piece by piece and then published with [`persist_new`] or
/// [`TempFile::persist`]. Dropped unpublished, it is removed, so an interrupted write
/// leaves nothing behind.
pub(crate) fn temp_in(dir: &Path, dir_mode: u32) -> io::Result<TempFile> {
    create_dir_all(dir, dir_mode)?;
    // Created under the registry lock, so a signal either sees it registered or stops its
    // creation (see remove_all_for_exit).
    let mut live = live();
    let tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    hold_lock(tmp.as_file());
    live.push(tmp.path().to_path_buf());
    Ok(TempFile { inner: Some(tmp) })
}

/// A new, locked staging directory (mode 0700) in `dir`, removed with its content when
/// dropped.
pub(crate) fn temp_dir_in(dir: &Path) -> io::Result<TempDir> {
    let mut live = live();
    let tmp = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(dir)?;
    let lock = File::open(tmp.path()).ok();
    if let Some(f) = &lock {
        hold_lock(f);
    }
    live.push(tmp.path().to_path_buf());
    Ok(TempDir {
        inner: Some(tmp),
        _lock: lock,
    })
}

/// Sync `tmp`, give it `mode` and rename it to `path`, failing with `AlreadyExists` instead
/// of replacing an existing file. `tmp` must be in `path`'s directory (see [`temp_in`]).
pub(crate) fn persist_new(tmp: TempFile, path: &Path, mode: u32) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = mode;
    tmp.persist_noclobber(path)
}

/// A synced temp file holding `data`, in the directory `path` will live in (so the final
/// rename stays on one file system).
fn write_temp_beside(path: &Path, data: &[u8], mode: u32, dir_mode: u32) -> io::Result<TempFile> {
    let tmp = unsynced_temp_beside(path, data, mode, dir_mode)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// A temp file holding `data` with permission `mode`, in the directory `path` will live in,
/// not synced yet: for a writer that syncs several files at once with [`sync_together`]
/// before publishing them.
pub(crate) fn unsynced_temp_beside(
    path: &Path,
    data: &[u8],
    mode: u32,
    dir_mode: u32,
) -> io::Result<TempFile> {
    let mut tmp = temp_in(parent_of(path), dir_mode)?;
    tmp.write_all(data)?;
    #[cfg(unix)]
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = mode;
    Ok(tmp)
}

/// `fsync` every file at the same time (one thread each beyond the first): a journaling
/// file system then commits them in one flush, where syncing them one after another waits
/// for one flush each (a few ms apiece on a busy disk).
pub(crate) fn sync_together<'a>(files: impl IntoIterator<Item = &'a TempFile>) -> io::Result<()> {
    let files: Vec<&File> = files.into_iter().map(TempFile::as_file).collect();
    let Some((first, rest)) = files.split_first() else {
        return Ok(());
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = rest.iter().map(|f| scope.spawn(|| f.sync_all())).collect();
        let mut result = first.sync_all();
        for other in others {
            let synced = other
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("fsync thread panicked")));
            result = result.and(synced);
        }
        result
    })
}

/// Remove every temp file and staging directory this process holds, and make any later
/// attempt to create one wait forever: for a process about to die by a signal, so that
/// nothing it started is left behind. Never returns the registry lock.
pub fn remove_all_for_exit() {
    let live = live();
    for path in live.iter() {
        remove_leftover(path);
    }
    // Keep the registry locked: a writer thread still running must not start a new file.
    std::mem::forget(live);
}

/// Remove the temp files and staging directories directly in `dir` that a dead process
/// left: not locked by anyone, and unchanged for a while (see `UNLOCKED_GRACE`). Best
/// effort: what cannot be inspected or removed is left alone. Returns what was removed.
pub(crate) fn remove_abandoned(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) || name.starts_with(STAGING_PREFIX)) {
            continue;
        }
        let path = entry.path();
        if !is_ours(&entry.file_name()) && is_abandoned(&path) {
            remove_leftover(&path);
            removed.push(path);
        }
    }
    removed
}

/// Whether this process made it. Our own are never inspected: where `flock` is emulated
/// with per-process locks (NFS), our try-lock would succeed, and closing it would drop the
/// lock our writer holds.
fn is_ours(name: &std::ffi::OsStr) -> bool {
    live().iter().any(|p| p.file_name() == Some(name))
}

/// Whether a leftover's writer is gone: nobody holds its lock (we take it to find out) and
/// it is old enough.
fn is_abandoned(path: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !(meta.is_file() || meta.is_dir()) {
        return false;
    }
    let Ok(file) = File::open(path) else {
        return false;
    };
    let grace = match file.try_lock() {
        Ok(()) => UNLOCKED_GRACE,
        Err(fs::TryLockError::WouldBlock) => return false,
        Err(fs::TryLockError::Error(_)) => UNLOCKABLE_GRACE,
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok());
    age.is_some_and(|age| age >= grace)
}

fn remove_leftover(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
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

    fn age(path: &Path) {
        let then = SystemTime::now() - Duration::from_secs(600);
        File::open(path).unwrap().set_modified(then).unwrap();
    }

    fn registered(path: &Path) -> bool {
        live().iter().any(|p| p == path)
    }

    #[test]
    fn only_old_unlocked_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // This process's own.
        let live_file = temp_in(d, 0o700).unwrap();
        let live_dir = temp_dir_in(d).unwrap();
        age(live_file.path());
        age(live_dir.path());
        // Locked by a writer we know nothing about.
        let locked = d.join(".notation-tmp-locked");
        let holder = File::create(&locked).unwrap();
        holder.lock().unwrap();
        age(&locked);
        let dead_file = d.join(".notation-tmp-dead");
        fs::write(&dead_file, b"partial").unwrap();
        age(&dead_file);
        let dead_dir = d.join(".notation-staging-dead");
        fs::create_dir(&dead_dir).unwrap();
        fs::write(dead_dir.join("sha256-00"), b"staged").unwrap();
        age(&dead_dir);
        let young = d.join(".notation-tmp-young");
        fs::write(&young, b"just made").unwrap();
        let other = d.join("index.json");
        fs::write(&other, b"{}").unwrap();
        age(&other);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&other, d.join(".notation-tmp-link")).unwrap();
        }

        let mut removed = remove_abandoned(d);
        removed.sort();
        assert_eq!(removed, vec![dead_dir.clone(), dead_file.clone()]);
        assert!(!dead_dir.exists() && !dead_file.exists());
        for kept in [live_file.path(), live_dir.path(), &locked, &young, &other] {
            assert!(kept.exists(), "{}", kept.display());
        }

        drop(holder);
        assert_eq!(remove_abandoned(d), vec![locked]);

        // Once its writer is gone, the leftover goes too.
        let live_path = live_dir.path().to_path_buf();
        let file_path = live_file.path().to_path_buf();
        drop(live_dir);
        drop(live_file);
        assert!(!live_path.exists() && !file_path.exists());
        assert!(!registered(&live_path) && !registered(&file_path));
    }

    #[test]
    fn temp_files_are_registered_until_published_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut tmp = temp_in(dir.path(), 0o700).unwrap();
        let path = tmp.path().to_path_buf();
        assert!(registered(&path));
        tmp.write_all(b"data").unwrap();
        let target = dir.path().join("published");
        persist_new(tmp, &target, 0o600).unwrap();
        assert!(!registered(&path));
        assert_eq!(fs::read(&target).unwrap(), b"data");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
