#!/usr/bin/env bash

# Fails when the committed OpenAPI definitions or API rule violations report
# differ from what hack/update-openapi.sh generates now.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

hack/update-openapi.sh "${TMP}"

FILES=(
  apis/openapi/generated/zz_generated.openapi.go
  apis/openapi/violations.report
)

failed=0
for f in "${FILES[@]}"; do
  if [[ ! -f "${f}" ]]; then
    echo "ERROR: ${f} is missing" >&2
    failed=1
  elif ! diff -u "${f}" "${TMP}/${f}"; then
    echo "ERROR: ${f} is out of date" >&2
    failed=1
  fi
done

if [[ "${failed}" -ne 0 ]]; then
  echo "OpenAPI definitions are stale: run hack/update-openapi.sh" >&2
  exit 1
fi
echo "OpenAPI definitions are up to date"
