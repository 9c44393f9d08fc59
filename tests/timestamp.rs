//! RFC 3161 timestamps end to end, against a real TSA (`openssl ts -reply` over HTTP, see
//! `common::tsa`) and a PKI made with openssl: signing with `--timestamp-url`, verifying
//! with a `tsa` trust store (also after the signing certificate expired), the levels'
//! treatment of `authenticTimestamp`, forged tokens and sign-side failures.

mod common;

use base64::Engine;
use common::tsa::{FileServer, Mode, Pki, Tsa};
use common::{copy_tree, interop_dir, notation, ConfigHome};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use time::OffsetDateTime;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A config home with the test PKI installed (key `test`, stores `ca:test`, `tsa:test`)
/// and a copy of an unsigned layout at `<work>/layout`.
struct Env {
    home: ConfigHome,
    work: tempfile::TempDir,
    pki: Pki,
}

impl Env {
    /// `validity` bounds the signing leaf (default: yesterday to next year).
    fn new(validity: Option<(OffsetDateTime, OffsetDateTime)>) -> Env {
        Env::with_leaf_key(validity, None)
    }

    /// Like [`Env::new`]; with `curve`, the signing key is ECDSA on that curve.
    fn with_leaf_key(
        validity: Option<(OffsetDateTime, OffsetDateTime)>,
        curve: Option<&str>,
    ) -> Env {
        let home = ConfigHome::empty();
        let work = tempfile::tempdir().unwrap();
        let pki = Pki::new(&work.path().join("pki"));
        if let Some(curve) = curve {
            pki.ec_key("leaf", curve);
        }
        pki.signing_leaf("leaf", validity);
        let n = home.notation_dir();
        fs::create_dir_all(&n).unwrap();
        let keys = json!({
            "default": "test",
            "keys": [{
                "name": "test",
                "keyPath": pki.path("leaf.key"),
                "certPath": pki.path("leaf-chain.crt"),
            }]
        });
        fs::write(n.join("signingkeys.json"), keys.to_string()).unwrap();
        for (kind, file) in [("ca", "root.crt"), ("tsa", "tsaroot.crt")] {
            let store = n.join("truststore/x509").join(kind).join("test");
            fs::create_dir_all(&store).unwrap();
            fs::copy(pki.path(file), store.join(file)).unwrap();
        }
        for layout in ["jws", "cose"] {
            copy_tree(
                &interop_dir().join("cases/unsigned/layout"),
                &work.path().join(layout),
            );
        }
        let env = Env { home, work, pki };
        env.policy(json!({"level": "strict"}), &["ca:test", "tsa:test"]);
        env
    }

    fn dir(&self) -> &Path {
        self.work.path()
    }

    /// Installs a single-statement trust policy.
    fn policy(&self, verification: Value, stores: &[&str]) {
        let doc = json!({
            "version": "1.0",
            "trustPolicies": [{
                "name": "test",
                "registryScopes": ["*"],
                "signatureVerification": verification,
                "trustStores": stores,
                "trustedIdentities": ["*"],
            }]
        });
        fs::write(
            self.home.notation_dir().join("trustpolicy.json"),
            doc.to_string(),
        )
        .unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        notation(self.dir(), &self.home)
            .args(args)
            .output()
            .unwrap()
    }

    /// Signs the layout named after the format.
    fn sign(&self, format: &str, tsa: Option<(&str, &Path)>) -> Output {
        let mut args = vec![
            "sign".to_string(),
            "--oci-layout".into(),
            format!("{format}:v1"),
            "--signature-format".into(),
            format.into(),
        ];
        if let Some((url, root)) = tsa {
            args.extend([
                "--timestamp-url".into(),
                url.into(),
                "--timestamp-root-cert".into(),
                root.display().to_string(),
            ]);
        }
        notation(self.dir(), &self.home)
            .args(&args)
            .output()
            .unwrap()
    }

