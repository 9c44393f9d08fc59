//! HTTP details shared by the OCSP and CRL clients, with Go `net/http` error wording.

use std::time::Duration;

/// A client with `timeout` for the whole exchange and notation's User-Agent.
pub fn client(timeout: Duration) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(crate::version::user_agent());
    match crate::tls::client_config(Vec::new()) {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        Err(_) => builder,
    }
    .build()
    .unwrap_or_default()
}

/// The cause of a transport error as Go's `net/http` words it after the URL
/// (`dial tcp 127.0.0.1:1: connect: connection refused`, `tls: failed to verify
/// certificate: …`), else the innermost error.
pub fn transport_reason(e: &reqwest::Error) -> String {
    if let Some(text) = crate::tls::go_text(e) {
        return text;
    }
    if let Some(text) = e
        .url()
        .and_then(|u| u.host_str())
        .and_then(|host| crate::go::net::dial_lookup_failure(e, host))
    {
        return text;
    }
    let mut reason = e.to_string();
    let mut io_error = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_error = Some(io);
        }
        source = s.source();
    }
    match (e.is_connect(), io_error, e.url()) {
        (true, Some(io), Some(url)) => {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or(80);
            crate::go::net::connect_failure(host, port, io)
        }
        _ => reason,
    }
}

/// Read at most `limit` bytes of the body (Go `io.LimitReader`).
pub(super) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}
