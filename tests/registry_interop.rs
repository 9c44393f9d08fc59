//! Signatures made by Go notation, pushed to a real registry with our `copy -r`, listed,
//! inspected and verified by us with exactly the output Go notation printed for the same
//! images in a registry (`testdata/interop/registry-inspect`).

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, notation, ConfigHome};
use std::fs;

/// The registry address recorded in the fixtures.
const RECORDED_HOST: &str = "127.0.0.1:5870";

/// `(case, repository)` from a check's comment: "holding a copy of cases/<case>/layout ...
/// as repository <repo>".
fn recorded_source(cmd: &str) -> (String, String) {
    let line = cmd
        .lines()
        .find(|l| l.starts_with("# registry:"))
        .expect("registry comment");
    let case = line
        .split("cases/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("case name");
    let repo = line
        .split("as repository ")
        .nth(1)
        .expect("repository")
        .trim();
    (case.to_string(), repo.to_string())
}

/// The policy file a check used, relative to the interop root.
fn recorded_policy(cmd: &str) -> Option<String> {
    let line = cmd.lines().find(|l| l.starts_with("# trust policy:"))?;
    let path = line.split_whitespace().nth(3)?;
    Some(path.trim_start_matches("../../").to_string())
}

#[test]
fn go_notation_signatures_in_a_registry_list_inspect_and_verify_as_upstream() {
    let root = interop_dir().join("registry-inspect");
    let reg = TestRegistry::start(Config::default());
    let host = reg.host();
    let work = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut images: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    for image in images {
        let mut checks: Vec<_> = fs::read_dir(&image)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
            .collect();
        checks.sort();
        let first = fs::read_to_string(&checks[0]).unwrap();
        let (case, repo) = recorded_source(&first);
        let layout = work.path().join(&case);
        copy_tree(
            &interop_dir().join("cases").join(&case).join("layout"),
            &layout,
        );
        let copied = notation(work.path(), &ConfigHome::empty())
            .args(["copy", "-r", "--from-oci-layout"])
            .arg(format!("{case}:v1"))
            .arg(format!("{host}/{repo}:v1"))
            .arg("--insecure-registry")
            .output()
            .unwrap();
        assert!(
            copied.status.success(),
            "{}",
            String::from_utf8_lossy(&copied.stderr)
        );
        for check in checks {
            let cmd = fs::read_to_string(&check).unwrap();
            let line = cmd.lines().rfind(|l| !l.starts_with('#')).unwrap();
            let argv: Vec<String> = line
                .split_whitespace()
                .skip(1)
                .map(|a| a.replace(RECORDED_HOST, &host))
                .collect();
            let home = ConfigHome::interop(recorded_policy(&cmd).as_deref());
            let out = notation(work.path(), &home).args(&argv).output().unwrap();
            let expect = |ext: &str| {
                fs::read_to_string(check.with_extension(ext))
                    .unwrap()
                    .replace(RECORDED_HOST, &host)
            };
            let name = check.strip_prefix(&root).unwrap().display().to_string();
            assert_eq!(
                out.status.code().unwrap().to_string(),
                expect("exit").trim(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let expected = expect("stdout");
            if signature_count(&expected) > 1 {
                let json = argv.iter().any(|a| a == "json");
                assert_eq!(
                    order_free(&stdout, json),
                    order_free(&expected, json),
                    "{name}"
                );
            } else {
                assert_eq!(stdout, expected, "{name}");
            }
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                expect("stderr"),
                "{name}"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} checks found under {}",
        root.display()
    );
}

/// What we push reads back through an independent client: skopeo fetches the referrers
/// tag-schema index our `copy -r` and `sign` maintain, and copies it with every signature
/// manifest, config and envelope into an OCI layout, checking each digest on the way.
#[tokio::test]
async fn skopeo_reads_the_referrers_index_and_signatures_we_push() {
    use notation::target::{ContentStore as _, Target as _};
    let reg = TestRegistry::start(Config::default());
    let host = reg.host();
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &interop_dir().join("cases/multi-jws-cose/layout"),
        &work.path().join("src"),
    );
    let home = ConfigHome::empty();
    let out = notation(work.path(), &home)
        .args([
            "copy",
            "-r",
            "--from-oci-layout",
            "src:v1",
            "--insecure-registry",
        ])
        .arg(format!("{host}/skopeo/app:v1"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let layout = notation::target::layout::Layout::open(&work.path().join("src")).unwrap();
    let image = layout.resolve("v1").await.unwrap();
    let signatures = layout.signatures(&image).await.unwrap();
    let index_ref = format!(
        "docker://{host}/skopeo/app:{}",
        image.digest.replace(':', "-")
    );
    let skopeo = |args: &[&str]| {
        let out = std::process::Command::new("skopeo")
            .args(args)
            .output()
            .expect("skopeo is installed by scripts/test.sh");
        assert!(
            out.status.success(),
            "skopeo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &index_ref]);
    let index: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let listed: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    for sig in &signatures {
        assert!(listed.contains(&sig.digest.as_str()), "{listed:?}");
    }
    let dest = format!("oci:{}:referrers", work.path().join("skopeo-out").display());
    skopeo(&["copy", "--all", "--src-tls-verify=false", &index_ref, &dest]);
    let copied = notation::target::layout::Layout::open(&work.path().join("skopeo-out")).unwrap();
    for sig in &signatures {
        assert!(
            copied.exists(sig).await.unwrap(),
            "{} not copied",
            sig.digest
        );
    }
}

/// How many signatures a `list` / `inspect` output shows.
fn signature_count(out: &str) -> usize {
    match serde_json::from_str::<serde_json::Value>(out) {
        Ok(doc) => doc["Signatures"].as_array().map_or(0, Vec::len),
        Err(_) => out
            .lines()
            .filter(|l| l.starts_with("    ├── sha256:") || l.starts_with("    └── sha256:"))
            .count(),
    }
}

/// Output with the order of signatures taken out. The fixtures' registry got its
/// signatures from `oras cp -r`, which pushes the referrers of a layout in hash-map order,
/// so the referrers index (and `list`/`inspect` order) of an image with several signatures
/// differs between runs; the content of each signature's entry must still match.
fn order_free(out: &str, json: bool) -> String {
    if json {
        let mut doc: serde_json::Value = serde_json::from_str(out).unwrap();
        if let Some(sigs) = doc["Signatures"].as_array_mut() {
            sigs.sort_by_key(|s| s["digest"].as_str().unwrap_or("").to_string());
        }
        return serde_json::to_string_pretty(&doc).unwrap();
    }
    // Tree branches depend on the position (last child or not): neutralise them.
    let mut lines: Vec<String> = out
        .lines()
        .map(|l| l.replace(['├', '└'], "+").replace('│', " "))
        .collect();
    lines.sort();
    lines.join("\n")
}
