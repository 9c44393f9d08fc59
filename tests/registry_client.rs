//! The registry client against a real registry (Debian's docker-registry, distribution
//! 2.8.2) and, for the referrers API only, the spec stand-in in common/referrers_server.rs.

mod common;

use common::flaky_proxy::FlakyProxy;
use common::referrers_server::{Referrers, ReferrersServer};
use common::registry::{Config, TestRegistry, PASSWORD, USERNAME};
use notation::credentials::{Credential, CredentialStore};
use notation::oci::{self, Descriptor, Manifest};
use notation::reference::RegistryReference;
use notation::target::registry::{CredentialSource, Registry, RegistryOptions};
use notation::target::{ContentStore, Target, TargetWarning};
use std::collections::BTreeMap;
use std::sync::Arc;

fn reference(host: &str, repo: &str) -> RegistryReference {
    RegistryReference::parse_repository(&format!("{host}/{repo}")).unwrap()
}

fn plain(opts: RegistryOptions) -> RegistryOptions {
    RegistryOptions {
        plain_http: true,
        ..opts
    }
}

fn open(reg: &TestRegistry, repo: &str) -> Registry {
    Registry::new(
        &reference(&reg.host(), repo),
        plain(RegistryOptions::default()),
    )
    .unwrap()
}

fn manifest_bytes(m: &Manifest) -> Vec<u8> {
    notation::go::json::to_vec(m).unwrap()
}

/// Push a small image (config + one layer + manifest tagged `tag`); returns its descriptor.
async fn push_image(target: &dyn Target, tag: &str, layer: &[u8]) -> Descriptor {
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_desc = Descriptor::for_content("application/vnd.oci.image.config.v1+json", config);
    let layer_desc = Descriptor::for_content("application/vnd.oci.image.layer.v1.tar", layer);
    target.push_blob(&config_desc, config).await.unwrap();
    target.push_blob(&layer_desc, layer).await.unwrap();
    let m = Manifest {
        schema_version: 2,
        media_type: Some(oci::MEDIA_TYPE_IMAGE_MANIFEST.into()),
        artifact_type: None,
        config: config_desc,
        layers: vec![layer_desc],
        subject: None,
        annotations: None,
    };
    let data = manifest_bytes(&m);
    let desc = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, &data);
    target.push_manifest(&desc, &data, Some(tag)).await.unwrap();
    desc
}

/// Push a signature-shaped manifest for `subject` (envelope bytes are arbitrary here).
async fn push_signature(
    target: &dyn Target,
    subject: &Descriptor,
    envelope: &[u8],
    created: &str,
) -> Descriptor {
    push_signature_warned(target, subject, envelope, created)
        .await
        .0
}

/// [`push_signature`], with the warnings of the push.
async fn push_signature_warned(
    target: &dyn Target,
    subject: &Descriptor,
    envelope: &[u8],
    created: &str,
) -> (Descriptor, Vec<TargetWarning>) {
    let config = Descriptor::for_content(oci::ARTIFACT_TYPE_NOTATION, oci::EMPTY_JSON);
    let layer = Descriptor::for_content("application/jose+json", envelope);
    target.push_blob(&layer, envelope).await.unwrap();
    target.push_blob(&config, oci::EMPTY_JSON).await.unwrap();
    let m = Manifest {
        schema_version: 2,
        media_type: Some(oci::MEDIA_TYPE_IMAGE_MANIFEST.into()),
        artifact_type: None,
        config,
        layers: vec![layer],
        subject: Some(subject.plain()),
        annotations: Some(BTreeMap::from([(
            oci::ANNOTATION_CREATED.to_string(),
            created.to_string(),
        )])),
    };
    let data = manifest_bytes(&m);
    let desc = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, &data);
    let pushed = target.push_manifest(&desc, &data, None).await.unwrap();
    (desc, pushed.warnings)
}

