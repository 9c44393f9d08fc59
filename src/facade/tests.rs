//! The facade against real layouts, keys and policies.

use super::*;
use crate::testcert::{generate, TestCertificate};

const APP: &str = "example.com/app:v1";

fn policy(level: &str, store: &str) -> String {
    serde_json::json!({
        "version": "1.0",
        "trustPolicies": [{
            "name": "app",
            "registryScopes": ["example.com/app"],
            "signatureVerification": {"level": level},
            "trustStores": [store],
            "trustedIdentities": ["*"]
        }]
    })
    .to_string()
}

/// A writable copy of testdata/layouts/single-platform (`v1`) in `dir`.
async fn layout(dir: &Path) -> Layout {
    let source = Layout::open(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/layouts/single-platform"),
    )
    .unwrap();
    let layout = Layout::create(&dir.join("app")).unwrap();
    copy(&source, &layout, APP, &["v1"], &CopyOptions::default())
        .await
        .unwrap();
    layout
}

fn verifier(level: &str, cert: &TestCertificate) -> Verifier {
    let mut stores = TrustStoreSet::new();
    stores.add("ca:app", cert.cert_pem.as_bytes()).unwrap();
    Verifier::from_memory(&policy(level, "ca:app"), stores).unwrap()
}

#[tokio::test]
async fn cose_signature_verifies_with_every_check_reported() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path()).await;
    let cert = generate("app", 2048, 1).unwrap();
    let signer = Signer::from_pem(cert.key_pem.as_bytes(), cert.cert_pem.as_bytes())
        .unwrap()
        .format(Format::Cose)
        .user_metadata("team", "blue");
    let digest = signer.sign(&layout, "layout-path:v1").await.unwrap();

    let outcome = verifier("strict", &cert)
        .user_metadata("team", "blue")
        .verify(&layout, APP)
        .await
        .unwrap();
    assert_eq!((outcome.policy.as_str(), outcome.level), ("app", "strict"));
    let sig = outcome.signature.unwrap();
    assert_eq!(sig.manifest_digest, digest);
    assert_eq!(sig.signer_chain, vec![cert.cert_der.clone()]);
    assert!(sig.signer.contains("CN=app"), "{}", sig.signer);
    assert_eq!(
        sig.user_metadata.get("team").map(String::as_str),
        Some("blue")
    );
    let checks: Vec<_> = sig.checks.iter().map(|c| c.check).collect();
    assert!(checks.contains(&CheckType::Authenticity), "{checks:?}");
    assert!(
        sig.checks.iter().all(|c| c.error.is_none()),
        "{:?}",
        sig.checks
    );
}

#[tokio::test]
async fn untrusted_signer_fails_with_the_reason_and_skip_checks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path()).await;
    let cert = generate("app", 2048, 1).unwrap();
    let other = generate("other", 2048, 1).unwrap();
    let signer = Signer::from_pem(cert.key_pem.as_bytes(), cert.cert_pem.as_bytes()).unwrap();
    signer.sign(&layout, APP).await.unwrap();

    let e = verifier("strict", &other)
        .verify(&layout, APP)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Verify { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.starts_with(APP), "{text}");
    assert!(text.contains("authenticity failed"), "{text}");

    let skip = r#"{"version": "1.0", "trustPolicies": [{"name": "app",
        "registryScopes": ["*"], "signatureVerification": {"level": "skip"}}]}"#;
    let outcome = Verifier::from_memory(skip, TrustStoreSet::new())
        .unwrap()
        .verify(&layout, APP)
        .await
        .unwrap();
    assert!(outcome.signature.is_none());
    assert_eq!(outcome.level, "skip");
}

#[tokio::test]
async fn references_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path()).await;
    let cert = generate("app", 2048, 1).unwrap();
    let v = verifier("strict", &cert);
    let zeros = format!("example.com/app@sha256:{}", "0".repeat(64));
    assert!(matches!(
        v.verify(&layout, &zeros).await.unwrap_err(),
        Error::Target { .. }
    ));
    assert!(matches!(
        v.verify(&layout, "no-tag").await.unwrap_err(),
        Error::Reference(_)
    ));
    assert!(matches!(
        v.verify(&layout, "example.com/app:missing")
            .await
            .unwrap_err(),
        Error::Target { .. }
    ));
}

