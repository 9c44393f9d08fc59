//! Never trust a byte we did not check (issue 9, part 1): content altered in an OCI layout
//! (directory or tar) or served altered by a registry is refused by every command, with Go
//! notation's texts, and nothing is written.

mod common;

use common::flaky_proxy::FlakyProxy;
use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, notation, ConfigHome};
use notation::oci::Descriptor;
use notation::reference::RegistryReference;
use notation::target::registry::{Registry, RegistryOptions};
use notation::target::{ContentStore, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The image of interop case `rsa2048-jws` (signed by Go notation), its config and layer.
const IMAGE: &str = "sha256:6ad502b2c9c54319860d84eb3dcf57d4971632aea7969a846e42be5d721bb1c3";
const CONFIG: &str = "sha256:53e17991c7b5f8e7791cad7e5f2b74da495f909325dc105a2c787d21cb0aa2ed";
const LAYER: &str = "sha256:c430a70e09a9b6732c9fb5ea3c474aed3e20eb5cfc5c19f846a3605886614f33";
/// Its signature manifest and envelope.
const SIGNATURE: &str = "sha256:6530a26fab5956051433fd832f01019978950798374fe54e4a89e00aa5c4604d";
const ENVELOPE: &str = "sha256:c6cd2e74b8f6d5e0b65339e4d8ca685d94d8ea381f58c6e8045c1cf7135a4aa3";

const POLICY: &str = "config/policies/strict-root.json";

/// A config home that trusts the interop root and has a signing key of its own.
fn home() -> ConfigHome {
    let home = ConfigHome::interop(Some(POLICY));
    let out = notation(home.path(), &home)
        .args(["cert", "generate-test", "--default", "integrity"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    home
}

/// A blob of the `rsa2048-jws` fixture.
fn case_blob(digest: &str) -> PathBuf {
    blob_file(&interop_dir().join("cases/rsa2048-jws/layout"), digest)
}

fn blob_file(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// Replace the first `from` in a blob file by `to`, keeping the file's name (its digest).
fn edit_blob(layout: &Path, digest: &str, from: &str, to: &str) {
    let path = blob_file(layout, digest);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Pack a layout directory into a tar whose entries start with `./`.
fn pack(dir: &Path, tar_path: &Path) {
    let mut builder = tar::Builder::new(std::fs::File::create(tar_path).unwrap());
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap();
}

/// Every file under `dir` with its bytes: what must not change.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.path().strip_prefix(dir).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

/// `verify`, `sign`, `list` and `inspect` of `layout` (by tag and by digest).
fn every_command(layout: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for reference in [format!("{layout}:v1"), format!("{layout}@{IMAGE}")] {
        for cmd in [
            "verify --oci-layout --scope local/x",
            "sign --oci-layout",
            "list --oci-layout",
            "inspect --oci-layout",
        ] {
            let mut argv: Vec<String> = cmd.split(' ').map(str::to_string).collect();
            argv.push(reference.clone());
            commands.push(argv);
        }
    }
    commands
}

/// Run each command in `work` and check it fails with exactly `error` and changes nothing.
fn assert_every_command_refuses(home: &ConfigHome, work: &Path, layouts: &[&str], error: &str) {
    for layout in layouts {
        for argv in every_command(layout) {
            let before = snapshot(work);
            let out = notation(work, home).args(&argv).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{argv:?}: {stderr}");
            assert_eq!(
                stderr.lines().last(),
                Some(format!("Error: {error}").as_str()),
                "{argv:?}"
            );
            assert_eq!(stderr.matches("Error").count(), 1, "{argv:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{argv:?}");
            assert!(
                snapshot(work) == before,
                "{argv:?} changed {}",
                work.display()
            );
        }
    }
}

/// A copy of the `rsa2048-jws` layout as `work/L`.
fn case_layout(work: &Path) -> PathBuf {
    let layout = work.join("L");
    copy_tree(&interop_dir().join("cases/rsa2048-jws/layout"), &layout);
    layout
}

#[test]
fn a_tampered_image_manifest_fails_every_command_as_go_does_and_nothing_is_written() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    case_layout(work.path());
    // Unaltered, the layout verifies: the failures below are the alteration's.
    let out = notation(work.path(), &home)
        .args(["verify", "--oci-layout", "--scope", "local/x", "L:v1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // One layer digest replaced by another: the signed digest no longer names this content.
    assert_edit_refused(&home, work.path(), IMAGE, LAYER, CONFIG);
}

/// Edit a blob of `work/L` in place, pack `work/L.tar` from it, and check that every command
/// on either refuses it as Go does when it opens the layout.
fn assert_edit_refused(home: &ConfigHome, work: &Path, digest: &str, from: &str, to: &str) {
    let layout = work.join("L");
    edit_blob(&layout, digest, from, to);
    pack(&layout, &work.join("L.tar"));
    assert_every_command_refuses(
        home,
        work,
        &["L", "L.tar"],
        "failed to create OCI store: invalid OCI Image Index: mismatched digest",
    );
}

#[test]
fn a_tampered_signature_manifest_fails_every_command_and_a_tampered_envelope_fails_verify() {
    let home = home();
    let work = tempfile::tempdir().unwrap();
    case_layout(work.path());
    assert_edit_refused(&home, work.path(), SIGNATURE, "2026-11-23", "2026-11-24");

    // The envelope is only read when used, and then checked (Go's text, as recorded for
    // the interop case tamper-blob-inplace).
    let work = tempfile::tempdir().unwrap();
    let layout = case_layout(work.path());
    edit_blob(&layout, ENVELOPE, "\"", "'");
    pack(&layout, &work.path().join("L.tar"));
    for name in ["L", "L.tar"] {
        let out = notation(work.path(), &home)
            .args(["verify", "--oci-layout", "--scope", "local/x"])
            .arg(format!("{name}@{IMAGE}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.ends_with(&format!("Error: signature verification failed: unable to retrieve digital signature with digest \"{SIGNATURE}\" associated with \"local/x@{IMAGE}\" from the Repository, error : mismatched digest\n")),
            "{stderr}"
        );
    }
}

#[test]
fn malformed_index_json_entries_are_refused_and_never_become_paths() {
    let home = home();
    let hex = IMAGE.strip_prefix("sha256:").unwrap();
    let cases = [
        ("sha256:xyz".to_string(), "395"),
        ("sha256:../../../../etc/passwd".to_string(), "395"),
        (format!("sha256:{}", hex.to_uppercase()), "395"),
        (format!("sha256:{}", &hex[2..]), "395"),
        (format!("sha512:{hex}"), "395"),
        (format!("md5:{hex}"), "395"),
    ];
    let mt = "application/vnd.oci.image.manifest.v1+json";
    let mut expected: Vec<(String, &str, String)> = cases
        .into_iter()
        .map(|(digest, size)| {
            let error = format!("{digest}: {mt}: invalid digest");
            (digest, size, error)
        })
        .collect();
    expected.push((
        IMAGE.to_string(),
        "-1",
        "invalid descriptor size".to_string(),
    ));
    expected.push((
        IMAGE.to_string(),
        "9223372036854775807",
        format!("read failed: expected content size of 9223372036854775807, got 395, for digest {IMAGE}: unexpected EOF"),
    ));
    for (digest, size, error) in expected {
        let work = tempfile::tempdir().unwrap();
        let layout = case_layout(work.path());
        let index_path = layout.join("index.json");
        let index = std::fs::read_to_string(&index_path).unwrap().replacen(
            &format!(r#""digest":"{IMAGE}","size":395"#),
            &format!(r#""digest":"{digest}","size":{size}"#),
            1,
        );
        std::fs::write(&index_path, index).unwrap();
        pack(&layout, &work.path().join("L.tar"));
        for name in ["L", "L.tar"] {
            let before = snapshot(work.path());
            let out = notation(work.path(), &home)
                .args(["sign", "--oci-layout"])
                .arg(format!("{name}:v1"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{digest} {size}: {stderr}");
            assert!(
                stderr.ends_with(&format!(
                    "Error: failed to create OCI store: invalid OCI Image Index: {error}\n"
                )),
                "{stderr}"
            );
            assert!(snapshot(work.path()) == before, "{digest} {size}");
        }
    }
}

/// A raw HTTP answer split into its head and body.
fn split(answer: &[u8]) -> (String, Vec<u8>) {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer")
        + 4;
    (
        String::from_utf8_lossy(&answer[..at]).into_owned(),
        answer[at..].to_vec(),
    )
}

/// The answer with its body changed by `edit_body` (`Content-Length` follows when the length
/// changes) and each other header line changed by `edit_line` (`None` drops it).
fn rewrite(
    answer: Vec<u8>,
    edit_body: impl FnOnce(&mut Vec<u8>),
    edit_line: impl Fn(&str) -> Option<String>,
) -> Vec<u8> {
    let (head, mut body) = split(&answer);
    let before = body.len();
    edit_body(&mut body);
    let head: String = head
        .split_inclusive("\r\n")
        .filter_map(|line| {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-length:") && body.len() != before {
                Some(format!("Content-Length: {}\r\n", body.len()))
            } else if line == "\r\n" || lower.starts_with("http/") {
                Some(line.to_string())
            } else {
                edit_line(line)
            }
        })
        .collect();
    [head.into_bytes(), body].concat()
}

/// The answer with its body changed by `edit`.
fn with_body(answer: Vec<u8>, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    rewrite(answer, edit, |line| Some(line.to_string()))
}

/// The answer without the headers named in `names` (lower case).
fn without_headers(answer: Vec<u8>, names: &[&str]) -> Vec<u8> {
    rewrite(
        answer,
        |_| {},
        |line| {
            let lower = line.to_ascii_lowercase();
            let dropped = names.iter().any(|n| lower.starts_with(&format!("{n}:")));
            (!dropped).then(|| line.to_string())
        },
    )
}

fn flip_last_byte(body: &mut [u8]) {
    if let Some(b) = body.last_mut() {
        *b ^= 1;
    }
}

/// A registry holding the `rsa2048-jws` image and its signature (pushed with our `copy -r`,
/// so the referrers tag schema index `sha256-<hex>` exists too).
fn registry_with_signed_image() -> TestRegistry {
    let reg = TestRegistry::start(Config::default());
    let work = tempfile::tempdir().unwrap();
    case_layout(work.path());
    let out = notation(work.path(), &ConfigHome::empty())
        .args([
            "copy",
            "-r",
            "--insecure-registry",
            "--from-oci-layout",
            "L:v1",
        ])
        .arg(format!("{}/signed:v1", reg.host()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    reg
}

fn client(host: &str) -> Registry {
    let reference = RegistryReference::parse_repository(&format!("{host}/signed")).unwrap();
    let opts = RegistryOptions {
        plain_http: true,
        ..RegistryOptions::default()
    };
    Registry::new(&reference, opts).unwrap()
}

fn descriptor(media_type: &str, digest: &str, size: i64) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest: digest.into(),
        size,
        ..Default::default()
    }
}

fn image() -> Descriptor {
    descriptor("application/vnd.oci.image.manifest.v1+json", IMAGE, 395)
}

#[tokio::test]
async fn a_registry_serving_other_content_than_asked_for_is_refused() {
    let reg = registry_with_signed_image();
    let flips = |target: String| -> FlakyProxy {
        FlakyProxy::rewriting(
            reg.port,
            Box::new(move |method, path, answer| {
                if method == "GET" && path.ends_with(&target) {
                    with_body(answer, |b| flip_last_byte(b))
                } else {
                    answer
                }
            }),
        )
    };

    // A manifest, a blob and a blob stream whose bytes differ from the digest asked for.
    let proxy = flips(IMAGE.to_string());
    let err = client(&proxy.host()).fetch(&image(), 1 << 20).await;
    assert_eq!(err.unwrap_err().to_string(), "mismatched digest");
    let proxy = flips(ENVELOPE.to_string());
    let size = std::fs::metadata(case_blob(ENVELOPE)).unwrap().len() as i64;
    let envelope = descriptor("application/jose+json", ENVELOPE, size);
    let target = client(&proxy.host());
    let err = target.fetch(&envelope, 1 << 20).await.unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");
    let mut stream = target.fetch_stream(&envelope).await.unwrap();
    let mut last = None;
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        last = Some(item);
    }
    assert_eq!(last.unwrap().unwrap_err().to_string(), "mismatched digest");

    // More bytes than the descriptor's size: refused before the body is read.
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(|method, path, answer| {
            if method == "GET" && path.ends_with(IMAGE) {
                with_body(answer, |b| b.push(b'\n'))
            } else {
                answer
            }
        }),
    );
    let err = client(&proxy.host()).fetch(&image(), 1 << 20).await;
    assert_eq!(
        err.unwrap_err().to_string(),
        format!(
            "GET \"http://{}/v2/signed/manifests/{IMAGE}\": mismatch Content-Length",
            proxy.host()
        )
    );

    // The referrers tag schema index (GET by tag) must be what Docker-Content-Digest says.
    let proxy = flips(format!("manifests/sha256-{}", &IMAGE[7..]));
    let err = client(&proxy.host()).signatures(&image()).await;
    assert_eq!(err.unwrap_err().to_string(), "mismatched digest");
    assert_eq!(
        client(&reg.host()).signatures(&image()).await.unwrap()[0].digest,
        SIGNATURE
    );
}

#[tokio::test]
async fn a_manifest_resolved_by_get_is_checked_against_the_digests_claimed_for_it() {
    let reg = registry_with_signed_image();
    // HEAD answers without the headers that describe the manifest, so resolving GETs it.
    let strip_head =
        |answer: Vec<u8>| without_headers(answer, &["docker-content-digest", "content-type"]);
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(move |method, path, answer| match method {
            "HEAD" => strip_head(answer),
            "GET" if path.ends_with("manifests/v1") => with_body(answer, |b| flip_last_byte(b)),
            _ => answer,
        }),
    );
    let err = client(&proxy.host()).resolve("v1").await.unwrap_err();
    assert_eq!(err.to_string(), "mismatched digest");

    // By digest, without any header naming it: the body must hash to the digest asked for.
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(move |method, path, answer| match method {
            "HEAD" => strip_head(answer),
            "GET" if path.ends_with(IMAGE) => {
                with_body(without_headers(answer, &["docker-content-digest"]), |b| {
                    flip_last_byte(b)
                })
            }
            _ => answer,
        }),
    );
    let err = client(&proxy.host()).resolve(IMAGE).await.unwrap_err();
    let mut body = std::fs::read(case_blob(IMAGE)).unwrap();
    flip_last_byte(&mut body);
    let served = notation::oci::Digest::sha256(&body);
    assert_eq!(
        err.to_string(),
        format!(
            "GET \"http://{}/v2/signed/manifests/{IMAGE}\": invalid response; digest mismatch in Docker-Content-Digest: received \"{served}\" when expecting \"{IMAGE}\"",
            proxy.host()
        )
    );

    // A digest header that is not a digest never becomes what is signed, nor a URL.
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(move |method, _, answer| match method {
            "HEAD" => rewrite(
                answer,
                |_| {},
                |line| {
                    let lower = line.to_ascii_lowercase();
                    Some(if lower.starts_with("docker-content-digest:") {
                        "Docker-Content-Digest: sha256:../../x\r\n".to_string()
                    } else {
                        line.to_string()
                    })
                },
            ),
            _ => answer,
        }),
    );
    let err = client(&proxy.host()).resolve("v1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "HEAD \"http://{}/v2/signed/manifests/v1\": invalid response header value: `Docker-Content-Digest: sha256:../../x`; invalid checksum digest format",
            proxy.host()
        )
    );

    // Unaltered, the same path resolves.
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(move |method, _, answer| match method {
            "HEAD" => strip_head(answer),
            _ => answer,
        }),
    );
    let desc = client(&proxy.host()).resolve("v1").await.unwrap();
    assert_eq!((desc.digest.as_str(), desc.size), (IMAGE, 395));
}

#[test]
fn verify_refuses_a_signature_envelope_a_registry_altered() {
    let reg = registry_with_signed_image();
    let proxy = FlakyProxy::rewriting(
        reg.port,
        Box::new(|method, path, answer| {
            if method == "GET" && path.ends_with(ENVELOPE) {
                with_body(answer, |b| flip_last_byte(b))
            } else {
                answer
            }
        }),
    );
    let home = ConfigHome::interop(Some(POLICY));
    let reference = format!("{}/signed@{IMAGE}", proxy.host());
    let out = notation(home.path(), &home)
        .args(["verify", &reference])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("Error: signature verification failed: unable to retrieve digital signature with digest \"{SIGNATURE}\" associated with \"{reference}\" from the Repository, error : mismatched digest\n")
    );
    // Through the registry itself, the same signature verifies.
    let direct = format!("{}/signed@{IMAGE}", reg.host());
    let out = notation(home.path(), &home)
        .args(["verify", "--insecure-registry", &direct])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
