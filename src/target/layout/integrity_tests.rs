//! Opening a layout checks what `index.json` lists and every manifest and index reachable
//! from it, as oras-go's OCI store does (issue 9, part 1): altered content, malformed
//! digests and impossible sizes are refused with upstream's texts, for directories and tars.

use super::tests::{case_copy, copy_tree, pack, testdata};
use super::*;
use crate::target::Target as _;

/// The `v1` image manifest of `testdata/layouts/single-platform` (726 bytes).
const V1: &str = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";
/// Its two layers.
const LAYER_A: &str = "sha256:e57ad0edba65a9223a2897888efc116c868c658684546bfa4657772cd50b303f";
const LAYER_B: &str = "sha256:5cc810776559021c11421a990a92b4484bdf230f331df8d32da46ada93b355fe";
/// The `arm64` image manifest of the same layout, and the child of the `multiarch` index.
const ARM64: &str = "sha256:4e4ccde30e5344af8b90dc403234bfc4153a25d6d5863600b78e7fc2ffc8f94e";

/// A writable copy of `testdata/layouts/<name>`.
fn layout_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("layout");
    copy_tree(&testdata(name), &dst);
    (tmp, dst)
}

fn blob_file(layout: &Path, digest: &str) -> PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap();
    layout.join("blobs").join(alg).join(hex)
}

/// Rewrite a blob file in place (its name, the digest, stays).
fn tamper(layout: &Path, digest: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let path = blob_file(layout, digest);
    let mut data = std::fs::read(&path).unwrap();
    edit(&mut data);
    std::fs::write(&path, data).unwrap();
}

fn replace(data: &mut Vec<u8>, from: &str, to: &str) {
    let text = String::from_utf8(data.clone()).unwrap();
    assert!(text.contains(from), "{from} not in {text}");
    *data = text.replacen(from, to, 1).into_bytes();
}

