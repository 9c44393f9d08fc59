//! What registry exchanges have in common, whoever sends them (the client, the token
//! exchange of `auth`): the round-trip count, bounded body reads, and error texts in
//! oras-go's words.

use crate::target::{Result, TargetError};
use futures_util::StreamExt as _;
use reqwest::{Method, Response, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};

/// How much of an error response body is read to describe the error.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// HTTP exchanges with registries and their token servers in this process, retries and
/// challenge replays included: what [`round_trips`] reports.
static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);

/// How many HTTP round trips this process has made to registries (and their token servers)
/// so far. Benchmarks and tests compare it with Go notation's count for the same command.
pub fn round_trips() -> u64 {
    ROUND_TRIPS.load(Ordering::Relaxed)
}

/// Count one exchange in [`round_trips`].
pub(crate) fn count_round_trip() {
    ROUND_TRIPS.fetch_add(1, Ordering::Relaxed);
}

/// The innermost cause of a transport error: the part a user can act on
/// (`Connection refused (os error 111)`, `dns error: …`), TLS failures in Go's words.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(text) = crate::tls::go_text(e) {
        return text;
    }
    let mut msgs = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        msgs.push(s.to_string());
        cur = s.source();
    }
    // reqwest/hyper wrap the cause in generic layers ("error sending request", "client
    // error (Connect)"); keep only the last one or two distinct messages.
    let last = msgs.pop().unwrap_or_default();
    match msgs.pop() {
        Some(prev)
            if !prev.contains(&last)
                && !prev.starts_with("error sending request")
                && !prev.starts_with("client error") =>
        {
            format!("{prev}: {last}")
        }
        _ => last,
    }
}

/// Read at most `limit` bytes of a response body; more is an error.
pub(crate) async fn read_limited(
    resp: Response,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>> {
    if let Some(len) = resp.content_length() {
        if len > limit {
            return Err(TargetError::TooLarge { what, size: len });
        }
    }
    let url = resp.url().to_string();
    let mut stream = resp.bytes_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            TargetError::registry(Some(&url), format!("reading {url:?}: {}", chain(&e)))
        })?;
        out.extend_from_slice(&chunk);
        if out.len() as u64 > limit {
            return Err(TargetError::TooLarge {
                what,
                size: out.len() as u64,
            });
        }
    }
    Ok(out)
}

/// One entry of a distribution-spec error body.
#[derive(serde::Deserialize, Debug, Clone)]
pub(crate) struct ErrorEntry {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

/// Parse a distribution-spec error body (empty if it is not one).
pub(crate) fn parse_errors(body: &[u8]) -> Vec<ErrorEntry> {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.errors)
        .unwrap_or_default()
}

/// oras-go's text: `<METHOD> "<URL>": response status code <code>: <errors>`.
pub(crate) fn format_http_error(
    method: &Method,
    url: &str,
    status: StatusCode,
    errors: &[ErrorEntry],
) -> String {
    let detail = if errors.is_empty() {
        status.canonical_reason().unwrap_or("").to_string()
    } else {
        errors
            .iter()
            .map(format_error_entry)
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "{method} {url:?}: response status code {}: {detail}",
        status.as_u16()
    )
}

fn format_error_entry(e: &ErrorEntry) -> String {
    let code: String = e
        .code
        .chars()
        .map(|c| {
            if c == '_' {
                ' '
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if e.message.is_empty() {
        return code;
    }
    match &e.detail {
        None | Some(serde_json::Value::Null) => format!("{code}: {}", e.message),
        Some(d) => format!("{code}: {}: {}", e.message, go_value(d)),
    }
}

/// Go's `%v` of a decoded JSON value: `map[k:v]`, `[a b]`.
fn go_value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(o) => {
            let mut keys: Vec<_> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_value(&o[*k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Turn a non-success response into an error with oras-go's text.
pub(crate) async fn http_error(method: &Method, resp: Response) -> TargetError {
    let status = resp.status();
    let url = resp.url().to_string();
    let body = read_limited(resp, MAX_ERROR_BODY, "error response")
        .await
        .unwrap_or_default();
    let errors = parse_errors(&body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        TargetError::Auth(format_http_error(method, &url, status, &errors))
    } else {
        status_error(method, &url, status, &errors)
    }
}

/// A registry's error answer to `method` on `url`, with oras-go's text.
pub(crate) fn status_error(
    method: &Method,
    url: &str,
    status: StatusCode,
    errors: &[ErrorEntry],
) -> TargetError {
    TargetError::Registry {
        url: Some(url.to_string()),
        status: Some(status.as_u16()),
        code: errors.first().map(|e| e.code.clone()),
        message: format_http_error(method, url, status, errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_errors_render_as_oras() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v1"}},{"code":"DENIED","message":""}]}"#;
        let msg = format_http_error(
            &Method::PUT,
            "https://r/v2/a/manifests/v1",
            StatusCode::NOT_FOUND,
            &parse_errors(body),
        );
        assert_eq!(
            msg,
            r#"PUT "https://r/v2/a/manifests/v1": response status code 404: manifest unknown: manifest unknown: map[Tag:v1]; denied"#
        );
        let msg = format_http_error(
            &Method::GET,
            "http://r/v2/",
            StatusCode::SERVICE_UNAVAILABLE,
            &parse_errors(b"oops"),
        );
        assert_eq!(
            msg,
            r#"GET "http://r/v2/": response status code 503: Service Unavailable"#
        );
    }

    #[test]
    fn status_errors_carry_their_parts() {
        let body = br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#;
        let url = "https://r/v2/a/referrers/sha256:00";
        let e = status_error(
            &Method::GET,
            url,
            StatusCode::NOT_FOUND,
            &parse_errors(body),
        );
        let TargetError::Registry {
            url: Some(u),
            status: Some(404),
            code: Some(code),
            message,
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!((u.as_str(), code.as_str()), (url, "NAME_UNKNOWN"));
        assert_eq!(e.to_string(), *message);
        assert_eq!(
            message,
            r#"GET "https://r/v2/a/referrers/sha256:00": response status code 404: name unknown: repository name not known to registry"#
        );
    }
}
