#!/usr/bin/env bash
# Builds the images the tests and the conformance run use (busybox, agnhost,
# nginx, nonewprivs, glibc-dns-testing, nautilus, kitten from test/images/*.yaml,
# and the pause image) without a
# registry, and imports them into containerd.
#
#   hack/test-images.sh [--no-import] [--force]
#
#   --no-import            only build the archives in _output/images
#   --force                rebuild archives that look up to date
#   CONTAINERD_NAMESPACE   namespace to import into (default kubeshim, the agent's)
#   CONTAINERD_ADDRESS     containerd socket (default /run/containerd/containerd.sock)
#   KUBESHIM               the kubeshim binary (default _output/bin/kubeshim, built when missing)
#
# It installs Debian's busybox-static and nginx when the host lacks them.
source "$(dirname "$0")/lib.sh"

NAMESPACE=${CONTAINERD_NAMESPACE:-kubeshim}
ADDRESS=${CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}
KUBESHIM=${KUBESHIM:-_output/bin/kubeshim}
PAUSE=_output/bin/kubeshim-pause
OUT=_output/images
import=true
force=false
for arg in "$@"; do
  case $arg in
    --no-import) import=false ;;
    --force) force=true ;;
    *)
      echo "usage: $0 [--no-import] [--force]" >&2
      exit 2
      ;;
  esac
done

# install_missing installs the Debian packages whose files the images copy.
install_missing() {
  local packages=()
  [[ -x /bin/busybox ]] || packages+=(busybox-static)
  [[ -x /usr/sbin/nginx ]] || packages+=(nginx)
  # agnhost's nc, dig and socat (the service and DNS tests use them).
  [[ -x /bin/nc.openbsd ]] || packages+=(netcat-openbsd)
  [[ -x /usr/bin/dig ]] || packages+=(bind9-dnsutils)
  [[ -x /usr/bin/socat ]] || packages+=(socat)
  ((${#packages[@]})) || return 0
  echo "installing ${packages[*]}"
  apt-get update
  # apt must not start nginx on the host: it would take port 80. A
  # policy-rc.d that says 101 keeps every package's service down.
  local policy=false
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy=true
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
  if [[ $policy == true ]]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
}

# up_to_date tells whether file exists and is newer than every other argument.
up_to_date() {
  local file=$1 dep
  shift
  [[ $force == false && -e $file ]] || return 1
  for dep in "$@"; do
    [[ $file -nt $dep ]] || return 1
  done
}

# build_agnhost builds agnhost from k8s.io/kubernetes in the conformance
# module, at the version that module requires, with porter's certificate.
build_agnhost() {
  local dir=$OUT/agnhost kube
  mkdir -p "$dir"
  if ! up_to_date "$dir/agnhost" conformance/go.mod conformance/go.sum; then
    echo "building agnhost (minutes on two cores)"
    (cd conformance && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ROOT/$dir/agnhost" k8s.io/kubernetes/test/images/agnhost)
  fi
  kube=$(cd conformance && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
  # -p keeps the files' times, so that copying does not make the archive stale.
  install -p -m 0644 "$kube/test/images/agnhost/porter/localhost.crt" "$kube/test/images/agnhost/porter/localhost.key" "$dir/"
}

# copy_update_demo copies upstream's html files of the Update Demo images
# (nautilus, kitten: agnhost serving them) for their specs.
copy_update_demo() {
  local kube name
  kube=$(cd conformance && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
  for name in nautilus kitten; do
    mkdir -p "$OUT/$name"
    install -p -m 0644 "$kube/test/images/$name/html/data.json" "$kube/test/images/$name/html/$name.jpg" "$OUT/$name/"
  done
}

# build_nonewprivs builds upstream's nnp (it prints its effective uid) from
# the conformance module.
build_nonewprivs() {
  local dir=$OUT/nonewprivs
  mkdir -p "$dir"
  if ! up_to_date "$dir/nnp" conformance/go.mod conformance/go.sum; then
    (cd conformance && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ROOT/$dir/nnp" k8s.io/kubernetes/test/images/nonewprivs)
  fi
}

# build_image builds test/images/NAME.yaml into $OUT/NAME.tar unless the
# archive is newer than the spec, the kubeshim binary and the given inputs.
build_image() {
  local name=$1
  shift
  local spec=test/images/$name.yaml archive=$OUT/$name.tar
  if up_to_date "$archive" "$spec" "$KUBESHIM" "$@"; then
    echo "$archive is up to date"
    return
  fi
  "$KUBESHIM" image build "$spec" -o "$archive"
}

install_missing
# A kubeshim from before the image command is rebuilt too.
if [[ ! -x $KUBESHIM || ! -x $PAUSE ]] || ! "$KUBESHIM" image --help >/dev/null 2>&1; then
  hack/build.sh
fi
mkdir -p "$OUT"
build_image busybox /bin/busybox
build_agnhost
build_image agnhost "$OUT/agnhost/agnhost" /bin/busybox
build_image nginx /usr/sbin/nginx /bin/busybox
build_nonewprivs
build_image nonewprivs "$OUT/nonewprivs/nnp" /bin/busybox
build_image glibc-dns-testing /usr/bin/dig /bin/busybox
copy_update_demo
build_image nautilus "$OUT/agnhost/agnhost"
build_image kitten "$OUT/agnhost/agnhost"

if [[ $import == false ]]; then
  exit 0
fi
flags=(--containerd-address "$ADDRESS" --namespace "$NAMESPACE")
"$KUBESHIM" image import "${flags[@]}" "$OUT/busybox.tar" "$OUT/agnhost.tar" "$OUT/nginx.tar" "$OUT/nonewprivs.tar" "$OUT/glibc-dns-testing.tar" \
  "$OUT/nautilus.tar" "$OUT/kitten.tar"
"$KUBESHIM" image ensure-pause "${flags[@]}" --pause-binary "$PAUSE"