fn write_index(layout: &Path, entries: &str) {
    let index = format!(r#"{{"schemaVersion":2,"manifests":[{entries}]}}"#);
    std::fs::write(layout.join("index.json"), index).unwrap();
}

fn open_error(path: &Path) -> String {
    match Layout::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

/// The layout packed as a plain tar, a `./`-prefixed tar and a gzip tar beside it.
fn as_tars(layout: &Path) -> Vec<PathBuf> {
    let parent = layout.parent().unwrap();
    let tars = [
        (parent.join("plain.tar"), "", false),
        (parent.join("dotslash.tar"), "./", false),
        (parent.join("zipped.tar.gz"), "", true),
    ];
    tars.into_iter()
        .map(|(path, prefix, gzip)| {
            pack(layout, &path, prefix, gzip);
            path
        })
        .collect()
}

/// `open_error` of the directory and of each tar made from it: all must say `expected`.
fn assert_refused_everywhere(layout: &Path, expected: &str) {
    assert_eq!(open_error(layout), expected, "{}", layout.display());
    for tar in as_tars(layout) {
        assert_eq!(open_error(&tar), expected, "{}", tar.display());
    }
}

#[test]
fn a_tampered_image_manifest_is_refused_in_directories_and_tars() {
    let (_tmp, layout) = layout_copy("single-platform");
    tamper(&layout, V1, |m| replace(m, LAYER_A, LAYER_B));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: mismatched digest");
}

#[test]
fn a_tampered_manifest_inside_an_index_is_refused() {
    let (_tmp, layout) = layout_copy("multiarch");
    let other_layer = "sha256:3b27e49e80d868ef0779c2d52f2fe608eb5f4f3d9884b9d03053f76158ceada9";
    tamper(&layout, ARM64, |m| replace(m, LAYER_A, other_layer));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: mismatched digest");
}

#[test]
fn content_shorter_or_longer_than_its_descriptor_is_refused() {
    let (_tmp, layout) = layout_copy("single-platform");
    tamper(&layout, V1, |m| m.push(b'\n'));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: trailing data");
    tamper(&layout, V1, |m| m.truncate(700));
    assert_refused_everywhere(
        &layout,
        &format!("invalid OCI Image Index: read failed: expected content size of 726, got 700, for digest {V1}: unexpected EOF"),
    );
}

#[test]
fn malformed_index_json_digests_are_refused_before_any_path_is_made() {
    let (tmp, layout) = layout_copy("single-platform");
    // A valid manifest where `..` would lead, so that a digest used as a path would open.
    std::fs::copy(blob_file(&layout, V1), tmp.path().join("escape")).unwrap();
    let hex = V1.strip_prefix("sha256:").unwrap();
    let bad = [
        "sha256:xyz".to_string(),
        "sha256:../../../../etc/passwd".to_string(),
        "sha256:../../../escape".to_string(),
        format!("sha256:{}", hex.to_uppercase()),
        format!("sha256:{}", &hex[1..]),
        format!("sha256:{hex}0"),
        format!("md5:{hex}"),
        format!("sha256:{}/../{hex}", &hex[..10]),
        hex.to_string(),
        String::new(),
    ];
    for media_type in [MEDIA_TYPE_IMAGE_MANIFEST, "application/octet-stream"] {
        for digest in &bad {
            write_index(
                &layout,
                &format!(
                    r#"{{"mediaType":"{media_type}","digest":"{digest}","size":726,"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}"#
                ),
            );
            assert_refused_everywhere(
                &layout,
                &format!("invalid OCI Image Index: {digest}: {media_type}: invalid digest"),
            );
        }
    }
}

#[test]
fn a_malformed_digest_inside_an_index_is_refused() {
    let (_tmp, layout) = layout_copy("single-platform");
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_IMAGE_INDEX}","manifests":[{{"mediaType":"{MEDIA_TYPE_IMAGE_MANIFEST}","digest":"sha256:../../oci-layout","size":30}}]}}"#
    );
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_INDEX, index.as_bytes());
    std::fs::write(blob_file(&layout, &desc.digest), &index).unwrap();
    write_index(&layout, &serde_json::to_string(&desc).unwrap());
    assert_refused_everywhere(
        &layout,
        &format!("invalid OCI Image Index: sha256:../../oci-layout: {MEDIA_TYPE_IMAGE_MANIFEST}: invalid digest"),
    );
}

#[test]
fn negative_and_absurd_sizes_are_refused() {
    let (_tmp, layout) = layout_copy("single-platform");
    let entry = |size: &str| {
        format!(r#"{{"mediaType":"{MEDIA_TYPE_IMAGE_MANIFEST}","digest":"{V1}","size":{size}}}"#)
    };
    write_index(&layout, &entry("-1"));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: invalid descriptor size");
    for size in [i64::MAX, 1 << 40, 727] {
        write_index(&layout, &entry(&size.to_string()));
        assert_refused_everywhere(
            &layout,
            &format!("invalid OCI Image Index: read failed: expected content size of {size}, got 726, for digest {V1}: unexpected EOF"),
        );
    }
    write_index(&layout, &entry("725"));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: trailing data");
    // A size that is not a JSON integer never gets as far as the graph.
    write_index(&layout, &entry("1e30"));
    assert!(open_error(&layout).contains("failed to decode"));
}

#[test]
fn oversized_manifests_are_refused_without_being_read_whole() {
    let (_tmp, layout) = layout_copy("single-platform");
    let big = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &big);
    std::fs::write(blob_file(&layout, &desc.digest), &big).unwrap();
    write_index(&layout, &serde_json::to_string(&desc).unwrap());
    assert_refused_everywhere(
        &layout,
        &format!(
            "invalid OCI Image Index: invalid manifest {}: {} bytes, more than the 4194304 a manifest may have",
            desc.digest,
            big.len()
        ),
    );
}

#[test]
fn a_manifest_that_is_not_json_is_refused() {
    let (_tmp, layout) = layout_copy("single-platform");
    let garbage = b"not a manifest";
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, garbage);
    std::fs::write(blob_file(&layout, &desc.digest), garbage).unwrap();
    write_index(&layout, &serde_json::to_string(&desc).unwrap());
    let err = open_error(&layout);
    assert!(
        err.starts_with(&format!(
            "invalid OCI Image Index: invalid manifest {}: ",
            desc.digest
        )),
        "{err}"
    );
}

