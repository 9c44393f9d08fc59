//! `notation sign` on OCI layouts: every key type and envelope format, the exact shape of
//! what lands in the layout, the sign checks Go notation recorded, concurrency, tar layouts.

mod common;

use assert_cmd::Command;
use common::{copy_tree, interop_dir};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A temp dir holding a copy of the interop config (keys with absolute paths) and a copy of
/// an unsigned layout.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("notation");
        copy_tree(&interop_dir().join("config"), &config);
        // signingkeys.json holds paths relative to the config dir: make them absolute.
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
        copy_tree(
            &interop_dir().join("cases/unsigned/layout"),
            &dir.path().join("layout"),
        );
        Env { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Install a strict trust policy for one registry repository, trusting the interop root.
    fn trust_scope(&self, scope: &str) {
        let policy = serde_json::json!({"version": "1.0", "trustPolicies": [{
            "name": "remote", "registryScopes": [scope],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]}]});
        fs::write(
            self.path().join("notation/trustpolicy.json"),
            policy.to_string(),
        )
        .unwrap();
    }

    fn notation(&self) -> Command {
        let mut cmd = Command::cargo_bin("notation").unwrap();
        cmd.current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"));
        cmd
    }

    fn index(&self, layout: &str) -> Value {
        serde_json::from_slice(&fs::read(self.path().join(layout).join("index.json")).unwrap())
            .unwrap()
    }

    fn blob(&self, layout: &str, digest: &str) -> Vec<u8> {
        let (alg, hex) = digest.split_once(':').unwrap();
        fs::read(self.path().join(layout).join("blobs").join(alg).join(hex)).unwrap()
    }
}

/// Signature manifests listed in index.json, in order.
fn signature_entries(index: &Value) -> Vec<Value> {
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["annotations"]
                .get("io.cncf.notary.x509chain.thumbprint#S256")
                .is_some()
        })
        .cloned()
        .collect()
}

const UNSIGNED_DIGEST: &str =
    "sha256:53b72d57f576e9ea08dd74682fc4afbfd027e61144b674e1a04d6c1f87bb534f";

