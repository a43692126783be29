#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) into build-fuzz/ and runs each for a
# bounded number of executions from a seed corpus of real files. A crash leaves its input in
# build-fuzz/crashes/ and fails the script; such inputs become regression tests.
# Each harness stops at RUNS executions or SECONDS of fuzzing, whichever comes first, so the
# script's time is bounded on any machine however slow its inputs turn out to be.
# Usage: scripts/fuzz.sh [RUNS per harness, default 20000] [SECONDS per harness, default 120]
#        scripts/fuzz.sh --build-only
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
if [ "${1:-}" = "--build-only" ]; then build_only=true; shift; fi
runs=${1:-20000}
seconds=${2:-120}
bash scripts/install-deps.sh
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSI_FUZZ=ON > /dev/null
fi
if ! ninja -C build-fuzz fuzz_config fuzz_mat fuzz_hdf5 fuzz_gdal fuzz_checkpoint fuzz_vector > build-fuzz/build.log 2>&1; then
  tail -n 60 build-fuzz/build.log
  echo "fuzz.sh: the harnesses did not build (whole log: build-fuzz/build.log)" >&2
  exit 1
fi
grep -E 'warning:' build-fuzz/build.log || true
$build_only && exit 0

seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{config,mat,hdf5,gdal,checkpoint,vector} build-fuzz/crashes
cp configs/*.ini "$seeds/config/"
cp data/SalinasA_gt.mat "$seeds/mat/"
shared=data/ground_truth
[ -d "$shared" ] && cp "$shared"/indian_pines/Indian_pines_gt.mat "$shared"/ksc/KSC_gt.mat "$shared"/botswana/Botswana_gt.mat "$seeds/mat/" || true
[ -d "$shared" ] && cp "$shared"/indian_pines/indianpines_ts.tif "$seeds/gdal/" || true
# Small HDF5 (netCDF-4 is HDF5 underneath) and GeoTIFF seeds made with GDAL.
gdal_create -q -of netCDF -co FORMAT=NC4 -outsize 16 16 -bands 3 -ot Int16 -burn 7 "$seeds/hdf5/cube.h5" 2>/dev/null || true
gdal_create -q -of GTiff -outsize 16 16 -bands 4 -ot Int16 -burn 3 -a_srs EPSG:32633 -a_ullr 0 16 16 0 "$seeds/gdal/cube.tif" 2>/dev/null || true
# GeoJSON ground truth: polygons, a point and a line, classes by id and by name, a layer in
# another CRS.
cat > "$seeds/vector/fields.geojson" <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"class":1},"geometry":{"type":"Polygon","coordinates":[[[1,1],[6,1],[6,6],[1,6],[1,1]]]}},
{"type":"Feature","properties":{"class":7},"geometry":{"type":"Polygon","coordinates":[[[4,4],[12,4],[12,9],[4,9],[4,4]]]}},
{"type":"Feature","properties":{"class":1},"geometry":{"type":"Point","coordinates":[14.5,2.5]}},
{"type":"Feature","properties":{"class":7},"geometry":{"type":"LineString","coordinates":[[0,15],[15,10]]}}]}
JSON
cat > "$seeds/vector/names.geojson" <<'JSON'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32633"}},"features":[
{"type":"Feature","properties":{"class":"Field","note":"survey 3"},"geometry":{"type":"MultiPolygon","coordinates":[[[[2,2],[8,2],[8,8],[2,2]]]]}},
{"type":"Feature","properties":{"class":"roof"},"geometry":{"type":"Polygon","coordinates":[[[9,9],[15,9],[15,15],[9,15],[9,9]],[[10,10],[11,10],[11,11],[10,10]]]}},
{"type":"Feature","properties":{"class":null},"geometry":null}]}
JSON
if [ -x build/cli/hsi ]; then
  tmp=$(mktemp -d)
  build/cli/hsi train --config configs/salinas_a.ini --patch 3 --model.width 4 --model.embedding 8 --model.metric_dim 4 \
    --train.epochs 1 --train.min_steps 1 --finetune.enabled false --out "$tmp/run" > /dev/null
  cp "$tmp/run/best.ckpt" "$seeds/checkpoint/"
  rm -rf "$tmp"
fi

# The harnesses write each input to a file in $TMPDIR; keep those (and anything a library leaves)
# inside the build folder rather than /tmp.
export TMPDIR="$PWD/build-fuzz/tmp"
mkdir -p "$TMPDIR"
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for h in config mat hdf5 gdal checkpoint vector; do
  echo "== fuzz_$h (at most $runs executions or $seconds s)"
  if ! build-fuzz/fuzz/fuzz_$h -seed=1 -runs="$runs" -max_len=65536 -rss_limit_mb=4096 -timeout=20 -max_total_time="$seconds" \
       -artifact_prefix=build-fuzz/crashes/$h- "$seeds/$h" 2>&1 | grep -E "^#[0-9]+ +DONE|ERROR|SUMMARY|crash-|Done"; then
    :
  fi
  if ls build-fuzz/crashes/$h-* > /dev/null 2>&1; then
    echo "fuzz_$h: crash found, input kept in build-fuzz/crashes/"
    status=1
  fi
done
exit $status
