//! `notation plugin install|uninstall` (cli.md §9): a plugin arrives as one executable
//! `notation-<name>` or a zip / tar.gz archive holding exactly one such executable.

use super::{binary_name, proto, semver, Plugin, PluginError};
use crate::go::fmt::GoQuoted;
use flate2::read::{DeflateDecoder, GzDecoder};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest plugin file or extracted archive accepted.
pub(crate) const MAX_PLUGIN_BYTES: u64 = 256 << 20;

/// Why installing or uninstalling failed. Display texts follow notation's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    #[error("{}", crate::go::os::path_error(.op, .path, .error))]
    /// A file system call failed, printed as Go's `*PathError`.
    Io {
        /// Go's name of the failed call.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
    #[error("invalid plugin executable file name. Plugin file name requires format notation-{{plugin-name}}, but got {0}")]
    /// The executable is not named `notation-<name>`.
    BadFileName(String),
    #[error("total file size reached the {} MiB size limit", MAX_PLUGIN_BYTES >> 20)]
    /// The archive expands to more than the size limit.
    TooLarge,
    #[error("failed to decompress the plugin archive: {0}")]
    /// The archive cannot be read.
    BadArchive(String),
    #[error("file name in {kind} cannot contain '..', but found {}", GoQuoted(.name))]
    /// An archive entry would land outside the plugin directory.
    UnsafeEntry {
        /// The archive kind (`zip` or `tar.gz`).
        kind: &'static str,
        /// The plugin (or entry) name.
        name: String,
    },
    #[error("no plugin executable file was found: plugin executable file name must in format notation-{{plugin-name}}")]
    /// The archive holds no `notation-<name>` file.
    NoExecutable,
    #[error("found more than one plugin executable files: {0}")]
    /// The archive holds several `notation-<name>` files (listed).
    ManyExecutables(String),
    #[error("failed to get metadata of new plugin: {0}")]
    /// The new plugin's `get-plugin-metadata` failed.
    NewPluginMalformed(PluginError),
    #[error("failed to get metadata of existing plugin: {0}")]
    /// The installed plugin's `get-plugin-metadata` failed.
    ExistingPluginMalformed(PluginError),
    #[error("failed to compare plugin versions: {0}")]
    /// A version is not a semantic version.
    Version(#[from] super::semver::InvalidVersion),
    #[error("failed to install plugin {name}. The installing plugin version {new} is lower than the existing plugin version {existing}")]
    /// The new version is lower than the installed one (without `--force`).
    Downgrade {
        /// The plugin name.
        name: String,
        /// The new version.
        new: String,
        /// The installed version.
        existing: String,
    },
    #[error("plugin {name} with version {version} already exists")]
    /// The same version is installed already (without `--force`).
    SameVersion {
        /// The plugin (or entry) name.
        name: String,
        /// The version.
        version: String,
    },
    #[error("unable to find plugin {0}")]
    /// `plugin uninstall` of a plugin that is not installed.
    NotInstalled(String),
    #[error("plugin SHA-256 checksum does not match user input. Expecting {0}")]
    /// The SHA-256 digest does not match `--sha256sum`.
    Checksum(String),
    #[error("{0} is not a valid file")]
    /// The source is not a regular file.
    NotAFile(String),
    #[error("failed to download plugin from URL: only the HTTPS scheme is supported, but got {0}")]
    /// A URL that is not `https://`.
    NotHttps(String),
    #[error("failed to download plugin from URL {url} with error: {reason}")]
    /// Downloading failed.
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// How long a `--url` download may take.
pub(crate) const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Download a plugin source over HTTPS (at most 256 MiB).
pub async fn download(url: &str) -> Result<Vec<u8>, InstallError> {
    let fail = |reason: String| InstallError::Download {
        url: url.to_string(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| fail(e.to_string()))?;
    if parsed.scheme() != "https" {
        return Err(InstallError::NotHttps(parsed.scheme().to_string()));
    }
    let client = crate::revocation::http::client(DOWNLOAD_TIMEOUT);
    let mut resp = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| fail(crate::revocation::http::transport_reason(&e)))?;
    if resp.status() != reqwest::StatusCode::OK {
        return Err(fail(format!(
            "GET {}: https response bad status: {}",
            GoQuoted(&url),
            resp.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| fail(crate::revocation::http::transport_reason(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_PLUGIN_BYTES {
            return Err(fail(format!(
                "http response reached the {} MiB size limit",
                MAX_PLUGIN_BYTES >> 20
            )));
        }
    }
    Ok(body)
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> InstallError + 'a {
    move |error| InstallError::Io {
        op,
        path: path.to_path_buf(),
        error,
    }
}

/// The outcome of an installation.
#[derive(Debug)]
pub struct Installed {
    /// The new plugin's metadata.
    pub metadata: proto::Metadata,
    /// The version it replaced, if any.
    pub previous_version: Option<String>,
}

/// Install the plugin in `source` (an executable, zip or tar.gz; sniffed from content).
/// Without `force`, refuse an equal or lower version than the installed one.
/// With `sha256sum`, the file must have that SHA-256 (hex, any case).
pub fn install_file(
    plugins_dir: &Path,
    source: &Path,
    sha256sum: Option<&str>,
    force: bool,
) -> Result<Installed, InstallError> {
    let meta = std::fs::metadata(source).map_err(io_err("stat", source))?;
    if !meta.is_file() {
        return Err(InstallError::NotAFile(source.display().to_string()));
    }
    let data = std::fs::read(source).map_err(io_err("open", source))?;
    install_bytes(plugins_dir, source, data, sha256sum, force)
}

/// [`install_file`] for content already in memory (`source` names it).
pub fn install_bytes(
    plugins_dir: &Path,
    source: &Path,
    data: Vec<u8>,
    sha256sum: Option<&str>,
    force: bool,
) -> Result<Installed, InstallError> {
    if let Some(want) = sha256sum.filter(|s| !s.is_empty()) {
        let got = crate::oci::Digest::sha256(&data).to_string();
        if !got.trim_start_matches("sha256:").eq_ignore_ascii_case(want) {
            return Err(InstallError::Checksum(want.to_string()));
        }
    }
    let (files, archive) = match data.get(..4) {
        Some([0x50, 0x4b, 0x03, 0x04]) => (unzip(&data)?, true),
        Some([0x1f, 0x8b, ..]) => (untar_gz(&data)?, true),
        _ => {
            if data.len() as u64 >= MAX_PLUGIN_BYTES {
                return Err(InstallError::TooLarge);
            }
            let name = source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (vec![(name, data)], false)
        }
    };
    install_files(plugins_dir, files, archive, force)
}

/// Stage `files`, vet the single `notation-<name>` executable among them, then swap the
/// plugin directory in.
fn install_files(
    plugins_dir: &Path,
    files: Vec<(String, Vec<u8>)>,
    archive: bool,
    force: bool,
) -> Result<Installed, InstallError> {
    let executables: Vec<&String> = files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with(proto::BINARY_PREFIX))
        .collect();
    let exe = match executables.as_slice() {
        [] if !archive => return Err(InstallError::BadFileName(files[0].0.clone())),
        [] => return Err(InstallError::NoExecutable),
        [one] => (*one).clone(),
        many => {
            let names: Vec<String> = many.iter().map(|s| s.to_string()).collect();
            return Err(InstallError::ManyExecutables(names.join(", ")));
        }
    };
    let name = plugin_name(&exe)?;
    std::fs::create_dir_all(plugins_dir).map_err(io_err("mkdir", plugins_dir))?;
    let staging = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(plugins_dir)
        .map_err(io_err("mkdir", plugins_dir))?;
    for (file, bytes) in &files {
        let path = staging.path().join(file);
        std::fs::write(&path, bytes).map_err(io_err("open", &path))?;
        if file == &exe {
            set_executable(&path)?;
        }
    }
    let candidate =
        Plugin::at(&name, &staging.path().join(&exe)).map_err(InstallError::NewPluginMalformed)?;
    let metadata = candidate
        .metadata(&BTreeMap::new())
        .map_err(InstallError::NewPluginMalformed)?;
    let previous_version = match Plugin::open(plugins_dir, &name) {
        Err(_) => None,
        Ok(existing) => match existing.metadata(&BTreeMap::new()) {
            Ok(old) => {
                if !force {
                    check_upgrade(&name, &metadata.version, &old.version)?;
                }
                Some(old.version)
            }
            Err(e) if !force => return Err(InstallError::ExistingPluginMalformed(e)),
            Err(_) => None,
        },
    };
    let dest = plugins_dir.join(&name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(io_err("remove", &dest))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dest).map_err(io_err("rename", &dest))?;
    Ok(Installed {
        metadata,
        previous_version,
    })
}

fn check_upgrade(name: &str, new: &str, existing: &str) -> Result<(), InstallError> {
    match semver::compare(new, existing).map_err(InstallError::Version)? {
        std::cmp::Ordering::Less => Err(InstallError::Downgrade {
            name: name.into(),
            new: new.into(),
            existing: existing.into(),
        }),
        std::cmp::Ordering::Equal => Err(InstallError::SameVersion {
            name: name.into(),
            version: existing.into(),
        }),
        std::cmp::Ordering::Greater => Ok(()),
    }
}

/// `notation-<name>[.exe]` → `<name>`.
fn plugin_name(file: &str) -> Result<String, InstallError> {
    let stem = file.strip_suffix(".exe").unwrap_or(file);
    match stem.strip_prefix(proto::BINARY_PREFIX) {
        Some(name) if !name.is_empty() && binary_name(name) == file => Ok(name.to_string()),
        _ => Err(InstallError::BadFileName(stem.to_string())),
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io_err("chmod", path))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<(), InstallError> {
    Ok(())
}

/// Reject names that could escape the staging directory.
fn safe_name(kind: &'static str, entry: &str) -> Result<(), InstallError> {
    if entry.contains("..") {
        return Err(InstallError::UnsafeEntry {
            kind,
            name: entry.to_string(),
        });
    }
    Ok(())
}

fn check_total(total: &mut u64, add: u64) -> Result<(), InstallError> {
    *total += add;
    if *total > MAX_PLUGIN_BYTES {
        return Err(InstallError::TooLarge);
    }
    Ok(())
}

/// tar.gz: every regular file, flattened to its base name.
fn untar_gz(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, InstallError> {
    let bad = |e: io::Error| InstallError::BadArchive(e.to_string());
    let mut archive = tar::Archive::new(GzDecoder::new(data));
    let mut files = Vec::new();
    let mut total = 0;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        safe_name("tar.gz", &path)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        check_total(&mut total, entry.size())?;
        let base = Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(bad)?;
        files.push((base, bytes));
    }
    Ok(files)
}

/// zip: only top-level regular files (stored or deflated), read via the central directory.
fn unzip(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, InstallError> {
    let bad = |m: &str| InstallError::BadArchive(format!("zip: {m}"));
    let u16_at = |o: usize| {
        data.get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |o: usize| {
        data.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let eocd = (0..=data.len().saturating_sub(22))
        .rev()
        .find(|&i| data[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or_else(|| bad("not a valid zip file"))?;
    let count = u16_at(eocd + 10).ok_or_else(|| bad("truncated"))?;
    let mut at = u32_at(eocd + 16).ok_or_else(|| bad("truncated"))?;
    let mut files = Vec::new();
    let mut total = 0;
    for _ in 0..count {
        if u32_at(at) != Some(0x0201_4b50) {
            return Err(bad("bad central directory"));
        }
        let field = |o| u16_at(at + o).ok_or_else(|| bad("truncated"));
        let method = field(10)?;
        let comp_size = u32_at(at + 20).ok_or_else(|| bad("truncated"))?;
        let size = u32_at(at + 24).ok_or_else(|| bad("truncated"))?;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = u32_at(at + 42).ok_or_else(|| bad("truncated"))?;
        let name = data
            .get(at + 46..at + 46 + name_len)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .ok_or_else(|| bad("truncated"))?;
        at += 46 + name_len + extra_len + comment_len;
        safe_name("zip", &name)?;
        if name.ends_with('/') || name.contains('/') {
            continue;
        }
        check_total(&mut total, size as u64)?;
        if u32_at(local) != Some(0x0403_4b50) {
            return Err(bad("bad local header"));
        }
        let start = local + 30 + u16_at(local + 26).unwrap_or(0) + u16_at(local + 28).unwrap_or(0);
        let raw = data
            .get(start..start + comp_size)
            .ok_or_else(|| bad("truncated"))?;
        let bytes = match method {
            0 => raw.to_vec(),
            8 => {
                let mut out = Vec::with_capacity(size);
                DeflateDecoder::new(raw)
                    .take(MAX_PLUGIN_BYTES + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| bad(&e.to_string()))?;
                out
            }
            _ => return Err(bad("unsupported compression algorithm")),
        };
        if bytes.len() != size {
            return Err(bad("size mismatch"));
        }
        files.push((name, bytes));
    }
    Ok(files)
}

/// Remove plugin `name`'s directory.
pub fn uninstall(plugins_dir: &Path, name: &str) -> Result<(), InstallError> {
    let dir = plugins_dir.join(name);
    if name.is_empty() || name.contains('/') || name.contains("..") || !dir.is_dir() {
        return Err(InstallError::NotInstalled(name.to_string()));
    }
    std::fs::remove_dir_all(&dir).map_err(io_err("remove", &dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_names() {
        assert_eq!(plugin_name("notation-com.example").unwrap(), "com.example");
        assert!(plugin_name("com.example").is_err());
        assert!(plugin_name("notation-").is_err());
    }

    #[test]
    fn rejects_garbage_archives() {
        assert!(matches!(
            unzip(b"PK\x03\x04garbage"),
            Err(InstallError::BadArchive(_))
        ));
        assert!(matches!(
            untar_gz(b"\x1f\x8b\x08garbage"),
            Err(InstallError::BadArchive(_))
        ));
    }
}
