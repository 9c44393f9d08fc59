use super::*;
use crate::target::memory::Memory;
use crate::target::Indexing;

fn subject() -> Descriptor {
    Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, b"{}")
}

#[tokio::test]
async fn a_pushed_signature_reads_back_with_its_envelope() {
    let store = Memory::default();
    let annotations = BTreeMap::from([("a".to_string(), "1".to_string())]);
    let new = NewSignature::new(
        "application/jose+json",
        b"envelope".to_vec(),
        &subject(),
        annotations,
    );
    let pushed = store.push_signature(&new).await.unwrap();
    assert_eq!(pushed.indexed_by, Some(Indexing::LayoutIndex));
    assert!(store.exists(&notation_config()).await.unwrap());
    let node: GraphNode = serde_json::from_slice(&new.manifest_bytes).unwrap();
    assert!(is_signature_manifest(&new.manifest.media_type, &node));
    assert_eq!(node.subject.unwrap().digest, subject().digest);
    let fetched = store.fetch_signature(&new.manifest).await.unwrap();
    assert_eq!(fetched.blob, new.envelope);
    assert_eq!(fetched.envelope, b"envelope");
}

/// The verifier once read any manifest that was not an artifact manifest as an image
/// manifest; notation-go's `getSignatureBlobDesc` refuses other media types before a request.
#[tokio::test]
async fn only_the_two_signature_manifest_media_types_are_read() {
    let store = Memory::default();
    let new = NewSignature::new(
        "application/jose+json",
        b"e".to_vec(),
        &subject(),
        BTreeMap::new(),
    );
    store.push_signature(&new).await.unwrap();
    let docker = Descriptor {
        media_type: oci::MEDIA_TYPE_DOCKER_MANIFEST.to_string(),
        ..new.manifest.clone()
    };
    let err = store.fetch_signature(&docker).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "sigManifestDesc.MediaType requires \"application/vnd.oci.artifact.manifest.v1+json\" or \"application/vnd.oci.image.manifest.v1+json\", got \"application/vnd.docker.distribution.manifest.v2+json\""
    );
    assert!(store.fetched.lock().unwrap().is_empty());
}

/// An artifact manifest names its envelope in `blobs`; its `layers` (if any) are not read.
#[tokio::test]
async fn both_manifest_forms_name_one_envelope() {
    let store = Memory::default();
    let envelope = Descriptor::for_content("application/cose", b"cose");
    store.push_blob(&envelope, b"cose").await.unwrap();
    let artifact = serde_json::json!({
        "mediaType": MEDIA_TYPE_ARTIFACT_MANIFEST,
        "artifactType": ARTIFACT_TYPE_NOTATION,
        "blobs": [envelope],
        "subject": subject(),
    });
    let bytes = serde_json::to_vec(&artifact).unwrap();
    let desc = Descriptor::for_content(MEDIA_TYPE_ARTIFACT_MANIFEST, &bytes);
    store.push_blob(&desc, &bytes).await.unwrap();
    assert_eq!(
        store.fetch_signature(&desc).await.unwrap().envelope,
        b"cose"
    );
    // The same bytes read as an image manifest have no layers.
    let image = Descriptor {
        media_type: MEDIA_TYPE_IMAGE_MANIFEST.to_string(),
        ..desc
    };
    assert_eq!(
        store.fetch_signature(&image).await.unwrap_err().to_string(),
        "signature manifest requries exactly one signature envelope blob, got 0"
    );
}

#[tokio::test]
async fn sizes_are_checked_before_reading_with_notation_go_texts() {
    let store = Memory::default();
    let mut big = subject();
    big.size = MAX_MANIFEST_BYTES as i64 + 1;
    assert_eq!(
        store.fetch_signature(&big).await.unwrap_err().to_string(),
        format!("signature manifest too large: {} bytes", big.size)
    );
    let mut envelope = Descriptor::for_content("application/cose", b"x");
    envelope.size = MAX_SIGNATURE_BLOB_BYTES as i64 + 1;
    let manifest = serde_json::to_vec(&serde_json::json!({ "layers": [envelope] })).unwrap();
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &manifest);
    store.push_blob(&desc, &manifest).await.unwrap();
    assert_eq!(
        store.fetch_signature(&desc).await.unwrap_err().to_string(),
        format!("signature blob too large: {} bytes", envelope.size)
    );
    assert_eq!(*store.fetched.lock().unwrap(), vec![desc.digest.clone()]);
}

#[test]
fn plugin_annotations_never_replace_notations_own() {
    let own = BTreeMap::from([(
        "io.cncf.notary.x509chain.thumbprint#S256".to_string(),
        "t".to_string(),
    )]);
    let extra = BTreeMap::from([
        (
            "io.cncf.notary.x509chain.thumbprint#S256".to_string(),
            "forged".to_string(),
        ),
        ("plugin".to_string(), "p".to_string()),
    ]);
    let new = NewSignature::new("application/cose", b"e".to_vec(), &subject(), own)
        .with_extra_annotations(&extra);
    let annotations = new.manifest.annotations.clone().unwrap();
    assert_eq!(annotations["io.cncf.notary.x509chain.thumbprint#S256"], "t");
    assert_eq!(annotations["plugin"], "p");
    let node: Manifest = serde_json::from_slice(&new.manifest_bytes).unwrap();
    assert_eq!(node.annotations, Some(annotations));
    crate::target::check_content(&new.manifest, &new.manifest_bytes).unwrap();
}
