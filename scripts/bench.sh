#!/usr/bin/env bash
# Builds the release variant and runs the engine benchmark (in-memory CRI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc)" --target engine_bench
./build/release/bench/engine_bench "$@"
