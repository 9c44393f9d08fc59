//! The fuzz targets' seed corpora, built from the interop fixtures, `testdata/` and a
//! test PKI made with openssl (CRL, OCSP response, timestamp token), replayed through
//! the targets' entry functions (`fuzz/src/lib.rs`) as a normal test: the CI smoke pass
//! of the fuzzers, without libFuzzer. `scripts/fuzz.sh` runs this test with
//! `NOTATION_FUZZ_SEEDS=<dir>` to write the seeds to `<dir>/<target>/` for libFuzzer.

mod common;
#[path = "../fuzz/src/lib.rs"]
mod entries;

use common::revocation::{self, Ca, RevInfo};
use common::tsa::{self, Tsa};
use common::{interop_dir, testdata_layout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Seeds by target name: (file name, bytes).
type Seeds = BTreeMap<&'static str, Vec<(String, Vec<u8>)>>;

fn add(seeds: &mut Seeds, target: &'static str, name: impl Into<String>, bytes: Vec<u8>) {
    seeds.entry(target).or_default().push((name.into(), bytes));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("readable fixture tree"))
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// A short unique file name for a fixture: its path below `root`, flattened.
fn seed_name(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('/', "_")
}

/// Layout blobs sorted by what they are: JWS, COSE, or a manifest/index (JSON).
fn layout_seeds(seeds: &mut Seeds, root: &Path, layout: &Path) {
    let index = layout.join("index.json");
    add(
        seeds,
        "oci_manifests",
        seed_name(root, &index),
        read(&index),
    );
    for blob in files_under(&layout.join("blobs")) {
        let bytes = read(&blob);
        let name = seed_name(root, &blob);
        if bytes.first() == Some(&0xd2) {
            add(seeds, "cose", name, bytes);
        } else if bytes.starts_with(b"{") && contains(&bytes, b"\"protected\"") {
            add(seeds, "jws", name, bytes);
        } else if bytes.starts_with(b"{") && contains(&bytes, b"\"schemaVersion\"") {
            add(seeds, "oci_manifests", name, bytes);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tar of the layout directory `layout`, as `notation` reads one.
fn tar_of(layout: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    builder
        .append_dir_all(".", layout)
        .expect("tar of a layout");
    builder.into_inner().expect("tar of a layout")
}

fn interop_seeds(seeds: &mut Seeds) {
    let root = interop_dir();
    let cases = root.join("cases");
    for case in std::fs::read_dir(&cases).expect("interop cases") {
        let layout = case.expect("interop case").path().join("layout");
        if layout.join("index.json").is_file() {
            layout_seeds(seeds, &root, &layout);
        }
    }
    // Two signed layouts as tars, to reach signatures and envelopes through a tar.
    for case in ["rsa2048-jws", "ecp256-cose", "multi-jws-cose"] {
        let layout = cases.join(case).join("layout");
        add(seeds, "tar_layout", format!("{case}.tar"), tar_of(&layout));
    }
    for file in files_under(&root.join("pki"))
        .into_iter()
        .chain(files_under(&root.join("config/truststore")))
    {
        let bytes = read(&file);
        if !contains(&bytes, b"CERTIFICATE") {
            continue;
        }
        let name = seed_name(&root, &file);
        if let Ok(certs) = notation::x509::parse_certificates(&bytes) {
            let der: Vec<u8> = certs.iter().flat_map(|c| c.der().to_vec()).collect();
            add(seeds, "certificates", format!("{name}.der"), der);
        }
        add(seeds, "certificates", name, bytes);
    }
    let policies = root.join("config/policies");
    for file in files_under(&policies) {
        add(seeds, "trust_policy", seed_name(&root, &file), read(&file));
    }
}

fn testdata_seeds(seeds: &mut Seeds) {
    let layouts = testdata_layout("");
    for entry in std::fs::read_dir(&layouts).expect("testdata/layouts") {
        let path = entry.expect("testdata layout").path();
        let name = seed_name(&layouts, &path);
        if path.is_dir() {
            layout_seeds(seeds, &layouts, &path);
        } else if name.ends_with(".tar") {
            add(seeds, "tar_layout", name, read(&path));
        }
    }
    let blob_policy = br#"{"version":"1.0","trustPolicies":[{"name":"global","globalPolicy":true,
        "signatureVerification":{"level":"strict","override":{"revocation":"log"}},
        "trustStores":["ca:root","tsa:tsa"],"trustedIdentities":["*"]}]}"#;
    add(
        seeds,
        "trust_policy",
        "blob-policy.json",
        blob_policy.to_vec(),
    );
}

/// A CRL with a revoked entry (reason keyCompromise), a delta pair, and an OCSP
/// response, from the revocation test PKI; a timestamp token from the test TSA.
fn generated_seeds(seeds: &mut Seeds) {
    let pki = revocation::Pki::new(RevInfo::None);
    pki.leaf("revoked", RevInfo::Ocsp);
    pki.revoke(Ca::Intermediate, "revoked");
    add(
        seeds,
        "crl",
        "int-revoked.crl",
        pki.make_crl(Ca::Intermediate, &[]),
    );
    add(seeds, "crl", "root.crl", pki.make_crl(Ca::Root, &[]));
    let (base, delta) = pki.publish_base_and_delta(|_| {});
    add(seeds, "crl", "int-base.crl", base);
    add(seeds, "crl", "int-delta.crl", delta);
    let p = pki.path();
    let ocsp = |args: &[&str]| revocation::openssl(p, &[&["ocsp"], args].concat());
    ocsp(&[
        "-issuer",
        "int.crt",
        "-cert",
        "revoked.crt",
        "-no_nonce",
        "-reqout",
        "req.der",
    ]);
    ocsp(&[
        "-index",
        "int/index.txt",
        "-CA",
        "int.crt",
        "-rsigner",
        "ocsp.crt",
        "-rkey",
        "ocsp.key",
        "-reqin",
        "req.der",
        "-nmin",
        "60",
        "-respout",
        "resp.der",
    ]);
    add(seeds, "ocsp", "revoked.ocsp", read(&p.join("resp.der")));
    // The intermediate and leaf also seed the certificate parser.
    add(
        seeds,
        "certificates",
        "revoked.chain.pem",
        read(&p.join("revoked.chain.pem")),
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let tsa_pki = tsa::Pki::new(dir.path());
    let tsa = Tsa::start(&tsa_pki, tsa::Mode::Grant);
    add(seeds, "timestamp", "token.tst", tsa.token_for(b"signature"));
}

fn all_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    interop_seeds(&mut seeds);
    testdata_seeds(&mut seeds);
    generated_seeds(&mut seeds);
    seeds
}

/// Every target has seeds, and none of them panics its target. With
/// `NOTATION_FUZZ_SEEDS=<dir>`, the seeds are also written to `<dir>/<target>/`.
#[test]
fn seed_corpora_replay_through_every_fuzz_target() {
    let seeds = all_seeds();
    let out = std::env::var_os("NOTATION_FUZZ_SEEDS").map(PathBuf::from);
    for (target, entry) in entries::TARGETS {
        let inputs = seeds.get(target).map(Vec::as_slice).unwrap_or_default();
        assert!(!inputs.is_empty(), "no seeds for fuzz target {target}");
        if let Some(out) = &out {
            let dir = out.join(target);
            std::fs::create_dir_all(&dir).expect("seed directory");
            for (name, bytes) in inputs {
                std::fs::write(dir.join(name), bytes).expect("seed file");
            }
        }
        for (name, bytes) in inputs {
            // Truncations are the commonest damage; every target must survive them too.
            let replay = std::panic::catch_unwind(|| {
                entry(bytes);
                entry(&bytes[..bytes.len() / 2]);
            });
            assert!(
                replay.is_ok(),
                "fuzz target {target} panicked on seed {name}"
            );
        }
    }
}
