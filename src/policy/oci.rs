//! The OCI trust policy document (`trustpolicy.oci.json` / `trustpolicy.json`).

use super::identity::WILDCARD;
use super::{
    validate_statements, CoreRef, DocumentRules, PolicyError, PolicyFile, ScopeError,
    SignatureVerification, ValidationError,
};
use crate::go::json::decode::{self as godecode, DecodeError, Json};
use std::collections::HashSet;

/// An OCI trust policy document, as written (see [`OciDocument::validate`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OciDocument {
    /// `version` (`1.0`).
    pub version: String,
    /// `trustPolicies`.
    pub trust_policies: Vec<OciStatement>,
}

/// One statement of an OCI trust policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OciStatement {
    /// `name`.
    pub name: String,
    /// `registryScopes`.
    pub registry_scopes: Vec<String>,
    /// `signatureVerification`.
    pub signature_verification: SignatureVerification,
    /// `trustStores` (`type:name`).
    pub trust_stores: Vec<String>,
    /// `trustedIdentities`.
    pub trusted_identities: Vec<String>,
}

impl OciStatement {
    /// The statement as Go's `%+v` prints notation-go's `*TrustPolicy`, which the `-v` log
    /// line "Trust policy configuration: …" embeds.
    pub fn go_debug(&self) -> String {
        use crate::go::fmt::{map_v, slice_v};
        let sv = &self.signature_verification;
        format!(
            "&{{Name:{} RegistryScopes:{} SignatureVerification:{{VerificationLevel:{} Override:{} VerifyTimestamp:{}}} TrustStores:{} TrustedIdentities:{}}}",
            self.name,
            slice_v(&self.registry_scopes),
            sv.level,
            map_v(sv.overrides.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            sv.verify_timestamp,
            slice_v(&self.trust_stores),
            slice_v(&self.trusted_identities),
        )
    }
}

impl OciDocument {
    /// Decode `bytes` with Go's decoder semantics (not validated).
    pub fn parse(bytes: &[u8]) -> Result<OciDocument, DecodeError> {
        let (version, trust_policies) =
            super::policy_document(bytes, "trustpolicy.OCIDocument", OciStatement::decode)?;
        Ok(OciDocument {
            version,
            trust_policies,
        })
    }

    /// Decode `bytes` as Go's `json.Unmarshal` does for `policy import`: the file must hold
    /// exactly one JSON value, then [`OciDocument::parse`] applies.
    pub fn parse_exact(bytes: &[u8]) -> Result<OciDocument, DecodeError> {
        super::parse_exact(bytes, OciDocument::parse)
    }

    /// Read, decode and validate the policy at `file`.
    pub fn from_file(file: &PolicyFile) -> Result<OciDocument, PolicyError> {
        super::decode_valid(file, OciDocument::parse, OciDocument::validate)
    }

    /// Load the OCI policy in effect for `dirs` (see [`super::oci_policy_path`]): read,
    /// decode, validate. Returns the file too (for its BOM warning).
    pub fn load(dirs: &crate::config::Dirs) -> Result<(OciDocument, PolicyFile), PolicyError> {
        super::load_document(&super::oci_policy_path(dirs), OciDocument::from_file)
    }

    /// notation-go v1.3.2 `OCIDocument.Validate` (verification.md §3.4).
    pub fn validate(&self) -> Result<(), ValidationError> {
        const RULES: DocumentRules = DocumentRules {
            empty_version: ValidationError::EmptyVersion,
            unsupported_version: ValidationError::UnsupportedVersion,
            no_statements: ValidationError::NoStatements,
            duplicate_name: ValidationError::DuplicateName,
            statement: ValidationError::Statement,
        };
        validate_statements(
            &self.version,
            &self.trust_policies,
            &RULES,
            OciStatement::core,
            |_| Ok(()),
        )?;
        self.validate_registry_scopes()
    }

    fn validate_registry_scopes(&self) -> Result<(), ValidationError> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut duplicate: Option<&str> = None;
        for s in &self.trust_policies {
            if s.registry_scopes.is_empty() {
                return Err(ValidationError::NoRegistryScopes(s.name.clone()));
            }
            if s.registry_scopes.len() > 1 && s.registry_scopes.iter().any(|x| x == WILDCARD) {
                return Err(ValidationError::WildcardScopeMixed(s.name.clone()));
            }
            for scope in &s.registry_scopes {
                if scope != WILDCARD {
                    validate_scope_format(scope)?;
                }
                if !seen.insert(scope) {
                    duplicate.get_or_insert(scope);
                }
            }
        }
        match duplicate {
            Some(d) => Err(ValidationError::DuplicateScope(d.to_string())),
            None => Ok(()),
        }
    }

