//! Envelope tests: round trips, byte-level worked examples from the spec, every
//! envelope upstream wrote in the interop fixtures, and fuzz-style properties.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;
use crate::x509::load_key_pair;
use crate::x509::tests::{interop_dir, pki};

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn target() -> Descriptor {
    Descriptor {
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        digest: "sha256:dafe0718a5296ebf7c78430232e3b2e36883948fbc94d428ad22c1fd584d2ee9".into(),
        size: 1056,
        annotations: Some(BTreeMap::from([(
            "io.wabbit-networks.buildId".to_string(),
            "123".to_string(),
        )])),
        ..Default::default()
    }
}

fn key_pair(name: &str) -> (PrivateKey, Vec<Certificate>) {
    load_key_pair(
        &pki(&format!("leaf-{name}.key")),
        &pki(&format!("leaf-{name}.chain.pem")),
    )
    .unwrap()
}

fn sign_with(
    format: Format,
    key: &PrivateKey,
    chain: &[Certificate],
    signing_time: OffsetDateTime,
    expiry: Option<OffsetDateTime>,
) -> Result<Vec<u8>, EnvelopeError> {
    let t = target();
    sign(
        format,
        &SignRequest {
            target: &t,
            signing_time,
            expiry,
            signing_agent: "notation-go/1.3.2",
            key,
            cert_chain: chain,
        },
    )
}

#[test]
fn round_trip_all_key_specs_and_formats() {
    let now = OffsetDateTime::now_utc();
    for name in [
        "rsa2048", "rsa3072", "rsa4096", "ecp256", "ecp384", "ecp521",
    ] {
        let (key, chain) = key_pair(name);
        let alg = key.key_spec().unwrap().signature_algorithm();
        for format in [Format::Jws, Format::Cose] {
            let expiry = now + time::Duration::hours(24);
            let bytes = sign_with(format, &key, &chain, now, Some(expiry)).unwrap();
            let content = verify(format, &bytes).unwrap();
            assert_eq!(content.signature_algorithm, alg, "{name} {format:?}");
            assert_eq!(content.signing_scheme, SIGNING_SCHEME_X509);
            assert_eq!(
                content.signing_time.unwrap().unix_timestamp(),
                now.unix_timestamp()
            );
            assert_eq!(
                content.expiry.unwrap().unix_timestamp(),
                expiry.unix_timestamp()
            );
            assert_eq!(content.cert_chain, chain);
            assert_eq!(content.signing_agent.as_deref(), Some("notation-go/1.3.2"));
            assert_eq!(content.content_type, payload::CONTENT_TYPE);
            assert!(content.target_artifact.same_content(&target()));
            assert_eq!(
                content.target_artifact.annotations,
                target().annotations,
                "{name} {format:?}"
            );
            assert!(content.extended_attributes.is_empty());
            assert!(content.timestamp_token.is_none());
            // The payload form differs per format (sorted keys for JWS).
            let expected_payload = match format {
                Format::Jws => payload::build_jws(&target()),
                Format::Cose => payload::build(&target()),
            };
            assert_eq!(content.payload, expected_payload);
            // The other parser rejects it as malformed.
            let other = match format {
                Format::Jws => Format::Cose,
                Format::Cose => Format::Jws,
            };
            assert!(matches!(
                verify(other, &bytes),
                Err(EnvelopeError::Malformed(_))
            ));
            let parsed = parse(format, &bytes).unwrap();
            assert_eq!(parsed.signature, content.signature);
        }
    }
}

#[test]
fn timestamp_token_is_embedded() {
    let (key, chain) = key_pair("ecp256");
    let t = target();
    for format in [Format::Jws, Format::Cose] {
        let seen = std::cell::RefCell::new(Vec::new());
        let stamper = |sig: &[u8]| -> Result<Vec<u8>, String> {
            *seen.borrow_mut() = sig.to_vec();
            Ok(b"token".to_vec())
        };
        let bytes = sign_with_timestamper(
            format,
            &SignRequest {
                target: &t,
                signing_time: OffsetDateTime::now_utc(),
                expiry: None,
                signing_agent: "",
                key: &key,
                cert_chain: &chain,
            },
            Some(&stamper),
        )
        .unwrap();
        let content = verify(format, &bytes).unwrap();
        assert_eq!(content.timestamp_token.as_deref(), Some(&b"token"[..]));
        assert_eq!(*seen.borrow(), content.signature);
        assert_eq!(content.signing_agent, None);
    }
}

