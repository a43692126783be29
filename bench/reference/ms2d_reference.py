#!/usr/bin/env python3
"""The ms2d and ms3d models of hsi written the way a typical Python toolbox does it:
scipy.io.loadmat, NumPy preprocessing, a per-pixel torch Dataset slicing a padded NumPy cube, a
DataLoader, and patch-wise inference. Same architectures, patch, batch size and thread count as
hsi (models/hsi_net.cpp).

Prints one line of "key=value" figures: prep_s, epoch_s, infer_s, infer_px_s, peak_rss_kb.
Usage: ms2d_reference.py DATA_DIR [--model ms2d|ms3d] [--threads N] [--patch P] [--tiles K]
"""
import argparse
import resource
import time

import numpy as np
import scipy.io
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiScale(nn.Module):
    def __init__(self, cin, width, kernels):
        super().__init__()
        self.kernels = kernels
        self.kmax = max(kernels)
        self.branches = nn.ModuleList([nn.Conv2d(cin, width, k, bias=False) for k in kernels])
        self.bn = nn.BatchNorm2d(width * len(kernels))

    def forward(self, x):
        outs = []
        for k, conv in zip(self.kernels, self.branches):
            y = conv(x)
            c = (self.kmax - k) // 2
            if c:
                y = y[:, :, c:-c, c:-c]
            outs.append(y)
        return F.relu(self.bn(torch.cat(outs, 1)))


