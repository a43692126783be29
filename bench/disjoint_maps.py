#!/usr/bin/env python3
"""Spatially disjoint train/test maps, as a benchmark's or a survey's: for each class, PATCHES
squares of SIDE x SIDE pixels at random places inside the class (clipped to it) are training;
every other labelled pixel is test. One pair per seed 0-4: OUT/tr{seed}.mat (variable tr) and
OUT/ts{seed}.mat (variable ts), for `hsi train --split.mode external`.
Usage: disjoint_maps.py LABELS[:VARIABLE] OUT [PATCHES=3] [SIDE=3]   (LABELS: .mat or a GDAL raster)"""
import sys

import numpy as np
import scipy.io

source, out = sys.argv[1], sys.argv[2]
patches = int(sys.argv[3]) if len(sys.argv) > 3 else 3
side = int(sys.argv[4]) if len(sys.argv) > 4 else 3
path, _, variable = source.partition(".mat:")
if variable:
    gt = scipy.io.loadmat(path + ".mat")[variable].astype(np.int32)
else:
    from osgeo import gdal
    gt = gdal.Open(source).ReadAsArray().astype(np.int32)
for seed in range(5):
    rng = np.random.default_rng(seed)
    train = np.zeros_like(gt)
    for c in np.unique(gt[gt > 0]):
        ys, xs = np.nonzero(gt == c)
        for i in rng.choice(len(ys), min(patches, len(ys)), replace=False):
            y0, x0 = ys[i] - side // 2, xs[i] - side // 2
            window = (slice(max(y0, 0), y0 + side), slice(max(x0, 0), x0 + side))
            train[window] = np.where(gt[window] == c, c, train[window])
    test = np.where(train > 0, 0, gt)
    scipy.io.savemat(f"{out}/tr{seed}.mat", {"tr": train.astype(np.uint8)})
    scipy.io.savemat(f"{out}/ts{seed}.mat", {"ts": test.astype(np.uint8)})
    print(f"seed {seed}: {int((train > 0).sum())} training, {int((test > 0).sum())} test pixels")
