//! The on-disk x509 trust store: `{NOTATION_CONFIG}/truststore/x509/{type}/{name}/`.
//!
//! Two sides, both as notation v1.3.2 behaves:
//! * management (`notation cert add/list/show/delete`): copy files in byte-for-byte, walk the
//!   tree, remove files or stores;
//! * loading at verification time ([`load_certificates`], notation-go's `GetCertificates`):
//!   strict rules (no symlinks, no sub-directories, only CA or self-signed certificates, only
//!   self-signed roots in `tsa` stores) with upstream's error texts.

mod load;
mod manage;
#[cfg(test)]
mod tests;

pub use load::{load_certificates, CertificateProblem, TrustStoreError};
pub use manage::{
    add_certificate, delete_certificate, delete_store, list_certificates, AddError, ListError,
    ListScope, ListedCertificate,
};

use crate::config::Dirs;
use crate::go::os::PathError;
use crate::x509::Certificate;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A trust store type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreType {
    /// `ca`: roots (or pinned certificates) for `notary.x509` signatures.
    Ca,
    /// `signingAuthority`: roots for `notary.x509.signingAuthority` signatures.
    SigningAuthority,
    /// `tsa`: roots for RFC 3161 timestamp tokens.
    Tsa,
}

impl StoreType {
    /// All types, in the order notation lists them.
    pub const ALL: [StoreType; 3] = [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa];

    /// The directory / policy name.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreType::Ca => "ca",
            StoreType::SigningAuthority => "signingAuthority",
            StoreType::Tsa => "tsa",
        }
    }
}

impl fmt::Display for StoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown store type (case-sensitive, as upstream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported store type: {0}")]
pub struct UnknownStoreType(pub String);

impl FromStr for StoreType {
    type Err = UnknownStoreType;
    fn from_str(s: &str) -> Result<StoreType, UnknownStoreType> {
        StoreType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownStoreType(s.to_string()))
    }
}

/// Whether `name` is a valid named store (and generate-test common name): `^[a-zA-Z0-9_.-]+$`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `{NOTATION_CONFIG}/truststore/x509/<type>/<store>`.
pub fn store_dir(dirs: &Dirs, store_type: StoreType, store: &str) -> PathBuf {
    dirs.x509_truststore().join(store_type.as_str()).join(store)
}

/// Reading a certificate file (notation-core-go's `ReadCertificateFile`).
#[derive(Debug, thiserror::Error)]
pub enum CertFileError {
    /// The file cannot be read.
    #[error(transparent)]
    Io(#[from] PathError),
    /// The content is not PEM certificates or DER.
    #[error("{0}")]
    Parse(String),
}

impl CertFileError {
    fn is_not_found(&self) -> bool {
        matches!(self, CertFileError::Io(e) if e.is_not_found())
    }
}

/// Read every certificate in a PEM or DER file. An empty file gives no certificates (as Go's
/// `x509.ParseCertificates`); callers decide whether that is an error.
pub fn read_certificate_file(path: &Path) -> Result<Vec<Certificate>, CertFileError> {
    let data = fs::read(path).map_err(|e| {
        let op = if path.is_dir() { "read" } else { "open" };
        PathError::new(op, path, e)
    })?;
    if data.is_empty() {
        return Ok(Vec::new());
    }
    crate::x509::parse_certificates(&data).map_err(|e| CertFileError::Parse(e.to_string()))
}

/// Directory entries sorted by name (Go's `os.ReadDir`), with their own (not followed) types.
fn sorted_entries(dir: &Path) -> Result<Vec<(String, fs::FileType)>, PathError> {
    let read = fs::read_dir(dir).map_err(|e| PathError::new("open", dir, e))?;
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| PathError::new("readdirent", dir, e))?;
        let file_type = entry
            .file_type()
            .map_err(|e| PathError::new("lstat", entry.path(), e))?;
        entries.push((entry.file_name().to_string_lossy().into_owned(), file_type));
    }
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(entries)
}
