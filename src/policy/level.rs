//! Verification levels (verification.md §1.2): the checks, the actions a failed check can
//! take, the preset levels and a statement's `signatureVerification` object with its
//! overrides, validated with notation-go's texts.

use crate::go::fmt::GoQuoted;
use crate::go::json::decode::{self as godecode, DecodeError, Json};
use std::fmt;

/// The five validations of verification.md §1.1, in upstream's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckType {
    /// The signature envelope is intact.
    Integrity,
    /// The signer is trusted (trust stores and identities).
    Authenticity,
    /// The timestamp is trusted.
    AuthenticTimestamp,
    /// The signature has not expired.
    Expiry,
    /// No certificate is revoked.
    Revocation,
}

impl CheckType {
    /// All types, in upstream's order.
    pub const ALL: [CheckType; 5] = [
        CheckType::Integrity,
        CheckType::Authenticity,
        CheckType::AuthenticTimestamp,
        CheckType::Expiry,
        CheckType::Revocation,
    ];

    /// The policy key (`authenticTimestamp`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckType::Integrity => "integrity",
            CheckType::Authenticity => "authenticity",
            CheckType::AuthenticTimestamp => "authenticTimestamp",
            CheckType::Expiry => "expiry",
            CheckType::Revocation => "revocation",
        }
    }

    /// Parse a policy key (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<CheckType> {
        CheckType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CheckType {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed check does (verification.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A failure fails the verification.
    Enforce,
    /// A failure is logged only.
    Log,
    /// The check is not run.
    Skip,
}

impl Action {
    /// All actions, in upstream's order.
    pub const ALL: [Action; 3] = [Action::Enforce, Action::Log, Action::Skip];

    /// The policy value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Enforce => "enforce",
            Action::Log => "log",
            Action::Skip => "skip",
        }
    }

    /// Parse a policy value (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verification level: a name (`strict`, `permissive`, `audit`, `skip` or `custom`) and
/// the action for each check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationLevel {
    /// `strict`, `permissive`, `audit`, `skip` or `custom`.
    pub name: &'static str,
    actions: [Action; 5],
}

impl VerificationLevel {
    pub(crate) const STRICT: VerificationLevel = VerificationLevel {
        name: "strict",
        actions: [Action::Enforce; 5],
    };
    pub(crate) const PERMISSIVE: VerificationLevel = VerificationLevel {
        name: "permissive",
        actions: [
            Action::Enforce,
            Action::Enforce,
            Action::Log,
            Action::Log,
            Action::Log,
        ],
    };
    pub(crate) const AUDIT: VerificationLevel = VerificationLevel {
        name: "audit",
        actions: [
            Action::Enforce,
            Action::Log,
            Action::Log,
            Action::Log,
            Action::Log,
        ],
    };
    pub(crate) const SKIP: VerificationLevel = VerificationLevel {
        name: "skip",
        actions: [Action::Skip; 5],
    };

    /// The predefined levels, in upstream's order.
    pub(crate) const PRESETS: [VerificationLevel; 4] =
        [Self::STRICT, Self::PERMISSIVE, Self::AUDIT, Self::SKIP];

    /// The action for `check`.
    pub fn action(&self, check: CheckType) -> Action {
        self.actions[check.index()]
    }

    /// Whether this is the `skip` level (nothing is fetched or verified).
    pub fn is_skip(&self) -> bool {
        self.name == "skip"
    }
}

/// `verifyTimestamp` values.
pub(crate) const VERIFY_TIMESTAMP_ALWAYS: &str = "always";
/// `verifyTimestamp: afterCertExpiry`.
pub(crate) const VERIFY_TIMESTAMP_AFTER_CERT_EXPIRY: &str = "afterCertExpiry";

/// The `signatureVerification` object of a statement, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureVerification {
    /// `level`.
    pub level: String,
    /// `override`, in document order (duplicate keys merged, last value wins).
    pub overrides: Vec<(String, String)>,
    /// `verifyTimestamp` (empty when absent).
    pub verify_timestamp: String,
}

