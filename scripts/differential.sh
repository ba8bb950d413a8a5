#!/usr/bin/env bash
# Differential status tests: each scenario of oracle/scenarios runs under
# cubelet and under the upstream kubelet (standalone), each alone on a fresh
# private containerd, and their /pods records are compared
# (oracle/differential.py; results in docs/fidelity.md).
#
# Usage: scripts/differential.sh [--ci] [differential.py flags] [SCENARIO.yaml...]
#   --ci  only the scenarios of oracle/ci-scenarios.txt, and fail unless each
#         matches, a scenario that differs being run once more (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
ci=0
if [ "${1:-}" = --ci ]; then ci=1; shift; fi
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc)" --target cubelet >/dev/null
bin=$(bash scripts/build-k8s.sh --with-kubelet | tail -1)
args=(--cubelet build/release/src/app/cubelet --kubelet "$bin/kubelet")
if [ "$ci" = 1 ]; then
  mapfile -t scenarios < <(grep -v '^\s*\(#\|$\)' oracle/ci-scenarios.txt | sed 's|^|oracle/scenarios/|; s|$|.yaml|')
  exec python3 oracle/differential.py "${args[@]}" --require-match --retries 1 "$@" \
    "${scenarios[@]}"
fi
exec python3 oracle/differential.py "${args[@]}" "$@"
