//! Registry credentials: what `-u/-p` give, and the Docker-compatible credential store that
//! `notation login` writes and every registry command reads.
//!
//! The store is chosen as notation v1.3.2 (through oras-go) chooses it: notation's own
//! `config.json` if it configures any auth, else Docker's `config.json` if it does, else the
//! platform's default `docker-credential-*` helper if it is installed, else notation's
//! `config.json` read-only. Plaintext passwords are never written.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The key Docker Hub credentials are stored under.
pub(crate) const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// What a credential helper answers when it has nothing for a server.
const HELPER_NOT_FOUND: &str = "credentials not found in native keychain";

/// The username credential helpers use for identity (refresh) tokens.
const TOKEN_USERNAME: &str = "<token>";

/// A registry credential. Its `Debug` output never shows secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credential {
    /// The user name (`<token>` with a refresh token).
    pub username: String,
    /// The password.
    pub password: String,
    /// OAuth2 refresh token (Docker's `identitytoken`).
    pub refresh_token: String,
    /// Bearer token used as is (Docker's `registrytoken`).
    pub access_token: String,
}

impl Credential {
    /// What `-u/-p` mean: a password without a username is an identity token.
    pub fn from_user_password(username: &str, password: &str) -> Credential {
        if username.is_empty() {
            Credential {
                refresh_token: password.to_string(),
                ..Default::default()
            }
        } else {
            Credential {
                username: username.to_string(),
                password: password.to_string(),
                ..Default::default()
            }
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &Credential::default()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &str| if s.is_empty() { "" } else { "*****" };
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &set(&self.password))
            .field("refresh_token", &set(&self.refresh_token))
            .field("access_token", &set(&self.access_token))
            .finish()
    }
}

/// Errors of the credential store. Texts follow oras-go's where notation shows them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// A config file exists but cannot be read.
    #[error("failed to read config file at {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A config file is not valid JSON or has wrongly typed auth fields.
    #[error("failed to decode config file at {path}: invalid config format: {reason}")]
    InvalidConfig {
        /// The file.
        path: String,
        /// The decoder's error.
        reason: String,
    },
    /// A config file could not be rewritten.
    #[error("failed to save config file at {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The chosen store could only write plaintext, which notation refuses.
    #[error("the credential could not be saved because a credentials store is required to securely store the password. See https://notaryproject.dev/docs/how-to/registry-authentication/")]
    PlaintextPutDisabled,
    /// Usernames with `:` cannot be stored in a Docker `auth` field.
    #[error("bad credential format")]
    BadFormat,
    /// A `docker-credential-<name>` helper failed.
    #[error("docker-credential-{helper} {action}: {message}")]
    Helper {
        /// The helper's name (after `docker-credential-`).
        helper: String,
        /// The helper command (`get`, `store`, `erase`).
        action: &'static str,
        /// What the helper said, or why it could not run.
        message: String,
    },
}

/// `docker.io` is stored as Docker Hub's legacy key; other registries as `host[:port]`.
pub(crate) fn server_key(registry: &str) -> String {
    if registry == "docker.io" || registry == "registry-1.docker.io" {
        DOCKER_HUB_KEY.to_string()
    } else {
        registry.to_string()
    }
}

/// One `auths` entry of a Docker-style config file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
struct AuthEntry {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    auth: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    identitytoken: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    registrytoken: String,
}

impl AuthEntry {
    fn credential(&self, path: &Path) -> Result<Credential, CredentialError> {
        let mut cred = Credential {
            username: self.username.clone(),
            password: self.password.clone(),
            refresh_token: self.identitytoken.clone(),
            access_token: self.registrytoken.clone(),
        };
        if !self.auth.is_empty() {
            use base64::Engine as _;
            let invalid = |reason: &str| CredentialError::InvalidConfig {
                path: path.display().to_string(),
                reason: reason.to_string(),
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(self.auth.trim())
                .map_err(|_| invalid("invalid base64 in auth"))?;
            let text = String::from_utf8(decoded).map_err(|_| invalid("auth is not UTF-8"))?;
            let (user, pass) = text
                .split_once(':')
                .ok_or_else(|| invalid("auth has no ':'"))?;
            cred.username = user.to_string();
            cred.password = pass.to_string();
        }
        Ok(cred)
    }
}

/// The auth-related parts of a Docker-style `config.json`, plus everything else in it
/// (kept when the file is rewritten).
#[derive(Clone, Debug, Default)]
struct ConfigFile {
    path: PathBuf,
    exists: bool,
    auths: BTreeMap<String, AuthEntry>,
    creds_store: String,
    cred_helpers: BTreeMap<String, String>,
    raw: Map<String, Value>,
}

impl ConfigFile {
    fn load(path: &Path) -> Result<ConfigFile, CredentialError> {
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            ..Default::default()
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(file),
            Err(e) => {
                return Err(CredentialError::Read {
                    path: path.display().to_string(),
                    source: e,
                })
            }
        };
        file.exists = true;
        let invalid = |reason: String| CredentialError::InvalidConfig {
            path: path.display().to_string(),
            reason,
        };
        let raw: Map<String, Value> =
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if let Some(v) = raw.get("auths").filter(|v| !v.is_null()) {
            file.auths =
                serde_json::from_value(v.clone()).map_err(|e| invalid(format!("auths: {e}")))?;
        }
        if let Some(v) = raw.get("credsStore").filter(|v| !v.is_null()) {
            file.creds_store = serde_json::from_value(v.clone())
                .map_err(|e| invalid(format!("credsStore: {e}")))?;
        }
        if let Some(v) = raw.get("credHelpers").filter(|v| !v.is_null()) {
            file.cred_helpers = serde_json::from_value(v.clone())
                .map_err(|e| invalid(format!("credHelpers: {e}")))?;
        }
        file.raw = raw;
        Ok(file)
    }

