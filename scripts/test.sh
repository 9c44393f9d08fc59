#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs every test.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

# The interop fixtures made by Go notation: the copy in testdata/interop (refreshed from
# ../shared/interop by scripts/refresh-interop.sh), unless NOTATION_INTEROP_DIR names another set.
# Checked first, so a broken checkout fails before anything is installed.
export NOTATION_INTEROP_DIR="${NOTATION_INTEROP_DIR:-$PWD/testdata/interop}"
if [ ! -f "$NOTATION_INTEROP_DIR/cases.json" ]; then
  echo "error: interop fixtures not found at $NOTATION_INTEROP_DIR (set NOTATION_INTEROP_DIR)" >&2
  exit 1
fi
if [ -f ../shared/interop/cases.json ] && ! diff -rq ../shared/interop testdata/interop >/dev/null; then
  echo "warning: testdata/interop differs from ../shared/interop; scripts/refresh-interop.sh updates it" >&2
fi

need_pkgs=()
for bin_pkg in docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl skopeo:skopeo python3:python3; do
  bin=${bin_pkg%%:*}; pkg=${bin_pkg#*:}
  command -v "$bin" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "==> installing ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "==> cargo test"
cargo test --all-targets 2>&1 | tee /tmp/notation-rs-test.log
grep -E "^test result: ok\. [1-9]" /tmp/notation-rs-test.log >/dev/null || { echo "error: no tests ran" >&2; exit 1; }
echo "==> cargo test --doc, examples and rustdoc"
cargo test --doc --quiet
cargo build --examples --quiet
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
# The binary scripts/bench.sh measures and the README recommends is linked differently
# (statically, without Rust's runtime start-up): run the whole demo workflow with it.
echo "==> release build (scripts/build-release.sh) and the demo with it"
release_bin=$(scripts/build-release.sh)
NOTATION_BIN="$release_bin" scripts/demo.sh >/tmp/notation-rs-demo.log 2>&1 ||
  { tail -n 30 /tmp/notation-rs-demo.log; echo "error: the demo failed with $release_bin" >&2; exit 1; }

# A short fuzzing pass over every parser of untrusted input (each target for a few seconds,
# on top of the seed replay in tests/fuzz_corpus.rs). NOTATION_FUZZ_SECONDS=0 skips it.
fuzz_seconds="${NOTATION_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "==> fuzz smoke pass (${fuzz_seconds}s per target)"
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
