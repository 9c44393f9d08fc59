//! `verify` of an artifact with 100 signatures where only the last is trusted (issue 11,
//! goal 3). The time it takes is measured by `benches/many_signatures.rs`, not here.

mod common;
#[path = "common/many_signatures.rs"]
mod many_signatures;

use many_signatures::ManySignatures;
use serde_json::Value;

const COUNT: usize = 100;

fn build() -> ManySignatures {
    ManySignatures::build(
        env!("CARGO_BIN_EXE_notation").as_ref(),
        &common::interop_dir().join("cases/unsigned/layout"),
        COUNT,
    )
}

/// Digests of the signature manifests in `index.json`, in order.
fn signature_digests(setup: &ManySignatures) -> (String, Vec<String>) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(setup.dir.path().join("layout/index.json")).unwrap())
            .unwrap();
    let entries = index["manifests"].as_array().unwrap();
    let subject = entries
        .iter()
        .find(|e| e["annotations"]["org.opencontainers.image.ref.name"] == "v1")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let signatures = entries
        .iter()
        .filter(|e| e["digest"] != subject.as_str())
        .map(|e| e["digest"].as_str().unwrap().to_string())
        .collect();
    (subject, signatures)
}

#[test]
fn only_the_last_of_100_signatures_is_trusted() {
    let setup = build();
    let (subject, signatures) = signature_digests(&setup);
    assert_eq!(signatures.len(), COUNT);

    let out = setup
        .command()
        .args(ManySignatures::verify_args())
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["signature"]["digest"],
        signatures[COUNT - 1].as_str()
    );
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), COUNT - 1);
    for (failure, digest) in failures.iter().zip(&signatures) {
        assert_eq!(failure["digest"], digest.as_str());
        assert_eq!(failure["check"], "authenticity");
        assert_eq!(
            failure["reason"],
            "the signature's certificate chain does not contain any trusted certificate"
        );
    }

    // Trusting neither signer: every signature is evaluated and Go's text is printed.
    let generated = setup
        .command()
        .args(["cert", "generate-test", "third.example"])
        .output()
        .unwrap();
    assert!(generated.status.success());
    setup.trust("third.example");
    let out = setup
        .command()
        .args(ManySignatures::verify_args())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().find(|l| l.starts_with("Error:")).unwrap(),
        format!(
            "Error: signature verification failed for all the signatures associated with layout@{subject}"
        ),
        "{stderr}"
    );
}
