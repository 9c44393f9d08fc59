//! The checks of verification.md §5 for one signature: one function per check, each
//! giving a [`Checked`], recorded in order by [`SignatureRecord::apply`].

use super::checks::{self, CheckError};
use super::{plugin, revocation, timestamp};
use super::{CheckResult, Selected, SignatureRecord, SignedFacts, Step, Verifier, VerifyOptions};
use crate::envelope::IntegrityError;
use crate::oci::Descriptor;
use crate::policy::{Action, CheckType, OciStatement, VerificationLevel};
use crate::revocation::LogLine;

/// What one check of §5 gave for one signature.
enum Checked {
    /// The level skips the check: nothing ran, nothing is recorded.
    Skipped,
    /// The check ran (its failure, if any, is already logged); `None` is a pass.
    Ran(Option<CheckError>),
}

impl Checked {
    /// Run `check` unless `action` skips it, logging its failure as notation-go does.
    fn run(
        check: CheckType,
        action: Action,
        f: impl FnOnce() -> Result<(), CheckError>,
    ) -> Checked {
        if action == Action::Skip {
            return Checked::Skipped;
        }
        let error = f().err();
        log_result(check, action, error.as_ref());
        Checked::Ran(error)
    }
}

/// One signature under evaluation: what applies to it and what its envelope says.
struct Candidate<'c> {
    statement: &'c OciStatement,
    level: &'c VerificationLevel,
    facts: &'c SignedFacts,
    plugin: Option<&'c plugin::Found>,
}

impl Candidate<'_> {
    fn action(&self, check: CheckType) -> Action {
        self.level.action(check)
    }
}

impl Verifier<'_> {
    /// Run §5 for one envelope, given the outcome of its integrity check (the envelope is
    /// decoded and checked once, by the caller). Returns its record and, if it passed, its
    /// facts.
    pub(super) async fn evaluate(
        &self,
        selected: Selected<'_>,
        subject: &Descriptor,
        digest: &str,
        integrity: Result<SignedFacts, IntegrityError>,
        opts: &VerifyOptions,
    ) -> (SignatureRecord, Option<SignedFacts>) {
        let mut record = SignatureRecord {
            digest: digest.to_string(),
            manifest_media_type: String::new(),
            results: vec![],
            failure: None,
        };
        let checked = self
            .run_checks(selected, subject, integrity, opts, &mut record)
            .await;
        match checked {
            Ok(facts) => (record, Some(facts)),
            Err(failure) => {
                record.failure = Some(failure);
                (record, None)
            }
        }
    }

    /// The checks of §5 in notation-go's order; stops at the first enforced failure.
    async fn run_checks(
        &self,
        selected: Selected<'_>,
        subject: &Descriptor,
        integrity: Result<SignedFacts, IntegrityError>,
        opts: &VerifyOptions,
        record: &mut SignatureRecord,
    ) -> Result<SignedFacts, (Step, CheckError)> {
        let failure = integrity.as_ref().err().cloned().map(CheckError::Integrity);
        log_result(CheckType::Integrity, Action::Enforce, failure.as_ref());
        record.apply(CheckType::Integrity, Action::Enforce, Checked::Ran(failure))?;
        let facts = integrity.expect("an integrity failure was returned above");
        let found =
            plugin::discover(self.plugins, &facts).map_err(|e| (Step::VerificationPlugin, e))?;
        let c = Candidate {
            statement: selected.statement,
            level: &selected.level,
            facts: &facts,
            plugin: found.as_ref(),
        };
        record.apply_to(&c, CheckType::Authenticity, self.authenticity(&c))?;
        record.apply_to(&c, CheckType::Expiry, self.expiry(&c))?;
        let timestamp = self.authentic_timestamp(&c).await;
        record.apply_to(&c, CheckType::AuthenticTimestamp, timestamp)?;
        record.apply_to(&c, CheckType::Revocation, self.revocation(&c).await)?;
        if let Some(found) = c.plugin {
            self.apply_plugin(found, &c, record)?;
        }
        binding(&facts, subject, &opts.user_metadata)?;
        Ok(facts)
    }

    /// Expiry (§5.5).
    fn expiry(&self, c: &Candidate) -> Checked {
        log::debug!("Validating expiry");
        Checked::run(CheckType::Expiry, c.action(CheckType::Expiry), || {
            checks::expiry(c.facts, self.now)
        })
    }

    /// Authentic timestamp (§5.6, §8.3).
    async fn authentic_timestamp(&self, c: &Candidate<'_>) -> Checked {
        log::debug!("Validating authentic timestamp");
        let action = c.action(CheckType::AuthenticTimestamp);
        if action == Action::Skip {
            return Checked::Skipped;
        }
        log::debug!(
            "Under signing scheme {}...",
            c.facts.signing_scheme.as_str()
        );
        let (result, log) =
            timestamp::check(self.stores, self.revocation, c.statement, c.facts, self.now).await;
        log.iter().for_each(LogLine::emit);
        Checked::run(CheckType::AuthenticTimestamp, action, || result)
    }

    /// Revocation (§5.7), unless the verification plugin does it.
    async fn revocation(&self, c: &Candidate<'_>) -> Checked {
        let action = c.action(CheckType::Revocation);
        if c.plugin.is_some_and(|f| f.revocation()) || action == Action::Skip {
            return Checked::Skipped;
        }
        log::debug!("Validating revocation");
        let (result, log) = revocation::check(self.revocation, c.facts).await;
        log.iter().for_each(LogLine::emit);
        Checked::run(CheckType::Revocation, action, || result)
    }
}

