#!/usr/bin/env bash
# Installs, with apt-get, whatever eigrad needs to build, test and document itself on
# Debian 12. Idempotent: when everything is present it only asks dpkg and exits.
set -euo pipefail

packages=(
  g++ cmake make ccache
  libeigen3-dev
  libboost-test-dev libboost-program-options-dev
  nlohmann-json3-dev
  doxygen graphviz gnuplot-nox
  python3-numpy
  libopenmpi-dev openmpi-bin
)
# The device backend's CPU builds (EIGRAD_DEVICE_BACKEND=OMP or CPP, the test command's) need
# Thrust: the CUDA toolkit's CCCL when it is installed, else Debian's libthrust-dev. (OpenMP's
# libgomp comes with g++; the CUDA build needs the toolkit itself, which apt does not provide.)
# Extra packages a CI step needs may be named as arguments (e.g. clang-14 for the sanitizers).
packages+=("$@")
if ! command -v nvcc >/dev/null 2>&1 && [ ! -f /usr/local/cuda/include/cccl/thrust/version.h ]; then
  packages+=(libthrust-dev)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