#[test]
fn signs_with_every_key_type_and_format_in_notation_shape() {
    let env = Env::new();
    let keys = [
        "rsa2048",
        "rsa3072",
        "rsa4096",
        "ecp256",
        "ecp384",
        "ecp521",
        "selfsigned",
    ];
    let mut expected = 0;
    for key in keys {
        for format in ["jws", "cose"] {
            let out = env
                .notation()
                .args([
                    "sign",
                    "--key",
                    key,
                    "--signature-format",
                    format,
                    "--oci-layout",
                    "layout:v1",
                ])
                .assert()
                .success();
            let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
            assert_eq!(
                stdout,
                format!("Successfully signed layout@{UNSIGNED_DIGEST}\n")
            );
            expected += 1;
            let index = env.index("layout");
            let sigs = signature_entries(&index);
            assert_eq!(
                sigs.len(),
                expected,
                "one new index.json entry per signature"
            );
            let entry = sigs.last().unwrap();
            assert!(entry.get("artifactType").is_none());
            assert!(entry["annotations"]
                .get("org.opencontainers.image.ref.name")
                .is_none());
            let manifest_bytes = env.blob("layout", entry["digest"].as_str().unwrap());
            let manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
            // Go's field order and compact encoding.
            let text = String::from_utf8(manifest_bytes.clone()).unwrap();
            assert!(text.starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.notary.signature","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/"#));
            assert_eq!(manifest["subject"]["digest"], UNSIGNED_DIGEST);
            assert_eq!(entry["annotations"], manifest["annotations"]);
            let media_type = if format == "jws" {
                "application/jose+json"
            } else {
                "application/cose"
            };
            assert_eq!(manifest["layers"][0]["mediaType"], media_type);
            let thumbprints: Vec<String> = serde_json::from_str(
                manifest["annotations"]["io.cncf.notary.x509chain.thumbprint#S256"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(thumbprints.len(), if key == "selfsigned" { 1 } else { 3 });
            assert!(thumbprints.iter().all(|t| t.len() == 64
                && t.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
            let created = manifest["annotations"]["org.opencontainers.image.created"]
                .as_str()
                .unwrap();
            assert!(created.ends_with('Z') && created.len() == 20, "{created}");
            // The envelope blob is where the manifest says, with the right digest.
            let envelope = env.blob("layout", manifest["layers"][0]["digest"].as_str().unwrap());
            assert_eq!(
                envelope.len() as u64,
                manifest["layers"][0]["size"].as_u64().unwrap()
            );
        }
    }
    // Every blob is content-addressed correctly and no temp files or ingest/ remain.
    let layout = env.path().join("layout");
    assert!(!layout.join("ingest").exists());
    for entry in fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let data = fs::read(entry.path()).unwrap();
        use sha2::Digest as _;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&data)),
            name,
            "blob {name} is content-addressed"
        );
    }
    env.notation()
        .args(["list", "--oci-layout", "layout:v1"])
        .assert()
        .success()
        .stdout(predicates::str::contains(format!(
            "layout@{UNSIGNED_DIGEST}\n└── application/vnd.cncf.notary.signature\n"
        )));
}

#[test]
fn user_metadata_and_expiry_go_into_the_envelope() {
    let env = Env::new();
    env.notation()
        .args([
            "sign",
            "--oci-layout",
            "-m",
            "env=prod",
            "-m",
            "note=a=b",
            "--expiry",
            "24h",
            "layout:v1",
        ])
        .assert()
        .success();
    let out = env
        .notation()
        .args(["inspect", "--oci-layout", "layout:v1", "-o", "json"])
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let sig = &doc["Signatures"][0];
    assert_eq!(sig["userDefinedAttributes"]["env"], "prod");
    assert_eq!(sig["userDefinedAttributes"]["note"], "a=b");
    let signing = time::OffsetDateTime::parse(
        sig["signedAttributes"]["signingTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expiry = time::OffsetDateTime::parse(
        sig["signedAttributes"]["expiry"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expiry - signing, time::Duration::hours(24));
    assert_eq!(sig["signatureAlgorithm"], "RSASSA-PSS-SHA-256");
    assert_eq!(
        sig["unsignedAttributes"]["signingAgent"],
        "notation-go/1.3.2"
    );
}

/// Every `sign` check Go notation rejected: same exit code, same `Error:` line, and the
/// layout is left untouched.
#[test]
fn rejects_what_go_notation_rejects() {
    let cases: Value =
        serde_json::from_slice(&fs::read(interop_dir().join("cases.json")).unwrap()).unwrap();
    let mut checked = 0;
    for check in cases["checks"].as_array().unwrap() {
        if check["kind"] != "sign" || check["exit"] == 0 {
            continue;
        }
        let env = Env::new();
        let before = fs::read(env.path().join("layout/index.json")).unwrap();
        let argv: Vec<String> = check["argv"].as_array().unwrap()[1..]
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let out = env
            .notation()
            .env("NOTATION_EXPERIMENTAL", "1")
            .args(&argv)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {argv:?}\n{stderr}",
            check["check"]
        );
        let want = check["stderr_contains"].as_str().unwrap();
        let want_first_line = want.lines().next().unwrap();
        // The expired-certificate message embeds the signing time, which differs per run.
        let comparable = match want_first_line.find(" was invalid at signing time of ") {
            Some(i) => &want_first_line[..i],
            None => want_first_line,
        };
        assert!(
            stderr.contains(comparable),
            "{}: want {comparable:?}\ngot {stderr}",
            check["check"]
        );
        assert!(
            out.stdout.is_empty(),
            "{}: nothing on stdout",
            check["check"]
        );
        assert_eq!(
            fs::read(env.path().join("layout/index.json")).unwrap(),
            before
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} rejected sign checks found");
}

#[test]
fn experimental_warning_only_with_the_variable() {
    let env = Env::new();
    let out = env
        .notation()
        .args(["sign", "--oci-layout", "layout:v1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("experimental"));
    let out = env
        .notation()
        .env("NOTATION_EXPERIMENTAL", "1")
        .args(["sign", "--oci-layout", &format!("layout@{UNSIGNED_DIGEST}")])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Warning: This feature is experimental and may not be fully tested or completed and may be deprecated. Report any issues to \"https://github/notaryproject/notation\"\n"
    );
}

#[test]
fn eight_concurrent_signs_all_land() {
    let env = Env::new();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let format = if i % 2 == 0 { "jws" } else { "cose" };
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("notation"));
            cmd.current_dir(env.path())
                .env("XDG_CONFIG_HOME", env.path())
                .env("HOME", env.path())
                .args([
                    "sign",
                    "--signature-format",
                    format,
                    "--oci-layout",
                    "layout:v1",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(signature_entries(&env.index("layout")).len(), 8);
    let out = env
        .notation()
        .args(["list", "--oci-layout", "layout:v1"])
        .assert()
        .success();
    let listed = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(listed.matches("── sha256:").count(), 8);
}

#[test]
fn signs_a_tar_layout_in_place() {
    let env = Env::new();
    let tar_src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/layouts/single-platform.tar");
    let tar = env.path().join("image.tar");
    fs::copy(&tar_src, &tar).unwrap();
    env.notation()
        .args(["sign", "--oci-layout", "image.tar:v1"])
        .assert()
        .success();
    env.notation()
        .args([
            "sign",
            "--oci-layout",
            "--signature-format",
            "cose",
            "image.tar:v1",
        ])
        .assert()
        .success();
    let out = env
        .notation()
        .args(["list", "--oci-layout", "image.tar:v1"])
        .assert()
        .success();
    let listed = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(listed.matches("── sha256:").count(), 2, "{listed}");
    // No temp files left beside the tar.
    let leftovers: Vec<_> = fs::read_dir(env.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_input_is_one_error_line_and_nothing_written() {
    let env = Env::new();
    let before = fs::read(env.path().join("layout/index.json")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["sign", "--oci-layout"], "Error: missing reference to the artifact"),
        (&["sign", "--oci-layout", "layout"], "Error: \"layout\": invalid reference: missing tag or digest"),
        (&["sign", "--oci-layout", "layout:nope"], "Error: failed to get manifest descriptor: not found"),
        (&["sign", "--oci-layout", "layout@sha256:0000000000000000000000000000000000000000000000000000000000000000"], "Error: failed to get manifest descriptor: not found"),
        (&["sign", "--key", "missing", "--oci-layout", "layout:v1"], "Error: signing key missing not found"),
        (&["sign", "--oci-layout", "-m", "io.cncf.notary.x=1", "layout:v1"], "Error: error adding user metadata: metadata key io.cncf.notary.x has reserved prefix io.cncf.notary"),
        (&["sign", "--oci-layout", "--expiry", "1.5s", "layout:v1"], "Error: expiry duration supports minimum granularity of seconds"),
        (&["sign", "--oci-layout", "--expiry", "1x", "layout:v1"], "Error: invalid argument \"1x\" for \"-e, --expiry\" flag: time: unknown unit \"x\" in duration \"1x\""),
        (&["sign", "--bogus"], "Error: unknown flag: --bogus"),
    ];
    for (args, want) in cases {
        let out = env.notation().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let error_line = stderr
            .lines()
            .find(|l| l.starts_with("Error:"))
            .unwrap_or_default();
        assert!(
            error_line.starts_with(want),
            "{args:?}: want {want:?}, got {stderr:?}"
        );
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("Error:")).count(),
            1
        );
    }
    // A malformed signingkeys.json and a key file that is not a key.
    let keys = env.path().join("notation/signingkeys.json");
    fs::write(&keys, b"{\"keys\": [{\"name\": \"\"}]}").unwrap();
    env.notation()
        .args(["sign", "--oci-layout", "layout:v1"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "Error: malformed signingkeys.json: key name cannot be empty",
        ));
    assert_eq!(
        fs::read(env.path().join("layout/index.json")).unwrap(),
        before
    );
}

/// Replace the (single) signature in `layout` by an edited copy, keeping the layout
/// content-addressed: the envelope and manifest are re-digested and index.json updated.
fn tamper(env: &Env, edit_envelope: impl Fn(&mut Vec<u8>), edit_manifest: impl Fn(&mut Value)) {
    use sha2::Digest as _;
    let root = env.path().join("layout");
    let put = |data: &[u8]| {
        let hex = hex::encode(sha2::Sha256::digest(data));
        fs::write(root.join("blobs/sha256").join(&hex), data).unwrap();
        (format!("sha256:{hex}"), data.len())
    };
    let mut index = env.index("layout");
    for entry in index["manifests"].as_array_mut().unwrap() {
        if entry["annotations"]
            .get("io.cncf.notary.x509chain.thumbprint#S256")
            .is_none()
        {
            continue;
        }
        let mut manifest: Value =
            serde_json::from_slice(&env.blob("layout", entry["digest"].as_str().unwrap())).unwrap();
        let mut envelope = env.blob("layout", manifest["layers"][0]["digest"].as_str().unwrap());
        edit_envelope(&mut envelope);
        let (digest, size) = put(&envelope);
        manifest["layers"][0]["digest"] = Value::from(digest);
        manifest["layers"][0]["size"] = Value::from(size);
        edit_manifest(&mut manifest);
        let (digest, size) = put(&serde_json::to_vec(&manifest).unwrap());
        entry["digest"] = Value::from(digest);
        entry["size"] = Value::from(size);
    }
    fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

fn verify_ours(env: &Env, extra: &[&str]) -> std::process::Output {
    env.notation()
        .args([
            "verify",
            "--oci-layout",
            "--scope",
            "local/ours",
            "layout:v1",
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// Everything we sign verifies with our verifier under a strict policy (the interop
/// config's default policy trusts the interop root), metadata included.
#[test]
fn what_we_sign_verifies_under_a_strict_policy() {
    for key in [
        "rsa2048", "rsa3072", "rsa4096", "ecp256", "ecp384", "ecp521",
    ] {
        for format in ["jws", "cose"] {
            let env = Env::new();
            env.notation()
                .args([
                    "sign",
                    "--key",
                    key,
                    "--signature-format",
                    format,
                    "--expiry",
                    "1h",
                ])
                .args(["-m", "build=42", "--oci-layout", "layout:v1"])
                .assert()
                .success();
            let out = verify_ours(&env, &["-m", "build=42"]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{key}/{format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.starts_with(&format!(
                    "Successfully verified signature for layout@{UNSIGNED_DIGEST}"
                )),
                "{key}/{format}: {stdout}"
            );
            assert!(
                stdout.contains("build"),
                "{key}/{format}: metadata table: {stdout}"
            );
            // Metadata the signature does not carry fails.
            assert!(!verify_ours(&env, &["-m", "build=43"]).status.success());
        }
    }
}

/// Each tampering of a signature we made is rejected.
#[test]
fn tampering_with_our_signatures_fails_verification() {
    type Edit = (&'static str, fn(&mut Vec<u8>), fn(&mut Value));
    fn nothing(_: &mut Value) {}
    fn keep(_: &mut Vec<u8>) {}
    #[allow(clippy::ptr_arg)] // every edit has the same signature; some grow the buffer
    fn flip_last_byte(b: &mut Vec<u8>) {
        let n = b.len() - 1;
        b[n] ^= 0x01;
    }
    fn jws_flip_signature(b: &mut Vec<u8>) {
        let mut env: Value = serde_json::from_slice(b).unwrap();
        let s = env["signature"].as_str().unwrap().to_string();
        let c = if &s[20..21] == "A" { "B" } else { "A" };
        env["signature"] = Value::from(format!("{}{}{}", &s[..20], c, &s[21..]));
        *b = serde_json::to_vec(&env).unwrap();
    }
    fn jws_change_payload(b: &mut Vec<u8>) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut env: Value = serde_json::from_slice(b).unwrap();
        let mut payload: Value =
            serde_json::from_slice(&b64.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap();
        payload["targetArtifact"]["annotations"] = serde_json::json!({"injected": "by-test"});
        env["payload"] = Value::from(b64.encode(serde_json::to_vec(&payload).unwrap()));
        *b = serde_json::to_vec(&env).unwrap();
    }
    fn jws_swap_chain(b: &mut Vec<u8>) {
        // Another trusted leaf's valid chain; the signature was made by leaf-rsa2048's key.
        let pem =
            fs::read_to_string(interop_dir().join("config/localkeys/rsa2048-alt.crt")).unwrap();
        let chain: Vec<Value> = pem
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body = block.split("-----END CERTIFICATE-----").next().unwrap();
                Value::from(body.split_whitespace().collect::<String>())
            })
            .collect();
        let mut env: Value = serde_json::from_slice(b).unwrap();
        env["header"]["x5c"] = Value::from(chain);
        *b = serde_json::to_vec(&env).unwrap();
    }
    #[allow(clippy::ptr_arg)]
    fn cose_change_payload(b: &mut Vec<u8>) {
        // The payload JSON is the only place the envelope carries `"digest":"sha256:`;
        // changing one hex digit keeps every CBOR length intact.
        let needle = b"\"digest\":\"sha256:";
        let at = b
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("payload digest in the COSE envelope")
            + needle.len();
        b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    }
    fn swap_media_type(m: &mut Value) {
        let mt = if m["layers"][0]["mediaType"] == "application/cose" {
            "application/jose+json"
        } else {
            "application/cose"
        };
        m["layers"][0]["mediaType"] = Value::from(mt);
    }
    let cases: &[(&str, &[Edit])] = &[
        (
            "jws",
            &[
                ("signature", jws_flip_signature, nothing),
                ("payload", jws_change_payload, nothing),
                ("certificate chain", jws_swap_chain, nothing),
                ("media type", keep, swap_media_type),
            ],
        ),
        (
            "cose",
            &[
                ("signature", flip_last_byte, nothing),
                ("payload", cose_change_payload, nothing),
                ("media type", keep, swap_media_type),
            ],
        ),
    ];
    for (format, edits) in cases {
        for (what, edit_envelope, edit_manifest) in edits.iter() {
            let env = Env::new();
            env.notation()
                .args([
                    "sign",
                    "--signature-format",
                    format,
                    "--oci-layout",
                    "layout:v1",
                ])
                .assert()
                .success();
            assert!(
                verify_ours(&env, &[]).status.success(),
                "{format}: untampered verifies"
            );
            tamper(&env, edit_envelope, edit_manifest);
            let out = verify_ours(&env, &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{format}/{what}: {stderr}");
            assert!(
                stderr.contains("Error: signature verification failed for all the signatures associated with layout@"),
                "{format}/{what}: {stderr}"
            );
        }
    }
}

/// A signature we made for one image, re-attached to another image (its signature manifest's
/// `subject` edited), is found as the other image's referrer but fails: the signed payload
/// names the first image. The first image is then unsigned.
#[test]
fn our_signature_moved_to_another_image_fails_verification() {
    use sha2::Digest as _;
    for format in ["jws", "cose"] {
        let env = Env::new();
        let root = env.path().join("layout");
        env.notation()
            .args([
                "sign",
                "--signature-format",
                format,
                "--oci-layout",
                "layout:v1",
            ])
            .assert()
            .success();
        // A second image: the v1 manifest with one more annotation, tagged v2.
        let mut index = env.index("layout");
        let v1 = index["manifests"][0].clone();
        let mut other: Value =
            serde_json::from_slice(&env.blob("layout", v1["digest"].as_str().unwrap())).unwrap();
        other["annotations"] = serde_json::json!({"org.example.copy": "yes"});
        let other_bytes = serde_json::to_vec(&other).unwrap();
        let other_hex = hex::encode(sha2::Sha256::digest(&other_bytes));
        fs::write(root.join("blobs/sha256").join(&other_hex), &other_bytes).unwrap();
        let mut v2 = v1.clone();
        v2["digest"] = Value::from(format!("sha256:{other_hex}"));
        v2["size"] = Value::from(other_bytes.len());
        v2["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v2"});
        index["manifests"].as_array_mut().unwrap().push(v2.clone());
        fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

        tamper(
            &env,
            |_| {},
            |m| {
                m["subject"]["digest"] = v2["digest"].clone();
                m["subject"]["size"] = v2["size"].clone();
            },
        );
        let out = env
            .notation()
            .args([
                "verify",
                "--oci-layout",
                "--scope",
                "local/ours",
                "layout:v2",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "Error: signature verification failed for all the signatures associated with layout@sha256:{other_hex}"
            )),
            "{format}: {stderr}"
        );
        assert!(
            stderr.contains("targetArtifact failed: content descriptor mismatch"),
            "{format}: {stderr}"
        );
        let out = verify_ours(&env, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.contains("no signature is associated with"),
            "{format}: {stderr}"
        );
    }
}

/// The registry half of the workflow through the binary: copy a signed layout with its
/// signatures to a real registry, list and verify there, sign the remote image directly
/// (tag schema by default), and get upstream's GC warning when the registry refuses DELETE.
#[test]
fn sign_list_inspect_verify_on_a_registry() {
    use common::registry::{Config, TestRegistry};
    for delete_enabled in [true, false] {
        let reg = TestRegistry::start(Config {
            delete_enabled,
            ..Config::default()
        });
        let env = Env::new();
        let remote = format!("{}/ours:v1", reg.host());
        let remote_scope = format!("{}/ours", reg.host());
        env.trust_scope(&remote_scope);
        env.notation()
            .args(["sign", "--oci-layout", "layout:v1"])
            .assert()
            .success();
        env.notation()
            .args([
                "copy",
                "--from-oci-layout",
                "layout:v1",
                "-r",
                "--insecure-registry",
                &remote,
            ])
            .assert()
            .success();
        let verified = env
            .notation()
            .args(["verify", "--insecure-registry", &remote])
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "{}",
            String::from_utf8_lossy(&verified.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&verified.stdout),
            format!(
                "Successfully verified signature for {}@{UNSIGNED_DIGEST}\n",
                remote_scope
            )
        );
        // Sign the remote image directly: the second signature updates the referrers index,
        // whose old version is deleted (or, with deletes disabled, a warning says so).
        let signed = env
            .notation()
            .args([
                "sign",
                "--signature-format",
                "cose",
                "--insecure-registry",
                "-v",
                &format!("{remote_scope}@{UNSIGNED_DIGEST}"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&signed.stderr);
        assert!(signed.status.success(), "{stderr}");
        // stdout stays upstream's one line; -v says the tag schema is used, as notation does.
        assert_eq!(String::from_utf8_lossy(&signed.stdout).lines().count(), 1);
        assert!(
            stderr.contains("level=info msg=The referrers tag schema is always attempted\n"),
            "{stderr}"
        );
        let gc_warning = "Warning: Removal of outdated referrers index from remote registry failed. Garbage collection may be required.";
        assert_eq!(stderr.contains(gc_warning), !delete_enabled, "{stderr}");
        let listed = env
            .notation()
            .args(["list", "--insecure-registry", &remote, "-d"])
            .output()
            .unwrap();
        // -d traces every HTTP exchange, and never a credential.
        let trace = String::from_utf8_lossy(&listed.stderr);
        assert!(
            trace.contains(&format!(
                "\n> Request: \"GET\" \"http://{}/v2/",
                remote.split('/').next().unwrap()
            )),
            "{trace}"
        );
        assert!(trace.contains("/referrers/sha256:"), "{trace}");
        let listed = String::from_utf8_lossy(&listed.stdout);
        assert_eq!(listed.matches("── sha256:").count(), 2, "{listed}");
        let inspected = env
            .notation()
            .args(["inspect", "--insecure-registry", &remote, "-o", "json"])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&inspected.stdout).unwrap();
        let media_types: Vec<&str> = doc["Signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["mediaType"].as_str().unwrap())
            .collect();
        assert!(
            media_types.contains(&"application/jose+json")
                && media_types.contains(&"application/cose")
        );
    }
}

/// Docker v2 manifests and manifest lists (what `docker push` makes) are signable and
/// verifiable on a registry, like OCI ones.
#[tokio::test]
async fn docker_v2_manifests_and_lists_sign_and_verify_on_a_registry() {
    use common::registry::{Config, TestRegistry};
    use notation::oci::Descriptor;
    use notation::target::registry::{Registry, RegistryOptions};
    use notation::target::{ContentStore, Target};
    let reg = TestRegistry::start(Config::default());
    let repo = notation::reference::RegistryReference::parse_repository(&format!(
        "{}/docker/app",
        reg.host()
    ))
    .unwrap();
    let target = Registry::new(
        &repo,
        RegistryOptions {
            plain_http: true,
            ..Default::default()
        },
    )
    .unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_desc =
        Descriptor::for_content("application/vnd.docker.container.image.v1+json", config);
    let layer = b"not really gzip, the registry does not look".to_vec();
    let layer_desc =
        Descriptor::for_content("application/vnd.docker.image.rootfs.diff.tar.gzip", &layer);
    target.push_blob(&config_desc, config).await.unwrap();
    target.push_blob(&layer_desc, &layer).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": config_desc, "layers": [layer_desc]}))
    .unwrap();
    let manifest_desc = Descriptor::for_content(
        "application/vnd.docker.distribution.manifest.v2+json",
        &manifest,
    );
    target
        .push_manifest(&manifest_desc, &manifest, Some("v2"))
        .await
        .unwrap();
    let list = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [{"mediaType": manifest_desc.media_type, "digest": manifest_desc.digest,
            "size": manifest_desc.size, "platform": {"architecture": "amd64", "os": "linux"}}]}))
    .unwrap();
    let list_desc = Descriptor::for_content(
        "application/vnd.docker.distribution.manifest.list.v2+json",
        &list,
    );
    target
        .push_manifest(&list_desc, &list, Some("list"))
        .await
        .unwrap();

    let env = Env::new();
    let scope = format!("{}/docker/app", reg.host());
    env.trust_scope(&scope);
    for (tag, desc) in [("v2", &manifest_desc), ("list", &list_desc)] {
        let reference = format!("{scope}@{}", desc.digest);
        let out = env
            .notation()
            .args(["sign", "--insecure-registry", &reference])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = env
            .notation()
            .args(["verify", "--insecure-registry", &reference])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("Successfully verified signature for {reference}\n"),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The signature names the Docker media type as its subject's.
        let sigs = target.signatures(desc).await.unwrap();
        assert_eq!(sigs.len(), 1, "{tag}");
        let m: Value =
            serde_json::from_slice(&target.fetch(&sigs[0].plain(), 1 << 20).await.unwrap())
                .unwrap();
        assert_eq!(m["subject"]["mediaType"], desc.media_type.as_str(), "{tag}");
    }
}
