//! Opening a layout checks every manifest and index reachable from `index.json` against its
//! digest (as oras-go's OCI store does) but never reads layers: the time to open must not
//! grow with the size of the image's layers.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use notation::oci::{Descriptor, Manifest, MEDIA_TYPE_IMAGE_MANIFEST};
use notation::target::layout::Layout;
use notation::target::ContentStore;
use std::hint::black_box;
use std::path::Path;

/// A layout at `dir` holding one image whose single layer is `layer_bytes` long.
fn layout_with_layer(dir: &Path, layer_bytes: usize) {
    let layout = Layout::create(dir).expect("layout");
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = vec![0x5au8; layer_bytes];
    let config_desc = Descriptor::for_content("application/vnd.oci.image.config.v1+json", config);
    let layer_desc = Descriptor::for_content("application/vnd.oci.image.layer.v1.tar", &layer);
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.into()),
        artifact_type: None,
        config: config_desc.clone(),
        layers: vec![layer_desc.clone()],
        subject: None,
        annotations: None,
    };
    let data = notation::go::json::to_vec(&manifest).expect("manifest");
    let desc = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &data);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        layout.push_blob(&config_desc, config).await?;
        layout.push_blob(&layer_desc, &layer).await?;
        layout.push_manifest(&desc, &data, Some("v1")).await
    })
    .expect("push");
}

fn open(c: &mut Criterion) {
    let mut group = c.benchmark_group("layout/open");
    for mib in [1usize, 64] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("layout");
        layout_with_layer(&dir, mib << 20);
        group.bench_with_input(BenchmarkId::new("layer-MiB", mib), &dir, |b, dir| {
            b.iter(|| Layout::open(black_box(dir)).expect("open"))
        });
    }
    group.finish();
}

criterion_group!(benches, open);
criterion_main!(benches);
