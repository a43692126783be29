#!/usr/bin/env bash
# The main job end to end on the bundled Salinas-A scene: build hsi, train ms2d (softmax
# pretraining + DPP metric fine-tuning, as configs/salinas_a.ini says), predict every pixel,
# write the maps and the report into runs/salinas_a/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh hsi
out=runs/salinas_a
mkdir -p "$out"
time ./build/cli/hsi train --config configs/salinas_a.ini --out "$out" "$@"
echo
cat "$out/report.md"
