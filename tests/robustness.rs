//! Hostile or damaged input gets one clear error line, said once, and changes nothing.

mod common;

use common::{notation, testdata_layout, ConfigHome};
use std::path::Path;

/// `testdata/layouts/single-platform.tar` with one more entry named `name` (written raw, as
/// the tar crate refuses to build such names).
fn tar_with_extra_entry(dst: &Path, name: &str) {
    let src = std::fs::File::open(testdata_layout("single-platform.tar")).unwrap();
    let mut archive = tar::Archive::new(src);
    let mut builder = tar::Builder::new(std::fs::File::create(dst).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        builder.append(&header, &mut entry).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_size(1);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, &b"x"[..]).unwrap();
    builder.into_inner().unwrap();
}

#[test]
fn sign_on_a_tar_with_parent_dir_entry_says_why_once() {
    let home = ConfigHome::empty();
    notation(home.path(), &home)
        .args(["cert", "generate-test", "--default", "robust.example"])
        .assert()
        .success();
    let tar = home.path().join("evil.tar");
    tar_with_extra_entry(&tar, "../escape");
    let before = std::fs::read(&tar).unwrap();

    let out = notation(home.path(), &home)
        .args(["sign", "--oci-layout", "evil.tar:v1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .lines()
        .filter(|l| l.starts_with("Error: "))
        .collect::<Vec<_>>();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(error[0].contains("../escape"), "{stderr}");
    assert_eq!(error[0].matches("../escape").count(), 1, "{stderr}");
    assert_eq!(
        std::fs::read(&tar).unwrap(),
        before,
        "the archive is untouched"
    );
}

/// Run `notation args` with a stdout whose reading end is already closed.
fn run_into_closed_pipe(home: &ConfigHome, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(env!("CARGO_BIN_EXE_notation"))
        .current_dir(home.path())
        .env_clear()
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("HOME", home.path())
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let home = ConfigHome::empty();
    let layout = home.path().join("l");
    common::copy_tree(&testdata_layout("single-platform"), &layout);
    for args in [
        &["completion", "bash"][..],
        &["completion", "zsh"],
        &["completion", "fish"],
        &["version"],
        &["--help"],
        &["sign", "--help"],
        &["list", "--oci-layout", "l:v1"],
        &["inspect", "--oci-layout", "l:v1", "-o", "json"],
        &[
            "policy",
            "init",
            "--name",
            "p",
            "--trust-store",
            "ca:x",
            "--trusted-identity",
            "*",
            "--registry-scope",
            "*",
        ],
        &["policy", "show"],
    ] {
        let out = run_into_closed_pipe(&home, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// A stdout that cannot be written (not a closed pipe) fails the command with one line.
#[test]
fn a_failing_stdout_is_an_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let home = ConfigHome::empty();
    for args in [&["version"][..], &["--help"], &["completion", "bash"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_notation"))
            .current_dir(home.path())
            .env_clear()
            .env("XDG_CONFIG_HOME", home.path())
            .env("HOME", home.path())
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("Error: failed to write to stdout: ") && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
}
