"""Features from a network the user already trained: thin scikit-learn faces over any module.

:class:`DiscriminatorFeatures` reads Radford et al.'s pooled taps from any
PyTorch discriminator, and :class:`GeneratorInversion` inverts any PyTorch
generator. Both ``fit`` on a copy of the user's module (``module_``, on CPU,
in eval mode), so the module itself is never modified. Their input goes
through the package's one validation path (``_validation.validate_images``)
and is laid out by :class:`ModelLayout`: scaled to ``[-1, 1]`` by
``input_range`` and resized to ``image_size``, never padded, since the
user's network was trained on images of its own size. The taps are found by
``_readout.trace_convolutions`` and read by ``_readout.pooled_taps``, the
tap mechanism ``GANFeatureExtractor`` reads its own discriminator with.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_feature_names_in, check_array, check_is_fitted
from torch import nn

from ._device import on_device, plain_cpu, resolve_device
from ._images import ImageBatches, ImageLayout, as_tensor, in_input_layout, isolated_rng
from ._inversion import invert
from ._params import device as check_device
from ._params import finite_real, input_range, integer, one_of, pool_sizes, pooling_form
from ._readout import (
    POOLINGS,
    TAPS,
    _indexed_names,
    feature_names,
    n_features,
    pooled_taps,
    read_features,
    set_population_statistics,
    trace_convolutions,
    traced_taps,
)
from ._validation import Images, InputOptions, validate_images

#: Where ``DiscriminatorFeatures`` takes batchnorm statistics from.
BATCHNORMS = ("population", "running")


# ------------------------------------------------------------------ the layout
@dataclass(frozen=True)
class ModelLayout(ImageLayout):
    """How flat samples map to the user's module's images, and back.

    Scales like :class:`~skgan._images.ImageLayout` (``data_range`` to
    ``[-1, 1]``; a flat sample shorter than ``C * H * W`` is filled with
    ``-1`` at its end), but instead of padding to a square it resizes to
    ``size`` (``(H, W)``; ``None``: the input's own): bilinear, antialiased
    when shrinking, as a ``transforms.Resize`` in the user's training
    pipeline did.
    """

    size: tuple[int, int] | None = None

    @property
    def model_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the images the module sees."""
        return (self.shape[0], *(self.size or self.shape[1:]))

    def to_model(self, batch: torch.Tensor) -> torch.Tensor:
        """Flat raw samples ``(b, n_features)`` -> images ``(b, *model_shape)`` in [-1, 1]."""
        return _resize(self.scaled_images(batch), self.size)

    def from_model(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(b, *model_shape)`` in [-1, 1] -> flat samples in the input's scale."""
        return self.rows(_resize(images.float(), self.shape[1:]))


def _resize(x: torch.Tensor, size) -> torch.Tensor:
    if size is None or tuple(x.shape[-2:]) == tuple(size):
        return x
    # Antialiasing only acts when shrinking; enlarging is plain bilinear.
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)


def _image_size(value) -> tuple[int, int] | None:
    """``image_size`` as ``(H, W)``, or None; a clear error for anything else."""
    message = f"image_size must be None, a positive int or a pair (H, W) of them; got {value!r}."
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(message)
        return (int(value), int(value))
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValueError(message)
    if not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise ValueError(message)
    return (int(value[0]), int(value[1]))


def _check_module(module) -> nn.Module:
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"module must be a torch.nn.Module (your trained network); got {type(module).__name__}."
        )
    return module


def _copy(module: nn.Module) -> nn.Module:
    """A copy of the user's module, on CPU, contiguous, in eval mode."""
    return plain_cpu(copy.deepcopy(module))


@torch.no_grad()
def _run_on(layout: ModelLayout, run, codes: tuple[int, ...] | None = None):
    """``run()``, with the error a module raises on input it cannot take made a ValueError.

    ``codes``: the shape of the codes a generator is run on; else it is run on X's images.
    """
    try:
        return run()
    except RuntimeError as exc:
        if codes is not None:
            raise ValueError(
                f"The generator failed on codes of shape {(1, *codes)}: {exc}. Give "
                f"latent_shape as the generator takes one code, e.g. (100, 1, 1)."
            ) from None
        resized = "" if layout.size is None else f" resized to {layout.size} (H, W)"
        raise ValueError(
            f"The module failed on X's images, of shape {layout.shape} (C, H, W){resized}: "
            f"{exc}. Give image_size (and image_shape for 2-D X) as the module was trained."
        ) from None


