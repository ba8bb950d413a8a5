#!/usr/bin/env bash
# Cluster-mode start benchmark: N pods created through the API server (with
# spec.nodeName set, so the scheduler is not measured) until all are Running
# in the API, against the same N pods as static manifests until all are
# Running in cubelet's /pods; same node, same run. Also the pod writes cubelet
# sent to the API server per pod started (status PATCHes; DELETEs happen at
# teardown, after the count). Prints
#   RESULT n=… api_s=… static_s=… ratio=… writes_per_pod=…
# Needs the release build, the private containerd and the control plane
# (started here if not running). Usage: bench/cluster_start.sh [N] (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
node=bench-node
work=$(mktemp -d /tmp/cubelet-cluster-bench.XXXXXX)
bin=$PWD/build/release/src/app/cubelet
port=10455

bash scripts/containerd.sh start >/dev/null
eval "export $(bash scripts/containerd.sh env)"
bash scripts/controlplane.sh start >/dev/null
eval "export $(bash scripts/controlplane.sh env)"
kubectl=$CUBELET_K8S_BIN/kubectl
kubeconfig=$(bash scripts/controlplane.sh node-kubeconfig "$node")
mkdir -p "$work/manifests"

"$bin" --kubeconfig="$kubeconfig" --node-name="$node" --container-runtime-endpoint="$CUBELET_CRI_ENDPOINT" \
  --root-dir="$work/root" --pod-logs-dir="$work/logs" --pod-manifest-path="$work/manifests" \
  --cgroup-root=/cubelet-bench --read-only-port=$port --port=0 --healthz-port=0 --kube-api-qps=0 2>"$work/agent.log" &
agent=$!
trap 'kill -TERM $agent 2>/dev/null; wait $agent 2>/dev/null; $kubectl delete pods --all --wait=false >/dev/null 2>&1; $kubectl delete node '"$node"' >/dev/null 2>&1; rm -rf "$work"' EXIT
until [ "$($kubectl get node $node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do sleep 0.2; done

pod() {  # name, nodeName line or empty
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
$2  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
---
EOF
}
now() { date +%s.%N; }
writes() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^cubelet_api_pod_writes_total/ {print $2}'; }

for i in $(seq 1 "$n"); do pod "api-$i" "  nodeName: $node
"; done >"$work/api.yaml"
w0=$(writes)
t0=$(now)
# When the node itself has them all running (its /pods), apart from when the
# API server shows it.
( until [ "$(curl -s "http://127.0.0.1:$port/pods" | grep -o '"phase": *"Running"' | wc -l)" -ge "$n" ]; do
    sleep 0.1
  done; now >"$work/agent_running" ) &
poller=$!
$kubectl apply -f "$work/api.yaml" >/dev/null
tc=$(now)
# Polled with curl, not kubectl: a kubectl process per poll costs the 2-core
# machine more CPU than the pods being measured.
pki=${CUBELET_CONTROLPLANE_DIR:-/var/lib/cubelet-controlplane}/pki
api_running() {
  curl -s --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:6443/api/v1/namespaces/default/pods?fieldSelector=status.phase%3DRunning" |
    grep -o '"phase": *"Running"' | wc -l
}
until [ "$(api_running)" -ge "$n" ]; do
  sleep 0.2
done
t1=$(now)
wait "$poller"
ta=$(cat "$work/agent_running")
sleep 2  # let the last statuses (readiness) go out before counting
w1=$(writes)
$kubectl delete pods --all --grace-period=1 --wait=true --timeout=300s >/dev/null

t2=$(now)
for i in $(seq 1 "$n"); do pod "static-$i" "" >"$work/manifests/static-$i.yaml"; done
until [ "$(curl -s "http://127.0.0.1:$port/pods" | grep -o '"phase": *"Running"' | wc -l)" -ge "$n" ]; do
  sleep 0.2
done
t3=$(now)
rm -f "$work"/manifests/*.yaml
until [ "$(curl -s "http://127.0.0.1:$port/pods" | grep -o '"phase"' | wc -l)" -eq 0 ]; do sleep 0.5; done

python3 - "$n" "$t0" "$t1" "$t2" "$t3" "$w0" "$w1" "$tc" "$ta" <<'EOF'
import sys
n, t0, t1, t2, t3, w0, w1, tc, ta = int(sys.argv[1]), *map(float, sys.argv[2:])
api, static = t1 - t0, t3 - t2
print(f"RESULT n={n} api_s={api:.2f} static_s={static:.2f} ratio={api / static:.2f} "
      f"writes_per_pod={(w1 - w0) / n:.2f} create_s={tc - t0:.2f} agent_running_s={ta - t0:.2f}")
EOF
