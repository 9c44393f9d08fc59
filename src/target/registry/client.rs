//! The HTTP layer: one client per registry host, with authentication, retries and
//! oras-go's error texts.

use super::auth::{self, AuthCache, Challenge};
use super::response::{chain, count_round_trip};
use super::{CredentialSource, RegistryOptions};
use crate::credentials::Credential;
use crate::target::{Result, TargetError};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use std::time::Duration;
use tokio::sync::{Mutex, OnceCell};
use url::Url;

/// How many times an idempotent request is retried after a 429, 5xx or dropped connection.
const MAX_RETRIES: u32 = 3;
/// First retry delay; doubled each time.
const BACKOFF_START: Duration = Duration::from_millis(250);
/// Longest `Retry-After` we honour.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// A request to send through [`Client::send`].
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    /// A body that can be sent again (retries, re-authentication).
    pub body: Option<Bytes>,
    /// A one-shot body (streamed blob upload); such a request is never retried.
    pub stream: Option<reqwest::Body>,
    /// Token scopes this request needs, e.g. `repository:foo:pull`.
    pub scopes: Vec<String>,
    /// Whether sending it twice does no harm.
    pub idempotent: bool,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Request {
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            stream: None,
            scopes: Vec::new(),
            idempotent,
        }
    }

    pub fn header(mut self, name: HeaderName, value: &str) -> Request {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    pub fn body(mut self, body: Bytes) -> Request {
        self.body = Some(body);
        self
    }

    /// A one-shot streamed body: the request is sent once, never retried or re-authorized.
    pub(crate) fn stream_body(mut self, body: reqwest::Body) -> Request {
        self.stream = Some(body);
        self
    }

    pub fn scope(mut self, scope: String) -> Request {
        self.scopes.push(scope);
        self
    }

    pub fn idempotent(mut self, yes: bool) -> Request {
        self.idempotent = yes;
        self
    }
}

/// One registry host.
pub(crate) struct Client {
    http: reqwest::Client,
    /// `https` or `http`.
    scheme: &'static str,
    /// The host requests go to (`registry-1.docker.io` for `docker.io`).
    host: String,
    /// The registry as the user named it: the credential store key.
    registry: String,
    credentials: CredentialSource,
    resolved: OnceCell<Option<Credential>>,
    auth: Mutex<AuthCache>,
    /// Held while a challenge is answered (see [`Client::authorize_once`]).
    authorizing: Mutex<()>,
    /// For the `-d` request trace.
    user_agent: String,
}

