#!/usr/bin/env bash
# Installs every system dependency of hsi on Debian 12 (bookworm). Idempotent, no prompts.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev
  libopenblas0-openmp
  libgdal-dev gdal-bin libcurl4-gnutls-dev
  libhdf5-dev
  libmatio-dev
  libeigen3-dev
  libsvm-dev
  libboost-program-options-dev
  openmpi-bin libopenmpi-dev
  googletest libgtest-dev
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
