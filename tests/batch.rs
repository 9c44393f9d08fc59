//! Many references in one invocation (issue 12): positional references and `--from-file`,
//! one result per reference in input order, per-reference errors that do not stop the
//! others, a summary line, and a single reference that behaves exactly as before.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, testdata_layout, ConfigHome, Outcome};
use serde_json::Value;
use std::path::Path;

const AMD64: &str = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";
const ARM64: &str = "sha256:4e4ccde30e5344af8b90dc403234bfc4153a25d6d5863600b78e7fc2ffc8f94e";
const UNSIGNED: &str = "sha256:53b72d57f576e9ea08dd74682fc4afbfd027e61144b674e1a04d6c1f87bb534f";

fn home() -> ConfigHome {
    ConfigHome::signing_trusted()
}

fn run(cwd: &Path, home: &ConfigHome, args: &[&str], stdin: Option<&str>) -> Outcome {
    common::run_with_input(cwd, home, args, stdin.unwrap_or(""))
}

/// `verify --oci-layout --scope local/batch <more>`.
fn verify_layouts(cwd: &Path, home: &ConfigHome, more: &[&str], stdin: Option<&str>) -> Outcome {
    let mut args = vec!["verify", "--oci-layout", "--scope", "local/batch"];
    args.extend_from_slice(more);
    run(cwd, home, &args, stdin)
}

/// Stderr without the experimental-feature and use-a-digest warnings.
fn errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| !l.starts_with("Warning: "))
        .collect()
}

/// Two layouts: `single` (two tagged platform manifests) and `unsigned`.
fn layouts(dir: &Path) {
    copy_tree(&testdata_layout("single-platform"), &dir.join("single"));
    copy_tree(
        &interop_dir().join("cases/unsigned/layout"),
        &dir.join("unsigned"),
    );
}

#[test]
fn layouts_signed_and_verified_in_one_invocation() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    layouts(cwd);
    std::fs::write(
        cwd.join("refs.txt"),
        b"# release 1\n\nunsigned:v1\n  single:nope  \n\xff\xfe\nsingle:arm64\n".as_slice(),
    )
    .unwrap();
    let before = std::fs::read(cwd.join("single/index.json")).unwrap();

    let r = run(
        cwd,
        &home,
        &[
            "sign",
            "--oci-layout",
            "single:v1",
            "--from-file",
            "refs.txt",
        ],
        None,
    );
    assert_eq!(r.exit, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "Successfully signed single@{AMD64}\nSuccessfully signed unsigned@{UNSIGNED}\nSuccessfully signed single@{ARM64}\n"
        )
    );
    assert_eq!(
        errors(&r.stderr),
        [
            "Error: single:nope: failed to get manifest descriptor: not found",
            "Error: refs.txt: line 5: not valid UTF-8",
            "signed 3 of 5 artifacts; failed: single:nope, refs.txt: line 5: not valid UTF-8",
        ]
    );
    assert_ne!(
        std::fs::read(cwd.join("single/index.json")).unwrap(),
        before
    );

    // The same references from stdin, verified; the unknown tag fails again.
    let refs = "single:v1\nunsigned@".to_string() + UNSIGNED + "\nsingle:nope\nsingle:arm64\n";
    let r = verify_layouts(
        cwd,
        &home,
        &["--from-file", "-", "--concurrency", "2"],
        Some(&refs),
    );
    assert_eq!(r.exit, 1);
    assert_eq!(
        r.stdout,
        format!(
            "Successfully verified signature for single@{AMD64}\nSuccessfully verified signature for unsigned@{UNSIGNED}\nSuccessfully verified signature for single@{ARM64}\n"
        )
    );
    assert_eq!(
        errors(&r.stderr),
        [
            "Error: single:nope: failed to get manifest descriptor: not found",
            "verified 3 of 4 artifacts; failed: single:nope",
        ]
    );

    // -o json: one array, in input order, with an error entry for what did not resolve.
    let r = verify_layouts(
        cwd,
        &home,
        &["-o", "json", "single:nope", "single:arm64"],
        None,
    );
    assert_eq!(r.exit, 1);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc[0],
        serde_json::json!({"reference": "single:nope", "error": "failed to get manifest descriptor: not found"})
    );
    assert_eq!(doc[1]["reference"], format!("single@{ARM64}"));
    assert_eq!(doc[1]["verified"], true);
    assert_eq!(doc.as_array().unwrap().len(), 2);

    // inspect: v1.3.2's document per artifact, with the reference it is for.
    let r = run(
        cwd,
        &home,
        &[
            "inspect",
            "--oci-layout",
            "-o",
            "json",
            "single:v1",
            "unsigned:v1",
        ],
        None,
    );
    assert_eq!(r.exit, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [format!("single@{AMD64}"), format!("unsigned@{UNSIGNED}")]
    );
    assert_eq!(doc[1]["Signatures"].as_array().unwrap().len(), 1);
}

