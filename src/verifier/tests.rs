//! Orchestration tests: a fake target and a fake integrity layer whose "envelopes" name the
//! outcome they should produce.

use super::*;
use crate::oci::{Digest, MEDIA_TYPE_IMAGE_MANIFEST};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;
use time::macros::datetime;

/// A target holding blobs by digest and a fixed signature list.
#[derive(Default)]
struct FakeTarget {
    blobs: Vec<(String, Vec<u8>)>,
    signatures: Vec<Descriptor>,
    fetches: Mutex<usize>,
}

impl FakeTarget {
    fn add(&mut self, media_type: &str, data: &[u8]) -> Descriptor {
        let d = Descriptor::for_content(media_type, data);
        self.blobs.push((d.digest.clone(), data.to_vec()));
        d
    }

    /// Add a signature whose envelope bytes are `envelope`.
    fn sign(&mut self, envelope: &str) -> Descriptor {
        let blob = self.add("application/jose+json", envelope.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_IMAGE_MANIFEST,
            "config": {"mediaType": "application/vnd.cncf.notary.signature", "digest": Digest::sha256(b"{}").to_string(), "size": 2},
            "layers": [blob],
        });
        let d = self.add(
            MEDIA_TYPE_IMAGE_MANIFEST,
            &serde_json::to_vec(&manifest).unwrap(),
        );
        self.signatures.push(d.clone());
        d
    }
}

#[async_trait]
impl crate::target::ContentStore for FakeTarget {
    /// The verifier resolves the subject once more, as notation-go's `Verify` does.
    async fn resolve(&self, _: &str) -> crate::target::Result<Descriptor> {
        Ok(subject())
    }
    async fn fetch(&self, desc: &Descriptor, _max: u64) -> crate::target::Result<Vec<u8>> {
        *self.fetches.lock().unwrap() += 1;
        let data = self
            .blobs
            .iter()
            .find(|(d, _)| *d == desc.digest)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| TargetError::NotFound("not found".into()))?;
        crate::target::check_content(desc, &data)?;
        Ok(data)
    }
    async fn exists(&self, _: &Descriptor) -> crate::target::Result<bool> {
        Ok(true)
    }
    async fn push_blob(&self, _: &Descriptor, _: &[u8]) -> crate::target::Result<()> {
        unreachable!()
    }
    async fn push_manifest(
        &self,
        _: &Descriptor,
        _: &[u8],
        _: Option<&str>,
    ) -> crate::target::Result<crate::target::Pushed> {
        unreachable!()
    }
    async fn referrers(
        &self,
        _: &Descriptor,
        _: Option<&str>,
    ) -> crate::target::Result<Vec<Descriptor>> {
        Ok(self.signatures.clone())
    }
}

fn subject() -> Descriptor {
    Descriptor {
        media_type: MEDIA_TYPE_IMAGE_MANIFEST.into(),
        digest: Digest::sha256(b"img").to_string(),
        size: 3,
        ..Default::default()
    }
}

/// Envelope "bytes" are words: `bad` fails integrity, `untrusted` has an unknown root,
/// `expired` has an elapsed expiry, `other` signs another artifact, `meta` carries env=prod.
struct FakeIntegrity;

impl Integrity for FakeIntegrity {
    fn verify(&self, _media_type: &str, envelope: &[u8]) -> Result<SignedFacts, IntegrityError> {
        let word = std::str::from_utf8(envelope).unwrap();
        if word == "bad" {
            return Err(IntegrityError::Envelope(
                crate::envelope::EnvelopeError::Invalid("signature is invalid".into()),
            ));
        }
        let a = datetime!(2020-01-01 0:00 UTC);
        let b = datetime!(2050-01-01 0:00 UTC);
        let root: &[u8] = if word == "untrusted" {
            b"other-root"
        } else {
            b"root"
        };
        let cert = |der: &[u8], cn: &str| ChainCert {
            der: der.to_vec(),
            subject: format!("CN={cn},O=Org,ST=WA,C=US"),
            not_before: a,
            not_after: b,
            has_revocation_info: false,
        };
        let mut target = subject();
        if word == "other" {
            target.digest = Digest::sha256(b"other").to_string();
        }
        let mut annotations = BTreeMap::new();
        if word == "meta" {
            annotations.insert("env".to_string(), "prod".to_string());
        }
        Ok(SignedFacts {
            signing_scheme: SigningScheme::X509,
            chain: vec![cert(b"leaf", "leaf"), cert(root, "root")],
            expiry: (word == "expired").then_some(datetime!(2021-01-01 0:00 UTC)),
            signing_time: Some(a),
            authentic_signing_time: None,
            has_timestamp: false,
            target,
            annotations,
            signature_algorithm: "RSASSA-PSS-SHA-256".into(),
            content: None,
        })
    }
}

