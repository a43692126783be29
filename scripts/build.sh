#!/usr/bin/env bash
# Installs the dependencies (if missing) and builds hsi into build/ (incremental when warm).
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
# Two cores, and each LibTorch translation unit wants ~1.5 GB: two jobs fit comfortably.
ninja -C build -j "$(nproc)" "$@"
