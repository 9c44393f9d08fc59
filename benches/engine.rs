//! Criterion benchmarks of the engine's hot paths: what `notation sign` and `notation verify`
//! spend their CPU on (envelope signing and verification, digests, trust policy parsing).
//! Whole-process timings and the copy memory check are in `scripts/bench.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use notation::crypto::PrivateKey;
use notation::envelope::{self, Format, SignRequest};
use notation::oci::{Descriptor, Digest, DigestAlgorithm};
use notation::x509::load_key_pair;
use notation::x509::Certificate;
use std::hint::black_box;

#[path = "../tests/hostile/cose.rs"]
mod hostile_cose;

fn subject() -> Descriptor {
    Descriptor::for_content(
        "application/vnd.oci.image.manifest.v1+json",
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
    )
}

/// An RSA-2048 test key and chain and the subject they sign.
struct Signer {
    key: PrivateKey,
    chain: Vec<Certificate>,
    target: Descriptor,
}

impl Signer {
    fn new() -> Signer {
        let test = notation::testcert::generate("bench", 2048, 1).expect("test certificate");
        let (key, chain) =
            load_key_pair(test.key_pem.as_bytes(), test.cert_pem.as_bytes()).expect("key pair");
        Signer {
            key,
            chain,
            target: subject(),
        }
    }

    fn request(&self) -> SignRequest<'_> {
        SignRequest {
            target: &self.target,
            signing_time: time::OffsetDateTime::now_utc(),
            expiry: None,
            signing_agent: notation::version::SIGNING_AGENT,
            key: &self.key,
            cert_chain: &self.chain,
        }
    }
}

fn sign_and_verify(c: &mut Criterion) {
    let signer = Signer::new();
    let req = signer.request();
    let mut group = c.benchmark_group("envelope");
    for (name, format) in [("jws", Format::Jws), ("cose", Format::Cose)] {
        group.bench_with_input(BenchmarkId::new("sign-rsa2048", name), &format, |b, f| {
            b.iter(|| envelope::sign(*f, black_box(&req)).expect("sign"))
        });
        let signed = envelope::sign(format, &req).expect("sign");
        group.bench_with_input(BenchmarkId::new("verify-rsa2048", name), &signed, |b, s| {
            b.iter(|| envelope::verify(format, black_box(s)).expect("verify"))
        });
    }
    group.finish();
}

/// Issue 9 §3: COSE envelopes whose unprotected header holds 131,072 labels or 20 maps of
/// 131,072 keys (Go verifies the first in 0.07 s; ours was quadratic, 11-18 s), and the
/// same with a duplicate key at the end, which must be rejected.
fn hostile_cose(c: &mut Criterion) {
    let signed = envelope::sign(Format::Cose, &Signer::new().request()).expect("sign");
    let mut group = c.benchmark_group("hostile-cose");
    group.sample_size(10);
    for (name, bytes, ok) in [
        (
            "wide-header",
            hostile_cose::wide_header(&signed, false),
            true,
        ),
        (
            "wide-header-dup",
            hostile_cose::wide_header(&signed, true),
            false,
        ),
        ("20-maps", hostile_cose::many_maps(&signed, 20, false), true),
        (
            "20-maps-dup",
            hostile_cose::many_maps(&signed, 20, true),
            false,
        ),
    ] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("verify", name), &bytes, |b, s| {
            b.iter(|| assert_eq!(envelope::verify(Format::Cose, black_box(s)).is_ok(), ok))
        });
    }
    group.finish();
}

fn digests(c: &mut Criterion) {
    let data = vec![0x5au8; 4 << 20];
    let mut group = c.benchmark_group("digest");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("sha256-4MiB", |b| {
        b.iter(|| Digest::compute(DigestAlgorithm::Sha256, black_box(&data)))
    });
    group.finish();
}

fn policy(c: &mut Criterion) {
    let doc = br#"{"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],
        "signatureVerification":{"level":"strict"},"trustStores":["ca:a","ca:b"],
        "trustedIdentities":["x509.subject: C=US, ST=WA, L=Seattle, O=Example, CN=signer"]}]}"#;
    c.bench_function("policy/parse-and-validate", |b| {
        b.iter(|| notation::policy::OciDocument::parse(black_box(doc)).expect("policy"))
    });
}

criterion_group!(benches, sign_and_verify, hostile_cose, digests, policy);
criterion_main!(benches);
