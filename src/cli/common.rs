//! Flag sets shared by several commands (logging, registry, `--recursive`, batches), the
//! artifact reference they name, and resolving it (opening its store is `open`'s job).

use super::output::Printer;
use super::output::{self, Log};
use anyhow::Context as _;
use clap::Args;
use notation::oci::Descriptor;
use notation::reference::{LayoutReference, RegistryReference, Selector};
use notation::target::Target;

/// `-d/--debug`, `-v/--verbose`.
#[derive(Args, Debug, Clone, Default)]
pub struct LoggingArgs {
    /// debug mode
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,
    /// verbose mode
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

impl LoggingArgs {
    /// The logger these flags ask for.
    /// Also routes the library's log records (the `log` facade) to stderr at this level.
    pub fn log(&self) -> Log {
        let log = Log {
            verbose: self.verbose,
            debug: self.debug,
        };
        log.install();
        log
    }
}

/// The arguments of a command upstream gives no `Args` check: cobra accepts and ignores
/// them, so clap must not reject them.
#[derive(Args, Debug, Clone, Default)]
pub struct AnyArgs {
    #[arg(hide = true)]
    args: Vec<String>,
}

impl AnyArgs {
    /// cobra.NoArgs: `unknown command "<arg>" for "<command path>"`.
    pub fn no_args(&self, command_path: &str) -> anyhow::Result<()> {
        match self.args.first() {
            Some(first) => anyhow::bail!(
                "unknown command {} for {}",
                notation::go::fmt::GoQuoted(first),
                notation::go::fmt::GoQuoted(command_path)
            ),
            None => Ok(()),
        }
    }

    /// cobra.ExactArgs(0): `accepts 0 arg(s), received <n>`.
    pub fn exactly_none(&self) -> anyhow::Result<()> {
        if !self.args.is_empty() {
            anyhow::bail!("accepts 0 arg(s), received {}", self.args.len());
        }
        Ok(())
    }
}

/// The artifacts `list` and `verify` look at and how many of their signatures, with
/// upstream's texts (the same for both).
#[derive(Args, Debug)]
pub struct ArtifactsArgs {
    /// the artifact: <registry>/<repository>(:<tag>|@<digest>), or <path>(:<tag>|@<digest>) with --oci-layout
    #[arg(value_name = "REFERENCE")]
    pub reference: Vec<String>,
    /// maximum number of signatures to evaluate or examine
    #[arg(
        long = "max-signatures",
        default_value_t = 100,
        allow_negative_numbers = true
    )]
    pub max_signatures: i64,
}

/// The flags sign, verify, list and inspect share besides their own: the tree, batch,
/// registry and logging groups, in that order.
#[derive(Args, Debug)]
pub struct ArtifactCommandArgs {
    #[command(flatten)]
    pub tree: TreeArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub logging: LoggingArgs,
}

/// `-u`, `-p`, `--insecure-registry`, and our `--ca-file`.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryArgs {
    /// username for registry operations (default to $NOTATION_USERNAME if not specified)
    #[arg(
        short = 'u',
        long = "username",
        env = "NOTATION_USERNAME",
        hide_env_values = true
    )]
    pub username: Option<String>,
    /// password for registry operations (default to $NOTATION_PASSWORD if not specified)
    #[arg(
        short = 'p',
        long = "password",
        env = "NOTATION_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// use HTTP protocol while connecting to registries. Should be used only for testing
    #[arg(long = "insecure-registry")]
    pub insecure_registry: bool,
    /// additional CA certificates (PEM file) to trust for the registry's TLS certificate
    #[arg(long = "ca-file", value_name = "file")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// A parsed artifact reference: in an OCI layout or in a registry.
#[derive(Debug, Clone)]
pub enum ArtifactRef {
    Layout(LayoutReference),
    Registry(RegistryReference),
}

impl ArtifactRef {
    /// Parse `raw` as a layout reference (`--oci-layout`) or a registry reference.
    pub fn parse(raw: &str, oci_layout: bool) -> anyhow::Result<ArtifactRef> {
        Ok(if oci_layout {
            ArtifactRef::Layout(LayoutReference::parse(raw)?)
        } else {
            ArtifactRef::Registry(RegistryReference::parse(raw)?)
        })
    }

    /// The tag or digest part.
    pub fn selector(&self) -> &Selector {
        match self {
            ArtifactRef::Layout(r) => &r.selector,
            ArtifactRef::Registry(r) => r.selector.as_ref().expect("parsed with a selector"),
        }
    }

