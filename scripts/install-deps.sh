#!/usr/bin/env bash
# Installs the Debian packages cubelet builds and tests with; only what is
# missing, so it is cheap to run again. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git bzip2 xz-utils patch
  libabsl-dev libyaml-cpp-dev nlohmann-json3-dev libasio-dev
  libgtest-dev libgmock-dev
  libcpp-httplib-dev libcurl4-openssl-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  containerd runc containernetworking-plugins busybox-static iproute2 python3 python3-yaml openssl libssl-dev curl
  clang libclang-rt-14-dev clang-format
  docker-registry skopeo
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
