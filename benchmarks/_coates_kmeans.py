"""Coates & Ng (2011) single-layer k-means features, the classic training-free CIFAR-10 peer.

"An Analysis of Single-Layer Networks in Unsupervised Feature Learning" (AISTATS
2011): random 6 x 6 patches, each brightness- and contrast-normalised, ZCA-whitened,
clustered by k-means (here scikit-learn's ``MiniBatchKMeans``); an image's features
are the "triangle" activations ``max(0, mean_k(z) - z_k)`` (``z_k`` the distance of
a patch to centroid ``k``) of every patch at stride 1, sum-pooled over the four
quadrants (27 positions a side: halves of 14 sharing the middle row and column):
``4 x n_centroids`` values. The paper reports 77.9 % on CIFAR-10 with
1600 centroids and all labels (L2-SVM).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import MiniBatchKMeans

PATCH = 6
#: The paper's regularisers: of the per-patch variance (pixels in 0..255) and of ZCA.
NORM_EPS = 10.0
ZCA_EPS = 0.1
#: Images per batch of the feature pass (memory: batch x 729 patches x centroids floats).
BATCH = 50


def _normalised(patches: torch.Tensor) -> torch.Tensor:
    """Each row (a flattened patch, 0..255) minus its mean, over its std (regularised)."""
    centred = patches - patches.mean(dim=-1, keepdim=True)
    return centred / torch.sqrt(centred.var(dim=-1, keepdim=True) + NORM_EPS)


def _patches(images: torch.Tensor) -> torch.Tensor:
    """All ``6 x 6`` patches at stride 1: ``(n, positions, 3 * 36)``."""
    return F.unfold(images, PATCH).transpose(1, 2)


class KMeansFeatures:
    """The fitted pipeline: whitening and centroids learned from training images.

    Parameters
    ----------
    n_centroids : int
        k-means clusters (the paper's best: 1600).
    n_patches : int
        Random patches the whitening and k-means are fitted on.
    random_state : int
        Seeds the patch draw and k-means.
    n_passes : int
        Most passes of mini-batch k-means over the patches (it stops earlier when the
        centroids settle; the paper ran 10 iterations of full k-means).
    """

    def __init__(
        self,
        n_centroids: int = 1600,
        n_patches: int = 400_000,
        random_state: int = 0,
        n_passes: int = 10,
    ):
        self.n_centroids = n_centroids
        self.n_patches = n_patches
        self.random_state = random_state
        self.n_passes = n_passes

    def fit(self, images: np.ndarray) -> KMeansFeatures:
        """Learn the ZCA whitening and the centroids from ``(n, 3, H, W)`` uint8 images."""
        rng = np.random.default_rng(self.random_state)
        n, _, height, width = images.shape
        which = rng.integers(0, n, self.n_patches)
        rows = rng.integers(0, height - PATCH + 1, self.n_patches)
        cols = rng.integers(0, width - PATCH + 1, self.n_patches)
        offsets = np.arange(PATCH)
        picked = images[
            which[:, None, None, None],
            np.arange(3)[None, :, None, None],
            (rows[:, None] + offsets)[:, None, :, None],
            (cols[:, None] + offsets)[:, None, None, :],
        ]
        patches = _normalised(torch.from_numpy(picked.reshape(self.n_patches, -1)).double())
        self.mean_ = patches.mean(dim=0)
        eigenvalues, eigenvectors = torch.linalg.eigh(torch.cov(patches.T))
        scale = 1.0 / torch.sqrt(eigenvalues + ZCA_EPS)
        self.whitening_ = (eigenvectors * scale) @ eigenvectors.T
        white = ((patches - self.mean_) @ self.whitening_).float().numpy()
        kmeans = MiniBatchKMeans(
            self.n_centroids,
            batch_size=4096,
            n_init=1,
            max_iter=self.n_passes,
            random_state=self.random_state,
        ).fit(white)
        self.centroids_ = torch.from_numpy(kmeans.cluster_centers_).float()
        self.mean_, self.whitening_ = self.mean_.float(), self.whitening_.float()
        return self

    def transform(self, images: np.ndarray) -> np.ndarray:
        """``(n, 4 * n_centroids)`` float32 features of ``(n, 3, H, W)`` uint8 images."""
        out = []
        squared_centroids = (self.centroids_**2).sum(dim=1)
        with torch.inference_mode():
            for start in range(0, len(images), BATCH):
                batch = torch.from_numpy(images[start : start + BATCH]).float()
                side = batch.shape[-1] - PATCH + 1
                white = (_normalised(_patches(batch)) - self.mean_) @ self.whitening_
                squared = (white**2).sum(dim=-1, keepdim=True)
                distances = squared - 2 * white @ self.centroids_.T + squared_centroids
                z = distances.clamp(min=0).sqrt()
                activation = (z.mean(dim=-1, keepdim=True) - z).clamp(min=0)
                grid = activation.reshape(len(batch), side, side, -1).permute(0, 3, 1, 2)
                # Four quadrants: sums over each half of each side (for an odd side
                # the halves share the middle row and column, as adaptive pooling cuts).
                pooled = F.adaptive_avg_pool2d(grid, 2) * math.ceil(side / 2) ** 2
                out.append(pooled.flatten(1).numpy())
        return np.concatenate(out)
