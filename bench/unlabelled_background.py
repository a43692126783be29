#!/usr/bin/env python3
"""A synthetic scene on a real ground truth's grid whose unlabelled pixels are materials the class
table lacks, as on Pavia University (79 % of its pixels unlabelled): for measuring the scene and
propagated prototypes' free centres where the classes do not cover the scene.

Each labelled class and each of --materials background materials gets a smooth random spectrum
(close to the others: five sines of amplitude up to --spread around one base curve); background
pixels take their material from 40 x 40 blocks drawn at random. Every pixel is scaled by a smooth
random field (10 %, brightness and shading) and gets white noise (--noise). Writes CUBE.tif (int16
reflectance x 10,000, pixel-interleaved) and GT.tif (the ground truth as given).

usage: unlabelled_background.py GT.mat VARIABLE OUT_PREFIX [--materials 6] [--seed 1]
e.g.   bench/unlabelled_background.py ../shared/data/ground_truth/pavia_u/PaviaU_gt.mat paviaU_gt /tmp/pu
"""
import argparse

import numpy as np
import scipy.io as sio
from osgeo import gdal
from scipy.ndimage import gaussian_filter, zoom

ap = argparse.ArgumentParser()
ap.add_argument("gt")
ap.add_argument("variable")
ap.add_argument("out")
ap.add_argument("--bands", type=int, default=103)
ap.add_argument("--materials", type=int, default=6)
ap.add_argument("--spread", type=float, default=0.03)
ap.add_argument("--noise", type=float, default=0.02)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()

gt = sio.loadmat(a.gt)[a.variable].astype(np.int64)
rows, cols = gt.shape
classes = int(gt.max())
rng = np.random.default_rng(a.seed)
x = np.linspace(0, 1, a.bands)
base = 0.3 + 0.1 * np.sin(2 * np.pi * x)


def spectrum():
    return base + sum(rng.uniform(-a.spread, a.spread) * np.sin((j + 1) * np.pi * x + rng.uniform(0, 6)) for j in range(5))


spectra = np.array([spectrum() for _ in range(classes + a.materials)])
blocks = rng.integers(0, a.materials, size=(rows // 40 + 1, cols // 40 + 1))
material = classes + zoom(blocks, 40, order=0)[:rows, :cols]
material[gt > 0] = gt[gt > 0] - 1
shading = gaussian_filter(rng.normal(size=(rows, cols)), 3)
shading /= shading.std()
cube = spectra[material] * (1 + 0.1 * shading[..., None]) + rng.normal(scale=a.noise, size=(rows, cols, a.bands))
cube = np.clip(cube * 10000, -32768, 32767).astype(np.int16)

out = gdal.GetDriverByName("GTiff").Create(a.out + ".tif", cols, rows, a.bands, gdal.GDT_Int16,
                                           ["INTERLEAVE=PIXEL", "TILED=YES", "COMPRESS=DEFLATE"])
for b in range(a.bands):
    out.GetRasterBand(b + 1).WriteArray(cube[..., b])
out = None
labels = gdal.GetDriverByName("GTiff").Create(a.out + "_gt.tif", cols, rows, 1, gdal.GDT_Byte)
labels.GetRasterBand(1).WriteArray(gt.astype(np.uint8))
labels = None
print(f"{a.out}.tif: {rows} x {cols} x {a.bands}, {classes} classes, {a.materials} background materials, "
      f"{(gt == 0).mean() * 100:.0f} % unlabelled")
