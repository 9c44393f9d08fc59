//! notation's directories and configuration files, exactly as Go notation keeps them.

pub mod config_json;
pub mod signingkeys;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Mode of directories notation creates under the config dir.
pub const DIR_MODE: u32 = 0o700;
/// Mode of private files (keys, signingkeys.json, trust store copies, policies).
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// The resolved config, libexec and cache directories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dirs {
    /// `{NOTATION_CONFIG}`.
    pub config: PathBuf,
    /// `{NOTATION_LIBEXEC}`, parent of `plugins/`.
    pub libexec: PathBuf,
    /// `{NOTATION_CACHE}`.
    pub cache: PathBuf,
}

impl Dirs {
    /// Resolve from the process environment.
    pub fn from_env() -> Dirs {
        Dirs::resolve(|k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Resolve with `env` as the environment: NOTATION_CONFIG / NOTATION_LIBEXEC /
    /// NOTATION_CACHE win; otherwise Go's `os.UserConfigDir`/`UserCacheDir` + `notation`,
    /// falling back to `.notation` and `.notation/cache` when those cannot be determined.
    pub fn resolve(env: impl Fn(&str) -> Option<String>) -> Dirs {
        let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
        let config = nonempty("NOTATION_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                user_dir(&env, "XDG_CONFIG_HOME", ".config")
                    .map(|d| d.join("notation"))
                    .unwrap_or_else(|| PathBuf::from(".notation"))
            });
        let libexec = nonempty("NOTATION_LIBEXEC")
            .map(PathBuf::from)
            .unwrap_or_else(|| config.clone());
        let cache = nonempty("NOTATION_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                user_dir(&env, "XDG_CACHE_HOME", ".cache")
                    .map(|d| d.join("notation"))
                    .unwrap_or_else(|| PathBuf::from(".notation").join("cache"))
            });
        Dirs {
            config,
            libexec,
            cache,
        }
    }

    /// `{NOTATION_CONFIG}/config.json`.
    pub fn config_json(&self) -> PathBuf {
        self.config.join("config.json")
    }
    /// `{NOTATION_CONFIG}/signingkeys.json`.
    pub(crate) fn signingkeys_json(&self) -> PathBuf {
        self.config.join("signingkeys.json")
    }
    /// `{NOTATION_CONFIG}/trustpolicy.json` (what v1.3.2 reads).
    pub fn trust_policy_json(&self) -> PathBuf {
        self.config.join("trustpolicy.json")
    }
    /// `{NOTATION_CONFIG}/trustpolicy.oci.json` (the v2 name, preferred when present).
    pub fn trust_policy_oci_json(&self) -> PathBuf {
        self.config.join("trustpolicy.oci.json")
    }
    /// `{NOTATION_CONFIG}/trustpolicy.blob.json`.
    pub fn trust_policy_blob_json(&self) -> PathBuf {
        self.config.join("trustpolicy.blob.json")
    }
    /// `{NOTATION_CONFIG}/localkeys`.
    pub fn localkeys(&self) -> PathBuf {
        self.config.join("localkeys")
    }
    /// `{NOTATION_CONFIG}/truststore/x509`.
    pub(crate) fn x509_truststore(&self) -> PathBuf {
        self.config.join("truststore").join("x509")
    }
    /// `{NOTATION_LIBEXEC}/plugins`.
    pub fn plugins(&self) -> PathBuf {
        self.libexec.join("plugins")
    }
    /// `{NOTATION_CACHE}/crl`.
    pub fn crl_cache(&self) -> PathBuf {
        self.cache.join("crl")
    }
}

/// Reading a config file that must be a regular file (config.json, signingkeys.json).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A symlink, directory or other non-regular file.
    #[error("{} is not a regular file (symlinks are not supported)", crate::go::fmt::GoQuoted(&.path.display()))]
    NotRegular {
        /// The file.
        path: PathBuf,
    },
    /// An I/O error, printed as Go's `*PathError`.
    #[error("{}", crate::go::os::path_error(.op, .path, .error))]
    Io {
        /// Go's name of the failed call (`open`, `stat`, …).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

/// Read a config file as notation-go does: `lstat` first (so symlinks are refused), a missing
/// file is `Ok(None)`.
pub(crate) fn read_regular_file(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(ReadError::Io {
                op: "lstat",
                path: path.to_path_buf(),
                error,
            })
        }
    };
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    fs::read(path).map(Some).map_err(|error| ReadError::Io {
        op: "open",
        path: path.to_path_buf(),
        error,
    })
}

/// Go's `os.UserConfigDir`/`UserCacheDir` on Unix: `$XDG_*` if absolute, else
/// `$HOME/<fallback>`; a relative XDG value is an error in Go, i.e. `None` here.
fn user_dir(env: &impl Fn(&str) -> Option<String>, xdg: &str, home_sub: &str) -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        let home = env("HOME").filter(|h| !h.is_empty())?;
        let sub = if home_sub == ".config" {
            "Library/Application Support"
        } else {
            "Library/Caches"
        };
        return Some(Path::new(&home).join(sub));
    }
    match env(xdg).filter(|v| !v.is_empty()) {
        Some(v) if Path::new(&v).is_absolute() => Some(PathBuf::from(v)),
        Some(_) => None,
        None => {
            let home = env("HOME").filter(|h| !h.is_empty())?;
            Some(Path::new(&home).join(home_sub))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn dirs(vars: &[(&str, &str)]) -> Dirs {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Dirs::resolve(|k| m.get(k).cloned())
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn resolution_order() {
        let d = dirs(&[("HOME", "/h")]);
        assert_eq!(d.config, PathBuf::from("/h/.config/notation"));
        assert_eq!(d.cache, PathBuf::from("/h/.cache/notation"));
        assert_eq!(d.libexec, d.config);
        let d = dirs(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
            ("XDG_CACHE_HOME", "/c"),
        ]);
        assert_eq!(d.config, PathBuf::from("/x/notation"));
        assert_eq!(d.cache, PathBuf::from("/c/notation"));
        let d = dirs(&[("XDG_CONFIG_HOME", "rel")]);
        assert_eq!(d.config, PathBuf::from(".notation"));
        assert_eq!(d.cache, PathBuf::from(".notation/cache"));
        let d = dirs(&[
            ("HOME", "/h"),
            ("NOTATION_CONFIG", "cfg"),
            ("NOTATION_CACHE", "/cache"),
        ]);
        assert_eq!(d.config, PathBuf::from("cfg"));
        assert_eq!(d.libexec, PathBuf::from("cfg"));
        assert_eq!(d.cache, PathBuf::from("/cache"));
    }
}
