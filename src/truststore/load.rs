//! Loading a named store at verification time ([`load_certificates`], notation-go's
//! `GetCertificates`): strict rules (no symlinks, no sub-directories, only CA or self-signed
//! certificates, only self-signed roots in `tsa` stores) with upstream's error texts.

use super::StoreType;
use super::{is_valid_name, read_certificate_file, sorted_entries, store_dir, CertFileError};
use crate::config::Dirs;
use crate::go::fmt::GoQuoted;
use crate::go::os::PathError;
use crate::x509::{check_signature, CertSignatureError, Certificate, SignatureCheck};
use std::fs;
use std::path::{Path, PathBuf};

/// Why a trust store could not be loaded, with notation-go's texts. `Display` is upstream's
/// `Msg`; the verifier passes on its `InnerError` and whether it wraps `fs.ErrNotExist`,
/// the facts `notation verify` builds its message from.
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
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// The failed `lstat`.
        error: PathError,
    },
    /// The store directory cannot be stat'ed or listed.
    #[error("failed to access the trust store {} of type {}", GoQuoted(.store), GoQuoted(.store_type.as_str()))]
    Access {
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// The failed file system call.
        error: PathError,
    },
    /// The store path is a symlink or not a directory.
    #[error("the trust store {store} of type {store_type} with path {} is not a regular directory (symlinks are not supported)", .path.display())]
    NotDirectory {
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// The store's path.
        path: PathBuf,
    },
    /// An entry of the store is a directory or symlink.
    #[error("trusted certificate {file} in trust store {store} of type {store_type} is not a regular file (directories or symlinks are not supported)")]
    NotRegularFile {
        /// The entry's name.
        file: String,
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
    },
    /// A file cannot be read or parsed.
    #[error(
        "failed to read the trusted certificate {file} in trust store {store} of type {store_type}"
    )]
    Read {
        /// The file's name.
        file: String,
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// Why it could not be read.
        error: CertFileError,
    },
    /// A file holds no certificate, or a certificate that is neither a CA nor self-signed.
    #[error("failed to validate the trusted certificate {file} in trust store {store} of type {store_type}")]
    Invalid {
        /// The file's name.
        file: String,
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// What is wrong with its certificates.
        reason: CertificateProblem,
    },
    /// A certificate in a `tsa` store is not a self-signed root CA.
    #[error("trusted certificate {file} in trust store {store} of type {store_type} is invalid: {reason}")]
    NotRoot {
        /// The file's name.
        file: String,
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
        /// Why the certificate is not a root CA.
        reason: CertificateProblem,
    },
    /// The store holds no certificate at all.
    #[error("no x509 certificates were found in trust store {} of type {}", GoQuoted(.store), GoQuoted(.store_type.as_str()))]
    NoCertificates {
        /// The store name.
        store: String,
        /// The store type.
        store_type: StoreType,
    },
}

impl TrustStoreError {
    /// Upstream's `InnerError` text, if any.
    pub(crate) fn inner_message(&self) -> Option<String> {
        match self {
            TrustStoreError::NotExist { error, .. } | TrustStoreError::Access { error, .. } => {
                Some(error.to_string())
            }
            TrustStoreError::Read { error, .. } => Some(error.to_string()),
            TrustStoreError::Invalid { reason, .. } | TrustStoreError::NotRoot { reason, .. } => {
                Some(reason.to_string())
            }
            TrustStoreError::NoCertificates { .. } => Some("file does not exist".to_string()),
            _ => None,
        }
    }

    /// Whether upstream's error wraps `fs.ErrNotExist`.
    pub(crate) fn is_not_exist(&self) -> bool {
        match self {
            TrustStoreError::NotExist { .. } | TrustStoreError::NoCertificates { .. } => true,
            TrustStoreError::Read { error, .. } => error.is_not_found(),
            _ => false,
        }
    }
}

