#!/usr/bin/env bash
# Issue 12's benchmark: verifying $BENCH_IMAGES signed images in a local registry in one
# invocation (`verify --from-file`) against one invocation per image (goal: >= 5x faster).
# Needs Debian's docker-registry. (Meant to be folded into scripts/bench.sh.)
#
# Usage: scripts/bench_batch.sh                  (builds the release binary)
#        NOTATION_BIN=path scripts/bench_batch.sh (times an existing binary)
#        BENCH_IMAGES=50                          (default)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
images=${BENCH_IMAGES:-50}

if [ -z "${NOTATION_BIN:-}" ]; then
  echo "==> building the release binary"
  cargo build --quiet --release --bin notation
  NOTATION_BIN="$repo/target/release/notation"
fi
notation=$NOTATION_BIN
command -v docker-registry >/dev/null 2>&1 || { echo "error: docker-registry is required" >&2; exit 1; }

work=$(mktemp -d)
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export NOTATION_CONFIG="$work/config" NOTATION_CACHE="$work/cache"
cd "$work"

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

"$notation" cert generate-test --default bench.example >/dev/null
cat > policy.json <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"bench","registryScopes":["*"],
 "signatureVerification":{"level":"strict"},"trustStores":["ca:bench.example"],"trustedIdentities":["*"]}]}
JSON
"$notation" policy import --force policy.json >/dev/null 2>&1
cp -r "$repo/testdata/layouts/single-platform" layout

echo "==> pushing and signing $images images (one repository each)"
: > refs.txt
for i in $(seq "$images"); do
  "$notation" copy --from-oci-layout layout:v1 "localhost:$port/bench$i:v1" >/dev/null
  echo "localhost:$port/bench$i:v1" >> refs.txt
done
"$notation" sign --from-file refs.txt >/dev/null 2>&1

ms() { echo $(( ($2 - $1) / 1000000 )); }
start=$(date +%s%N)
while read -r ref; do "$notation" verify "$ref" >/dev/null 2>&1; done < refs.txt
separate=$(ms "$start" "$(date +%s%N)")
start=$(date +%s%N)
"$notation" verify --from-file refs.txt --concurrency "${BENCH_CONCURRENCY:-4}" >/dev/null 2>&1
together=$(ms "$start" "$(date +%s%N)")
printf '%-44s %8s ms\n' "verify, $images separate invocations" "$separate"
printf '%-44s %8s ms\n' "verify --from-file ($images references)" "$together"
echo "speedup: $(python3 -c "print(f'{$separate / max($together, 1):.1f}x')") (goal: >= 5x)"
