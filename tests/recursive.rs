//! `--recursive` and `--platform` on sign, verify, list and inspect: multi-platform image
//! indexes in directory and tar layouts and in a real registry. Each per-platform signature
//! must also verify on its own, by digest, as Go notation verifies one reference at a time.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, testdata_layout, ConfigHome, Outcome};
use serde_json::Value;
use std::path::Path;

const INDEX: &str = "sha256:72f4eccb4498d19a17237e8d3d3a63a00b39aa9ae15d9cdb67c13c5e2dde1e29";
const AMD64: &str = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";
const ARM64: &str = "sha256:4e4ccde30e5344af8b90dc403234bfc4153a25d6d5863600b78e7fc2ffc8f94e";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn home() -> ConfigHome {
    ConfigHome::signing_trusted()
}

fn run(cwd: &Path, home: &ConfigHome, args: &[&str]) -> Outcome {
    common::run_with_input(cwd, home, args, "")
}

fn ok(cwd: &Path, home: &ConfigHome, args: &[&str]) -> String {
    let r = run(cwd, home, args);
    assert_eq!(
        r.exit, 0,
        "{args:?}\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r.stdout
}

fn lines(prefix: &str, reference: &str, digests: &[&str]) -> String {
    digests
        .iter()
        .map(|d| format!("{prefix}{reference}@{d}\n"))
        .collect()
}

/// `sign --oci-layout --recursive --platform <platform> <reference>`, which must succeed.
fn sign_platform(cwd: &Path, home: &ConfigHome, reference: &str, platform: &str) -> String {
    let args = [
        "sign",
        "--oci-layout",
        "--recursive",
        "--platform",
        platform,
        reference,
    ];
    ok(cwd, home, &args)
}

/// What Go notation does for a platform manifest: verify it alone, by digest.
fn verify_each_by_digest(cwd: &Path, home: &ConfigHome, reference: &str, extra: &[&str]) {
    for digest in [INDEX, AMD64, ARM64] {
        let target = format!("{reference}@{digest}");
        let mut args = vec!["verify", target.as_str()];
        args.extend_from_slice(extra);
        assert_eq!(
            ok(cwd, home, &args),
            format!("Successfully verified signature for {target}\n")
        );
    }
}

/// The signature digests `list -o json` reports for each manifest, in walk order.
fn signatures_by_manifest(cwd: &Path, home: &ConfigHome, args: &[&str]) -> Vec<(String, usize)> {
    let mut all = vec!["list", "--recursive", "-o", "json"];
    all.extend_from_slice(args);
    let doc: Value = serde_json::from_str(&ok(cwd, home, &all)).unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_string(),
                d["signatures"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn directory_layout_sign_verify_list_inspect() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &testdata_layout("multiarch"),
        &work.path().join("multiarch"),
    );
    let cwd = work.path();
    let layout = ["--oci-layout", "--scope", "local/multiarch"];

    let out = ok(
        cwd,
        &home,
        &["sign", "--oci-layout", "--recursive", "multiarch:v1"],
    );
    assert_eq!(
        out,
        lines("Successfully signed ", "multiarch", &[INDEX, AMD64, ARM64])
    );

    // Each platform manifest is listed in index.json, untagged, with its own media type, so
    // that Go notation (oras-go's OCI store) resolves its digest as a manifest.
    let index: Value =
        serde_json::from_slice(&std::fs::read(cwd.join("multiarch/index.json")).unwrap()).unwrap();
    for digest in [AMD64, ARM64] {
        let entries: Vec<&Value> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["digest"] == digest)
            .collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            *entries[0],
            serde_json::json!({"mediaType": MANIFEST, "digest": digest, "size": 726})
        );
    }

    let mut args = vec!["verify", "--recursive", "multiarch:v1"];
    args.extend_from_slice(&layout);
    let r = run(cwd, &home, &args);
    assert_eq!(r.exit, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        lines(
            "Successfully verified signature for ",
            "multiarch",
            &[INDEX, AMD64, ARM64]
        )
    );
    assert!(
        r.stderr.ends_with("verified 3 of 3 artifacts\n"),
        "{}",
        r.stderr
    );
    verify_each_by_digest(cwd, &home, "multiarch", &layout);

    assert_eq!(
        signatures_by_manifest(cwd, &home, &["--oci-layout", "multiarch:v1"]),
        [(INDEX.into(), 1), (AMD64.into(), 1), (ARM64.into(), 1)]
    );
    let tree = ok(
        cwd,
        &home,
        &["list", "--oci-layout", "--recursive", "multiarch:v1"],
    );
    let shape: Vec<String> = tree
        .lines()
        .map(|l| {
            // Signature digests change with the signing time.
            l.split("sha256:").next().unwrap().to_string()
                + if l.contains("(linux") {
                    &l[l.find(" (").unwrap()..]
                } else {
                    ""
                }
        })
        .collect();
    assert_eq!(
        shape,
        [
            "multiarch@",
            "├── application/vnd.cncf.notary.signature",
            "│   └── ",
            "├──  (linux/amd64)",
            "│   └── application/vnd.cncf.notary.signature",
            "│       └── ",
            "└──  (linux/arm64/v8)",
            "    └── application/vnd.cncf.notary.signature",
            "        └── ",
        ]
    );

    let inspected = ok(
        cwd,
        &home,
        &[
            "inspect",
            "--oci-layout",
            "--recursive",
            "-o",
            "json",
            "multiarch:v1",
        ],
    );
    let doc: Value = serde_json::from_str(&inspected).unwrap();
    let subjects: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["Signatures"][0]["signedArtifact"]["digest"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(subjects, [INDEX, AMD64, ARM64]);
    assert_eq!(doc[1]["platform"], "linux/amd64");
}

