//! Finding and indexing referrers: the distribution-spec v1.1 referrers API and the
//! `<alg>-<hex>` referrers tag schema (oras-go v2.5.0 `registry/remote/referrers.go`).

use super::client::Request;
use super::response::{http_error, parse_errors, read_limited};
use super::{content_media_type, ReferrersApi, Registry};
use crate::oci::{self, Descriptor, GraphNode, Index};
use crate::target::{Result, SignaturePages, TargetError, TargetWarning, MAX_MANIFEST_BYTES};
use bytes::Bytes;
use reqwest::header::{ACCEPT, LINK};
use reqwest::{Method, StatusCode};

/// Annotation older registries used instead of the `OCI-Filters-Applied` header.
const ANNOTATION_FILTERS_APPLIED: &str = "org.opencontainers.referrers.filtersApplied";

/// The tag the tag schema keeps the referrers of `subject` under: `sha256-<hex>`.
pub(crate) fn tag_schema_tag(subject: &Descriptor) -> Result<String> {
    let d = subject.parsed_digest().map_err(|e| {
        TargetError::InvalidArgument(format!("invalid digest {:?}: {e}", subject.digest))
    })?;
    Ok(format!("{}-{}", d.algorithm().name(), d.hex()))
}

/// The index entry for a referrer: its descriptor with the manifest's `artifactType`
/// (else its config media type) and annotations.
pub(crate) fn referrer_entry(desc: &Descriptor, node: &GraphNode) -> Descriptor {
    Descriptor {
        annotations: node.annotations.clone().filter(|a| !a.is_empty()),
        artifact_type: node
            .effective_artifact_type()
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        ..desc.plain()
    }
}

/// Most pages of one referrers listing we follow (each is at most [`MAX_MANIFEST_BYTES`]).
const MAX_REFERRERS_PAGES: usize = 1000;

/// Where a paged listing of the referrers API stands.
pub(crate) struct ApiPages {
    next: Option<url::Url>,
    artifact_type: Option<String>,
    pages: usize,
    visited: std::collections::HashSet<String>,
}

impl ApiPages {
    /// The listing of `subject`'s referrers (of `artifact_type`), before its first page.
    pub(crate) fn new(
        reg: &Registry,
        subject: &Descriptor,
        artifact_type: Option<&str>,
    ) -> Result<ApiPages> {
        let mut url = reg.url(&format!("referrers/{}", subject.digest))?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        Ok(ApiPages {
            next: Some(url),
            artifact_type: artifact_type.map(str::to_string),
            pages: 0,
            visited: std::collections::HashSet::new(),
        })
    }

    /// The next page of the listing.
    async fn next_page(&mut self, reg: &Registry) -> Result<ApiPage> {
        let Some(url) = self.next.take() else {
            return Ok(ApiPage::End);
        };
        let first = self.pages == 0;
        // A registry whose `Link` headers go round in circles, or never end, must not keep
        // us (and our memory) busy forever.
        self.pages += 1;
        if self.pages > MAX_REFERRERS_PAGES || !self.visited.insert(url.to_string()) {
            return Err(TargetError::registry(Some(url.as_str()), format!(
                "GET {:?}: the referrers list does not end (more than {MAX_REFERRERS_PAGES} pages, or a page linked twice)",
                url.as_str()
            )));
        }
        // No Accept header, as oras-go (the response is an index by definition).
        let req = Request::new(Method::GET, url.clone()).scope(reg.scope("pull"));
        let resp = reg.client.send(req).await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return not_found(resp, &url, first).await;
        }
        if status != StatusCode::OK {
            return Err(http_error(&Method::GET, resp).await);
        }
        let content_type = content_media_type(&resp);
        if content_type.as_deref() != Some(oci::MEDIA_TYPE_IMAGE_INDEX) {
            if first {
                return Ok(ApiPage::Unsupported);
            }
            return Err(TargetError::registry(
                Some(url.as_str()),
                format!(
                    "GET {:?}: unknown media type {:?}",
                    url.as_str(),
                    content_type.unwrap_or_default()
                ),
            ));
        }
        self.next = next_link(&resp, &url)?;
        page_entries(resp, &url, self.artifact_type.as_deref())
            .await
            .map(ApiPage::Entries)
    }
}

