//! The help texts of `blob` and its subcommands: notation v2's.

use super::*;

/// The entries of `blob` and its subcommands.
pub(super) const ENTRIES: &[Entry] = &[
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
