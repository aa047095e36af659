"""Input validation that returns a value and assigns nothing.

:func:`validate_images` checks ``X`` (an array-like of 2-D rows, 3-D or 4-D
images, a memmap or a torch Dataset) and returns it as :class:`Images`: the
rows, their image layout, the input's dimensionality and column names. With
no fitted GAN it learns the layout from ``X`` and the parameters; with one it
checks ``X`` against the fitted layout. The estimator assigns what it learned
only after every check and the training have succeeded. The parameters that
decide the layout come as :class:`InputOptions`, by default read from the
estimator's attributes of the same names, so every transformer of the package
(``GANFeatureExtractor``, ``DiscriminatorFeatures``, ``GeneratorInversion``)
validates its input here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import _get_feature_names, check_array, validate_data

from ._images import (
    DatasetSamples,
    ImageLayout,
    check_image_size,
    infer_image_shape,
    is_dataset,
    normalize_image_shape,
    value_range,
)
from ._params import fixed_range

#: dtypes rows are kept in: float32 is what the networks compute in, and
#: converting to it catches values beyond its range as "too large".
ROW_DTYPES = [np.float32, np.uint8]


@dataclass(frozen=True)
class InputOptions:
    """The parameters that decide how ``X`` is read and laid out.

    Parameters
    ----------
    image_shape : tuple of int or None
        ``(H, W)`` or ``(C, H, W)`` of one image of 2-D ``X``; ``None`` infers it.
    input_range : "auto" or tuple of float
        The input values that map to ``-1`` and ``1``; ``"auto"`` learns them.
    num_workers : int
        DataLoader workers for a torch Dataset ``X``.
    batch_size : int
        Items per read of a torch Dataset ``X``.
    trains : bool
        Whether ``fit`` trains a GAN on ``X``, which needs at least 2 images.
    """

    image_shape: tuple | None = None
    input_range: str | tuple = "auto"
    num_workers: int = 0
    batch_size: int = 512
    trains: bool = True

    @classmethod
    def of(cls, estimator) -> InputOptions:
        """The options of a ``GANFeatureExtractor``-like estimator, from its attributes."""
        return cls(
            estimator.image_shape,
            estimator.input_range,
            estimator.num_workers,
            estimator.transform_batch_size,
        )


@dataclass(frozen=True)
class Images:
    """Validated input: 2-D rows and how they map to images.

    Parameters
    ----------
    data : ndarray or DatasetSamples of shape (n_samples, n_features)
        The rows (a memmap stays one; a Dataset is read lazily).
    layout : ImageLayout
        The learned layout (``fit``) or the fitted one.
    ndim : int
        Dimensionality of the ``X`` given.
    feature_names : ndarray of str or None
        Column names, when ``X`` had string column names.
    lazy : bool
        Whether the rows are read batch by batch (a memmap or a Dataset)
        rather than copied to the device whole.
    channels_last : bool, default=False
        Whether a 4-D ``X`` came as ``(n_samples, H, W, C)``.
    """

    data: np.ndarray | DatasetSamples
    layout: ImageLayout
    ndim: int
    feature_names: np.ndarray | None
    lazy: bool
    channels_last: bool = False

    def __len__(self) -> int:
        return len(self.data)


def validate_images(estimator, X, fitted=None, options: InputOptions | None = None) -> Images:
    """``X`` checked and laid out; learned from ``X`` without ``fitted``, else checked against it.

    ``estimator`` names itself in messages and, after ``fit``, holds
    ``n_features_in_`` (and ``feature_names_in_``) to check ``X`` against;
    ``fitted`` has the fitted ``layout`` and ``feature_names_in``. ``options``
    gives the layout parameters; by default they are the estimator's
    ``image_shape``, ``input_range``, ``num_workers`` and
    ``transform_batch_size``.
    """
    options = InputOptions.of(estimator) if options is None else options
    if is_dataset(X):
        return _validate_dataset(estimator, X, fitted, options)
    lazy = isinstance(X, np.memmap)
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise ValueError(
                f"X must be an array-like of numbers, one row or image per sample; "
                f"it could not be made into an array ({exc})."
            ) from None
        ndim = X.ndim
    if not 2 <= ndim <= 4:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), 3-D (n_samples, H, W) or 4-D "
            f"(n_samples, C, H, W) or (n_samples, H, W, C); got a {ndim}-D array. Reshape "
            f"your data, e.g. with X.reshape(1, -1) for one flat sample."
        )
    shape = None
    channels_last = is_channels_last(X.shape)
    if channels_last:
        X = np.moveaxis(X, -1, 1)
    if ndim in (3, 4):
        shape = tuple(int(d) for d in X.shape[1:])
        shape = shape if ndim == 4 else (1, *shape)
        X = X.reshape(X.shape[0], -1)
    if fitted is not None:
        _check_image_shape(shape, fitted.layout)
    names = None if fitted is not None else _get_feature_names(X)
    try:
        if fitted is None:
            X = check_array(X, dtype=ROW_DTYPES, estimator=estimator, input_name="X")
        else:
            X = validate_data(estimator, X, reset=False, dtype=ROW_DTYPES)
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        raise TypeError(f"X must hold numbers (uint8 or float pixel values); {exc}.") from None
    if fitted is not None:
        return Images(X, fitted.layout, ndim, fitted.feature_names_in, lazy, channels_last)
    _check_trainable(len(X), options)
    return Images(X, _learn_layout(options, X, shape), ndim, names, lazy, channels_last)


#: Channel counts an image array may hold (grey, colour).
CHANNELS = (1, 3)


def is_channels_last(shape) -> bool:
    """Whether a 4-D array of ``shape`` is ``(n, H, W, C)``: C is 1 or 3 and axis 1 is not.

    Images read with PIL, ``matplotlib`` or :func:`skgan.datasets.load_cifar10`
    come channels last; torch's layout ``(n, C, H, W)`` is kept whenever axis 1
    could be a channel axis.
    """
    return len(shape) == 4 and shape[-1] in CHANNELS and shape[1] not in CHANNELS


def _check_trainable(n_samples: int, options: InputOptions) -> None:
    if options.trains and n_samples < 2:
        raise ValueError(f"fit needs at least 2 images to train a GAN on; got {n_samples} sample.")


def _check_image_shape(shape, layout: ImageLayout) -> None:
    if shape is not None and shape != layout.shape:
        raise ValueError(
            f"X holds images of shape {shape} (C, H, W), but this extractor was "
            f"fitted on images of shape {layout.shape}."
        )


def _validate_dataset(estimator, X, fitted, options: InputOptions) -> Images:
    """A torch Dataset as :class:`DatasetSamples`; checked and learned as for arrays.

    Only item 0 is read here, plus one pass over all items when learning the
    layout with ``input_range="auto"`` (the range).
    """
    data = DatasetSamples(X, options.num_workers, options.batch_size)
    ndim = len(data.item_shape) + 1
    shape = None
    if ndim > 2:
        shape = data.item_shape if ndim == 4 else (1, *data.item_shape)
    if fitted is None:
        _check_trainable(len(data), options)
        return Images(data, _learn_layout(options, data, shape), ndim, None, True)
    _check_image_shape(shape, fitted.layout)
    n_features, expected = data.shape[1], fitted.layout.n_features
    if n_features != expected:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input."
        )
    return Images(data, fitted.layout, ndim, fitted.feature_names_in, True)


def _learn_layout(options: InputOptions, X, shape) -> ImageLayout:
    """The image layout of rows ``X`` (images of ``shape``, if known) and the options."""
    n_features = X.shape[1]
    requested = None
    if options.image_shape is not None:
        requested = normalize_image_shape(options.image_shape)
    if shape is not None and requested is not None and requested != shape:
        raise ValueError(
            f"image_shape={options.image_shape!r} does not match the shape of the "
            f"images in X, {shape} (C, H, W)."
        )
    if shape is None and requested is not None and math.prod(requested) != n_features:
        raise ValueError(
            f"image_shape={options.image_shape!r} holds {math.prod(requested)} "
            f"values per image, but X has n_features = {n_features}."
        )
    image_shape = shape or requested or infer_image_shape(n_features)
    check_image_size(image_shape, n_features)
    if isinstance(options.input_range, str):
        data_range = value_range(X)
    else:
        data_range = fixed_range(options.input_range)
    return ImageLayout(n_features, image_shape, data_range)