#[test]
fn one_reference_from_a_file_is_a_plain_single_run() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    layouts(cwd);
    std::fs::write(cwd.join("one.txt"), "# just one\nunsigned:v1\n").unwrap();
    let by_file = run(
        cwd,
        &home,
        &["list", "--oci-layout", "--from-file", "one.txt"],
        None,
    );
    let direct = run(cwd, &home, &["list", "--oci-layout", "unsigned:v1"], None);
    assert_eq!(by_file.exit, 0);
    assert_eq!(
        (by_file.stdout, by_file.stderr),
        (direct.stdout, direct.stderr)
    );
    let r = run(
        cwd,
        &home,
        &[
            "verify",
            "--oci-layout",
            "--scope",
            "local/x",
            "--from-file",
            "one.txt",
        ],
        None,
    );
    assert_eq!(r.exit, 1);
    assert!(
        r.stderr.ends_with(&format!("Error: signature verification failed: no signature is associated with \"local/x@{UNSIGNED}\", make sure the artifact was signed successfully\n")),
        "{}",
        r.stderr
    );
    for (args, error) in [
        (
            vec!["list", "--from-file", "missing.txt"],
            "Error: failed to read references from missing.txt: No such file or directory (os error 2)\n",
        ),
        (
            vec!["list", "--concurrency", "0", "a/b:c"],
            "Error: concurrency value 0 must be a positive number\n",
        ),
    ] {
        let r = run(cwd, &home, &args, None);
        assert_eq!((r.exit, r.stderr.as_str()), (1, error));
    }
}

#[tokio::test]
async fn registry_references_share_one_client() {
    let reg = TestRegistry::start(Config::default());
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("single-platform"), &cwd.join("single"));
    copy_tree(&testdata_layout("multiarch"), &cwd.join("multi"));
    let host = reg.host();
    let refs: Vec<String> = [
        ("single:v1", "one"),
        ("single:arm64", "two"),
        ("multi:v1", "three"),
    ]
    .iter()
    .map(|(src, repo)| {
        let dest = format!("{host}/{repo}:v1");
        let r = run(
            cwd,
            &home,
            &[
                "copy",
                "--from-oci-layout",
                src,
                &dest,
                "--insecure-registry",
            ],
            None,
        );
        assert_eq!(r.exit, 0, "{}", r.stderr);
        dest
    })
    .collect();
    let mut sign = vec!["sign", "--insecure-registry", "--recursive"];
    sign.extend(refs.iter().map(String::as_str));
    let r = run(cwd, &home, &sign, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);
    // The multi-platform image: its index, then both platform manifests.
    assert_eq!(r.stdout.lines().count(), 5, "{}", r.stdout);
    assert!(r.stderr.ends_with("signed 3 of 3 artifacts\n"));

    let mut verify = vec!["verify", "--insecure-registry", "--concurrency", "3"];
    verify.extend(refs.iter().map(String::as_str));
    let missing = format!("{host}/four:v1");
    verify.push(&missing);
    let r = run(cwd, &home, &verify, None);
    assert_eq!(r.exit, 1);
    let verified: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(verified.len(), 3);
    assert!(verified[0].starts_with(&format!("Successfully verified signature for {host}/one@")));
    assert!(verified[2].starts_with(&format!(
        "Successfully verified signature for {host}/three@"
    )));
    assert!(
        r.stderr
            .ends_with(&format!("verified 3 of 4 artifacts; failed: {missing}\n")),
        "{}",
        r.stderr
    );

    // Once one repository found the registry without the referrers API, the others of
    // the run do not ask it again.
    let mut traced = vec!["verify", "-d", "--insecure-registry", "--concurrency", "1"];
    traced.extend(refs.iter().map(String::as_str));
    let r = run(cwd, &home, &traced, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);
    let probes = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("> Request: \"GET\"") && l.contains("/referrers/"))
        .count();
    assert_eq!(probes, 1, "{}", r.stderr);
    // Nor does any reference resolve its digest a second time (a single `verify` does, as
    // notation-go's Verify): one manifest HEAD per tagged reference.
    let heads = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("> Request: \"HEAD\"") && l.contains("/manifests/"))
        .count();
    assert_eq!(heads, refs.len(), "{}", r.stderr);
}

