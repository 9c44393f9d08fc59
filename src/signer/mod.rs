//! Signing: a local key and its certificate chain turn an artifact descriptor into a
//! signature envelope, which is stored next to the artifact as a signature manifest
//! through a [`Target`] (layout or registry alike).

pub mod plugin;

use crate::crypto::{self, KeySpec, PrivateKey};
use crate::envelope::{self, Format};
use crate::oci::{self, Descriptor};
use crate::target::{Indexing, NewSignature, Target, TargetError, TargetWarning};
use crate::timestamp::{self, Stamped, TimestampError, Tsa};
use crate::x509::Certificate;
use std::collections::BTreeMap;
use std::path::Path;
use time::OffsetDateTime;

/// Why signing failed. Display texts are notation's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key or certificate cannot be used (no pair, unsupported key spec).
    #[error("{0}")]
    Key(#[from] crypto::CryptoError),
    /// A key or certificate file could not be read.
    #[error("open {path}: {source}")]
    ReadFile {
        /// The file.
        path: String,
        /// Why, in Go's words.
        #[source]
        source: std::io::Error,
    },
    /// `--expiry` is negative.
    #[error("expiry duration cannot be a negative value")]
    NegativeExpiry,
    /// `--expiry` is not whole seconds.
    #[error("expiry duration supports minimum granularity of seconds")]
    SubsecondExpiry,
    /// A user metadata key in notation's own namespace.
    #[error("error adding user metadata: metadata key {0} has reserved prefix io.cncf.notary")]
    ReservedMetadataKey(String),
    /// A user metadata key the artifact's descriptor already has.
    #[error(
        "error adding user metadata: metadata key {0} is already present in the target artifact"
    )]
    DuplicateMetadataKey(String),
    /// The envelope could not be made (signing, timestamping).
    #[error(transparent)]
    Envelope(#[from] envelope::EnvelopeError),
    /// The signature could not be stored.
    // Not a #[source]: the message already says it, and the CLI prints the chain.
    #[error("failed to push signature to registry with error: {0}")]
    Push(TargetError),
    /// The artifact could not be resolved again before signing.
    #[error("{0}")]
    Resolve(#[source] TargetError),
    /// A signing plugin failed or answered something notation rejects.
    #[error(transparent)]
    Plugin(#[from] crate::plugin::PluginError),
    /// A plugin's answer broke a rule (text as notation-go's).
    #[error("{0}")]
    PluginResponse(String),
}

/// A private key with its certificate chain (leaf first, ending in a root).
pub struct LocalSigner {
    key: PrivateKey,
    chain: Vec<Certificate>,
}

impl LocalSigner {
    /// Load a PEM key file and PEM certificate chain file, as `signingkeys.json` names them.
    /// Fails when the key does not match the leaf or the leaf's key is not one of the six
    /// key specs notation signs with.
    pub fn from_files(key_path: &Path, cert_path: &Path) -> Result<LocalSigner, SignError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| SignError::ReadFile {
                path: p.display().to_string(),
                source: strip_os_error_code(source),
            })
        };
        let key_pem = read(key_path)?;
        let cert_pem = read(cert_path)?;
        let (key, chain) = crate::x509::load_key_pair(&key_pem, &cert_pem)?;
        Self::new(key, chain)
    }

    /// Wrap an already loaded key and chain.
    pub fn new(key: PrivateKey, chain: Vec<Certificate>) -> Result<LocalSigner, SignError> {
        if let Some(leaf) = chain.first() {
            KeySpec::from_spki_der(&leaf.spki_der())?;
        }
        Ok(LocalSigner { key, chain })
    }

    /// The certificate chain, leaf first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The signature algorithm the key signs with (signature-format.md §6.1).
    pub fn signature_algorithm(&self) -> Result<crypto::SignatureAlgorithm, SignError> {
        Ok(self.key.key_spec()?.signature_algorithm())
    }
}

/// Go's io errors read "no such file or directory", not Rust's "... (os error 2)".
fn strip_os_error_code(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), crate::go::os::errno_text(&e))
}

