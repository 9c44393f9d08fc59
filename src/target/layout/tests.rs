//! Layout tests on copies of the interop fixtures (signed by Go notation) and of the
//! layouts in `testdata/layouts` (written by docker buildx).

use super::*;
use crate::oci::{
    Manifest, ANNOTATION_CREATED, EMPTY_JSON, MEDIA_TYPE_EMPTY_JSON, MEDIA_TYPE_IMAGE_INDEX,
};
use crate::target::Target as _;
use std::collections::BTreeMap;
use std::io::Write as _;

pub(super) fn interop_dir() -> PathBuf {
    let dir = std::env::var_os("NOTATION_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
    assert!(
        dir.join("cases.json").is_file(),
        "interop fixtures not found at {} (set NOTATION_INTEROP_DIR)",
        dir.display()
    );
    dir
}

pub(super) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/layouts")
        .join(name)
}

/// Copy a file or directory tree into `dst`, writable (fixtures are read-only).
pub(super) fn copy_tree(src: &Path, dst: &Path) {
    if src.is_file() {
        std::fs::copy(src, dst).unwrap();
        make_writable(dst);
        return;
    }
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let to = dst.join(entry.path().strip_prefix(src).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
        make_writable(&to);
    }
}

pub(super) fn make_writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

/// A writable copy of interop case `case`'s layout directory.
pub(super) fn case_copy(case: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("layout");
    copy_tree(&interop_dir().join("cases").join(case).join("layout"), &dst);
    (tmp, dst)
}

/// Pack a layout directory into a tar, naming entries with `prefix` (`""` or `"./"`).
pub(super) fn pack(dir: &Path, tar_path: &Path, prefix: &str, gzip: bool) {
    let file = File::create(tar_path).unwrap();
    let writer: Box<dyn std::io::Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(file)
    };
    let mut builder = ::tar::Builder::new(writer);
    for name in ["oci-layout", "index.json"] {
        builder
            .append_path_with_name(dir.join(name), format!("{prefix}{name}"))
            .unwrap();
    }
    builder
        .append_dir(format!("{prefix}blobs/"), dir.join("blobs"))
        .unwrap();
    let mut blobs: Vec<_> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    blobs.sort();
    for blob in blobs {
        let name = format!(
            "{prefix}blobs/sha256/{}",
            blob.file_name().unwrap().to_string_lossy()
        );
        builder.append_path_with_name(&blob, name).unwrap();
    }
    let mut inner = builder.into_inner().unwrap();
    inner.flush().unwrap();
}

pub(super) fn tar_entry_names(path: &Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    let plain = if data.starts_with(&GZIP_MAGIC_TEST) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&data[..]), &mut out).unwrap();
        out
    } else {
        data
    };
    let mut archive = ::tar::Archive::new(&plain[..]);
    archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

pub(super) const GZIP_MAGIC_TEST: [u8; 2] = [0x1f, 0x8b];

pub(super) fn open(path: &Path) -> Layout {
    Layout::open(path).unwrap()
}

pub(super) fn digests(descs: &[Descriptor]) -> Vec<&str> {
    descs.iter().map(|d| d.digest.as_str()).collect()
}

/// A Form A signature manifest for `subject` over `envelope`, and its descriptor.
pub(super) fn signature_manifest(
    subject: &Descriptor,
    envelope: &[u8],
    created: &str,
) -> (Descriptor, Vec<u8>) {
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.into()),
        artifact_type: None,
        config: Descriptor::for_content(ARTIFACT_TYPE_NOTATION, EMPTY_JSON),
        layers: vec![Descriptor::for_content("application/jose+json", envelope)],
        subject: Some(subject.plain()),
        annotations: Some(BTreeMap::from([(
            ANNOTATION_CREATED.to_string(),
            created.to_string(),
        )])),
    };
    let data = crate::go::json::to_vec(&manifest).unwrap();
    (
        Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &data),
        data,
    )
}

