//! The README's walkthrough runs as written: its shell block is executed with bash, with our
//! `notation` first on PATH, a fresh config home, and a real registry standing in for
//! `localhost:5000`.

mod common;

use common::registry::{Config, TestRegistry};
use common::ConfigHome;
use std::path::Path;
use std::process::Command;

/// The first ```sh block after the `## Walkthrough` heading.
fn walkthrough_script(readme: &str) -> String {
    let section = &readme[readme
        .find("## Walkthrough")
        .expect("README has a Walkthrough section")..];
    let start = section.find("```sh\n").expect("walkthrough has a sh block") + "```sh\n".len();
    let len = section[start..].find("\n```").expect("sh block is closed");
    section[start..start + len + 1].to_string()
}

#[test]
fn readme_walkthrough_runs_as_written() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let script = walkthrough_script(&readme);
    assert!(
        script.contains("localhost:5000") && script.contains("notation verify"),
        "the walkthrough lost its registry step:\n{script}"
    );

    let registry = TestRegistry::start(Config::default());
    let script = script.replace("localhost:5000", &format!("localhost:{}", registry.port));

    let home = ConfigHome::empty();
    let work = home.path().join("checkout");
    std::fs::create_dir_all(&work).unwrap();
    std::os::unix::fs::symlink(repo.join("testdata"), work.join("testdata")).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_notation")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(&work)
        .env_clear()
        .env("PATH", path)
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walkthrough failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let verified = stdout
        .lines()
        .filter(|l| l.starts_with("Successfully verified signature for "))
        .collect::<Vec<_>>();
    assert_eq!(verified.len(), 2, "layout and registry verify:\n{stdout}");
    assert!(
        verified[1].starts_with(&format!(
            "Successfully verified signature for localhost:{}/hello-world@sha256:",
            registry.port
        )),
        "{stdout}"
    );
    // Both signatures (JWS and COSE) are listed in the layout and, after the copy, in the
    // registry.
    let listed = stdout
        .lines()
        .filter(|l| l.starts_with("    ├── sha256:") || l.starts_with("    └── sha256:"))
        .count();
    assert_eq!(listed, 4, "{stdout}");
    assert!(
        stdout.contains("\"mediaType\": \"application/cose\""),
        "{stdout}"
    );
}
