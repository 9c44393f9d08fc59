//! The entry points of the fuzz targets: one function per kind of untrusted input
//! notation reads, each driving the library the way a command does (parse, then use what
//! parsed). They must never panic, hang or blow up memory, whatever the bytes.
//!
//! `fuzz/fuzz_targets/<name>.rs` hands libFuzzer's input to `<name>`; `tests/fuzz_corpus.rs`
//! in the main crate includes this file and replays the seed corpora through the same
//! functions as a normal `cargo test`.

use std::path::Path;
use std::sync::OnceLock;

use notation::envelope::{self, Format};
use notation::oci::{ArtifactManifest, Digest, GraphNode, Index, Manifest};
use notation::revocation::{crl, ocsp};
use notation::target::layout::Layout;
use notation::target::{ContentStore, FetchedSignature, Target, MAX_MANIFEST_BYTES};
use notation::timestamp::SignedToken;
use notation::x509::{self, Certificate};
use time::OffsetDateTime;

/// A target's entry function.
pub type Entry = fn(&[u8]);

/// Every target: its name (the `fuzz_targets/<name>.rs` file, the corpus directory)
/// and entry function.
pub const TARGETS: [(&str, Entry); 9] = [
    ("jws", jws),
    ("cose", cose),
    ("certificates", certificates),
    ("crl", crl),
    ("ocsp", ocsp),
    ("timestamp", timestamp),
    ("trust_policy", trust_policy),
    ("oci_manifests", oci_manifests),
    ("tar_layout", tar_layout),
];

/// Tags the seed layouts use, tried on every fuzzed layout.
const TAGS: [&str; 4] = ["v1", "latest", "v2", "1.0"];

/// A JWS envelope (`application/jose+json`): parsed as `inspect` does, verified as
/// `verify` does.
pub fn jws(data: &[u8]) {
    envelope_checks(Format::Jws, data);
}

/// A COSE_Sign1 envelope (`application/cose`), CBOR decoder included.
pub fn cose(data: &[u8]) {
    envelope_checks(Format::Cose, data);
}

fn envelope_checks(format: Format, data: &[u8]) {
    let parsed = envelope::parse(format, data);
    if let Ok(content) = envelope::verify(format, data) {
        // What verifies must also parse, to the same content.
        assert_eq!(parsed.ok().map(|p| p.payload), Some(content.payload));
        for cert in &content.cert_chain {
            certificate_accessors(cert);
        }
    }
}

/// Certificates as a trust store or `--cert` file holds them: PEM, or concatenated DER;
/// then chain validation for both purposes.
pub fn certificates(data: &[u8]) {
    let Ok(chain) = x509::parse_certificates(data) else {
        return;
    };
    for cert in &chain {
        certificate_accessors(cert);
    }
    let _ = x509::validate_code_signing_chain(&chain, Some(now()));
    let _ = x509::validate_timestamping_chain(&chain);
}

fn certificate_accessors(cert: &Certificate) {
    let _ = (cert.subject(), cert.issuer(), cert.subject_attributes());
    let _ = (cert.serial_hex(), cert.sha256_fingerprint(), cert.version());
    let _ = (
        cert.key_usage(),
        cert.ext_key_usage(),
        cert.basic_constraints(),
    );
    let _ = (cert.is_ca(), cert.is_self_signed(), cert.not_after());
    let _ = crl::distribution_points(cert);
    let _ = ocsp::responder_urls(cert);
    let _ = x509::to_pem(cert);
}

/// A fixed certificate and issuer (made once per process) to check fuzzed CRLs and OCSP
/// responses against; a fuzzed answer never verifies, but everything before it runs.
fn fixed_pair() -> &'static (Certificate, Certificate) {
    static PAIR: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    PAIR.get_or_init(|| {
        let test = notation::testcert::generate("fuzz", 2048, 1).expect("test certificate");
        let cert = x509::parse_certificates(test.cert_pem.as_bytes()).expect("test certificate")[0]
            .clone();
        (cert.clone(), cert)
    })
}

