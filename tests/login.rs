//! `notation login` / `logout` against a real htpasswd registry, storing credentials
//! through a `docker-credential-*` helper (a shell script keeping JSON files in a temp dir).

mod common;

use assert_cmd::Command;
use common::registry::{Config, TestRegistry, PASSWORD, USERNAME};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

const HELPER: &str = r#"#!/bin/sh
# Docker credential helper protocol, one JSON file per server in $TEST_CRED_DIR.
file() { printf '%s/%s.json' "$TEST_CRED_DIR" "$(printf '%s' "$1" | tr ':/' '__')"; }
case "$1" in
  store)
    input=$(cat)
    server=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
    printf '%s' "$input" > "$(file "$server")" ;;
  get)
    read -r server
    f=$(file "$server")
    if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase)
    read -r server
    f=$(file "$server")
    if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
esac
"#;

/// A clean environment: its own notation config dir, Docker config dir, HOME and PATH.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(with_helper: bool) -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["notation", "docker", "home", "bin", "creds"] {
            std::fs::create_dir(env.path(d)).unwrap();
        }
        if with_helper {
            let helper = env.path("bin").join("docker-credential-test");
            std::fs::write(&helper, HELPER).unwrap();
            std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::write(
                env.path("notation").join("config.json"),
                r#"{"credsStore":"test"}"#,
            )
            .unwrap();
        }
        env
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("notation").unwrap();
        cmd.env_clear()
            .env("NOTATION_CONFIG", self.path("notation"))
            .env("DOCKER_CONFIG", self.path("docker"))
            .env("HOME", self.path("home"))
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .env("TEST_CRED_DIR", self.path("creds"));
        cmd
    }

    fn stored(&self, server: &str) -> Option<serde_json::Value> {
        let f = self
            .path("creds")
            .join(format!("{}.json", server.replace([':', '/'], "_")));
        std::fs::read(f)
            .ok()
            .map(|b| serde_json::from_slice(&b).unwrap())
    }
}

fn output(cmd: &mut Command, port: u16, dir: &Path) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&port.to_string(), "PORT")
            .replace(&dir.display().to_string(), "TMP")
    };
    (out.status.success(), clean(&out.stdout), clean(&out.stderr))
}

#[test]
fn login_stores_through_helper_and_logout_erases() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(true);
    let host = reg.host();
    let (ok, stdout, stderr) = output(
        env.cmd().args([
            "login",
            "-u",
            USERNAME,
            "-p",
            PASSWORD,
            "--insecure-registry",
            &host,
        ]),
        reg.port,
        env.dir.path(),
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Login Succeeded\n");
    assert_eq!(
        env.stored(&host).unwrap(),
        serde_json::json!({"ServerURL": host, "Username": USERNAME, "Secret": PASSWORD})
    );

    // Logout erases it; a second logout is not an error.
    for _ in 0..2 {
        let (ok, stdout, stderr) =
            output(env.cmd().args(["logout", &host]), reg.port, env.dir.path());
        assert!(ok, "{stderr}");
        assert_eq!(stdout, "Logout Succeeded\n");
        assert!(env.stored(&host).is_none());
    }
}