/// A 404 from the referrers API: the repository is unknown (an error), or the registry does
/// not implement the API (only its first page can say so).
async fn not_found(resp: reqwest::Response, url: &url::Url, first: bool) -> Result<ApiPage> {
    let status = resp.status();
    let body = read_limited(resp, 64 * 1024, "error response")
        .await
        .unwrap_or_default();
    let errors = parse_errors(&body);
    if first && !errors.iter().any(|e| e.code == "NAME_UNKNOWN") {
        return Ok(ApiPage::Unsupported);
    }
    Err(super::response::status_error(
        &Method::GET,
        url.as_str(),
        status,
        &errors,
    ))
}

/// The descriptors of one referrers index page, of `artifact_type` unless the registry says
/// it filtered them already (header or annotation).
async fn page_entries(
    resp: reqwest::Response,
    url: &url::Url,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>> {
    let filters_header = resp
        .headers()
        .get_all("oci-filters-applied")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|f| f.trim() == "artifactType");
    let body = read_limited(resp, MAX_MANIFEST_BYTES, "referrers index").await?;
    let index: Index = serde_json::from_slice(&body).map_err(|e| TargetError::InvalidManifest {
        digest: url.to_string(),
        reason: e.to_string(),
    })?;
    let filtered = filters_header
        || index
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_FILTERS_APPLIED))
            .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
    Ok(index
        .manifests
        .into_iter()
        .filter(|d| {
            filtered || artifact_type.is_none() || d.artifact_type.as_deref() == artifact_type
        })
        .collect())
}

/// One answer of the referrers API.
enum ApiPage {
    Entries(Vec<Descriptor>),
    /// The registry does not implement the API (only its first page can say so): fall back
    /// to the tag schema.
    Unsupported,
    /// After the last page.
    End,
}

/// The referrers of a subject as oras-go lists them: the referrers API page by page while
/// the registry answers it, else the tag schema's index (one page).
pub(crate) struct ReferrerPages<'a> {
    reg: &'a Registry,
    subject: &'a Descriptor,
    artifact_type: Option<&'a str>,
    state: PagesState,
}

enum PagesState {
    Start,
    Api(ApiPages),
    Done,
}

impl<'a> ReferrerPages<'a> {
    pub(crate) fn new(
        reg: &'a Registry,
        subject: &'a Descriptor,
        artifact_type: Option<&'a str>,
    ) -> ReferrerPages<'a> {
        ReferrerPages {
            reg,
            subject,
            artifact_type,
            state: PagesState::Start,
        }
    }
}

#[async_trait::async_trait]
impl SignaturePages for ReferrerPages<'_> {
    async fn next_page(&mut self) -> Result<Option<Vec<Descriptor>>> {
        let reg = self.reg;
        loop {
            match &mut self.state {
                PagesState::Start => {
                    Registry::validate_digest(self.subject)?;
                    if reg.referrers_api_state() == ReferrersApi::Unsupported {
                        self.state = PagesState::Done;
                        return self.tag_index().await;
                    }
                    self.state =
                        PagesState::Api(ApiPages::new(reg, self.subject, self.artifact_type)?);
                }
                PagesState::Api(pages) => match pages.next_page(reg).await? {
                    ApiPage::Entries(page) => {
                        reg.set_referrers_api(ReferrersApi::Supported);
                        return Ok(Some(page));
                    }
                    ApiPage::Unsupported => {
                        reg.set_referrers_api(ReferrersApi::Unsupported);
                        self.state = PagesState::Done;
                        return self.tag_index().await;
                    }
                    ApiPage::End => self.state = PagesState::Done,
                },
                PagesState::Done => return Ok(None),
            }
        }
    }
}

