//! The help texts of the configuration commands: certificate, key, policy, plugin, login, logout.

use super::*;

/// The entries of the configuration commands.
pub(super) const ENTRIES: &[Entry] = &[
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
];