/// Why certificates of a store cannot be trusted, with notation-go's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateProblem {
    /// The file holds no certificate.
    #[error("input certs cannot be empty")]
    Empty,
    /// A certificate is neither a CA nor verifiable with its own key.
    #[error("certificate with subject {} is not a CA certificate or self-signed signing certificate", GoQuoted(.0))]
    NotCaOrSelfSigned(String),
    /// A certificate of a `tsa` store cannot have signed itself.
    #[error("certificate with subject {} is not a root CA certificate: {reason}", GoQuoted(.subject))]
    NotSelfIssued {
        /// The certificate's subject.
        subject: String,
        /// Why its signature does not verify with its own key.
        reason: CertSignatureError,
    },
    /// A certificate of a `tsa` store has an issuer other than its subject.
    #[error("certificate with subject {} is not a root CA certificate: issuer ({issuer}) and subject ({subject}) are not the same", GoQuoted(.subject))]
    IssuerNotSubject {
        /// The certificate's subject.
        subject: String,
        /// The certificate's issuer.
        issuer: String,
    },
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
    let entries = store_entries(&path, store_type, store)?;
    let mut certificates = Vec::new();
    for (file, file_type) in entries {
        if file_type.is_dir() || file_type.is_symlink() {
            return Err(TrustStoreError::NotRegularFile {
                file,
                store: store.to_string(),
                store_type,
            });
        }
        certificates.extend(load_file(&path, file, store_type, store)?);
    }
    if certificates.is_empty() {
        return Err(TrustStoreError::NoCertificates {
            store: store.to_string(),
            store_type,
        });
    }
    Ok(certificates)
}

/// The entries of the store directory at `path`, which must be a real directory.
fn store_entries(
    path: &Path,
    store_type: StoreType,
    store: &str,
) -> Result<Vec<(String, fs::FileType)>, TrustStoreError> {
    let owned = || store.to_string();
    let meta = fs::symlink_metadata(path).map_err(|e| {
        let error = PathError::new("lstat", path, e);
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
            path: path.to_path_buf(),
        });
    }
    sorted_entries(path).map_err(|error| TrustStoreError::Access {
        store: owned(),
        store_type,
        error,
    })
}

/// The certificates of one file of a store, checked as the store's type requires.
fn load_file(
    dir: &Path,
    file: String,
    store_type: StoreType,
    store: &str,
) -> Result<Vec<Certificate>, TrustStoreError> {
    let certs = match read_certificate_file(&dir.join(&file)) {
        Ok(certs) => certs,
        Err(error) => {
            return Err(TrustStoreError::Read {
                file,
                store: store.to_string(),
                store_type,
                error,
            })
        }
    };
    if let Err(reason) = validate_certificates(&certs) {
        return Err(TrustStoreError::Invalid {
            file,
            store: store.to_string(),
            store_type,
            reason,
        });
    }
    if store_type == StoreType::Tsa {
        if let Some(reason) = certs.iter().find_map(|c| root_ca_problem(c).err()) {
            return Err(TrustStoreError::NotRoot {
                file,
                store: store.to_string(),
                store_type,
                reason,
            });
        }
    }
    Ok(certs)
}

/// notation-go's `ValidateCertificates`: at least one certificate, each a CA or verifiable
/// with its own key (Go `CheckSignature`, which does not compare subject and issuer).
fn validate_certificates(certs: &[Certificate]) -> Result<(), CertificateProblem> {
    if certs.is_empty() {
        return Err(CertificateProblem::Empty);
    }
    for cert in certs {
        if !cert.is_ca() && check_signature(cert, cert, SignatureCheck::SelfSignature).is_err() {
            return Err(CertificateProblem::NotCaOrSelfSigned(cert.subject()));
        }
    }
    Ok(())
}

/// notation-go's `isRootCACertificate`: Go's `CheckSignatureFrom(itself)` (cA=true, keyCertSign
/// when keyUsage is present, signature verifies), then raw subject == raw issuer.
fn root_ca_problem(cert: &Certificate) -> Result<(), CertificateProblem> {
    if let Err(reason) = check_signature(cert, cert, SignatureCheck::IssuedBy) {
        return Err(CertificateProblem::NotSelfIssued {
            subject: cert.subject(),
            reason,
        });
    }
    if cert.raw_subject() != cert.raw_issuer() {
        return Err(CertificateProblem::IssuerNotSubject {
            subject: cert.subject(),
            issuer: cert.issuer(),
        });
    }
    Ok(())
}