    /// Verifies the layout named after the format.
    fn verify(&self, format: &str, extra: &[&str]) -> Output {
        let reference = format!("{format}:v1");
        let mut args = vec!["verify", "--oci-layout", "--scope", "example.com/layout"];
        args.extend_from_slice(extra);
        args.push(&reference);
        self.run(&args)
    }

    /// Every file of a layout with its content.
    fn layout_files(&self, format: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = walk(&self.dir().join(format));
        files.sort();
        files
    }

    /// The envelope blobs of every signature of a layout, in index order.
    fn envelopes(&self, format: &str) -> Vec<(String, Vec<u8>)> {
        let layout = self.dir().join(format);
        let index: Value =
            serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
        let blob = |digest: &str| {
            let (alg, hex) = digest.split_once(':').unwrap();
            fs::read(layout.join("blobs").join(alg).join(hex)).unwrap()
        };
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["artifactType"].is_null()
                    && m.get("annotations").is_some_and(|a| {
                        a.get("io.cncf.notary.x509chain.thumbprint#S256").is_some()
                    })
            })
            .map(|m| {
                let manifest: Value =
                    serde_json::from_slice(&blob(m["digest"].as_str().unwrap())).unwrap();
                let layer = &manifest["layers"][0];
                (
                    layer["mediaType"].as_str().unwrap().to_string(),
                    blob(layer["digest"].as_str().unwrap()),
                )
            })
            .collect()
    }
}

impl Env {
    /// Replaces the envelope of the layout's only signature by `envelope`, rewriting the
    /// signature manifest and index.json so that the layout stays consistent.
    fn replace_envelope(&self, format: &str, envelope: &[u8]) {
        let layout = self.dir().join(format);
        let write_blob = |bytes: &[u8], media_type: &str| {
            let desc = notation::oci::Descriptor::for_content(media_type, bytes);
            let (alg, hex) = desc.digest.split_once(':').unwrap();
            fs::write(layout.join("blobs").join(alg).join(hex), bytes).unwrap();
            desc
        };
        let index_path = layout.join("index.json");
        let mut index: Value = serde_json::from_slice(&fs::read(&index_path).unwrap()).unwrap();
        let entry = index["manifests"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|m| {
                m.get("annotations")
                    .is_some_and(|a| a.get("io.cncf.notary.x509chain.thumbprint#S256").is_some())
            })
            .unwrap();
        let (alg, hex) = entry["digest"].as_str().unwrap().split_once(':').unwrap();
        let mut manifest: Value =
            serde_json::from_slice(&fs::read(layout.join("blobs").join(alg).join(hex)).unwrap())
                .unwrap();
        let layer = write_blob(
            envelope,
            manifest["layers"][0]["mediaType"].as_str().unwrap(),
        );
        manifest["layers"][0]["digest"] = json!(layer.digest);
        manifest["layers"][0]["size"] = json!(layer.size);
        let media_type = entry["mediaType"].as_str().unwrap().to_string();
        let desc = write_blob(&serde_json::to_vec(&manifest).unwrap(), &media_type);
        entry["digest"] = json!(desc.digest);
        entry["size"] = json!(desc.size);
        fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    }

    /// Re-encodes a JWS envelope with `token` as its timestamp header.
    fn with_jws_token(envelope: &[u8], token: &str) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(envelope).unwrap();
        v["header"]["io.cncf.notary.timestampSignature"] = json!(token);
        serde_json::to_vec(&v).unwrap()
    }
}

fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((p.clone(), fs::read(&p).unwrap()));
        }
    }
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "expected success\nstdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

#[track_caller]
fn assert_fails_with(o: &Output, needle: &str) {
    assert!(
        !o.status.success(),
        "expected failure, got success: {}",
        stdout(o)
    );
    assert!(
        stderr(o).contains(needle),
        "stderr does not contain {needle:?}:\n{}",
        stderr(o)
    );
}

/// The JWS unprotected header of an envelope.
fn jws_header(envelope: &[u8]) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_slice(envelope).unwrap();
    v["header"].as_object().unwrap().clone()
}

