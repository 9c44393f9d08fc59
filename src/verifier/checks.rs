//! The per-signature checks of verification.md §5, one function each, as pure functions of
//! the envelope facts, the statement, the trust stores and the current time.
//!
//! Each check returns `Ok(())` or the failure; `Verifier::evaluate` turns failures into
//! fail / warn / skip with the statement's level.

use super::{ChainCert, SignedFacts, SigningScheme, TrustStoreFailure, TrustStores};
use crate::go::fmt::GoQuoted;
use crate::oci::Descriptor;
use crate::policy::identity::{self, DnMap};
use crate::policy::OciStatement;
use std::collections::HashSet;
use time::OffsetDateTime;

/// Why a check failed. `Display` texts are notation-go's where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The envelope failed integrity verification.
    #[error("{0}")]
    Integrity(super::IntegrityError),
    /// A trust store named by the statement could not be loaded.
    #[error("{}", .0.message)]
    TrustStore(TrustStoreFailure),
    /// The trust stores of the scheme's type hold no certificate.
    #[error("no trusted certificates are found to verify authenticity")]
    NoTrustedCertificates,
    /// No chain certificate is in the trust stores.
    #[error("the signature's certificate chain does not contain any trusted certificate")]
    Untrusted,
    /// The statement (named) has no `x509.subject` identity.
    #[error("no x509 trusted identities are configured in the trust policy {}", GoQuoted(.0))]
    NoX509Identities(String),
    #[error(
        "error while parsing the certificate subject from the digital signature. error : {}", GoQuoted(.0)
    )]
    /// The leaf subject does not parse as a DN (the parse error).
    LeafSubject(String),
    /// The leaf matches no trusted identity.
    #[error("signing certificate from the digital signature does not match the X.509 trusted identities {identities} defined in the trust policy {}", GoQuoted(.policy))]
    IdentityMismatch {
        /// The configured identities as Go prints them.
        identities: String,
        /// The statement's name.
        policy: String,
    },
    /// The signature expired (at the time given, RFC 1123Z).
    #[error("digital signature has expired on {}", GoQuoted(.0))]
    Expired(String),
    /// A chain certificate is not yet valid now.
    #[error("verification time is before certificate {} validity period, it will be valid from {}", GoQuoted(.subject), GoQuoted(.from))]
    CertNotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Its notBefore (RFC 1123Z).
        from: String,
    },
    /// A chain certificate has expired.
    #[error("verification time is after certificate {} validity period, it was expired at {}", GoQuoted(.subject), GoQuoted(.at))]
    CertExpired {
        /// The certificate's subject.
        subject: String,
        /// Its notAfter (RFC 1123Z).
        at: String,
    },
    #[error(
        "certificate {} was not valid when the digital signature was produced at {}", GoQuoted(.subject), GoQuoted(.at)
    )]
    /// A chain certificate did not cover the authentic signing time.
    NotValidAtSigningTime {
        /// The certificate's subject.
        subject: String,
        /// The authentic signing time (RFC 1123Z).
        at: String,
    },
    /// A timestamp is required and there is none.
    #[error("no timestamp countersignature was found in the signature envelope")]
    NoTimestamp,
    /// Timestamp countersignature verification failed (§8.3); the text is upstream's.
    #[error("{0}")]
    Timestamp(String),
    /// Revocation checking is not available and the chain has revocation information.
    #[error("unable to check revocation status, code signing revocation validator cannot be nil")]
    NoRevocationValidator,
    /// The revocation validator could not check the chain at all.
    #[error("unable to check revocation status, err: {0}")]
    RevocationCheck(String),
    /// A certificate (named by subject) is revoked.
    #[error("signing certificate with subject {} is revoked", GoQuoted(.0))]
    Revoked(String),
    /// A certificate's (named by subject) status is unknown.
    #[error("signing certificate with subject {} revocation status is unknown", GoQuoted(.0))]
    RevocationUnknown(String),
    /// The payload names another artifact (`payload` is its `targetArtifact`, for logs).
    #[error("content descriptor mismatch")]
    TargetMismatch {
        /// The payload's `targetArtifact`.
        payload: Box<Descriptor>,
    },
    /// A `-m` pair is missing from the payload annotations.
    #[error("unable to find specified metadata in the signature")]
    UserMetadata {
        /// The missing key.
        key: String,
        /// Its wanted value.
        value: String,
    },
    /// Verification plugin problems and verdicts (texts are notation-go's).
    #[error("{0}")]
    Plugin(String),
}

