#!/usr/bin/env bash
# `make bench-scheduler`: scheduling throughput and latency of kubeshim's
# scheduler and of the upstream kube-scheduler v1.37.2 (built from the bench/
# module), side by side in one run, on simulated nodes.
#
# For each node count and each scheduler, on a fresh cluster:
#   - `kubeshim server --disable=scheduler` (API server, embedded etcd and
#     the controllers: node IPAM gives the nodes their pod CIDRs, from
#     10.128.0.0/9 since the default /16 holds 256 nodes; the node lifecycle
#     controller watches their leases) in a new data dir;
#   - `kubeshim agent --simulate $NODES` (4 CPUs, 16Gi, 110 pods per node;
#     the pods bound to them are marked Running);
#   - bench/cmd/schedload: waits for the nodes to be Ready, creates $PODS
#     pending pods, starts the scheduler and times the drain, then streams
#     $STREAM_PODS more pods at $STREAM_RATE/s into the running scheduler
#     and times each from create to bound.
# The two schedulers get the same client budget (--kube-api-qps 500
# --kube-api-burst 1000, kubeshim's default; kube-scheduler's is 50/100),
# no leader election, and run as separate processes against the same kind
# of server. Every process is stopped by PID and every directory removed
# on exit. Prints a markdown report and writes it to
# _output/bench/scheduler-report.md, the logs beside it.
#
#   NODES=1000,5000   node counts
#   PODS=10000        pending pods drained per run
#   STREAM_PODS=2000  pods streamed after the drain (0: none)
#   STREAM_RATE=100   pods a second of the stream
#   SIDES="kubeshim upstream"  which schedulers, in this order (reversed in
#                     even rounds, so that drift in the machine's other load
#                     does not favour one side)
#   ROUNDS=1          runs of each scheduler per node count; the report gives
#                     every round's value and compares the means
source "$(dirname "$0")/lib.sh"

OUT=_output/bench
NODES=${NODES:-1000,5000}
PODS=${PODS:-10000}
STREAM_PODS=${STREAM_PODS:-2000}
STREAM_RATE=${STREAM_RATE:-100}
SIDES=${SIDES:-kubeshim upstream}
ROUNDS=${ROUNDS:-1}
QPS=(--kube-api-qps 500 --kube-api-burst 1000)
mkdir -p "$OUT"

hack/build.sh
if [[ ! -x "$OUT/kube-scheduler" || ! "$OUT/kube-scheduler" -nt bench/go.sum ]]; then
  # hack/bench.sh builds it with the release's version stamps.
  echo "building $OUT/kube-scheduler"
  (cd bench && nice -n 19 go build -o "$ROOT/$OUT/kube-scheduler" k8s.io/kubernetes/cmd/kube-scheduler)
fi
(cd bench && go build -o "$ROOT/$OUT/" ./cmd/schedload ./cmd/waitready)

pids=()  # processes this script started, stopped in reverse order
dir=
stop_all() {
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "PID $pid did not stop in 30s; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [[ -n $dir ]]; then rm -rf "$dir"; dir=; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

declare -A res  # res[side.nodes.key] = the rounds' values, space-separated

# run_one side nodes: one fresh cluster, one scheduler, one schedload run.
run_one() {
  local side=$1 nodes=$2 port kubeconfig log=$OUT/sched-$1-$2 sched key value
  dir=$(mktemp -d /tmp/kubeshim-bench-sched.XXXXXX)
  port=$(free_port)
  _output/bin/kubeshim server --data-dir "$dir" --bind-address 127.0.0.1 --secure-port "$port" \
    --disable=scheduler --cluster-cidr 10.128.0.0/9 >"$log-server.log" 2>&1 &
  pids+=($!)
  "$OUT/waitready" --url "https://127.0.0.1:$port/readyz" --pid "$!" >/dev/null ||
    { echo "kubeshim server did not start; see $log-server.log" >&2; return 1; }
  kubeconfig=$dir/admin.kubeconfig
  _output/bin/kubeshim agent --kubeconfig "$kubeconfig" --simulate "$nodes" --simulate-prefix sim \
    >"$log-agent.log" 2>&1 &
  pids+=($!)
  case $side in
    kubeshim) sched=(_output/bin/kubeshim scheduler --kubeconfig "$kubeconfig" --leader-elect=false "${QPS[@]}") ;;
    upstream) sched=("$OUT/kube-scheduler" --kubeconfig "$kubeconfig" --secure-port 0 --leader-elect=false "${QPS[@]}") ;;
  esac
  echo "== $side scheduler, $nodes simulated nodes, $PODS pods (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$OUT/schedload" --kubeconfig "$kubeconfig" --pods "$PODS" --wait-nodes "$nodes" \
    --stream-pods "$STREAM_PODS" --stream-rate "$STREAM_RATE" -- "${sched[@]}" \
    >"$log.txt" 2>"$log.log" || {
    echo "schedload failed; see $log.log" >&2
    tail -20 "$log.log" >&2
    return 1
  }
  cat "$log.txt"
  while read -r key value; do res[$side.$nodes.$key]+="$value "; done <"$log.txt"
  stop_all
}

mean() { echo "$1" | awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; if (NF) printf "%.1f", s / NF}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
cell() { local v; v=$(echo "$1" | xargs); echo "${v// / \/ }"; }

report() {
  local n k a b
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), with \`make bench-scheduler\` (hack/bench-scheduler.sh, NODES=$NODES PODS=$PODS STREAM_PODS=$STREAM_PODS STREAM_RATE=$STREAM_RATE ROUNDS=$ROUNDS); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  for n in ${NODES//,/ }; do
    echo
    echo "$n simulated nodes, $PODS pending pods (each round's value; the ratio of the means):"
    echo
    echo "| | kubeshim | upstream v1.37.2 | kubeshim / upstream |"
    echo "|---|---:|---:|---:|"
    for k in throughput steady_throughput first_bind_s drain_s drain_p50_ms drain_p99_ms stream_p50_ms stream_p99_ms stream_max_ms scheduler_cpu_s scheduler_maxrss_mib create_rate; do
      a=${res[kubeshim.$n.$k]:-}
      b=${res[upstream.$n.$k]:-}
      echo "| $k | $(cell "${a:--}") | $(cell "${b:--}") | $(ratio "$(mean "$a")" "$(mean "$b")") |"
    done
  done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "kubeshim: $(_output/bin/kubeshim version)"
echo "upstream: $("$OUT/kube-scheduler" --version)"
reversed=$(echo "$SIDES" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
for ((round = 1; round <= ROUNDS; round++)); do
  for n in ${NODES//,/ }; do
    order=$SIDES
    if ((round % 2 == 0)); then order=$reversed; fi
    for side in $order; do
      run_one "$side" "$n"
    done
  done
done
echo
report | tee "$OUT/scheduler-report.md"
