#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan+UBSan) and runs each
# for a bounded time from its committed seed corpus (fuzz/corpus/<name>/).
# Fails on any crash, leak, timeout (-timeout, per input) or out-of-memory
# (-rss_limit_mb). CUBELET_FUZZ_SECONDS sets the time per target (default 45).
# New corpus entries go to a scratch directory, not into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${CUBELET_FUZZ_SECONDS:-45}
targets=(manifest kubelet_config cri_log http_request static_pod_uid)

echo "=== fuzz: configure"
cmake --preset fuzz >/dev/null
echo "=== fuzz: build"
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "cubelet_fuzz_$t"); done
cmake --build build/fuzz -j"${CUBELET_JOBS:-$(nproc)}" "${build_targets[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
failed=()
for t in "${targets[@]}"; do
  bin=$(find build/fuzz/fuzz -name "cubelet_fuzz_$t" -type f | head -1)
  mkdir -p "$scratch/$t"
  echo "=== fuzz: $t for ${seconds}s"
  start=$(date +%s)
  if ! "$bin" "$scratch/$t" "fuzz/corpus/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      -max_len=262144 -print_final_stats=1 -artifact_prefix="$scratch/$t-" \
      >"$scratch/$t.log" 2>&1; then
    tail -60 "$scratch/$t.log"
    for a in "$scratch/$t"-*; do
      [ -e "$a" ] && { mkdir -p build/fuzz/artifacts; cp "$a" build/fuzz/artifacts/; echo "artifact: build/fuzz/artifacts/$(basename "$a")"; }
    done
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$scratch/$t.log" | tr '\n' ' '
    echo
  fi
  echo "=== fuzz: $t took $(( $(date +%s) - start ))s"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "=== fuzz: all targets passed"
