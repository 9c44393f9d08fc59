//! Revocation checking of certificate chains (verification.md §9): OCSP (RFC 6960) with a
//! CRL fallback, CRLs (RFC 5280, delta CRLs included) with notation's on-disk CRL cache.
//!
//! [`Validator::validate`] checks every non-root certificate of a chain concurrently and
//! returns one [`CertResult`] per certificate; [`final_result`] folds them into the
//! chain's verdict the way notation-go does (`revocationFinalResult`), with its log lines.
//! The same validator serves the signing chain ([`Purpose::CodeSigning`]) and a TSA chain
//! ([`Purpose::Timestamping`]).

pub(crate) mod cache;
pub mod crl;
pub(crate) mod http;
pub mod ocsp;
mod timestamping;

pub use cache::CacheError;
pub use timestamping::{check_timestamping_chain, TsaRevocationError};

use crate::x509::Certificate;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

/// Timeout of the OCSP HTTP client (notation `internal/revocation`).
pub(crate) const OCSP_TIMEOUT: Duration = Duration::from_secs(2);
/// Timeout of the CRL HTTP client (notation `internal/revocation`).
pub(crate) const CRL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the chain is used for; selects the chain rules re-checked before revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A signing chain (verification.md §6.1).
    CodeSigning,
    /// A TSA chain (verification.md §6.2).
    Timestamping,
}

/// The revocation status of one certificate (or of one server's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Checked and not revoked.
    Ok,
    /// No revocation information (or the root): treated as OK.
    NonRevokable,
    /// The status could not be determined.
    Unknown,
    /// Revoked.
    Revoked,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "OK",
            Status::NonRevokable => "NonRevokable",
            Status::Unknown => "Unknown",
            Status::Revoked => "Revoked",
        })
    }
}

/// How a status was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Not checked (root, or no revocation information).
    None,
    /// Online Certificate Status Protocol.
    Ocsp,
    /// Certificate revocation list.
    Crl,
    /// OCSP gave no answer, the CRL did.
    OcspFallbackCrl,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Method::None => "Unknown",
            Method::Ocsp => "OCSP",
            Method::Crl => "CRL",
            Method::OcspFallbackCrl => "OCSPFallbackCRL",
        })
    }
}

/// The answer of one OCSP responder or one CRL distribution point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerResult {
    /// The URL asked (empty when none was).
    pub server: String,
    /// How it was obtained.
    pub method: Method,
    /// What it says.
    pub status: Status,
    /// Why the status could not be determined (upstream's error text).
    pub error: Option<String>,
}

/// The result for one certificate of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertResult {
    /// The certificate's status.
    pub status: Status,
    /// How it was obtained.
    pub method: Method,
    /// Per-server details, OCSP answers first when CRL was the fallback.
    pub servers: Vec<ServerResult>,
}

impl CertResult {
    fn non_revokable() -> CertResult {
        CertResult {
            status: Status::NonRevokable,
            method: Method::None,
            servers: vec![ServerResult {
                server: String::new(),
                method: Method::None,
                status: Status::NonRevokable,
                error: None,
            }],
        }
    }
}

/// Severity of a [`LogLine`], as notation's logger names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// `-d` only.
    Debug,
    /// `-v` and `-d`.
    Info,
    /// A warning.
    Warning,
    /// An error.
    Error,
}

/// A log line for `-v` / `-d`: kept where a caller decides whether and when it is logged
/// ([`LogLine::emit`] hands it to the `log` facade; the library itself never prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its severity.
    pub level: LogLevel,
    /// The text, as notation logs it.
    pub message: String,
}

impl LogLine {
    fn new(level: LogLevel, message: String) -> LogLine {
        LogLine { level, message }
    }

    /// Hand the line to the `log` facade, where the CLI prints it with -v / -d.
    pub fn emit(&self) {
        match self.level {
            LogLevel::Debug => log::debug!("{}", self.message),
            LogLevel::Info => log::info!("{}", self.message),
            LogLevel::Warning => log::warn!("{}", self.message),
            LogLevel::Error => log::error!("{}", self.message),
        }
    }
}

/// The chain could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// The chain breaks the rules of its purpose (notation-core-go `InvalidChainError`).
    #[error("invalid chain: expected chain to be correct and complete: {0}")]
    InvalidChain(String),
}

/// Checks chains against OCSP responders and CRL distribution points.
pub struct Validator {
    /// Built on first use: making an HTTP client loads the system root certificates, which
    /// most verifications (no OCSP/CRL URLs) never need.
    ocsp_client: std::sync::OnceLock<reqwest::Client>,
    crl_client: std::sync::OnceLock<reqwest::Client>,
    ocsp_timeout: Duration,
    crl_timeout: Duration,
    cache: Option<cache::FileCache>,
    cache_warning: Option<String>,
    cache_error: AtomicBool,
}

