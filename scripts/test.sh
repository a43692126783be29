#!/usr/bin/env bash
# Builds everything and runs the whole GoogleTest suite through ctest, then names any test that
# skipped itself (a skip is a claim left unchecked: it should be rare and visible).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
status=0
ctest -j "$(nproc)" --output-on-failure "$@" 2>&1 | tee ctest.log || status=$?
skipped=$(grep -E "\(Skipped\)|\*\*\*Skipped" ctest.log | sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/' || true)
if [ -n "$skipped" ]; then
  echo "skipped tests:"
  echo "$skipped"
else
  echo "skipped tests: none"
fi
exit "$status"
