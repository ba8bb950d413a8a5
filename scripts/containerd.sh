#!/usr/bin/env bash
# A private containerd (with its CRI plugin) for cubelet demos and tests.
#
# Usage: scripts/containerd.sh start|stop [--all]|reset|status|env|logs
#   start   write config + CNI conflist, start containerd detached (no-op if it
#           already runs), wait for it, import the local images
#   stop    stop containerd; containers keep running (their shims live on)
#   stop --all  first kill and remove every container in every namespace,
#           unmount leftovers under the state dir, then stop containerd
#   reset   stop containerd, kill what is left of its containers (the shims
#           of our socket and everything under them) and empty the runtime's data
#           (root, state, CNI allocations); the built images are kept. The
#           next start begins as on a fresh machine (CI does this first).
#   status  exit 0 and print "running unix://<sock>" if the socket answers
#   env     print CUBELET_CRI_ENDPOINT=unix://<sock> (for eval/export)
#   logs    print the log path and its last 100 lines
# Env: CUBELET_CONTAINERD_DIR  state dir (default /var/lib/cubelet-containerd)
#      CUBELET_CNI_BRIDGE, CUBELET_CNI_SUBNET  the pod network's bridge and subnet
#        (default cubelet0, 10.88.0.0/16), for a second containerd beside the first
#      CUBELET_REGISTRY_MIRROR  HOST=URL: pulls of HOST/... go to URL instead
#        (e.g. registry.k8s.io=http://127.0.0.1:5000, a local registry); read at start
set -euo pipefail
umask 022

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(realpath -m "${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}")"
sock="$dir/containerd.sock"
config="$dir/config.toml"
log="$dir/containerd.log"
pidfile="$dir/containerd.pid"
netd="$dir/net.d"
cni_bin=/usr/lib/cni
cni_net=${CUBELET_CNI_BRIDGE:-cubelet0}
cni_subnet=${CUBELET_CNI_SUBNET:-10.88.0.0/16}
# A start fails when containerd's log stops growing for start_quiet seconds
# (it is stuck) or after start_timeout in all: a containerd whose state holds
# many dead containers spends minutes cleaning up their shims before it answers.
start_quiet=30
start_timeout=600
stop_timeout=10

die() { echo "containerd.sh: $*" >&2; exit 1; }
say() { echo "containerd.sh: $*"; }

usage() { sed -n '2,19p' "$0"; }

answers() { timeout 5 ctr --address "$sock" version >/dev/null 2>&1; }

# Pid of *our* containerd: from the pid file if that process is a containerd
# using our config, else by looking for a containerd with our config.
our_pid() {
  local pid
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && is_ours "$pid"; then echo "$pid"; return 0; fi
  fi
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    if is_ours "$pid"; then echo "$pid"; return 0; fi
  done
  return 1
}

is_ours() {
  local cmd
  [ -r "/proc/$1/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  case "$cmd" in
    containerd\ *--config\ "$config"*|*/containerd\ *--config\ "$config"*) return 0 ;;
  esac
  return 1
}

check_binaries() {
  local missing=() b
  for b in containerd:containerd ctr:containerd runc:runc \
           containerd-shim-runc-v2:containerd setsid:util-linux \
           python3:python3 gcc:build-essential busybox:busybox-static \
           ip:iproute2 timeout:coreutils; do
    command -v "${b%%:*}" >/dev/null 2>&1 || missing+=("${b%%:*} (package ${b#*:})")
  done
  for b in bridge host-local loopback; do
    [ -x "$cni_bin/$b" ] ||
      missing+=("$cni_bin/$b (package containernetworking-plugins)")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "containerd.sh: missing:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    die "install them with: scripts/install-deps.sh"
  fi
}

