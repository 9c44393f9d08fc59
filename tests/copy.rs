//! `notation copy`: layout → registry → layout, with signatures made by Go notation kept
//! byte for byte, against a real docker-registry.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, notation, testdata_layout, ConfigHome};
use notation::oci::{self, Descriptor, Manifest};
use notation::reference::RegistryReference;
use notation::target::layout::Layout;
use notation::target::registry::{Registry, RegistryOptions};
use notation::target::{ContentStore, Target};
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

/// Copy `dest` (in a registry) into a new layout `back` in `work` and check that it holds
/// the blobs of the layout `src` there, byte for byte.
fn copy_back_to_layout(work: &Path, home: &ConfigHome, dest: &str, extra: &[&str]) {
    run_ok(
        notation(work, home)
            .args([
                "copy",
                dest,
                "--to-oci-layout",
                "back",
                "--insecure-registry",
            ])
            .args(extra),
    );
    assert_eq!(
        blob_files(&work.join("back")),
        blob_files(&work.join("src"))
    );
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

    copy_back_to_layout(work.path(), &home, &dest, &[]);
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

/// Write an OCI layout at `dir` holding one image (tag `v1`) with `layers` layers of
/// `layer_size` bytes each that neither compress nor repeat. Returns the layer digests.
fn multi_blob_layout(dir: &Path, layers: usize, layer_size: usize) -> Vec<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8], media_type: &str| {
        let desc = Descriptor::for_content(media_type, data);
        let hex = desc.digest.strip_prefix("sha256:").unwrap();
        std::fs::write(blobs.join(hex), data).unwrap();
        desc
    };
    let layer_descs: Vec<Descriptor> = (0..layers)
        .map(|n| {
            let data: Vec<u8> = (0..layer_size as u32)
                .map(|i| ((i ^ (n as u32) << 24).wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            put(&data, "application/vnd.oci.image.layer.v1.tar")
        })
        .collect();
    let config = put(
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
        "application/vnd.oci.image.config.v1+json",
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": oci::MEDIA_TYPE_IMAGE_MANIFEST,
        "config": config,
        "layers": layer_descs,
    });
    let manifest = put(
        &serde_json::to_vec(&manifest).unwrap(),
        oci::MEDIA_TYPE_IMAGE_MANIFEST,
    );
    let mut entry = serde_json::to_value(&manifest).unwrap();
    entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [entry]})).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    layer_descs.into_iter().map(|d| d.digest).collect()
}

/// Every blob and the manifest of `image` in a registry repository, by digest.
async fn registry_content(remote: &Registry, image: &Descriptor) -> Vec<(String, Vec<u8>)> {
    let manifest = remote.fetch(image, 4 << 20).await.unwrap();
    let m: Manifest = serde_json::from_slice(&manifest).unwrap();
    let mut out = vec![(image.digest.clone(), manifest)];
    for blob in std::iter::once(&m.config).chain(&m.layers) {
        out.push((
            blob.digest.clone(),
            remote.fetch(blob, 64 << 20).await.unwrap(),
        ));
    }
    out
}

/// One blob at a time or three at once, the registry ends up with the same content; and
/// without a terminal nothing but the result is printed (no progress display).
#[tokio::test]
async fn concurrency_changes_nothing_in_what_lands() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    let layers = multi_blob_layout(&work.path().join("src"), 5, 3 << 20);
    let home = ConfigHome::empty();
    let src = Layout::open(&work.path().join("src")).unwrap();
    let image = src.resolve("v1").await.unwrap().plain();
    let mut contents = Vec::new();
    for n in ["1", "3"] {
        let dest = format!("{}/conc{n}/app:v1", reg.host());
        let out = notation(work.path(), &home)
            .args(["copy", "--from-oci-layout", "src:v1", &dest])
            .args(["--insecure-registry", "--concurrency", n])
            .output()
            .unwrap();
        // Success, and no progress display without a terminal.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "{stderr}");
        let remote = registry(&reg, &format!("conc{n}/app"));
        assert_eq!(remote.resolve("v1").await.unwrap(), image);
        contents.push(registry_content(&remote, &image).await);
    }
    assert_eq!(contents[0].len(), 7);
    assert_eq!(contents[0], contents[1]);
    for (layer, (digest, data)) in layers.iter().zip(&contents[0][2..]) {
        assert_eq!(layer, digest);
        assert_eq!(data.len(), 3 << 20);
    }

    // And back into a layout, three at a time, the same bytes as the source.
    let dest = format!("{}/conc3/app:v1", reg.host());
    copy_back_to_layout(work.path(), &home, &dest, &["--no-progress"]);
}

#[test]
fn zero_concurrency_is_refused() {
    let work = tempfile::tempdir().unwrap();
    multi_blob_layout(&work.path().join("src"), 1, 10);
    let home = ConfigHome::empty();
    let out = notation(work.path(), &home)
        .args([
            "copy",
            "--from-oci-layout",
            "src:v1",
            "--to-oci-layout",
            "out:v1",
        ])
        .args(["--concurrency", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: invalid value 0 for --concurrency: at least 1 blob must be transferred at a time\n"
    );
    assert!(!work.path().join("out").exists());
}

/// A layer altered in the source layout (same size, other bytes) fails the copy with the
/// digest named, and no destination gets the manifest: neither a registry (nothing
/// pointing at a missing or wrong blob) nor a new layout (removed again).
#[tokio::test]
async fn a_tampered_source_blob_fails_the_copy_and_no_manifest_lands() {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    let layers = multi_blob_layout(&work.path().join("src"), 3, 1 << 20);
    let bad = &layers[1];
    let path = work
        .path()
        .join("src/blobs/sha256")
        .join(bad.strip_prefix("sha256:").unwrap());
    let mut data = std::fs::read(&path).unwrap();
    let last = data.len() - 1;
    data[last] ^= 1;
    std::fs::write(&path, &data).unwrap();
    let home = ConfigHome::empty();
    let dest = format!("{}/tampered/app:v1", reg.host());
    for args in [
        vec![dest.as_str(), "--insecure-registry"],
        vec!["--to-oci-layout", "out:v1"],
        vec!["--to-oci-layout", "out.tar:v1"],
    ] {
        let out = notation(work.path(), &home)
            .args(["copy", "--from-oci-layout", "src:v1"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("Error: failed to copy src:v1 to "),
            "{stderr}"
        );
        assert!(
            stderr.contains(bad) && stderr.contains("mismatched digest"),
            "{stderr}"
        );
    }
    let remote = registry(&reg, "tampered/app");
    assert!(remote.resolve("v1").await.unwrap_err().is_not_found());
    let wrong = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        digest: bad.clone(),
        size: data.len() as i64,
        ..Default::default()
    };
    assert!(!remote.exists(&wrong).await.unwrap());
    assert!(!work.path().join("out").exists());
    assert!(!work.path().join("out.tar").exists());
}