/// What to sign and how.
#[derive(Clone, Debug)]
pub struct SignOptions {
    /// The envelope format (`--signature-format`).
    pub format: Format,
    /// Signature lifetime from the signing time (`--expiry`); `None` for no expiry.
    pub expiry: Option<time::Duration>,
    /// `-m key=value` pairs, added as annotations of the signed descriptor.
    pub user_metadata: BTreeMap<String, String>,
    /// The unsigned signing agent string.
    pub signing_agent: String,
    /// Timestamp the signature with this TSA (`--timestamp-url`, `--timestamp-root-cert`).
    pub tsa: Option<Tsa>,
}

/// Where a signature was stored.
#[derive(Clone, Debug)]
pub struct SignedSignature {
    /// The signature manifest.
    pub manifest: Descriptor,
    /// The envelope blob.
    pub envelope: Descriptor,
    /// How the target made the signature findable.
    pub indexed_by: Option<Indexing>,
    /// What the user should know although the signature was stored (e.g. an outdated
    /// referrers index that could not be deleted).
    pub warnings: Vec<TargetWarning>,
}

/// Check the `--expiry` value as notation does (after resolving the reference).
pub(crate) fn check_expiry(expiry: Option<time::Duration>) -> Result<(), SignError> {
    match expiry {
        Some(d) if d.is_negative() => Err(SignError::NegativeExpiry),
        Some(d) if d.subsec_nanoseconds() != 0 => Err(SignError::SubsecondExpiry),
        _ => Ok(()),
    }
}

/// The descriptor that goes into the payload: the plain target plus user metadata.
pub(crate) fn payload_target(
    subject: &Descriptor,
    user_metadata: &BTreeMap<String, String>,
) -> Result<Descriptor, SignError> {
    let mut target = subject.plain();
    let mut annotations = subject.annotations.clone().unwrap_or_default();
    for (k, v) in user_metadata {
        if k.starts_with("io.cncf.notary") {
            return Err(SignError::ReservedMetadataKey(k.clone()));
        }
        if annotations.contains_key(k) {
            return Err(SignError::DuplicateMetadataKey(k.clone()));
        }
        annotations.insert(k.clone(), v.clone());
    }
    if !annotations.is_empty() {
        target.annotations = Some(annotations);
    }
    Ok(target)
}

/// An envelope ready to be stored, with what the signature manifest needs.
#[derive(Debug, Clone)]
pub struct SignedEnvelope {
    /// Envelope bytes.
    pub bytes: Vec<u8>,
    /// The envelope's certificate chain (for the thumbprint annotation).
    pub chain: Vec<Certificate>,
    /// The signing time (for the `org.opencontainers.image.created` annotation).
    pub signing_time: OffsetDateTime,
    /// Extra signature manifest annotations (from an ENVELOPE plugin).
    pub annotations: BTreeMap<String, String>,
}

/// Turns the payload target into a signature envelope: a local key or a plugin.
/// `Send + Sync` so that signing is a `Send` future (servers sign on multi-threaded runtimes).
pub trait EnvelopeSigner: Send + Sync {
    /// Sign `payload_target` at `signing_time` as `opts` asks.
    fn sign_envelope(
        &self,
        payload_target: &Descriptor,
        signing_time: OffsetDateTime,
        opts: &SignOptions,
    ) -> Result<SignedEnvelope, SignError>;

    /// The signature algorithm of the key (a blob's digest uses its hash).
    fn signature_algorithm(&self) -> Result<crypto::SignatureAlgorithm, SignError>;
}

impl EnvelopeSigner for LocalSigner {
    fn signature_algorithm(&self) -> Result<crypto::SignatureAlgorithm, SignError> {
        LocalSigner::signature_algorithm(self)
    }

