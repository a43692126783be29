#!/usr/bin/env bash
# Builds everything and runs the whole GoogleTest suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest -j "$(nproc)" --output-on-failure "$@"