/// Several references in one repository of a token-auth registry: one token exchange for
/// the whole run, not one per reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_per_repository_and_scope() {
    use common::registry::{PASSWORD, USERNAME};
    use common::token_server::TokenServer;
    let tokens = TokenServer::start(USERNAME, PASSWORD).await;
    let reg = TestRegistry::start(Config {
        token_auth: Some((tokens.realm(), tokens.cert())),
        ..Config::default()
    });
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().to_path_buf();
    copy_tree(&testdata_layout("single-platform"), &cwd.join("single"));
    let repo = format!("{}/shared", reg.host());
    let creds = ["-u", USERNAME, "-p", PASSWORD, "--insecure-registry"];
    let refs = [format!("{repo}:v1"), format!("{repo}:arm64")];
    for (src, dest) in [("single:v1", &refs[0]), ("single:arm64", &refs[1])] {
        let mut args = vec!["copy", "--from-oci-layout", src, dest];
        args.extend(creds);
        let r = run(&cwd, &home, &args, None);
        assert_eq!(r.exit, 0, "{}", r.stderr);
    }
    let mut sign = vec!["sign"];
    sign.extend(refs.iter().map(String::as_str));
    sign.extend(creds);
    let r = run(&cwd, &home, &sign, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);

    let before = tokens.requests.lock().unwrap().len();
    let mut verify = vec!["verify"];
    verify.extend(refs.iter().map(String::as_str));
    verify.extend(refs.iter().map(String::as_str));
    verify.extend(creds);
    let r = run(&cwd, &home, &verify, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);
    assert!(r.stderr.ends_with("verified 4 of 4 artifacts\n"));
    let log = tokens.requests.lock().unwrap();
    assert_eq!(
        log[before..]
            .iter()
            .map(|t| t.scopes.clone())
            .collect::<Vec<_>>(),
        [vec!["repository:shared:pull".to_string()]],
        "{log:?}"
    );
}

/// Under `-d` the log lines go to stderr as they happen, so references are taken one at a
/// time: each one's lines (its HTTP trace included) stay together, in input order, whatever
/// `--concurrency` says.
#[test]
fn debug_logs_stay_grouped_by_reference() {
    let reg = TestRegistry::start(Config::default());
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("single-platform"), &cwd.join("single"));
    let host = reg.host();
    let mut refs = Vec::new();
    for (src, repo) in [("single:v1", "amd"), ("single:arm64", "arm")] {
        let dest = format!("{host}/{repo}:v1");
        let args = [
            "copy",
            "--from-oci-layout",
            src,
            &dest,
            "--insecure-registry",
        ];
        let r = run(cwd, &home, &args, None);
        assert_eq!(r.exit, 0, "{}", r.stderr);
        refs.push(dest);
    }
    let mut sign = vec!["sign", "--insecure-registry"];
    sign.extend(refs.iter().map(String::as_str));
    let r = run(cwd, &home, &sign, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);

    let mut verify = vec!["verify", "-d", "--insecure-registry", "--concurrency", "4"];
    for _ in 0..3 {
        verify.extend(refs.iter().map(String::as_str));
    }
    let r = run(cwd, &home, &verify, None);
    assert_eq!(r.exit, 0, "{}", r.stderr);
    // The repository each line naming one concerns, in the order the lines were printed.
    let (amd, arm) = (format!("{host}/amd"), format!("{host}/arm"));
    let mut repos: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| {
            if l.contains(&amd) {
                Some("amd")
            } else if l.contains(&arm) {
                Some("arm")
            } else {
                None
            }
        })
        .collect();
    repos.dedup();
    assert_eq!(
        repos,
        ["amd", "arm", "amd", "arm", "amd", "arm"],
        "{}",
        r.stderr
    );
}
