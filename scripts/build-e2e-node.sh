#!/usr/bin/env bash
# Builds the upstream node conformance suite (k8s.io/kubernetes/test/e2e_node,
# `go test -c`), agnhost, nnp (the nonewprivs image's binary) and the ginkgo
# CLI from the Go module proxy, through
# the wrapper module in tools/k8s-e2e (kept apart from tools/k8s so the control
# plane's cache key does not move). Nothing Go is part of cubelet itself.
#
# Usage: scripts/build-e2e-node.sh [--print-dir]
#   Prints the bin directory on its last line. Cached outside the clone, keyed
#   by the Kubernetes version and a hash of tools/k8s-e2e: a second run reuses it.
# Env: CUBELET_K8S_CACHE  cache root (default /var/cache/cubelet/k8s)
#      GOFLAGS, GOMODCACHE, GOCACHE  as go reads them
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$here/../tools/k8s-e2e"
print_dir=0
case "${1:-}" in
  "") ;;
  --print-dir) print_dir=1 ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac

# shellcheck source=lib/k8s-version.sh
. "$here/lib/k8s-version.sh"
k8s_version_setup "$module" build-e2e-node.sh
key=$(cat "$module/go.mod" "$module/go.sum" "$module/tools.go" | sha256sum | cut -c1-12)
bin="${CUBELET_K8S_CACHE:-/var/cache/cubelet/k8s}/e2e-node-$version-$key/bin"
if [ "$print_dir" = 1 ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"

build() {  # name, "go subcommand", package
  local name=$1 sub=$2 package=$3 start
  if [ -x "$bin/$name" ]; then echo "build-e2e-node.sh: $name $version cached"; return; fi
  start=$(date +%s)
  # shellcheck disable=SC2086  # "test -c" is two words
  (cd "$module" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go $sub -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$package")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "build-e2e-node.sh: $name $version built in $(( $(date +%s) - start ))s"
}

build agnhost build k8s.io/kubernetes/test/images/agnhost
build nnp build k8s.io/kubernetes/test/images/nonewprivs
build ginkgo build github.com/onsi/ginkgo/v2/ginkgo
build e2e_node.test "test -c" k8s.io/kubernetes/test/e2e_node
echo "$bin"