#[test]
fn login_password_stdin_and_prompted_username() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(true);
    let host = reg.host();
    let (ok, stdout, stderr) = output(
        env.cmd()
            .args([
                "login",
                "-u",
                USERNAME,
                "--password-stdin",
                "--insecure-registry",
                &host,
            ])
            .write_stdin(format!("{PASSWORD}\r\n")),
        reg.port,
        env.dir.path(),
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Login Succeeded\n");

    let (ok, stdout, stderr) = output(
        env.cmd()
            .args(["login", "--insecure-registry", &host])
            .write_stdin(format!("{USERNAME}\n{PASSWORD}\n")),
        reg.port,
        env.dir.path(),
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Username: Password: Login Succeeded\n");
    assert_eq!(env.stored(&host).unwrap()["Username"], USERNAME);
}

#[test]
fn login_errors() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(true);
    let host = reg.host();
    let mut lines = Vec::new();
    for args in [
        vec![
            "login",
            "-u",
            USERNAME,
            "-p",
            "wrong",
            "--insecure-registry",
            &host,
        ],
        vec!["login", "-u", USERNAME, "--insecure-registry", &host],
        vec!["login", "-u", "", "--insecure-registry", &host],
        vec!["login"],
        vec!["login", "-u", "a", "-p", "b", "https://example.com/v2"],
    ] {
        let (ok, stdout, stderr) = output(
            env.cmd().args(&args).write_stdin(""),
            reg.port,
            env.dir.path(),
        );
        assert!(!ok);
        lines.push(format!(
            "$ {}\n{stdout}{stderr}",
            args.join(" ").replace(&reg.port.to_string(), "PORT")
        ));
    }
    insta::assert_snapshot!(lines.join("\n"), @r#"
    $ login -u testuser -p wrong --insecure-registry 127.0.0.1:PORT
    Error: failed to log in to 127.0.0.1:PORT: failed to validate the credentials for 127.0.0.1:PORT: GET "http://127.0.0.1:PORT/v2/": response status code 401: unauthorized: authentication required

    $ login -u testuser --insecure-registry 127.0.0.1:PORT
    Password: Error: password required

    $ login -u  --insecure-registry 127.0.0.1:PORT
    Username: Token: Error: token required

    $ login
    Error: no hostname specified

    $ login -u a -p b https://example.com/v2
    Error: failed to get registry client: invalid reference: invalid registry "https://example.com/v2"
    "#);
    assert!(env.stored(&host).is_none());
}

#[test]
fn login_without_credentials_store_refuses_plaintext() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(false);
    let host = reg.host();
    let args = [
        "login",
        "-u",
        USERNAME,
        "-p",
        PASSWORD,
        "--insecure-registry",
        &host,
    ];
    let (ok, stdout, stderr) = output(env.cmd().args(args), reg.port, env.dir.path());
    assert!(!ok);
    assert_eq!(stdout, "");
    insta::assert_snapshot!(stderr, @r#"
    Error: failed to log in to 127.0.0.1:PORT: the credential could not be saved because a credentials store is required to securely store the password. See https://notaryproject.dev/docs/how-to/registry-authentication/
    Looked for a credentials store in: TMP/notation/config.json, TMP/docker/config.json. Add "credsStore": "<name>" (a docker-credential-<name> helper on PATH, e.g. "pass" or "secretservice") to TMP/notation/config.json, or pass the credentials with each command (-u/--password-stdin, or NOTATION_USERNAME/NOTATION_PASSWORD).
    "#);

    // The same credentials already readable from Docker's config.json are accepted.
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    std::fs::write(
        env.path("docker").join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let (ok, stdout, stderr) = output(env.cmd().args(args), reg.port, env.dir.path());
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        "Authenticated with existing credentials\nLogin Succeeded\n"
    );
    assert_eq!(stderr, "Warning: The credentials store is not set up. It is recommended to configure the credentials store to securely store your credentials. See https://notaryproject.dev/docs/how-to/registry-authentication/.\n");

    // Logout removes the plaintext entry from that file.
    let (ok, _, stderr) = output(env.cmd().args(["logout", &host]), reg.port, env.dir.path());
    assert!(ok, "{stderr}");
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("docker").join("config.json")).unwrap())
            .unwrap();
    assert_eq!(after, serde_json::json!({"auths": {}}));
}

#[test]
fn login_over_tls_with_ca_file_or_docker_certs_d() {
    let reg = TestRegistry::start(Config {
        tls: true,
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(true);
    let host = reg.host();
    let ca = reg.ca_file().display().to_string();
    let login = ["login", "-u", USERNAME, "-p", PASSWORD, &host];

    // The private CA is not trusted by default.
    let (ok, _, stderr) = output(env.cmd().args(login), reg.port, env.dir.path());
    assert!(!ok);
    assert_eq!(stderr, "Error: failed to log in to 127.0.0.1:PORT: failed to validate the credentials for 127.0.0.1:PORT: Get \"https://127.0.0.1:PORT/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n");

    let (ok, stdout, stderr) = output(
        env.cmd().args(login).args(["--ca-file", &ca]),
        reg.port,
        env.dir.path(),
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Login Succeeded\n");

    let certs_d = env.path("home").join(".config/docker/certs.d").join(&host);
    std::fs::create_dir_all(&certs_d).unwrap();
    std::fs::copy(reg.ca_file(), certs_d.join("ca.crt")).unwrap();
    let (ok, stdout, stderr) = output(env.cmd().args(login).arg("-d"), reg.port, env.dir.path());
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Login Succeeded\n");
    // -d traces the exchange as notation does (one record per request and per response),
    // without leaking the password: the Authorization value is scrubbed.
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    assert!(
        stderr.contains("level=debug msg=Request #0\n> Request: \"GET\" \"https://127.0.0.1:PORT/v2/\"\n> Request headers:\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("level=debug msg=Response #0\n< Response status: \"401 Unauthorized\"\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n   \"Authorization\": \"*****\"\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("level=debug msg=Response #1\n< Response status: \"200 OK\"\n"),
        "{stderr}"
    );
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    assert!(!stderr.contains(&basic), "{stderr}");
    // With -d every line carries notation's full timestamp.
    assert!(
        stderr
            .lines()
            .filter(|l| l.contains("level=debug"))
            .all(|l| l.starts_with("time=20")),
        "{stderr}"
    );
}

#[test]
fn insecure_registries_from_config_json() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let env = Env::new(true);
    let host = reg.host();
    let login = ["login", "-u", USERNAME, "-p", PASSWORD, &host];
    let (ok, _, stderr) = output(env.cmd().args(login), reg.port, env.dir.path());
    assert!(!ok, "HTTPS to a plain HTTP registry fails");
    assert!(
        stderr.contains(r#"Get "https://127.0.0.1:PORT/v2/""#),
        "{stderr}"
    );
    let config = format!(
        r#"{{"credsStore":"test","insecureRegistries":["{}"]}}"#,
        host.to_uppercase()
    );
    std::fs::write(env.path("notation").join("config.json"), config).unwrap();
    let (ok, stdout, stderr) = output(env.cmd().args(login), reg.port, env.dir.path());
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Login Succeeded\n");
}
