//! `--help`, `-h`, `notation help <command>` and bare group commands, printed as Go
//! notation prints them: cobra's default help and usage templates with pflag's flag list.
//!
//! The texts (cobra `Use`, `Short`, `Long`, aliases, flag usages, types and defaults) live
//! in [`table`], apart from the clap definitions; the flags listed are those of the clap
//! command, so a flag added later still shows (and the table test says it lacks a text).

mod table;

use super::output::{Printer, WriteError};
use clap::Command;
use notation::go::fmt::GoQuoted;
use table::{Entry, Flag, ENTRIES};

/// What a command without an entry shows (the table test keeps this from happening).
static FALLBACK_ENTRY: Entry = Entry::fallback();

/// cobra's `minNamePadding`: the narrowest command-name column of "Available Commands".
const MIN_NAME_PADDING: usize = 11;

/// A flag's value type as pflag names it in the flag list (`Value.Type()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    String,
    StringArray,
    Int,
    Duration,
}

impl Kind {
    /// pflag `UnquoteUsage`: the type name shown after the flag (none for a bool).
    fn type_name(self) -> &'static str {
        match self {
            Kind::Bool => "",
            Kind::String => "string",
            Kind::StringArray => "stringArray",
            Kind::Int => "int",
            Kind::Duration => "duration",
        }
    }
}

/// Print, to stdout, the help of the command that `args` (the process arguments after the
/// program name) ask about.
pub fn print_for_args(out: Printer, root: &Command, args: &[String]) -> Result<(), WriteError> {
    let path = command_path(root, args);
    out.print(&render(root, &path))
}

/// Print the help of the command at `path` (canonical names below the root).
pub fn print(out: Printer, path: &[&str]) -> Result<(), WriteError> {
    use clap::CommandFactory;
    let root = super::Cli::command();
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    out.print(&render(&root, &path))
}

/// cobra's help command when clap rejected its topic: `help cert nope` is the help of
/// `certificate` (on stdout), `help nope` is cobra's "Unknown help topic" line and the
/// root's usage (on stderr); both succeed. Returns false when the arguments are not
/// `help <topic>...`.
pub fn answer_help_command(
    out: Printer,
    root: &Command,
    args: &[String],
) -> Result<bool, WriteError> {
    match unknown_topic(root, args) {
        None => Ok(false),
        Some(Topic::Help(help)) => {
            out.print(&help)?;
            Ok(true)
        }
        Some(Topic::Unknown(unknown)) => {
            out.eprintln(unknown.trim_end_matches('\n'));
            Ok(true)
        }
    }
}

/// What cobra's help command answers about a topic.
enum Topic {
    /// The help of a command (on stdout).
    Help(String),
    /// The unknown-topic text and the root's usage (on stderr).
    Unknown(String),
}

/// What cobra's help command prints for `args`, when they are `help <topic>...`.
fn unknown_topic(root: &Command, args: &[String]) -> Option<Topic> {
    let mut words = args.iter().skip_while(|a| a.starts_with('-'));
    if words.next().map(String::as_str) != Some("help") {
        return None;
    }
    let topic: Vec<String> = words.map(|w| notation::go::fmt::backquote(w)).collect();
    if topic.is_empty() {
        return None;
    }
    let path = command_path(root, args);
    if !path.is_empty() {
        return Some(Topic::Help(render(root, &path)));
    }
    let root_entry = entry("").unwrap_or(&FALLBACK_ENTRY);
    Some(Topic::Unknown(format!(
        "Unknown help topic [{}]\n{}",
        topic.join(" "),
        usage(root, root_entry, "", "notation", &[])
    )))
}

/// The command the arguments name: subcommand names (or aliases) in order, skipping flags
/// (and the values of flags that take one) and the `help` keyword, up to the first
/// positional argument that is not a subcommand.
fn command_path(root: &Command, args: &[String]) -> Vec<String> {
    let mut cmd = root;
    let mut path = Vec::new();
    let mut rest = args.iter();
    let mut help_keyword = false;
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if let Some(flag) = arg.strip_prefix('-').filter(|f| !f.is_empty()) {
            if takes_separate_value(cmd, flag) {
                rest.next();
            }
            continue;
        }
        // cobra has a help command at the root only: `notation cert help add` is the
        // certificate group with words it does not know, i.e. its help.
        if arg == "help" && path.is_empty() {
            // `notation help help` asks for cobra's help command itself.
            if help_keyword {
                path.push(arg.clone());
                break;
            }
            help_keyword = true;
            continue;
        }
        match cmd.find_subcommand(arg) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                cmd = sub;
            }
            None => break,
        }
    }
    path
}

