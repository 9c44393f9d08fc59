//! `notation delete` (ours): signatures disappear from a layout directory and from a real
//! registry (the `sha256-<hex>` referrers index kept right), the rest stays verifiable, and
//! refused deletions change nothing.

mod common;

use common::registry::{Config, TestRegistry};
use common::{copy_tree, interop_dir, run, ConfigHome, Outcome};
use std::path::Path;

/// Go notation's two signatures (one JWS, one COSE) of the same image.
const CASE: &str = "cases/multi-jws-cose/layout";

fn notation(cwd: &Path, home: &ConfigHome, args: &[&str]) -> Outcome {
    run(
        cwd,
        home,
        &args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    )
}

/// The signature digests `list` shows, in order.
fn listed(out: &Outcome) -> Vec<String> {
    out.stdout
        .lines()
        .filter_map(|l| {
            l.trim_start_matches(['│', '├', '└', '─', ' '])
                .strip_prefix("sha256:")
        })
        .map(|hex| format!("sha256:{hex}"))
        .collect()
}

#[test]
fn deletes_signatures_from_a_layout_directory() {
    let work = tempfile::tempdir().unwrap();
    copy_tree(&interop_dir().join(CASE), &work.path().join("layout"));
    let home = ConfigHome::interop(Some("config/policies/strict-root.json"));
    let list =
        |home: &ConfigHome| notation(work.path(), home, &["list", "--oci-layout", "layout:v1"]);
    let before = listed(&list(&home));
    assert_eq!(before.len(), 2, "{before:?}");
    let index_before = std::fs::read(work.path().join("layout/index.json")).unwrap();
    let delete = |flags: &[&str]| {
        let mut args = vec!["delete", "--oci-layout"];
        args.extend_from_slice(flags);
        args.push("layout:v1");
        notation(work.path(), &home, &args)
    };

    // A digest that is not one of the artifact's signatures: nothing happens.
    let bogus = format!("sha256:{}", "ab".repeat(32));
    let out = delete(&["-y", "--signature", &bogus]);
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains(&format!(
            "Error: signature {bogus} is not associated with layout@sha256:"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(work.path().join("layout/index.json")).unwrap(),
        index_before
    );

    // Declining the prompt deletes nothing.
    let out = delete(&["--signature", &before[0]]);
    assert_eq!(out.exit, 0);
    assert!(out
        .stdout
        .contains("Are you sure you want to delete 1 signature(s) of layout@sha256:"));
    assert_eq!(listed(&list(&home)), before);

    let out = delete(&["-y", "--signature", &before[0]]);
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "Deleted signature {} of layout@sha256:",
            before[0]
        )),
        "{}",
        out.stdout
    );
    assert_eq!(listed(&list(&home)), before[1..]);
    let (_, hex) = before[0].split_once(':').unwrap();
    assert!(
        !work.path().join("layout/blobs/sha256").join(hex).exists(),
        "manifest blob removed"
    );
    // The other signature still verifies.
    let out = notation(
        work.path(),
        &home,
        &["verify", "--oci-layout", "--scope", "local/x", "layout:v1"],
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);

    let out = notation(
        work.path(),
        &home,
        &["delete", "--oci-layout", "-y", "--all", "layout:v1"],
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(list(&home).stdout.contains("has no associated signature"));
    let out = notation(
        work.path(),
        &home,
        &["verify", "--oci-layout", "--scope", "local/x", "layout:v1"],
    );
    assert_eq!(out.exit, 1);
}

#[test]
fn tar_layouts_are_refused_with_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    copy_tree(&interop_dir().join(CASE), &work.path().join("layout"));
    let home = ConfigHome::empty();
    let packed = notation(
        work.path(),
        &home,
        &[
            "copy",
            "-r",
            "--from-oci-layout",
            "layout:v1",
            "--to-oci-layout",
            "img.tar:v1",
        ],
    );
    assert_eq!(packed.exit, 0, "{}", packed.stderr);
    let before = std::fs::read(work.path().join("img.tar")).unwrap();
    let out = notation(
        work.path(),
        &home,
        &["delete", "--oci-layout", "-y", "--all", "img.tar:v1"],
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("deleting from a tar layout is not supported"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(work.path().join("img.tar")).unwrap(), before);
}

#[test]
fn deletes_signatures_from_a_registry_and_keeps_the_referrers_index_right() {
    for delete_enabled in [true, false] {
        let reg = TestRegistry::start(Config {
            delete_enabled,
            ..Config::default()
        });
        let work = tempfile::tempdir().unwrap();
        copy_tree(&interop_dir().join(CASE), &work.path().join("layout"));
        let home = ConfigHome::empty();
        let remote = format!("{}/del/app:v1", reg.host());
        let copied = notation(
            work.path(),
            &home,
            &[
                "copy",
                "-r",
                "--from-oci-layout",
                "layout:v1",
                &remote,
                "--insecure-registry",
            ],
        );
        assert_eq!(copied.exit, 0, "{}", copied.stderr);
        let list = || {
            notation(
                work.path(),
                &home,
                &["list", "--insecure-registry", &remote],
            )
        };
        let before = listed(&list());
        assert_eq!(before.len(), 2);

        let out = notation(
            work.path(),
            &home,
            &[
                "delete",
                "--insecure-registry",
                "-y",
                "--signature",
                &before[1],
                &remote,
            ],
        );
        if !delete_enabled {
            // The registry refuses DELETE: one error line, nothing changed.
            assert_eq!(out.exit, 1);
            assert!(
                out.stderr
                    .contains(&format!("Error: failed to delete signature {}", before[1])),
                "{}",
                out.stderr
            );
            assert_eq!(listed(&list()), before);
            continue;
        }
        assert_eq!(out.exit, 0, "{}", out.stderr);
        assert_eq!(listed(&list()), before[..1]);
        let out = notation(
            work.path(),
            &home,
            &["delete", "--insecure-registry", "-y", "--all", &remote],
        );
        assert_eq!(out.exit, 0, "{}", out.stderr);
        assert!(
            list().stdout.contains("has no associated signature"),
            "{}",
            list().stdout
        );
    }
}
