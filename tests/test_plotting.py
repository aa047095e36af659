import numpy as np
import pytest
from conftest import TINY

from skgan import GANFeatureExtractor
from skgan.plotting import plot_history, plot_samples, sample_grid, save_samples

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_sample_grid_tiles_images_in_unit_range(fitted):
    grid = sample_grid(fitted, n=6, nrow=3, random_state=0)
    assert grid.shape == (2 * 9 + 1, 3 * 9 + 1, 1)
    assert 0.0 <= grid.min() and grid.max() <= 1.0
    np.testing.assert_array_equal(grid, sample_grid(fitted, n=6, nrow=3, random_state=0))


def test_plot_samples_and_history_return_figures(digits):
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(digits[0])
    figure = plot_samples(est, n=4, nrow=2)
    assert figure.axes and figure.axes[0].images
    figure = plot_history(est)
    assert len(figure.axes[0].lines) == 4
    assert list(figure.axes[0].lines[0].get_xdata()) == [1, 2]


def test_plot_history_of_untrained_extractor_is_a_clear_error(digits):
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 0}).fit(digits[0])
    with pytest.raises(ValueError, match="n_epochs=0"):
        plot_history(est)


def test_save_samples_writes_a_png(fitted, tmp_path):
    path = tmp_path / "grid.png"
    save_samples(fitted, path, n=4, nrow=2, random_state=0)
    assert path.read_bytes()[:4] == b"\x89PNG"