#[test]
fn timestamped_signatures_verify_after_the_signing_certificate_expired() {
    let now = OffsetDateTime::now_utc();
    let expires = now + time::Duration::seconds(12);
    let env = Env::new(Some((now - time::Duration::hours(1), expires)));
    let tsa = Tsa::start(&env.pki, Mode::Grant);
    let root = env.pki.path("tsaroot.crt");
    for format in ["jws", "cose"] {
        let o = env.sign(format, Some((&tsa.url, &root)));
        assert_ok(&o);
    }
    // JWS: the token is the first unprotected member, base64 (standard) of a CMS ContentInfo.
    let envelopes = env.envelopes("jws");
    assert_eq!(envelopes.len(), 1);
    let (media_type, jws) = &envelopes[0];
    assert_eq!(media_type, "application/jose+json");
    let raw = String::from_utf8(jws.clone()).unwrap();
    let header_start = raw.find("\"header\":{").unwrap() + "\"header\":{".len();
    assert!(raw[header_start..].starts_with("\"io.cncf.notary.timestampSignature\":"));
    let token = B64
        .decode(
            jws_header(jws)["io.cncf.notary.timestampSignature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(&token[..2], &[0x30, 0x82]);
    // COSE: text label in the unprotected map, bstr value.
    let envelopes = env.envelopes("cose");
    assert_eq!(envelopes.len(), 1);
    let (media_type, cose) = &envelopes[0];
    assert_eq!(media_type, "application/cose");
    let label = b"\x78\x21io.cncf.notary.timestampSignature";
    let at = cose.windows(label.len()).position(|w| w == label).unwrap();
    assert_eq!(
        cose[at + label.len()] & 0xe0,
        0x40,
        "bstr follows the label"
    );
    // Canonical order of the unprotected map: 33, signingAgent, timestampSignature.
    let agent = b"\x78\x1bio.cncf.notary.signingAgent";
    let agent_at = cose.windows(agent.len()).position(|w| w == agent).unwrap();
    assert!(agent_at < at, "signingAgent precedes timestampSignature");

    for format in ["jws", "cose"] {
        // inspect decodes the token.
        let o = env.run(&["inspect", "--oci-layout", &format!("{format}:v1")]);
        assert_ok(&o);
        let text = stdout(&o);
        assert_eq!(text.matches("timestamp signature").count(), 1, "{text}");
        assert!(
            text.contains("CN=Test TSA,O=Notary Test,ST=WA,C=US"),
            "{text}"
        );
        let o = env.run(&[
            "inspect",
            "--oci-layout",
            &format!("{format}:v1"),
            "-o",
            "json",
        ]);
        assert_ok(&o);
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        let ts = &doc["Signatures"][0]["unsignedAttributes"]["timestampSignature"];
        let range = ts["timestamp"].as_str().unwrap();
        assert!(range.starts_with('[') && range.contains("Z, "), "{range}");
        assert_eq!(
            ts["certificates"][0]["issuedTo"],
            "CN=Test TSA,O=Notary Test,ST=WA,C=US"
        );
        assert!(ts.get("error").is_none());
        // Valid now: verifies (the timestamp is checked too: a tsa store is configured),
        // and -d says so in notation-go v1.3.2's words (debug level).
        let o = env.verify(format, &["-d"]);
        assert_ok(&o);
        let log = stderr(&o);
        assert!(
            log.contains("level=debug msg=Performing timestamp verification...\n")
                && log.contains(
                    "level=debug msg=The subject of TSA signing certificate is: CN=Test TSA,O=Notary Test,ST=WA,C=US\n"
                )
                && log.contains("level=debug msg=Timestamp verification: Success\n"),
            "{log}"
        );
    }

    // Wait until the signing certificate has expired.
    let wait = expires - OffsetDateTime::now_utc() + time::Duration::seconds(2);
    if wait.is_positive() {
        std::thread::sleep(wait.unsigned_abs());
    }
    for format in ["jws", "cose"] {
        env.policy(json!({"level": "strict"}), &["ca:test", "tsa:test"]);
        let o = env.verify(format, &[]);
        assert_ok(&o);
        assert!(
            stdout(&o).contains("Successfully verified signature"),
            "{}",
            stdout(&o)
        );
        env.policy(
            json!({"level": "strict", "verifyTimestamp": "afterCertExpiry"}),
            &["ca:test", "tsa:test"],
        );
        let o = env.verify(format, &["-d"]);
        assert_ok(&o);
        assert!(
            stderr(&o).contains("level=debug msg=Performing timestamp verification..."),
            "{}",
            stderr(&o)
        );
        // Without a tsa store the expired certificate fails the check.
        env.policy(json!({"level": "strict"}), &["ca:test"]);
        let o = env.verify(format, &[]);
        assert_fails_with(&o, "validity period, it was expired at");
    }
}

#[test]
fn levels_and_overrides_treat_a_missing_timestamp_per_the_spec() {
    let env = Env::new(None);
    assert_ok(&env.sign("jws", None));
    let stores = ["ca:test", "tsa:test"];
    let missing = "no timestamp countersignature was found in the signature envelope";
    let logged =
        format!("Warning: authenticTimestamp was set to \"log\" and failed with error: {missing}");
    // A tsa store makes the timestamp mandatory under strict.
    env.policy(json!({"level": "strict"}), &stores);
    assert_fails_with(&env.verify("jws", &[]), missing);
    // permissive and audit log it.
    for level in ["permissive", "audit"] {
        env.policy(json!({"level": level}), &stores);
        let o = env.verify("jws", &[]);
        assert_ok(&o);
        assert!(stderr(&o).contains(&logged), "{level}: {}", stderr(&o));
    }
    // override: log under strict, enforce under permissive.
    env.policy(
        json!({"level": "strict", "override": {"authenticTimestamp": "log"}}),
        &stores,
    );
    let o = env.verify("jws", &[]);
    assert_ok(&o);
    assert!(stderr(&o).contains(&logged), "{}", stderr(&o));
    env.policy(
        json!({"level": "permissive", "override": {"authenticTimestamp": "enforce"}}),
        &stores,
    );
    assert_fails_with(&env.verify("jws", &[]), missing);
    // afterCertExpiry with a valid chain: no timestamp needed.
    env.policy(
        json!({"level": "strict", "verifyTimestamp": "afterCertExpiry"}),
        &stores,
    );
    let o = env.verify("jws", &["-v"]);
    assert_ok(&o);
    assert!(!stderr(&o).contains("authenticTimestamp"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("level=info msg=Timestamp verification disabled: verifyTimestamp is set to \"afterCertExpiry\" and signing cert chain unexpired\n"),
        "{}",
        stderr(&o)
    );
    // No tsa store: no timestamp needed.
    env.policy(json!({"level": "strict"}), &["ca:test"]);
    let o = env.verify("jws", &["-v"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("level=info msg=Timestamp verification disabled: no tsa trust store is configured in trust policy\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn forged_or_untrusted_timestamps_are_rejected() {
    let env = Env::new(None);
    let tsa = Tsa::start(&env.pki, Mode::Grant);
    let root = env.pki.path("tsaroot.crt");
    assert_ok(&env.sign("jws", Some((&tsa.url, &root))));
    assert_ok(&env.verify("jws", &[]));
    let (_, original) = env.envelopes("jws").remove(0);
    let token = jws_header(&original)["io.cncf.notary.timestampSignature"]
        .as_str()
        .unwrap()
        .to_string();

    // A token of another signature: the message imprint does not match.
    let other_env = Env::new(None);
    assert_ok(&other_env.sign("jws", Some((&tsa.url, &root))));
    let (_, other) = other_env.envelopes("jws").remove(0);
    let other_token = jws_header(&other)["io.cncf.notary.timestampSignature"]
        .as_str()
        .unwrap()
        .to_string();
    env.replace_envelope("jws", &Env::with_jws_token(&original, &other_token));
    assert_fails_with(
        &env.verify("jws", &[]),
        "failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: mismatched message",
    );
    // inspect shows why the token does not fit, in tree and JSON form.
    let o = env.run(&["inspect", "--oci-layout", "jws:v1"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("└── timestamp signature\n        │       └── error: failed to parse timestamp countersignature: invalid TSTInfo: mismatched message"),
        "{}",
        stdout(&o)
    );
    let o = env.run(&["inspect", "--oci-layout", "jws:v1", "-o", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        doc["Signatures"][0]["unsignedAttributes"]["timestampSignature"],
        json!({"error": "failed to parse timestamp countersignature: invalid TSTInfo: mismatched message"})
    );
    // permissive logs the same failure.
    env.policy(json!({"level": "permissive"}), &["ca:test", "tsa:test"]);
    let o = env.verify("jws", &[]);
    assert_ok(&o);
    assert!(stderr(&o).contains("Warning: authenticTimestamp was set to \"log\" and failed with error: failed to get timestamp from timestamp countersignature"), "{}", stderr(&o));
    env.policy(json!({"level": "strict"}), &["ca:test", "tsa:test"]);

    // Not a token at all.
    env.replace_envelope(
        "jws",
        &Env::with_jws_token(&original, &B64.encode(b"garbage")),
    );
    assert_fails_with(
        &env.verify("jws", &[]),
        "failed to parse timestamp countersignature with error: cms: syntax error",
    );

    // The genuine token, also in BER form (indefinite outer length), verifies.
    env.replace_envelope("jws", &Env::with_jws_token(&original, &token));
    assert_ok(&env.verify("jws", &[]));
    let der = B64.decode(&token).unwrap();
    let content_at = 2 + usize::from(der[1] & 0x7f) * usize::from(der[1] >= 0x80);
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&der[content_at..]);
    ber.extend_from_slice(&[0, 0]);
    env.replace_envelope("jws", &Env::with_jws_token(&original, &B64.encode(&ber)));
    assert_ok(&env.verify("jws", &[]));
    // The tsa store trusts another root.
    env.replace_envelope("jws", &Env::with_jws_token(&original, &token));
    let other_store = env.home.notation_dir().join("truststore/x509/tsa/other");
    fs::create_dir_all(&other_store).unwrap();
    fs::copy(env.pki.path("root.crt"), other_store.join("root.crt")).unwrap();
    env.policy(json!({"level": "strict"}), &["ca:test", "tsa:other"]);
    assert_fails_with(
        &env.verify("jws", &[]),
        "failed to verify the timestamp countersignature with error: failed to verify signed token: cms verification failure: x509: certificate signed by unknown authority",
    );
}

#[test]
fn sign_side_tsa_failures_are_one_line_errors_and_write_nothing() {
    let env = Env::new(None);
    let before = env.layout_files("jws");
    let tsa_root = env.pki.path("tsaroot.crt");
    let granted = Tsa::start(&env.pki, Mode::Grant);
    let rejecting = Tsa::start(&env.pki, Mode::RejectDigests);
    let failing = Tsa::start(&env.pki, Mode::HttpError);
    let mislabeled = Tsa::start(&env.pki, Mode::WrongContentType);
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/tsa", l.local_addr().unwrap())
    };
    // An HTTPS server whose certificate nothing here trusts.
    let https_server = common::registry::TestRegistry::start(common::registry::Config {
        tls: true,
        ..Default::default()
    });
    let untrusted_tls = format!("https://{}/tsa", https_server.host());
    let leaf_chain = env.pki.path("leaf-chain.crt");
    let signing_root = env.pki.path("root.crt");
    let tsa_cert = env.pki.path("tsa.crt");
    // A CA certificate issued by another CA: its self-signature check fails first.
    env.pki.issue(
        "tsaint",
        "tsaroot",
        "v3_int_tsa",
        "/C=US/ST=WA/O=Notary Test/CN=TSA Intermediate",
        None,
    );
    let intermediate = env.pki.path("tsaint.crt");
    let missing = env.dir().join("missing.crt");
    let empty = env.dir().join("empty.crt");
    fs::write(&empty, b"").unwrap();
    let cases: Vec<(&str, &Path, String)> = vec![
        (
            &closed,
            &tsa_root,
            format!("Error: timestamp: Post \"{closed}\": dial tcp {}: connect: connection refused", &closed[7..closed.len() - 4]),
        ),
        (
            &untrusted_tls,
            &tsa_root,
            format!("Error: timestamp: Post \"{untrusted_tls}\": tls: failed to verify certificate: x509: certificate signed by unknown authority"),
        ),
        (
            &rejecting.url,
            &tsa_root,
            "Error: timestamp: invalid timestamping response: invalid response with status code 2: rejected. Failure info: unrecognized or unsupported Algorithm Identifier".into(),
        ),
        (
            &failing.url,
            &tsa_root,
            "https response bad status: 500 Internal Server Error".into(),
        ),
        (
            &mislabeled.url,
            &tsa_root,
            format!(
                "Error: timestamp: POST \"{}\": unexpected response content type: application/octet-stream",
                mislabeled.url
            ),
        ),
        (
            "ftp://127.0.0.1/tsa",
            &tsa_root,
            "Error: timestamp: Post \"ftp://127.0.0.1/tsa\": unsupported protocol scheme \"ftp\"".into(),
        ),
        (
            &granted.url,
            &signing_root,
            "Error: timestamp: failed to verify signed token: cms verification failure: x509: certificate signed by unknown authority".into(),
        ),
        // notation's IsRootCertificate checks the self-signature before the names: a leaf
        // cannot sign at all, an intermediate's signature is its issuer's.
        (
            &granted.url,
            &tsa_cert,
            "Error: failed to check root certificate with error: x509: invalid signature: parent certificate cannot sign this kind of certificate".into(),
        ),
        (
            &granted.url,
            &intermediate,
            "Error: failed to check root certificate with error: crypto/rsa: verification error".into(),
        ),
        (
            &granted.url,
            &leaf_chain,
            format!("Error: found more than one certificates from {:?}", leaf_chain.display().to_string()),
        ),
        (
            &granted.url,
            &missing,
            format!("Error: open {}: no such file or directory", missing.display()),
        ),
        (
            &granted.url,
            &empty,
            format!("Error: cannot find any certificate from {:?}", empty.display().to_string()),
        ),
    ];
    for (url, root, expected) in cases {
        let o = env.sign("jws", Some((url, root)));
        assert_fails_with(&o, &expected);
        assert_eq!(stderr(&o).matches(&expected).count(), 1, "{}", stderr(&o));
        let error_lines: Vec<_> = stderr(&o)
            .lines()
            .filter(|l| l.starts_with("Error:"))
            .map(String::from)
            .collect();
        assert_eq!(error_lines.len(), 1, "{}", stderr(&o));
        assert_eq!(
            stderr(&o)
                .lines()
                .filter(|l| !l.starts_with("Warning:"))
                .count(),
            1,
            "one line: {}",
            stderr(&o)
        );
        assert!(
            env.layout_files("jws") == before,
            "the layout was modified by a failed sign"
        );
    }
    // Flag rules.
    let o = env.run(&[
        "sign",
        "--oci-layout",
        "jws:v1",
        "--timestamp-url",
        &granted.url,
    ]);
    assert_fails_with(&o, "missing [timestamp-root-cert]");
    let o = env.run(&[
        "sign",
        "--oci-layout",
        "jws:v1",
        "--timestamp-url",
        "",
        "--timestamp-root-cert",
        "x",
    ]);
    assert_fails_with(&o, "Error: timestamping: tsa url cannot be empty");
    assert!(env.layout_files("jws") == before);
    // And the good TSA works.
    assert_ok(&env.sign("jws", Some((&granted.url, &tsa_root))));
}

#[test]
fn tsa_intermediates_must_allow_time_stamping() {
    let env = Env::new(None);
    let tsa_root = env.pki.path("tsaroot.crt");
    // TSA certificate under an intermediate that allows timeStamping: fine, also with
    // the intermediate shipped in the token only.
    env.pki.issue(
        "tsaint",
        "tsaroot",
        "v3_int_tsa",
        "/C=US/ST=WA/O=Notary Test/CN=TSA Intermediate",
        None,
    );
    env.pki.issue(
        "tsa2",
        "tsaint",
        "v3_tsa",
        "/C=US/ST=WA/O=Notary Test/CN=TSA Two",
        None,
    );
    let good = Tsa::start_with(&env.pki, Mode::Grant, "tsa2", Some("tsaint.crt"));
    assert_ok(&env.sign("jws", Some((&good.url, &tsa_root))));
    assert_ok(&env.verify("jws", &[]));
    let o = env.run(&["inspect", "--oci-layout", "jws:v1"]);
    assert_ok(&o);
    insta::with_settings!({filters => vec![
        (r"[0-9a-f]{64}", "[HEX]"),
        (r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", "[TIME]"),
    ]}, {
        insta::assert_snapshot!("inspect_timestamped_jws", stdout(&o));
    });
    let o = env.run(&["inspect", "--oci-layout", "jws:v1", "-o", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let certs = &doc["Signatures"][0]["unsignedAttributes"]["timestampSignature"]["certificates"];
    let issued_to: Vec<_> = certs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["issuedTo"].as_str().unwrap())
        .collect();
    assert_eq!(issued_to.len(), 2, "{certs}");
    assert!(issued_to.contains(&"CN=TSA Two,O=Notary Test,ST=WA,C=US"));
    assert!(issued_to.contains(&"CN=TSA Intermediate,O=Notary Test,ST=WA,C=US"));

    // An intermediate limited to codeSigning may not vouch for a TSA: signing refuses the
    // token, and a planted token fails verification.
    env.pki.issue(
        "csint",
        "tsaroot",
        "v3_int_codesigning",
        "/C=US/ST=WA/O=Notary Test/CN=Code Signing Intermediate",
        None,
    );
    env.pki.issue(
        "tsa3",
        "csint",
        "v3_tsa",
        "/C=US/ST=WA/O=Notary Test/CN=TSA Three",
        None,
    );
    let bad = Tsa::start_with(&env.pki, Mode::Grant, "tsa3", Some("csint.crt"));
    let incompatible = "x509: certificate specifies an incompatible key usage";
    assert_fails_with(&env.sign("cose", Some((&bad.url, &tsa_root))), incompatible);
    let (_, original) = env.envelopes("jws").remove(0);
    let v: Value = serde_json::from_slice(&original).unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v["signature"].as_str().unwrap())
        .unwrap();
    let planted = bad.token_for(&signature);
    env.replace_envelope(
        "jws",
        &Env::with_jws_token(&original, &B64.encode(&planted)),
    );
    assert_fails_with(
        &env.verify("jws", &[]),
        &format!("failed to verify the timestamp countersignature with error: failed to verify signed token: cms verification failure: {incompatible}"),
    );
    // The same token is fine as far as inspect is concerned: it only decodes.
    let o = env.run(&["inspect", "--oci-layout", "jws:v1"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("CN=TSA Three"), "{}", stdout(&o));
}

#[test]
fn the_request_hash_follows_the_signing_key() {
    let env = Env::with_leaf_key(None, Some("P-384"));
    let tsa = Tsa::start(&env.pki, Mode::Grant);
    let root = env.pki.path("tsaroot.crt");
    for format in ["jws", "cose"] {
        assert_ok(&env.sign(format, Some((&tsa.url, &root))));
        assert_ok(&env.verify(format, &[]));
    }
    let (_, jws) = env.envelopes("jws").remove(0);
    let header = jws_header(&jws);
    let token = B64
        .decode(
            header["io.cncf.notary.timestampSignature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let info = notation::timestamp::SignedToken::parse(&token)
        .unwrap()
        .info()
        .unwrap();
    assert_eq!(info.hash_algorithm.to_string(), "2.16.840.1.101.3.4.2.2");
    assert_eq!(info.hashed_message.len(), 48);
    // openssl agrees that the token covers the raw signature bytes.
    let v: Value = serde_json::from_slice(&jws).unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v["signature"].as_str().unwrap())
        .unwrap();
    fs::write(env.dir().join("sig.bin"), &signature).unwrap();
    fs::write(env.dir().join("token.der"), &token).unwrap();
    common::tsa::openssl(
        env.dir(),
        &[
            "ts",
            "-verify",
            "-data",
            "sig.bin",
            "-in",
            "token.der",
            "-token_in",
            "-CAfile",
            &env.pki.path("tsaroot.crt").display().to_string(),
        ],
    );
}

#[test]
fn tsa_certificates_with_unknown_critical_extensions_are_refused() {
    let env = Env::new(None);
    env.pki.issue(
        "tsa4",
        "tsaroot",
        "v3_tsa_unknown_critical",
        "/C=US/ST=WA/O=Notary Test/CN=TSA Four",
        None,
    );
    let tsa = Tsa::start_with(&env.pki, Mode::Grant, "tsa4", None);
    let o = env.sign("jws", Some((&tsa.url, &env.pki.path("tsaroot.crt"))));
    assert_fails_with(
        &o,
        "Error: timestamp: failed to verify signed token: cms verification failure: x509: unhandled critical extension",
    );
}

#[test]
fn the_tsa_chain_is_checked_for_revocation() {
    let env = Env::new(None);
    let crls = env.dir().join("crls");
    let server = FileServer::start(&crls);
    let crl_url = format!("{}/tsa5.crl", server.base);
    env.pki
        .tsa_with_crl("tsa5", "/C=US/ST=WA/O=Notary Test/CN=TSA Five", &crl_url);
    env.pki
        .crl_for("tsa5", "tsaroot", false, &crls.join("tsa5.crl"));
    let tsa = Tsa::start_with(&env.pki, Mode::Grant, "tsa5", None);
    let root = env.pki.path("tsaroot.crt");
    let crl_cache = env.home.path().join("cache/notation/crl");

    // Not revoked: signs (the CRL is fetched and cached) and verifies.
    assert_ok(&env.sign("jws", Some((&tsa.url, &root))));
    assert!(
        crl_cache.is_dir(),
        "sign --timestamp-url sets up the CRL cache"
    );
    assert_ok(&env.verify("jws", &[]));

    // Revoked later: verification fails, even with revocation skipped for the signing chain.
    env.pki
        .crl_for("tsa5", "tsaroot", true, &crls.join("tsa5.crl"));
    fs::remove_dir_all(&crl_cache).unwrap();
    let revoked =
        "timestamping certificate with subject \"CN=TSA Five,O=Notary Test,ST=WA,C=US\" is revoked";
    assert_fails_with(&env.verify("jws", &[]), revoked);
    env.policy(
        json!({"level": "strict", "override": {"revocation": "skip"}}),
        &["ca:test", "tsa:test"],
    );
    assert_fails_with(&env.verify("jws", &[]), revoked);
    // permissive logs it.
    env.policy(json!({"level": "permissive"}), &["ca:test", "tsa:test"]);
    let o = env.verify("jws", &[]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains(&format!(
            "Warning: authenticTimestamp was set to \"log\" and failed with error: {revoked}"
        )),
        "{}",
        stderr(&o)
    );

    // Signing with the revoked TSA is refused and writes nothing.
    let before = env.layout_files("cose");
    let o = env.sign("cose", Some((&tsa.url, &root)));
    assert_fails_with(
        &o,
        &format!("Error: timestamp: after timestamping: {revoked}"),
    );
    assert!(env.layout_files("cose") == before);
}