/// Why a `signatureVerification` object is invalid. Texts are notation-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    #[error("signature verification level is empty or missing in the trust policy statement")]
    /// No level given.
    Empty,
    #[error("invalid signature verification level {}", GoQuoted(.0))]
    /// Not one of the preset levels.
    Unknown(String),
    #[error(
        "signature verification level {} can't be used to customize signature verification", GoQuoted(.0)
    )]
    /// `skip` with an override.
    SkipWithOverride(String),
    #[error("verification type {} in custom signature verification is not supported, supported values are [\"integrity\" \"authenticity\" \"authenticTimestamp\" \"expiry\" \"revocation\"]", GoQuoted(.0))]
    /// An override names an unknown check.
    UnknownType(String),
    #[error("verification action {} in custom signature verification is not supported, supported values are [\"enforce\" \"log\" \"skip\"]", GoQuoted(.0))]
    /// An override names an unknown action.
    UnknownAction(String),
    #[error("{} verification can not be overridden in custom signature verification", GoQuoted(.0))]
    /// An override of the integrity check.
    IntegrityOverride(String),
    #[error("{} verification can not be skipped in custom signature verification", GoQuoted(.0))]
    /// An override skips a check other than revocation.
    SkipNotAllowed(String),
    #[error("verifyTimestamp must be \"always\" or \"afterCertExpiry\", but got {}", GoQuoted(.0))]
    /// `verifyTimestamp` is neither `always` nor `afterCertExpiry`.
    VerifyTimestamp(String),
}

impl SignatureVerification {
    /// The effective level: the base level with the overrides applied (named `custom`
    /// when there are any), per verification.md §1.3.
    pub fn level(&self) -> Result<VerificationLevel, LevelError> {
        if self.level.is_empty() {
            return Err(LevelError::Empty);
        }
        let base = VerificationLevel::PRESETS
            .into_iter()
            .find(|l| l.name == self.level)
            .ok_or_else(|| LevelError::Unknown(self.level.clone()))?;
        if self.overrides.is_empty() {
            return Ok(base);
        }
        if base.is_skip() {
            return Err(LevelError::SkipWithOverride(base.name.to_string()));
        }
        let mut custom = VerificationLevel {
            name: "custom",
            actions: base.actions,
        };
        for (key, value) in &self.overrides {
            let check =
                CheckType::parse(key).ok_or_else(|| LevelError::UnknownType(key.clone()))?;
            let action =
                Action::parse(value).ok_or_else(|| LevelError::UnknownAction(value.clone()))?;
            if check == CheckType::Integrity {
                return Err(LevelError::IntegrityOverride(key.clone()));
            }
            if check != CheckType::Revocation && action == Action::Skip {
                return Err(LevelError::SkipNotAllowed(key.clone()));
            }
            custom.actions[check.index()] = action;
        }
        Ok(custom)
    }

    /// Whether timestamps are verified only when a signing certificate has expired.
    pub(crate) fn verify_timestamp_after_cert_expiry(&self) -> bool {
        self.verify_timestamp == VERIFY_TIMESTAMP_AFTER_CERT_EXPIRY
    }

    pub(super) fn validate_verify_timestamp(&self) -> Result<(), LevelError> {
        match self.verify_timestamp.as_str() {
            "" | VERIFY_TIMESTAMP_ALWAYS | VERIFY_TIMESTAMP_AFTER_CERT_EXPIRY => Ok(()),
            other => Err(LevelError::VerifyTimestamp(other.to_string())),
        }
    }