# ------------------------------------------------------------ the shared face
class _OnModule(TransformerMixin, BaseEstimator):
    """What both transformers share: the module check, the input and its layout."""

    def _options(self) -> InputOptions:
        return InputOptions(self.image_shape, self.input_range, 0, self.batch_size, trains=False)

    def _check_input_params(self) -> tuple[int, int] | None:
        """Check the parameters every method reads; return ``image_size`` as ``(H, W)``."""
        _check_module(self.module)
        input_range(self.input_range, "input_range")
        check_device(self.device, "device")
        integer(1, self.batch_size, "batch_size")
        return _image_size(self.image_size)

    def _fit_input(self, X, size) -> tuple[Images, ModelLayout]:
        images = validate_images(self, X, options=self._options())
        base = images.layout
        return images, ModelLayout(base.n_features, base.shape, base.data_range, size)

    def _input(self, X) -> Images:
        """``X`` checked against the fit (shape, features, column names)."""
        fitted = SimpleNamespace(
            layout=self.layout_, feature_names_in=getattr(self, "feature_names_in_", None)
        )
        return validate_images(self, X, fitted, self._options())

    def _assign_input(self, images: Images, layout: ModelLayout) -> None:
        self.layout_ = layout
        self.image_shape_ = layout.shape
        self.data_range_ = layout.data_range
        self.input_ndim_ = images.ndim
        self.input_channels_last_ = images.channels_last
        self.n_features_in_ = layout.n_features
        if images.feature_names is not None:
            self.feature_names_in_ = images.feature_names
        else:
            self.__dict__.pop("feature_names_in_", None)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


