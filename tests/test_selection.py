import numpy as np
import pytest

from skgan._selection import SCORE_SAMPLES, probe_accuracy, rankme, subsample


def test_rankme_counts_equally_weighted_directions(rng):
    basis = np.linalg.qr(rng.normal(size=(50, 50)))[0]
    spread = rng.normal(size=(400, 5)) @ basis[:5]
    assert rankme(spread) == pytest.approx(5, rel=0.2)
    one_direction = rng.normal(size=(400, 1)) * basis[:1]
    assert rankme(one_direction + 1e-6 * rng.normal(size=(400, 50))) < rankme(spread)


def test_probe_accuracy_separates_separable_classes_and_not_noise(rng):
    y = np.repeat([0, 1], 100)
    separable = rng.normal(size=(200, 5)) + 5 * y[:, None]
    assert probe_accuracy(separable, y) == 1.0
    assert probe_accuracy(rng.normal(size=(200, 5)), y) < 0.7


def test_subsample_is_stratified_and_bounded(rng):
    y = np.repeat(np.arange(10), 300)
    index = subsample(len(y), y, random_state=0)
    assert len(index) == SCORE_SAMPLES
    assert np.all(np.bincount(y[index]) == SCORE_SAMPLES // 10)
    np.testing.assert_array_equal(subsample(50, None, random_state=0), np.arange(50))
