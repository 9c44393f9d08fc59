//! Helpers shared by the integration tests: locating the interop fixtures, throw-away
//! notation config homes, copying fixtures, and running the `notation` binary.
#![allow(dead_code)] // each test file uses a different subset

pub mod flaky_proxy;
pub mod referrers_server;
pub mod registry;
pub mod revocation;
pub mod seed;
pub mod token_server;
pub mod tsa;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The interop fixture set: `$NOTATION_INTEROP_DIR`, else `<repo>/testdata/interop`.
/// Panics (fails the test) when it is missing: these tests must not silently pass.
pub fn interop_dir() -> PathBuf {
    let dir = std::env::var_os("NOTATION_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
    assert!(
        dir.join("cases.json").is_file(),
        "interop fixtures not found at {} (set NOTATION_INTEROP_DIR)",
        dir.display()
    );
    dir
}

/// `testdata/layouts/<name>` in this repository.
pub fn testdata_layout(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/layouts")
        .join(name)
}

/// A temporary `$XDG_CONFIG_HOME` (and cache/home) for one run.
pub struct ConfigHome {
    pub dir: tempfile::TempDir,
}

impl ConfigHome {
    /// An empty home: no notation config at all.
    pub fn empty() -> ConfigHome {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("cache")).unwrap();
        ConfigHome { dir }
    }

    /// A home whose `notation/` is a copy of the interop `config/`, with `policy` (a path
    /// relative to the interop root, as in cases.json) installed as `trustpolicy.json`, or
    /// no trust policy at all when `policy` is `None`.
    pub fn interop(policy: Option<&str>) -> ConfigHome {
        let home = ConfigHome::empty();
        let root = interop_dir();
        let notation = home.notation_dir();
        copy_tree(&root.join("config"), &notation);
        let policy_file = notation.join("trustpolicy.json");
        match policy {
            Some(p) => {
                std::fs::copy(root.join(p), &policy_file).unwrap();
                make_writable(&policy_file);
            }
            None => {
                let _ = std::fs::remove_file(&policy_file);
            }
        }
        home
    }

    /// A home with the interop config and no trust policy, its `signingkeys.json` rewritten
    /// with absolute key paths so that `sign` works from any directory.
    pub fn signing() -> ConfigHome {
        let home = ConfigHome::interop(None);
        let config = home.notation_dir();
        let keys_path = config.join("signingkeys.json");
        let mut keys: Value = serde_json::from_slice(&std::fs::read(&keys_path).unwrap()).unwrap();
        for k in keys["keys"].as_array_mut().unwrap() {
            for field in ["keyPath", "certPath"] {
                if let Some(p) = k[field].as_str() {
                    k[field] = Value::String(config.join(p).display().to_string());
                }
            }
        }
        std::fs::write(&keys_path, serde_json::to_vec_pretty(&keys).unwrap()).unwrap();
        home
    }

    /// [`ConfigHome::signing`] with the interop `strict-root` trust policy installed (scope
    /// `*`, trusting the interop root).
    pub fn signing_trusted() -> ConfigHome {
        let home = ConfigHome::signing();
        std::fs::copy(
            interop_dir().join("config/policies/strict-root.json"),
            home.notation_dir().join("trustpolicy.json"),
        )
        .unwrap();
        home
    }

    /// `$XDG_CONFIG_HOME`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `$XDG_CONFIG_HOME/notation`.
    pub fn notation_dir(&self) -> PathBuf {
        self.dir.path().join("notation")
    }
}

/// The `notation` binary run in `cwd` with `home` as its config home, `NOTATION_EXPERIMENTAL=1`,
/// and none of the caller's notation variables.
pub fn notation(cwd: &Path, home: &ConfigHome) -> Command {
    Command::from_std(notation_process(cwd, home))
}

/// [`notation`] as a plain process, for tests that start it and act while it runs.
pub fn notation_process(cwd: &Path, home: &ConfigHome) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_notation"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NOTATION_EXPERIMENTAL", "1")
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("HOME", home.path());
    cmd
}

/// Copy a file or directory tree to `dst`, making the copies writable (fixtures are read-only).
pub fn copy_tree(src: &Path, dst: &Path) {
    if src.is_file() {
        std::fs::copy(src, dst).unwrap();
        make_writable(dst);
        return;
    }
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let to = dst.join(entry.path().strip_prefix(src).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
        make_writable(&to);
    }
}

fn make_writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

/// One recorded upstream run from `cases.json`.
#[derive(Debug, Clone)]
pub struct Check {
    pub raw: Value,
    pub name: String,
    pub kind: String,
    pub cwd: PathBuf,
    /// Arguments after `notation`.
    pub args: Vec<String>,
    pub policy: Option<String>,
    pub exit: i32,
    pub stderr_contains: String,
    pub expected: Vec<Outcome>,
}

/// An exit code and output upstream produced (the main one, then alternatives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Check {
    /// A boolean field of the check (false when absent).
    pub fn flag(&self, key: &str) -> bool {
        self.raw.get(key).and_then(Value::as_bool).unwrap_or(false)
    }
}

/// Every check of `kind` (`list`, `verify`, `sign`, `config`) in `cases.json`.
pub fn checks(kind: &str) -> Vec<Check> {
    let root = interop_dir();
    let cases: Value =
        serde_json::from_slice(&std::fs::read(root.join("cases.json")).unwrap()).unwrap();
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    let outcome = |files: &Value| Outcome {
        exit: read(files["exit"].as_str().unwrap())
            .trim()
            .parse()
            .unwrap(),
        stdout: read(files["stdout"].as_str().unwrap()),
        stderr: read(files["stderr"].as_str().unwrap()),
    };
    cases["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .map(|c| {
            let mut expected = vec![outcome(&c["files"])];
            for v in c["variants"].as_array().into_iter().flatten() {
                expected.push(outcome(&v["files"]));
            }
            let argv: Vec<String> = c["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            Check {
                name: format!(
                    "{}/{}",
                    c["case"].as_str().unwrap(),
                    c["check"].as_str().unwrap()
                ),
                kind: kind.to_string(),
                cwd: root.join(c["cwd"].as_str().unwrap()),
                args: argv[1..].to_vec(),
                policy: c["policy"].as_str().map(str::to_owned),
                exit: c["exit"].as_i64().unwrap() as i32,
                stderr_contains: c["stderr_contains"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                expected,
                raw: c.clone(),
            }
        })
        .collect()
}

/// Run `notation <args>` in `cwd` and return what it did.
pub fn run(cwd: &Path, home: &ConfigHome, args: &[String]) -> Outcome {
    let out = notation(cwd, home)
        .args(args)
        .output()
        .expect("run notation");
    Outcome {
        exit: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `notation <args>` in `cwd` with `stdin` as its standard input.
pub fn run_with_input(cwd: &Path, home: &ConfigHome, args: &[&str], stdin: &str) -> Outcome {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = notation_process(cwd, home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run notation");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    Outcome {
        exit: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
