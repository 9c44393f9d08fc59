//! Trust policy documents (OCI and blob): load, validate, select by scope.
//!
//! Behaviour and messages follow notation-go v1.3.2 (`verifier/trustpolicy`), see
//! verification.md §1 and §3. The OCI document is read from `trustpolicy.oci.json` when
//! that file exists, else from `trustpolicy.json`.

pub mod blob;
pub mod identity;
mod level;
pub mod oci;

pub use blob::{BlobDocument, BlobStatement};
pub use level::{Action, CheckType, LevelError, SignatureVerification, VerificationLevel};
pub use oci::{OciDocument, OciStatement};

use crate::go::fmt::GoQuoted;
use crate::go::json::decode::{self as godecode, DecodeError, Json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where users learn to write a policy; part of several upstream messages.
pub(crate) const TRUST_POLICY_LINK: &str =
    "https://notaryproject.dev/docs/quickstart/#create-a-trust-policy";

/// Trust store types a policy may name.
pub(crate) const TRUST_STORE_TYPES: [&str; 3] = ["ca", "signingAuthority", "tsa"];

/// Whether `name` is a valid named-store (or file) name: `^[a-zA-Z0-9_.-]+$`.
pub(crate) fn is_valid_store_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Why a trust policy file could not be loaded or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("trust policy is not present. To create a trust policy, see: {TRUST_POLICY_LINK}")]
    /// No trust policy file.
    NotPresent,
    #[error("trust policy is not a regular file (symlinks are not supported). To create a trust policy, see: {TRUST_POLICY_LINK}")]
    /// The file is a symlink or not a regular file.
    NotRegularFile,
    #[error("unable to read trust policy due to file permissions, please verify the permissions of {}", .0.display())]
    /// The file cannot be read for lack of permission.
    Permission(PathBuf),
    #[error("{}: {error}", path.display())]
    /// Another I/O error.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    #[error("malformed trust policy. To create a trust policy, see: {TRUST_POLICY_LINK}")]
    /// Not valid JSON for a trust policy.
    Malformed(DecodeError),
    #[error(transparent)]
    /// Decoded but against the rules.
    Invalid(#[from] ValidationError),
}

/// A document that parsed but breaks a rule of verification.md §3.4. Texts are
/// notation-go v1.3.2's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("trust policy document has empty version, version must be specified")]
    /// No `version`.
    EmptyVersion,
    #[error("trust policy document uses unsupported version {}", GoQuoted(.0))]
    /// A `version` other than `1.0`.
    UnsupportedVersion(String),
    #[error("trust policy document can not have zero trust policy statements")]
    /// No statements.
    NoStatements,
    #[error(
        "multiple trust policy statements use the same name {}, statement names must be unique", GoQuoted(.0)
    )]
    /// Two statements share a name.
    DuplicateName(String),
    /// A statement-level rule (`validatePolicyCore`), prefixed as upstream does.
    #[error("trust policy: {0}")]
    Statement(StatementError),
    #[error("trust policy statement {} has zero registry scopes, it must specify registry scopes with at least one value", GoQuoted(.0))]
    /// A statement has no registry scopes.
    NoRegistryScopes(String),
    #[error("trust policy statement {} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values", GoQuoted(.0))]
    /// `*` with other scopes in a statement.
    WildcardScopeMixed(String),
    #[error(transparent)]
    /// A registry scope is malformed.
    Scope(#[from] ScopeError),
    #[error("registry scope {} is present in multiple trust policy statements, one registry scope value can only be associated with one statement", GoQuoted(.0))]
    /// A scope is in two statements.
    DuplicateScope(String),
    /// The blob document rules, worded as notation's v2 line words them.
    #[error("blob trust policy has empty version, version must be specified")]
    BlobEmptyVersion,
    #[error("blob trust policy document uses unsupported version {}", GoQuoted(.0))]
    /// A blob policy `version` other than `1.0`.
    BlobUnsupportedVersion(String),
    #[error("blob trust policy document can not have zero trust policy statements")]
    /// A blob policy without statements.
    BlobNoStatements,
    #[error("multiple blob trust policy statements use the same name {}, statement names must be unique", GoQuoted(.0))]
    /// Two blob statements share a name.
    BlobDuplicateName(String),
    #[error("blob trust policy: {0}")]
    /// A blob statement breaks a statement rule.
    BlobStatement(StatementError),
    #[error("multiple blob trust policy statements have globalPolicy set to true. Only one trust policy statement can be marked as global policy")]
    /// Several blob statements are global.
    MultipleGlobal,
}

