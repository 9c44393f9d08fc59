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

# ---- copy -------------------------------------------------------------------------------
# A $copy_mib MiB image of $BENCH_COPY_LAYERS layers (default 4 x 256 MiB), signed, copied
# with -r every way: layout -> layout / tar layout, and with docker-registry installed,
# layout -> registry, registry -> layout and registry -> another registry (each into a fresh
# registry). Each row: wall and user CPU seconds, MB/s, peak RSS ($BENCH_COPY_MAX_RSS_MIB,
# default 32, is the limit: the script fails above it). The yardstick rows are the
# registry's own limit: the same blobs uploaded by parallel `curl -T` monolithic PUTs
# (POST, then PUT <Location>&digest=) and downloaded by parallel curl GETs.
copy_layers=${BENCH_COPY_LAYERS:-4}
copy_max_rss_mib=${BENCH_COPY_MAX_RSS_MIB:-32}
layer_bytes=$(( copy_mib * 1024 * 1024 / copy_layers ))
copy_bytes=$(( layer_bytes * copy_layers ))
echo "==> copy of a ${copy_mib} MiB image ($copy_layers layers), peak RSS limit ${copy_max_rss_mib} MiB"
mkdir -p big/blobs/sha256
layer_descs=""
for i in $(seq "$copy_layers"); do
  head -c "$layer_bytes" /dev/urandom > big/layer
  hex=$(sha256sum big/layer | cut -d' ' -f1)
  mv big/layer "big/blobs/sha256/$hex"
  layer_descs="$layer_descs${layer_descs:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$hex\",\"size\":$layer_bytes}"
done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > big/config
config_hex=$(sha256sum big/config | cut -d' ' -f1)
config_size=$(stat -c %s big/config)
mv big/config "big/blobs/sha256/$config_hex"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
  "$config_hex" "$config_size" "$layer_descs" > big/manifest
manifest_hex=$(sha256sum big/manifest | cut -d' ' -f1)
manifest_size=$(stat -c %s big/manifest)
mv big/manifest "big/blobs/sha256/$manifest_hex"
printf '{"imageLayoutVersion":"1.0.0"}' > big/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
  "$manifest_hex" "$manifest_size" > big/index.json
"$notation" sign --oci-layout big:v1 >/dev/null 2>&1

failed=0
printf '%-40s %7s %7s %7s %9s\n' "" "wall s" "user s" "MB/s" "peak RSS"
# Run "$@" under /usr/bin/time; print wall and user seconds, MB/s and peak RSS. Rows
# labelled "copy" fail the script above the RSS limit.
timed() {
  local label=$1; shift
  /usr/bin/time -f '%e %U %M' -o time.txt "$@" >/dev/null
  local wall user rss_kib
  read -r wall user rss_kib < <(tail -n1 time.txt)
  printf '%-40s %7.2f %7.2f %7d %5d MiB\n' "$label" "$wall" "$user" \
    "$(awk -v b="$copy_bytes" -v s="$wall" 'BEGIN { printf "%d", (s > 0 ? b / s / 1e6 : 0) }')" \
    "$((rss_kib / 1024))"
  if [ "${label#copy}" != "$label" ] && [ "$((rss_kib / 1024))" -gt "$copy_max_rss_mib" ]; then
    echo "FAIL: $label: peak RSS over ${copy_max_rss_mib} MiB" >&2
    failed=1
  fi
}
timed "copy layout -> layout" "$notation" copy -r --from-oci-layout big:v1 --to-oci-layout big-copy:v1
rm -rf big-copy
timed "copy layout -> tar layout" "$notation" copy -r --from-oci-layout big:v1 --to-oci-layout big-copy.tar:v1
rm -f big-copy.tar

registry_pids=""
trap 'kill $registry_pids 2>/dev/null || true; cleanup' EXIT
# Start a fresh docker-registry with its own storage; sets $port.
start_registry() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "reg-$port"
  cat > "reg-$port/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/reg-$port/data}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$port", secret: "bench"}
YAML
  docker-registry serve "reg-$port/config.yml" >/dev/null 2>&1 &
  registry_pids="$registry_pids $!"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
}
# Upload every blob of the layout `big` to repository $2 of 127.0.0.1:$1 with parallel
# monolithic PUTs, as fast as curl can.
curl_put_all() {
  local p=$1 repo=$2 f
  for f in big/blobs/sha256/*; do
    (
      loc=$(curl -fsS -X POST -D - -o /dev/null "http://127.0.0.1:$p/v2/$repo/blobs/uploads/" |
        tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
      case $loc in http*) ;; *) loc="http://127.0.0.1:$p$loc" ;; esac
      curl -fsS -o /dev/null -T "$f" -H 'Content-Type: application/octet-stream' \
        "$loc&digest=sha256:$(basename "$f")"
    ) &
  done
  wait
}
# Download every layer of `big` from repository $2 of 127.0.0.1:$1 with parallel GETs.
curl_get_all() {
  local p=$1 repo=$2 f
  mkdir -p got
  for f in big/blobs/sha256/*; do
    [ "$(stat -c %s "$f")" -eq "$layer_bytes" ] || continue
    curl -fsS -o "got/$(basename "$f")" "http://127.0.0.1:$p/v2/$repo/blobs/sha256:$(basename "$f")" &
  done
  wait
  rm -rf got
}
export -f curl_put_all curl_get_all
export layer_bytes

if command -v docker-registry >/dev/null 2>&1; then
  start_registry; yard=$port
  timed "yardstick: parallel curl PUT" bash -c "curl_put_all $yard big"
  timed "yardstick: parallel curl GET" bash -c "curl_get_all $yard big"
  start_registry; first=$port
  timed "copy layout -> registry" "$notation" copy -r --from-oci-layout big:v1 "localhost:$first/big:v1"
  timed "copy registry -> layout" "$notation" copy -r "localhost:$first/big:v1" --to-oci-layout back:v1
  rm -rf back
  start_registry; second=$port
  timed "copy registry -> registry (other host)" "$notation" copy -r "localhost:$first/big:v1" "localhost:$second/big:v1"
else
  echo "(docker-registry not installed: registry copies skipped)"
fi
exit "$failed"
