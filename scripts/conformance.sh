#!/usr/bin/env bash
# Runs the upstream node conformance suite (e2e_node.test --conformance,
# Kubernetes' own test of "is this a conforming node") against cubelet on the
# project's private containerd:
#   1. builds the suite, agnhost and ginkgo (scripts/build-e2e-node.sh, cached);
#   2. starts a local registry (Debian's docker-registry on 127.0.0.1:5000) and
#      the private containerd, with that registry as its mirror of
#      registry.k8s.io, and imports and pushes the suite's test images
#      (scripts/build-e2e-images.sh: built locally under the exact names, their
#      busybox from scripts/build-busybox.sh, which keeps upstream's handling
#      of the environment), so pods with pull policy Always pull them as from
#      registry.k8s.io;
#   3. starts cubelet beside the suite, which starts its own etcd, kube-apiserver
#      (https://127.0.0.1:6443, bearer token) and namespace controller;
#   4. runs the [NodeConformance] specs minus conformance/skip.txt (each line
#      there says why), writes the JUnit report and prints
#      RESULT passed=… failed=… skipped=… seconds=…
#
# Usage: scripts/conformance.sh [--subset] [--standalone] [--focus REGEX] [--procs N]
#   --subset  only the specs in conformance/subset.txt (the CI run)
#   --standalone  the [Feature:StandaloneMode] specs instead: cubelet without an API
#             server (static pods only, read through its read-only port), the suite
#             with --standalone-mode
#   --focus   a ginkgo focus regex instead (within [NodeConformance])
#   --procs   ginkgo processes (default 2)
# Env: CONFORMANCE_DIR  where reports and logs go (default /tmp/cubelet-conformance)
#      CUBELET_CONFORMANCE_LABELS  the ginkgo label filter (default NodeConformance;
#      e.g. "Feature:EnvFiles" runs the FileKeyRef specs of the cluster suite)
#      CUBELET_CONFORMANCE_V  cubelet's -v (default 2)
# Port 6443 must be free: stop scripts/controlplane.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

subset=0 standalone=0 focus='' procs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --subset) subset=1 ;;
    --standalone) standalone=1 ;;
    --focus) focus=$2; shift ;;
    --procs) procs=$2; shift ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
  shift
done

work=$(realpath -m "${CONFORMANCE_DIR:-/tmp/cubelet-conformance}")
phase() { echo "=== conformance: $* ($(date +%T))"; }
die() { echo "conformance: $*" >&2; exit 1; }

if (exec 3<>/dev/tcp/127.0.0.1/6443) 2>/dev/null; then
  die "127.0.0.1:6443 is in use (the suite's API server needs it): scripts/controlplane.sh stop"
fi

phase "building the suite"
bin=$(bash scripts/build-e2e-node.sh | tail -1)
cmake --build build/release -j"$(nproc)" --target cubelet >/dev/null
cubelet=$repo/build/release/src/app/cubelet

phase "local registry, private containerd and images"
registry=127.0.0.1:5000
registry_pid=''
if ! curl -sf --max-time 2 "http://$registry/v2/" >/dev/null; then
  mkdir -p /var/lib/cubelet-e2e-registry
  cat >/var/lib/cubelet-e2e-registry/config.yml <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: /var/lib/cubelet-e2e-registry/data}}
http: {addr: $registry}
EOF
  docker-registry serve /var/lib/cubelet-e2e-registry/config.yml \
    >/var/lib/cubelet-e2e-registry/registry.log 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -sf --max-time 2 "http://$registry/v2/" >/dev/null && break
    sleep 0.1
  done
  curl -sf --max-time 2 "http://$registry/v2/" >/dev/null ||
    die "the local registry did not start (/var/lib/cubelet-e2e-registry/registry.log)"
fi
trap '[ -n "$registry_pid" ] && kill $registry_pid 2>/dev/null || true' EXIT
# A containerd started earlier without the mirror restarts with it (its
# containers keep running meanwhile).
containerd_config="${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}/config.toml"
if ! grep -qs 'registry.mirrors."registry.k8s.io"' "$containerd_config"; then
  bash scripts/containerd.sh stop >/dev/null 2>&1 || true
fi
CUBELET_REGISTRY_MIRROR="registry.k8s.io=http://$registry" bash scripts/containerd.sh start >/dev/null
eval "export $(bash scripts/containerd.sh env)"
# /stats/summary's system containers, as the suite's own kubelet has them on
# a host without systemd (--kubelet-cgroups=/kubelet, --runtime-cgroups,
# --system-cgroups=/system): cubelet moves itself into its cgroup; this
# script moves the private containerd into the runtime's (its shims follow)
# and itself, so the suite's processes, into the system one.
join_cgroup() {  # pid cgroup-name: every hierarchy, made when missing
  local h
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    [ -L "$h" ] || [ ! -e "$h/cgroup.procs" ] && continue
    mkdir -p "$h/$2"
    for f in cpuset.cpus cpuset.mems; do
      if [ -e "$h/$2/$f" ] && [ -z "$(cat "$h/$2/$f")" ]; then cat "$h/$f" >"$h/$2/$f"; fi
    done
    echo "$1" >"$h/$2/cgroup.procs"
  done
}
cgroup_flags=(--kubelet-cgroups=/cubelet-conformance-agent
  --runtime-cgroups=/cubelet-conformance-runtime --system-cgroups=/cubelet-conformance-system)
join_cgroup "$(cat "${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}/containerd.pid")" \
  /cubelet-conformance-runtime
