//! The blob trust policy document (`trustpolicy.blob.json`, verification.md §3.3, §3.6).

use super::{
    validate_statements, CoreRef, DocumentRules, PolicyError, PolicyFile, SignatureVerification,
    ValidationError,
};
use crate::go::fmt::GoQuoted;
use crate::go::json::decode::{self as godecode, DecodeError, Json};

/// A blob trust policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobDocument {
    /// `version` (`1.0`).
    pub version: String,
    /// `trustPolicies`.
    pub trust_policies: Vec<BlobStatement>,
}

/// One statement of a blob trust policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobStatement {
    /// `name`.
    pub name: String,
    /// `signatureVerification`.
    pub signature_verification: SignatureVerification,
    /// `trustStores` (`type:name`).
    pub trust_stores: Vec<String>,
    /// `trustedIdentities`.
    pub trusted_identities: Vec<String>,
    /// `globalPolicy`: the statement used when none is named.
    pub global_policy: bool,
}

/// No blob statement applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobSelectError {
    #[error("no applicable blob trust policy with name {}", GoQuoted(.0))]
    /// No statement has that name.
    NotFound(String),
    #[error("policy name cannot be empty")]
    /// An empty statement name was asked for.
    EmptyName,
    #[error("no global blob trust policy")]
    /// No statement is the global one.
    NoGlobal,
}

impl BlobDocument {
    /// Decode `bytes` with Go's decoder semantics (not validated).
    pub fn parse(bytes: &[u8]) -> Result<BlobDocument, DecodeError> {
        let (version, trust_policies) =
            super::policy_document(bytes, "trustpolicy.BlobDocument", BlobStatement::decode)?;
        Ok(BlobDocument {
            version,
            trust_policies,
        })
    }

    /// Decode `bytes` as Go's `json.Unmarshal` does for `policy import`: the file must hold
    /// exactly one JSON value, then [`BlobDocument::parse`] applies.
    pub fn parse_exact(bytes: &[u8]) -> Result<BlobDocument, DecodeError> {
        super::parse_exact(bytes, BlobDocument::parse)
    }

    /// Decode and validate the policy in `file`.
    pub fn from_file(file: &PolicyFile) -> Result<BlobDocument, PolicyError> {
        super::decode_valid(file, BlobDocument::parse, BlobDocument::validate)
    }

    /// Load `{NOTATION_CONFIG}/trustpolicy.blob.json`.
    pub fn load(dirs: &crate::config::Dirs) -> Result<(BlobDocument, PolicyFile), PolicyError> {
        super::load_document(&dirs.trust_policy_blob_json(), BlobDocument::from_file)
    }

    /// Rules 1–8 and 13 of verification.md §3.4 (a global `skip` statement is accepted, as
    /// notation-go's check for it never fires).
    pub fn validate(&self) -> Result<(), ValidationError> {
        const RULES: DocumentRules = DocumentRules {
            empty_version: ValidationError::BlobEmptyVersion,
            unsupported_version: ValidationError::BlobUnsupportedVersion,
            no_statements: ValidationError::BlobNoStatements,
            duplicate_name: ValidationError::BlobDuplicateName,
            statement: ValidationError::BlobStatement,
        };
        let mut global = false;
        validate_statements(
            &self.version,
            &self.trust_policies,
            &RULES,
            BlobStatement::core,
            |s| {
                if s.global_policy {
                    if global {
                        return Err(ValidationError::MultipleGlobal);
                    }
                    global = true;
                }
                Ok(())
            },
        )
    }

    /// The statement named `name`, or the global one when `name` is `None` (§3.6).
    pub fn applicable(&self, name: Option<&str>) -> Result<&BlobStatement, BlobSelectError> {
        match name {
            Some(n) if n.trim().is_empty() => Err(BlobSelectError::EmptyName),
            Some(n) => self
                .trust_policies
                .iter()
                .find(|s| s.name == n)
                .ok_or_else(|| BlobSelectError::NotFound(n.to_string())),
            None => self
                .trust_policies
                .iter()
                .find(|s| s.global_policy)
                .ok_or(BlobSelectError::NoGlobal),
        }
    }
}

impl BlobStatement {
    fn decode(v: &Json, dst: &mut BlobStatement) -> Result<(), DecodeError> {
        godecode::object(v, "trustpolicy.BlobTrustPolicy", |k, val| {
            if godecode::key_matches(k, "name") {
                godecode::string(val, &mut dst.name)
            } else if godecode::key_matches(k, "signatureVerification") {
                SignatureVerification::decode(val, &mut dst.signature_verification)
            } else if godecode::key_matches(k, "trustStores") {
                godecode::string_slice(val, &mut dst.trust_stores)
            } else if godecode::key_matches(k, "trustedIdentities") {
                godecode::string_slice(val, &mut dst.trusted_identities)
            } else if godecode::key_matches(k, "globalPolicy") {
                godecode::boolean(val, &mut dst.global_policy)
            } else {
                Ok(())
            }
        })
    }

    fn core(&self) -> CoreRef<'_> {
        CoreRef {
            name: &self.name,
            signature_verification: &self.signature_verification,
            trust_stores: &self.trust_stores,
            trusted_identities: &self.trusted_identities,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> BlobDocument {
        BlobDocument::parse(
            br#"{"version":"1.0","trustPolicies":[
            {"name":"a","signatureVerification":{"level":"strict"},"trustStores":["ca:x"],"trustedIdentities":["*"]},
            {"name":"g","signatureVerification":{"level":"skip"},"globalPolicy":true}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn validates_and_selects() {
        let d = doc();
        d.validate().unwrap();
        assert_eq!(d.applicable(Some("a")).unwrap().name, "a");
        assert_eq!(d.applicable(None).unwrap().name, "g");
        assert_eq!(
            d.applicable(Some("zz")),
            Err(BlobSelectError::NotFound("zz".into()))
        );
        assert_eq!(d.applicable(Some(" ")), Err(BlobSelectError::EmptyName));
        // notation-go's texts.
        assert_eq!(
            BlobSelectError::NotFound("zz".into()).to_string(),
            "no applicable blob trust policy with name \"zz\""
        );
        assert_eq!(
            BlobSelectError::NoGlobal.to_string(),
            "no global blob trust policy"
        );
    }

    #[test]
    fn rules() {
        let mut d = doc();
        d.trust_policies[0].global_policy = true;
        assert_eq!(d.validate(), Err(ValidationError::MultipleGlobal));
        let mut d = doc();
        d.trust_policies[1].name = "a".into();
        assert_eq!(
            d.validate(),
            Err(ValidationError::BlobDuplicateName("a".into()))
        );
        let mut d = doc();
        d.trust_policies[1].global_policy = false;
        d.validate().unwrap();
        assert_eq!(d.applicable(None), Err(BlobSelectError::NoGlobal));
        assert!(BlobDocument::parse(br#"{"trustPolicies":[{"globalPolicy":"yes"}]}"#).is_err());
    }
}