/// Push a complete signature (envelope, config, manifest) the way `sign` does.
pub(super) async fn push_signature(
    layout: &Layout,
    subject: &Descriptor,
    envelope: &[u8],
    created: &str,
) -> Descriptor {
    layout
        .push_blob(
            &Descriptor::for_content("application/jose+json", envelope),
            envelope,
        )
        .await
        .unwrap();
    layout
        .push_blob(
            &Descriptor::for_content(ARTIFACT_TYPE_NOTATION, EMPTY_JSON),
            EMPTY_JSON,
        )
        .await
        .unwrap();
    let (desc, data) = signature_manifest(subject, envelope, created);
    layout.push_manifest(&desc, &data, None).await.unwrap();
    desc
}

const REFS_V1: &str = "sha256:ae9d545785a3b7650760699b2230f5bc1859a4e46b8c5cfdc7d41ea397ee8ab9";
const REFS_V2: &str = "sha256:9a310eea4dc073f84944614c08981c0b5f69889855c59c6eed2cf70376f1ef0b";

#[tokio::test]
async fn resolves_tags_and_digests() {
    let layout = open(&interop_dir().join("cases/refs/layout"));
    for (reference, digest) in [
        ("v1", REFS_V1),
        ("latest", REFS_V1),
        ("v2", REFS_V2),
        (REFS_V1, REFS_V1),
    ] {
        let desc = layout.resolve(reference).await.unwrap();
        assert_eq!(desc.digest, digest, "{reference}");
        assert_eq!(desc.media_type, MEDIA_TYPE_IMAGE_MANIFEST);
        assert_eq!(desc.size, 395);
        if reference.starts_with("sha256:") {
            assert_eq!(
                desc.annotations, None,
                "a digest resolves to the plain descriptor"
            );
        } else {
            assert_eq!(
                desc.annotation("org.opencontainers.image.ref.name"),
                Some(reference),
                "a tag resolves to its index.json entry"
            );
        }
    }
    let zeros = format!("sha256:{}", "0".repeat(64));
    for unknown in ["v404", "sha256:1234", zeros.as_str(), "sha256:", ""] {
        let err = layout.resolve(unknown).await.unwrap_err();
        assert!(err.is_not_found(), "{unknown}: {err}");
        assert_eq!(err.to_string(), "not found");
    }
}

#[tokio::test]
async fn resolves_digest_outside_index_by_declared_media_type() {
    let layout = open(&testdata("multiarch"));
    let child = "sha256:4e4ccde30e5344af8b90dc403234bfc4153a25d6d5863600b78e7fc2ffc8f94e";
    let desc = layout.resolve(child).await.unwrap();
    assert_eq!(desc.media_type, MEDIA_TYPE_IMAGE_MANIFEST);
    assert_eq!(desc.size, 726);
    let index = layout.resolve("v1").await.unwrap();
    assert_eq!(index.media_type, MEDIA_TYPE_IMAGE_INDEX);
    // A config blob is not a manifest: refused rather than resolved as octet-stream.
    let config = "sha256:08ce7b7fa6f4cc8c504acb7e9fd9b6e280176eec345e983b7a8043cf950a2eee";
    let err = layout.resolve(config).await.unwrap_err();
    assert!(matches!(err, TargetError::InvalidManifest { .. }), "{err}");
}

#[tokio::test]
async fn fetch_verifies_content() {
    let dir = interop_dir().join("cases/tamper-blob-inplace/layout");
    let layout = open(&dir);
    let sig = Descriptor {
        media_type: MEDIA_TYPE_IMAGE_MANIFEST.into(),
        digest: "sha256:6180e6d5c575a75081d77967954d0634e2194e7e772a0e7ed27a0b7e3d196dfc".into(),
        size: 866,
        ..Default::default()
    };
    let manifest: Manifest =
        serde_json::from_slice(&layout.fetch(&sig, MAX_MANIFEST_BYTES).await.unwrap()).unwrap();
    let envelope = &manifest.layers[0];
    let err = layout
        .fetch(envelope, super::super::MAX_SIGNATURE_BLOB_BYTES)
        .await
        .unwrap_err();
    assert!(matches!(err, TargetError::DigestMismatch { .. }), "{err:?}");
    assert_eq!(err.to_string(), "mismatched digest");
    // Size limits and wrong sizes.
    let err = layout.fetch(&sig, 100).await.unwrap_err();
    assert!(matches!(err, TargetError::TooLarge { .. }), "{err:?}");
    let err = layout
        .fetch(
            &Descriptor {
                size: 865,
                ..sig.clone()
            },
            MAX_MANIFEST_BYTES,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TargetError::SizeMismatch { .. }), "{err:?}");
    let missing = Descriptor {
        digest: format!("sha256:{}", "1".repeat(64)),
        ..sig.clone()
    };
    assert!(layout
        .fetch(&missing, MAX_MANIFEST_BYTES)
        .await
        .unwrap_err()
        .is_not_found());
    assert!(layout.exists(&sig).await.unwrap());
    assert!(!layout.exists(&missing).await.unwrap());
}