#[test]
fn tar_layout_with_platforms_and_failures() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("multiarch.tar"), &cwd.join("m.tar"));
    let scope = ["--oci-layout", "--scope", "local/multiarch"];

    // Bad input changes nothing.
    let original = std::fs::read(cwd.join("m.tar")).unwrap();
    for (args, error) in [
        (
            vec!["--recursive", "--platform", "linux/s390x"],
            format!("Error: platform linux/s390x not found in index {INDEX} (it has: linux/amd64, linux/arm64/v8)\n"),
        ),
        (
            vec!["--recursive", "--platform", "linux"],
            "Error: invalid platform \"linux\": expected os/arch or os/arch/variant\n".to_string(),
        ),
        (
            vec!["--platform", "linux/amd64"],
            "Error: flag --platform can only be used together with --recursive\n".to_string(),
        ),
    ] {
        let mut all = vec!["sign", "--oci-layout", "m.tar:v1"];
        all.extend(args);
        let r = run(cwd, &home, &all);
        assert_eq!(r.exit, 1);
        assert_eq!(r.stdout, "");
        assert!(r.stderr.ends_with(&error), "{}", r.stderr);
    }
    assert_eq!(std::fs::read(cwd.join("m.tar")).unwrap(), original);

    let out = sign_platform(cwd, &home, "m.tar:v1", "linux/arm64");
    assert_eq!(out, lines("Successfully signed ", "m.tar", &[INDEX, ARM64]));

    // The amd64 manifest was left out: recursive verification names it and fails.
    let mut args = vec!["verify", "--recursive", "m.tar:v1"];
    args.extend_from_slice(&scope);
    let r = run(cwd, &home, &args);
    assert_eq!(r.exit, 1);
    assert_eq!(
        r.stdout,
        lines(
            "Successfully verified signature for ",
            "m.tar",
            &[INDEX, ARM64]
        )
    );
    let failed = format!("m.tar@{AMD64}");
    assert!(r.stderr.contains(&format!(
        "Error: signature verification failed: no signature is associated with \"local/multiarch@{AMD64}\", make sure the artifact was signed successfully\n"
    )), "{}", r.stderr);
    assert!(
        r.stderr
            .ends_with(&format!("verified 2 of 3 artifacts; failed: {failed}\n")),
        "{}",
        r.stderr
    );
    // Limited to the platforms signed, it passes.
    let mut args = vec![
        "verify",
        "--recursive",
        "--platform",
        "linux/arm64/v8",
        "m.tar:v1",
    ];
    args.extend_from_slice(&scope);
    assert_eq!(
        ok(cwd, &home, &args),
        lines(
            "Successfully verified signature for ",
            "m.tar",
            &[INDEX, ARM64]
        )
    );

    // The rest in one more rewrite; then every manifest verifies alone.
    sign_platform(cwd, &home, "m.tar:v1", "linux/amd64");
    verify_each_by_digest(cwd, &home, "m.tar", &scope);
    assert_eq!(
        signatures_by_manifest(cwd, &home, &["--oci-layout", "m.tar:v1"]),
        [(INDEX.into(), 2), (AMD64.into(), 1), (ARM64.into(), 1)]
    );
}