/// A CRL as a distribution point serves it (up to 32 MiB): parsed, validated and
/// searched, alone and as the base with itself as delta.
pub fn crl(data: &[u8]) {
    let Ok(list) = crl::Crl::from_der(data) else {
        return;
    };
    let _ = (list.next_update(), list.is_effective(now()));
    let (cert, issuer) = fixed_pair();
    let alone = crl::Bundle {
        base: list.clone(),
        delta: None,
    };
    let _ = crl::check_bundle(cert, issuer, &alone, Some(now()), now());
    let with_delta = crl::Bundle {
        base: list.clone(),
        delta: Some(list),
    };
    let _ = crl::check_bundle(cert, issuer, &with_delta, None, now());
}

/// An OCSP response body (up to 20 KiB).
pub fn ocsp(data: &[u8]) {
    let (cert, issuer) = fixed_pair();
    let _ = ocsp::parse_response(data, cert, issuer);
}

/// An RFC 3161 timestamp token from an envelope's unprotected header: parsed, its
/// TSTInfo validated, and verified against its own certificates as roots.
pub fn timestamp(data: &[u8]) {
    let Ok(token) = SignedToken::parse(data) else {
        return;
    };
    let _ = token.has_signing_certificate();
    if let Ok(info) = token.info() {
        let _ = info.validate(b"signature");
    }
    let _ = token.verify(&[], now());
    let _ = token.verify(token.certificates(), now());
}

/// A trust policy document (`trustpolicy.oci.json`, `trustpolicy.blob.json`), decoded
/// and validated, then asked for a statement.
pub fn trust_policy(data: &[u8]) {
    if let Ok(doc) = notation::policy::OciDocument::parse(data) {
        if doc.validate().is_ok() {
            let _ = doc.applicable("localhost:5000/net-monitor");
            let _ = doc.applicable("local/x");
        }
    }
    if let Ok(doc) = notation::policy::BlobDocument::parse(data) {
        if doc.validate().is_ok() {
            let _ = doc.applicable(None);
            let _ = doc.applicable(Some("global"));
        }
    }
}

/// An OCI manifest, index or `index.json`: decoded as each type, then used as the
/// `index.json` of a directory layout that is resolved and searched for signatures.
pub fn oci_manifests(data: &[u8]) {
    let _ = serde_json::from_slice::<Manifest>(data);
    let _ = serde_json::from_slice::<ArtifactManifest>(data);
    let _ = serde_json::from_slice::<GraphNode>(data).map(|n| n.children().count());
    let refs: Vec<String> = serde_json::from_slice::<Index>(data)
        .map(|index| {
            index
                .manifests
                .iter()
                .filter_map(|d| d.annotation("org.opencontainers.image.ref.name"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = dir.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("layout dir");
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");
    std::fs::write(layout.join("index.json"), data).expect("index.json");
    walk_layout(&layout, &refs);
}

/// An OCI image layout as a tar (or gzip tar) file: opened, every tag resolved and
/// fetched, signatures listed and their envelopes fetched and parsed.
pub fn tar_layout(data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("layout.tar");
    std::fs::write(&path, data).expect("tar file");
    walk_layout(&path, &[]);
}

fn walk_layout(path: &Path, refs: &[String]) {
    let Ok(layout) = Layout::open(path) else {
        return;
    };
    runtime().block_on(async {
        let tags = TAGS
            .iter()
            .map(|t| t.to_string())
            .chain(refs.iter().cloned());
        for tag in tags {
            let Ok(desc) = layout.resolve(&tag).await else {
                continue;
            };
            if let Ok(by_digest) = layout.resolve(&desc.digest).await {
                assert_eq!(by_digest.digest, desc.digest);
            }
            if let Ok(bytes) = layout.fetch(&desc, MAX_MANIFEST_BYTES).await {
                // Fetched content is checked against the descriptor first.
                let digest = Digest::parse(&desc.digest).expect("a resolved digest is valid");
                assert!(
                    digest.matches(&bytes),
                    "fetched bytes do not match {digest:?}"
                );
            }
            let Ok(signatures) = layout.signatures(&desc).await else {
                continue;
            };
            for sig in signatures {
                if let Ok(FetchedSignature { blob, envelope }) = layout.fetch_signature(&sig).await
                {
                    if let Some(format) = Format::from_media_type(&blob.media_type) {
                        let _ = envelope::verify(format, &envelope);
                    }
                }
            }
        }
    });
}

/// One current-thread runtime per fuzzing thread (the layout calls are async).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime")
    })
}

/// The real clock, as the commands use it: the generated seed certificates are valid
/// for days only.
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
