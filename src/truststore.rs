//! The on-disk x509 trust store: `{NOTATION_CONFIG}/truststore/x509/{type}/{name}/`.
//!
//! Two sides, both as notation v1.3.2 behaves:
//! * management (`notation cert add/list/show/delete`): copy files in byte-for-byte, walk the
//!   tree, remove files or stores;
//! * loading at verification time ([`load_certificates`], notation-go's `GetCertificates`):
//!   strict rules (no symlinks, no sub-directories, only CA or self-signed certificates, only
//!   self-signed roots in `tsa` stores) with upstream's error texts.

use crate::config::{Dirs, DIR_MODE, PRIVATE_FILE_MODE};
use crate::go::fmt::{self as gofmt, GoQuoted};
use crate::go::os::PathError;
use crate::x509::{check_signature, Certificate, SignatureCheck};
use std::fmt;
use std::fs;
use std::io;
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

// ---------------------------------------------------------------------------------------------
// Verification-time loading

/// Why a trust store could not be loaded, with notation-go's texts. `Display` is upstream's
/// `Msg`; [`TrustStoreError::verification_message`] is what `notation verify` prints.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    /// Not `ca`, `signingAuthority` or `tsa`.
    #[error("unsupported trust store type: {0}")]
    UnsupportedType(String),
    /// Store name outside `[a-zA-Z0-9_.-]+`.
    #[error("trust store name needs to follow [a-zA-Z0-9_.-]+ format, {0} is invalid")]
    InvalidName(String),
    /// The named store directory does not exist.
    #[error("the trust store {} of type {} does not exist", GoQuoted(.store), GoQuoted(.store_type.as_str()))]
    NotExist {
        store: String,
        store_type: StoreType,
        error: PathError,
    },
    /// The store directory cannot be stat'ed or listed.
    #[error("failed to access the trust store {} of type {}", GoQuoted(.store), GoQuoted(.store_type.as_str()))]
    Access {
        store: String,
        store_type: StoreType,
        error: PathError,
    },
    /// The store path is a symlink or not a directory.
    #[error("the trust store {store} of type {store_type} with path {} is not a regular directory (symlinks are not supported)", .path.display())]
    NotDirectory {
        store: String,
        store_type: StoreType,
        path: PathBuf,
    },
    /// An entry of the store is a directory or symlink.
    #[error("trusted certificate {file} in trust store {store} of type {store_type} is not a regular file (directories or symlinks are not supported)")]
    NotRegularFile {
        file: String,
        store: String,
        store_type: StoreType,
    },
    /// A file cannot be read or parsed.
    #[error(
        "failed to read the trusted certificate {file} in trust store {store} of type {store_type}"
    )]
    Read {
        file: String,
        store: String,
        store_type: StoreType,
        error: CertFileError,
    },
    /// A file holds no certificate, or a certificate that is neither a CA nor self-signed.
    #[error("failed to validate the trusted certificate {file} in trust store {store} of type {store_type}")]
    Invalid {
        file: String,
        store: String,
        store_type: StoreType,
        reason: String,
    },
    /// A certificate in a `tsa` store is not a self-signed root CA.
    #[error("trusted certificate {file} in trust store {store} of type {store_type} is invalid: {reason}")]
    NotRoot {
        file: String,
        store: String,
        store_type: StoreType,
        reason: String,
    },
    /// The store holds no certificate at all.
    #[error("no x509 certificates were found in trust store {} of type {}", GoQuoted(.store), GoQuoted(.store_type.as_str()))]
    NoCertificates {
        store: String,
        store_type: StoreType,
    },
}

impl TrustStoreError {
    /// Upstream's `InnerError` text, if any.
    pub fn inner_message(&self) -> Option<String> {
        match self {
            TrustStoreError::NotExist { error, .. } | TrustStoreError::Access { error, .. } => {
                Some(error.to_string())
            }
            TrustStoreError::Read { error, .. } => Some(error.to_string()),
            TrustStoreError::Invalid { reason, .. } | TrustStoreError::NotRoot { reason, .. } => {
                Some(reason.clone())
            }
            TrustStoreError::NoCertificates { .. } => Some("file does not exist".to_string()),
            _ => None,
        }
    }