# cgroup v1 on a recent kernel (6.x) keeps a cgroup's block I/O statistics
# (blkio.throttle.io_service*, cAdvisor's container_fs_*/blkio metrics) only
# for a disk whose queue has had a throttling limit; cgroup v2's io.stat,
# which upstream's CI has, always counts. One unreachable limit, set and
# removed in a scratch cgroup, turns the accounting on for the containers'
# disk until reboot; nothing stays limited.
if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && [ -d /sys/fs/cgroup/blkio ]; then
  disk=$(stat -c '%Hd:%Ld' "${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}")
  # A partition's limits are its disk's.
  [ -e "/sys/dev/block/$disk/partition" ] && disk=$(cat "/sys/dev/block/$disk/../dev")
  mkdir -p /sys/fs/cgroup/blkio/cubelet-conformance-blkio
  if echo "$disk $((1 << 50))" \
    >/sys/fs/cgroup/blkio/cubelet-conformance-blkio/blkio.throttle.read_bps_device 2>/dev/null; then
    echo "$disk 0" >/sys/fs/cgroup/blkio/cubelet-conformance-blkio/blkio.throttle.read_bps_device
  fi
  rmdir /sys/fs/cgroup/blkio/cubelet-conformance-blkio
fi
# The images' busybox behaves as upstream's (scripts/build-busybox.sh: 40 s
# once, then cached).
CUBELET_E2E_BUSYBOX="$(bash scripts/build-busybox.sh | tail -1)" CUBELET_E2E_REGISTRY=$registry \
  bash scripts/build-e2e-images.sh "$bin/agnhost"

rm -rf "$work"
mkdir -p "$work/manifests" "$work/report"
# The suite chroots into /rootfs to validate the system in conformance mode
# (it expects to run in a container with the host at /rootfs).
[ -e /rootfs ] || ln -s / /rootfs

token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
node=$(hostname | tr 'A-Z' 'a-z')
cat >"$work/kubeconfig" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
users:
- name: kubelet
  user: {token: "$token"}
contexts:
- name: local
  context: {cluster: local, user: kubelet}
current-context: local
EOT

# The suite writes its known_tokens.csv into the working directory.
cd "$work"
phase "cubelet"
# As the suite configures its own kubelet: anonymous requests and AlwaysAllow
# (the suite's API server reaches the node without a client certificate); no
# cluster domain, as the suite's own kubelet (its FQDN specs expect "…svc.").
# Standalone: no API server for cubelet (the suite still runs one for its
# namespaces); it reads pods from cubelet's read-only port.
kubeconfig_flag=(--kubeconfig="$work/kubeconfig")
[ "$standalone" = 1 ] && kubeconfig_flag=()
"$cubelet" "${kubeconfig_flag[@]}" --node-name="$node" \
  --container-runtime-endpoint="$CUBELET_CRI_ENDPOINT" --root-dir=/var/lib/kubelet \
  --pod-logs-dir=/var/log/pods --pod-manifest-path="$work/manifests" \
  --cgroup-root=/cubelet-conformance "${cgroup_flags[@]}" --read-only-port=10255 --port=10250 \
  --anonymous-auth=true --authorization-mode=AlwaysAllow -v=${CUBELET_CONFORMANCE_V:-2} >"$work/cubelet.log" 2>&1 &
agent=$!
trap 'kill -TERM $agent 2>/dev/null; wait $agent 2>/dev/null; [ -n "$registry_pid" ] && kill $registry_pid 2>/dev/null; true' EXIT

skip_re=$( (grep -v '^\s*#' "$repo/conformance/skip.txt" || true) |
  sed -n 's/^\([^\t]*\)\t.*$/\1/p' | paste -sd'|')
skip='\[Slow\]|\[Serial\]|\[Disruptive\]|\[Flaky\]'
[ -n "$skip_re" ] && skip="$skip|$skip_re"
if [ "$subset" = 1 ]; then
  focus=$( (grep -v -e '^\s*#' -e '^\s*$' "$repo/conformance/subset.txt" || true) |
    paste -sd'|')
fi
labels=${CUBELET_CONFORMANCE_LABELS:-NodeConformance}
suite_mode=(--conformance=true)
if [ "$standalone" = 1 ]; then
  [ -n "$focus" ] || focus='\[Feature:StandaloneMode\]'
  labels=${CUBELET_CONFORMANCE_LABELS:-Feature:StandaloneMode}
  suite_mode=(--conformance=true --standalone-mode=true)
fi
[ -n "$focus" ] || focus='\[NodeConformance\]'

join_cgroup $$ /cubelet-conformance-system
phase "running (focus: ${focus:0:80}...)"
start=$(date +%s)
set +e
"$bin/ginkgo" --procs="$procs" --timeout=3h --focus="$focus" --skip="$skip" \
  --label-filter="$labels" --junit-report=junit.xml --output-dir="$work/report" \
  --no-color "$bin/e2e_node.test" -- \
  "${suite_mode[@]}" --bearer-token="$token" --prepull-images=false \
  --container-runtime-endpoint="$CUBELET_CRI_ENDPOINT" --report-dir="$work/report" \
  --node-name="$node" >"$work/suite.log" 2>&1
rc=$?
set -e
seconds=$(( $(date +%s) - start ))
# Kept beside the logs: scripts/test.sh prints it again, last, when CI fails.
python3 "$repo/scripts/lib/junit_summary.py" "$work/report/junit.xml" "$seconds" |
  tee "$work/summary.txt" || { tail -50 "$work/suite.log" | tee "$work/summary.txt"; exit 1; }
echo "logs: $work/suite.log, $work/cubelet.log; report: $work/report/junit.xml"
exit $rc
