//! Revocation checking through the real binary: a test PKI made with openssl, a real OCSP
//! responder (`openssl ocsp`) and CRLs from `openssl ca -gencrl` over HTTP; signatures made
//! by our own `notation sign` with the PKI's leaf, verified with the root in a `ca:` store.

mod common;

use common::revocation::{openssl_time, Ca, Pki, RevInfo};
use common::{copy_tree, interop_dir, notation, ConfigHome};
use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A config home with the PKI's root trusted and a layout signed with `leaf`.
struct Signed {
    home: ConfigHome,
    work: tempfile::TempDir,
}

impl Signed {
    fn new(pki: &Pki, leaf: &str) -> Signed {
        let home = ConfigHome::empty();
        let work = tempfile::tempdir().unwrap();
        copy_tree(
            &interop_dir().join("cases/unsigned/layout"),
            &work.path().join("layout"),
        );
        let key = pki.path().join(format!("{leaf}.key"));
        let chain = pki.path().join(format!("{leaf}.chain.pem"));
        notation(work.path(), &home)
            .args(["key", "add", "rev", "--default", "--key-file"])
            .arg(&key)
            .arg("--cert-file")
            .arg(&chain)
            .assert()
            .success();
        notation(work.path(), &home)
            .args(["sign", "--key", "rev", "--oci-layout", "layout:v1"])
            .assert()
            .success();
        let store = home.notation_dir().join("truststore/x509/ca/test");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::copy(pki.path().join("root.crt"), store.join("root.crt")).unwrap();
        Signed { home, work }
    }