fn index_tag(subject: &Descriptor) -> String {
    subject.digest.replace(':', "-")
}

#[tokio::test]
async fn push_resolve_fetch_round_trip() {
    let reg = TestRegistry::start(Config::default());
    let target = open(&reg, "hello/world");
    let layer = vec![7u8; 3 * 1024 * 1024 + 17];
    let image = push_image(&target, "v1", &layer).await;

    assert_eq!(target.resolve("v1").await.unwrap(), image);
    assert_eq!(target.resolve(&image.digest).await.unwrap(), image);
    let data = target.fetch(&image, 4 << 20).await.unwrap();
    let m: Manifest = serde_json::from_slice(&data).unwrap();
    assert!(target.exists(&m.layers[0]).await.unwrap());

    // Streamed read of the 3 MiB layer, digest-checked.
    use futures_util::StreamExt as _;
    let mut stream = target.fetch_stream(&m.layers[0]).await.unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, layer);

    // A too-small cap is refused before reading.
    let err = target.fetch(&m.layers[0], 1024).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("blob too large: {} bytes", layer.len())
    );

    let err = target.resolve("nope").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.to_string(),
        format!("{}/hello/world:nope: not found", reg.host())
    );
    let missing = Descriptor::for_content("application/octet-stream", b"missing");
    assert!(!target.exists(&missing).await.unwrap());
    assert!(target
        .fetch(&missing, 100)
        .await
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn streamed_push_checks_the_digest() {
    let reg = TestRegistry::start(Config::default());
    let target = open(&reg, "stream");
    let data = vec![1u8; 200_000];
    let desc = Descriptor::for_content("application/octet-stream", &data);
    let chunks: Vec<notation::target::Result<bytes::Bytes>> = data
        .chunks(65536)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    target
        .push_blob_stream(&desc, Box::pin(futures_util::stream::iter(chunks)))
        .await
        .unwrap();
    assert_eq!(target.fetch(&desc, 1 << 20).await.unwrap(), data);

    // Content that does not match its descriptor never lands in the registry.
    let wrong = Descriptor::for_content("application/octet-stream", b"expected");
    let stream = futures_util::stream::iter(vec![Ok(bytes::Bytes::from_static(b"somethin"))]);
    assert!(target
        .push_blob_stream(&wrong, Box::pin(stream))
        .await
        .is_err());
    assert!(!target.exists(&wrong).await.unwrap());
}

/// A blob of `n` bytes that does not compress or repeat, as a stream of uneven pieces.
fn blob_stream(n: usize) -> (Descriptor, Vec<u8>, notation::target::ByteStream) {
    let data: Vec<u8> = (0..n as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    let desc = Descriptor::for_content("application/vnd.oci.image.layer.v1.tar", &data);
    let pieces: Vec<notation::target::Result<bytes::Bytes>> = data
        .chunks(77_777)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    (desc, data, Box::pin(futures_util::stream::iter(pieces)))
}

/// Options with a small upload chunk size.
fn chunked(chunk: usize) -> RegistryOptions {
    plain(RegistryOptions {
        upload_chunk_size: chunk,
        ..RegistryOptions::default()
    })
}

#[tokio::test]
async fn large_blobs_go_in_patch_chunks() {
    let reg = TestRegistry::start(Config::default());
    // A proxy that drops nothing, to count the requests.
    let proxy = FlakyProxy::start(reg.port, Box::new(|_, _, _| false));
    let opts = chunked(1 << 20);
    let target = Registry::new(&reference(&proxy.host(), "chunked"), opts).unwrap();
    let (desc, data, stream) = blob_stream(3 * (1 << 20) + 4321);
    target.push_blob_stream(&desc, stream).await.unwrap();
    assert_eq!(target.fetch(&desc, 1 << 23).await.unwrap(), data);
    let patches = proxy
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(request, _)| request.starts_with("PATCH "))
        .count();
    assert_eq!(patches, 4, "{:?}", proxy.log.lock().unwrap());

    // A wrong digest is caught before the closing PUT and the session is cancelled.
    let (mut wrong, _, stream) = blob_stream(2 * (1 << 20) + 1);
    wrong.digest = format!("sha256:{}", "ef".repeat(32));
    let err = target.push_blob_stream(&wrong, stream).await.unwrap_err();
    assert!(err.to_string().contains("mismatched digest"), "{err}");
    assert!(!target.exists(&wrong).await.unwrap());
}

/// A [`BlobSource`] over bytes in memory, counting how often it was opened.
struct MemorySource {
    data: Vec<u8>,
    opened: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl notation::target::BlobSource for MemorySource {
    async fn open(&self) -> notation::target::Result<notation::target::ByteStream> {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let desc = Descriptor::for_content("application/octet-stream", &self.data);
        let pieces: Vec<notation::target::Result<bytes::Bytes>> = self
            .data
            .chunks(100_000)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        notation::target::verified_stream(&desc, Box::pin(futures_util::stream::iter(pieces)))
    }
}

/// A blob goes in one streamed PUT; a registry (here, a proxy with a body limit) that
/// refuses that with 413 gets it again in PATCH chunks, and every later blob directly so.
#[tokio::test]
async fn a_registry_that_refuses_whole_blobs_gets_chunks() {
    let reg = TestRegistry::start(Config::default());
    let direct = Registry::new(&reference(&reg.host(), "refusing"), chunked(1 << 20)).unwrap();
    let (desc, data, _) = blob_stream(3 * (1 << 20) + 5);
    let whole = MemorySource {
        data: data.clone(),
        opened: Default::default(),
    };
    direct.push_blob_from(&desc, &whole).await.unwrap();
    assert_eq!(whole.opened.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(direct.fetch(&desc, 1 << 23).await.unwrap(), data);

    // Only the first PUT is refused: it is the monolithic one, the later are closing PUTs.
    let proxy = FlakyProxy::refusing(
        reg.port,
        Box::new(|method, _, nth| method == "PUT" && nth == 0),
        413,
    );
    let target = Registry::new(&reference(&proxy.host(), "refusing2"), chunked(1 << 20)).unwrap();
    let source = MemorySource {
        data: data.clone(),
        opened: Default::default(),
    };
    target.push_blob_from(&desc, &source).await.unwrap();
    assert_eq!(source.opened.load(std::sync::atomic::Ordering::SeqCst), 2);
    let (second, second_data, _) = blob_stream(3 << 19);
    let source = MemorySource {
        data: second_data.clone(),
        opened: Default::default(),
    };
    target.push_blob_from(&second, &source).await.unwrap();
    assert_eq!(source.opened.load(std::sync::atomic::Ordering::SeqCst), 1);
    let log: Vec<String> = proxy
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    let count = |m: &str| log.iter().filter(|r| r.starts_with(m)).count();
    // 4 + 2 chunks; the refused PUT and the two closing ones.
    assert_eq!((count("PATCH "), count("PUT ")), (6, 3), "{log:?}");
    let check = Registry::new(&reference(&reg.host(), "refusing2"), chunked(1 << 20)).unwrap();
    assert_eq!(check.fetch(&desc, 1 << 23).await.unwrap(), data);
    assert_eq!(check.fetch(&second, 1 << 23).await.unwrap(), second_data);
}

#[tokio::test]
async fn a_connection_dropped_mid_upload_is_retried() {
    let reg = TestRegistry::start(Config::default());
    // The first PATCH, the closing PUT of the chunked upload and the first PUT of the
    // small blob die (halfway through their bodies, if any).
    let proxy = FlakyProxy::start(
        reg.port,
        Box::new(|method, _, nth| {
            (method == "PATCH" && nth == 0) || (method == "PUT" && (nth == 0 || nth == 2))
        }),
    );
    let opts = chunked(1 << 20);
    let target = Registry::new(&reference(&proxy.host(), "flaky"), opts.clone()).unwrap();
    let (desc, data, stream) = blob_stream(2 * (1 << 20) + 99);
    target.push_blob_stream(&desc, stream).await.unwrap();
    let small = b"a small blob that goes in one PUT".to_vec();
    let small_desc = Descriptor::for_content("application/octet-stream", &small);
    target.push_blob(&small_desc, &small).await.unwrap();
    assert_eq!(proxy.dropped(), 3, "{:?}", proxy.log.lock().unwrap());
    // What landed is exactly the content, read directly from the registry.
    let direct = Registry::new(&reference(&reg.host(), "flaky"), opts).unwrap();
    assert_eq!(direct.fetch(&desc, 1 << 23).await.unwrap(), data);
    assert_eq!(direct.fetch(&small_desc, 1 << 20).await.unwrap(), small);
}

#[tokio::test]
async fn a_registry_that_keeps_dropping_uploads_gets_a_clear_error_and_nothing_lands() {
    let reg = TestRegistry::start(Config::default());
    let proxy = FlakyProxy::start(
        reg.port,
        Box::new(|method, _, _| method == "PATCH" || method == "PUT"),
    );
    let opts = chunked(1 << 20);
    let target = Registry::new(&reference(&proxy.host(), "broken"), opts.clone()).unwrap();
    let (desc, _, stream) = blob_stream(2 * (1 << 20));
    let err = target.push_blob_stream(&desc, stream).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("Patch \"http://localhost:"), "{msg}");
    assert_eq!(msg.lines().count(), 1, "{msg}");
    let small = b"small".to_vec();
    let small_desc = Descriptor::for_content("application/octet-stream", &small);
    let err = target.push_blob(&small_desc, &small).await.unwrap_err();
    assert!(
        err.to_string().starts_with("Put \"http://localhost:"),
        "{err}"
    );
    // The sessions were cancelled and no blob exists.
    let log = proxy.log.lock().unwrap().clone();
    assert!(log.iter().any(|(r, _)| r.starts_with("DELETE ")), "{log:?}");
    let direct = Registry::new(&reference(&reg.host(), "broken"), opts).unwrap();
    assert!(!direct.exists(&desc).await.unwrap());
    assert!(!direct.exists(&small_desc).await.unwrap());
}

#[tokio::test]
async fn blobs_are_mounted_across_repositories_of_one_registry() {
    let reg = TestRegistry::start(Config::default());
    let opts = chunked(1 << 20);
    let a = Registry::new(&reference(&reg.host(), "team/a"), opts.clone()).unwrap();
    let b = Registry::new(&reference(&reg.host(), "team/b"), opts).unwrap();
    let data = b"layer shared by two repositories".to_vec();
    let desc = Descriptor::for_content("application/octet-stream", &data);
    a.push_blob(&desc, &data).await.unwrap();
    assert!(!b.exists(&desc).await.unwrap());
    assert!(b.mount_from(&desc, "team/a").await.unwrap());
    assert_eq!(b.fetch(&desc, 1 << 20).await.unwrap(), data);
    // A blob the source repository does not have is not mounted.
    let other = Descriptor::for_content("application/octet-stream", b"nowhere");
    assert!(!b.mount_from(&other, "team/a").await.unwrap());
    assert!(!b.exists(&other).await.unwrap());
}

#[tokio::test]
async fn tag_schema_index_holds_both_signatures_and_old_index_is_deleted() {
    let reg = TestRegistry::start(Config::default());
    let target = open(&reg, "signed");
    let image = push_image(&target, "v1", b"layer").await;
    assert!(target.signatures(&image).await.unwrap().is_empty());

    let sig1 = push_signature(&target, &image, b"envelope-1", "2024-01-01T00:00:00Z").await;
    let first_index = target.resolve(&index_tag(&image)).await.unwrap();
    let (sig2, warnings) =
        push_signature_warned(&target, &image, b"envelope-2", "2024-01-02T00:00:00Z").await;
    assert!(warnings.is_empty());

    let index_desc = target.resolve(&index_tag(&image)).await.unwrap();
    assert_eq!(index_desc.media_type, oci::MEDIA_TYPE_IMAGE_INDEX);
    assert_ne!(index_desc.digest, first_index.digest);
    assert!(
        !target.exists(&first_index).await.unwrap(),
        "outdated index deleted"
    );

    let body = String::from_utf8(target.fetch(&index_desc, 4 << 20).await.unwrap()).unwrap();
    let entry = |d: &Descriptor, created: &str| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"annotations":{{"org.opencontainers.image.created":"{created}"}},"artifactType":"application/vnd.cncf.notary.signature"}}"#,
            d.digest, d.size
        )
    };
    assert_eq!(
        body,
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{},{}]}}"#,
            entry(&sig1, "2024-01-01T00:00:00Z"),
            entry(&sig2, "2024-01-02T00:00:00Z")
        )
    );

    // Reading falls back from the (missing) referrers API to the tag schema, in index order.
    let found: Vec<String> = target
        .signatures(&image)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.digest)
        .collect();
    assert_eq!(found, vec![sig1.digest.clone(), sig2.digest.clone()]);

    // Pushing the same signature again changes nothing.
    let data = target.fetch(&sig1, 4 << 20).await.unwrap();
    target.push_manifest(&sig1, &data, None).await.unwrap();
    assert_eq!(
        target.resolve(&index_tag(&image)).await.unwrap(),
        index_desc
    );
}

