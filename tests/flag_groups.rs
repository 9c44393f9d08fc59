//! Argument checks, required flags and flag groups, worded and ordered as cobra does for
//! notation v1.3.2 (and the v2 blob commands): the argument check first, then the
//! command's `PreRunE` (the experimental notice), then required flags, then the groups
//! (required-together, one-required, mutually exclusive), each kind in sorted group order.

mod common;

use common::{notation, ConfigHome};

const EXPERIMENTAL: &str = "Warning: This feature is experimental and may not be fully tested or completed and may be deprecated. Report any issues to \"https://github/notaryproject/notation\"\n";

/// Command line, expected stderr (after what `NOTATION_EXPERIMENTAL=1` prints, if any).
const CASES: &[(&str, &str)] = &[
    // sign: internal/cmd/options.go (key/id/plugin) and cmd/notation/sign.go
    ("sign", "Error: missing reference to the artifact: use `notation sign --help` to see what parameters are required\n"),
    // the argument check comes before any group check
    ("sign --force-referrers-tag --allow-referrers-api", "Error: missing reference to the artifact: use `notation sign --help` to see what parameters are required\n"),
    ("sign --id k", "Error: missing reference to the artifact: use `notation sign --help` to see what parameters are required\n"),
    ("sign --force-referrers-tag --allow-referrers-api localhost:5000/r@sha256:0000000000000000000000000000000000000000000000000000000000000000",
     "!Error: if any flags in the group [oci-layout force-referrers-tag allow-referrers-api] are set none of the others can be; [allow-referrers-api force-referrers-tag] were all set\n"),
    ("sign --oci-layout --force-referrers-tag=false dir:tag",
     "!Error: if any flags in the group [oci-layout force-referrers-tag allow-referrers-api] are set none of the others can be; [force-referrers-tag oci-layout] were all set\n"),
    ("sign --oci-layout --allow-referrers-api dir:tag",
     "!Error: if any flags in the group [oci-layout force-referrers-tag allow-referrers-api] are set none of the others can be; [allow-referrers-api oci-layout] were all set\n"),
    ("sign --id k r", "Error: if any flags in the group [id plugin] are set they must all be set; missing [plugin]\n"),
    ("sign --plugin p r", "Error: if any flags in the group [id plugin] are set they must all be set; missing [id]\n"),
    // required-together groups are checked before exclusive ones, "id plugin" before "timestamp-url ..."
    ("sign --timestamp-url u --id k --key x r", "Error: if any flags in the group [id plugin] are set they must all be set; missing [plugin]\n"),
    ("sign --timestamp-url u r", "Error: if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set; missing [timestamp-root-cert]\n"),
    ("sign --timestamp-root-cert c r", "Error: if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set; missing [timestamp-url]\n"),
    ("sign --key x --id k --plugin p r", "Error: if any flags in the group [key id] are set none of the others can be; [id key] were all set\n"),
    // the flag checks come before RunE's own checks
    ("sign --timestamp-url= --timestamp-root-cert c r", "Error: timestamping: tsa url cannot be empty\n"),
    ("sign --timestamp-url u --timestamp-root-cert= r", "Error: timestamping: tsa root certificate path cannot be empty\n"),
    // blob sign: notation v2 cmd/notation/blob/sign.go
    ("blob sign --id k", "Error: missing file path to the blob artifact: use `notation blob sign --help` to see what parameters are required\n"),
    ("blob sign --id k f", "Error: if any flags in the group [id plugin] are set they must all be set; missing [plugin]\n"),
    ("blob sign --key x --plugin p --id k f", "Error: if any flags in the group [key id] are set none of the others can be; [id key] were all set\n"),
    ("blob sign --timestamp-url u f", "Error: if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set; missing [timestamp-root-cert]\n"),
    // verify
    ("verify --scope s", "Error: missing reference to the artifact: use `notation verify --help` to see what parameters are required\n"),
    ("verify --scope s r", "!Error: if any flags in the group [oci-layout scope] are set they must all be set; missing [oci-layout]\n"),
    ("verify --oci-layout dir:tag", "!Error: if any flags in the group [oci-layout scope] are set they must all be set; missing [scope]\n"),
    // blob verify, blob policy init (v2), policy init (ours, the same flags)
    ("blob verify", "Error: missing path to the blob artifact: use `notation blob verify --help` to see what parameters are required\n"),
    // its PreRunE rejects the empty path before cobra's required-flag check can
    ("blob verify f", "Error: filepath of the signature cannot be empty\n"),
    ("blob verify --media-type= -s x.jws.sig f", "Error: --media-type is set but with empty value\n"),
    ("blob policy init", "Error: required flag(s) \"name\", \"trust-store\", \"trusted-identity\" not set\n"),
    ("blob policy init --name n --trusted-identity x", "Error: required flag(s) \"trust-store\" not set\n"),
    ("policy init --trust-store ca:s", "Error: required flag(s) \"name\", \"trusted-identity\" not set\n"),
    // plugin install: cmd/notation/plugin/install.go
    ("plugin install", "Error: missing plugin source location\n"),
    ("plugin install --file", "Error: missing plugin file path\n"),
    ("plugin install --url", "Error: missing plugin URL\n"),
    ("plugin install --file --url", "Error: missing plugin file path\n"),
    ("plugin install a b", "Error: can only install one plugin at a time, but got [a b]\n"),
    ("plugin install X", "Error: at least one of the flags in the group [file url] is required\n"),
    ("plugin install --file --url X", "Error: if any flags in the group [file url] are set none of the others can be; [file url] were all set\n"),
    // cert: required --type and --store after the argument check
    ("cert add", "Error: missing certificate path\n"),
    ("cert add c.pem", "Error: required flag(s) \"store\", \"type\" not set\n"),
    ("cert add -s s c.pem", "Error: required flag(s) \"type\" not set\n"),
    ("cert show", "Error: missing certificate file name\n"),
    ("cert show a b", "Error: show only supports single certificate file\n"),
    ("cert show -t ca c.pem", "Error: required flag(s) \"store\" not set\n"),
    ("cert delete", "Error: delete requires either the certificate file name that needs to be deleted or --all flag to delete all certificates in the given named trust store\n"),
    ("cert delete c.pem", "Error: required flag(s) \"store\", \"type\" not set\n"),
    ("cert delete --all c.pem", "Error: cannot delete a single certificate file when --all flag is set. use --help flag for more details\n"),
    // key add: required --plugin; our --key-file replaces it
    ("key add", "Error: either missing key name or unnecessary parameters passed\n"),
    ("key add a b --plugin p", "Error: either missing key name or unnecessary parameters passed\n"),
    ("key add k", "Error: required flag(s) \"plugin\" not set\n"),
    ("key add --cert-file c k", "Error: required flag(s) \"plugin\" not set\n"),
    ("key add --key-file f k", "Error: required flag(s) \"cert-file\" not set\n"),
    ("key add --cert-file c --plugin p k", "Error: if any flags in the group [key-file cert-file] are set they must all be set; missing [key-file]\n"),
    ("key add --key-file f --cert-file c --plugin p k", "Error: if any flags in the group [key-file plugin] are set none of the others can be; [key-file plugin] were all set\n"),
    ("key update", "Error: missing key name\n"),
    ("key delete", "Error: missing key names\n"),
    // argument checks of the other commands
    ("list", "Error: missing reference to the artifact: use `notation list --help` to see what parameters are required\n"),
    // PreRunE's notice, then RunE's count check before its deprecation notice
    ("list --allow-referrers-api --max-signatures 0 r", "!Error: max-signatures value 0 must be a positive number\n"),
    ("inspect --allow-referrers-api --max-signatures 0 r", "!Error: max-signatures value 0 must be a positive number\n"),
    ("verify --allow-referrers-api --max-signatures 0 r", "!Error: max-signatures value 0 must be a positive number\n"),
    ("inspect --allow-referrers-api", "Error: missing reference to the artifact: use `notation inspect --help` to see what parameters are required\n"),
    ("login", "Error: no hostname specified\n"),
    ("logout", "Error: no hostname specified\n"),
    ("policy show extra", "Error: accepts 0 arg(s), received 1\n"),
    ("blob policy show extra", "Error: accepts 0 arg(s), received 1\n"),
    // the argument check comes before the required flags
    ("blob policy init a b", "Error: accepts 0 arg(s), received 2\n"),
    ("policy init a", "Error: accepts 0 arg(s), received 1\n"),
    ("version extra", "Error: unknown command \"extra\" for \"notation version\"\n"),
    ("blob inspect -o bogus", "Error: missing signature path: use `notation blob inspect --help` to see what parameters are required\n"),
    // ours: delete and copy, with cobra's wording
    ("delete --all", "Error: missing reference to the artifact: use `notation delete --help` to see what parameters are required\n"),
    ("delete r", "Error: at least one of the flags in the group [signature all] is required\n"),
    ("delete --all --signature sha256:00 r", "Error: if any flags in the group [signature all] are set none of the others can be; [all signature] were all set\n"),
    ("copy a", "Error: accepts 2 arg(s), received 1\n"),
];

