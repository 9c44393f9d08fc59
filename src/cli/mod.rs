//! The command line: clap definitions, dispatch, and error reporting in notation's format
//! (`Error: <message>` on stderr, exit 1).

mod blob;
mod cert;
mod common;
mod copy;
mod delete;
mod duration;
mod flag_rules;
mod help;
mod inspect;
mod key;
mod key_value;
mod list;
mod login;
mod open;
mod output;
mod pflag;
mod plugin;
mod policy;
mod progress;
mod sign;
mod signals;
mod signing;
mod tree;
mod verify;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use notation::config::Dirs;
use notation::go::fmt::GoQuoted;
use output::{Printer, WriteError};
// `inspect` names Go's time layouts `timefmt` (they used to live in cli/timefmt.rs).
use notation::go::time as timefmt;

/// Notation - a tool to sign and verify artifacts
#[derive(Parser, Debug)]
#[command(
    name = "notation",
    about = "Notation - a tool to sign and verify artifacts"
)]
#[command(disable_version_flag = true, disable_help_subcommand = false)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What each subcommand's help says it does: shared by the derive below and by
/// [`subcommand`], which builds one subcommand alone.
mod about {
    pub const SIGN: &str = "Sign artifacts";
    pub const VERIFY: &str = "Verify OCI artifacts";
    pub const LIST: &str = "List signatures of the signed artifact";
    pub const INSPECT: &str = "Inspect all signatures associated with the signed artifact";
    pub const CERTIFICATE: &str = "Manage certificates in trust store";
    pub const KEY: &str = "Manage keys used for signing";
    pub const POLICY: &str = "Manage trust policy configuration";
    pub const PLUGIN: &str = "Manage plugins";
    pub const LOGIN: &str = "Login to registry";
    pub const LOGOUT: &str = "Log out from the logged in registries";
    pub const COPY: &str = "Copy an artifact and its signatures between OCI layouts and registries";
    pub const BLOB: &str =
        "Sign, verify and inspect signatures of arbitrary files (notation v2's blob commands)";
    pub const DELETE: &str = "Delete signatures of an artifact (ours)";
    pub const VERSION: &str = "Show the notation version information";
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(about = about::SIGN)]
    Sign(sign::SignArgs),
    #[command(about = about::VERIFY)]
    Verify(verify::VerifyArgs),
    #[command(about = about::LIST, visible_alias = "ls")]
    List(list::ListArgs),
    #[command(about = about::INSPECT)]
    Inspect(inspect::InspectArgs),
    #[command(about = about::CERTIFICATE, name = "certificate", visible_alias = "cert")]
    Certificate(cert::CertArgs),
    #[command(about = about::KEY)]
    Key(key::KeyArgs),
    #[command(about = about::POLICY)]
    Policy(policy::PolicyArgs),
    #[command(about = about::PLUGIN)]
    Plugin(plugin::PluginArgs),
    #[command(about = about::LOGIN)]
    Login(login::LoginArgs),
    #[command(about = about::LOGOUT)]
    Logout(login::LogoutArgs),
    #[command(about = about::COPY, visible_alias = "cp")]
    Copy(copy::CopyArgs),
    #[command(about = about::BLOB)]
    Blob(blob::BlobArgs),
    #[command(about = about::DELETE)]
    Delete(delete::DeleteArgs),
    #[command(about = about::VERSION)]
    Version(common::AnyArgs),
    /// Generate the autocompletion script for the specified shell
    Completion {
        /// bash, zsh, fish, powershell or elvish
        #[arg(value_name = "SHELL")]
        shell: Vec<String>,
    },
}

/// The command tree for parsing `notation <invoked> …`: the root with only the subcommand
/// `invoked` names (or aliases), whose flags are all a parse reads; the whole tree when it
/// names none (help, completion, a typo). Building every subcommand's flags costs more
/// than a `verify`'s own parsing.
fn command_for(invoked: Option<&str>) -> clap::Command {
    match invoked.and_then(subcommand) {
        Some(sub) => root().subcommand(sub),
        None => Cli::command(),
    }
}

/// [`Cli`]'s root command without subcommands (as the derive makes it; a test checks).
fn root() -> clap::Command {
    clap::Command::new("notation")
        .about("Notation - a tool to sign and verify artifacts")
        .disable_version_flag(true)
        .disable_help_subcommand(false)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .group(clap::ArgGroup::new("Cli").multiple(true))
}

