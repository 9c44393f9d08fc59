//! Notary Project plugins with real plugin executables (a Python script, configured per test
//! through a JSON file): `notation plugin list|install|uninstall`, signing through RAW and
//! ENVELOPE plugins, and verification plugins.

mod common;

use assert_cmd::Command;
use common::{copy_tree, interop_dir};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

const SCRIPT: &str = include_str!("plugin_scripts/test_plugin.py");
const RAW: &str = "SIGNATURE_GENERATOR.RAW";
const ENVELOPE: &str = "SIGNATURE_GENERATOR.ENVELOPE";
const IDENTITY: &str = "SIGNATURE_VERIFIER.TRUSTED_IDENTITY";
const REVOCATION: &str = "SIGNATURE_VERIFIER.REVOCATION_CHECK";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// Interop config (keys, trust store, strict policy trusting the interop root), an
    /// unsigned layout, an empty NOTATION_LIBEXEC.
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("notation");
        copy_tree(&interop_dir().join("config"), &config);
        fs::copy(
            interop_dir().join("config/policies/strict-root.json"),
            config.join("trustpolicy.json"),
        )
        .unwrap();
        fs::write(config.join("signingkeys.json"), r#"{"keys":[]}"#).unwrap();
        copy_tree(
            &interop_dir().join("cases/unsigned/layout"),
            &dir.path().join("layout"),
        );
        fs::create_dir_all(dir.path().join("libexec")).unwrap();
        Env { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn plugins(&self) -> PathBuf {
        self.path().join("libexec/plugins")
    }

    fn notation(&self) -> Command {
        let mut cmd = Command::cargo_bin("notation").unwrap();
        cmd.current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NOTATION_EXPERIMENTAL", "1")
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("NOTATION_LIBEXEC", self.path().join("libexec"));
        cmd
    }

    /// A plugin executable named `notation-<name>` in `dir`, behaving as `conf` says
    /// (the interop rsa2048 key and chain sign; requests are logged to `<name>.log`).
    fn plugin_file(&self, dir: &Path, name: &str, conf: Value) -> PathBuf {
        let localkeys = self.path().join("notation/localkeys");
        let mut full = json!({
            "name": name,
            "version": "1.0.0",
            "capabilities": [RAW],
            "key": localkeys.join("rsa2048.key"),
            "chain": localkeys.join("rsa2048.crt"),
            "log": self.log_path(name),
        });
        for (k, v) in conf.as_object().unwrap() {
            full[k] = v.clone();
        }
        let conf_path = self.path().join(format!(
            "conf-{name}-{}.json",
            full["version"].as_str().unwrap()
        ));
        fs::write(&conf_path, full.to_string()).unwrap();
        fs::create_dir_all(dir).unwrap();
        let exe = dir.join(format!("notation-{name}"));
        fs::write(&exe, SCRIPT.replace("@CONF@", conf_path.to_str().unwrap())).unwrap();
        set_mode(&exe, 0o755);
        exe
    }

    /// Install a plugin directly into the plugin directory.
    fn install(&self, name: &str, conf: Value) {
        self.plugin_file(&self.plugins().join(name), name, conf);
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.path().join(format!("{name}.log"))
    }

    /// The requests the plugin received: (command, request).
    fn requests(&self, name: &str) -> Vec<(String, Value)> {
        fs::read_to_string(self.log_path(name))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["command"].as_str().unwrap().to_string(),
                    v["request"].clone(),
                )
            })
            .collect()
    }

    fn index(&self) -> String {
        fs::read_to_string(self.path().join("layout/index.json")).unwrap()
    }

    fn sign(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut args = vec!["sign", "--oci-layout"];
        args.extend_from_slice(extra);
        args.push("layout:v1");
        self.notation().args(args).assert()
    }

    fn verify(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut args = vec!["verify", "--oci-layout", "--scope", "local/layout"];
        args.extend_from_slice(extra);
        args.push("layout:v1");
        self.notation().args(args).assert()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

/// The single `Error:` line of a failed run.
fn error_line(a: assert_cmd::assert::Assert) -> String {
    let a = a.failure().code(1);
    let err = stderr(&a);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("Error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    // Only warnings precede it, and nothing follows it.
    assert!(err.trim_end().ends_with(errors[0].trim_end()), "{err}");
    errors[0].trim_end().to_string()
}

// ---------------------------------------------------------------- plugin list/install

#[test]
fn list_shows_metadata_and_errors() {
    let env = Env::new();
    env.notation()
        .args(["plugin", "list"])
        .assert()
        .success()
        .stdout("NAME   DESCRIPTION   VERSION   CAPABILITIES   ERROR   \n");
    env.install("com.example.raw", json!({"capabilities": [RAW]}));
    fs::create_dir_all(env.plugins().join("com.example.empty")).unwrap();
    // An executable file the system cannot run (ENOEXEC): no ELF header, no `#!`.
    let garbage = env
        .plugins()
        .join("com.example.garbage/notation-com.example.garbage");
    fs::create_dir_all(garbage.parent().unwrap()).unwrap();
    fs::write(&garbage, b"\x00\x01garbage").unwrap();
    set_mode(&garbage, 0o755);
    let a = env.notation().args(["plugin", "ls"]).assert().success();
    let out = stdout(&a);
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    assert_eq!(lines[0], "NAME                  DESCRIPTION                   VERSION   CAPABILITIES                ERROR");
    assert_eq!(lines[1], "com.example.empty                                             []                          plugin executable file `notation-com.example.empty` not found. Use `notation plugin install` command to install the plugin");
    assert_eq!(lines[2], format!("com.example.garbage                                           []                          plugin executable file `notation-com.example.garbage` is not executable. Use `notation plugin install` command to install the plugin. Please ensure that the plugin executable file is compatible with {}/{arch}", std::env::consts::OS));
    assert_eq!(lines[3], "com.example.raw       test plugin com.example.raw   1.0.0     [SIGNATURE_GENERATOR.RAW]   <nil>");
}

#[test]
fn install_single_file_upgrade_downgrade_and_uninstall() {
    let env = Env::new();
    let src = env.path().join("src");
    let v1 = env.plugin_file(
        &src.join("v1"),
        "com.example.p",
        json!({"version": "1.0.0"}),
    );
    let v2 = env.plugin_file(
        &src.join("v2"),
        "com.example.p",
        json!({"version": "1.2.0"}),
    );
    let p = |f: &PathBuf| f.to_str().unwrap().to_string();
    env.notation()
        .args(["plugin", "install", "--file", &p(&v1)])
        .assert()
        .success()
        .stdout("Successfully installed plugin com.example.p, version 1.0.0\n");
    assert!(env
        .plugins()
        .join("com.example.p/notation-com.example.p")
        .is_file());
    assert_eq!(
        error_line(
            env.notation()
                .args(["plugin", "install", "--file", &p(&v1)])
                .assert()
        ),
        "Error: plugin installation failed: plugin com.example.p with version 1.0.0 already exists"
    );
    env.notation()
        .args(["plugin", "add", "--file", &p(&v2)])
        .assert()
        .success()
        .stdout("Successfully updated plugin com.example.p from version 1.0.0 to 1.2.0\n");
    let a = env
        .notation()
        .args(["plugin", "install", "--file", &p(&v1)])
        .assert()
        .failure();
    assert_eq!(
        stderr(&a),
        "Error: plugin installation failed: failed to install plugin com.example.p. The installing plugin version 1.0.0 is lower than the existing plugin version 1.2.0.\nIt is not recommended to install an older version. To force the installation, use the \"--force\" option\n"
    );
    env.notation()
        .args(["plugin", "install", "--force", "--file", &p(&v1)])
        .assert()
        .success()
        .stdout("Successfully updated plugin com.example.p from version 1.2.0 to 1.0.0\n");
    env.notation()
        .args(["plugin", "uninstall", "--yes", "com.example.p"])
        .assert()
        .success()
        .stdout("Successfully uninstalled plugin com.example.p\n");
    assert!(!env.plugins().join("com.example.p").exists());
    let a = env
        .notation()
        .args(["plugin", "rm", "-y", "com.example.p"])
        .assert()
        .failure();
    assert_eq!(stderr(&a), "Error: unable to find plugin com.example.p.\nTo view a list of installed plugins, use `notation plugin list`\n");
}

#[test]
fn install_from_archives() {
    let env = Env::new();
    let src = env.path().join("src");
    let exe = env.plugin_file(&src, "com.example.arc", json!({}));
    fs::write(src.join("LICENSE"), "licence").unwrap();
    let py = |code: &str| {
        let ok = std::process::Command::new("python3")
            .args(["-c", code])
            .current_dir(&src)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    py("import tarfile\nwith tarfile.open('p.tar.gz','w:gz') as t:\n t.add('notation-com.example.arc','bin/notation-com.example.arc')\n t.add('LICENSE')");
    env.notation()
        .args(["plugin", "install", "--file", "src/p.tar.gz"])
        .assert()
        .success()
        .stdout("Successfully installed plugin com.example.arc, version 1.0.0\n");
    assert!(env.plugins().join("com.example.arc/LICENSE").is_file());
    env.notation()
        .args(["plugin", "uninstall", "-y", "com.example.arc"])
        .assert()
        .success();
    // zip, with a misleading extension: the type is sniffed from the content.
    py("import zipfile\nwith zipfile.ZipFile('p.bin','w',zipfile.ZIP_DEFLATED) as z:\n z.write('notation-com.example.arc')\n z.write('LICENSE')");
    env.notation()
        .args(["plugin", "install", "--file", "src/p.bin"])
        .assert()
        .success()
        .stdout("Successfully installed plugin com.example.arc, version 1.0.0\n");
    let installed = env
        .plugins()
        .join("com.example.arc/notation-com.example.arc");
    assert_eq!(fs::read(&installed).unwrap(), fs::read(&exe).unwrap());

    // Archives without exactly one executable, and corrupt ones.
    py("import zipfile\nwith zipfile.ZipFile('none.zip','w') as z:\n z.write('LICENSE')");
    py("import zipfile\nwith zipfile.ZipFile('two.zip','w') as z:\n z.write('LICENSE','notation-a')\n z.write('LICENSE','notation-b')");
    fs::write(src.join("bad.tar.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    py("import tarfile\nwith tarfile.open('slip.tar.gz','w:gz') as t:\n t.add('notation-com.example.arc','../notation-com.example.arc')");
    for (file, want) in [
        ("src/none.zip", "Error: plugin installation failed: no plugin executable file was found"),
        ("src/two.zip", "Error: plugin installation failed: found more than one plugin executable files: notation-a, notation-b"),
        ("src/bad.tar.gz", "Error: plugin installation failed: failed to decompress the plugin archive"),
        ("src/slip.tar.gz", "Error: plugin installation failed: file name in tar.gz cannot contain '..', but found \"../notation-com.example.arc\""),
        ("src/LICENSE", "Error: plugin installation failed: invalid plugin executable file name. Plugin file name requires format notation-{plugin-name}, but got LICENSE"),
    ] {
        let line = error_line(env.notation().args(["plugin", "install", "--file", file]).assert());
        assert!(line.starts_with(want), "{file}: {line}");
    }
}

#[test]
fn install_checksums_and_url_rules() {
    let env = Env::new();
    let exe = env.plugin_file(&env.path().join("src"), "com.example.sum", json!({}));
    let exe = exe.to_str().unwrap();
    let sum = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(fs::read(exe).unwrap()))
    };
    let wrong = "0".repeat(64);
    assert_eq!(
        error_line(env.notation().args(["plugin", "install", "--file", exe, "--sha256sum", &wrong]).assert()),
        format!("Error: plugin installation failed: plugin SHA-256 checksum does not match user input. Expecting {wrong}")
    );
    assert!(!env.plugins().join("com.example.sum").exists());
    env.notation()
        .args([
            "plugin",
            "install",
            "--file",
            exe,
            "--sha256sum",
            &sum.to_uppercase(),
        ])
        .assert()
        .success();
    for (args, want) in [
        (vec!["--url", "https://example.invalid/p"], "Error: installing from URL requires non-empty SHA256 checksum of the plugin source"),
        (vec!["--url", "http://example.invalid/p", "--sha256sum", &sum], "Error: failed to download plugin from URL: only the HTTPS scheme is supported, but got http"),
        (vec!["--file"], "Error: missing plugin file path"),
        (vec!["--url"], "Error: missing plugin URL"),
        (vec!["--file", "a", "b"], "Error: can only install one plugin at a time, but got [a b]"),
        (vec!["--file", "src"], "Error: plugin installation failed: src is not a valid file"),
    ] {
        let mut full = vec!["plugin", "install"];
        full.extend(args);
        assert_eq!(error_line(env.notation().args(&full).assert()), want);
    }
}

#[test]
fn install_refuses_a_plugin_whose_metadata_names_another_plugin() {
    let env = Env::new();
    let src = env.path().join("src");
    let exe = env.plugin_file(&src, "com.example.a", json!({"name": "com.example.b"}));
    let a = env
        .notation()
        .args(["plugin", "install", "--file", exe.to_str().unwrap()])
        .assert()
        .failure();
    let err = stderr(&a);
    assert!(
        err.starts_with("Error: plugin installation failed: failed to get metadata of new plugin: executable name must be \"notation-com.example.b\" instead of \"notation-com.example.a\".\nPlease ensure that the plugin executable file is intact"),
        "{err}"
    );
    assert!(!env.plugins().join("com.example.a").exists());
    assert_eq!(
        fs::read_dir(env.plugins()).unwrap().count(),
        0,
        "staging left behind"
    );
}

// ---------------------------------------------------------------- signing

#[test]
fn raw_plugin_signature_verifies() {
    let env = Env::new();
    env.install("com.example.raw", json!({}));
    env.notation()
        .args([
            "key",
            "add",
            "--plugin",
            "com.example.raw",
            "--id",
            "key-1",
            "--plugin-config",
            "region=eu",
            "--default",
            "kms",
        ])
        .assert()
        .success();
    env.sign(&[
        "--plugin-config",
        "region=us",
        "--plugin-config",
        "tier=gold",
    ])
    .success()
    .stdout(predicates::str::starts_with(
        "Successfully signed layout@sha256:",
    ));
    let reqs = env.requests("com.example.raw");
    let commands: Vec<&str> = reqs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        commands,
        ["get-plugin-metadata", "describe-key", "generate-signature"]
    );
    assert_eq!(
        reqs[0].1,
        json!({"pluginConfig": {"region": "us", "tier": "gold"}})
    );
    assert_eq!(
        reqs[1].1,
        json!({"contractVersion": "1.0", "keyId": "key-1", "pluginConfig": {"region": "us", "tier": "gold"}})
    );
    assert_eq!(reqs[2].1["keySpec"], "RSA-2048");
    assert_eq!(reqs[2].1["hashAlgorithm"], "SHA-256");
    env.verify(&[]).success();
    // The signing agent names the plugin.
    let a = env
        .notation()
        .args(["inspect", "--oci-layout", "layout:v1", "-o", "json"])
        .assert()
        .success();
    let inspect: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let agent = inspect["Signatures"][0]["unsignedAttributes"]["signingAgent"].clone();
    assert_eq!(agent, "notation-go/1.3.2 com.example.raw/1.0.0");
}

#[test]
fn sign_with_plugin_and_id_flags_and_cose() {
    let env = Env::new();
    env.install("com.example.raw", json!({}));
    env.sign(&[
        "--plugin",
        "com.example.raw",
        "--id",
        "k",
        "--signature-format",
        "cose",
    ])
    .success();
    env.verify(&[]).success();
}

#[test]
fn plugin_failures_are_one_error_line_and_write_nothing() {
    let env = Env::new();
    let before = env.index();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"fail": {"generate-signature": {"stderr": "{\"errorCode\":\"ACCESS_DENIED\",\"errorMessage\":\"no access to key k\"}", "exit": 1}}}),
            "Error: ACCESS_DENIED: no access to key k",
        ),
        (
            json!({"fail": {"describe-key": {"stderr": "segfault!", "exit": 3}}}),
            "Error: ERROR: response is not in JSON format. error: exit status 3, stderr: segfault!",
        ),
        (json!({"garbage": ["generate-signature"]}), "Error: failed to decode json response: plugin not compliant"),
        (json!({"capabilities": [IDENTITY]}), "Error: plugin does not have signing capabilities"),
        (json!({"keyIdEcho": "other"}), "Error: keyID in describeKey response \"other\" does not match request \"k\""),
        (json!({"keySpec": "RSA-1024"}), "Error: signature key spec \"RSA-1024\" not supported"),
        (json!({"keySpec": "EC-256"}), "Error: mismatch between signature algorithm derived from signing certificate (RSASSA-PSS-SHA-256) and signing algorithm specified (ECDSA-SHA-256)"),
        // notation-go verifies what it signed: "generated signature failed verification: ".
        (json!({"signOther": true}), "Error: generated signature failed verification: signature is invalid. Error: crypto/rsa: verification error"),
        (json!({"name": "com.example.other"}), "Error: executable name must be \"notation-com.example.other\" instead of \"notation-com.example.bad\""),
    ];
    for (conf, want) in cases {
        let _ = fs::remove_dir_all(env.plugins());
        env.install("com.example.bad", conf.clone());
        let line = error_line(env.sign(&["--plugin", "com.example.bad", "--id", "k"]));
        assert!(line.starts_with(want), "{conf}: {line}");
        assert_eq!(line.lines().count(), 1, "{line}");
        assert_eq!(env.index(), before, "{conf}: layout changed");
    }
    // Present but not executable.
    let _ = fs::remove_dir_all(env.plugins());
    env.install("com.example.noexec", json!({}));
    set_mode(
        &env.plugins()
            .join("com.example.noexec/notation-com.example.noexec"),
        0o644,
    );
    let line = error_line(env.sign(&["--plugin", "com.example.noexec", "--id", "k"]));
    assert!(
        line.starts_with("Error: ERROR: response is not in JSON format. error: fork/exec ")
            && line.ends_with("notation-com.example.noexec: permission denied, stderr:"),
        "{line}"
    );
    let line = error_line(env.sign(&["--plugin", "com.example.missing", "--id", "k"]));
    assert!(
        line.starts_with(
            "Error: plugin executable file is either not found or inaccessible: stat "
        ),
        "{line}"
    );
    assert!(
        line.ends_with("notation-com.example.missing: no such file or directory"),
        "{line}"
    );
    assert_eq!(env.index(), before);
}

