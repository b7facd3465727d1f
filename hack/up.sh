#!/usr/bin/env bash
# `make up`: installs what the host lacks (containerd, runc, iptables, CNI
# plugins), builds, and starts `kubeshim up` (server, scheduler, controllers
# and the node agent) on this host with its data in $KUBESHIM_DATA_DIR
# (default /var/lib/kubeshim). It returns once the node is Ready.
source "$(dirname "$0")/lib.sh"
DATA_DIR=${KUBESHIM_DATA_DIR:-/var/lib/kubeshim}
PORT=${KUBESHIM_PORT:-6443}
hack/ensure-host.sh up
hack/build.sh
mkdir -p "$DATA_DIR" _output/images
# A busybox image from this host's busybox, so a first pod needs no registry
# (make test-images builds the rest: agnhost, nginx).
_output/bin/kubeshim image build test/images/busybox.yaml -o _output/images/busybox.tar >/dev/null
_output/bin/kubeshim image import _output/images/busybox.tar >/dev/null
pidfile="$DATA_DIR/kubeshim.pid"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "kubeshim already running (PID $(cat "$pidfile")); 'make down' stops it"
else
  nohup _output/bin/kubeshim up --data-dir "$DATA_DIR" --secure-port "$PORT" >"$DATA_DIR/kubeshim.log" 2>&1 &
  echo $! >"$pidfile"
fi
kubeconfig="$DATA_DIR/admin.kubeconfig"
for _ in $(seq 1 120); do
  if [[ -f "$kubeconfig" ]] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1 &&
    kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=1s >/dev/null 2>&1; then
    cat <<MSG
kubeshim is up (PID $(cat "$pidfile"), log $DATA_DIR/kubeshim.log).

  export KUBECONFIG=$kubeconfig
  kubectl get nodes
  kubectl run hello --image=registry.k8s.io/e2e-test-images/busybox:1.37.0-2 --restart=Never -- echo hello
  kubectl logs hello

(That busybox image was built from this host's busybox: there is no
registry here. 'make test-images' builds agnhost and nginx too.)

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
echo "kubeshim not ready (API and a Ready node) after 60s; see $DATA_DIR/kubeshim.log" >&2
exit 1
