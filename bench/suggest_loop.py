# Labelling suggestions end to end, for every run EXP/runs/PREFIX_seed* of an `hsi experiment`:
# hsi suggest (one pixel a class) -> those pixels labelled from the ground truth -> hsi enrol (no
# retraining) -> hsi predict, against as many random pixels through the same route (DRAWS draws,
# default 5) and against the run's own map. OA over the run's test pixels minus the new labels.
# Usage: [WITHIN=GT[:VAR]] [ANY=0] [HSI=build/cli/hsi] /usr/bin/python3 bench/suggest_loop.py EXP PREFIX CUBE GT GT_VARIABLE
#   WITHIN: passed to hsi suggest --within (the benchmark's labelled pool); ANY=0 draws the random
#   pixels among the labelled ones too (else among every pixel not trained on; an unlabelled pick
#   is then labelled as a class the ground truth lacks, id 99).
# e.g. WITHIN=data/SalinasA_gt.mat:salinasA_gt ANY=0 /usr/bin/python3 bench/suggest_loop.py exp/ ms2d_fixed_3 \
#        data/SalinasA.mat:salinasA data/SalinasA_gt.mat salinasA_gt
import os, subprocess, sys, tempfile
import numpy as np
from osgeo import gdal
H = os.environ.get('HSI', 'build/cli/hsi')
exp, prefix, cube, gtpath, gtvar = sys.argv[1:6]
draws = int(os.environ.get('DRAWS', '5'))
T = tempfile.mkdtemp(prefix='hsi_suggest_')
OTHER = 99  # an unlabelled pick: the analyst names what it is, a class the ground truth lacks
ANY = os.environ.get('ANY', '1') == '1'  # random draws among every pixel not trained on (1) or the labelled ones (0)
WITHIN = ['--within', os.environ['WITHIN']] if os.environ.get('WITHIN') else []
import scipy.io as sio
if gtpath.endswith('.mat'):
    gt = sio.loadmat(gtpath)[gtvar].astype(np.int32)
else:
    gt = gdal.Open(gtpath).ReadAsArray().astype(np.int32)
def write(arr, path):
    d = gdal.GetDriverByName('GTiff').Create(path, arr.shape[1], arr.shape[0], 1, gdal.GDT_Int32)
    d.GetRasterBand(1).WriteArray(arr); d = None
def oa_after(run, picks, tag):
    lab = np.zeros_like(gt)
    for r, c in picks: lab[r, c] = gt[r, c] if gt[r, c] > 0 else OTHER
    write(lab, f'{T}/{tag}_labels.tif')
    subprocess.run([H, 'enrol', '--model', f'{run}/best.ckpt', '--labels', f'{T}/{tag}_labels.tif', '--input', cube, '--out', f'{T}/{tag}.ckpt', '--threads', '2'], check=True, capture_output=True)
    subprocess.run([H, 'predict', '--model', f'{T}/{tag}.ckpt', '--input', cube, '--out', f'{T}/{tag}_map.tif', '--threads', '2'], check=True, capture_output=True)
    m = gdal.Open(f'{T}/{tag}_map.tif').ReadAsArray()
    test = gdal.Open(f'{run}/split/test.tif').ReadAsArray() > 0
    for r, c in picks: test[r, c] = False
    return (m[test] == gt[test]).mean()
rows = {'none': [], 'random': [], 'suggest': []}
runs = sorted(d for d in os.listdir(f'{exp}/runs') if d.startswith(prefix + '_seed'))
rng = np.random.default_rng(1)
for d in runs:
    run = f'{exp}/runs/{d}'
    m = gdal.Open(f'{run}/map.tif').ReadAsArray(); test = gdal.Open(f'{run}/split/test.tif').ReadAsArray() > 0
    rows['none'].append((m[test] == gt[test]).mean())
    out = subprocess.run([H, 'suggest', '--model', f'{run}/best.ckpt', '--labels', f'{run}/split/train.tif'] + WITHIN + ['--input', cube, '--out', f'{T}/s.csv', '--threads', '2'], check=True, capture_output=True, text=True)
    picks = [tuple(map(int, l.split(',')[1:3])) for l in open(f'{T}/s.csv').read().splitlines()[1:]]
    rows['suggest'].append(oa_after(run, picks, 'sug'))
    train = gdal.Open(f'{run}/split/train.tif').ReadAsArray() > 0
    cand = np.argwhere(~train if ANY else (gt > 0) & ~train)
    rr = []
    for k in range(draws):
        sel = cand[rng.choice(len(cand), len(picks), replace=False)]
        rr.append(oa_after(run, [tuple(x) for x in sel], 'rnd'))
    rows['random'].append(np.mean(rr))
    print(d, 'picks', [int(gt[r, c]) for r, c in picks], 'none %.4f random %.4f suggest %.4f' % (rows['none'][-1], rows['random'][-1], rows['suggest'][-1]), flush=True)
for k, v in rows.items():
    print('%-8s mean %.4f std %.4f min %.4f' % (k, np.mean(v), np.std(v, ddof=1), np.min(v)))
