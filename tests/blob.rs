//! `notation blob sign | verify | inspect | policy`, driving the binary: every key type and
//! format, upstream-signed envelopes verified as blob signatures, each rejection as one
//! `Error:` line, file modes and overwrite prompts, the blob trust policy commands.

mod common;
#[path = "hostile/cose.rs"]
mod hostile_cose;

use assert_cmd::Command;
use common::tsa::{Mode, Pki, Tsa};
use common::{copy_tree, interop_dir};
use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A temp dir holding a copy of the interop config (keys with absolute paths), a blob
/// `data.bin`, and a global strict blob policy trusting the interop root.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("notation");
        copy_tree(&interop_dir().join("config"), &config);
        let keys_path = config.join("signingkeys.json");
        let mut keys: Value = serde_json::from_slice(&fs::read(&keys_path).unwrap()).unwrap();
        for k in keys["keys"].as_array_mut().unwrap() {
            for field in ["keyPath", "certPath"] {
                if let Some(p) = k[field].as_str() {
                    k[field] = Value::String(config.join(p).display().to_string());
                }
            }
        }
        fs::write(&keys_path, serde_json::to_vec_pretty(&keys).unwrap()).unwrap();
        let env = Env { dir };
        fs::write(env.path().join("data.bin"), b"some blob content\n").unwrap();
        env.blob_policy(json!([{
            "name": "global", "globalPolicy": true,
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]
        }, {
            "name": "other-root",
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:other-root"], "trustedIdentities": ["*"]
        }, {
            "name": "skipping",
            "signatureVerification": {"level": "skip"}
        }]));
        env
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn blob_policy(&self, statements: Value) {
        let doc = json!({"version": "1.0", "trustPolicies": statements});
        fs::write(self.policy_path(), doc.to_string()).unwrap();
    }

    fn policy_path(&self) -> PathBuf {
        self.path().join("notation/trustpolicy.blob.json")
    }

    fn notation(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_notation"));
        cmd.current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"));
        cmd
    }

    fn run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, "")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let out = self
            .notation()
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap();
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn sign(&self, extra: &[&str]) -> Out {
        let mut args = vec!["blob", "sign"];
        args.extend_from_slice(extra);
        args.push("data.bin");
        self.run(&args)
    }

    fn verify(&self, signature: &str, extra: &[&str]) -> Out {
        let mut args = vec!["blob", "verify", "--signature", signature];
        args.extend_from_slice(extra);
        args.push("data.bin");
        self.run(&args)
    }
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Out {
    #[track_caller]
    fn assert_ok(&self) {
        assert!(
            self.ok,
            "failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
    }

    /// Failed with exactly one line on stderr, `Error: <expected>`.
    #[track_caller]
    fn assert_error(&self, expected: &str) {
        assert!(!self.ok, "unexpectedly succeeded: {}", self.stdout);
        assert_eq!(self.stderr, format!("Error: {expected}\n"));
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn inspect_json(env: &Env, signature: &str) -> Value {
    let out = env.run(&["blob", "inspect", "-o", "json", signature]);
    out.assert_ok();
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn every_key_type_and_format_signs_and_verifies() {
    let env = Env::new();
    for (key, hash) in [
        ("rsa2048", "sha256"),
        ("rsa3072", "sha384"),
        ("rsa4096", "sha512"),
        ("ecp256", "sha256"),
        ("ecp384", "sha384"),
        ("ecp521", "sha512"),
    ] {
        for format in ["jws", "cose"] {
            let sig = format!("data.bin.{format}.sig");
            let out = env.sign(&[
                "--key",
                key,
                "--signature-format",
                format,
                "-m",
                "build=42",
                "--force",
            ]);
            out.assert_ok();
            assert_eq!(
                out.stdout,
                format!("Successfully signed data.bin\n Signature file written to {sig}\n")
            );
            assert_eq!(
                out.stderr,
                "Warning: existing signature file will be overwritten\n"
            );
            assert_eq!(mode(&env.path().join(&sig)), 0o600);

            let inspected = inspect_json(&env, &sig);
            let artifact = &inspected["signedArtifact"];
            assert_eq!(artifact["mediaType"], "application/octet-stream");
            assert_eq!(artifact["size"], 18);
            let digest = artifact["digest"].as_str().unwrap();
            assert!(digest.starts_with(&format!("{hash}:")), "{key}: {digest}");
            assert_eq!(inspected["userDefinedAttributes"]["build"], "42");

            let out = env.verify(&sig, &["-m", "build=42"]);
            out.assert_ok();
            assert!(out
                .stdout
                .starts_with("Successfully verified signature for data.bin\n"));
            assert!(out.stdout.contains("build"), "{}", out.stdout);
            env.verify(&sig, &["-m", "build=43"]).assert_error(
                "signature verification failed: unable to find specified metadata in the signature",
            );
        }
    }
}

/// Upstream-signed OCI envelopes are detached signatures over the manifest bytes: with the
/// manifest as the blob they verify when the key's hash is SHA-256 (the manifest digest's
/// hash), and fail the blob comparison otherwise, as notation-go's `VerifyBlob`.
#[test]
fn upstream_envelopes_verify_as_blob_signatures_of_their_manifest() {
    let env = Env::new();
    for (case, format, expect_ok) in [
        ("rsa2048-jws", "jws", true),
        ("rsa2048-cose", "cose", true),
        ("ecp256-jws", "jws", true),
        ("ecp256-cose", "cose", true),
        ("rsa3072-jws", "jws", false),
        ("ecp384-cose", "cose", false),
    ] {
        let layout = interop_dir().join("cases").join(case).join("layout");
        let read_blob = |digest: &str| {
            let (alg, hex) = digest.split_once(':').unwrap();
            fs::read(layout.join("blobs").join(alg).join(hex)).unwrap()
        };
        let index: Value =
            serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
        let sig_entry = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                m["artifactType"] == "application/vnd.cncf.notary.signature"
                    || m["annotations"]
                        .get("io.cncf.notary.x509chain.thumbprint#S256")
                        .is_some()
            })
            .unwrap_or_else(|| panic!("{case}: no signature"));
        let sig_manifest: Value =
            serde_json::from_slice(&read_blob(sig_entry["digest"].as_str().unwrap())).unwrap();
        let envelope = read_blob(sig_manifest["layers"][0]["digest"].as_str().unwrap());
        let subject = &sig_manifest["subject"];
        fs::write(
            env.path().join("data.bin"),
            read_blob(subject["digest"].as_str().unwrap()),
        )
        .unwrap();
        let sig = format!("upstream.{format}.sig");
        fs::write(env.path().join(&sig), envelope).unwrap();
        let media_type = subject["mediaType"].as_str().unwrap();
        let out = env.verify(&sig, &["--media-type", media_type]);
        if expect_ok {
            out.assert_ok();
            assert_eq!(out.stdout, "Successfully verified signature for data.bin\n");
        } else {
            out.assert_error("signature verification failed: integrity check failed. signature does not match the given blob");
        }
    }
}

#[test]
fn rejections_are_one_error_line() {
    let env = Env::new();
    env.sign(&[]).assert_ok();
    let good = fs::read(env.path().join("data.bin.jws.sig")).unwrap();
    let mismatch = "signature verification failed: integrity check failed. signature does not match the given blob";

    env.verify("data.bin.jws.sig", &["--media-type", "text/plain"])
        .assert_error(mismatch);
    env.verify("data.bin.jws.sig", &["--media-type", "text/"])
        .assert_error("signature verification failed: invalid content media-type 'text/': mime: expected token after slash");
    env.verify("data.bin.jws.sig", &["--media-type="])
        .assert_error("--media-type is set but with empty value");
    env.verify("data.bin.jws.sig", &["--policy-name", "nope"])
        .assert_error(
            "signature verification failed: no applicable blob trust policy with name \"nope\"",
        );
    env.verify("data.bin.jws.sig", &["--policy-name", "other-root"])
        .assert_error("signature verification failed: the signature's certificate chain does not contain any trusted certificate");

    // Malformed signature file names.
    for (name, error) in [
        ("data.bin.jws", "invalid signature filename data.bin.jws. The file extension must be .sig"),
        ("data.sig", "invalid signature filename data.sig. A valid signature file name must contain signature format and .sig file extension"),
        ("data.bin.foo.sig", "signature format \"foo\" not supported\nSupported signature envelope formats are \"jws\" and \"cose\""),
    ] {
        fs::write(env.path().join(name), &good).unwrap();
        let out = env.verify(name, &[]);
        assert!(!out.ok);
        assert_eq!(out.stderr, format!("Error: {error}\n"));
    }
    // A JWS envelope named as COSE fails integrity.
    fs::write(env.path().join("wrong.cose.sig"), &good).unwrap();
    let out = env.verify("wrong.cose.sig", &[]);
    assert!(!out.ok);
    assert!(out.stderr.starts_with(
        "Error: signature verification failed: unable to parse the digital signature"
    ));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    // Missing files.
    env.verify("absent.jws.sig", &[])
        .assert_error("open absent.jws.sig: no such file or directory");
    env.run(&["blob", "verify", "-s", "data.bin.jws.sig", "absent.bin"])
        .assert_error("open absent.bin: no such file or directory");
    env.run(&["blob", "sign", "absent.bin"])
        .assert_error("open absent.bin: no such file or directory");
    // notation's PreRunE sees the empty path before cobra's required-flag check.
    env.run(&["blob", "verify", "data.bin"])
        .assert_error("filepath of the signature cannot be empty");

    // Tampered signature: one byte of the base64 signature changed.
    let mut env_json: Value = serde_json::from_slice(&good).unwrap();
    let s = env_json["signature"].as_str().unwrap().to_string();
    let flipped = if s.starts_with('A') { "B" } else { "A" };
    env_json["signature"] = Value::from(format!("{flipped}{}", &s[1..]));
    fs::write(env.path().join("tampered.jws.sig"), env_json.to_string()).unwrap();
    let out = env.verify("tampered.jws.sig", &[]);
    assert!(!out.ok);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out
        .stderr
        .starts_with("Error: signature verification failed: "));

    // Tampered blob.
    fs::write(env.path().join("data.bin"), b"some blob content!\n").unwrap();
    env.verify("data.bin.jws.sig", &[]).assert_error(mismatch);

    // A skip statement accepts anything without reading it.
    let out = env.verify("data.bin.jws.sig", &["--policy-name", "skipping"]);
    out.assert_ok();
    assert_eq!(
        out.stdout,
        "Trust policy is configured to skip signature verification for data.bin\n"
    );

    // No global statement; no blob policy at all.
    env.blob_policy(json!([{
        "name": "named",
        "signatureVerification": {"level": "strict"},
        "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]
    }]));
    env.verify("data.bin.jws.sig", &[])
        .assert_error("signature verification failed: no global blob trust policy");
    fs::remove_file(env.policy_path()).unwrap();
    env.verify("data.bin.jws.sig", &[]).assert_error(
        "trust policy is not present. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy",
    );
}

impl Out {
    #[track_caller]
    fn assert_error_starts(&self, prefix: &str) {
        assert!(!self.ok, "unexpectedly succeeded: {}", self.stdout);
        assert!(
            self.stderr.starts_with(&format!("Error: {prefix}")),
            "{}",
            self.stderr
        );
    }
}

#[test]
fn sign_flags_and_their_errors() {
    let env = Env::new();
    env.sign(&["--media-type", "bad type"]).assert_error(
        "invalid content media-type 'bad type': mime: expected slash after first token",
    );
    env.sign(&["--expiry", "-5m"])
        .assert_error("expiry duration cannot be a negative value");
    env.sign(&["-m", "io.cncf.notary.x=1"]).assert_error(
        "error adding user metadata: metadata key io.cncf.notary.x has reserved prefix io.cncf.notary",
    );
    env.sign(&["--key", "nope"])
        .assert_error_starts("signing key nope not found");
    env.sign(&["--signature-format", "xml"]).assert_error(
        "signature format \"xml\" not supported\nSupported signature envelope formats are \"jws\" and \"cose\"",
    );
    assert!(!env.path().join("data.bin.jws.sig").exists());
    env.run(&["blob", "sign"]).assert_error(
        "missing file path to the blob artifact: use `notation blob sign --help` to see what parameters are required",
    );

    // Media type and expiry land in the payload and the signed attributes.
    let out = env.sign(&[
        "--media-type",
        "text/plain; charset=utf-8",
        "--expiry",
        "2h",
    ]);
    out.assert_ok();
    let inspected = inspect_json(&env, "data.bin.jws.sig");
    assert_eq!(
        inspected["signedArtifact"]["mediaType"],
        "text/plain; charset=utf-8"
    );
    assert!(inspected["signedAttributes"]["expiry"].is_string());
    env.verify(
        "data.bin.jws.sig",
        &["--media-type", "text/plain; charset=utf-8"],
    )
    .assert_ok();
    env.verify("data.bin.jws.sig", &[]).assert_ok();
}

#[test]
fn signature_directory_modes_and_overwrite_prompt() {
    let env = Env::new();
    let out = env.sign(&[
        "--signature-directory",
        "sigs/nested",
        "--signature-format",
        "cose",
    ]);
    out.assert_ok();
    assert_eq!(
        out.stdout,
        "Successfully signed data.bin\n Signature file written to sigs/nested/data.bin.cose.sig\n"
    );
    let sig = env.path().join("sigs/nested/data.bin.cose.sig");
    assert_eq!(mode(&sig), 0o600);
    assert_eq!(mode(&env.path().join("sigs/nested")), 0o700);
    let first = fs::read(&sig).unwrap();

    // Declining keeps the file; the prompt goes to stdout.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let args = [
        "blob",
        "sign",
        "--signature-directory",
        "sigs/nested",
        "--signature-format",
        "cose",
        "data.bin",
    ];
    let out = env.run_with_stdin(&args, "n\n");
    out.assert_ok();
    assert_eq!(
        out.stdout,
        "The signature file already exists, do you want to overwrite it? [y/N] Operation cancelled.\n"
    );
    assert_eq!(fs::read(&sig).unwrap(), first);
    // Accepting replaces it.
    let out = env.run_with_stdin(&args, "y\n");
    out.assert_ok();
    assert!(out
        .stdout
        .ends_with(" Signature file written to sigs/nested/data.bin.cose.sig\n"));
    assert_ne!(fs::read(&sig).unwrap(), first);
    env.run(&[
        "blob",
        "verify",
        "-s",
        "sigs/nested/data.bin.cose.sig",
        "data.bin",
    ])
    .assert_ok();
    // No temp files are left behind.
    let names: Vec<_> = fs::read_dir(env.path().join("sigs/nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn blob_policy_init_show_import() {
    let env = Env::new();
    fs::remove_file(env.policy_path()).unwrap();
    env.run(&["blob", "policy", "show"]).assert_error(
        "failed to show blob trust policy as the configuration does not exist.\nYou can import one using `notation blob policy import <path-to-policy.json>`",
    );
    let out = env.run(&[
        "blob",
        "policy",
        "init",
        "--name",
        "mine",
        "--trust-store",
        "ca:interop-root",
        "--trusted-identity",
        "*",
        "--global",
    ]);
    out.assert_ok();
    let dest = env.policy_path();
    assert_eq!(
        out.stdout,
        format!(
            "Successfully initialized blob trust policy file to {}.\n",
            dest.display()
        )
    );
    assert_eq!(mode(&dest), 0o600);
    let written = fs::read_to_string(&dest).unwrap();
    insta::assert_snapshot!("blob_policy_init", written);
    let show = env.run(&["blob", "policy", "show"]);
    show.assert_ok();
    assert_eq!(show.stdout, written);

    // What init wrote verifies a signature through the global statement.
    env.sign(&[]).assert_ok();
    env.verify("data.bin.jws.sig", &[]).assert_ok();

    // Import: invalid documents are refused, an existing valid one needs confirmation.
    let file = env.path().join("import.json");
    fs::write(&file, r#"{"version":"1.0","trustPolicies":[]}"#).unwrap();
    env.run(&["blob", "policy", "import", "import.json"]).assert_error(
        "failed to validate blob trust policy configuration: blob trust policy document can not have zero trust policy statements",
    );
    let two_globals = json!({"version": "1.0", "trustPolicies": [
        {"name": "a", "globalPolicy": true, "signatureVerification": {"level": "skip"}},
        {"name": "b", "globalPolicy": true, "signatureVerification": {"level": "skip"}}]});
    fs::write(&file, two_globals.to_string()).unwrap();
    env.run(&["blob", "policy", "import", "import.json"]).assert_error(
        "failed to validate blob trust policy configuration: multiple blob trust policy statements have globalPolicy set to true. Only one trust policy statement can be marked as global policy",
    );
    let bad_store = json!({"version": "1.0", "trustPolicies": [
        {"name": "a", "signatureVerification": {"level": "strict"},
         "trustStores": ["tls:x"], "trustedIdentities": ["*"]}]});
    fs::write(&file, bad_store.to_string()).unwrap();
    env.run(&["blob", "policy", "import", "import.json"]).assert_error(
        "failed to validate blob trust policy configuration: blob trust policy: trust policy statement \"a\" uses an unsupported trust store type \"tls\" in trust store value \"tls:x\"",
    );
    fs::write(&file, "{").unwrap();
    env.run(&["blob", "policy", "import", "import.json"])
        .assert_error_starts("failed to parse blob trust policy configuration: ");
    fs::write(&file, r#"{"version":"1.0","trustPolicies":[]} x"#).unwrap();
    env.run(&["blob", "policy", "import", "import.json"]).assert_error(
        "failed to parse blob trust policy configuration: invalid character 'x' after top-level value",
    );
    env.run(&["blob", "policy", "import", "absent.json"])
        .assert_error(
            "failed to read blob trust policy file: open absent.json: no such file or directory",
        );
    env.run(&["blob", "policy", "import"]).assert_error(
        "requires 1 argument but received 0.\nUsage: notation blob policy import <path-to-policy.json>\nPlease specify a trust policy configuration location as the argument",
    );
    let replacement = json!({"version": "1.0", "trustPolicies": [{
        "name": "skip-all", "globalPolicy": true,
        "signatureVerification": {"level": "skip"}}]})
    .to_string();
    fs::write(&file, &replacement).unwrap();
    let out = env.run_with_stdin(&["blob", "policy", "import", "import.json"], "no\n");
    out.assert_ok();
    assert!(out.stdout.starts_with(
        "The blob trust policy configuration already exists, do you want to overwrite it? [y/N] "
    ));
    assert_eq!(fs::read_to_string(&dest).unwrap(), written);
    let out = env.run(&["blob", "policy", "import", "--force", "import.json"]);
    out.assert_ok();
    assert_eq!(
        out.stderr,
        "Warning: existing blob trust policy configuration will be overwritten\n"
    );
    assert_eq!(
        out.stdout,
        format!(
            "Successfully imported blob trust policy configuration to {}.\n",
            dest.display()
        )
    );
    assert_eq!(fs::read_to_string(&dest).unwrap(), replacement);

    // An invalid file on disk is shown with the problem on stderr.
    fs::write(&dest, r#"{"version":"2.0","trustPolicies":[]}"#).unwrap();
    let show = env.run(&["blob", "policy", "show"]);
    show.assert_ok();
    assert_eq!(show.stdout, r#"{"version":"2.0","trustPolicies":[]}"#);
    assert_eq!(
        show.stderr,
        "Error: blob trust policy document uses unsupported version \"2.0\"\nExisting blob trust policy configuration is invalid, you may update or create a new one via `notation blob policy import <path-to-policy.json>`\n"
    );
    // init validates what it would write.
    env.run(&[
        "blob",
        "policy",
        "init",
        "--name",
        "x",
        "--trust-store",
        "bad",
        "--trusted-identity",
        "*",
    ])
    .assert_error_starts("invalid blob policy: ");
}

#[test]
fn inspect_tree_and_json() {
    let env = Env::new();
    env.sign(&["--key", "ecp384", "-m", "team=blue"])
        .assert_ok();
    let out = env.run(&["blob", "inspect", "data.bin.jws.sig"]);
    out.assert_ok();
    insta::with_settings!({filters => vec![
        (r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", "[TIME]"),
    ]}, {
        insta::assert_snapshot!("blob_inspect_tree", out.stdout);
    });
    let json = inspect_json(&env, "data.bin.jws.sig");
    assert!(json.get("digest").is_none());
    assert!(json.get("mediaType").is_none());
    assert_eq!(json["signatureEnvelopeType"], "application/jose+json");
    assert_eq!(json["signatureAlgorithm"], "ECDSA-SHA-384");
    assert_eq!(
        json["signedAttributes"]["contentType"],
        "application/vnd.cncf.notary.payload.v1+json"
    );
    // Two-space indentation, as the v2 line prints it.
    let raw = env.run(&["blob", "inspect", "-o", "json", "data.bin.jws.sig"]);
    assert!(
        raw.stdout.starts_with("{\n  \"signatureAlgorithm\": "),
        "{}",
        raw.stdout
    );
    env.run(&["blob", "inspect", "-o", "tree", "data.bin.jws.sig"])
        .assert_ok();
    env.run(&["blob", "inspect", "-o", "text", "data.bin.jws.sig"])
        .assert_error("unrecognized output format text");
    assert_eq!(json["userDefinedAttributes"]["team"], "blue");
    assert!(json["signedArtifact"].get("annotations").is_none());

    env.run(&["blob", "inspect", "data.bin"])
        .assert_error("invalid signature filename: data.bin");
    env.run(&["blob", "inspect", "x.jws.sig"])
        .assert_error("failed to read signature file: open x.jws.sig: no such file or directory");
    fs::write(env.path().join("junk.cose.sig"), b"junk").unwrap();
    env.run(&["blob", "inspect", "junk.cose.sig"])
        .assert_error_starts("failed to parse signature: ");
    env.run(&["blob", "inspect", "-o", "yaml", "data.bin.jws.sig"])
        .assert_error("unrecognized output format yaml");
}

#[test]
fn timestamped_blob_signature_verifies() {
    let env = Env::new();
    let pki = Pki::new(&env.path().join("pki"));
    let tsa = Tsa::start(&pki, Mode::Grant);
    let store = env.path().join("notation/truststore/x509/tsa/test");
    fs::create_dir_all(&store).unwrap();
    fs::copy(pki.path("tsaroot.crt"), store.join("tsaroot.crt")).unwrap();
    env.blob_policy(json!([{
        "name": "global", "globalPolicy": true,
        "signatureVerification": {"level": "strict", "verifyTimestamp": "always"},
        "trustStores": ["ca:interop-root", "tsa:test"], "trustedIdentities": ["*"]
    }]));
    let root = pki.path("tsaroot.crt").display().to_string();
    for format in ["jws", "cose"] {
        env.sign(&[
            "--signature-format",
            format,
            "--timestamp-url",
            &tsa.url,
            "--timestamp-root-cert",
            &root,
        ])
        .assert_ok();
        let sig = format!("data.bin.{format}.sig");
        let json = inspect_json(&env, &sig);
        assert!(
            json["unsignedAttributes"]["timestampSignature"]["timestamp"].is_string(),
            "{json}"
        );
        env.verify(&sig, &[]).assert_ok();
    }
    env.sign(&["--timestamp-url", &tsa.url]).assert_error(
        "if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set; missing [timestamp-root-cert]",
    );
}

#[test]
fn expired_signature_and_logged_failures() {
    let env = Env::new();
    env.sign(&["--expiry", "1s"]).assert_ok();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = env.verify("data.bin.jws.sig", &[]);
    assert!(!out.ok);
    assert!(
        out.stderr
            .starts_with("Error: signature verification failed: digital signature has expired on "),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1);

    // Under `audit`, the expiry failure is only logged: a warning, and a -v log line.
    env.blob_policy(json!([{
        "name": "audit", "globalPolicy": true,
        "signatureVerification": {"level": "audit"},
        "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]
    }]));
    let out = env.verify("data.bin.jws.sig", &["-v"]);
    out.assert_ok();
    assert_eq!(out.stdout, "Successfully verified signature for data.bin\n");
    assert!(
        out.stderr.contains(
            "level=warning msg=expiry validation failed with validation action set to \"logged\". Failure reason: digital signature has expired on "
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("Warning: expiry was set to \"log\" and failed with error: digital signature has expired on "),
        "{}",
        out.stderr
    );
}

/// Issue 9 §3: a COSE signature whose unprotected header (outside the signature) holds
/// 131,072 labels, or 20 maps of 131,072 keys each, verifies as Go verifies it; the same
/// with one duplicate key is rejected with fxamacker/cbor's message. The time this takes
/// (it was quadratic) is measured in `benches/engine.rs` (`hostile-cose`).
#[test]
fn quadratic_cbor_unprotected_maps_verify_or_fail_as_go() {
    let env = Env::new();
    env.sign(&["--signature-format", "cose"]).assert_ok();
    let good = fs::read(env.path().join("data.bin.cose.sig")).unwrap();
    let cases = [
        (
            "wide.cose.sig",
            hostile_cose::wide_header(&good, false),
            None,
        ),
        (
            "wide-dup.cose.sig",
            hostile_cose::wide_header(&good, true),
            Some("cbor: found duplicate map key \"1000\" at map element index 131069"),
        ),
        (
            "maps.cose.sig",
            hostile_cose::many_maps(&good, 20, false),
            None,
        ),
        (
            "maps-dup.cose.sig",
            hostile_cose::many_maps(&good, 20, true),
            Some("cbor: found duplicate map key \"131070\" at map element index 131071"),
        ),
    ];
    for (name, envelope, error) in cases {
        fs::write(env.path().join(name), envelope).unwrap();
        let out = env.verify(name, &[]);
        match error {
            None => {
                out.assert_ok();
                assert_eq!(out.stdout, "Successfully verified signature for data.bin\n");
            }
            Some(reason) => {
                assert!(!out.ok, "{name} verified");
                assert!(out.stderr.contains(reason), "{name}: {}", out.stderr);
                assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
            }
        }
    }
}
