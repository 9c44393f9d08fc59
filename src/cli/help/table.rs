//! The help texts of every command: Go notation v1.3.2's cobra `Use`, `Short`, `Long` and
//! aliases and its pflag usages, types and defaults (notation@v1.3.2 cmd/notation/*.go,
//! cmd/notation/{cert,plugin,policy}/*.go, internal/cmd/flags.go, internal/cmd/options.go,
//! cmd/notation/internal/option/*.go); the v2 line's for `blob` and `cert cleanup-test`
//! (notation@main cmd/notation/blob/**, cmd/notation/cert/cleanupTest.go); cobra's own for
//! `help` and `completion`. Our additions end in [`OURS`].
//!
//! Deliberate changes to upstream lines: `[Experimental] ` is dropped from `--oci-layout`,
//! `--scope` and the OCI layout examples (upstream shows them only with
//! NOTATION_EXPERIMENTAL=1; they are not experimental here).

use super::Kind::{self, Bool, Duration, Int, StringArray};

const STRING: Kind = Kind::String;

/// Marks what notation-rs adds: a flag's usage or a command's `Short` ends with it.
macro_rules! ours {
    ($text:expr) => {
        concat!($text, " (notation-rs)")
    };
}

/// One command's help: cobra's fields, and the flags' pflag texts.
pub(crate) struct Entry {
    /// The command's names below the root, space-separated ("" is the root).
    pub path: &'static str,
    /// cobra `Use` for a runnable command; empty for a group (cobra prints
    /// `<path> [command]` for those).
    pub use_line: &'static str,
    pub aliases: &'static [&'static str],
    pub short: &'static str,
    pub long: &'static str,
    pub example: &'static str,
    /// Commands cobra lists that are not clap subcommands here (`completion`'s shells).
    pub subcommands: &'static [(&'static str, &'static str)],
    pub flags: &'static [&'static [Flag]],
}

impl Entry {
    /// What a command without an entry shows (the table test keeps this from happening).
    pub(crate) const fn fallback() -> Entry {
        Entry {
            path: "",
            use_line: "",
            aliases: &[],
            short: "",
            long: "",
            example: "",
            subcommands: &[],
            flags: &[],
        }
    }

    /// The texts of the flag named `long`.
    pub(crate) fn flag(&self, long: &str) -> Option<&'static Flag> {
        self.flags
            .iter()
            .flat_map(|group| group.iter())
            .find(|f| f.name == long)
    }
}

/// A flag's pflag texts: its usage, its value type, and its default as pflag's `DefValue`
/// (empty for the zero value, which pflag does not show).
pub(crate) struct Flag {
    pub name: &'static str,
    pub kind: Kind,
    pub usage: &'static str,
    pub default: &'static str,
}

impl Flag {
    /// The texts of a flag missing from the table.
    pub(crate) const FALLBACK: Flag = flag("", STRING, "");
}

const fn flag(name: &'static str, kind: Kind, usage: &'static str) -> Flag {
    Flag {
        name,
        kind,
        usage,
        default: "",
    }
}

const fn with_default(
    name: &'static str,
    kind: Kind,
    usage: &'static str,
    default: &'static str,
) -> Flag {
    Flag {
        name,
        kind,
        usage,
        default,
    }
}

/// `-d`, `-v` (internal/cmd/options.go `LoggingFlagOpts`).
const LOGGING: &[Flag] = &[
    flag("debug", Bool, "debug mode"),
    flag("verbose", Bool, "verbose mode"),
];

/// `-u`, `-p`, `--insecure-registry` (cmd/notation/common.go `SecureFlagOpts`) and ours.
const REGISTRY: &[Flag] = &[
    flag(
        "username",
        STRING,
        "username for registry operations (default to $NOTATION_USERNAME if not specified)",
    ),
    flag(
        "password",
        STRING,
        "password for registry operations (default to $NOTATION_PASSWORD if not specified)",
    ),
    flag(
        "insecure-registry",
        Bool,
        "use HTTP protocol while connecting to registries. Should be used only for testing",
    ),
    flag(
        "ca-file",
        STRING,
        ours!("additional CA certificates (PEM file) to trust for the registry's TLS certificate"),
    ),
];

