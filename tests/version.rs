//! `notation version`: upstream's first lines, then the toolchain and our own version.

#[test]
fn version_prints_upstream_lines_then_ours() {
    let out = assert_cmd::Command::cargo_bin("notation")
        .unwrap()
        .arg("version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "Notation - a tool to sign and verify artifacts.",
            "",
            "Version:     1.3.2"
        ]
    );
    let rustc = lines[3].strip_prefix("Rust version: ").expect(lines[3]);
    assert!(
        rustc.split('.').count() == 3 && rustc.split('.').all(|p| p.parse::<u32>().is_ok()),
        "{rustc}"
    );
    assert_eq!(
        lines[4],
        format!("notation-rs: {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(lines.len(), 5);
}