/// The payload binds the signature to `subject` and carries the `-m` pairs.
fn binding(
    facts: &SignedFacts,
    subject: &Descriptor,
    wanted: &[(String, String)],
) -> Result<(), (Step, CheckError)> {
    checks::target_artifact(facts, subject)
        .inspect_err(|e| {
            if let CheckError::TargetMismatch { payload } = e {
                log::info!(
                    "Target artifact in signature payload: {}",
                    payload.go_debug()
                );
                log::info!(
                    "Target artifact that want to be verified: {}",
                    subject.plain().go_debug()
                );
            }
        })
        .map_err(|e| (Step::TargetArtifact, e))?;
    user_metadata(facts, wanted)
}

/// The `-m` pairs, logged as notation-go's `verifyUserMetadata` logs them.
fn user_metadata(
    facts: &SignedFacts,
    wanted: &[(String, String)],
) -> Result<(), (Step, CheckError)> {
    if wanted.is_empty() {
        return Ok(());
    }
    use crate::go::fmt::map_v;
    let pairs = |m: &[(String, String)]| -> String {
        map_v(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    log::debug!(
        "Verifying that metadata {} is present in signature",
        pairs(wanted)
    );
    log::debug!(
        "Signature metadata: {}",
        map_v(
            facts
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
        )
    );
    checks::user_metadata(facts, wanted).map_err(|e| {
        if let CheckError::UserMetadata { key, value } = &e {
            log::error!("User required metadata {key}={value} is not present in the signature");
        }
        (Step::UserMetadata, e)
    })
}

impl SignatureRecord {
    /// Record what a check gave; returns its failure when `action` enforces it.
    fn apply(
        &mut self,
        check: CheckType,
        action: Action,
        checked: Checked,
    ) -> Result<(), (Step, CheckError)> {
        let Checked::Ran(error) = checked else {
            return Ok(());
        };
        self.results.push(CheckResult {
            check,
            action,
            error: error.clone(),
        });
        match error {
            Some(e) if action == Action::Enforce => Err((Step::Check(check), e)),
            _ => Ok(()),
        }
    }

    /// [`SignatureRecord::apply`] with the action `c`'s level gives `check`.
    fn apply_to(
        &mut self,
        c: &Candidate,
        check: CheckType,
        checked: Checked,
    ) -> Result<(), (Step, CheckError)> {
        self.apply(check, c.action(check), checked)
    }
}

/// notation-go's `logVerificationResult`.
fn log_result(check: CheckType, action: Action, error: Option<&CheckError>) {
    let Some(err) = error else { return };
    match action {
        Action::Enforce => log::error!("{check} validation failed. Failure reason: {err}"),
        Action::Log => log::warn!(
            "{check} validation failed with validation action set to \"logged\". Failure reason: {err}"
        ),
        Action::Skip => {}
    }
}

impl Verifier<'_> {
    /// §5.2-5.3: the chain against the trust stores, then (unless a plugin does it) the
    /// trusted identities, logged as notation-go's `processSignature` logs them.
    fn authenticity(&self, c: &Candidate) -> Checked {
        let check = CheckType::Authenticity;
        let action = c.action(check);
        if action == Action::Skip {
            return Checked::Skipped;
        }
        log::debug!("Validating cert chain");
        let mut error = checks::trust_store(self.stores, c.statement, c.facts).err();
        log_result(check, action, error.as_ref());
        let enforced_failure = error.is_some() && action == Action::Enforce;
        if !enforced_failure && !c.plugin.is_some_and(|f| f.trusted_identity()) {
            log::debug!("Validating trust identity");
            let identity = match c.facts.chain.first() {
                Some(leaf) => checks::trusted_identity(c.statement, leaf),
                None => Err(CheckError::Untrusted),
            };
            if let Err(e) = identity {
                log_result(check, action, Some(&e));
                // A logged trust-store failure is replaced by an identity failure.
                error = Some(e);
            }
        }
        Checked::Ran(error)
    }

    /// §5.8: ask the plugin and turn its failures into checks with the level's actions.
    fn apply_plugin(
        &self,
        found: &plugin::Found,
        c: &Candidate,
        record: &mut SignatureRecord,
    ) -> Result<(), (Step, CheckError)> {
        let capabilities: Vec<String> = found
            .capabilities
            .iter()
            .filter(|cap| {
                let keep = cap.as_str() != crate::plugin::proto::capability::REVOCATION_CHECK
                    || c.action(CheckType::Revocation) != Action::Skip;
                if !keep {
                    log::debug!("Skipping the {cap} validation");
                }
                keep
            })
            .cloned()
            .collect();
        let verdict = plugin::verify(found, self.plugins, c.statement, c.facts, capabilities)
            .map_err(|e| (Step::VerificationPlugin, e))?;
        for (check, error) in [
            (CheckType::Authenticity, verdict.identity),
            (CheckType::Revocation, verdict.revocation),
        ] {
            // The plugin's verdicts are recorded, not logged (notation-go).
            let checked = match error {
                Some(e) if c.action(check) != Action::Skip => Checked::Ran(Some(e)),
                _ => Checked::Skipped,
            };
            record.apply_to(c, check, checked)?;
        }
        Ok(())
    }
}