#[test]
fn a_missing_platform_manifest_fails_before_anything_is_written() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("multiarch"), &cwd.join("m"));
    std::fs::remove_file(cwd.join("m/blobs/sha256").join(&ARM64[7..])).unwrap();
    let before = std::fs::read(cwd.join("m/index.json")).unwrap();
    let blobs = std::fs::read_dir(cwd.join("m/blobs/sha256"))
        .unwrap()
        .count();
    let r = run(cwd, &home, &["sign", "--oci-layout", "--recursive", "m:v1"]);
    assert_eq!(r.exit, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .ends_with(&format!("Error: failed to sign m@{ARM64}: not found\n")),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(cwd.join("m/index.json")).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(cwd.join("m/blobs/sha256"))
            .unwrap()
            .count(),
        blobs
    );
}

/// Write `content` as a blob of the directory layout at `dir`; returns its descriptor.
fn blob(dir: &Path, media_type: &str, content: &[u8]) -> Value {
    let desc = notation::oci::Descriptor::for_content(media_type, content);
    std::fs::write(dir.join("blobs/sha256").join(&desc.digest[7..]), content).unwrap();
    serde_json::to_value(desc).unwrap()
}

/// A layout tagged `v1` whose root index wraps the multiarch index `levels` times.
fn nested_layout(dir: &Path, levels: usize) {
    copy_tree(&testdata_layout("multiarch"), dir);
    let mut inner = serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": INDEX, "size": 506});
    for _ in 0..levels {
        let index = serde_json::json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [inner]});
        inner = blob(
            dir,
            "application/vnd.oci.image.index.v1+json",
            index.to_string().as_bytes(),
        );
    }
    let mut tagged = inner;
    tagged["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v1"});
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [tagged]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

#[test]
fn nested_indexes_and_the_depth_limit() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    nested_layout(&cwd.join("two"), 1);
    let listed = signatures_by_manifest(cwd, &home, &["--oci-layout", "two:v1"]);
    let digests: Vec<&str> = listed.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(&digests[1..], [INDEX, AMD64, ARM64]);
    let out = sign_platform(cwd, &home, "two:v1", "linux/amd64");
    assert_eq!(
        out,
        lines("Successfully signed ", "two", &[digests[0], INDEX, AMD64])
    );

    // The multiarch manifests sit at level 8 below the root: allowed. One more is not.
    nested_layout(&cwd.join("eight"), 7);
    assert_eq!(
        signatures_by_manifest(cwd, &home, &["--oci-layout", "eight:v1"]).len(),
        10
    );
    nested_layout(&cwd.join("nine"), 8);
    let before = std::fs::read(cwd.join("nine/index.json")).unwrap();
    for command in ["sign", "list", "verify", "inspect"] {
        let mut args = vec![command, "--oci-layout", "--recursive", "nine:v1"];
        if command == "verify" {
            args.extend(["--scope", "local/nine"]);
        }
        let r = run(cwd, &home, &args);
        assert_eq!(r.exit, 1, "{command}");
        let last = r.stderr.lines().last().unwrap();
        assert!(
            last.starts_with("Error: index sha256:")
                && last.contains(&format!(
                    "nests deeper than 8 levels: {INDEX} at level 8 lists {AMD64}"
                )),
            "{command}: {last}"
        );
    }
    assert_eq!(std::fs::read(cwd.join("nine/index.json")).unwrap(), before);
}

