//! Network failures worded as Go's `net` package words them.

mod common;

use common::{notation, ConfigHome};

/// The first name server of /etc/resolv.conf as Go's resolver prints it.
fn nameserver() -> String {
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(|a| a.trim().to_string())
        .find(|a| !a.is_empty())
        .map(|a| {
            if a.contains(':') {
                format!("[{a}]:53")
            } else {
                format!("{a}:53")
            }
        })
        .unwrap_or_else(|| "127.0.0.1:53".into())
}

/// A name under `.invalid` (RFC 6761) never resolves: the error is Go's `lookup` failure
/// (`no such host` when the name server answers, `server misbehaving` when none does),
/// never getaddrinfo's wording.
#[test]
fn unresolvable_registry_reads_as_go_lookup_failure() {
    let home = ConfigHome::empty();
    let digest = format!("sha256:{}", "0".repeat(64));
    let out = notation(home.path(), &home)
        .args(["list", &format!("nosuch.invalid/repo@{digest}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!(
        "Error: failed to get manifest descriptor: Head \"https://nosuch.invalid/v2/repo/manifests/{digest}\": dial tcp: lookup nosuch.invalid on {}: ",
        nameserver()
    );
    let reason = stderr
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        reason == "no such host\n" || reason == "server misbehaving\n",
        "{stderr}"
    );
}