#[tokio::test]
async fn signatures_follow_index_order_and_subject() {
    let layout = open(&interop_dir().join("cases/multi-metadata/layout"));
    let subject = layout.resolve("v1").await.unwrap();
    let sigs = layout.signatures(&subject).await.unwrap();
    assert_eq!(
        digests(&sigs),
        [
            "sha256:ebdab8d0ab892ee9ba914cc0460dbc5ee98b8e17408b0535daf453d1fb27e037",
            "sha256:ff3d2137d6837a53a91e24392814c92b97d7d9d0efd5fd7ddb187f13cf15320d"
        ]
    );
    assert!(sigs[0].annotation(ANNOTATION_CREATED).is_some());
    // Same digest, different size: not the subject.
    let other = Descriptor {
        size: subject.size + 1,
        ..subject.clone()
    };
    assert!(layout.signatures(&other).await.unwrap().is_empty());

    let layout = open(&interop_dir().join("cases/tamper-subject-elsewhere/layout"));
    let v1 = layout.resolve("v1").await.unwrap();
    let v2 = layout.resolve("v2").await.unwrap();
    assert!(layout.signatures(&v1).await.unwrap().is_empty());
    assert_eq!(layout.signatures(&v2).await.unwrap().len(), 1);
}

/// notation's e2e layout keeps signatures in a `sha256-<hex>`-tagged referrers index.
#[tokio::test]
async fn signatures_inside_a_listed_referrers_index() {
    let (_tmp, dir) = case_copy("rsa2048-jws");
    let mut index: Index =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let sig_entry = index.manifests.pop().unwrap();
    let subject = index.manifests[0].plain();
    let referrers = Index {
        schema_version: 2,
        media_type: Some(MEDIA_TYPE_IMAGE_INDEX.into()),
        artifact_type: None,
        manifests: vec![Descriptor {
            artifact_type: Some(ARTIFACT_TYPE_NOTATION.into()),
            ..sig_entry.clone()
        }],
        subject: None,
        annotations: None,
    };
    let referrers_bytes = crate::go::json::to_vec(&referrers).unwrap();
    let mut referrers_desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_INDEX, &referrers_bytes);
    let hex = referrers_desc
        .digest
        .strip_prefix("sha256:")
        .unwrap()
        .to_string();
    std::fs::write(dir.join("blobs/sha256").join(&hex), &referrers_bytes).unwrap();
    let tag = subject.digest.replace(':', "-");
    referrers_desc.annotations = Some(BTreeMap::from([(ANNOTATION_REF_NAME.to_string(), tag)]));
    index.manifests.push(referrers_desc);
    std::fs::write(
        dir.join("index.json"),
        crate::go::json::to_vec(&index).unwrap(),
    )
    .unwrap();

    let layout = open(&dir);
    let sigs = layout.signatures(&subject).await.unwrap();
    assert_eq!(digests(&sigs), [sig_entry.digest.as_str()]);

    // Unlisted, the signature manifest is invisible even though its blob is there.
    index.manifests.pop();
    std::fs::write(
        dir.join("index.json"),
        crate::go::json::to_vec(&index).unwrap(),
    )
    .unwrap();
    assert!(open(&dir).signatures(&subject).await.unwrap().is_empty());
}

