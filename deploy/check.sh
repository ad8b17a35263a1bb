#!/bin/sh
# Checks deploy/ without a cluster: the two copies of the collector configuration are identical and every
# kustomize overlay builds. Needs kubectl (or kustomize) on PATH.
set -eu
cd "$(dirname "$0")"
cmp collector/otel-collector.yaml k8s/base/otel-collector-config.yaml ||
  { echo "deploy/collector/otel-collector.yaml and deploy/k8s/base/otel-collector-config.yaml differ"; exit 1; }
if command -v kubectl >/dev/null 2>&1; then build="kubectl kustomize"; else build="kustomize build"; fi
for dir in k8s/overlays/*/; do
  out=$($build "$dir") || { echo "FAIL $dir"; exit 1; }
  echo "ok   $dir ($(printf '%s\n' "$out" | grep -c '^kind:') objects)"
done
