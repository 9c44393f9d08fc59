//! Tar layouts: read in place, signed, committed atomically (or not at all).

use super::tests::{
    copy_tree, current_thread, digests, interop_dir, open, pack, push_signature, sign_concurrently,
    tar_entry_names, testdata, GZIP_MAGIC_TEST,
};
use super::*;
use crate::target::Target as _;

#[tokio::test]
async fn tar_layouts_are_read_in_place() {
    for name in ["single-platform.tar", "multiarch.tar"] {
        let tar_layout = open(&testdata(name));
        let dir_layout = open(&testdata(name.trim_end_matches(".tar")));
        assert!(tar_layout.is_tar());
        let desc = tar_layout.resolve("v1").await.unwrap();
        assert_eq!(desc, dir_layout.resolve("v1").await.unwrap());
        let data = tar_layout.fetch(&desc, MAX_MANIFEST_BYTES).await.unwrap();
        assert_eq!(
            data,
            dir_layout.fetch(&desc, MAX_MANIFEST_BYTES).await.unwrap()
        );
        assert!(tar_layout.signatures(&desc).await.unwrap().is_empty());
    }
    let child = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";
    assert_eq!(
        open(&testdata("multiarch.tar"))
            .resolve(child)
            .await
            .unwrap()
            .size,
        726
    );
}

#[tokio::test]
async fn tar_with_dot_slash_prefix_and_gzip_finds_signatures() {
    let tmp = tempfile::tempdir().unwrap();
    let src = interop_dir().join("cases/multi-metadata/layout");
    for (file, gzip) in [("plain.tar", false), ("zipped.tar.gz", true)] {
        let path = tmp.path().join(file);
        pack(&src, &path, "./", gzip);
        let layout = open(&path);
        let subject = layout.resolve("v1").await.unwrap();
        assert_eq!(
            layout.signatures(&subject).await.unwrap().len(),
            2,
            "{file}"
        );
    }
}

/// Push a signature into a tar layout at `path`, commit, and check the result.
async fn sign_tar_and_check(path: &Path) {
    let before_names = tar_entry_names(path);
    let before_bytes = std::fs::read(path).unwrap();
    let layout = open(path);
    let subject = layout.resolve("v1").await.unwrap();
    let sig = push_signature(&layout, &subject, b"tar-envelope", "2030-01-01T00:00:00Z").await;
    // Staged: visible through this handle, not on disk.
    assert_eq!(
        digests(&layout.signatures(&subject).await.unwrap()),
        [sig.digest.as_str()]
    );
    assert_eq!(std::fs::read(path).unwrap(), before_bytes);
    assert!(open(path).signatures(&subject).await.unwrap().is_empty());

    layout.commit().await.unwrap();
    let after_names = tar_entry_names(path);
    assert_eq!(
        after_names[..before_names.len()],
        before_names[..],
        "original entries first, in order"
    );
    let prefix = if before_names[0].starts_with("./") {
        "./"
    } else {
        ""
    };
    let added: Vec<&String> = after_names[before_names.len()..].iter().collect();
    assert_eq!(added.len(), 3, "envelope, config and manifest: {added:?}");
    assert!(added
        .iter()
        .all(|n| n.starts_with(&format!("{prefix}blobs/sha256/"))));
    assert_eq!(
        std::fs::read(path).unwrap().starts_with(&GZIP_MAGIC_TEST),
        before_bytes.starts_with(&GZIP_MAGIC_TEST)
    );

    let reopened = open(path);
    assert_eq!(
        digests(&reopened.signatures(&subject).await.unwrap()),
        [sig.digest.as_str()]
    );
    assert_eq!(reopened.resolve("v1").await.unwrap(), subject);
    // Every original blob is still there, intact.
    for name in before_names.iter().map(|n| n.trim_start_matches("./")) {
        if let Some(hex) = name.strip_prefix("blobs/sha256/").filter(|h| !h.is_empty()) {
            let digest = Digest::parse(&format!("sha256:{hex}")).unwrap();
            let data = reopened
                .storage()
                .read_blob(&digest, &|_| Ok(()))
                .unwrap()
                .unwrap();
            assert!(digest.matches(&data), "{name} damaged");
        }
    }
    // Committing again with nothing staged leaves the file alone.
    let bytes = std::fs::read(path).unwrap();
    reopened.commit().await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), bytes);
}

#[tokio::test]
async fn tar_write_and_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("single-platform.tar");
    copy_tree(&testdata("single-platform.tar"), &plain);
    sign_tar_and_check(&plain).await;

    let dotted = tmp.path().join("dotted.tar");
    pack(&testdata("single-platform"), &dotted, "./", false);
    sign_tar_and_check(&dotted).await;

    let gz = tmp.path().join("img.tar.gz");
    pack(&testdata("single-platform"), &gz, "", true);
    sign_tar_and_check(&gz).await;

    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".notation"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn uncommitted_or_failed_tar_writes_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("img.tar");
    copy_tree(&testdata("single-platform.tar"), &path);
    let before = std::fs::read(&path).unwrap();
    {
        let layout = open(&path);
        let subject = layout.resolve("v1").await.unwrap();
        push_signature(&layout, &subject, b"dropped", "2030-01-01T00:00:00Z").await;
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "staging removed"
    );

    // The archive becomes unreadable before commit: commit fails and leaves it as it is.
    let layout = open(&path);
    let subject = layout.resolve("v1").await.unwrap();
    push_signature(&layout, &subject, b"failed", "2030-01-01T00:00:00Z").await;
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(broken.join("index.json"), b"{broken").unwrap();
    std::fs::create_dir_all(broken.join("blobs/sha256")).unwrap();
    pack(&broken, &path, "", false);
    let broken_bytes = std::fs::read(&path).unwrap();
    assert!(layout.commit().await.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), broken_bytes);
    drop(layout);
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn concurrent_tar_commits_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("img.tar");
    copy_tree(&testdata("single-platform.tar"), &path);
    let subject = current_thread()
        .block_on(open(&path).resolve("v1"))
        .unwrap();
    sign_concurrently(&path, &subject, 4);
}