#[test]
fn jws_protected_header_matches_worked_example() {
    let bytes = jws::protected_header(
        crate::crypto::SignatureAlgorithm::RsaPssSha256,
        datetime!(2024-11-05 10:00:00 UTC),
        Some(datetime!(2024-11-06 10:00:00 UTC)),
    );
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"alg":"PS256","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],"cty":"application/vnd.cncf.notary.payload.v1+json","io.cncf.notary.expiry":"2024-11-06T10:00:00Z","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2024-11-05T10:00:00Z"}"#
    );
    assert_eq!(
        B64URL.encode(&bytes),
        "eyJhbGciOiJQUzI1NiIsImNyaXQiOlsiaW8uY25jZi5ub3Rhcnkuc2lnbmluZ1NjaGVtZSIsImlvLmNuY2Yubm90YXJ5LmV4cGlyeSJdLCJjdHkiOiJhcHBsaWNhdGlvbi92bmQuY25jZi5ub3RhcnkucGF5bG9hZC52MStqc29uIiwiaW8uY25jZi5ub3RhcnkuZXhwaXJ5IjoiMjAyNC0xMS0wNlQxMDowMDowMFoiLCJpby5jbmNmLm5vdGFyeS5zaWduaW5nU2NoZW1lIjoibm90YXJ5Lng1MDkiLCJpby5jbmNmLm5vdGFyeS5zaWduaW5nVGltZSI6IjIwMjQtMTEtMDVUMTA6MDA6MDBaIn0"
    );
    assert_eq!(
        B64URL.encode(payload::build_jws(&target())),
        "eyJ0YXJnZXRBcnRpZmFjdCI6eyJhbm5vdGF0aW9ucyI6eyJpby53YWJiaXQtbmV0d29ya3MuYnVpbGRJZCI6IjEyMyJ9LCJkaWdlc3QiOiJzaGEyNTY6ZGFmZTA3MThhNTI5NmViZjdjNzg0MzAyMzJlM2IyZTM2ODgzOTQ4ZmJjOTRkNDI4YWQyMmMxZmQ1ODRkMmVlOSIsIm1lZGlhVHlwZSI6ImFwcGxpY2F0aW9uL3ZuZC5vY2kuaW1hZ2UubWFuaWZlc3QudjEranNvbiIsInNpemUiOjEwNTZ9fQ"
    );
}

#[test]
fn cose_protected_header_matches_worked_example() {
    let bytes = cose::protected_header(
        crate::crypto::SignatureAlgorithm::RsaPssSha256,
        datetime!(2024-11-05 10:00:00 UTC),
        Some(datetime!(2024-11-06 10:00:00 UTC)),
    );
    let expected = concat!(
        "a6",
        "013824",
        "0282",
        "781c696f2e636e63662e6e6f746172792e7369676e696e67536368656d65",
        "75696f2e636e63662e6e6f746172792e657870697279",
        "03782b6170706c69636174696f6e2f766e642e636e63662e6e6f746172792e7061796c6f61642e76312b6a736f6e",
        "75696f2e636e63662e6e6f746172792e657870697279",
        "c11a672b3e20",
        "781a696f2e636e63662e6e6f746172792e7369676e696e6754696d65",
        "c11a6729eca0",
        "781c696f2e636e63662e6e6f746172792e7369676e696e67536368656d65",
        "6b6e6f746172792e78353039",
    );
    assert_eq!(hex::encode(&bytes), expected);
    assert_eq!(bytes.len(), 208);
}

#[test]
fn cose_message_layout() {
    let (key, chain) = key_pair("rsa2048");
    let bytes = sign_with(
        Format::Cose,
        &key,
        &chain,
        datetime!(2030-01-01 00:00:00 UTC),
        None,
    )
    .unwrap();
    assert_eq!(&bytes[..2], &[0xd2, 0x84]);
    // Unprotected header: map(2) 33: array(3) …, then the signing agent.
    let protected_len = bytes[3] as usize;
    let unprotected = &bytes[4 + protected_len..];
    assert_eq!(&unprotected[..4], &[0xa2, 0x18, 0x21, 0x83]);
}

