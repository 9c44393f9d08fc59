//! The library in one page: a [`Verifier`] built from a trust policy and trust stores, a
//! [`Signer`] built from a key and its certificate chain, the two targets ([`Layout`] and
//! [`Registry`]) and [`copy`]. Everything here wraps the engine modules (`verifier`,
//! `signer`, `truststore`, `policy`, `target`, `copy`); nothing is reimplemented.
//!
//! An artifact is named by a reference `registry/repository(:tag|@digest)`. The tag or
//! digest is looked up in the target; `registry/repository@digest` is what the trust
//! policy's `registryScopes` are matched against, for a layout as for a registry.

use crate::config::signingkeys::SigningKeys;
use crate::config::Dirs;
use crate::crypto::PrivateKey;
use crate::go::fmt::GoQuoted;
use crate::oci::Descriptor;
use crate::policy::OciDocument;
use crate::reference::{LayoutReference, ReferenceError, RegistryReference};
use crate::revocation::Validator;
use crate::signer::{LocalSigner, SignOptions};
use crate::verifier::plugin::VerificationPlugins;
use crate::verifier::stores::FileTrustStores;
use crate::verifier::{TrustStoreFailure, TrustStores, VerifyOptions};
use crate::x509::Certificate;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::copy::CopyOptions;
pub use crate::credentials::Credential;
pub use crate::envelope::Format;
pub use crate::policy::{Action, CheckType};
pub use crate::reference::Selector;
pub use crate::target::layout::Layout;
pub use crate::target::registry::{CredentialSource, Registry, RegistryOptions};
pub use crate::target::Target;

/// Why a facade call failed. Each variant names the file, reference or digest involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The trust policy could not be read, decoded or validated.
    #[error("trust policy: {0}")]
    Policy(#[from] crate::policy::PolicyError),
    /// A certificate could not be parsed.
    #[error("certificates of {what}: {source}")]
    Certificate {
        /// The trust store (`ca:NAME`) or chain the certificates were meant for.
        what: String,
        /// What was wrong with them.
        #[source]
        source: crate::x509::X509Error,
    },
    /// A trust store name is not `TYPE:NAME` with a known type and a valid name.
    #[error(
        "invalid trust store name {}: expecting ca:NAME, signingAuthority:NAME or tsa:NAME", GoQuoted(.0)
    )]
    TrustStoreName(String),
    /// The reference is not `registry/repository(:tag|@digest)`.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The target could not be opened or read.
    #[error("{reference}: {source}")]
    Target {
        /// The reference (or path) being worked on.
        reference: String,
        /// The store's error.
        #[source]
        source: crate::target::TargetError,
    },
    /// A digest was given and the target resolved the reference to another one.
    #[error("{reference}: the target resolved it to {resolved}")]
    DigestMismatch {
        /// The reference as given.
        reference: String,
        /// The digest the target holds.
        resolved: String,
    },
    /// No signature passed verification (or none could be fetched).
    #[error("{reference}: {source}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Verify {
        /// The reference verified.
        reference: String,
        /// Why, as notation-go's library says it.
        #[source]
        source: Box<crate::verifier::VerifyError>,
        /// Why the last signature tried failed: `signature <digest>: <check> failed: <error>`.
        reason: Option<String>,
    },
    /// Signing failed.
    #[error("{reference}: {source}")]
    Sign {
        /// The reference (or key files) being signed with.
        reference: String,
        /// The signer's error.
        #[source]
        source: crate::signer::SignError,
    },
    /// notation's `signingkeys.json` could not be used.
    #[error("{0}")]
    SigningKeys(#[from] crate::config::signingkeys::SigningKeysError),
    /// The signing key is held by a plugin; the facade signs with local keys only.
    #[error("signing key {} is a plugin key; the library facade signs with local keys only", GoQuoted(.0))]
    PluginKey(String),
}

/// Result of the facade's functions.
pub type Result<T> = std::result::Result<T, Error>;