    /// `notation verify` under a policy with `level` and an optional `override` object.
    fn verify(&self, level: &str, overrides: Option<&str>, extra: &[&str]) -> Output {
        let over = overrides
            .map(|o| format!(r#","override":{o}"#))
            .unwrap_or_default();
        let policy = format!(
            r#"{{"version":"1.0","trustPolicies":[{{"name":"rev","registryScopes":["local/rev"],"signatureVerification":{{"level":"{level}"{over}}},"trustStores":["ca:test"],"trustedIdentities":["*"]}}]}}"#
        );
        std::fs::write(self.home.notation_dir().join("trustpolicy.json"), policy).unwrap();
        notation(self.work.path(), &self.home)
            .args([
                "verify",
                "--oci-layout",
                "--scope",
                "local/rev",
                "layout:v1",
            ])
            .args(extra)
            .output()
            .unwrap()
    }

    /// `{NOTATION_CACHE}/crl`.
    fn crl_cache(&self) -> PathBuf {
        self.home.path().join("cache/notation/crl")
    }
}

fn cache_file(dir: &Path, url: &str) -> PathBuf {
    dir.join(hex::encode(sha2::Sha256::digest(url.as_bytes())))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_verified(o: &Output) {
    assert!(
        o.status.success(),
        "expected success, stderr: {}",
        stderr(o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Successfully verified signature"));
}

#[track_caller]
fn assert_rejected(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "expected {needle:?} in stderr: {}",
        stderr(o)
    );
}

fn revoked_text(subject: &str) -> String {
    format!("signing certificate with subject {subject:?} is revoked")
}

fn unknown_text(subject: &str) -> String {
    format!("signing certificate with subject {subject:?} revocation status is unknown")
}

/// OCSP good passes; a revoked leaf fails under strict, is a warning under audit and is
/// not looked at when the policy skips revocation.
#[test]
fn ocsp_good_and_revoked_per_level() {
    let pki = Pki::new(RevInfo::None);
    pki.leaf("good", RevInfo::Ocsp);
    let bad = pki.leaf("bad", RevInfo::Ocsp);
    pki.revoke(Ca::Intermediate, "bad");
    let _responder = pki.start_ocsp(true);

    let good = Signed::new(&pki, "good");
    assert_verified(&good.verify("strict", None, &[]));

    let signed = Signed::new(&pki, "bad");
    let strict = signed.verify("strict", None, &[]);
    assert_rejected(&strict, &revoked_text(&bad));
    let permissive = signed.verify("permissive", None, &[]);
    assert_verified(&permissive);
    let audit = signed.verify("audit", None, &[]);
    assert_verified(&audit);
    assert!(stderr(&audit).contains(&format!(
        "Warning: revocation was set to \"log\" and failed with error: {}",
        revoked_text(&bad)
    )));
    let skipped = signed.verify("strict", Some(r#"{"revocation":"skip"}"#), &[]);
    assert_verified(&skipped);
    assert!(
        !stderr(&skipped).contains("revoked"),
        "{}",
        stderr(&skipped)
    );
    // "log" for revocation alone under strict.
    let logged = signed.verify("strict", Some(r#"{"revocation":"log"}"#), &[]);
    assert_verified(&logged);
    assert!(stderr(&logged).contains(&revoked_text(&bad)));
}

/// A responder that is down leaves the status unknown: enforced under strict, logged
/// under permissive, with the server error in the `-v` log.
#[test]
fn ocsp_responder_down_is_unknown() {
    let pki = Pki::new(RevInfo::None);
    let leaf = pki.leaf("leaf", RevInfo::Ocsp);
    let signed = Signed::new(&pki, "leaf");
    assert_rejected(&signed.verify("strict", None, &[]), &unknown_text(&leaf));
    let permissive = signed.verify("permissive", None, &["-v"]);
    assert_verified(&permissive);
    let err = stderr(&permissive);
    assert!(err.contains(&format!(
        "Warning: revocation was set to \"log\" and failed with error: {}",
        unknown_text(&leaf)
    )));
    assert!(
        err.contains(&format!(
            "level=error msg=Certificate #1 in chain with subject {leaf:?} encountered an error for revocation method OCSP at URL \"http://127.0.0.1:{0}\": Get \"http://127.0.0.1:{0}/",
            pki.ocsp_port
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "dial tcp 127.0.0.1:{}: connect: connection refused",
            pki.ocsp_port
        )),
        "{err}"
    );
    assert_verified(&signed.verify("strict", Some(r#"{"revocation":"skip"}"#), &[]));
}

/// Responses without nextUpdate count as expired (upstream), so the status is unknown.
#[test]
fn ocsp_response_without_next_update_is_unknown() {
    let pki = Pki::new(RevInfo::None);
    let leaf = pki.leaf("leaf", RevInfo::Ocsp);
    let _responder = pki.start_ocsp(false);
    let signed = Signed::new(&pki, "leaf");
    let out = signed.verify("strict", None, &["-d"]);
    assert_rejected(&out, &unknown_text(&leaf));
    assert!(
        stderr(&out).contains("expired OCSP response"),
        "{}",
        stderr(&out)
    );
}

/// Responses signed by a certificate the issuer did not delegate OCSP signing to (here a
/// code-signing leaf of the same CA) are not trusted: the status is unknown.
#[test]
fn ocsp_responder_without_ocsp_signing_eku_is_not_trusted() {
    let pki = Pki::new(RevInfo::None);
    let leaf = pki.leaf("leaf", RevInfo::Ocsp);
    pki.leaf("impostor", RevInfo::None);
    let _responder = pki.start_ocsp_signed_by("impostor", true);
    let signed = Signed::new(&pki, "leaf");
    let out = signed.verify("strict", None, &["-v"]);
    assert_rejected(&out, &unknown_text(&leaf));
    assert!(
        stderr(&out).contains("bad OCSP signature"),
        "{}",
        stderr(&out)
    );
}

/// CRL good passes, CRL revoked fails; the CRL lands in the cache under upstream's name
/// and format.
#[test]
fn crl_good_and_revoked() {
    let pki = Pki::new(RevInfo::None);
    pki.leaf("good", RevInfo::Crl);
    let bad = pki.leaf("bad", RevInfo::Crl);
    pki.revoke(Ca::Intermediate, "bad");
    let published = pki.publish_crl(Ca::Intermediate, &[]);

    let good = Signed::new(&pki, "good");
    assert_verified(&good.verify("strict", None, &[]));
    let entry = std::fs::read(cache_file(
        &good.crl_cache(),
        &pki.crl_url(Ca::Intermediate),
    ))
    .expect("CRL cached");
    let json: serde_json::Value = serde_json::from_slice(&entry).unwrap();
    use base64::Engine as _;
    let base = base64::engine::general_purpose::STANDARD
        .decode(json["baseCRL"].as_str().unwrap())
        .unwrap();
    assert_eq!(base, published);
    assert!(json.get("deltaCRL").is_none());

    let signed = Signed::new(&pki, "bad");
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&bad));
    let audit = signed.verify("audit", None, &[]);
    assert_verified(&audit);
    assert!(stderr(&audit).contains(&revoked_text(&bad)));
}

/// A cached CRL is used while effective (no download, server down is fine), an expired
/// one is refetched and the entry refreshed, and a broken entry is discarded with
/// upstream's warning.
#[test]
fn crl_cache_hit_expiry_and_refresh() {
    let pki = Pki::new(RevInfo::None);
    let leaf = pki.leaf("leaf", RevInfo::Crl);
    let url = pki.crl_url(Ca::Intermediate);
    let signed = Signed::new(&pki, "leaf");
    let entry = cache_file(&signed.crl_cache(), &url);

    // First run downloads and caches; the second is served from the cache.
    assert_verified(&signed.verify("strict", None, &[]));
    assert_eq!(pki.crl_server.requests(), 1);
    let cached = std::fs::read(&entry).unwrap();
    let hit = signed.verify("strict", None, &["-d"]);
    assert_verified(&hit);
    assert_eq!(pki.crl_server.requests(), 1, "{}", stderr(&hit));

    // An expired entry is a miss: the CRL is downloaded again and the entry replaced.
    let expired = pki.make_crl(
        Ca::Intermediate,
        &[
            "-crl_lastupdate",
            &openssl_time(-7200),
            "-crl_nextupdate",
            &openssl_time(-3600),
        ],
    );
    write_entry(&entry, &expired);
    let fresh = pki.publish_crl(Ca::Intermediate, &[]);
    let refetch = signed.verify("strict", None, &["-d"]);
    assert_verified(&refetch);
    assert_eq!(pki.crl_server.requests(), 2);
    assert!(
        stderr(&refetch).contains("has expired at"),
        "{}",
        stderr(&refetch)
    );
    assert_eq!(entry_base(&entry), fresh);
    assert_ne!(std::fs::read(&entry).unwrap(), cached);

    // While the cached CRL is effective a newer revocation is not seen…
    pki.revoke(Ca::Intermediate, "leaf");
    pki.publish_crl(Ca::Intermediate, &[]);
    assert_verified(&signed.verify("strict", None, &[]));
    assert_eq!(pki.crl_server.requests(), 2);
    // …and a broken entry is discarded with a warning, then refreshed from the server.
    std::fs::write(&entry, b"not json").unwrap();
    let broken = signed.verify("strict", None, &[]);
    assert_rejected(&broken, &revoked_text(&leaf));
    assert!(stderr(&broken).contains(
        "Warning: CRL cache error discarded. Enable debug log through '-d' for error details."
    ));
    assert_eq!(pki.crl_server.requests(), 3);

    // With the server down an effective cache entry still answers; an expired one cannot.
    pki.crl_server.stop();
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&leaf));
    write_entry(&entry, &expired);
    assert_rejected(&signed.verify("strict", None, &[]), &unknown_text(&leaf));
}

/// A base CRL with a Freshest CRL extension brings in the delta CRL: a revocation listed
/// only in the delta counts, and both CRLs are cached together.
#[test]
fn delta_crl_revocations_count() {
    let pki = Pki::new(RevInfo::None);
    pki.leaf("good", RevInfo::Crl);
    let bad = pki.leaf("bad", RevInfo::Crl);
    let (base, delta) = pki.publish_base_and_delta(|pki| pki.revoke(Ca::Intermediate, "bad"));

    let good = Signed::new(&pki, "good");
    assert_verified(&good.verify("strict", None, &[]));
    assert_eq!(pki.crl_server.requests(), 2, "base and delta downloaded");
    let entry = cache_file(&good.crl_cache(), &pki.crl_url(Ca::Intermediate));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    use base64::Engine as _;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    assert_eq!(b64(&json["baseCRL"]), base);
    assert_eq!(b64(&json["deltaCRL"]), delta);

    let signed = Signed::new(&pki, "bad");
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&bad));
    // The delta is needed: without it the status cannot be determined.
    std::fs::remove_file(pki.crl_server.root.join("int-delta.crl")).unwrap();
    std::fs::remove_dir_all(signed.crl_cache()).unwrap();
    assert_rejected(&signed.verify("strict", None, &[]), &unknown_text(&bad));
}

/// An invalidity date after the authentic signing time (signingAuthority scheme) means
/// "not revoked yet" for both OCSP and CRL; without a signing time it is revoked. Checked
/// through the library API, since `notation sign` only makes `notary.x509` signatures.
#[tokio::test]
async fn invalidity_date_is_compared_with_the_authentic_signing_time() {
    use notation::revocation::{final_result, Purpose, Status, Validator};
    let pki = Pki::new(RevInfo::None);
    pki.leaf("crl", RevInfo::Crl);
    pki.leaf("by-ocsp", RevInfo::Ocsp);
    let invalid_from = openssl_time(3600);
    pki.revoke_compromised(Ca::Intermediate, "crl", &invalid_from);
    pki.revoke_compromised(Ca::Intermediate, "by-ocsp", &invalid_from);
    pki.publish_crl(Ca::Intermediate, &[]);
    let _responder = pki.start_ocsp(true);
    let validator = Validator::new(None);
    let now = time::OffsetDateTime::now_utc();
    for leaf in ["crl", "by-ocsp"] {
        let chain = pki.chain(leaf);
        for (signing_time, expected) in [
            (None, Status::Revoked),
            (Some(now), Status::Ok),
            (Some(now + time::Duration::hours(2)), Status::Revoked),
        ] {
            let results = validator
                .validate(&chain, Purpose::CodeSigning, signing_time)
                .await
                .unwrap();
            let verdict = final_result(&results, &chain);
            assert_eq!(
                verdict.status, expected,
                "{leaf} at {signing_time:?}: {results:?}"
            );
        }
    }
    // The TSA purpose re-checks the chain for timestamping: a code-signing leaf is refused.
    let err = validator
        .validate(&pki.chain("crl"), Purpose::Timestamping, None)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid chain: "), "{err}");
}

/// certificateHold revokes; a later removeFromCRL entry (here in the delta CRL) lifts it.
#[test]
fn certificate_hold_and_remove_from_crl() {
    let pki = Pki::new(RevInfo::None);
    let held = pki.leaf("held", RevInfo::Crl);
    pki.hold(Ca::Intermediate, "held");
    pki.publish_crl(Ca::Intermediate, &[]);
    let signed = Signed::new(&pki, "held");
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&held));

    pki.publish_base_and_delta(|pki| pki.remove_from_crl("held"));
    std::fs::remove_dir_all(signed.crl_cache()).unwrap();
    assert_verified(&signed.verify("strict", None, &[]));
}

fn write_entry(path: &Path, crl: &[u8]) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(crl);
    std::fs::write(path, format!("{{\"baseCRL\":\"{b64}\"}}\n")).unwrap();
}

fn entry_base(path: &Path) -> Vec<u8> {
    use base64::Engine as _;
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(json["baseCRL"].as_str().unwrap())
        .unwrap()
}

/// With OCSP unavailable, a certificate that also has a CDP is decided by its CRL.
#[test]
fn ocsp_unknown_falls_back_to_crl() {
    let pki = Pki::new(RevInfo::None);
    let good = pki.leaf("good", RevInfo::OcspAndCrl);
    let bad = pki.leaf("bad", RevInfo::OcspAndCrl);
    pki.revoke(Ca::Intermediate, "bad");
    pki.publish_crl(Ca::Intermediate, &[]);
    // No OCSP responder is running.
    let signed = Signed::new(&pki, "good");
    let out = signed.verify("strict", None, &["-v"]);
    assert_verified(&out);
    assert!(
        stderr(&out).contains(&format!("OCSP check failed with unknown error and fallback to CRL check for certificate #1 in chain with subject {good:?}")),
        "{}",
        stderr(&out)
    );
    let signed = Signed::new(&pki, "bad");
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&bad));
    // With the responder up, OCSP answers and the CRL is not needed.
    let before = pki.crl_server.requests();
    let _responder = pki.start_ocsp(true);
    assert_rejected(&signed.verify("strict", None, &[]), &revoked_text(&bad));
    assert_eq!(pki.crl_server.requests(), before);
}

