//! What an admission webhook does: verify one image reference in a registry against a trust
//! policy and a PEM trust store held in memory, inside an async runtime, with a timeout.
//!
//! ```text
//! verify_registry <reference> <policy.json> <certs.pem> [--plain-http]
//! ```
//!
//! Each argument may come from the environment instead: `VERIFY_REFERENCE`, `VERIFY_POLICY`,
//! `VERIFY_CERTS`; `VERIFY_PLAIN_HTTP=1` for a registry without TLS; `VERIFY_TRUST_STORE`
//! names the store the certificates go to (default `ca:admission`, as the policy's
//! `trustStores` must name it); `VERIFY_TIMEOUT_SECS` (default 30).
//!
//! Prints `<reference>@<digest>` on success; a one-line error and exit 1 otherwise.

use notation::{open_registry, RegistryOptions, TrustStoreSet, Verifier};
use std::time::Duration;

/// Everything one verification needs, from the arguments or the environment.
struct Request {
    reference: String,
    policy: String,
    certs: Vec<u8>,
    store: String,
    plain_http: bool,
    timeout: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn request() -> Result<Request, String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let plain_http = match args.iter().position(|a| a == "--plain-http") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => env("VERIFY_PLAIN_HTTP").is_some_and(|v| v == "1" || v == "true"),
    };
    let mut args = args.into_iter();
    let mut arg = |var: &str| {
        args.next()
            .or_else(|| env(var))
            .ok_or_else(|| format!("missing argument or {var}: usage: verify_registry <reference> <policy.json> <certs.pem> [--plain-http]"))
    };
    let reference = arg("VERIFY_REFERENCE")?;
    let policy_path = arg("VERIFY_POLICY")?;
    let certs_path = arg("VERIFY_CERTS")?;
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let policy =
        String::from_utf8(read(&policy_path)?).map_err(|_| format!("{policy_path}: not UTF-8"))?;
    let timeout = match env("VERIFY_TIMEOUT_SECS") {
        Some(s) => s
            .parse()
            .map_err(|_| format!("VERIFY_TIMEOUT_SECS: not a number of seconds: {s}"))?,
        None => 30,
    };
    Ok(Request {
        reference,
        policy,
        certs: read(&certs_path)?,
        store: env("VERIFY_TRUST_STORE").unwrap_or_else(|| "ca:admission".into()),
        plain_http,
        timeout: Duration::from_secs(timeout),
    })
}

/// Verify `req.reference`; `<registry>/<repository>@<digest>` of the verified artifact.
async fn verify(req: &Request) -> Result<String, notation::Error> {
    let mut stores = TrustStoreSet::new();
    stores.add(&req.store, &req.certs)?;
    let verifier = Verifier::from_memory(&req.policy, stores)?;
    let registry = open_registry(
        &req.reference,
        RegistryOptions {
            plain_http: req.plain_http,
            ..RegistryOptions::default()
        },
    )?;
    let outcome = verifier.verify(&registry, &req.reference).await?;
    Ok(format!(
        "{}/{}@{}",
        registry.registry(),
        registry.repository(),
        outcome.artifact_digest
    ))
}

#[tokio::main]
async fn main() {
    let result = match request() {
        Err(e) => Err(e),
        Ok(req) => match tokio::time::timeout(req.timeout, verify(&req)).await {
            Err(_) => Err(format!(
                "{}: verification timed out after {:?}",
                req.reference, req.timeout
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(digest)) => Ok(digest),
        },
    };
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("Error: {}", e.replace('\n', " "));
            std::process::exit(1);
        }
    }
}