#[test]
fn layers_and_configs_are_not_checked_at_open_and_missing_manifests_are_tolerated() {
    let (_tmp, layout) = layout_copy("single-platform");
    // Layers can be gigabytes: like oras-go, opening reads only manifests and indexes.
    tamper(&layout, LAYER_A, |l| l[0] ^= 1);
    std::fs::remove_file(blob_file(&layout, LAYER_B)).unwrap();
    std::fs::create_dir(blob_file(&layout, LAYER_B)).unwrap();
    std::fs::remove_file(blob_file(&layout, ARM64)).unwrap();
    let l = Layout::open(&layout).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(l.resolve("arm64")).unwrap().digest, ARM64);
    // Reading the altered layer still fails.
    let layer = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
        digest: LAYER_A.into(),
        size: std::fs::metadata(blob_file(&layout, LAYER_A))
            .unwrap()
            .len() as i64,
        ..Default::default()
    };
    let err = rt.block_on(l.fetch(&layer, 1 << 20)).unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");
}

#[test]
fn tampered_signature_manifests_and_envelopes_are_caught() {
    const SIG: &str = "sha256:6530a26fab5956051433fd832f01019978950798374fe54e4a89e00aa5c4604d";
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The signature manifest is listed in index.json: opening fails.
    let (_tmp, layout) = case_copy("rsa2048-jws");
    tamper(&layout, SIG, |m| replace(m, "2026-11-23", "2026-11-24"));
    assert_refused_everywhere(&layout, "invalid OCI Image Index: mismatched digest");

    // The envelope is a layer: opening succeeds, reading it fails.
    let (_tmp, layout) = case_copy("rsa2048-jws");
    let l = open(&layout);
    let subject = rt.block_on(l.resolve("v1")).unwrap().plain();
    let sigs = rt.block_on(l.signatures(&subject)).unwrap();
    assert_eq!(sigs.len(), 1);
    let manifest: GraphNode =
        serde_json::from_slice(&std::fs::read(blob_file(&layout, SIG)).unwrap()).unwrap();
    tamper(&layout, &manifest.layers[0].digest, |e| {
        let last = e.len() - 2;
        e[last] ^= 1;
    });
    let err = rt.block_on(l.fetch_signature(&sigs[0])).unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");

    // A signature manifest altered after the layout was opened is an error, not skipped.
    tamper(&layout, SIG, |m| replace(m, "2026-11-23", "2026-11-24"));
    let err = rt.block_on(l.signatures(&subject)).unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");
}

fn open(path: &Path) -> Layout {
    Layout::open(path).unwrap()
}

#[test]
fn deleting_a_signature_whose_manifest_was_altered_deletes_nothing() {
    const SIG: &str = "sha256:6530a26fab5956051433fd832f01019978950798374fe54e4a89e00aa5c4604d";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_tmp, layout) = case_copy("rsa2048-jws");
    let l = open(&layout);
    let subject = rt.block_on(l.resolve("v1")).unwrap().plain();
    let sig = rt.block_on(l.signatures(&subject)).unwrap().remove(0);
    // The altered manifest would have another blob (the image's config) deleted with it.
    let manifest: GraphNode =
        serde_json::from_slice(&std::fs::read(blob_file(&layout, SIG)).unwrap()).unwrap();
    let config = "sha256:53e17991c7b5f8e7791cad7e5f2b74da495f909325dc105a2c787d21cb0aa2ed";
    tamper(&layout, SIG, |m| {
        replace(m, &manifest.layers[0].digest, config)
    });
    let before = std::fs::read(layout.join("index.json")).unwrap();
    let err = rt.block_on(l.delete_referrer(&subject, &sig)).unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");
    assert_eq!(std::fs::read(layout.join("index.json")).unwrap(), before);
    assert!(blob_file(&layout, config).is_file());
    assert!(blob_file(&layout, SIG).is_file());
}
