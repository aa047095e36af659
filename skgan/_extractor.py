"""The scikit-learn estimator: parameters, validation and orchestration."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _persistence
from ._images import (
    ImageBatches,
    ImageLayout,
    as_tensor,
    check_image_size,
    infer_image_shape,
    normalize_image_shape,
)
from ._inversion import invert
from ._nets import GANS, build_gan, n_blocks
from ._taps import (
    ENCODER_LAYERS,
    POOLINGS,
    TAPS,
    discriminator_features,
    encoder_features,
    feature_names,
    latent_names,
    penultimate_layout,
    set_population_statistics,
    tap_layout,
)
from ._trainer import GANTrainer, autocast

PRECISIONS = ("auto", "32", "bf16")
#: What ``transform`` returns: pooled D taps, the encoder's output, or inverted codes.
FEATURES = ("discriminator", "encoder", "inversion")


def _one_of(value, name: str, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}; got {value!r}.")


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else must be a torch device."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(
            f"device must be 'auto' or a torch device such as 'cpu', 'cuda' or "
            f"'cuda:1'; got {device!r}."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return resolved


def resolve_autocast(precision: str, device: torch.device) -> torch.dtype | None:
    """``"bf16"`` -> bfloat16 autocast; ``"auto"`` -> bf16 on CUDA, float32 elsewhere."""
    use_bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    return torch.bfloat16 if use_bf16 else None


@contextmanager
def _fast_kernels(device: torch.device):
    """Let cuDNN pick the fastest convolution kernels for the block (CUDA only)."""
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = previous or device.type == "cuda"
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def _prepared(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` on ``device``, channels-last on CUDA (faster convolutions there)."""
    module = module.to(device)
    if device.type == "cuda":
        module = module.to(memory_format=torch.channels_last)
    return module


def _plain_cpu(module: torch.nn.Module) -> torch.nn.Module:
    """A fitted module as stored: on CPU, contiguous (not channels-last), eval mode."""
    module = module.cpu().to(memory_format=torch.contiguous_format)
    return module.eval()


def _unwrapped(module: torch.nn.Module) -> torch.nn.Module:
    """The plain module behind a ``torch.compile`` wrapper (which does not pickle)."""
    return getattr(module, "_orig_mod", module)


@contextmanager
def _seeded(seed: int, device: torch.device):
    """Seed torch for the block without touching the caller's RNG state."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module on ``device`` in eval mode; a copy, so fitted modules stay on CPU."""
    if device.type != "cpu":
        module = _prepared(copy.deepcopy(module), device)
    return module.eval()


