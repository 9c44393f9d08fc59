//! A stand-in for ONLY the distribution-spec v1.1 "Listing Referrers" endpoint
//! (`GET /v2/<name>/referrers/<digest>[?artifactType=…]`), because no registry that
//! implements it is installable here (test-services.md). It answers as the spec says: an
//! OCI image index with the referrers' descriptors, `OCI-Filters-Applied: artifactType` when
//! it filtered, `Link: <…>; rel="next"` pagination, `NAME_UNKNOWN` for another repository.
//! Every other request gets distribution's plain `404 page not found`, or, with
//! [`Referrers::upstream`], is passed on to a real registry, so that the CLI sees one registry
//! that implements the API.

use notation::oci::{Descriptor, Index, MEDIA_TYPE_IMAGE_INDEX};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// What the stand-in serves.
#[derive(Clone, Debug, Default)]
pub struct Referrers {
    pub repository: String,
    /// Subject digest → its referrers, in order.
    pub by_subject: HashMap<String, Vec<Descriptor>>,
    /// Entries per page (0 = all on one page).
    pub page_size: usize,
    /// Whether the server applies the `artifactType` filter (the spec allows either).
    pub apply_filters: bool,
    /// A broken server: the last page links back to the first, so the list never ends.
    pub loop_pages: bool,
    /// Port of a registry on 127.0.0.1 that answers every other request (bodiless ones only:
    /// `HEAD` and `GET`).
    pub upstream: Option<u16>,
}

/// A running stand-in; stops when dropped.
pub struct ReferrersServer {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReferrersServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ReferrersServer {
    pub async fn start(data: Referrers) -> ReferrersServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = Arc::new(data);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let data = data.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let line = head.lines().next().unwrap_or("");
                    let mut parts = line.split_whitespace();
                    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let response = match data.upstream {
                        Some(port) if !target.contains("/referrers/") => forward(port, &head).await,
                        _ => answer(&data, method, target),
                    };
                    let _ = sock.write_all(&response).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        ReferrersServer { port, task }
    }
}

/// The upstream registry's answer to the request `head`, asked on a connection of its own.
async fn forward(port: u16, head: &str) -> Vec<u8> {
    let mut request: String = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    let mut upstream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    upstream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await.unwrap();
    answer
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn not_found() -> Vec<u8> {
    response(
        "404 Not Found",
        &[("Content-Type", "text/plain; charset=utf-8".into())],
        b"404 page not found\n",
    )
}

fn answer(data: &Referrers, method: &str, target: &str) -> Vec<u8> {
    let url = url::Url::parse(&format!("http://x{target}")).unwrap();
    let path = url.path();
    let Some(rest) = path.strip_prefix("/v2/") else {
        return not_found();
    };
    let Some((repo, digest)) = rest.rsplit_once("/referrers/") else {
        return not_found();
    };
    if method != "GET" {
        return not_found();
    }
    if repo != data.repository {
        let body = br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#;
        return response(
            "404 Not Found",
            &[("Content-Type", "application/json".into())],
            body,
        );
    }
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let artifact_type = query.get("artifactType");
    let all = data.by_subject.get(digest).cloned().unwrap_or_default();
    let filtered: Vec<Descriptor> = all
        .into_iter()
        .filter(|d| {
            !data.apply_filters
                || artifact_type.is_none()
                || d.artifact_type.as_ref() == artifact_type
        })
        .collect();
    let start: usize = query.get("last").and_then(|l| l.parse().ok()).unwrap_or(0);
    let size = if data.page_size == 0 {
        filtered.len().max(1)
    } else {
        data.page_size
    };
    let page: Vec<Descriptor> = filtered.iter().skip(start).take(size).cloned().collect();
    let index = Index {
        schema_version: 2,
        media_type: Some(MEDIA_TYPE_IMAGE_INDEX.into()),
        artifact_type: None,
        manifests: page,
        subject: None,
        annotations: None,
    };
    let body = serde_json::to_vec(&index).unwrap();
    let mut headers = vec![("Content-Type", MEDIA_TYPE_IMAGE_INDEX.to_string())];
    if data.apply_filters && artifact_type.is_some() {
        headers.push(("OCI-Filters-Applied", "artifactType".into()));
    }
    let next_start = if start + size < filtered.len() {
        Some(start + size)
    } else if data.loop_pages {
        Some(0)
    } else {
        None
    };
    if let Some(next_start) = next_start {
        let mut next = format!("/v2/{repo}/referrers/{digest}?last={next_start}");
        if let Some(t) = artifact_type {
            next.push_str(&format!(
                "&artifactType={}",
                url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            ));
        }
        headers.push(("Link", format!("<{next}>; rel=\"next\"")));
    }
    response("200 OK", &headers, &body)
}
