#!/usr/bin/env bash
# `make conformance`: runs the upstream Kubernetes conformance tests against a
# fresh kubeshim server.
#
# Builds the upstream e2e.test (k8s.io/kubernetes, from the conformance/
# module) into _output/conformance/ unless it is newer than conformance/go.sum,
# builds the test images (hack/test-images.sh) and imports them into a
# containerd namespace of this run, starts `kubeshim up` (server and node
# agent) in a temporary data dir on a free port of 127.0.0.1, runs the tests
# named in conformance/focus.txt against it, writes
# _output/conformance/junit.xml and prints
#
#   conformance: N passed, M failed, K skipped
#
# On every exit the cluster is stopped and `kubeshim reset` removes what it
# made: containers, networks, the containerd namespace, the data dir.
#
#   FOCUS_FILE=f    run the tests named in f instead (make test runs
#                   conformance/passing.txt, those of focus.txt that pass)
#   FOCUS=<regex>   run the tests whose names match <regex> instead
#   FOCUS=all       run every [Conformance] test
#   E2E_ARGS=...    more arguments for e2e.test (word-split)
#   GINKGO_TIMEOUT=4h  the suite timeout with PROCS > 1
#   PROCS=3         parallel test processes (the ginkgo CLI, as upstream's
#                   hack/ginkgo-e2e.sh runs them; [Serial] tests run alone at
#                   the end); PROCS=1 runs e2e.test directly
source "$(dirname "$0")/lib.sh"

OUT=_output/conformance
E2E=$OUT/e2e.test
GINKGO=$OUT/ginkgo
PROCS=${PROCS:-3}
FOCUS_FILE=${FOCUS_FILE:-conformance/focus.txt}
E2E_KUBE_VERSION=v1.37.2
mkdir -p "$OUT"

# build_e2e builds e2e.test with the version stamps of the Kubernetes release
# it is built from, so that it does not report v0.0.0-master.
build_e2e() {
  if [[ -x "$E2E" && "$E2E" -nt conformance/go.sum ]]; then
    return
  fi
  local now major minor stamp=() pkg
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  major=${E2E_KUBE_VERSION#v}; major=${major%%.*}
  minor=${E2E_KUBE_VERSION#v*.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=(
      -X "$pkg.gitVersion=$E2E_KUBE_VERSION" -X "$pkg.gitMajor=$major" -X "$pkg.gitMinor=$minor"
      -X "$pkg.gitTreeState=clean" -X "$pkg.buildDate=$now"
    )
  done
  echo "building $E2E (cold: ~25 min and 3.5 GB of build cache on 2 cores)"
  (cd conformance && nice -n 19 go test -c -vet=off -ldflags "${stamp[*]}" \
    -o "$ROOT/$E2E" k8s.io/kubernetes/test/e2e)
}

# build_ginkgo builds the ginkgo CLI of the version e2e.test uses, which
# runs the suite in parallel processes.
build_ginkgo() {
  if [[ -x "$GINKGO" && "$GINKGO" -nt conformance/go.sum ]]; then
    return
  fi
  (cd conformance && go build -o "$ROOT/$GINKGO" github.com/onsi/ginkgo/v2/ginkgo)
}

# focus_regex prints the -ginkgo.focus expression: the names in $FOCUS_FILE,
# each escaped as Go's regexp.QuoteMeta does, joined with |, not anchored.
focus_regex() {
  case "${FOCUS:-}" in
    all) printf '%s' '\[Conformance\]' ;;
    '') grep -v -e '^[[:space:]]*$' -e '^#' "$FOCUS_FILE" |
          sed -e 's/[][\\.+*?(){}|^$]/\\&/g' | paste -sd '|' - ;;
    *) printf '%s' "$FOCUS" ;;
  esac
}


server_pid=
data_dir=
NAMESPACE=kubeshim-conformance-$$
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    for _ in $(seq 1 60); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "kubeshim server (PID $server_pid) did not stop in 30s; killing it" >&2
      kill -9 "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$data_dir" ]]; then
    _output/bin/kubeshim reset --data-dir "$data_dir" --containerd-namespace "$NAMESPACE" ||
      echo "kubeshim reset failed; see above" >&2
    rm -rf "$data_dir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server starts kubeshim up in a new data dir and waits for /readyz
