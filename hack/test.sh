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
e2e_pid=
e2e_log=
cleanup() {
  # An interrupted run: the end-to-end tests may still run in the background.
  if [[ -n $e2e_pid ]]; then kill "$e2e_pid" 2>/dev/null || true; wait "$e2e_pid" 2>/dev/null || true; fi
  rm -f "$log" "$e2e_log"
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
# The end-to-end tests mostly wait (for pods, rollouts, cron minutes), so
# they run beside the packages that touch nothing of the host: API types,
# registry, controllers and scheduler (two at a time: linking ~160 test
# binaries one after another was most of CI's go test time), then the
# integration packages (one at a time: each starts a server with embedded
# etcd). The agent's and proxy's packages share the host's containerd,
# iptables and mounts with the end-to-end cluster, so they run after it.
# The builds run at a lower priority than the end-to-end cluster's pods.
pkgs=$(go list ./...)
mod=github.com/kubeshim/kubeshim
pure=$(grep -E "^$mod/(apis|controllers|registry|scheduler)(/|\$)" <<<"$pkgs" | xargs)
integration=$(grep -E "^$mod/test/integration/" <<<"$pkgs" | xargs)
e2e=$(grep -E "^$mod/test/e2e(/|\$)" <<<"$pkgs" | xargs)
host=$(grep -vE "^$mod/(apis|controllers|registry|scheduler|test)(/|\$)" <<<"$pkgs" | xargs)
gotest() { go test -ldflags "$LDFLAGS" -count=1 -timeout 30m -v "$@"; }
summary() { grep -E '^(ok|FAIL|---|panic|\?)'; }
: >"$log"
e2e_log=$(mktemp)
set +e
# shellcheck disable=SC2086 # the package lists are word-split on purpose
gotest -p 1 $e2e >"$e2e_log" 2>&1 &
e2e_pid=$!
# PIPESTATUS is read right after each pipeline: `|| true` would reset it.
# shellcheck disable=SC2086
nice -n 10 go test -ldflags "$LDFLAGS" -count=1 -timeout 30m -v -p 2 $pure 2>&1 | tee -a "$log" | summary
rc=${PIPESTATUS[0]}; [[ $rc -eq 0 ]] || status=$rc
took "go test: $(wc -w <<<"$pure") host-free packages, 2 at a time"
# shellcheck disable=SC2086
nice -n 10 go test -ldflags "$LDFLAGS" -count=1 -timeout 30m -v -p 1 $integration 2>&1 | tee -a "$log" | summary
rc=${PIPESTATUS[0]}; [[ $rc -eq 0 ]] || status=$rc
took "go test: $(wc -w <<<"$integration") integration packages"
wait "$e2e_pid"
rc=$?; [[ $rc -eq 0 ]] || status=$rc
e2e_pid=
summary <"$e2e_log"
cat "$e2e_log" >>"$log"
took "go test: end-to-end (the wait after the integration packages)"
# shellcheck disable=SC2086
gotest -p 1 $host 2>&1 | tee -a "$log" | summary
rc=${PIPESTATUS[0]}; [[ $rc -eq 0 ]] || status=$rc
took "go test: $(wc -w <<<"$host") agent, proxy and command packages"
set -e
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
messages=
if [[ $status -ne 0 ]]; then
  grep -E -B2 -A20 -- '--- FAIL|panic:' "$log" | head -200 || true
  # The tests' own messages (t.Errorf/t.Fatalf lines) say why they failed;
  # the verbose log interleaves them with server logs, far from "--- FAIL".
  messages=$(grep -E '^\s+[A-Za-z0-9_]+_test\.go:[0-9]+: ' "$log" | cut -c1-400 | head -80 || true)
  echo "test messages (file:line: ...):"
  echo "$messages"
fi
echo "go test: ${passed} passed, ${failed} failed, ${skipped} skipped"

conformance=0
FOCUS_FILE=conformance/passing.txt hack/conformance.sh || conformance=$?
took "conformance"
if [[ $status -ne 0 ]]; then
  # Again at the end, where a reader of CI's last lines finds them.
  echo "go test failed: ${failed} tests; their messages:"
  echo "$messages"
  grep -E '^\s*--- FAIL' "$log" || true
fi
if [[ $status -ne 0 || $conformance -ne 0 ]]; then
  exit 1
fi
