//! Criterion benchmarks of the engine's hot paths: what `notation sign` and `notation verify`
//! spend their CPU on (envelope signing and verification, digests, trust policy parsing).
//! Whole-process timings and the copy memory check are in `scripts/bench.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use notation::crypto::load_key_pair;
use notation::envelope::{self, Format, SignRequest};
use notation::oci::{Descriptor, Digest, DigestAlgorithm};
use std::hint::black_box;

fn subject() -> Descriptor {
    Descriptor::for_content(
        "application/vnd.oci.image.manifest.v1+json",
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
    )
}

fn sign_and_verify(c: &mut Criterion) {
    let test = notation::testcert::generate("bench", 2048, 1).expect("test certificate");
    let (key, chain) =
        load_key_pair(test.key_pem.as_bytes(), test.cert_pem.as_bytes()).expect("key pair");
    let target = subject();
    let req = SignRequest {
        target: &target,
        signing_time: time::OffsetDateTime::now_utc(),
        expiry: None,
        signing_agent: notation::version::SIGNING_AGENT,
        key: &key,
        cert_chain: &chain,
    };
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

criterion_group!(benches, sign_and_verify, digests, policy);
criterion_main!(benches);
