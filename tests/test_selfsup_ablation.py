"""The ablation benchmark's helpers (``benchmarks/selfsup_ablation.py``): read-outs, variants."""

import sys
from pathlib import Path

import numpy as np
from conftest import TINY
from torch.nn.utils import parametrize

from skgan import GANFeatureExtractor, _nets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from selfsup_ablation import fitted, read_outs  # noqa: E402


def test_each_read_out_starts_from_the_fits_own_parameters(digits):
    X = digits[0]
    extractor = GANFeatureExtractor(**TINY).fit(X)
    default = extractor.transform(X)
    readouts = {"pool2": {"pool_size": 2}, "conv": {"tap": "conv"}}
    got = {name: features for name, (features,) in read_outs(extractor, readouts, X)}
    # One block of 8 channels on a 4 x 4 map: 2 x 2 gives 32 features, 4 x 4 gives 128.
    assert got["pool2"].shape == (len(X), 8 * 4)
    # The conv read-out is read on the fit's own 4 x 4 grid, not the pool2 read-out's.
    conv = GANFeatureExtractor(**TINY, tap="conv").fit(X).transform(X)
    np.testing.assert_array_equal(got["conv"], conv)
    assert extractor.get_params()["pool_size"] == "auto"
    assert extractor.get_params()["tap"] == "activation"
    np.testing.assert_array_equal(extractor.transform(X), default)


def test_projection_widths_apply_to_one_fit_only(digits):
    X = digits[0][:64]
    params = {**TINY, "n_epochs": 1}
    wide = fitted(X, {**params, "projection": {"hidden": 2, "out": 4}})
    hidden, _, out = wide.discriminator_.projection
    assert (hidden.out_features, out.out_features) == (2 * 8 * 8, 4 * 2 * 8)
    assert _nets.projection_head.__name__ == "projection_head"
    hidden, _, out = fitted(X, params).discriminator_.projection
    assert (hidden.out_features, out.out_features) == (8 * 8, 2 * 8)


def test_spectral_convolutions_apply_to_one_fit_only(digits):
    X = digits[0][:64]
    params = {**TINY, "n_epochs": 1}
    normalised = fitted(X, {**params, "spectral": True})
    assert all(
        parametrize.is_parametrized(b.conv, "weight") for b in normalised.discriminator_.blocks
    )
    assert normalised.transform(X).shape == (len(X), 8 * 16)
    plain = fitted(X, params).discriminator_.blocks
    assert not any(parametrize.is_parametrized(b.conv, "weight") for b in plain)