#[tokio::test]
async fn failed_index_cleanup_is_a_warning() {
    let reg = TestRegistry::start(Config {
        delete_enabled: false,
        ..Config::default()
    });
    let target = open(&reg, "nodelete");
    let image = push_image(&target, "v1", b"layer").await;
    let (_, warnings) = push_signature_warned(&target, &image, b"e1", "2024-01-01T00:00:00Z").await;
    assert!(warnings.is_empty(), "first signature has no old index");
    let (_, warnings) = push_signature_warned(&target, &image, b"e2", "2024-01-02T00:00:00Z").await;
    assert_eq!(warnings.len(), 1);
    assert!(
        matches!(&warnings[0], TargetWarning::ReferrersIndexNotDeleted { reason, .. } if reason.contains("response status code 405")),
        "{warnings:?}"
    );
    assert_eq!(
        warnings[0].to_string(),
        "Removal of outdated referrers index from remote registry failed. Garbage collection may be required."
    );
    assert_eq!(target.signatures(&image).await.unwrap().len(), 2);
}

#[tokio::test]
async fn basic_auth() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let with = |cred: CredentialSource| {
        Registry::new(
            &reference(&reg.host(), "private"),
            plain(RegistryOptions {
                credentials: cred,
                ..Default::default()
            }),
        )
        .unwrap()
    };
    let good = with(CredentialSource::Static(Credential::from_user_password(
        USERNAME, PASSWORD,
    )));
    let image = push_image(&good, "v1", b"secret layer").await;
    assert_eq!(good.resolve("v1").await.unwrap(), image);

    let bad = with(CredentialSource::Static(Credential::from_user_password(
        USERNAME, "wrong",
    )));
    let err = bad.resolve("v1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            r#"HEAD "http://{}/v2/private/manifests/v1": response status code 401: Unauthorized"#,
            reg.host()
        )
    );
    let err = bad.fetch(&image, 1 << 20).await.unwrap_err();
    // The error detail is rendered as Go's %v, as oras-go does.
    assert_eq!(
        err.to_string(),
        format!(
            r#"GET "http://{}/v2/private/manifests/{}": response status code 401: unauthorized: authentication required: [map[Action:pull Class: Name:private Type:repository]]"#,
            reg.host(),
            image.digest
        )
    );

    let anonymous = with(CredentialSource::Anonymous);
    let err = anonymous.resolve("v1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            r#"HEAD "http://{}/v2/private/manifests/v1": basic credential not found"#,
            reg.host()
        )
    );
    let token_only = with(CredentialSource::Static(Credential::from_user_password(
        "", "a-token",
    )));
    let err = token_only.resolve("v1").await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with("missing username or password for basic auth"),
        "{err}"
    );
}

