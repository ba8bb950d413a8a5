#!/usr/bin/env bash
# Builds the test images the upstream node conformance suite runs, under the
# exact names and tags it asks for (e2e_node.test --list-images), from local
# parts only, and imports them into the private containerd (namespace k8s.io):
#   registry.k8s.io/e2e-test-images/busybox:1.37.0-2, :1.36.1-1
#                     Debian's busybox-static (or CUBELET_E2E_BUSYBOX, a binary
#                     of scripts/build-busybox.sh), /etc/passwd and /etc/group,
#                     and scripts/lib/nmeter.c for the nmeter applet Debian's lacks
#   registry.k8s.io/e2e-test-images/nonroot:1.5       the same, USER 1234
#   registry.k8s.io/e2e-test-images/agnhost:2.66.1, :2.55
#                     agnhost built from the same Kubernetes release on the busybox
#                     root, with the image's user-defined-in-image (1000) and
#                     group-defined-in-image (50000); entrypoint /agnhost, cmd pause
#   registry.k8s.io/pause:3.10.2                      cubelet's static pause
#   registry.k8s.io/e2e-test-images/nonewprivs:1.4    upstream's nnp, setuid root
#   registry.k8s.io/e2e-test-images/nginx:1.27.0-2, :1.28.0-2
#                     Debian's nginx (the .deb fetched from the Debian archive,
#                     not installed) with its libraries, serving / on port 80
#   registry.k8s.io/e2e-test-images/glibc-dns-testing:2.1.1
#                     the busybox root with the host's glibc hostname and getent
# Not built (specs that need them fail: docs/conformance.md): perl,
# kitten/nautilus, and images of features this node lacks.
# The suite runs with --prepull-images=false; pods that pull anyway (pull
# policy Always) get the same images from a local registry: with
# CUBELET_E2E_REGISTRY=HOST:PORT each image is also pushed there (skopeo, plain
# HTTP) as HOST:PORT/<the name without registry.k8s.io/>, which containerd
# serves as registry.k8s.io through a mirror (scripts/containerd.sh,
# CUBELET_REGISTRY_MIRROR).
#
# Usage: scripts/build-e2e-images.sh AGNHOST_BINARY
# Env: CUBELET_CONTAINERD_DIR (default /var/lib/cubelet-containerd),
#      CUBELET_CONTAINERD_SOCK (default $CUBELET_CONTAINERD_DIR/containerd.sock)
#      CUBELET_E2E_REGISTRY (unset: no push)
#      CUBELET_E2E_BUSYBOX  the busybox of the busybox-based images (unset:
#                           the host's busybox-static)
set -euo pipefail
umask 022

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(realpath -m "${CUBELET_CONTAINERD_DIR:-/var/lib/cubelet-containerd}")"
sock="$(realpath -m "${CUBELET_CONTAINERD_SOCK:-$dir/containerd.sock}")"
out="$dir/images/e2e"
agnhost="${1:?usage: build-e2e-images.sh AGNHOST_BINARY}"
die() { echo "build-e2e-images: $*" >&2; exit 1; }
[ -x "$agnhost" ] || die "no agnhost binary at $agnhost (scripts/build-e2e-node.sh builds it)"
busybox_bin="$(command -v busybox)" || die "busybox-static is not installed"
# The base images (pause, busybox) come from scripts/build-images.sh.
bash "$here/build-images.sh" --build-only >/dev/null
base="$dir/images"
mkdir -p "$out"

root() {  # root <dir>: the busybox root with users and groups
  local r=$1
  rm -rf "$r"
  cp -a "$base/busybox-rootfs" "$r"
  cat >"$r/etc/passwd" <<'EOT'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
  cat >"$r/etc/group" <<'EOT'
root:x:0:
nobody:x:65534:
EOT
  mkdir -p "$r/root" && chmod 0700 "$r/root"
  # Upstream's busybox passes on environment variables that are not shell
  # names; Debian's drops them (scripts/build-busybox.sh builds one that
  # does not: CUBELET_E2E_BUSYBOX names it).
  if [ -n "${CUBELET_E2E_BUSYBOX:-}" ]; then
    install -m 0755 "$CUBELET_E2E_BUSYBOX" "$r/bin/busybox"
  fi
  # Upstream's busybox has the nmeter applet (the container lifecycle specs
  # time-stamp their logs with it); Debian's lacks it: the subset they use.
  rm -f "$r/bin/nmeter"
  gcc -O2 -static -Wall -Werror -o "$r/bin/nmeter" "$here/lib/nmeter.c" ||
    die "building nmeter failed"
}