# and a Ready node. Its cluster DNS forwards nothing: no test query may
# leave this host.
start_server() {
  local port kubeconfig
  port=$(free_port)
  _output/bin/kubeshim up --data-dir "$data_dir" --bind-address 127.0.0.1 \
    --secure-port "$port" --containerd-namespace "$NAMESPACE" \
    --dns-upstreams=none --disable-image-pulls >"$OUT/kubeshim.log" 2>&1 &
  server_pid=$!
  kubeconfig=$data_dir/admin.kubeconfig
  for _ in $(seq 1 120); do
    if [[ -f "$kubeconfig" ]] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1 &&
      kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=1s >/dev/null 2>&1; then
      echo "kubeshim up ready on 127.0.0.1:$port (PID $server_pid, log $OUT/kubeshim.log)"
      return
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "kubeshim server exited; last lines of $OUT/kubeshim.log:" >&2
      tail -20 "$OUT/kubeshim.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "kubeshim server not ready after 60s; see $OUT/kubeshim.log" >&2
  return 1
}

build_e2e
build_ginkgo
[[ -x _output/bin/kubeshim ]] || hack/build.sh
focus=$(focus_regex)
[[ -n "$focus" ]] || { echo "empty focus: $FOCUS_FILE lists no test" >&2; exit 1; }
hack/ensure-host.sh test
data_dir=$(mktemp -d /tmp/kubeshim-conformance.XXXXXX)
CONTAINERD_NAMESPACE=$NAMESPACE hack/test-images.sh
# e2e.test leaves temporary files (test-kuberc*) behind: keep them in the
# run's directory, which cleanup removes.
mkdir -p "$data_dir/tmp"
export TMPDIR=$data_dir/tmp
start_server

rm -f "$OUT/junit.xml" "$OUT/report.json"
# Before the first test the suite waits for every node to be ready and
# schedulable and for the kube-system pods to be ready. The JSON report is what the summary is read from:
# the JUnit one also lists every spec the focus left out, as skipped.
e2e_args=(
  --kubeconfig="$data_dir/admin.kubeconfig"
  --provider=skeleton
  --num-nodes=1
  --kubectl-path="$(command -v kubectl)"
  --e2e-output-dir="$ROOT/$OUT"
)
# shellcheck disable=SC2206 # E2E_ARGS is word-split on purpose
e2e_args+=(${E2E_ARGS:-})
ginkgo_args=(
  --focus="$focus"
  --junit-report="$ROOT/$OUT/junit.xml"
  --json-report="$ROOT/$OUT/report.json"
  --silence-skips
  --no-color
)
rc=0
if [[ $PROCS -gt 1 ]]; then
  echo "running $E2E in $PROCS processes (log $OUT/e2e.log)"
  # GO111MODULE=off: the CLI compares its version with `go list -m` run in
  # the suite's directory, _output/conformance, which is in the main module
  # (another ginkgo there, an indirect dependency): a false mismatch
  # warning. Without modules that lookup fails and is skipped; the suite
  # is prebuilt, so nothing else needs modules.
  (cd conformance && GO111MODULE=off "$ROOT/$GINKGO" --procs="$PROCS" --timeout="${GINKGO_TIMEOUT:-4h}" "${ginkgo_args[@]}" "$ROOT/$E2E" -- "${e2e_args[@]}") 2>&1 |
    tee "$OUT/e2e.log" || rc=$?
else
  echo "running $E2E (log $OUT/e2e.log)"
  "$E2E" "${e2e_args[@]}" "${ginkgo_args[@]/#--/-ginkgo.}" 2>&1 | tee "$OUT/e2e.log" || rc=$?
fi
if [[ ! -f "$OUT/report.json" ]]; then
  echo "e2e.test wrote no report (exit $rc); see $OUT/e2e.log" >&2
  exit 1
fi
(cd conformance && go run ./cmd/summary "$ROOT/$OUT/report.json")
exit "$rc"
