#!/usr/bin/env bash
# Every test CI runs: verify; unit, integration and end-to-end tests (go test;
# the end-to-end ones drive the built binary with stock kubectl); then the
# upstream conformance tests that pass today (conformance/passing.txt), so
# that none regresses. Building e2e.test takes ~25 min on a cold Go cache,
# seconds on a warm one.
source "$(dirname "$0")/lib.sh"
log=$(mktemp)
# containerd is left as it was found: stopped again at the end when this run
# started it (ensure-host records a containerd it starts in the PID file).
started_containerd=no
[[ -f /run/kubeshim/containerd.pid ]] || started_containerd=maybe
cleanup() {
  rm -f "$log"
  if [[ $started_containerd == maybe ]]; then hack/ensure-host.sh stop; fi
}
trap cleanup EXIT
# took prints how long the step since the last call took, so that CI's
# output shows where its time goes.
SECONDS=0
last=0
took() {
  echo "time: $1 took $((SECONDS - last)) s (total $SECONDS s)"
  last=$SECONDS
}
hack/ensure-host.sh test
took "host setup"
hack/verify-all.sh
took "verify"
hack/build.sh
took "build"

status=0
# -p 1: the integration packages each start a server with embedded etcd;
# on 2 cores they are faster one after another than fighting.
# PIPESTATUS is read right after the pipeline: `|| true` would reset it.
set +e
go test -ldflags "$LDFLAGS" -p 1 -count=1 -timeout 30m -v ./... 2>&1 | tee "$log" | grep -E '^(ok|FAIL|---|panic|\?)'
status=${PIPESTATUS[0]}
set -e
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
if [[ $status -ne 0 ]]; then
  grep -E -B2 -A20 -- '--- FAIL|panic:' "$log" | head -200 || true
  # The tests' own messages (t.Errorf/t.Fatalf lines) say why they failed;
  # the verbose log interleaves them with server logs, far from "--- FAIL".
  echo "test messages (file:line: ...):"
  grep -E '^\s+[A-Za-z0-9_]+_test\.go:[0-9]+: ' "$log" | cut -c1-400 | head -80 || true
fi
echo "go test: ${passed} passed, ${failed} failed, ${skipped} skipped"
took "go test"

conformance=0
FOCUS_FILE=conformance/passing.txt hack/conformance.sh || conformance=$?
took "conformance"
if [[ $status -ne 0 || $conformance -ne 0 ]]; then
  exit 1
fi