class Tail(nn.Module):
    """Both models end alike: multiscale block 2, 1x1 head to the embedding, mean over the
    window, dropout, metric factor B, classifier."""

    def __init__(self, cin, size, classes, w, d, k, dropout):
        super().__init__()
        k2 = [k_ for k_ in (1, 3) if k_ <= size] or [1]
        self.block2 = MultiScale(cin, 2 * w // len(k2), k2)
        self.head = nn.Conv2d(2 * w // len(k2) * len(k2), d, 1, bias=False)
        self.head_bn = nn.BatchNorm2d(d)
        self.dropout = nn.Dropout(dropout)
        self.metric = nn.Linear(d, k, bias=False)
        self.classifier = nn.Linear(k, classes)

    def forward(self, x):
        x = F.relu(self.head_bn(self.head(self.block2(x)))).mean((2, 3))
        return self.classifier(self.metric(self.dropout(x)))


class MS2D(nn.Module):
    def __init__(self, bands, classes, patch, w=32, d=64, k=32, dropout=0.2):
        super().__init__()
        self.stem = nn.Conv2d(bands, 2 * w, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(2 * w)
        k1 = [k_ for k_ in (1, 3, 5) if k_ <= patch] or [1]
        self.block1 = MultiScale(2 * w, 3 * w // len(k1), k1)
        self.tail = Tail(3 * w // len(k1) * len(k1), patch - max(k1) + 1, classes, w, d, k, dropout)

    def forward(self, x):
        return self.tail(self.block1(F.relu(self.stem_bn(self.stem(x)))))


class MS3D(nn.Module):
    """A 3-D multiscale bank over (spectrum, rows, columns), spectra folded into channels, then
    the 2-D tail of MS2D."""

    def __init__(self, bands, classes, patch, w=32, d=64, k=32, dropout=0.2):
        super().__init__()
        c3 = max(4, w // 4)
        self.stem3d = nn.Conv3d(1, 8, (7, 1, 1), stride=(2, 1, 1), padding=(3, 0, 0), bias=False)
        self.stem3d_bn = nn.BatchNorm3d(8)
        self.kernels = [k_ for k_ in (1, 3, 5) if k_ <= patch] or [1]
        self.kmax = max(self.kernels)
        self.bank = nn.ModuleList([nn.Conv3d(8, c3, (7, k_, k_), stride=(2, 1, 1), padding=(3, 0, 0), bias=False)
                                   for k_ in self.kernels])
        self.bank_bn = nn.BatchNorm3d(c3 * len(self.kernels))
        b2 = ((bands - 1) // 2 + 1 - 1) // 2 + 1
        size = patch - self.kmax + 1
        self.fold = nn.Conv2d(c3 * len(self.kernels) * b2, 2 * w, 1, bias=False)
        self.fold_bn = nn.BatchNorm2d(2 * w)
        self.tail = Tail(2 * w, size, classes, w, d, k, dropout)

    def forward(self, x):
        x = F.relu(self.stem3d_bn(self.stem3d(x.unsqueeze(1))))
        outs = []
        for k_, conv in zip(self.kernels, self.bank):
            y = conv(x)
            c = (self.kmax - k_) // 2
            if c:
                y = y[:, :, :, c:-c, c:-c]
            outs.append(y)
        x = F.relu(self.bank_bn(torch.cat(outs, 1)))
        x = x.reshape(x.size(0), -1, x.size(3), x.size(4))
        return self.tail(F.relu(self.fold_bn(self.fold(x))))


class PatchDataset(torch.utils.data.Dataset):
    """One window per item, sliced out of the reflect-padded cube (the usual toolbox design)."""

    def __init__(self, padded, pixels, labels, patch):
        self.padded, self.pixels, self.labels, self.patch = padded, pixels, labels, patch

    def __len__(self):
        return len(self.pixels)

    def __getitem__(self, i):
        r, c = self.pixels[i]
        window = self.padded[r:r + self.patch, c:c + self.patch, :]
        return torch.from_numpy(np.ascontiguousarray(window.transpose(2, 0, 1))), int(self.labels[i])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--model", choices=["ms2d", "ms3d"], default="ms2d")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--patch", type=int, default=13)
    ap.add_argument("--tiles", type=int, default=1, help="mosaic the scene k x k for inference")
    ap.add_argument("--skip-train", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    cube = scipy.io.loadmat(f"{a.data_dir}/SalinasA.mat")["salinasA"].astype(np.float32)
    gt = scipy.io.loadmat(f"{a.data_dir}/SalinasA_gt.mat")["salinasA_gt"]
    drop = list(range(107, 112)) + list(range(153, 167)) + [223]
    cube = np.delete(cube, drop, axis=2)
    if a.tiles > 1:
        cube = np.tile(cube, (a.tiles, a.tiles, 1))
        gt = np.tile(gt, (a.tiles, a.tiles))
    rows, cols, bands = cube.shape
    labelled = np.argwhere(gt > 0)
    ids = np.unique(gt[gt > 0])
    targets = np.searchsorted(ids, gt[gt > 0])
    r = a.patch // 2

    # Data preparation for one epoch: normalisation (fitted on 10 pixels per class) + patches.
    t0 = time.perf_counter()
    train_idx = np.concatenate([rng.choice(np.flatnonzero(targets == c), 10, replace=False) for c in range(len(ids))])
    x = cube.reshape(-1, bands)
    sel = x[labelled[train_idx, 0] * cols + labelled[train_idx, 1]]
    mean, std = sel.mean(0), sel.std(0) + 1e-12
    z = (x - mean) / std
    cov = np.cov(((sel - mean) / std).T)
    w, v = np.linalg.eigh(cov)
    basis = v[:, ::-1][:, :30]
    pca = (z @ basis).astype(np.float32).reshape(rows, cols, 30)
    padded = np.pad(pca, ((r, r), (r, r), (0, 0)), mode="reflect")
    data = PatchDataset(padded, labelled, targets, a.patch)
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True)
    for xb, yb in loader:
        pass
    prep = time.perf_counter() - t0

    model = (MS2D if a.model == "ms2d" else MS3D)(30, len(ids), a.patch)
    epoch = 0.0
    if not a.skip_train:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
        model.train()
        t0 = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        epoch = time.perf_counter() - t0

    # Whole-scene inference, patch-wise, batches of 256.
    model.eval()
    everything = np.argwhere(np.ones((rows, cols), bool))
    scene = torch.utils.data.DataLoader(PatchDataset(padded, everything, np.zeros(len(everything)), a.patch), batch_size=256)
    t0 = time.perf_counter()
    with torch.no_grad():
        for xb, _ in scene:
            model(xb).argmax(1)
    infer = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"impl=python model={a.model} prep_s={prep:.4f} epoch_s={epoch:.4f} infer_s={infer:.4f} infer_px_s={rows * cols / infer:.1f} peak_rss_kb={rss}")


if __name__ == "__main__":
    main()
