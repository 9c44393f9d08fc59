//! `notation policy import | show | init` and the verify flag checks that need no envelope.

use assert_cmd::Command;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const VALID: &str = r#"{"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}"#;

fn notation(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("notation").unwrap();
    cmd.current_dir(home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"));
    cmd
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn import_writes_original_bytes_privately() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("p.json");
    // Whitespace around the document is kept as written.
    let body = format!("\n {VALID}\n\n");
    fs::write(&src, &body).unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Trust policy configuration imported successfully.\n"
    );
    let dest = home.path().join("notation/trustpolicy.json");
    assert_eq!(fs::read_to_string(&dest).unwrap(), body);
    assert_eq!(
        fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!home.path().join("notation/trustpolicy.oci.json").exists());
}

#[test]
fn import_targets_the_oci_file_when_it_exists() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("notation")).unwrap();
    fs::write(
        home.path().join("notation/trustpolicy.oci.json"),
        "not json",
    )
    .unwrap();
    fs::write(home.path().join("p.json"), VALID).unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(home.path().join("notation/trustpolicy.oci.json")).unwrap(),
        VALID
    );
    assert!(!home.path().join("notation/trustpolicy.json").exists());
}

#[test]
fn import_rejects_invalid_and_bad_arguments() {
    let home = tempfile::tempdir().unwrap();
    fs::write(home.path().join("bad.json"), r#"{"version":"2.0"}"#).unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "Error: failed to validate trust policy: trust policy document uses unsupported version \"2.0\"\n");
    fs::write(home.path().join("trunc.json"), r#"{"version":"#).unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "trunc.json"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "Error: failed to parse trust policy configuration: unexpected end of JSON input\n"
    );
    // Go's json.Unmarshal rejects anything after the document (the loader would ignore it).
    for (trailing, ch) in [("\ngarbage\n", 'g'), (" {}", '{')] {
        fs::write(home.path().join("trail.json"), format!("{VALID}{trailing}")).unwrap();
        let out = notation(home.path())
            .args(["policy", "import", "--force", "trail.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            stderr(&out),
            format!("Error: failed to parse trust policy configuration: invalid character '{ch}' after top-level value\n")
        );
    }
    let out = notation(home.path())
        .args(["policy", "import", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "Error: failed to read trust policy file: open missing.json: no such file or directory\n"
    );
    let out = notation(home.path())
        .args(["policy", "import"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "Error: requires 1 argument but received 0.\nUsage: notation policy import <path-to-policy.json>\nPlease specify a trust policy file location as the argument\n"
    );
    assert!(!home.path().join("notation/trustpolicy.json").exists());
}

#[test]
fn import_prompts_before_overwriting() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("notation")).unwrap();
    let dest = home.path().join("notation/trustpolicy.json");
    fs::write(&dest, "{}").unwrap();
    let new = VALID.replace("\"p\"", "\"q\"");
    fs::write(home.path().join("p.json"), &new).unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .write_stdin("n\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "The trust policy file already exists, do you want to overwrite it? [y/N] "
    );
    assert_eq!(fs::read_to_string(&dest).unwrap(), "{}");
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .write_stdin("")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&dest).unwrap(), "{}");
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .write_stdin("Yes\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&dest).unwrap(), new);
    // --force never asks and always warns.
    let out = notation(home.path())
        .args(["policy", "import", "--force", "p.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        stderr(&out),
        "Warning: existing trust policy configuration file will be overwritten\n"
    );
    // An existing file that is not JSON is overwritten without a prompt.
    fs::write(&dest, "garbage").unwrap();
    let out = notation(home.path())
        .args(["policy", "import", "p.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Trust policy configuration imported successfully.\n"
    );
}

#[test]
fn show_prefers_the_oci_file_and_accepts_a_bom() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("notation")).unwrap();
    fs::write(home.path().join("notation/trustpolicy.json"), "old").unwrap();
    let with_bom = format!("\u{feff}{VALID}");
    fs::write(home.path().join("notation/trustpolicy.oci.json"), &with_bom).unwrap();
    let out = notation(home.path())
        .args(["policy", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), with_bom);
    assert!(stderr(&out).starts_with("Warning: "), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Error"));
}

#[test]
fn init_writes_a_strict_statement() {
    let home = tempfile::tempdir().unwrap();
    let out = notation(home.path())
        .args([
            "policy",
            "init",
            "--name",
            "team",
            "--trust-store",
            "ca:acme",
            "--trusted-identity",
            "x509.subject: C=US, ST=WA, O=acme",
        ])
        .args([
            "--registry-scope",
            "registry.example/app",
            "--registry-scope",
            "local/app",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = home.path().join("notation/trustpolicy.oci.json");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "Successfully initialized OCI trust policy file to {}.\n",
            path.display()
        )
    );
    let written = fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        r#"{
  "version": "1.0",
  "trustPolicies": [
    {
      "name": "team",
      "registryScopes": [
        "registry.example/app",
        "local/app"
      ],
      "signatureVerification": {
        "level": "strict"
      },
      "trustStores": [
        "ca:acme"
      ],
      "trustedIdentities": [
        "x509.subject: C=US, ST=WA, O=acme"
      ]
    }
  ]
}"#
    );
    // Re-running prompts; --force overwrites (default scope "*").
    let out = notation(home.path())
        .args([
            "policy",
            "init",
            "--name",
            "n",
            "--trust-store",
            "ca:a",
            "--trusted-identity",
            "*",
        ])
        .write_stdin("n\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&path).unwrap(), written);
    let out = notation(home.path())
        .args([
            "policy",
            "init",
            "--force",
            "--name",
            "n",
            "--trust-store",
            "ca:a",
            "--trusted-identity",
            "*",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(fs::read_to_string(&path).unwrap().contains("\"*\""));
    let out = notation(home.path())
        .args(["policy", "show"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        fs::read_to_string(&path).unwrap()
    );
}

#[test]
fn init_validates_first() {
    let home = tempfile::tempdir().unwrap();
    let out = notation(home.path())
        .args([
            "policy",
            "init",
            "--name",
            "n",
            "--trust-store",
            "tls:a",
            "--trusted-identity",
            "*",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error: failed to validate the trust policy: trust policy: trust policy statement \"n\" uses an unsupported trust store type \"tls\" in trust store value \"tls:a\"\n"
    );
    assert!(!home.path().join("notation/trustpolicy.oci.json").exists());
}

#[test]
fn verify_flag_errors() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = notation(home.path())
            .arg("verify")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        stderr(&out)
    };
    assert_eq!(
        run(&["x/y:v1", "--max-signatures", "0"]),
        "Error: max-signatures value 0 must be a positive number\n"
    );
    assert_eq!(
        run(&["x/y:v1", "-m", "k="]),
        "Error: could not parse flag user-metadata: key-value pair requires \"=\" as separator\n"
    );
    // The policy is loaded before the reference is looked at.
    assert_eq!(
        run(&["not a reference"]),
        "Error: trust policy is not present. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy\n"
    );
}

#[test]
fn verify_skip_json() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("notation")).unwrap();
    fs::write(home.path().join("notation/trustpolicy.json"), VALID).unwrap();
    let interop = std::env::var_os("NOTATION_INTEROP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
    let layout = interop.join("cases/unsigned/layout");
    assert!(
        layout.is_dir(),
        "interop fixtures not found at {}",
        interop.display()
    );
    let copy = home.path().join("layout");
    fs::create_dir_all(copy.join("blobs/sha256")).unwrap();
    for f in ["index.json", "oci-layout"] {
        fs::copy(layout.join(f), copy.join(f)).unwrap();
    }
    for e in fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), copy.join("blobs/sha256").join(e.file_name())).unwrap();
    }
    let out = notation(home.path())
        .args([
            "verify",
            "--oci-layout",
            "layout:v1",
            "--scope",
            "local/x",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped"], true);
    assert_eq!(v["policy"], "p");
    assert_eq!(v["level"], "skip");
    assert!(v["reference"]
        .as_str()
        .unwrap()
        .starts_with("layout@sha256:"));
}

#[test]
fn policy_without_subcommand_prints_help() {
    let home = tempfile::tempdir().unwrap();
    let out = notation(home.path()).arg("policy").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Manage trust policy configuration"));
}

/// `policy show` reads as upstream does (os.DirFS open, then read) and wraps the OS error:
/// a directory where the file should be opens but fails to read (named by its full path
/// for the OCI policy, relatively for the blob policy, as Go's `fs.ReadFile` does); an
/// unreadable file fails to open, named relative to the config directory.
#[test]
fn show_wraps_os_errors_as_go() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("notation");
    fs::create_dir_all(dir.join("trustpolicy.json")).unwrap();
    fs::create_dir_all(dir.join("trustpolicy.blob.json")).unwrap();
    notation(home.path())
        .args(["policy", "show"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "Error: failed to show trust policy: read {}: is a directory\n",
            dir.join("trustpolicy.json").display()
        ));
    notation(home.path())
        .args(["blob", "policy", "show"])
        .assert()
        .code(1)
        .stderr("Error: failed to show trust policy: read trustpolicy.blob.json: is a directory\n");

    // Mode 000 stops everyone but root; the case is checked wherever it applies.
    fs::remove_dir(dir.join("trustpolicy.json")).unwrap();
    let file = dir.join("trustpolicy.json");
    fs::write(&file, VALID).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&file).is_err() {
        notation(home.path())
            .args(["policy", "show"])
            .assert()
            .code(1)
            .stderr(
                "Error: failed to show trust policy: open trustpolicy.json: permission denied\n",
            );
    }
}

/// Upstream falls back to trustpolicy.json only when trustpolicy.oci.json does not open
/// for not existing; a dangling symlink counts as missing.
#[test]
fn show_falls_back_past_a_dangling_oci_policy_link() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("notation");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("trustpolicy.json"), VALID).unwrap();
    std::os::unix::fs::symlink(dir.join("gone.json"), dir.join("trustpolicy.oci.json")).unwrap();
    notation(home.path())
        .args(["policy", "show"])
        .assert()
        .success()
        .stdout(VALID);
}

#[test]
fn show_warns_about_a_byte_order_mark_and_prints_the_file() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("notation")).unwrap();
    let path = home.path().join("notation/trustpolicy.json");
    fs::write(&path, format!("\u{feff}{VALID}")).unwrap();
    let out = notation(home.path())
        .args(["policy", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the trust policy file {} starts with a UTF-8 byte order mark; it was ignored (notation v1.3.2 rejects such files as malformed)",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
}
