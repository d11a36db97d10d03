#!/usr/bin/env bash
# Puts fmc, fmc-runner and fmc-pulsar-relay on PATH: `cargo install` from this
# checkout into cargo's bin folder ($CARGO_HOME/bin, ~/.cargo/bin by default,
# which rustup puts on PATH). Every integration snippet in the README calls
# `fmc` by name; `fmc dev` finds the runner and the relay beside it.
# Re-running after a pull rebuilds only what changed (the build reuses target/).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo install --locked --quiet --path . --bin fmc
cargo install --locked --quiet --path runner --bin fmc-runner --bin fmc-pulsar-relay

bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$bin:"*) echo "install: fmc, fmc-runner and fmc-pulsar-relay are in $bin (on PATH)" ;;
  *) echo "install: fmc, fmc-runner and fmc-pulsar-relay are in $bin, which is not on PATH: export PATH=\"$bin:\$PATH\"" >&2 ;;
esac
