#!/usr/bin/env bash
# Builds the two local OCI images cubelet's demos and tests use, and imports
# them into the private containerd (namespace k8s.io, the one CRI sees):
#   localhost/pause:local             static pause from images/pause/pause.c
#   docker.io/library/busybox:latest  Debian's busybox-static + applet symlinks
# No registry involved. Outputs go to ${CUBELET_CONTAINERD_DIR}/images/.
# An image already present with the same digest is not imported again.
#
# Usage: scripts/build-images.sh [--build-only]
#   --build-only  write the archives, do not talk to containerd
# Env: CUBELET_CONTAINERD_DIR (default /var/lib/cubelet-containerd),
#      CUBELET_CONTAINERD_SOCK (default $CUBELET_CONTAINERD_DIR/containerd.sock)
set -euo pipefail
umask 022

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
dir="$(realpath -m "${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}")"
sock="$(realpath -m "${CUBELET_CONTAINERD_SOCK:-$dir/containerd.sock}")"
out="$dir/images"
ns=k8s.io

build_only=0
case "${1:-}" in
  "") ;;
  --build-only) build_only=1 ;;
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "build-images: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

die() { echo "build-images: $*" >&2; exit 1; }

need() {  # need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 ||
    die "'$1' not found (Debian package '$2'); run scripts/install-deps.sh"
}
need gcc build-essential
need python3 python3
need busybox busybox-static
[ "$build_only" = 1 ] || need ctr containerd

busybox_bin="$(command -v busybox)"
# Debian's /bin/busybox from busybox-static is static; a dynamic one would not
# run in an image without libc.
if ldd "$busybox_bin" >/dev/null 2>&1; then
  die "$busybox_bin is dynamically linked; install 'busybox-static' (not 'busybox')"
fi

mkdir -p "$out"

# --- pause ------------------------------------------------------------------
pause_src="$repo/images/pause/pause.c"
[ -f "$pause_src" ] || die "missing $pause_src"
pause_bin="$out/pause.bin"
if [ ! -x "$pause_bin" ] || [ "$pause_src" -nt "$pause_bin" ]; then
  if ! gcc -static -O2 -s -Wall -o "$pause_bin.tmp" "$pause_src"; then
    rm -f "$pause_bin.tmp"
    die "static link of pause failed: is 'libc6-dev' (static libc.a) installed?"
  fi
  mv -f "$pause_bin.tmp" "$pause_bin"
fi
rm -rf "$out/pause-rootfs"
mkdir -p "$out/pause-rootfs"
install -m 0755 "$pause_bin" "$out/pause-rootfs/pause"

# --- busybox ----------------------------------------------------------------
bb="$out/busybox-rootfs"
rm -rf "$bb"
mkdir -p "$bb/bin" "$bb/etc" "$bb/proc" "$bb/sys" "$bb/dev" "$bb/tmp"
chmod 0755 "$bb" "$bb/bin" "$bb/etc" "$bb/proc" "$bb/sys" "$bb/dev"
chmod 1777 "$bb/tmp"
install -m 0755 "$busybox_bin" "$bb/bin/busybox"
while IFS= read -r applet; do
  case "$applet" in ""|busybox) continue ;; esac
  ln -s /bin/busybox "$bb/bin/$applet"
done < <("$busybox_bin" --list)

# --- archives ----------------------------------------------------------------
declare -A digest
mk() {  # mk <name> <ref> <rootfs> <oci_image.py options...>
  local name="$1" ref="$2" rootfs="$3"
  shift 3
  digest[$ref]="$(python3 "$here/lib/oci_image.py" --rootfs "$rootfs" --ref "$ref" \
    --out "$out/$name.tar" "$@")" || die "writing $out/$name.tar failed"
  echo "build-images: $ref ${digest[$ref]} -> $out/$name.tar"
}
mk pause localhost/pause:local "$out/pause-rootfs" --entrypoint '["/pause"]'
mk busybox docker.io/library/busybox:latest "$bb" --cmd '["sh"]'

[ "$build_only" = 0 ] || exit 0

# --- import -----------------------------------------------------------------
ctr_() { timeout 60 ctr --address "$sock" -n "$ns" "$@"; }
timeout 5 ctr --address "$sock" version >/dev/null 2>&1 ||
  die "containerd does not answer on $sock (start it: scripts/containerd.sh start)"

present="$(ctr_ images ls)" || die "ctr images ls failed"
for ref in localhost/pause:local docker.io/library/busybox:latest; do
  have="$(awk -v r="$ref" '$1 == r { print $3 }' <<<"$present")"
  if [ "$have" = "${digest[$ref]}" ]; then
    echo "build-images: $ref already imported"
    continue
  fi
  case "$ref" in localhost/pause*) name=pause ;; *) name=busybox ;; esac
  ctr_ images import "$out/$name.tar" >/dev/null ||
    die "import of $out/$name.tar into namespace $ns failed"
  have="$(ctr_ images ls | awk -v r="$ref" '$1 == r { print $3 }')"
  [ "$have" = "${digest[$ref]}" ] ||
    die "after import $ref has digest '${have:-<none>}', expected ${digest[$ref]}"
  echo "build-images: imported $ref"
done