    /// How notation prints the resolved reference: `<path>@<digest>` or
    /// `<registry>/<repo>@<digest>`.
    pub fn with_digest(&self, digest: &str) -> String {
        match self {
            ArtifactRef::Layout(r) => r.with_digest(digest),
            ArtifactRef::Registry(r) => r.with_digest(digest),
        }
    }
}

/// Resolve the reference to its manifest descriptor, checking a given digest and printing
/// the tag warning for `verb`, as every notation command does.
pub async fn resolve(
    out: Printer,
    target: &dyn Target,
    reference: &ArtifactRef,
    verb: &str,
    log: Log,
) -> anyhow::Result<Descriptor> {
    let selector = reference.selector();
    let desc = target
        .resolve(selector.as_str())
        .await
        .context("failed to get manifest descriptor")?;
    log.info(&format!(
        "Reference {} resolved to manifest descriptor: {}",
        selector.as_str(),
        desc.go_debug()
    ));
    match selector {
        Selector::Digest(d) if *d != desc.digest => {
            anyhow::bail!(
                "user input digest {} does not match the resolved digest {}",
                d,
                desc.digest
            )
        }
        Selector::Tag(t) => out.tag_warning(verb, t),
        _ => {}
    }
    Ok(desc.plain())
}

/// `--recursive` and `--platform` (ours): act on every manifest an image index reaches.
#[derive(Args, Debug, Clone, Default)]
pub struct TreeArgs {
    /// also act on every manifest the image index reaches (nested indexes too), each on its own
    #[arg(long = "recursive")]
    pub recursive: bool,
    /// with --recursive, only the manifests of this platform (os/arch[/variant]) and the index; repeatable
    #[arg(long = "platform", value_name = "platform")]
    pub platform: Vec<String>,
}

impl TreeArgs {
    /// The `--platform` values, checked; `--platform` needs `--recursive`.
    pub fn platforms(&self) -> anyhow::Result<Vec<notation::recursive::PlatformSpec>> {
        if !self.platform.is_empty() && !self.recursive {
            anyhow::bail!("flag --platform can only be used together with --recursive");
        }
        self.platform
            .iter()
            .map(|p| Ok(notation::recursive::PlatformSpec::parse(p)?))
            .collect()
    }

    /// The manifests to act on: the root alone, or what `--recursive` reaches from it.
    pub async fn nodes(
        &self,
        target: &dyn Target,
        root: &Descriptor,
        platforms: &[notation::recursive::PlatformSpec],
    ) -> anyhow::Result<Vec<notation::recursive::Node>> {
        if !self.recursive {
            return Ok(vec![notation::recursive::Node {
                descriptor: root.plain(),
                platform: None,
                depth: 0,
                parent: None,
            }]);
        }
        Ok(notation::recursive::walk(target, root, platforms).await?)
    }
}

/// The label of a node in a `--recursive` tree: its digest, and its platform if the index
/// gives one.
pub fn node_label(node: &notation::recursive::Node) -> String {
    match &node.platform {
        Some(p) => format!(
            "{} ({})",
            node.descriptor.digest,
            notation::recursive::platform_text(p)
        ),
        None => node.descriptor.digest.clone(),
    }
}

/// Build a `--recursive` tree: each node's own children (from `own`), then the manifests
/// below it, in walk order.
pub fn tree_of(
    nodes: &[notation::recursive::Node],
    root_label: String,
    mut own: impl FnMut(usize, &mut super::tree::Node),
) -> super::tree::Node {
    fn build(
        i: usize,
        label: String,
        nodes: &[notation::recursive::Node],
        own: &mut dyn FnMut(usize, &mut super::tree::Node),
    ) -> super::tree::Node {
        let mut node = super::tree::Node::new(label);
        own(i, &mut node);
        for (j, child) in nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.parent == Some(i))
        {
            node.children.push(build(j, node_label(child), nodes, own));
        }
        node
    }
    build(0, root_label, nodes, &mut own)
}

/// `--from-file` and `--concurrency` (ours): many references in one invocation.
#[derive(Args, Debug, Clone)]
pub struct BatchArgs {
    /// also process the references in this file, one per line ('-' for stdin; blank lines and # comments are skipped)
    #[arg(long = "from-file", value_name = "file")]
    pub from_file: Option<String>,
    /// how many references to process at once when several are given
    #[arg(long = "concurrency", default_value_t = notation::batch::DEFAULT_CONCURRENCY as i64, allow_negative_numbers = true)]
    pub concurrency: i64,
}

/// One reference to process: as given, or why its line of `--from-file` could not be read.
pub type Input = Result<String, notation::batch::ReferenceFileError>;