#[tokio::test]
async fn docker_config_auths_are_used() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let notation_dir = tempfile::tempdir().unwrap();
    let docker_dir = tempfile::tempdir().unwrap();
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    std::fs::write(
        docker_dir.path().join("config.json"),
        format!(
            r#"{{"auths":{{"https://{}/v1/":{{"auth":"{auth}"}}}}}}"#,
            reg.host()
        ),
    )
    .unwrap();
    let docker = docker_dir.path().display().to_string();
    let store = CredentialStore::detect_with(notation_dir.path(), |k| {
        (k == "DOCKER_CONFIG").then(|| docker.clone())
    })
    .unwrap();
    let target = Registry::new(
        &reference(&reg.host(), "viastore"),
        plain(RegistryOptions {
            credentials: CredentialSource::Store(Arc::new(store)),
            ..Default::default()
        }),
    )
    .unwrap();
    let image = push_image(&target, "v1", b"x").await;
    assert_eq!(target.resolve("v1").await.unwrap(), image);
}

#[tokio::test]
async fn unreachable_registry_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = Registry::new(
        &reference(&format!("127.0.0.1:{port}"), "x"),
        plain(RegistryOptions::default()),
    )
    .unwrap();
    let err = target.resolve("v1").await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            r#"Head "http://127.0.0.1:{port}/v2/x/manifests/v1": "#
        )),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[tokio::test]
