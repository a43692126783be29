#!/usr/bin/env bash
# hsi (C++) against the same models in Python PyTorch (bench/reference/), alternating A B A B ...
# after a warm-up, same data, patch, batch size and threads. Prints medians and C++/Python
# ratios, the achieved GFLOP/s next to a float32 matrix multiply, and how inference time grows
# with the scene (Salinas-A mosaicked 1x, 4x, 16x).
# Usage: bench/compare.sh [pairs, default 5] [threads, default 2] [models, default ms2d]
#        (models: ms2d,ms3d; 3-D convolutions are slow on CPUs: ms3d adds about 2 minutes a pair)
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-5}
threads=${2:-2}
models=${3:-ms2d}
bash scripts/build.sh bench_compare
if ! /usr/bin/python3 -c "import torch, scipy" 2> /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-torch python3-scipy > /dev/null
fi
log=$(mktemp)
for model in ${models//,/ }; do
  CPP="build/bench/bench_compare --threads $threads --model $model"
  PY="/usr/bin/python3 bench/reference/ms2d_reference.py data --threads $threads --model $model"
  echo "$model warm-up..."
  $CPP > /dev/null
  $PY > /dev/null
  for i in $(seq "$pairs"); do
    echo "$model pair $i/$pairs"
    $CPP >> "$log"
    $PY >> "$log"
  done
done
echo "scaling (C++ ms2d inference, dense route)..."
for k in 1 2 4; do
  echo "tiles=$k $(build/bench/bench_compare --threads "$threads" --tiles "$k" --skip-train)" >> "$log"
done
/usr/bin/python3 - "$log" << 'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()) for line in open(sys.argv[1])]
def med(impl, model, key):
    return statistics.median(float(r[key]) for r in rows if r["impl"] == impl and r["model"] == model and "tiles" not in r)
for model in dict.fromkeys(r["model"] for r in rows if "tiles" not in r):
    print(f"\n{model + ', median over runs':34s} {'C++ (hsi)':>12s} {'Python':>12s} {'C++/Python':>11s}")
    for key, label in [("prep_s", "data preparation, one epoch (s)"), ("epoch_s", "training epoch, labelled set (s)"),
                       ("infer_px_s", "whole-scene inference (pixels/s)"), ("peak_rss_kb", "peak RSS (KB)")]:
        c, p = med("cpp", model, key), med("python", model, key)
        print(f"{label:34s} {c:12.3f} {p:12.3f} {c / p:11.3f}")
    print(f"hsi's data preparation in parts: fitting {1e3 * med('cpp', model, 'prep_fit_s'):.1f} ms, applying to the cube "
          f"{1e3 * med('cpp', model, 'prep_apply_s'):.1f} ms, cutting the windows {1e3 * med('cpp', model, 'prep_windows_s'):.1f} ms")
    ceilings = {k: med('cpp', model, k) for k in ('matmul_gflops', 'matmul_bf16_gflops', 'conv_gflops', 'conv_bf16_gflops')}
    best = max(ceilings.values())
    train, infer = med('cpp', model, 'train_gflops'), med('cpp', model, 'infer_gflops')
    print(f"ceilings in the same runs: float32 matmul {ceilings['matmul_gflops']:.1f}, bfloat16 matmul {ceilings['matmul_bf16_gflops']:.1f}, "
          f"float32 convolution {ceilings['conv_gflops']:.1f}, bfloat16 convolution {ceilings['conv_bf16_gflops']:.1f} GFLOP/s "
          f"(bf16 / fp32: matmul {ceilings['matmul_bf16_gflops'] / ceilings['matmul_gflops']:.2f}x, "
          f"convolution {ceilings['conv_bf16_gflops'] / ceilings['conv_gflops']:.2f}x)")
    print(f"achieved: training {train:.1f} GFLOP/s ({100 * train / best:.0f} % of the best ceiling), inference {infer:.1f} GFLOP/s "
          f"({100 * infer / best:.0f} %; dense route, work actually done)")
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
