#!/usr/bin/env bash
# Build the release `notation` binary the fastest way this machine allows, and print its path
# (the only line on stdout).
#
# On x86_64 Linux it is linked statically and position-dependent, as Go links a binary
# without cgo: no dynamic loader runs at start and no shared library is mapped or bound.
# That is a quarter of a `notation verify`'s CPU time beyond the exec, and a third with musl
# (README "Benchmarks"). In order of preference:
#  1. musl (target x86_64-unknown-linux-musl, C compiler musl-gcc): fully static, runs on
#     any x86_64 Linux, resolves names itself from /etc/hosts and /etc/resolv.conf (as
#     Go's resolver does), and skips glibc's start-up, which asks the CPU for its cache
#     sizes with dozens of `cpuid` instructions (each a trap to the hypervisor in a VM).
#     This script adds the target (rustup) and musl-tools (apt-get, as root) when missing.
#  2. glibc, statically: needs no extra tools, but name lookups still load the host's NSS
#     modules at run time, so that binary must run on the glibc it was built against.
# Elsewhere, and with NOTATION_RELEASE_TARGET=default, it is `cargo build --release`
# (dynamically linked). NOTATION_RELEASE_TARGET=musl|glibc picks one of the above.
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
choice=${NOTATION_RELEASE_TARGET:-}
if [ -z "$choice" ]; then
  choice=default
  if [ "$host" = x86_64-unknown-linux-gnu ]; then
    choice=glibc
    musl_ready() {
      rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl &&
        command -v musl-gcc >/dev/null 2>&1
    }
    if ! musl_ready; then
      {
        command -v rustup >/dev/null 2>&1 && rustup target add x86_64-unknown-linux-musl
        command -v musl-gcc >/dev/null 2>&1 || {
          [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools
        }
      } >&2 || true
    fi
    musl_ready && choice=musl
  fi
fi

static_flags="-C relocation-model=static"
case $choice in
  musl)
    RUSTFLAGS="${RUSTFLAGS:-} $static_flags" \
      cargo build --quiet --release --target x86_64-unknown-linux-musl --bin notation
    echo "$PWD/target/x86_64-unknown-linux-musl/release/notation"
    ;;
  glibc)
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static $static_flags" \
      cargo build --quiet --release --target "$host" --bin notation
    echo "$PWD/target/$host/release/notation"
    ;;
  default)
    cargo build --quiet --release --bin notation
    echo "$PWD/target/release/notation"
    ;;
  *)
    echo "error: NOTATION_RELEASE_TARGET=$choice: expected musl, glibc or default" >&2
    exit 2
    ;;
esac
