#!/usr/bin/env bash
# Builds a Rust function for fmc-runner without cargo: the SDK, then the
# function (default: template/src/lib.rs -> template/build/function.wasm).
#   bash sdk/rust/build.sh [FUNCTION.rs [OUT.wasm]]
# It needs a rustc with the wasm32-unknown-unknown standard library: $RUSTC_WASM,
# else Debian's /usr/bin/rustc with libstd-rust-dev-wasm32 (scripts/setup.sh
# installs both), else the rustc on PATH (rustup target add wasm32-unknown-unknown).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/template/src/lib.rs}
out=${2:-$here/template/build/function.wasm}
rustc=${RUSTC_WASM:-}
if [ -z "$rustc" ]; then
  if [ -d /usr/lib/rustlib/wasm32-unknown-unknown ] && [ -x /usr/bin/rustc ]; then
    rustc=/usr/bin/rustc
  else
    rustc=rustc
  fi
fi
lib=$(mktemp -d)
trap 'rm -rf "$lib"' EXIT
mkdir -p "$(dirname "$out")"
"$rustc" --edition 2021 --target wasm32-unknown-unknown -C opt-level=s --crate-type rlib --crate-name fmc_sdk \
  "$here/src/lib.rs" --out-dir "$lib"
"$rustc" --edition 2021 --target wasm32-unknown-unknown -C opt-level=s -C strip=symbols -C lto --crate-type cdylib \
  --extern fmc_sdk="$lib/libfmc_sdk.rlib" -L "$lib" "$src" -o "$out"
echo "built $out ($(wc -c < "$out") bytes) with $($rustc --version)"