    fn sign_envelope(
        &self,
        payload_target: &Descriptor,
        signing_time: OffsetDateTime,
        opts: &SignOptions,
    ) -> Result<SignedEnvelope, SignError> {
        let key_spec = self.key.key_spec()?;
        let raw = LocalRaw(self);
        let bytes = raw_envelope(
            payload_target,
            signing_time,
            key_spec,
            &raw,
            &opts.signing_agent,
            opts,
        )?;
        Ok(SignedEnvelope {
            bytes,
            chain: self.chain.clone(),
            signing_time,
            annotations: BTreeMap::new(),
        })
    }
}

struct LocalRaw<'a>(&'a LocalSigner);

impl envelope::RawSigner for LocalRaw<'_> {
    fn sign(
        &self,
        signing_input: &[u8],
    ) -> Result<(Vec<u8>, Vec<Certificate>), envelope::EnvelopeError> {
        Ok((self.0.key.sign(signing_input)?, self.0.chain.clone()))
    }
}

/// Build an envelope whose raw signature comes from `raw` (local key or RAW plugin),
/// timestamped when `opts.tsa` is set.
pub(crate) fn raw_envelope(
    payload_target: &Descriptor,
    signing_time: OffsetDateTime,
    key_spec: KeySpec,
    raw: &dyn envelope::RawSigner,
    signing_agent: &str,
    opts: &SignOptions,
) -> Result<Vec<u8>, SignError> {
    let expiry = opts
        .expiry
        .filter(|d| !d.is_zero())
        .map(|d| signing_time + d);
    log_sign_request(
        payload_target,
        opts.format,
        signing_time,
        expiry,
        signing_agent,
    );
    let request = envelope::RawSignRequest {
        target: payload_target,
        signing_time,
        expiry,
        signing_agent,
        key_spec,
        signer: raw,
    };
    Ok(match &opts.tsa {
        None => envelope::sign_raw(opts.format, &request, None)?,
        Some(tsa) => {
            log::debug!("Enabled timestamping");
            if tsa.revocation.is_some() {
                log::debug!("Enabled timestamping certificate chain revocation check");
            }
            let hash = timestamp::Hash::for_signature(key_spec.signature_algorithm());
            let stamper = |signature: &[u8]| {
                timestamp_blocking(tsa, signature, hash)
                    .map(|stamped| stamped.token)
                    .map_err(|e| format!("timestamp: {e}"))
            };
            envelope::sign_raw(opts.format, &request, Some(&stamper))?
        }
    })
}

/// notation-go's generic signer logs what it signs.
fn log_sign_request(
    target: &Descriptor,
    format: Format,
    signing_time: OffsetDateTime,
    expiry: Option<OffsetDateTime>,
    signing_agent: &str,
) {
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    let time_v = crate::go::time::string;
    log::debug!(
        "Generic signing for {} in signature media type {}",
        target.digest,
        format.media_type()
    );
    log::debug!("Sign request:");
    log::debug!("  ContentType:   {}", envelope::payload::CONTENT_TYPE);
    log::debug!(
        "  Content:       {}",
        String::from_utf8_lossy(&envelope::payload::build(target))
    );
    log::debug!("  SigningTime:   {}", time_v(signing_time));
    let zero = time::macros::datetime!(0001-01-01 0:00 UTC);
    log::debug!("  Expiry:        {}", time_v(expiry.unwrap_or(zero)));
    log::debug!("  SigningScheme: notary.x509");
    log::debug!("  SigningAgent:  {signing_agent}");
}

/// Sign `subject` and store the signature in `target`.
pub async fn sign(
    target: &dyn Target,
    subject: &Descriptor,
    signer: &dyn EnvelopeSigner,
    opts: &SignOptions,
) -> Result<SignedSignature, SignError> {
    let prepared = prepare(target, subject, signer, opts).await?;
    let signed = store(target, &prepared).await?;
    target.commit().await.map_err(SignError::Push)?;
    Ok(signed)
}

/// A signature made for a subject but not stored yet: what [`store`] pushes.
#[derive(Clone, Debug)]
pub(crate) struct PreparedSignature {
    /// The signed artifact.
    pub subject: Descriptor,
    /// The envelope format.
    pub format: Format,
    /// The envelope and the signature manifest (with its annotations).
    pub signature: NewSignature,
}

