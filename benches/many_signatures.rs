//! Whole-process `notation verify --oci-layout` of an artifact with 100 signatures where only
//! the last is trusted (issue 11, goal 3: at most a few ms per signature). Needs the interop
//! fixtures (`testdata/interop` or `$NOTATION_INTEROP_DIR`) for the unsigned layout.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/many_signatures.rs"]
mod many_signatures;

use many_signatures::ManySignatures;

fn unsigned_layout() -> PathBuf {
    std::env::var_os("NOTATION_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"))
        .join("cases/unsigned/layout")
}

fn verify_many(c: &mut Criterion) {
    let setup = ManySignatures::build(
        env!("CARGO_BIN_EXE_notation").as_ref(),
        &unsigned_layout(),
        100,
    );
    let mut group = c.benchmark_group("process");
    group.sample_size(20);
    group.bench_function("verify-100-signatures-last-trusted", |b| {
        b.iter(|| {
            let out = setup
                .command()
                .args(ManySignatures::verify_args())
                .output()
                .expect("run notation");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    });
    group.finish();
}

criterion_group!(benches, verify_many);
criterion_main!(benches);
