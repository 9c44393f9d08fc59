//! `notation policy import | show | init` (cli.md §7).
//!
//! `import` and `show` behave as v1.3.2 but act on the policy file in effect
//! (`trustpolicy.oci.json` when it exists, else `trustpolicy.json`); `init` is ours
//! (notation PR #1364's flags) and writes `trustpolicy.oci.json`.

use super::common::AnyArgs;
use super::flag_rules::Rules;
use super::output::Printer;
use super::Context;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use notation::config::{DIR_MODE, PRIVATE_FILE_MODE};
use notation::go::os::path_error;
use notation::policy::{self, OciDocument, PolicyFile};
use serde::Serialize;
use std::io::{BufRead, Read as _};
use std::path::Path;

/// Arguments of `notation policy`.
#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Import trust policy configuration from a JSON file
    Import(ImportArgs),
    /// Show trust policy configuration
    Show(AnyArgs),
    /// Initialize an OCI trust policy with one strict statement
    Init(InitArgs),
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// the trust policy file to import
    #[arg(num_args = 0..)]
    files: Vec<String>,
    /// override the existing trust policy configuration, never prompt
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// name of the trust policy statement
    #[arg(long, default_value = "")]
    name: String,
    /// trust store in the format "<type>:<name>" (repeatable)
    #[arg(long = "trust-store")]
    trust_stores: Vec<String>,
    /// trusted identity, e.g. "x509.subject: C=US, ST=WA, O=acme" or "*" (repeatable)
    #[arg(long = "trusted-identity")]
    trusted_identities: Vec<String>,
    /// registry scope (repeatable)
    #[arg(long = "registry-scope", default_value = "*")]
    registry_scopes: Vec<String>,
    /// override the existing OCI trust policy configuration, never prompt
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    args: AnyArgs,
}

/// `policy init` (ours) requires its flags as `blob policy init` does, with cobra's text.
const INIT_FLAGS: Rules = Rules {
    required: &["name", "trust-store", "trusted-identity"],
    ..Rules::NONE
};

pub fn run(args: PolicyArgs, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        PolicyCommand::Import(a) => import(a, ctx),
        // cobra.ExactArgs(0), as upstream's policy show and blob policy show / init.
        PolicyCommand::Show(a) => {
            a.exactly_none()?;
            show(ctx)
        }
        PolicyCommand::Init(a) => {
            a.args.exactly_none()?;
            INIT_FLAGS.check(&ctx.flags)?;
            init(a, ctx)
        }
    }
}

fn import(args: ImportArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let [file] = args.files.as_slice() else {
        anyhow::bail!(
            "requires 1 argument but received {}.\nUsage: notation policy import <path-to-policy.json>\nPlease specify a trust policy file location as the argument",
            args.files.len()
        );
    };
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::anyhow!(
            "failed to read trust policy file: {}",
            path_error("open", Path::new(file), &e)
        )
    })?;
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice());
    if content.is_some() {
        out.warn(&format!(
            "the trust policy file {file} starts with a UTF-8 byte order mark; it was ignored"
        ));
    }
    let doc = OciDocument::parse_exact(content.unwrap_or(&bytes))
        .map_err(|e| anyhow::anyhow!("failed to parse trust policy configuration: {e}"))?;
    doc.validate()
        .map_err(|e| anyhow::anyhow!("failed to validate trust policy: {e}"))?;

    let dest = policy::oci_policy_path(&ctx.dirs);
    if args.force {
        out.warn("existing trust policy configuration file will be overwritten");
    } else if existing_is_decodable(&dest)
        && !confirm(
            out,
            "The trust policy file already exists, do you want to overwrite it?",
        )?
    {
        return Ok(());
    }
    notation::atomic::write(&dest, &bytes, PRIVATE_FILE_MODE, DIR_MODE)
        .with_context(|| format!("failed to write trust policy file {}", dest.display()))?;
    out.println("Trust policy configuration imported successfully.")?;
    Ok(())
}

/// v1.3.2 prompts only when the existing file can be read and JSON-decoded.
fn existing_is_decodable(path: &Path) -> bool {
    policy::read_policy_file(path).is_ok_and(|f| OciDocument::parse(f.content()).is_ok())
}

fn show(ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    // Upstream opens trustpolicy.oci.json and falls back to trustpolicy.json only when the
    // first does not exist (a dangling symlink included).
    show_file(
        out,
        &[ctx.dirs.trust_policy_oci_json(), ctx.dirs.trust_policy_json()],
        true,
        "failed to show trust policy as the trust policy file does not exist.\nYou can import one using `notation policy import <path-to-policy.json>`",
        "Existing trust policy configuration is invalid, you may update or create a new one via `notation policy import <path-to-policy.json>`",
        |bytes| match OciDocument::parse(bytes) {
            Err(e) => Some(e.to_string()),
            Ok(doc) => doc.validate().err().map(|e| e.to_string()),
        },
    )
}

/// The warning for a policy file whose UTF-8 BOM the library skipped, if it had one.
pub(super) fn bom_warning(file: &PolicyFile) -> Option<String> {
    file.bom_stripped.then(|| {
        format!(
            "the trust policy file {} starts with a UTF-8 byte order mark; it was ignored (notation v1.3.2 rejects such files as malformed)",
            file.path.display()
        )
    })
}