#[test]
fn sign_rejections_match_upstream() {
    let now = OffsetDateTime::now_utc();
    let leaf = |n: &str| {
        format!("certificate with subject \"CN={n},O=Notation-RS Interop,L=Seattle,ST=WA,C=US\"")
    };
    let (key, chain) = key_pair("wrong-eku");
    assert_eq!(
        sign_with(Format::Jws, &key, &chain, now, None)
            .unwrap_err()
            .to_string(),
        format!(
            "certificate-chain is invalid, {}: extended key usage must not contain ServerAuth eku",
            leaf("leaf-wrong-eku")
        )
    );
    let (key, _) = key_pair("rsa2048");
    let chain = crate::x509::parse_certificates(&pki("leaf-rsa1024.chain.pem")).unwrap();
    assert_eq!(
        sign_with(Format::Cose, &key, &chain, now, None)
            .unwrap_err()
            .to_string(),
        "rsa key size 1024 bits is not supported"
    );
    let (key, chain) = key_pair("expired");
    let err = sign_with(Format::Jws, &key, &chain, now, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "certificate-chain is invalid, {} was invalid at signing time of ",
            leaf("leaf-expired")
        )),
        "{err}"
    );
    assert!(
        err.ends_with("Certificate is valid from [2026-11-23 08:15:08 +0000 UTC] to [2026-11-23 09:17:38 +0000 UTC]"),
        "{err}"
    );
    let (key, _) = key_pair("rsa2048");
    let noroot = crate::x509::parse_certificates(&pki("leaf-rsa2048.noroot.chain.pem")).unwrap();
    let err = sign_with(Format::Jws, &key, &noroot, now, None)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "certificate-chain is invalid, root certificate with subject \"CN=Interop Intermediate CA,O=Notation-RS Interop,L=Seattle,ST=WA,C=US\" is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: crypto/rsa: verification error");
    let err = sign_with(Format::Cose, &key, &noroot[..1], now, None)
        .unwrap_err()
        .to_string();
    assert_eq!(err, format!("certificate-chain is invalid, invalid self-signed certificate. subject: \"CN=leaf-rsa2048,O=Notation-RS Interop,L=Seattle,ST=WA,C=US\". Error: crypto/rsa: verification error"));
    let (key, chain) = key_pair("rsa2048");
    let err = sign_with(Format::Jws, &key, &chain, now, Some(now))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "expiry cannot be equal or before the signing time");
}

#[test]
fn key_not_matching_leaf_fails_verification_back() {
    let (key, _) = key_pair("rsa2048-alt");
    let (_, chain) = key_pair("rsa2048");
    // go-cose's ErrVerification has no package prefix.
    for (format, reason) in [
        (Format::Jws, "crypto/rsa: verification error"),
        (Format::Cose, "verification error"),
    ] {
        let err = sign_with(format, &key, &chain, OffsetDateTime::now_utc(), None).unwrap_err();
        assert!(
            matches!(&err, EnvelopeError::SelfCheck(inner) if matches!(**inner, EnvelopeError::Integrity(_))),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "generated signature failed verification: signature is invalid. Error: {reason}"
            )
        );
    }
}

// ---------------------------------------------------------------------------------
// Interop fixtures: every envelope upstream wrote.

struct Fixture {
    case: String,
    format_media_type: String,
    bytes: Vec<u8>,
    digest_ok: bool,
}

fn blob(layout: &Path, digest: &str) -> Option<Vec<u8>> {
    let hex = digest.strip_prefix("sha256:")?;
    std::fs::read(layout.join("blobs/sha256").join(hex)).ok()
}

/// Every signature envelope in `cases/*/layout` (config media type = notary signature).
fn interop_envelopes() -> &'static Vec<Fixture> {
    static CELL: OnceLock<Vec<Fixture>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = Vec::new();
        let cases = interop_dir().join("cases");
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&cases)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for case_dir in entries {
            let layout = case_dir.join("layout");
            let Ok(index) = std::fs::read(layout.join("index.json")) else {
                continue;
            };
            let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
            for m in index["manifests"].as_array().unwrap() {
                let Some(manifest) = blob(&layout, m["digest"].as_str().unwrap()) else {
                    continue;
                };
                let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
                if manifest["config"]["mediaType"] != "application/vnd.cncf.notary.signature" {
                    continue;
                }
                let layer = &manifest["layers"][0];
                let digest = layer["digest"].as_str().unwrap();
                let bytes = blob(&layout, digest).unwrap();
                let digest_ok = crate::oci::Digest::sha256(&bytes).to_string() == digest;
                out.push(Fixture {
                    case: case_dir.file_name().unwrap().to_string_lossy().into_owned(),
                    format_media_type: layer["mediaType"].as_str().unwrap().to_string(),
                    bytes,
                    digest_ok,
                });
            }
        }
        assert!(
            out.len() >= 40,
            "found only {} interop envelopes",
            out.len()
        );
        out
    })
}