/// Whether `flag` (the argument without its first `-`) is a flag of `cmd` whose value is
/// the next argument.
fn takes_separate_value(cmd: &Command, flag: &str) -> bool {
    let arg = match flag.strip_prefix('-') {
        Some(long) if !long.contains('=') => {
            cmd.get_arguments().find(|a| a.get_long() == Some(long))
        }
        Some(_) => None,
        None if flag.chars().count() == 1 => {
            let short = flag.chars().next();
            cmd.get_arguments().find(|a| a.get_short() == short)
        }
        None => None,
    };
    arg.is_some_and(|a| a.get_action().takes_values() && !a.is_require_equals_set())
}

/// The help text of the command at `path`, as cobra's help template renders it.
pub(crate) fn render(root: &Command, path: &[String]) -> String {
    // cobra's `help` command is no clap subcommand: it has no subcommands or flags.
    let help_command = Command::new("help");
    let mut cmd = root;
    // Global (persistent) flags of the commands above: cobra's "Global Flags".
    let mut inherited: Vec<(&clap::Arg, &'static Flag)> = Vec::new();
    let mut ancestor_key = String::new();
    for name in path {
        // The text is the command's own entry's, else that of the command defining it.
        let own_entry = entry(&path.join(" "));
        let ancestor_entry = entry(&ancestor_key);
        inherited.extend(cmd.get_arguments().filter(|a| a.is_global_set()).map(|a| {
            let flag = a.get_long().and_then(|l| {
                own_entry
                    .and_then(|e| e.flag(l))
                    .or_else(|| ancestor_entry.and_then(|e| e.flag(l)))
            });
            (a, flag.unwrap_or(&Flag::FALLBACK))
        }));
        match cmd.find_subcommand(name) {
            Some(sub) => cmd = sub,
            None if name == "help" => cmd = &help_command,
            None => break,
        }
        ancestor_key = child_key(&ancestor_key, name);
    }
    let key = path.join(" ");
    let entry = entry(&key).unwrap_or(&FALLBACK_ENTRY);
    let command_path = if key.is_empty() {
        "notation".to_string()
    } else {
        format!("notation {key}")
    };

    let mut out = String::new();
    let description = if entry.long.is_empty() {
        entry.short
    } else {
        entry.long
    };
    let description = description.trim_end();
    if !description.is_empty() {
        out.push_str(description);
        out.push_str("\n\n");
    }
    out.push_str(&usage(cmd, entry, &key, &command_path, &inherited));
    out
}

/// cobra's usage template.
fn usage(
    cmd: &Command,
    entry: &Entry,
    key: &str,
    command_path: &str,
    inherited: &[(&clap::Arg, &Flag)],
) -> String {
    let subcommands = available_commands(cmd, entry, key);
    let mut out = String::from("Usage:");
    if !entry.use_line.is_empty() {
        let parent = command_path
            .rsplit_once(' ')
            .map_or("", |(parent, _)| parent);
        let mut line = format!("{parent} {}", entry.use_line);
        // cobra's UseLine: every command has flags (at least --help).
        if !line.contains("[flags]") {
            line.push_str(" [flags]");
        }
        out.push_str(&format!("\n  {line}"));
    }
    if !subcommands.is_empty() {
        out.push_str(&format!("\n  {command_path} [command]"));
    }
    if !entry.aliases.is_empty() {
        let name = command_path.rsplit(' ').next().unwrap_or(command_path);
        out.push_str(&format!(
            "\n\nAliases:\n  {name}, {}",
            entry.aliases.join(", ")
        ));
    }
    if !entry.example.is_empty() {
        out.push_str(&format!("\n\nExamples:\n{}", entry.example));
    }
    if !subcommands.is_empty() {
        let padding = subcommands
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0)
            .max(MIN_NAME_PADDING);
        out.push_str("\n\nAvailable Commands:");
        for (name, short) in &subcommands {
            out.push_str(&format!("\n  {name:<padding$} {short}"));
        }
    }
    let name = command_path.rsplit(' ').next().unwrap_or(command_path);
    out.push_str("\n\nFlags:\n");
    let local = cmd.get_arguments().map(|a| {
        let flag = a.get_long().and_then(|l| entry.flag(l));
        (a, flag.unwrap_or(&Flag::FALLBACK))
    });
    out.push_str(flag_usages(local, Some(name)).trim_end());
    if inherited.iter().any(|(a, _)| !a.is_hide_set()) {
        out.push_str("\n\nGlobal Flags:\n");
        out.push_str(flag_usages(inherited.iter().copied(), None).trim_end());
    }
    if !subcommands.is_empty() {
        out.push_str(&format!(
            "\n\nUse \"{command_path} [command] --help\" for more information about a command."
        ));
    }
    out.push('\n');
    out
}

