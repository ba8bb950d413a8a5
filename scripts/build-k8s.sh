#!/usr/bin/env bash
# Builds the upstream Kubernetes binaries the cluster-mode tests and demos run
# (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl; the
# kubelet too with --with-kubelet) from the Go module proxy, through the wrapper
# module in tools/k8s. Nothing Go is part of cubelet itself.
#
# Usage: scripts/build-k8s.sh [--with-kubelet] [--print-dir]
#   Prints the bin directory on its last line. The binaries are cached outside
#   the clone, keyed by the Kubernetes version and a hash of tools/k8s, so a
#   second run (another clone, CI again on the same machine) reuses them.
# Env: CUBELET_K8S_CACHE  cache root (default /var/cache/cubelet/k8s)
#      GOFLAGS, GOMODCACHE, GOCACHE  as go reads them
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$here/../tools/k8s"
with_kubelet=0
print_dir=0
for arg in "$@"; do
  case "$arg" in
    --with-kubelet) with_kubelet=1 ;;
    --print-dir) print_dir=1 ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done

# shellcheck source=lib/k8s-version.sh
. "$here/lib/k8s-version.sh"
k8s_version_setup "$module" build-k8s.sh
key=$(cat "$module/go.mod" "$module/go.sum" "$module/cmd/etcd/main.go" | sha256sum | cut -c1-12)
bin="${CUBELET_K8S_CACHE:-/var/cache/cubelet/k8s}/$version-$key/bin"
if [ "$print_dir" = 1 ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"

build() {  # name, package
  local name=$1 package=$2 start
  if [ -x "$bin/$name" ]; then echo "build-k8s.sh: $name $version cached"; return; fi
  start=$(date +%s)
  (cd "$module" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -ldflags "$ldflags" \
    -o "$bin/$name.tmp" "$package")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "build-k8s.sh: $name $version built in $(( $(date +%s) - start ))s"
}

build etcd ./cmd/etcd
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl k8s.io/kubernetes/cmd/kubectl
if [ "$with_kubelet" = 1 ]; then build kubelet k8s.io/kubernetes/cmd/kubelet; fi
echo "$bin"
