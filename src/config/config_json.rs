//! `{NOTATION_CONFIG}/config.json`: signature format, insecure registries, credential stores.
//!
//! notation never creates this file. It is read from the effective config dir (honouring
//! `NOTATION_CONFIG`), not from the default dir as v1.3.2 does by accident (cli.md §0.2).

use super::{read_regular_file, Dirs, ReadError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading config.json.
#[derive(Debug, thiserror::Error)]
pub enum ConfigJsonError {
    /// Not a regular file, unreadable.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Not JSON, or notation's own fields have the wrong type.
    #[error("failed to decode {path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        reason: String,
    },
    /// `auths`, `credsStore` or `credHelpers` have the wrong type (ORAS' credential loader text).
    #[error("failed to decode config file at {path}: invalid config format: {reason}")]
    InvalidCredentialConfig {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        reason: String,
    },
}

/// The parsed config.json. Unknown fields are kept in `other` so a rewrite (logout) can
/// preserve them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigJson {
    /// `insecureRegistries`: registries contacted over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// `signatureFormat` as written (see [`ConfigJson::signature_format`]).
    pub signature_format: Option<String>,
    /// `credsStore`: credential helper suffix for every registry.
    pub creds_store: Option<String>,
    /// `credHelpers`: registry → credential helper suffix.
    pub cred_helpers: BTreeMap<String, String>,
    /// `auths`: Docker-style plaintext entries, kept verbatim.
    pub auths: Map<String, Value>,
    /// Every other top-level field, verbatim.
    pub other: Map<String, Value>,
}

impl ConfigJson {
    /// Load `{NOTATION_CONFIG}/config.json`; a missing file gives the defaults.
    pub fn load(dirs: &Dirs) -> Result<ConfigJson, ConfigJsonError> {
        Self::load_from(&dirs.config_json())
    }

    /// Load from an explicit path; a missing file gives the defaults.
    pub(crate) fn load_from(path: &Path) -> Result<ConfigJson, ConfigJsonError> {
        match read_regular_file(path)? {
            None => Ok(ConfigJson::default()),
            Some(bytes) => Self::parse(path, &bytes),
        }
    }

    /// Parse config.json bytes (`path` only names the file in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<ConfigJson, ConfigJsonError> {
        let malformed = |reason: String| ConfigJsonError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let invalid_cred = |reason: &str| ConfigJsonError::InvalidCredentialConfig {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let Value::Object(mut obj) = value else {
            return Err(malformed("config.json must hold a JSON object".into()));
        };
        let mut cfg = ConfigJson::default();
        if let Some(v) = obj.remove("insecureRegistries") {
            cfg.insecure_registries = match v {
                Value::Null => vec![],
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s),
                        _ => Err(malformed(
                            "insecureRegistries must be an array of strings".into(),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(malformed(
                        "insecureRegistries must be an array of strings".into(),
                    ))
                }
            };
        }
        if let Some(v) = obj.remove("signatureFormat") {
            cfg.signature_format = match v {
                Value::Null => None,
                Value::String(s) => Some(s),
                _ => return Err(malformed("signatureFormat must be a string".into())),
            };
        }
        if let Some(v) = obj.remove("credsStore") {
            cfg.creds_store = match v {
                Value::Null => None,
                Value::String(s) => Some(s),
                _ => return Err(invalid_cred("credsStore must be a string")),
            };
        }
        if let Some(v) = obj.remove("credHelpers") {
            cfg.cred_helpers = match v {
                Value::Null => BTreeMap::new(),
                Value::Object(m) => m
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok((k, s)),
                        _ => Err(invalid_cred("credHelpers values must be strings")),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(invalid_cred("credHelpers must be an object")),
            };
        }
        if let Some(v) = obj.remove("auths") {
            cfg.auths = match v {
                Value::Null => Map::new(),
                Value::Object(m) => m,
                _ => return Err(invalid_cred("auths must be an object")),
            };
        }
        cfg.other = obj;
        Ok(cfg)
    }

    /// The default `--signature-format`: lower-cased `signatureFormat`, `jws` when unset or empty.
    pub fn signature_format(&self) -> String {
        match self.signature_format.as_deref() {
            None | Some("") => "jws".to_string(),
            Some(f) => f.to_lowercase(),
        }
    }

    /// Whether `registry` (`host[:port]`) is listed in `insecureRegistries` (case-insensitive).
    pub fn is_insecure_registry(&self, registry: &str) -> bool {
        self.insecure_registries
            .iter()
            .any(|r| r.eq_ignore_ascii_case(registry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ConfigJson, ConfigJsonError> {
        ConfigJson::parse(Path::new("/c/config.json"), s.as_bytes())
    }

    #[test]
    fn reads_documented_example_and_keeps_unknown_fields() {
        let cfg = parse(
            r#"{"credsStore":"pass","credHelpers":{"registry.io":"pass"},"signatureFormat":"COSE",
                "insecureRegistries":["Registry.Wabbit-Networks.io"],"auths":{"a":{"auth":"eA=="}},"x":1}"#,
        )
        .unwrap();
        assert_eq!(cfg.signature_format(), "cose");
        assert!(cfg.is_insecure_registry("registry.wabbit-networks.io"));
        assert!(!cfg.is_insecure_registry("other.io"));
        assert_eq!(cfg.cred_helpers["registry.io"], "pass");
        assert_eq!(cfg.other["x"], Value::from(1));
    }

    #[test]
    fn defaults_when_missing_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ConfigJson::load_from(&dir.path().join("config.json")).unwrap();
        assert_eq!(cfg, ConfigJson::default());
        assert_eq!(cfg.signature_format(), "jws");
        assert_eq!(
            parse(r#"{"signatureFormat":""}"#)
                .unwrap()
                .signature_format(),
            "jws"
        );
    }

    #[test]
    fn rejects_wrong_types_and_bad_json() {
        let e = parse(r#"{"auths":[]}"#).unwrap_err().to_string();
        assert_eq!(
            e,
            "failed to decode config file at /c/config.json: invalid config format: auths must be an object"
        );
        assert!(parse("{").is_err());
        assert!(parse(r#"{"insecureRegistries":"x"}"#).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "{}").unwrap();
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = ConfigJson::load_from(&link).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "\"{}\" is not a regular file (symlinks are not supported)",
                link.display()
            )
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(ConfigJson::load_from(&sub).is_err());
    }
}
