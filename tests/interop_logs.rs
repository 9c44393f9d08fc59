//! `-d` / `-v` output compared with Go notation v1.3.2's, scenario by scenario.
//!
//! `testdata/interop-logs/` holds what Go notation printed in 31 scenarios (layouts, a
//! registry with basic auth and a credential helper, CRL and OCSP revocation, a TSA, RAW and
//! ENVELOPE signing plugins, a verification plugin) and the `record.sh` that made them. We
//! rerun `record.sh` with our binary (it builds its own PKI, servers and config in a temp
//! dir and normalizes the output) and compare every file it writes, as that README says:
//! byte for byte, except the stderr of the revocation scenarios 19-24, which is compared
//! line-sorted because notation checks a chain's certificates concurrently. The Python version
//! in the test servers' `Server` headers is masked (it is the machine's).
//!
//! Needs bash, openssl, python3, `docker-registry` and `htpasswd` (scripts/test.sh installs
//! them). Takes about a minute: scenario 21 waits for a CRL to expire.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Lines of ours that some scenarios add to Go's output (additions are allowed, changes are
/// not): (scenario, file, start of the added line). The scenario must hold exactly one such
/// line; with it taken out, the output must be Go's byte for byte.
const ADDED_LINES: &[(&str, &str, &str)] = &[(
    // After Go's error line, where we looked for a credentials store and how to configure
    // one (user-voice §4, pinned by tests/login.rs).
    "14-registry-login-no-credstore-debug",
    "stderr.txt",
    "Looked for a credentials store in: ",
)];

/// `ours` without the one line of ours `ADDED_LINES` allows in this file, if any.
fn without_added_line(scenario: &str, file: &str, ours: String) -> Result<String, String> {
    let Some((_, _, start)) = ADDED_LINES
        .iter()
        .find(|(s, f, _)| *s == scenario && *f == file)
    else {
        return Ok(ours);
    };
    let added = ours.lines().filter(|l| l.starts_with(start)).count();
    if added != 1 {
        return Err(format!(
            "{scenario}/{file}: expected our one added line starting {start:?}, found {added}"
        ));
    }
    Ok(ours
        .lines()
        .filter(|l| !l.starts_with(start))
        .map(|l| format!("{l}\n"))
        .collect())
}

/// The files `record.sh` writes per scenario, compared in this order.
const FILES: [&str; 5] = [
    "cmd.txt",
    "exit.txt",
    "stdout.txt",
    "stderr.txt",
    "plugin-requests.jsonl",
];

fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/interop-logs")
}

/// The scenario directories (`NN-name`) under `dir`.
fn scenarios(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() > 3 && n.as_bytes()[..2].iter().all(u8::is_ascii_digit))
        .collect();
    names.sort();
    names
}

/// Concurrency reorders the revocation scenarios' log lines (the README's rule).
fn compared_sorted(scenario: &str, file: &str) -> bool {
    file == "stderr.txt" && ("19".."25").contains(&&scenario[..2])
}

/// The file's text, with the Python version in the test servers' `Server` headers
/// (`SimpleHTTP/0.6 Python/3.11.7`) masked: it is the machine's, not notation's.
fn read(path: &Path) -> Option<String> {
    let text = String::from_utf8_lossy(&fs::read(path).ok()?).into_owned();
    let python = regex::Regex::new(r"Python/[0-9][0-9.]*").unwrap();
    Some(python.replace_all(&text, "Python/<VERSION>").into_owned())
}

fn sorted_lines(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `diff -u` of the two texts, labelled Go and ours.
fn unified_diff(go: &str, ours: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("go"), dir.path().join("ours"));
    fs::write(&a, go).unwrap();
    fs::write(&b, ours).unwrap();
    let out = Command::new("diff")
        .args(["-u", "--label", "go", "--label", "ours"])
        .arg(&a)
        .arg(&b)
        .output()
        .expect("diff runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every difference of one scenario, as readable diffs (empty when identical).
fn compare(go_dir: &Path, our_dir: &Path, scenario: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for file in FILES {
        let go = read(&go_dir.join(scenario).join(file));
        let ours = match read(&our_dir.join(scenario).join(file))
            .map(|o| without_added_line(scenario, file, o))
            .transpose()
        {
            Ok(ours) => ours,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let (go, ours) = match (go, ours) {
            (None, None) => continue,
            (Some(g), Some(o)) if compared_sorted(scenario, file) => {
                (sorted_lines(&g), sorted_lines(&o))
            }
            (g, o) => (g.unwrap_or_default(), o.unwrap_or_default()),
        };
        if go != ours {
            let how = if compared_sorted(scenario, file) {
                " (lines sorted)"
            } else {
                ""
            };
            problems.push(format!(
                "{scenario}/{file}{how}:\n{}",
                unified_diff(&go, &ours)
            ));
        }
    }
    problems
}

#[test]
fn debug_and_verbose_logs_match_go_notation() {
    let go_dir = recordings();
    let ours = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("notation");
    let run = Command::new("bash")
        .arg(go_dir.join("record.sh"))
        .arg(&bin)
        .arg(ours.path())
        .output()
        .expect("bash runs record.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let expected = scenarios(&go_dir);
    assert_eq!(expected.len(), 31, "recordings missing in {go_dir:?}");
    let mut failures = Vec::new();
    for scenario in &expected {
        failures.extend(compare(&go_dir, ours.path(), scenario));
    }
    assert!(
        failures.is_empty(),
        "{} differences from Go notation's -d/-v output (record.sh said:\n{log})\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
