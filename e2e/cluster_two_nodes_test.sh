#!/usr/bin/env bash
# Two cubelet nodes, each on its own private containerd (scripts/cluster.sh:
# own state dirs, CNI bridges and subnets), in the control plane the e2e-cluster
# phase started: a 10-replica Deployment is spread over both by the scheduler,
# and `kubectl drain` of one moves all its pods to the other, whose containers
# then run while the drained node's containerd runs none.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "FAIL: $*" >&2; kubectl get pods -o wide >&2 || true; tail -n 30 /var/lib/cubelet-cluster/cube-*.log >&2 || true; exit 1; }
eventually() {  # seconds, command...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 1; done
}

bash scripts/controlplane.sh status >/dev/null || { echo "SKIP: no control plane"; exit 0; }
eval "export $(bash scripts/controlplane.sh env)"
export PATH="$CUBELET_K8S_BIN:$PATH"
cleanup() {
  kubectl delete deployment web --ignore-not-found --wait=false >/dev/null 2>&1 || true
  bash scripts/cluster.sh stop-nodes >/dev/null 2>&1 || true
  kubectl delete node cube-1 cube-2 --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash scripts/cluster.sh start 2 >/dev/null
kubectl wait --for=condition=Ready node/cube-1 node/cube-2 --timeout=90s >/dev/null ||
  fail "nodes not Ready"

kubectl apply -f examples/cluster/deployment.yaml >/dev/null
kubectl rollout status deployment/web --timeout=180s >/dev/null || fail "rollout did not finish"
placement() { kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}'; }
on1=$(placement | grep -c '^cube-1$' || true)
on2=$(placement | grep -c '^cube-2$' || true)
echo "spread: cube-1=$on1 cube-2=$on2"
[ $((on1 + on2)) -eq 10 ] || fail "expected 10 pods, got $((on1 + on2))"
[ "$on1" -gt 0 ] && [ "$on2" -gt 0 ] || fail "the scheduler did not spread the pods"

start=$(date +%s%N)
kubectl drain cube-2 --ignore-daemonsets --delete-emptydir-data --timeout=120s >/dev/null ||
  fail "drain failed"
all_on_cube_1() {
  [ "$(kubectl get pods -l app=web --field-selector=status.phase=Running \
       -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c '^cube-1$')" -eq 10 ] &&
    [ "$(placement | grep -c '^cube-2$' || true)" -eq 0 ]
}
eventually 120 all_on_cube_1 || fail "pods did not all move to cube-1"
echo "drain: all 10 on cube-1 after $(( ($(date +%s%N) - start) / 1000000 )) ms"

# Nothing of the deployment is left running on cube-2's containerd.
sock=/var/lib/cubelet-cluster/containerd-2/containerd.sock
none_on_cube_2() { ! ctr --address "$sock" -n k8s.io tasks ls 2>/dev/null | grep -q RUNNING; }
eventually 60 none_on_cube_2 || fail "containers still running on cube-2: $(ctr --address "$sock" -n k8s.io tasks ls)"
echo "PASS"