/// The trust store type a signing scheme uses (§5.3).
pub fn store_type(scheme: SigningScheme) -> &'static str {
    match scheme {
        SigningScheme::X509 => "ca",
        SigningScheme::X509SigningAuthority => "signingAuthority",
    }
}

/// Load every store of `kind` named by the statement, once each, in order.
pub fn load_stores(
    stores: &dyn TrustStores,
    statement: &OciStatement,
    kind: &str,
) -> Result<Vec<Vec<u8>>, CheckError> {
    let mut seen: Vec<&str> = Vec::new();
    let mut certs = Vec::new();
    for entry in &statement.trust_stores {
        let Some((t, name)) = entry.split_once(':') else {
            continue;
        };
        if t != kind || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        certs.extend(stores.load(t, name).map_err(CheckError::TrustStore)?);
    }
    Ok(certs)
}

/// Authenticity, part 1 (§5.3): some chain certificate is byte-identical to a trust-store
/// certificate of the scheme's store type.
pub fn trust_store(
    stores: &dyn TrustStores,
    statement: &OciStatement,
    facts: &SignedFacts,
) -> Result<(), CheckError> {
    let anchors = load_stores(stores, statement, store_type(facts.signing_scheme))?;
    if anchors.is_empty() {
        return Err(CheckError::NoTrustedCertificates);
    }
    // A set: the chain comes from the envelope and may be long.
    let anchors: HashSet<&[u8]> = anchors.iter().map(Vec::as_slice).collect();
    let trusted = facts
        .chain
        .iter()
        .any(|c| anchors.contains(c.der.as_slice()));
    if trusted {
        Ok(())
    } else {
        Err(CheckError::Untrusted)
    }
}

/// Authenticity, part 2 (§3.7, §5.4): the leaf subject matches a trusted identity.
pub fn trusted_identity(statement: &OciStatement, leaf: &ChainCert) -> Result<(), CheckError> {
    if statement
        .trusted_identities
        .iter()
        .any(|i| i == identity::WILDCARD)
    {
        return Ok(());
    }
    let identities: Vec<DnMap> = crate::policy::x509_identities(&statement.trusted_identities);
    if identities.is_empty() {
        return Err(CheckError::NoX509Identities(statement.name.clone()));
    }
    let leaf_dn =
        identity::parse_dn(&leaf.subject).map_err(|e| CheckError::LeafSubject(e.to_string()))?;
    if identities
        .iter()
        .any(|id| identity::is_subset(id, &leaf_dn))
    {
        return Ok(());
    }
    Err(CheckError::IdentityMismatch {
        identities: crate::go::fmt::quote_maps(&identities),
        policy: statement.name.clone(),
    })
}

/// Expiry (§5.5): `now < expiry` when the signature has an expiry.
pub fn expiry(facts: &SignedFacts, now: OffsetDateTime) -> Result<(), CheckError> {
    match facts.expiry {
        Some(exp) if now >= exp => Err(CheckError::Expired(crate::go::time::rfc1123z(exp))),
        _ => Ok(()),
    }
}

/// Revocation (§5.7, §9) without network access: the root is never checked and a chain
/// whose other certificates carry no OCSP or CRL information is "non-revokable" (ok).
/// Anything else needs a [`crate::revocation::Validator`] (see `verifier::revocation`).
pub fn revocation(facts: &SignedFacts) -> Result<(), CheckError> {
    let non_root = facts.chain.len().saturating_sub(1);
    if facts.chain[..non_root]
        .iter()
        .any(|c| c.has_revocation_info)
    {
        return Err(CheckError::NoRevocationValidator);
    }
    Ok(())
}