/// A statement breaks one of the rules shared by OCI and blob statements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a trust policy statement is missing a name, every statement requires a name")]
    /// A statement has no name.
    MissingName,
    #[error("trust policy statement {} has invalid signatureVerification: {source}", GoQuoted(.name))]
    /// The statement's `signatureVerification` is invalid.
    SignatureVerification {
        /// The statement's name.
        name: String,
        /// Why.
        source: LevelError,
    },
    #[error("trust policy statement {} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped", GoQuoted(.0))]
    /// A `skip` statement lists trust stores or identities.
    SkipWithStores(String),
    #[error("trust policy statement {} is either missing trust stores or trusted identities, both must be specified", GoQuoted(.0))]
    /// Trust stores without identities or the reverse.
    MissingStoresOrIdentities(String),
    #[error("trust policy statement {} has malformed trust store value {}. The required format is <TrustStoreType>:<TrustStoreName>", GoQuoted(.name), GoQuoted(.value))]
    /// A trust store is not `type:name`.
    MalformedStore {
        /// The statement's name.
        name: String,
        /// The trust store value.
        value: String,
    },
    #[error("trust policy statement {} uses an unsupported trust store type {} in trust store value {}", GoQuoted(.name), GoQuoted(.kind), GoQuoted(.value))]
    /// A trust store type is unknown.
    StoreType {
        /// The statement's name.
        name: String,
        /// The type.
        kind: String,
        /// The trust store value.
        value: String,
    },
    #[error("trust policy statement {} uses an unsupported trust store name {} in trust store value {}. Named store name needs to follow [a-zA-Z0-9_.-]+ format", GoQuoted(.name), GoQuoted(.store), GoQuoted(.value))]
    /// A trust store name is invalid.
    StoreName {
        /// The statement's name.
        name: String,
        /// The store name.
        store: String,
        /// The trust store value.
        value: String,
    },
    #[error("trust policy statement {} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values", GoQuoted(.0))]
    /// `*` with other identities.
    WildcardIdentityMixed(String),
    #[error("trust policy statement {} has an empty trusted identity", GoQuoted(.0))]
    /// An empty identity.
    EmptyIdentity(String),
    #[error("trust policy statement {} has trusted identity {} missing separator", GoQuoted(.name), GoQuoted(.identity))]
    /// An identity without `:`.
    IdentitySeparator {
        /// The statement's name.
        name: String,
        /// The identity.
        identity: String,
    },
    #[error("trust policy statement {} has trusted identity {} without an identity value", GoQuoted(.name), GoQuoted(.identity))]
    /// An identity with nothing after `:`.
    IdentityEmptyValue {
        /// The statement's name.
        name: String,
        /// The identity.
        identity: String,
    },
    #[error("trust policy statement {} has trusted identity {} with invalid identity value: {source}", GoQuoted(.name), GoQuoted(.identity))]
    /// An `x509.subject` identity is not a valid DN.
    IdentityValue {
        /// The statement's name.
        name: String,
        /// The identity.
        identity: String,
        /// Why the DN is rejected.
        source: identity::DnError,
    },
    #[error("trust policy statement {} has overlapping x509 trustedIdentities, {} overlaps with {}", GoQuoted(.name), GoQuoted(.a), GoQuoted(.b))]
    /// One x509 identity is a subset of another.
    OverlappingIdentities {
        /// The statement's name.
        name: String,
        /// The narrower identity.
        a: String,
        /// The identity it overlaps with.
        b: String,
    },
}

