//! notation's CRL file cache (verification.md §9.4): `{NOTATION_CACHE}/crl/<hex sha256 of
//! the URL>` holding `{"baseCRL":"<base64 DER>","deltaCRL":"<base64 DER>"}`, shared with Go
//! notation.

use crate::go::fmt::GoQuoted;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::path::PathBuf;

/// Mode of the cache directory.
const DIR_MODE: u32 = 0o700;
/// Mode of cache entries (what Go's `os.CreateTemp` gives them).
const FILE_MODE: u32 = 0o600;

/// One cache entry: the DER bytes of a base CRL and of its delta CRL. Parsing them is the
/// CRL module's business; the cache only stores bytes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Content {
    /// The base CRL.
    #[serde(rename = "baseCRL", with = "b64")]
    pub base: Vec<u8>,
    #[serde(
        rename = "deltaCRL",
        with = "b64_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// The delta CRL, if the base CRL named one.
    pub delta: Option<Vec<u8>>,
}

mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

mod b64_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::b64::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::b64")] Vec<u8>);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// The CRL cache directory.
#[derive(Debug, Clone)]
pub struct FileCache {
    root: PathBuf,
}

/// A CRL file cache failure; texts are notation-core-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The cache directory could not be created (Go's path error).
    #[error("failed to create crl file cache: {0}")]
    Create(String),
    /// An entry could not be read (Go's path error).
    #[error("failed to get crl bundle from file cache with key {}: {reason}", GoQuoted(.url))]
    Read {
        /// The CRL URL (the cache key).
        url: String,
        /// Go's path error.
        reason: String,
    },
    /// An entry is not a cached bundle.
    #[error("failed to decode file retrieved from file cache: {0}")]
    Decode(String),
    /// An entry could not be written.
    #[error("failed to store crl bundle in file cache: {0}")]
    Store(String),
}

impl FileCache {
    /// Create the directory (mode 0700) if needed; the error is upstream's
    /// `failed to create crl file cache: …` text.
    pub fn create(root: PathBuf) -> Result<FileCache, CacheError> {
        crate::atomic::create_dir_all(&root, DIR_MODE)
            .map_err(|e| CacheError::Create(crate::go::os::path_error("mkdir", &root, &e)))?;
        Ok(FileCache { root })
    }

    /// The cache directory.
    #[cfg(test)]
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// File name of the entry for `url`: lowercase hex SHA-256 of the URL.
    pub fn file_name(url: &str) -> String {
        hex::encode(Sha256::digest(url.as_bytes()))
    }

    /// Read the entry for `url`; `None` when there is none. Errors (unreadable,
    /// undecodable) are upstream's texts.
    pub fn get(&self, url: &str) -> Result<Option<Content>, CacheError> {
        let quoted = crate::go::fmt::quote(url);
        log::debug!("Retrieving crl bundle from file cache with key {quoted} ...");
        let path = self.root.join(Self::file_name(url));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                log::debug!("CRL file cache miss. Key {quoted} does not exist");
                return Ok(None);
            }
            Err(e) => {
                return Err(CacheError::Read {
                    url: url.to_string(),
                    reason: crate::go::os::path_error("open", &path, &e),
                })
            }
        };
        let content: Content =
            serde_json::from_slice(&bytes).map_err(|e| CacheError::Decode(e.to_string()))?;
        Ok(Some(content))
    }

    /// Store `content` for `url` atomically (temp file in the directory, then rename).
    pub fn set(&self, url: &str, content: &Content) -> Result<(), CacheError> {
        log::debug!(
            "Storing crl bundle to file cache with key {} ...",
            crate::go::fmt::quote(url)
        );
        let mut json = serde_json::to_vec(content).map_err(|e| CacheError::Store(e.to_string()))?;
        json.push(b'\n');
        let path = self.root.join(Self::file_name(url));
        crate::atomic::write(&path, &json, FILE_MODE, DIR_MODE)
            .map_err(|e| CacheError::Store(crate::go::os::path_error("rename", &path, &e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_is_sha256_hex_of_the_url() {
        assert_eq!(
            FileCache::file_name("http://localhost/x.crl"),
            hex::encode(Sha256::digest(b"http://localhost/x.crl"))
        );
        assert_eq!(FileCache::file_name("a").len(), 64);
    }

    #[test]
    fn content_format() {
        let c = Content {
            base: vec![1, 2, 3],
            delta: None,
        };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"baseCRL":"AQID"}"#);
        let c = Content {
            base: vec![1],
            delta: Some(vec![2, 3]),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"baseCRL":"AQ==","deltaCRL":"AgM="}"#);
        let back: Content = serde_json::from_str(&text).unwrap();
        assert_eq!((back.base, back.delta), (vec![1], Some(vec![2, 3])));
    }

    #[test]
    fn missing_and_garbage_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::create(dir.path().join("crl")).unwrap();
        assert!(matches!(cache.get("http://x"), Ok(None)));
        std::fs::write(cache.root().join(FileCache::file_name("http://x")), b"{").unwrap();
        assert!(cache
            .get("http://x")
            .unwrap_err()
            .to_string()
            .starts_with("failed to decode file retrieved from file cache"));
    }
}
