//! `notation copy`: layout → registry → layout, with signatures made by Go notation kept
//! byte for byte, against a real docker-registry.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, notation, testdata_layout, ConfigHome};
use notation::oci::{self, Descriptor, Manifest};
use notation::reference::RegistryReference;
use notation::target::layout::Layout;
use notation::target::registry::{Registry, RegistryOptions};
use notation::target::Target;
use std::path::Path;

fn registry(reg: &TestRegistry, repo: &str) -> Registry {
    let r = RegistryReference::parse_repository(&format!("{}/{repo}", reg.host())).unwrap();
    Registry::new(
        &r,
        RegistryOptions {
            plain_http: true,
            ..Default::default()
        },
    )
    .unwrap()
}

fn run_ok(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Signature manifests of `image` with the bytes of the manifest and its envelope.
async fn signature_bytes(
    target: &dyn Target,
    image: &Descriptor,
) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for sig in target.signatures(image).await.unwrap() {
        let sig = sig.plain();
        let manifest = target.fetch(&sig, 4 << 20).await.unwrap();
        let m: Manifest = serde_json::from_slice(&manifest).unwrap();
        let envelope = target.fetch(&m.layers[0], 32 << 20).await.unwrap();
        out.push((sig.digest, manifest, envelope));
    }
    out.sort();
    out
}

#[tokio::test]
async fn layout_to_registry_to_layout_keeps_signatures_byte_for_byte() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_tree(&interop_dir().join("cases/multi-jws-cose/layout"), &src);
    let home = ConfigHome::empty();
    let dest = format!("{}/signed/app:v1", reg.host());

    let layout = Layout::open(&src).unwrap();
    let image = layout.resolve("v1").await.unwrap();
    let expected = signature_bytes(&layout, &image).await;
    assert_eq!(expected.len(), 2);

    let stdout = run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        "-r",
        &dest,
        "--insecure-registry",
    ]));
    assert_eq!(
        stdout,
        format!(
            "Copied src@{d} => {dest}\nReferrers copied: 2\nDigest: {d}\n",
            d = image.digest
        )
    );
    let remote = registry(&reg, "signed/app");
    assert_eq!(remote.resolve("v1").await.unwrap(), image.plain());
    assert_eq!(signature_bytes(&remote, &image).await, expected);

    // Back into a new layout (created by the copy), under another tag.
    let stdout = run_ok(notation(work.path(), &home).args([
        "cp",
        "-r",
        &dest,
        "--to-oci-layout",
        "back:copied",
        "--insecure-registry",
        "-o",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["digest"], image.digest);
    assert_eq!(json["destination"], "back:copied");
    assert_eq!(json["referrers"].as_array().unwrap().len(), 2);
    let back = Layout::open(&work.path().join("back")).unwrap();
    assert_eq!(back.resolve("copied").await.unwrap().plain(), image.plain());
    assert_eq!(signature_bytes(&back, &image).await, expected);

    // A second copy finds everything in place.
    let stdout = run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        "-r",
        &dest,
        "--insecure-registry",
        "-o",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["copied"], 0, "{json}");
}

/// Registry to registry on one host: layers and configs are mounted, not transferred, and
/// the signatures come along.
#[tokio::test]
async fn registry_to_registry_mounts_blobs() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &interop_dir().join("cases/multi-jws-cose/layout"),
        &work.path().join("src"),
    );
    let home = ConfigHome::empty();
    let first = format!("{}/team/app:v1", reg.host());
    let second = format!("{}/other/app:v1", reg.host());
    run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        "-r",
        &first,
        "--insecure-registry",
    ]));
    let out = notation(work.path(), &home)
        .args(["copy", "-r", &first, &second, "--insecure-registry", "-d"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The -d trace: `Request #n` / `Response #n` records, the line after says what.
    let mut requests = std::collections::BTreeMap::new();
    let mut statuses = std::collections::BTreeMap::new();
    let lines: Vec<&str> = stderr.lines().collect();
    for pair in lines.windows(2) {
        if let Some((_, n)) = pair[0].split_once("msg=Request #") {
            requests.insert(n.to_string(), pair[1]);
        } else if let Some((_, n)) = pair[0].split_once("msg=Response #") {
            statuses.insert(n.to_string(), pair[1]);
        }
    }
    let mounts = requests
        .iter()
        .filter(|(n, r)| {
            r.contains("/v2/other/app/blobs/uploads/?mount=")
                && statuses.get(*n) == Some(&"< Response status: \"201 Created\"")
        })
        .count();
    // The image's config and layer, and each signature's envelope and empty config.
    assert!(mounts >= 3, "{stderr}");
    assert!(!stderr.contains("> Request: \"PATCH\""), "{stderr}");
    let a = registry(&reg, "team/app");
    let b = registry(&reg, "other/app");
    let image = b.resolve("v1").await.unwrap();
    assert_eq!(image, a.resolve("v1").await.unwrap());
    assert_eq!(
        signature_bytes(&b, &image).await,
        signature_bytes(&a, &image).await
    );
}

/// Every blob file of the layout at `path`, by name.
fn blob_files(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(path.join("blobs"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn multi_platform_index_round_trips() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    copy_tree(&testdata_layout("multiarch"), &work.path().join("src"));
    let home = ConfigHome::empty();
    let dest = format!("{}/multi:v1", reg.host());
    run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        &dest,
        "--insecure-registry",
    ]));
    let remote = registry(&reg, "multi");
    let root = remote.resolve("v1").await.unwrap();
    assert_eq!(root.media_type, oci::MEDIA_TYPE_IMAGE_INDEX);

    run_ok(notation(work.path(), &home).args([
        "copy",
        &dest,
        "--to-oci-layout",
        "back",
        "--insecure-registry",
    ]));
    assert_eq!(
        blob_files(&work.path().join("back")),
        blob_files(&work.path().join("src"))
    );
    let back = Layout::open(&work.path().join("back")).unwrap();
    assert_eq!(back.resolve("v1").await.unwrap().plain(), root.plain());
}