    /// The statement that applies to `reference` (`<scope>@<digest>`), per
    /// verification.md §3.5: an exact scope match wins over `*`.
    pub fn applicable(&self, reference: &str) -> Result<&OciStatement, ScopeError> {
        let Some((scope, _)) = reference.rsplit_once('@') else {
            return Err(ScopeError::NoDigest(reference.to_string()));
        };
        validate_scope_format(scope)?;
        let mut wildcard = None;
        let mut exact = None;
        for s in &self.trust_policies {
            if s.registry_scopes.iter().any(|x| x == WILDCARD) {
                wildcard = Some(s);
            } else if s.registry_scopes.iter().any(|x| x == scope) {
                exact = Some(s);
            }
        }
        exact
            .or(wildcard)
            .ok_or_else(|| ScopeError::NoApplicableStatement(reference.to_string()))
    }
}

impl OciStatement {
    fn decode(v: &Json, dst: &mut OciStatement) -> Result<(), DecodeError> {
        godecode::object(v, "trustpolicy.OCITrustPolicy", |k, val| {
            if godecode::key_matches(k, "name") {
                godecode::string(val, &mut dst.name)
            } else if godecode::key_matches(k, "registryScopes") {
                godecode::string_slice(val, &mut dst.registry_scopes)
            } else if godecode::key_matches(k, "signatureVerification") {
                SignatureVerification::decode(val, &mut dst.signature_verification)
            } else if godecode::key_matches(k, "trustStores") {
                godecode::string_slice(val, &mut dst.trust_stores)
            } else if godecode::key_matches(k, "trustedIdentities") {
                godecode::string_slice(val, &mut dst.trusted_identities)
            } else {
                Ok(())
            }
        })
    }

    pub(crate) fn core(&self) -> CoreRef<'_> {
        CoreRef {
            name: &self.name,
            signature_verification: &self.signature_verification,
            trust_stores: &self.trust_stores,
            trusted_identities: &self.trusted_identities,
        }
    }

    /// The effective verification level (valid for a validated document).
    pub fn level(&self) -> super::VerificationLevel {
        self.signature_verification
            .level()
            .unwrap_or(super::VerificationLevel::STRICT)
    }
}

