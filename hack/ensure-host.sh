#!/usr/bin/env bash
# Installs what the host lacks for `make up` (up) or `make test` (test):
# containerd, runc, iptables, the CNI plugins, busybox-static (test images),
# and starts containerd when it does not answer. Idempotent: installs
# nothing that is already there. Debian/Ubuntu hosts (apt-get).
#
# When this script starts containerd it records the PID in
# /run/kubeshim/containerd.pid; `hack/ensure-host.sh stop` stops only a
# containerd started that way (test.sh does, when it started it).
source "$(dirname "$0")/lib.sh"
purpose=${1:-up}
PIDFILE=/run/kubeshim/containerd.pid
SOCK=/run/containerd/containerd.sock

if [[ $purpose == stop ]]; then
  if [[ -f $PIDFILE ]]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "stopped containerd (PID $pid)"
    fi
    # Another run may have started containerd (and written its PID) as
    # soon as this one was gone.
    [[ $(cat "$PIDFILE" 2>/dev/null) != "$pid" ]] || rm -f "$PIDFILE"
  fi
  exit 0
fi

if ! command -v kubectl >/dev/null; then
  echo "missing: kubectl: it comes with the machine image (google-cloud-cli's kubectl package); install it first" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "kubeshim's node agent needs root (containers, network namespaces, iptables)" >&2
  exit 1
fi

pkgs=(containerd runc iptables containernetworking-plugins busybox-static)
need=()
for pkg in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

containerd_up() {
  [[ -S $SOCK ]] && timeout 5 ctr --address "$SOCK" version >/dev/null 2>&1
}
if ! containerd_up; then
  mkdir -p /run/kubeshim /var/log
  echo "starting containerd (log /var/log/kubeshim-containerd.log)"
  # containerd outlives this script: it must not keep the caller's other
  # descriptors open. One inherited from `flock FILE make test` kept the
  # lock held for as long as containerd ran.
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid containerd
  ) >>/var/log/kubeshim-containerd.log 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    containerd_up && break
    sleep 0.1
  done
  if ! containerd_up; then
    echo "containerd did not start; last lines of /var/log/kubeshim-containerd.log:" >&2
    tail -20 /var/log/kubeshim-containerd.log >&2
    exit 1
  fi
fi
echo "host ready for ${purpose}: containerd $(ctr --address "$SOCK" version 2>/dev/null | awk '/Server:/{s=1} s&&/Version:/{print $2; exit}')"