/// The payload's target must be the artifact being verified (mediaType, digest, size).
pub fn target_artifact(facts: &SignedFacts, subject: &Descriptor) -> Result<(), CheckError> {
    let t = &facts.target;
    if t.media_type == subject.media_type && t.digest == subject.digest && t.size == subject.size {
        Ok(())
    } else {
        let mut payload = t.clone();
        if payload.annotations.is_none() && !facts.annotations.is_empty() {
            payload.annotations = Some(facts.annotations.clone());
        }
        Err(CheckError::TargetMismatch {
            payload: Box::new(payload),
        })
    }
}

/// Every `-m key=value` must be among the payload annotations with the same value.
pub fn user_metadata(facts: &SignedFacts, wanted: &[(String, String)]) -> Result<(), CheckError> {
    for (k, v) in wanted {
        if facts.annotations.get(k) != Some(v) {
            return Err(CheckError::UserMetadata {
                key: k.clone(),
                value: v.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SignatureVerification;
    use crate::verifier::timestamp::authentic_timestamp;
    use std::collections::BTreeMap;
    use time::macros::datetime;

    fn cert(name: &str, der: &[u8], from: OffsetDateTime, to: OffsetDateTime) -> ChainCert {
        ChainCert {
            der: der.to_vec(),
            subject: format!("CN={name},O=Org,ST=WA,C=US"),
            not_before: from,
            not_after: to,
            has_revocation_info: false,
        }
    }

    fn facts() -> SignedFacts {
        let a = datetime!(2020-01-01 0:00 UTC);
        let b = datetime!(2050-01-01 0:00 UTC);
        SignedFacts {
            signing_scheme: SigningScheme::X509,
            chain: vec![
                cert("leaf", b"leaf", a, b),
                cert("int", b"int", a, b),
                cert("root", b"root", a, b),
            ],
            expiry: None,
            signing_time: Some(a),
            authentic_signing_time: None,
            has_timestamp: false,
            target: Descriptor {
                media_type: "m".into(),
                digest: "sha256:aa".into(),
                size: 3,
                ..Default::default()
            },
            annotations: BTreeMap::new(),
            signature_algorithm: String::new(),
            content: None,
        }
    }

    fn statement(stores: &[&str], identities: &[&str]) -> OciStatement {
        OciStatement {
            name: "p".into(),
            registry_scopes: vec!["*".into()],
            signature_verification: SignatureVerification {
                level: "strict".into(),
                ..Default::default()
            },
            trust_stores: stores.iter().map(|s| s.to_string()).collect(),
            trusted_identities: identities.iter().map(|s| s.to_string()).collect(),
        }
    }

    type StoreEntry = (
        &'static str,
        &'static str,
        Result<Vec<Vec<u8>>, TrustStoreFailure>,
    );

    struct Stores(Vec<StoreEntry>);

    impl TrustStores for Stores {
        fn load(&self, kind: &str, name: &str) -> Result<Vec<Vec<u8>>, TrustStoreFailure> {
            self.0
                .iter()
                .find(|(k, n, _)| *k == kind && *n == name)
                .map(|(_, _, r)| r.clone())
                .unwrap_or_else(|| {
                    Err(TrustStoreFailure {
                        message: format!("missing {kind}:{name}"),
                        not_exist: true,
                        inner: None,
                    })
                })
        }
    }

    #[test]
    fn trust_anchor_at_any_chain_position() {
        let f = facts();
        for anchor in [&b"root"[..], b"int", b"leaf"] {
            let stores = Stores(vec![(
                "ca",
                "s",
                Ok(vec![b"other".to_vec(), anchor.to_vec()]),
            )]);
            trust_store(&stores, &statement(&["ca:s"], &["*"]), &f).unwrap();
        }
        let stores = Stores(vec![("ca", "s", Ok(vec![b"other".to_vec()]))]);
        assert_eq!(
            trust_store(&stores, &statement(&["ca:s"], &["*"]), &f),
            Err(CheckError::Untrusted)
        );
    }

    #[test]
    fn store_type_follows_scheme() {
        let stores = Stores(vec![("signingAuthority", "s", Ok(vec![b"root".to_vec()]))]);
        let st = statement(&["signingAuthority:s", "tsa:t"], &["*"]);
        assert_eq!(
            trust_store(&stores, &st, &facts()),
            Err(CheckError::NoTrustedCertificates)
        );
        let mut f = facts();
        f.signing_scheme = SigningScheme::X509SigningAuthority;
        trust_store(&stores, &st, &f).unwrap();
    }

    #[test]
    fn store_errors_and_merging() {
        let st = statement(&["ca:a", "ca:missing"], &["*"]);
        let stores = Stores(vec![("ca", "a", Ok(vec![b"x".to_vec()]))]);
        assert!(matches!(
            trust_store(&stores, &st, &facts()),
            Err(CheckError::TrustStore(_))
        ));
        let st = statement(&["ca:a", "ca:b", "ca:a"], &["*"]);
        let stores = Stores(vec![
            ("ca", "a", Ok(vec![b"x".to_vec()])),
            ("ca", "b", Ok(vec![b"root".to_vec()])),
        ]);
        trust_store(&stores, &st, &facts()).unwrap();
    }

    #[test]
    fn identities() {
        let leaf = &facts().chain[0];
        trusted_identity(&statement(&[], &["*"]), leaf).unwrap();
        trusted_identity(&statement(&[], &["x509.subject: C=US, ST=WA, O=Org"]), leaf).unwrap();
        trusted_identity(
            &statement(&[], &["x509.subject: O=Org, CN=leaf, S=WA, C=US"]),
            leaf,
        )
        .unwrap();
        trusted_identity(
            &statement(
                &[],
                &[
                    "x509.subject: C=US, ST=WA, O=Other",
                    "x509.subject: C=US, ST=WA, O=Org, CN=leaf",
                ],
            ),
            leaf,
        )
        .unwrap();
        let e = trusted_identity(
            &statement(&[], &["x509.subject: C=US, ST=WA, O=Org, CN=int"]),
            leaf,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "signing certificate from the digital signature does not match the X.509 trusted identities [map[\"C\":\"US\" \"CN\":\"int\" \"O\":\"Org\" \"ST\":\"WA\"]] defined in the trust policy \"p\"");
        assert_eq!(
            trusted_identity(&statement(&[], &["x509.subject: C=US, ST=WA, O=org"]), leaf)
                .unwrap_err(),
            CheckError::IdentityMismatch {
                identities: "[map[\"C\":\"US\" \"O\":\"org\" \"ST\":\"WA\"]]".into(),
                policy: "p".into()
            }
        );
        assert_eq!(
            trusted_identity(&statement(&[], &["plugin:x"]), leaf),
            Err(CheckError::NoX509Identities("p".into()))
        );
        // A leaf with an attribute Go prints as a dotted OID never matches.
        let mut odd = leaf.clone();
        odd.subject = "1.2.840.113549.1.9.1=#0c0161,CN=x,O=Org,ST=WA,C=US".into();
        assert!(matches!(
            trusted_identity(&statement(&[], &["x509.subject: C=US, ST=WA, O=Org"]), &odd),
            Err(CheckError::LeafSubject(_))
        ));
        // Escaped characters in the leaf subject round-trip.
        let mut esc = leaf.clone();
        esc.subject = r"CN=a\, b,O=Org\+1,ST=WA,C=US".into();
        trusted_identity(
            &statement(&[], &[r"x509.subject: C=US, ST=WA, O=Org\+1, CN=a\, b"]),
            &esc,
        )
        .unwrap();
    }

    #[test]
    fn expiry_boundaries() {
        let mut f = facts();
        let now = datetime!(2030-01-01 0:00 UTC);
        expiry(&f, now).unwrap();
        f.expiry = Some(now + time::Duration::seconds(1));
        expiry(&f, now).unwrap();
        f.expiry = Some(now);
        assert_eq!(
            expiry(&f, now),
            Err(CheckError::Expired(
                "Tue, 01 Jan 2030 00:00:00 +0000".into()
            ))
        );
    }

    #[test]
    fn cert_validity_now() {
        let st = statement(&["ca:a"], &["*"]);
        let f = facts();
        authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2030-01-01 0:00 UTC)).unwrap();
        authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2050-01-01 0:00 UTC)).unwrap();
        let e = authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2050-01-01 0:00:01 UTC))
            .unwrap_err();
        assert_eq!(e.to_string(), "verification time is after certificate \"CN=leaf,O=Org,ST=WA,C=US\" validity period, it was expired at \"Sat, 01 Jan 2050 00:00:00 +0000\"");
        let e = authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2019-01-01 0:00 UTC))
            .unwrap_err();
        assert!(matches!(e, CheckError::CertNotYetValid { .. }));
    }

    #[test]
    fn tsa_store_triggers_timestamp_rules() {
        let now = datetime!(2030-01-01 0:00 UTC);
        let mut st = statement(&["ca:a", "tsa:t"], &["*"]);
        let f = facts();
        assert_eq!(
            authentic_timestamp(&Stores(vec![]), &st, &f, now),
            Err(CheckError::NoTimestamp)
        );
        // afterCertExpiry with an unexpired chain: plain validity check at now.
        st.signature_verification.verify_timestamp = "afterCertExpiry".into();
        authentic_timestamp(&Stores(vec![]), &st, &f, now).unwrap();
        assert_eq!(
            authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2051-01-01 0:00 UTC)),
            Err(CheckError::NoTimestamp)
        );
    }

    #[test]
    fn signing_authority_uses_authentic_signing_time() {
        let st = statement(&["signingAuthority:a", "tsa:t"], &["*"]);
        let mut f = facts();
        f.signing_scheme = SigningScheme::X509SigningAuthority;
        f.authentic_signing_time = Some(datetime!(2030-01-01 0:00 UTC));
        // "now" is irrelevant for this scheme, and no timestamp is required.
        authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2060-01-01 0:00 UTC)).unwrap();
        f.authentic_signing_time = Some(datetime!(2051-01-01 0:00 UTC));
        let e = authentic_timestamp(&Stores(vec![]), &st, &f, datetime!(2030-01-01 0:00 UTC))
            .unwrap_err();
        assert_eq!(e.to_string(), "certificate \"CN=leaf,O=Org,ST=WA,C=US\" was not valid when the digital signature was produced at \"Sun, 01 Jan 2051 00:00:00 +0000\"");
    }

    #[test]
    fn revocation_non_revokable_is_ok() {
        let mut f = facts();
        revocation(&f).unwrap();
        f.chain[2].has_revocation_info = true; // the root is never checked
        revocation(&f).unwrap();
        f.chain[1].has_revocation_info = true;
        assert_eq!(revocation(&f), Err(CheckError::NoRevocationValidator));
    }

    #[test]
    fn binding_checks() {
        let mut f = facts();
        let subject = f.target.clone();
        target_artifact(&f, &subject).unwrap();
        let mut other = subject.clone();
        other.size = 4;
        assert!(matches!(
            target_artifact(&f, &other),
            Err(CheckError::TargetMismatch { payload }) if payload.same_content(&subject)
        ));
        let mut annotated = subject.clone();
        annotated.annotations = Some([("a".to_string(), "b".to_string())].into());
        target_artifact(&f, &annotated).unwrap();
        f.annotations.insert("env".into(), "prod".into());
        user_metadata(&f, &[("env".into(), "prod".into())]).unwrap();
        assert!(user_metadata(&f, &[("env".into(), "Prod".into())]).is_err());
        assert!(user_metadata(&f, &[("Env".into(), "prod".into())]).is_err());
        assert!(user_metadata(
            &f,
            &[("env".into(), "prod".into()), ("x".into(), "y".into())]
        )
        .is_err());
    }
}