impl Client {
    pub fn new(registry: &str, host: &str, opts: &RegistryOptions) -> Result<Client> {
        let mut builder = reqwest::Client::builder()
            .user_agent(opts.user_agent.clone())
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(300))
            // reqwest drops Authorization when a redirect leaves the host (blob storage).
            .redirect(reqwest::redirect::Policy::limited(10));
        let mut extra_roots = Vec::new();
        if let Some(ca) = &opts.ca_file {
            let pem = std::fs::read(ca).map_err(|e| TargetError::io(ca, e))?;
            extra_roots = crate::tls::pem_roots(&pem)
                .map_err(|e| TargetError::InvalidArgument(format!("{}: {e}", ca.display())))?;
        }
        let tls = crate::tls::client_config(extra_roots).map_err(|e| {
            TargetError::registry(None, format!("failed to create HTTP client: {e}"))
        })?;
        builder = builder.tls_backend_preconfigured(tls);
        let http = builder.build().map_err(|e| {
            TargetError::registry(None, format!("failed to create HTTP client: {}", chain(&e)))
        })?;
        Ok(Client {
            http,
            scheme: if opts.plain_http { "http" } else { "https" },
            host: host.to_string(),
            registry: registry.to_string(),
            credentials: opts.credentials.clone(),
            resolved: OnceCell::new(),
            auth: Mutex::new(AuthCache::default()),
            authorizing: Mutex::new(()),
            user_agent: opts.user_agent.clone(),
        })
    }

    /// `<scheme>://<host>/v2/<path>`.
    pub fn url(&self, path: &str) -> Result<Url> {
        let raw = format!("{}://{}/v2/{}", self.scheme, self.host, path);
        Url::parse(&raw)
            .map_err(|e| TargetError::InvalidArgument(format!("invalid URL {raw:?}: {e}")))
    }

    /// notation's `-d` HTTP trace of a request, credentials scrubbed.
    fn trace_request(&self, req: &Request, authorized: bool) -> u64 {
        let mut headers = crate::httptrace::reqwest_headers(&req.headers);
        headers.push(("User-Agent", &self.user_agent));
        if authorized {
            headers.push(("Authorization", ""));
        }
        crate::httptrace::request(req.method.as_str(), req.url.as_str(), headers)
    }

    pub fn is_plain_http(&self) -> bool {
        self.scheme == "http"
    }

    /// The credential for this host: explicit ones, else the store's (looked up once).
    async fn credential(&self) -> Result<Option<Credential>> {
        let cred = self
            .resolved
            .get_or_try_init(|| async {
                match &self.credentials {
                    CredentialSource::Anonymous => Ok(None),
                    CredentialSource::Static(c) => Ok(Some(c.clone()).filter(|c| !c.is_empty())),
                    CredentialSource::Store(store) => store.get(&self.registry).map_err(|e| {
                        TargetError::Auth(format!(
                            "failed to get credentials for {}: {e}",
                            self.registry
                        ))
                    }),
                }
            })
            .await?;
        Ok(cred.clone())
    }

    /// Send `req`, authenticating on a 401 challenge and retrying idempotent requests.
    pub async fn send(&self, mut req: Request) -> Result<Response> {
        let mut attempt = 0;
        let mut authenticated = false;
        loop {
            let replayable = req.stream.is_none();
            let mut builder = self
                .http
                .request(req.method.clone(), req.url.clone())
                .headers(req.headers.clone());
            let auth_header = self.auth.lock().await.header_for(&req.scopes);
            let traced = self.trace_request(&req, auth_header.is_some());
            if let Some(h) = &auth_header {
                builder = builder.header(AUTHORIZATION, h);
            }
            if let Some(b) = &req.body {
                builder = builder.body(b.clone());
            } else if let Some(s) = req.stream.take() {
                builder = builder.body(s);
            }
            count_round_trip();
            let resp = match builder.send().await {
                Ok(r) => r,
                Err(e) => {
                    crate::httptrace::failed(&e);
                    if req.idempotent && replayable && attempt < MAX_RETRIES && is_transient(&e) {
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    let reason = req
                        .url
                        .host_str()
                        .and_then(|host| crate::go::net::dial_lookup_failure(&e, host))
                        .unwrap_or_else(|| chain(&e));
                    return Err(TargetError::registry(
                        Some(req.url.as_str()),
                        format!(
                            "{} {:?}: {reason}",
                            go_method(&req.method),
                            req.url.as_str(),
                        ),
                    ));
                }
            };
            let status = resp.status();
            crate::httptrace::response(
                traced,
                status.as_u16(),
                crate::httptrace::reqwest_headers(resp.headers()),
            );
            if status == StatusCode::UNAUTHORIZED && !authenticated && replayable {
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(Challenge::parse);
                if let Some(challenge) = challenge.filter(|c| !matches!(c, Challenge::Unknown)) {
                    self.authorize_once(&challenge, &req, auth_header.as_deref())
                        .await?;
                    authenticated = true;
                    continue;
                }
                return Ok(resp);
            }
            let transient = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            if transient && req.idempotent && replayable && attempt < MAX_RETRIES {
                let wait = retry_after(&resp).unwrap_or_else(|| backoff(attempt));
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Answer `challenge` unless a request refused at the same time (signatures fetched
    /// ahead, blobs sent side by side) already has while this one waited: `used` is the
    /// `Authorization` value `req` was refused with. So such requests share one token.
    async fn authorize_once(
        &self,
        challenge: &Challenge,
        req: &Request,
        used: Option<&str>,
    ) -> Result<()> {
        let _one_at_a_time = self.authorizing.lock().await;
        let current = self.auth.lock().await.header_for(&req.scopes);
        if current.is_some() && current.as_deref() != used {
            return Ok(());
        }
        self.authorize(challenge, req).await
    }

    /// Answer `challenge` for the scopes of `req`, caching the result.
    async fn authorize(&self, challenge: &Challenge, req: &Request) -> Result<()> {
        let fail = |e: auth::HeaderError| {
            TargetError::Auth(format!("{} {:?}: {e}", req.method, req.url.as_str()))
        };
        let cred = self.credential().await?;
        match challenge {
            Challenge::Basic => {
                let header = auth::basic_header(cred.as_ref()).map_err(fail)?;
                self.auth.lock().await.set_basic(header);
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let scopes = auth::merge_scopes(&req.scopes, scope.as_deref());
                let token = auth::fetch_token(
                    &self.http,
                    realm,
                    service.as_deref(),
                    &scopes,
                    cred.as_ref(),
                )
                .await?;
                self.auth
                    .lock()
                    .await
                    .set_bearer(&req.scopes, format!("Bearer {token}"));
            }
            Challenge::Unknown => {}
        }
        Ok(())
    }
}

/// Go's `url.Error` spelling of the method: `Get`, `Head`, `Put`.
fn go_method(m: &Method) -> String {
    let s = m.as_str();
    let mut out = s[..1].to_string();
    out.push_str(&s[1..].to_ascii_lowercase());
    out
}

/// A dropped or refused connection is worth another try; a refused certificate or a name
/// that does not exist will not change on a retry.
fn is_transient(e: &reqwest::Error) -> bool {
    (e.is_connect() || e.is_timeout() || e.is_request())
        && crate::tls::go_text(e).is_none()
        && !crate::go::net::is_missing_name(e)
}

fn backoff(attempt: u32) -> Duration {
    BACKOFF_START * 2u32.saturating_pow(attempt.min(8))
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_never_overflows() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert!(backoff(u32::MAX) >= backoff(3));
    }
}