/// Certificates held in memory per trust store (`ca:NAME`, `signingAuthority:NAME`,
/// `tsa:NAME`), as the trust policy's `trustStores` name them.
///
/// ```
/// let mut stores = notation::TrustStoreSet::new();
/// // A store name is TYPE:NAME, as in the trust policy.
/// assert!(matches!(
///     stores.add("wabbit-networks", b"").unwrap_err(),
///     notation::Error::TrustStoreName(_)
/// ));
/// // Certificates must parse (PEM, or DER).
/// assert!(stores.add("ca:wabbit-networks", b"not a certificate").is_err());
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustStoreSet {
    stores: HashMap<(String, String), Vec<Vec<u8>>>,
}

impl TrustStoreSet {
    /// An empty set.
    pub fn new() -> TrustStoreSet {
        TrustStoreSet::default()
    }

    /// Add the PEM (or DER) certificates in `certs` to the store `name` (`ca:NAME`).
    pub fn add(&mut self, name: &str, certs: &[u8]) -> Result<&mut TrustStoreSet> {
        let (store_type, store) = name
            .split_once(':')
            .filter(|(t, n)| {
                t.parse::<crate::truststore::StoreType>().is_ok()
                    && crate::truststore::is_valid_name(n)
            })
            .ok_or_else(|| Error::TrustStoreName(name.to_string()))?;
        let parsed = parse_certs(name, certs)?;
        self.stores
            .entry((store_type.to_string(), store.to_string()))
            .or_default()
            .extend(parsed.iter().map(|c| c.der().to_vec()));
        Ok(self)
    }
}

impl TrustStores for TrustStoreSet {
    fn load(
        &self,
        store_type: &str,
        name: &str,
    ) -> std::result::Result<Vec<Vec<u8>>, TrustStoreFailure> {
        self.stores
            .get(&(store_type.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| {
                let message = format!(
                    "the trust store {} of type {} does not exist",
                    GoQuoted(name),
                    GoQuoted(store_type)
                );
                TrustStoreFailure {
                    message,
                    not_exist: true,
                    inner: None,
                }
            })
    }
}

fn parse_certs(what: &str, bytes: &[u8]) -> Result<Vec<Certificate>> {
    crate::x509::parse_certificates(bytes).map_err(|source| Error::Certificate {
        what: what.to_string(),
        source,
    })
}

/// Verifies artifacts against one trust policy and its trust stores.
///
/// Certificate revocation is checked over the network (OCSP, CRL) for chains that name
/// responders, as `notation verify` does. One `Verifier` serves any number of
/// verifications, concurrently too.
///
/// What an admission webhook does (see `examples/verify_registry.rs`):
///
/// ```no_run
/// use notation::{open_registry, RegistryOptions, TrustStoreSet, Verifier};
/// use std::time::Duration;
///
/// async fn admit(
///     image: &str,
///     policy_json: &str,
///     ca_pem: &[u8],
/// ) -> Result<String, Box<dyn std::error::Error>> {
///     let check = async {
///         let mut stores = TrustStoreSet::new();
///         stores.add("ca:admission", ca_pem)?;
///         let verifier = Verifier::from_memory(policy_json, stores)?;
///         let registry = open_registry(image, RegistryOptions::default())?;
///         let outcome = verifier.verify(&registry, image).await?;
///         Ok::<_, notation::Error>(outcome.artifact_digest)
///     };
///     match tokio::time::timeout(Duration::from_secs(10), check).await {
///         Ok(result) => Ok(result?),
///         Err(_) => Err(format!("{image}: verification timed out").into()),
///     }
/// }
/// ```
///
/// With notation's own configuration (what `notation verify` reads):
///
/// ```no_run
/// # async fn f() -> Result<(), notation::Error> {
/// let verifier = notation::Verifier::from_config_dir("/etc/notation")?;
/// let layout = notation::open_layout("image.tar")?;
/// let outcome = verifier.verify(&layout, "registry.example/app:v1").await?;
/// println!("{} passed policy {}", outcome.artifact_digest, outcome.policy);
/// # Ok(())
/// # }
/// ```
pub struct Verifier {
    policy: OciDocument,
    stores: Box<dyn TrustStores>,
    revocation: Validator,
    plugins: Option<VerificationPlugins>,
    options: VerifyOptions,
}

impl Verifier {
    /// The trust policy, trust stores, CRL cache and plugins of notation's config dir
    /// (`trustpolicy.oci.json` or `trustpolicy.json`, `truststore/x509/…`): what
    /// `notation verify` uses with `NOTATION_CONFIG=path`.
    pub fn from_config_dir(path: impl AsRef<Path>) -> Result<Verifier> {
        let dirs = config_dirs(path.as_ref());
        let (policy, _) = OciDocument::load(&dirs)?;
        Ok(Verifier {
            policy,
            revocation: Validator::new(Some(dirs.crl_cache())),
            plugins: Some(VerificationPlugins {
                dir: dirs.plugins(),
                config: BTreeMap::new(),
            }),
            stores: Box::new(FileTrustStores::new(dirs)),
            options: VerifyOptions::default(),
        })
    }