#[tokio::test]
async fn recognises_both_signature_forms_and_legacy_artifact_manifests() {
    let (_tmp, dir) = case_copy("unsigned");
    let layout = open(&dir);
    let subject = layout.resolve("v1").await.unwrap();
    let envelope = Descriptor::for_content("application/jose+json", b"env");
    let make = |artifact_type: Option<&str>, config_type: &str| {
        let m = Manifest {
            schema_version: 2,
            media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.into()),
            artifact_type: artifact_type.map(str::to_owned),
            config: Descriptor::for_content(config_type, EMPTY_JSON),
            layers: vec![envelope.clone()],
            subject: Some(subject.clone()),
            annotations: None,
        };
        crate::go::json::to_vec(&m).unwrap()
    };
    let form_b = make(Some(ARTIFACT_TYPE_NOTATION), MEDIA_TYPE_EMPTY_JSON);
    let wrong_combo = make(Some(ARTIFACT_TYPE_NOTATION), ARTIFACT_TYPE_NOTATION);
    let other_type = make(Some("application/spdx+json"), MEDIA_TYPE_EMPTY_JSON);
    let not_notary_config = make(None, "application/vnd.oci.image.config.v1+json");
    let legacy = serde_json::to_vec(&serde_json::json!({
        "mediaType": MEDIA_TYPE_ARTIFACT_MANIFEST,
        "artifactType": ARTIFACT_TYPE_NOTATION,
        "blobs": [envelope],
        "subject": subject,
    }))
    .unwrap();
    let mut expected = Vec::new();
    for (data, media_type, is_sig) in [
        (&form_b, MEDIA_TYPE_IMAGE_MANIFEST, true),
        (&wrong_combo, MEDIA_TYPE_IMAGE_MANIFEST, false),
        (&other_type, MEDIA_TYPE_IMAGE_MANIFEST, false),
        (&not_notary_config, MEDIA_TYPE_IMAGE_MANIFEST, false),
        (&legacy, MEDIA_TYPE_ARTIFACT_MANIFEST, true),
    ] {
        let desc = Descriptor::for_content(media_type, data);
        layout.push_manifest(&desc, data, None).await.unwrap();
        if is_sig {
            expected.push(desc.digest);
        }
    }
    let found = layout.signatures(&subject).await.unwrap();
    assert_eq!(
        digests(&found),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn open_errors_and_no_writes_on_open() {
    let err = Layout::open(Path::new("no-such-dir")).err().unwrap();
    assert_eq!(
        err.to_string(),
        "stat no-such-dir: no such file or directory"
    );

    let tmp = tempfile::tempdir().unwrap();
    let err = Layout::open(tmp.path()).err().unwrap();
    assert!(matches!(err, TargetError::InvalidLayout(_)), "{err}");
    assert!(err.to_string().contains("index.json"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "opening must not create files"
    );

    std::fs::write(tmp.path().join("index.json"), b"{not json").unwrap();
    assert!(matches!(
        Layout::open(tmp.path()).err().unwrap(),
        TargetError::InvalidLayout(_)
    ));

    std::fs::write(
        tmp.path().join("index.json"),
        br#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let err = Layout::open(tmp.path()).err().unwrap();
    assert_eq!(
        err.to_string(),
        "invalid OCI Image Layout: unsupported version"
    );

    std::fs::remove_file(tmp.path().join("oci-layout")).unwrap();
    let garbage = tmp.path().join("garbage.tar");
    std::fs::write(
        &garbage,
        (0..2048u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let err = Layout::open(&garbage).err().unwrap().to_string();
    assert!(
        err.contains("invalid tar archive") && !err.chars().any(char::is_control),
        "{err}"
    );
    std::fs::remove_file(&garbage).unwrap();
    let layout = open(tmp.path());
    assert!(layout.resolve("v1").await.unwrap_err().is_not_found());
    assert!(
        !tmp.path().join("blobs").exists(),
        "reads must not create blobs/"
    );
}

#[tokio::test]
async fn push_appends_one_untagged_entry_and_keeps_the_rest() {
    let (_tmp, dir) = case_copy("rsa2048-jws");
    let before = std::fs::read_to_string(dir.join("index.json")).unwrap();
    let layout = open(&dir);
    let subject = layout.resolve("v1").await.unwrap();
    let sig = push_signature(&layout, &subject, b"envelope-1", "2030-01-01T00:00:00Z").await;

    let after = std::fs::read_to_string(dir.join("index.json")).unwrap();
    let expected_prefix = before.strip_suffix("]}").unwrap();
    assert!(
        after.starts_with(expected_prefix),
        "existing entries kept byte for byte:\n{after}"
    );
    let index: Index = serde_json::from_str(&after).unwrap();
    let entry = index.manifests.last().unwrap();
    assert_eq!(entry.digest, sig.digest);
    assert_eq!(
        entry.annotation(ANNOTATION_CREATED),
        Some("2030-01-01T00:00:00Z")
    );
    assert_eq!(entry.annotation(ANNOTATION_REF_NAME), None);
    assert_eq!(entry.artifact_type, None);

    // Pushing again changes nothing.
    push_signature(&layout, &subject, b"envelope-1", "2030-01-01T00:00:00Z").await;
    assert_eq!(
        std::fs::read_to_string(dir.join("index.json")).unwrap(),
        after
    );

    let sigs = open(&dir).signatures(&subject).await.unwrap();
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[1].digest, sig.digest);

    // Blobs are read-only files, written without leftovers or an ingest/ directory.
    let blob = dir
        .join("blobs/sha256")
        .join(sig.digest.strip_prefix("sha256:").unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&blob).unwrap().permissions().mode() & 0o777,
            0o444
        );
    }
    assert!(!dir.join("ingest").exists());
    for entry in walkdir::WalkDir::new(&dir) {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".notation-tmp"), "leftover {name}");
    }
}