write_config() {
  mkdir -p "$dir/root" "$dir/state" "$netd" "$dir/opt" "$dir/cni"
  chmod 0711 "$dir"
  cat >"$config.tmp" <<EOF
# Written by cubelet scripts/containerd.sh; rewritten on every start.
version = 2
root = "$dir/root"
state = "$dir/state"

[grpc]
  address = "$sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  netns_mounts_under_state_dir = true
  systemd_cgroup = false
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  # No process here has CAP_SYS_RESOURCE: runc cannot set the sandbox's
  # oom_score_adj without this and every RunPodSandbox would fail.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$netd"
    max_conf_num = 1
EOF
  if [ -n "${CUBELET_REGISTRY_MIRROR:-}" ]; then
    cat >>"$config.tmp" <<EOF
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."${CUBELET_REGISTRY_MIRROR%%=*}"]
    endpoint = ["${CUBELET_REGISTRY_MIRROR#*=}"]
EOF
  fi
  mv -f "$config.tmp" "$config"

  # Pod traffic stays on this machine: the host reaches pods through the
  # bridge (isGateway), no masquerade, no routes (no default route in pods),
  # no portmap.
  cat >"$netd/10-$cni_net.conflist.tmp" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$cni_net",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$cni_net",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/cni/networks",
        "ranges": [[{ "subnet": "$cni_subnet" }]]
      }
    },
    { "type": "loopback" }
  ]
}
EOF
  mv -f "$netd/10-$cni_net.conflist.tmp" "$netd/10-$cni_net.conflist"
}

cmd_start() {
  check_binaries
  # containerd also listens on <sock>.ttrpc; unix socket paths max 104 bytes.
  [ ${#sock} -le 98 ] ||
    die "socket path $sock is too long (${#sock} > 98 bytes): use a shorter CUBELET_CONTAINERD_DIR"
  local pid
  if answers; then
    pid="$(our_pid || echo '?')"
    say "already running (pid $pid) on unix://$sock"
  else
    if pid="$(our_pid)"; then
      die "containerd pid $pid (config $config) is alive but does not answer on $sock; try: $0 stop"
    fi
    write_config
    # Mount propagation as systemd sets it at boot: shared. containerd
    # refuses Bidirectional volume mounts from a private source; on such a
    # host cubelet (as the kubelet) bind-mounts its root dir onto itself to
    # make it shared, a mount that would outlive the tests' scratch dirs.
    if [ "$(findmnt -no PROPAGATION / 2>/dev/null)" = private ]; then
      mount --make-rshared / || say "could not make / rshared (mount propagation stays private)"
    fi
    rm -f "$pidfile"
    {
      echo
      echo "=== $(date -Is) containerd.sh start ==="
    } >>"$log"
    # setsid: own session, so the caller's terminal/job control never signals
    # it. The inner shell records its own pid, then becomes containerd.
    # shellcheck disable=SC2016  # expanded by the inner shell
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
      containerd --config "$config" </dev/null >>"$log" 2>&1 &
    local began=$SECONDS last_growth=$SECONDS size last_size=-1
    until answers; do
      pid="$(cat "$pidfile" 2>/dev/null || true)"
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "containerd.sh: containerd (pid $pid) exited during start; last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
      fi
      size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
      if [ "$size" != "$last_size" ]; then last_size=$size; last_growth=$SECONDS; fi
      if [ $((SECONDS - last_growth)) -ge "$start_quiet" ] ||
         [ $((SECONDS - began)) -ge "$start_timeout" ]; then
        echo "containerd.sh: containerd did not answer on $sock after $((SECONDS - began))s" \
             "(log quiet for $((SECONDS - last_growth))s); last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
      fi
      sleep 0.2
    done
    [ $((SECONDS - began)) -lt 10 ] ||
      say "containerd took $((SECONDS - began))s to answer (cleaning up an earlier run's containers)"
    say "started (pid $(cat "$pidfile")), log $log"
  fi
  CUBELET_CONTAINERD_DIR="$dir" "$here/build-images.sh"
  echo "unix://$sock"
}

# Kill and remove every task and container in every namespace.
remove_all_containers() {
  local ns id
  for ns in $(timeout 10 ctr --address "$sock" namespaces ls -q); do
    for id in $(timeout 10 ctr --address "$sock" -n "$ns" tasks ls -q); do
      timeout 10 ctr --address "$sock" -n "$ns" tasks kill -a -s KILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(timeout 10 ctr --address "$sock" -n "$ns" tasks ls -q); do
      timeout 20 ctr --address "$sock" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 ||
        say "warning: could not delete task $ns/$id"
    done
    for id in $(timeout 10 ctr --address "$sock" -n "$ns" containers ls -q); do
      if timeout 20 ctr --address "$sock" -n "$ns" containers rm "$id" >/dev/null 2>&1; then
        say "removed container $ns/$id"
      else
        say "warning: could not remove container $ns/$id"
      fi
    done
  done
}

# Unmount everything still mounted under the state dir, deepest first
# (rootfs overlays, sandbox shm, netns bind mounts).
unmount_leftovers() {
  local m
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
      say "warning: could not unmount $m"
  done < <(awk -v d="$dir/" 'index($2, d) == 1 { print length($2) " " $2 }' /proc/self/mounts |
           sort -rn | cut -d' ' -f2-)
}

cmd_stop() {
  local all=0
  case "${1:-}" in
    "") ;;
    --all) all=1 ;;
    *) die "stop: unknown option '$1' (only --all)" ;;
  esac
  if [ "$all" = 1 ]; then
    if answers; then
      remove_all_containers
    else
      say "containerd does not answer: cannot remove containers"
    fi
  fi
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$pidfile"
    say "not running"
    [ "$all" = 0 ] || { unmount_leftovers; rm -rf "$dir/cni/networks"; }
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((stop_timeout * 5)) ]; then
      say "containerd (pid $pid) ignored SIGTERM for ${stop_timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$pidfile"
  if [ "$all" = 1 ]; then
    unmount_leftovers
    # IP allocations of removed pods (host-local keeps them on disk).
    rm -rf "$dir/cni/networks"
  fi
  say "stopped (pid $pid); log kept at $log"
}

