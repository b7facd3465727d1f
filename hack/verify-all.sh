#!/usr/bin/env bash
# Runs every verify check and reports every failure, not just the first.
source "$(dirname "$0")/lib.sh"
failed=()
run() {
  local name=$1; shift
  echo "--- verify: $name"
  if ! "$@"; then failed+=("$name"); fi
}
gofmt_check() {
  local out
  out=$(gofmt -l $(git ls-files '*.go' | grep -v '^conformance/' || true))
  if [[ -n "$out" ]]; then echo "gofmt needed on:"; echo "$out"; return 1; fi
}
run gofmt gofmt_check
run "go vet" go vet ./...
run openapi hack/verify-openapi.sh
run "rbac bootstrap policy" hack/verify-bootstrappolicy.sh
run "no k8s.io/kubernetes" bash -c '! grep -q "^[[:space:]]*k8s.io/kubernetes " go.mod'
if ((${#failed[@]})); then
  echo "verify failed: ${failed[*]}"
  exit 1
fi
echo "verify passed"
