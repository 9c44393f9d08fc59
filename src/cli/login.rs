//! `notation login` and `notation logout`, and opening registry targets.

use super::common::{LoggingArgs, RegistryArgs};
use super::open::registry_options;
use super::output::Printer;
use super::Context;
use anyhow::{bail, Context as _};
use clap::Args;
use notation::credentials::{Credential, CredentialError, CredentialStore};
use notation::go::fmt::GoQuoted;
use notation::target::registry::{self, CredentialSource};
use std::io::{BufRead as _, IsTerminal as _, Read as _};

/// Where notation explains how to set up a credentials store.
const AUTH_DOCS: &str = "https://notaryproject.dev/docs/how-to/registry-authentication/";

/// Arguments of `notation login`.
#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    logging: LoggingArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// take the password from stdin
    #[arg(long = "password-stdin")]
    password_stdin: bool,
    /// the registry to log in to, as host[:port]
    #[arg(value_name = "server")]
    server: Vec<String>,
}

/// Arguments of `notation logout`.
#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[command(flatten)]
    logging: LoggingArgs,
    /// the registry to log out of, as host[:port]
    #[arg(value_name = "server")]
    server: Vec<String>,
}

/// Check `server` is a bare `host[:port]`.
fn parse_server(server: Option<&str>) -> anyhow::Result<String> {
    let server = server
        .filter(|s| !s.is_empty())
        .context("no hostname specified")?;
    if !notation::reference::is_valid_registry(server) || server.contains('/') {
        bail!(
            "failed to get registry client: invalid reference: invalid registry {}",
            GoQuoted(&server)
        );
    }
    Ok(server.to_string())
}

pub async fn run_login(args: LoginArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let server = parse_server(args.server.first().map(String::as_str))?;
    // Routes the library's log (HTTP trace, credential helper calls) to stderr.
    args.logging.log();
    let mut username = args.registry.username.clone().unwrap_or_default();
    let mut password = args.registry.password.clone().unwrap_or_default();
    if args.password_stdin {
        if args
            .registry
            .password
            .as_deref()
            .is_some_and(|p| !p.is_empty())
        {
            bail!("--password and --password-stdin are mutually exclusive");
        }
        password = read_password_stdin()?;
    }
    if password.is_empty() {
        if username.is_empty() {
            username = prompt_line(out, "Username: ")?;
        }
        let (prompt, what) = if username.is_empty() {
            ("Token: ", "token")
        } else {
            ("Password: ", "password")
        };
        password = prompt_secret(out, prompt)?;
        if password.is_empty() {
            bail!("{what} required");
        }
    }
    let cred = Credential::from_user_password(&username, &password);
    let mut opts = registry_options(&server, &args.registry, ctx)?;
    opts.credentials = CredentialSource::Static(cred.clone());
    registry::ping(&server, &opts).await.map_err(|e| {
        anyhow::anyhow!(
            "failed to log in to {server}: failed to validate the credentials for {server}: {e}"
        )
    })?;
    let store =
        CredentialStore::detect(&ctx.dirs.config).context("failed to get credentials store")?;
    match store.put(&server, &cred) {
        Ok(()) => {}
        Err(CredentialError::PlaintextPutDisabled) => {
            if store.get(&server).ok().flatten().as_ref() == Some(&cred) {
                out.warn(&format!("The credentials store is not set up. It is recommended to configure the credentials store to securely store your credentials. See {AUTH_DOCS}."));
                out.println("Authenticated with existing credentials")?;
            } else {
                bail!(
                    "failed to log in to {server}: {}\n{}",
                    CredentialError::PlaintextPutDisabled,
                    store_setup_hint(&store, ctx)
                );
            }
        }
        Err(e) => bail!("failed to log in to {server}: {e}"),
    }
    out.println("Login Succeeded")?;
    Ok(())
}

/// Which files were looked at and what to add: the help users asked for (user-voice §4).
fn store_setup_hint(store: &CredentialStore, ctx: &Context) -> String {
    let files: Vec<String> = store
        .looked_at()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    format!(
        "Looked for a credentials store in: {}. Add \"credsStore\": \"<name>\" (a docker-credential-<name> helper on PATH, e.g. \"pass\" or \"secretservice\") to {}, or pass the credentials with each command (-u/--password-stdin, or NOTATION_USERNAME/NOTATION_PASSWORD).",
        files.join(", "),
        ctx.dirs.config_json().display()
    )
}

pub async fn run_logout(args: LogoutArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let server = parse_server(args.server.first().map(String::as_str))?;
    let store =
        CredentialStore::detect(&ctx.dirs.config).context("failed to get credentials store")?;
    args.logging.log().info(&format!(
        "removing the credentials from {}",
        store.describe()
    ));
    store
        .delete(&server)
        .map_err(|e| anyhow::anyhow!("failed to log out of {server}: {e}"))?;
    out.println("Logout Succeeded")?;
    Ok(())
}

/// All of stdin, minus one trailing `\n` and then one `\r`.
fn read_password_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("failed to read password from stdin")?;
    if s.ends_with('\n') {
        s.pop();
    }
    if s.ends_with('\r') {
        s.pop();
    }
    Ok(s)
}

fn prompt_line(out: Printer, prompt: &str) -> anyhow::Result<String> {
    out.print(prompt)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("failed to read username")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Read a secret without echo on a terminal; otherwise the rest of stdin.
fn prompt_secret(out: Printer, prompt: &str) -> anyhow::Result<String> {
    out.print(prompt)?;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut s = String::new();
        stdin
            .lock()
            .read_to_string(&mut s)
            .context("failed to read password")?;
        return Ok(s.trim_end_matches(['\n', '\r']).to_string());
    }
    let echo = |on: bool| {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    echo(false);
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    echo(true);
    // The newline the unechoed Enter did not print; a closed stdout is no reason to stop.
    let _ = out.println("");
    read.context("failed to read password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