impl Validator {
    /// A validator with upstream's timeouts. `crl_cache_dir` (normally
    /// [`crate::config::Dirs::crl_cache`]) enables the CRL file cache.
    pub fn new(crl_cache_dir: Option<PathBuf>) -> Validator {
        Validator::with_timeouts(crl_cache_dir, OCSP_TIMEOUT, CRL_TIMEOUT)
    }

    /// A validator with explicit HTTP timeouts.
    pub fn with_timeouts(
        crl_cache_dir: Option<PathBuf>,
        ocsp_timeout: Duration,
        crl_timeout: Duration,
    ) -> Validator {
        let (cache, cache_warning) = match crl_cache_dir.map(cache::FileCache::create) {
            Some(Ok(c)) => (Some(c), None),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        Validator {
            ocsp_client: std::sync::OnceLock::new(),
            crl_client: std::sync::OnceLock::new(),
            ocsp_timeout,
            crl_timeout,
            cache,
            cache_warning,
            cache_error: AtomicBool::new(false),
        }
    }

    /// Whether a CRL cache error was discarded so far (the CLI warns once per run).
    pub fn cache_error_seen(&self) -> bool {
        self.cache_error.load(Ordering::Relaxed)
    }

    /// Why the CRL cache directory could not be created (the CLI warns and goes on
    /// without a cache).
    pub fn cache_warning(&self) -> Option<&str> {
        self.cache_warning.as_deref()
    }

    /// Check `chain` (`[leaf, intermediates…, root]`). `signing_time` is the authentic
    /// signing time (signingAuthority scheme only): a revocation whose invalidity date is
    /// after it does not count.
    pub async fn validate(
        &self,
        chain: &[Certificate],
        purpose: Purpose,
        signing_time: Option<OffsetDateTime>,
    ) -> Result<Vec<CertResult>, RevocationError> {
        let valid = match purpose {
            Purpose::CodeSigning => crate::x509::validate_code_signing_chain(chain, None),
            Purpose::Timestamping => crate::x509::validate_timestamping_chain(chain),
        };
        valid.map_err(|e| RevocationError::InvalidChain(e.to_string()))?;
        let now = OffsetDateTime::now_utc();
        let checks = chain.iter().enumerate().map(|(i, cert)| async move {
            match chain.get(i + 1) {
                Some(issuer) => self.check_cert(cert, issuer, signing_time, now).await,
                None => (CertResult::non_revokable(), false),
            }
        });
        let mut results = Vec::with_capacity(chain.len());
        for (result, cache_error) in futures_util::future::join_all(checks).await {
            results.push(result);
            if cache_error {
                self.cache_error.store(true, Ordering::Relaxed);
            }
        }
        Ok(results)
    }

    /// OCSP first, CRL when OCSP is absent or undetermined (CORE-REV `ValidateContext`).
    async fn check_cert(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        signing_time: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> (CertResult, bool) {
        let ocsp_urls = ocsp::responder_urls(cert);
        let crl_urls = crl::distribution_points(cert);
        let ctx = crl::Context {
            client: self
                .crl_client
                .get_or_init(|| http::client(self.crl_timeout)),
            cache: self.cache.as_ref(),
            now,
        };
        if ocsp_urls.is_empty() {
            if crl_urls.is_empty() {
                return (CertResult::non_revokable(), false);
            }
            let c = crl::check(&ctx, cert, issuer, &crl_urls, signing_time).await;
            return (c.result, c.cache_error);
        }
        let r = ocsp::check(
            self.ocsp_client
                .get_or_init(|| http::client(self.ocsp_timeout)),
            cert,
            issuer,
            &ocsp_urls,
            signing_time,
            now,
        )
        .await;
        if r.status != Status::Unknown || crl_urls.is_empty() {
            return (r, false);
        }
        let c = crl::check(&ctx, cert, issuer, &crl_urls, signing_time).await;
        let mut servers = r.servers;
        servers.extend(c.result.servers);
        let result = CertResult {
            status: c.result.status,
            method: Method::OcspFallbackCrl,
            servers,
        };
        (result, c.cache_error)
    }
}

/// The chain's verdict (notation-go `revocationFinalResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalResult {
    /// [`Status::Ok`], [`Status::Revoked`] or [`Status::Unknown`].
    pub status: Status,
    /// The subject of the certificate the verdict is about (empty when OK): the revoked
    /// certificate closest to the leaf, else the undetermined one closest to the leaf.
    pub subject: String,
    /// Per-certificate warnings and server errors, in upstream's wording.
    pub log: Vec<LogLine>,
}

/// Fold per-certificate results into the chain's verdict: revoked if any certificate is
/// revoked, else unknown if any is unknown, else OK.
pub fn final_result(results: &[CertResult], chain: &[Certificate]) -> FinalResult {
    let mut out = FinalResult {
        status: Status::Unknown,
        subject: String::new(),
        log: vec![],
    };
    let mut ok = 0;
    let mut revoked_subject = None;
    for i in (0..results.len().min(chain.len())).rev() {
        let (r, subject) = (&results[i], chain[i].subject());
        let quoted = crate::go::fmt::quote(&subject);
        let n = i + 1;
        if r.method == Method::OcspFallbackCrl {
            out.log.push(LogLine::new(LogLevel::Warning, format!("OCSP check failed with unknown error and fallback to CRL check for certificate #{n} in chain with subject {quoted}")));
        }
        for s in r.servers.iter() {
            let Some(err) = &s.error else { continue };
            let level = if r.method == Method::OcspFallbackCrl && s.method == Method::Ocsp {
                // The CRL may still succeed: OCSP errors are only debug details then.
                LogLevel::Debug
            } else {
                LogLevel::Error
            };
            out.log.push(LogLine::new(level, format!("Certificate #{n} in chain with subject {quoted} encountered an error for revocation method {} at URL {}: {err}", s.method, crate::go::fmt::quote(&s.server))));
        }
        match r.status {
            Status::Ok | Status::NonRevokable => ok += 1,
            status => {
                out.status = status;
                out.subject = subject.clone();
                if status == Status::Revoked {
                    revoked_subject = Some(subject.clone());
                }
            }
        }
        if i + 1 < results.len() && r.status == Status::NonRevokable {
            out.log.push(LogLine::new(LogLevel::Warning, format!("Certificate #{n} in the chain with subject {quoted} neither has an OCSP nor a CRL revocation method.")));
        }
    }
    if let Some(s) = revoked_subject {
        out.status = Status::Revoked;
        out.subject = s;
    }
    if ok == results.len() {
        out.status = Status::Ok;
        out.subject.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str) -> Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let c = params.self_signed(&key).unwrap();
        Certificate::from_der(c.der()).unwrap()
    }

