# Sourced by the hack/ scripts: strict mode, the repo root, build flags.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export GOFLAGS=${GOFLAGS:-}
KUBESHIM_VERSION=${KUBESHIM_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
# The Kubernetes version whose API kubeshim serves; /version reports it with
# kubeshim's own version as semver build metadata.
KUBE_VERSION=v1.37.2
ldflags=(
  -X "k8s.io/component-base/version.gitVersion=${KUBE_VERSION}+kubeshim.${KUBESHIM_VERSION}"
  -X k8s.io/component-base/version.gitMajor=1
  -X k8s.io/component-base/version.gitMinor=37
  -X "k8s.io/component-base/version.gitCommit=$(git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)"
  -X "k8s.io/component-base/version.gitTreeState=$(if git diff --quiet 2>/dev/null; then echo clean; else echo dirty; fi)"
  -X "k8s.io/component-base/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
)
LDFLAGS="${ldflags[*]}"
export LDFLAGS

# free_port prints a port of 127.0.0.1 that nothing listens on, below the
# kernel's ephemeral range so that no outgoing connection holds it.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}
