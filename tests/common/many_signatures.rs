//! A layout whose artifact has many signatures of which only the last is trusted (issue 11,
//! goal 3): `count - 1` signed with an untrusted test key, then one with the trusted one.
//! Shared by `tests/many_signatures.rs` and `benches/many_signatures.rs` (through
//! `#[path]`, beside `tests/common/mod.rs` as `crate::common`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The scope the trust policy names (verify with `--scope`).
pub const SCOPE: &str = "local/many";

/// A config home and a layout `layout:v1` signed `count` times.
pub struct ManySignatures {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
}

impl ManySignatures {
    /// Builds it with the `notation` binary `bin`.
    pub fn build(bin: &Path, layout_source: &Path, count: usize) -> ManySignatures {
        let setup = ManySignatures {
            dir: tempfile::tempdir().expect("temp dir"),
            bin: bin.to_path_buf(),
        };
        crate::common::copy_tree(layout_source, &setup.dir.path().join("layout"));
        for name in ["untrusted.example", "trusted.example"] {
            setup.run_ok(&["cert", "generate-test", name]);
        }
        setup.trust("trusted.example");
        for i in 0..count {
            let key = if i + 1 == count {
                "trusted.example"
            } else {
                "untrusted.example"
            };
            setup.run_ok(&["sign", "--key", key, "--oci-layout", "layout:v1"]);
        }
        setup
    }

    /// Install a strict policy for [`SCOPE`] that trusts only the test CA `store`.
    pub fn trust(&self, store: &str) {
        let policy = serde_json::json!({"version": "1.0", "trustPolicies": [{
            "name": "many", "registryScopes": [SCOPE],
            "signatureVerification": {"level": "strict"},
            "trustStores": [format!("ca:{store}")], "trustedIdentities": ["*"]}]});
        let file = self.dir.path().join("notation/trustpolicy.json");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, policy.to_string()).unwrap();
    }

    /// `notation` with this home, in the directory holding `layout`.
    pub fn command(&self) -> Command {
        let home = self.dir.path();
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(home)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NOTATION_EXPERIMENTAL", "1")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .env("XDG_CACHE_HOME", home.join("cache"));
        cmd
    }

    /// The arguments of the verification.
    pub fn verify_args() -> [&'static str; 5] {
        ["verify", "--oci-layout", "--scope", SCOPE, "layout:v1"]
    }

    fn run_ok(&self, args: &[&str]) {
        let out = self.command().args(args).output().expect("run notation");
        assert!(
            out.status.success(),
            "notation {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