#[tokio::test]
async fn push_refuses_content_that_does_not_match_its_descriptor() {
    let (_tmp, dir) = case_copy("unsigned");
    let layout = open(&dir);
    let desc = Descriptor::for_content("application/jose+json", b"real");
    let err = layout.push_blob(&desc, b"fake").await.unwrap_err();
    assert!(matches!(
        err,
        TargetError::SizeMismatch { .. } | TargetError::DigestMismatch { .. }
    ));
    assert!(!layout.exists(&desc).await.unwrap());
}

/// `sign`'s one call: envelope, config and manifest synced together, published blobs
/// first; nothing is written when any of them does not match its descriptor, and no temp
/// file is left behind.
#[tokio::test]
async fn manifest_with_its_blobs_lands_whole_or_not_at_all() {
    let (_tmp, dir) = case_copy("unsigned");
    let layout = open(&dir);
    let subject = layout.resolve("v1").await.unwrap();
    let envelope = b"envelope bytes".as_slice();
    let envelope_desc = Descriptor::for_content("application/jose+json", envelope);
    let config = Descriptor::for_content(ARTIFACT_TYPE_NOTATION, EMPTY_JSON);
    let (desc, data) = signature_manifest(&subject, envelope, "2024-01-01T00:00:00Z");
    let index_before = std::fs::read(dir.join("index.json")).unwrap();
    let blob = |desc, data| crate::target::NewBlob {
        desc,
        data,
        if_absent: false,
    };
    let bad = [
        blob(&envelope_desc, b"other bytes!!!".as_slice()),
        blob(&config, EMPTY_JSON),
    ];
    assert!(layout
        .push_manifest_with_blobs(&bad, &desc, &data, None)
        .await
        .is_err());
    assert_eq!(std::fs::read(dir.join("index.json")).unwrap(), index_before);
    assert!(!layout.exists(&envelope_desc).await.unwrap());
    assert!(!layout.exists(&desc).await.unwrap());

    let blobs = [blob(&envelope_desc, envelope), blob(&config, EMPTY_JSON)];
    layout
        .push_manifest_with_blobs(&blobs, &desc, &data, None)
        .await
        .unwrap();
    let reopened = open(&dir);
    assert_eq!(
        digests(&reopened.signatures(&subject).await.unwrap()),
        [desc.digest.as_str()]
    );
    for b in blobs {
        assert_eq!(reopened.fetch(b.desc, 1024).await.unwrap(), b.data);
    }
    let leftovers = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(crate::atomic::TEMP_PREFIX)
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn tagged_push_moves_the_tag() {
    let (_tmp, dir) = case_copy("refs");
    let layout = open(&dir);
    let v2 = layout.resolve("v2").await.unwrap();
    let v2_bytes = layout.fetch(&v2, MAX_MANIFEST_BYTES).await.unwrap();
    layout
        .push_manifest(&v2, &v2_bytes, Some("latest"))
        .await
        .unwrap();
    let reopened = open(&dir);
    assert_eq!(reopened.resolve("latest").await.unwrap().digest, REFS_V2);
    assert_eq!(reopened.resolve("v1").await.unwrap().digest, REFS_V1);
    assert_eq!(reopened.resolve("v2").await.unwrap().digest, REFS_V2);
    let index: Index =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    // The old `latest` entry goes away: its digest stays listed as v1.
    let tags: Vec<_> = index
        .manifests
        .iter()
        .map(|m| (m.digest.as_str(), m.annotation(ANNOTATION_REF_NAME)))
        .collect();
    assert_eq!(tags.len(), 4, "{tags:?}");
    assert_eq!(tags[0], (REFS_V1, Some("v1")));
    assert_eq!(tags[3], (REFS_V2, Some("latest")));
}

/// `n` signers at once, each in its own thread and runtime with its own `Layout` of
/// `path`, each committing; then every signature they pushed is found. Returns the
/// signatures' digests.
pub(super) fn sign_concurrently(path: &Path, subject: &Descriptor, n: usize) -> Vec<String> {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let path = path.to_path_buf();
            let subject = subject.clone();
            std::thread::spawn(move || {
                current_thread().block_on(async {
                    let layout = open(&path);
                    let envelope = format!("envelope-{i}");
                    let d = push_signature(
                        &layout,
                        &subject,
                        envelope.as_bytes(),
                        "2030-01-01T00:00:00Z",
                    )
                    .await;
                    layout.commit().await.unwrap();
                    d.digest
                })
            })
        })
        .collect();
    let pushed: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let found = current_thread()
        .block_on(open(path).signatures(subject))
        .unwrap();
    assert_eq!(found.len(), n);
    for digest in &pushed {
        assert!(
            found.iter().any(|d| &d.digest == digest),
            "{digest} missing"
        );
    }
    pushed
}

