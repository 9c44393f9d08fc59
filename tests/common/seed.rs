//! Many signatures in a test registry, fast: one real signature manifest made by `notation
//! sign` is cloned `n` times with a numbered annotation (same envelope, distinct manifest
//! digests) by plain `PUT`s over the distribution API, and the `sha256-<hex>` referrers index
//! is written once with the order the test wants.

use super::{copy_tree, notation, ConfigHome};
use futures_util::StreamExt as _;
use notation::oci::{Descriptor, Index, ARTIFACT_TYPE_NOTATION, MEDIA_TYPE_IMAGE_INDEX};
use serde_json::Value;
use std::path::Path;

/// The image pushed by [`push_image`]: the interop-logs layout's `v1`.
pub const SUBJECT: &str = "sha256:ac16c65ed5b9537a7dfa5826e79905b6a4ec8d15e5fa41f7cf9b006e1c7d750f";

/// A home with the interop signing keys (`rsa2048`, the default, is under `interop-root`;
/// `other-root` is not) and the `strict-root` trust policy.
pub fn signing_home() -> ConfigHome {
    let home = ConfigHome::signing();
    let policy = super::interop_dir().join("config/policies/strict-root.json");
    std::fs::copy(policy, home.notation_dir().join("trustpolicy.json")).unwrap();
    home
}

/// `notation <args> --insecure-registry` with `NOTATION_RS_ROUND_TRIPS=1`, which must succeed;
/// returns stdout and stderr.
pub fn run_counted(home: &ConfigHome, args: &[&str]) -> (String, String) {
    let work = tempfile::tempdir().unwrap();
    let out = notation(work.path(), home)
        .env("NOTATION_RS_ROUND_TRIPS", "1")
        .args(args)
        .arg("--insecure-registry")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "notation {args:?}: {stdout}{stderr}");
    (stdout, stderr)
}

/// The registry round trips `NOTATION_RS_ROUND_TRIPS=1` reports as stderr's last line.
pub fn round_trips(stderr: &str) -> u64 {
    stderr
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("registry round trips: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no round trip count in {stderr:?}"))
}

/// Push [`SUBJECT`] to `<host>/<repo>:v1` with `notation copy` (`auth`: extra flags).
pub fn push_image(home: &ConfigHome, host: &str, repo: &str, auth: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let layout = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/interop-logs/layout");
    copy_tree(&layout, &work.path().join("layout"));
    let out = notation(work.path(), home)
        .args([
            "copy",
            "--insecure-registry",
            "--from-oci-layout",
            "layout:v1",
        ])
        .arg(format!("{host}/{repo}:v1"))
        .args(auth)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A repository of a plain-HTTP registry on 127.0.0.1.
pub struct Repo {
    pub host: String,
    pub name: String,
    http: reqwest::Client,
}

impl Repo {
    pub fn new(host: &str, name: &str) -> Repo {
        Repo {
            host: host.to_string(),
            name: name.to_string(),
            http: reqwest::Client::new(),
        }
    }

    fn manifest_url(&self, reference: &str) -> String {
        format!(
            "http://{}/v2/{}/manifests/{reference}",
            self.host, self.name
        )
    }

    /// The `sha256-<hex>` tag of `subject`'s referrers index.
    fn index_tag(subject: &str) -> String {
        subject.replacen(':', "-", 1)
    }

    /// The entries of `subject`'s referrers index, in order.
    pub async fn index_entries(&self, subject: &str) -> Vec<Descriptor> {
        let resp = self
            .http
            .get(self.manifest_url(&Self::index_tag(subject)))
            .header("Accept", MEDIA_TYPE_IMAGE_INDEX)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{resp:?}");
        let index: Index = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        index.manifests
    }

    /// The manifest `digest` as JSON.
    pub async fn manifest(&self, digest: &str) -> Value {
        let resp = self
            .http
            .get(self.manifest_url(digest))
            .header("Accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{resp:?}");
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
    }

    /// Push `n` copies of the signature manifest `template` (an index entry of this
    /// repository), each with the annotation `io.notation-rs.test.clone: <i>`, eight at a
    /// time. Returns their index entries in clone order.
    pub async fn clone_signature(&self, template: &Descriptor, n: usize) -> Vec<Descriptor> {
        let manifest = self.manifest(&template.digest).await;
        let bodies: Vec<(Descriptor, Vec<u8>)> = (0..n)
            .map(|i| {
                let mut m = manifest.clone();
                m["annotations"]["io.notation-rs.test.clone"] = Value::String(i.to_string());
                let body = serde_json::to_vec(&m).unwrap();
                let mut entry = Descriptor::for_content(&template.media_type, &body);
                entry.artifact_type = Some(ARTIFACT_TYPE_NOTATION.to_string());
                (entry, body)
            })
            .collect();
        futures_util::stream::iter(bodies.iter())
            .map(|(entry, body)| async move {
                let resp = self
                    .http
                    .put(self.manifest_url(&entry.digest))
                    .header("Content-Type", &entry.media_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success(), "{resp:?}");
            })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
        bodies.into_iter().map(|(entry, _)| entry).collect()
    }

    /// Replace `subject`'s referrers index by one listing `entries` in this order.
    pub async fn put_index(&self, subject: &str, entries: &[Descriptor]) {
        let index = Index {
            schema_version: 2,
            media_type: Some(MEDIA_TYPE_IMAGE_INDEX.into()),
            artifact_type: None,
            manifests: entries.to_vec(),
            subject: None,
            annotations: None,
        };
        let resp = self
            .http
            .put(self.manifest_url(&Self::index_tag(subject)))
            .header("Content-Type", MEDIA_TYPE_IMAGE_INDEX)
            .body(serde_json::to_vec(&index).unwrap())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{resp:?}");
    }
}
