//! Cobra's flag checks: required flags (`MarkFlagRequired`) and flag groups
//! (`MarkFlagsRequiredTogether`, `MarkFlagsOneRequired`, `MarkFlagsMutuallyExclusive`), with
//! cobra's texts and order (spf13/cobra command.go `execute`, flag_groups.go).
//!
//! Cobra runs them after the command's argument check and its `PreRunE`, so each command calls
//! [`Rules::check`] at that point instead of letting clap reject the line while parsing.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};
use std::collections::BTreeSet;

/// The flags given on the command line of the command being run (cobra's `Changed`): a flag
/// left at its default, or filled from an environment variable, is not set.
#[derive(Debug, Default, Clone)]
pub struct SetFlags(BTreeSet<String>);

impl SetFlags {
    /// The set flags of the innermost subcommand `matches` selects in `root`.
    pub fn from_matches(root: &Command, matches: &ArgMatches) -> SetFlags {
        let (cmd, m) = leaf(root, matches);
        let set = cmd
            .get_arguments()
            .filter(|a| m.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect();
        SetFlags(set)
    }

    /// Whether `--name` was given.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// Whether any of `names` was given (what experimental.CheckFlagsAndWarn looks at).
    pub fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.contains(n))
    }

    /// A set built from flag names, for tests.
    #[cfg(test)]
    pub fn of(names: &[&str]) -> SetFlags {
        SetFlags(names.iter().map(|n| n.to_string()).collect())
    }
}

fn leaf<'a>(cmd: &'a Command, m: &'a ArgMatches) -> (&'a Command, &'a ArgMatches) {
    match m.subcommand() {
        Some((name, sub_m)) => match cmd.find_subcommand(name) {
            Some(sub) => leaf(sub, sub_m),
            None => (cmd, m),
        },
        None => (cmd, m),
    }
}

/// A group of flags, in the order upstream declares them (cobra prints them so).
pub type Group = &'static [&'static str];

/// The flag rules of one command, as upstream declares them.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// `MarkFlagRequired`.
    pub required: &'static [&'static str],
    /// `MarkFlagsRequiredTogether`.
    pub together: &'static [Group],
    /// `MarkFlagsOneRequired`.
    pub one_required: &'static [Group],
    /// `MarkFlagsMutuallyExclusive`.
    pub exclusive: &'static [Group],
}

impl Rules {
    /// No rules; the base of `Rules { .., ..Rules::NONE }`.
    pub const NONE: Rules = Rules {
        required: &[],
        together: &[],
        one_required: &[],
        exclusive: &[],
    };

    /// Cobra's `ValidateRequiredFlags` then `ValidateFlagGroups`: the first violation, worded
    /// as cobra words it.
    pub fn check(&self, set: &SetFlags) -> anyhow::Result<()> {
        let mut missing: Vec<&str> = self
            .required
            .iter()
            .copied()
            .filter(|f| !set.contains(f))
            .collect();
        if !missing.is_empty() {
            // pflag visits flags sorted by name.
            missing.sort_unstable();
            anyhow::bail!("required flag(s) \"{}\" not set", missing.join("\", \""));
        }
        // Each kind is checked group by group, groups sorted by their space-joined names.
        for group in sorted(self.together) {
            let unset = sorted_names(group, |f| !set.contains(f));
            if !unset.is_empty() && unset.len() < group.len() {
                anyhow::bail!(
                    "if any flags in the group [{}] are set they must all be set; missing [{}]",
                    group.join(" "),
                    unset.join(" ")
                );
            }
        }
        for group in sorted(self.one_required) {
            if !group.iter().any(|f| set.contains(f)) {
                anyhow::bail!(
                    "at least one of the flags in the group [{}] is required",
                    group.join(" ")
                );
            }
        }
        for group in sorted(self.exclusive) {
            let given = sorted_names(group, |f| set.contains(f));
            if given.len() > 1 {
                anyhow::bail!(
                    "if any flags in the group [{}] are set none of the others can be; [{}] were all set",
                    group.join(" "),
                    given.join(" ")
                );
            }
        }
        Ok(())
    }
}

fn sorted(groups: &[Group]) -> Vec<Group> {
    let mut groups = groups.to_vec();
    groups.sort_by_key(|g| g.join(" "));
    groups
}

fn sorted_names(group: Group, keep: impl Fn(&str) -> bool) -> Vec<&'static str> {
    let mut names: Vec<&str> = group.iter().copied().filter(|f| keep(f)).collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGN: Rules = Rules {
        required: &[],
        together: &[&["timestamp-url", "timestamp-root-cert"], &["id", "plugin"]],
        one_required: &[],
        exclusive: &[
            &["key", "id"],
            &["key", "plugin"],
            &["oci-layout", "force-referrers-tag", "allow-referrers-api"],
        ],
    };

    fn err(rules: &Rules, set: &[&str]) -> String {
        rules.check(&SetFlags::of(set)).unwrap_err().to_string()
    }

    #[test]
    fn required_flags_are_listed_sorted() {
        let rules = Rules {
            required: &["type", "store"],
            ..Rules::NONE
        };
        assert_eq!(
            err(&rules, &[]),
            "required flag(s) \"store\", \"type\" not set"
        );
        assert_eq!(err(&rules, &["store"]), "required flag(s) \"type\" not set");
        assert!(rules.check(&SetFlags::of(&["store", "type"])).is_ok());
    }

    #[test]
    fn together_groups_come_in_sorted_order_before_exclusive_ones() {
        // "id plugin" sorts before "timestamp-url timestamp-root-cert".
        assert_eq!(
            err(&SIGN, &["timestamp-url", "id", "key"]),
            "if any flags in the group [id plugin] are set they must all be set; missing [plugin]"
        );
        assert_eq!(
            err(&SIGN, &["timestamp-root-cert"]),
            "if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set; missing [timestamp-url]"
        );
    }

    #[test]
    fn exclusive_groups_keep_their_order_and_sort_the_set_flags() {
        assert_eq!(
            err(&SIGN, &["id", "plugin", "key"]),
            "if any flags in the group [key id] are set none of the others can be; [id key] were all set"
        );
        assert_eq!(
            err(&SIGN, &["force-referrers-tag", "allow-referrers-api"]),
            "if any flags in the group [oci-layout force-referrers-tag allow-referrers-api] are set none of the others can be; [allow-referrers-api force-referrers-tag] were all set"
        );
        assert!(SIGN.check(&SetFlags::of(&["oci-layout"])).is_ok());
    }

    #[test]
    fn one_required_comes_before_exclusive() {
        let rules = Rules {
            one_required: &[&["file", "url"]],
            exclusive: &[&["file", "url"]],
            ..Rules::NONE
        };
        assert_eq!(
            err(&rules, &[]),
            "at least one of the flags in the group [file url] is required"
        );
        assert_eq!(
            err(&rules, &["url", "file"]),
            "if any flags in the group [file url] are set none of the others can be; [file url] were all set"
        );
    }
}
