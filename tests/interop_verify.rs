//! Replays every `verify` check and the `policy show` checks that Go notation v1.3.2
//! recorded in the interop fixtures (`cases.json`), the way the fixtures' README says:
//! a temp dir X with the interop `config/` as X/notation, the named policy installed as
//! `trustpolicy.json` (absent when null), `NOTATION_EXPERIMENTAL=1`, `XDG_CONFIG_HOME=X`,
//! cwd = a copy of the case directory. We require the same exit code; on success the same
//! first stdout line, on failure upstream's `Error:` line on stderr.

mod common;
use common::{copy_tree, interop_dir};

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// What one recorded run looked like.
struct Expected {
    exit: i64,
    stdout_first: String,
    stderr_contains: String,
}

fn first_nonempty_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

/// The recorded outcome plus, for checks whose outcome varied upstream, the variants.
fn expectations(root: &Path, check: &Value) -> Vec<Expected> {
    let mut out = vec![Expected {
        exit: check["exit"].as_i64().unwrap(),
        stdout_first: check["stdout_contains"].as_str().unwrap_or("").to_string(),
        stderr_contains: check["stderr_contains"].as_str().unwrap_or("").to_string(),
    }];
    if check["outcome_deterministic"] == Value::Bool(false) {
        for v in check["variants"].as_array().into_iter().flatten() {
            let files = &v["files"];
            let read = |k: &str| {
                fs::read_to_string(root.join(files[k].as_str().unwrap())).unwrap_or_default()
            };
            let stderr = read("stderr");
            out.push(Expected {
                exit: v["exit"].as_i64().unwrap(),
                stdout_first: first_nonempty_line(&read("stdout")),
                stderr_contains: stderr
                    .lines()
                    .find(|l| l.starts_with("Error:"))
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    out
}

/// Why `got` does not match `want`, if it does not.
fn mismatch(want: &Expected, exit: i64, stdout: &str, stderr: &str) -> Option<String> {
    if exit != want.exit {
        return Some(format!("exit {exit}, want {}", want.exit));
    }
    if exit == 0 && first_nonempty_line(stdout) != want.stdout_first {
        return Some(format!(
            "stdout first line {:?}, want {:?}",
            first_nonempty_line(stdout),
            want.stdout_first
        ));
    }
    let needle = &want.stderr_contains;
    let checked = needle.starts_with("Error:") || (exit == 0 && needle.starts_with("Warning:"));
    if checked && !stderr.lines().any(|l| l == needle) {
        return Some(format!("stderr lacks {needle:?}"));
    }
    None
}

/// Run every selected check and report all mismatches at once. With `exact_stderr`, the
/// whole stderr must equal what Go notation printed (deterministic checks only).
fn replay(select: impl Fn(&Value) -> bool, exact_stderr: bool) {
    let root = interop_dir();
    let cases: Value = serde_json::from_slice(&fs::read(root.join("cases.json")).unwrap()).unwrap();
    let mut by_case: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for c in cases["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| select(c))
    {
        by_case
            .entry(c["case"].as_str().unwrap().to_string())
            .or_default()
            .push(c);
    }
    assert!(!by_case.is_empty(), "no checks selected");
    let mut failures = Vec::new();
    let mut ran = 0;
    for (case, checks) in by_case {
        // One copy of the case directory (layout included) per case; verify never writes.
        let work = tempfile::tempdir().unwrap();
        let case_dir = work.path().join("case");
        copy_tree(
            &root.join("cases").join(&case).join("layout"),
            &case_dir.join("layout"),
        );
        for check in checks {
            let x = tempfile::tempdir().unwrap();
            let config = x.path().join("notation");
            copy_tree(&root.join("config"), &config);
            let policy = config.join("trustpolicy.json");
            match check["policy"].as_str() {
                Some(p) => {
                    fs::copy(root.join(p), &policy).unwrap();
                }
                None => {
                    let _ = fs::remove_file(&policy);
                }
            }
            let argv: Vec<&str> = check["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let out = Command::cargo_bin("notation")
                .unwrap()
                .args(&argv[1..])
                .current_dir(&case_dir)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("NOTATION_EXPERIMENTAL", "1")
                .env("HOME", x.path())
                .env("XDG_CONFIG_HOME", x.path())
                .env("XDG_CACHE_HOME", x.path().join("cache"))
                .output()
                .unwrap();
            ran += 1;
            let exit = out.status.code().unwrap_or(-1) as i64;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let wants = expectations(&root, check);
            let mut problems: Vec<String> = wants
                .iter()
                .filter_map(|w| mismatch(w, exit, &stdout, &stderr))
                .collect();
            if exact_stderr && check["deterministic"] == Value::Bool(true) {
                let recorded =
                    fs::read_to_string(root.join(check["files"]["stderr"].as_str().unwrap()))
                        .unwrap();
                // Our additions: one line per signature tried after upstream's Error line.
                let ours: String = stderr
                    .lines()
                    .filter(|l| {
                        !l.starts_with("  signature sha256:") && !l.starts_with("  stopped after")
                    })
                    .map(|l| format!("{l}\n"))
                    .collect();
                if recorded != ours {
                    problems = vec![format!("stderr differs; recorded:\n{recorded}")];
                }
            }
            if problems.len() == wants.len() {
                failures.push(format!(
                    "{case}/{}: {}\n  argv: {}\n  stderr: {}",
                    check["check"].as_str().unwrap(),
                    problems.join("; "),
                    argv.join(" "),
                    stderr.trim_end().replace('\n', "\n          ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} checks differ from Go notation:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_recorded_verify_check_matches_go_notation() {
    replay(|c| c["kind"] == "verify", false);
}

/// `verify -v` logs exactly what Go notation logs, line for line (its struct dumps included).
#[test]
fn verbose_verify_logs_match_go_notation() {
    replay(
        |c| c["kind"] == "verify" && c["argv"].as_array().unwrap().iter().any(|a| a == "-v"),
        true,
    );
}

#[test]
fn policy_show_checks_match_go_notation() {
    replay(|c| c["kind"] == "config" && c["argv"][1] == "policy", false);
}

#[test]
fn policy_show_prints_bytes_unchanged() {
    let root = interop_dir();
    let x = tempfile::tempdir().unwrap();
    let config = x.path().join("notation");
    fs::create_dir_all(&config).unwrap();
    let original = fs::read(root.join("config/policies/strict-root-compact.json")).unwrap();
    fs::write(config.join("trustpolicy.json"), &original).unwrap();
    let out = Command::cargo_bin("notation")
        .unwrap()
        .args(["policy", "show"])
        .env("XDG_CONFIG_HOME", x.path())
        .env_remove("NOTATION_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, original);
}
