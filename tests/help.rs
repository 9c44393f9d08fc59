//! `--help` as Go notation v1.3.2 prints it (cobra's help template, pflag's flag list):
//! a snapshot of every command's help, and the other ways of asking for it.

/// Every command's words, root first, as `notation <words> --help` takes them.
const COMMANDS: &[&str] = &[
    "",
    "sign",
    "verify",
    "list",
    "inspect",
    "certificate",
    "certificate add",
    "certificate list",
    "certificate show",
    "certificate delete",
    "certificate generate-test",
    "certificate cleanup-test",
    "key",
    "key add",
    "key list",
    "key update",
    "key delete",
    "policy",
    "policy import",
    "policy show",
    "policy init",
    "plugin",
    "plugin list",
    "plugin install",
    "plugin uninstall",
    "login",
    "logout",
    "version",
    "completion",
    "copy",
    "delete",
    "blob",
    "blob sign",
    "blob verify",
    "blob inspect",
    "blob policy",
    "blob policy import",
    "blob policy show",
    "blob policy init",
    "help",
];

fn run(args: &[&str]) -> (String, String, bool) {
    let config = tempfile::tempdir().unwrap();
    run_with_config(args, config.path())
}

/// Run with `config` as NOTATION_CONFIG (config.json there sets a default).
fn run_with_config(args: &[&str], config: &std::path::Path) -> (String, String, bool) {
    let out = assert_cmd::Command::cargo_bin("notation")
        .unwrap()
        .args(args)
        .env("NOTATION_CONFIG", config)
        .env_remove("NOTATION_EXPERIMENTAL")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

/// stdout of a successful run with nothing on stderr.
fn help_of(args: &[&str]) -> String {
    let (stdout, stderr, ok) = run(args);
    assert!(ok, "{args:?} failed: {stderr}");
    assert_eq!(stderr, "", "{args:?}");
    stdout
}

fn words(command: &str) -> Vec<&str> {
    command.split_whitespace().collect()
}

#[test]
fn every_command_help_is_snapshotted() {
    for command in COMMANDS {
        let mut args = words(command);
        if *command == "help" {
            args.insert(0, "help");
        } else {
            args.push("--help");
        }
        let name = if command.is_empty() {
            "root".to_string()
        } else {
            command.replace(' ', "_")
        };
        insta::assert_snapshot!(name, help_of(&args));
    }
}

/// The names under "Available Commands:" of a help text.
fn available_commands(help: &str) -> Vec<String> {
    help.split("Available Commands:\n")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .take_while(|l| !l.is_empty())
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_command_list_covers_every_listed_command() {
    let mut pending = vec![String::new()];
    let mut seen = Vec::new();
    while let Some(command) = pending.pop() {
        let mut args = words(&command);
        args.push("--help");
        // completion lists the shells it takes, which are arguments here
        if command == "completion" {
            continue;
        }
        for name in available_commands(&help_of(&args)) {
            if name != "help" {
                pending.push(format!("{command} {name}").trim().to_string());
            }
        }
        seen.push(command);
    }
    for command in &seen {
        assert!(
            COMMANDS.contains(&command.as_str()),
            "{command:?} has no help snapshot"
        );
    }
    assert!(seen.len() >= 38, "{seen:?}");
}

#[test]
fn dash_h_help_command_and_aliases_print_the_same_help() {
    for command in COMMANDS.iter().filter(|c| !c.is_empty() && **c != "help") {
        let mut long = words(command);
        long.push("--help");
        let expected = help_of(&long);
        let mut short = words(command);
        short.push("-h");
        assert_eq!(help_of(&short), expected, "{command} -h");
        let mut topic = vec!["help"];
        topic.extend(words(command));
        assert_eq!(help_of(&topic), expected, "help {command}");
    }
    assert_eq!(
        help_of(&["cert", "ls", "-h"]),
        help_of(&["certificate", "list", "--help"])
    );
    assert_eq!(help_of(&["-h"]), help_of(&["--help"]));
    assert_eq!(help_of(&["help"]), help_of(&["--help"]));
}

#[test]
fn help_wins_over_other_arguments_and_flag_values() {
    let expected = help_of(&["verify", "--help"]);
    assert_eq!(
        help_of(&[
            "verify",
            "-o",
            "json",
            "example.com/repo@sha256:x",
            "--help"
        ]),
        expected
    );
    assert_eq!(
        help_of(&["key", "add", "--plugin", "list", "-h"]),
        help_of(&["key", "add", "-h"])
    );
}

#[test]
fn bare_group_commands_print_their_help() {
    assert_eq!(help_of(&[]), help_of(&["--help"]));
    for group in [
        "certificate",
        "cert",
        "key",
        "policy",
        "plugin",
        "blob",
        "blob policy",
    ] {
        let mut help = words(group);
        help.push("--help");
        assert_eq!(help_of(&words(group)), help_of(&help), "{group}");
    }
    // cobra's legacy argument handling: an unknown subcommand of a group prints its help.
    assert_eq!(help_of(&["cert", "nope"]), help_of(&["cert", "--help"]));
    assert_eq!(help_of(&["key", "nope"]), help_of(&["key", "--help"]));
}

#[test]
fn help_for_an_unknown_topic_is_cobras() {
    let (stdout, stderr, ok) = run(&["help", "nope"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "");
    let root = help_of(&["--help"]);
    let root_usage = &root[root.find("Usage:").unwrap()..];
    assert_eq!(stderr, format!("Unknown help topic [`nope`]\n{root_usage}"));
    // A known command with an unknown word after it is that command's help.
    assert_eq!(
        help_of(&["help", "cert", "nope"]),
        help_of(&["cert", "--help"])
    );
}

#[test]
fn signature_format_default_comes_from_config_json() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("config.json"),
        r#"{"signatureFormat": "cose"}"#,
    )
    .unwrap();
    for command in [&["sign", "--help"][..], &["blob", "sign", "--help"]] {
        let (stdout, stderr, ok) = run_with_config(command, config.path());
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains(
                "      --signature-format string      signature envelope format, options: \"jws\", \"cose\" (default \"cose\")\n"
            ),
            "{stdout}"
        );
    }
}

#[test]
fn a_bad_flag_beside_help_is_reported_as_pflag_does() {
    for args in [
        &["sign", "-h", "--bogus"][..],
        &["sign", "--bogus", "--help"],
    ] {
        let (stdout, stderr, ok) = run(args);
        assert!(!ok, "{args:?}");
        assert_eq!(
            (stdout.as_str(), stderr.as_str()),
            ("", "Error: unknown flag: --bogus\n")
        );
    }
    // Missing or extra arguments are no flag errors: cobra prints the help before it
    // checks arguments.
    assert_eq!(help_of(&["sign", "-h"]), help_of(&["sign", "--help"]));
    assert_eq!(
        help_of(&["version", "extra", "-h"]),
        help_of(&["version", "--help"])
    );
    assert_eq!(
        help_of(&["policy", "show", "x", "y", "--help"]),
        help_of(&["policy", "show", "--help"])
    );
}
