//! Notary Project plugins (plugins.md): finding them under `{NOTATION_LIBEXEC}/plugins`,
//! running their commands, installing and removing them.
//!
//! Signing through a plugin is in `signer::plugin`, plugin verification in
//! `verifier::plugin` (both above this module).

pub mod install;
pub mod proto;
mod run;
pub mod semver;

use crate::go::fmt::GoQuoted;
use proto::{Metadata, RequestError};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub(crate) use run::MAX_OUTPUT_BYTES;

/// Why talking to a plugin failed. Display texts are notation-go's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The executable is missing or cannot be stat'ed.
    #[error("plugin executable file is either not found or inaccessible: {}", crate::go::os::path_error("stat", .path, .error))]
    NotFound {
        /// The executable.
        path: PathBuf,
        /// The failed `stat`.
        error: io::Error,
    },
    /// The executable is not a regular file.
    #[error("plugin executable file is not a regular file")]
    NotRegular {
        /// The executable.
        path: PathBuf,
    },
    /// The executable could not be started.
    #[error("fork/exec {}: {error}", .path.display())]
    Exec {
        /// The executable.
        path: PathBuf,
        /// The system's error.
        error: String,
        /// The system cannot run this file format (ENOEXEC).
        bad_format: bool,
    },
    /// The executable is in a format the system cannot run (ENOEXEC). Reported as the
    /// generic failure `generic`, except by `plugin list`, which words it as notation does.
    #[error("{generic}")]
    NotExecutable {
        /// The executable.
        path: PathBuf,
        /// The system's error.
        error: String,
        /// The generic failure reported instead.
        generic: Box<PluginError>,
    },
    /// The plugin failed (its error object, or a generic error when it had none).
    #[error("{0}")]
    Request(RequestError),
    /// Exit 0 but stdout is not the expected JSON.
    #[error("failed to decode json response: plugin not compliant")]
    NotCompliant,
    /// stdout or stderr exceeded 64 MiB.
    #[error("plugin output exceeds the limit of {} bytes", MAX_OUTPUT_BYTES)]
    OutputTooLarge,
    /// get-plugin-metadata answered something invalid.
    #[error("invalid metadata: {0}")]
    InvalidMetadata(#[from] proto::MetadataError),
    /// get-plugin-metadata names another plugin.
    #[error("executable name must be {} instead of {}", GoQuoted(.expected), GoQuoted(.actual))]
    NameMismatch {
        /// The name of the executable.
        expected: String,
        /// The name in the metadata.
        actual: String,
    },
}

/// The executable file name of plugin `name`.
pub fn binary_name(name: &str) -> String {
    if cfg!(windows) {
        format!("{}{name}.exe", proto::BINARY_PREFIX)
    } else {
        format!("{}{name}", proto::BINARY_PREFIX)
    }
}

/// An installed plugin executable.
#[derive(Debug, Clone)]
pub struct Plugin {
    name: String,
    path: PathBuf,
}

impl Plugin {
    /// notation-go `CLIManager.Get`: `{plugins_dir}/<name>/notation-<name>` must be a
    /// regular file (symlinks followed).
    pub fn open(plugins_dir: &Path, name: &str) -> Result<Plugin, PluginError> {
        Plugin::at(name, &plugins_dir.join(name).join(binary_name(name)))
    }

    /// A plugin executable at an arbitrary path (used to vet a plugin before installing).
    pub fn at(name: &str, path: &Path) -> Result<Plugin, PluginError> {
        match std::fs::metadata(path) {
            Err(error) => Err(PluginError::NotFound {
                path: path.to_path_buf(),
                error,
            }),
            Ok(m) if !m.is_file() => Err(PluginError::NotRegular {
                path: path.to_path_buf(),
            }),
            Ok(_) => Ok(Plugin {
                name: name.to_string(),
                path: path.to_path_buf(),
            }),
        }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Path of the executable.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `get-plugin-metadata`, validated, and its name checked against ours.
    pub fn metadata(&self, config: &BTreeMap<String, String>) -> Result<Metadata, PluginError> {
        let req = proto::GetMetadataRequest {
            plugin_config: config.clone(),
        };
        let meta: Metadata = run::run(&self.path, "get-plugin-metadata", &req)?;
        meta.validate()?;
        if meta.name != self.name {
            return Err(PluginError::NameMismatch {
                expected: binary_name(&meta.name),
                actual: self
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            });
        }
        Ok(meta)
    }

    /// `describe-key`.
    pub(crate) fn describe_key(
        &self,
        req: &proto::DescribeKeyRequest,
    ) -> Result<proto::DescribeKeyResponse, PluginError> {
        run::run(&self.path, "describe-key", req)
    }

    /// `generate-signature`.
    pub(crate) fn generate_signature(
        &self,
        req: &proto::GenerateSignatureRequest,
    ) -> Result<proto::GenerateSignatureResponse, PluginError> {
        run::run(&self.path, "generate-signature", req)
    }

    /// `generate-envelope`.
    pub(crate) fn generate_envelope(
        &self,
        req: &proto::GenerateEnvelopeRequest,
    ) -> Result<proto::GenerateEnvelopeResponse, PluginError> {
        run::run(&self.path, "generate-envelope", req)
    }

    /// `verify-signature`.
    pub(crate) fn verify_signature(
        &self,
        req: &proto::VerifySignatureRequest,
    ) -> Result<proto::VerifySignatureResponse, PluginError> {
        run::run(&self.path, "verify-signature", req)
    }
}

/// One row of `notation plugin list`.
#[derive(Debug)]
pub struct Listed {
    /// Directory name under the plugin root.
    pub name: String,
    /// Metadata, or why it could not be obtained.
    pub metadata: Result<Metadata, PluginError>,
}

/// notation's `plugin list`: every non-symlink directory under the root, by name.
pub fn list(plugins_dir: &Path) -> io::Result<Vec<Listed>> {
    let entries = match std::fs::read_dir(plugins_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let metadata =
                Plugin::open(plugins_dir, &name).and_then(|p| p.metadata(&BTreeMap::new()));
            Listed { name, metadata }
        })
        .collect())
}
