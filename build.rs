//! Records the compiler version for `notation version` (upstream prints its Go toolchain),
//! and links the `notation` binary as a position-dependent executable.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    // `rustc 1.95.0 (59807616e 2026-03-21)` -> `1.95.0`
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NOTATION_RS_RUSTC_VERSION={version}");
    link_position_dependent();
}

/// A position-independent executable makes the dynamic loader apply some 18,000 relative
/// relocations at every start, writing (and so copying) the pages that hold them: 0.24 M
/// instructions, 9 % of a `notation verify`. Go links its binaries position-dependent too.
/// Only the binaries: the library and its tests link as usual. A static build
/// (`scripts/build-release.sh`: `+crt-static` with `-C relocation-model=static`) is linked
/// position-dependent by rustc itself; there `-no-pie` would turn rustc's `-static-pie` of a
/// plain `+crt-static` build into a binary that crashes at start, so it is left out.
fn link_position_dependent() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && arch == "x86_64" && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
