//! pflag's conventions that clap lacks: a bool flag also takes `=<bool>`
//! (`--oci-layout=false`, `-d=1`), values are parsed with Go's `strconv` and fail with its
//! texts, and a flag with a shorthand is named `-s, --long` in errors
//! (spf13/pflag flag.go, bool.go).

use clap::builder::ValueParser;
use clap::{ArgAction, Command};

/// Make the flags of `cmd` and its subcommands parse as pflag's: every bool flag takes an
/// optional `=<bool>` parsed as Go's `strconv.ParseBool`, and a flag's value may start
/// with `-`.
pub fn go_bools(cmd: Command) -> Command {
    go_bool_args(cmd).mut_subcommands(go_bools)
}

/// [`go_bools`] for a parse of `notation <invoked> …`: the root's flags and the `invoked`
/// subcommand's (named or aliased) only, as no other subcommand's flags are parsed; every
/// subcommand when `invoked` names none. Rewriting all of them costs more than a `verify`'s
/// own parsing.
pub fn go_bools_for(cmd: Command, invoked: Option<&str>) -> Command {
    let name = invoked
        .and_then(|n| cmd.find_subcommand(n))
        .map(|s| s.get_name().to_string());
    match name {
        Some(name) => go_bool_args(cmd).mut_subcommand(name, go_bools),
        None => go_bools(cmd),
    }
}

/// The pflag rewrite of `cmd`'s own flags.
fn go_bool_args(cmd: Command) -> Command {
    cmd.mut_args(|a| {
        // Ours already written pflag-style (`--force-referrers-tag[=<bool>]`).
        let optional_bool = a.is_require_equals_set()
            && a.get_value_parser().type_id() == ValueParser::bool().type_id();
        if matches!(a.get_action(), ArgAction::SetTrue) {
            // A flag declared with its own default (`--force-referrers-tag`, true) keeps it.
            let default = match a.get_default_values() {
                [d] if d == "true" => "true",
                _ => "false",
            };
            a.action(ArgAction::Set)
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true")
                .default_value(default)
                .value_parser(ValueParser::new(parse_bool))
        } else if optional_bool {
            a.value_parser(ValueParser::new(parse_bool))
        } else if is_option(&a) {
            // pflag takes the next word as the value, even one that starts with '-'.
            a.allow_hyphen_values(true)
        } else {
            a
        }
    })
}

/// A flag that takes a value (`--key <name>`), not a positional argument.
fn is_option(a: &clap::Arg) -> bool {
    (a.get_long().is_some() || a.get_short().is_some())
        && matches!(a.get_action(), ArgAction::Set | ArgAction::Append)
}

/// A bool flag's value that Go's `strconv.ParseBool` rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strconv.ParseBool: parsing {}: invalid syntax", notation::go::fmt::GoQuoted(.0.as_str()))]
pub struct ParseBoolError(String);

/// Go's `strconv.ParseBool`, with its error text.
fn parse_bool(s: &str) -> Result<bool, ParseBoolError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(ParseBoolError(s.to_string())),
    }
}

/// The reason pflag gives for `value` that clap's parser rejected with `source`: Go's
/// `strconv.ParseInt` texts for integers, else `source` as it is.
pub fn value_error(value: &str, source: &(dyn std::error::Error + 'static)) -> String {
    use std::num::IntErrorKind;
    match source.downcast_ref::<std::num::ParseIntError>() {
        Some(e) => {
            let why = match e.kind() {
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "value out of range",
                _ => "invalid syntax",
            };
            format!(
                "strconv.ParseInt: parsing {}: {why}",
                notation::go::fmt::GoQuoted(value)
            )
        }
        None => source.to_string(),
    }
}

/// How pflag names flag `--long` of the command the line runs: `-s, --long` when it has a
/// shorthand.
pub fn display_name(root: &Command, long: &str) -> String {
    let mut cmd = root;
    for word in std::env::args().skip(1) {
        if let Some(sub) = cmd.find_subcommand(&word) {
            cmd = sub;
        }
    }
    let short = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_short());
    match short {
        Some(s) => format!("-{s}, --{long}"),
        None => format!("--{long}"),
    }
}

/// What pflag still had to read of the shorthand cluster when it met `c`: `z` in `-dz`,
/// `zd` in `-zd`.
pub fn shorthands_from(c: char) -> String {
    std::env::args()
        .skip(1)
        .filter(|w| w.starts_with('-') && !w.starts_with("--"))
        .find_map(|w| w.find(c).map(|i| w[i..].to_string()))
        .unwrap_or_else(|| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_parse_as_strconv() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(t), Ok(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(f), Ok(false));
        }
        assert_eq!(
            parse_bool("yes").unwrap_err().to_string(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }

    #[test]
    fn bool_flags_take_values_and_keep_their_defaults() {
        use clap::Arg;
        let cmd = || {
            go_bools(
                Command::new("t")
                    .arg(Arg::new("plain").long("plain").action(ArgAction::SetTrue))
                    .arg(
                        Arg::new("on")
                            .long("on")
                            .action(ArgAction::SetTrue)
                            .default_value("true"),
                    ),
            )
        };
        let m = cmd().try_get_matches_from(["t"]).unwrap();
        assert_eq!(m.get_one::<bool>("plain"), Some(&false));
        assert_eq!(m.get_one::<bool>("on"), Some(&true));
        let m = cmd()
            .try_get_matches_from(["t", "--plain", "--on=F"])
            .unwrap();
        assert_eq!(m.get_one::<bool>("plain"), Some(&true));
        assert_eq!(m.get_one::<bool>("on"), Some(&false));
        assert!(cmd().try_get_matches_from(["t", "--plain=nah"]).is_err());
    }

    #[test]
    fn integers_fail_with_strconv_texts() {
        let invalid = "x".parse::<i64>().unwrap_err();
        assert_eq!(
            value_error("x", &invalid),
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        let big = "99999999999999999999".parse::<i64>().unwrap_err();
        assert_eq!(
            value_error("99999999999999999999", &big),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
    }
}