# Pids of the shims serving our socket (their cmdline names it after -address).
our_shims() {
  local p cmd
  for p in /proc/[0-9]*; do
    # A process may end meanwhile: the redirection's own error is silenced too.
    cmd="$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)" || continue
    case "$cmd" in
      *containerd-shim*" -address $sock "*|*containerd-shim*" -address $sock") echo "${p#/proc/}" ;;
    esac
  done
}

# Every descendant of the given pids, children before parents' siblings.
descendants() {
  local pid child
  for pid in "$@"; do
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      echo "$child"
      descendants "$child"
    done
  done
}

# Faster than stop --all at thousands of containers (no per-container ctr
# calls), and works when containerd itself is gone.
cmd_reset() {
  cmd_stop
  local shims procs
  shims="$(our_shims | tr '\n' ' ')"
  if [ -n "${shims// /}" ]; then
    # shellcheck disable=SC2086  # word lists
    procs="$(descendants $shims | tr '\n' ' ')"
    say "killing $(echo $shims | wc -w) leftover shims and $(echo $procs | wc -w) processes under them"
    # shellcheck disable=SC2086
    kill -KILL $shims $procs 2>/dev/null || true
    sleep 0.5
  fi
  unmount_leftovers
  rm -rf "$dir/root" "$dir/state" "$dir/cni" "$dir/opt"
  say "reset: runtime data under $dir removed (images kept in $dir/images)"
}

cmd_status() {
  if answers; then
    echo "running unix://$sock"
    return 0
  fi
  local pid
  if pid="$(our_pid)"; then
    echo "not answering: containerd pid $pid is alive but unix://$sock does not answer (see $log)"
  elif [ -S "$sock" ]; then
    echo "not running: stale socket $sock, no containerd process (see $log)"
  elif [ -f "$pidfile" ]; then
    echo "not running: pid $(cat "$pidfile") from $pidfile is gone (see $log)"
  else
    echo "not running: no socket at $sock"
  fi
  return 1
}

cmd_logs() {
  echo "$log"
  [ -f "$log" ] || die "no log file yet at $log"
  tail -n 100 "$log"
}

cmd="${1:-}"
[ $# -eq 0 ] || shift
case "$cmd" in
  start)  [ $# -eq 0 ] || die "start takes no arguments"; cmd_start ;;
  stop)   cmd_stop "$@" ;;
  reset)  [ $# -eq 0 ] || die "reset takes no arguments"; cmd_reset ;;
  status) cmd_status ;;
  env)    echo "CUBELET_CRI_ENDPOINT=unix://$sock" ;;
  logs)   cmd_logs ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