declare -A digest archive
mk() {  # mk <name> <ref> <rootfs> <oci_image.py options...>
  local name="$1" ref="$2" rootfs="$3"
  shift 3
  # The reference as a label makes every tag its own image. Two tags of one
  # image share an image ID, and containerd then reports the lowest-sorting
  # tag as a container's image (busybox:1.36.1-1 for a pod that asked for
  # 1.37.0-2), which specs that compare containerStatuses[].image refuse.
  digest[$ref]="$(python3 "$here/lib/oci_image.py" --rootfs "$rootfs" --ref "$ref" \
    --label "org.opencontainers.image.ref.name=$ref" --out "$out/$name.tar" "$@")" ||
    die "writing $out/$name.tar failed"
  archive[$ref]="$out/$name.tar"
}

root "$out/busybox-rootfs"
for tag in 1.37.0-2 1.36.1-1; do
  mk "busybox-$tag" "registry.k8s.io/e2e-test-images/busybox:$tag" "$out/busybox-rootfs" \
    --cmd '["sh"]'
done
mk nonroot registry.k8s.io/e2e-test-images/nonroot:1.5 "$out/busybox-rootfs" --cmd '["sh"]' \
  --user 1234

# add_binary <rootfs> <binary> [<path in the image>]: a binary and the host's
# copies of the libraries it links.
add_binary() {
  local r=$1 bin=$2 dest=${3:-$2} lib
  rm -f "$r$dest"  # a busybox applet link: replace the link, not busybox
  install -D -m 0755 "$(readlink -f "$bin")" "$r$dest"
  while read -r lib; do
    if [ -n "$lib" ] && [ ! -e "$r$lib" ]; then
      install -D -m 0755 "$(readlink -f "$lib")" "$r$lib"
    fi
  done < <(ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\/lib/ { print $1 }')
}

root "$out/agnhost-rootfs"
install -m 0755 "$agnhost" "$out/agnhost-rootfs/agnhost"
ln -s agnhost "$out/agnhost-rootfs/agnhost-2"
# Upstream's image (Alpine) has curl and bash, which exec hooks and probes
# call, and porter's TLS pair at /localhost.{crt,key} for HTTPS servers.
add_binary "$out/agnhost-rootfs" /usr/bin/curl
add_binary "$out/agnhost-rootfs" /bin/bash
mkdir -p "$out/agnhost-rootfs/etc/ssl/certs"
porter="$(go env GOMODCACHE)/k8s.io/kubernetes@$(sed -n 's/^[[:space:]]*\(require \)\{0,1\}k8s.io\/kubernetes \(v[0-9.]*\)$/\2/p' "$here/../tools/k8s-e2e/go.mod" | head -1)/test/images/agnhost/porter"
[ -f "$porter/localhost.crt" ] || die "no $porter/localhost.crt (scripts/build-e2e-node.sh fetches the module)"
install -m 0644 "$porter/localhost.crt" "$porter/localhost.key" "$out/agnhost-rootfs/"
mkdir -p "$out/agnhost-rootfs/uploads" "$out/agnhost-rootfs/home/user-defined-in-image"
echo "user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh" \
  >>"$out/agnhost-rootfs/etc/passwd"
printf 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' \
  >>"$out/agnhost-rootfs/etc/group"
for tag in 2.66.1 2.55; do
  mk "agnhost-$tag" "registry.k8s.io/e2e-test-images/agnhost:$tag" "$out/agnhost-rootfs" \
    --entrypoint '["/agnhost"]' --cmd '["pause"]'
done
mk pause-3.10.2 registry.k8s.io/pause:3.10.2 "$base/pause-rootfs" --entrypoint '["/pause"]'

# nonewprivs: upstream's nnp (prints its effective uid), setuid root, so a
# non-root container shows uid 0 unless no_new_privs is set.
nnp="$(dirname "$agnhost")/nnp"
[ -x "$nnp" ] || die "no nnp binary at $nnp (scripts/build-e2e-node.sh builds it)"
root "$out/nonewprivs-rootfs"
install -D -m 06755 "$nnp" "$out/nonewprivs-rootfs/usr/local/bin/nnp"
mk nonewprivs-1.4 registry.k8s.io/e2e-test-images/nonewprivs:1.4 "$out/nonewprivs-rootfs" \
  --cmd '["nnp"]'

# glibc-dns-testing: upstream's is Debian bookworm with glibc's tools; the FQDN
# specs run `hostname -f`, which must resolve through glibc's NSS (/etc/hosts
# first). The host's glibc hostname, its libraries and an nsswitch.conf.
gd="$out/glibc-dns-testing-rootfs"
root "$gd"
add_binary "$gd" "$(command -v hostname)" /bin/hostname
add_binary "$gd" "$(command -v getent)" /usr/bin/getent
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$gd/etc/nsswitch.conf"
mk glibc-dns-testing-2.1.1 registry.k8s.io/e2e-test-images/glibc-dns-testing:2.1.1 "$gd" \
  --cmd '["sh"]'

# nginx: the binary of Debian's package and the host's copies of its libraries.
debs="$out/debs"
if ! ls "$debs"/nginx_*.deb >/dev/null 2>&1; then
  mkdir -p "$debs"
  (cd "$debs" && apt-get download nginx nginx-common >/dev/null 2>&1) ||
    die "apt-get download nginx failed (the Debian archive must be reachable)"
fi
ng="$out/nginx-rootfs"
root "$ng"
rm -rf "$out/nginx-deb" && mkdir -p "$out/nginx-deb"
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$out/nginx-deb"; done
install -D -m 0644 "$out/nginx-deb/etc/nginx/mime.types" "$ng/etc/nginx/mime.types"
add_binary "$ng" "$out/nginx-deb/usr/sbin/nginx" /usr/sbin/nginx

mkdir -p "$ng/var/lib/nginx" "$ng/var/log/nginx" "$ng/usr/share/nginx/html" "$ng/run"
echo "nginx:x:101:101:nginx:/nonexistent:/bin/false" >>"$ng/etc/passwd"
echo "nginx:x:101:" >>"$ng/etc/group"
cat >"$ng/etc/nginx/nginx.conf" <<'EOT'
user nginx;
worker_processes 1;
error_log /dev/stderr notice;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log /dev/stdout;
  server {
    listen 80;
    location / { root /usr/share/nginx/html; index index.html; }
  }
}
EOT
echo '<html><body>Welcome to nginx!</body></html>' >"$ng/usr/share/nginx/html/index.html"
for tag in 1.27.0-2 1.28.0-2; do
  mk "nginx-$tag" "registry.k8s.io/e2e-test-images/nginx:$tag" "$ng" \
    --cmd '["nginx", "-g", "daemon off;"]'
