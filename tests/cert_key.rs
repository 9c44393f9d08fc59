//! `notation cert …` and `notation key …` driven through the binary, against temp config
//! homes and the Go notation v1.3.2 interop fixtures.

mod common;
use common::{copy_tree, interop_dir};

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn pki(name: &str) -> PathBuf {
    interop_dir().join("pki").join(name)
}

/// A throw-away `$XDG_CONFIG_HOME` whose `notation/` dir is the config dir.
struct Home {
    tmp: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    /// A home whose config dir is a writable copy of the interop `config/`.
    fn with_interop_config() -> Home {
        let home = Home::new();
        copy_tree(&interop_dir().join("config"), &home.config());
        home
    }

    fn xdg(&self) -> PathBuf {
        self.tmp.path().join("xdg")
    }

    fn config(&self) -> PathBuf {
        self.xdg().join("notation")
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("notation").unwrap();
        cmd.env_remove("NOTATION_CONFIG")
            .env_remove("NOTATION_LIBEXEC")
            .env("XDG_CONFIG_HOME", self.xdg())
            .env("XDG_CACHE_HOME", self.tmp.path().join("cache"))
            .env("HOME", self.tmp.path())
            .current_dir(self.tmp.path());
        cmd
    }

    /// Run with `args` and empty stdin; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_stdin(args, "")
    }

    fn run_stdin(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let out = self.cmd().args(args).write_stdin(stdin).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Replace the temp home in `text` so snapshots are stable.
    fn redact(&self, text: &str) -> String {
        text.replace(&self.xdg().display().to_string(), "$XDG_CONFIG_HOME")
            .replace(&self.tmp.path().display().to_string(), "$HOME")
            .replace(&interop_dir().display().to_string(), "$INTEROP")
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every `kind == "config"` check of cases.json except `policy …` (another module's job):
/// same exit code, stdout and stderr as Go notation v1.3.2.
#[test]
fn interop_config_checks_match_upstream() {
    let root = interop_dir();
    let cases: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("cases.json")).unwrap()).unwrap();
    let mut ran = 0;
    for check in cases["checks"].as_array().unwrap() {
        if check["kind"] != "config" {
            continue;
        }
        let argv: Vec<&str> = check["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        if argv[1] == "policy" {
            continue;
        }
        let home = Home::with_interop_config();
        let cwd = root.join(check["cwd"].as_str().unwrap());
        let out = home
            .cmd()
            .current_dir(&cwd)
            .env("NOTATION_EXPERIMENTAL", "1")
            .args(&argv[1..])
            .write_stdin("")
            .output()
            .unwrap();
        let files = &check["files"];
        let expected = |k: &str| fs::read_to_string(root.join(files[k].as_str().unwrap())).unwrap();
        let name = check["check"].as_str().unwrap();
        assert_eq!(
            out.status.code(),
            Some(check["exit"].as_i64().unwrap() as i32),
            "{name}: exit code"
        );
        let mut stdout = String::from_utf8(out.stdout).unwrap();
        let mut stderr = String::from_utf8(out.stderr).unwrap();
        if check["config_path_placeholder"] == true {
            let real = home.xdg().display().to_string();
            stdout = stdout.replace(&real, "$XDG_CONFIG_HOME");
            stderr = stderr.replace(&real, "$XDG_CONFIG_HOME");
        }
        assert_eq!(stdout, expected("stdout"), "{name}: stdout");
        assert_eq!(stderr, expected("stderr"), "{name}: stderr");
        ran += 1;
    }
    assert_eq!(ran, 7, "expected the 7 key/cert config checks");
}

#[test]
fn generate_test_writes_upstreams_files_and_profile() {
    let home = Home::new();
    let (code, stdout, stderr) =
        home.run(&["cert", "generate-test", "--default", "wabbit-networks.io"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let stdout = home.redact(&stdout);
    let expiry_line = stdout.lines().nth(1).unwrap().to_string();
    insta::with_settings!({filters => vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[RFC3339]")]}, {
        insta::assert_snapshot!("generate_test_stdout", stdout);
    });

    let config = home.config();
    let key = config.join("localkeys/wabbit-networks.io.key");
    let crt = config.join("localkeys/wabbit-networks.io.crt");
    let stored = config.join("truststore/x509/ca/wabbit-networks.io/wabbit-networks.io.crt");
    #[cfg(unix)]
    {
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&crt), 0o644);
        assert_eq!(mode(&stored), 0o600);
        assert_eq!(mode(&config.join("signingkeys.json")), 0o600);
        assert_eq!(mode(&config.join("localkeys")), 0o700);
        assert_eq!(mode(stored.parent().unwrap()), 0o700);
    }
    assert_eq!(fs::read(&crt).unwrap(), fs::read(&stored).unwrap());
    assert!(fs::read_to_string(&key)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(
        fs::read_to_string(config.join("signingkeys.json")).unwrap(),
        format!(
            "{{\n    \"default\": \"wabbit-networks.io\",\n    \"keys\": [\n        {{\n            \"name\": \"wabbit-networks.io\",\n            \"keyPath\": \"{k}\",\n            \"certPath\": \"{c}\"\n        }}\n    ]\n}}\n",
            k = key.display(),
            c = crt.display()
        )
    );

    let certs = notation::x509::parse_certificates(&fs::read(&crt).unwrap()).unwrap();
    assert_eq!(certs.len(), 1);
    let cert = &certs[0];
    assert_eq!(
        cert.subject(),
        "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US"
    );
    assert_eq!(cert.issuer(), cert.subject());
    assert!(!cert.is_ca() && cert.basic_constraints().is_none());
    assert!(cert.is_self_signed());
    assert_eq!(
        cert.not_after() - cert.not_before(),
        time::Duration::days(1)
    );
    let age = time::OffsetDateTime::now_utc() - cert.not_before();
    assert!(
        age >= time::Duration::ZERO && age < time::Duration::minutes(5),
        "notBefore is now: {age}"
    );
    let serial = u32::from_str_radix(&cert.serial_hex(), 16).unwrap();
    assert!(serial < 200);
    let ku = cert.key_usage().unwrap();
    assert_eq!(
        (ku.bits, ku.critical),
        (notation::x509::key_usage::DIGITAL_SIGNATURE, true)
    );
    let eku = cert.ext_key_usage().unwrap();
    assert_eq!(
        (eku.usages.as_slice(), eku.critical),
        (&[notation::x509::eku::CODE_SIGNING][..], false)
    );
    assert_eq!(
        cert.inner().tbs_certificate().extensions().unwrap().len(),
        2
    );
    let printed = cert
        .not_after()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(
        expiry_line,
        format!("generated certificate expiring on {printed}")
    );

    // The key pair loads and the trust store accepts the self-signed certificate.
    notation::x509::load_key_pair(&fs::read(&key).unwrap(), &fs::read(&crt).unwrap()).unwrap();
    let dirs = notation::config::Dirs {
        config: config.clone(),
        libexec: config.clone(),
        cache: config.clone(),
    };
    assert_eq!(
        notation::truststore::load_certificates(&dirs, "ca", "wabbit-networks.io")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn generate_test_days_bits_and_refusals() {
    let home = Home::new();
    let (code, stdout, _) = home.run(&[
        "cert",
        "generate-test",
        "--days",
        "30",
        "-b",
        "3072",
        "long",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("generating RSA Key with 3072 bits\n"));
    let crt = home.config().join("localkeys/long.crt");
    let cert = &notation::x509::parse_certificates(&fs::read(&crt).unwrap()).unwrap()[0];
    assert_eq!(
        cert.not_after() - cert.not_before(),
        time::Duration::days(30)
    );
    let (code, _, stderr) = home.run(&["key", "ls"]);
    assert_eq!((code, stderr.as_str()), (0, ""));

    // Same name again: the key file exists (nothing is overwritten).
    let key_before = fs::read(home.config().join("localkeys/long.key")).unwrap();
    let (code, stdout, stderr) = home.run(&["cert", "generate-test", "long"]);
    assert_eq!(code, 1);
    assert_eq!(stdout.lines().count(), 2);
    assert_eq!(
        home.redact(&stderr),
        "Error: failed to write key file: open $XDG_CONFIG_HOME/notation/localkeys/long.key: file exists\n"
    );
    assert_eq!(
        fs::read(home.config().join("localkeys/long.key")).unwrap(),
        key_before
    );

    let (code, _, stderr) = home.run(&["cert", "generate-test", "bad/name"]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: name needs to follow [a-zA-Z0-9_.-]+ format\n")
    );
    let (code, _, stderr) = home.run(&["cert", "generate-test"]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: missing certificate common_name\n")
    );
}

#[test]
fn generate_test_with_existing_key_name_fails_after_writing_files() {
    let home = Home::new();
    fs::create_dir_all(home.config()).unwrap();
    fs::write(
        home.config().join("signingkeys.json"),
        "{\"keys\":[{\"name\":\"dup\",\"id\":\"x\",\"pluginName\":\"p\"}]}",
    )
    .unwrap();
    let (code, _, stderr) = home.run(&["cert", "generate-test", "dup"]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: signing key with name \"dup\" already exists\n")
    );
    assert!(home.config().join("localkeys/dup.key").exists());
    assert!(!home.config().join("truststore/x509/ca/dup").exists());
}

#[test]
fn cert_add_list_show_delete() {
    let home = Home::new();
    let root = pki("root-ca.crt");
    let chain = pki("leaf-rsa2048.chain.pem");
    let root_s = root.display().to_string();
    let chain_s = chain.display().to_string();

    let (code, stdout, stderr) = home.run(&[
        "cert", "add", "-t", "ca", "-s", "mystore", &root_s, &chain_s,
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        format!("Successfully added following certificates to named store mystore of type ca:\n{root_s}\n{chain_s}\n")
    );
    let stored = home.config().join("truststore/x509/ca/mystore/root-ca.crt");
    assert_eq!(fs::read(&stored).unwrap(), fs::read(&root).unwrap());
    #[cfg(unix)]
    assert_eq!(mode(&stored), 0o600);

    // Partial failure: the good file is added, the rest reported with Go-quoted errors.
    let missing = home.tmp.path().join("missing.crt").display().to_string();
    let (code, stdout, stderr) = home.run(&[
        "cert", "add", "--type", "tsa", "--store", "ts", &root_s, &missing, &root_s,
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "Successfully added following certificates to named store ts of type tsa:\n{root_s}\n"
        )
    );
    insta::assert_snapshot!("cert_add_partial_failure_stderr", home.redact(&stderr));

    let (code, stdout, _) = home.run(&["cert", "ls"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("cert_ls_all", stdout);
    let (_, stdout, _) = home.run(&["cert", "list", "--type", "tsa"]);
    assert_eq!(
        stdout,
        "STORE TYPE   STORE NAME   CERTIFICATE   \ntsa          ts           root-ca.crt   \n"
    );
    let (code, stdout, _) = home.run(&["cert", "ls", "--type", "nope"]);
    assert_eq!((code, stdout.as_str()), (0, ""));

    let (code, stdout, _) = home.run(&[
        "cert",
        "show",
        "-t",
        "ca",
        "-s",
        "mystore",
        "leaf-rsa2048.chain.pem",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("cert_show_chain", stdout);

    // Delete: EOF at the prompt is "no"; "n" cancels; "y" deletes.
    let prompt =
        "Are you sure you want to delete \"root-ca.crt\" in \"mystore\" of type \"ca\"? [y/N] ";
    let del = ["cert", "delete", "-t", "ca", "-s", "mystore", "root-ca.crt"];
    let (code, stdout, _) = home.run_stdin(&del, "");
    assert_eq!((code, stdout.as_str()), (0, prompt));
    let (code, stdout, _) = home.run_stdin(&del, "n\n");
    assert_eq!(
        (code, stdout),
        (0, format!("{prompt}Operation cancelled.\n"))
    );
    assert!(stored.exists());
    let (code, stdout, _) = home.run_stdin(&del, "YES\n");
    assert_eq!(
        (code, stdout),
        (0, format!("{prompt}Successfully deleted root-ca.crt\n"))
    );
    assert!(!stored.exists());
    let (code, _, stderr) = home.run(&[
        "cert",
        "delete",
        "-t",
        "ca",
        "-s",
        "mystore",
        "-y",
        "root-ca.crt",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        home.redact(&stderr),
        "Error: failed to delete the certificate file: stat $XDG_CONFIG_HOME/notation/truststore/x509/ca/mystore/root-ca.crt: no such file or directory\n"
    );

    let (code, stdout, _) = home.run(&[
        "cert", "delete", "--type", "ca", "--store", "mystore", "--all", "--yes",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        home.redact(&stdout),
        "Successfully deleted $XDG_CONFIG_HOME/notation/truststore/x509/ca/mystore\n"
    );
    let (code, _, stderr) = home.run(&["cert", "delete", "-t", "ca", "-s", "mystore", "-a", "-y"]);
    assert_eq!(code, 1);
    assert_eq!(
        home.redact(&stderr),
        "Error: failed to delete the named trust store: stat $XDG_CONFIG_HOME/notation/truststore/x509/ca/mystore: no such file or directory\n"
    );
}

#[test]
fn cert_bad_input() {
    let home = Home::new();
    let root = pki("root-ca.crt").display().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["cert", "add", "-t", "ca", "-s", "s"], "missing certificate path"),
        (&["cert", "add", &root], "required flag(s) \"store\", \"type\" not set"),
        (&["cert", "add", "-t", "ca", &root], "required flag(s) \"store\" not set"),
        (&["cert", "add", "-t", "", "-s", "s", &root], "store type cannot be empty"),
        (&["cert", "add", "-t", "tls", "-s", "s", &root], "unsupported store type: tls"),
        (&["cert", "add", "-t", "ca", "-s", "a/b", &root], "named store name needs to follow [a-zA-Z0-9_.-]+ format"),
        (&["cert", "show", "-t", "ca", "-s", "s"], "missing certificate file name"),
        (&["cert", "show", "-t", "ca", "-s", "s", "a", "b"], "show only supports single certificate file"),
        (&["cert", "show", "a"], "required flag(s) \"store\", \"type\" not set"),
        (
            &["cert", "delete", "-t", "ca", "-s", "s", "--all", "x"],
            "cannot delete a single certificate file when --all flag is set. use --help flag for more details",
        ),
        (
            &["cert", "delete", "-t", "ca", "-s", "s"],
            "delete requires either the certificate file name that needs to be deleted or --all flag to delete all certificates in the given named trust store",
        ),
        (&["cert", "delete", "-t", "nope", "-s", "s", "x"], "unsupported store type: nope"),
    ];
    for (args, message) in cases {
        let (code, stdout, stderr) = home.run(args);
        assert_eq!(
            (code, stdout.as_str(), stderr),
            (1, "", format!("Error: {message}\n")),
            "{args:?}"
        );
    }
    // A file in the trust store that is not a certificate makes list fail.
    let store = home.config().join("truststore/x509/ca/s");
    fs::create_dir_all(&store).unwrap();
    fs::write(store.join("README"), "not a certificate").unwrap();
    let (code, _, stderr) = home.run(&["cert", "ls"]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with(
        "Error: failed to list all certificates stored in the trust store, with error: "
    ));
    // A group without (or with an unknown) subcommand prints its help and succeeds.
    let (code, stdout, _) = home.run(&["cert"]);
    assert!(code == 0 && stdout.contains("generate-test"), "{stdout}");
    let (code, stdout, _) = home.run(&["key", "bogus"]);
    assert!(code == 0 && stdout.contains("update"), "{stdout}");
}

#[test]
fn key_list_update_delete() {
    let home = Home::with_interop_config();
    let (code, stdout, stderr) = home.run(&["key", "set", "--default", "rsa3072"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "rsa3072: marked as default\n", "")
    );
    let keys: serde_json::Value =
        serde_json::from_slice(&fs::read(home.config().join("signingkeys.json")).unwrap()).unwrap();
    assert_eq!(keys["default"], "rsa3072");

    // Without --default: nothing happens (a warning only with -v).
    let before = fs::read(home.config().join("signingkeys.json")).unwrap();
    assert_eq!(
        home.run(&["key", "update", "rsa2048"]),
        (0, String::new(), String::new())
    );
    let (code, _, stderr) = home.run(&["key", "update", "-v", "rsa2048"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            0,
            "level=warning msg=--default flag is not set, command did not take effect\n"
        )
    );
    assert_eq!(
        fs::read(home.config().join("signingkeys.json")).unwrap(),
        before
    );
    assert_eq!(
        home.run(&["key", "update", "--default", "nope"]),
        (
            1,
            String::new(),
            "Error: signing key nope not found\n".to_string()
        )
    );

    // Delete is all-or-nothing.
    assert_eq!(
        home.run(&["key", "delete", "rsa4096", "nope"]),
        (
            1,
            String::new(),
            "Error: signing key nope not found\n".to_string()
        )
    );
    assert_eq!(
        fs::read(home.config().join("signingkeys.json")).unwrap(),
        before
    );
    assert_eq!(
        home.run(&["key", "delete", "rsa4096"]).1,
        "Removed rsa4096 from Notation signing key list. The source key still exists.\n"
    );
    assert_eq!(
        home.run(&["key", "delete", "rsa3072"]).1,
        "Removed default key rsa3072 from Notation signing key list. The source key still exists.\n"
    );
    home.run(&["key", "set", "--default", "ecp256"]);
    let (code, stdout, _) = home.run(&["key", "delete", "ecp384", "ecp256"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "Removed the following keys from Notation signing key list. The source keys still exist.\necp384\necp256 (default)\n"
    );
    assert!(home.config().join("localkeys/ecp256.key").exists());
    let (_, stdout, _) = home.run(&["key", "ls"]);
    insta::assert_snapshot!("key_ls_after_changes", stdout);
    assert_eq!(home.run(&["key", "delete"]).2, "Error: missing key names\n");
    assert_eq!(
        home.run(&["key", "update", "--default"]).2,
        "Error: missing key name\n"
    );
}

#[test]
fn malformed_signingkeys_fail_every_key_command() {
    let home = Home::new();
    fs::create_dir_all(home.config()).unwrap();
    let cases = [
        (
            r#"{"keys":[{"name":"a"},{"name":"a"}]}"#,
            "malformed signingkeys.json: multiple keys with name 'a' found",
        ),
        (
            r#"{"keys":[{"name":""}]}"#,
            "malformed signingkeys.json: key name cannot be empty",
        ),
        (
            r#"{"default":"x","keys":[]}"#,
            "malformed signingkeys.json: default key 'x' not found",
        ),
        (
            r#"{"default":"","keys":[]}"#,
            "malformed signingkeys.json: default key name cannot be empty",
        ),
    ];
    for (content, message) in cases {
        fs::write(home.config().join("signingkeys.json"), content).unwrap();
        for args in [
            &["key", "ls"][..],
            &["key", "set", "--default", "a"],
            &["key", "delete", "a"],
        ] {
            let (code, stdout, stderr) = home.run(args);
            assert_eq!(
                (code, stdout.as_str(), stderr),
                (1, "", format!("Error: {message}\n")),
                "{args:?}"
            );
        }
    }
    fs::write(home.config().join("signingkeys.json"), "{").unwrap();
    let (code, _, stderr) = home.run(&["key", "ls"]);
    assert!(
        code == 1 && stderr.starts_with("Error: malformed signingkeys.json: "),
        "{stderr}"
    );
    #[cfg(unix)]
    {
        fs::remove_file(home.config().join("signingkeys.json")).unwrap();
        let real = home.tmp.path().join("real.json");
        fs::write(&real, "{\"keys\":[]}").unwrap();
        std::os::unix::fs::symlink(&real, home.config().join("signingkeys.json")).unwrap();
        let (code, _, stderr) = home.run(&["key", "ls"]);
        assert_eq!(code, 1);
        assert_eq!(
            home.redact(&stderr),
            "Error: \"$XDG_CONFIG_HOME/notation/signingkeys.json\" is not a regular file (symlinks are not supported)\n"
        );
    }
}

#[test]
fn key_add_local_files() {
    let home = Home::new();
    let key = pki("leaf-rsa2048.key").display().to_string();
    let chain = pki("leaf-rsa2048.chain.pem").display().to_string();
    let (code, stdout, stderr) = home.run(&[
        "key",
        "add",
        "--key-file",
        &key,
        "--cert-file",
        &chain,
        "--default",
        "mine",
    ]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "mine: marked as default\n", "")
    );
    let keys: serde_json::Value =
        serde_json::from_slice(&fs::read(home.config().join("signingkeys.json")).unwrap()).unwrap();
    assert_eq!(
        keys["keys"][0],
        serde_json::json!({"name": "mine", "keyPath": key, "certPath": chain})
    );

    let (code, _, stderr) = home.run(&[
        "key",
        "add",
        "--key-file",
        &key,
        "--cert-file",
        &chain,
        "mine",
    ]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: signing key with name \"mine\" already exists\n")
    );

    let other_key = pki("leaf-rsa2048-alt.key").display().to_string();
    let (code, _, stderr) = home.run(&[
        "key",
        "add",
        "--key-file",
        &other_key,
        "--cert-file",
        &chain,
        "x",
    ]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: tls: private key does not match public key\n")
    );

    let noroot = pki("leaf-rsa2048.noroot.chain.pem").display().to_string();
    let (code, _, stderr) = home.run(&[
        "key",
        "add",
        "--key-file",
        &key,
        "--cert-file",
        &noroot,
        "x",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("is not usable") && stderr.contains("self-signed root"),
        "{stderr}"
    );

    let missing = home.tmp.path().join("nope.pem").display().to_string();
    let (code, _, stderr) = home.run(&[
        "key",
        "add",
        "--key-file",
        &key,
        "--cert-file",
        &missing,
        "x",
    ]);
    assert_eq!(
        (code, home.redact(&stderr).as_str()),
        (1, "Error: open $HOME/nope.pem: no such file or directory\n")
    );
    let (code, _, stderr) = home.run(&["key", "add", "--key-file", &key, "x"]);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: required flag(s) \"cert-file\" not set\n")
    );
    let (code, _, stderr) = home.run(&["key", "add", "a", "b"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            1,
            "Error: either missing key name or unnecessary parameters passed\n"
        )
    );
}

/// `pki/leaf-rsa2048.key` with the last byte of its DER flipped: the last byte of the CRT
/// coefficient, so the key parses but its fields disagree.
fn inconsistent_rsa_key() -> String {
    use base64::Engine as _;
    let pem = fs::read_to_string(pki("leaf-rsa2048.key")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    let mut der = engine.decode(body).unwrap();
    *der.last_mut().unwrap() ^= 1;
    let lines: Vec<String> = engine
        .encode(&der)
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[test]
fn an_inconsistent_rsa_key_is_refused_and_signs_nothing() {
    let home = Home::new();
    let key = home.tmp.path().join("bad.key");
    fs::write(&key, inconsistent_rsa_key()).unwrap();
    let key = key.display().to_string();
    let chain = pki("leaf-rsa2048.chain.pem").display().to_string();
    let add = [
        "key",
        "add",
        "--key-file",
        &key,
        "--cert-file",
        &chain,
        "bad",
    ];
    let (code, _, stderr) = home.run(&add);
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Error: tls: failed to parse private key\n")
    );
    assert!(!home.config().join("signingkeys.json").exists());

    // Named in signingkeys.json by hand, it fails to sign, and the layout is untouched.
    fs::create_dir_all(home.config()).unwrap();
    let keys = serde_json::json!({
        "default": "bad",
        "keys": [{"name": "bad", "keyPath": key, "certPath": chain}],
    });
    fs::write(home.config().join("signingkeys.json"), keys.to_string()).unwrap();
    let layout = home.tmp.path().join("layout");
    copy_tree(&common::testdata_layout("single-platform"), &layout);
    let index_before = fs::read(layout.join("index.json")).unwrap();
    let target = format!("{}:v1", layout.display());
    let (code, _, stderr) = home.run(&["sign", "--oci-layout", &target]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.ends_with("tls: failed to parse private key\n"),
        "{stderr}"
    );
    assert_eq!(fs::read(layout.join("index.json")).unwrap(), index_before);
}

#[test]
fn key_add_plugin_needs_installed_plugin() {
    let home = Home::new();
    let (code, _, stderr) = home.run(&["key", "add", "--plugin", "kms", "--id", "k1", "remote"]);
    assert_eq!(code, 1);
    assert_eq!(
        home.redact(&stderr),
        "Error: plugin executable file is either not found or inaccessible: stat $XDG_CONFIG_HOME/notation/plugins/kms/notation-kms: no such file or directory\n"
    );
    assert_eq!(
        home.run(&["key", "add", "--plugin", "kms", "remote"]).2,
        "Error: missing key id\n"
    );
    assert_eq!(
        home.run(&[
            "key",
            "add",
            "--plugin",
            "kms",
            "--id",
            "k",
            "--plugin-config",
            "novalue",
            "remote"
        ])
        .2,
        "Error: could not parse flag plugin-config: key-value pair requires \"=\" as separator\n"
    );
    let plugin_dir = home.config().join("plugins/kms");
    fs::create_dir_all(&plugin_dir).unwrap();
    fs::write(plugin_dir.join("notation-kms"), "#!/bin/sh\n").unwrap();
    let (code, stdout, _) = home.run(&[
        "key",
        "add",
        "--plugin",
        "kms",
        "--id",
        "arn:k/1",
        "--plugin-config",
        "region=eu",
        "remote",
    ]);
    assert_eq!((code, stdout.as_str()), (0, "remote\n"));
    assert_eq!(
        fs::read_to_string(home.config().join("signingkeys.json")).unwrap(),
        "{\n    \"keys\": [\n        {\n            \"name\": \"remote\",\n            \"id\": \"arn:k/1\",\n            \"pluginName\": \"kms\",\n            \"pluginConfig\": {\n                \"region\": \"eu\"\n            }\n        }\n    ]\n}\n"
    );
    let (_, stdout, _) = home.run(&["key", "ls"]);
    assert_eq!(
        stdout,
        "NAME     KEY PATH   CERTIFICATE PATH   ID        PLUGIN NAME   \nremote                                 arn:k/1   kms           \n"
    );
}

#[test]
fn cleanup_test_removes_what_generate_test_made() {
    let home = Home::new();
    assert_eq!(
        home.run(&["cert", "generate-test", "--default", "demo"]).0,
        0
    );
    let (code, stdout, _) = home.run_stdin(&["cert", "cleanup-test", "demo"], "");
    assert_eq!(code, 0);
    assert!(stdout.ends_with("[y/N] "), "{stdout}");
    assert!(home.config().join("localkeys/demo.key").exists());

    let (code, stdout, stderr) = home.run(&["cert", "cleanup-test", "-y", "demo"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    insta::assert_snapshot!("cleanup_test_stdout", home.redact(&stdout));
    assert!(!home.config().join("localkeys/demo.key").exists());
    assert!(!home.config().join("localkeys/demo.crt").exists());
    assert!(!home.config().join("truststore/x509/ca/demo").exists());
    assert_eq!(
        fs::read_to_string(home.config().join("signingkeys.json")).unwrap(),
        "{\n    \"keys\": []\n}\n"
    );

    // Running it again reports each step as already clean.
    let (code, stdout, _) = home.run(&["cert", "cleanup-test", "--yes", "demo"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("cleanup_test_again_stdout", home.redact(&stdout));
}