#[tokio::test]
async fn registry_sign_verify_list() {
    let reg = TestRegistry::start(Config::default());
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("multiarch"), &cwd.join("src"));
    let repo = format!("{}/multiarch", reg.host());
    ok(
        cwd,
        &home,
        &[
            "copy",
            "--from-oci-layout",
            "src:v1",
            &format!("{repo}:v1"),
            "--insecure-registry",
        ],
    );
    let root = format!("{repo}@{INDEX}");
    let out = ok(
        cwd,
        &home,
        &["sign", "--recursive", &root, "--insecure-registry"],
    );
    assert_eq!(
        out,
        lines("Successfully signed ", &repo, &[INDEX, AMD64, ARM64])
    );
    let out = ok(
        cwd,
        &home,
        &["verify", "--recursive", &root, "--insecure-registry"],
    );
    assert_eq!(
        out,
        lines(
            "Successfully verified signature for ",
            &repo,
            &[INDEX, AMD64, ARM64]
        )
    );
    verify_each_by_digest(cwd, &home, &repo, &["--insecure-registry"]);
    assert_eq!(
        signatures_by_manifest(cwd, &home, &[&root, "--insecure-registry"]),
        [(INDEX.into(), 1), (AMD64.into(), 1), (ARM64.into(), 1)]
    );
    // Without --recursive, list shows the index's signature only, as Go notation does.
    let out = ok(cwd, &home, &["list", &root, "--insecure-registry"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.starts_with(&format!(
        "{root}\n└── application/vnd.cncf.notary.signature\n"
    )));
}

/// The JSON shapes of `-o json` with `--recursive` and with several references (README
/// "Machine-readable output"), pinned. Signature digests and times vary: filtered.
#[test]
fn json_documents_are_stable() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&testdata_layout("multiarch"), &cwd.join("multiarch"));
    let scope = ["--scope", "local/multiarch"];
    let json = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--oci-layout", "-o", "json"]);
        run(cwd, &home, &all).stdout
    };
    let sign_one = json(&["sign", &format!("multiarch@{AMD64}")]);
    let sign_tree = json(&[
        "sign",
        "--recursive",
        "--platform",
        "linux/arm64",
        "multiarch:v1",
    ]);
    let mut verify = vec!["verify", "--recursive", "multiarch:v1"];
    verify.extend(scope);
    let verify_tree = json(&verify);
    let list_tree = json(&["list", "--recursive", "multiarch:v1"]);
    let inspect_tree = json(&[
        "inspect",
        "--recursive",
        "--platform",
        "linux/amd64",
        "multiarch:v1",
    ]);
    let mut many = vec!["verify", "multiarch:nope", "multiarch:v1"];
    many.extend(scope);
    let verify_many = json(&many);
    insta::with_settings!({filters => vec![
        (INDEX, "[INDEX]"),
        (AMD64, "[AMD64]"),
        (ARM64, "[ARM64]"),
        (r"sha256:[0-9a-f]{64}", "[SIGNATURE]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
    ]}, {
        insta::assert_snapshot!("json_sign_one", sign_one);
        insta::assert_snapshot!("json_sign_recursive", sign_tree);
        insta::assert_snapshot!("json_verify_recursive", verify_tree);
        insta::assert_snapshot!("json_list_recursive", list_tree);
        insta::assert_snapshot!("json_inspect_recursive", inspect_tree);
        insta::assert_snapshot!("json_verify_many", verify_many);
    });
}