# -------------------------------------------------------- DiscriminatorFeatures
class DiscriminatorFeatures(_OnModule):
    """Radford et al.'s pooled features of a discriminator you trained, in one transformer.

    ``transform`` returns, for each tapped 2-D convolution of your module,
    the map it reads (the conv output, the batchnorm after it, or the
    activation after that) max-pooled to a ``pool_size x pool_size`` grid,
    flattened channel-major, concatenated over the convolutions in forward
    order. For the pytorch/examples DCGAN discriminator at 64 x 64 that is
    four convolutions of 64, 128, 256 and 512 channels, so
    ``(64 + 128 + 256 + 512) * 16 = 15360`` features; its last convolution
    (to one ``1 x 1`` logit) is not a feature map and is left out.

    The convolutions and what follows them are found by tracing one forward
    pass in ``fit``, so ``nn.Sequential`` nets, nets whose ``forward`` calls
    functional activations (``F.leaky_relu``) and skgan's own discriminator
    all work; in-place activations (``LeakyReLU(0.2, inplace=True)``) do not
    overwrite the conv or batchnorm taps, which are pooled before they run.

    Parameters
    ----------
    module : torch.nn.Module
        Your trained discriminator, taking ``(n, C, H, W)`` images in
        ``[-1, 1]``. It is never modified: ``fit`` works on a copy.
    layers : "auto" or list of str, default="auto"
        ``"auto"``: every 2-D convolution whose output map is larger than
        ``1 x 1``, in forward order. Or module names from
        ``module.named_modules()`` of ``nn.Conv2d`` layers, read in the order
        given (e.g. ``["main.5", "main.8"]``).
    tap : {"activation", "batchnorm", "conv"}, default="activation"
        For each tapped convolution: the output of the activation after it
        (Radford's choice), of the batchnorm after it (the conv output where
        there is none), or its own output. Where no activation follows,
        ``"activation"`` reads the tensor before.
    pool_size : int or sequence of int, default=4
        Side of each map's pooling grid (a map smaller than that is taken
        whole). A sequence of distinct sides, such as ``(4, 2)``, pools each
        map at every one of them and concatenates the grids (a spatial
        pyramid).
    pooling : {"max", "avg"} or float, default="max"
        Pooling over each grid cell: its maximum (Radford's), its mean, or
        for a number ``w`` in ``[0, 1]`` the mix ``w * max + (1 - w) * mean``.
    image_size : int or tuple of int, default=None
        ``(H, W)`` (an int: square) the images are resized to before the
        module sees them: bilinear, antialiased when shrinking, the way your
        training transform did (``transforms.Resize(64)`` in
        pytorch/examples). ``None`` gives them as they are.
    input_range : "auto" or tuple of float, default="auto"
        Input values that map to the module's ``-1`` and ``1``, as for
        ``GANFeatureExtractor``: ``(0, 255)`` for uint8 pixels that your
        training normalised with ``ToTensor()`` and ``Normalize(0.5, 0.5)``.
        ``"auto"`` learns ``(X.min(), X.max())`` in ``fit``.
    batchnorm : {"population", "running"}, default="population"
        ``"population"`` (Radford's recipe): ``fit`` replaces the statistics of
        every ``BatchNorm2d`` of ``module_`` by the exact mean and variance of
        its inputs over ``X``, layer by layer. ``"running"``: keep the
        module's own running statistics; ``fit`` then only learns the input
        layout and the taps. A GAN discriminator's running statistics were
        averaged over the last few training batches, real and generated
        alike, so they are not the statistics of real images.
    device : str or torch.device, default="auto"
        Where the module runs; ``"auto"`` picks CUDA when available.
    batch_size : int, default=512
        Images per forward pass.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of one image when ``X`` is 2-D, as for
        ``GANFeatureExtractor``; ``None`` takes 3-D and 4-D ``X``'s own shape
        and lays 2-D rows out as the smallest square single-channel image.

    Attributes
    ----------
    module_ : torch.nn.Module
        The copy of ``module`` the features are read from: on CPU, in eval
        mode, with population statistics when ``batchnorm="population"``.
    convolutions_ : list of TracedConv
        Every 2-D convolution of the traced forward pass, in call order: its
        module name, channels, output map size and where its ``conv``,
        ``batchnorm`` and ``activation`` taps are read.
    layout_ : ModelLayout
        How rows of ``X`` map to the module's images.
    image_shape_ : tuple of int
        ``(C, H, W)`` of the images in ``X`` (before resizing).
    data_range_ : tuple of float
        ``(low, high)`` input values mapped to ``[-1, 1]``.
    input_ndim_ : int
        Dimensionality of the ``X`` given to ``fit``.
    input_channels_last_ : bool
        Whether that ``X`` was 4-D ``(n_samples, H, W, C)``.
    n_features_in_ : int
        Values per sample.
    feature_names_in_ : ndarray of str objects
        Column names, when ``X`` had string column names.

    See Also
    --------
    GeneratorInversion : Latent codes of your trained generator.
    GANFeatureExtractor : Trains the GAN too, and reads its discriminator alike.

    Notes
    -----
    ``layers``, ``tap``, ``pool_size`` and ``pooling`` are read at
    ``transform`` time, so changing them needs no new ``fit`` (the
    population statistics do not depend on them). Feature names are
    ``{conv module name}_{tap}_c{channel}_r{row}_c{col}``, e.g.
    ``main.5_activation_c017_r1_c3``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from torch import nn
    >>> from skgan import DiscriminatorFeatures
    >>> X, _ = load_digits(return_X_y=True)
    >>> netD = nn.Sequential(
    ...     nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    ...     nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16),
    ...     nn.LeakyReLU(0.2, inplace=True),
    ...     nn.Conv2d(16, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    ... )
    >>> features = DiscriminatorFeatures(netD, image_size=16, input_range=(0, 16)).fit(X)
    >>> features.transform(X[:5]).shape  # (8 + 16) * 4 * 4
    (5, 384)
    >>> str(features.get_feature_names_out()[-1])
    '2_activation_c015_r3_c3'
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        layers: str | Sequence[str] = "auto",
        tap: str = "activation",
        pool_size: int | Sequence[int] = 4,
        pooling: str | float = "max",
        image_size: int | tuple[int, int] | None = None,
        input_range: str | tuple[float, float] = "auto",
        batchnorm: str = "population",
        device: str | torch.device = "auto",
        batch_size: int = 512,
        image_shape: Sequence[int] | None = None,
    ):
        self.module = module
        self.layers = layers
        self.tap = tap
        self.pool_size = pool_size
        self.pooling = pooling
        self.image_size = image_size
        self.input_range = input_range
        self.batchnorm = batchnorm
        self.device = device
        self.batch_size = batch_size
        self.image_shape = image_shape

    def _check_readout_params(self) -> None:
        one_of(TAPS, self.tap, "tap")
        pooling_form(POOLINGS, self.pooling, "pooling")
        pool_sizes(self.pool_size, "pool_size")
        if isinstance(self.layers, str):
            one_of({"auto"}, self.layers, "layers")

    def fit(self, X, y=None):
        """Trace the module on ``X``'s images and, by default, set its batchnorm statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Images, uint8 or float, in any form ``GANFeatureExtractor``
            takes; with ``batchnorm="population"``, the images whose
            statistics the batchnorm layers get (the training set).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : DiscriminatorFeatures
            The fitted transformer.
        """
        size = self._check_input_params()
        self._check_readout_params()
        one_of(BATCHNORMS, self.batchnorm, "batchnorm")
        images, layout = self._fit_input(X, size)
        network = _copy(self.module)
        example = layout.to_model(as_tensor(images.data[: min(2, len(images))]))
        convolutions = _run_on(layout, lambda: trace_convolutions(network, example))
        # Wrong layers fail here, before the population pass.
        traced_taps(convolutions, self.layers, self.tap, self.pool_size)
        if self.batchnorm == "population":
            network = self._population(network, images, layout)
        self._assign_input(images, layout)
        self.module_ = network
        self.convolutions_ = convolutions
        return self

    def _population(self, network: nn.Module, images: Images, layout: ModelLayout) -> nn.Module:
        """``network`` with every batchnorm's statistics those of its inputs over ``images``."""
        for name, bn in network.named_modules():
            if isinstance(bn, nn.BatchNorm2d) and bn.running_mean is None:
                raise ValueError(
                    f"batchnorm='population' sets each BatchNorm2d's running statistics, but "
                    f"{name!r} has none (track_running_stats=False); use batchnorm='running'."
                )
        device = resolve_device(self.device)
        work = on_device(network, device)
        batches = ImageBatches(images.data, layout, self.batch_size, device=device)
        with isolated_rng():
            _run_on(layout, lambda: set_population_statistics(work, batches))
        return work if device.type == "cpu" else plain_cpu(work)

    def _taps(self):
        self._check_readout_params()
        return traced_taps(self.convolutions_, self.layers, self.tap, self.pool_size)

    def transform(self, X) -> np.ndarray:
        """The pooled taps of the images in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Images laid out as in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float32
            Named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        self._check_input_params()
        taps = self._taps()
        images = self._input(X)
        device = resolve_device(self.device)
        network = on_device(self.module_, device)
        extract = partial(pooled_taps, network, taps=taps, pooling=self.pooling)
        return read_features(
            extract,
            n_features(taps),
            images.data,
            self.layout_,
            batch_size=self.batch_size,
            device=device,
        )

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names like ``main.5_activation_c017_r1_c3``: conv module, tap, channel, row, column.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against the input seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`'s output.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return feature_names(self._taps(), self.tap)


# ----------------------------------------------------------- GeneratorInversion
class _Codes(nn.Module):
    """The user's generator as one taking flat ``(n, prod(latent_shape))`` codes."""

    def __init__(self, generator: nn.Module, latent_shape: tuple[int, ...]):
        super().__init__()
        self.generator = generator
        self.latent_shape = latent_shape

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z.reshape(len(z), *self.latent_shape))