impl ReferrerPages<'_> {
    async fn tag_index(&self) -> Result<Option<Vec<Descriptor>>> {
        list_tag_index(self.reg, self.subject, self.artifact_type)
            .await
            .map(Some)
    }
}

/// `Link: <url>; rel="next"`, resolved against the current page.
fn next_link(resp: &reqwest::Response, current: &url::Url) -> Result<Option<url::Url>> {
    for value in resp
        .headers()
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for link in value.split(',') {
            let mut parts = link.split(';');
            let target = parts.next().unwrap_or("").trim();
            let is_next = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if !is_next {
                continue;
            }
            let Some(target) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
                return Err(TargetError::registry(
                    Some(current.as_str()),
                    format!("invalid Link header {value:?}"),
                ));
            };
            let next = current.join(target).map_err(|e| {
                TargetError::registry(
                    Some(current.as_str()),
                    format!("invalid Link header {value:?}: {e}"),
                )
            })?;
            return Ok(Some(next));
        }
    }
    Ok(None)
}

/// The current tag-schema index of `subject`: its descriptor and entries, or `None`.
async fn fetch_tag_index(
    reg: &Registry,
    subject: &Descriptor,
) -> Result<Option<(Descriptor, Index)>> {
    let tag = tag_schema_tag(subject)?;
    let url = reg.manifest_url(&tag)?;
    let req = Request::new(Method::GET, url.clone())
        .scope(reg.scope("pull"))
        .header(ACCEPT, &super::manifest_accept());
    let resp = reg.client.send(req).await?;
    match resp.status() {
        StatusCode::NOT_FOUND => return Ok(None),
        s if s.is_success() => {}
        _ => return Err(http_error(&Method::GET, resp).await),
    }
    let content_type = content_media_type(&resp);
    if content_type.as_deref() != Some(oci::MEDIA_TYPE_IMAGE_INDEX) {
        return Err(TargetError::registry(
            Some(url.as_str()),
            format!(
                "GET {:?}: unknown media type {:?} of referrers index",
                url.as_str(),
                content_type.unwrap_or_default()
            ),
        ));
    }
    let claimed = super::docker_content_digest(&resp);
    let body = read_limited(resp, MAX_MANIFEST_BYTES, "referrers index").await?;
    // A body that is not what the registry says it is must not decide what is signed.
    let desc = super::describe_body(
        url.as_str(),
        claimed.as_deref(),
        &tag,
        oci::MEDIA_TYPE_IMAGE_INDEX,
        &body,
    )?;
    let index: Index = serde_json::from_slice(&body).map_err(|e| TargetError::InvalidManifest {
        digest: desc.digest.clone(),
        reason: e.to_string(),
    })?;
    Ok(Some((desc, index)))
}

