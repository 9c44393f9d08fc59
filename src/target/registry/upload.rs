//! Blob uploads (distribution-spec "pushing blobs"): a streamed monolithic `PUT` (`POST` a
//! session, then one `PUT ?digest=` whose body is the blob as it is read), `PATCH` chunks then
//! a closing `PUT` when a registry refuses that, and cross-repository mounts.
//!
//! A streamed `PUT` holds no more than the source's few read-ahead chunks, and the source's
//! check (see [`crate::target::verified_stream`]) withholds the last byte of content that
//! does not match its digest, so the registry never receives it whole. When the connection
//! fails, the blob is read again from its source and sent again.
//!
//! The chunked path holds one chunk per upload whatever the blob size: the stream is cut into
//! chunks of [`RegistryOptions::upload_chunk_size`](super::RegistryOptions) bytes, and each
//! chunk is kept only until the registry has accepted it, so that a dropped connection can be
//! resumed from what the registry reports it holds. An upload that fails is cancelled
//! (`DELETE` on the session), so a failed push leaves no session behind, and since manifests
//! are pushed only after their blobs, never a manifest that points at a missing blob.

use super::client::Request;
use super::response::http_error;
use super::Registry;
use crate::oci::Descriptor;
use crate::target::{BlobSource, ByteStream, Result, TargetError};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Method, Response, StatusCode};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use url::Url;

/// Default chunk size: blobs up to this size go in one `PUT`.
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 8 * 1024 * 1024;
/// How many times a whole single-request upload is restarted after a transport failure.
const MONOLITHIC_ATTEMPTS: u32 = 3;

/// Cuts a byte stream into chunks of a fixed size (the last one shorter).
struct Chunker {
    stream: ByteStream,
    size: usize,
    pending: BytesMut,
    ended: bool,
}

impl Chunker {
    fn new(stream: ByteStream, size: usize) -> Chunker {
        Chunker {
            stream,
            size: size.max(1),
            pending: BytesMut::new(),
            ended: false,
        }
    }

    /// The next chunk; empty at the end of the stream.
    async fn next(&mut self) -> Result<Bytes> {
        while !self.ended && self.pending.len() < self.size {
            match self.stream.next().await {
                Some(chunk) => self.pending.extend_from_slice(&chunk?),
                None => self.ended = true,
            }
        }
        let n = self.pending.len().min(self.size);
        Ok(self.pending.split_to(n).freeze())
    }

    /// Whether everything has been handed out.
    fn finished(&self) -> bool {
        self.ended && self.pending.is_empty()
    }
}

impl Registry {
    /// Upload `stream` (already checked against `desc` by the caller) as `desc`.
    pub(super) async fn upload_stream(&self, desc: &Descriptor, stream: ByteStream) -> Result<()> {
        let mut chunks = Chunker::new(stream, self.upload_chunk_size);
        let first = chunks.next().await?;
        // A stream error after the last byte (digest mismatch) surfaces here, before upload.
        let second = chunks.next().await?;
        if second.is_empty() && chunks.finished() {
            return self.upload_monolithic(desc, first).await;
        }
        let location = self.start_upload().await?;
        let result = self
            .upload_chunks(desc, &location, first, second, chunks)
            .await;
        if result.is_err() {
            self.cancel_upload(&location).await;
        }
        result
    }

