#!/usr/bin/env bash
# Fuzz every parser of untrusted input with cargo-fuzz (libFuzzer): JWS and COSE envelopes,
# certificates, CRLs, OCSP responses, timestamp tokens, trust policies, OCI manifests and
# index.json, tar layouts. Targets: fuzz/fuzz_targets/, entry functions: fuzz/src/lib.rs.
#
# Usage: scripts/fuzz.sh [SECONDS]        each target for SECONDS (default 60)
#        scripts/fuzz.sh 60 cose jws      only the named targets
#
# Seeds: tests/fuzz_corpus.rs builds them from the interop fixtures, testdata/ and a test
# PKI (openssl) and writes them to fuzz/seeds/<target>/; what libFuzzer finds on top is
# kept in fuzz/corpus/<target>/ (not committed) for the next run. A crash, a timeout (an
# input taking over 10 s: a hang or a quadratic) or over 2 GiB of memory fails the run;
# the input is in fuzz/artifacts/<target>/. Fix it, then add it as a regression test.
#
# Needs a C compiler (libFuzzer) and openssl (seeds). Only a stable toolchain is needed:
# RUSTC_BOOTSTRAP=1 lets stable rustc accept the -Z sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# Only for cargo-fuzz: set for the seed test, it would make cargo rebuild the debug tree.
fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }

echo "==> seed corpora (tests/fuzz_corpus.rs, which also replays them)"
rm -rf fuzz/seeds
NOTATION_FUZZ_SEEDS="$PWD/fuzz/seeds" cargo test --quiet --test fuzz_corpus

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(fuzz list)
fi

echo "==> building ${#targets[@]} fuzz targets"
fuzz build -O

failed=()
for target in "${targets[@]}"; do
  echo "==> fuzzing $target for ${seconds}s"
  mkdir -p "fuzz/corpus/$target"
  if ! fuzz run -O "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "==> no findings in ${#targets[@]} targets"