#[test]
fn envelope_plugin_success_and_validation() {
    let env = Env::new();
    env.install(
        "com.example.env",
        json!({"capabilities": [ENVELOPE], "annotations": {"com.example.from-plugin": "yes"}}),
    );
    env.sign(&[
        "--plugin",
        "com.example.env",
        "--id",
        "k",
        "-m",
        "env=prod",
        "--expiry",
        "2h",
    ])
    .success();
    let reqs = env.requests("com.example.env");
    let (cmd, req) = &reqs[1];
    assert_eq!(cmd, "generate-envelope");
    assert_eq!(
        req["payloadType"],
        "application/vnd.cncf.notary.payload.v1+json"
    );
    assert_eq!(req["signatureEnvelopeType"], "application/jose+json");
    assert_eq!(req["expiryDurationInSeconds"], 7200);
    let list = env
        .notation()
        .args(["inspect", "--oci-layout", "layout:v1", "-o", "json"])
        .assert()
        .success();
    let inspect: Value = serde_json::from_slice(&list.get_output().stdout).unwrap();
    assert_eq!(
        inspect["Signatures"][0]["unsignedAttributes"]["signingAgent"],
        "test-envelope-plugin/1.0"
    );
    env.verify(&["-m", "env=prod"]).success();
    // The plugin's manifest annotations are stored next to notation's own.
    let digest = inspect["Signatures"][0]["digest"].as_str().unwrap();
    let hex = digest.trim_start_matches("sha256:");
    let manifest: Value = serde_json::from_slice(
        &fs::read(env.path().join("layout/blobs/sha256").join(hex)).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["annotations"]["com.example.from-plugin"], "yes");
    assert!(manifest["annotations"]["io.cncf.notary.x509chain.thumbprint#S256"].is_string());

    let before = env.index();
    for (conf, want) in [
        (json!({"envelopeType": "application/cose"}), "Error: signatureEnvelopeType in generateEnvelope response \"application/cose\" does not match request \"application/jose+json\""),
        (json!({"changeDigest": true}), "Error: during signing descriptor subject has changed from {MediaType:application/vnd.oci.image.manifest.v1+json Digest:sha256:"),
        (json!({"extraMember": true}), "Error: during signing, following unknown attributes were added to subject descriptor: [\"surprise\"]"),
        (json!({"chain": env.path().join("notation/localkeys/rsa3072.crt")}), "Error: generated signature failed verification: "),
        (json!({"fail": {"generate-envelope": {"stderr": "{\"errorCode\":\"THROTTLED\",\"errorMessage\":\"slow down\"}"}}}), "Error: plugin failed to sign with following error: THROTTLED: slow down"),
    ] {
        let mut conf = conf;
        conf["capabilities"] = json!([ENVELOPE]);
        let _ = fs::remove_dir_all(env.plugins());
        env.install("com.example.env", conf.clone());
        let line = error_line(env.sign(&["--plugin", "com.example.env", "--id", "k"]));
        assert!(line.starts_with(want), "{conf}: {line}");
        assert_eq!(env.index(), before, "{conf}: layout changed");
    }
}

