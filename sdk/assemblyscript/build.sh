#!/usr/bin/env bash
# Builds an AssemblyScript function for fmc-runner (default: the template):
#   bash sdk/assemblyscript/build.sh [ENTRY.ts [OUT.wasm]]
# Installs the pinned compiler (package-lock.json) on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/template/assembly/index.ts}
out=${2:-$here/template/build/function.wasm}
if [ ! -x "$here/node_modules/.bin/asc" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
mkdir -p "$(dirname "$out")"
# No imports: the runner links none (`--use abort=` drops the abort import).
"$here/node_modules/.bin/asc" "$src" -o "$out" --runtime incremental --optimize --use abort=
echo "built $out ($(wc -c < "$out") bytes) with AssemblyScript $("$here/node_modules/.bin/asc" --version)"
