#!/usr/bin/env bash
# The one gate: formatting, lints, schema drift and the whole test suite.
# CI runs exactly this (see .ci/run); so does a developer before pushing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