/// A registry scope (or the scope part of an artifact reference) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("registry scope {} with wild card(s) is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout", GoQuoted(.0))]
    /// A scope with a wildcard in it.
    Wildcard(String),
    #[error("registry scope {} is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout", GoQuoted(.0))]
    /// A scope that is not `registry/repository`.
    Invalid(String),
    #[error("artifact URI {} could not be parsed, make sure it is the fully qualified OCI artifact URI without the scheme/protocol. e.g domain.com:80/my/repository@sha256:digest", GoQuoted(.0))]
    /// An artifact reference without a digest.
    NoDigest(String),
    #[error("artifact {} has no applicable trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: {TRUST_POLICY_LINK}", GoQuoted(.0))]
    /// No statement's scopes match the artifact.
    NoApplicableStatement(String),
}

/// The parts every statement kind has, validated by [`validate_core`].
pub(crate) struct CoreRef<'a> {
    pub name: &'a str,
    pub signature_verification: &'a SignatureVerification,
    pub trust_stores: &'a [String],
    pub trusted_identities: &'a [String],
}

/// How one kind of document (OCI or blob) words the errors of the document-level rules.
pub(crate) struct DocumentRules {
    /// No `version`.
    pub empty_version: ValidationError,
    /// A `version` other than `1.0`.
    pub unsupported_version: fn(String) -> ValidationError,
    /// No statements.
    pub no_statements: ValidationError,
    /// Two statements share a name.
    pub duplicate_name: fn(String) -> ValidationError,
    /// A statement breaks a rule of `validatePolicyCore`.
    pub statement: fn(StatementError) -> ValidationError,
}