    fn has_auth(&self) -> bool {
        !self.creds_store.is_empty() || !self.cred_helpers.is_empty() || !self.auths.is_empty()
    }

    /// The helper responsible for `key`, if any: `credHelpers` wins over `credsStore`.
    fn helper_for(&self, key: &str) -> Option<&str> {
        self.cred_helpers
            .get(key)
            .map(String::as_str)
            .or(Some(self.creds_store.as_str()))
            .filter(|h| !h.is_empty())
    }

    /// The `auths` entry for `key`: exact, else a legacy key whose hostname is `key`.
    fn auth_entry(&self, key: &str) -> Option<(&String, &AuthEntry)> {
        self.auths
            .get_key_value(key)
            .or_else(|| self.auths.iter().find(|(k, _)| legacy_key_host(k) == key))
    }

    fn remove_auth(&mut self, key: &str) -> Result<(), CredentialError> {
        let Some(found) = self.auth_entry(key).map(|(k, _)| k.clone()) else {
            return Ok(());
        };
        self.auths.remove(&found);
        let auths = serde_json::to_value(&self.auths).expect("string map serializes");
        self.raw.insert("auths".into(), auths);
        self.save()
    }

    /// Rewrite the whole file atomically, 0600, keys sorted, tab-indented (as oras-go).
    fn save(&self) -> Result<(), CredentialError> {
        let sorted: BTreeMap<&String, &Value> = self.raw.iter().collect();
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        sorted.serialize(&mut ser).expect("JSON values serialize");
        crate::atomic::write(&self.path, &buf, 0o600, 0o700).map_err(|e| CredentialError::Write {
            path: self.path.display().to_string(),
            source: e,
        })
    }
}

/// `https://registry.example.com/v1/` → `registry.example.com`.
fn legacy_key_host(key: &str) -> &str {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

#[derive(Clone, Debug)]
enum StoreKind {
    /// A config file that configures auth (notation's or Docker's).
    File(ConfigFile),
    /// The platform's default credential helper.
    Native(String),
    /// Nothing configured: notation's config.json, read-only.
    None(ConfigFile),
}

/// The credential store notation uses, resolved once per command.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    kind: StoreKind,
    looked_at: Vec<PathBuf>,
}

