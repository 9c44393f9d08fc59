//! Artifact references as notation parses them: `path:tag` / `path@digest` for OCI
//! layouts and `host[:port]/repository(:tag|@digest)` for registries.

use crate::go::fmt::GoQuoted;
use std::fmt;

/// The part after the path or repository: a tag or a digest (not yet syntax-checked for
/// layouts, as upstream: an unknown one simply fails to resolve).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `:tag`.
    Tag(String),
    /// `@digest`.
    Digest(String),
}

impl Selector {
    /// The tag or digest text.
    pub fn as_str(&self) -> &str {
        match self {
            Selector::Tag(s) | Selector::Digest(s) => s,
        }
    }

    /// The tag, if this is one.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Selector::Tag(t) => Some(t),
            Selector::Digest(_) => None,
        }
    }
}

/// Why a reference was rejected. Texts are notation's: the reference, what is wrong with
/// it and the forms expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// A malformed OCI layout reference.
    #[error("{}: invalid reference: {problem}. Expecting <file_path>:<tag> or <file_path>@<digest>", GoQuoted(.raw))]
    Layout {
        /// The reference as given.
        raw: String,
        /// What is wrong.
        problem: LayoutProblem,
    },
    /// A malformed registry reference.
    #[error("{}: invalid reference: {problem}. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>", GoQuoted(.raw))]
    Registry {
        /// The reference as given.
        raw: String,
        /// What is wrong.
        problem: RegistryProblem,
    },
}

/// What is wrong with an OCI layout reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutProblem {
    /// No `:tag` or `@digest`, or an empty one.
    #[error("missing tag or digest")]
    MissingSelector,
    /// Nothing before the tag or digest.
    #[error("missing oci-layout file path")]
    MissingPath,
}

/// What is wrong with a registry reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryProblem {
    /// No `:tag` or `@digest` where one is required.
    #[error("no tag or digest")]
    MissingSelector,
    /// No `/` between a registry and a repository.
    #[error("missing registry or repository")]
    MissingRepository,
    /// The digest is malformed.
    #[error("invalid digest {}", GoQuoted(.0))]
    Digest(String),
    /// The tag is malformed.
    #[error("invalid tag {}", GoQuoted(.0))]
    Tag(String),
    /// The repository is malformed.
    #[error("invalid repository {}", GoQuoted(.0))]
    Repository(String),
    /// The registry is malformed.
    #[error("invalid registry {}", GoQuoted(.0))]
    Registry(String),
}

/// `path:tag` or `path@digest` naming an artifact in an OCI layout (directory or tar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutReference {
    /// The path as the user typed it.
    pub path: String,
    /// The tag or digest.
    pub selector: Selector,
}

impl LayoutReference {
    /// Parse as notation does: the last `@` splits off a digest, else the last `:` splits
    /// off a tag (a Windows drive letter prefix is not a tag separator).
    pub fn parse(raw: &str) -> Result<LayoutReference, ReferenceError> {
        let invalid = |problem| ReferenceError::Layout {
            raw: raw.to_string(),
            problem,
        };
        let (path, selector) = if let Some(i) = raw.rfind('@') {
            (&raw[..i], Selector::Digest(raw[i + 1..].to_string()))
        } else {
            match raw.rfind(':') {
                Some(i) if !is_windows_drive_colon(raw, i) => {
                    (&raw[..i], Selector::Tag(raw[i + 1..].to_string()))
                }
                _ => return Err(invalid(LayoutProblem::MissingSelector)),
            }
        };
        if selector.as_str().is_empty() {
            return Err(invalid(LayoutProblem::MissingSelector));
        }
        if path.is_empty() {
            return Err(invalid(LayoutProblem::MissingPath));
        }
        Ok(LayoutReference {
            path: path.to_string(),
            selector,
        })
    }

    /// `<path>@<digest>`: how notation prints a resolved layout reference.
    pub fn with_digest(&self, digest: &str) -> String {
        format!("{}@{}", self.path, digest)
    }
}

fn is_windows_drive_colon(raw: &str, colon: usize) -> bool {
    let b = raw.as_bytes();
    colon == 1 && b[0].is_ascii_alphabetic() && b.get(2) == Some(&b'\\')
}

/// `registry/repository(:tag|@digest)`, parsed as oras-go does (no Docker Hub defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryReference {
    /// `host[:port]`.
    pub registry: String,
    /// The repository path.
    pub repository: String,
    /// `None` only for references parsed with [`RegistryReference::parse_repository`].
    pub selector: Option<Selector>,
}

impl RegistryReference {
    /// Parse a full reference that must carry a tag or digest.
    pub fn parse(raw: &str) -> Result<RegistryReference, ReferenceError> {
        let r = Self::parse_repository(raw)?;
        if r.selector.is_none() {
            return Err(ReferenceError::Registry {
                raw: raw.to_string(),
                problem: RegistryProblem::MissingSelector,
            });
        }
        Ok(r)
    }

