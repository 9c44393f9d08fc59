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
mod list;
mod login;
mod output;
mod pflag;
mod plugin;
mod policy;
mod sign;
mod signals;
mod timefmt;
mod tree;
mod verify;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use notation::config::Dirs;

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

#[derive(Subcommand, Debug)]
enum Command {
    /// Sign artifacts
    Sign(sign::SignArgs),
    /// Verify OCI artifacts
    Verify(verify::VerifyArgs),
    /// List signatures of the signed artifact
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Inspect all signatures associated with the signed artifact
    Inspect(inspect::InspectArgs),
    /// Manage certificates in trust store
    #[command(name = "certificate", visible_alias = "cert")]
    Certificate(cert::CertArgs),
    /// Manage keys used for signing
    Key(key::KeyArgs),
    /// Manage trust policy configuration
    Policy(policy::PolicyArgs),
    /// Manage plugins
    Plugin(plugin::PluginArgs),
    /// Login to registry
    Login(login::LoginArgs),
    /// Log out from the logged in registries
    Logout(login::LogoutArgs),
    /// Copy an artifact and its signatures between OCI layouts and registries
    #[command(visible_alias = "cp")]
    Copy(copy::CopyArgs),
    /// Sign, verify and inspect signatures of arbitrary files (notation v2's blob commands)
    Blob(blob::BlobArgs),
    /// Delete signatures of an artifact (ours)
    Delete(delete::DeleteArgs),
    /// Show the notation version information
    Version(common::AnyArgs),
    /// Generate the autocompletion script for the specified shell
    Completion {
        /// bash, zsh, fish, powershell or elvish
        #[arg(value_name = "SHELL")]
        shell: Vec<String>,
    },
}

/// Shared state every command needs.
pub struct Context {
    pub dirs: Dirs,
    /// The flags given on the command line, for cobra's flag checks.
    pub flags: flag_rules::SetFlags,
}

/// Parse the process arguments, run, report. Returns the exit code.
pub fn main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked = args.get(1).and_then(|a| a.to_str());
    let mut command = pflag::go_bools_for(Cli::command(), invoked);
    let parsed = command
        .try_get_matches_from_mut(&args)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return report_parse_error(e, &command),
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
            output::eprintln(&format!("Error: failed to start the runtime: {e}"));
            return 1;
        }
    };
    let ctx = Context {
        dirs: Dirs::from_env(),
        flags: flag_rules::SetFlags::from_matches(&command, &matches),
    };
    let code = match runtime.block_on(run(cli.command, &ctx)) {
        Ok(()) => 0,
        Err(e) => {
            output::eprintln(&format!("Error: {}", output::error_text(&e)));
            1
        }
    };
    // The process ends now: freeing clap's command tree would cost more than parsing did.
    std::mem::forget(command);
    code
}

async fn run(command: Command, ctx: &Context) -> anyhow::Result<()> {
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
            version();
            Ok(())
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
                    output::print(&String::from_utf8_lossy(&script));
                }
                None => help::print_for_args(&cmd, &["completion".to_string()]),
            }
            Ok(())
        }
    }
}

fn version() {
    output::print(&format!(
        "Notation - a tool to sign and verify artifacts.\n\nVersion:     {}\nRust version: {}\nnotation-rs: {}\n",
        notation::version::NOTATION_COMPAT_VERSION,
        env!("NOTATION_RS_RUSTC_VERSION"),
        notation::version::VERSION,
    ));
}

/// Turn clap's parse errors into cobra's messages, which users and scripts know.
/// `command` is what parsed the line.
fn report_parse_error(e: clap::Error, command: &clap::Command) -> i32 {
    match e.kind() {
        // cobra's help text, for `-h`, `--help`, `help <command>`, and a group command
        // without a subcommand (which prints its help and succeeds, as cobra).
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let args = process_args();
            // pflag parses every flag before cobra looks at --help: a bad flag elsewhere
            // on the line is reported instead.
            if let Some(flag_error) = flag_error_besides_help(command, &args) {
                return report_parse_error(flag_error, command);
            }
            help::print_for_args(&Cli::command(), &args);
            return 0;
        }
        ErrorKind::DisplayVersion => {
            let _ = e.print();
            return 0;
        }
        _ => {}
    }
    // cobra prints the help before it checks positional arguments: an unexpected argument
    // beside -h/--help is no error.
    if e.kind() == ErrorKind::UnknownArgument {
        let args = process_args();
        let positional = matches!(
            e.get(ContextKind::InvalidArg),
            Some(ContextValue::String(a)) if !a.starts_with('-')
        );
        let asks_help = args
            .iter()
            .take_while(|a| *a != "--")
            .any(|a| a == "-h" || a == "--help");
        if positional && asks_help {
            help::print_for_args(&Cli::command(), &args);
            return 0;
        }
    }
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let msg = match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
            if arg.starts_with("--") {
                format!("unknown flag: {}", arg.split('=').next().unwrap_or(&arg))
            } else if let Some(c) = arg.strip_prefix('-').and_then(|s| s.chars().next()) {
                format!(
                    "unknown shorthand flag: '{c}' in -{}",
                    pflag::shorthands_from(c)
                )
            } else {
                format!(
                    "unknown command {arg:?} for \"notation\"\nRun 'notation --help' for usage."
                )
            }
        }
        ErrorKind::InvalidSubcommand => {
            let args = process_args();
            if help::answer_help_command(&Cli::command(), &args) {
                return 0;
            }
            let sub = ctx(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("unknown command {sub:?} for \"notation\"\nRun 'notation --help' for usage.")
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
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
            let value = ctx(ContextKind::InvalidValue).unwrap_or_default();
            let reason = e
                .source()
                .map(|s| pflag::value_error(&value, s))
                .unwrap_or_else(|| first_line(&e));
            let name = flag_name(&arg);
            let long = name.rsplit(", ").next().unwrap_or(&name);
            let shown = match long.strip_prefix("--") {
                Some(long) => pflag::display_name(command, long),
                None => name.clone(),
            };
            format!(
                "invalid argument {} for {} flag: {reason}",
                notation::gofmt::quote(&value),
                notation::gofmt::quote(&shown)
            )
        }
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
            missing_value(&arg)
        }
        ErrorKind::MissingRequiredArgument => {
            let names: Vec<String> = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(v)) => v
                    .iter()
                    .map(|a| format!("{:?}", flag_name(a).trim_start_matches('-')))
                    .collect(),
                _ => vec![],
            };
            format!("required flag(s) {} not set", names.join(", "))
        }
        _ => first_line(&e),
    };
    output::eprintln(&format!("Error: {msg}"));
    1
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
