"""The ablation benchmark's read-outs (``benchmarks/selfsup_ablation.py``)."""

import sys
from pathlib import Path

import numpy as np
from conftest import TINY

from skgan import GANFeatureExtractor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from selfsup_ablation import read_outs  # noqa: E402


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
    assert extractor.get_params()["pool_size"] == 4
    assert extractor.get_params()["tap"] == "activation"
    np.testing.assert_array_equal(extractor.transform(X), default)