    /// Whether upstream's error wraps `fs.ErrNotExist`.
    pub fn is_not_exist(&self) -> bool {
        match self {
            TrustStoreError::NotExist { .. } | TrustStoreError::NoCertificates { .. } => true,
            TrustStoreError::Read { error, .. } => error.is_not_found(),
            _ => false,
        }
    }

    /// What `notation verify` prints after `Error: ` (notation's `parseErrorOnVerificationFailure`):
    /// `<msg>. Use command 'notation cert add' …` for missing things, else `<msg>. <inner>`.
    /// Upstream formats a missing inner error as `%!w(<nil>)`; we keep that byte for byte.
    pub fn verification_message(&self) -> String {
        if self.is_not_exist() {
            return format!(
                "{self}. Use command 'notation cert add' to create and add trusted certificates to the trust store"
            );
        }
        match self.inner_message() {
            Some(inner) => format!("{self}. {inner}"),
            None => format!("{self}. %!w(<nil>)"),
        }
    }
}

/// Load every certificate of the named store for verification (verification.md §2.3–2.4),
/// in directory-listing (name) order.
pub fn load_certificates(
    dirs: &Dirs,
    store_type: &str,
    store: &str,
) -> Result<Vec<Certificate>, TrustStoreError> {
    let store_type: StoreType = store_type
        .parse()
        .map_err(|_| TrustStoreError::UnsupportedType(store_type.to_string()))?;
    if !is_valid_name(store) {
        return Err(TrustStoreError::InvalidName(store.to_string()));
    }
    let path = store_dir(dirs, store_type, store);
    let owned = || store.to_string();
    let meta = fs::symlink_metadata(&path).map_err(|e| {
        let error = PathError::new("lstat", &path, e);
        if error.is_not_found() {
            TrustStoreError::NotExist {
                store: owned(),
                store_type,
                error,
            }
        } else {
            TrustStoreError::Access {
                store: owned(),
                store_type,
                error,
            }
        }
    })?;
    if !meta.file_type().is_dir() {
        return Err(TrustStoreError::NotDirectory {
            store: owned(),
            store_type,
            path,
        });
    }
    let entries = sorted_entries(&path).map_err(|error| TrustStoreError::Access {
        store: owned(),
        store_type,
        error,
    })?;

    let mut certificates = Vec::new();
    for (file, file_type) in entries {
        if file_type.is_dir() || file_type.is_symlink() {
            return Err(TrustStoreError::NotRegularFile {
                file,
                store: owned(),
                store_type,
            });
        }
        let certs =
            read_certificate_file(&path.join(&file)).map_err(|error| TrustStoreError::Read {
                file: file.clone(),
                store: owned(),
                store_type,
                error,
            })?;
        if let Err(reason) = validate_certificates(&certs) {
            return Err(TrustStoreError::Invalid {
                file,
                store: owned(),
                store_type,
                reason,
            });
        }
        if store_type == StoreType::Tsa {
            if let Some(reason) = certs.iter().find_map(|c| root_ca_problem(c).err()) {
                return Err(TrustStoreError::NotRoot {
                    file,
                    store: owned(),
                    store_type,
                    reason,
                });
            }
        }
        certificates.extend(certs);
    }
    if certificates.is_empty() {
        return Err(TrustStoreError::NoCertificates {
            store: owned(),
            store_type,
        });
    }
    Ok(certificates)
}

/// notation-go's `ValidateCertificates`: at least one certificate, each a CA or verifiable
/// with its own key (Go `CheckSignature`, which does not compare subject and issuer).
pub fn validate_certificates(certs: &[Certificate]) -> Result<(), String> {
    if certs.is_empty() {
        return Err("input certs cannot be empty".to_string());
    }
    for cert in certs {
        if !cert.is_ca() && check_signature(cert, cert, SignatureCheck::SelfSignature).is_err() {
            return Err(format!(
                "certificate with subject {} is not a CA certificate or self-signed signing certificate",
                gofmt::quote(&cert.subject())
            ));
        }
    }
    Ok(())
}

