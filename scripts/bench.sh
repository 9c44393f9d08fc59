#!/usr/bin/env bash
# Whole-process benchmarks of notation-rs (function-level ones: `cargo bench`), printed as one
# Markdown table, each figure next to its yardstick (the README's "Benchmarks" section):
#
#  1. sign / verify / list on an OCI layout: wall ms per run and user/sys CPU ms per run, over
#     $BENCH_RUNS runs, and the instructions `valgrind --tool=callgrind` counts for one run
#     (stable on a noisy machine), next to the process floor (`true`) and Go notation v1.3.2's
#     published figures (issue 11: verify ~5 ms CPU, sign ~8 ms CPU and 8 ms wall; Go notation
#     is not installed here). Also verify with 100 signatures of which only the last is trusted.
#  2. sign / verify / list against Debian's docker-registry (when installed): the same, plus
#     the registry round trips (NOTATION_RS_ROUND_TRIPS=1) next to Go notation's, counted in
#     its recorded `-d` traces (testdata/interop-logs/16-18, less the basic-auth challenge);
#     list of 1,000 signatures (referrers tag schema) and verify of 100 (last trusted), the
#     latter next to the same fetched one by one (`-d`, which fetches in Go's sequence).
#  3. verify of $BENCH_IMAGES signed images in the registry in one invocation (`--from-file`)
#     next to one invocation per image (issue 12: goal >= 5x faster).
#  4. `copy -r` of a $BENCH_COPY_MIB MiB image ($BENCH_COPY_LAYERS layers) every way, next to
#     the registry's own ingest limit (parallel `curl` PUTs and GETs of the same blobs), with
#     peak RSS (goal: at most $BENCH_COPY_MAX_RSS_MIB = 32 MiB; the script fails above it).
#
# Usage: scripts/bench.sh                  (builds the release binary: scripts/build-release.sh)
#        NOTATION_BIN=path scripts/bench.sh (times an existing binary)
#        BENCH_RUNS=50 BENCH_COPY_MIB=1024 BENCH_IMAGES=50 (defaults); BENCH_HEAVY_RUNS=5 (runs of the rows
#        with hundreds of round trips); BENCH_CALLGRIND=0 skips valgrind
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${BENCH_RUNS:-50}
copy_mib=${BENCH_COPY_MIB:-1024}
images=${BENCH_IMAGES:-50}
callgrind=${BENCH_CALLGRIND:-1}
heavy_runs=${BENCH_HEAVY_RUNS:-5}
# Go notation v1.3.2 on the same machine (issue 11), CPU ms per run.
GO_VERIFY_CPU_MS=5
GO_SIGN_CPU_MS=8
GO_SIGN_WALL_MS=8

if [ -z "${NOTATION_BIN:-}" ]; then
  echo "==> building the release binary (scripts/build-release.sh)"
  NOTATION_BIN=$(scripts/build-release.sh)
fi
notation=$NOTATION_BIN
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
command -v valgrind >/dev/null 2>&1 || callgrind=0

work=$(mktemp -d)
registry_pid=""
bench_registry_pid=""
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  [ -n "$bench_registry_pid" ] && kill "$bench_registry_pid" 2>/dev/null || true
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

# "wall user sys" in ms per run of "$@" over $runs runs (the loop's own bash is in the
# figures, as in the `true` row's).
per_run_times() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o times.txt bash -c \
    'n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done' _ "$runs" "$@"
  end=$(date +%s%N)
  awk -v wall_ns=$((end - start)) -v n="$runs" '{ printf "%.2f %.2f %.2f\n", wall_ns / n / 1e6, $1 * 1000 / n, $2 * 1000 / n }' \
    < <(tail -n1 times.txt)
}

# Millions of instructions callgrind counts for one run of "$@" (`-` without valgrind).
instructions() {
  if [ "$callgrind" != 1 ]; then echo "-"; return; fi
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ printf "%.1f M\n", $1 / 1e6 }'
}