#[test]
fn cobra_argument_and_flag_checks() {
    let home = ConfigHome::empty();
    let mut failures = Vec::new();
    for (line, expected) in CASES {
        // `!` marks the cases whose PreRunE prints the experimental notice first.
        let expected = match expected.strip_prefix('!') {
            Some(rest) => format!("{EXPERIMENTAL}{rest}"),
            None => expected.to_string(),
        };
        let out = notation(home.path(), &home)
            .args(line.split(' '))
            .write_stdin("")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr != expected || out.status.code() != Some(1) {
            failures.push(format!(
                "notation {line}\n  exit {:?}\n  got:      {stderr:?}\n  expected: {expected:?}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Commands upstream gives no argument check accept and ignore arguments, as cobra does.
#[test]
fn commands_without_an_argument_check_ignore_arguments() {
    let home = ConfigHome::empty();
    for line in ["key list extra", "plugin list extra", "cert list extra"] {
        notation(home.path(), &home)
            .args(line.split(' '))
            .assert()
            .success();
    }
}

/// Upstream ignores references after the first (the `Args` checks of sign, verify, list
/// and inspect only look at it); notation-rs processes each one (issue 12), each with its
/// own error, and closes with a summary line.
#[test]
fn extra_references_are_each_processed() {
    let home = ConfigHome::empty();
    let invalid = "invalid reference: missing registry or repository. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>";
    notation(home.path(), &home)
        .args(["list", "bad-ref", "another"])
        .assert()
        .failure()
        .stderr(format!(
            "Error: \"bad-ref\": {invalid}\nError: \"another\": {invalid}\nlisted 0 of 2 artifacts; failed: bad-ref, another\n"
        ));
}

/// pflag's texts for a flag that ends the line without its value, and for unknown
/// shorthands.
#[test]
fn missing_flag_values_read_as_pflag() {
    let home = ConfigHome::empty();
    for (line, expected) in [
        ("inspect r -o", "Error: flag needs an argument: 'o' in -o\n"),
        (
            "inspect r --output",
            "Error: flag needs an argument: --output\n",
        ),
        (
            "sign r --timestamp-url",
            "Error: flag needs an argument: --timestamp-url\n",
        ),
        // pflag names what it still had to read of a shorthand cluster
        ("list -dz r", "Error: unknown shorthand flag: 'z' in -z\n"),
        ("list -zd r", "Error: unknown shorthand flag: 'z' in -zd\n"),
    ] {
        notation(home.path(), &home)
            .args(line.split(' '))
            .assert()
            .code(1)
            .stderr(expected);
    }
}

/// pflag's bool flags take `=<bool>` (Go's strconv.ParseBool), and bad values fail with
/// Go's strconv texts, naming the flag as pflag does (`-b, --bits` when it has a shorthand).
#[test]
fn flag_values_parse_as_pflag() {
    let home = ConfigHome::empty();
    for (line, expected) in [
        ("sign --oci-layout=maybe r", "Error: invalid argument \"maybe\" for \"--oci-layout\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\n"),
        ("sign --force-referrers-tag=no r", "Error: invalid argument \"no\" for \"--force-referrers-tag\" flag: strconv.ParseBool: parsing \"no\": invalid syntax\n"),
        ("verify --max-signatures x r", "Error: invalid argument \"x\" for \"--max-signatures\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"),
        ("list --max-signatures 99999999999999999999 r", "Error: invalid argument \"99999999999999999999\" for \"--max-signatures\" flag: strconv.ParseInt: parsing \"99999999999999999999\": value out of range\n"),
        ("verify -o xml r", "Error: unrecognized output format xml\n"),
        ("list --output xml r", "Error: unrecognized output format xml\n"),
        ("cert generate-test --bits x n", "Error: invalid argument \"x\" for \"-b, --bits\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"),
        // a bool given as false is still "set" for cobra's groups
        ("plugin install --file=false --url=0 x", "Error: if any flags in the group [file url] are set none of the others can be; [file url] were all set\n"),
        ("plugin install --file=false x", "Error: plugin installation failed: unknown plugin source type\n"),
        // `=true`/`=1`/`=T` mean the flag is on
        ("verify --oci-layout=T dir:tag", "Error: if any flags in the group [oci-layout scope] are set they must all be set; missing [scope]\n"),
    ] {
        let expected = if line.contains("--oci-layout=T") {
            format!("{EXPERIMENTAL}{expected}")
        } else {
            expected.to_string()
        };
        notation(home.path(), &home)
            .args(line.split(' '))
            .assert()
            .code(1)
            .stderr(expected);
    }
    // `=false` turns a bool flag off: no layout, so the reference is a registry one; the
    // flag was still given, so the experimental notice is printed (CheckFlagsAndWarn).
    notation(home.path(), &home)
        .args(["list", "--oci-layout=false", "dir:tag"])
        .assert()
        .code(1)
        .stderr(format!("{EXPERIMENTAL}Error: \"dir:tag\": invalid reference: missing registry or repository. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>\n"));
}

/// cobra's `completion` is a group of per-shell commands: without a shell it prints its
/// help and succeeds rather than failing on a missing argument.
#[test]
fn completion_without_a_shell_prints_its_help() {
    let home = ConfigHome::empty();
    for line in ["completion", "completion nosuchshell"] {
        let out = notation(home.path(), &home)
            .args(line.split(' '))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{line}");
        assert!(out.stderr.is_empty(), "{line}");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(
                "Generate the autocompletion script for notation for the specified shell.\n"
            ),
            "{line}"
        );
    }
}

/// pflag takes the word after a flag as its value even when it starts with '-'.
#[test]
fn flag_values_may_start_with_a_dash() {
    let home = ConfigHome::empty();
    notation(home.path(), &home)
        .args(["inspect", "-o", "--max-signatures", "r"])
        .assert()
        .code(1)
        .stderr("Error: unrecognized output format --max-signatures\n");
}
