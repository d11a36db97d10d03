#!/usr/bin/env bash
# The one gate: formatting, lints, schema drift and the whole test suite.
# CI runs exactly this (see .ci/run); so does a developer before pushing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# The conformance group (tests over the operator's corpus in the shared
# folder) runs when the corpus is there; CI fails without it.
shared=${FMC_SHARED:-../shared}
if [ -d "$shared/corpus/function-mesh/samples" ]; then
  echo "test: conformance corpus at $shared: the conformance group runs"
else
  echo "test: no conformance corpus at $shared (set FMC_SHARED): the conformance group is SKIPPED"
fi
# Apache Pulsar's standalone broker (scripts/pulsar-standalone.sh) starts
# while the code compiles; the runner's suites run on it and on pulsar-lite.
pulsar_log=$(mktemp)
pulsar_pid=
if [ -f .pulsar/lib/.version ]; then
  bash scripts/pulsar-standalone.sh start > "$pulsar_log" 2>&1 &
  pulsar_pid=$!
  trap 'bash scripts/pulsar-standalone.sh stop >/dev/null 2>&1 || true' EXIT
else
  echo "test: no Apache Pulsar jars (scripts/setup.sh needs Java and Maven): its suites are SKIPPED"
fi
cargo fmt --all -- --check
# The image test (runner/tests/image.rs) runs this static build alone in an empty root.
RUSTFLAGS='-C target-feature=+crt-static' cargo build --locked --target x86_64-unknown-linux-gnu -p fmc-runner --bin fmc-runner
# The runner's optional engines are built and tested too: wasmtime (its ABI
# tests run on every engine the build has) and Python (fmc-python, CPython
# embedded; python3.11-dev from setup.sh, PYO3_PYTHON in .cargo/config.toml).
features=fmc-engine/wasmtime,fmc-runner/python
cargo clippy --workspace --all-targets --locked --features "$features" -- -D warnings
# Every example mesh's own tests (`fmc test`, docs/testing.md), as a user runs them.
cargo run --locked --quiet --features fmc-engine/wasmtime --bin fmc -- test examples
if [ -n "$pulsar_pid" ]; then
  wait "$pulsar_pid" || { cat "$pulsar_log"; echo "test: Apache Pulsar did not start" >&2; exit 1; }
  echo "test: Apache Pulsar standalone: $(grep -o 'ready in [0-9]* s' "$pulsar_log"), $(grep VmRSS "/proc/$(cat .pulsar/run/default/pid)/status" | tr -s ' ')"
fi
cargo test --workspace --locked --no-fail-fast --features "$features"
if [ -n "$pulsar_pid" ]; then
  echo "test: Apache Pulsar standalone after the suites: $(grep VmHWM "/proc/$(cat .pulsar/run/default/pid)/status" | tr -s ' ') (peak)"
fi
# The README's first command on this clone: fmc alone builds with the Rust
# toolchain (PROTOC pointing nowhere proves no protoc is needed), then
# compiles the shipped example. Timed: README states how long it takes.
install_root=$(mktemp -d)
start=$(date +%s)
PROTOC=/nonexistent FMC_INSTALL_RUNNER=0 FMC_INSTALL_ROOT="$install_root" bash scripts/install.sh
"$install_root/bin/fmc" build examples/dsl/cdc-pipeline/mesh.yaml >/dev/null
echo "test: scripts/install.sh (fmc alone, release, no protoc) and the README's first build took $(( $(date +%s) - start )) s"
rm -rf "$install_root"
echo "test: target/ holds $(du -sh target 2>/dev/null | cut -f1) after the run; / has $(df -h --output=avail / | tail -1 | tr -d ' ') free"
