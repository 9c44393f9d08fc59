#!/usr/bin/env bash
# Build the release `notation` binary the fastest way this machine allows, and print its path
# (the only line on stdout).
#
# On x86_64 Linux it is linked statically and position-dependent, as Go links a binary
# without cgo: no dynamic loader runs at start and no shared library is mapped or bound,
# which was about a quarter of a `notation verify`'s CPU time (README "Benchmarks").
# NOTATION_RELEASE_TARGET picks the C library:
#  glibc   (the default there) needs no extra tools. Name lookups still load the host's NSS
#          modules at run time, so the binary belongs on the glibc release it was built on.
#  musl    (target x86_64-unknown-linux-musl, C compiler musl-gcc; this script adds the
#          target with rustup and musl-tools with apt-get, as root, when missing): one file
#          for any x86_64 Linux that resolves names itself from /etc/hosts and
#          /etc/resolv.conf, as Go's resolver does. It also skips glibc's start-up, whose
#          cache-size probing is dozens of `cpuid` instructions (each a trap to the
#          hypervisor in a VM): `verify` takes a seventh less CPU. But musl's allocator
#          maps and unmaps every large buffer, so copying big layers costs twice the system
#          time, and parsing hundreds of manifests is slower.
#  default `cargo build --release` (dynamically linked; the only choice on other hosts).
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
choice=${NOTATION_RELEASE_TARGET:-}
if [ -z "$choice" ]; then
  choice=default
  [ "$host" = x86_64-unknown-linux-gnu ] && choice=glibc
fi

static_flags="-C relocation-model=static"
case $choice in
  musl)
    {
      rustup target list --installed | grep -qx x86_64-unknown-linux-musl ||
        rustup target add x86_64-unknown-linux-musl
      command -v musl-gcc >/dev/null 2>&1 ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools
    } >&2
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
    echo "error: NOTATION_RELEASE_TARGET=$choice: expected glibc, musl or default" >&2
    exit 2
    ;;
esac