/// Read the referrers of `subject` from the tag schema, in index order (one page).
async fn list_tag_index(
    reg: &Registry,
    subject: &Descriptor,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>> {
    let Some((_, index)) = fetch_tag_index(reg, subject).await? else {
        return Ok(Vec::new());
    };
    Ok(index
        .manifests
        .into_iter()
        .filter(|d| artifact_type.is_none() || d.artifact_type.as_deref() == artifact_type)
        .collect())
}

/// Old entries deduplicated by (mediaType, digest, size), empty ones dropped, `add`
/// appended unless present. Returns the new list and whether it differs from the old one.
/// A change to the referrers of a subject.
pub(crate) enum Change<'a> {
    Add(&'a Descriptor),
    Remove(&'a Descriptor),
}

/// oras-go `applyReferrerChanges`: drop empty and duplicate entries, then apply `change`.
fn apply_referrer_changes(old: &[Descriptor], change: &Change) -> (Vec<Descriptor>, bool) {
    let mut out: Vec<Descriptor> = Vec::with_capacity(old.len() + 1);
    for d in old {
        if d.same_content(&Descriptor::default()) || out.iter().any(|o| o.same_content(d)) {
            continue;
        }
        if matches!(change, Change::Remove(r) if r.same_content(d)) {
            continue;
        }
        out.push(d.clone());
    }
    if let Change::Add(add) = change {
        if !out.iter().any(|o| o.same_content(add)) {
            out.push((*add).clone());
        }
    }
    let changed = out.len() != old.len() || out.iter().zip(old).any(|(a, b)| !a.same_content(b));
    (out, changed)
}

/// Add `entry` to the `sha256-<hex>` index of `subject` (§3.2 of the spec): GET the old
/// index, PUT the new one under the tag, DELETE the old one. A failed DELETE is a warning.
pub(crate) async fn update_tag_index(
    reg: &Registry,
    subject: &Descriptor,
    change: Change<'_>,
) -> Result<Option<TargetWarning>> {
    let old = fetch_tag_index(reg, subject).await?;
    let old_entries = old
        .as_ref()
        .map(|(_, i)| i.manifests.as_slice())
        .unwrap_or(&[]);
    let (manifests, changed) = apply_referrer_changes(old_entries, &change);
    if !changed {
        return Ok(None);
    }
    if manifests.is_empty() {
        // oras-go removes an index that would be empty instead of pushing one.
        return match old {
            Some((old_desc, _)) => match reg.delete_manifest(&old_desc.digest).await {
                Ok(()) => Ok(None),
                Err(e) => Ok(Some(TargetWarning::ReferrersIndexNotDeleted {
                    index: old_desc.digest,
                    reason: e.to_string(),
                })),
            },
            None => Ok(None),
        };
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(oci::MEDIA_TYPE_IMAGE_INDEX.into()),
        artifact_type: None,
        manifests,
        subject: None,
        annotations: None,
    };
    let body =
        crate::go::json::to_vec(&index).map_err(|e| TargetError::InvalidArgument(e.to_string()))?;
    let new_desc = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_INDEX, &body);
    reg.put_manifest(
        oci::MEDIA_TYPE_IMAGE_INDEX,
        Bytes::from(body),
        &tag_schema_tag(subject)?,
    )
    .await?;
    match old {
        Some((old_desc, _)) if old_desc.digest != new_desc.digest => {
            match reg.delete_manifest(&old_desc.digest).await {
                Ok(()) => Ok(None),
                Err(e) => Ok(Some(TargetWarning::ReferrersIndexNotDeleted {
                    index: old_desc.digest,
                    reason: e.to_string(),
                })),
            }
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Descriptor {
        Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, &[n])
    }

    #[test]
    fn changes_dedupe_and_append() {
        let (one, two) = (d(1), d(2));
        let (list, changed) =
            apply_referrer_changes(&[d(1), d(1), Descriptor::default()], &Change::Add(&two));
        assert_eq!(list, vec![d(1), d(2)]);
        assert!(changed);
        let (list, changed) = apply_referrer_changes(&[d(1), d(2)], &Change::Add(&two));
        assert_eq!(list, vec![d(1), d(2)]);
        assert!(!changed);
        let (_, changed) = apply_referrer_changes(&[d(1), d(1)], &Change::Add(&one));
        assert!(changed);
        let gone = d(1);
        let (list, changed) = apply_referrer_changes(&[d(1), d(2)], &Change::Remove(&gone));
        assert_eq!(list, vec![d(2)]);
        assert!(changed);
        let (list, changed) = apply_referrer_changes(&[d(2)], &Change::Remove(&gone));
        assert_eq!(list, vec![d(2)]);
        assert!(!changed);
    }

    #[test]
    fn index_entry_serializes_like_oras() {
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.notary.signature","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"k":"v"}}"#;
        let node: GraphNode = serde_json::from_slice(manifest).unwrap();
        let desc = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, manifest);
        let entry = referrer_entry(&desc, &node);
        let s = String::from_utf8(crate::go::json::to_vec(&entry).unwrap()).unwrap();
        assert!(s.ends_with(r#","annotations":{"k":"v"},"artifactType":"application/vnd.cncf.notary.signature"}"#), "{s}");
    }
}
