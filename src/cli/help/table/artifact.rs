//! The help texts of the commands on artifacts: sign, verify, list, inspect, copy, delete.

use super::*;

/// The entries of the commands on artifacts.
pub(super) const ENTRIES: &[Entry] = &[
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
];
