#!/usr/bin/env bash
# Whole-process benchmarks of notation-rs (function-level ones: `cargo bench`).
#
#  1. Milliseconds per command for sign / list / verify on an OCI layout, averaged over
#     $BENCH_RUNS runs (goal: a quarter of Go notation's ~10 ms or less).
#  2. `copy` of a $BENCH_COPY_MIB MiB single-layer image: layout -> layout, and layout ->
#     registry when Debian's docker-registry is installed, with throughput and peak memory
#     (goal: peak RSS under 100 MiB whatever the size; the script fails if it is not).
#
# Usage: scripts/bench.sh                  (builds the release binary)
#        NOTATION_BIN=path scripts/bench.sh (times an existing binary)
#        BENCH_RUNS=50 BENCH_COPY_MIB=1024 (defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${BENCH_RUNS:-50}
copy_mib=${BENCH_COPY_MIB:-1024}
max_rss_mib=${BENCH_MAX_RSS_MIB:-100}

if [ -z "${NOTATION_BIN:-}" ]; then
  echo "==> building the release binary"
  cargo build --quiet --release --bin notation
  NOTATION_BIN="$repo/target/release/notation"
fi
notation=$NOTATION_BIN
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export NOTATION_CONFIG="$work/config" NOTATION_CACHE="$work/cache"
cd "$work"

# Milliseconds per run of "$@", over $runs runs.
per_run_ms() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  echo $(( (end - start) / runs / 1000000 )).$(( (end - start) / runs / 10000 % 100 ))
}

echo "==> per-command time ($runs runs each)"
"$notation" cert generate-test --default bench.example >/dev/null
cp -r "$repo/testdata/layouts/single-platform" layout
cat > policy.json <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"bench","registryScopes":["*"],
 "signatureVerification":{"level":"strict"},"trustStores":["ca:bench.example"],"trustedIdentities":["*"]}]}
JSON
"$notation" policy import --force policy.json >/dev/null 2>&1
"$notation" sign --oci-layout layout:v1 >/dev/null 2>&1
printf '%-44s %8s ms\n' "sign --oci-layout (JWS)" "$(per_run_ms "$notation" sign --oci-layout layout:v1)"
printf '%-44s %8s ms\n' "sign --oci-layout --signature-format cose" \
  "$(per_run_ms "$notation" sign --oci-layout --signature-format cose layout:v1)"
printf '%-44s %8s ms\n' "list --oci-layout" "$(per_run_ms "$notation" list --oci-layout layout:v1)"
# Verify stops at the first good signature: a fresh layout with one signature is the usual case.
rm -rf layout1 && cp -r "$repo/testdata/layouts/single-platform" layout1
"$notation" sign --oci-layout layout1:v1 >/dev/null 2>&1
printf '%-44s %8s ms\n' "verify --oci-layout" \
  "$(per_run_ms "$notation" verify --oci-layout --scope local/bench layout1:v1)"

echo "==> copy of a ${copy_mib} MiB image"
mkdir -p big/blobs/sha256
head -c "$((copy_mib * 1024 * 1024))" /dev/urandom > big/layer
layer_hex=$(sha256sum big/layer | cut -d' ' -f1)
mv big/layer "big/blobs/sha256/$layer_hex"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > big/config
config_hex=$(sha256sum big/config | cut -d' ' -f1)
config_size=$(stat -c %s big/config)
mv big/config "big/blobs/sha256/$config_hex"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config_hex" "$config_size" "$layer_hex" "$((copy_mib * 1024 * 1024))" > big/manifest
manifest_hex=$(sha256sum big/manifest | cut -d' ' -f1)
manifest_size=$(stat -c %s big/manifest)
mv big/manifest "big/blobs/sha256/$manifest_hex"
printf '{"imageLayoutVersion":"1.0.0"}' > big/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
  "$manifest_hex" "$manifest_size" > big/index.json
"$notation" sign --oci-layout big:v1 >/dev/null 2>&1

failed=0
# Run a copy under /usr/bin/time; print seconds, MB/s and peak RSS; fail over the limit.
timed_copy() {
  local label=$1; shift
  local start end rss_kib ms
  start=$(date +%s%N)
  /usr/bin/time -f '%M' -o rss.txt "$notation" copy -r "$@" >/dev/null
  end=$(date +%s%N)
  rss_kib=$(tail -n1 rss.txt)
  ms=$(( (end - start) / 1000000 ))
  printf '%-44s %6d ms  %6d MB/s  peak RSS %4d MiB\n' "$label" "$ms" \
    "$(( copy_mib * 1048576 / ((ms > 0 ? ms : 1) * 1000) ))" "$((rss_kib / 1024))"
  if [ "$((rss_kib / 1024))" -ge "$max_rss_mib" ]; then
    echo "FAIL: peak RSS over ${max_rss_mib} MiB" >&2
    failed=1
  fi
}
timed_copy "copy layout -> layout" --from-oci-layout big:v1 --to-oci-layout big-copy:v1
rm -rf big-copy
timed_copy "copy layout -> tar layout" --from-oci-layout big:v1 --to-oci-layout big-copy.tar:v1
rm -f big-copy.tar

if command -v docker-registry >/dev/null 2>&1; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p reg
  cat > reg/config.yml <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/reg/data}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$port", secret: "bench"}
YAML
  docker-registry serve reg/config.yml >/dev/null 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  timed_copy "copy layout -> registry" --from-oci-layout big:v1 "localhost:$port/big:v1"
  timed_copy "copy registry -> layout" "localhost:$port/big:v1" --to-oci-layout back:v1
else
  echo "(docker-registry not installed: registry copies skipped)"
fi
exit "$failed"