/// The integrity failure reason upstream logged for a case (`-v` output), if any.
fn upstream_integrity_reason(case: &str) -> Option<String> {
    let expect = interop_dir().join("cases").join(case).join("expect");
    let marker = "integrity validation failed. Failure reason: ";
    for entry in std::fs::read_dir(expect).ok()? {
        let path = entry.ok()?.path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let text = std::fs::read_to_string(&path).ok()?;
            if let Some(line) = text.lines().find(|l| l.contains(marker)) {
                return Some(line.split(marker).nth(1)?.to_string());
            }
        }
    }
    None
}

/// The reason text notation's verifier logs for an envelope error.
fn verifier_reason(err: &EnvelopeError) -> String {
    match err {
        EnvelopeError::Malformed(m) => {
            format!("unable to parse the digital signature, error : {m}")
        }
        other => other.to_string(),
    }
}

fn must_fail(case: &str) -> bool {
    [
        "tamper-signature-",
        "tamper-payload-",
        "tamper-chain-swap-",
        "tamper-mediatype-",
        "forged-",
    ]
    .iter()
    .any(|p| case.starts_with(p))
}

#[test]
fn interop_envelopes_verify_or_fail_like_upstream() {
    let mut verified = 0;
    let mut multi_tampered_failures = 0;
    for f in interop_envelopes() {
        let format = Format::from_media_type(&f.format_media_type).unwrap();
        let result = verify(format, &f.bytes);
        // Parsing never panics either way.
        let _ = parse(format, &f.bytes);
        if !f.digest_ok {
            continue;
        }
        if must_fail(&f.case) {
            let err = result.expect_err(&f.case);
            let expected = upstream_integrity_reason(&f.case)
                .unwrap_or_else(|| panic!("no upstream reason for {}", f.case));
            assert_eq!(verifier_reason(&err), expected, "case {}", f.case);
        } else if f.case.starts_with("multi-") && f.case.contains("tampered") {
            if let Err(err) = result {
                multi_tampered_failures += 1;
                assert!(matches!(err, EnvelopeError::Integrity(_)), "{err}");
            }
        } else {
            let content = result.unwrap_or_else(|e| panic!("case {}: {e}", f.case));
            assert_eq!(content.signing_agent.as_deref(), Some("notation-go/1.3.2"));
            assert!(content.signing_time.is_some());
            let parsed = parse(format, &f.bytes).unwrap();
            assert_eq!(parsed.payload, content.payload);
            verified += 1;
        }
    }
    assert_eq!(multi_tampered_failures, 1);
    assert!(verified >= 30, "verified only {verified}");
}

#[test]
fn interop_metadata_and_expiry_are_decoded() {
    for f in interop_envelopes() {
        let format = Format::from_media_type(&f.format_media_type).unwrap();
        if f.case == "metadata-jws" {
            let c = verify(format, &f.bytes).unwrap();
            let ann = c.target_artifact.annotations.unwrap();
            assert_eq!(ann.get("note").map(String::as_str), Some("a=b"));
            assert_eq!(ann.get("env").map(String::as_str), Some("prod"));
        }
        if f.case == "expiry-elapsed-cose" {
            let c = verify(format, &f.bytes).unwrap();
            let st = c.signing_time.unwrap();
            assert_eq!(c.expiry.unwrap() - st, time::Duration::seconds(1));
            assert_eq!(c.signature_algorithm.cose_alg(), -35);
        }
    }
}

/// Re-encoding our own signature over upstream's inputs: a JWS we sign for the same
/// target with the same time has exactly upstream's protected header and payload.
#[test]
fn interop_jws_headers_are_byte_identical_to_ours() {
    let f = interop_envelopes()
        .iter()
        .find(|f| f.case == "rsa2048-jws")
        .unwrap();
    let upstream = verify(Format::Jws, &f.bytes).unwrap();
    let env: serde_json::Value = serde_json::from_slice(&f.bytes).unwrap();
    let ours = jws::protected_header(
        upstream.signature_algorithm,
        upstream.signing_time.unwrap(),
        upstream.expiry,
    );
    assert_eq!(B64URL.encode(ours), env["protected"].as_str().unwrap());
    assert_eq!(
        B64URL.encode(payload::build_jws(&upstream.target_artifact)),
        env["payload"].as_str().unwrap()
    );
}