/// Only the intermediate has revocation information (a CDP to the root's CRL): the leaf is
/// non-revokable (warned about with -v), the intermediate is checked.
#[test]
fn chain_where_only_some_certificates_have_revocation_info() {
    let pki = Pki::new(RevInfo::Crl);
    let leaf = pki.leaf("leaf", RevInfo::None);
    let signed = Signed::new(&pki, "leaf");
    let out = signed.verify("strict", None, &["-v"]);
    assert_verified(&out);
    assert!(
        stderr(&out).contains(&format!(
            "Certificate #1 in the chain with subject {leaf:?} neither has an OCSP nor a CRL revocation method."
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(pki.crl_server.requests(), 1);

    pki.revoke(Ca::Root, "int");
    pki.publish_crl(Ca::Root, &[]);
    std::fs::remove_dir_all(signed.crl_cache()).unwrap();
    assert_rejected(
        &signed.verify("strict", None, &[]),
        &revoked_text(pki.intermediate_subject()),
    );
}

/// The revocation log lines of every recorded `verify -v` run of Go notation (chains
/// without revocation information: one warning per non-root certificate, root side
/// first; none when an earlier check failed) are reproduced exactly and in order.
#[test]
fn verbose_revocation_lines_match_go_notation() {
    let revocation_lines = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.contains("revocation method"))
            .map(str::to_owned)
            .collect()
    };
    let checks: Vec<_> = common::checks("verify")
        .into_iter()
        .filter(|c| c.args.iter().any(|a| a == "-v"))
        .filter(|c| {
            c.expected
                .iter()
                .any(|e| !revocation_lines(&e.stderr).is_empty())
        })
        .collect();
    assert!(
        checks.len() > 10,
        "too few verbose checks: {}",
        checks.len()
    );
    for check in checks {
        let home = ConfigHome::interop(check.policy.as_deref());
        let out = notation(&check.cwd, &home)
            .args(&check.args)
            .output()
            .unwrap();
        let ours = revocation_lines(&stderr(&out));
        assert!(
            check
                .expected
                .iter()
                .any(|e| revocation_lines(&e.stderr) == ours),
            "{}: ours {ours:#?}\nGo's {:#?}",
            check.name,
            revocation_lines(&check.expected[0].stderr)
        );
    }
}

/// A responder that accepts connections but never answers runs into the 2 s OCSP
/// timeout: unknown, with upstream's timeout text in the log.
#[test]
fn ocsp_timeout_is_unknown() {
    let pki = Pki::new(RevInfo::None);
    let leaf = pki.leaf("leaf", RevInfo::Ocsp);
    let signed = Signed::new(&pki, "leaf");
    // Bound but never accepting: the kernel completes connections, nobody answers.
    let _silent = std::net::TcpListener::bind(("127.0.0.1", pki.ocsp_port)).unwrap();
    let start = std::time::Instant::now();
    let out = signed.verify("strict", None, &["-v"]);
    let elapsed = start.elapsed();
    assert_rejected(&out, &unknown_text(&leaf));
    assert!(
        stderr(&out).contains("exceeded timeout threshold of 2.00 seconds for OCSP check"),
        "{}",
        stderr(&out)
    );
    assert!(
        elapsed >= std::time::Duration::from_secs(2)
            && elapsed < std::time::Duration::from_secs(10),
        "{elapsed:?}"
    );
}

/// When the CRL cache directory cannot be created, verify warns as upstream does and
/// checks without a cache.
#[test]
fn unusable_crl_cache_dir_warns_and_checks_without_cache() {
    let pki = Pki::new(RevInfo::None);
    pki.leaf("leaf", RevInfo::Crl);
    let signed = Signed::new(&pki, "leaf");
    let notation_cache = signed.home.path().join("cache/notation");
    let _ = std::fs::remove_dir_all(&notation_cache);
    std::fs::write(&notation_cache, b"a file, not a directory").unwrap();
    for run in 1..=2 {
        let out = signed.verify("strict", None, &[]);
        assert_verified(&out);
        assert!(
            stderr(&out).contains("Warning: failed to create crl file cache: "),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            pki.crl_server.requests(),
            run,
            "no cache: one download per run"
        );
    }
}