async fn tls_with_ca_file() {
    let reg = TestRegistry::start(Config {
        tls: true,
        ..Config::default()
    });
    let with_ca = Registry::new(
        &reference(&reg.host(), "tls"),
        RegistryOptions {
            ca_file: Some(reg.ca_file()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!with_ca.is_plain_http());
    let image = push_image(&with_ca, "v1", b"over tls").await;
    assert_eq!(with_ca.resolve("v1").await.unwrap(), image);

    let without =
        Registry::new(&reference(&reg.host(), "tls"), RegistryOptions::default()).unwrap();
    let err = without.resolve("v1").await.unwrap_err().to_string();
    assert!(
        err.ends_with(
            "/v2/tls/manifests/v1\": tls: failed to verify certificate: x509: certificate signed by unknown authority"
        ),
        "{err}"
    );
}

fn sig_entry(n: u8, artifact_type: &str) -> Descriptor {
    Descriptor {
        artifact_type: Some(artifact_type.into()),
        ..Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, &[n])
    }
}

#[tokio::test]
async fn referrers_api_pagination_and_client_side_filtering() {
    let subject = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, b"subject");
    let entries = vec![
        sig_entry(1, oci::ARTIFACT_TYPE_NOTATION),
        sig_entry(2, "application/spdx+json"),
        sig_entry(3, oci::ARTIFACT_TYPE_NOTATION),
        sig_entry(4, oci::ARTIFACT_TYPE_NOTATION),
    ];
    for apply_filters in [false, true] {
        let server = ReferrersServer::start(Referrers {
            repository: "app".into(),
            by_subject: [(subject.digest.clone(), entries.clone())].into(),
            page_size: 1,
            apply_filters,
            ..Default::default()
        })
        .await;
        let target = stand_in_target(&server, "app");
        let sigs = target.signatures(&subject).await.unwrap();
        assert_eq!(
            sigs,
            vec![entries[0].clone(), entries[2].clone(), entries[3].clone()],
            "filters applied: {apply_filters}"
        );
        let all = target.referrers(&subject, None).await.unwrap();
        assert_eq!(all, entries);
        // The API answered: an empty answer is final (no tag-schema request, which this
        // stand-in would answer with a plain 404 anyway).
        let other = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, b"other");
        assert!(target.signatures(&other).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn referrers_api_pages_that_never_end_are_an_error() {
    let subject = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, b"subject");
    let server = ReferrersServer::start(Referrers {
        repository: "app".into(),
        by_subject: [(
            subject.digest.clone(),
            vec![sig_entry(1, oci::ARTIFACT_TYPE_NOTATION)],
        )]
        .into(),
        page_size: 1,
        loop_pages: true,
        ..Default::default()
    })
    .await;
    let target = stand_in_target(&server, "app");
    let err = target.signatures(&subject).await.unwrap_err().to_string();
    assert!(err.contains("the referrers list does not end"), "{err}");
}

/// A plain-HTTP client for repository `repo` of the referrers stand-in.
fn stand_in_target(server: &ReferrersServer, repo: &str) -> Registry {
    Registry::new(
        &reference(&format!("127.0.0.1:{}", server.port), repo),
        plain(Default::default()),
    )
    .unwrap()
}

#[tokio::test]
async fn referrers_api_unknown_repository_is_an_error() {
    let server = ReferrersServer::start(Referrers {
        repository: "app".into(),
        ..Default::default()
    })
    .await;
    let target = stand_in_target(&server, "other");
    let subject = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, b"subject");
    let err = target.signatures(&subject).await.unwrap_err().to_string();
    assert!(
        err.ends_with(
            "response status code 404: name unknown: repository name not known to registry"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn bearer_tokens_from_basic_credentials_and_refresh_tokens() {
    use common::token_server::{TokenServer, REFRESH_TOKEN};
    let tokens = TokenServer::start(USERNAME, PASSWORD).await;
    let reg = TestRegistry::start(Config {
        token_auth: Some((tokens.realm(), tokens.cert())),
        ..Config::default()
    });
    let with = |cred: Credential| {
        Registry::new(
            &reference(&reg.host(), "tokened"),
            plain(RegistryOptions {
                credentials: CredentialSource::Static(cred),
                ..Default::default()
            }),
        )
        .unwrap()
    };

    let by_password = with(Credential::from_user_password(USERNAME, PASSWORD));
    let image = push_image(&by_password, "v1", b"token layer").await;
    assert_eq!(by_password.resolve("v1").await.unwrap(), image);
    assert_eq!(by_password.resolve("v1").await.unwrap(), image);
    {
        let log = tokens.requests.lock().unwrap();
        assert!(
            log.iter().all(|r| r.method == "GET" && r.granted),
            "{log:?}"
        );
        assert!(
            log.iter()
                .any(|r| r.scopes == ["repository:tokened:pull,push"]),
            "{log:?}"
        );
        assert!(
            log.iter().any(|r| r.scopes == ["repository:tokened:pull"]),
            "{log:?}"
        );
        // One token per scope set, cached for the process.
        assert_eq!(log.len(), 2, "{log:?}");
    }

    let by_refresh_token = with(Credential::from_user_password("", REFRESH_TOKEN));
    assert_eq!(by_refresh_token.resolve("v1").await.unwrap(), image);
    assert!(tokens
        .requests
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.method == "POST" && r.granted));

    let wrong = with(Credential::from_user_password(USERNAME, "wrong"));
    let err = wrong.resolve("v1").await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            r#"GET "{}?scope=repository%3Atokened%3Apull&service=test-registry""#,
            tokens.realm()
        )) || err.starts_with(&format!(
            r#"GET "{}?service=test-registry&scope=repository%3Atokened%3Apull""#,
            tokens.realm()
        )),
        "{err}"
    );
    assert!(
        err.ends_with("response status code 401: unauthorized: bad credentials"),
        "{err}"
    );
}

