#!/usr/bin/env bash
# The validation oracle: the real kube-apiserver decides which pod manifests
# are valid, and `cubelet validate` must agree with it.
#   1. builds (or reuses) the upstream etcd and kube-apiserver
#      (scripts/build-k8s.sh, cached) and cubelet;
#   2. starts a private etcd and kube-apiserver on 127.0.0.1 (their own ports,
#      state in a temporary directory: it runs beside scripts/controlplane.sh
#      and scripts/conformance.sh), a static bearer token, AlwaysAllow;
#   3. sends every document of every manifest in the corpus to the API server
#      as a server-side dry run (POST /api/v1/namespaces/NS/pods?dryRun=All,
#      fieldValidation=Strict as kubectl sends it) and runs `cubelet validate`
#      on the same document (scripts/lib/validation_oracle.py);
#   4. compares accept/reject and the field path of the first error, prints
#      each disagreement and `RESULT documents=… agree=… rate=…`, and exits 1
#      unless they agree on every document.
#
# Usage: scripts/validation-oracle.sh [PATH...]
#   PATH  manifest files or directories; default: the project's corpora
#         (oracle/validation/{valid,invalid,refused}, fuzz/corpus/manifest,
#         examples)
# Env: ORACLE_APISERVER_PORT (default 6450), ORACLE_ETCD_PORT (default 2450),
#      ORACLE_REPORT  a markdown table of every document is written there
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
apiserver_port=${ORACLE_APISERVER_PORT:-6450}
etcd_port=${ORACLE_ETCD_PORT:-2450}

die() { echo "validation-oracle: $*" >&2; exit 1; }
for port in "$apiserver_port" "$etcd_port" "$((etcd_port + 1))"; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then die "127.0.0.1:$port is in use"; fi
done

bin=$(bash scripts/build-k8s.sh | tail -1)
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc)" --target cubelet >/dev/null
cubelet=$repo/build/release/src/app/cubelet

work=$(mktemp -d /tmp/cubelet-oracle.XXXXXX)
pids=()
cleanup() {
  # SIGKILL: a graceful kube-apiserver stop waits for its open watches.
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

token=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
echo "$token,oracle,oracle,system:masters" >"$work/tokens.csv"
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null

"$bin/etcd" --name oracle --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-cluster "oracle=http://127.0.0.1:$((etcd_port + 1))" \
  --unsafe-no-fsync --log-level warn >"$work/etcd.log" 2>&1 &
pids+=($!)
# ServiceAccount admission is off: a static pod has no service account, and the
# controller that creates "default" in each namespace does not run here.
"$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port="$apiserver_port" --cert-dir="$work/certs" \
  --endpoint-reconciler-type=none --token-auth-file="$work/tokens.csv" \
  --authorization-mode=AlwaysAllow --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$work/sa.pub" --service-account-signing-key-file="$work/sa.key" \
  --service-cluster-ip-range=10.96.0.0/24 --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true >"$work/kube-apiserver.log" 2>&1 &
pids+=($!)

deadline=$(( $(date +%s) + 90 ))
until [ "$(curl -sk --max-time 2 -H "Authorization: Bearer $token" \
      "https://127.0.0.1:$apiserver_port/readyz" 2>/dev/null)" = ok ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 30 "$work/kube-apiserver.log" >&2
    die "kube-apiserver not ready after 90 s"
  fi
  sleep 0.5
done

[ $# -gt 0 ] || set -- oracle/validation/valid oracle/validation/invalid oracle/validation/refused fuzz/corpus/manifest examples
python3 scripts/lib/validation_oracle.py --server "https://127.0.0.1:$apiserver_port" \
  --token "$token" --cubelet "$cubelet" ${ORACLE_REPORT:+--report "$ORACLE_REPORT"} "$@"
