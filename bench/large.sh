#!/usr/bin/env bash
# Large rasters: streamed prediction of synthetic scenes made by mosaicking Salinas-A (with a
# little noise so tiles differ), 1024x1024x224 and 2048x2048x224 int16 GeoTIFFs (0.47 GB and
# 1.9 GB), then 16 tiles of 512x512 through batch prediction in one process and under
# `mpirun -np 2`. Prints wall time, pixels/s and peak RSS of `hsi predict --ram 512`, the
# streamed rate against the in-memory path on Salinas-A (alternated, bench_stream), and both
# batch wall times.
# Usage: bench/large.sh CHECKPOINT [pairs, default 3]  (a checkpoint trained on Salinas-A,
#        e.g. runs/salinas_a/best.ckpt)
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=${1:?usage: bench/large.sh CHECKPOINT [pairs]}
pairs=${2:-3}
bash scripts/build.sh hsi bench_stream
if ! /usr/bin/python3 -c "import scipy, osgeo" 2> /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-scipy python3-gdal > /dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
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
  echo "== ${side}x${side}x224 int16 ($((size / 1000000)) MB), hsi predict --ram 512 --threads 2"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" build/cli/hsi predict --model "$ckpt" --input "$out/scene_$side.tif" \
    --out "$out/map_$side.tif" --ram 512 --threads 2 2>&1 | grep -E "classified|wall"
  echo "== streamed against in-memory, alternated"
  build/bench/bench_stream "$ckpt" "$out/scene_$side.tif" 2 "$pairs"
  if [ "$side" = 2048 ]; then
    mkdir -p "$out/tiles"
    for y in 0 1 2 3; do
      for x in 0 1 2 3; do
        gdal_translate -q -srcwin $((x * 512)) $((y * 512)) 512 512 -co TILED=YES -co INTERLEAVE=PIXEL \
          "$out/scene_$side.tif" "$out/tiles/t_${y}_${x}.tif"
      done
    done
    echo "== 16 tiles of 512x512: batch prediction, one process (2 threads) and mpirun -np 2"
    /usr/bin/time -f "one process: wall %e s" build/cli/hsi predict --model "$ckpt" --inputs "$out/tiles/*.tif" \
      --out-dir "$out/maps_one" --threads 2 2>&1 | tail -2
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
    /usr/bin/time -f "mpirun -np 2: wall %e s" mpirun -np 2 --oversubscribe build/cli/hsi predict --model "$ckpt" \
      --inputs "$out/tiles/*.tif" --out-dir "$out/maps_mpi" 2>&1 | tail -2
    /usr/bin/python3 - "$out" << 'PY'
import glob, sys
import numpy as np
from osgeo import gdal
out = sys.argv[1]
differ = sum(int((gdal.Open(f).ReadAsArray() != gdal.Open(f.replace("maps_one", "maps_mpi")).ReadAsArray()).sum())
             for f in sorted(glob.glob(f"{out}/maps_one/*_map.tif")))
print(f"maps of one process and of mpirun differ in {differ} pixels")
PY
  fi
  rm -f "$out/scene_$side.tif"
done
