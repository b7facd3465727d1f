#!/usr/bin/env bash
# `make bench`: measures `kubeshim server` and the upstream control plane
# (etcd, kube-apiserver, kube-scheduler, kube-controller-manager v1.37.2,
# built from the bench/ module) side by side on this machine:
#
#   - cold start: from exec to the first 200 on /readyz (median of $RUNS);
#     upstream's kube-apiserver is started with its etcd already serving
#   - idle RSS: after $IDLE_SECONDS of idle, every process of the control plane
#   - load: bench/cmd/apiload (create, get, list, watch at 50 clients)
#
# Every server runs in a new temporary directory on free ports of 127.0.0.1
# and is stopped by PID; the directories are removed on every exit. Builds
# what is missing into _output/bench/ (the upstream binaries unless newer than
# bench/go.sum: ~4 min on 2 cores when the conformance e2e.test build has
# filled the Go build cache, much longer from an empty one) and rebuilds
# _output/bin/kubeshim. A run takes about 3 minutes after that.
# Prints a markdown report and writes it to _output/bench/report.md, the
# logs beside it.
#
#   RUNS=3            cold starts per side
#   IDLE_SECONDS=30   idle time before the RSS is read
#   LOAD_ARGS=...     more arguments for apiload (word-split), e.g. "--creates 2000"
source "$(dirname "$0")/lib.sh"

OUT=_output/bench
BENCH_KUBE_VERSION=v1.37.2
RUNS=${RUNS:-3}
IDLE_SECONDS=${IDLE_SECONDS:-30}
mkdir -p "$OUT"

