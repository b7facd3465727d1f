#!/usr/bin/env bash
# `make bench-pods`: pod startup latency on a real one-node cluster. Starts
# `kubeshim up` in a temporary data dir (own containerd namespace, busybox
# imported so no pull happens), then bench/cmd/podstartup creates 1, 10 and
# 50 pods at once, $ROUNDS rounds each, and reports p50/p99 of create ->
# Running. Everything is stopped and removed (`kubeshim reset`) on exit.
#
#   ROUNDS=3        rounds per batch size
#   BATCHES=1,10,50 batch sizes
#   DEPLOYMENTS=10,100  with `make bench-deployments` (hack/bench-pods.sh
#                   deployments): instead, bench/cmd/deployavail creates a
#                   Deployment of each size and reports how long it takes to
#                   be fully available
#   SIMULATED_NODES=10  with `make bench-deployments-simulated`
#                   (hack/bench-pods.sh deployments-simulated): the same on
#                   `kubeshim server` and `kubeshim agent --simulate
#                   $SIMULATED_NODES` instead of `kubeshim up`: no containers,
#                   so it measures the control plane alone, and needs neither
#                   root nor containerd
source "$(dirname "$0")/lib.sh"
MODE=${1:-pods}
OUT=_output/bench
ROUNDS=${ROUNDS:-3}
BATCHES=${BATCHES:-1,10,50}
mkdir -p "$OUT" _output/images

if [[ $MODE == deployments-simulated ]]; then
  hack/build.sh
  (cd bench && go build -o "$ROOT/$OUT/deployavail" ./cmd/deployavail)
  dir=$(mktemp -d /tmp/kubeshim-bench-sim.XXXXXX)
  pids=()
  cleanup() {
    local i pid
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      pid=${pids[i]}
      kill "$pid" 2>/dev/null || continue
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
  }
  trap cleanup EXIT
  port=$(free_port)
  _output/bin/kubeshim server --data-dir "$dir" --bind-address 127.0.0.1 --secure-port "$port" \
    >"$OUT/deployavail-sim-server.log" 2>&1 &
  pids+=($!)
  kubeconfig=$dir/admin.kubeconfig
  for _ in $(seq 1 120); do [[ -f $kubeconfig ]] && break; sleep 0.5; done
  _output/bin/kubeshim agent --kubeconfig "$kubeconfig" --simulate "${SIMULATED_NODES:-10}" \
    >"$OUT/deployavail-sim-agent.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    if [[ $(kubectl --kubeconfig "$kubeconfig" get nodes -l kubeshim.io/simulated=true --no-headers 2>/dev/null | grep -c ' Ready ') -ge ${SIMULATED_NODES:-10} ]]; then
      break
    fi
    sleep 0.5
  done
  echo "deployment create -> fully available on ${SIMULATED_NODES:-10} simulated nodes, $(nproc) cores:"
  "$OUT/deployavail" --kubeconfig "$kubeconfig" --sizes "${DEPLOYMENTS:-10,100}" --rounds "$ROUNDS" | tee "$OUT/deployavail-simulated.md"
  exit
fi
hack/ensure-host.sh test
hack/build.sh
(cd bench && go build -o "$ROOT/$OUT/podstartup" ./cmd/podstartup && go build -o "$ROOT/$OUT/deployavail" ./cmd/deployavail)

NAMESPACE=kubeshim-bench-$$
dir=$(mktemp -d /tmp/kubeshim-bench-pods.XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  _output/bin/kubeshim reset --data-dir "$dir/data" --containerd-namespace "$NAMESPACE" >/dev/null || echo "reset failed" >&2
  rm -rf "$dir"
}
trap cleanup EXIT

_output/bin/kubeshim image build test/images/busybox.yaml -o _output/images/busybox.tar >/dev/null
_output/bin/kubeshim image import --namespace "$NAMESPACE" _output/images/busybox.tar >/dev/null
port=$(free_port)
_output/bin/kubeshim up --data-dir "$dir/data" --bind-address 127.0.0.1 --secure-port "$port" \
  --containerd-namespace "$NAMESPACE" >"$OUT/podstartup-kubeshim.log" 2>&1 &
pid=$!
kubeconfig=$dir/data/admin.kubeconfig
for _ in $(seq 1 120); do
  if [[ -f $kubeconfig ]] && kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=1s >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
if [[ $MODE == deployments ]]; then
  echo "deployment create -> fully available (image present), $(nproc) cores:"
  "$OUT/deployavail" --kubeconfig "$kubeconfig" --sizes "${DEPLOYMENTS:-10,100}" --rounds "${ROUNDS:-2}" | tee "$OUT/deployavail.md"
  exit
fi
echo "pod startup latency, create -> Running (image present), $(nproc) cores:"
"$OUT/podstartup" --kubeconfig "$kubeconfig" --batches "$BATCHES" --rounds "$ROUNDS" | tee "$OUT/podstartup.md"
