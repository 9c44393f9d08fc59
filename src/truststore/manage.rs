//! Managing the trust store (`notation cert add/list/show/delete`): copy files in
//! byte-for-byte, walk the tree, remove files or stores, as notation v1.3.2 does.

use super::{read_certificate_file, sorted_entries, store_dir, CertFileError, StoreType};
use crate::config::{Dirs, DIR_MODE, PRIVATE_FILE_MODE};
use crate::go::os::PathError;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why `cert add` refused one file (the texts upstream puts after `with error`).
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Reading or parsing the source failed.
    #[error(transparent)]
    Read(#[from] CertFileError),
    /// The source parsed to zero certificates.
    #[error("no valid certificate found in the file")]
    NoCertificate,
    /// A file of that name is already in the store.
    #[error("certificate already exists in the Trust Store")]
    AlreadyExists,
    /// The source is not a regular file.
    #[error("{} is not a regular file", .0.display())]
    NotRegular(PathBuf),
    /// Writing the copy failed.
    #[error(transparent)]
    Write(PathError),
}

/// Copy the certificate file at `source` byte-for-byte into the store under its base name
/// (dirs 0700, file 0600, written atomically, existing names refused). Returns the new path.
pub fn add_certificate(
    dirs: &Dirs,
    store_type: StoreType,
    store: &str,
    source: &Path,
) -> Result<PathBuf, AddError> {
    let source = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let certs = read_certificate_file(&source)?;
    if certs.is_empty() {
        return Err(AddError::NoCertificate);
    }
    let dir = store_dir(dirs, store_type, store);
    let name = source
        .file_name()
        .ok_or_else(|| AddError::NotRegular(source.clone()))?;
    let dest = dir.join(name);
    if dest.exists() {
        return Err(AddError::AlreadyExists);
    }
    let meta = fs::metadata(&source)
        .map_err(|e| AddError::Read(PathError::new("stat", &source, e).into()))?;
    if !meta.is_file() {
        return Err(AddError::NotRegular(source));
    }
    let data =
        fs::read(&source).map_err(|e| AddError::Read(PathError::new("open", &source, e).into()))?;
    match crate::atomic::write_new(&dest, &data, PRIVATE_FILE_MODE, DIR_MODE) {
        Ok(()) => Ok(dest),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(AddError::AlreadyExists),
        Err(e) => Err(AddError::Write(PathError::new("open", dest, e))),
    }
}

/// One listed certificate file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedCertificate {
    /// The store type directory name.
    pub store_type: String,
    /// The named store directory name.
    pub store: String,
    /// The file name.
    pub file: String,
    /// Full path.
    pub path: PathBuf,
}

/// Which part of the tree `cert list` was asked for (decides its error text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListScope {
    /// No filter.
    All,
    /// `--type` only.
    Type(String),
    /// `--store` only (all types).
    Store(String),
    /// Both.
    TypeAndStore(String, String),
}

/// Listing failed on a file. `Display` is the file's error; `scope` says what was being
/// listed, which notation's `cert list` names in front of it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ListError {
    /// What was listed.
    pub scope: ListScope,
    /// The underlying error (the whole message, so not a `source`).
    pub error: CertFileError,
}

/// `notation cert list`: every regular file holding at least one certificate, in upstream's
/// order (types `ca`, `signingAuthority`, `tsa`; lexical within). An unknown `store_type`
/// lists nothing; sub-directories of a named store are ignored.
pub fn list_certificates(
    dirs: &Dirs,
    store_type: Option<&str>,
    store: Option<&str>,
) -> Result<Vec<ListedCertificate>, ListError> {
    let root = dirs.x509_truststore();
    let store_type = store_type.filter(|t| !t.is_empty());
    let store = store.filter(|s| !s.is_empty());
    let (scope, walks): (ListScope, Vec<(PathBuf, usize)>) = match (store_type, store) {
        (None, None) => (
            ListScope::All,
            StoreType::ALL
                .iter()
                .map(|t| (root.join(t.as_str()), 1))
                .collect(),
        ),
        (Some(t), Some(s)) => {
            if t.parse::<StoreType>().is_err() {
                return Ok(Vec::new());
            }
            (
                ListScope::TypeAndStore(t.into(), s.into()),
                vec![(root.join(t).join(s), 0)],
            )
        }
        (Some(t), None) => {
            if t.parse::<StoreType>().is_err() {
                return Ok(Vec::new());
            }
            (ListScope::Type(t.into()), vec![(root.join(t), 1)])
        }
        (None, Some(s)) => (
            ListScope::Store(s.into()),
            StoreType::ALL
                .iter()
                .map(|t| (root.join(t.as_str()).join(s), 0))
                .collect(),
        ),
    };
    let mut found = Vec::new();
    for (dir, depth) in walks {
        let mut paths = Vec::new();
        match walk(&dir, depth, 0, &mut paths) {
            Ok(()) => found.extend(paths),
            Err(e) if e.is_not_found() => {}
            Err(error) => return Err(ListError { scope, error }),
        }
    }
    Ok(found.into_iter().map(listed).collect())
}

/// Go's `filepath.WalkDir` limited to `max_depth` directory levels below the root, keeping
/// regular files that hold certificates.
fn walk(
    dir: &Path,
    max_depth: usize,
    depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), CertFileError> {
    let meta = fs::symlink_metadata(dir).map_err(|e| PathError::new("lstat", dir, e))?;
    if !meta.is_dir() {
        return Ok(());
    }
    for (name, file_type) in sorted_entries(dir)? {
        let path = dir.join(&name);
        if file_type.is_dir() {
            if depth < max_depth {
                walk(&path, max_depth, depth + 1, out)?;
            }
        } else if file_type.is_file() && !read_certificate_file(&path)?.is_empty() {
            out.push(path);
        }
    }
    Ok(())
}

fn listed(path: PathBuf) -> ListedCertificate {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let store_dir = path.parent();
    ListedCertificate {
        file: name(Some(&path)),
        store: name(store_dir),
        store_type: name(store_dir.and_then(Path::parent)),
        path,
    }
}

/// Remove a whole named store (`cert delete --all`): stat first so a missing store is an error.
pub fn delete_store(dirs: &Dirs, store_type: StoreType, store: &str) -> Result<PathBuf, PathError> {
    let dir = store_dir(dirs, store_type, store);
    fs::metadata(&dir).map_err(|e| PathError::new("stat", &dir, e))?;
    fs::remove_dir_all(&dir).map_err(|e| PathError::new("unlinkat", &dir, e))?;
    Ok(dir)
}

/// Remove one file of a named store.
pub fn delete_certificate(
    dirs: &Dirs,
    store_type: StoreType,
    store: &str,
    file: &str,
) -> Result<PathBuf, PathError> {
    let path = store_dir(dirs, store_type, store).join(file);
    fs::metadata(&path).map_err(|e| PathError::new("stat", &path, e))?;
    fs::remove_file(&path).map_err(|e| PathError::new("remove", &path, e))?;
    Ok(path)
}