/// `policy show` / `blob policy show`: print the file as it is; an invalid document is
/// reported (`Error:` line, then `invalid`) but still shown, and the command succeeds, as
/// upstream does. `problem` decodes and validates the content.
pub(super) fn show_file(
    out: Printer,
    paths: &[std::path::PathBuf],
    read_names_full_path: bool,
    missing: &str,
    invalid: &str,
    problem: impl Fn(&[u8]) -> Option<String>,
) -> anyhow::Result<()> {
    let file = read_shown(paths, missing, read_names_full_path)?;
    if let Some(w) = bom_warning(&file) {
        out.warn(&w);
    }
    if let Some(problem) = problem(file.content()) {
        out.eprintln(&format!("Error: {problem}"));
        out.eprintln(invalid);
    }
    out.print(&String::from_utf8_lossy(&file.bytes))?;
    Ok(())
}

/// Read the file as upstream's `policy show` does, through the config directory's
/// `os.DirFS` and without an lstat (a symlink is followed, a directory opens): an open error
/// names the file relative to that directory (`open trustpolicy.json: permission denied`),
/// a read error the full path for the OCI policy (read from the opened file) and the
/// relative one for the blob policy (`fs.ReadFile`). The first of `paths` that exists is
/// read.
fn read_shown(
    paths: &[std::path::PathBuf],
    missing: &str,
    read_names_full_path: bool,
) -> anyhow::Result<PolicyFile> {
    let opened = paths
        .iter()
        .find_map(|path| match std::fs::File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            result => Some((path, result)),
        });
    let Some((path, opened)) = opened else {
        anyhow::bail!("{missing}");
    };
    let name = Path::new(path.file_name().unwrap_or(path.as_os_str()));
    let mut f = opened.map_err(|e| {
        anyhow::anyhow!(
            "failed to show trust policy: {}",
            path_error("open", name, &e)
        )
    })?;
    let mut bytes = Vec::new();
    if let Err(e) = f.read_to_end(&mut bytes) {
        let shown = if read_names_full_path { path } else { name };
        anyhow::bail!(
            "failed to show trust policy: {}",
            path_error("read", shown, &e)
        );
    }
    Ok(PolicyFile {
        path: path.into(),
        bom_stripped: bytes.starts_with(b"\xEF\xBB\xBF"),
        bytes,
    })
}

/// The document `policy init` and `blob policy init` write: version 1.0 and the one
/// statement, in notation-go's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InitDocument<S> {
    version: &'static str,
    trust_policies: [S; 1],
}

impl<S: Serialize> InitDocument<S> {
    /// The JSON of a document holding just `statement`, indented as Go's `json.MarshalIndent`.
    pub(super) fn json(statement: S) -> anyhow::Result<Vec<u8>> {
        let doc = InitDocument {
            version: "1.0",
            trust_policies: [statement],
        };
        Ok(notation::go::json::to_vec_indent(&doc, "  ")?)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InitStatement<'a> {
    name: &'a str,
    registry_scopes: &'a [String],
    signature_verification: InitLevel,
    trust_stores: &'a [String],
    trusted_identities: &'a [String],
}

/// A new statement's `signatureVerification`: the level only.
#[derive(Serialize)]
pub(super) struct InitLevel {
    level: &'static str,
}

impl InitLevel {
    /// `{"level": "strict"}`, what both `init` commands write.
    pub(super) const STRICT: InitLevel = InitLevel { level: "strict" };
}

fn init(args: InitArgs, ctx: &Context) -> anyhow::Result<()> {
    let out = ctx.out;
    let bytes = InitDocument::json(InitStatement {
        name: &args.name,
        registry_scopes: &args.registry_scopes,
        signature_verification: InitLevel::STRICT,
        trust_stores: &args.trust_stores,
        trusted_identities: &args.trusted_identities,
    })?;
    // Validate exactly what is written, through the same reader verify uses.
    OciDocument::parse(&bytes)?
        .validate()
        .map_err(|e| anyhow::anyhow!("failed to validate the trust policy: {e}"))?;
    let dest = ctx.dirs.trust_policy_oci_json();
    if std::fs::symlink_metadata(&dest).is_ok() {
        if args.force {
            out.warn("existing OCI trust policy configuration file will be overwritten");
        } else if !confirm(
            out,
            "The OCI trust policy file already exists, do you want to overwrite it?",
        )? {
            return Ok(());
        }
    }
    notation::atomic::write(&dest, &bytes, PRIVATE_FILE_MODE, DIR_MODE)
        .with_context(|| format!("failed to write trust policy file {}", dest.display()))?;
    out.println(&format!(
        "Successfully initialized OCI trust policy file to {}.",
        dest.display()
    ))?;
    Ok(())
}

/// notation's confirmation prompt on stdout: `<prompt> [y/N] `; `y`/`yes` (any case)
/// confirms; anything else, or EOF, declines.
fn confirm(out: Printer, prompt: &str) -> anyhow::Result<bool> {
    out.print(&format!("{prompt} [y/N] "))?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let answer = line.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}
