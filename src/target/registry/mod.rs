//! OCI distribution registries: one repository as a [`ContentStore`].
//!
//! Requests, headers, limits and error texts follow notation v1.3.2 (oras-go v2.5.0):
//! HEAD with the manifest `Accept` list to resolve, blob uploads (one `PUT`, or `PATCH`
//! chunks for large blobs, and cross-repository mounts: see `upload`), manifests
//! pushed by digest (or tag), the referrers API with the `sha256-<hex>` tag-schema fallback
//! for reading, and the tag schema maintained on push (always with `force_referrers_tag`,
//! else only when the registry does not answer `OCI-Subject`).

mod auth;
mod client;
mod referrers;
mod response;
mod upload;

pub use response::round_trips;
use upload::DEFAULT_CHUNK_SIZE;

use crate::credentials::{Credential, CredentialStore};
use crate::oci::{self, Descriptor, GraphNode};
use crate::reference::RegistryReference;
use crate::target::{
    self, BlobSource, ByteStream, ContentStore, Indexing, NewBlob, Pushed, Result, SignaturePages,
    TargetError, TargetWarning, MAX_MANIFEST_BYTES,
};
use bytes::Bytes;
use client::{Client, Request};
use futures_util::StreamExt as _;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use response::{http_error, read_limited};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where the credentials for a registry come from.
#[derive(Clone, Debug, Default)]
pub enum CredentialSource {
    /// No credentials: anonymous requests and anonymous tokens only.
    #[default]
    Anonymous,
    /// Given on the command line or in `NOTATION_USERNAME`/`NOTATION_PASSWORD`.
    Static(Credential),
    /// Looked up in the credential store (once, when a challenge needs it).
    Store(Arc<CredentialStore>),
}

/// How to reach a registry.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Speak plain HTTP (also automatic for `localhost:<port>`).
    pub plain_http: bool,
    /// Extra PEM CA certificates to trust besides the system roots (which honour
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    pub ca_file: Option<PathBuf>,
    /// Where credentials come from.
    pub credentials: CredentialSource,
    /// Maintain the `sha256-<hex>` referrers tag on every push of a manifest with a subject
    /// (notation v1.3.2's default), instead of only when the registry lacks the referrers API.
    pub force_referrers_tag: bool,
    /// The `User-Agent` header of every request.
    pub user_agent: String,
    /// Blobs larger than this are uploaded in `PATCH` chunks of this size; it bounds the
    /// memory an upload holds.
    pub upload_chunk_size: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            plain_http: false,
            ca_file: None,
            credentials: CredentialSource::Anonymous,
            force_referrers_tag: true,
            user_agent: crate::version::user_agent(),
            upload_chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