/// option.Signer, option.Plugin, option.UserMetadata (sign usage) and `--expiry`.
const SIGNER: &[Flag] = &[
    flag(
        "key",
        STRING,
        "signing key name, for a key previously added to notation's key list. This is mutually exclusive with the --id and --plugin flags",
    ),
    flag(
        "id",
        STRING,
        "key id (required if --plugin is set). This is mutually exclusive with the --key flag",
    ),
    flag(
        "plugin",
        STRING,
        "signing plugin name (required if --id is set). This is mutually exclusive with the --key flag",
    ),
    flag("plugin-config", StringArray, PLUGIN_CONFIG_SIGN),
    with_default(
        "signature-format",
        STRING,
        "signature envelope format, options: \"jws\", \"cose\"",
        "jws",
    ),
    flag(
        "expiry",
        Duration,
        "optional expiry that provides a \"best by use\" time for the artifact. The duration is specified in minutes(m) and/or hours(h). For example: 12h, 30m, 3h20m",
    ),
    flag(
        "user-metadata",
        StringArray,
        "{key}={value} pairs that are added to the signature payload",
    ),
    flag(
        "timestamp-url",
        STRING,
        "RFC 3161 Timestamping Authority (TSA) server URL",
    ),
    flag(
        "timestamp-root-cert",
        STRING,
        "filepath of timestamp authority root certificate",
    ),
];

const PLUGIN_CONFIG_SIGN: &str = "{key}={value} pairs that are passed as it is to a plugin, refer plugin's documentation to set appropriate values";

/// The verification flags `verify` and `blob verify` share.
const VERIFIER: &[Flag] = &[
    flag(
        "plugin-config",
        StringArray,
        "{key}={value} pairs that are passed as it is to a plugin, if the verification is associated with a verification plugin, refer plugin documentation to set appropriate values",
    ),
    flag(
        "user-metadata",
        StringArray,
        "user defined {key}={value} pairs that must be present in the signature for successful verification if provided",
    ),
];

const MAX_SIGNATURES: &[Flag] = &[with_default(
    "max-signatures",
    Int,
    "maximum number of signatures to evaluate or examine",
    "100",
)];

/// `-o json` on verify and list.
const OUTPUT_OURS: &[Flag] = &[with_default(
    "output",
    STRING,
    ours!("output format, options: 'text', 'json'"),
    "text",
)];

/// `--recursive`, `--platform` of sign, verify, list and inspect.
const TREE: &[Flag] = &[
    flag(
        "recursive",
        Bool,
        ours!("also act on every manifest the image index reaches (nested indexes too), each on its own"),
    ),
    flag(
        "platform",
        StringArray,
        ours!("with --recursive, only the manifests of this platform (os/arch[/variant]) and the index; repeatable"),
    ),
];

/// `--from-file`, `--concurrency` of sign, verify, list and inspect.
const BATCH: &[Flag] = &[
    flag(
        "from-file",
        STRING,
        ours!("also process the references in this file, one per line ('-' for stdin; blank lines and # comments are skipped)"),
    ),
    with_default(
        "concurrency",
        Int,
        ours!("how many references to process at once when several are given"),
        "4",
    ),
];

/// `--type`, `--store` of the certificate commands.
const STORE: &[Flag] = &[
    flag(
        "type",
        STRING,
        "specify trust store type, options: ca, signingAuthority, tsa",
    ),
    flag("store", STRING, "specify named store"),
];

const YES: &[Flag] = &[flag("yes", Bool, "do not prompt for confirmation")];

mod artifact;
mod blob;
mod config;

/// The root and cobra's own commands.
const GENERAL: &[Entry] = &[
    Entry {
        path: "",
        short: "Notation - a tool to sign and verify artifacts",
        ..Entry::fallback()
    },
    Entry {
        path: "help",
        use_line: "help [command]",
        short: "Help about any command",
        long: "Help provides help for any command in the application.\nSimply type notation help [path to command] for full details.",
        ..Entry::fallback()
    },
    Entry {
        path: "version",
        use_line: "version",
        short: "Show the notation version information",
        ..Entry::fallback()
    },
    Entry {
        path: "completion",
        short: "Generate the autocompletion script for the specified shell",
        long: "Generate the autocompletion script for notation for the specified shell.\nSee each sub-command's help for details on how to use the generated script.\n",
        subcommands: &[
            ("bash", "Generate the autocompletion script for bash"),
            ("fish", "Generate the autocompletion script for fish"),
            ("powershell", "Generate the autocompletion script for powershell"),
            ("zsh", "Generate the autocompletion script for zsh"),
            ("elvish", ours!("Generate the autocompletion script for elvish")),
        ],
        ..Entry::fallback()
    },
];

/// Every command, in groups, root first.
pub(crate) const ENTRIES: &[&[Entry]] =
    &[GENERAL, artifact::ENTRIES, config::ENTRIES, blob::ENTRIES];
