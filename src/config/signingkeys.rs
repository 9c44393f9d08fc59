//! `{NOTATION_CONFIG}/signingkeys.json`: named signing keys and the default one.
//!
//! Same schema, field order and encoding as notation-go's `config.SigningKeys` (4-space
//! indentation, trailing newline, Go escaping), but written atomically. Every mutation is
//! load → change → validate → save; a failing change saves nothing.

use super::{read_regular_file, Dirs, ReadError, DIR_MODE, PRIVATE_FILE_MODE};
use crate::go::fmt as gofmt;
use crate::go::os;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

/// Errors loading, changing or saving signingkeys.json, with upstream's texts.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeysError {
    /// The file is not a regular file or cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Not valid JSON for the schema.
    #[error("malformed signingkeys.json: {0}")]
    Decode(String),
    /// A key entry without a name.
    #[error("malformed signingkeys.json: key name cannot be empty")]
    MalformedEmptyName,
    /// Two entries share a name.
    #[error("malformed signingkeys.json: multiple keys with name '{0}' found")]
    MalformedDuplicate(String),
    /// `"default": ""`.
    #[error("malformed signingkeys.json: default key name cannot be empty")]
    MalformedEmptyDefault,
    /// `default` names no entry.
    #[error("malformed signingkeys.json: default key '{0}' not found")]
    MalformedDefaultNotFound(String),
    /// An operation was given an empty key name.
    #[error("key name cannot be empty")]
    EmptyName,
    /// Adding a name that exists.
    #[error("signing key with name {} already exists", gofmt::GoQuoted(.0))]
    AlreadyExists(String),
    /// Looking up, updating or deleting an unknown name.
    #[error("signing key {0} not found")]
    NotFound(String),
    /// No name given and no default set.
    #[error("default signing key not set. Please set default signing key or specify a key name")]
    NoDefault,
    /// `key add --plugin` without `--id`.
    #[error("missing key id")]
    MissingKeyId,
    /// `key add --plugin ""`.
    #[error("plugin name cannot be empty")]
    EmptyPluginName,
    /// The plugin executable is missing or cannot be stat'ed.
    #[error("plugin executable file is either not found or inaccessible: {}", os::path_error("stat", .path, .error))]
    PluginNotFound {
        /// The executable's path.
        path: PathBuf,
        /// The failed `stat`.
        error: io::Error,
    },
    /// The plugin "executable" is a directory or other non-regular file.
    #[error("plugin executable file is not a regular file")]
    PluginNotRegular {
        /// The executable's path.
        path: PathBuf,
    },
    /// The key and certificate files of a local key do not form a usable pair.
    #[error("{0}")]
    KeyPair(String),
    /// Writing the file failed.
    #[error("failed to save {}: {}", .path.display(), os::errno_text(.error))]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

type Result<T> = std::result::Result<T, SigningKeysError>;

/// One entry of `keys`. Local keys carry `keyPath`/`certPath`, plugin keys `id`/`pluginName`/
/// `pluginConfig`; as in Go, a field's presence (even empty) decides which kind it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Key name.
    #[serde(default)]
    pub name: String,
    /// PEM private key path (local keys); relative paths are relative to the current directory.
    #[serde(rename = "keyPath", default, skip_serializing_if = "is_empty")]
    pub key_path: Option<String>,
    /// PEM certificate chain path, leaf first (local keys).
    #[serde(rename = "certPath", default, skip_serializing_if = "is_empty")]
    pub cert_path: Option<String>,
    /// Key id passed to the plugin (plugin keys).
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: Option<String>,
    /// Plugin name (plugin keys).
    #[serde(rename = "pluginName", default, skip_serializing_if = "is_empty")]
    pub plugin_name: Option<String>,
    /// Plugin configuration (plugin keys), written with sorted keys as Go does.
    #[serde(rename = "pluginConfig", default, skip_serializing_if = "is_empty_map")]
    pub plugin_config: Option<BTreeMap<String, String>>,
}

fn is_empty(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(str::is_empty)
}