/// Whether notation talks plain HTTP to `registry` by itself: exactly `localhost` with an
/// explicit port (`127.0.0.1:5000` and bare `localhost` use HTTPS).
pub(crate) fn uses_plain_http(registry: &str) -> bool {
    registry.rsplit_once(':').is_some_and(|(host, port)| {
        host == "localhost" && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether the registry answered the referrers API (decided once per repository).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReferrersApi {
    Unknown,
    Supported,
    Unsupported,
}

/// One repository of a registry.
pub struct Registry {
    /// Shared by the repositories [`Registry::for_repository`] opens on the same registry.
    client: Arc<Client>,
    registry: String,
    repository: String,
    force_referrers_tag: bool,
    referrers_api: Mutex<ReferrersApi>,
    upload_chunk_size: usize,
    /// The registry answered a monolithic `PUT` with a refusal: upload in chunks from then on.
    monolithic_refused: AtomicBool,
    /// Held while a manifest and its blobs are pushed: see `push_manifest_with_blobs`.
    pushing: tokio::sync::Mutex<()>,
}

/// The `Accept` header of manifest requests (notation's order).
pub(super) fn manifest_accept() -> String {
    oci::MANIFEST_MEDIA_TYPES.join(", ")
}

/// The media type (`type/subtype`) of `resp`'s `Content-Type`, if it has a readable one.
fn content_media_type(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type_of)
}

/// `type/subtype` of a `Content-Type` value, without parameters.
fn media_type_of(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Check the registry at `registry` (`host[:port]`) accepts our credentials: `GET /v2/`
/// through the same challenge/token flow as every request (`notation login`).
pub async fn ping(registry: &str, opts: &RegistryOptions) -> Result<()> {
    let host = endpoint_host(registry);
    let plain = opts.plain_http || uses_plain_http(registry);
    let client = Client::new(
        registry,
        host,
        &RegistryOptions {
            plain_http: plain,
            ..opts.clone()
        },
    )?;
    let resp = client
        .send(Request::new(Method::GET, client.url("")?))
        .await?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(http_error(&Method::GET, resp).await)
    }
}

fn endpoint_host(registry: &str) -> &str {
    if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    }
}

impl Registry {
    /// A client for the repository of `reference` (its tag or digest is not used).
    pub fn new(reference: &RegistryReference, opts: RegistryOptions) -> Result<Registry> {
        let plain = opts.plain_http || uses_plain_http(&reference.registry);
        let client = Client::new(
            &reference.registry,
            reference.endpoint_host(),
            &RegistryOptions {
                plain_http: plain,
                ..opts.clone()
            },
        )?;
        Ok(Registry {
            client: Arc::new(client),
            registry: reference.registry.clone(),
            repository: reference.repository.clone(),
            force_referrers_tag: opts.force_referrers_tag,
            referrers_api: Mutex::new(ReferrersApi::Unknown),
            upload_chunk_size: opts.upload_chunk_size,
            monolithic_refused: AtomicBool::new(false),
            pushing: tokio::sync::Mutex::new(()),
        })
    }

    /// Another repository of the same registry, with the same options, sharing this one's
    /// HTTP connections, credentials and tokens (a token is kept per scope, so each
    /// repository still gets its own). If this one found the registry without the
    /// referrers API, the new one does not ask again: it is a property of the registry.
    pub(crate) fn for_repository(&self, repository: &str) -> Registry {
        let referrers_api = match self.referrers_api_state() {
            ReferrersApi::Unsupported => ReferrersApi::Unsupported,
            _ => ReferrersApi::Unknown,
        };
        Registry {
            client: self.client.clone(),
            registry: self.registry.clone(),
            repository: repository.to_string(),
            force_referrers_tag: self.force_referrers_tag,
            referrers_api: Mutex::new(referrers_api),
            upload_chunk_size: self.upload_chunk_size,
            monolithic_refused: AtomicBool::new(self.monolithic_refused.load(Ordering::Relaxed)),
            pushing: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether this repository found the registry without the referrers API.
    pub(crate) fn lacks_referrers_api(&self) -> bool {
        self.referrers_api_state() == ReferrersApi::Unsupported
    }

    /// Whether requests go over plain HTTP.
    pub fn is_plain_http(&self) -> bool {
        self.client.is_plain_http()
    }

    /// `host[:port]` as given.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository name.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    fn scope(&self, actions: &str) -> String {
        format!("repository:{}:{actions}", self.repository)
    }

    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("{}/{path}", self.repository))
    }

    fn manifest_url(&self, reference: &str) -> Result<url::Url> {
        self.url(&format!("manifests/{reference}"))
    }

    fn blob_url(&self, digest: &str) -> Result<url::Url> {
        self.url(&format!("blobs/{digest}"))
    }

    fn content_url(&self, desc: &Descriptor) -> Result<url::Url> {
        if oci::is_manifest_media_type(&desc.media_type) {
            self.manifest_url(&desc.digest)
        } else {
            self.blob_url(&desc.digest)
        }
    }

    /// `<registry>/<repo>:<tag>` or `<registry>/<repo>@<digest>`, as oras names references.
    fn display_ref(&self, reference: &str) -> String {
        let sep = if oci::Digest::parse(reference).is_ok() {
            '@'
        } else {
            ':'
        };
        format!("{}/{}{sep}{reference}", self.registry, self.repository)
    }

    fn validate_digest(desc: &Descriptor) -> Result<()> {
        target::digest_of(desc).map(drop)
    }

    /// GET a manifest or blob; the response is successful and announces the descriptor's
    /// size (if it announces one), or an error was returned. The body is the caller's to
    /// check against the digest.
    async fn get_content(&self, desc: &Descriptor) -> Result<reqwest::Response> {
        let (_, size) = target::checked_descriptor(desc)?;
        let url = self.content_url(desc)?;
        let mut req = Request::new(Method::GET, url).scope(self.scope("pull"));
        if oci::is_manifest_media_type(&desc.media_type) {
            req = req.header(ACCEPT, &desc.media_type);
        }
        let resp = self.client.send(req).await?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(TargetError::NotFound(format!("{}: not found", desc.digest)))
            }
            _ => return Err(http_error(&Method::GET, resp).await),
        }
        match resp.content_length() {
            Some(len) if len != size => Err(TargetError::registry(
                Some(resp.url().as_str()),
                format!("GET {:?}: mismatch Content-Length", resp.url().as_str()),
            )),
            _ => Ok(resp),
        }
    }

    /// HEAD a manifest (`accept`: the manifest media types) or a blob (no Accept header).
    async fn head_exists(&self, url: url::Url, actions: &str, accept: bool) -> Result<bool> {
        let mut req = Request::new(Method::HEAD, url.clone()).scope(self.scope(actions));
        if accept {
            req = req.header(ACCEPT, &manifest_accept());
        }
        let resp = self.client.send(req).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(http_error(&Method::HEAD, resp).await),
        }
    }

    /// Start an upload session and return the URL to PUT the content to.
    async fn start_upload(&self) -> Result<url::Url> {
        let url = self.url("blobs/uploads/")?;
        let req = Request::new(Method::POST, url.clone()).scope(self.scope("pull,push"));
        let resp = self.client.send(req).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(http_error(&Method::POST, resp).await);
        }
        upload::next_location(&Method::POST, &resp)
    }

    /// PUT a manifest under `reference` (digest or tag). Returns whether the registry
    /// answered `OCI-Subject` (it then indexes referrers itself).
    async fn put_manifest(&self, media_type: &str, data: Bytes, reference: &str) -> Result<bool> {
        let url = self.manifest_url(reference)?;
        let req = Request::new(Method::PUT, url)
            .scope(self.scope("pull,push"))
            .header(CONTENT_TYPE, media_type)
            .body(data)
            .idempotent(true);
        let resp = self.client.send(req).await?;
        if resp.status() != StatusCode::CREATED {
            return Err(http_error(&Method::PUT, resp).await);
        }
        Ok(resp.headers().contains_key("oci-subject"))
    }

    /// DELETE a manifest by digest.
    pub(crate) async fn delete_manifest(&self, digest: &str) -> Result<()> {
        let url = self.manifest_url(digest)?;
        let req = Request::new(Method::DELETE, url).scope(self.scope("delete"));
        let resp = self.client.send(req).await?;
        if resp.status().is_success() {
            Ok(())
        } else if resp.status() == StatusCode::NOT_FOUND {
            Err(TargetError::NotFound(format!("{digest}: not found")))
        } else {
            Err(http_error(&Method::DELETE, resp).await)
        }
    }

    fn referrers_api_state(&self) -> ReferrersApi {
        *self.referrers_api.lock().expect("referrers lock")
    }

    fn set_referrers_api(&self, state: ReferrersApi) {
        *self.referrers_api.lock().expect("referrers lock") = state;
    }
}