/// "Available Commands": the visible subcommands (and, at the root, cobra's `help`),
/// sorted by name as cobra sorts them, each with its `Short`.
fn available_commands(cmd: &Command, entry: &Entry, key: &str) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = cmd
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
        .map(|sub| {
            let child = child_key(key, sub.get_name());
            let short = self::entry(&child).map_or("", |e| e.short);
            (sub.get_name().to_string(), short.to_string())
        })
        .collect();
    list.extend(
        entry
            .subcommands
            .iter()
            .map(|(name, short)| (name.to_string(), short.to_string())),
    );
    if key.is_empty() {
        let short = self::entry("help").map_or("", |e| e.short);
        list.push(("help".to_string(), short.to_string()));
    }
    list.sort();
    list
}

fn child_key(key: &str, name: &str) -> String {
    if key.is_empty() {
        name.to_string()
    } else {
        format!("{key} {name}")
    }
}

fn entry(key: &str) -> Option<&'static Entry> {
    ENTRIES.iter().copied().flatten().find(|e| e.path == key)
}

/// One line of pflag's flag list, before alignment: the names and type, and the usage.
struct FlagLine {
    names: String,
    usage: String,
}

/// pflag's `FlagUsages`: flags sorted by name, `-s, --name type`, the usage aligned one
/// column after the longest name part, then the default when it is not the zero value.
/// `help_for` adds cobra's `-h, --help` flag of that command.
fn flag_usages<'a>(
    args: impl Iterator<Item = (&'a clap::Arg, &'a Flag)>,
    help_for: Option<&str>,
) -> String {
    let mut flags: Vec<(String, FlagLine)> = args
        .filter(|(a, _)| !a.is_hide_set())
        .filter_map(|(a, flag)| {
            let long = a.get_long()?;
            Some((long.to_string(), flag_line(a.get_short(), long, flag)))
        })
        .collect();
    if let Some(name) = help_for {
        let help = Flag {
            name: "help",
            kind: Kind::Bool,
            usage: "",
            default: "",
        };
        let mut help_line = flag_line(Some('h'), "help", &help);
        help_line.usage = format!("help for {name}");
        flags.push(("help".to_string(), help_line));
    }
    flags.sort_by(|a, b| a.0.cmp(&b.0));

    let width = flags
        .iter()
        .map(|(_, l)| l.names.len() + 1)
        .max()
        .unwrap_or(0);
    flags
        .iter()
        .map(|(_, l)| {
            let spacing = " ".repeat(width - l.names.len());
            format!("{} {spacing} {}\n", l.names, l.usage)
        })
        .collect()
}

fn flag_line(short: Option<char>, long: &str, flag: &Flag) -> FlagLine {
    let mut names = match short {
        Some(s) => format!("  -{s}, --{long}"),
        None => format!("      --{long}"),
    };
    let (var, usage) = unquote_usage(flag);
    if !var.is_empty() {
        names.push(' ');
        names.push_str(&var);
    }
    let mut usage = usage;
    let default = shown_default(flag);
    if !default.is_empty() {
        match flag.kind {
            Kind::String => usage.push_str(&format!(" (default {})", GoQuoted(&default))),
            _ => usage.push_str(&format!(" (default {default})")),
        }
    }
    FlagLine { names, usage }
}

/// The default pflag shows. `--signature-format`'s is config.json's `signatureFormat` as
/// written, when set: upstream makes it the flag's default (internal/cmd/flags.go
/// `SetPflagSignatureFormat`).
fn shown_default(flag: &Flag) -> String {
    if flag.name == "signature-format" {
        let dirs = notation::config::Dirs::from_env();
        if let Ok(config) = notation::config::config_json::ConfigJson::load(&dirs) {
            if let Some(format) = config.signature_format.filter(|f| !f.is_empty()) {
                return format;
            }
        }
    }
    flag.default.to_string()
}