    pub(super) fn decode(v: &Json, dst: &mut SignatureVerification) -> Result<(), DecodeError> {
        godecode::object(v, "trustpolicy.SignatureVerification", |k, val| {
            if godecode::key_matches(k, "level") {
                godecode::string(val, &mut dst.level)
            } else if godecode::key_matches(k, "override") {
                godecode::string_map(val, &mut dst.overrides)
            } else if godecode::key_matches(k, "verifyTimestamp") {
                godecode::string(val, &mut dst.verify_timestamp)
            } else {
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(level: &str, overrides: &[(&str, &str)]) -> SignatureVerification {
        SignatureVerification {
            level: level.into(),
            overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            verify_timestamp: String::new(),
        }
    }

    use Action::{Enforce as E, Log as L, Skip as S};
    use CheckType::*;

    fn actions(l: &VerificationLevel) -> [Action; 5] {
        CheckType::ALL.map(|c| l.action(c))
    }

    #[test]
    fn preset_levels_table() {
        assert_eq!(
            actions(&sv("strict", &[]).level().unwrap()),
            [E, E, E, E, E]
        );
        assert_eq!(
            actions(&sv("permissive", &[]).level().unwrap()),
            [E, E, L, L, L]
        );
        assert_eq!(actions(&sv("audit", &[]).level().unwrap()), [E, L, L, L, L]);
        assert_eq!(actions(&sv("skip", &[]).level().unwrap()), [S, S, S, S, S]);
        assert_eq!(sv("strict", &[]).level().unwrap().name, "strict");
    }

    #[test]
    fn level_names_are_case_sensitive() {
        assert_eq!(
            sv("Strict", &[]).level(),
            Err(LevelError::Unknown("Strict".into()))
        );
        assert_eq!(sv("", &[]).level(), Err(LevelError::Empty));
    }

    /// Every base level × overridable type × action cell of §1.3.
    #[test]
    fn override_matrix() {
        for base in ["strict", "permissive", "audit"] {
            let base_actions = actions(&sv(base, &[]).level().unwrap());
            for check in [Authenticity, AuthenticTimestamp, Expiry, Revocation] {
                for action in Action::ALL {
                    let got = sv(base, &[(check.as_str(), action.as_str())]).level();
                    if action == Action::Skip && check != Revocation {
                        assert_eq!(got, Err(LevelError::SkipNotAllowed(check.as_str().into())));
                        continue;
                    }
                    let level = got.unwrap();
                    assert_eq!(level.name, "custom");
                    for other in CheckType::ALL {
                        let want = if other == check {
                            action
                        } else {
                            base_actions[other as usize]
                        };
                        assert_eq!(
                            level.action(other),
                            want,
                            "{base} {check} {action} -> {other}"
                        );
                    }
                }
            }
            for action in Action::ALL {
                assert_eq!(
                    sv(base, &[("integrity", action.as_str())]).level(),
                    Err(LevelError::IntegrityOverride("integrity".into()))
                );
            }
        }
    }

    #[test]
    fn override_errors() {
        assert_eq!(
            sv("skip", &[("expiry", "log")]).level(),
            Err(LevelError::SkipWithOverride("skip".into()))
        );
        let e = sv("strict", &[("Expiry", "log")]).level().unwrap_err();
        assert_eq!(e.to_string(), "verification type \"Expiry\" in custom signature verification is not supported, supported values are [\"integrity\" \"authenticity\" \"authenticTimestamp\" \"expiry\" \"revocation\"]");
        let e = sv("strict", &[("expiry", "Log")]).level().unwrap_err();
        assert_eq!(e.to_string(), "verification action \"Log\" in custom signature verification is not supported, supported values are [\"enforce\" \"log\" \"skip\"]");
        assert_eq!(
            sv("strict", &[("integrity", "log")])
                .level()
                .unwrap_err()
                .to_string(),
            "\"integrity\" verification can not be overridden in custom signature verification"
        );
        assert_eq!(
            sv("strict", &[("expiry", "skip")])
                .level()
                .unwrap_err()
                .to_string(),
            "\"expiry\" verification can not be skipped in custom signature verification"
        );
    }
}