impl CredentialStore {
    /// Choose the store from the process environment.
    pub fn detect(notation_config_dir: &Path) -> Result<CredentialStore, CredentialError> {
        Self::detect_with(notation_config_dir, |k| {
            std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// Choose the store with `env` as the environment (`DOCKER_CONFIG`, `HOME`, `PATH`).
    pub fn detect_with(
        notation_config_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<CredentialStore, CredentialError> {
        let notation_file = ConfigFile::load(&notation_config_dir.join("config.json"))?;
        let mut looked_at = vec![notation_file.path.clone()];
        if notation_file.has_auth() {
            return Ok(CredentialStore {
                kind: StoreKind::File(notation_file),
                looked_at,
            });
        }
        if let Some(docker_path) = docker_config_path(&env) {
            let docker_file = ConfigFile::load(&docker_path)?;
            looked_at.push(docker_path);
            if docker_file.has_auth() {
                return Ok(CredentialStore {
                    kind: StoreKind::File(docker_file),
                    looked_at,
                });
            }
        }
        if let Some(helper) = platform_default_helper(&env) {
            return Ok(CredentialStore {
                kind: StoreKind::Native(helper),
                looked_at,
            });
        }
        Ok(CredentialStore {
            kind: StoreKind::None(notation_file),
            looked_at,
        })
    }

    /// The config files inspected while choosing the store, in order.
    pub fn looked_at(&self) -> &[PathBuf] {
        &self.looked_at
    }

    /// A short description of the chosen store, for logs and error messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            StoreKind::File(f) => format!("{}", f.path.display()),
            StoreKind::Native(h) => format!("docker-credential-{h}"),
            StoreKind::None(f) => format!("{} (no credentials store configured)", f.path.display()),
        }
    }

    /// The stored credential for `registry` (`host[:port]`), or `None`.
    pub fn get(&self, registry: &str) -> Result<Option<Credential>, CredentialError> {
        let key = server_key(registry);
        match &self.kind {
            StoreKind::File(f) | StoreKind::None(f) => match f.helper_for(&key) {
                Some(helper) => helper_get(helper, &key),
                None => match f.auth_entry(&key) {
                    Some((_, entry)) => {
                        let cred = entry.credential(&f.path)?;
                        Ok(Some(cred).filter(|c| !c.is_empty()))
                    }
                    None => Ok(None),
                },
            },
            StoreKind::Native(helper) => helper_get(helper, &key),
        }
    }

    /// Save `cred` for `registry`. Only credential helpers can; a plaintext store fails
    /// with [`CredentialError::PlaintextPutDisabled`].
    pub fn put(&self, registry: &str, cred: &Credential) -> Result<(), CredentialError> {
        let key = server_key(registry);
        let helper = match &self.kind {
            StoreKind::File(f) | StoreKind::None(f) => f.helper_for(&key),
            StoreKind::Native(h) => Some(h.as_str()),
        };
        match helper {
            Some(h) => helper_store(h, &key, cred),
            None => Err(CredentialError::PlaintextPutDisabled),
        }
    }

    /// Remove the credential for `registry`; removing a missing one is not an error.
    pub fn delete(&self, registry: &str) -> Result<(), CredentialError> {
        let key = server_key(registry);
        match &self.kind {
            StoreKind::File(f) | StoreKind::None(f) => match f.helper_for(&key) {
                Some(h) => helper_erase(h, &key),
                None => f.clone().remove_auth(&key),
            },
            StoreKind::Native(h) => helper_erase(h, &key),
        }
    }
}

fn docker_config_path(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

fn on_path(env: &impl Fn(&str) -> Option<String>, program: &str) -> bool {
    env("PATH")
        .map(|p| std::env::split_paths(&p).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Linux: `pass` if both it and its helper are installed, else `secretservice`.
fn platform_default_helper(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let candidates: &[&str] = if cfg!(target_os = "macos") {
        &["osxkeychain"]
    } else if cfg!(windows) {
        &["wincred"]
    } else if on_path(env, "pass") {
        &["pass"]
    } else {
        &["secretservice"]
    };
    candidates
        .iter()
        .find(|h| on_path(env, &format!("docker-credential-{h}")))
        .map(|h| h.to_string())
}

#[derive(Serialize, Deserialize)]
struct HelperCredential {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Run `docker-credential-<helper> <action>` with `input` on stdin, logged as notation's
/// executable trace logs it.
fn run_helper(
    helper: &str,
    action: &'static str,
    input: &[u8],
) -> Result<(bool, String), CredentialError> {
    let program = format!("docker-credential-{helper}");
    log::debug!("started executing credential helper program {program} with action {action}");
    let result = exec_helper(helper, action, input);
    match &result {
        Ok((true, _)) => log::debug!(
            "successfully finished executing credential helper program {program} with action {action}"
        ),
        Ok((false, message)) => log::error!(
            "finished executing credential helper program {program} with action {action} and got error {message}"
        ),
        Err(e) => log::error!(
            "finished executing credential helper program {program} with action {action} and got error {e}"
        ),
    }
    result
}

fn exec_helper(
    helper: &str,
    action: &'static str,
    input: &[u8],
) -> Result<(bool, String), CredentialError> {
    let err = |message: String| CredentialError::Helper {
        helper: helper.to_string(),
        action,
        message,
    };
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).map_err(|e| err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        return Ok((true, stdout));
    }
    let message = if stdout.is_empty() {
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    } else {
        stdout
    };
    Ok((false, message))
}

fn helper_get(helper: &str, key: &str) -> Result<Option<Credential>, CredentialError> {
    let (ok, out) = run_helper(helper, "get", key.as_bytes())?;
    if !ok {
        if out.contains(HELPER_NOT_FOUND) {
            return Ok(None);
        }
        return Err(CredentialError::Helper {
            helper: helper.into(),
            action: "get",
            message: out,
        });
    }
    let answer: HelperCredential =
        serde_json::from_str(&out).map_err(|e| CredentialError::Helper {
            helper: helper.into(),
            action: "get",
            message: format!("invalid answer: {e}"),
        })?;
    let cred = if answer.username == TOKEN_USERNAME {
        Credential {
            refresh_token: answer.secret,
            ..Default::default()
        }
    } else {
        Credential {
            username: answer.username,
            password: answer.secret,
            ..Default::default()
        }
    };
    Ok(Some(cred).filter(|c| !c.is_empty()))
}

fn helper_store(helper: &str, key: &str, cred: &Credential) -> Result<(), CredentialError> {
    let (username, secret) = if cred.username.is_empty() {
        (TOKEN_USERNAME, &cred.refresh_token)
    } else {
        (cred.username.as_str(), &cred.password)
    };
    let input = serde_json::to_vec(&HelperCredential {
        server_url: key.to_string(),
        username: username.to_string(),
        secret: secret.clone(),
    })
    .expect("strings serialize");
    let (ok, out) = run_helper(helper, "store", &input)?;
    if ok {
        Ok(())
    } else {
        Err(CredentialError::Helper {
            helper: helper.into(),
            action: "store",
            message: out,
        })
    }
}

fn helper_erase(helper: &str, key: &str) -> Result<(), CredentialError> {
    let (ok, out) = run_helper(helper, "erase", key.as_bytes())?;
    if ok || out.contains(HELPER_NOT_FOUND) {
        Ok(())
    } else {
        Err(CredentialError::Helper {
            helper: helper.into(),
            action: "erase",
            message: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with<'a>(vars: &'a [(&'a str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn password_without_username_is_identity_token() {
        let c = Credential::from_user_password("", "tok");
        assert_eq!(c.refresh_token, "tok");
        assert!(c.username.is_empty() && c.password.is_empty());
        let c = Credential::from_user_password("u", "p");
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p"));
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credential::from_user_password("u", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn docker_config_auths_are_read_with_legacy_keys() {
        let notation = tempfile::tempdir().unwrap();
        let docker = tempfile::tempdir().unwrap();
        std::fs::write(
            docker.path().join("config.json"),
            r#"{"auths":{"localhost:5000":{"auth":"dGVzdHVzZXI6dGVzdHBhc3N3b3Jk"},"https://reg.example.com/v1/":{"identitytoken":"idt"},"https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#,
        )
        .unwrap();
        let vars = [
            ("DOCKER_CONFIG", docker.path().display().to_string()),
            ("PATH", String::new()),
        ];
        let store = CredentialStore::detect_with(notation.path(), env_with(&vars)).unwrap();
        let c = store.get("localhost:5000").unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("testuser", "testpassword")
        );
        assert_eq!(
            store.get("reg.example.com").unwrap().unwrap().refresh_token,
            "idt"
        );
        assert_eq!(store.get("docker.io").unwrap().unwrap().username, "hub");
        assert_eq!(store.get("other:1").unwrap(), None);
        assert!(matches!(
            store.put("localhost:5000", &c),
            Err(CredentialError::PlaintextPutDisabled)
        ));
        assert_eq!(store.looked_at().len(), 2);
    }

    #[test]
    fn notation_config_with_auth_wins() {
        let notation = tempfile::tempdir().unwrap();
        let docker = tempfile::tempdir().unwrap();
        std::fs::write(
            notation.path().join("config.json"),
            r#"{"auths":{"a:1":{"auth":"eDp5"}}}"#,
        )
        .unwrap();
        std::fs::write(
            docker.path().join("config.json"),
            r#"{"auths":{"a:1":{"auth":"dTpw"}}}"#,
        )
        .unwrap();
        let vars = [("DOCKER_CONFIG", docker.path().display().to_string())];
        let store = CredentialStore::detect_with(notation.path(), env_with(&vars)).unwrap();
        assert_eq!(store.get("a:1").unwrap().unwrap().username, "x");
        assert_eq!(store.looked_at().len(), 1);
    }

    #[test]
    fn wrongly_typed_auth_fields_are_rejected() {
        let notation = tempfile::tempdir().unwrap();
        std::fs::write(notation.path().join("config.json"), r#"{"credsStore":3}"#).unwrap();
        let err = CredentialStore::detect_with(notation.path(), env_with(&[])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to decode config file at "),
            "{err}"
        );
    }

    #[test]
    fn logout_removes_plaintext_entry_keeping_other_fields() {
        let notation = tempfile::tempdir().unwrap();
        let path = notation.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"zeta":1,"auths":{"a:1":{"auth":"eDp5"},"b:2":{"auth":"eDp5"}}}"#,
        )
        .unwrap();
        let store = CredentialStore::detect_with(notation.path(), env_with(&[])).unwrap();
        store.delete("a:1").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\n\t\"auths\": {\n\t\t\"b:2\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}\n\t},\n\t\"zeta\": 1\n}");
        // Deleting a missing entry leaves the file alone.
        store.delete("c:3").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