    /// Parse a reference whose tag or digest is optional.
    pub fn parse_repository(raw: &str) -> Result<RegistryReference, ReferenceError> {
        let invalid = |problem| ReferenceError::Registry {
            raw: raw.to_string(),
            problem,
        };
        let (registry, rest) = match raw.split_once('/') {
            Some((reg, rest)) if !reg.is_empty() && !rest.is_empty() => (reg, rest),
            _ => return Err(invalid(RegistryProblem::MissingRepository)),
        };
        let (repository, selector) = if let Some((repo, digest)) = rest.split_once('@') {
            // `repo:tag@digest`: the tag is dropped, the digest wins.
            let repo = match repo.rfind(':') {
                Some(i) => &repo[..i],
                None => repo,
            };
            if crate::oci::Digest::parse(digest).is_err() {
                return Err(invalid(RegistryProblem::Digest(digest.to_string())));
            }
            (repo, Some(Selector::Digest(digest.to_string())))
        } else if let Some(i) = rest.rfind(':').filter(|&i| !rest[i..].contains('/')) {
            let tag = &rest[i + 1..];
            if !is_valid_tag(tag) {
                return Err(invalid(RegistryProblem::Tag(tag.to_string())));
            }
            (&rest[..i], Some(Selector::Tag(tag.to_string())))
        } else {
            (rest, None)
        };
        if !is_valid_repository(repository) {
            return Err(invalid(RegistryProblem::Repository(repository.to_string())));
        }
        if !is_valid_registry(registry) {
            return Err(invalid(RegistryProblem::Registry(registry.to_string())));
        }
        Ok(RegistryReference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            selector,
        })
    }

    /// `registry/repository@digest`.
    pub fn with_digest(&self, digest: &str) -> String {
        format!("{}/{}@{}", self.registry, self.repository, digest)
    }

    /// The host name that requests go to (`docker.io` is served by `registry-1.docker.io`).
    pub(crate) fn endpoint_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }
}

impl fmt::Display for RegistryReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match &self.selector {
            Some(Selector::Tag(t)) => write!(f, ":{t}"),
            Some(Selector::Digest(d)) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

/// Tag grammar `[\w][\w.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// Repository grammar of the distribution spec (lowercase path components separated by
/// `.`, `_`, `__` or runs of `-`).
pub(crate) fn is_valid_repository(repo: &str) -> bool {
    !repo.is_empty() && repo.split('/').all(is_valid_path_component)
}

fn is_valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]`: a hostname or IPv4/bracketed IPv6 address with an optional numeric port.
pub fn is_valid_registry(registry: &str) -> bool {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, p)) => (
                h,
                p.strip_prefix(':')
                    .map(Some)
                    .unwrap_or(if p.is_empty() { None } else { Some("") }),
            ),
            None => return false,
        }
    } else {
        match registry.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (registry, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) || p.len() > 5 {
            return false;
        }
    }
    !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_' || c == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_references() {
        let r = LayoutReference::parse("./hello:v1").unwrap();
        assert_eq!(r.path, "./hello");
        assert_eq!(r.selector, Selector::Tag("v1".into()));
        let r = LayoutReference::parse("dir:with:colons@sha256:abc").unwrap();
        assert_eq!(r.path, "dir:with:colons");
        assert_eq!(r.selector, Selector::Digest("sha256:abc".into()));
        assert_eq!(
            LayoutReference::parse("layout").unwrap_err().to_string(),
            "\"layout\": invalid reference: missing tag or digest. Expecting <file_path>:<tag> or <file_path>@<digest>"
        );
        assert_eq!(
            LayoutReference::parse(":v1").unwrap_err().to_string(),
            "\":v1\": invalid reference: missing oci-layout file path. Expecting <file_path>:<tag> or <file_path>@<digest>"
        );
        assert!(LayoutReference::parse(r"C:\layout").is_err());
    }

    #[test]
    fn registry_references() {
        let r = RegistryReference::parse("localhost:5000/net-monitor:v1").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "net-monitor");
        assert_eq!(r.selector, Some(Selector::Tag("v1".into())));
        let d = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        let r = RegistryReference::parse(&format!("r.io/a/b:v1@{d}")).unwrap();
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.selector, Some(Selector::Digest(d.into())));
        assert!(RegistryReference::parse("hello-world:v1")
            .unwrap_err()
            .to_string()
            .contains("missing registry or repository"));
        assert!(RegistryReference::parse("r.io/repo")
            .unwrap_err()
            .to_string()
            .contains("no tag or digest"));
        assert!(RegistryReference::parse("r.io/Repo:v1").is_err());
        assert!(RegistryReference::parse("r.io/repo@sha256:12").is_err());
    }
}
