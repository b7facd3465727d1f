#!/usr/bin/env bash
# `make up`: installs what the host lacks, builds, and starts kubeshim on this
# host with its data in $KUBESHIM_DATA_DIR (default /var/lib/kubeshim).
source "$(dirname "$0")/lib.sh"
DATA_DIR=${KUBESHIM_DATA_DIR:-/var/lib/kubeshim}
PORT=${KUBESHIM_PORT:-6443}
hack/ensure-host.sh up
hack/build.sh
mkdir -p "$DATA_DIR"
pidfile="$DATA_DIR/kubeshim.pid"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "kubeshim already running (PID $(cat "$pidfile")); 'make down' stops it"
else
  nohup _output/bin/kubeshim server --data-dir "$DATA_DIR" --secure-port "$PORT" >"$DATA_DIR/kubeshim.log" 2>&1 &
  echo $! >"$pidfile"
fi
kubeconfig="$DATA_DIR/admin.kubeconfig"
for _ in $(seq 1 120); do
  if [[ -f "$kubeconfig" ]] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    cat <<MSG
kubeshim is up (PID $(cat "$pidfile"), log $DATA_DIR/kubeshim.log).

  export KUBECONFIG=$kubeconfig
  kubectl get namespaces
  kubectl api-resources

'make down' stops it.
MSG
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "kubeshim exited; last lines of $DATA_DIR/kubeshim.log:" >&2
    tail -20 "$DATA_DIR/kubeshim.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "kubeshim not ready after 60s; see $DATA_DIR/kubeshim.log" >&2
exit 1