/// notation-go's `isRootCACertificate`: Go's `CheckSignatureFrom(itself)` (cA=true, keyCertSign
/// when keyUsage is present, signature verifies), then raw subject == raw issuer.
fn root_ca_problem(cert: &Certificate) -> Result<(), String> {
    let subject = gofmt::quote(&cert.subject());
    if let Err(e) = check_signature(cert, cert, SignatureCheck::IssuedBy) {
        return Err(format!(
            "certificate with subject {subject} is not a root CA certificate: {e}"
        ));
    }
    if cert.raw_subject() != cert.raw_issuer() {
        return Err(format!(
            "certificate with subject {subject} is not a root CA certificate: issuer ({}) and subject ({}) are not the same",
            cert.issuer(),
            cert.subject()
        ));
    }
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// Management: add, list, show, delete

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

/// `cert list` failed on a file.
#[derive(Debug, thiserror::Error)]
pub struct ListError {
    /// What was listed.
    pub scope: ListScope,
    /// The underlying error (part of the message, so not a `source`).
    pub error: CertFileError,
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            ListScope::All => write!(
                f,
                "failed to list all certificates stored in the trust store"
            ),
            ListScope::Type(t) => write!(f, "failed to list all certificates stored of type {t}"),
            ListScope::Store(s) => write!(
                f,
                "failed to list all certificates stored in the named store {s}"
            ),
            ListScope::TypeAndStore(t, s) => {
                write!(
                    f,
                    "failed to list all certificates stored in the named store {s} of type {t}"
                )
            }
        }?;
        write!(f, ", with error: {}", self.error)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pki(name: &str) -> PathBuf {
        let dir = std::env::var_os("NOTATION_INTEROP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
        let path = dir.join("pki").join(name);
        assert!(
            path.exists(),
            "interop fixtures missing at {} (set NOTATION_INTEROP_DIR)",
            path.display()
        );
        path
    }

    struct Home {
        _tmp: tempfile::TempDir,
        dirs: Dirs,
    }

    fn home() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        let config = tmp.path().join("notation");
        let dirs = Dirs {
            config: config.clone(),
            libexec: config,
            cache: tmp.path().join("cache"),
        };
        Home { _tmp: tmp, dirs }
    }

    fn store(home: &Home, t: StoreType, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = store_dir(&home.dirs, t, name);
        fs::create_dir_all(&dir).unwrap();
        for (file, src) in files {
            fs::copy(pki(src), dir.join(file)).unwrap();
        }
        dir
    }

    fn load_err(home: &Home, t: &str, name: &str) -> TrustStoreError {
        match load_certificates(&home.dirs, t, name) {
            Ok(_) => panic!("loading {t}:{name} should fail"),
            Err(e) => e,
        }
    }

    #[test]
    fn store_types_and_names() {
        assert_eq!(
            "signingAuthority".parse::<StoreType>().unwrap(),
            StoreType::SigningAuthority
        );
        assert_eq!(
            "CA".parse::<StoreType>().unwrap_err().to_string(),
            "unsupported store type: CA"
        );
        assert!(is_valid_name("a-b_c.d9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a/b"));
        assert!(!is_valid_name("a b"));
    }

    #[test]
    fn loads_ca_and_self_signed_certificates_in_name_order() {
        let home = home();
        store(
            &home,
            StoreType::Ca,
            "s",
            &[("b.pem", "root-ca.crt"), ("a.crt", "leaf-selfsigned.crt")],
        );
        let certs = load_certificates(&home.dirs, "ca", "s").unwrap();
        assert_eq!(certs.len(), 2);
        assert!(certs[0].subject().starts_with("CN=leaf-selfsigned,"));
        assert!(certs[1].subject().starts_with("CN=Interop Root CA,"));
    }

    #[test]
    fn rejects_leaf_that_is_neither_ca_nor_self_signed() {
        let home = home();
        store(
            &home,
            StoreType::Ca,
            "leaf-not-ca",
            &[("leaf-rsa2048.crt", "leaf-rsa2048.crt")],
        );
        let e = load_err(&home, "ca", "leaf-not-ca");
        assert_eq!(
            e.verification_message(),
            "failed to validate the trusted certificate leaf-rsa2048.crt in trust store leaf-not-ca of type ca. certificate with subject \"CN=leaf-rsa2048,O=Notation-RS Interop,L=Seattle,ST=WA,C=US\" is not a CA certificate or self-signed signing certificate"
        );
    }

    #[test]
    fn missing_empty_and_invalid_stores() {
        let home = home();
        let e = load_err(&home, "ca", "no-such-store");
        assert_eq!(
            e.to_string(),
            "the trust store \"no-such-store\" of type \"ca\" does not exist"
        );
        assert_eq!(
            e.verification_message(),
            "the trust store \"no-such-store\" of type \"ca\" does not exist. Use command 'notation cert add' to create and add trusted certificates to the trust store"
        );
        store(&home, StoreType::Ca, "empty", &[]);
        assert_eq!(
            load_err(&home, "ca", "empty").to_string(),
            "no x509 certificates were found in trust store \"empty\" of type \"ca\""
        );
        assert_eq!(
            load_err(&home, "tls", "x").to_string(),
            "unsupported trust store type: tls"
        );
        assert_eq!(
            load_err(&home, "ca", "a/b").to_string(),
            "trust store name needs to follow [a-zA-Z0-9_.-]+ format, a/b is invalid"
        );
        let dir = store(&home, StoreType::Ca, "zero", &[]);
        fs::write(dir.join("empty.crt"), b"").unwrap();
        assert_eq!(
            load_err(&home, "ca", "zero").verification_message(),
            "failed to validate the trusted certificate empty.crt in trust store zero of type ca. input certs cannot be empty"
        );
        let dir = store(&home, StoreType::Ca, "garbage", &[]);
        fs::write(dir.join("notes.txt"), b"hello").unwrap();
        let e = load_err(&home, "ca", "garbage");
        assert!(e.to_string().starts_with(
            "failed to read the trusted certificate notes.txt in trust store garbage of type ca"
        ));
        assert!(e.inner_message().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_subdirectories_are_refused() {
        let home = home();
        let real = store(&home, StoreType::Ca, "real", &[("root.crt", "root-ca.crt")]);
        let link = store_dir(&home.dirs, StoreType::Ca, "link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(
            load_err(&home, "ca", "link").to_string(),
            format!(
                "the trust store link of type ca with path {} is not a regular directory (symlinks are not supported)",
                link.display()
            )
        );
        let with_link = store(&home, StoreType::Ca, "with-link", &[]);
        std::os::unix::fs::symlink(real.join("root.crt"), with_link.join("root.crt")).unwrap();
        let e = load_err(&home, "ca", "with-link");
        assert_eq!(
            e.to_string(),
            "trusted certificate root.crt in trust store with-link of type ca is not a regular file (directories or symlinks are not supported)"
        );
        assert_eq!(
            e.verification_message(),
            "trusted certificate root.crt in trust store with-link of type ca is not a regular file (directories or symlinks are not supported). %!w(<nil>)"
        );
        let with_dir = store(
            &home,
            StoreType::Ca,
            "with-dir",
            &[("root.crt", "root-ca.crt")],
        );
        fs::create_dir(with_dir.join("sub")).unwrap();
        assert!(matches!(
            load_err(&home, "ca", "with-dir"),
            TrustStoreError::NotRegularFile { .. }
        ));
    }

    #[test]
    fn tsa_stores_need_self_signed_root_cas() {
        let home = home();
        store(
            &home,
            StoreType::Tsa,
            "root",
            &[("root.crt", "root-ca.crt")],
        );
        assert_eq!(
            load_certificates(&home.dirs, "tsa", "root").unwrap().len(),
            1
        );
        store(
            &home,
            StoreType::Tsa,
            "intermediate",
            &[("int.crt", "intermediate-ca.crt")],
        );
        let e = load_err(&home, "tsa", "intermediate").to_string();
        assert!(
            e.starts_with("trusted certificate int.crt in trust store intermediate of type tsa is invalid: certificate with subject \"CN=Interop Intermediate CA,"),
            "{e}"
        );
        store(
            &home,
            StoreType::Tsa,
            "leaf",
            &[("leaf.crt", "leaf-selfsigned.crt")],
        );
        let e = load_err(&home, "tsa", "leaf").to_string();
        assert!(
            e.ends_with("is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate"),
            "{e}"
        );
    }

    #[test]
    fn add_copies_bytes_and_refuses_duplicates() {
        let home = home();
        let src = pki("root-ca.crt");
        let dest = add_certificate(&home.dirs, StoreType::Ca, "s", &src).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), fs::read(&src).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                fs::metadata(dest.parent().unwrap())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        assert_eq!(
            add_certificate(&home.dirs, StoreType::Ca, "s", &src)
                .unwrap_err()
                .to_string(),
            "certificate already exists in the Trust Store"
        );
        let missing = home.dirs.config.join("nope.crt");
        assert_eq!(
            add_certificate(&home.dirs, StoreType::Ca, "s", &missing)
                .unwrap_err()
                .to_string(),
            format!("open {}: no such file or directory", missing.display())
        );
        let empty = home.dirs.config.join("empty.crt");
        fs::write(&empty, b"").unwrap();
        assert_eq!(
            add_certificate(&home.dirs, StoreType::Ca, "s", &empty)
                .unwrap_err()
                .to_string(),
            "no valid certificate found in the file"
        );
    }

    #[test]
    fn list_walks_like_upstream() {
        let home = home();
        store(&home, StoreType::Tsa, "t", &[("r.crt", "root-ca.crt")]);
        let ca = store(
            &home,
            StoreType::Ca,
            "b",
            &[("z.crt", "root-ca.crt"), ("a.crt", "leaf-rsa2048.crt")],
        );
        fs::create_dir(ca.join("sub")).unwrap();
        fs::copy(pki("root-ca.crt"), ca.join("sub").join("ignored.crt")).unwrap();
        fs::write(ca.join("empty"), b"").unwrap();
        store(
            &home,
            StoreType::SigningAuthority,
            "b",
            &[("sa.crt", "root-ca.crt")],
        );
        let names = |l: Vec<ListedCertificate>| -> Vec<String> {
            l.into_iter()
                .map(|c| format!("{}/{}/{}", c.store_type, c.store, c.file))
                .collect()
        };
        assert_eq!(
            names(list_certificates(&home.dirs, None, None).unwrap()),
            [
                "ca/b/a.crt",
                "ca/b/z.crt",
                "signingAuthority/b/sa.crt",
                "tsa/t/r.crt"
            ]
        );
        assert_eq!(
            names(list_certificates(&home.dirs, None, Some("b")).unwrap()),
            ["ca/b/a.crt", "ca/b/z.crt", "signingAuthority/b/sa.crt"]
        );
        assert_eq!(
            names(list_certificates(&home.dirs, Some("tsa"), None).unwrap()),
            ["tsa/t/r.crt"]
        );
        assert!(list_certificates(&home.dirs, Some("bogus"), None)
            .unwrap()
            .is_empty());
        assert!(list_certificates(&home.dirs, Some("ca"), Some("none"))
            .unwrap()
            .is_empty());
        fs::write(ca.join("junk.txt"), b"not a certificate").unwrap();
        let e = list_certificates(&home.dirs, None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "failed to list all certificates stored in the trust store, with error: "
            ),
            "{e}"
        );
    }

    #[test]
    fn delete_store_and_file() {
        let home = home();
        store(
            &home,
            StoreType::Ca,
            "s",
            &[("a.crt", "root-ca.crt"), ("b.crt", "root-ca.crt")],
        );
        delete_certificate(&home.dirs, StoreType::Ca, "s", "a.crt").unwrap();
        let e = delete_certificate(&home.dirs, StoreType::Ca, "s", "a.crt").unwrap_err();
        assert!(e.is_not_found());
        assert!(
            e.to_string().starts_with("stat ")
                && e.to_string().ends_with("/a.crt: no such file or directory")
        );
        let dir = delete_store(&home.dirs, StoreType::Ca, "s").unwrap();
        assert!(!dir.exists());
        assert!(delete_store(&home.dirs, StoreType::Ca, "s")
            .unwrap_err()
            .is_not_found());
    }
}