/// Web servers run handlers on a multi-threaded runtime: verifying and signing must be
/// `Send` futures and a `Verifier` shareable between tasks (checked at compile time).
#[allow(dead_code)]
fn futures_are_send<'a>(
    verifier: &'a Verifier,
    signer: &'a Signer,
    target: &'a dyn Target,
) -> (impl Send + 'a, impl Send + 'a, impl Send + Sync + 'a) {
    (
        verifier.verify(target, APP),
        signer.sign(target, APP),
        verifier,
    )
}

#[test]
fn trust_store_names_and_contents_are_checked() {
    let cert = generate("app", 2048, 1).unwrap();
    let mut stores = TrustStoreSet::new();
    for bad in ["app", "bogus:app", "ca:bad/name", "ca:"] {
        let e = stores.add(bad, cert.cert_pem.as_bytes()).unwrap_err();
        assert!(matches!(e, Error::TrustStoreName(_)), "{bad}: {e:?}");
    }
    let e = stores.add("ca:app", b"not a certificate").unwrap_err();
    assert!(matches!(e, Error::Certificate { .. }), "{e:?}");
    stores.add("tsa:app", &cert.cert_der).unwrap();
    assert_eq!(
        stores.load("tsa", "app").unwrap(),
        vec![cert.cert_der.clone()]
    );
    assert_eq!(
        stores.load("ca", "app").unwrap_err().message,
        "the trust store \"app\" of type \"ca\" does not exist"
    );
}

#[test]
fn policies_are_decoded_and_validated() {
    let stores = TrustStoreSet::new;
    let e = Verifier::from_memory("{", stores()).err().unwrap();
    assert!(matches!(
        e,
        Error::Policy(crate::policy::PolicyError::Malformed(_))
    ));
    let e = Verifier::from_memory(&policy("strict", "ca:app").replace("1.0", "2.0"), stores())
        .err()
        .unwrap();
    assert!(matches!(
        e,
        Error::Policy(crate::policy::PolicyError::Invalid(_))
    ));
    let e = Verifier::from_memory(
        &policy("strict", "ca:app").replace("strict", "lax"),
        stores(),
    )
    .err()
    .unwrap();
    assert!(matches!(e, Error::Policy(_)), "{e:?}");
}

#[tokio::test]
async fn config_dir_signer_and_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path()).await;
    let config = dir.path().join("notation");
    let cert = generate("app", 2048, 1).unwrap();
    let store = config.join("truststore/x509/ca/app");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("app.crt"), &cert.cert_pem).unwrap();
    let (key_path, cert_path) = (config.join("app.key"), config.join("app.crt"));
    std::fs::write(&key_path, &cert.key_pem).unwrap();
    std::fs::write(&cert_path, &cert.cert_pem).unwrap();
    let keys = serde_json::json!({
        "default": "app",
        "keys": [{"name": "app", "keyPath": key_path, "certPath": cert_path}]
    });
    std::fs::write(config.join("signingkeys.json"), keys.to_string()).unwrap();
    std::fs::write(
        config.join("trustpolicy.oci.json"),
        policy("strict", "ca:app"),
    )
    .unwrap();

    let signer = Signer::from_config_dir(&config, None).unwrap();
    let digest = signer.sign(&layout, APP).await.unwrap();
    let outcome = Verifier::from_config_dir(&config)
        .unwrap()
        .verify(&layout, APP)
        .await
        .unwrap();
    assert_eq!(outcome.signature.unwrap().manifest_digest, digest);
    assert!(matches!(
        Signer::from_config_dir(&config, Some("missing"))
            .err()
            .unwrap(),
        Error::SigningKeys(_)
    ));
}

#[tokio::test]
async fn der_key_and_chain_sign() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path()).await;
    let cert = generate("app", 2048, 1).unwrap();
    let key_der = crate::go::pem::pem_blocks(cert.key_pem.as_bytes())
        .remove(0)
        .contents;
    let signer = Signer::from_der(&key_der, &[&cert.cert_der]).unwrap();
    let digest = signer.sign(&layout, APP).await.unwrap();
    let outcome = verifier("strict", &cert)
        .verify(&layout, APP)
        .await
        .unwrap();
    assert_eq!(outcome.signature.unwrap().manifest_digest, digest);
    let e = Signer::from_der(b"junk", &[&cert.cert_der]).err().unwrap();
    assert!(matches!(e, Error::Sign { .. }), "{e:?}");
}