#[tokio::test]
async fn without_forced_tag_the_tag_schema_is_used_when_oci_subject_is_missing() {
    let reg = TestRegistry::start(Config::default());
    let target = Registry::new(
        &reference(&reg.host(), "noforce"),
        plain(RegistryOptions {
            force_referrers_tag: false,
            ..Default::default()
        }),
    )
    .unwrap();
    let image = push_image(&target, "v1", b"layer").await;
    let sig = push_signature(&target, &image, b"envelope", "2024-01-01T00:00:00Z").await;
    // distribution 2.8 answers no OCI-Subject header, so the index is maintained anyway.
    let index = target.resolve(&index_tag(&image)).await.unwrap();
    assert_eq!(index.media_type, oci::MEDIA_TYPE_IMAGE_INDEX);
    let found: Vec<String> = target
        .signatures(&image)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.digest)
        .collect();
    assert_eq!(found, vec![sig.digest]);
}

/// Answers one kind of request per connection on 127.0.0.1, recording each request's head.
fn tiny_server(
    answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().unwrap().push(head.clone());
            let _ = conn.write_all(&answer(&head));
        }
    });
    (port, seen)
}

/// A blob download redirected to another host (as registries do to object storage) gets
/// the content without the registry's credentials following it there.
#[tokio::test]
async fn credentials_do_not_follow_redirects_to_other_hosts() {
    let blob = b"content served by the storage host".to_vec();
    let desc = Descriptor::for_content("application/octet-stream", &blob);
    let body = blob.clone();
    let (storage_port, storage_seen) = tiny_server(move |_| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    });
    let (registry_port, registry_seen) = tiny_server(move |head| {
        let authorized = head
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("authorization: basic"));
        if !authorized {
            return b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
        }
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{storage_port}/bucket/blob\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
    });
    let target = Registry::new(
        &reference(&format!("localhost:{registry_port}"), "private"),
        plain(RegistryOptions {
            credentials: CredentialSource::Static(Credential::from_user_password(
                USERNAME, PASSWORD,
            )),
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(target.fetch(&desc, 1 << 20).await.unwrap(), blob);
    let registry_heads = registry_seen.lock().unwrap().clone();
    assert!(
        registry_heads
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("authorization: basic")),
        "{registry_heads:?}"
    );
    let storage_heads = storage_seen.lock().unwrap().clone();
    assert_eq!(storage_heads.len(), 1, "{storage_heads:?}");
    assert!(
        !storage_heads[0]
            .to_ascii_lowercase()
            .contains("authorization"),
        "credentials leaked to the storage host: {}",
        storage_heads[0]
    );
}

/// 503 and 429 answers to idempotent requests are retried (honouring `Retry-After`);
/// a registry that keeps failing gives one error line.
#[tokio::test]
async fn overloaded_registries_are_retried_then_reported() {
    let manifest =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
    let desc = Descriptor::for_content(oci::MEDIA_TYPE_IMAGE_MANIFEST, manifest);
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let digest = desc.digest.clone();
    let (port, _) = tiny_server(move |_| {
        match counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            1 => b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            _ => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                manifest.len()
            )
            .into_bytes(),
        }
    });
    let target = Registry::new(
        &reference(&format!("localhost:{port}"), "busy"),
        plain(RegistryOptions::default()),
    )
    .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(target.resolve("v1").await.unwrap().digest, desc.digest);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After honoured"
    );

    let (port, seen) = tiny_server(|_| {
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec()
    });
    let target = Registry::new(
        &reference(&format!("localhost:{port}"), "down"),
        plain(RegistryOptions::default()),
    )
    .unwrap();
    let err = target.resolve("v1").await.unwrap_err().to_string();
    assert_eq!(seen.lock().unwrap().len(), 4, "one try and three retries");
    assert!(err.contains("503"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