/// A runtime for a test that drives the store from several threads.
pub(super) fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn concurrent_signers_all_land() {
    let (_tmp, dir) = case_copy("unsigned");
    let subject = current_thread().block_on(open(&dir).resolve("v1")).unwrap();
    sign_concurrently(&dir, &subject, 8);
    let index: Index =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    assert_eq!(index.manifests.len(), 9);
}

#[test]
fn index_entries_follow_oras_rules() {
    let entry = |digest: &str, tag: Option<&str>| Descriptor {
        media_type: MEDIA_TYPE_IMAGE_MANIFEST.into(),
        digest: digest.into(),
        size: 1,
        annotations: tag
            .map(|t| BTreeMap::from([(ANNOTATION_REF_NAME.to_string(), t.to_string())])),
        ..Default::default()
    };
    let mut index = Index {
        schema_version: 2,
        media_type: None,
        artifact_type: None,
        manifests: vec![entry("a", Some("v1"))],
        subject: None,
        annotations: None,
    };
    assert!(
        !add_entry(&mut index, entry("a", None), None),
        "tagged digest is listed already"
    );
    assert!(add_entry(&mut index, entry("b", None), None));
    assert!(!add_entry(&mut index, entry("b", None), None));
    assert!(add_entry(&mut index, entry("b", Some("v1")), Some("v1")));
    assert_eq!(
        index.manifests,
        vec![entry("a", None), entry("b", Some("v1"))]
    );
    assert!(!add_entry(&mut index, entry("b", Some("v1")), Some("v1")));

    let with_annotations = Descriptor {
        annotations: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
        artifact_type: Some(ARTIFACT_TYPE_NOTATION.into()),
        ..entry("c", None)
    };
    let made = index_entry(&with_annotations, b"{}", None);
    assert_eq!(made.artifact_type, None);
    assert_eq!(made.annotation("k"), Some("v"));
    assert_eq!(
        index_entry(&entry("c", None), b"{}", Some("t")).annotation(ANNOTATION_REF_NAME),
        Some("t")
    );
}