/// pflag `UnquoteUsage`: a back-quoted name in the usage is the value's name (and loses
/// its quotes); otherwise the type name is.
fn unquote_usage(flag: &Flag) -> (String, String) {
    let usage = flag.usage;
    if let Some(start) = usage.find('`') {
        if let Some(len) = usage[start + 1..].find('`') {
            let name = &usage[start + 1..start + 1 + len];
            let unquoted = format!("{}{}{}", &usage[..start], name, &usage[start + 2 + len..]);
            return (name.to_string(), unquoted);
        }
    }
    (flag.kind.type_name().to_string(), usage.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    /// Every command of the clap tree, as its table key.
    fn all_keys(cmd: &Command, key: &str, out: &mut Vec<String>) {
        out.push(key.to_string());
        for sub in cmd.get_subcommands() {
            all_keys(sub, &child_key(key, sub.get_name()), out);
        }
    }

    #[test]
    fn every_command_and_flag_has_a_text() {
        let root = crate::cli::Cli::command();
        let mut keys = Vec::new();
        all_keys(&root, "", &mut keys);
        let mut missing = Vec::new();
        for key in &keys {
            let Some(entry) = entry(key) else {
                missing.push(format!("command {key:?}"));
                continue;
            };
            let mut cmd = &root;
            for name in key.split_whitespace() {
                cmd = cmd.find_subcommand(name).unwrap();
            }
            for arg in cmd.get_arguments() {
                if let Some(long) = arg.get_long() {
                    if !arg.is_hide_set() && entry.flag(long).is_none() {
                        missing.push(format!("flag --{long} of {key:?}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no help text for: {missing:#?}");
    }

    #[test]
    fn table_has_no_flag_text_without_a_flag() {
        let root = crate::cli::Cli::command();
        for e in ENTRIES
            .iter()
            .copied()
            .flatten()
            .filter(|e| e.path != "help")
        {
            let mut cmd = &root;
            for name in e.path.split_whitespace() {
                cmd = cmd.find_subcommand(name).unwrap();
            }
            for flag in e.flags.iter().flat_map(|group| group.iter()) {
                assert!(
                    cmd.get_arguments().any(|a| a.get_long() == Some(flag.name)),
                    "--{} of {:?} is no flag",
                    flag.name,
                    e.path
                );
            }
        }
    }

    #[test]
    fn table_has_no_entry_without_a_command() {
        let root = crate::cli::Cli::command();
        let mut keys = Vec::new();
        all_keys(&root, "", &mut keys);
        keys.push("help".to_string());
        for e in ENTRIES.iter().copied().flatten() {
            assert!(keys.iter().any(|k| k == e.path), "stale entry {:?}", e.path);
        }
    }

    #[test]
    fn command_path_skips_flags_and_their_values() {
        let root = crate::cli::Cli::command();
        assert_eq!(
            command_path(&root, &args("cert add --help")),
            ["certificate", "add"]
        );
        assert_eq!(
            command_path(&root, &args("help cert ls")),
            ["certificate", "list"]
        );
        assert_eq!(
            command_path(&root, &args("key add --plugin list -h")),
            ["key", "add"]
        );
        assert_eq!(
            command_path(&root, &args("verify -o json x -h")),
            ["verify"]
        );
        assert!(command_path(&root, &args("--help")).is_empty());
        assert_eq!(command_path(&root, &args("help help")), ["help"]);
        assert_eq!(command_path(&root, &args("cert help add")), ["certificate"]);
    }

    #[test]
    fn unknown_help_topic_is_cobras() {
        let root = crate::cli::Cli::command();
        let Some(Topic::Unknown(text)) = unknown_topic(&root, &args("help nope x`y")) else {
            panic!("a known topic");
        };
        assert!(
            text.starts_with("Unknown help topic [`nope` \"x`y\"]\nUsage:\n  notation [command]\n"),
            "{text}"
        );
        assert!(unknown_topic(&root, &args("help")).is_none());
        assert!(unknown_topic(&root, &args("sign help")).is_none());
        let Some(Topic::Help(cert)) = unknown_topic(&root, &args("help cert nope")) else {
            panic!("an unknown topic");
        };
        assert_eq!(cert, render(&root, &["certificate".to_string()]));
    }

    #[test]
    fn global_flags_of_a_parent_are_listed_as_cobra_does() {
        let root = Command::new("notation").subcommand(
            Command::new("key")
                .arg(
                    clap::Arg::new("debug")
                        .long("debug")
                        .short('d')
                        .global(true)
                        .action(clap::ArgAction::SetTrue),
                )
                .subcommand(Command::new("delete")),
        );
        let text = render(&root, &["key".to_string(), "delete".to_string()]);
        assert!(
            text.ends_with("Flags:\n  -h, --help   help for delete\n\nGlobal Flags:\n  -d, --debug   debug mode\n"),
            "{text}"
        );
    }

    #[test]
    fn flag_list_is_pflags_layout() {
        let flag = Flag {
            name: "output",
            kind: Kind::String,
            usage: "output format, options: 'json', 'text'",
            default: "text",
        };
        let line = flag_line(Some('o'), "output", &flag);
        assert_eq!(line.names, "  -o, --output string");
        assert_eq!(
            line.usage,
            "output format, options: 'json', 'text' (default \"text\")"
        );
        let quoted = Flag {
            name: "file",
            kind: Kind::String,
            usage: "read from `path` now",
            default: "",
        };
        assert_eq!(
            unquote_usage(&quoted),
            ("path".to_string(), "read from path now".to_string())
        );
    }
}
