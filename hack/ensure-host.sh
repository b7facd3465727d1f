#!/usr/bin/env bash
# Installs what the host lacks for `make up` (up) or `make test` (test).
# Idempotent: installs nothing that is already there.
source "$(dirname "$0")/lib.sh"
purpose=${1:-up}
need=()
command -v kubectl >/dev/null || need+=(kubectl)
if ((${#need[@]})); then
  echo "missing: ${need[*]}: kubectl comes with the machine image (google-cloud-cli's kubectl package); install it first" >&2
  exit 1
fi
echo "host ready for ${purpose}"