    /// A trust policy document (the JSON of `trustpolicy.oci.json`) and in-memory trust
    /// stores: no files are read. Verification plugins are not available.
    pub fn from_memory(policy_json: &str, stores: TrustStoreSet) -> Result<Verifier> {
        let policy = OciDocument::parse(policy_json.as_bytes())
            .map_err(crate::policy::PolicyError::Malformed)?;
        policy
            .validate()
            .map_err(crate::policy::PolicyError::Invalid)?;
        Ok(Verifier {
            policy,
            stores: Box::new(stores),
            revocation: Validator::new(None),
            plugins: None,
            options: VerifyOptions::default(),
        })
    }

    /// Evaluate at most `n` signatures (default 100, as `--max-signatures`).
    pub fn max_signatures(mut self, n: usize) -> Verifier {
        self.options.max_signatures = n.max(1);
        self
    }

    /// Require the signature to carry this user metadata (as `-m key=value`).
    pub fn user_metadata(mut self, key: &str, value: &str) -> Verifier {
        self.options
            .user_metadata
            .retain(|(existing, _)| existing != key);
        self.options
            .user_metadata
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Verify the artifact `reference` (`registry/repository(:tag|@digest)`) stored in
    /// `target`. `Ok` means the trust policy accepts it: a signature passed, or the
    /// applicable statement's level is `skip`.
    pub async fn verify(&self, target: &dyn Target, reference: &str) -> Result<Outcome> {
        let parsed = RegistryReference::parse(reference)?;
        let selector = parsed.selector.as_ref().expect("parse requires a selector");
        let subject = resolve(target, reference, selector).await?;
        let policy_ref = parsed.with_digest(&subject.digest);
        let verifier = crate::verifier::Verifier {
            policy: &self.policy,
            stores: self.stores.as_ref(),
            integrity: &crate::verifier::envelope_integrity::EnvelopeIntegrity,
            revocation: Some(&self.revocation),
            now: time::OffsetDateTime::now_utc(),
            plugins: self.plugins.as_ref(),
        };
        let outcome = verifier
            .verify(target, &subject, &policy_ref, &self.options)
            .await
            .map_err(|source| Error::Verify {
                reference: reference.to_string(),
                reason: last_failure(&source),
                source: Box::new(source),
            })?;
        Ok(Outcome::new(subject.digest, outcome))
    }
}

/// The reason the last signature evaluated failed, if verification got that far.
fn last_failure(e: &crate::verifier::VerifyError) -> Option<String> {
    let crate::verifier::VerifyError::Failed { records, .. } = e else {
        return None;
    };
    let record = records.iter().rev().find(|r| r.failure.is_some())?;
    let (step, error) = record.failure.as_ref()?;
    Some(format!(
        "signature {}: {step} failed: {error}",
        record.digest
    ))
}

/// notation's directories with `path` as the config (and libexec) dir; the cache dir
/// (CRLs) is the usual one.
fn config_dirs(path: &Path) -> Dirs {
    Dirs {
        config: path.to_path_buf(),
        libexec: path.to_path_buf(),
        cache: Dirs::from_env().cache,
    }
}

/// Resolve `selector` (of `reference`) in `target`, checking a given digest.
async fn resolve(target: &dyn Target, reference: &str, selector: &Selector) -> Result<Descriptor> {
    let desc = target
        .resolve(selector.as_str())
        .await
        .map_err(|source| Error::Target {
            reference: reference.to_string(),
            source,
        })?;
    if let Selector::Digest(d) = selector {
        if *d != desc.digest {
            return Err(Error::DigestMismatch {
                reference: reference.to_string(),
                resolved: desc.digest,
            });
        }
    }
    Ok(desc.plain())
}

/// What a successful [`Verifier::verify`] found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Digest of the artifact verified.
    pub artifact_digest: String,
    /// Name of the trust policy statement that applied.
    pub policy: String,
    /// That statement's verification level (`strict`, `permissive`, `audit`, `skip`).
    pub level: &'static str,
    /// The signature that passed; `None` when the level is `skip` (nothing was checked).
    pub signature: Option<VerifiedSignature>,
}

/// The signature that passed verification.
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    /// Digest of the signature manifest.
    pub manifest_digest: String,
    /// The signer's certificate chain, leaf first (DER).
    pub signer_chain: Vec<Vec<u8>>,
    /// The leaf certificate's subject (as Go prints a distinguished name).
    pub signer: String,
    /// The signed user metadata.
    pub user_metadata: BTreeMap<String, String>,
    /// Each check of the trust policy, in order.
    pub checks: Vec<Check>,
}