/// notation-go's domain pattern, matched by hand (compiling the regex cost more than the
/// rest of policy validation): dot-separated labels of ASCII letters and digits with inner
/// hyphens, then an optional `:port` of digits.
/// `^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:…))+)?(?::[0-9]+)?$`
fn is_domain(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    host.split('.').all(label_ok)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// notation-go's repository pattern, matched by hand: `/`-separated components of lower-case
/// letters and digits, joined inside a component by one `.`, one `_`, `__`, or any number of
/// `-`. `^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:/[a-z0-9]+(?:…)?)+)?$`
fn is_repository(s: &str) -> bool {
    s.split('/').all(|component| {
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        let b = component.as_bytes();
        if b.is_empty() || !alnum(&b[0]) || !alnum(&b[b.len() - 1]) {
            return false;
        }
        // Runs of separators between alphanumerics: ".", "_", "__" or "-"+.
        let mut i = 0;
        while i < b.len() {
            if alnum(&b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && !alnum(&b[i]) {
                i += 1;
            }
            match &b[start..i] {
                b"." | b"_" | b"__" => {}
                run if run.iter().all(|c| *c == b'-') => {}
                _ => return false,
            }
        }
        true
    })
}

/// notation-go `validateRegistryScopeFormat`: rule 11 of verification.md §3.4.
pub(crate) fn validate_scope_format(scope: &str) -> Result<(), ScopeError> {
    if scope.len() > 1 && scope.contains('*') {
        return Err(ScopeError::Wildcard(scope.to_string()));
    }
    let Some((domain, repository)) = scope.split_once('/') else {
        return Err(ScopeError::Invalid(scope.to_string()));
    };
    if domain.is_empty()
        || repository.is_empty()
        || !is_domain(domain)
        || !is_repository(repository)
    {
        return Err(ScopeError::Invalid(scope.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// The hand matchers accept exactly what notation-go's regexes accept.
        #[test]
        fn scope_matchers_agree_with_notation_go_regexes(s in "[a-zA-Z0-9._:/-]{0,12}") {
            let domain = regex::Regex::new(r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$").unwrap();
            let repository = regex::Regex::new(r"^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$").unwrap();
            proptest::prop_assert_eq!(is_domain(&s), domain.is_match(&s), "domain {:?}", s);
            proptest::prop_assert_eq!(is_repository(&s), repository.is_match(&s), "repository {:?}", s);
        }
    }

    #[test]
    fn scope_matchers_on_chosen_cases() {
        for ok in ["a", "a.b", "reg-1.example.com:5000", "1:1", "A-b.C"] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a..b", "a:", "a:b", "a:1:2", ".a", "a_b"] {
            assert!(!is_domain(bad), "{bad}");
        }
        for ok in ["a", "a/b", "a.b_c__d---e", "net-monitor", "x/y/z0"] {
            assert!(is_repository(ok), "{ok}");
        }
        for bad in ["", "A", "a//b", "a___b", "a._b", "-a", "a-", "a/", "a..b"] {
            assert!(!is_repository(bad), "{bad}");
        }
    }

    const VALID: &str = r#"{
        "version": "1.0",
        "trustPolicies": [{
            "name": "p",
            "registryScopes": ["registry.acme-rockets.io/software/net-monitor"],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:acme"],
            "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme"]
        }]
    }"#;

    type Edit = dyn Fn(&mut OciStatement);

    fn doc() -> OciDocument {
        OciDocument::parse(VALID.as_bytes()).unwrap()
    }

    fn err(d: &OciDocument) -> String {
        d.validate().unwrap_err().to_string()
    }

    #[test]
    fn parses_and_validates() {
        let d = doc();
        d.validate().unwrap();
        assert_eq!(d.trust_policies[0].trust_stores, vec!["ca:acme"]);
    }

    /// Issue 9 §3 review: names and scopes were checked against lists of every earlier
    /// one; a document of many statements is now checked in one pass, same results.
    #[test]
    fn quadratic_statement_name_and_scope_checks() {
        let statement = |i: usize, name: usize| {
            format!(
                r#"{{"name":"p{name}","registryScopes":["r.io/x{i}"],"signatureVerification":{{"level":"skip"}}}}"#
            )
        };
        let many = |last: String| {
            let mut all: Vec<String> = (0..50_000).map(|i| statement(i, i)).collect();
            all.push(last);
            let doc = format!(r#"{{"version":"1.0","trustPolicies":[{}]}}"#, all.join(","));
            OciDocument::parse(doc.as_bytes()).unwrap()
        };
        assert!(matches!(
            many(statement(50_000, 7)).validate(),
            Err(ValidationError::DuplicateName(n)) if n == "p7"
        ));
        assert!(matches!(
            many(statement(7, 50_000)).validate(),
            Err(ValidationError::DuplicateScope(s)) if s == "r.io/x7"
        ));
        many(statement(50_000, 50_000)).validate().unwrap();
    }

    #[test]
    fn go_decoder_semantics() {
        let d = OciDocument::parse(
            br#"{"VERSION":"2.0","version":"1.0","TrustPolicies":[{"NAME":"x","registryscopes":["*"],
            "signatureVerification":{"level":"audit","override":{"expiry":"log"}},
            "signatureverification":{"override":{"authenticity":"enforce"}},
            "trustStores":["ca:a"],"trustedIdentities":["*"],"unknown":{"deep":[1,2]}}]} trailing"#,
        )
        .unwrap();
        d.validate().unwrap();
        let s = &d.trust_policies[0];
        assert_eq!(s.name, "x");
        assert_eq!(s.signature_verification.level, "audit");
        assert_eq!(s.signature_verification.overrides.len(), 2);
        assert!(OciDocument::parse(br#"{"version":1}"#).is_err());
        assert!(OciDocument::parse(br#"[]"#).is_err());
        assert!(OciDocument::parse(
            br#"{"version": "1.0", "trustPolicies": [ {"name": "truncated", "#
        )
        .is_err());
        assert_eq!(OciDocument::parse(b"null").unwrap(), OciDocument::default());
    }

    #[test]
    fn document_rules() {
        let mut d = doc();
        d.version = String::new();
        assert_eq!(
            err(&d),
            "trust policy document has empty version, version must be specified"
        );
        d.version = "2.0".into();
        assert_eq!(
            err(&d),
            "trust policy document uses unsupported version \"2.0\""
        );
        let mut d = doc();
        d.trust_policies.clear();
        assert_eq!(
            err(&d),
            "trust policy document can not have zero trust policy statements"
        );
        let mut d = doc();
        let mut second = d.trust_policies[0].clone();
        second.registry_scopes = vec!["registry.acme-rockets.io/software/other".into()];
        d.trust_policies.push(second);
        assert_eq!(err(&d), "multiple trust policy statements use the same name \"p\", statement names must be unique");
    }

    #[test]
    fn statement_rules() {
        let cases: Vec<(Box<Edit>, &str)> = vec![
            (Box::new(|s| s.name.clear()), "trust policy: a trust policy statement is missing a name, every statement requires a name"),
            (Box::new(|s| s.signature_verification.level = "paranoid".into()), "trust policy: trust policy statement \"p\" has invalid signatureVerification: invalid signature verification level \"paranoid\""),
            (Box::new(|s| s.signature_verification.level.clear()), "trust policy: trust policy statement \"p\" has invalid signatureVerification: signature verification level is empty or missing in the trust policy statement"),
            (Box::new(|s| s.signature_verification.verify_timestamp = "never".into()), "trust policy: trust policy statement \"p\" has invalid signatureVerification: verifyTimestamp must be \"always\" or \"afterCertExpiry\", but got \"never\""),
            (Box::new(|s| s.signature_verification.overrides = vec![("integrity".into(), "log".into())]), "trust policy: trust policy statement \"p\" has invalid signatureVerification: \"integrity\" verification can not be overridden in custom signature verification"),
            (Box::new(|s| s.signature_verification.level = "skip".into()), "trust policy: trust policy statement \"p\" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped"),
            (Box::new(|s| s.trust_stores.clear()), "trust policy: trust policy statement \"p\" is either missing trust stores or trusted identities, both must be specified"),
            (Box::new(|s| s.trusted_identities.clear()), "trust policy: trust policy statement \"p\" is either missing trust stores or trusted identities, both must be specified"),
            (Box::new(|s| s.trust_stores = vec!["ca".into()]), "trust policy: trust policy statement \"p\" has malformed trust store value \"ca\". The required format is <TrustStoreType>:<TrustStoreName>"),
            (Box::new(|s| s.trust_stores = vec!["tls:x".into()]), "trust policy: trust policy statement \"p\" uses an unsupported trust store type \"tls\" in trust store value \"tls:x\""),
            (Box::new(|s| s.trust_stores = vec!["ca:".into()]), "trust policy: trust policy statement \"p\" uses an unsupported trust store name \"\" in trust store value \"ca:\". Named store name needs to follow [a-zA-Z0-9_.-]+ format"),
            (Box::new(|s| s.trust_stores = vec!["ca:a/b".into()]), "trust policy: trust policy statement \"p\" uses an unsupported trust store name \"a/b\" in trust store value \"ca:a/b\". Named store name needs to follow [a-zA-Z0-9_.-]+ format"),
            (Box::new(|s| s.trusted_identities = vec!["*".into(), "x509.subject: C=US, ST=WA, O=x".into()]), "trust policy: trust policy statement \"p\" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values"),
            (Box::new(|s| s.trusted_identities = vec!["".into()]), "trust policy: trust policy statement \"p\" has an empty trusted identity"),
            (Box::new(|s| s.trusted_identities = vec!["x509.subject".into()]), "trust policy: trust policy statement \"p\" has trusted identity \"x509.subject\" missing separator"),
            (Box::new(|s| s.trusted_identities = vec!["x509.subject:".into()]), "trust policy: trust policy statement \"p\" has trusted identity \"x509.subject:\" without an identity value"),
            (Box::new(|s| s.trusted_identities = vec!["x509.subject: C=US, O=x".into()]), "trust policy: trust policy statement \"p\" has trusted identity \"x509.subject: C=US, O=x\" with invalid identity value: distinguished name (DN) \" C=US, O=x\" has no mandatory RDN attribute for \"ST\", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"),
            (Box::new(|s| s.trusted_identities = vec!["x509.subject: C=US, ST=WA, O=x".into(), "x509.subject: C=US, ST=WA, O=x, CN=y".into()]), "trust policy: trust policy statement \"p\" has overlapping x509 trustedIdentities, \"x509.subject: C=US, ST=WA, O=x\" overlaps with \"x509.subject: C=US, ST=WA, O=x, CN=y\""),
            (Box::new(|s| s.trusted_identities = vec!["x509.subject: C=US, ST=WA, O=x, CN=y".into(), "x509.subject: CN=y, C=US, ST=WA, O=x".into()]), "trust policy: trust policy statement \"p\" has overlapping x509 trustedIdentities, \"x509.subject: C=US, ST=WA, O=x, CN=y\" overlaps with \"x509.subject: CN=y, C=US, ST=WA, O=x\""),
            (Box::new(|s| s.registry_scopes.clear()), "trust policy statement \"p\" has zero registry scopes, it must specify registry scopes with at least one value"),
            (Box::new(|s| s.registry_scopes.push("*".into())), "trust policy statement \"p\" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values"),
            (Box::new(|s| s.registry_scopes = vec!["example.com/*".into()]), "registry scope \"example.com/*\" with wild card(s) is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout"),
            (Box::new(|s| s.registry_scopes = vec!["example.com/Repo".into()]), "registry scope \"example.com/Repo\" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout"),
            (Box::new(|s| s.registry_scopes = vec!["a/b".into(), "a/b".into()]), "registry scope \"a/b\" is present in multiple trust policy statements, one registry scope value can only be associated with one statement"),
        ];
        for (edit, want) in cases {
            let mut d = doc();
            edit(&mut d.trust_policies[0]);
            assert_eq!(err(&d), want);
        }
    }

    #[test]
    fn valid_variants() {
        let ok: Vec<Box<Edit>> = vec![
            Box::new(|s| {
                s.signature_verification.level = "skip".into();
                s.trust_stores.clear();
                s.trusted_identities.clear();
            }),
            Box::new(|s| s.trusted_identities = vec!["plugin.thing:anything goes".into()]),
            Box::new(|s| {
                s.trusted_identities = vec![
                    "x509.subject: C=US, ST=WA, O=x".into(),
                    "x509.subject: C=US, ST=WA, O=y".into(),
                ]
            }),
            Box::new(|s| {
                s.trust_stores = vec!["tsa:t".into(), "signingAuthority:s".into(), "ca:ca".into()]
            }),
            Box::new(|s| s.signature_verification.verify_timestamp = "afterCertExpiry".into()),
            Box::new(|s| {
                s.signature_verification.overrides = vec![("revocation".into(), "skip".into())]
            }),
        ];
        for edit in ok {
            let mut d = doc();
            edit(&mut d.trust_policies[0]);
            d.validate().unwrap();
        }
    }

    #[test]
    fn scope_formats() {
        for ok in [
            "example.com/rep",
            "example.com:8080/rep/rep2",
            "10.10.10.10:8080/rep/rep2",
            "domain/rep",
            "local/my-layout",
            "a/b__c",
            "a/b---c",
        ] {
            validate_scope_format(ok).unwrap();
        }
        for bad in [
            "",
            "1:1",
            "abcd",
            "example.com/rep:tag",
            "example.com",
            "local",
            "local/Policy-Scopes",
            "https://x/y",
            "x/y@sha256:00",
            "-a/b",
            "a/b_",
        ] {
            assert_eq!(
                validate_scope_format(bad),
                Err(ScopeError::Invalid(bad.into())),
                "{bad}"
            );
        }
        for bad in ["example.com/*", "*/", "ex*test"] {
            assert_eq!(
                validate_scope_format(bad),
                Err(ScopeError::Wildcard(bad.into()))
            );
        }
    }

    #[test]
    fn scope_selection() {
        let d = OciDocument::parse(
            br#"{"version":"1.0","trustPolicies":[
            {"name":"any","registryScopes":["*"],"signatureVerification":{"level":"skip"}},
            {"name":"exact","registryScopes":["local/a","local/b"],"signatureVerification":{"level":"skip"}}]}"#,
        )
        .unwrap();
        d.validate().unwrap();
        assert_eq!(d.applicable("local/a@sha256:00").unwrap().name, "exact");
        assert_eq!(d.applicable("local/b@sha256:00").unwrap().name, "exact");
        assert_eq!(d.applicable("local/c@sha256:00").unwrap().name, "any");
        assert_eq!(
            d.applicable("local/a@x@sha256:00"),
            Err(ScopeError::Invalid("local/a@x".into()))
        );
        assert_eq!(
            d.applicable("local/a"),
            Err(ScopeError::NoDigest("local/a".into()))
        );
        assert_eq!(
            d.applicable("local@sha256:00"),
            Err(ScopeError::Invalid("local".into()))
        );
        let only_exact = OciDocument {
            trust_policies: vec![d.trust_policies[1].clone()],
            ..d.clone()
        };
        let e = only_exact.applicable("local/c@sha256:00").unwrap_err();
        assert_eq!(e.to_string(), "artifact \"local/c@sha256:00\" has no applicable trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy");
        // Exact match is case-sensitive and not normalised.
        assert_eq!(
            only_exact
                .applicable("docker.io/local/a@sha256:00")
                .unwrap_err(),
            ScopeError::NoApplicableStatement("docker.io/local/a@sha256:00".into())
        );
    }
}