struct Stores;

impl TrustStores for Stores {
    fn load(&self, _kind: &str, name: &str) -> Result<Vec<Vec<u8>>, TrustStoreFailure> {
        match name {
            "root" => Ok(vec![b"root".to_vec()]),
            _ => Err(TrustStoreFailure {
                message: format!("the trust store {name:?} of type \"ca\" does not exist"),
                not_exist: true,
                inner: None,
            }),
        }
    }
}

fn policy(level: &str, store: &str) -> OciDocument {
    let body = if level == "skip" {
        r#"{"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}"#.to_string()
    } else {
        format!(
            r#"{{"version":"1.0","trustPolicies":[{{"name":"p","registryScopes":["*"],"signatureVerification":{{"level":"{level}"}},"trustStores":["ca:{store}"],"trustedIdentities":["*"]}}]}}"#
        )
    };
    let doc = OciDocument::parse(body.as_bytes()).unwrap();
    doc.validate().unwrap();
    doc
}

async fn run(
    doc: &OciDocument,
    target: &FakeTarget,
    opts: VerifyOptions,
) -> Result<VerificationOutcome, VerifyError> {
    let v = Verifier {
        policy: doc,
        stores: &Stores,
        integrity: &FakeIntegrity,
        revocation: None,
        now: datetime!(2030-01-01 0:00 UTC),
        plugins: None,
    };
    v.verify(target, &subject(), "local/x@sha256:00", &opts)
        .await
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn skip_level_fetches_nothing() {
    let mut t = FakeTarget::default();
    t.sign("bad");
    let out = block(run(&policy("skip", ""), &t, VerifyOptions::default())).unwrap();
    assert!(out.verified.is_none());
    assert!(out.level.is_skip());
    assert_eq!(*t.fetches.lock().unwrap(), 0);
}

#[test]
fn no_signature() {
    let t = FakeTarget::default();
    let e = block(run(&policy("audit", "root"), &t, VerifyOptions::default())).unwrap_err();
    assert_eq!(e.to_string(), "no signature is associated with \"local/x@sha256:00\", make sure the artifact was signed successfully");
}

#[test]
fn first_passing_signature_wins() {
    let mut t = FakeTarget::default();
    t.sign("bad");
    t.sign("untrusted");
    let good = t.sign("good");
    t.sign("later");
    let out = block(run(&policy("strict", "root"), &t, VerifyOptions::default())).unwrap();
    let v = out.verified.unwrap();
    assert_eq!(v.signature_digest, good.digest);
    assert_eq!(v.records.len(), 3);
    assert_eq!(
        v.records[0].failure.as_ref().unwrap().0,
        Step::Check(CheckType::Integrity)
    );
    assert_eq!(
        v.records[1].failure,
        Some((Step::Check(CheckType::Authenticity), CheckError::Untrusted))
    );
    assert_eq!(v.facts.signer_subject(), "CN=leaf,O=Org,ST=WA,C=US");
}

#[test]
fn levels_turn_failures_into_warnings() {
    let mut t = FakeTarget::default();
    t.sign("expired");
    let e = block(run(&policy("strict", "root"), &t, VerifyOptions::default())).unwrap_err();
    assert!(matches!(e, VerifyError::Failed { limit: None, .. }));
    let out = block(run(
        &policy("permissive", "root"),
        &t,
        VerifyOptions::default(),
    ))
    .unwrap();
    let logged: Vec<_> = out
        .verified
        .as_ref()
        .unwrap()
        .logged_failures()
        .map(|r| r.check)
        .collect();
    assert_eq!(logged, vec![CheckType::Expiry]);

    let mut t = FakeTarget::default();
    t.sign("untrusted");
    assert!(block(run(
        &policy("permissive", "root"),
        &t,
        VerifyOptions::default()
    ))
    .is_err());
    let out = block(run(&policy("audit", "root"), &t, VerifyOptions::default())).unwrap();
    let logged: Vec<_> = out
        .verified
        .as_ref()
        .unwrap()
        .logged_failures()
        .map(|r| r.check)
        .collect();
    assert_eq!(logged, vec![CheckType::Authenticity]);
}

#[test]
fn integrity_is_enforced_at_audit() {
    let mut t = FakeTarget::default();
    t.sign("bad");
    assert!(block(run(&policy("audit", "root"), &t, VerifyOptions::default())).is_err());
}

#[test]
fn binding_failures_are_hard() {
    let mut t = FakeTarget::default();
    t.sign("other");
    let e = block(run(&policy("audit", "root"), &t, VerifyOptions::default())).unwrap_err();
    let VerifyError::Failed { records, .. } = e else {
        panic!()
    };
    assert!(matches!(
        &records[0].failure,
        Some((Step::TargetArtifact, CheckError::TargetMismatch { .. }))
    ));

    let mut t = FakeTarget::default();
    t.sign("meta");
    let opts = VerifyOptions {
        user_metadata: vec![("env".into(), "prod".into())],
        ..Default::default()
    };
    block(run(&policy("audit", "root"), &t, opts)).unwrap();
    let opts = VerifyOptions {
        user_metadata: vec![("env".into(), "dev".into())],
        ..Default::default()
    };
    assert!(block(run(&policy("audit", "root"), &t, opts)).is_err());
}

#[test]
fn max_signatures() {
    let mut t = FakeTarget::default();
    t.sign("bad");
    t.sign("bad");
    t.sign("good");
    let opts = VerifyOptions {
        max_signatures: 2,
        ..Default::default()
    };
    let e = block(run(&policy("strict", "root"), &t, opts)).unwrap_err();
    assert_eq!(e.to_string(), "signature evaluation stopped. The configured limit of 2 signatures to verify per artifact exceeded");
    // Exactly N signatures that all fail also report the limit, as upstream does.
    let mut t = FakeTarget::default();
    t.sign("bad");
    t.sign("bad");
    let opts = VerifyOptions {
        max_signatures: 2,
        ..Default::default()
    };
    assert!(matches!(
        block(run(&policy("strict", "root"), &t, opts)),
        Err(VerifyError::Failed { limit: Some(2), .. })
    ));
}

#[test]
fn fetch_error_aborts() {
    let mut t = FakeTarget::default();
    let sig = t.sign("good");
    // Corrupt the stored manifest bytes: digest no longer matches.
    t.blobs
        .iter_mut()
        .find(|(d, _)| *d == sig.digest)
        .unwrap()
        .1
        .push(b' ');
    t.sign("good");
    let e = block(run(&policy("strict", "root"), &t, VerifyOptions::default())).unwrap_err();
    assert!(matches!(e, VerifyError::Fetch { .. }));
    assert!(e.to_string().starts_with(&format!("unable to retrieve digital signature with digest \"{}\" associated with \"local/x@sha256:00\" from the Repository, error : ", sig.digest)));
}

#[test]
fn trust_store_errors_are_reported() {
    let mut t = FakeTarget::default();
    t.sign("good");
    let e = block(run(
        &policy("strict", "missing"),
        &t,
        VerifyOptions::default(),
    ))
    .unwrap_err();
    assert!(e.trust_store_failure().unwrap().not_exist);
    // Logged under audit.
    let out = block(run(
        &policy("audit", "missing"),
        &t,
        VerifyOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.verified.unwrap().logged_failures().count(), 1);
}

#[test]
fn scope_errors() {
    let t = FakeTarget::default();
    let doc = policy("strict", "root");
    let v = Verifier {
        policy: &doc,
        stores: &Stores,
        integrity: &FakeIntegrity,
        revocation: None,
        now: datetime!(2030-01-01 0:00 UTC),
        plugins: None,
    };
    let e =
        block(v.verify(&t, &subject(), "local@sha256:00", &VerifyOptions::default())).unwrap_err();
    assert!(matches!(e, VerifyError::Scope(ScopeError::Invalid(_))));
}

#[test]
fn chain_cert_from_certificate_sees_revocation_info() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["x".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "leaf");
    let plain = params.self_signed(&key).unwrap();
    let c = crate::x509::Certificate::from_der(plain.der()).unwrap();
    let cc = ChainCert::from_certificate(&c);
    assert!(!cc.has_revocation_info);
    assert_eq!(cc.der, plain.der().to_vec());
    assert_eq!(cc.subject, "CN=leaf");

    params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
        uris: vec!["http://crl.example/x.crl".to_string()],
    }];
    let with_crl = params.self_signed(&key).unwrap();
    let c = crate::x509::Certificate::from_der(with_crl.der()).unwrap();
    assert!(ChainCert::from_certificate(&c).has_revocation_info);
}