#[test]
fn copy_errors() {
    let work = tempfile::tempdir().unwrap();
    let home = ConfigHome::empty();
    let out = notation(work.path(), &home)
        .args([
            "copy",
            "--from-oci-layout",
            "missing:v1",
            "localhost:1/x:v1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: failed to create OCI store: stat missing: no such file or directory\n"
    );
}

/// A destination path ending in `.tar` / `.tar.gz` becomes a tar layout; its signatures
/// list and verify like the directory's. A failed copy leaves no new destination behind.
#[test]
fn copy_into_new_tar_layouts_and_clean_up_on_failure() {
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &interop_dir().join("cases/multi-jws-cose/layout"),
        &work.path().join("src"),
    );
    let home = ConfigHome::interop(Some("config/policies/strict-root.json"));
    for dest in ["out.tar", "out.tar.gz"] {
        run_ok(notation(work.path(), &home).args([
            "copy",
            "--from-oci-layout",
            "src:v1",
            "-r",
            "--to-oci-layout",
            &format!("{dest}:v1"),
        ]));
        let path = work.path().join(dest);
        assert!(path.is_file(), "{dest} is an archive");
        let head = std::fs::read(&path).unwrap();
        assert_eq!(
            head.starts_with(&[0x1f, 0x8b]),
            dest.ends_with(".gz"),
            "{dest}"
        );
        let listed = run_ok(notation(work.path(), &home).args([
            "list",
            "--oci-layout",
            &format!("{dest}:v1"),
        ]));
        assert_eq!(listed.matches("── sha256:").count(), 2, "{listed}");
        let verified = run_ok(notation(work.path(), &home).args([
            "verify",
            "--oci-layout",
            "--scope",
            "local/x",
            &format!("{dest}:v1"),
        ]));
        assert!(
            verified.starts_with("Successfully verified signature for"),
            "{verified}"
        );
    }
    for dest in ["never", "never.tar"] {
        let out = notation(work.path(), &home)
            .args([
                "copy",
                "localhost:1/x:v1",
                "--to-oci-layout",
                &format!("{dest}:v1"),
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(!work.path().join(dest).exists(), "{dest} was left behind");
    }
}

/// `dst:t1,t2,t3` tags the copy with each tag, as `oras cp` does; a bad extra tag is
/// refused before anything is copied.
#[tokio::test]
async fn several_destination_tags() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &testdata_layout("single-platform"),
        &work.path().join("src"),
    );
    let home = ConfigHome::empty();
    let dest = format!("{}/tags/app:v1,latest,stable", reg.host());
    let stdout = run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        &dest,
        "--insecure-registry",
    ]));
    assert!(stdout.contains("Also tagged: latest, stable\n"), "{stdout}");
    let remote = registry(&reg, "tags/app");
    let v1 = remote.resolve("v1").await.unwrap();
    assert_eq!(remote.resolve("latest").await.unwrap(), v1);
    assert_eq!(remote.resolve("stable").await.unwrap(), v1);

    let stdout = run_ok(notation(work.path(), &home).args([
        "copy",
        "--from-oci-layout",
        "src:v1",
        "--to-oci-layout",
        "out:a,b",
        "-o",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["tags"], serde_json::json!(["a", "b"]));
    let out = Layout::open(&work.path().join("out")).unwrap();
    assert_eq!(
        out.resolve("b").await.unwrap().digest,
        out.resolve("a").await.unwrap().digest
    );

    let bad = notation(work.path(), &home)
        .args([
            "copy",
            "--from-oci-layout",
            "src:v1",
            "--to-oci-layout",
            "bad:a,no/pe",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "Error: invalid destination tag \"no/pe\" in \"bad:a,no/pe\"\n"
    );
    assert!(!work.path().join("bad").exists());
}