fn is_empty_map(v: &Option<BTreeMap<String, String>>) -> bool {
    v.as_ref().is_none_or(BTreeMap::is_empty)
}

/// The files of a local key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalKeyPair {
    /// Private key file, as written in signingkeys.json.
    pub key_path: PathBuf,
    /// Certificate chain file, as written in signingkeys.json.
    pub cert_path: PathBuf,
}

/// A key held by a plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalKey {
    /// Key id.
    pub id: String,
    /// Plugin name.
    pub plugin_name: String,
    /// Plugin configuration.
    pub plugin_config: BTreeMap<String, String>,
}

impl KeyEntry {
    /// The local key pair, if this entry has `keyPath` or `certPath`.
    pub fn local_pair(&self) -> Option<LocalKeyPair> {
        if self.key_path.is_none() && self.cert_path.is_none() {
            return None;
        }
        Some(LocalKeyPair {
            key_path: PathBuf::from(self.key_path.clone().unwrap_or_default()),
            cert_path: PathBuf::from(self.cert_path.clone().unwrap_or_default()),
        })
    }

    /// The plugin key, if this entry has `id`, `pluginName` or `pluginConfig`.
    pub fn external(&self) -> Option<ExternalKey> {
        if self.id.is_none() && self.plugin_name.is_none() && self.plugin_config.is_none() {
            return None;
        }
        Some(ExternalKey {
            id: self.id.clone().unwrap_or_default(),
            plugin_name: self.plugin_name.clone().unwrap_or_default(),
            plugin_config: self.plugin_config.clone().unwrap_or_default(),
        })
    }
}

/// The contents of signingkeys.json.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    /// The default key's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Keys in file order.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub keys: Vec<KeyEntry>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<KeyEntry>, D::Error> {
    Ok(Option::<Vec<KeyEntry>>::deserialize(d)?.unwrap_or_default())
}

impl SigningKeys {
    /// Load `{NOTATION_CONFIG}/signingkeys.json`; a missing file means no keys.
    pub fn load(dirs: &Dirs) -> Result<SigningKeys> {
        Self::load_from(&dirs.signingkeys_json())
    }

    /// Load from an explicit path; a missing file means no keys.
    pub(crate) fn load_from(path: &Path) -> Result<SigningKeys> {
        match read_regular_file(path)? {
            None => Ok(SigningKeys::default()),
            Some(bytes) => Self::parse(&bytes),
        }
    }

