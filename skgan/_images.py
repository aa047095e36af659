"""Conversion between sklearn's sample matrices and the GAN's image tensors.

Everything the networks see passes through :class:`ImageLayout`: the flat
``(n_samples, n_features)`` matrix the estimator stores is scaled to the
generator's ``[-1, 1]`` range, laid out as ``(C, H, W)`` images and padded with
``-1`` (the darkest value) to a square side ``4 * 2**k`` so that every
discriminator block halves the map evenly down to ``4 x 4``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: Smallest image side (pixels) that still has a 2-D neighbourhood to convolve.
MIN_SIDE = 2
#: Smallest padded side: one stride-2 block down to the 4 x 4 head.
MIN_PADDED_SIDE = 8


def padded_side(height: int, width: int) -> int:
    """Smallest ``4 * 2**k >= max(height, width)`` with ``k >= 1``."""
    side = MIN_PADDED_SIDE
    while side < max(height, width):
        side *= 2
    return side


def infer_image_shape(n_features: int) -> tuple[int, int, int]:
    """Lay a flat vector out as the smallest square single-channel image."""
    side = math.isqrt(n_features)
    if side * side < n_features:
        side += 1
    return (1, side, side)


def normalize_image_shape(image_shape, name: str = "image_shape") -> tuple[int, int, int]:
    """Return ``(C, H, W)`` from a user's ``(H, W)`` or ``(C, H, W)``."""
    try:
        dims = tuple(int(d) for d in image_shape)
        exact = all(int(d) == d for d in image_shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be None or a tuple of 2 or 3 positive ints (H, W) or "
            f"(C, H, W); got {image_shape!r}."
        ) from None
    if len(dims) not in (2, 3) or not exact or min(dims) < 1:
        raise ValueError(
            f"{name} must be None or a tuple of 2 or 3 positive ints (H, W) or "
            f"(C, H, W); got {image_shape!r}."
        )
    return dims if len(dims) == 3 else (1, *dims)


def check_image_size(shape: tuple[int, int, int], n_features: int) -> None:
    """Raise a ValueError naming the size when an image is too small to convolve."""
    _, height, width = shape
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"Images must be at least {MIN_SIDE} x {MIN_SIDE} pixels; got "
            f"{height} x {width} (X has n_features = {n_features})."
        )


@dataclass(frozen=True)
class ImageLayout:
    """How flat samples map to padded, scaled image tensors and back.

    Parameters
    ----------
    n_features : int
        Length of one flat sample.
    shape : tuple of int
        ``(C, H, W)`` of one image; ``C * H * W >= n_features`` (a flat sample
        that is not a full image is padded at its end).
    data_range : tuple of float
        ``(low, high)`` of the input scale, mapped to ``[-1, 1]``.
    """

    n_features: int
    shape: tuple[int, int, int]
    data_range: tuple[float, float]

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def side(self) -> int:
        """Side of the padded square image the networks work on."""
        return padded_side(*self.shape[1:])

    @property
    def _scale(self) -> float:
        low, high = self.data_range
        return 2.0 / (high - low) if high > low else 1.0

    def _margins(self) -> tuple[int, int, int, int]:
        """``(left, right, top, bottom)`` padding that centres the image."""
        _, height, width = self.shape
        left, top = (self.side - width) // 2, (self.side - height) // 2
        return left, self.side - width - left, top, self.side - height - top

    def to_model(self, batch: torch.Tensor) -> torch.Tensor:
        """Flat raw samples ``(b, n_features)`` -> images ``(b, C, S, S)`` in [-1, 1]."""
        x = (batch.float() - self.data_range[0]) * self._scale - 1.0
        flat_pad = math.prod(self.shape) - self.n_features
        if flat_pad:
            x = F.pad(x, (0, flat_pad), value=-1.0)
        x = x.reshape(len(x), *self.shape)
        return F.pad(x, self._margins(), value=-1.0)

    def from_model(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(b, C, S, S)`` in [-1, 1] -> flat samples in the input's scale."""
        left, _, top, _ = self._margins()
        _, height, width = self.shape
        x = images[:, :, top : top + height, left : left + width]
        x = x.reshape(len(x), -1)[:, : self.n_features]
        return (x + 1.0) / self._scale + self.data_range[0]


class ImageBatches:
    """Re-iterable batches of model-ready images from in-memory samples.

    Each pass draws a fresh permutation when ``shuffle`` is true. Batches are
    sliced from ``data`` (kept in its compact dtype, e.g. uint8), moved to
    ``device`` and scaled there, so no per-sample collation happens and a
    NumPy ``data`` is never copied whole.

    Parameters
    ----------
    data : torch.Tensor or numpy.ndarray of shape (n_samples, n_features)
        Raw samples.
    layout : ImageLayout
        How to turn a batch into images.
    batch_size : int
        Samples per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new order for every pass, from torch's default generator of
        ``data``'s device (the CPU's for NumPy data, e.g. a ``numpy.memmap``,
        whose batches are then read from disk one at a time).
    device : str or torch.device, optional
        Where batches go; defaults to ``data``'s device (CPU for NumPy data).
    shard : tuple of int, default=(0, 1)
        ``(rank, world_size)`` for data-parallel training: every process
        draws the same order, cuts it into global batches of ``world_size *
        batch_size`` and takes its own ``batch_size`` slice of each; the last
        incomplete global batch is dropped, so all processes take equal steps.
    labels : torch.Tensor of shape (n_samples,), default=None
        Per-sample labels; when given, each batch is ``(images, labels)``.
    """

    def __init__(
        self, data, layout, batch_size, shuffle=False, device=None, shard=(0, 1), labels=None
    ):
        self.data = data
        self.layout = layout
        self.batch_size = batch_size
        self.shuffle = shuffle
        default = data.device if isinstance(data, torch.Tensor) else "cpu"
        self.device = torch.device(default if device is None else device)
        self.shard = shard
        self.labels = None if labels is None else labels.to(self.device)

    def _starts(self) -> range:
        rank, world = self.shard
        n = len(self.data)
        if world == 1:
            return range(0, n, self.batch_size)
        step = world * self.batch_size
        return range(rank * self.batch_size, n - step + 1 + rank * self.batch_size, step)

    def __len__(self) -> int:
        return len(self._starts())

    def __iter__(self):
        on_device = isinstance(self.data, torch.Tensor)
        order = None
        if self.shuffle:
            order = torch.randperm(len(self.data), device=self.data.device if on_device else "cpu")
        for start in self._starts():
            stop = start + self.batch_size
            if order is None:
                index = slice(start, stop)
            else:
                index = order[start:stop] if on_device else order[start:stop].numpy()
            images = self.layout.to_model(as_tensor(self.data[index], self.device))
            if self.labels is None:
                yield images
            else:
                if not isinstance(index, slice):
                    index = torch.as_tensor(index, device=self.device)
                yield images, self.labels[index]


def as_tensor(data, device="cpu") -> torch.Tensor:
    """Samples on ``device``, as uint8 when they are uint8, else as float32.

    NumPy input is always copied, so read-only arrays and memmaps are safe.
    """
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=True)
    dtype = np.uint8 if data.dtype == np.uint8 else np.float32
    return torch.tensor(np.asarray(data, dtype=dtype), device=device)