/// The subcommand `name` (or an alias) as the derive builds it, alone.
fn subcommand(name: &str) -> Option<clap::Command> {
    use clap::{Args, Command as C};
    fn build<A: Args>(name: &'static str, about: &'static str) -> C {
        A::augment_args(C::new(name)).about(about)
    }
    Some(match name {
        "sign" => build::<sign::SignArgs>("sign", about::SIGN),
        "verify" => build::<verify::VerifyArgs>("verify", about::VERIFY),
        "list" | "ls" => build::<list::ListArgs>("list", about::LIST).visible_alias("ls"),
        "inspect" => build::<inspect::InspectArgs>("inspect", about::INSPECT),
        "certificate" | "cert" => {
            build::<cert::CertArgs>("certificate", about::CERTIFICATE).visible_alias("cert")
        }
        "key" => build::<key::KeyArgs>("key", about::KEY),
        "policy" => build::<policy::PolicyArgs>("policy", about::POLICY),
        "plugin" => build::<plugin::PluginArgs>("plugin", about::PLUGIN),
        "login" => build::<login::LoginArgs>("login", about::LOGIN),
        "logout" => build::<login::LogoutArgs>("logout", about::LOGOUT),
        "copy" | "cp" => build::<copy::CopyArgs>("copy", about::COPY).visible_alias("cp"),
        "blob" => build::<blob::BlobArgs>("blob", about::BLOB),
        "delete" => build::<delete::DeleteArgs>("delete", about::DELETE),
        "version" => build::<common::AnyArgs>("version", about::VERSION),
        _ => return None,
    })
}

/// Shared state every command needs.
pub struct Context {
    pub dirs: Dirs,
    /// The flags given on the command line, for cobra's flag checks.
    pub flags: flag_rules::SetFlags,
    /// Where the command's output goes.
    pub out: output::Printer,
}

/// Parse the process arguments, run, report. Returns the exit code.
pub fn main() -> i32 {
    let out = Printer;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked = args.get(1).and_then(|a| a.to_str());
    let mut command = pflag::go_bools_for(command_for(invoked), invoked);
    let parsed = command
        .try_get_matches_from_mut(&args)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return report_parse_error(out, e, &command).unwrap_or_else(|w| w.exit()),
    };
    // As upstream: once clap has read them, plugins and credential helpers never see them.
    std::env::remove_var("NOTATION_USERNAME");
    std::env::remove_var("NOTATION_PASSWORD");
    signals::install();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.eprintln(&format!("Error: failed to start the runtime: {e}"));
            return 1;
        }
    };
    let ctx = Context {
        dirs: Dirs::from_env(),
        flags: flag_rules::SetFlags::from_matches(&command, &matches),
        out,
    };
    let code = match runtime.block_on(run(cli.command, &ctx)) {
        Ok(()) => 0,
        Err(e) => exit_code(out, &e),
    };
    report_round_trips(out);
    // The process ends now: freeing clap's command tree would cost more than parsing did.
    std::mem::forget(command);
    code
}

/// The exit code of a failed command, after its `Error:` line.
fn exit_code(out: Printer, e: &anyhow::Error) -> i32 {
    if let Some(write) = e.chain().find_map(|c| c.downcast_ref::<WriteError>()) {
        return write.exit();
    }
    // Its lines are already out (several artifacts, each with its result).
    if !e.is::<output::Reported>() {
        out.eprintln(&format!("Error: {}", output::error_text(e)));
    }
    1
}

/// With `NOTATION_RS_ROUND_TRIPS=1`, the number of registry round trips the command made, as
/// the last line on stderr: what `scripts/bench.sh` and `tests/round_trips.rs` compare with
/// Go notation's count.
fn report_round_trips(out: Printer) {
    if std::env::var_os("NOTATION_RS_ROUND_TRIPS").is_some_and(|v| v == "1") {
        out.eprintln(&format!(
            "registry round trips: {}",
            notation::target::registry::round_trips()
        ));
    }
}

async fn run(command: Command, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    match command {
        Command::Sign(args) => sign::run(args, ctx).await,
        Command::Verify(args) => verify::run(args, ctx).await,
        Command::List(args) => list::run(args, ctx).await,
        Command::Inspect(args) => inspect::run(args, ctx).await,
        Command::Certificate(args) => cert::run(args, ctx),
        Command::Key(args) => key::run(args, ctx),
        Command::Policy(args) => policy::run(args, ctx),
        Command::Plugin(args) => plugin::run(args, ctx).await,
        Command::Login(args) => login::run_login(args, ctx).await,
        Command::Logout(args) => login::run_logout(args, ctx).await,
        Command::Copy(args) => copy::run(args, ctx).await,
        Command::Blob(args) => blob::run(args, ctx).await,
        Command::Delete(args) => delete::run(args, ctx).await,
        Command::Version(args) => {
            args.no_args("notation version")?;
            Ok(version(out)?)
        }
        Command::Completion { shell } => {
            use clap::ValueEnum;
            let mut cmd = Cli::command();
            // cobra's completion is a group of per-shell commands: without a known shell it
            // prints its help and succeeds.
            match shell
                .first()
                .and_then(|s| clap_complete::Shell::from_str(s, false).ok())
            {
                Some(shell) => {
                    // Generated into memory: clap_complete panics on a write error, and a
                    // closed stdout (`notation completion bash | head -1`) must end quietly.
                    let mut script = Vec::new();
                    clap_complete::generate(shell, &mut cmd, "notation", &mut script);
                    out.print(&String::from_utf8_lossy(&script))?;
                }
                None => help::print_for_args(out, &cmd, &["completion".to_string()])?,
            }
            Ok(())
        }
    }
}