    /// Parse and validate the file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<SigningKeys> {
        let keys: SigningKeys =
            serde_json::from_slice(bytes).map_err(|e| SigningKeysError::Decode(e.to_string()))?;
        keys.validate()?;
        Ok(keys)
    }

    /// The exact bytes notation writes: Go JSON, 4-space indentation, trailing newline.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            crate::go::json::to_vec_indent(self, "    ").expect("strings and maps always encode");
        out.push(b'\n');
        out
    }

    /// Validate, then write `{NOTATION_CONFIG}/signingkeys.json` atomically (0600, dirs 0700).
    pub fn save(&self, dirs: &Dirs) -> Result<()> {
        self.save_to(&dirs.signingkeys_json())
    }

    /// Validate, then write to `path` atomically.
    pub(crate) fn save_to(&self, path: &Path) -> Result<()> {
        self.validate()?;
        crate::atomic::write(path, &self.to_bytes(), PRIVATE_FILE_MODE, DIR_MODE).map_err(|error| {
            SigningKeysError::Write {
                path: path.to_path_buf(),
                error,
            }
        })
    }

    /// notation-go's `validateKeys`: unique non-empty names, a default naming an entry.
    pub fn validate(&self) -> Result<()> {
        let mut seen = HashSet::with_capacity(self.keys.len());
        for key in &self.keys {
            if key.name.is_empty() {
                return Err(SigningKeysError::MalformedEmptyName);
            }
            if !seen.insert(key.name.as_str()) {
                return Err(SigningKeysError::MalformedDuplicate(key.name.clone()));
            }
        }
        match self.default.as_deref() {
            Some("") => Err(SigningKeysError::MalformedEmptyDefault),
            Some(d) if !seen.contains(d) => {
                Err(SigningKeysError::MalformedDefaultNotFound(d.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Result<&KeyEntry> {
        if name.is_empty() {
            return Err(SigningKeysError::EmptyName);
        }
        self.keys
            .iter()
            .find(|k| k.name == name)
            .ok_or_else(|| SigningKeysError::NotFound(name.to_string()))
    }

    /// The key `sign` uses: the named one, or the default when no (or an empty) name is given.
    pub fn resolve(&self, name: Option<&str>) -> Result<KeyEntry> {
        match name.filter(|n| !n.is_empty()) {
            Some(n) => self.get(n).cloned(),
            None => {
                let default = self.default.as_deref().ok_or(SigningKeysError::NoDefault)?;
                self.get(default).cloned()
            }
        }
    }

    /// Register a local key pair. The caller checks the files form a usable pair first
    /// ([`crate::x509::load_key_pair`]); paths are stored as given.
    pub fn add_local(
        &mut self,
        name: &str,
        key_path: &str,
        cert_path: &str,
        set_default: bool,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(SigningKeysError::EmptyName);
        }
        self.add(
            KeyEntry {
                name: name.to_string(),
                key_path: Some(key_path.to_string()),
                cert_path: Some(cert_path.to_string()),
                ..KeyEntry::default()
            },
            set_default,
        )
    }

    /// Register a plugin key after checking the plugin executable
    /// `<plugins_dir>/<plugin>/notation-<plugin>` exists, in upstream's check order.
    pub fn add_plugin(
        &mut self,
        name: &str,
        id: &str,
        plugin_name: &str,
        plugin_config: BTreeMap<String, String>,
        set_default: bool,
        plugins_dir: &Path,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(SigningKeysError::EmptyName);
        }
        if id.is_empty() {
            return Err(SigningKeysError::MissingKeyId);
        }
        if plugin_name.is_empty() {
            return Err(SigningKeysError::EmptyPluginName);
        }
        check_plugin_installed(plugins_dir, plugin_name)?;
        self.add(
            KeyEntry {
                name: name.to_string(),
                id: Some(id.to_string()),
                plugin_name: Some(plugin_name.to_string()),
                plugin_config: Some(plugin_config),
                ..KeyEntry::default()
            },
            set_default,
        )
    }

    fn add(&mut self, entry: KeyEntry, set_default: bool) -> Result<()> {
        if self.keys.iter().any(|k| k.name == entry.name) {
            return Err(SigningKeysError::AlreadyExists(entry.name));
        }
        if set_default {
            self.default = Some(entry.name.clone());
        }
        self.keys.push(entry);
        Ok(())
    }

    /// Make `name` the default key.
    pub fn update_default(&mut self, name: &str) -> Result<()> {
        self.get(name)?;
        self.default = Some(name.to_string());
        Ok(())
    }

    /// Remove `names` (all or nothing: on an unknown name nothing changes). Returns the
    /// removed names in order; removing the default leaves no default.
    pub fn delete(&mut self, names: &[&str]) -> Result<Vec<String>> {
        let mut next = self.clone();
        let mut removed = Vec::with_capacity(names.len());
        for &name in names {
            if name.is_empty() {
                return Err(SigningKeysError::EmptyName);
            }
            let idx = next
                .keys
                .iter()
                .position(|k| k.name == name)
                .ok_or_else(|| SigningKeysError::NotFound(name.to_string()))?;
            next.keys.remove(idx);
            if next.default.as_deref() == Some(name) {
                next.default = None;
            }
            removed.push(name.to_string());
        }
        *self = next;
        Ok(removed)
    }
}

/// The executable notation runs for plugin `name`.
pub(crate) fn plugin_executable(plugins_dir: &Path, name: &str) -> PathBuf {
    let bin = if cfg!(windows) {
        format!("notation-{name}.exe")
    } else {
        format!("notation-{name}")
    };
    plugins_dir.join(name).join(bin)
}

/// notation-go's `CLIManager.Get`: the plugin is installed when its executable is a regular file.
pub(crate) fn check_plugin_installed(plugins_dir: &Path, name: &str) -> Result<()> {
    let path = plugin_executable(plugins_dir, name);
    match std::fs::metadata(&path) {
        Err(error) => Err(SigningKeysError::PluginNotFound { path, error }),
        Ok(m) if !m.is_file() => Err(SigningKeysError::PluginNotRegular { path }),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// config-files.md §3: the file after `cert generate-test --default wabbit-networks.io`.
    const SPEC_EXAMPLE: &str = r#"{
    "default": "wabbit-networks.io",
    "keys": [
        {
            "name": "wabbit-networks.io",
            "keyPath": "/home/u/.config/notation/localkeys/wabbit-networks.io.key",
            "certPath": "/home/u/.config/notation/localkeys/wabbit-networks.io.crt"
        }
    ]
}
"#;

    fn local(name: &str) -> KeyEntry {
        KeyEntry {
            name: name.into(),
            key_path: Some(format!("{name}.key")),
            cert_path: Some(format!("{name}.crt")),
            ..KeyEntry::default()
        }
    }

    #[test]
    fn round_trips_the_spec_example_byte_for_byte() {
        let keys = SigningKeys::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(keys.to_bytes(), SPEC_EXAMPLE.as_bytes());
        let mut built = SigningKeys::default();
        built
            .add_local(
                "wabbit-networks.io",
                "/home/u/.config/notation/localkeys/wabbit-networks.io.key",
                "/home/u/.config/notation/localkeys/wabbit-networks.io.crt",
                true,
            )
            .unwrap();
        assert_eq!(String::from_utf8(built.to_bytes()).unwrap(), SPEC_EXAMPLE);
    }

    #[test]
    fn empty_file_and_plugin_entries_encode_like_go() {
        assert_eq!(
            SigningKeys::default().to_bytes(),
            b"{\n    \"keys\": []\n}\n"
        );
        let mut keys = SigningKeys::default();
        keys.keys.push(KeyEntry {
            name: "kms<1>".into(),
            id: Some("arn:a&b".into()),
            plugin_name: Some("com.example.kms".into()),
            plugin_config: Some(BTreeMap::from([
                ("z".into(), "1".into()),
                ("a".into(), "2".into()),
            ])),
            ..KeyEntry::default()
        });
        let text = String::from_utf8(keys.to_bytes()).unwrap();
        assert_eq!(
            text,
            "{\n    \"keys\": [\n        {\n            \"name\": \"kms\\u003c1\\u003e\",\n            \"id\": \"arn:a\\u0026b\",\n            \"pluginName\": \"com.example.kms\",\n            \"pluginConfig\": {\n                \"a\": \"2\",\n                \"z\": \"1\"\n            }\n        }\n    ]\n}\n"
        );
        let back = SigningKeys::parse(text.as_bytes()).unwrap();
        assert_eq!(back, keys);
        assert!(back.keys[0].local_pair().is_none());
        assert_eq!(
            back.keys[0].external().unwrap().plugin_name,
            "com.example.kms"
        );
    }

    #[test]
    fn validation_messages_match_upstream() {
        let err = |s: &str| SigningKeys::parse(s.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"keys":[{"name":""}]}"#),
            "malformed signingkeys.json: key name cannot be empty"
        );
        assert_eq!(
            err(r#"{"keys":[{"name":"a"},{"name":"a"}]}"#),
            "malformed signingkeys.json: multiple keys with name 'a' found"
        );
        assert_eq!(
            err(r#"{"default":"","keys":[]}"#),
            "malformed signingkeys.json: default key name cannot be empty"
        );
        assert_eq!(
            err(r#"{"default":"x","keys":[{"name":"a"}]}"#),
            "malformed signingkeys.json: default key 'x' not found"
        );
        assert!(err("{").starts_with("malformed signingkeys.json: "));
        assert_eq!(SigningKeys::parse(b"{}").unwrap(), SigningKeys::default());
        assert_eq!(
            SigningKeys::parse(br#"{"keys":null,"x":1}"#).unwrap(),
            SigningKeys::default()
        );
    }

    #[test]
    fn resolve_get_update_and_duplicates() {
        let mut keys = SigningKeys::default();
        assert_eq!(
            keys.resolve(None).unwrap_err().to_string(),
            "default signing key not set. Please set default signing key or specify a key name"
        );
        keys.add_local("a", "a.key", "a.crt", false).unwrap();
        keys.add_local("b", "b.key", "b.crt", true).unwrap();
        assert_eq!(
            keys.add_local("a", "x", "y", false)
                .unwrap_err()
                .to_string(),
            r#"signing key with name "a" already exists"#
        );
        assert_eq!(keys.resolve(None).unwrap().name, "b");
        assert_eq!(keys.resolve(Some("")).unwrap().name, "b");
        assert_eq!(keys.resolve(Some("a")).unwrap(), local("a"));
        assert_eq!(
            keys.resolve(Some("zz")).unwrap_err().to_string(),
            "signing key zz not found"
        );
        assert_eq!(
            keys.update_default("zz").unwrap_err().to_string(),
            "signing key zz not found"
        );
        keys.update_default("a").unwrap();
        assert_eq!(keys.default.as_deref(), Some("a"));
        let pair = keys.get("a").unwrap().local_pair().unwrap();
        assert_eq!(pair.key_path, PathBuf::from("a.key"));
    }

    #[test]
    fn delete_is_all_or_nothing_and_clears_default() {
        let mut keys = SigningKeys {
            default: Some("b".into()),
            keys: vec![local("a"), local("b"), local("c")],
        };
        let before = keys.clone();
        assert_eq!(
            keys.delete(&["a", "nope"]).unwrap_err().to_string(),
            "signing key nope not found"
        );
        assert_eq!(keys, before);
        assert_eq!(
            keys.delete(&["b", "a"]).unwrap(),
            vec!["b".to_string(), "a".to_string()]
        );
        assert_eq!(
            keys,
            SigningKeys {
                default: None,
                keys: vec![local("c")]
            }
        );
    }

    #[test]
    fn save_writes_0600_atomically_and_refuses_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg").join("signingkeys.json");
        let keys = SigningKeys::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
        keys.save_to(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), SPEC_EXAMPLE.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(path.parent().unwrap())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        let bad = SigningKeys {
            default: Some("x".into()),
            keys: vec![],
        };
        assert!(bad.save_to(&path).is_err());
        assert_eq!(SigningKeys::load_from(&path).unwrap(), keys);
    }

    #[test]
    fn plugin_keys_need_an_installed_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        let mut keys = SigningKeys::default();
        let add = |keys: &mut SigningKeys, id: &str, plugin: &str| {
            keys.add_plugin("k", id, plugin, BTreeMap::new(), true, &plugins)
        };
        assert_eq!(
            add(&mut keys, "", "p").unwrap_err().to_string(),
            "missing key id"
        );
        assert_eq!(
            add(&mut keys, "id", "").unwrap_err().to_string(),
            "plugin name cannot be empty"
        );
        assert_eq!(
            add(&mut keys, "id", "p").unwrap_err().to_string(),
            format!(
                "plugin executable file is either not found or inaccessible: stat {}/p/notation-p: no such file or directory",
                plugins.display()
            )
        );
        std::fs::create_dir_all(plugins.join("p").join("notation-p")).unwrap();
        assert_eq!(
            add(&mut keys, "id", "p").unwrap_err().to_string(),
            "plugin executable file is not a regular file"
        );
        std::fs::create_dir_all(plugins.join("q")).unwrap();
        std::fs::write(plugins.join("q").join("notation-q"), b"#!/bin/sh\n").unwrap();
        add(&mut keys, "id", "q").unwrap();
        assert_eq!(keys.default.as_deref(), Some("k"));
        assert_eq!(keys.keys[0].external().unwrap().id, "id");
    }
}