class GANFeatureExtractor(TransformerMixin, BaseEstimator):
    """Learn image features without labels by training a DCGAN.

    ``fit`` trains a DCGAN (Radford et al., 2015) on the images in ``X``;
    ``transform`` returns the discriminator's pooled features: each tapped
    convolution block's map is max-pooled to a ``pool_size x pool_size``
    grid, flattened channel-major and concatenated, with batchnorm using
    population statistics of the training set. With 28 x 28 MNIST digits
    (padded to 32 x 32, blocks of 64, 128 and 256 channels) that is
    ``(64 + 128 + 256) * 16 = 7168`` features.

    Parameters
    ----------
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of one image when ``X`` is 2-D. ``None``
        takes the shape from 3-D ``(n, H, W)`` or 4-D ``(n, C, H, W)`` input,
        and lays a 2-D row of ``n_features`` values out as the smallest square
        single-channel image that holds it (missing pixels are padding).
    latent_dim : int, default=100
        Length of the generator's noise vector ``z``.
    width : int, default=64
        Channels of the first discriminator block; each later block doubles
        them, the generator mirrors them.
    n_epochs : int, default=10
        Passes over ``X``. ``0`` keeps the random initial weights: the
        baseline every trained feature should beat.
    batch_size : int, default=128
        Images per adversarial step.
    lr : float, default=2e-4
        Adam learning rate of both networks.
    betas : tuple of float, default=(0.5, 0.999)
        Adam's ``betas`` for both networks.
    layers : "all" or sequence of int, default="all"
        Discriminator blocks to read features from, by index (``0`` is the
        block nearest the pixels; negative indices count from the last).
    tap : {"activation", "batchnorm", "conv"}, default="activation"
        Which tensor of each block to read: the LeakyReLU output (Radford's
        choice), the batchnorm output, or the raw convolution output. The
        first block has no batchnorm, so there ``"batchnorm"`` equals
        ``"conv"``.
    pool_size : int, default=4
        Side of the pooling grid of each block (a block whose map is smaller
        is taken whole).
    pooling : {"max", "avg"}, default="max"
        Pooling over each grid cell.
    input_range : "auto" or tuple of float, default="auto"
        Input values that map to the generator's ``-1`` and ``1``. ``"auto"``
        learns ``(X.min(), X.max())`` in ``fit``; ``transform`` reuses it.
    device : str or torch.device, default="auto"
        Where to train and transform; ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, noise and shuffling. On CPU the same seed
        gives identical features.
    verbose : int, default=0
        ``0`` prints nothing; ``1`` shows a progress bar per epoch and a table
        of losses.
    precision : {"auto", "32", "bf16"}, default="auto"
        ``"bf16"`` runs forward passes (training and ``transform``) under
        bfloat16 autocast; ``"auto"`` uses it on CUDA and float32 on CPU.
        Features are always returned as float32.
    compile : bool, default=False
        Train ``torch.compile``-d networks. The fitted attributes keep the
        plain modules, so the estimator still pickles.
    transform_batch_size : int, default=512
        Images per forward pass in ``transform``, in the batchnorm statistics
        pass and in ``sample``; memory use is the output plus O(this).
    gan : {"dcgan", "bigan"}, default="dcgan"
        The GAN trained by ``fit``. ``"bigan"`` (Donahue et al., 2016; ALI,
        Dumoulin et al., 2016) also trains an encoder E, the discriminator's
        block stack ending in ``latent_dim`` values, together with the
        generator against a joint discriminator D(x, z) whose x-path is the
        DCGAN discriminator's block stack.
    features : {"discriminator", "encoder", "inversion"}, default="discriminator"
        What ``transform`` returns. ``"discriminator"``: the pooled
        discriminator taps (for ``gan="bigan"``, of the joint D's x-path).
        ``"encoder"`` (``gan="bigan"`` only): the encoder's output, see
        ``encoder_layer``. ``"inversion"``: per image the code
        ``z* = argmin_z ||G(z) - x||^2`` after ``inversion_steps`` Adam steps,
        starting from ``E(x)`` with an encoder and from ``z = 0`` without
        (``gan="dcgan"``), so it is deterministic.
    encoder_layer : {"latent", "penultimate"}, default="latent"
        With ``features="encoder"``: the code ``E(x)`` (``latent_dim``
        features) or the encoder's penultimate layer, its last block's
        activation taken whole (``width * 2**(k-1) * 16`` features; the BiGAN
        authors found such layers often better).
    inversion_steps : int, default=100
        Adam steps per batch of ``features="inversion"``.
    inversion_lr : float, default=0.1
        Adam learning rate of ``features="inversion"``.

    Attributes
    ----------
    generator_ : torch.nn.Module
        Trained generator, on CPU, in eval mode.
    discriminator_ : torch.nn.Module
        Trained discriminator, on CPU, in eval mode, with its batchnorm
        running statistics set to the training set's population statistics.
        For ``gan="bigan"`` the joint discriminator D(x, z).
    encoder_ : torch.nn.Module or None
        For ``gan="bigan"``, the trained encoder (on CPU, eval mode, batchnorm
        with population statistics); ``None`` for ``gan="dcgan"``.
    history_ : skorch.History
        One record per epoch with ``loss_d``, ``loss_g``, ``d_real`` (mean
        D(x)), ``d_fake`` (mean D(G(z)) before the D update) and ``dur``
        (seconds); e.g. ``history_[:, "loss_d"]``. For ``gan="bigan"``,
        ``d_real`` is the mean D(x, E(x)) and ``d_fake`` the mean D(G(z), z).
    image_shape_ : tuple of int
        ``(C, H, W)`` of the images the networks were trained on.
    data_range_ : tuple of float
        ``(low, high)`` input values mapped to ``[-1, 1]``.
    input_ndim_ : int
        Dimensionality of the ``X`` given to ``fit``; :meth:`sample` returns
        the same layout.
    n_features_in_ : int
        Values per sample (``C * H * W`` for image input).
    feature_names_in_ : ndarray of str objects
        Column names, when ``X`` had string column names; one per input value.

    Notes
    -----
    The feature read-out parameters (``features``, ``encoder_layer``,
    ``inversion_steps``, ``inversion_lr``, ``layers``, ``tap``, ``pool_size``,
    ``pooling``) are read at ``transform`` time, so changing them on a fitted
    extractor needs no retraining.

    With latent features (``features="encoder"`` with
    ``encoder_layer="latent"``, or ``"inversion"``), :meth:`inverse_transform`
    draws ``G(z)`` for codes ``z``, so ``inverse_transform(transform(X))``
    reconstructs ``X``.

    Images are padded with the darkest value to the smallest side ``4 * 2**k``
    (at least 8) that holds them; both sides must be at least 2 pixels.

    If an epoch's mean losses become non-finite, ``fit`` keeps the networks of
    the last good epoch, emits a ``ConvergenceWarning`` and stops training (it
    does not retry). Ctrl-C during training keeps the networks of the last
    complete epoch, with a warning, and ``fit`` still finishes; either way the
    extractor is fitted and usable.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgan import GANFeatureExtractor
    >>> X, _ = load_digits(return_X_y=True)
    >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=16, random_state=0)
    >>> gan.fit_transform(X[:200]).shape
    (200, 128)
    >>> gan.sample(3).shape
    (3, 64)
    >>> bigan = GANFeatureExtractor(
    ...     gan="bigan", features="encoder", n_epochs=1, width=8, latent_dim=16, random_state=0
    ... )
    >>> codes = bigan.fit_transform(X[:200])
    >>> codes.shape, bigan.inverse_transform(codes).shape
    ((200, 16), (200, 64))
    """

    def __init__(
        self,
        *,
        image_shape: Sequence[int] | None = None,
        latent_dim: int = 100,
        width: int = 64,
        n_epochs: int = 10,
        batch_size: int = 128,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        layers: str | Sequence[int] = "all",
        tap: str = "activation",
        pool_size: int = 4,
        pooling: str = "max",
        input_range: str | tuple[float, float] = "auto",
        device: str | torch.device = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        precision: str = "auto",
        compile: bool = False,
        transform_batch_size: int = 512,
        gan: str = "dcgan",
        features: str = "discriminator",
        encoder_layer: str = "latent",
        inversion_steps: int = 100,
        inversion_lr: float = 0.1,
    ):
        self.image_shape = image_shape
        self.latent_dim = latent_dim
        self.width = width
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.layers = layers
        self.tap = tap
        self.pool_size = pool_size
        self.pooling = pooling
        self.input_range = input_range
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.precision = precision
        self.compile = compile
        self.transform_batch_size = transform_batch_size
        self.gan = gan
        self.features = features
        self.encoder_layer = encoder_layer
        self.inversion_steps = inversion_steps
        self.inversion_lr = inversion_lr

    # ------------------------------------------------------------------ checks
    def _check_training_params(self) -> None:
        check_scalar(self.latent_dim, "latent_dim", numbers.Integral, min_val=1)
        check_scalar(self.width, "width", numbers.Integral, min_val=1)
        check_scalar(self.n_epochs, "n_epochs", numbers.Integral, min_val=0)
        check_scalar(self.batch_size, "batch_size", numbers.Integral, min_val=1)
        check_scalar(self.lr, "lr", numbers.Real, min_val=0, include_boundaries="neither")
        check_scalar(self.verbose, "verbose", numbers.Integral, min_val=0)
        _one_of(self.precision, "precision", PRECISIONS)
        _one_of(self.gan, "gan", GANS)
        if not isinstance(self.compile, bool):
            raise TypeError(f"compile must be True or False; got {self.compile!r}.")
        if not math.isfinite(self.lr):
            raise ValueError(f"lr must be a finite positive number; got {self.lr!r}.")
        betas = self.betas
        if (
            not isinstance(betas, Sequence)
            or len(betas) != 2
            or not all(isinstance(b, numbers.Real) and 0 <= b < 1 for b in betas)
        ):
            raise ValueError(f"betas must be a pair of floats in [0, 1); got {betas!r}.")
        if not (isinstance(self.input_range, str) and self.input_range == "auto"):
            low, high = self._fixed_input_range()
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(
                    f"input_range must be 'auto' or (low, high) with finite "
                    f"low < high; got {self.input_range!r}."
                )
        resolve_device(self.device)

    def _fixed_input_range(self) -> tuple[float, float]:
        try:
            low, high = (float(v) for v in self.input_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"input_range must be 'auto' or a (low, high) pair of numbers; "
                f"got {self.input_range!r}."
            ) from None
        return low, high

    def _check_readout_params(self, has_encoder: bool) -> list[int]:
        """Validate the read-out parameters; return the tapped block indices."""
        _one_of(self.features, "features", FEATURES)
        if self.features == "encoder" and not has_encoder:
            raise ValueError(
                "features='encoder' needs a GAN with an encoder: use gan='bigan' "
                "(gan='dcgan' has none; features='inversion' works with both)."
            )
        _one_of(self.encoder_layer, "encoder_layer", ENCODER_LAYERS)
        check_scalar(self.inversion_steps, "inversion_steps", numbers.Integral, min_val=0)
        check_scalar(
            self.inversion_lr, "inversion_lr", numbers.Real, min_val=0, include_boundaries="neither"
        )
        if not math.isfinite(self.inversion_lr):
            raise ValueError(
                f"inversion_lr must be a finite positive number; got {self.inversion_lr!r}."
            )
        _one_of(self.tap, "tap", TAPS)
        _one_of(self.pooling, "pooling", POOLINGS)
        check_scalar(self.pool_size, "pool_size", numbers.Integral, min_val=1)
        check_scalar(self.transform_batch_size, "transform_batch_size", numbers.Integral, min_val=1)
        count = n_blocks(self._layout().side)
        if isinstance(self.layers, str):
            _one_of(self.layers, "layers", {"all"})
            return list(range(count))
        message = (
            f"layers must be 'all' or a non-empty sequence of distinct block "
            f"indices in [-{count}, {count - 1}]; got {self.layers!r}."
        )
        if not isinstance(self.layers, Sequence) or not all(
            isinstance(i, numbers.Integral) and -count <= i < count for i in self.layers
        ):
            raise ValueError(message)
        indices = [int(i) % count for i in self.layers]
        if not indices or len(set(indices)) != len(indices):
            raise ValueError(message)
        return indices

    def _validate_input(self, X, *, reset: bool) -> np.ndarray:
        """Check ``X`` and return it as a 2-D ``(n_samples, n_features)`` array.

        With ``reset``, also learn the image shape and the input range.
        """
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            X = np.asarray(X)
            ndim = X.ndim
        if ndim > 4:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), 3-D (n_samples, H, W) or "
                f"4-D (n_samples, C, H, W); got a {ndim}-D array."
            )
        shape = None
        if ndim in (3, 4):
            shape = tuple(int(d) for d in X.shape[1:])
            shape = shape if ndim == 4 else (1, *shape)
            X = X.reshape(X.shape[0], -1)
        X = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64, np.uint8])
        if reset:
            self._learn_layout(X, shape, ndim)
        elif shape is not None and shape != self.image_shape_:
            raise ValueError(
                f"X holds images of shape {shape} (C, H, W), but this extractor was "
                f"fitted on images of shape {self.image_shape_}."
            )
        return X

    def _learn_layout(self, X: np.ndarray, shape, ndim: int) -> None:
        n_features = X.shape[1]
        requested = None
        if self.image_shape is not None:
            requested = normalize_image_shape(self.image_shape)
        if shape is not None and requested is not None and requested != shape:
            raise ValueError(
                f"image_shape={self.image_shape!r} does not match the shape of the "
                f"images in X, {shape} (C, H, W)."
            )
        if shape is None and requested is not None and math.prod(requested) != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} holds {math.prod(requested)} "
                f"values per image, but X has n_features = {n_features}."
            )
        image_shape = shape or requested or infer_image_shape(n_features)
        check_image_size(image_shape, n_features)
        if isinstance(self.input_range, str):
            data_range = (float(X.min()), float(X.max()))
        else:
            data_range = self._fixed_input_range()
        self.image_shape_ = image_shape
        self.data_range_ = data_range
        self.input_ndim_ = ndim

    def _layout(self) -> ImageLayout:
        return ImageLayout(self.n_features_in_, self.image_shape_, self.data_range_)

    # ---------------------------------------------------------------- training
    def _trainer(self, networks: dict, device) -> GANTrainer:
        layout = self._layout()
        encoder = networks["encoder"]
        return GANTrainer(
            _prepared(networks["generator"], device),
            _prepared(networks["discriminator"], device),
            latent_dim=self.latent_dim,
            encoder=None if encoder is None else _prepared(encoder, device),
            objective=self.gan,
            autocast_dtype=resolve_autocast(self.precision, device),
            compile=self.compile,
            criterion=torch.nn.BCEWithLogitsLoss,
            optimizer=torch.optim.Adam,
            optimizer__betas=tuple(self.betas),
            optimizer_d=torch.optim.Adam,
            optimizer_d__lr=self.lr,
            optimizer_d__betas=tuple(self.betas),
            lr=self.lr,
            max_epochs=self.n_epochs,
            batch_size=self.batch_size,
            iterator_train=ImageBatches,
            iterator_train__layout=layout,
            iterator_train__shuffle=True,
            train_split=None,
            device=device,
            verbose=self.verbose,
        )

    def fit(self, X, y=None):
        """Train the GAN (``gan``) on the images in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W)
            Training images, uint8 or float.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : GANFeatureExtractor
            The fitted extractor.
        """
        self._check_training_params()
        data = self._validate_input(X, reset=True)
        self._check_readout_params(has_encoder=self.gan == "bigan")
        layout = self._layout()
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        with _seeded(seed, device), _fast_kernels(device):
            networks = build_gan(
                self.gan, layout.channels, layout.side, self.width, self.latent_dim
            )
            trainer = self._trainer(networks, device)
            samples = as_tensor(data, device)
            trainer.fit(samples)
            batches = ImageBatches(samples, layout, self.transform_batch_size)
            discriminator = _unwrapped(trainer.discriminator_)
            set_population_statistics(discriminator, batches)
            encoder = None
            if networks["encoder"] is not None:
                encoder = _unwrapped(trainer.encoder_)
                set_population_statistics(encoder, batches)
        self.generator_ = _plain_cpu(_unwrapped(trainer.module_))
        self.discriminator_ = _plain_cpu(discriminator)
        self.encoder_ = None if encoder is None else _plain_cpu(encoder)
        self.history_ = trainer.history
        return self

    # ---------------------------------------------------------------- features
    def transform(self, X) -> np.ndarray:
        """Features of the images in ``X``, as chosen by ``features``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W)
            Images laid out as in ``fit`` (any of the three forms).

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float32
            Features named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        data = self._validate_input(X, reset=False)
        layers = self._check_readout_params(has_encoder=self.encoder_ is not None)
        device = resolve_device(self.device)
        extract = self._feature_function(layers, device)
        autocast_dtype = resolve_autocast(self.precision, device)
        batches = ImageBatches(data, self._layout(), self.transform_batch_size, device=device)
        out = np.empty((len(data), len(self._feature_names(layers))), dtype=np.float32)
        start = 0
        # Inversion takes gradients (with respect to the codes), which inference mode forbids.
        no_grad = torch.no_grad() if self.features == "inversion" else torch.inference_mode()
        with no_grad, _fast_kernels(device), autocast(device.type, autocast_dtype):
            for x in batches:
                features = extract(x)
                out[start : start + len(features)] = features.float().cpu().numpy()
                start += len(features)
        return out

    def _feature_function(self, layers: list[int], device) -> Callable:
        """Model-ready images -> features on ``device``, for the ``features`` parameter."""
        if self.features == "discriminator":
            return partial(
                discriminator_features,
                _on_device(self.discriminator_, device),
                layers=layers,
                tap=self.tap,
                pool_size=self.pool_size,
                pooling=self.pooling,
            )
        if self.features == "encoder":
            return partial(
                encoder_features, _on_device(self.encoder_, device), layer=self.encoder_layer
            )
        generator = _on_device(self.generator_, device)
        encoder = None if self.encoder_ is None else _on_device(self.encoder_, device)

        def inversion(x: torch.Tensor) -> torch.Tensor:
            start = x.new_zeros(len(x), generator.latent_dim) if encoder is None else encoder(x)
            return invert(generator, x, start, self.inversion_steps, self.inversion_lr)

        return inversion

    def _latent_features(self) -> bool:
        """Whether ``transform`` returns latent codes (which ``inverse_transform`` decodes)."""
        encoded = self.features == "encoder" and self.encoder_layer == "latent"
        return encoded or self.features == "inversion"

    def _feature_names(self, layers: list[int]) -> np.ndarray:
        side = self._layout().side
        if self._latent_features():
            return latent_names(self.generator_.latent_dim)
        if self.features == "encoder":
            return feature_names(penultimate_layout(self.encoder_, side), "activation")
        layout = tap_layout(self.discriminator_, side, layers, self.pool_size)
        return feature_names(layout, self.tap)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features, e.g. ``d2_activation_c017_r1_c3`` or ``z017``.

        Discriminator features are named by block, tap, channel and
        pooling-grid row and column; latent codes (``features="encoder"`` or
        ``"inversion"``) ``z000, z001, ...``; the encoder's penultimate layer
        like discriminator taps of its last block (``e2_activation_...``).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against the input seen in ``fit``; the output names do
            not depend on it.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`'s output.
        """
        check_is_fitted(self)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(input_features)}"
                )
            names_in = getattr(self, "feature_names_in_", None)
            if names_in is not None and not np.array_equal(names_in, input_features):
                raise ValueError("input_features is not equal to feature_names_in_")
        layers = self._check_readout_params(has_encoder=self.encoder_ is not None)
        return self._feature_names(layers)

    # ---------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw images from the trained generator.

        Parameters
        ----------
        n_samples : int, default=1
            Number of images.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise vectors.

        Returns
        -------
        images : ndarray of float32
            Shaped like the ``X`` given to ``fit`` (2-D, 3-D or 4-D) and in its
            scale (e.g. 0..255 for uint8 MNIST).
        """
        check_is_fitted(self)
        check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        z = torch.randn(
            n_samples, self.generator_.latent_dim, generator=torch.Generator().manual_seed(seed)
        )
        return self._generate(z)

    def _generate(self, z: torch.Tensor) -> np.ndarray:
        """``G(z)`` as images shaped and scaled like the ``X`` given to ``fit``."""
        layout = self._layout()
        self.generator_.eval()
        with torch.inference_mode():
            flat = torch.cat(
                [
                    layout.from_model(self.generator_(chunk))
                    for chunk in z.split(self.transform_batch_size)
                ]
            ).numpy()
        if self.input_ndim_ == 2:
            return flat
        shape = self.image_shape_ if self.input_ndim_ == 4 else self.image_shape_[1:]
        return flat.reshape(len(z), *shape)

    def inverse_transform(self, X) -> np.ndarray:
        """Images ``G(z)`` drawn by the generator for latent codes ``z``.

        Defined for latent features (``features="encoder"`` with
        ``encoder_layer="latent"``, or ``features="inversion"``), so that
        ``inverse_transform(transform(X))`` reconstructs ``X``, like
        :meth:`sklearn.decomposition.PCA.inverse_transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        images : ndarray of float32
            Shaped like the ``X`` given to ``fit`` (2-D, 3-D or 4-D) and in its
            scale, as from :meth:`sample`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X, _ = load_digits(return_X_y=True)
        >>> gan = GANFeatureExtractor(
        ...     features="inversion", inversion_steps=20, n_epochs=1, width=8, latent_dim=8,
        ...     random_state=0,
        ... ).fit(X[:200])
        >>> gan.inverse_transform(gan.transform(X[:3])).shape
        (3, 64)
        """
        check_is_fitted(self)
        self._check_readout_params(has_encoder=self.encoder_ is not None)
        if not self._latent_features():
            raise ValueError(
                f"inverse_transform needs latent-code features (features='encoder' with "
                f"encoder_layer='latent', or features='inversion'); got features="
                f"{self.features!r}, encoder_layer={self.encoder_layer!r}."
            )
        Z = check_array(X, dtype=[np.float32, np.float64])
        latent_dim = self.generator_.latent_dim
        if Z.shape[1] != latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects latent codes "
                f"of length latent_dim = {latent_dim}."
            )
        return self._generate(torch.as_tensor(Z, dtype=torch.float32))

    # ------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save the fitted extractor to one file, without pickle.

        The networks' weights are stored as tensors, the parameters, fitted
        metadata and ``history_`` as JSON; :meth:`load` reads them back with
        ``torch.load(weights_only=True)``, which cannot run code from the
        file. The file is written under a temporary name and then renamed.
        ``pickle`` and ``joblib`` keep working too. A ``random_state`` that is
        a ``RandomState`` instance is saved as ``None``.

        Parameters
        ----------
        path : str or path-like
            File to write (conventionally ``*.skgan``).

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X, _ = load_digits(return_X_y=True)
        >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "digits.skgan")
        >>> gan.save(path)
        >>> restored = GANFeatureExtractor.load(path)
        >>> bool((restored.transform(X[:5]) == gan.transform(X[:5])).all())
        True
        """
        _persistence.save(self, path)

    @classmethod
    def load(cls, path) -> GANFeatureExtractor:
        """Load an extractor written by :meth:`save` (safe for untrusted files).

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`, on any device; it loads on the CPU.

        Returns
        -------
        extractor : GANFeatureExtractor
            The fitted extractor, ready to ``transform`` and ``sample``.
        """
        return _persistence.load(cls, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