#[test]
fn interop_cose_headers_are_byte_identical_to_ours() {
    let f = interop_envelopes()
        .iter()
        .find(|f| f.case == "rsa2048-cose")
        .unwrap();
    let upstream = verify(Format::Cose, &f.bytes).unwrap();
    let ours = cose::protected_header(
        upstream.signature_algorithm,
        upstream.signing_time.unwrap(),
        upstream.expiry,
    );
    let payload = payload::build(&upstream.target_artifact);
    assert_eq!(payload, upstream.payload);
    // Upstream bytes: D2 84 58 <len> <protected> …
    assert_eq!(&f.bytes[4..4 + ours.len()], &ours[..]);
}

// ---------------------------------------------------------------------------------
// Property tests: no input makes either parser panic.

fn check_no_panic(bytes: &[u8]) {
    for format in [Format::Jws, Format::Cose] {
        let _ = verify(format, bytes);
        let _ = parse(format, bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_no_panic(&bytes);
        let mut tagged = vec![0xd2, 0x84];
        tagged.extend_from_slice(&bytes);
        check_no_panic(&tagged);
    }

    #[test]
    fn bit_flips_never_panic(idx in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4)) {
        let envs = interop_envelopes();
        let mut bytes = envs[idx.index(envs.len())].bytes.clone();
        for (pos, bit) in flips {
            let i = pos.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        check_no_panic(&bytes);
    }

    #[test]
    fn truncations_never_panic(idx in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let envs = interop_envelopes();
        let bytes = &envs[idx.index(envs.len())].bytes;
        let n = cut.index(bytes.len());
        check_no_panic(&bytes[..n]);
        // A truncated envelope never verifies.
        let format = Format::from_media_type(&envs[idx.index(envs.len())].format_media_type).unwrap();
        prop_assert!(verify(format, &bytes[..n]).is_err());
    }

    #[test]
    fn json_mutations_never_panic(idx in any::<prop::sample::Index>(), key in "[a-z]{1,6}", val in prop_oneof![Just(serde_json::Value::Null), any::<i64>().prop_map(serde_json::Value::from), "[ -~]{0,8}".prop_map(serde_json::Value::from)]) {
        let envs: Vec<serde_json::Value> = interop_envelopes()
            .iter()
            .filter_map(|f| serde_json::from_slice(&f.bytes).ok())
            .collect();
        let mut v = envs[idx.index(envs.len())].clone();
        for field in ["payload", "protected", "signature", "header"] {
            let mut m = v.clone();
            m[field] = val.clone();
            check_no_panic(&serde_json::to_vec(&m).unwrap());
        }
        v["header"][key] = val;
        check_no_panic(&serde_json::to_vec(&v).unwrap());
    }
}

#[test]
fn duplicate_and_indefinite_cose_are_rejected() {
    let f = interop_envelopes()
        .iter()
        .find(|f| f.case == "rsa2048-cose")
        .unwrap();
    // Untagged.
    assert_eq!(
        verify(Format::Cose, &f.bytes[1..]).unwrap_err().to_string(),
        "cbor: invalid COSE_Sign1_Tagged object"
    );
    // Indefinite-length outer array.
    let mut indef = vec![0xd2, 0x9f];
    indef.extend_from_slice(&f.bytes[2..]);
    indef.push(0xff);
    assert!(verify(Format::Cose, &indef).is_err());
    // Trailing garbage.
    let mut trailing = f.bytes.clone();
    trailing.push(0);
    assert!(verify(Format::Cose, &trailing).is_err());
}

/// A JWS envelope over a custom protected header, signed with the fixture key and chain,
/// then verified.
fn jws_resign(protected: serde_json::Value) -> Result<EnvelopeContent, EnvelopeError> {
    let (key, chain) = key_pair("ecp256");
    let bytes = sign_with(Format::Jws, &key, &chain, OffsetDateTime::now_utc(), None).unwrap();
    let env: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let p = B64URL.encode(serde_json::to_vec(&protected).unwrap());
    let payload = env["payload"].as_str().unwrap();
    let sig = key.sign(format!("{p}.{payload}").as_bytes()).unwrap();
    let mut e = env.clone();
    e["protected"] = p.into();
    e["signature"] = B64URL.encode(sig).into();
    verify(Format::Jws, &serde_json::to_vec(&e).unwrap())
}

fn jws_base_header() -> serde_json::Value {
    serde_json::json!({
        "alg": "ES256",
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": payload::CONTENT_TYPE,
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": "2030-01-01T10:00:00+02:00",
    })
}

#[test]
fn jws_crit_rules() {
    let resign = jws_resign;
    let base = jws_base_header();
    let ok = resign(base.clone()).unwrap();
    assert_eq!(ok.signing_time.unwrap().offset().whole_hours(), 2);

    let mut unknown_crit = base.clone();
    unknown_crit["crit"] = serde_json::json!(["io.cncf.notary.signingScheme", "x-custom"]);
    unknown_crit["x-custom"] = "v".into();
    let c = resign(unknown_crit).unwrap();
    assert_eq!(c.extended_attributes.len(), 1);
    assert!(c.extended_attributes[0].critical);

    let mut missing = base.clone();
    missing["crit"] = serde_json::json!(["io.cncf.notary.signingScheme", "x-absent"]);
    assert_eq!(
        resign(missing).unwrap_err().to_string(),
        "\"x-absent\" header is marked critical but not present"
    );

    let mut time_in_crit = base.clone();
    time_in_crit["crit"] =
        serde_json::json!(["io.cncf.notary.signingScheme", "io.cncf.notary.signingTime"]);
    assert!(resign(time_in_crit).is_err());

    let mut expiry_not_crit = base.clone();
    expiry_not_crit["io.cncf.notary.expiry"] = "2031-01-01T00:00:00Z".into();
    assert_eq!(
        resign(expiry_not_crit).unwrap_err().to_string(),
        "these required headers are not marked as critical: [io.cncf.notary.expiry]"
    );
}

#[test]
fn jws_scheme_algorithm_and_time_rules() {
    let resign = jws_resign;
    let base = jws_base_header();
    let mut bad_scheme = base.clone();
    bad_scheme["io.cncf.notary.signingScheme"] = "other".into();
    assert_eq!(
        resign(bad_scheme).unwrap_err().to_string(),
        "unsupported SigningScheme: `other`"
    );

    let mut wrong_alg = base.clone();
    wrong_alg["alg"] = "PS256".into();
    assert!(resign(wrong_alg).is_err());

    let mut none_alg = base.clone();
    none_alg["alg"] = "none".into();
    assert_eq!(
        resign(none_alg).unwrap_err().to_string(),
        "signature is invalid. Error: signing method none is invalid"
    );

    let mut no_time = base.clone();
    no_time
        .as_object_mut()
        .unwrap()
        .remove("io.cncf.notary.signingTime");
    assert_eq!(
        resign(no_time).unwrap_err().to_string(),
        "signing-time not present"
    );

    let mut bad_cty = base;
    bad_cty["cty"] = "text/plain".into();
    assert!(resign(bad_cty).is_err());
}

/// Signs with RSASSA-PSS and a chosen salt length, as other Notary Project signers may.
struct SaltSigner {
    key_pem: Vec<u8>,
    chain: Vec<Certificate>,
    algorithm: SignatureAlgorithm,
    salt_len: usize,
}

impl RawSigner for SaltSigner {
    fn sign(&self, signing_input: &[u8]) -> Result<(Vec<u8>, Vec<Certificate>), EnvelopeError> {
        let sig = crate::crypto::tests::pss_sign_with_salt(
            &self.key_pem,
            self.algorithm,
            self.salt_len,
            signing_input,
        );
        Ok((sig, self.chain.clone()))
    }
}

#[test]
fn pss_salt_length_rules_follow_go() {
    // golang-jwt verifies PS256/384/512 with PSSSaltLengthAuto; go-cose insists on
    // salt = hash length. Salt 0 and 20 differ from every hash length.
    for name in ["rsa2048", "rsa3072", "rsa4096"] {
        let (key, chain) = key_pair(name);
        let key_spec = key.key_spec().unwrap();
        for salt_len in [0, 20] {
            let signer = SaltSigner {
                key_pem: pki(&format!("leaf-{name}.key")),
                chain: chain.clone(),
                algorithm: key_spec.signature_algorithm(),
                salt_len,
            };
            let t = target();
            let req = RawSignRequest {
                target: &t,
                signing_time: OffsetDateTime::now_utc(),
                expiry: None,
                signing_agent: "other-signer/1.0",
                key_spec,
                signer: &signer,
            };
            let jws = sign_raw(Format::Jws, &req, None)
                .unwrap_or_else(|e| panic!("{name} salt {salt_len}: {e}"));
            verify(Format::Jws, &jws).unwrap();
            let cose = sign_raw(Format::Cose, &req, None).unwrap_err();
            assert_eq!(
                cose.to_string(),
                "generated signature failed verification: signature is invalid. Error: verification error",
                "{name} salt {salt_len}"
            );
        }
    }
}
