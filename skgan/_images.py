"""Conversion between sklearn's sample matrices and the GAN's image tensors.

Everything the networks see passes through :class:`ImageLayout`: the flat
``(n_samples, n_features)`` matrix the estimator stores is scaled to the
generator's ``[-1, 1]`` range, laid out as ``(C, H, W)`` images and padded with
``-1`` (the darkest value) to a square side ``4 * 2**k`` so that every
discriminator block halves the map evenly down to ``4 x 4``.

A map-style :class:`torch.utils.data.Dataset` enters as
:class:`DatasetSamples`, which looks like that matrix to the code that uses it
(length, shape, row indexing) but is read lazily, batch by batch, by a
:class:`~torch.utils.data.DataLoader`; :class:`ImageBatches` turns either into
model-ready batches.
"""

from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, IterableDataset

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

    def scaled_images(self, batch: torch.Tensor) -> torch.Tensor:
        """Flat raw samples ``(b, n_features)`` -> unpadded images ``(b, C, H, W)`` in [-1, 1]."""
        x = (batch.float() - self.data_range[0]) * self._scale - 1.0
        flat_pad = math.prod(self.shape) - self.n_features
        if flat_pad:
            x = F.pad(x, (0, flat_pad), value=-1.0)
        return x.reshape(len(x), *self.shape)

    def rows(self, images: torch.Tensor) -> torch.Tensor:
        """Unpadded images ``(b, C, H, W)`` in [-1, 1] -> flat samples in the input's scale."""
        x = images.reshape(len(images), -1)[:, : self.n_features]
        return (x + 1.0) / self._scale + self.data_range[0]

    def to_model(self, batch: torch.Tensor) -> torch.Tensor:
        """Flat raw samples ``(b, n_features)`` -> images ``(b, C, S, S)`` in [-1, 1]."""
        return F.pad(self.scaled_images(batch), self._margins(), value=-1.0)

    def from_model(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(b, C, S, S)`` in [-1, 1] -> flat samples in the input's scale."""
        left, _, top, _ = self._margins()
        _, height, width = self.shape
        return self.rows(images[:, :, top : top + height, left : left + width])


class ImageBatches:
    """Re-iterable batches of model-ready images from in-memory samples.

    Each pass draws a fresh permutation when ``shuffle`` is true. Batches are
    sliced from ``data`` (kept in its compact dtype, e.g. uint8), moved to
    ``device`` and scaled there, so no per-sample collation happens and a
    NumPy ``data`` is never copied whole.

    A :class:`DatasetSamples` is read by its DataLoader instead, over the same
    batches of indices (same order, same shards), so its items are read and
    transformed only as their batch comes up.

    Parameters
    ----------
    data : torch.Tensor, numpy.ndarray or DatasetSamples of shape (n_samples, n_features)
        Raw samples.
    layout : ImageLayout
        How to turn a batch into images.
    batch_size : int
        Samples per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new order for every pass, from torch's default generator of
        ``data``'s device (the CPU's for NumPy data, e.g. a ``numpy.memmap``,
        whose batches are then read from disk one at a time, and for a
        Dataset).
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

    def _index_batches(self) -> list:
        """One pass's batches of indices: slices in order, or pieces of a fresh permutation."""
        on_device = isinstance(self.data, torch.Tensor)
        n = len(self.data)
        if not self.shuffle:
            return [slice(start, min(start + self.batch_size, n)) for start in self._starts()]
        order = torch.randperm(n, device=self.data.device if on_device else "cpu")
        pieces = [order[start : start + self.batch_size] for start in self._starts()]
        return pieces if on_device else [piece.numpy() for piece in pieces]

    def __iter__(self):
        indices = self._index_batches()
        if isinstance(self.data, DatasetSamples):
            # Read by the Dataset's DataLoader, over the same batches of indices.
            samples = self.data.batches(
                range(i.start, i.stop) if isinstance(i, slice) else i.tolist() for i in indices
            )
        else:
            samples = (self.data[index] for index in indices)
        for index, batch in zip(indices, samples, strict=True):
            images = self.layout.to_model(as_tensor(batch, self.device))
            if self.labels is None:
                yield images
            else:
                if not isinstance(index, slice):
                    index = torch.as_tensor(index, device=self.labels.device)
                yield images, self.labels[index]


def in_input_layout(
    flat: np.ndarray, shape: tuple[int, int, int], ndim: int, channels_last: bool = False
) -> np.ndarray:
    """Flat rows shaped like the ``X`` given to ``fit``: ``ndim`` 2, 3 ``(n, H, W)`` or 4
    (``(n, H, W, C)`` when that ``X`` came ``channels_last``)."""
    if ndim == 2:
        return flat
    images = flat.reshape(len(flat), *(shape if ndim == 4 else shape[1:]))
    return np.ascontiguousarray(np.moveaxis(images, 1, -1)) if channels_last else images


def as_tensor(data, device="cpu") -> torch.Tensor:
    """Samples on ``device``, as uint8 when they are uint8, else as float32.

    NumPy input is always copied, so read-only arrays and memmaps are safe.
    A tensor moves asynchronously only from the host to a GPU, where the
    stream orders the copy before any kernel that reads it; a copy to the host
    that did not wait could be read before it has landed.
    """
    if isinstance(data, torch.Tensor):
        device = torch.device(device)
        return data.to(device, non_blocking=data.device.type == "cpu" and device.type == "cuda")
    dtype = np.uint8 if data.dtype == np.uint8 else np.float32
    return torch.tensor(np.asarray(data, dtype=dtype), device=device)


def resident_nbytes(data) -> int:
    """Bytes that :func:`as_tensor` of in-memory samples ``data`` takes on a device."""
    itemsize = 1 if data.dtype in (np.uint8, torch.uint8) else 4
    return math.prod(data.shape) * itemsize


# ---------------------------------------------------------------- torch Datasets
def is_dataset(X) -> bool:
    """Whether ``X`` is a torch Dataset (map-style or not), rather than array-like."""
    return isinstance(X, Dataset)


@contextmanager
def isolated_rng(seed: int = 0):
    """Run the block with torch's CPU generator seeded with ``seed``; restore it after.

    Reads of a Dataset outside the training epochs run in here, so random
    transforms in the Dataset are deterministic there and draw nothing from
    the caller's (or the training's) random stream.
    """
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        yield


def _loader_generator() -> torch.Generator:
    """A generator for a DataLoader's worker seeds, derived from torch's RNG state.

    Without one, a DataLoader draws its base seed from torch's default
    generator, which would shift the training's noise; hashing the state reads
    it without drawing, so the seeds are reproducible (a seeded fit always has
    the same state here, a resumed one too) and ``num_workers`` does not change
    the training of a Dataset whose items are deterministic.
    """
    state = torch.get_rng_state().numpy().tobytes()
    seed = int.from_bytes(hashlib.blake2b(state, digest_size=8).digest(), "little")
    return torch.Generator().manual_seed(seed)


ITEM_FORMS = "(C, H, W), (H, W) or flat (n_features,)"


def _split_item(item):
    """``(image, label)`` of a Dataset item; ``label`` is None for a bare image or 1-tuple."""
    if isinstance(item, (tuple, list)):
        if not item:
            return item, None
        return item[0], (item[1] if len(item) > 1 else None)
    return item, None


def _item_array(image, i: int) -> np.ndarray:
    """The image of item ``i`` as a NumPy array of numbers, in ``(C, H, W)`` order."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        if image.dtype in (torch.bfloat16, torch.float16):
            image = image.float()
        array = image.numpy()
    elif type(image).__module__.startswith("PIL."):
        array = np.asarray(image)
        if array.ndim == 3:  # PIL is (H, W, C)
            array = array.transpose(2, 0, 1)
    else:
        try:
            array = np.asarray(image)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Item {i} of X could not be made into an array ({exc}); a Dataset's items "
                f"must be images of numbers."
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Item {i} of X holds {type(image).__name__} of dtype {array.dtype}; a Dataset's "
            f"items must be images of numbers (uint8 or float pixel values): tensors, arrays "
            f"or PIL images of shape {ITEM_FORMS}, or (image, label) tuples."
        )
    return array


class _Rows(Dataset):
    """Item ``i`` of a user's Dataset as one checked, flat row (and its label).

    Runs where the DataLoader reads (in its workers, if any), so the checks and
    the flattening are spread over them too.
    """

    def __init__(self, dataset, item_shape, dtype, labels: bool):
        self.dataset = dataset
        self.item_shape = item_shape
        self.dtype = dtype
        self.labels = labels

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i):
        image, label = _split_item(self.dataset[i])
        array = _item_array(image, i)
        if array.shape != self.item_shape:
            raise ValueError(
                f"Item {i} of X has shape {array.shape}, but item 0 has shape "
                f"{self.item_shape}; a Dataset's items must all have the same shape."
            )
        if self.dtype == np.uint8 and array.dtype != np.uint8:
            raise TypeError(
                f"Item 0 of X is uint8, so every item must be (uint8 rows are kept compact); "
                f"item {i} is {array.dtype}."
            )
        with np.errstate(over="ignore"):
            row = array.reshape(-1).astype(self.dtype, copy=False)
        if row.dtype.kind == "f" and not np.isfinite(row).all():
            raise ValueError(
                f"Item {i} of X contains NaN, infinity or a value too large for float32."
            )
        if not self.labels:
            return row
        if isinstance(label, torch.Tensor) and label.numel() == 1:
            label = label.item()
        return row, label


def _stack(items):
    """Collate rows (with labels) into an ``(b, n_features)`` array (and a list)."""
    if isinstance(items[0], tuple):
        rows, labels = zip(*items, strict=True)
        return np.stack(rows), list(labels)
    return np.stack(items)


class DatasetSamples:
    """A map-style torch Dataset seen as an ``(n_samples, n_features)`` matrix, read lazily.

    Item ``i`` is an image (a tensor, an ndarray or a PIL image) of shape
    ``(C, H, W)``, ``(H, W)`` or flat ``(n_features,)``, or a tuple or list
    whose first element is one, such as the ``(image, label)`` pairs of
    torchvision datasets. Item 0 sets the shape and the dtype of the rows:
    uint8 when it is uint8, else float32. Each item read is checked against it
    and flattened to one row; nothing is read ahead of need.

    Reading is done by a :class:`~torch.utils.data.DataLoader` over batches of
    indices the caller gives (:meth:`batches`, used by :class:`ImageBatches`),
    with ``num_workers`` worker processes, so the Dataset's own transforms run
    lazily, batch by batch. Indexing with an index array or slice reads those
    rows into an array, like indexing an array would.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Map-style: ``__len__`` and ``__getitem__`` of ints.
    num_workers : int, default=0
        DataLoader worker processes; 0 reads in the calling process.
    batch_size : int, default=512
        Items per read of :meth:`__getitem__` and :meth:`value_range`.
    """

    def __init__(self, dataset, num_workers: int = 0, batch_size: int = 512):
        need = "skgan needs a map-style torch Dataset (with __len__ and __getitem__)"
        if isinstance(dataset, IterableDataset):
            raise TypeError(
                f"X is an IterableDataset, which has no length or random access; {need}. "
                f"Wrap its items in a map-style Dataset, or pass an array."
            )
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(f"X ({type(dataset).__name__}) has no __len__; {need}.") from None
        if n == 0:
            raise ValueError("X is an empty Dataset (len(X) == 0): it has no images.")
        self.dataset = dataset
        self.num_workers = num_workers
        self.batch_size = batch_size
        self._n = n
        with isolated_rng():
            image, label = _split_item(dataset[0])
        on_device = isinstance(image, torch.Tensor) and image.device.type != "cpu"
        if on_device and num_workers > 0:
            # A forked worker cannot use CUDA: it would fail deep inside the
            # DataLoader ("Cannot re-initialize CUDA in forked subprocess").
            raise ValueError(
                f"Item 0 of X is a tensor on {image.device}; DataLoader worker processes "
                f"(num_workers={num_workers}) cannot make or read device tensors. Give CPU "
                f"tensors (skgan moves each batch to the device itself), or set num_workers=0."
            )
        first = _item_array(image, 0)
        if first.ndim not in (1, 2, 3):
            raise ValueError(
                f"Item 0 of X has shape {first.shape}; a Dataset's items must be images of "
                f"shape {ITEM_FORMS}, or (image, label) tuples."
            )
        #: Shape of one item's image, as the Dataset gives it.
        self.item_shape = first.shape
        self.dtype = np.dtype(np.uint8 if first.dtype == np.uint8 else np.float32)
        #: Whether items are ``(image, label, ...)`` tuples (judged by item 0).
        self.has_labels = label is not None

    def __len__(self) -> int:
        return self._n

    @property
    def shape(self) -> tuple[int, int]:
        return (self._n, math.prod(self.item_shape))

    @property
    def ndim(self) -> int:
        return 2

    def batches(self, indices, labels: bool = False):
        """Rows ``(b, n_features)`` (and label lists) of each batch of ``indices``, in order.

        ``indices`` is an iterable of sequences of item indices, consumed as the
        DataLoader goes.
        """
        rows = _Rows(self.dataset, self.item_shape, self.dtype, labels and self.has_labels)
        loader = DataLoader(
            rows,
            batch_sampler=indices,
            num_workers=self.num_workers,
            collate_fn=_stack,
            generator=_loader_generator(),
        )
        yield from loader

    def rows(self, index, labels: bool = False):
        """Rows at ``index`` (ints or a slice) as an array; with ``labels``, also their labels.

        The labels are None when the items are bare images.
        """
        index = np.arange(self._n)[index] if isinstance(index, slice) else np.asarray(index)
        index = index.reshape(-1)
        out = np.empty((len(index), self.shape[1]), dtype=self.dtype)
        labels_read = labels and self.has_labels
        found = []
        chunks = (
            index[start : start + self.batch_size].tolist()
            for start in range(0, len(index), self.batch_size)
        )
        start = 0
        with isolated_rng():
            for batch in self.batches(chunks, labels=labels_read):
                if labels_read:
                    batch, batch_labels = batch
                    found += batch_labels
                out[start : start + len(batch)] = batch
                start += len(batch)
        if not labels:
            return out
        return out, (np.asarray(found) if labels_read else None)

    def __getitem__(self, index) -> np.ndarray:
        return self.rows(index)

    def value_range(self) -> tuple[float, float]:
        """``(min, max)`` over all items: one pass over the Dataset, batch by batch."""
        low, high = math.inf, -math.inf
        chunks = (
            range(start, min(start + self.batch_size, self._n))
            for start in range(0, self._n, self.batch_size)
        )
        with isolated_rng():
            for batch in self.batches(chunks):
                low, high = min(low, float(batch.min())), max(high, float(batch.max()))
        return low, high


def value_range(data) -> tuple[float, float]:
    """``(min, max)`` of raw samples: of an array, or of a Dataset in one streaming pass."""
    if isinstance(data, DatasetSamples):
        return data.value_range()
    return float(data.min()), float(data.max())
