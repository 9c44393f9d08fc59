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

/// Every command, root first.
pub(crate) const ENTRIES: &[Entry] = &[
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
        path: "sign",
        use_line: "sign [flags] <reference>",
        short: "Sign artifacts",
        long: concat!(
            r#"Sign artifacts

Note: a signing key must be specified. This can be done temporarily by specifying a key ID, or a new key can be configured using the command "notation key add"

Example - Sign an OCI artifact using the default signing key, with the default JWS envelope, and use OCI image manifest to store the signature:
  notation sign <registry>/<repository>@<digest>

Example - Sign an OCI artifact using the default signing key, with the COSE envelope:
  notation sign --signature-format cose <registry>/<repository>@<digest> 

Example - Sign an OCI artifact with a specified plugin and signing key stored in KMS 
  notation sign --plugin <plugin_name> --id <remote_key_id> <registry>/<repository>@<digest>

Example - Sign an OCI artifact using a specified key
  notation sign --key <key_name> <registry>/<repository>@<digest>

Example - Sign an OCI artifact identified by a tag (Notation will resolve tag to digest)
  notation sign <registry>/<repository>:<tag>

Example - Sign an OCI artifact stored in a registry and specify the signature expiry duration, for example 24 hours
  notation sign --expiry 24h <registry>/<repository>@<digest>

Example - Sign an OCI artifact and store signature using the Referrers API. If it's not supported, fallback to the Referrers tag schema
  notation sign --force-referrers-tag=false <registry>/<repository>@<digest>

Example - Sign an OCI artifact with timestamping:
  notation sign --timestamp-url <TSA_url> --timestamp-root-cert <TSA_root_certificate_filepath> <registry>/<repository>@<digest> 

Example - Sign an OCI artifact referenced in an OCI layout
  notation sign --oci-layout "<oci_layout_path>@<digest>"

Example - Sign an OCI artifact identified by a tag and referenced in an OCI layout
  notation sign --oci-layout "<oci_layout_path>:<tag>"
"#,
            ours!("\nExample - Sign a multi-platform image: the index and every manifest it lists, each with its own signature"),
            "\n  notation sign --recursive <registry>/<repository>@<digest>\n",
            ours!("\nExample - Sign several artifacts, listed one per line in a file"),
            "\n  notation sign --from-file <file>\n",
        ),
        flags: &[
            LOGGING,
            REGISTRY,
            SIGNER,
            OUTPUT_OURS,
            TREE,
            BATCH,
            &[
                with_default(
                    "force-referrers-tag",
                    Bool,
                    "force to store signatures using the referrers tag schema",
                    "true",
                ),
                flag(
                    "oci-layout",
                    Bool,
                    "sign the artifact stored as OCI image layout",
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "verify",
        use_line: "verify [reference]",
        short: "Verify OCI artifacts",
        long: concat!(
            r#"Verify OCI artifacts

Prerequisite: added a certificate into trust store and created a trust policy.

Example - Verify a signature on an OCI artifact identified by a digest:
  notation verify <registry>/<repository>@<digest>

Example - Verify a signature on an OCI artifact identified by a tag  (Notation will resolve tag to digest):
  notation verify <registry>/<repository>:<tag>

Example - Verify a signature on an OCI artifact referenced in an OCI layout using trust policy statement specified by scope.
  notation verify --oci-layout <registry>/<repository>@<digest> --scope <trust_policy_scope>

Example - Verify a signature on an OCI artifact identified by a tag and referenced in an OCI layout using trust policy statement specified by scope.
  notation verify --oci-layout <registry>/<repository>:<tag> --scope <trust_policy_scope>
"#,
            ours!("\nExample - Verify a multi-platform image: the index and every manifest it lists must verify"),
            "\n  notation verify --recursive <registry>/<repository>@<digest>\n",
            ours!("\nExample - Verify several artifacts, listed one per line on standard input"),
            "\n  notation verify --from-file - < <file>\n",
        ),
        flags: &[
            LOGGING,
            REGISTRY,
            VERIFIER,
            MAX_SIGNATURES,
            OUTPUT_OURS,
            TREE,
            BATCH,
            &[
                flag(
                    "oci-layout",
                    Bool,
                    "verify the artifact stored as OCI image layout",
                ),
                flag(
                    "scope",
                    STRING,
                    "set trust policy scope for artifact verification, required and can only be used when flag \"--oci-layout\" is set",
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "list",
        use_line: "list [flags] <reference>",
        aliases: &["ls"],
        short: "List signatures of the signed artifact",
        long: r#"List all the signatures associated with signed artifact

Example - List signatures of an OCI artifact:
  notation list <registry>/<repository>@<digest>

Example - List signatures of an OCI artifact identified by a tag (Notation will resolve tag to digest)
  notation list <registry>/<repository>:<tag>

Example - List signatures of an OCI artifact referenced in an OCI layout
  notation list --oci-layout "<oci_layout_path>@<digest>"

Example - List signatures of an OCI artifact identified by a tag and referenced in an OCI layout
  notation list --oci-layout "<oci_layout_path>:<tag>"
"#,
        flags: &[
            LOGGING,
            REGISTRY,
            MAX_SIGNATURES,
            OUTPUT_OURS,
            TREE,
            BATCH,
            &[flag(
                "oci-layout",
                Bool,
                "list signatures stored in OCI image layout",
            )],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "inspect",
        use_line: "inspect [reference]",
        short: "Inspect all signatures associated with the signed artifact",
        long: concat!(
            r#"Inspect all signatures associated with the signed artifact.

Example - Inspect signatures on an OCI artifact identified by a digest:
  notation inspect <registry>/<repository>@<digest>

Example - Inspect signatures on an OCI artifact identified by a tag  (Notation will resolve tag to digest):
  notation inspect <registry>/<repository>:<tag>

Example - Inspect signatures on an OCI artifact identified by a digest and output as json:
  notation inspect --output json <registry>/<repository>@<digest>
"#,
            ours!("\nExample - Inspect signatures on an OCI artifact referenced in an OCI layout"),
            "\n  notation inspect --oci-layout \"<oci_layout_path>@<digest>\"\n",
            ours!("\nExample - Inspect signatures on an OCI artifact identified by a tag and referenced in an OCI layout"),
            "\n  notation inspect --oci-layout \"<oci_layout_path>:<tag>\"\n",
        ),
        flags: &[
            LOGGING,
            REGISTRY,
            MAX_SIGNATURES,
            TREE,
            BATCH,
            &[
                with_default("output", STRING, "output format, options: 'json', 'text'", "text"),
                flag(
                    "oci-layout",
                    Bool,
                    ours!("inspect the artifact stored as OCI image layout (a directory, or a tar file)"),
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate",
        aliases: &["cert"],
        short: "Manage certificates in trust store",
        long: "Manage certificates in trust store for signature verification.",
        ..Entry::fallback()
    },
    Entry {
        path: "certificate add",
        use_line: "add --type <type> --store <name> [flags] <cert_path>...",
        short: "Add certificates to the trust store.",
        long: r#"Add certificates to the trust store

Example - Add a certificate to the "ca" type of a named store "acme-rockets":
  notation cert add --type ca --store acme-rockets acme-rockets.crt

Example - Add a certificate to the "signingAuthority" type of a named store "wabbit-networks":
  notation cert add --type signingAuthority --store wabbit-networks wabbit-networks.pem
"#,
        flags: &[STORE],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate list",
        use_line: "list",
        aliases: &["ls"],
        short: "List certificates in the trust store.",
        long: r#"List certificates in the trust store

Example - List all certificate files stored in the trust store
  notation cert ls

Example - List all certificate files of trust store "acme-rockets"
  notation cert ls --store "acme-rockets"

Example - List all certificate files from trust store of type "ca"
  notation cert ls --type ca

Example - List all certificate files from trust store "wabbit-networks" of type "signingAuthority"
  notation cert ls --type signingAuthority --store "wabbit-networks"
"#,
        flags: &[LOGGING, STORE],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate show",
        use_line: "show --type <type> --store <name> [flags] <cert_fileName>",
        short: "Show certificate details given trust store type, named store, and certificate file name. If the certificate file contains multiple certificates, then all certificates are displayed.",
        long: r#"Show certificate details of given trust store name, trust store type, and certificate file name. If the certificate file contains multiple certificates, then all certificates are displayed

Example - Show details of certificate "cert1.pem" with type "ca" from trust store "acme-rockets":
  notation cert show --type ca --store acme-rockets cert1.pem

Example - Show details of certificate "cert2.pem" with type "signingAuthority" from trust store "wabbit-networks":
  notation cert show --type signingAuthority --store wabbit-networks cert2.pem
"#,
        flags: &[LOGGING, STORE],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate delete",
        use_line: "delete --type <type> --store <name> [flags] (--all | <cert_fileName>)",
        short: "Delete certificates from the trust store.",
        long: r#"Delete certificates from the trust store

Example - Delete all certificates with "ca" type from the trust store "acme-rockets":
  notation cert delete --type ca --store acme-rockets --all

Example - Delete certificate "cert1.pem" with "signingAuthority" type from trust store wabbit-networks:
  notation cert delete --type signingAuthority --store wabbit-networks cert1.pem

Example - Delete all certificates with "ca" type from the trust store "acme-rockets", without prompt for confirmation:
  notation cert delete --type ca --store acme-rockets -y --all 
"#,
        flags: &[
            STORE,
            YES,
            &[flag("all", Bool, "delete all certificates in the named store")],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate generate-test",
        use_line: "generate-test [flags] <common_name>",
        short: "Generate a test RSA key and a corresponding self-signed certificate.",
        long: r#"Generate a test RSA key and a corresponding self-signed certificate

Example - Generate a test RSA key and a corresponding self-signed certificate named "wabbit-networks.io":
  notation cert generate-test "wabbit-networks.io"

Example - Generate a test RSA key and a corresponding self-signed certificate, set RSA key as a default signing key:
  notation cert generate-test --default "wabbit-networks.io"
"#,
        flags: &[&[
            with_default("bits", Int, "RSA key bits", "2048"),
            flag("default", Bool, "mark as default signing key"),
            with_default(
                "days",
                Int,
                ours!("number of days the certificate is valid"),
                "1",
            ),
        ]],
        ..Entry::fallback()
    },
    Entry {
        path: "certificate cleanup-test",
        use_line: "cleanup-test [flags] <key_name>",
        short: "Clean up a test RSA key and its corresponding certificate that were generated using the \"generate-test\" command.",
        long: r#"Clean up a test RSA key and its corresponding certificate that were generated using the "generate-test" command.
Example - Clean up a test key and corresponding certificate named "wabbit-networks.io":
  notation cert cleanup-test "wabbit-networks.io"
"#,
        flags: &[YES],
        ..Entry::fallback()
    },
    Entry {
        path: "key",
        short: "Manage keys used for signing",
        long: r#"Manage keys used for signing

Example - Add a key to signing key list:
  notation key add --plugin <plugin_name> --id <key_id> <key_name>

Example - List keys used for signing:
  notation key ls

Example - Update the default signing key:
  notation key set --default <key_name>

Example - Delete the key from signing key list:
  notation key delete <key_name>...
"#,
        ..Entry::fallback()
    },
    Entry {
        path: "key add",
        use_line: "add --plugin <plugin_name> [flags] <key_name>",
        short: "Add key to Notation signing key list",
        flags: &[
            LOGGING,
            &[
                flag("plugin", STRING, "signing plugin name"),
                flag("id", STRING, "key id (required if --plugin is set)"),
                flag("plugin-config", StringArray, PLUGIN_CONFIG_SIGN),
                flag("default", Bool, "mark as default"),
                flag(
                    "key-file",
                    STRING,
                    ours!("PEM private key file of a local key (instead of --plugin)"),
                ),
                flag(
                    "cert-file",
                    STRING,
                    ours!("PEM certificate chain file (leaf first, ending with the root) of the local key"),
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "key list",
        use_line: "list [flags]",
        aliases: &["ls"],
        short: "List keys used for signing",
        ..Entry::fallback()
    },
    Entry {
        path: "key update",
        use_line: "update [flags] <key_name>",
        aliases: &["set"],
        short: "Update key in Notation signing key list",
        flags: &[LOGGING, &[flag("default", Bool, "mark as default")]],
        ..Entry::fallback()
    },
    Entry {
        path: "key delete",
        use_line: "delete [flags] <key_name>...",
        short: "Remove key from Notation signing key list",
        flags: &[LOGGING],
        ..Entry::fallback()
    },
    Entry {
        path: "policy",
        short: "Manage trust policy configuration",
        long: "Manage trust policy configuration for signature verification.",
        ..Entry::fallback()
    },
    Entry {
        path: "policy import",
        use_line: "import [flags] <file_path>",
        short: "Import trust policy configuration from a JSON file",
        long: r#"Import trust policy configuration from a JSON file.

Example - Import trust policy configuration from a file:
  notation policy import my_policy.json
"#,
        flags: &[&[flag(
            "force",
            Bool,
            "override the existing trust policy configuration, never prompt",
        )]],
        ..Entry::fallback()
    },
    Entry {
        path: "policy show",
        use_line: "show [flags]",
        short: "Show trust policy configuration",
        long: r#"Show trust policy configuration.

Example - Show current trust policy configuration:
  notation policy show

Example - Save current trust policy configuration to a file:
  notation policy show > my_policy.json
"#,
        ..Entry::fallback()
    },
    Entry {
        path: "policy init",
        use_line: "init [flags] --name <policy_name> --trust-store <type:name> --trusted-identity <identity>",
        short: ours!("Initialize an OCI trust policy with one strict statement"),
        long: concat!(
            "Initialize an OCI trust policy with one strict statement\n\n",
            "Example - Trust signatures of certificates in the \"ca\" store \"acme-rockets\" for every repository:\n",
            "  notation policy init --name acme --trust-store ca:acme-rockets --trusted-identity \"*\"\n",
        ),
        flags: &[&[
            flag("name", STRING, ours!("name of the trust policy statement")),
            flag(
                "trust-store",
                StringArray,
                ours!("trust store in the format \"<type>:<name>\" (repeatable)"),
            ),
            flag(
                "trusted-identity",
                StringArray,
                ours!("trusted identity, e.g. \"x509.subject: C=US, ST=WA, O=acme\" or \"*\" (repeatable)"),
            ),
            with_default(
                "registry-scope",
                StringArray,
                ours!("registry scope (repeatable)"),
                "[*]",
            ),
            flag(
                "force",
                Bool,
                ours!("override the existing OCI trust policy configuration, never prompt"),
            ),
        ]],
        ..Entry::fallback()
    },
    Entry {
        path: "plugin",
        short: "Manage plugins",
        ..Entry::fallback()
    },
    Entry {
        path: "plugin list",
        use_line: "list [flags]",
        aliases: &["ls"],
        short: "List installed plugins",
        long: r#"List installed plugins

Example - List installed Notation plugins:
  notation plugin ls
"#,
        ..Entry::fallback()
    },
    Entry {
        path: "plugin install",
        use_line: "install [flags] <--file|--url> <plugin_source>",
        aliases: &["add"],
        short: "Install a plugin",
        long: r#"Install a plugin

Example - Install plugin from file system:
  notation plugin install --file wabbit-plugin-v1.0.zip

Example - Install plugin from file system with user input SHA256 checksum:
  notation plugin install --file wabbit-plugin-v1.0.zip --sha256sum 113062a462674a0e35cb5cad75a0bb2ea16e9537025531c0fd705018fcdbc17e

Example - Install plugin from file system regardless if it's already installed:
  notation plugin install --file wabbit-plugin-v1.0.zip --force

Example - Install plugin from file system with .tar.gz:
  notation plugin install --file wabbit-plugin-v1.0.tar.gz

Example - Install plugin from file system with a single plugin executable file:
  notation plugin install --file notation-wabbit-plugin

Example - Install plugin from URL, SHA256 checksum is required:
  notation plugin install --url https://wabbit-networks.com/intaller/linux/amd64/wabbit-plugin-v1.0.tar.gz --sha256sum f8a75d9234db90069d9eb5660e5374820edf36d710bd063f4ef81e7063d3810b
"#,
        flags: &[
            LOGGING,
            &[
                flag("file", Bool, "install plugin from a file on file system"),
                flag(
                    "url",
                    Bool,
                    "install plugin from an HTTPS URL. The plugin download timeout is 10m0s",
                ),
                flag(
                    "sha256sum",
                    STRING,
                    "must match SHA256 of the plugin source, required when \"--url\" flag is set",
                ),
                flag("force", Bool, "force the installation of the plugin"),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "plugin uninstall",
        use_line: "uninstall [flags] <plugin_name>",
        aliases: &["remove", "rm"],
        short: "Uninstall a plugin",
        long: r#"Uninstall a plugin

Example - Uninstall plugin:
  notation plugin uninstall wabbit-plugin
"#,
        flags: &[LOGGING, YES],
        ..Entry::fallback()
    },
    Entry {
        path: "login",
        use_line: "login [flags] <server>",
        short: "Login to registry",
        long: "Log in to an OCI registry\n\nExample - Login with provided username and password:\n\tnotation login -u <user> -p <password> registry.example.com\n\nExample - Login using $NOTATION_USERNAME $NOTATION_PASSWORD variables:\n\tnotation login registry.example.com",
        flags: &[
            LOGGING,
            REGISTRY,
            &[flag("password-stdin", Bool, "take the password from stdin")],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "logout",
        use_line: "logout [flags] <server>",
        short: "Log out from the logged in registries",
        flags: &[LOGGING],
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
    Entry {
        path: "copy",
        use_line: "copy [flags] <source> <destination>",
        aliases: &["cp"],
        short: ours!("Copy an artifact and its signatures between OCI layouts and registries"),
        long: concat!(
            ours!("Copy an artifact and its signatures between OCI layouts and registries"),
            "\n\nExample - Copy a signed image and its signatures from a registry into an OCI layout:\n",
            "  notation copy --to-oci-layout -r <registry>/<repository>:<tag> <oci_layout_path>:<tag>\n\n",
            "Example - Copy a signed artifact and its signatures from an OCI layout into a registry:\n",
            "  notation copy --from-oci-layout -r <oci_layout_path>@<digest> <registry>/<repository>:<tag>\n",
        ),
        flags: &[
            LOGGING,
            REGISTRY,
            &[
                flag(
                    "from-oci-layout",
                    Bool,
                    ours!("the source is an OCI image layout (<path>:<tag> or <path>@<digest>)"),
                ),
                flag(
                    "to-oci-layout",
                    Bool,
                    ours!("the destination is an OCI image layout (created if missing)"),
                ),
                flag(
                    "recursive",
                    Bool,
                    ours!("also copy every referrer (signatures and their referrers)"),
                ),
                with_default(
                    "output",
                    STRING,
                    ours!("output format, options: 'json', 'text'"),
                    "text",
                ),
                with_default(
                    "concurrency",
                    Int,
                    ours!("number of blobs transferred at once (at least 1)"),
                    "3",
                ),
                flag(
                    "no-progress",
                    Bool,
                    ours!("do not show transfer progress (it is shown only when stderr is a terminal)"),
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "delete",
        use_line: "delete [flags] (--signature <digest>... | --all) <reference>",
        short: ours!("Delete signatures of an artifact"),
        long: concat!(
            ours!("Delete signatures of an artifact"),
            "\n\nExample - Delete one signature of an OCI artifact:\n",
            "  notation delete --signature <signature_manifest_digest> <registry>/<repository>@<digest>\n\n",
            "Example - Delete every signature of an OCI artifact referenced in an OCI layout, without prompt for confirmation:\n",
            "  notation delete --oci-layout --all -y \"<oci_layout_path>@<digest>\"\n",
        ),
        flags: &[
            LOGGING,
            REGISTRY,
            YES,
            &[
                flag(
                    "signature",
                    StringArray,
                    ours!("digest of a signature manifest to delete (repeatable)"),
                ),
                flag("all", Bool, ours!("delete every signature of the artifact")),
                flag(
                    "oci-layout",
                    Bool,
                    ours!("the artifact is in an OCI image layout directory"),
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "blob",
        short: "Sign, verify, inspect signatures of blob. Configure blob trust policy.",
        ..Entry::fallback()
    },
    Entry {
        path: "blob sign",
        use_line: "sign [flags] <blob_path>",
        short: "Produce a detached signature for a given blob",
        long: r#"Produce a detached signature for a given blob.

The signature file will be written to the currently working directory with file name "{blob file name}.{signature format}.sig".

Note: a signing key must be specified. This can be done temporarily by specifying a key ID, or a new key can be configured using the command "notation key add"

Example - Sign a blob artifact using the default signing key, with the default JWS envelope, and store the signature at current directory:
  notation blob sign <blob_path>

Example - Sign a blob artifact by generating the signature in a particular directory: 
  notation blob sign --signature-directory <signature_directory_path> <blob_path>

Example - Sign a blob artifact and skip user confirmations when overwriting existing signature:
  notation blob sign --force <blob_path> 

Example - Sign a blob artifact using the default signing key, with the COSE envelope:
  notation blob sign --signature-format cose <blob_path>

Example - Sign a blob artifact with a specified plugin and signing key stored in KMS: 
  notation blob sign --plugin <plugin_name> --id <remote_key_id> <blob_path>

Example - Sign a blob artifact and add a user metadata to payload: 
  notation blob sign --user-metadata <metadata> <blob_path>

Example - Sign a blob artifact using a specified media type: 
  notation blob sign --media-type <media type> <blob_path>

Example - Sign a blob artifact using a specified key: 
  notation blob sign --key <key_name> <blob_path>

Example - Sign a blob artifact and specify the signature expiry duration, for example 24 hours: 
  notation blob sign --expiry 24h <blob_path>

Example - Sign a blob artifact with timestamping:
  notation blob sign --timestamp-url <TSA_url> --timestamp-root-cert <TSA_root_certificate_filepath> <blob_path>
"#,
        flags: &[
            LOGGING,
            SIGNER,
            &[
                with_default(
                    "media-type",
                    STRING,
                    "media type of the blob",
                    "application/octet-stream",
                ),
                with_default(
                    "signature-directory",
                    STRING,
                    "directory where the blob signature needs to be placed",
                    ".",
                ),
                flag(
                    "force",
                    Bool,
                    "override the existing signature file, never prompt",
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "blob verify",
        use_line: "verify [flags] --signature <signature_path> <blob_path>",
        short: "Verify a signature associated with a blob",
        long: r#"Verify a signature associated with a blob.

Prerequisite: added a certificate into trust store and created a trust policy.

Example - Verify a signature on a blob artifact:
  notation blob verify --signature <signature_path> <blob_path>

Example - Verify the signature on a blob artifact with user metadata:
  notation blob verify --user-metadata <metadata> --signature <signature_path> <blob_path>

Example - Verify the signature on a blob artifact with media type:
  notation blob verify --media-type <media_type> --signature <signature_path> <blob_path>
 
Example - Verify the signature on a blob artifact using a policy statement name:
  notation blob verify --policy-name <policy_name> --signature <signature_path> <blob_path>
"#,
        flags: &[
            LOGGING,
            VERIFIER,
            &[
                flag(
                    "signature",
                    STRING,
                    "filepath of the signature to be verified",
                ),
                flag("media-type", STRING, "media type of the blob to verify"),
                flag(
                    "policy-name",
                    STRING,
                    "policy name to verify against. If not provided, the global policy is used if exists",
                ),
            ],
        ],
        ..Entry::fallback()
    },
    Entry {
        path: "blob inspect",
        use_line: "inspect [flags] <signature_path>",
        short: "Inspect a signature associated with a blob",
        long: r#"Inspect a signature associated with a blob.

Example - Inspect a signature:
  notation blob inspect blob.cose.sig

Example - Inspect a signature and output as JSON:
  notation blob inspect -o json blob.cose.sig
"#,
        flags: &[&[with_default(
            "output",
            STRING,
            "output format, options: 'json', 'tree'",
            "tree",
        )]],
        ..Entry::fallback()
    },
    Entry {
        path: "blob policy",
        short: "Manage trust policy configuration for signed blobs",
        long: "Manage blob trust policy configuration for arbitrary blob signature verification.",
        ..Entry::fallback()
    },
    Entry {
        path: "blob policy import",
        use_line: "import [flags] <file_path>",
        short: "Import blob trust policy configuration from a JSON file",
        long: r#"Import blob trust policy configuration from a JSON file.

Example - Import blob trust policy configuration from a JSON file and store as "trustpolicy.blob.json":
  notation blob policy import my_policy.json

Example - Import blob trust policy and override existing configuration without prompt:
  notation blob policy import --force my_policy.json
"#,
        flags: &[&[flag(
            "force",
            Bool,
            "override the existing blob trust policy configuration without prompt",
        )]],
        ..Entry::fallback()
    },
    Entry {
        path: "blob policy show",
        use_line: "show [flags]",
        short: "Show blob trust policy configuration",
        long: r#"Show blob trust policy configuration.

Example - Show current blob trust policy configuration:
  notation blob policy show

Example - Save current blob trust policy configuration to a file:
  notation blob policy show > my_policy.json
"#,
        ..Entry::fallback()
    },
    Entry {
        path: "blob policy init",
        use_line: r#"init [flags] --name <policy_name> --trust-store "<store_type>:<store_name>" --trusted-identity "<trusted_identity>""#,
        short: "Initialize blob trust policy configuration",
        long: r#"Initialize blob trust policy configuration.

Example - init a blob trust policy configuration with a trust store and a trusted identity:
  notation blob policy init --name examplePolicy --trust-store ca:exampleStore --trusted-identity "x509.subject: C=US, ST=WA, O=acme-rockets.io"
"#,
        flags: &[&[
            flag("name", STRING, "name of the blob trust policy"),
            flag(
                "trust-store",
                StringArray,
                "trust store in the format \"<store_type>:<store_name>\"",
            ),
            flag(
                "trusted-identity",
                StringArray,
                "trusted identity, use the format \"x509.subject:<subject_of_signing_certificate>\" for x509 CA scheme and \"<signing_authority_identity>\" for x509 signingAuthority scheme",
            ),
            flag(
                "force",
                Bool,
                "override the existing blob trust policy configuration, never prompt (default --force=false)",
            ),
            flag(
                "global",
                Bool,
                "set the policy as the global policy (default --global=false)",
            ),
        ]],
        ..Entry::fallback()
    },
];