/// One check of the trust policy for the signature that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub check: CheckType,
    /// What the level does with its failure (`skip`: it did not run).
    pub action: Action,
    /// Its failure, when it ran and failed (logged only, else verification would have
    /// failed).
    pub error: Option<String>,
}

impl Outcome {
    fn new(artifact_digest: String, outcome: crate::verifier::VerificationOutcome) -> Outcome {
        let signature = outcome.verified.map(|v| VerifiedSignature {
            checks: v
                .records
                .last()
                .map(|r| {
                    r.results
                        .iter()
                        .map(|c| Check {
                            check: c.check,
                            action: c.action,
                            error: c.error.as_ref().map(|e| e.to_string()),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            signer: v.facts.signer_subject().to_string(),
            signer_chain: v.facts.chain.iter().map(|c| c.der.clone()).collect(),
            user_metadata: v.facts.annotations,
            manifest_digest: v.signature_digest,
        });
        Outcome {
            artifact_digest,
            policy: outcome.policy,
            level: outcome.level.name,
            signature,
        }
    }
}

/// Signs artifacts with a local private key and its certificate chain.
///
/// ```no_run
/// # async fn f(key_pem: &[u8], chain_pem: &[u8]) -> Result<(), notation::Error> {
/// use notation::{open_registry, Format, RegistryOptions, Signer};
///
/// let signer = Signer::from_pem(key_pem, chain_pem)?.format(Format::Cose);
/// let registry = open_registry("registry.example/app", RegistryOptions::default())?;
/// let signature = signer.sign(&registry, "registry.example/app:v1").await?;
/// println!("signature manifest {signature}");
/// # Ok(())
/// # }
/// ```
pub struct Signer {
    inner: LocalSigner,
    options: SignOptions,
}

impl Signer {
    /// A PEM private key (PKCS#8, PKCS#1 or SEC1) and a PEM certificate chain (leaf first).
    pub fn from_pem(key_pem: &[u8], chain_pem: &[u8]) -> Result<Signer> {
        let (key, chain) = crate::x509::load_key_pair(key_pem, chain_pem)
            .map_err(|e| sign_error("key and certificate", e.into()))?;
        Signer::new(key, chain, "key and certificate")
    }

    /// A DER private key (PKCS#1, PKCS#8 or SEC1) and DER certificates (leaf first).
    pub fn from_der(key_der: &[u8], chain_der: &[&[u8]]) -> Result<Signer> {
        let key =
            PrivateKey::from_der(key_der).map_err(|e| sign_error("DER private key", e.into()))?;
        let chain = chain_der
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|source| Error::Certificate {
                what: "the signing chain".into(),
                source,
            })?;
        Signer::new(key, chain, "DER key and certificates")
    }

    /// The local signing key `name` of notation's config dir (`signingkeys.json`), or its
    /// default key when `name` is `None`, as `notation sign --key` chooses it.
    pub fn from_config_dir(path: impl AsRef<Path>, name: Option<&str>) -> Result<Signer> {
        let dirs = config_dirs(path.as_ref());
        let entry = SigningKeys::load(&dirs)?.resolve(name)?;
        let (Some(key), Some(cert)) = (entry.key_path.as_deref(), entry.cert_path.as_deref())
        else {
            return Err(Error::PluginKey(entry.name.clone()));
        };
        let inner = LocalSigner::from_files(Path::new(key), Path::new(cert))
            .map_err(|e| sign_error(key, e))?;
        Ok(Signer::with_default_options(inner))
    }

    fn new(key: PrivateKey, chain: Vec<Certificate>, what: &str) -> Result<Signer> {
        let inner = LocalSigner::new(key, chain).map_err(|e| sign_error(what, e))?;
        Ok(Signer::with_default_options(inner))
    }

    fn with_default_options(inner: LocalSigner) -> Signer {
        Signer {
            inner,
            options: SignOptions {
                format: Format::Jws,
                expiry: None,
                user_metadata: BTreeMap::new(),
                signing_agent: crate::version::SIGNING_AGENT.to_string(),
                tsa: None,
            },
        }
    }

    /// Sign in this envelope format (default JWS).
    pub fn format(mut self, format: Format) -> Signer {
        self.options.format = format;
        self
    }

    /// Let signatures expire this long after signing (whole seconds).
    pub fn expiry(mut self, expiry: time::Duration) -> Signer {
        self.options.expiry = Some(expiry);
        self
    }

    /// Sign this user metadata into the signature (as `-m key=value`).
    pub fn user_metadata(mut self, key: &str, value: &str) -> Signer {
        self.options
            .user_metadata
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Sign the artifact `reference` in `target` and store the signature next to it.
    /// Returns the signature manifest's digest. Only the reference's tag or digest is used:
    /// `registry/repository:tag` and `path/to/layout:tag` alike (see [`selector_of`]).
    pub async fn sign(&self, target: &dyn Target, reference: &str) -> Result<String> {
        let subject = resolve(target, reference, &selector_of(reference)?).await?;
        let signed = crate::signer::sign(target, &subject, &self.inner, &self.options)
            .await
            .map_err(|e| sign_error(reference, e))?;
        Ok(signed.manifest.digest)
    }
}

fn sign_error(reference: &str, source: crate::signer::SignError) -> Error {
    Error::Sign {
        reference: reference.to_string(),
        source,
    }
}

/// The tag or digest of `reference`, `name:tag` or `name@digest` with any name (a
/// registry repository, a layout path): what [`Signer::sign`] and [`copy`] look up.
pub fn selector_of(reference: &str) -> Result<Selector> {
    Ok(LayoutReference::parse(reference)?.selector)
}

/// Open a registry repository by reference (`registry/repository[:tag|@digest]`; the tag
/// or digest is not used): [`Registry::new`] from a string.
pub fn open_registry(reference: &str, options: RegistryOptions) -> Result<Registry> {
    let parsed = RegistryReference::parse_repository(reference)?;
    Registry::new(&parsed, options).map_err(|source| Error::Target {
        reference: reference.to_string(),
        source,
    })
}

/// Open an OCI image layout (a directory, or a regular file holding a tar of one):
/// [`Layout::open`] with a facade error.
pub fn open_layout(path: impl AsRef<Path>) -> Result<Layout> {
    let path: PathBuf = path.as_ref().into();
    Layout::open(&path).map_err(|source| Error::Target {
        reference: path.display().to_string(),
        source,
    })
}

/// Copy the artifact `reference` (its tag or digest, see [`selector_of`], is looked up in
/// `source`) to `destination`, tagging it there with `tags`. With
/// `options.recursive` its signatures (and their referrers) come along. Returns the
/// artifact's digest.
pub async fn copy(
    source: &dyn Target,
    destination: &dyn Target,
    reference: &str,
    tags: &[&str],
    options: &CopyOptions,
) -> Result<String> {
    let root = resolve(source, reference, &selector_of(reference)?).await?;
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    crate::copy::copy(
        source,
        destination,
        &root,
        &tags,
        options,
        Arc::new(crate::copy::NoProgress),
    )
    .await
    .map_err(|source| Error::Target {
        reference: reference.to_string(),
        source,
    })?;
    Ok(root.digest)
}

#[cfg(test)]
mod tests;
