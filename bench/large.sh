#!/usr/bin/env bash
# Streamed prediction of large synthetic scenes made by mosaicking Salinas-A (with a little
# noise so tiles differ): 1024x1024x224 and 2048x2048x224 int16 GeoTIFFs (0.47 GB, 1.9 GB).
# Prints wall time, pixels/s and peak RSS of `hsi predict --ram 512` for both.
# Usage: bench/large.sh CHECKPOINT   (a checkpoint trained on Salinas-A, e.g. runs/salinas_a/best.ckpt)
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=${1:?usage: bench/large.sh CHECKPOINT}
bash scripts/build.sh hsi
if ! /usr/bin/python3 -c "import scipy, osgeo" 2> /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-scipy python3-gdal > /dev/null
fi
out=$(mktemp -d)
for side in 1024 2048; do
  /usr/bin/python3 - "$side" "$out/scene_$side.tif" << 'PY'
import sys
import numpy as np
import scipy.io
from osgeo import gdal
side, path = int(sys.argv[1]), sys.argv[2]
cube = scipy.io.loadmat("data/SalinasA.mat")["salinasA"].astype(np.int16)  # 83 x 86 x 224
rows, cols, bands = cube.shape
ds = gdal.GetDriverByName("GTiff").Create(path, side, side, bands, gdal.GDT_Int16,
                                          ["TILED=YES", "INTERLEAVE=PIXEL", "BIGTIFF=YES"])
ds.SetGeoTransform([600000, 3.7, 0, 4000000, 0, -3.7])
rng = np.random.default_rng(0)
for y0 in range(0, side, 256):
    h = min(256, side - y0)
    ys = np.arange(y0, y0 + h) % rows
    xs = np.arange(side) % cols
    block = cube[ys][:, xs, :].astype(np.int32) + rng.integers(-5, 6, size=(h, side, bands))
    ds.WriteRaster(0, y0, side, h, block.astype(np.int16).transpose(2, 0, 1).tobytes(), band_list=list(range(1, bands + 1)))
ds = None
PY
  size=$(stat -c %s "$out/scene_$side.tif")
  echo "== ${side}x${side}x224 int16 ($((size / 1000000)) MB)"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" build/cli/hsi predict --model "$ckpt" --input "$out/scene_$side.tif" \
    --out "$out/map_$side.tif" --ram 512 --threads 2 2>&1 | grep -E "classified|wall"
  rm -f "$out/scene_$side.tif"
done
rm -rf "$out"
