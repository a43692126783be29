#!/usr/bin/env bash
# Builds and runs the benchmarks, printing their figures (not a test: nothing is asserted),
# ending with hsi against the same ms2d in Python PyTorch side by side (bench/compare.sh: 5
# alternated pairs after a warm-up, medians, ratios, GFLOP/s against a matrix multiply, scaling).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh benchmarks
B=build/bench
H=build/cli/hsi
echo "== patch extraction (Salinas-A, all labelled pixels)"
$B/bench_patches 5
echo
echo "== training + whole-scene prediction (ms2d, Salinas-A, fixed 10 per class, seed 0)"
out=$(mktemp -d)
/usr/bin/time -f "train wall %e s, peak RSS %M KB" $H train --config configs/salinas_a.ini --out "$out/run" --threads 2 | grep -E "test:|parameters|multiply"
$B/bench_predict "$out/run/best.ckpt" 2 5
$B/bench_predict "$out/run/best.ckpt" 1 3
echo
echo "== reading (time and peak memory of hsi info)"
/usr/bin/time -f "SalinasA.mat: wall %e s, peak RSS %M KB" $H info data/SalinasA.mat > /dev/null
# A 1 GiB float32 GeoTIFF cube: 1024 x 1024 x 256, pixel-interleaved, made by GDAL.
gdal_create -q -of GTiff -ot Float32 -outsize 1024 1024 -bands 256 -burn 1 -co INTERLEAVE=PIXEL -co TILED=YES "$out/big.tif"
ls -la "$out/big.tif" | awk '{print "generated cube:", $5, "bytes"}'
/usr/bin/time -f "1 GiB GeoTIFF: wall %e s, peak RSS %M KB" $H info "$out/big.tif" > /dev/null
rm -rf "$out"
echo
echo "== hsi vs Python PyTorch (bench/compare.sh)"
bash bench/compare.sh 5 2
