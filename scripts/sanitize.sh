#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and runs
# the whole test suite under them. This build leaves MPI out (Open MPI's own allocations would
# drown the leak report), so it also tests the single-process build's refusal to run as several
# launched copies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSI_SANITIZE=ON -DHSI_MPI=OFF > /dev/null
ninja -C build-asan
# Leak checking stays on with no suppression (scripts/lsan.supp explains why it is empty).
export LSAN_OPTIONS=suppressions=$(pwd)/scripts/lsan.supp:print_suppressions=0
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest -j "$(nproc)" --output-on-failure "$@"
