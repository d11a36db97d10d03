#!/usr/bin/env bash
# Puts fmc (and, for `fmc dev`, fmc-runner and fmc-pulsar-relay) on PATH:
# `cargo install` from this checkout into cargo's bin folder ($CARGO_HOME/bin,
# ~/.cargo/bin by default, which rustup puts on PATH). Every integration
# snippet in the README calls `fmc` by name; `fmc dev` finds the runner and
# the relay beside it. Re-running after a pull rebuilds only what changed
# (the build reuses target/).
#
# The compiler needs only the Rust toolchain (it links no Pulsar client). The
# runner's `pulsar` crate generates its protocol code with protoc at build
# time: without protoc, the runner is installed only when this script can
# install protoc itself (as root with apt-get); otherwise it says so and fmc
# alone is installed. FMC_INSTALL_RUNNER=0 skips the runner. The runner runs
# Python functions when Debian's python3.11-dev is there.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
# FMC_INSTALL_ROOT=DIR installs into DIR/bin instead (the test of this script).
root=()
bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -n "${FMC_INSTALL_ROOT:-}" ]; then
  root=(--root "$FMC_INSTALL_ROOT")
  bin="$FMC_INSTALL_ROOT/bin"
fi
cargo install --locked --quiet "${root[@]}" --path . --bin fmc
installed="fmc"

if [ "${FMC_INSTALL_RUNNER:-1}" != 0 ]; then
  if ! command -v protoc >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq protobuf-compiler >/dev/null || true
  fi
  if command -v protoc >/dev/null; then
    # Python functions (`fmc test`, `fmc dev`, the Python runner) need the
    # runner's Python engine, which embeds Debian's CPython 3.11 (python3.11-dev).
    features=()
    if [ -f /usr/include/python3.11/Python.h ] && [ -x /usr/bin/python3.11 ]; then
      features=(--features python)
    else
      echo "install: python3.11-dev not found, so fmc-runner runs no Python functions (Debian: apt-get install python3.11-dev, then run this again)" >&2
    fi
    cargo install --locked --quiet "${root[@]}" "${features[@]}" --path runner --bin fmc-runner --bin fmc-pulsar-relay
    installed="fmc, fmc-runner and fmc-pulsar-relay"
  else
    echo "install: protoc not found, so fmc-runner (for \`fmc dev\`) was not built; install protoc (Debian: apt-get install protobuf-compiler) and run this again" >&2
  fi
fi

case ":$PATH:" in
  *":$bin:"*) echo "install: $installed in $bin (on PATH)" ;;
  *) echo "install: $installed in $bin, which is not on PATH: export PATH=\"$bin:\$PATH\"" >&2 ;;
esac
