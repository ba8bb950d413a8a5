#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test. First a formatting check (scripts/check-format.sh, seconds); then
# three builds, each only of what it must check (plus a compile-only clang
# pass with -Wthread-safety over the engine's libraries):
#   release         everything; all tests
#   asan (ASan+UBSan) the unit tests of the engine and its parts
#   tsan            the concurrent engine tests (label "engine")
# then the e2e tests (label "e2e") against the project's private containerd
# (scripts/containerd.sh), which is stopped again at the end.
# then the libFuzzer targets (scripts/fuzz.sh: clang, ASan+UBSan, a bounded
# time each).
# then the cluster e2e tests (label "e2e-cluster") against the upstream control
# plane (scripts/controlplane.sh; its binaries built by scripts/build-k8s.sh in
# the background from the start, cached by version outside the clone).
# then the validation oracle (scripts/validation-oracle.sh: the real
# kube-apiserver and `cubelet validate` must agree on the manifest corpus) and
# the differential status tests (scripts/differential.sh --ci: the upstream
# kubelet and cubelet must report the same pod statuses).
# then the CI subset of the upstream node conformance suite against cubelet
# (scripts/conformance.sh --subset; the suite built by scripts/build-e2e-node.sh
# in the same background job, after the control plane, cached likewise).
# CUBELET_SKIP_SANITIZERS=1 skips the sanitizer builds, CUBELET_SKIP_FUZZ=1 the
# fuzzers, CUBELET_SKIP_E2E=1 the e2e tests, CUBELET_SKIP_CLUSTER=1 only the
# cluster ones and the conformance subset, CUBELET_SKIP_CONFORMANCE=1 only the
# latter (quick local loops). Each phase prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

# The upstream Kubernetes binaries of the cluster e2e tests build (or come
# from the cache) in the background, at low priority, while the C++ builds
# and tests run; the cluster phase waits for them.
k8s_log=$(mktemp /tmp/cubelet-build-k8s.XXXXXX.log)
k8s_done=$(mktemp -u /tmp/cubelet-build-k8s.XXXXXX.done)  # holds build-k8s.sh's status once it ends
if [ "${CUBELET_SKIP_E2E:-0}" != 1 ] && [ "${CUBELET_SKIP_CLUSTER:-0}" != 1 ]; then
  ( start=$(date +%s); nice -n 10 bash scripts/build-k8s.sh --with-kubelet; rc=$?
    echo "=== build-k8s took $(( $(date +%s) - start ))s (in the background)"
    echo $rc >"$k8s_done"
    [ $rc = 0 ] || exit $rc
    if [ "${CUBELET_SKIP_CONFORMANCE:-0}" != 1 ]; then
      start=$(date +%s); nice -n 10 bash scripts/build-e2e-node.sh; rc=$?
      echo "=== build-e2e-node took $(( $(date +%s) - start ))s (in the background)"
    fi
    exit $rc ) >"$k8s_log" 2>&1 &
  k8s_pid=$!
fi

jobs=$(nproc)
run_build() {  # preset, ctest label regex (empty: all), targets...
  local preset=$1 label=$2
  shift 2
  echo "=== ${preset}: configure"
  cmake --preset "$preset" >/dev/null
  echo "=== ${preset}: build $*"
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "build/${preset}" -j"$jobs" "${targets[@]}"
  echo "=== ${preset}: test"
  local args=(--test-dir "build/${preset}" --output-on-failure -j"$jobs")
  [ -n "$label" ] && args+=(-L "$label")
  ctest "${args[@]}"
}

ctest_log=$(mktemp /tmp/cubelet-ctest.XXXXXX.log)
phase_log=$(mktemp /tmp/cubelet-phase.XXXXXX.log)
phase_start=$(date +%s)
last_phase="(none)"
phase_done() {  # name
  echo "=== $1 took $(( $(date +%s) - phase_start ))s"
  phase_start=$(date +%s)
  last_phase=$1
  : >"$ctest_log"
  : >"$phase_log"
}

# What CI keeps of a failed run is the end of its output, and the runtime's
# logs printed on failure are long: the failing tests' own lines are printed
# again after them, last.
conformance_dir=""
failure_summary() {
  echo "=== FAILED in the phase after '${last_phase}', $(( $(date +%s) - phase_start ))s into it"
  if [ -s "$ctest_log" ]; then
    grep -E -A6 ': Failure$' "$ctest_log" | head -n 40 || true
    grep -E '^\[  FAILED  \]|\*\*\*(Failed|Timeout)|Exception:' "$ctest_log" | tail -n 12 || true
  fi
  if [ -s "$phase_log" ]; then
    grep -E -A6 'match=0|disagree|DISAGREE' "$phase_log" | head -n 30 || true
    tail -n 6 "$phase_log"
  fi
  if [ -n "$conformance_dir" ] && [ -s "$conformance_dir/summary.txt" ]; then
    tail -n 20 "$conformance_dir/summary.txt"
  fi
}

bash scripts/check-format.sh
phase_done format

run_build release "unit" all
phase_done release

# Thread-safety analysis: the engine's libraries compiled by clang with
# -Wthread-safety (warnings are errors), checking every ABSL_GUARDED_BY.
# Compile only; nothing runs.
echo "=== tsa: configure"
cmake --preset tsa >/dev/null
echo "=== tsa: build"
cmake --build build/tsa -j"$jobs" --target cubelet_podworkers cubelet_container cubelet_pod \
  cubelet_kubelet cubelet_client cubelet_nodestatus cubelet_status_sync cubelet_config \
  cubelet_mirror cubelet_events_api cubelet_apiobjects_client cubelet_token_client cubelet_stats \
  cubelet_devicemanager
