#!/usr/bin/env bash
# The cluster-mode demo: the real upstream control plane on 127.0.0.1
# (scripts/controlplane.sh) and one or two cubelet nodes joining it, each on
# its own private containerd (own state dir, own CNI bridge and subnet: one
# agent per containerd, always). Prints the kubectl commands to try.
#
# Usage: scripts/cluster.sh [start [NODES]] | stop
#   start   (default) NODES is 1 or 2 (default 2); idempotent
#   stop    stops the nodes and the control plane and removes their pods
#   stop-nodes  the nodes and their containerds only (the control plane stays)
# Nodes are named cube-1, cube-2; logs in /var/lib/cubelet-cluster/<node>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

state=/var/lib/cubelet-cluster
# The control plane's CA signs the API server's client certificate for kubelets.
cp_dir=$(realpath -m "${CUBELET_CONTROLPLANE_DIR:-/var/lib/cubelet-controlplane}")
cmd=${1:-start}
nodes=${2:-2}

node_env() {  # index: the containerd settings of node <index>
  local i=$1
  echo "CUBELET_CONTAINERD_DIR=$state/containerd-$i CUBELET_CNI_BRIDGE=cubelet-c$i" \
    "CUBELET_CNI_SUBNET=10.$((88 + i)).0.0/16"
}

stop_nodes() {
  for i in 1 2; do
    if [ -s "$state/cube-$i.pid" ]; then
      local pid; pid=$(cat "$state/cube-$i.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      rm -f "$state/cube-$i.pid"
    fi
    if [ -d "$state/containerd-$i" ]; then
      env $(node_env "$i") bash scripts/containerd.sh stop --all || true
    fi
  done
}

stop() {
  stop_nodes
  bash scripts/controlplane.sh stop --clean || true
}

start() {
  [ "$nodes" = 1 ] || [ "$nodes" = 2 ] || { echo "cluster.sh: NODES must be 1 or 2" >&2; exit 2; }
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build build/release -j"$(nproc)" --target cubelet
  bin=$PWD/build/release/src/app/cubelet
  bash scripts/controlplane.sh start
  mkdir -p "$state"
  for i in $(seq 1 "$nodes"); do
    local node=cube-$i endpoint kubeconfig
    env $(node_env "$i") bash scripts/containerd.sh start >/dev/null
    endpoint=$(env $(node_env "$i") bash scripts/containerd.sh env | sed 's/^CUBELET_CRI_ENDPOINT=//')
    kubeconfig=$(bash scripts/controlplane.sh node-kubeconfig "$node")
    if [ -s "$state/$node.pid" ] && kill -0 "$(cat "$state/$node.pid")" 2>/dev/null; then
      continue
    fi
    setsid "$bin" --kubeconfig="$kubeconfig" --node-name="$node" \
      --container-runtime-endpoint="$endpoint" --root-dir="$state/$node" \
      --pod-logs-dir="$state/$node/logs" --cgroup-root="/cubelet-$node" \
      --read-only-port=$((10255 + 100 * i)) --port=$((10250 + 100 * i)) \
      --healthz-port=$((10248 + 100 * i)) --client-ca-file="$cp_dir/pki/ca.crt" \
      --node-labels="cubelet.dev/demo=true" \
      >>"$state/$node.log" 2>&1 </dev/null &
    echo $! >"$state/$node.pid"
  done
  eval "export $(bash scripts/controlplane.sh env)"
  cat <<EOT

A control plane at https://127.0.0.1:6443 and ${nodes} cubelet node(s). Try:
  export KUBECONFIG=$KUBECONFIG PATH=$CUBELET_K8S_BIN:\$PATH
  kubectl get nodes -o wide
  kubectl apply -f $PWD/examples/cluster/deployment.yaml     (10 replicas)
  kubectl get pods -o wide
  kubectl drain cube-2 --ignore-daemonsets --delete-emptydir-data   (pods move to cube-1)
  kubectl delete deployment web
Node logs: $state/cube-<n>.log. Stop it all: bash scripts/cluster.sh stop
(Images are local, nothing can be pulled: use docker.io/library/busybox:latest
with imagePullPolicy IfNotPresent, as the example does.)

EOT
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  stop-nodes) stop_nodes ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
