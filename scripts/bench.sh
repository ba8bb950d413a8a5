#!/usr/bin/env bash
# Benchmarks; each prints RESULT lines (docs/benchmarks.md keeps the numbers).
#
# Usage: scripts/bench.sh [side_by_side.py flags]   (default)
#          raw CRI, cubelet and the upstream kubelet (standalone, static pod
#          path) side by side, each alone on a fresh private containerd
#          (bench/side_by_side.py); e.g. --pods 100 --pods 1000 --reps 3
#          --out DIR (results.json, table.md, side-by-side.png);
#          --api-writes N adds cluster mode: API writes per pod started, each
#          agent on a fresh upstream control plane (bench/api_writes.py);
#          --from-results A.json B.json --out DIR measures nothing: one table
#          and chart from earlier runs (e.g. the 100- and the 1000-pod ones)
#        scripts/bench.sh engine [engine_bench flags]
#          the pod-worker engine on the in-memory CRI
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
cmake --preset release >/dev/null
if [ "${1:-}" = engine ]; then
  shift
  cmake --build build/release -j"$(nproc)" --target engine_bench
  exec ./build/release/bench/engine_bench "$@"
fi
cmake --build build/release -j"$(nproc)" --target cubelet cri_baseline >/dev/null
bin=$(bash scripts/build-k8s.sh --with-kubelet | tail -1)
# The chart; only the benchmark needs it.
if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  apt-get install -y -qq python3-matplotlib >/dev/null
fi
echo "=== side by side: $(nproc) CPUs, $(containerd --version | cut -d' ' -f3), kubelet $("$bin/kubelet" --version)"
exec /usr/bin/python3 bench/side_by_side.py --cubelet build/release/src/app/cubelet \
  --kubelet "$bin/kubelet" --cri-baseline build/release/bench/cri_baseline "$@"
