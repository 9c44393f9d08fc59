//! Blobs streamed into and out of layouts, directories and tar archives alike: checked as
//! they go, nothing left behind when they do not match.

use super::tests::{copy_tree, make_writable, open, testdata};
use super::*;

/// A multi-chunk blob as a stream of uneven pieces, with its descriptor.
fn big_blob() -> (Descriptor, Vec<u8>, ByteStream) {
    let data: Vec<u8> = (0..(3 * 1024 * 1024 + 123))
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let desc = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        digest: Digest::compute(crate::oci::DigestAlgorithm::Sha256, &data).to_string(),
        size: data.len() as i64,
        ..Descriptor::default()
    };
    let pieces: Vec<Result<bytes::Bytes>> = data
        .chunks(100_003)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    (desc, data, Box::pin(futures_util::stream::iter(pieces)))
}

async fn collect(mut s: ByteStream) -> Result<Vec<u8>> {
    use futures_util::StreamExt as _;
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(out)
}

fn leftovers(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".notation"))
        .collect()
}

#[tokio::test]
async fn blobs_stream_into_and_out_of_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    copy_tree(&testdata("single-platform"), &dir);
    let layout = open(&dir);
    let (desc, data, stream) = big_blob();
    layout.push_blob_stream(&desc, stream).await.unwrap();
    let (alg, hex) = desc.digest.split_once(':').unwrap();
    assert_eq!(
        std::fs::read(dir.join("blobs").join(alg).join(hex)).unwrap(),
        data
    );
    assert_eq!(
        collect(layout.fetch_stream(&desc).await.unwrap())
            .await
            .unwrap(),
        data
    );
    // Pushing it again is a no-op.
    let (_, _, again) = big_blob();
    layout.push_blob_stream(&desc, again).await.unwrap();
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));

    // Content that does not match its descriptor never lands, and leaves no temp file.
    let (mut wrong, _, stream) = big_blob();
    wrong.digest = format!("sha256:{}", "ab".repeat(32));
    let err = layout.push_blob_stream(&wrong, stream).await.unwrap_err();
    assert!(matches!(err, TargetError::DigestMismatch { .. }), "{err}");
    assert!(!dir.join("blobs/sha256").join("ab".repeat(32)).exists());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));

    // A stored blob that was corrupted on disk fails while it streams.
    let path = dir.join("blobs").join(alg).join(hex);
    make_writable(&path);
    let mut bad = data.clone();
    bad[2 * 1024 * 1024] ^= 1;
    std::fs::write(&path, bad).unwrap();
    let err = collect(layout.fetch_stream(&desc).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TargetError::DigestMismatch { .. }), "{err}");
    let missing = Descriptor {
        digest: format!("sha256:{}", "cd".repeat(32)),
        ..desc.clone()
    };
    assert!(layout
        .fetch_stream(&missing)
        .await
        .err()
        .unwrap()
        .is_not_found());
}

#[tokio::test]
async fn blobs_stream_into_and_out_of_tar_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("img.tar");
    copy_tree(&testdata("single-platform.tar"), &path);
    let layout = open(&path);
    let (desc, data, stream) = big_blob();
    layout.push_blob_stream(&desc, stream).await.unwrap();
    // Staged content streams back before the commit...
    assert_eq!(
        collect(layout.fetch_stream(&desc).await.unwrap())
            .await
            .unwrap(),
        data
    );
    layout.commit().await.unwrap();
    // ...and from inside the new archive after it.
    let reopened = open(&path);
    assert_eq!(
        collect(reopened.fetch_stream(&desc).await.unwrap())
            .await
            .unwrap(),
        data
    );
    // Entries of the original archive stream in place, and two readers do not interfere.
    let v1 = reopened.resolve("v1").await.unwrap();
    let a = reopened.fetch_stream(&v1).await.unwrap();
    let b = reopened.fetch_stream(&v1).await.unwrap();
    let (a, b) = futures_util::join!(collect(a), collect(b));
    assert_eq!(a.unwrap(), b.unwrap());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}
