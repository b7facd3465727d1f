#!/usr/bin/env bash
# Cold start and idle cost of `kubeshim server` alone, without the upstream
# side of `make bench`: for each binary given (default _output/bin/kubeshim),
# $RUNS starts on a fresh data dir, each timed from exec to the first 200
# from /readyz, the binaries alternated so that the machine's load falls on
# all of them alike; then, with IDLE=1, the RSS after 30 s idle and the CPU
# it used over the next 30 s.
#
#   hack/bench-start.sh                              # RUNS=5
#   RUNS=7 IDLE=1 hack/bench-start.sh old/kubeshim _output/bin/kubeshim
#
# Every server listens on 127.0.0.1 only and is stopped by its PID; its data
# dir is removed.
set -euo pipefail
RUNS=${RUNS:-5}
IDLE=${IDLE:-0}
bins=("$@")
((${#bins[@]})) || bins=(_output/bin/kubeshim)
pid= dir=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n $dir ]]; then rm -rf "$dir" "$dir.log"; fi
  pid= dir=
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# start BINARY: starts a server on a fresh data dir (pid, dir) and sets ms
# to its time to ready. Not called in a subshell: cleanup needs pid and dir.
start() {
  dir=$(mktemp -d /tmp/kubeshim-bench-start-XXXXXX)
  local t0 t1
  t0=$(date +%s%N)
  "$1" server --data-dir "$dir" --bind-address 127.0.0.1 --secure-port "$port" >"$dir.log" 2>&1 &
  pid=$!
  until [[ $(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/readyz" 2>/dev/null) == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "$1 server exited; log:" >&2; tail -20 "$dir.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s%N)
  rm -f "$dir.log"
  ms=$(((t1 - t0) / 1000000))
}

declare -A starts
for ((i = 1; i <= RUNS; i++)); do
  for b in "${bins[@]}"; do
    start "$b"
    starts[$b]+="$ms "
    cleanup
    sleep 1
  done
done
for b in "${bins[@]}"; do
  sorted=$(tr ' ' '\n' <<<"${starts[$b]}" | grep . | sort -n | tr '\n' ' ')
  median=$(tr ' ' '\n' <<<"$sorted" | grep . | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$b: cold start to /readyz (ms): $sorted(median $median)"
done

if [[ $IDLE == 1 ]]; then
  hz=$(getconf CLK_TCK)
  for b in "${bins[@]}"; do
    start "$b"
    sleep 30
    t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    sleep 30
    t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
    echo "$b: idle RSS ${rss} MiB, idle CPU $(((t1 - t0) * 1000 / hz / 30)) ms/s"
    cleanup
  done
fi
