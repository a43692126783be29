#!/usr/bin/env bash
# Builds and runs the benchmarks, printing their figures (not a test: nothing is asserted).
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
if command -v gdal_translate > /dev/null; then
  # A ~1 GB float32 GeoTIFF cube: 1024 x 1024 x 256 of noise.
  python3 - "$out/big.tif" <<'PY' 2>/dev/null || gdal_create -of GTiff -ot Float32 -outsize 1024 1024 -bands 256 -burn 1 "$out/big.tif" > /dev/null
import sys
from osgeo import gdal
import numpy as np
ds = gdal.GetDriverByName("GTiff").Create(sys.argv[1], 1024, 1024, 256, gdal.GDT_Float32, ["TILED=YES", "INTERLEAVE=PIXEL"])
rng = np.random.default_rng(0)
for b in range(256):
    ds.GetRasterBand(b + 1).WriteArray(rng.random((1024, 1024), dtype=np.float32))
ds = None
PY
  ls -la "$out/big.tif" | awk '{print "generated cube:", $5, "bytes"}'
  /usr/bin/time -f "1 GB GeoTIFF: wall %e s, peak RSS %M KB" $H info "$out/big.tif" > /dev/null
fi
rm -rf "$out"
