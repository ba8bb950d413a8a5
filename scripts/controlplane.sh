#!/usr/bin/env bash
# A real upstream Kubernetes control plane on 127.0.0.1 for cubelet's
# cluster-mode tests and demos: etcd, kube-apiserver (Node,RBAC authorization,
# NodeRestriction admission), kube-scheduler and kube-controller-manager, each
# its own process, from the binaries scripts/build-k8s.sh builds (and caches).
#
# Usage: scripts/controlplane.sh start|stop [--clean]|status|env|node-kubeconfig NAME|logs
#   start    make the PKI (openssl) if missing, build or reuse the binaries,
#            start what is not running, wait until the apiserver is ready.
#            Idempotent.
#   stop     stop every component (logs stay); --clean also drops etcd's data
#            and the PKI, so the next start is a new cluster
#   status   exit 0 and print "running https://127.0.0.1:6443" if it is ready
#   env      print KUBECONFIG=<admin kubeconfig> CUBELET_K8S_BIN=<bin dir>
#   node-kubeconfig NAME  write a kubeconfig for node NAME (client cert
#            CN=system:node:NAME, O=system:nodes) and print its path
#   logs     print each component's log path and its last 40 lines
#   restart-apiserver  kill kube-apiserver (SIGKILL, as a crash: a graceful
#            stop waits a minute for open watches) and start it again
# Env: CUBELET_CONTROLPLANE_DIR  state dir (default /var/lib/cubelet-controlplane)
#      CUBELET_K8S_CACHE        where build-k8s.sh caches binaries
set -euo pipefail
umask 022

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(realpath -m "${CUBELET_CONTROLPLANE_DIR:-/var/lib/cubelet-controlplane}")"
pki="$dir/pki"
server=https://127.0.0.1:6443
components=(etcd kube-apiserver kube-scheduler kube-controller-manager)

die() { echo "controlplane.sh: $*" >&2; exit 1; }
say() { echo "controlplane.sh: $*"; }

bin_dir() { bash "$here/build-k8s.sh" --print-dir; }

# --- PKI ---------------------------------------------------------------------

# cert NAME CN O EXTKEYUSAGE [SAN]: a key and a certificate signed by the CA.
cert() {
  local name=$1 cn=$2 org=$3 usage=$4 san=${5:-} subj ext
  [ -s "$pki/$name.crt" ] && return
  subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org$subj"
  ext="$pki/$name.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$ext"
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
}

# kubeconfig FILE USER CERTNAME: a kubeconfig with the CA and a client cert.
kubeconfig() {
  local file=$1 user=$2 name=$3
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: "$user"
  user:
    client-certificate: $pki/$name.crt
    client-key: $pki/$name.key
contexts:
- name: local
  context:
    cluster: local
    user: "$user"
current-context: local
EOF
}

make_pki() {
  mkdir -p "$pki"
  if [ ! -s "$pki/ca.crt" ]; then
    openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=cubelet-test-ca" -days 3650 -sha256 \
      -out "$pki/ca.crt" 2>/dev/null
  fi
  cert apiserver kube-apiserver "" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.96.0.1"
  cert admin admin system:masters clientAuth
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
  cert scheduler system:kube-scheduler "" clientAuth
  cert controller-manager system:kube-controller-manager "" clientAuth
  if [ ! -s "$pki/sa.key" ]; then
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
  kubeconfig "$dir/admin.kubeconfig" admin admin
  kubeconfig "$dir/scheduler.kubeconfig" system:kube-scheduler scheduler
  kubeconfig "$dir/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
}

# --- processes -----------------------------------------------------------------

pid_of() {  # component: its pid if it runs, else nothing
  local pidfile="$dir/$1.pid" pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$1"; then
    echo "$pid"
  fi
}

launch() {  # component, args...
  local name=$1; shift
  if [ -n "$(pid_of "$name")" ]; then return; fi
  setsid "$bin/$name" "$@" >>"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

admin_curl() {
  curl -sf --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server$1"
}

wait_for() {  # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$dir/$what.log" >&2 || true
      die "$what not ready after ${seconds}s (log: $dir/$what.log)"
    fi
    sleep 0.5
  done
}

ready() { [ "$(admin_curl /readyz 2>/dev/null)" = ok ]; }

start() {
  command -v openssl >/dev/null || die "openssl is not installed"
  command -v curl >/dev/null || die "curl is not installed"
  mkdir -p "$dir"
  bin=$(bash "$here/build-k8s.sh" | tail -n 1)
  make_pki
  local t0; t0=$(date +%s)
  launch etcd --name cubelet-test --data-dir "$dir/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster cubelet-test=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
  wait_for etcd 30 curl -sf --max-time 2 http://127.0.0.1:2379/health
  launch kube-apiserver --etcd-servers=http://127.0.0.1:2379 --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --secure-port=6443 --endpoint-reconciler-type=none \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction --disable-admission-plugins=ServiceAccount \
    --allow-privileged=true \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname
  wait_for kube-apiserver 90 ready
  launch kube-scheduler --kubeconfig="$dir/scheduler.kubeconfig" \
    --authentication-kubeconfig="$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig="$dir/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=10259
  launch kube-controller-manager --kubeconfig="$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=10257 \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --use-service-account-credentials=true --controllers='*'
  sleep 0.5
  for c in kube-scheduler kube-controller-manager; do
    [ -n "$(pid_of "$c")" ] || { tail -n 40 "$dir/$c.log" >&2; die "$c exited (log: $dir/$c.log)"; }
  done
  say "ready at $server in $(( $(date +%s) - t0 ))s; admin kubeconfig $dir/admin.kubeconfig"
}

stop() {
  local clean=${1:-} pid c deadline
  for c in kube-controller-manager kube-scheduler kube-apiserver etcd; do
    pid=$(pid_of "$c")
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + 10 ))
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/$c.pid"
    say "stopped $c (pid $pid)"
  done
  if [ "$clean" = --clean ]; then
    rm -rf "$dir/etcd" "$pki" "$dir"/*.kubeconfig "$dir/nodes"
    say "removed etcd data and PKI under $dir"
  fi
}

node_kubeconfig() {
  local node=$1
  [ -n "$node" ] || die "node-kubeconfig needs a node name"
  [ -s "$pki/ca.key" ] || die "no PKI yet: run start first"
  mkdir -p "$dir/nodes"
  cert "node-$node" "system:node:$node" system:nodes clientAuth
  kubeconfig "$dir/nodes/$node.kubeconfig" "system:node:$node" "node-$node"
  echo "$dir/nodes/$node.kubeconfig"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  restart-apiserver)
    pid=$(pid_of kube-apiserver)
    if [ -n "$pid" ]; then
      kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
      say "killed kube-apiserver (pid $pid)"
    fi
    start ;;
  status)
    if [ -s "$pki/admin.crt" ] && ready; then echo "running $server"; else echo stopped; exit 1; fi ;;
  env) echo "KUBECONFIG=$dir/admin.kubeconfig CUBELET_K8S_BIN=$(bin_dir)" ;;
  node-kubeconfig) node_kubeconfig "${2:-}" ;;
  logs)
    for c in "${components[@]}"; do
      [ -f "$dir/$c.log" ] || continue
      echo "==== $dir/$c.log (last 40 lines)"
      tail -n 40 "$dir/$c.log"
    done ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
