#!/usr/bin/env bash
# The busybox of the conformance suite's images, behaving as upstream's
# busybox 1.37 image does: built from Debian's busybox source (Debian's
# archive, checksums pinned below), with Debian's patches and its static
# configuration, and one option turned on: FEATURE_DI_ENV_HACK. Upstream ash
# passes environment variables whose names are not shell names (`data-1=…`,
# from a ConfigMap or Secret through envFrom) on to the commands it runs;
# Debian reverts that for its installer and brings it back only with this
# option (on in its udeb flavour, off in busybox-static). The specs
# "ConfigMap/Secrets should be consumable via the environment" run
# `sh -c env` and expect those variables.
# And nc as upstream's defconfig has it (NC_SERVER, NC_EXTRA, NC_110_COMPAT:
# `nc -u`, which the UDP networking specs run in the agnhost image); Debian's
# static flavour leaves the 1.10-compatible nc out.
#
# Cached by version under $CUBELET_CACHE_DIR (default /var/cache/cubelet):
# a second run prints the cached binary at once. Prints the binary's path.
# Needs gcc, make, patch, bzip2, xz-utils and curl (scripts/install-deps.sh).
set -euo pipefail
version=1.37.0
debian_revision=6
orig_sha256=3311dff32e746499f4df0d5df04d7eb396382d7e108bb9250e7b519b837043a4
debian_sha256=10b2cd64b41c26ae134e1cd6135b68575bbe79356c20985f35e32f32a1746c34
pool=http://deb.debian.org/debian/pool/main/b/busybox

cache="${CUBELET_CACHE_DIR:-/var/cache/cubelet}/busybox/$version-$debian_revision-env-nc"
if [ -x "$cache/busybox" ]; then
  echo "$cache/busybox"
  exit 0
fi
die() { echo "build-busybox: $*" >&2; exit 1; }
work=$(mktemp -d /tmp/cubelet-busybox.XXXXXX)
trap 'rm -rf "$work"' EXIT
fetch() {  # fetch <file> <sha256>
  curl -fsS --retry 3 --max-time 300 -o "$work/$1" "$pool/$1" || die "cannot fetch $pool/$1"
  echo "$2  $work/$1" | sha256sum -c --quiet - || die "$1: checksum mismatch"
}
fetch "busybox_$version.orig.tar.bz2" "$orig_sha256"
fetch "busybox_$version-$debian_revision.debian.tar.xz" "$debian_sha256"
tar -xjf "$work/busybox_$version.orig.tar.bz2" -C "$work"
src="$work/busybox-$version"
tar -xJf "$work/busybox_$version-$debian_revision.debian.tar.xz" -C "$src"
while read -r p; do
  case "$p" in ''|'#'*) continue ;; esac
  patch -d "$src" -p1 -s <"$src/debian/patches/$p" || die "patch $p does not apply"
done <"$src/debian/patches/series"
mkdir -p "$src/b"
nc_options=(CONFIG_NC CONFIG_NC_SERVER CONFIG_NC_EXTRA CONFIG_NC_110_COMPAT)
{
  cat "$src/debian/config/os/linux" "$src/debian/config/pkg/static" |
    sed 's/^# CONFIG_FEATURE_DI_ENV_HACK is not set$/CONFIG_FEATURE_DI_ENV_HACK=y/' |
    grep -v -E "^(# )?($(IFS='|'; echo "${nc_options[*]}"))[= ]"
  printf '%s=y\n' "${nc_options[@]}"
} >"$src/b/.config"
grep -qx 'CONFIG_FEATURE_DI_ENV_HACK=y' "$src/b/.config" || die "the option is not in the config"
export KCONFIG_NOTIMESTAMP=1
{ yes "" || true; } | make -s -C "$src/b" -f "$src/Makefile" KBUILD_SRC="$src" silentoldconfig >/dev/null
make -s -C "$src/b" -j"$(nproc)" all BB_EXTRA_VERSION="cubelet conformance" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; die "build failed"; }
# The point of the build: bad names reach the command.
out=$(env -i 'data-1=value-1' "$src/b/busybox" sh -c env)
grep -qx 'data-1=value-1' <<<"$out" || die "the built sh drops data-1 from the environment"
"$src/b/busybox" nc --help 2>&1 | grep -q -- '-u.*UDP' || die "the built nc has no -u (UDP)"
install -D -m 0755 "$src/b/busybox" "$cache/busybox"
echo "$cache/busybox"