    /// POST a session, PUT everything with `?digest=`; on a transport failure or a 5xx the
    /// session is cancelled and the upload starts over (the bytes are in memory).
    pub(super) async fn upload_monolithic(&self, desc: &Descriptor, data: Bytes) -> Result<()> {
        let mut attempt = 1;
        loop {
            let location = self.start_upload().await?;
            let mut url = location.clone();
            url.query_pairs_mut().append_pair("digest", &desc.digest);
            let req = Request::new(Method::PUT, url)
                .scope(self.scope("pull,push"))
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, &data.len().to_string())
                .body(data.clone())
                .idempotent(false);
            let failure = match self.client.send(req).await {
                Ok(resp) if resp.status() == StatusCode::CREATED => return Ok(()),
                Ok(resp) if resp.status().is_server_error() => http_error(&Method::PUT, resp).await,
                Ok(resp) => return Err(http_error(&Method::PUT, resp).await),
                Err(e @ TargetError::Registry { .. }) => e,
                Err(e) => return Err(e),
            };
            self.cancel_upload(&location).await;
            if attempt >= MONOLITHIC_ATTEMPTS {
                return Err(failure);
            }
            attempt += 1;
        }
    }

    /// Upload the blob `desc` from `source` in one streamed `PUT`, or in chunks if this
    /// registry refused that once. A transport failure or a 5xx sends the blob again (read
    /// again from `source`), at most [`MONOLITHIC_ATTEMPTS`] times in all.
    pub(super) async fn upload_from(
        &self,
        desc: &Descriptor,
        source: &dyn BlobSource,
    ) -> Result<()> {
        let mut attempt = 1;
        while !self.monolithic_refused.load(Ordering::Relaxed) {
            let location = self.start_upload().await?;
            let outcome = self
                .put_streamed(desc, &location, source.open().await?)
                .await;
            let failure = match outcome {
                Streamed::Done => return Ok(()),
                Streamed::Failed(e) => {
                    self.cancel_upload(&location).await;
                    return Err(e);
                }
                Streamed::Refused(e) => {
                    log::info!(
                        "{}: monolithic upload refused ({e}); uploading in chunks",
                        self.registry
                    );
                    self.monolithic_refused.store(true, Ordering::Relaxed);
                    self.cancel_upload(&location).await;
                    break;
                }
                Streamed::Transient(e) => e,
            };
            self.cancel_upload(&location).await;
            if attempt >= MONOLITHIC_ATTEMPTS {
                return Err(failure);
            }
            attempt += 1;
        }
        self.upload_stream(desc, source.open().await?).await
    }

    /// `PUT <location>?digest=` with `stream` as the body, announced with the descriptor's
    /// size so that the registry can tell a cut-off body from a complete one.
    async fn put_streamed(
        &self,
        desc: &Descriptor,
        location: &Url,
        stream: ByteStream,
    ) -> Streamed {
        let mut url = location.clone();
        url.query_pairs_mut().append_pair("digest", &desc.digest);
        // The body's own error (a digest mismatch, a read failure) is what the user needs to
        // see, not the transport error it turns into.
        let source_error = Arc::new(Mutex::new(None::<TargetError>));
        let slot = source_error.clone();
        let body = stream.map(move |item| {
            item.map_err(|e| {
                let text = e.to_string();
                *slot.lock().expect("source error lock") = Some(e);
                std::io::Error::other(text)
            })
        });
        let req = Request::new(Method::PUT, url)
            .scope(self.scope("pull,push"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, &desc.size.to_string())
            .stream_body(reqwest::Body::wrap_stream(body))
            .idempotent(false);
        let sent = self.client.send(req).await;
        if let Some(e) = source_error.lock().expect("source error lock").take() {
            return Streamed::Failed(e);
        }
        match sent {
            Ok(resp) if resp.status() == StatusCode::CREATED => Streamed::Done,
            Ok(resp) => {
                let status = resp.status();
                let e = http_error(&Method::PUT, resp).await;
                match put_answer(status) {
                    PutAnswer::Refused => Streamed::Refused(e),
                    PutAnswer::Transient => Streamed::Transient(e),
                    PutAnswer::Failed => Streamed::Failed(e),
                }
            }
            Err(e @ TargetError::Registry { .. }) => Streamed::Transient(e),
            Err(e) => Streamed::Failed(e),
        }
    }

    /// PATCH every chunk in order, then close the session with `PUT ?digest=`.
    async fn upload_chunks(
        &self,
        desc: &Descriptor,
        location: &Url,
        first: Bytes,
        second: Bytes,
        mut rest: Chunker,
    ) -> Result<()> {
        let mut location = location.clone();
        let mut offset = 0u64;
        let mut chunk = first;
        let mut next = Some(second);
        while !chunk.is_empty() {
            location = self.patch_chunk(&location, &chunk, offset).await?;
            offset += chunk.len() as u64;
            chunk = match next.take() {
                Some(c) => c,
                None => rest.next().await?,
            };
        }
        let mut url = location;
        url.query_pairs_mut().append_pair("digest", &desc.digest);
        let mut retried = false;
        loop {
            let req = Request::new(Method::PUT, url.clone())
                .scope(self.scope("pull,push"))
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, "0")
                .body(Bytes::new())
                .idempotent(false);
            match self.client.send(req).await {
                Ok(resp) if resp.status() == StatusCode::CREATED => return Ok(()),
                Ok(resp) => return Err(http_error(&Method::PUT, resp).await),
                // The answer was lost: the blob may have been committed anyway.
                Err(e @ TargetError::Registry { .. }) => {
                    if self
                        .head_exists(self.blob_url(&desc.digest)?, "pull,push", false)
                        .await?
                    {
                        return Ok(());
                    }
                    if retried {
                        return Err(e);
                    }
                    retried = true;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Send `chunk` (which starts at `offset` of the blob); returns the session's next URL.
    /// A chunk whose request failed is resumed once from the offset the registry reports.
    async fn patch_chunk(&self, location: &Url, chunk: &Bytes, offset: u64) -> Result<Url> {
        let first_try = self.send_patch(location, chunk.clone(), offset).await;
        let failure = match first_try {
            Ok(resp) if resp.status() == StatusCode::ACCEPTED => {
                return next_location(&Method::PATCH, &resp);
            }
            Ok(resp) => http_error(&Method::PATCH, resp).await,
            Err(e @ TargetError::Registry { .. }) => e,
            Err(e) => return Err(e),
        };
        // How much of the blob does the session hold now?
        let Some((status_url, held)) = self.upload_status(location).await else {
            return Err(failure);
        };
        let end = offset + chunk.len() as u64;
        if held < offset || held > end {
            return Err(failure);
        }
        if held == end {
            return Ok(status_url);
        }
        let rest = chunk.slice((held - offset) as usize..);
        match self.send_patch(&status_url, rest, held).await? {
            resp if resp.status() == StatusCode::ACCEPTED => next_location(&Method::PATCH, &resp),
            resp => Err(http_error(&Method::PATCH, resp).await),
        }
    }

    async fn send_patch(&self, location: &Url, data: Bytes, offset: u64) -> Result<Response> {
        let last = offset + data.len() as u64 - 1;
        let req = Request::new(Method::PATCH, location.clone())
            .scope(self.scope("pull,push"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, &data.len().to_string())
            .header(reqwest::header::CONTENT_RANGE, &format!("{offset}-{last}"))
            .body(data)
            // Resending the same range to the same session URL is safe: the registry
            // rejects it (416) if it already took those bytes, and we then ask for status.
            .idempotent(true);
        self.client.send(req).await
    }

    /// `GET` on the session: its URL and how many bytes it holds (`Range: 0-<last>`).
    async fn upload_status(&self, location: &Url) -> Option<(Url, u64)> {
        let req = Request::new(Method::GET, location.clone()).scope(self.scope("pull,push"));
        let resp = self.client.send(req).await.ok()?;
        if resp.status() != StatusCode::NO_CONTENT {
            return None;
        }
        let held = match resp.headers().get(RANGE).and_then(|v| v.to_str().ok()) {
            None => 0,
            Some(range) => {
                let (_, last) = range.split_once('-')?;
                last.trim().parse::<u64>().ok()?.checked_add(1)?
            }
        };
        let url = next_location(&Method::GET, &resp).ok()?;
        Some((url, held))
    }

    /// Best-effort `DELETE` of an upload session that will not be completed.
    pub(super) async fn cancel_upload(&self, location: &Url) {
        let req = Request::new(Method::DELETE, location.clone()).scope(self.scope("pull,push"));
        // Best effort: the session expires on its own anyway.
        let _ = self.client.send(req).await;
    }

    /// Mount `desc` from `from_repository` of the same registry. `Ok(true)` when the
    /// registry linked it (201); `Ok(false)` when it would not (202 opens an ordinary
    /// session, which is cancelled: the caller uploads as usual).
    pub async fn mount_from(&self, desc: &Descriptor, from_repository: &str) -> Result<bool> {
        let mut url = self.url("blobs/uploads/")?;
        url.query_pairs_mut()
            .append_pair("mount", &desc.digest)
            .append_pair("from", from_repository);
        let req = Request::new(Method::POST, url)
            .scope(self.scope("pull,push"))
            .scope(format!("repository:{from_repository}:pull"))
            .header(CONTENT_LENGTH, "0")
            .body(Bytes::new());
        let resp = self.client.send(req).await?;
        match resp.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                if let Ok(location) = next_location(&Method::POST, &resp) {
                    self.cancel_upload(&location).await;
                }
                Ok(false)
            }
            _ => Err(http_error(&Method::POST, resp).await),
        }
    }
}

/// How a streamed monolithic `PUT` ended.
enum Streamed {
    Done,
    /// The registry will not take a blob in one request: upload in chunks.
    Refused(TargetError),
    /// Worth sending again.
    Transient(TargetError),
    Failed(TargetError),
}

/// What a failed monolithic `PUT`'s status means.
#[derive(Debug, PartialEq, Eq)]
enum PutAnswer {
    /// The registry (or a proxy in front of it) does not take whole blobs in one request:
    /// 405 (no `PUT` with a body), 411/413 (a length limit), 501.
    Refused,
    /// 429 or 5xx: try again.
    Transient,
    Failed,
}

fn put_answer(status: StatusCode) -> PutAnswer {
    match status {
        StatusCode::METHOD_NOT_ALLOWED
        | StatusCode::LENGTH_REQUIRED
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::NOT_IMPLEMENTED => PutAnswer::Refused,
        StatusCode::TOO_MANY_REQUESTS => PutAnswer::Transient,
        s if s.is_server_error() => PutAnswer::Transient,
        _ => PutAnswer::Failed,
    }
}

/// The absolute URL of a response's `Location` (registries may answer relative ones).
pub(super) fn next_location(method: &Method, resp: &Response) -> Result<Url> {
    let url = resp.url();
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            TargetError::registry(
                Some(url.as_str()),
                format!("{method} {:?}: missing Location header", url.as_str()),
            )
        })?;
    url.join(location).map_err(|e| {
        TargetError::registry(
            Some(url.as_str()),
            format!(
                "{method} {:?}: invalid Location {location:?}: {e}",
                url.as_str()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refusal_of_whole_blobs_falls_back_to_chunks() {
        let answer = |code: u16| put_answer(StatusCode::from_u16(code).unwrap());
        for code in [405, 411, 413, 501] {
            assert_eq!(answer(code), PutAnswer::Refused, "{code}");
        }
        for code in [429, 500, 502, 503, 504] {
            assert_eq!(answer(code), PutAnswer::Transient, "{code}");
        }
        // A wrong digest, a denied push or a missing session is no reason to try chunks.
        for code in [400, 401, 403, 404, 416] {
            assert_eq!(answer(code), PutAnswer::Failed, "{code}");
        }
    }

    #[tokio::test]
    async fn chunker_cuts_at_the_size_whatever_the_input_pieces() {
        let pieces: Vec<Result<Bytes>> = [3usize, 5, 1, 7, 2]
            .iter()
            .enumerate()
            .map(|(i, n)| Ok(Bytes::from(vec![i as u8; *n])))
            .collect();
        let mut c = Chunker::new(Box::pin(futures_util::stream::iter(pieces)), 4);
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        loop {
            let chunk = c.next().await.unwrap();
            if chunk.is_empty() {
                break;
            }
            sizes.push(chunk.len());
            all.extend_from_slice(&chunk);
        }
        assert_eq!(sizes, [4, 4, 4, 4, 2]);
        assert_eq!(all.len(), 18);
        assert!(c.finished());
    }

    #[tokio::test]
    async fn chunker_passes_stream_errors_on() {
        let pieces: Vec<Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"ab")),
            Err(TargetError::InvalidArgument("bad".into())),
        ];
        let mut c = Chunker::new(Box::pin(futures_util::stream::iter(pieces)), 4);
        assert_eq!(c.next().await.unwrap_err().to_string(), "bad");
    }
}