// ---------------------------------------------------------------- verification plugins

/// Sign with an ENVELOPE plugin whose envelopes name verification plugin `verifier`.
fn sign_naming_verifier(env: &Env, verifier: &str, min_version: Option<&str>, extra: Value) {
    let mut protected = json!({"io.cncf.notary.verificationPlugin": verifier});
    if let Some(v) = min_version {
        protected["io.cncf.notary.verificationPluginMinVersion"] = json!(v);
    }
    for (k, v) in extra.as_object().unwrap() {
        protected[k] = v.clone();
    }
    env.install(
        "com.example.signer",
        json!({"capabilities": [ENVELOPE], "extraProtected": protected}),
    );
    env.sign(&["--plugin", "com.example.signer", "--id", "k"])
        .success();
}

#[test]
fn verification_plugin_is_called_and_honoured() {
    let env = Env::new();
    sign_naming_verifier(
        &env,
        "com.example.verifier",
        Some("1.0.0"),
        json!({"com.example.attr": "v"}),
    );
    env.install(
        "com.example.verifier",
        json!({"capabilities": [IDENTITY, REVOCATION], "version": "1.1.0",
               "verifyResponse": {"verificationResults": {IDENTITY: {"success": true}, REVOCATION: {"success": true}},
                                  "processedAttributes": ["com.example.attr"]}}),
    );
    env.verify(&["--plugin-config", "mode=strict"]).success();
    let reqs = env.requests("com.example.verifier");
    let commands: Vec<&str> = reqs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(commands, ["get-plugin-metadata", "verify-signature"]);
    let req = &reqs[1].1;
    assert_eq!(req["contractVersion"], "1.0");
    assert_eq!(req["pluginConfig"], json!({"mode": "strict"}));
    let crit = &req["signature"]["criticalAttributes"];
    assert_eq!(
        crit["contentType"],
        "application/vnd.cncf.notary.payload.v1+json"
    );
    assert_eq!(crit["signingScheme"], "notary.x509");
    assert_eq!(crit["expiry"], "0001-01-01T00:00:00Z");
    assert_eq!(crit["extendedAttributes"], json!({"com.example.attr": "v"}));
    assert!(crit.get("authenticSigningTime").is_none());
    assert_eq!(
        req["signature"]["unprocessedAttributes"],
        json!(["com.example.attr"])
    );
    assert_eq!(
        req["signature"]["certificateChain"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        req["trustPolicy"],
        json!({"trustedIdentities": ["*"], "signatureVerification": [IDENTITY, REVOCATION]})
    );
}

#[test]
fn verification_plugin_failures() {
    let env = Env::new();
    sign_naming_verifier(
        &env,
        "com.example.verifier",
        Some("1.2.0"),
        json!({"com.example.attr": "v"}),
    );
    let ok = json!({"verificationResults": {IDENTITY: {"success": true}}, "processedAttributes": ["com.example.attr"]});
    let cases: Vec<(Option<Value>, &str)> = vec![
        (None, "error while locating the verification plugin \"com.example.verifier\""),
        (Some(json!({"version": "1.1.9", "capabilities": [IDENTITY], "verifyResponse": ok})),
         "found plugin com.example.verifier with version 1.1.9 but signature verification needs plugin version greater than or equal to 1.2.0"),
        (Some(json!({"version": "1.2.0", "capabilities": [RAW], "verifyResponse": ok})),
         "digital signature requires plugin \"com.example.verifier\" with signature verification capabilities"),
        (Some(json!({"version": "1.2.0", "capabilities": [IDENTITY],
                     "verifyResponse": {"verificationResults": {IDENTITY: {"success": false, "reason": "not my signer"}}, "processedAttributes": ["com.example.attr"]}})),
         "trusted identify verification by plugin \"com.example.verifier\" failed with reason \"not my signer\""),
        (Some(json!({"version": "1.2.0", "capabilities": [IDENTITY],
                     "verifyResponse": {"verificationResults": {IDENTITY: {"success": true}}, "processedAttributes": []}})),
         "extended critical attribute \"com.example.attr\" was not processed by the verification plugin \"com.example.verifier\""),
        (Some(json!({"version": "1.2.0", "capabilities": [IDENTITY, REVOCATION], "verifyResponse": ok})),
         "verification plugin \"com.example.verifier\" failed to verify \"SIGNATURE_VERIFIER.REVOCATION_CHECK\""),
        (Some(json!({"version": "1.2.0", "capabilities": [IDENTITY],
                     "fail": {"verify-signature": {"stderr": "{\"errorCode\":\"ERROR\",\"errorMessage\":\"backend down\"}"}}})),
         "ERROR: backend down"),
    ];
    for (conf, want) in cases {
        let _ = fs::remove_dir_all(env.plugins().join("com.example.verifier"));
        if let Some(conf) = &conf {
            env.install("com.example.verifier", conf.clone());
        }
        let a = env.verify(&["-v"]).failure().code(1);
        let err = stderr(&a);
        assert!(err.contains(want), "{conf:?}: {err}");
        assert!(
            err.lines().any(|l| l.starts_with("Error: signature verification failed for all the signatures associated with layout@sha256:")),
            "{err}"
        );
    }
}

#[test]
fn logged_plugin_identity_failure_only_warns() {
    let env = Env::new();
    sign_naming_verifier(&env, "com.example.verifier", None, json!({}));
    env.install(
        "com.example.verifier",
        json!({"capabilities": [IDENTITY],
               "verifyResponse": {"verificationResults": {IDENTITY: {"success": false, "reason": "unknown signer"}}}}),
    );
    let policy = json!({"version": "1.0", "trustPolicies": [{
        "name": "audit", "registryScopes": ["*"],
        "signatureVerification": {"level": "audit"},
        "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]}]});
    fs::write(
        env.path().join("notation/trustpolicy.json"),
        policy.to_string(),
    )
    .unwrap();
    let a = env.verify(&[]).success();
    assert!(
        stderr(&a).contains("Warning: authenticity was set to \"log\" and failed with error: trusted identify verification by plugin \"com.example.verifier\" failed with reason \"unknown signer\""),
        "{}",
        stderr(&a)
    );
}

#[test]
fn plugin_header_must_be_critical_string() {
    let env = Env::new();
    // Not critical: the attribute is present but not listed in `crit`.
    env.install(
        "com.example.signer",
        json!({"capabilities": [ENVELOPE], "extraProtected": {"io.cncf.notary.verificationPlugin": ""}}),
    );
    env.sign(&["--plugin", "com.example.signer", "--id", "k"])
        .success();
    let a = env.verify(&["-v"]).failure();
    assert!(
        stderr(&a).contains(
            "\"io.cncf.notary.verificationPlugin\" from extended attribute is not a valid string"
        ),
        "{}",
        stderr(&a)
    );
}

#[test]
fn revocation_plugin_is_not_called_when_revocation_is_skipped() {
    let env = Env::new();
    sign_naming_verifier(&env, "com.example.verifier", None, json!({}));
    env.install(
        "com.example.verifier",
        json!({"capabilities": [REVOCATION],
               "verifyResponse": {"verificationResults": {REVOCATION: {"success": false, "reason": "revoked"}}}}),
    );
    // Enforced revocation: the plugin's verdict fails the signature.
    let a = env.verify(&["-v"]).failure();
    assert!(
        stderr(&a).contains("revocation check by verification plugin \"com.example.verifier\" failed with reason \"revoked\""),
        "{}",
        stderr(&a)
    );
    let _ = fs::remove_file(env.log_path("com.example.verifier"));
    let policy = json!({"version": "1.0", "trustPolicies": [{
        "name": "no-revocation", "registryScopes": ["*"],
        "signatureVerification": {"level": "strict", "override": {"revocation": "skip"}},
        "trustStores": ["ca:interop-root"], "trustedIdentities": ["*"]}]});
    fs::write(
        env.path().join("notation/trustpolicy.json"),
        policy.to_string(),
    )
    .unwrap();
    env.verify(&[]).success();
    let commands: Vec<String> = env
        .requests("com.example.verifier")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(commands, ["get-plugin-metadata"]);
}

/// `blob sign` through a RAW plugin (digest algorithm from describe-key), verified by
/// `blob verify` under a blob policy trusting the interop root.
#[test]
fn blob_sign_with_a_plugin() {
    let env = Env::new();
    env.install("com.example.raw", json!({}));
    fs::write(
        env.path().join("artifact.bin"),
        b"bytes signed through a plugin",
    )
    .unwrap();
    fs::write(
        env.path().join("notation/trustpolicy.blob.json"),
        r#"{"version":"1.0","trustPolicies":[{"name":"b","signatureVerification":{"level":"strict"},"trustStores":["ca:interop-root"],"trustedIdentities":["*"],"globalPolicy":true}]}"#,
    )
    .unwrap();
    let signed = env
        .notation()
        .args([
            "blob",
            "sign",
            "--plugin",
            "com.example.raw",
            "--id",
            "k",
            "artifact.bin",
        ])
        .assert()
        .success();
    assert!(
        stdout(&signed).starts_with("Successfully signed artifact.bin"),
        "{}",
        stdout(&signed)
    );
    let kinds: Vec<String> = env
        .requests("com.example.raw")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(kinds.iter().any(|k| k == "describe-key"), "{kinds:?}");
    env.notation()
        .args([
            "blob",
            "verify",
            "--signature",
            "artifact.bin.jws.sig",
            "artifact.bin",
        ])
        .assert()
        .success();
    fs::write(env.path().join("artifact.bin"), b"other bytes").unwrap();
    env.notation()
        .args([
            "blob",
            "verify",
            "--signature",
            "artifact.bin.jws.sig",
            "artifact.bin",
        ])
        .assert()
        .failure();
}

// ------------------------------------------------- responses decoded as Go's encoding/json

#[test]
fn verification_plugin_answers_as_a_go_plugin_encodes() {
    // A Go plugin's encoder writes `null` for a nil slice: processedAttributes: null is "none".
    let env = Env::new();
    sign_naming_verifier(&env, "com.example.verifier", None, json!({}));
    env.install(
        "com.example.verifier",
        json!({"capabilities": [IDENTITY],
               "verifyResponse": {"verificationResults": {IDENTITY: {"success": true, "reason": null}},
                                  "processedAttributes": null, "unknownMember": {"a": [1, null]}}}),
    );
    env.verify(&[]).success();

    // Member names match case-insensitively; the last of duplicate members wins.
    env.install(
        "com.example.verifier",
        json!({"capabilities": [IDENTITY], "capitalize": true,
               "verifyResponse": {"verificationResults": {IDENTITY: {"Success": true}}}}),
    );
    env.verify(&[]).success();

    // A `null` result (Go's nil pointer) is no result for that capability.
    env.install(
        "com.example.verifier",
        json!({"capabilities": [IDENTITY],
               "verifyResponse": {"verificationResults": {IDENTITY: null}, "processedAttributes": null}}),
    );
    let err = stderr(&env.verify(&[]).failure().code(1));
    assert!(
        err.contains("verification plugin \"com.example.verifier\" failed to verify \"SIGNATURE_VERIFIER.TRUSTED_IDENTITY\""),
        "{err}"
    );

    // What Go's json.Unmarshal rejects is still "not compliant": a type mismatch, and bytes
    // after the document.
    for conf in [
        json!({"capabilities": [IDENTITY],
               "verifyResponse": {"verificationResults": {IDENTITY: {"success": "yes"}}}}),
        json!({"capabilities": [IDENTITY], "trailing": {"verify-signature": " {}"},
               "verifyResponse": {"verificationResults": {IDENTITY: {"success": true}}}}),
    ] {
        env.install("com.example.verifier", conf.clone());
        let err = stderr(&env.verify(&[]).failure().code(1));
        assert!(
            err.contains("failed to decode json response: plugin not compliant"),
            "{conf}: {err}"
        );
    }
}

#[test]
fn signing_plugins_answer_as_a_go_plugin_encodes() {
    let env = Env::new();
    // RAW: capitalized member names, unknown members, nulls for optional members.
    env.install(
        "com.example.raw",
        json!({"capabilities": [RAW], "capitalize": true,
               "extra": {"get-plugin-metadata": {"unknown": null},
                         "describe-key": {"extra": {"nested": null}}}}),
    );
    env.sign(&["--plugin", "com.example.raw", "--id", "k"])
        .success();
    // ENVELOPE: annotations null (a nil map).
    env.install(
        "com.example.env",
        json!({"capabilities": [ENVELOPE],
               "extra": {"generate-envelope": {"annotations": null}}}),
    );
    env.sign(&["--plugin", "com.example.env", "--id", "k"])
        .success();
    env.verify(&[]).success();
    // An error object with Go-cased members is still the plugin's error.
    env.install(
        "com.example.raw",
        json!({"capabilities": [RAW],
               "fail": {"describe-key": {"stderr": "{\"ErrorCode\":\"ACCESS_DENIED\",\"ERRORMESSAGE\":\"no key\",\"errorMetadata\":null}"}}}),
    );
    let err = error_line(
        env.sign(&["--plugin", "com.example.raw", "--id", "k"])
            .failure(),
    );
    assert!(err.contains("ACCESS_DENIED: no key"), "{err}");
}