impl BatchArgs {
    /// The positional references, then those of `--from-file`, in order.
    pub fn references(&self, positional: &[String]) -> anyhow::Result<Vec<Input>> {
        if self.concurrency < 1 {
            anyhow::bail!(
                "concurrency value {} must be a positive number",
                self.concurrency
            );
        }
        let mut all: Vec<Input> = positional.iter().cloned().map(Ok).collect();
        if let Some(path) = &self.from_file {
            let lines = notation::batch::read_reference_file(path)?;
            all.extend(lines);
        }
        Ok(all)
    }

    /// [`BatchArgs::references`], which must name at least one: none is upstream's
    /// "missing reference" error for `notation <command>`.
    pub fn required_references(
        &self,
        positional: &[String],
        command: &str,
    ) -> anyhow::Result<Vec<Input>> {
        let inputs = self.references(positional)?;
        if inputs.is_empty() {
            anyhow::bail!("missing reference to the artifact: use `notation {command} --help` to see what parameters are required");
        }
        Ok(inputs)
    }

    /// Run `one` for every reference, at most `--concurrency` at a time (one at a time under
    /// `-v` / `-d`). Each reference's
    /// output (its result line, warnings, `Error:` line) is printed in input order; with
    /// `json`, each one's JSON document goes into one array printed at the end. A summary
    /// line follows on stderr (`<done> <n> of <total> artifacts; failed: …`); exit 1 if any
    /// failed. One reference (not a line of `--from-file` that could not be read) is the
    /// plain command: `one` runs on it directly, with no summary.
    pub async fn run<F, Fut>(
        &self,
        out: Printer,
        inputs: Vec<Input>,
        json: bool,
        done: &str,
        one: F,
    ) -> anyhow::Result<()>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        if let [Ok(raw)] = inputs.as_slice() {
            return one(raw.clone()).await;
        }
        use futures_util::StreamExt as _;
        let total = inputs.len();
        let one = &one;
        let jobs = inputs.into_iter().map(|input| async move {
            match input {
                Ok(raw) => {
                    let (result, captured) = output::capture(one(raw.clone())).await;
                    (raw, result, captured)
                }
                Err(e) => (e.to_string(), Err(e.into()), Vec::new()),
            }
        });
        // `capture` holds back only what the reference's own task prints; log records of
        // work the library hands to other tasks or threads would not wait. So under `-v` /
        // `-d`, one reference at a time: each one's log stays whole, its timestamps in order.
        let concurrency = if log::max_level() == log::LevelFilter::Off {
            self.concurrency as usize
        } else {
            1
        };
        let mut results = notation::batch::in_order(jobs, concurrency);
        let mut failed = Vec::new();
        let mut documents = Vec::new();
        while let Some((label, result, captured)) = results.next().await {
            let before = documents.len();
            for (stream, text) in captured {
                if json && stream == output::Stream::Out {
                    documents.extend(json_documents(&text));
                } else {
                    out.replay(stream, &text)?;
                }
            }
            if let Err(e) = &result {
                if !e.is::<output::Reported>() {
                    // Go's line, with the reference it concerns unless it names it.
                    let text = output::error_text(e);
                    if text.contains(&label) {
                        out.eprintln(&format!("Error: {text}"));
                    } else {
                        out.eprintln(&format!("Error: {label}: {text}"));
                    }
                    if json && documents.len() == before {
                        documents.push(serde_json::json!({"reference": label, "error": text}));
                    }
                }
                failed.push(label);
            }
        }
        if json {
            out.println(&output::json_array(&documents)?)?;
        }
        out.summary(done, total, &failed)
    }
}

/// The JSON document(s) a reference printed: an array (from `--recursive`) is flattened.
fn json_documents(text: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(doc) => vec![doc],
        // Not JSON (nothing else is printed on stdout with -o json): kept as text.
        Err(_) => vec![serde_json::Value::String(text.to_string())],
    }
}

/// `--max-signatures` must be positive, checked where notation's RunE checks it.
pub fn check_max_signatures(max_signatures: i64) -> anyhow::Result<()> {
    if max_signatures <= 0 {
        anyhow::bail!("max-signatures value {max_signatures} must be a positive number");
    }
    Ok(())
}

/// Upstream's notice that `--allow-referrers-api` is deprecated, given when the flag is set;
/// `sign` (`suggest_force_referrers_tag`) names its replacement when the flag is true.
pub fn warn_allow_referrers_api(
    out: Printer,
    allow_referrers_api: Option<bool>,
    suggest_force_referrers_tag: bool,
) {
    let Some(v) = allow_referrers_api else {
        return;
    };
    let tail = if v && suggest_force_referrers_tag {
        ", use '--force-referrers-tag=false' instead."
    } else {
        "."
    };
    out.warn(&format!(
        "flag '--allow-referrers-api' is deprecated and will be removed in future versions{tail}"
    ));
}
