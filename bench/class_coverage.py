#!/usr/bin/env python3
"""Does a class fail where its training pixels do not reach? (README, "Where the weak seeds come from")

Reads the runs of `hsi experiment` folders (runs/NAME/split/train.tif, split/test.tif, map.tif)
and, for one class id:
  1. the class's "missed part": its test pixels that at least --min-runs of the --reference runs
     mapped to another class;
  2. for every run: how many of the class's training pixels lie in that part, and how many of
     its test pixels the run got wrong.
If the runs without a training pixel in the part are the ones that lose it, the class has a
sub-population its other pixels do not teach.

Needs python3 and GDAL's gdal_translate (installed by scripts/install-deps.sh); nothing else.

usage: bench/class_coverage.py --class-id 10 --reference EXP/runs/cnn2d_dpp_fixed_1_seed0,... EXP [EXP ...]
"""
import argparse
import glob
import os
import subprocess
import tempfile
from collections import Counter


def read_raster(path, scratch):
    """A single-band raster as a list of rows of ints (through GDAL's ASCII grid)."""
    out = os.path.join(scratch, f"{len(os.listdir(scratch))}.asc")
    subprocess.run(["gdal_translate", "-q", "-of", "AAIGrid", path, out], check=True)
    with open(out) as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    # An ASCII grid has a header of keyword lines before the rows of values.
    rows = [line for line in lines if not line.split()[0][0].isalpha()]
    return [[int(float(v)) for v in row.split()] for row in rows]


def pixels_of(grid, value):
    return {(y, x) for y, row in enumerate(grid) for x, v in enumerate(row) if v == value}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--class-id", type=int, required=True)
    p.add_argument("--reference", required=True, help="comma-separated run folders that define the missed part")
    p.add_argument("--min-runs", type=int, default=2, help="a pixel is in the part when this many reference runs miss it")
    p.add_argument("experiments", nargs="+", help="hsi experiment output folders (their runs/* are read)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        missed = Counter()
        for run in a.reference.split(","):
            test = read_raster(os.path.join(run, "split", "test.tif"), scratch)
            pred = read_raster(os.path.join(run, "map.tif"), scratch)
            for y, x in pixels_of(test, a.class_id):
                if pred[y][x] != a.class_id:
                    missed[(y, x)] += 1
        part = {pixel for pixel, n in missed.items() if n >= a.min_runs}
        total = None
        print(f"class {a.class_id}: missed part of {len(part)} pixels (missed by >= {a.min_runs} of {len(a.reference.split(','))} reference runs)")
        for exp in a.experiments:
            for run in sorted(glob.glob(os.path.join(exp, "runs", "*"))):
                train = pixels_of(read_raster(os.path.join(run, "split", "train.tif"), scratch), a.class_id)
                test_grid = read_raster(os.path.join(run, "split", "test.tif"), scratch)
                pred = read_raster(os.path.join(run, "map.tif"), scratch)
                test = pixels_of(test_grid, a.class_id)
                if total is None:
                    total = len(train) + len(test)
                wrong = sum(1 for y, x in test if pred[y][x] != a.class_id)
                print(f"{os.path.basename(run):32s} training pixels {len(train):3d}, in the part {len(train & part):3d}; "
                      f"test pixels wrong {wrong:4d} of {len(test)}")
        if total:
            miss = 1 - len(part) / total
            print(f"a random pixel of the class misses the part with probability {miss:.2f}; N pixels all miss it with {miss:.2f}^N")


if __name__ == "__main__":
    main()
