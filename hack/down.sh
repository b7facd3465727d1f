#!/usr/bin/env bash
# `make down`: stops the kubeshim that `make up` started, by its PID file.
source "$(dirname "$0")/lib.sh"
DATA_DIR=${KUBESHIM_DATA_DIR:-/var/lib/kubeshim}
pidfile="$DATA_DIR/kubeshim.pid"
if [[ ! -f "$pidfile" ]]; then echo "not running (no $pidfile)"; exit 0; fi
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then echo "PID $pid did not stop in 30s" >&2; exit 1; fi
fi
rm -f "$pidfile"
echo "kubeshim stopped"
