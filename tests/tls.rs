//! Registries over TLS with the certificates people make: `openssl req -x509` self-signed
//! certificates (CA:TRUE by default) trusted through `SSL_CERT_FILE` or `--ca-file`, and
//! refusals printed in Go's words (`crypto/x509`, `crypto/tls`, `net/http`).

mod common;

use common::registry::{Config, ServerCert, TestRegistry};
use common::{copy_tree, notation, testdata_layout, ConfigHome};
use std::path::Path;

/// A TLS registry serving `cert`.
fn tls_registry(cert: ServerCert) -> TestRegistry {
    TestRegistry::start(Config {
        tls: true,
        server_cert: cert,
        ..Config::default()
    })
}

fn openssl_self_signed(san: &str) -> TestRegistry {
    tls_registry(ServerCert::SelfSigned { san: san.into() })
}

/// Exit code, stdout and stderr of `notation <args>` with `env` set.
fn run(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> (i32, String, String) {
    let home = ConfigHome::empty();
    let mut cmd = notation(cwd, &home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `notation list <host>/app:v1` must fail with exit 1 and this one line after Go's
/// `Head "<url>": ` prefix.
fn assert_list_refused(reg: &TestRegistry, env: &[(&str, &Path)], cause: &str) {
    let work = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        work.path(),
        env,
        &["list", &format!("{}/app:v1", reg.host())],
    );
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            1,
            "",
            format!(
                "Error: failed to get manifest descriptor: Head \"https://{}/v2/app/manifests/v1\": {cause}\n",
                reg.host()
            )
            .as_str()
        )
    );
}

/// Copy the test image into `reg` and list it, trusting the registry's CA through
/// `SSL_CERT_FILE`; returns the reference.
fn copy_in_and_list(reg: &TestRegistry, work: &Path) -> String {
    copy_tree(&testdata_layout("single-platform"), &work.join("src"));
    let dest = format!("{}/app:v1", reg.host());
    let ca = reg.ca_file();
    let trust = [("SSL_CERT_FILE", ca.as_path())];
    let (code, stdout, stderr) = run(
        work,
        &trust,
        &["copy", "--from-oci-layout", "src:v1", &dest],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Copied src@sha256:"), "{stdout}");
    let (code, stdout, stderr) = run(work, &trust, &["list", &dest]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("has no associated signature"), "{stdout}");
    dest
}

#[test]
fn openssl_self_signed_ca_true_certificate_is_trusted_like_go() {
    let reg = openssl_self_signed("IP:127.0.0.1");
    let work = tempfile::tempdir().unwrap();
    let dest = copy_in_and_list(&reg, work.path());

    // --ca-file trusts it the same way, without SSL_CERT_FILE.
    let ca_arg = reg.ca_file().display().to_string();
    let (code, stdout, stderr) = run(
        work.path(),
        &[],
        &[
            "copy",
            &dest,
            "--to-oci-layout",
            "back:v1",
            "--ca-file",
            &ca_arg,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let copied = format!("Copied {}/app@sha256:", reg.host());
    assert!(stdout.starts_with(&copied), "{stdout}");
}

#[test]
fn ca_true_server_certificate_issued_by_a_trusted_ca_is_trusted_like_go() {
    let reg = tls_registry(ServerCert::CaSignedCaTrue);
    let work = tempfile::tempdir().unwrap();
    copy_in_and_list(&reg, work.path());
}

#[test]
fn untrusted_certificate_is_signed_by_unknown_authority() {
    let reg = openssl_self_signed("IP:127.0.0.1");
    let empty = tempfile::NamedTempFile::new().unwrap();
    let cause = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    // Whatever the system trusts (SSL_CERT_FILE unset), and with no roots at all.
    assert_list_refused(&reg, &[], cause);
    assert_list_refused(&reg, &[("SSL_CERT_FILE", empty.path())], cause);
}

#[test]
fn regenerated_certificate_with_the_same_name_gets_go_s_hint() {
    // The trusted file holds an older certificate with the same subject: Go names it.
    let old = openssl_self_signed("IP:127.0.0.1");
    let reg = openssl_self_signed("IP:127.0.0.1");
    assert_list_refused(
        &reg,
        &[("SSL_CERT_FILE", old.ca_file().as_path())],
        "tls: failed to verify certificate: x509: certificate signed by unknown authority \
         (possibly because of \"crypto/rsa: verification error\" while trying to verify \
         candidate authority certificate \"x\")",
    );
}

#[test]
fn certificate_for_another_name_says_what_it_is_valid_for() {
    let reg = openssl_self_signed("IP:10.1.2.3,IP:::1");
    let ca = reg.ca_file();
    assert_list_refused(
        &reg,
        &[("SSL_CERT_FILE", ca.as_path())],
        "tls: failed to verify certificate: x509: certificate is valid for 10.1.2.3, ::1, not 127.0.0.1",
    );
    // Go checks the name before the issuer: untrusted, the name is still what it reports.
    assert_list_refused(
        &reg,
        &[],
        "tls: failed to verify certificate: x509: certificate is valid for 10.1.2.3, ::1, not 127.0.0.1",
    );

    let reg = openssl_self_signed("DNS:registry.example");
    let ca = reg.ca_file();
    assert_list_refused(
        &reg,
        &[("SSL_CERT_FILE", ca.as_path())],
        "tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    );
}

#[test]
fn expired_certificate_says_when() {
    let reg = tls_registry(ServerCert::Expired);
    let ca = reg.ca_file();
    let work = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        work.path(),
        &[("SSL_CERT_FILE", ca.as_path())],
        &["list", &format!("{}/app:v1", reg.host())],
    );
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    let prefix = format!(
        "Error: failed to get manifest descriptor: Head \"https://{}/v2/app/manifests/v1\": \
         tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ",
        reg.host()
    );
    let rest = stderr
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{stderr}"));
    // `<now, RFC 3339> is after 2020-12-31T00:00:00Z`
    let (now, end) = rest.split_once(' ').unwrap();
    assert!(
        time::OffsetDateTime::parse(now, &time::format_description::well_known::Rfc3339).is_ok(),
        "{stderr}"
    );
    assert_eq!(end, "is after 2020-12-31T00:00:00Z\n");
}

#[test]
fn plain_http_registry_addressed_over_https_says_so() {
    let reg = TestRegistry::start(Config::default());
    assert_list_refused(&reg, &[], "http: server gave HTTP response to HTTPS client");
}
