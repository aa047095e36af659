"""Figures of a fitted extractor: generated samples and training curves.

matplotlib is an optional dependency (``pip install skgan[plot]``).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("skgan.plotting needs matplotlib: pip install 'skgan[plot]'") from exc
    return plt


def _grid(estimator, n: int, nrow: int, random_state) -> torch.Tensor:
    """``(C, rows, cols)`` tensor in [0, 1]: ``n`` generated images tiled ``nrow`` per row."""
    from torchvision.utils import make_grid

    check_is_fitted(estimator)
    images = estimator.sample(n, random_state=random_state).reshape(n, *estimator.image_shape_)
    low, high = estimator.data_range_
    tensor = (torch.as_tensor(images) - low) / (high - low if high > low else 1.0)
    grid = make_grid(tensor.clamp(0, 1), nrow=nrow, padding=1, pad_value=1.0)
    return grid[: estimator.image_shape_[0]]


def sample_grid(estimator, n: int = 64, nrow: int = 8, random_state=None) -> np.ndarray:
    """Generated images tiled into one ``(rows, cols, C)`` float array in [0, 1].

    Parameters
    ----------
    estimator : GANFeatureExtractor
        A fitted extractor.
    n : int, default=64
        Number of images.
    nrow : int, default=8
        Images per grid row.
    random_state : int, RandomState instance or None
        Seeds the noise.

    Returns
    -------
    grid : ndarray of shape (rows, cols, C)

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgan import GANFeatureExtractor
    >>> from skgan.plotting import sample_grid
    >>> X, _ = load_digits(return_X_y=True)
    >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
    >>> sample_grid(gan, n=16, nrow=4).shape
    (37, 37, 1)
    """
    return _grid(estimator, n, nrow, random_state).permute(1, 2, 0).numpy()


def save_samples(estimator, path, n: int = 64, nrow: int = 8, random_state=None) -> None:
    """Write a PNG grid of generated images (torchvision ``save_image``; no matplotlib).

    Parameters
    ----------
    estimator : GANFeatureExtractor
        A fitted extractor.
    path : str or path-like
        Where to write the PNG.
    n, nrow, random_state
        As for :func:`sample_grid`.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_digits
    >>> from skgan import GANFeatureExtractor
    >>> from skgan.plotting import save_samples
    >>> X, _ = load_digits(return_X_y=True)
    >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "samples.png")
    >>> save_samples(gan, path, n=16, nrow=4)
    >>> os.path.getsize(path) > 0
    True
    """
    from torchvision.utils import save_image

    save_image(_grid(estimator, n, nrow, random_state), str(path))


def plot_samples(estimator, n: int = 64, nrow: int = 8, random_state=None, ax=None):
    """Show a grid of generated images; return the matplotlib Figure.

    Parameters
    ----------
    estimator : GANFeatureExtractor
        A fitted extractor.
    n, nrow, random_state
        As for :func:`sample_grid`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skgan import GANFeatureExtractor
    >>> from skgan.plotting import plot_samples
    >>> X, _ = load_digits(return_X_y=True)
    >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
    >>> figure = plot_samples(gan, n=16, nrow=4)
    >>> figure.axes[0].get_title()
    '16 generated samples'
    """
    plt = _pyplot()
    grid = sample_grid(estimator, n, nrow, random_state)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{n} generated samples")
    ax.axis("off")
    return ax.figure


def plot_history(estimator, ax=None):
    """Plot the per-epoch losses and mean discriminator outputs; return the Figure.

    Parameters
    ----------
    estimator : GANFeatureExtractor
        A fitted extractor with at least one epoch of training.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skgan import GANFeatureExtractor
    >>> from skgan.plotting import plot_history
    >>> X, _ = load_digits(return_X_y=True)
    >>> gan = GANFeatureExtractor(n_epochs=2, width=8, latent_dim=8, random_state=0).fit(X)
    >>> len(plot_history(gan).axes[0].lines)
    4
    """
    plt = _pyplot()
    check_is_fitted(estimator)
    history = estimator.history_
    if not len(history):
        raise ValueError("history_ is empty: the extractor was fitted with n_epochs=0.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    epochs = history[:, "epoch"]
    labels = {"loss_d": "D loss", "loss_g": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))"}
    for key, label in labels.items():
        ax.plot(epochs, history[:, key], marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax.figure
