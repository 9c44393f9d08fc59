use super::*;
use std::collections::HashMap;

/// Indexes by name, served without digest checks: a real store cannot hold a cycle (digests
/// would have to contain themselves), a hostile or broken one could claim one.
struct Indexes(HashMap<String, Vec<Descriptor>>);

fn digest(name: &str) -> String {
    format!("sha256:{name}")
}

fn manifest(name: &str, platform: Option<&str>) -> Descriptor {
    Descriptor {
        media_type: oci::MEDIA_TYPE_IMAGE_MANIFEST.into(),
        digest: digest(name),
        size: 1,
        platform: platform.map(|p| {
            let spec = PlatformSpec::parse(p).unwrap();
            Platform {
                architecture: spec.architecture,
                os: spec.os,
                os_version: None,
                os_features: None,
                variant: spec.variant,
                features: None,
            }
        }),
        ..Default::default()
    }
}

fn index(name: &str) -> Descriptor {
    Descriptor {
        media_type: oci::MEDIA_TYPE_IMAGE_INDEX.into(),
        ..manifest(name, None)
    }
}

#[async_trait::async_trait]
impl crate::target::ContentStore for Indexes {
    async fn resolve(&self, _: &str) -> TargetResult<Descriptor> {
        unreachable!("the walk never resolves")
    }
    async fn fetch(&self, desc: &Descriptor, _: u64) -> TargetResult<Vec<u8>> {
        let name = desc.digest.trim_start_matches("sha256:");
        let children = self
            .0
            .get(name)
            .ok_or_else(|| TargetError::NotFound("not found".into()))?;
        Ok(serde_json::to_vec(&serde_json::json!({ "manifests": children })).unwrap())
    }
    async fn exists(&self, _: &Descriptor) -> TargetResult<bool> {
        Ok(true)
    }
    async fn push_blob(&self, _: &Descriptor, _: &[u8]) -> TargetResult<()> {
        unreachable!()
    }
    async fn push_manifest(
        &self,
        _: &Descriptor,
        _: &[u8],
        _: Option<&str>,
    ) -> TargetResult<crate::target::Pushed> {
        unreachable!()
    }
    async fn referrers(&self, _: &Descriptor, _: Option<&str>) -> TargetResult<Vec<Descriptor>> {
        Ok(Vec::new())
    }
}

fn store(entries: &[(&str, Vec<Descriptor>)]) -> Indexes {
    Indexes(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn digests(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| {
            n.descriptor
                .digest
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect()
}

fn specs(raw: &[&str]) -> Vec<PlatformSpec> {
    raw.iter()
        .map(|p| PlatformSpec::parse(p).unwrap())
        .collect()
}

fn nested() -> Indexes {
    store(&[
        (
            "root",
            vec![
                manifest("amd64", Some("linux/amd64")),
                index("inner"),
                manifest("arm64", Some("linux/arm64/v8")),
                manifest("amd64", Some("linux/amd64")),
            ],
        ),
        (
            "inner",
            vec![
                manifest("s390x", Some("linux/s390x")),
                manifest("win", Some("windows/amd64")),
            ],
        ),
    ])
}

#[tokio::test]
async fn walks_depth_first_in_index_order_once_per_digest() {
    let nodes = walk(&nested(), &index("root"), &[]).await.unwrap();
    assert_eq!(
        digests(&nodes),
        ["root", "amd64", "inner", "s390x", "win", "arm64"]
    );
    let depths: Vec<usize> = nodes.iter().map(|n| n.depth).collect();
    assert_eq!(depths, [0, 1, 1, 2, 2, 1]);
    let parents: Vec<Option<usize>> = nodes.iter().map(|n| n.parent).collect();
    assert_eq!(parents, [None, Some(0), Some(0), Some(2), Some(2), Some(0)]);
    // Descriptors are plain; the platform is kept beside them.
    assert!(nodes[1].descriptor.platform.is_none());
    assert_eq!(nodes[1].platform.as_ref().unwrap().architecture, "amd64");
}

#[tokio::test]
async fn a_manifest_root_is_the_whole_tree() {
    let nodes = walk(&nested(), &manifest("amd64", None), &[])
        .await
        .unwrap();
    assert_eq!(digests(&nodes), ["amd64"]);
}

#[tokio::test]
async fn platforms_keep_their_manifests_and_the_indexes_above_them() {
    let t = nested();
    let pick = |p: &'static [&'static str]| {
        let t = &t;
        async move { digests(&walk(t, &index("root"), &specs(p)).await.unwrap()) }
    };
    assert_eq!(pick(&["linux/arm64"]).await, ["root", "arm64"]);
    assert_eq!(pick(&["linux/arm64/v8"]).await, ["root", "arm64"]);
    assert_eq!(pick(&["linux/s390x"]).await, ["root", "inner", "s390x"]);
    assert_eq!(
        pick(&["linux/s390x", "linux/amd64"]).await,
        ["root", "amd64", "inner", "s390x"]
    );
    let nodes = walk(&t, &index("root"), &specs(&["linux/s390x"]))
        .await
        .unwrap();
    assert_eq!(nodes[2].parent, Some(1));
}

#[tokio::test]
async fn an_unknown_platform_names_the_ones_there_are() {
    let err = walk(
        &nested(),
        &index("root"),
        &specs(&["linux/amd64", "linux/arm64/v7"]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "platform linux/arm64/v7 not found in index sha256:root (it has: linux/amd64, linux/s390x, windows/amd64, linux/arm64/v8)"
    );
}

#[test]
fn platform_syntax() {
    for bad in [
        "linux",
        "linux/",
        "/amd64",
        "linux/arm64/v8/x",
        "",
        "linux//v8",
    ] {
        assert_eq!(
            PlatformSpec::parse(bad).unwrap_err().to_string(),
            format!("invalid platform {bad:?}: expected os/arch or os/arch/variant")
        );
    }
    assert_eq!(
        PlatformSpec::parse("linux/arm/v7").unwrap().to_string(),
        "linux/arm/v7"
    );
}

#[tokio::test]
async fn cycles_are_refused() {
    let t = store(&[
        ("a", vec![index("b")]),
        ("b", vec![manifest("m", None), index("a")]),
    ]);
    let err = walk(&t, &index("a"), &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "index sha256:b lists sha256:a, which contains it: the index graph has a cycle"
    );
    let own = store(&[("a", vec![index("a")])]);
    assert!(matches!(
        walk(&own, &index("a"), &[]).await.unwrap_err(),
        WalkError::Cycle { .. }
    ));
}

#[tokio::test]
async fn nesting_stops_at_the_limit() {
    // level0 → level1 → … : MAX_DEPTH levels below the root are fine, one more is not.
    let chain = |levels: usize| {
        let mut entries: Vec<(String, Vec<Descriptor>)> = (0..levels)
            .map(|i| (format!("level{i}"), vec![index(&format!("level{}", i + 1))]))
            .collect();
        entries.push((format!("level{levels}"), vec![manifest("leaf", None)]));
        Indexes(entries.into_iter().collect())
    };
    let ok = walk(&chain(MAX_DEPTH - 1), &index("level0"), &[])
        .await
        .unwrap();
    assert_eq!(ok.last().unwrap().depth, MAX_DEPTH);
    let err = walk(&chain(MAX_DEPTH), &index("level0"), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "index sha256:level0 nests deeper than 8 levels: sha256:level8 at level 8 lists sha256:leaf"
    );
}

#[tokio::test]
async fn unreadable_indexes_are_named() {
    let t = store(&[("root", vec![index("gone")])]);
    let err = walk(&t, &index("root"), &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to read index sha256:gone: not found"
    );
}