fn version(out: Printer) -> Result<(), WriteError> {
    out.print(&format!(
        "Notation - a tool to sign and verify artifacts.\n\nVersion:     {}\nRust version: {}\nnotation-rs: {}\n",
        notation::version::NOTATION_COMPAT_VERSION,
        env!("NOTATION_RS_RUSTC_VERSION"),
        notation::version::VERSION,
    ))
}

/// Turn clap's parse errors into cobra's messages, which users and scripts know, or into
/// the help cobra prints instead. `command` is what parsed the line. Returns the exit code.
fn report_parse_error(
    out: Printer,
    e: clap::Error,
    command: &clap::Command,
) -> Result<i32, WriteError> {
    if let Some(code) = help_instead(out, &e, command)? {
        return Ok(code);
    }
    out.eprintln(&format!("Error: {}", parse_error_text(&e, command)));
    Ok(1)
}

/// What cobra prints instead of an error for this parse error, if anything (its help or
/// its version), and the exit code then.
fn help_instead(
    out: Printer,
    e: &clap::Error,
    command: &clap::Command,
) -> Result<Option<i32>, WriteError> {
    let args = process_args();
    match e.kind() {
        // cobra's help text, for `-h`, `--help`, `help <command>`, and a group command
        // without a subcommand (which prints its help and succeeds, as cobra).
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // pflag parses every flag before cobra looks at --help: a bad flag elsewhere
            // on the line is reported instead.
            if let Some(flag_error) = flag_error_besides_help(command, &args) {
                return report_parse_error(out, flag_error, command).map(Some);
            }
            help::print_for_args(out, &Cli::command(), &args)?;
            Ok(Some(0))
        }
        ErrorKind::DisplayVersion => {
            let _ = e.print();
            Ok(Some(0))
        }
        // cobra prints the help before it checks positional arguments: an unexpected
        // argument beside -h/--help is no error.
        ErrorKind::UnknownArgument => {
            let positional = matches!(
                e.get(ContextKind::InvalidArg),
                Some(ContextValue::String(a)) if !a.starts_with('-')
            );
            let asks_help = args
                .iter()
                .take_while(|a| *a != "--")
                .any(|a| a == "-h" || a == "--help");
            if !(positional && asks_help) {
                return Ok(None);
            }
            help::print_for_args(out, &Cli::command(), &args)?;
            Ok(Some(0))
        }
        ErrorKind::InvalidSubcommand => {
            let answered = help::answer_help_command(out, &Cli::command(), &args)?;
            Ok(answered.then_some(0))
        }
        _ => Ok(None),
    }
}

/// One of clap's values of the error, as text.
fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    }
}

/// cobra's or pflag's text for a parse error that is no request for help.
fn parse_error_text(e: &clap::Error, command: &clap::Command) -> String {
    let ctx = |k: ContextKind| context(e, k);
    match e.kind() {
        ErrorKind::UnknownArgument => {
            unknown_argument(&ctx(ContextKind::InvalidArg).unwrap_or_default())
        }
        ErrorKind::InvalidSubcommand => {
            let sub = ctx(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!(
                "unknown command {} for \"notation\"\nRun 'notation --help' for usage.",
                GoQuoted(&sub)
            )
        }
        // clap reports a flag given last without its value as an empty invalid value.
        ErrorKind::InvalidValue if ctx(ContextKind::InvalidValue).is_some_and(|v| v.is_empty()) => {
            missing_value(&ctx(ContextKind::InvalidArg).unwrap_or_default())
        }
        // Our `-o` lists fail as notation's format checks do.
        ErrorKind::InvalidValue
            if e.source().is_none()
                && ctx(ContextKind::InvalidArg).is_some_and(|a| a.contains("--output")) =>
        {
            format!(
                "unrecognized output format {}",
                ctx(ContextKind::InvalidValue).unwrap_or_default()
            )
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => invalid_value(e, command),
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            missing_value(&ctx(ContextKind::InvalidArg).unwrap_or_default())
        }
        ErrorKind::MissingRequiredArgument => {
            let names: Vec<String> = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(v)) => v
                    .iter()
                    .map(|a| format!("\"{}\"", flag_name(a).trim_start_matches('-')))
                    .collect(),
                _ => vec![],
            };
            format!("required flag(s) {} not set", names.join(", "))
        }
        _ => first_line(e),
    }
}

