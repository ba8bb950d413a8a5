#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 machine (as root) installs
# what is missing, builds cubelet, starts the project's private containerd
# with the locally built images, and runs cubelet in the foreground on a
# folder of Pod manifests (default: examples/). Ctrl-C stops cubelet; the
# pods keep running, as with the kubelet (`bash scripts/containerd.sh stop
# --all` removes them). Environment:
#   CUBELET_MANIFESTS   manifest folder (default examples/)
#   CUBELET_ARGS        extra flags for cubelet (e.g. "-v=2")
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc)" --target cubelet
bin=$PWD/build/release/src/app/cubelet

bash scripts/containerd.sh start
eval "export $(bash scripts/containerd.sh env)"

manifests=$(realpath "${CUBELET_MANIFESTS:-examples}")
cat <<EOT

cubelet runs the pods in ${manifests} on the private containerd.
Watch them from another shell:
  ${bin} get pods            (-o wide | -o yaml)
  ${bin} describe pod web-$(hostname | tr 'A-Z' 'a-z')
  ${bin} logs ticker-$(hostname | tr 'A-Z' 'a-z') -f
  curl -s http://127.0.0.1:10255/metrics | grep ^kubelet_
Add or delete files in ${manifests}: pods follow within a second (an edit
replaces its pod once the old one has stopped, as with the kubelet).
Ctrl-C stops cubelet and leaves the pods running.

EOT
# shellcheck disable=SC2086
exec "$bin" --pod-manifest-path="$manifests" \
  --container-runtime-endpoint="$CUBELET_CRI_ENDPOINT" ${CUBELET_ARGS:-}
