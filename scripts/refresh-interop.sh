#!/usr/bin/env bash
# Refreshes testdata/interop/ (the fixtures made by Go notation that the tests use) from the
# shared fixture set beside the checkout, or from the directory given as $1.
# Usage: scripts/refresh-interop.sh [SOURCE_DIR]     (default: ../shared/interop)
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-../shared/interop}"
if [ ! -f "$src/cases.json" ]; then
  echo "error: no interop fixture set at $src (expected $src/cases.json)" >&2
  exit 1
fi
tmp="$(mktemp -d testdata/.interop-refresh.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cp -a "$src/." "$tmp/"
rm -rf testdata/interop.old
[ -d testdata/interop ] && mv testdata/interop testdata/interop.old
mv "$tmp" testdata/interop
rm -rf testdata/interop.old
echo "testdata/interop refreshed from $src ($(find testdata/interop -type f | wc -l) files)"
