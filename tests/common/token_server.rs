//! A distribution token server (the `realm` of `auth: token`) for the tests: it checks the
//! caller's credentials and issues RS256 JWTs that Debian's docker-registry verifies against
//! the certificate in its `rootcertbundle` (the token carries it in `x5c`). Implements the
//! Docker token spec's GET (Basic auth) and the OAuth2 `refresh_token` POST grant.

use base64::Engine as _;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The refresh token this server accepts.
pub const REFRESH_TOKEN: &str = "test-refresh-token";

/// One request the token server answered: method, grant/basic user, scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub method: String,
    pub scopes: Vec<String>,
    pub granted: bool,
}

/// A running token server; stops when dropped.
pub struct TokenServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub requests: Arc<Mutex<Vec<TokenRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn make_signing_cert(dir: &Path) {
    super::registry::self_signed_rsa(
        "/CN=token-signer",
        &[],
        &dir.join("token.key"),
        &dir.join("token.crt"),
    );
}

fn sign_jwt(dir: &Path, scopes: &[String]) -> String {
    let pem = std::fs::read_to_string(dir.join("token.crt")).unwrap();
    let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [der_b64]});
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (t, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({"type": t, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": "test-issuer", "sub": "testuser", "aud": "test-registry",
        "exp": now + 600, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", scopes.join(" ")),
        "access": access,
    });
    let input = format!(
        "{}.{}",
        b64url(&serde_json::to_vec(&header).unwrap()),
        b64url(&serde_json::to_vec(&claims).unwrap())
    );
    let input_file = dir.join(format!("jwt-input-{}", std::process::id()));
    std::fs::write(&input_file, &input).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(dir.join("token.key"))
        .arg(&input_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    format!("{input}.{}", b64url(&out.stdout))
}

fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl TokenServer {
    /// The certificate the registry must trust (`rootcertbundle`).
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("token.crt")
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub async fn start(username: &'static str, password: &'static str) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        make_signing_cert(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (dir_path, log) = (dir.path().to_path_buf(), requests.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (dir_path, log) = (dir_path.clone(), log.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let headers: HashMap<String, String> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
                    let mut first = head.lines().next().unwrap_or("").split_whitespace();
                    let (method, target) = (
                        first.next().unwrap_or("").to_string(),
                        first.next().unwrap_or(""),
                    );
                    let url = url::Url::parse(&format!("http://x{target}")).unwrap();
                    let (granted, scopes) = if method == "POST" {
                        let form: HashMap<String, String> =
                            url::form_urlencoded::parse(body.as_bytes())
                                .into_owned()
                                .collect();
                        let ok = form.get("grant_type").map(String::as_str)
                            == Some("refresh_token")
                            && form.get("refresh_token").map(String::as_str) == Some(REFRESH_TOKEN)
                            && form.get("client_id").map(String::as_str) == Some("notation")
                            && form.get("service").map(String::as_str) == Some("test-registry");
                        let scopes: Vec<String> = form
                            .get("scope")
                            .map(|s| s.split(' ').map(str::to_string).collect())
                            .unwrap_or_default();
                        (ok, scopes)
                    } else {
                        let expected = format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD
                                .encode(format!("{username}:{password}"))
                        );
                        let ok = headers.get("authorization") == Some(&expected);
                        let scopes = url
                            .query_pairs()
                            .filter(|(k, _)| k == "scope")
                            .map(|(_, v)| v.into_owned())
                            .collect();
                        (ok, scopes)
                    };
                    log.lock().unwrap().push(TokenRequest {
                        method: method.clone(),
                        scopes: scopes.clone(),
                        granted,
                    });
                    let resp = if granted {
                        let jwt = sign_jwt(&dir_path, &scopes);
                        let field = if method == "POST" {
                            "access_token"
                        } else {
                            "token"
                        };
                        // A nanosecond-style expires_in, as some registries send: must not overflow.
                        response(
                            "200 OK",
                            &format!(
                                r#"{{"{field}":"{jwt}","expires_in":18446744073709551615000}}"#
                            ),
                        )
                    } else {
                        response(
                            "401 Unauthorized",
                            r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
                        )
                    };
                    let _ = sock.write_all(&resp).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        TokenServer {
            port,
            dir,
            requests,
            task,
        }
    }
}