# build_upstream builds the upstream binaries with the version stamps of the
# release they are built from. Like hack/conformance.sh, it runs under nice:
# the build takes both cores for many minutes.
build_upstream() {
  local now major minor stamp=() pkg bin
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  major=${BENCH_KUBE_VERSION#v}; major=${major%%.*}
  minor=${BENCH_KUBE_VERSION#v*.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=(
      -X "$pkg.gitVersion=$BENCH_KUBE_VERSION" -X "$pkg.gitMajor=$major" -X "$pkg.gitMinor=$minor"
      -X "$pkg.gitTreeState=clean" -X "$pkg.buildDate=$now"
    )
  done
  for bin in kube-apiserver kube-scheduler kube-controller-manager; do
    if [[ -x "$OUT/$bin" && "$OUT/$bin" -nt bench/go.sum ]]; then continue; fi
    echo "building $OUT/$bin"
    (cd bench && time nice -n 19 go build -ldflags "${stamp[*]}" -o "$ROOT/$OUT/$bin" "k8s.io/kubernetes/cmd/$bin")
  done
  if [[ ! -x "$OUT/etcd" || ! "$OUT/etcd" -nt bench/go.sum ]]; then
    echo "building $OUT/etcd"
    (cd bench && time nice -n 19 go build -o "$ROOT/$OUT/etcd" go.etcd.io/etcd/server/v3)
  fi
  (cd bench && go build -o "$ROOT/$OUT/" ./cmd/...)
}


pids=()   # processes this script started, stopped in reverse order
dirs=()   # temporary directories, removed on exit

# stop_all stops the processes in pids, the last started first: SIGTERM, then
# SIGKILL after 30 s.
stop_all() {
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "PID $pid did not stop in 30s; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

cleanup() {
  stop_all
  if ((${#dirs[@]} > 0)); then rm -rf "${dirs[@]}"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_dir sets dir to a new temporary directory.
new_dir() {
  dir=$(mktemp -d /tmp/kubeshim-bench.XXXXXX)
  dirs+=("$dir")
}

# wait_ready waits for url to answer 200 and prints the milliseconds since
# t0 (nanoseconds since the epoch); the process pid must stay up meanwhile.
wait_ready() {
  local url=$1 pid=$2 t0=$3 t1
  t1=$("$OUT/waitready" --url "$url" --pid "$pid") || { echo "see the logs in $OUT/" >&2; return 1; }
  echo $(((t1 - t0) / 1000000))
}

# rss_mib prints the sum of the resident set sizes of the given PIDs, in MiB.
rss_mib() {
  local kb=0 pid v
  for pid in "$@"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    kb=$((kb + v))
  done
  awk -v kb="$kb" 'BEGIN {printf "%.0f", kb / 1024}'
}

median() {
  printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

declare -A res   # res[side.metric] = value

# run_load runs apiload against kubeconfig and keeps its numbers as
# res[side.op.field].
run_load() {
  local side=$1 kubeconfig=$2 op count errors rate p50 p99
  # shellcheck disable=SC2086 # LOAD_ARGS is word-split on purpose
  "$OUT/apiload" --kubeconfig "$kubeconfig" ${LOAD_ARGS:-} >"$OUT/$side-load.txt" 2>"$OUT/$side-load.log" || {
    echo "apiload against $side failed; see $OUT/$side-load.log" >&2
    cat "$OUT/$side-load.txt" "$OUT/$side-load.log" >&2
    return 1
  }
  cat "$OUT/$side-load.txt"
  while read -r op count errors rate p50 p99; do
    [[ "$op" == op ]] && continue
    res[$side.$op.count]=$count
    res[$side.$op.rate]=$rate
    res[$side.$op.p50]=$p50
    res[$side.$op.p99]=$p99
  done <"$OUT/$side-load.txt"
}

# kubeshim_start starts kubeshim server in a new data dir (dir) and sets
# start_ms to its cold start; its PID is the last of pids.
kubeshim_start() {
  local port t0
  new_dir
  port=$(free_port)
  t0=$(date +%s%N)
  _output/bin/kubeshim server --data-dir "$dir" --bind-address 127.0.0.1 --secure-port "$port" \
    >"$OUT/kubeshim.log" 2>&1 &
  pids+=($!)
  start_ms=$(wait_ready "https://127.0.0.1:$port/readyz" "$!" "$t0")
}

bench_kubeshim() {
  local starts=() i dir start_ms
  for ((i = 1; i <= RUNS; i++)); do
    kubeshim_start
    starts+=("$start_ms")
    echo "kubeshim: cold start $start_ms ms"
    if ((i < RUNS)); then stop_all; fi
  done
  res[kubeshim.start]=$(median "${starts[@]}")
  sleep "$IDLE_SECONDS"
  res[kubeshim.rss]=$(rss_mib "${pids[@]}")
  echo "kubeshim: idle RSS ${res[kubeshim.rss]} MiB"
  run_load kubeshim "$dir/admin.kubeconfig"
  stop_all
}

# upstream_certs makes, in dir, a CA that the API server trusts for client
# certificates, an admin client certificate in system:masters, the service
# account key and an admin kubeconfig for the server on port.
upstream_certs() {
  local dir=$1 port=$2
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=bench-admin" \
    -keyout "$dir/admin.key" -out "$dir/admin.csr" 2>/dev/null
  openssl x509 -req -days 1 -in "$dir/admin.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/admin.crt" 2>/dev/null
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  # The serving certificate is the one kube-apiserver makes itself in
  # --cert-dir, so the client does not verify it.
  cat >"$dir/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: upstream
  cluster:
    server: https://127.0.0.1:$port
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate: $dir/admin.crt
    client-key: $dir/admin.key
contexts:
- name: upstream
  context: {cluster: upstream, user: admin}
current-context: upstream
EOF
}

# upstream_start starts etcd in a new directory (dir), waits until it is
# healthy, then starts kube-apiserver and sets start_ms and etcd_ms to their
# cold starts; their PIDs are the last two of pids.
upstream_start() {
  local port client peer t0
  new_dir
  port=$(free_port)
  client=$(free_port)
  peer=$(free_port)
  upstream_certs "$dir" "$port"
  t0=$(date +%s%N)
  "$OUT/etcd" --name bench --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --log-level warn >"$OUT/etcd.log" 2>&1 &
  pids+=($!)
  etcd_ms=$(wait_ready "http://127.0.0.1:$client/health" "$!" "$t0")
  t0=$(date +%s%N)
  "$OUT/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$client" \
    --bind-address 127.0.0.1 --secure-port "$port" --cert-dir "$dir/certs" \
    --client-ca-file "$dir/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/sa.key" --service-account-signing-key-file "$dir/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 \
    --authorization-mode Node,RBAC >"$OUT/kube-apiserver.log" 2>&1 &
  pids+=($!)
  start_ms=$(wait_ready "https://127.0.0.1:$port/readyz" "$!" "$t0")
}

# upstream_controllers starts kube-scheduler and kube-controller-manager
# against the API server whose files are in dir. They do not serve
# (--secure-port 0), which spares them the delegated authentication and
# authorization that a real deployment's health endpoints need: the RSS
# measured is if anything less than a real deployment's.
upstream_controllers() {
  local dir=$1
  "$OUT/kube-scheduler" --kubeconfig "$dir/admin.kubeconfig" --secure-port 0 \
    >"$OUT/kube-scheduler.log" 2>&1 &
  pids+=($!)
  "$OUT/kube-controller-manager" --kubeconfig "$dir/admin.kubeconfig" --secure-port 0 \
    --service-account-private-key-file "$dir/sa.key" --root-ca-file "$dir/ca.crt" \
    --cluster-signing-cert-file "$dir/ca.crt" --cluster-signing-key-file "$dir/ca.key" \
    --service-cluster-ip-range 10.96.0.0/12 >"$OUT/kube-controller-manager.log" 2>&1 &
  pids+=($!)
}

bench_upstream() {
  local starts=() etcd_starts=() i dir start_ms etcd_ms j detail=()
  local names=(etcd kube-apiserver kube-scheduler kube-controller-manager)
  for ((i = 1; i <= RUNS; i++)); do
    upstream_start
    starts+=("$start_ms")
    etcd_starts+=("$etcd_ms")
    echo "upstream: kube-apiserver cold start $start_ms ms (etcd before it: $etcd_ms ms)"
    if ((i < RUNS)); then stop_all; fi
  done
  res[upstream.start]=$(median "${starts[@]}")
  res[upstream.etcd_start]=$(median "${etcd_starts[@]}")
  upstream_controllers "$dir"
  sleep "$IDLE_SECONDS"
  for ((j = 0; j < ${#pids[@]}; j++)); do
    if ! kill -0 "${pids[j]}" 2>/dev/null; then
      echo "${names[j]} exited; see $OUT/${names[j]}.log" >&2
      tail -20 "$OUT/${names[j]}.log" >&2
      return 1
    fi
    detail+=("${names[j]} $(rss_mib "${pids[j]}")")
  done
  res[upstream.rss]=$(rss_mib "${pids[@]}")
  res[upstream.rss_detail]=$(printf '%s + ' "${detail[@]}")
  res[upstream.rss_detail]=${res[upstream.rss_detail]% + }
  echo "upstream: idle RSS ${res[upstream.rss]} MiB (${res[upstream.rss_detail]})"
  run_load upstream "$dir/admin.kubeconfig"
  stop_all
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }

report() {
  local op
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) of memory, with \`make bench\` (hack/bench.sh${LOAD_ARGS:+, LOAD_ARGS=\"$LOAD_ARGS\"}); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| | kubeshim | upstream v1.37.2 | kubeshim / upstream |"
  echo "|---|---:|---:|---:|"
  echo "| cold start to /readyz, median of $RUNS (ms) | ${res[kubeshim.start]} | ${res[upstream.start]} (etcd already up; etcd itself: ${res[upstream.etcd_start]}) | $(ratio "${res[kubeshim.start]}" "${res[upstream.start]}") |"
  echo "| idle RSS after ${IDLE_SECONDS} s (MiB) | ${res[kubeshim.rss]} | ${res[upstream.rss]} (${res[upstream.rss_detail]}) | $(ratio "${res[kubeshim.rss]}" "${res[upstream.rss]}") |"
  for op in create get list watch; do
    echo "| $op: ops/s (${res[kubeshim.$op.count]} ops) | ${res[kubeshim.$op.rate]} | ${res[upstream.$op.rate]} | $(ratio "${res[kubeshim.$op.rate]}" "${res[upstream.$op.rate]}") |"
    echo "| $op: p50 / p99 (ms) | ${res[kubeshim.$op.p50]} / ${res[kubeshim.$op.p99]} | ${res[upstream.$op.p50]} / ${res[upstream.$op.p99]} | $(ratio "${res[kubeshim.$op.p50]}" "${res[upstream.$op.p50]}") / $(ratio "${res[kubeshim.$op.p99]}" "${res[upstream.$op.p99]}") |"
  done
}

hack/build.sh
build_upstream
# Other work on the machine skews the numbers: the report shows the load.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "kubeshim: $(_output/bin/kubeshim version)"
echo "upstream: $("$OUT/kube-apiserver" --version), etcd $("$OUT/etcd" --version | awk '/etcd Version/ {print $3}')"
bench_kubeshim
bench_upstream
echo
report | tee "$OUT/report.md"