#[async_trait::async_trait]
impl ContentStore for Registry {
    async fn resolve(&self, reference: &str) -> Result<Descriptor> {
        let url = self.manifest_url(reference)?;
        let req = Request::new(Method::HEAD, url.clone())
            .scope(self.scope("pull"))
            .header(ACCEPT, &manifest_accept());
        let resp = self.client.send(req).await?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(TargetError::NotFound(format!(
                    "{}: not found",
                    self.display_ref(reference)
                )))
            }
            _ => return Err(http_error(&Method::HEAD, resp).await),
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let media_type = content_media_type(&resp).unwrap_or_default();
        let size: Option<i64> = header("content-length")
            .and_then(|v| v.parse().ok())
            .filter(|s| *s >= 0);
        let given_digest = oci::Digest::parse(reference).ok().map(|d| d.to_string());
        let digest = header("docker-content-digest");
        // What a tag resolves to is what gets signed and becomes part of URLs: only a valid
        // digest will do.
        if let Some(claimed) = &digest {
            claimed_digest("HEAD", url.as_str(), claimed)?;
        }
        if let (Some(given), Some(got)) = (&given_digest, &digest) {
            if given != got {
                return Err(digest_mismatch("HEAD", url.as_str(), got, given));
            }
        }
        match (digest.or(given_digest), size) {
            (Some(digest), Some(size)) if !media_type.is_empty() => Ok(Descriptor {
                media_type,
                digest,
                size,
                ..Default::default()
            }),
            // Some registries omit headers on HEAD: GET the manifest and describe it ourselves.
            _ => {
                let req = Request::new(Method::GET, url)
                    .scope(self.scope("pull"))
                    .header(ACCEPT, &manifest_accept());
                let resp = self.client.send(req).await?;
                if !resp.status().is_success() {
                    return Err(http_error(&Method::GET, resp).await);
                }
                let ct = content_media_type(&resp);
                let url = resp.url().to_string();
                let claimed = docker_content_digest(&resp);
                let body = read_limited(resp, MAX_MANIFEST_BYTES, "manifest").await?;
                let media_type = ct.filter(|m| !m.is_empty()).unwrap_or(media_type);
                describe_body(&url, claimed.as_deref(), reference, &media_type, &body)
            }
        }
    }

    /// GET by digest; the body is read no further than the descriptor's size and must hash
    /// to its digest.
    async fn fetch(&self, desc: &Descriptor, max_size: u64) -> Result<Vec<u8>> {
        let (_, size) = target::checked_descriptor(desc)?;
        let what = if oci::is_manifest_media_type(&desc.media_type) {
            "manifest"
        } else {
            "blob"
        };
        if size > max_size {
            return Err(TargetError::TooLarge { what, size });
        }
        let resp = self.get_content(desc).await?;
        let data = match read_limited(resp, size, what).await {
            Err(TargetError::TooLarge { size: actual, .. }) => {
                return Err(TargetError::SizeMismatch {
                    expected: desc.size,
                    actual,
                    digest: desc.digest.clone(),
                })
            }
            other => other?,
        };
        target::check_content(desc, &data)?;
        Ok(data)
    }

    async fn exists(&self, desc: &Descriptor) -> Result<bool> {
        Self::validate_digest(desc)?;
        let manifest = oci::is_manifest_media_type(&desc.media_type);
        self.head_exists(self.content_url(desc)?, "pull", manifest)
            .await
    }

    /// Uploads unconditionally, as oras-go's blob push does (re-uploading existing content
    /// leaves it as it is); callers that want to skip existing blobs ask [`ContentStore::exists`].
    async fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()> {
        target::check_content(desc, data)?;
        self.upload_monolithic(desc, Bytes::copy_from_slice(data))
            .await
    }

    /// One push at a time into this repository: signatures stored at once (several
    /// references of one run) would race on the blob they share (the empty config), which
    /// docker-registry can then report unknown, and on the read-modify-write of a subject's
    /// referrers tag index, which would lose one of them.
    async fn push_manifest_with_blobs(
        &self,
        blobs: &[NewBlob<'_>],
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed> {
        let _one_at_a_time = self.pushing.lock().await;
        target::push_in_order(self, blobs, desc, data, tag).await
    }

    async fn push_manifest(
        &self,
        desc: &Descriptor,
        data: &[u8],
        tag: Option<&str>,
    ) -> Result<Pushed> {
        target::check_content(desc, data)?;
        let reference = tag.unwrap_or(&desc.digest);
        let answered_subject = self
            .put_manifest(&desc.media_type, Bytes::copy_from_slice(data), reference)
            .await?;
        let node: GraphNode = serde_json::from_slice(data).unwrap_or_default();
        let Some(subject) = node.subject.clone() else {
            return Ok(Pushed::default());
        };
        if answered_subject {
            self.set_referrers_api(ReferrersApi::Supported);
            if !self.force_referrers_tag {
                return Ok(Pushed {
                    indexed_by: Some(Indexing::ReferrersApi),
                    warnings: Vec::new(),
                });
            }
        }
        let tag = referrers::tag_schema_tag(&subject)?;
        let entry = referrers::referrer_entry(desc, &node);
        let warning =
            referrers::update_tag_index(self, &subject, referrers::Change::Add(&entry)).await?;
        Ok(Pushed {
            indexed_by: Some(Indexing::TagSchema {
                tag,
                forced: self.force_referrers_tag,
            }),
            warnings: warning.into_iter().collect(),
        })
    }

    async fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let mut pages = referrers::ReferrerPages::new(self, subject, artifact_type);
        let mut all = Vec::new();
        while let Some(page) = pages.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }

    /// Page by page as the registry serves them, so that `verify` and `list` stop where Go
    /// notation stops (after a good signature, past `--max-signatures`).
    fn referrer_pages<'a>(
        &'a self,
        subject: &'a Descriptor,
        artifact_type: Option<&'a str>,
    ) -> Box<dyn SignaturePages + 'a> {
        Box::new(referrers::ReferrerPages::new(self, subject, artifact_type))
    }

    async fn fetch_stream(&self, desc: &Descriptor) -> Result<ByteStream> {
        let resp = self.get_content(desc).await?;
        let url = resp.url().to_string();
        let inner = resp.bytes_stream().map(move |r| {
            r.map_err(|e| {
                TargetError::registry(
                    Some(&url),
                    format!("reading {url:?}: {}", response::chain(&e)),
                )
            })
        });
        target::verified_stream(desc, Box::pin(inner))
    }

    async fn push_blob_stream(&self, desc: &Descriptor, stream: ByteStream) -> Result<()> {
        Self::validate_digest(desc)?;
        if self
            .head_exists(self.blob_url(&desc.digest)?, "pull,push", false)
            .await?
        {
            return Ok(());
        }
        // Check what we send, so that a corrupt source fails here rather than at the registry.
        let checked = target::verified_stream(desc, stream)?;
        self.upload_stream(desc, checked).await
    }

    /// One streamed `PUT` (chunks if the registry refuses that). The source's stream is
    /// checked as it is read (the [`BlobSource`] contract), so it is not hashed twice.
    async fn push_blob_from(&self, desc: &Descriptor, source: &dyn BlobSource) -> Result<()> {
        Self::validate_digest(desc)?;
        self.upload_from(desc, source).await
    }

    /// `DELETE` the manifest, then drop it from the `sha256-<hex>` referrers index if there
    /// is one (a registry with the referrers API updates its own list). A registry that
    /// refuses the `DELETE` leaves everything as it was.
    async fn delete_referrer(
        &self,
        subject: &Descriptor,
        referrer: &Descriptor,
    ) -> Result<Vec<TargetWarning>> {
        Self::validate_digest(referrer)?;
        self.delete_manifest(&referrer.digest).await?;
        let warning =
            referrers::update_tag_index(self, subject, referrers::Change::Remove(referrer)).await?;
        Ok(warning.into_iter().collect())
    }

    /// Signature manifests and envelopes are small: the time goes in round trips, so several
    /// go out at once. Under `-d` one by one, so that the HTTP trace reads as Go notation's.
    fn fetch_concurrency(&self) -> usize {
        if crate::httptrace::enabled() {
            1
        } else {
            crate::target::prefetch::SIGNATURE_FETCH_CONCURRENCY
        }
    }

    fn mount_source(&self) -> Option<(String, String)> {
        Some((self.registry.clone(), self.repository.clone()))
    }

    async fn mount_blob(&self, desc: &Descriptor, from: &(String, String)) -> Result<bool> {
        let (registry, repository) = from;
        if *registry != self.registry || *repository == self.repository {
            return Ok(false);
        }
        Self::validate_digest(desc)?;
        match self.mount_from(desc, repository).await {
            Ok(mounted) => Ok(mounted),
            // Declined or denied (no pull right on the source): copy the bytes instead.
            Err(_) => Ok(false),
        }
    }
}

