#!/usr/bin/env bash
# Regenerates the stream-graph pictures of the DSL examples: graph.dot and
# graph.mmd (checked by the tests) and graph.svg (rendered with Graphviz `dot`,
# `apt-get install graphviz`; not checked, Graphviz versions lay out differently).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for mesh in examples/dsl/*/mesh.yaml; do
  dir=$(dirname "$mesh")
  ./target/debug/fmc graph "$mesh" > "$dir/graph.dot"
  ./target/debug/fmc graph --format mermaid "$mesh" > "$dir/graph.mmd"
  if command -v dot >/dev/null; then dot -Tsvg "$dir/graph.dot" > "$dir/graph.svg"; fi
done
echo "graphs: $(ls examples/dsl/*/graph.dot | wc -l) examples"