/// The first half of [`sign`]: check, sign and build the signature manifest, writing
/// nothing. Signing several artifacts prepares them all before storing any, so that a key,
/// plugin or TSA failure leaves the target untouched.
pub(crate) async fn prepare(
    target: &dyn Target,
    subject: &Descriptor,
    signer: &dyn EnvelopeSigner,
    opts: &SignOptions,
) -> Result<PreparedSignature, SignError> {
    check_expiry(opts.expiry)?;
    // notation-go's Sign resolves the reference (by digest) once more before signing.
    target
        .resolve(&subject.digest)
        .await
        .map_err(SignError::Resolve)?;
    let payload_target = payload_target(subject, &opts.user_metadata)?;
    let now = OffsetDateTime::now_utc();
    let signing_time = now.replace_nanosecond(0).expect("0 is a valid nanosecond");
    let signed = signer.sign_envelope(&payload_target, signing_time, opts)?;
    let annotations = signature_annotations(&signed.chain, signed.signing_time);
    log::debug!("Generating annotation");
    let signature = NewSignature::new(opts.format.media_type(), signed.bytes, subject, annotations)
        .with_extra_annotations(&signed.annotations);
    log::debug!(
        "Generated annotations: {}",
        crate::go::fmt::map_v(
            signature
                .manifest
                .annotations
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str()))
        )
    );
    Ok(PreparedSignature {
        subject: subject.clone(),
        format: opts.format,
        signature,
    })
}

/// The second half of [`sign`]: push the envelope, config and manifest. The caller commits
/// the target ([`crate::target::ContentStore::commit`]), once for all the signatures it
/// stores.
pub(crate) async fn store(
    target: &dyn Target,
    prepared: &PreparedSignature,
) -> Result<SignedSignature, SignError> {
    log::debug!(
        "Pushing signature of artifact descriptor: {}, signature media type: {}",
        prepared.subject.go_debug(),
        prepared.format.media_type()
    );
    let pushed = target
        .push_signature(&prepared.signature)
        .await
        .map_err(SignError::Push)?;
    Ok(SignedSignature {
        manifest: prepared.signature.manifest.clone(),
        envelope: prepared.signature.envelope.clone(),
        indexed_by: pushed.indexed_by,
        warnings: pushed.warnings,
    })
}

/// Produce a signature envelope over `payload_target` (already carrying any user metadata),
/// timestamped when `opts.tsa` is set. Returns the envelope and its signing time. Used for
/// blobs (written next to the blob); [`sign`] does the same for OCI artifacts and stores it.
pub(crate) fn sign_envelope(
    payload_target: &Descriptor,
    signer: &dyn EnvelopeSigner,
    opts: &SignOptions,
) -> Result<(Vec<u8>, OffsetDateTime), SignError> {
    check_expiry(opts.expiry)?;
    let now = OffsetDateTime::now_utc();
    let signing_time = now.replace_nanosecond(0).expect("0 is a valid nanosecond");
    let signed = signer.sign_envelope(payload_target, signing_time, opts)?;
    Ok((signed.bytes, signed.signing_time))
}

/// Runs the (async) TSA exchange from the synchronous envelope signer: on a scoped thread
/// with its own runtime, because the caller's runtime may be single-threaded and is
/// blocked in the signer meanwhile.
fn timestamp_blocking(
    tsa: &Tsa,
    signature: &[u8],
    hash: timestamp::Hash,
) -> Result<Stamped, TimestampError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| TimestampError::Http(e.to_string()))?
                    .block_on(tsa.timestamp(signature, hash))
            })
            .join()
            .unwrap_or_else(|_| Err(TimestampError::Http("timestamping thread panicked".into())))
    })
}