fn docker_content_digest(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The descriptor of a manifest body fetched by `reference` (a tag or a digest), checked
/// against every claim about it: the `Docker-Content-Digest` header, if the registry sent
/// one, must be the body's digest (`mismatched digest`, as oras-go's `content.ReadAll` says),
/// and so must a digest reference (oras-go `generateDescriptor`'s text).
fn describe_body(
    url: &str,
    header_digest: Option<&str>,
    reference: &str,
    media_type: &str,
    body: &[u8],
) -> Result<Descriptor> {
    let described = |digest: &str| Descriptor {
        media_type: media_type.to_string(),
        digest: digest.to_string(),
        size: body.len() as i64,
        ..Default::default()
    };
    if let Some(claimed) = header_digest {
        claimed_digest("GET", url, claimed)?;
        target::check_content(&described(claimed), body)?;
    }
    let Ok(expected) = oci::Digest::parse(reference) else {
        return Ok(match header_digest {
            Some(claimed) => described(claimed),
            None => Descriptor::for_content(media_type, body),
        });
    };
    let actual = oci::Digest::compute(expected.algorithm(), body);
    if actual != expected {
        let (actual, expected) = (actual.to_string(), expected.to_string());
        return Err(digest_mismatch("GET", url, &actual, &expected));
    }
    Ok(described(reference))
}

/// A `Docker-Content-Digest` value, which must be a valid digest (oras-go
/// `generateDescriptor`'s text otherwise).
fn claimed_digest(method: &str, url: &str, value: &str) -> Result<oci::Digest> {
    oci::Digest::parse(value).map_err(|e| {
        TargetError::registry(
            Some(url),
            format!(
            "{method} {url:?}: invalid response header value: `Docker-Content-Digest: {value}`; {e}"
        ),
        )
    })
}

/// oras-go's text for a response that describes other content than the digest asked for.
fn digest_mismatch(method: &str, url: &str, received: &str, expected: &str) -> TargetError {
    TargetError::registry(Some(url), format!(
        "{method} {url:?}: invalid response; digest mismatch in Docker-Content-Digest: received {received:?} when expecting {expected:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_localhost_with_port() {
        assert!(uses_plain_http("localhost:5000"));
        assert!(!uses_plain_http("localhost"));
        assert!(!uses_plain_http("127.0.0.1:5000"));
        assert!(!uses_plain_http("localhost:"));
        assert!(!uses_plain_http("mylocalhost:5000"));
    }

    #[test]
    fn bodies_fetched_by_reference_must_be_what_is_claimed_for_them() {
        let body = br#"{"schemaVersion":2}"#;
        let good = oci::Digest::sha256(body).to_string();
        let other = oci::Digest::sha256(b"other").to_string();
        let mt = oci::MEDIA_TYPE_IMAGE_MANIFEST;
        let url = "http://r/v2/a/manifests/x";
        let describe = |header: Option<&str>, reference: &str| {
            describe_body(url, header, reference, mt, body).map(|d| (d.digest, d.size))
        };
        let size = body.len() as i64;
        assert_eq!(describe(None, "v1").unwrap(), (good.clone(), size));
        assert_eq!(describe(Some(&good), "v1").unwrap(), (good.clone(), size));
        assert_eq!(describe(Some(&good), &good).unwrap(), (good.clone(), size));
        assert_eq!(
            describe(Some(&other), "v1").unwrap_err().to_string(),
            "mismatched digest"
        );
        assert_eq!(
            describe(Some("sha256:../x"), "v1").unwrap_err().to_string(),
            "GET \"http://r/v2/a/manifests/x\": invalid response header value: `Docker-Content-Digest: sha256:../x`; invalid checksum digest format"
        );
        assert_eq!(
            describe(None, &other).unwrap_err().to_string(),
            format!("GET \"{url}\": invalid response; digest mismatch in Docker-Content-Digest: received \"{good}\" when expecting \"{other}\"")
        );
        // A sha512 reference is checked with sha512.
        let sha512 = oci::Digest::compute(oci::DigestAlgorithm::Sha512, body).to_string();
        assert_eq!(describe(None, &sha512).unwrap(), (sha512.clone(), size));
    }

    #[test]
    fn content_type_parameters_are_dropped() {
        assert_eq!(
            media_type_of("application/vnd.oci.image.index.v1+json; charset=utf-8"),
            oci::MEDIA_TYPE_IMAGE_INDEX
        );
    }
}
