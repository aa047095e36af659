"""The CIFAR-10 benchmark's helpers: the validation split and Coates & Ng's k-means features."""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _coates_kmeans import KMeansFeatures, _normalised  # noqa: E402
from cifar10_linear_probe import split  # noqa: E402


def test_the_validation_split_is_the_last_images_of_every_class():
    y = np.repeat(np.arange(3), 5)  # sorted by class, as the archive is
    X = np.arange(15)
    (pool, y_pool), (val, y_val) = split(X, y, 6)
    assert val.tolist() == [3, 4, 8, 9, 13, 14] and np.bincount(y_val).tolist() == [2, 2, 2]
    assert sorted(pool.tolist() + val.tolist()) == list(range(15))
    assert y_pool.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_patches_are_normalised_per_patch():
    patches = torch.tensor([[0.0, 10.0, 20.0, 30.0], [5.0, 5.0, 5.0, 5.0]])
    out = _normalised(patches)
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(2))
    assert torch.equal(out[1], torch.zeros(4))  # a flat patch stays flat (regularised var)


def test_kmeans_features_are_triangle_activations_pooled_by_quadrant():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 3, 12, 12), dtype=np.uint8)
    features = KMeansFeatures(n_centroids=5, n_patches=2000, random_state=0).fit(images)
    out = features.transform(images)
    assert out.shape == (12, 4 * 5) and out.dtype == np.float32 and (out >= 0).all()
    # Every centroid is nearer than the mean distance to some patches of some images.
    assert out.std(axis=0).min() > 0
    again = KMeansFeatures(n_centroids=5, n_patches=2000, random_state=0).fit(images)
    np.testing.assert_allclose(again.transform(images[:3]), out[:3], rtol=1e-5)
    # ZCA (unlike PCA whitening) is a symmetric map: patches stay patches.
    assert torch.allclose(features.whitening_, features.whitening_.T, atol=1e-5)
