//! Registry authentication (distribution token auth and Basic), as oras-go's `auth.Client`.

use super::response::{chain, format_http_error, parse_errors, read_limited};
use crate::credentials::Credential;
use crate::target::{Result, TargetError};
use base64::Engine as _;
use std::collections::{BTreeMap, BTreeSet};

/// Largest token response read.
pub(crate) const MAX_TOKEN_RESPONSE_BYTES: u64 = 128 * 1024;

/// What a `WWW-Authenticate` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Unknown,
}

impl Challenge {
    /// Parse `Basic realm="x"` or `Bearer realm="…",service="…",scope="…"`.
    pub fn parse(header: &str) -> Challenge {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_params(rest);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Challenge::Basic,
            "bearer" => match params.get("realm") {
                Some(realm) if !realm.is_empty() => Challenge::Bearer {
                    realm: realm.clone(),
                    service: params.get("service").cloned(),
                    scope: params.get("scope").cloned(),
                },
                _ => Challenge::Unknown,
            },
            _ => Challenge::Unknown,
        }
    }
}

/// `key="quoted, value",key2=token` → map (keys lower-cased).
fn parse_params(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => v.push(c),
                }
            }
            value = v;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.insert(key, value);
        rest = rest.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// Cached `Authorization` values for one host, for the lifetime of the process.
#[derive(Default)]
pub(crate) struct AuthCache {
    basic: Option<String>,
    bearer: BTreeMap<String, String>,
}

impl AuthCache {
    /// The header to send with a request needing `scopes`, if we have one.
    pub(crate) fn header_for(&self, scopes: &[String]) -> Option<String> {
        self.bearer
            .get(&scope_key(scopes))
            .cloned()
            .or_else(|| self.basic.clone())
    }

    pub(crate) fn set_basic(&mut self, header: String) {
        self.basic = Some(header);
    }

    pub(crate) fn set_bearer(&mut self, scopes: &[String], header: String) {
        self.bearer.insert(scope_key(scopes), header);
    }
}

fn scope_key(scopes: &[String]) -> String {
    let set: BTreeSet<&str> = scopes.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(" ")
}

/// Our scopes plus the challenge's, as oras-go's `CleanScopes`: actions on the same
/// resource are merged (`pull` + `pull,push` → `pull,push`; `*` absorbs the rest), sorted.
pub(crate) fn merge_scopes(ours: &[String], challenge: Option<&str>) -> Vec<String> {
    let mut resources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut opaque = BTreeSet::new();
    let theirs = challenge.into_iter().flat_map(str::split_whitespace);
    for scope in ours.iter().map(String::as_str).chain(theirs) {
        match (scope.find(':'), scope.rfind(':')) {
            (Some(first), Some(last)) if first < last => {
                let entry = resources.entry(scope[..last].to_string()).or_default();
                entry.extend(
                    scope[last + 1..]
                        .split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_string),
                );
            }
            _ => {
                opaque.insert(scope.to_string());
            }
        }
    }
    let mut out: Vec<String> = resources
        .into_iter()
        .filter(|(_, actions)| !actions.is_empty())
        .map(|(resource, actions)| {
            let actions: Vec<&str> = if actions.contains("*") {
                vec!["*"]
            } else {
                actions.iter().map(String::as_str).collect()
            };
            format!("{resource}:{}", actions.join(","))
        })
        .collect();
    out.extend(opaque);
    out.sort();
    out
}

/// Why no `Authorization` header could be made (oras-go's texts).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HeaderError {
    #[error("basic credential not found")]
    NoBasicCredential,
    #[error("missing username or password for basic auth")]
    IncompleteBasicCredential,
    #[error("invalid token response: {0}")]
    InvalidTokenResponse(String),
    #[error("empty token returned")]
    EmptyToken,
}

/// `Basic base64(user:pass)`, or oras-go's errors when that is impossible.
pub(crate) fn basic_header(cred: Option<&Credential>) -> std::result::Result<String, HeaderError> {
    let cred = cred.ok_or(HeaderError::NoBasicCredential)?;
    if cred.username.is_empty() || cred.password.is_empty() {
        return Err(HeaderError::IncompleteBasicCredential);
    }
    let raw = format!("{}:{}", cred.username, cred.password);
    Ok(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
}

#[derive(serde::Deserialize, Default)]
struct TokenResponse {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    token: String,
}

/// Parse a token endpoint answer. `expires_in` and other fields are ignored: tokens live
/// for the process and are refreshed on the next 401, so no expiry arithmetic can overflow.
fn parse_token(body: &[u8], refresh_grant: bool) -> std::result::Result<String, HeaderError> {
    let t: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| HeaderError::InvalidTokenResponse(e.to_string()))?;
    if !t.access_token.is_empty() {
        return Ok(t.access_token);
    }
    if !refresh_grant && !t.token.is_empty() {
        return Ok(t.token);
    }
    Err(HeaderError::EmptyToken)
}

