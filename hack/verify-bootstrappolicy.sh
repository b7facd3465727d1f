#!/usr/bin/env bash

# Compares the RBAC bootstrap policy (registry/rbac/bootstrappolicy) with
# upstream's fixtures of the same Kubernetes version: the roles, bindings
# and their rules must be upstream's exactly. The k8s.io/kubernetes module
# is only downloaded into the module cache for its testdata, never imported.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

VERSION="v1.37.2"
DIR="$(cd /tmp && go mod download -json "k8s.io/kubernetes@${VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "${DIR}" ]]; then
  echo "ERROR: could not download k8s.io/kubernetes@${VERSION}" >&2
  exit 1
fi
KUBESHIM_UPSTREAM_BOOTSTRAPPOLICY="${DIR}/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata" \
  go test -count=1 -run 'TestUpstream' ./registry/rbac/bootstrappolicy/
