//! The library's examples, built and run as a user runs them: `sign_layout` signs a copy of
//! a test layout with a `notation cert generate-test` key, `notation copy` pushes it to a
//! real registry, and `verify_registry` verifies it there against an in-memory policy and
//! PEM trust store.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, notation, testdata_layout, ConfigHome};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The digest `v1` of testdata/layouts/single-platform resolves to.
const V1: &str = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";

/// Build example `name` with the cargo running this test, into the same target dir and
/// profile (up to date after `cargo build --examples`), and return its path.
fn example(name: &str) -> PathBuf {
    // The test binary lives in <target>/<profile dir>/deps; examples in .../examples.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev",
        other => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--profile", profile, "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
    profile_dir.join("examples").join(name)
}

fn run(exe: &Path, args: &[&str]) -> Output {
    std::process::Command::new(exe)
        .args(args)
        .env_remove("VERIFY_REFERENCE")
        .env_remove("VERIFY_POLICY")
        .env_remove("VERIFY_CERTS")
        .output()
        .expect("example runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `notation cert generate-test <name>` in `home`: the key and certificate files.
fn generate_test_key(home: &ConfigHome, work: &Path, name: &str) -> (PathBuf, PathBuf) {
    notation(work, home)
        .args(["cert", "generate-test", name])
        .assert()
        .success();
    let keys = home.notation_dir().join("localkeys");
    (
        keys.join(format!("{name}.key")),
        keys.join(format!("{name}.crt")),
    )
}

/// A strict policy for `scope` trusting the store `ca:admission`.
fn policy(scope: &str) -> String {
    serde_json::json!({
        "version": "1.0",
        "trustPolicies": [{
            "name": "admission",
            "registryScopes": [scope],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:admission"],
            "trustedIdentities": ["*"]
        }]
    })
    .to_string()
}

#[test]
fn sign_layout_then_verify_registry() {
    let (sign, verify) = (example("sign_layout"), example("verify_registry"));
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    let home = ConfigHome::empty();
    let (key, cert) = generate_test_key(&home, work.path(), "signer");
    let (_, other_cert) = generate_test_key(&home, work.path(), "other");
    let layout = work.path().join("layout");
    copy_tree(&testdata_layout("single-platform"), &layout);

    let reference = format!("{}:v1", layout.display());
    let out = run(
        &sign,
        &[&reference, key.to_str().unwrap(), cert.to_str().unwrap()],
    );
    assert!(out.status.success(), "sign_layout: {}", text(&out.stderr));
    let signature = text(&out.stdout);
    assert!(signature.starts_with("sha256:"), "{signature}");

    let repository = format!("{}/app", reg.host());
    notation(work.path(), &home)
        .args(["copy", "-r", "--from-oci-layout", "layout:v1"])
        .arg(format!("{repository}:v1"))
        .arg("--insecure-registry")
        .assert()
        .success();
    let policy_file = work.path().join("policy.json");
    std::fs::write(&policy_file, policy(&repository)).unwrap();
    let image = format!("{repository}:v1");
    let out = run(
        &verify,
        &[
            &image,
            policy_file.to_str().unwrap(),
            cert.to_str().unwrap(),
            "--plain-http",
        ],
    );
    assert!(
        out.status.success(),
        "verify_registry: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), format!("{repository}@{V1}\n"));

    // The same request from the environment (as a webhook's deployment sets it), with a
    // certificate that did not sign.
    let out = std::process::Command::new(&verify)
        .env("VERIFY_REFERENCE", &image)
        .env("VERIFY_POLICY", &policy_file)
        .env("VERIFY_CERTS", &other_cert)
        .env("VERIFY_PLAIN_HTTP", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("Error: {image}: signature verification failed")),
        "{stderr}"
    );
    assert!(stderr.contains("authenticity failed"), "{stderr}");
}
