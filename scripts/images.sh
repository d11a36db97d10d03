#!/usr/bin/env bash
# Builds fmc's runner images as OCI image layouts, with no container engine:
#   OUT_DIR/native   fmc/runner:0.1.0         the static runner alone (uid 65532)
#   OUT_DIR/python   fmc/runner-python:0.1.0  the runner with its Python engine,
#                    the libraries it loads and Debian's CPython standard library
#   OUT_DIR/runner-images.json  {"native": "fmc/runner:0.1.0@sha256:…", "fmc-python": …}
#                    (`fmc build --runner-images-file` reads it: rendered pods name
#                    the images by digest)
# Reproducible: the same commit gives the same digests (images/src/lib.rs says how).
# FMC_IMAGE_PROFILE (default runner-image: LTO, stripped) chooses the build;
# FMC_RUNNER_NATIVE_BINARY and FMC_RUNNER_PYTHON_BINARY package binaries built
# already instead (the test suite packages the ones it tests).
set -euo pipefail
out=${1:?usage: bash scripts/images.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
profile=${FMC_IMAGE_PROFILE:-runner-image}
dir=$profile
[ "$profile" = dev ] && dir=debug
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source=$(git remote get-url origin 2>/dev/null || echo unknown)
native_bin=${FMC_RUNNER_NATIVE_BINARY:-}
python_bin=${FMC_RUNNER_PYTHON_BINARY:-}
# The build folder is not in the binaries (one digest whichever clone builds).
remap="--remap-path-prefix=$PWD=/fmc"
if [ -z "$native_bin" ]; then
  RUSTFLAGS="-C target-feature=+crt-static $remap" cargo build --locked --quiet --profile "$profile" \
    --target x86_64-unknown-linux-gnu -p fmc-runner --bin fmc-runner
  native_bin=target/x86_64-unknown-linux-gnu/$dir/fmc-runner
fi
if [ -z "$python_bin" ]; then
  # Its own target folder: the same binary name with other features would
  # replace the one the test suite runs.
  RUSTFLAGS="$remap" CARGO_TARGET_DIR=target/python-image cargo build --locked --quiet --profile "$profile" \
    -p fmc-runner --bin fmc-runner --features python
  python_bin=target/python-image/$dir/fmc-runner
fi
cargo build --locked --quiet --release -p fmc-images
images=target/release/fmc-images
native=$($images native --binary "$native_bin" --out "$out/native" \
  --revision "$revision" --source "$source")
python=$($images python --binary "$python_bin" --out "$out/python" \
  --revision "$revision" --source "$source")
# FMC_IMAGE_REGISTRY: where the images are pushed (the references then name it).
registry=${FMC_IMAGE_REGISTRY:+$FMC_IMAGE_REGISTRY/}
ref() { echo "$1" | awk -v reg="$registry" '{split($1, r, ":"); print reg r[1] ":" r[2] "@" $2}'; }
printf '{"native": "%s", "fmc-python": "%s"}\n' "$(ref "$native")" "$(ref "$python")" > "$out/runner-images.json"
echo "images: $native"
echo "images: $python"
echo "images: $out/runner-images.json"