/// Get a bearer token from `realm` for `scopes`.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    cred: Option<&Credential>,
) -> Result<String> {
    if let Some(c) = cred.filter(|c| !c.access_token.is_empty()) {
        return Ok(c.access_token.clone());
    }
    let realm_url = url::Url::parse(realm)
        .map_err(|e| TargetError::Auth(format!("invalid token realm {realm:?}: {e}")))?;
    let refresh = cred.filter(|c| !c.refresh_token.is_empty());
    let (method, request) = if let Some(c) = refresh {
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", c.refresh_token.clone()),
        ];
        if let Some(s) = service {
            form.push(("service", s.to_string()));
        }
        form.push(("client_id", "notation".to_string()));
        if !scopes.is_empty() {
            form.push(("scope", scopes.join(" ")));
        }
        (
            reqwest::Method::POST,
            http.post(realm_url.clone()).form(&form),
        )
    } else {
        let mut url = realm_url.clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            for s in scopes {
                q.append_pair("scope", s);
            }
        }
        let mut req = http.get(url);
        if let Some(c) = cred.filter(|c| !c.username.is_empty() && !c.password.is_empty()) {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        (reqwest::Method::GET, req)
    };
    super::response::count_round_trip();
    let resp = request.send().await.map_err(|e| {
        TargetError::Auth(format!("{method} {:?}: {}", realm_url.as_str(), chain(&e)))
    })?;
    let status = resp.status();
    let url = resp.url().to_string();
    let body = read_limited(resp, MAX_TOKEN_RESPONSE_BYTES, "token response").await?;
    if !status.is_success() {
        return Err(TargetError::Auth(format_http_error(
            &method,
            &url,
            status,
            &parse_errors(&body),
        )));
    }
    parse_token(&body, refresh.is_some())
        .map_err(|e| TargetError::Auth(format!("{method} {url:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="basic-realm""#),
            Challenge::Basic
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:a/b:pull,push".into()),
            }
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm="https://x/t", error="insufficient_scope""#),
            Challenge::Bearer {
                realm: "https://x/t".into(),
                service: None,
                scope: None
            }
        );
        assert_eq!(Challenge::parse("Negotiate"), Challenge::Unknown);
        assert_eq!(Challenge::parse("Bearer service=x"), Challenge::Unknown);
    }

    #[test]
    fn token_responses() {
        assert_eq!(
            parse_token(
                br#"{"token":"t","expires_in":99999999999999999999999999}"#,
                false
            )
            .unwrap(),
            "t"
        );
        assert_eq!(
            parse_token(br#"{"token":"t","access_token":"a"}"#, false).unwrap(),
            "a"
        );
        assert_eq!(
            parse_token(br#"{"token":"t"}"#, true),
            Err(HeaderError::EmptyToken)
        );
        assert_eq!(
            parse_token(b"{}", false).unwrap_err().to_string(),
            "empty token returned"
        );
    }

    #[test]
    fn basic_needs_both_parts() {
        assert_eq!(
            basic_header(None).unwrap_err().to_string(),
            "basic credential not found"
        );
        let c = Credential::from_user_password("u", "");
        assert_eq!(
            basic_header(Some(&c)).unwrap_err().to_string(),
            "missing username or password for basic auth"
        );
        let c = Credential::from_user_password("testuser", "testpassword");
        assert_eq!(
            basic_header(Some(&c)).unwrap(),
            "Basic dGVzdHVzZXI6dGVzdHBhc3N3b3Jk"
        );
    }

    #[test]
    fn scopes_merge_and_cache_by_set() {
        let ours = vec!["repository:a:pull".to_string()];
        assert_eq!(
            merge_scopes(&ours, Some("repository:a:pull registry:catalog:*")).len(),
            2
        );
        let mut cache = AuthCache::default();
        cache.set_bearer(&ours, "Bearer x".into());
        assert_eq!(cache.header_for(&ours).as_deref(), Some("Bearer x"));
        assert_eq!(
            cache.header_for(&["repository:a:pull,push".to_string()]),
            None
        );
    }
}