done

ctr_() { timeout 120 ctr --address "$sock" -n k8s.io "$@"; }
timeout 5 ctr --address "$sock" version >/dev/null 2>&1 ||
  die "containerd does not answer on $sock (start it: scripts/containerd.sh start)"
present="$(ctr_ images ls)" || die "ctr images ls failed"
for ref in "${!digest[@]}"; do
  have="$(awk -v r="$ref" '$1 == r { print $3 }' <<<"$present")"
  [ "$have" = "${digest[$ref]}" ] && continue
  ctr_ images import "${archive[$ref]}" >/dev/null || die "import of ${archive[$ref]} failed"
  echo "build-e2e-images: imported $ref"
done

registry="${CUBELET_E2E_REGISTRY:-}"
[ -n "$registry" ] || exit 0
for ref in "${!digest[@]}"; do
  [[ "$ref" == registry.k8s.io/* ]] || continue
  dest="docker://$registry/${ref#registry.k8s.io/}"
  have="$(timeout 60 skopeo inspect --tls-verify=false --format '{{.Digest}}' "$dest" 2>/dev/null)" || true
  [ "$have" = "${digest[$ref]}" ] && continue
  timeout 300 skopeo copy --quiet --dest-tls-verify=false "oci-archive:${archive[$ref]}" "$dest" ||
    die "pushing $ref to $registry failed"
  echo "build-e2e-images: pushed $ref to $registry"
done
