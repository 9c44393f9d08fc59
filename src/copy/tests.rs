use super::*;
use crate::oci::{Manifest, MEDIA_TYPE_IMAGE_MANIFEST};
use crate::target::memory::Memory;
use crate::target::{NewSignature, Target as _};
use std::collections::BTreeMap;

/// An image (config and one layer) in `store`, and its manifest's descriptor.
async fn image(store: &Memory) -> Descriptor {
    let config = Descriptor::for_content("application/vnd.oci.image.config.v1+json", b"{}");
    let layer = Descriptor::for_content("application/vnd.oci.image.layer.v1.tar", b"layer");
    store.push_blob(&config, b"{}").await.unwrap();
    store.push_blob(&layer, b"layer").await.unwrap();
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.into()),
        artifact_type: None,
        config,
        layers: vec![layer],
        subject: None,
        annotations: None,
    };
    let bytes = crate::go::json::to_vec(&manifest).unwrap();
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &bytes);
    store.push_manifest(&desc, &bytes, None).await.unwrap();
    desc
}

/// What the destination says about its pushes reaches the report, once per push, in order:
/// no store keeps warnings aside for someone to collect later.
#[tokio::test]
async fn the_destinations_warnings_are_in_the_report() {
    let src = Memory::default();
    let root = image(&src).await;
    let signature = NewSignature::new(
        "application/jose+json",
        b"e".to_vec(),
        &root,
        BTreeMap::new(),
    );
    src.push_signature(&signature).await.unwrap();
    let warning = TargetWarning::ReferrersIndexNotDeleted {
        index: "sha256:00".into(),
        reason: "405".into(),
    };
    let dst = Memory::warning_on_push(warning.clone());
    let opts = CopyOptions {
        recursive: true,
        ..CopyOptions::default()
    };
    let report = copy(&src, &dst, &root, &[], &opts, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(report.referrers, vec![signature.manifest.plain()]);
    // The image manifest and the signature manifest.
    assert_eq!(report.warnings, vec![warning.clone(), warning]);
    let listed = dst.signatures(&root).await.unwrap();
    assert_eq!(listed, vec![signature.manifest.plain()]);
    let fetched = dst.fetch_signature(&listed[0]).await.unwrap();
    assert_eq!(fetched.envelope, b"e");
}