/// The two annotations notation puts on signature manifests: chain thumbprints (lowercase
/// hex SHA-256, leaf first) and the signing time in UTC.
pub(crate) fn signature_annotations(
    chain: &[Certificate],
    signing_time: OffsetDateTime,
) -> BTreeMap<String, String> {
    let thumbprints: Vec<String> = chain.iter().map(Certificate::sha256_fingerprint).collect();
    let created = crate::go::time::rfc3339(signing_time.to_offset(time::UtcOffset::UTC));
    BTreeMap::from([
        (
            oci::ANNOTATION_THUMBPRINT.to_string(),
            String::from_utf8(crate::go::json::to_vec(&thumbprints).expect("strings serialize"))
                .expect("JSON is UTF-8"),
        ),
        (oci::ANNOTATION_CREATED.to_string(), created),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_rules() {
        assert!(check_expiry(None).is_ok());
        assert!(check_expiry(Some(time::Duration::ZERO)).is_ok());
        assert!(check_expiry(Some(time::Duration::hours(24))).is_ok());
        assert_eq!(
            check_expiry(Some(time::Duration::minutes(-5)))
                .unwrap_err()
                .to_string(),
            "expiry duration cannot be a negative value"
        );
        assert_eq!(
            check_expiry(Some(time::Duration::milliseconds(1500)))
                .unwrap_err()
                .to_string(),
            "expiry duration supports minimum granularity of seconds"
        );
    }

    #[test]
    fn user_metadata_rules() {
        let subject = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, b"m");
        let md = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        let t = payload_target(&subject, &md).unwrap();
        assert_eq!(t.annotation("env"), Some("prod"));
        assert!(payload_target(&subject, &BTreeMap::new())
            .unwrap()
            .annotations
            .is_none());
        let reserved = BTreeMap::from([("io.cncf.notary.x".to_string(), "v".to_string())]);
        assert_eq!(
            payload_target(&subject, &reserved).unwrap_err().to_string(),
            "error adding user metadata: metadata key io.cncf.notary.x has reserved prefix io.cncf.notary"
        );
        let mut annotated = subject.clone();
        annotated.annotations = Some(md.clone());
        assert!(payload_target(&annotated, &md)
            .unwrap_err()
            .to_string()
            .contains("already present"));
    }

    /// `sign` hands back what the target said about the push, as values: how the signature
    /// is found, and the warnings (nothing is left in the target for someone to collect).
    #[tokio::test]
    async fn a_stored_signature_says_how_it_is_found_and_what_to_warn_about() {
        use crate::target::memory::Memory;
        use crate::target::ContentStore as _;
        let cert = crate::testcert::generate("t", 2048, 1).unwrap();
        let (key, chain) =
            crate::x509::load_key_pair(cert.key_pem.as_bytes(), cert.cert_pem.as_bytes()).unwrap();
        let signer = LocalSigner::new(key, chain).unwrap();
        let warning = TargetWarning::ReferrersIndexNotDeleted {
            index: "sha256:00".into(),
            reason: "405".into(),
        };
        let store = Memory::warning_on_push(warning.clone());
        let bytes = br#"{"schemaVersion":2,"layers":[]}"#;
        let subject = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, bytes);
        store.push_manifest(&subject, bytes, None).await.unwrap();
        let opts = SignOptions {
            format: Format::Cose,
            expiry: None,
            user_metadata: BTreeMap::new(),
            signing_agent: "test".into(),
            tsa: None,
        };
        let signed = sign(&store, &subject, &signer, &opts).await.unwrap();
        assert_eq!(signed.indexed_by, Some(Indexing::LayoutIndex));
        assert_eq!(signed.warnings, vec![warning]);
        let listed = store.signatures(&subject).await.unwrap();
        assert_eq!(listed, vec![signed.manifest.plain()]);
        let fetched = store.fetch_signature(&listed[0]).await.unwrap();
        assert_eq!(fetched.blob, signed.envelope);
        let annotations = signed.manifest.annotations.unwrap();
        assert!(annotations.contains_key(oci::ANNOTATION_THUMBPRINT));
        assert!(annotations.contains_key(oci::ANNOTATION_CREATED));
    }
}
