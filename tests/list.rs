//! `notation list` against what Go notation v1.3.2 printed for the interop layouts, plus
//! the cases upstream cannot do (tar layouts) and our own error paths.

mod common;

use common::{checks, copy_tree, interop_dir, notation, run, testdata_layout, ConfigHome, Outcome};

const SIG_ITEM: &str = "    ├── ";
const SIG_LAST: &str = "    └── ";

/// The signature lines of a list tree, in order (digests only).
fn signature_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix(SIG_ITEM)
                .or_else(|| l.strip_prefix(SIG_LAST))
        })
        .collect()
}

/// `stdout` with its signature lines sorted: what an order-insensitive comparison compares.
fn canonical(stdout: &str) -> String {
    let mut sigs = signature_lines(stdout);
    sigs.sort_unstable();
    let mut out = String::new();
    let mut done = false;
    for line in stdout.lines() {
        if line.starts_with(SIG_ITEM) || line.starts_with(SIG_LAST) {
            if !done {
                for (i, d) in sigs.iter().enumerate() {
                    out.push_str(if i + 1 == sigs.len() {
                        SIG_LAST
                    } else {
                        SIG_ITEM
                    });
                    out.push_str(d);
                    out.push('\n');
                }
                done = true;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Our tree must be well formed whatever the order: `├── ` for all but the last signature.
fn well_formed(stdout: &str) -> bool {
    let markers: Vec<bool> = stdout
        .lines()
        .filter(|l| l.starts_with(SIG_ITEM) || l.starts_with(SIG_LAST))
        .map(|l| l.starts_with(SIG_LAST))
        .collect();
    markers
        .split_last()
        .is_none_or(|(last, rest)| *last && rest.iter().all(|m| !m))
}

fn matches(ours: &Outcome, theirs: &Outcome, unordered: bool) -> bool {
    let stdout_ok = if unordered {
        well_formed(&ours.stdout) && canonical(&ours.stdout) == canonical(&theirs.stdout)
    } else {
        ours.stdout == theirs.stdout
    };
    ours.exit == theirs.exit && stdout_ok && ours.stderr == theirs.stderr
}

#[test]
fn list_matches_upstream_on_every_interop_case() {
    let checks = checks("list");
    assert!(
        checks.len() >= 60,
        "expected the full list check set, found {}",
        checks.len()
    );
    let mut failures = Vec::new();
    for check in &checks {
        let home = ConfigHome::interop(check.policy.as_deref());
        let ours = run(&check.cwd, &home, &check.args);
        let unordered = check.flag("unordered_signature_list");
        let ok = ours.exit == check.exit
            && ours.stderr.contains(&check.stderr_contains)
            && check
                .expected
                .iter()
                .any(|theirs| matches(&ours, theirs, unordered));
        if !ok {
            failures.push(format!(
                "{} (notation {}):\n  ours: exit {}\n{}{}\n  upstream: exit {}\n{}{}",
                check.name,
                check.args.join(" "),
                ours.exit,
                ours.stdout,
                ours.stderr,
                check.expected[0].exit,
                check.expected[0].stdout,
                check.expected[0].stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} list checks differ:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );
}

/// Upstream prints signatures in random order; ours follow index.json, so a run is stable.
#[test]
fn signature_order_is_stable_and_follows_index_json() {
    let case = interop_dir().join("cases/multi-metadata");
    let home = ConfigHome::empty();
    let args = ["list", "--oci-layout", "layout:v1"].map(String::from);
    let first = run(&case, &home, &args);
    for _ in 0..3 {
        assert_eq!(run(&case, &home, &args).stdout, first.stdout);
    }
    let index = std::fs::read_to_string(case.join("layout/index.json")).unwrap();
    let sigs = signature_lines(&first.stdout);
    assert_eq!(sigs.len(), 2);
    assert!(index.find(sigs[0]).unwrap() < index.find(sigs[1]).unwrap());
}

#[test]
fn max_signatures_limits_the_tree() {
    let case = interop_dir().join("cases/multi-metadata");
    let home = ConfigHome::empty();
    let out = notation(&case, &home)
        .args([
            "list",
            "--oci-layout",
            "--max-signatures",
            "1",
            "layout@sha256:59f91eeeba2fd70fb64c0c23fbc5576c789da811bf01dedc58743a279f14f56d",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(
        "max_signatures_1",
        String::from_utf8_lossy(&out.get_output().stdout)
    );
}

fn error_of(args: &[&str]) -> String {
    let home = ConfigHome::empty();
    let out = notation(&interop_dir().join("cases/refs"), &home)
        .args(args)
        .assert()
        .failure()
        .code(1);
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

#[test]
fn usage_errors() {
    insta::assert_snapshot!("missing_reference", error_of(&["list"]));
    insta::assert_snapshot!(
        "max_signatures_zero",
        error_of(&["list", "--oci-layout", "--max-signatures", "0", "layout:v1"])
    );
    insta::assert_snapshot!(
        "missing_layout",
        error_of(&["ls", "--oci-layout", "no-such-layout:v1"])
    );
    insta::assert_snapshot!(
        "unknown_tag",
        error_of(&["list", "--oci-layout", "layout:v404"])
    );
    insta::assert_snapshot!(
        "not_a_layout",
        error_of(&["list", "--oci-layout", "expect:v1"])
            .replace(interop_dir().to_str().unwrap(), "[INTEROP]")
    );
}

#[test]
fn deprecated_referrers_flag_warns() {
    let home = ConfigHome::empty();
    let out = notation(&interop_dir().join("cases/refs"), &home)
        .args([
            "list",
            "--allow-referrers-api",
            "--oci-layout",
            "layout@sha256:9a310eea4dc073f84944614c08981c0b5f69889855c59c6eed2cf70376f1ef0b",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(
        "allow_referrers_api_stderr",
        String::from_utf8_lossy(&out.get_output().stderr)
    );
}

/// Tar and gzip tar layouts list exactly like the directory they were packed from.
#[test]
fn tar_layouts_list_like_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let src = interop_dir().join("cases/multi-metadata/layout");
    let dir = tmp.path().join("layout");
    copy_tree(&src, &dir);
    pack(&dir, &tmp.path().join("layout.tar"), false);
    pack(&dir, &tmp.path().join("layout.tgz"), true);
    let home = ConfigHome::empty();
    let list = |path: &str| {
        run(
            tmp.path(),
            &home,
            &["list".into(), "--oci-layout".into(), format!("{path}:v1")],
        )
    };
    let expected = list("layout");
    assert_eq!(expected.exit, 0);
    for path in ["layout.tar", "layout.tgz"] {
        let got = list(path);
        assert_eq!(got.exit, 0, "{}", got.stderr);
        assert_eq!(
            got.stdout,
            expected.stdout.replacen("layout@", &format!("{path}@"), 1)
        );
    }
    // Listing never writes.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3);

    let out = notation(&testdata_layout(""), &home)
        .args(["list", "--oci-layout", "multiarch.tar:v1"])
        .assert()
        .success();
    insta::assert_snapshot!(
        "buildx_tar_unsigned",
        String::from_utf8_lossy(&out.get_output().stdout)
    );
}

fn pack(dir: &std::path::Path, to: &std::path::Path, gzip: bool) {
    let file = std::fs::File::create(to).unwrap();
    let writer: Box<dyn std::io::Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(file)
    };
    let mut builder = tar::Builder::new(writer);
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap().flush().unwrap();
}

use std::io::Write as _;

/// `-o json` (ours): the artifact and each signature manifest descriptor, index.json order.
#[test]
fn json_output_lists_the_signature_descriptors() {
    let case = interop_dir().join("cases/multi-metadata");
    let home = ConfigHome::empty();
    let text = run(
        &case,
        &home,
        &["list", "--oci-layout", "layout:v1"].map(String::from),
    );
    let out = notation(&case, &home)
        .args(["list", "--oci-layout", "layout:v1", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let digests: Vec<&str> = doc["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, signature_lines(&text.stdout));
    assert_eq!(
        doc["reference"].as_str().unwrap(),
        text.stdout.lines().next().unwrap()
    );
    assert!(
        doc["signatures"][0]["annotations"]["io.cncf.notary.x509chain.thumbprint#S256"].is_string()
    );
    assert_eq!(doc["truncated"], false);
    let out = notation(&case, &home)
        .args([
            "list",
            "--oci-layout",
            "layout:v1",
            "-o",
            "json",
            "--max-signatures",
            "1",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(doc["truncated"], true);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Warning: exceeded configured limit of max signatures 1 to examine"));
}