    fn result(status: Status, method: Method, errors: &[(Method, &str)]) -> CertResult {
        let mut servers: Vec<ServerResult> = errors
            .iter()
            .map(|(m, e)| ServerResult {
                server: "http://x".into(),
                method: *m,
                status: Status::Unknown,
                error: Some(e.to_string()),
            })
            .collect();
        if servers.is_empty() {
            servers.push(ServerResult {
                server: String::new(),
                method,
                status,
                error: None,
            });
        }
        CertResult {
            status,
            method,
            servers,
        }
    }

    fn chain() -> Vec<Certificate> {
        vec![cert("leaf"), cert("int"), cert("root")]
    }

    #[test]
    fn all_ok_or_non_revokable_is_ok_with_a_warning_per_non_root() {
        let chain = chain();
        let results = vec![
            result(Status::Ok, Method::Ocsp, &[]),
            result(Status::NonRevokable, Method::None, &[]),
            result(Status::NonRevokable, Method::None, &[]),
        ];
        let f = final_result(&results, &chain);
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.subject, "");
        assert_eq!(
            f.log,
            vec![LogLine::new(
                LogLevel::Warning,
                "Certificate #2 in the chain with subject \"CN=int\" neither has an OCSP nor a CRL revocation method.".into()
            )]
        );
    }

    #[test]
    fn revoked_wins_over_unknown_and_the_closest_to_the_leaf_is_named() {
        let chain = chain();
        let unknown = |e| result(Status::Unknown, Method::Crl, &[(Method::Crl, e)]);
        let results = vec![
            unknown("boom"),
            result(Status::Revoked, Method::Crl, &[]),
            result(Status::NonRevokable, Method::None, &[]),
        ];
        let f = final_result(&results, &chain);
        assert_eq!((f.status, f.subject.as_str()), (Status::Revoked, "CN=int"));
        assert_eq!(f.log.len(), 1);
        assert_eq!(f.log[0].level, LogLevel::Error);
        assert_eq!(f.log[0].message, "Certificate #1 in chain with subject \"CN=leaf\" encountered an error for revocation method CRL at URL \"http://x\": boom");

        let results = vec![
            unknown("a"),
            unknown("b"),
            result(Status::NonRevokable, Method::None, &[]),
        ];
        let f = final_result(&results, &chain);
        assert_eq!((f.status, f.subject.as_str()), (Status::Unknown, "CN=leaf"));
    }

    #[test]
    fn ocsp_errors_are_debug_details_after_a_crl_fallback() {
        let chain = chain();
        let mut fallback = result(
            Status::Ok,
            Method::OcspFallbackCrl,
            &[(Method::Ocsp, "down")],
        );
        fallback.status = Status::Ok;
        let results = vec![fallback, result(Status::NonRevokable, Method::None, &[])];
        let f = final_result(&results, &chain[1..]);
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.log[0].level, LogLevel::Warning);
        assert!(f.log[0].message.starts_with("OCSP check failed with unknown error and fallback to CRL check for certificate #1 in chain with subject \"CN=int\""));
        assert_eq!(f.log[1].level, LogLevel::Debug);
    }

    #[tokio::test]
    async fn an_invalid_chain_is_an_error() {
        let v = Validator::new(None);
        let chain = chain();
        let e = v
            .validate(&chain, Purpose::CodeSigning, None)
            .await
            .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("invalid chain: expected chain to be correct and complete: "));
    }
}