# The registry round trips one run of "$@" makes.
round_trips() {
  NOTATION_RS_ROUND_TRIPS=1 "$@" 2>&1 >/dev/null | sed -n 's/^registry round trips: //p' | tail -n1
}

# Go notation's registry round trips in the recorded `-d` trace of scenario $1, without the
# basic-auth challenge those scenarios answered (our registries here have no auth).
go_round_trips() {
  echo $(( $(grep -c '^> Request: ' "$repo/testdata/interop-logs/$1/stderr.txt") - 1 ))
}

table_header() {
  echo "| work | wall ms/run | user ms/run | sys ms/run | instructions | round trips | yardstick |"
  echo "|---|---:|---:|---:|---:|---:|---|"
}

# One table row: label, round trips (or -), yardstick, then the command to measure.
row() {
  local label=$1 trips=$2 yardstick=$3; shift 3
  local wall user sys instr
  read -r wall user sys < <(per_run_times "$@")
  instr=$(instructions "$@")
  echo "| $label | $wall | $user | $sys | $instr | $trips | $yardstick |"
}

policy_trusting() {
  cat > policy.json <<JSON
{"version":"1.0","trustPolicies":[{"name":"bench","registryScopes":["*"],
 "signatureVerification":{"level":"strict"},"trustStores":["ca:$1"],"trustedIdentities":["*"]}]}
JSON
  "$notation" policy import --force policy.json >/dev/null 2>&1
}

# A row over four times $runs runs: for rows that change nothing (CPU times come in ticks of
# 10 ms, so over 50 runs a figure moves in steps of 0.2 ms).
precise_row() {
  local runs=$((4 * runs))
  row "$@"
}

# sign / verify / list on OCI layouts.
layout_rows() {
  "$notation" cert generate-test --default bench.example >/dev/null
  "$notation" cert generate-test untrusted.example >/dev/null
  policy_trusting bench.example
  cp -r "$repo/testdata/layouts/single-platform" layout
  "$notation" sign --oci-layout layout:v1 >/dev/null 2>&1
  precise_row '`true` (the process floor)' - - true
  # Any program's fork + exec + dynamic loading: what every row below (and Go's figures) pays.
  precise_row '`/bin/true` (the exec floor)' - - /bin/true
  row '`sign --oci-layout` (JWS)' - "Go notation: ${GO_SIGN_CPU_MS} ms CPU, ${GO_SIGN_WALL_MS} ms wall" \
    "$notation" sign --oci-layout layout:v1
  row '`sign --oci-layout --signature-format cose`' - "Go notation: ${GO_SIGN_CPU_MS} ms CPU" \
    "$notation" sign --oci-layout --signature-format cose layout:v1
  row "\`list --oci-layout\` ($((2 * runs + 3)) signatures)" - - "$notation" list --oci-layout layout:v1
  # Verify stops at the first good signature: a fresh layout with one signature is the usual case.
  rm -rf layout1 && cp -r "$repo/testdata/layouts/single-platform" layout1
  "$notation" sign --oci-layout layout1:v1 >/dev/null 2>&1
  precise_row '`verify --oci-layout` (1 JWS signature)' - "Go notation: ${GO_VERIFY_CPU_MS} ms CPU" \
    "$notation" verify --oci-layout --scope local/bench layout1:v1
  rm -rf layout100 && cp -r "$repo/testdata/layouts/single-platform" layout100
  for _ in $(seq 99); do "$notation" sign --oci-layout --key untrusted.example layout100:v1 >/dev/null 2>&1; done
  "$notation" sign --oci-layout layout100:v1 >/dev/null 2>&1
  row '`verify --oci-layout`, 100 signatures, the last trusted' - \
    "Go notation: ${GO_VERIFY_CPU_MS} ms CPU for one; goal: a few ms per signature" \
    "$notation" verify --oci-layout --scope local/bench layout100:v1
}

# A fresh docker-registry on a free port: sets $bench_port.
start_bench_registry() {
  bench_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p bench-reg
  cat > bench-reg/config.yml <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/bench-reg/data}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$bench_port", secret: "bench"}