phase_done tsa-analysis

if [ "${CUBELET_SKIP_SANITIZERS:-0}" != 1 ]; then
  unit_tests=$(ctest --test-dir build/release -N -L unit | sed -n 's/^ *Test *#[0-9]*: \(.*\)$/\1/p')
  # shellcheck disable=SC2086
  run_build asan "unit" $unit_tests
  engine_tests=$(ctest --test-dir build/release -N -L engine | sed -n 's/^ *Test *#[0-9]*: \(.*\)$/\1/p')
  # shellcheck disable=SC2086
  phase_done asan
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_build tsan "engine" $engine_tests
  phase_done tsan
fi
if [ "${CUBELET_SKIP_FUZZ:-0}" != 1 ]; then
  CUBELET_JOBS="$jobs" bash scripts/fuzz.sh
  phase_done fuzz
fi
# End-to-end: the real runtime, on the project's private containerd.
if [ "${CUBELET_SKIP_E2E:-0}" != 1 ]; then
  echo "=== e2e: private containerd"
  # From empty, as on a fresh machine: a run killed earlier (or a benchmark)
  # can leave thousands of containers that containerd would clean up for
  # minutes and the agents under test would then find as orphans.
  bash scripts/containerd.sh reset
  bash scripts/containerd.sh start
  trap 'status=$?; [ $status -ne 0 ] && bash scripts/containerd.sh logs; bash scripts/containerd.sh stop --all || true; [ $status -ne 0 ] && failure_summary; exit $status' EXIT
  eval "export $(bash scripts/containerd.sh env)"
  export CUBELET_CONTAINERD_SCRIPT="$PWD/scripts/containerd.sh" CUBELET_E2E_REQUIRED=1
  ctest --test-dir build/release --output-on-failure --output-log "$ctest_log" -L '^e2e$'
  phase_done e2e
  # Cluster mode: the real control plane (scripts/controlplane.sh), fresh.
  if [ "${CUBELET_SKIP_CLUSTER:-0}" != 1 ]; then
    echo "=== e2e-cluster: waiting for the Kubernetes binaries"
    while [ ! -s "$k8s_done" ] && kill -0 "$k8s_pid" 2>/dev/null; do sleep 5; done
    if [ "$(cat "$k8s_done" 2>/dev/null)" != 0 ]; then
      cat "$k8s_log"
      echo "=== e2e-cluster: building the Kubernetes binaries failed" >&2
      exit 1
    fi
    cat "$k8s_log"
    phase_done k8s-wait
    # The real kube-apiserver decides which manifests are valid (server-side
    # dry run); `cubelet validate` must agree on every document of the corpus.
    bash scripts/validation-oracle.sh 2>&1 | tee "$phase_log"
    phase_done validation-oracle
    # The upstream kubelet as the oracle of pod status: the CI scenarios
    # (oracle/ci-scenarios.txt) must give the same records under both agents,
    # each on its own containerd.
    bash scripts/differential.sh --ci 2>&1 | tee "$phase_log"
    phase_done differential
    trap 'status=$?; if [ $status -ne 0 ]; then bash scripts/containerd.sh logs; bash scripts/controlplane.sh logs; fi; bash scripts/controlplane.sh stop --clean || true; bash scripts/containerd.sh stop --all || true; [ $status -ne 0 ] && failure_summary; exit $status' EXIT
    bash scripts/controlplane.sh stop --clean >/dev/null
    bash scripts/controlplane.sh start
    eval "export $(bash scripts/controlplane.sh env)"
    export CUBELET_CONTROLPLANE_SCRIPT="$PWD/scripts/controlplane.sh"
    ctest --test-dir build/release --output-on-failure --output-log "$ctest_log" -L e2e-cluster
    phase_done e2e-cluster
    # The upstream node conformance suite brings its own API server on
    # 127.0.0.1:6443: the control plane goes first.
    bash scripts/controlplane.sh stop --clean >/dev/null
    if [ "${CUBELET_SKIP_CONFORMANCE:-0}" != 1 ]; then
      echo "=== conformance: waiting for the suite's build"
      if ! wait "$k8s_pid"; then
        cat "$k8s_log"
        echo "=== conformance: building the node conformance suite failed" >&2
        exit 1
      fi
      tail -n 4 "$k8s_log"
      phase_done e2e-node-wait
      echo "=== conformance: the CI subset (conformance/subset.txt)"
      conformance_dir=/tmp/cubelet-conformance-ci
      CONFORMANCE_DIR=$conformance_dir bash scripts/conformance.sh --subset --procs 2 ||
        { tail -n 80 /tmp/cubelet-conformance-ci/cubelet.log; exit 1; }
      phase_done conformance
      # The StandaloneMode specs cubelet passes (the fourth needs the
      # RestartAllContainers restart rule: docs/conformance.md).
      echo "=== conformance: StandaloneMode (cubelet without an API server)"
      conformance_dir=/tmp/cubelet-conformance-ci-standalone
      CONFORMANCE_DIR=$conformance_dir bash scripts/conformance.sh \
        --standalone --focus '\[Feature:StandaloneMode\].*(should be running|can be upgraded)' \
        --procs 2 || { tail -n 80 /tmp/cubelet-conformance-ci-standalone/cubelet.log; exit 1; }
      phase_done conformance-standalone
    fi
  fi
fi
echo "=== all tests passed"