/// Rules 1–8 of verification.md §3.4 for a document of `version` and `statements`, in
/// notation-go's order: the version, at least one statement, then per statement a unique
/// name, `validatePolicyCore` (on `core` of it) and the kind's own rule `each`.
pub(crate) fn validate_statements<'a, S>(
    version: &str,
    statements: &'a [S],
    rules: &DocumentRules,
    core: impl Fn(&'a S) -> CoreRef<'a>,
    mut each: impl FnMut(&'a S) -> Result<(), ValidationError>,
) -> Result<(), ValidationError> {
    if version.is_empty() {
        return Err(rules.empty_version.clone());
    }
    if version != "1.0" {
        return Err((rules.unsupported_version)(version.to_string()));
    }
    if statements.is_empty() {
        return Err(rules.no_statements.clone());
    }
    // A set, not a list: a document may hold many statements.
    let mut names: HashSet<&str> = HashSet::new();
    for s in statements {
        let c = core(s);
        if !names.insert(c.name) {
            return Err((rules.duplicate_name)(c.name.to_string()));
        }
        validate_core(c).map_err(rules.statement)?;
        each(s)?;
    }
    Ok(())
}

/// notation-go `validatePolicyCore`: rules 4–8 of verification.md §3.4.
pub(crate) fn validate_core(s: CoreRef<'_>) -> Result<(), StatementError> {
    let name = s.name.to_string();
    if s.name.is_empty() {
        return Err(StatementError::MissingName);
    }
    let sv_err = |source| StatementError::SignatureVerification {
        name: name.clone(),
        source,
    };
    let level = s.signature_verification.level().map_err(sv_err)?;
    s.signature_verification
        .validate_verify_timestamp()
        .map_err(sv_err)?;
    if level.is_skip() {
        if !s.trust_stores.is_empty() || !s.trusted_identities.is_empty() {
            return Err(StatementError::SkipWithStores(name));
        }
        return Ok(());
    }
    if s.trust_stores.is_empty() || s.trusted_identities.is_empty() {
        return Err(StatementError::MissingStoresOrIdentities(name));
    }
    validate_trust_stores(&name, s.trust_stores)?;
    validate_identities(&name, s.trusted_identities)
}

fn validate_trust_stores(name: &str, stores: &[String]) -> Result<(), StatementError> {
    for value in stores {
        let Some((kind, store)) = value.split_once(':') else {
            return Err(StatementError::MalformedStore {
                name: name.into(),
                value: value.clone(),
            });
        };
        if !TRUST_STORE_TYPES.contains(&kind) {
            return Err(StatementError::StoreType {
                name: name.into(),
                kind: kind.into(),
                value: value.clone(),
            });
        }
        if !is_valid_store_name(store) {
            return Err(StatementError::StoreName {
                name: name.into(),
                store: store.into(),
                value: value.clone(),
            });
        }
    }
    Ok(())
}

fn validate_identities(name: &str, identities: &[String]) -> Result<(), StatementError> {
    if identities.len() > 1 && identities.iter().any(|i| i == identity::WILDCARD) {
        return Err(StatementError::WildcardIdentityMixed(name.into()));
    }
    let mut parsed: Vec<(&str, identity::DnMap)> = Vec::new();
    for id in identities {
        if id.is_empty() {
            return Err(StatementError::EmptyIdentity(name.into()));
        }
        if id == identity::WILDCARD {
            continue;
        }
        let Some((prefix, value)) = id.split_once(':') else {
            return Err(StatementError::IdentitySeparator {
                name: name.into(),
                identity: id.clone(),
            });
        };
        if prefix != identity::X509_SUBJECT {
            continue;
        }
        if value.is_empty() {
            return Err(StatementError::IdentityEmptyValue {
                name: name.into(),
                identity: id.clone(),
            });
        }
        let dn = identity::parse_dn(value).map_err(|source| StatementError::IdentityValue {
            name: name.into(),
            identity: id.clone(),
            source,
        })?;
        parsed.push((id, dn));
    }
    for (i, (a, dn_a)) in parsed.iter().enumerate() {
        for (j, (b, dn_b)) in parsed.iter().enumerate() {
            if i != j && identity::is_subset(dn_a, dn_b) {
                return Err(StatementError::OverlappingIdentities {
                    name: name.into(),
                    a: a.to_string(),
                    b: b.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The x509.subject identities of a statement, parsed (invalid ones cannot occur in a
/// validated document and are skipped).
pub(crate) fn x509_identities(identities: &[String]) -> Vec<identity::DnMap> {
    identities
        .iter()
        .filter_map(|id| id.split_once(':'))
        .filter(|(prefix, _)| *prefix == identity::X509_SUBJECT)
        .filter_map(|(_, value)| identity::parse_dn(value).ok())
        .collect()
}

/// A trust policy file read from disk: its bytes, and whether a UTF-8 BOM had to be
/// stripped (Go notation rejects such files as malformed; we accept them, and the CLI
/// warns).
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// The file read.
    pub path: PathBuf,
    /// Its bytes as read, a BOM included ([`PolicyFile::content`] leaves it out).
    pub bytes: Vec<u8>,
    /// Whether a UTF-8 BOM was stripped.
    pub bom_stripped: bool,
}

impl PolicyFile {
    /// The content without the BOM.
    pub fn content(&self) -> &[u8] {
        if self.bom_stripped {
            &self.bytes[UTF8_BOM.len()..]
        } else {
            &self.bytes
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Read a policy file the way notation-go's `getDocument` does: lstat first (missing →
/// [`PolicyError::NotPresent`], directory or symlink → [`PolicyError::NotRegularFile`]),
/// then read.
pub fn read_policy_file(path: &Path) -> Result<PolicyFile, PolicyError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PolicyError::NotPresent),
        Err(e) => {
            return Err(PolicyError::Io {
                path: path.into(),
                error: e,
            })
        }
    };
    if meta.is_dir() || meta.file_type().is_symlink() {
        return Err(PolicyError::NotRegularFile);
    }
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => PolicyError::Permission(path.into()),
        _ => PolicyError::Io {
            path: path.into(),
            error: e,
        },
    })?;
    let bom_stripped = bytes.starts_with(UTF8_BOM);
    Ok(PolicyFile {
        path: path.into(),
        bytes,
        bom_stripped,
    })
}

/// The OCI trust policy path in effect: `trustpolicy.oci.json` if it exists (even as a
/// broken symlink or directory, so that the error names it), else `trustpolicy.json`.
pub fn oci_policy_path(dirs: &crate::config::Dirs) -> PathBuf {
    let oci = dirs.trust_policy_oci_json();
    if std::fs::symlink_metadata(&oci).is_ok() {
        oci
    } else {
        dirs.trust_policy_json()
    }
}

/// `parse` of `bytes` as Go's `json.Unmarshal` decodes for `policy import`: the bytes must
/// hold exactly one JSON value.
pub(crate) fn parse_exact<D>(
    bytes: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<D, DecodeError>,
) -> Result<D, DecodeError> {
    godecode::single_value(bytes)?;
    parse(bytes)
}

/// The document in `file`, decoded with `parse` and checked with `validate`.
pub(crate) fn decode_valid<D>(
    file: &PolicyFile,
    parse: impl FnOnce(&[u8]) -> Result<D, DecodeError>,
    validate: impl FnOnce(&D) -> Result<(), ValidationError>,
) -> Result<D, PolicyError> {
    let doc = parse(file.content()).map_err(PolicyError::Malformed)?;
    validate(&doc)?;
    Ok(doc)
}

/// The policy file at `path` and its document, decoded by `from_file`.
pub(crate) fn load_document<D>(
    path: &Path,
    from_file: impl FnOnce(&PolicyFile) -> Result<D, PolicyError>,
) -> Result<(D, PolicyFile), PolicyError> {
    let file = read_policy_file(path)?;
    let doc = from_file(&file)?;
    Ok((doc, file))
}

/// The `{"version", "trustPolicies"}` object both trust policy documents are, decoded
/// as Go decodes into its document struct `go_type`, each statement with `statement`.
pub(crate) fn policy_document<T: Default>(
    bytes: &[u8],
    go_type: &str,
    statement: impl FnMut(&Json, &mut T) -> Result<(), DecodeError>,
) -> Result<(String, Vec<T>), DecodeError> {
    let v = godecode::first_value(bytes)?;
    let (mut version, mut statements) = (String::new(), Vec::new());
    let mut statement = statement;
    godecode::object(&v, go_type, |k, val| {
        if godecode::key_matches(k, "version") {
            godecode::string(val, &mut version)
        } else if godecode::key_matches(k, "trustPolicies") {
            godecode::struct_slice(val, &mut statements, &mut statement)
        } else {
            Ok(())
        }
    })?;
    Ok((version, statements))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names() {
        assert!(is_valid_store_name("a-b_c.d9"));
        assert!(!is_valid_store_name(""));
        assert!(!is_valid_store_name("a/b"));
        assert!(!is_valid_store_name("a b"));
    }

    #[test]
    fn reading_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("trustpolicy.json");
        assert!(matches!(read_policy_file(&p), Err(PolicyError::NotPresent)));
        std::fs::create_dir(&p).unwrap();
        assert!(matches!(
            read_policy_file(&p),
            Err(PolicyError::NotRegularFile)
        ));
        std::fs::remove_dir(&p).unwrap();
        let target = dir.path().join("real.json");
        std::fs::write(&target, b"{}").unwrap();
        std::os::unix::fs::symlink(&target, &p).unwrap();
        assert!(matches!(
            read_policy_file(&p),
            Err(PolicyError::NotRegularFile)
        ));
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, b"\xEF\xBB\xBF{}").unwrap();
        let f = read_policy_file(&p).unwrap();
        assert!(f.bom_stripped);
        assert_eq!(f.content(), b"{}");
    }

    #[test]
    fn policy_path_prefers_oci_json() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = crate::config::Dirs {
            config: dir.path().into(),
            libexec: dir.path().into(),
            cache: dir.path().into(),
        };
        assert_eq!(oci_policy_path(&dirs), dirs.trust_policy_json());
        std::fs::write(dirs.trust_policy_oci_json(), b"{}").unwrap();
        assert_eq!(oci_policy_path(&dirs), dirs.trust_policy_oci_json());
    }
}