YAML
  docker-registry serve bench-reg/config.yml >/dev/null 2>&1 &
  bench_registry_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$bench_port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

# Give the image $2 (a digest) in localhost:$bench_port/$1 $3 more signatures: clones of its
# first one, each with a numbered annotation, PUT straight over the distribution API, and
# the referrers tag schema index rewritten once to list them all.
clone_signatures() {
  python3 - "$bench_port" "$1" "$2" "$3" <<'PY'
import hashlib, http.client, json, sys
port, repo, subject, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", int(port))
def call(method, ref, body=None, media_type=None):
    headers = {"Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"}
    if media_type:
        headers["Content-Type"] = media_type
    conn.request(method, f"/v2/{repo}/manifests/{ref}", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    assert resp.status < 300, (method, ref, resp.status, data)
    return data
tag = subject.replace(":", "-", 1)
index = json.loads(call("GET", tag))
first = index["manifests"][0]
template = json.loads(call("GET", first["digest"]))
for i in range(n):
    template.setdefault("annotations", {})["io.notation-rs.bench.clone"] = str(i)
    body = json.dumps(template, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    call("PUT", digest, body, first["mediaType"])
    index["manifests"].append({"mediaType": first["mediaType"], "digest": digest,
                               "size": len(body), "artifactType": first.get("artifactType")})
call("PUT", tag, json.dumps(index).encode(), "application/vnd.oci.image.index.v1+json")
PY
}

# sign / verify / list against a registry, with round trips next to Go notation's.
registry_rows() {
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "(docker-registry not installed: registry rows skipped)" >&2
    return
  fi
  start_bench_registry
  local host="localhost:$bench_port" digest app
  "$notation" copy --from-oci-layout "$repo/testdata/interop-logs/layout:v1" "$host/app:v1" >/dev/null
  digest=$("$notation" list "$host/app:v1" 2>/dev/null | head -n1 | sed 's/.*@//; s/ .*//')
  app="$host/app@$digest"
  local sign_trips
  sign_trips=$(round_trips "$notation" sign "$app")
  row '`sign` (registry; round trips of the first signature)' "$sign_trips" \
    "Go notation: $(go_round_trips 16-registry-sign-debug) round trips" "$notation" sign "$app"
  "$notation" copy --from-oci-layout "$repo/testdata/interop-logs/layout:v1" "$host/one:v1" >/dev/null
  "$notation" sign "$host/one@$digest" >/dev/null 2>&1
  row '`verify` (registry, 1 signature)' "$(round_trips "$notation" verify "$host/one@$digest")" \
    "Go notation: $(go_round_trips 17-registry-verify-debug) round trips" "$notation" verify "$host/one@$digest"
  row '`list` (registry, 1 signature)' "$(round_trips "$notation" list "$host/one@$digest")" \
    "Go notation: $(go_round_trips 18-registry-list-debug) round trips" "$notation" list "$host/one@$digest"

  "$notation" copy --from-oci-layout "$repo/testdata/interop-logs/layout:v1" "$host/many:v1" >/dev/null
  "$notation" sign "$host/many@$digest" >/dev/null 2>&1
  clone_signatures many "$digest" 999
  row '`list --max-signatures 1000` (registry, 1,000 signatures, tag schema)' \
    "$(round_trips "$notation" list --max-signatures 1000 "$host/many@$digest")" \
    "Go notation: $(go_round_trips 18-registry-list-debug) round trips (one index GET)" \
    "$notation" list --max-signatures 1000 "$host/many@$digest"

  "$notation" copy --from-oci-layout "$repo/testdata/interop-logs/layout:v1" "$host/hundred:v1" >/dev/null
  "$notation" sign --key untrusted.example "$host/hundred@$digest" >/dev/null 2>&1
  clone_signatures hundred "$digest" 98
  "$notation" sign "$host/hundred@$digest" >/dev/null 2>&1
  # Hundreds of round trips a run: fewer runs.
  local runs=$heavy_runs
  hundred_rows "$host" "$digest" ""
  # The same registry 5 ms away, as real ones are: where fetching ahead pays.
  start_delay_proxy 5
  hundred_rows "localhost:$proxy_port" "$digest" ", 5 ms away"
  batch_images "$host"
  batch_row "$host" ""
  batch_row "localhost:$proxy_port" ", 5 ms away"
}

# $images signed images (one repository each) in registry $1, listed in refs.txt.
batch_images() {
  local host=$1 i
  : > refs.txt
  for i in $(seq "$images"); do
    "$notation" copy --from-oci-layout "$repo/testdata/layouts/single-platform:v1" "$host/batch$i:v1" >/dev/null
    echo "$host/batch$i:v1" >> refs.txt
  done
  "$notation" sign --from-file refs.txt >/dev/null 2>&1
}

# verify of the images of refs.txt, reached through host $1 ($2 says where it is): one
# invocation with `--from-file` next to one invocation per image.
batch_row() {
  local host=$1 where=$2 separate start
  sed "s|^[^/]*/|$host/|" refs.txt > refs-here.txt
  start=$(date +%s%N)
  while read -r ref; do "$notation" verify "$ref" >/dev/null 2>&1; done < refs-here.txt
  separate=$(( ($(date +%s%N) - start) / 1000000 ))
  local runs=$heavy_runs
  row "\`verify --from-file\` (registry$where, $images images in one invocation)" \
    "$(round_trips "$notation" verify --from-file refs-here.txt)" \
    "$images separate invocations: $separate ms wall; goal: 5x faster" \
    "$notation" verify --from-file refs-here.txt
}

# verify of hundred@$2 in registry $1: fetching ahead next to one by one (`-d` fetches in
# Go notation's sequence).
hundred_rows() {
  local host=$1 digest=$2 where=$3 one_by_one
  one_by_one=$(per_run_ms "$notation" verify -d "$host/hundred@$digest")
  row "\`verify\` (registry$where, 100 signatures, the last trusted)" \
    "$(round_trips "$notation" verify "$host/hundred@$digest")" \
    "fetched one by one as Go notation does (\`-d\`): $one_by_one ms wall" \
    "$notation" verify "$host/hundred@$digest"
}

# A TCP proxy on a free port ($proxy_port) to the bench registry that holds back every chunk
# a client sends by $1 ms: a registry that far away.
start_delay_proxy() {
  proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > delay_proxy.py <<'PY'
import asyncio, sys
listen_port, upstream_port, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

async def pipe(reader, writer, wait):
    try:
        while data := await reader.read(65536):
            if wait:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()

async def handle(client_r, client_w):
    up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
    await asyncio.gather(pipe(client_r, up_w, delay), pipe(up_r, client_w, 0), return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
  python3 delay_proxy.py "$proxy_port" "$bench_port" "$1" &
  proxy_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$proxy_port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

echo "==> sign / verify / list ($runs runs each; instructions: one run under callgrind)"
table_header
layout_rows
registry_rows

# ---- copy -------------------------------------------------------------------------------
# A $copy_mib MiB image of $BENCH_COPY_LAYERS layers (default 4 x 256 MiB), signed, copied
# with -r every way: layout -> layout / tar layout, and with docker-registry installed,
# layout -> registry, registry -> layout and registry -> another registry (each into a fresh
# registry). Each row: the fastest of $BENCH_COPY_ROUNDS rounds (default 2): wall and user CPU
# seconds, MB/s, peak RSS ($BENCH_COPY_MAX_RSS_MIB, default 32, is the limit: the script
# fails above it). The yardstick rows are the
# registry's own limit: the same blobs uploaded by parallel `curl -T` monolithic PUTs
# (POST, then PUT <Location>&digest=) and downloaded by parallel curl GETs.
copy_layers=${BENCH_COPY_LAYERS:-4}
copy_max_rss_mib=${BENCH_COPY_MAX_RSS_MIB:-32}
copy_rounds=${BENCH_COPY_ROUNDS:-2}
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
# One row: the fastest of $copy_rounds rounds. Each round evaluates `prepare` (untimed: a
# fresh destination), syncs, then runs `command` (evaluated, so that it sees what `prepare`
# set) under /usr/bin/time. Prints wall and user seconds, MB/s and peak RSS of the fastest
# round; rows labelled "copy" fail the script above the RSS limit in any round. Why rounds
# and the sync: the previous row's writeback (and the discards of the files it removed)
# would otherwise run during a row, and on a VM the first gigabyte written after a while
# can take seconds more of system time, whichever program writes it (README "Benchmarks").
timed() {
  local label=$1 prepare=$2 command=$3 round wall user rss_kib best=""
  for round in $(seq "$copy_rounds"); do
    eval "$prepare"
    sync; sleep 2
    eval "/usr/bin/time -f '%e %U %M' -o time.txt $command >/dev/null"
    read -r wall user rss_kib < <(tail -n1 time.txt)
    if [ "${label#copy}" != "$label" ] && [ "$((rss_kib / 1024))" -gt "$copy_max_rss_mib" ]; then
      echo "FAIL: $label: peak RSS over ${copy_max_rss_mib} MiB" >&2
      failed=1
    fi
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best="$wall $user $rss_kib"
    fi
  done
  read -r wall user rss_kib <<<"$best"
  printf '%-40s %7.2f %7.2f %7d %5d MiB\n' "$label" "$wall" "$user" \
    "$(awk -v b="$copy_bytes" -v s="$wall" 'BEGIN { printf "%d", (s > 0 ? b / s / 1e6 : 0) }')" \
    "$((rss_kib / 1024))"
}
timed "copy layout -> layout" 'rm -rf big-copy' \
  '"$notation" copy -r --from-oci-layout big:v1 --to-oci-layout big-copy:v1'
rm -rf big-copy
timed "copy layout -> tar layout" 'rm -f big-copy.tar' \
  '"$notation" copy -r --from-oci-layout big:v1 --to-oci-layout big-copy.tar:v1'
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
# Download every layer of `big` from repository $2 of 127.0.0.1:$1 with parallel GETs;
# with $3 = sync, also flush the files to disk, as a copy into a layout does before it
# publishes a blob (README "Durability").
curl_get_all() {
  local p=$1 repo=$2 f
  mkdir -p got
  for f in big/blobs/sha256/*; do
    [ "$(stat -c %s "$f")" -eq "$layer_bytes" ] || continue
    curl -fsS -o "got/$(basename "$f")" "http://127.0.0.1:$p/v2/$repo/blobs/sha256:$(basename "$f")" &
  done
  wait
  if [ "${3:-}" = sync ]; then sync got/*; fi
  rm -rf got
}
export -f curl_put_all curl_get_all
export layer_bytes

if command -v docker-registry >/dev/null 2>&1; then
  # Every round that pushes gets a fresh registry (a registry that has a blob skips it).
  timed "yardstick: parallel curl PUT" start_registry 'bash -c "curl_put_all $port big"'
  yard=$port
  timed "yardstick: parallel curl GET" : 'bash -c "curl_get_all $yard big"'
  timed "yardstick: parallel curl GET + sync" : 'bash -c "curl_get_all $yard big sync"'
  timed "copy layout -> registry" start_registry \
    '"$notation" copy -r --from-oci-layout big:v1 "localhost:$port/big:v1"'
  first=$port
  timed "copy registry -> layout" 'rm -rf back' \
    '"$notation" copy -r "localhost:$first/big:v1" --to-oci-layout back:v1'
  rm -rf back
  timed "copy registry -> registry (other host)" start_registry \
    '"$notation" copy -r "localhost:$first/big:v1" "localhost:$port/big:v1"'
else
  echo "(docker-registry not installed: registry copies skipped)"
fi
exit "$failed"
