#!/usr/bin/env bash
# hsi (C++) against the same ms2d in Python PyTorch (bench/reference/), alternating A B A B ...
# after a warm-up, same data, patch, batch size and threads. Prints medians and C++/Python
# ratios, the achieved GFLOP/s next to a float32 matrix multiply, and how inference time grows
# with the scene (Salinas-A mosaicked 1x, 4x, 16x).
# Usage: bench/compare.sh [pairs, default 5] [threads, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-5}
threads=${2:-2}
bash scripts/build.sh bench_compare
if ! /usr/bin/python3 -c "import torch, scipy" 2> /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-torch python3-scipy > /dev/null
fi
CPP="build/bench/bench_compare --threads $threads"
PY="/usr/bin/python3 bench/reference/ms2d_reference.py data --threads $threads"
log=$(mktemp)
echo "warm-up..."
$CPP > /dev/null
$PY > /dev/null
for i in $(seq "$pairs"); do
  echo "pair $i/$pairs"
  $CPP >> "$log"
  $PY >> "$log"
done
echo "scaling (C++ inference, dense route)..."
for k in 1 2 4; do
  echo "tiles=$k $($CPP --tiles "$k" --skip-train)" >> "$log"
done
/usr/bin/python3 - "$log" << 'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()) for line in open(sys.argv[1])]
def med(impl, key, tiles=None):
    vals = [float(r[key]) for r in rows if r["impl"] == impl and ("tiles" in r) == (tiles is not None) and (tiles is None or r["tiles"] == tiles)]
    return statistics.median(vals)
print(f"\n{'median over runs':34s} {'C++ (hsi)':>12s} {'Python':>12s} {'C++/Python':>11s}")
for key, label in [("prep_s", "data preparation, one epoch (s)"), ("epoch_s", "training epoch, labelled set (s)"),
                   ("infer_px_s", "whole-scene inference (pixels/s)"), ("peak_rss_kb", "peak RSS (KB)")]:
    c, p = med("cpp", key), med("python", key)
    print(f"{label:34s} {c:12.3f} {p:12.3f} {c / p:11.3f}")
print(f"\nachieved: training {med('cpp', 'train_gflops'):.1f} GFLOP/s, inference {med('cpp', 'infer_gflops'):.1f} GFLOP/s "
      f"(dense route, work actually done); float32 matmul ceiling {med('cpp', 'matmul_gflops'):.1f} GFLOP/s")
print(f"\n{'scaling':10s} {'pixels':>9s} {'infer (s)':>10s} {'us/pixel':>9s}")
base = None
for k in ["1", "2", "4"]:
    r = [x for x in rows if x.get("tiles") == k][0]
    t, px = float(r["infer_s"]), float(r["infer_px_s"]) * float(r["infer_s"])
    per = t / px * 1e6
    base = base or per
    print(f"{k + 'x' + k:10s} {px:9.0f} {t:10.4f} {per:9.3f}  ({per / base:.2f}x the 1x cost per pixel)")
PY
rm -f "$log"
