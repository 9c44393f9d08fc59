#!/usr/bin/env bash
# The notation-rs workflow, end to end, on the sample layout shipped in testdata/:
# generate a test key, sign (JWS and COSE; a directory and a tar layout), list, inspect,
# import a trust policy, verify, and watch a tampered signature fail.
# Everything happens in a temporary config dir and a copy of the layout.
# Usage: scripts/demo.sh   (NOTATION_BIN=path runs an existing binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is required (https://rustup.rs)" >&2
  exit 1
fi
# The registry part needs Debian's docker-registry (and python3 to pick a free port).
need_pkgs=()
command -v docker-registry >/dev/null 2>&1 || need_pkgs+=(docker-registry)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
    || echo "warning: could not install ${need_pkgs[*]}; the registry part will be skipped" >&2
fi
if [ -n "${NOTATION_BIN:-}" ]; then
  notation=$NOTATION_BIN
else
  echo "==> building notation-rs"
  cargo build --quiet --bin notation
  notation="$repo/target/debug/notation"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NOTATION_CONFIG="$work/config"
export NOTATION_CACHE="$work/cache"
cp -r testdata/layouts/single-platform "$work/hello-world"
cp testdata/layouts/single-platform.tar "$work/hello-world.tar"
cd "$work"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$notation" version
step "$notation" cert generate-test --default --days 30 demo.example
step "$notation" key ls
step "$notation" cert ls
step "$notation" sign --oci-layout ./hello-world:v1
step "$notation" sign --oci-layout --signature-format cose ./hello-world:v1
step "$notation" sign --oci-layout ./hello-world.tar:v1
step "$notation" list --oci-layout ./hello-world:v1
step "$notation" list --oci-layout ./hello-world.tar:v1
step "$notation" inspect --oci-layout ./hello-world:v1

cat > trustpolicy.json <<'JSON'
{
    "version": "1.0",
    "trustPolicies": [
        {
            "name": "demo-layouts",
            "registryScopes": [ "local/hello-world" ],
            "signatureVerification": { "level": "strict" },
            "trustStores": [ "ca:demo.example" ],
            "trustedIdentities": [ "*" ]
        }
    ]
}
JSON
step "$notation" policy import --force trustpolicy.json
step "$notation" policy show
step "$notation" verify --oci-layout --scope local/hello-world ./hello-world:v1
step "$notation" verify --oci-layout --scope local/hello-world ./hello-world.tar:v1

# A copy with one JWS signature whose signature value is then altered (blobs re-digested,
# so the layout itself stays consistent): verification must reject it.
cp -r "$repo/testdata/layouts/single-platform" tampered
"$notation" sign --oci-layout ./tampered:v1 >/dev/null
python3 - tampered <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
def path(d): return os.path.join(root, "blobs", *d.split(":"))
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(path(d), "wb") as f: f.write(data)
    return d, len(data)
index = json.load(open(os.path.join(root, "index.json")))
for entry in index["manifests"]:
    manifest = json.load(open(path(entry["digest"])))
    if manifest.get("config", {}).get("mediaType") != "application/vnd.cncf.notary.signature":
        continue
    layer = manifest["layers"][0]
    envelope = json.load(open(path(layer["digest"])))
    sig = envelope["signature"]
    envelope["signature"] = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    layer["digest"], layer["size"] = put(json.dumps(envelope, separators=(",", ":")).encode())
    entry["digest"], entry["size"] = put(json.dumps(manifest, separators=(",", ":")).encode())
with open(os.path.join(root, "index.json"), "w") as f:
    json.dump(index, f, separators=(",", ":"))
PY
printf '\n\033[1m$ %s\033[0m\n' "$notation verify --oci-layout --scope local/hello-world ./tampered:v1   (expected to fail)"
if "$notation" verify --oci-layout --scope local/hello-world ./tampered:v1; then
  echo "error: the tampered layout verified" >&2
  exit 1
fi

# Step 6: copy the image with its signatures to a registry, then list and verify there.
if command -v docker-registry >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > registry.yml <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/registry-data}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$port", secret: "demo"}
YAML
  docker-registry serve registry.yml >registry.log 2>&1 &
  registry_pid=$!
  trap 'kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break
    sleep 0.1
  done
  remote="127.0.0.1:$port/hello-world"
  sed -i "s#\"local/hello-world\" ]#\"local/hello-world\", \"$remote\" ]#" trustpolicy.json
  step "$notation" policy import --force trustpolicy.json
  step "$notation" copy --from-oci-layout ./hello-world:v1 -r --insecure-registry "$remote:v1"
  step "$notation" list --insecure-registry "$remote:v1"
  step "$notation" verify --insecure-registry "$remote:v1"
else
  echo
  echo "(docker-registry is not installed: skipping the registry part; apt-get install docker-registry to see it)"
fi
echo
echo "demo finished: signed, listed, inspected and verified; the tampered copy was rejected."