/// pflag's and cobra's texts for an unknown flag, shorthand or command.
fn unknown_argument(arg: &str) -> String {
    if arg.starts_with("--") {
        format!("unknown flag: {}", arg.split('=').next().unwrap_or(arg))
    } else if let Some(c) = arg.strip_prefix('-').and_then(|s| s.chars().next()) {
        format!(
            "unknown shorthand flag: '{c}' in -{}",
            pflag::shorthands_from(c)
        )
    } else {
        format!(
            "unknown command {} for \"notation\"\nRun 'notation --help' for usage.",
            GoQuoted(&arg)
        )
    }
}

/// pflag's `invalid argument "<value>" for "<flag>" flag: <reason>`.
fn invalid_value(e: &clap::Error, command: &clap::Command) -> String {
    let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
    let reason = e
        .source()
        .map(|s| pflag::value_error(&value, s))
        .unwrap_or_else(|| first_line(e));
    let name = flag_name(&arg);
    let long = name.rsplit(", ").next().unwrap_or(&name);
    let shown = match long.strip_prefix("--") {
        Some(long) => pflag::display_name(command, long),
        None => name.clone(),
    };
    format!(
        "invalid argument {} for {} flag: {reason}",
        GoQuoted(&value),
        GoQuoted(&shown)
    )
}

use std::error::Error as _;

/// The flag error the arguments have once `-h`/`--help` are taken out, if any: an unknown
/// flag or a bad flag value (not a missing or extra argument, which cobra checks after
/// printing help).
fn flag_error_besides_help(command: &clap::Command, args: &[String]) -> Option<clap::Error> {
    let rest = args.iter().filter(|a| *a != "-h" && *a != "--help");
    let e = command
        .clone()
        .try_get_matches_from(std::iter::once("notation".to_string()).chain(rest.cloned()))
        .err()?;
    let flag_arg = matches!(
        e.get(ContextKind::InvalidArg),
        Some(ContextValue::String(a)) if a.starts_with('-')
    );
    match e.kind() {
        ErrorKind::UnknownArgument
        | ErrorKind::InvalidValue
        | ErrorKind::ValueValidation
        | ErrorKind::NoEquals
            if flag_arg =>
        {
            Some(e)
        }
        _ => None,
    }
}

/// The arguments after the program name, as text (help only needs to match names).
fn process_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn first_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let line = rendered.lines().next().unwrap_or("").trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// `--expiry <EXPIRY>` -> `--expiry`; `-e, --expiry <EXPIRY>` stays as cobra shows it;
/// `--force-referrers-tag[=<X>]` -> `--force-referrers-tag`.
fn flag_name(arg: &str) -> String {
    let arg = arg.split("[=").next().unwrap_or(arg);
    match arg.split_once(", ") {
        Some((short, long)) => format!("{short}, {}", first_word(long)),
        None => first_word(arg).to_string(),
    }
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or(s)
}

/// pflag's text for a flag that ends the line without its value: `--output` when typed
/// long, `'o' in -o` when typed short (the flag is then the last word of the line).
fn missing_value(arg: &str) -> String {
    let name = flag_name(arg);
    let long = name.rsplit(", ").next().unwrap_or(&name).to_string();
    let last = std::env::args().next_back().unwrap_or_default();
    match last.strip_prefix('-').and_then(|s| s.chars().last()) {
        Some(c) if !last.starts_with("--") => format!("flag needs an argument: '{c}' in -{c}"),
        _ => format!("flag needs an argument: {long}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root and each subcommand built alone are exactly what the derive builds.
    #[test]
    fn subcommands_alone_match_the_derive() {
        let full = Cli::command();
        let rebuilt = full.get_subcommands().fold(root(), |root, sub| {
            let alone = subcommand(sub.get_name()).unwrap_or_else(|| sub.clone());
            root.subcommand(alone)
        });
        assert_eq!(format!("{rebuilt:?}"), format!("{full:?}"));
        for (alias, name) in [("ls", "list"), ("cert", "certificate"), ("cp", "copy")] {
            let by_alias = format!("{:?}", subcommand(alias).unwrap());
            assert_eq!(by_alias, format!("{:?}", subcommand(name).unwrap()));
        }
        // Only "completion" (and help) take the whole tree.
        let names: Vec<_> = full.get_subcommands().map(|s| s.get_name()).collect();
        let alone: Vec<_> = names.iter().filter(|n| subcommand(n).is_none()).collect();
        assert_eq!(alone, [&"completion"]);
    }
}