def _latent_shape(value) -> tuple[int, ...]:
    message = (
        f"latent_shape must be a positive int or a tuple of them, e.g. (100, 1, 1); got {value!r}."
    )
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not value
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value
        )
    ):
        raise ValueError(message)
    return tuple(int(v) for v in value)


class GeneratorInversion(_OnModule):
    """Latent codes of a generator you trained: per image ``z* = argmin_z ||G(z) - x||^2``.

    ``transform`` runs ``n_steps`` Adam steps on a batch of codes, from the
    same start for every image, at the generator's resolution, and returns
    the codes flat; :meth:`inverse_transform` draws ``G(z)`` back as images
    in the layout and scale of ``fit``'s ``X``.

    Parameters
    ----------
    module : torch.nn.Module
        Your trained generator, mapping ``(n, *latent_shape)`` codes to
        ``(n, C, H, W)`` images in ``[-1, 1]`` (``tanh`` output). It is never
        modified: ``fit`` works on a copy.
    latent_shape : int or tuple of int
        Shape of one code as the generator takes it: ``(100, 1, 1)`` for
        the pytorch/examples DCGAN (``nz = 100``).
    image_size : int or tuple of int, default=None
        ``(H, W)`` (an int: square) the images are resized to before the
        module sees them: bilinear, antialiased when shrinking, the way your
        training transform did (``transforms.Resize(64)`` in
        pytorch/examples). ``None`` gives them as they are.
    input_range : "auto" or tuple of float, default="auto"
        Input values that map to the module's ``-1`` and ``1``, as for
        ``GANFeatureExtractor``: ``(0, 255)`` for uint8 pixels that your
        training normalised with ``ToTensor()`` and ``Normalize(0.5, 0.5)``.
        ``"auto"`` learns ``(X.min(), X.max())`` in ``fit``.
    n_steps : int, default=100
        Adam steps per batch; ``0`` returns the start code.
    lr : float, default=0.1
        Adam's learning rate.
    device : str or torch.device, default="auto"
        Where the generator runs; ``"auto"`` picks CUDA when available.
    batch_size : int, default=512
        Images inverted together (the codes do not depend on it).
    random_state : int, RandomState instance or None, default=None
        Seeds the start code: ``fit`` draws one code from the standard normal
        and every image's inversion starts there. ``None`` draws it with seed
        0, so the start is deterministic either way, and fixed in ``fit``, so
        ``transform`` is too. (Not ``z = 0``: a DCGAN generator's bias-free
        first layer maps it to a constant map, which after batchnorm and
        ReLU can have no gradient at all.)
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of one image when ``X`` is 2-D, as for
        ``GANFeatureExtractor``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The copy of ``module`` that is inverted: on CPU, in eval mode.
    latent_shape_ : tuple of int
        ``latent_shape`` as a tuple.
    start_ : ndarray of shape (prod(latent_shape),), float32
        The code every inversion starts from.
    layout_ : ModelLayout
        How rows of ``X`` map to the generator's images.
    image_shape_ : tuple of int
        ``(C, H, W)`` of the images in ``X`` (before resizing).
    data_range_ : tuple of float
        ``(low, high)`` input values mapped to ``[-1, 1]``.
    input_ndim_ : int
        Dimensionality of the ``X`` given to ``fit``; ``inverse_transform``
        returns images in the same form.
    input_channels_last_ : bool
        Whether that ``X`` was 4-D ``(n_samples, H, W, C)``, the layout
        ``inverse_transform`` then returns.
    n_features_in_ : int
        Values per sample.
    feature_names_in_ : ndarray of str objects
        Column names, when ``X`` had string column names.

    See Also
    --------
    DiscriminatorFeatures : Pooled features of your trained discriminator.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from torch import nn
    >>> from skgan import GeneratorInversion
    >>> _ = torch.manual_seed(0)
    >>> netG = nn.Sequential(
    ...     nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
    ...     nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh(),
    ... ).eval()
    >>> with torch.no_grad():
    ...     X = netG(torch.randn(20, 4, 1, 1)).numpy()[:, 0]  # 20 images of 8 x 8
    >>> inversion = GeneratorInversion(netG, latent_shape=(4, 1, 1), input_range=(-1, 1))
    >>> codes = inversion.fit_transform(X)
    >>> codes.shape
    (20, 4)
    >>> error = np.mean((inversion.inverse_transform(codes) - X) ** 2)
    >>> bool(error < np.mean((inversion.inverse_transform(np.zeros((20, 4))) - X) ** 2) / 10)
    True
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        latent_shape: int | tuple[int, ...],
        image_size: int | tuple[int, int] | None = None,
        input_range: str | tuple[float, float] = "auto",
        n_steps: int = 100,
        lr: float = 0.1,
        device: str | torch.device = "auto",
        batch_size: int = 512,
        random_state: int | np.random.RandomState | None = None,
        image_shape: Sequence[int] | None = None,
    ):
        self.module = module
        self.latent_shape = latent_shape
        self.image_size = image_size
        self.input_range = input_range
        self.n_steps = n_steps
        self.lr = lr
        self.device = device
        self.batch_size = batch_size
        self.random_state = random_state
        self.image_shape = image_shape

    def _check_inversion_params(self) -> None:
        integer(0, self.n_steps, "n_steps")
        finite_real(True, self.lr, "lr")

    def fit(self, X, y=None):
        """Learn the input layout, check the generator draws such images, fix the start code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Images, uint8 or float, in any form ``GANFeatureExtractor`` takes.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : GeneratorInversion
            The fitted transformer.
        """
        size = self._check_input_params()
        latent_shape = _latent_shape(self.latent_shape)
        self._check_inversion_params()
        images, layout = self._fit_input(X, size)
        network = _copy(self.module)
        # Not z = 0: a generator whose first layer has no bias (DCGAN's) maps it
        # to a constant map, which after batchnorm and ReLU can have no gradient.
        rng = check_random_state(0 if self.random_state is None else self.random_state)
        start = rng.standard_normal(math.prod(latent_shape)).astype(np.float32)
        code = torch.from_numpy(start).reshape(1, *latent_shape)
        drawn = _run_on(layout, lambda: network(code), latent_shape)
        shape = tuple(drawn.shape[1:]) if isinstance(drawn, torch.Tensor) else None
        if shape != layout.model_shape:
            wanted = "X's images" if size is None else f"X's images resized to image_size={size}"
            raise ValueError(
                f"The generator draws images of shape {shape} (C, H, W) from codes of shape "
                f"{latent_shape}, but {wanted} are {layout.model_shape}; set image_size to "
                f"the generator's (H, W) and check latent_shape and the channels of X."
            )
        self._assign_input(images, layout)
        self.module_ = network
        self.latent_shape_ = latent_shape
        self.start_ = start
        return self

    def transform(self, X) -> np.ndarray:
        """The codes ``z*`` of the images in ``X``, flat.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Images laid out as in ``fit``.

        Returns
        -------
        codes : ndarray of shape (n_samples, prod(latent_shape)), float32
            One code per image; it does not depend on the other images.
        """
        check_is_fitted(self)
        self._check_input_params()
        self._check_inversion_params()
        images = self._input(X)
        device = resolve_device(self.device)
        generator = _Codes(on_device(self.module_, device), self.latent_shape_)
        start = torch.from_numpy(self.start_).to(device).reshape(1, -1)
        steps, lr = self.n_steps, self.lr

        def inversion(x: torch.Tensor) -> torch.Tensor:
            return invert(generator, x, start.expand(len(x), -1), steps, lr)

        return read_features(
            inversion,
            len(self.start_),
            images.data,
            self.layout_,
            batch_size=self.batch_size,
            device=device,
            grad=True,
        )

    def inverse_transform(self, X) -> np.ndarray:
        """Images ``G(z)`` for codes ``z``, in the layout and scale of ``fit``'s ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, prod(latent_shape))
            Flat codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        images : ndarray of float32
            Shaped like the ``X`` given to ``fit`` (2-D, 3-D or 4-D), in its
            scale, resized back to its image size.
        """
        check_is_fitted(self)
        self._check_input_params()
        Z = check_array(X, dtype=[np.float32, np.float64])
        width = len(self.start_)
        if Z.shape[1] != width:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects codes of length "
                f"prod(latent_shape) = {width}."
            )
        device = resolve_device(self.device)
        generator = _Codes(on_device(self.module_, device), self.latent_shape_)
        z = torch.as_tensor(Z, dtype=torch.float32)
        with torch.inference_mode():
            flat = torch.cat(
                [
                    self.layout_.from_model(generator(codes.to(device))).cpu()
                    for codes in z.split(self.batch_size)
                ]
            ).numpy()
        channels_last = getattr(self, "input_channels_last_", False)  # pickles of older fits
        return in_input_layout(flat, self.image_shape_, self.input_ndim_, channels_last)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names ``z000, z001, ...`` of the code's values, in flat (C-order) position.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against the input seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`'s output.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return _indexed_names("z", len(self.start_))
