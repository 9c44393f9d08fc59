//! notation's `-d` HTTP trace (notation `internal/trace`): each request and each response
//! is one debug record, numbered per process, with Go's canonical header names and the
//! `Authorization` value scrubbed. Used for registry, CRL, OCSP and TSA traffic alike.

use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Whether tracing is on (the CLI's `-d`): callers skip building header lists otherwise.
pub fn enabled() -> bool {
    log::log_enabled!(log::Level::Debug)
}

/// Log `Request #n` with the method, URL and the headers as sent (`Content-Length` and
/// `Host` are not headers in Go's `http.Request`); returns `n` for [`response`].
pub fn request<'a>(
    method: &str,
    url: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> u64 {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    if enabled() {
        let headers = headers.into_iter().filter(|(k, _)| {
            !k.eq_ignore_ascii_case("content-length") && !k.eq_ignore_ascii_case("host")
        });
        log::debug!(
            "Request #{n}\n> Request: {} {}\n> Request headers:{}",
            crate::go::fmt::quote(method),
            crate::go::fmt::quote(url),
            header_block(headers)
        );
    }
    n
}

/// Log an exchange that got no response, at error level as notation does. (Go formats the
/// error with `%w` outside `Errorf`, which prints `%!w(...)`; we print the error itself.)
pub fn failed(err: &impl std::fmt::Display) {
    log::error!("Error in getting response: {err}");
}

/// Log `Response #n` with its status line (`"200 OK"`) and headers.
pub fn response<'a>(n: u64, status: u16, headers: impl IntoIterator<Item = (&'a str, &'a str)>) {
    if !enabled() {
        return;
    }
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let status = format!("{status} {reason}");
    log::debug!(
        "Response #{n}\n< Response status: {}\n< Response headers:{}",
        crate::go::fmt::quote(status.trim_end()),
        header_block(headers)
    );
}

/// Send `builder`'s request with its trace (a client made with
/// `version::user_agent`, whose User-Agent is a client default and so not among
/// the request's own headers).
pub async fn send(builder: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let (client, req) = builder.build_split();
    let req = req?;
    let user_agent = crate::version::user_agent();
    let mut headers = reqwest_headers(req.headers());
    headers.push(("User-Agent", &user_agent));
    let n = request(req.method().as_str(), req.url().as_str(), headers);
    let resp = client.execute(req).await.inspect_err(failed)?;
    response(n, resp.status().as_u16(), reqwest_headers(resp.headers()));
    Ok(resp)
}

/// The traced request and response headers of a reqwest exchange.
pub(crate) fn reqwest_headers(headers: &reqwest::header::HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))
        .collect()
}

/// `\n   "Name": "v1, v2"` per header (values of one name joined as Go's `http.Header`),
/// or `\n   Empty header`.
fn header_block<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut merged: Vec<(String, String)> = Vec::new();
    for (k, v) in headers {
        let name = canonical(k);
        let v = if name == "Authorization" { "*****" } else { v };
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) if name != "Authorization" => {
                existing.push_str(", ");
                existing.push_str(v);
            }
            Some(_) => {}
            None => merged.push((name, v.to_string())),
        }
    }
    if merged.is_empty() {
        return "\n   Empty header".to_string();
    }
    merged
        .iter()
        .map(|(k, v)| {
            format!(
                "\n   {}: {}",
                crate::go::fmt::quote(k),
                crate::go::fmt::quote(v)
            )
        })
        .collect()
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: `www-authenticate` → `Www-Authenticate`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_as_go_prints_them() {
        assert_eq!(
            header_block([
                ("www-authenticate", "Basic realm=\"r\""),
                ("authorization", "Basic eA=="),
                ("accept", "a"),
                ("Accept", "b"),
            ]),
            "\n   \"Www-Authenticate\": \"Basic realm=\\\"r\\\"\"\n   \"Authorization\": \"*****\"\n   \"Accept\": \"a, b\""
        );
        assert_eq!(header_block([]), "\n   Empty header");
    }
}
