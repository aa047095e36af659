"""The scikit-learn estimator: parameters, validation and orchestration."""

from __future__ import annotations

import copy
import hashlib
import math
import numbers
import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.history import History

from . import _persistence
from ._images import (
    DatasetSamples,
    ImageBatches,
    ImageLayout,
    as_tensor,
    check_image_size,
    infer_image_shape,
    is_dataset,
    isolated_rng,
    normalize_image_shape,
    value_range,
)
from ._inversion import invert
from ._nets import CATEGORICAL_GANS, GANS, build_gan, fitted_gan, n_blocks
from ._selection import EpochScorer, subsample
from ._subspace import HELD_OUT_FRACTION, SUBSPACES, project, real_fake_subspace
from ._taps import (
    ENCODER_LAYERS,
    POOLINGS,
    TAPS,
    category_features,
    category_names,
    discriminator_features,
    encoder_features,
    feature_names,
    latent_names,
    penultimate_layout,
    set_population_statistics,
    tap_layout,
)
from ._trainer import GANTrainer, autocast, rank_and_size, unwrapped

PRECISIONS = ("auto", "32", "bf16")
SELECT_EPOCHS = ("last", "best")
#: Parameters a checkpoint must share with the fit that resumes it (besides the
#: image layout and the training data): everything the training run depends on.
RESUME_MUST_MATCH = (
    "image_shape",
    "gan",
    "latent_dim",
    "width",
    "batch_size",
    "lr",
    "betas",
    "input_range",
    "random_state",
    "precision",
    "select_epoch",
    "n_categories",
    "reconstruction_weight",
)
#: With ``select_epoch="best"``, the epochs are scored on these read-out settings too.
READOUT = ("layers", "tap", "pool_size", "pooling")
#: Fitted attributes of the real-vs-generated subspace (see ``fit_subspace``).
SUBSPACE_ATTRIBUTES = ("subspace_basis_", "subspace_scores_", "subspace_readout_")
#: What ``transform`` returns: pooled D taps, the encoder's output, inverted codes,
#: or the discriminator's category posterior.
FEATURES = ("discriminator", "encoder", "inversion", "categories")
#: The label that marks an unlabelled sample in ``y``.
UNLABELLED = -1
#: Items of a torch Dataset a checkpoint fingerprint reads (evenly spaced), besides its length.
FINGERPRINT_ITEMS = 64


def _one_of(value, name: str, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}; got {value!r}.")


def _finite_real(value, name: str, *, positive: bool) -> None:
    """``value`` is a finite real, ``> 0`` or ``>= 0`` (``check_scalar`` lets inf and NaN by)."""
    check_scalar(
        value, name, numbers.Real, min_val=0, include_boundaries="neither" if positive else "both"
    )
    if not math.isfinite(value):
        bound = "positive number" if positive else "number >= 0"
        raise ValueError(f"{name} must be a finite {bound}; got {value!r}.")


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


@contextmanager
def _seeded(seed: int, device: torch.device):
    """Seed torch for the block without touching the caller's RNG state."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _fingerprint(data, labels: torch.Tensor | None = None) -> str:
    """A digest of the training data, so a checkpoint resumes only on the same data.

    An array is hashed whole. A torch Dataset (``DatasetSamples``) is hashed
    by its length, its items' shape and dtype and ``FINGERPRINT_ITEMS``
    evenly spaced items, so that checking costs no pass over it. AC-GAN's
    class ``labels``, when given, are hashed too.
    """
    header = f"{data.shape}{data.dtype}"
    if isinstance(data, DatasetSamples):
        header = f"Dataset{header}{data.item_shape}"
        n = len(data)
        data = data[np.unique(np.linspace(0, n - 1, min(n, FINGERPRINT_ITEMS)).round().astype(int))]
    digest = hashlib.blake2b(header.encode(), digest_size=16)
    digest.update(np.ascontiguousarray(data).data)
    if labels is not None:
        digest.update(labels.numpy().tobytes())
    return digest.hexdigest()


def _labelled(y: np.ndarray) -> np.ndarray:
    """Mask of the samples whose label is not ``UNLABELLED``."""
    return np.asarray(y != UNLABELLED, dtype=bool)


def _accelerator():
    """The ``accelerate.Accelerator`` of this process (set up by ``accelerate launch``)."""
    try:
        from accelerate import Accelerator
    except ImportError:
        raise ImportError(
            "distributed=True needs Hugging Face Accelerate: pip install accelerate"
        ) from None
    # Without a GPU, processes started by torchrun or `accelerate launch` train
    # on CPU over gloo; Accelerate needs to be told so.
    return Accelerator(cpu=not torch.cuda.is_available())


def _shared(value: int) -> int:
    """The main process's ``value``, on every process."""
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value])[0]


def _on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module on ``device`` in eval mode; a copy, so fitted modules stay on CPU."""
    if device.type != "cpu":
        module = _prepared(copy.deepcopy(module), device)
    return module.eval()


class GANFeatureExtractor(TransformerMixin, BaseEstimator):
    """Learn image features without labels by training a GAN (a DCGAN by default).

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
        learns ``(X.min(), X.max())`` in ``fit``; ``transform`` reuses it. For
        a torch Dataset that takes one extra pass over it; give the range
        (e.g. ``(0, 1)`` for ``ToTensor()`` images) to skip it.
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
    warm_start : bool, default=False
        When the extractor is already fitted, ``fit`` continues training the
        fitted networks (with their optimizer and RNG state) for ``n_epochs``
        more epochs instead of starting over. ``width`` and ``latent_dim`` must
        not change; ``lr`` and ``betas`` may.
    checkpoint_dir : str, path-like or None, default=None
        Directory for a checkpoint (``checkpoint.skgan``) rewritten atomically
        after every epoch: networks, optimizer and RNG state, history and
        parameters. If it already holds a checkpoint of the same run (same
        training parameters and data), ``fit`` resumes from it and trains until
        ``n_epochs`` epochs in total, ending bit-identical (on CPU) to an
        uninterrupted fit. A checkpoint of another run is an error.
    select_epoch : {"last", "best"}, default="last"
        Which epoch's networks to keep. ``"best"`` scores every epoch on up
        to 2000 training images and keeps the highest: with ``y`` passed to
        ``fit``, the accuracy of a linear SVM trained on half of them and
        tested on the other half (``probe_accuracy`` in ``history_``); without
        ``y``, the RankMe effective rank of their features (``rankme``), a
        label-free heuristic. Scores use the current ``layers``, ``tap``,
        ``pool_size`` and ``pooling``.
    distributed : bool, default=False
        Train data-parallel with Hugging Face Accelerate across the processes
        started by ``accelerate launch`` (one per GPU, or CPU processes with
        gloo). Every process calls ``fit`` with the same ``X``; each trains on
        its own shard of every batch (``batch_size`` images per process), and
        gradients are averaged, so all processes end with identical networks.
        The device is the one Accelerate assigns (``device`` is ignored); only
        the main process prints and writes checkpoints. A torch Dataset works
        too: each process reads only the items of its own shards.
    subspace : {None, "complement", "discriminative"}, default=None
        ``None`` returns the pooled features as they are. Otherwise ``fit``
        also finds the directions along which the features separate real
        training images from generated ones (see :meth:`fit_subspace`), and
        ``transform`` returns the features projected onto the orthogonal
        complement of those directions (``"complement"``) or onto their span
        (``"discriminative"``). Both projections stay in the original
        coordinates: same width and feature names, and the two add up to the
        unprojected features; ``transform(X) @ subspace_basis_`` gives the
        ``k`` coordinates along the directions.
    n_subspace_directions : int, default=10
        Most real-vs-generated directions to find; the search stops earlier
        when a held-out classifier is near chance (see :meth:`fit_subspace`).
    gan : {"dcgan", "bigan", "acgan", "catgan"}, default="dcgan"
        The GAN trained by ``fit``. ``"bigan"`` (Donahue et al., 2016; ALI,
        Dumoulin et al., 2016) also trains an encoder E, the discriminator's
        block stack ending in ``latent_dim`` values, together with the
        generator against a joint discriminator D(x, z) whose x-path is the
        DCGAN discriminator's block stack. ``"acgan"`` (Odena et al., 2017)
        adds a class head to D and makes G class-conditional; it is the one
        kind that trains with ``y`` (``fit(X, y)`` requires it; ``y = -1``
        marks unlabelled samples, for semi-supervised training). In a
        ``Pipeline`` or ``GridSearchCV`` the labels of the training folds
        flow into it. ``"catgan"`` (Springenberg, 2015) trains D, without
        labels, to assign real images confidently to one of
        ``n_categories`` categories, used evenly, and to be uncertain on
        generated ones. All kinds share the DCGAN discriminator's block
        stack, so the feature taps read them alike.
    features : {"discriminator", "encoder", "inversion", "categories"}, \
            default="discriminator"
        What ``transform`` returns. ``"discriminator"``: the pooled
        discriminator taps (for ``gan="bigan"``, of the joint D's x-path).
        ``"encoder"`` (``gan="bigan"`` only): the encoder's output, see
        ``encoder_layer``. ``"inversion"``: per image the code
        ``z* = argmin_z ||G(z) - x||^2`` after ``inversion_steps`` Adam steps,
        starting from ``E(x)`` with an encoder and from ``z = 0`` without
        (``gan="dcgan"``), so it is deterministic; not for ``gan="acgan"``,
        whose generator also needs a class. ``"categories"`` (``gan="acgan"``
        or ``"catgan"``): D's posterior over its categories, one column per
        AC-GAN class (in the order of ``classes_``) or CatGAN category,
        summing to 1.
    encoder_layer : {"latent", "penultimate"}, default="latent"
        With ``features="encoder"``: the code ``E(x)`` (``latent_dim``
        features) or the encoder's penultimate layer, its last block's
        activation taken whole (``width * 2**(k-1) * 16`` features; the BiGAN
        authors found such layers often better).
    inversion_steps : int, default=100
        Adam steps per batch of ``features="inversion"``.
    inversion_lr : float, default=0.1
        Adam learning rate of ``features="inversion"``.
    n_categories : int, default=10
        Categories of ``gan="catgan"`` (at least 2). An AC-GAN has one class
        per distinct label in ``y`` instead.
    num_workers : int, default=0
        Worker processes of the :class:`~torch.utils.data.DataLoader` that
        reads ``X`` when it is a torch ``Dataset`` (items and the Dataset's
        transforms); ``0`` reads in the calling process. Ignored for arrays.
        It does not change the result for a Dataset whose items are
        deterministic.
    reconstruction_weight : float, default=0.0
        ``gan="bigan"`` only. Adds ``reconstruction_weight`` times the mean
        squared error of ``G(E(x))`` against ``x`` (pixels scaled to
        [-1, 1]) to the generator and encoder's loss: the explicit
        cycle-consistency term of ALICE (Li et al., 2017). BiGAN's game makes
        E invert G only at its optimum, which short training does not reach;
        the term makes E's codes describe the images from the first epoch.
        ``0`` trains the plain BiGAN. With a non-zero weight ``history_``
        records the term's epoch means as ``reconstruction``. Measured
        effects on MNIST: the "Generator-side features" page of the docs.

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
        with population statistics); ``None`` for the other kinds.
    classes_ : ndarray of shape (n_classes,)
        For ``gan="acgan"`` only: the class labels seen in ``fit`` (``-1``,
        unlabelled, excluded), sorted; the order of the ``"categories"``
        columns and of the classes :meth:`sample` draws.
    history_ : skorch.History
        One record per epoch with ``loss_d``, ``loss_g``, ``d_real`` (mean
        D(x)), ``d_fake`` (mean D(G(z)) before the D update) and ``dur``
        (seconds); e.g. ``history_[:, "loss_d"]``. For ``gan="bigan"``,
        ``d_real`` is the mean D(x, E(x)) and ``d_fake`` the mean D(G(z), z).
        For ``gan="catgan"``, whose D has no real/fake output, they are D's
        mean certainty ``1 - H(p(k | x)) / log K`` on real and on generated
        images (1: one-hot posterior, 0: uniform).
        With ``select_epoch="best"`` also the epoch's score (``probe_accuracy``
        or ``rankme``).
    best_epoch_ : int
        The epoch whose networks were kept: the best-scoring one with
        ``select_epoch="best"``, else the last one (``0``: untrained).
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
    subspace_basis_ : ndarray of shape (n_features_out, k), float32
        Orthonormal real-vs-generated directions, one per column, in the
        coordinates of the unprojected features; set by :meth:`fit_subspace`
        (called by ``fit`` when ``subspace`` is not ``None``).
    subspace_scores_ : list of float
        Held-out real-vs-generated accuracy of the linear classifier fitted
        after ``i`` directions were removed, for ``i = 0 .. k``: the first
        entry is the read-out's linear separability, the last what is left
        in the complement.
    subspace_readout_ : dict
        The read-out (``layers`` as block indices, ``tap``, ``pool_size``,
        ``pooling``) the basis was computed for; ``transform`` refuses to
        project a different read-out.

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

    ``X`` may be a map-style :class:`torch.utils.data.Dataset` (``__len__`` and
    ``__getitem__``), e.g. a torchvision dataset, which is never loaded whole.
    Each item is an image (a tensor, an ndarray or a PIL image) of shape
    ``(C, H, W)``, ``(H, W)`` or flat ``(n_features,)``, or a tuple whose first
    element is one, such as torchvision's ``(image, label)``. Item 0 sets the
    layout, as the array of all items stacked would: every item must have its
    shape, and uint8 items stay uint8 (any other dtype becomes float32). Items
    are read by a :class:`~torch.utils.data.DataLoader` (``num_workers``
    processes) in batches of ``batch_size`` (training) or
    ``transform_batch_size`` (the other passes), so the Dataset's transforms
    run lazily and at most a batch is in memory; :meth:`sample` returns images
    shaped like the items. Training reads them in the order it would read that
    array, from the same seeded generator, so a Dataset and the array of its
    items give the same networks and features for the same ``random_state``
    (bit-identical on CPU). Passes over the Dataset in ``fit``: one for
    ``input_range="auto"`` (skip it by giving the range), one per epoch, and
    one per batchnorm layer (of the discriminator and the encoder) for the
    population statistics. Labels of ``(image, label)`` items are used only by
    ``select_epoch="best"`` when ``y`` is None, and only those of the (at most
    2000) scored items are read, so that subsample is drawn at random rather
    than stratified. A checkpoint's data fingerprint covers the Dataset's
    length and 64 evenly spaced items, not every item. Random transforms should
    draw from torch's generator: training seeds it (so results follow
    ``random_state``), and reads outside training (range, scoring, fingerprint,
    ``transform``) seed it with 0 and leave the caller's state alone. An
    ``IterableDataset`` is refused: it has no length or random access.

    If an epoch's mean losses become non-finite, ``fit`` keeps the networks of
    the epoch before, emits a ``ConvergenceWarning`` and stops training (it
    does not retry). The same happens when the discriminator collapses (mean
    D(x) > 0.99 and mean D(G(z)) < 0.01 for 3 epochs in a row): the networks
    of the epoch before the collapse are kept. Ctrl-C during training keeps
    the networks of the last complete epoch, with a warning, and ``fit``
    still finishes; either way the extractor is fitted and usable. After a
    hard kill, ``fit`` with the same ``checkpoint_dir`` picks up at the last
    completed epoch.

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
        warm_start: bool = False,
        checkpoint_dir: str | os.PathLike | None = None,
        select_epoch: str = "last",
        distributed: bool = False,
        subspace: str | None = None,
        n_subspace_directions: int = 10,
        gan: str = "dcgan",
        features: str = "discriminator",
        encoder_layer: str = "latent",
        inversion_steps: int = 100,
        inversion_lr: float = 0.1,
        n_categories: int = 10,
        num_workers: int = 0,
        reconstruction_weight: float = 0.0,
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
        self.warm_start = warm_start
        self.checkpoint_dir = checkpoint_dir
        self.select_epoch = select_epoch
        self.distributed = distributed
        self.subspace = subspace
        self.n_subspace_directions = n_subspace_directions
        self.gan = gan
        self.features = features
        self.encoder_layer = encoder_layer
        self.inversion_steps = inversion_steps
        self.inversion_lr = inversion_lr
        self.n_categories = n_categories
        self.num_workers = num_workers
        self.reconstruction_weight = reconstruction_weight

    # ------------------------------------------------------------------ checks
    def _check_training_params(self) -> None:
        check_scalar(self.latent_dim, "latent_dim", numbers.Integral, min_val=1)
        check_scalar(self.width, "width", numbers.Integral, min_val=1)
        check_scalar(self.n_epochs, "n_epochs", numbers.Integral, min_val=0)
        check_scalar(self.batch_size, "batch_size", numbers.Integral, min_val=1)
        _finite_real(self.lr, "lr", positive=True)
        _finite_real(self.reconstruction_weight, "reconstruction_weight", positive=False)
        check_scalar(self.verbose, "verbose", numbers.Integral, min_val=0)
        check_scalar(self.n_categories, "n_categories", numbers.Integral, min_val=2)
        check_scalar(self.num_workers, "num_workers", numbers.Integral, min_val=0)
        _one_of(self.precision, "precision", PRECISIONS)
        _one_of(self.gan, "gan", GANS)
        _one_of(self.select_epoch, "select_epoch", SELECT_EPOCHS)
        for name in ("compile", "warm_start", "distributed"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False; got {getattr(self, name)!r}.")
        if not (self.checkpoint_dir is None or isinstance(self.checkpoint_dir, (str, os.PathLike))):
            raise TypeError(
                f"checkpoint_dir must be None or a directory path; got {self.checkpoint_dir!r}."
            )
        if self.reconstruction_weight and self.gan != "bigan":
            raise ValueError(
                f"reconstruction_weight weights BiGAN's cycle-consistency term G(E(x)) ~ x: "
                f"it needs gan='bigan'; got gan={self.gan!r}."
            )
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

    def _check_readout_params(self, gan: str) -> list[int]:
        """Validate the read-out parameters for networks of kind ``gan``; return the blocks."""
        _one_of(self.features, "features", FEATURES)
        if self.features == "encoder" and gan != "bigan":
            raise ValueError(
                f"features='encoder' needs a GAN with an encoder: use gan='bigan' "
                f"(gan={gan!r} has none; features='inversion' works without one)."
            )
        if self.features == "categories" and gan not in CATEGORICAL_GANS:
            raise ValueError(
                f"features='categories' needs a discriminator with category outputs: "
                f"gan='acgan' or gan='catgan'; got gan={gan!r}."
            )
        if self.features == "inversion" and gan == "acgan":
            raise ValueError(
                "features='inversion' needs an unconditional generator; gan='acgan' draws "
                "images of given classes. Use features='discriminator' or 'categories'."
            )
        _one_of(self.encoder_layer, "encoder_layer", ENCODER_LAYERS)
        check_scalar(self.inversion_steps, "inversion_steps", numbers.Integral, min_val=0)
        _finite_real(self.inversion_lr, "inversion_lr", positive=True)
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

    def _check_subspace_params(self) -> None:
        if self.subspace is not None and not (
            isinstance(self.subspace, str) and self.subspace in SUBSPACES
        ):
            raise ValueError(
                f"subspace must be None, 'complement' or 'discriminative'; got {self.subspace!r}."
            )
        check_scalar(
            self.n_subspace_directions, "n_subspace_directions", numbers.Integral, min_val=1
        )
        if self.subspace is not None and self.features != "discriminator":
            raise ValueError(
                f"subspace projects discriminator features; it needs "
                f"features='discriminator', got features={self.features!r}."
            )

    def _readout(self, layers: list[int]) -> dict:
        """The read-out parameters that decide which features a basis belongs to."""
        return {
            "layers": list(layers),
            "tap": self.tap,
            "pool_size": int(self.pool_size),
            "pooling": self.pooling,
        }

    def _subspace_basis(self, layers: list[int]) -> np.ndarray | None:
        """The basis ``transform`` projects on, after checking it fits the read-out."""
        if self.subspace is None:
            return None
        if not hasattr(self, "subspace_basis_"):
            raise ValueError(
                f"subspace={self.subspace!r} needs subspace_basis_, which this extractor "
                f"lacks (it was fitted with subspace=None); call fit_subspace(X) first."
            )
        readout = self._readout(layers)
        if readout != self.subspace_readout_:
            raise ValueError(
                f"subspace_basis_ was computed for the read-out {self.subspace_readout_}, "
                f"but the read-out is now {readout}; call fit_subspace(X) to recompute it "
                f"for this read-out, or restore the read-out parameters."
            )
        return self.subspace_basis_

    def _validate_input(self, X, *, reset: bool) -> np.ndarray | DatasetSamples:
        """Check ``X`` and return it as a 2-D ``(n_samples, n_features)`` array.

        A torch Dataset is returned as a :class:`DatasetSamples`, which reads
        it lazily. With ``reset``, also learn the image shape and the input range.
        """
        if is_dataset(X):
            return self._validate_dataset(X, reset=reset)
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
                f"X must be 2-D (n_samples, n_features), 3-D (n_samples, H, W) or "
                f"4-D (n_samples, C, H, W); got a {ndim}-D array. Reshape your data, "
                f"e.g. with X.reshape(1, -1) for one flat sample."
            )
        shape = None
        if ndim in (3, 4):
            shape = tuple(int(d) for d in X.shape[1:])
            shape = shape if ndim == 4 else (1, *shape)
            X = X.reshape(X.shape[0], -1)
        if not reset:
            self._check_image_shape(shape)
        try:
            # float32 is what the networks compute in, and converting to it
            # catches values beyond its range as "too large" here.
            X = validate_data(self, X, reset=reset, dtype=[np.float32, np.uint8])
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            raise TypeError(f"X must hold numbers (uint8 or float pixel values); {exc}.") from None
        if reset and len(X) < 2:
            raise ValueError(f"fit needs at least 2 images to train a GAN on; got {len(X)} sample.")
        if reset:
            self._learn_layout(X, shape, ndim)
        return X

    def _check_image_shape(self, shape) -> None:
        if shape is not None and shape != self.image_shape_:
            raise ValueError(
                f"X holds images of shape {shape} (C, H, W), but this extractor was "
                f"fitted on images of shape {self.image_shape_}."
            )

    def _validate_dataset(self, X, *, reset: bool) -> DatasetSamples:
        """A torch Dataset as :class:`DatasetSamples`; checks and learns as for arrays.

        Only item 0 is read here, plus one pass over all items when ``reset``
        and ``input_range="auto"`` (the range).
        """
        check_scalar(self.num_workers, "num_workers", numbers.Integral, min_val=0)
        check_scalar(self.transform_batch_size, "transform_batch_size", numbers.Integral, min_val=1)
        data = DatasetSamples(X, self.num_workers, self.transform_batch_size)
        ndim = len(data.item_shape) + 1
        shape = None
        if ndim > 2:
            shape = data.item_shape if ndim == 4 else (1, *data.item_shape)
        n_features = data.shape[1]
        if reset:
            if len(data) < 2:
                raise ValueError(
                    f"fit needs at least 2 images to train a GAN on; got {len(data)} sample."
                )
            self.n_features_in_ = n_features
            self.__dict__.pop("feature_names_in_", None)
            self._learn_layout(data, shape, ndim)
            return data
        self._check_image_shape(shape)
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return data

    def _learn_layout(self, X: np.ndarray | DatasetSamples, shape, ndim: int) -> None:
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
            data_range = value_range(X)
        else:
            data_range = self._fixed_input_range()
        self.image_shape_ = image_shape
        self.data_range_ = data_range
        self.input_ndim_ = ndim

    def _layout(self) -> ImageLayout:
        return ImageLayout(self.n_features_in_, self.image_shape_, self.data_range_)

    # ---------------------------------------------------------------- training
    def _trainer(
        self, networks: dict, device, keeper_params, accelerator, classes=None
    ) -> GANTrainer:
        layout = self._layout()
        main = accelerator is None or accelerator.is_main_process
        encoder = networks["encoder"]
        return GANTrainer(
            _prepared(networks["generator"], device),
            _prepared(networks["discriminator"], device),
            latent_dim=self.latent_dim,
            encoder=None if encoder is None else _prepared(encoder, device),
            objective=self.gan,
            reconstruction_weight=float(self.reconstruction_weight),
            autocast_dtype=resolve_autocast(self.precision, device),
            compile=self.compile,
            criterion=torch.nn.BCEWithLogitsLoss,
            optimizer=torch.optim.Adam,
            optimizer__betas=tuple(self.betas),
            optimizer_d=torch.optim.Adam,
            optimizer_d__lr=self.lr,
            optimizer_d__betas=tuple(self.betas),
            lr=self.lr,
            batch_size=self.batch_size,
            iterator_train=ImageBatches,
            iterator_train__layout=layout,
            iterator_train__shuffle=True,
            iterator_train__device=device,
            iterator_train__shard=rank_and_size(accelerator),
            iterator_train__labels=classes,
            accelerator=accelerator,
            train_split=None,
            device=device,
            verbose=self.verbose if main else 0,
            **{f"callbacks__epoch_keeper__{k}": v for k, v in keeper_params.items()},
        )

    def fit(self, X, y=None):
        """Train the GAN (``gan``) on the images in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Training images, uint8 or float. A ``numpy.memmap`` is read batch
            by batch, never whole. A map-style torch ``Dataset`` of images or
            ``(image, label)`` items is read lazily by a DataLoader, batch by
            batch; ``input_range="auto"`` then costs one pass over it (see
            Notes of the class).
        y : array-like of shape (n_samples,), default=None
            Class labels. Required by ``gan="acgan"``, which trains on them
            (``-1`` marks an unlabelled sample; with a Dataset ``X``, pass
            them here even for ``(image, label)`` items); also used by
            ``select_epoch="best"`` to score epochs (labelled samples only),
            which with ``y=None`` and a Dataset of ``(image, label)`` items
            uses the items' labels; ignored otherwise.

        Returns
        -------
        self : GANFeatureExtractor
            The fitted extractor.
        """
        warm = self.warm_start and hasattr(self, "discriminator_")
        return self._train(X, y, self.n_epochs, warm=warm)

    def partial_fit(self, X, y=None):
        """Train one more epoch on ``X`` (the first call starts a new fit).

        Later calls continue the networks with their optimizer and RNG state,
        so ``k`` calls on the same ``X`` equal ``fit`` with ``n_epochs=k``
        (bit-identical on CPU). Batchnorm population statistics for
        ``transform`` are recomputed on each call's ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Training images, laid out as in the first call (an array or a
            Dataset, whichever the first call had).
        y : array-like of shape (n_samples,), default=None
            As for :meth:`fit`.

        Returns
        -------
        self : GANFeatureExtractor
            The fitted extractor.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X, _ = load_digits(return_X_y=True)
        >>> gan = GANFeatureExtractor(width=8, latent_dim=8, random_state=0)
        >>> for _ in range(2):
        ...     gan = gan.partial_fit(X)
        >>> len(gan.history_)
        2
        """
        return self._train(X, y, 1, warm=hasattr(self, "discriminator_"))

    def _train(self, X, y, n_epochs: int, warm: bool):
        """Train for ``n_epochs`` epochs, from scratch, a checkpoint, or (``warm``) the fit."""
        self._check_training_params()
        self._check_subspace_params()
        data = self._validate_input(X, reset=not warm)
        layers = self._check_readout_params(self.gan)
        y = self._check_labels(y, len(data))
        labels = self._selection_labels(y)
        if warm:
            self._check_resumable()
        class_names, classes = self._class_indices(y, warm)
        layout = self._layout()
        accelerator = _accelerator() if self.distributed else None
        device = resolve_device(self.device) if accelerator is None else accelerator.device
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if accelerator is not None:
            seed = _shared(seed)  # identical initial weights and data order everywhere
        fingerprint = None if self.checkpoint_dir is None else _fingerprint(data, classes)
        n_categories = self.n_categories if class_names is None else len(class_names)
        with _seeded(seed, device), _fast_kernels(device):
            networks = build_gan(
                self.gan, layout.channels, layout.side, self.width, self.latent_dim, n_categories
            )
            keeper_params = {
                "score": self._epoch_scorer(data, labels, layers, device, seed),
                "checkpoint": self._checkpoint_writer(fingerprint, accelerator),
            }
            trainer = self._trainer(
                networks, device, keeper_params, accelerator, classes
            ).initialize()
            keeper = dict(trainer.callbacks_)["epoch_keeper"]
            start = self._starting_point(warm, fingerprint)
            if start is not None:
                history, record = start
                trainer.history = History(copy.deepcopy(list(history)))
                keeper.resume(trainer, record)
                if not warm:
                    n_epochs = max(0, self.n_epochs - len(history))
            # A memmap stays on disk and a Dataset is read by its DataLoader
            # (batches are read as needed); other data is copied to the device
            # once, as compact as it came.
            lazy = isinstance(X, np.memmap) or isinstance(data, DatasetSamples)
            samples = data if lazy else as_tensor(data, device)
            trainer.partial_fit(samples, epochs=n_epochs)
            batches = ImageBatches(samples, layout, self.transform_batch_size, device=device)
            discriminator = unwrapped(trainer.discriminator_)
            set_population_statistics(discriminator, batches)
            encoder = None
            if networks["encoder"] is not None:
                encoder = unwrapped(trainer.encoder_)
                set_population_statistics(encoder, batches)
        self.generator_ = _plain_cpu(unwrapped(trainer.module_))
        self.discriminator_ = _plain_cpu(discriminator)
        self.encoder_ = None if encoder is None else _plain_cpu(encoder)
        self.history_ = trainer.history
        self.__dict__.pop("classes_", None)
        if class_names is not None:
            self.classes_ = class_names
        self._training_record = keeper.record()
        best = keeper.best_ if self.select_epoch == "best" else None
        self.best_epoch_ = keeper.last_["epoch"] if best is None else best["epoch"]
        # A basis of the previous networks would not fit the new ones.
        for name in SUBSPACE_ATTRIBUTES:
            self.__dict__.pop(name, None)
        if self.subspace is not None:
            self._fit_subspace(data)
        return self

    def _check_labels(self, y, n_samples: int) -> np.ndarray | None:
        """``y`` checked as class labels (``-1``: unlabelled) when used, else None.

        Only AC-GAN training and ``select_epoch="best"`` use ``y``; otherwise
        it is ignored, as by any unsupervised transformer.
        """
        if y is None and self.gan == "acgan":
            raise ValueError(
                "GANFeatureExtractor with gan='acgan' requires y to be passed, but the "
                "target y is None: AC-GAN trains with class labels; call fit(X, y), with "
                "y = -1 for unlabelled samples."
            )
        if y is None or (self.gan != "acgan" and self.select_epoch != "best"):
            return None
        y = column_or_1d(y, warn=True)
        check_consistent_length(np.empty(n_samples), y)
        try:
            check_classification_targets(y)
        except TypeError:
            raise TypeError(
                "y mixes labels of different types (e.g. strings and -1); unlabelled "
                "samples (y = -1) need numeric class labels."
            ) from None
        return y

    def _selection_labels(self, y):
        """``y`` when ``select_epoch="best"`` scores with it, after checking it can."""
        if y is None or self.select_epoch != "best":
            return None
        _, counts = np.unique(y[_labelled(y)], return_counts=True)
        if len(counts) < 2 or counts.min() < 2:
            raise ValueError(
                "select_epoch='best' scores epochs with the labels y, which needs at least "
                f"two classes with two or more samples each (unlabelled ones, y = -1, do not "
                f"count); got class counts {counts.tolist()}."
            )
        return y

    def _class_indices(self, y, warm: bool) -> tuple[np.ndarray | None, torch.Tensor | None]:
        """AC-GAN's ``(classes_, class index per sample, -1 if unlabelled)``; Nones otherwise."""
        if self.gan != "acgan":
            return None, None
        labelled = _labelled(y)
        if warm:
            names = self.classes_
            unknown = np.setdiff1d(y[labelled], names)
            if len(unknown):
                raise ValueError(
                    f"y holds classes {unknown.tolist()} that the fitted AC-GAN does not "
                    f"know (classes_ = {names.tolist()}); fit anew with warm_start=False."
                )
        else:
            names = np.unique(y[labelled])
            if len(names) < 2:
                raise ValueError(
                    f"gan='acgan' needs labelled samples of at least two classes; y has "
                    f"{labelled.sum()} labelled samples of classes {names.tolist()} "
                    f"(-1 marks unlabelled ones)."
                )
        indices = np.full(len(y), UNLABELLED, dtype=np.int64)
        indices[labelled] = np.searchsorted(names, y[labelled])
        return names, torch.from_numpy(indices)

    def _item_labels(self, labels: np.ndarray) -> np.ndarray:
        """The labels of a Dataset's (image, label) items, checked as ``y`` would be."""
        try:
            return self._selection_labels(self._check_labels(labels, len(labels)))
        except ValueError as exc:
            raise ValueError(
                f"The labels of X's (image, label) items, which select_epoch='best' uses as y "
                f"when y is None, are not usable: {exc} Pass y to fit, or a Dataset of bare "
                f"images to score epochs without labels."
            ) from None

    def _check_resumable(self) -> None:
        record = getattr(self, "_training_record", None)
        if record is None:
            raise ValueError(
                "This extractor holds no training state to continue from (it was saved by "
                "an older skgan); fit it anew with warm_start=False."
            )
        gan, categories = self._fitted_kind()
        fitted = (
            gan,
            self.discriminator_.blocks[0].conv.out_channels,
            self.generator_.latent_dim,
            categories if gan == "catgan" else self.n_categories,
        )
        wanted = (self.gan, self.width, self.latent_dim, self.n_categories)
        if fitted != wanted:
            raise ValueError(
                f"warm_start and partial_fit continue the fitted networks, which have "
                f"(gan, width, latent_dim, n_categories) = {fitted}; got {wanted}. Set them "
                f"back or fit anew with warm_start=False."
            )

    def _fitted_kind(self) -> tuple[str, int]:
        """``(gan, n_categories)`` of the fitted networks (``gan`` may have been set since)."""
        roles = {"generator": self.generator_, "discriminator": self.discriminator_}
        return fitted_gan({**roles, "encoder": self.encoder_})

    def _starting_point(self, warm: bool, fingerprint):
        """``(history, training record)`` to continue from, or None to start afresh."""
        if warm:
            return self.history_, self._training_record
        if self.checkpoint_dir is None:
            return None
        must_match = RESUME_MUST_MATCH + (READOUT if self.select_epoch == "best" else ())
        return _persistence.read_checkpoint(self, self.checkpoint_dir, fingerprint, must_match)

    def _checkpoint_writer(self, fingerprint, accelerator):
        if self.checkpoint_dir is None:
            return None
        if accelerator is not None and not accelerator.is_main_process:
            return None

        def write(net, record):
            _persistence.write_checkpoint(
                self, self.checkpoint_dir, fingerprint, net.history, record
            )

        return write

    def _epoch_scorer(self, data, labels, layers, device, seed):
        if self.select_epoch != "best":
            return None
        if labels is None and isinstance(data, DatasetSamples) and data.has_labels:
            # y comes from the (image, label) items; only the scored items are
            # read, so the subsample is a plain random one (stratifying it
            # would take every label: a pass over the Dataset).
            subset, item_labels = data.rows(subsample(len(data), None, seed), labels=True)
            labels = self._item_labels(item_labels)
            labelled = _labelled(labels)
            subset, labels = subset[labelled], labels[labelled]
        else:
            pool = np.arange(len(data)) if labels is None else np.flatnonzero(_labelled(labels))
            index = pool[subsample(len(pool), None if labels is None else labels[pool], seed)]
            subset = data[index]
            labels = None if labels is None else labels[index]
        batches = ImageBatches(as_tensor(subset, device), self._layout(), self.transform_batch_size)

        def features(discriminator):
            return self._read_out(*self._pooled_reader(discriminator, layers), subset, device)

        return EpochScorer(batches, features, labels)

    def fit_subspace(self, X, y=None):
        """Find the real-vs-generated directions of the current read-out.

        Pools the discriminator features of the images in ``X`` (the training
        images, typically) and of as many images drawn from the generator,
        then runs iterative nullspace projection: fit a linear classifier of
        real vs generated features, add its unit weight vector (orthogonalised
        against the directions found so far) to the basis, project it out,
        repeat. It stops after ``n_subspace_directions`` directions, or as soon
        as the classifier's accuracy on a held-out fifth of the real and of the
        generated images is near chance: at most ``0.5`` plus two standard
        errors of a coin's accuracy on the held-out images, and at least
        ``0.51``.

        The classifier is an L2-regularised logistic regression on
        standardised features; its weights are mapped back to the features'
        own coordinates, so each removed direction is exactly the one the
        classifier read in the space ``transform`` returns.

        ``fit`` calls this when ``subspace`` is not ``None``; call it yourself
        on a fitted extractor after changing ``layers``, ``tap``,
        ``pool_size`` or ``pooling``, or to compute a basis without retraining
        the GAN. The result does not depend on ``subspace``. Memory use is
        ``2 * len(X) * n_features_out`` float32 values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Real images laid out as in ``fit``; at least 2 (a fifth, at least
            one, is held out). A Dataset is read into memory here (the features
            take far more anyway).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : GANFeatureExtractor
            With ``subspace_basis_``, ``subspace_scores_`` and
            ``subspace_readout_`` set.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X, _ = load_digits(return_X_y=True)
        >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
        >>> gan.set_params(tap="conv", subspace="complement").fit_subspace(X)
        GANFeatureExtractor(...)
        >>> gan.subspace_basis_.shape[0] == gan.transform(X[:2]).shape[1]
        True
        >>> len(gan.subspace_scores_) == gan.subspace_basis_.shape[1] + 1
        True
        """
        check_is_fitted(self)
        self._check_subspace_params()
        self._fit_subspace(self._validate_input(X, reset=False))
        return self

    def _fit_subspace(self, data: np.ndarray) -> None:
        layers = self._check_readout_params(self._fitted_kind()[0])
        n = len(data)
        if n < 2:
            raise ValueError(
                f"Finding the real-vs-generated subspace needs at least 2 images (one is "
                f"held out); got {n} sample{'s' if n != 1 else ''}."
            )
        rng = check_random_state(self.random_state)
        n_held_out = max(1, round(HELD_OUT_FRACTION * n))
        n_train = n - n_held_out
        real = data[rng.permutation(n)]
        fake = self.sample(n, random_state=rng).reshape(n, -1)
        # Row blocks: real / generated for fitting, then real / generated held out.
        blocks = [real[:n_train], fake[:n_train], real[n_train:], fake[n_train:]]
        device = resolve_device(self.device)
        extract, n_features = self._pooled_reader(_on_device(self.discriminator_, device), layers)
        features = np.empty((2 * n, n_features), dtype=np.float32)
        start = 0
        for block in blocks:
            stop = start + len(block)
            self._read_out(extract, n_features, block, device, out=features[start:stop])
            start = stop
        basis, scores = real_fake_subspace(features, n_train, self.n_subspace_directions)
        self.subspace_basis_ = basis
        self.subspace_scores_ = scores
        self.subspace_readout_ = self._readout(layers)

    # ---------------------------------------------------------------- features
    def transform(self, X, out: np.ndarray | None = None) -> np.ndarray:
        """Features of the images in ``X``, as chosen by ``features``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
                (n_samples, C, H, W), or torch.utils.data.Dataset
            Images laid out as in ``fit`` (any of the three forms). A
            ``numpy.memmap`` is read batch by batch, never whole; a torch
            ``Dataset`` (items as in ``fit``, see Notes of the class) by a
            DataLoader, ``transform_batch_size`` items at a time, giving the
            features of the array of its items.
        out : ndarray of shape (n_samples, n_features_out), float32, default=None
            Where to write the features, e.g. a ``numpy.memmap`` for outputs
            larger than memory; filled batch by batch and returned.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float32
            Features named by :meth:`get_feature_names_out`; ``out`` when given.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X = load_digits().data.astype(np.float32)
        >>> gan = GANFeatureExtractor(n_epochs=1, width=8, latent_dim=8, random_state=0).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "features.f32")
        >>> out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
        ...                                 shape=(len(X), 128))
        >>> gan.transform(X, out=out) is out
        True
        """
        check_is_fitted(self)
        self._check_subspace_params()
        data = self._validate_input(X, reset=False)
        layers = self._check_readout_params(self._fitted_kind()[0])
        basis = self._subspace_basis(layers)
        device = resolve_device(self.device)
        extract = self._feature_function(layers, device)
        n_features = len(self._feature_names(layers))
        grad = self.features == "inversion"
        return self._read_out(extract, n_features, data, device, out=out, basis=basis, grad=grad)

    def _read_out(self, extract, n_features: int, data, device, out=None, basis=None, grad=False):
        """``extract``-ed features of ``data``, batch by batch, into ``out`` (new if None).

        With ``basis``, they are projected as ``subspace`` says. ``grad`` lets
        ``extract`` take gradients (inversion does, w.r.t. the codes), which
        inference mode forbids.
        """
        autocast_dtype = resolve_autocast(self.precision, device)
        batches = ImageBatches(data, self._layout(), self.transform_batch_size, device=device)
        shape = (len(data), n_features)
        if out is None:
            out = np.empty(shape, dtype=np.float32)
        elif not (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == np.float32):
            raise ValueError(
                f"out must be a float32 ndarray (or memmap) of shape {shape}; got "
                f"{type(out).__name__} of shape {getattr(out, 'shape', None)} and dtype "
                f"{getattr(out, 'dtype', None)}."
            )
        if basis is not None:
            basis = torch.from_numpy(basis).to(device)
        start = 0
        no_grad = torch.no_grad() if grad else torch.inference_mode()
        # A Dataset's random transforms, if any, draw from a seeded generator of
        # their own here, so features are deterministic and the caller's RNG is left alone.
        with isolated_rng(), no_grad, _fast_kernels(device), autocast(device.type, autocast_dtype):
            for x in batches:
                features = extract(x).float()
                if basis is not None:
                    # Projected batch by batch, so no second full-size array is made.
                    features = project(features, basis, self.subspace)
                out[start : start + len(features)] = features.cpu().numpy()
                start += len(features)
        return out

    def _pooled_reader(self, discriminator, layers: list[int]) -> tuple[Callable, int]:
        """``(extract, n_features)`` of the pooled taps of ``discriminator``."""
        extract = partial(
            discriminator_features,
            discriminator,
            layers=layers,
            tap=self.tap,
            pool_size=self.pool_size,
            pooling=self.pooling,
        )
        layout = tap_layout(discriminator, self._layout().side, layers, self.pool_size)
        return extract, sum(channels * grid * grid for _, channels, grid in layout)

    def _feature_function(self, layers: list[int], device) -> Callable:
        """Model-ready images -> features on ``device``, for the ``features`` parameter."""
        if self.features == "discriminator":
            return self._pooled_reader(_on_device(self.discriminator_, device), layers)[0]
        if self.features == "encoder":
            return partial(
                encoder_features, _on_device(self.encoder_, device), layer=self.encoder_layer
            )
        if self.features == "categories":
            return partial(category_features, _on_device(self.discriminator_, device))
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
        if self.features == "categories":
            return category_names(self.discriminator_.n_categories)
        layout = tap_layout(self.discriminator_, side, layers, self.pool_size)
        return feature_names(layout, self.tap)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features, e.g. ``d2_activation_c017_r1_c3`` or ``z017``.

        Discriminator features are named by block, tap, channel and
        pooling-grid row and column; latent codes (``features="encoder"`` or
        ``"inversion"``) ``z000, z001, ...``; the encoder's penultimate layer
        like discriminator taps of its last block (``e2_activation_...``);
        category posteriors ``category000, category001, ...``.

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
        layers = self._check_readout_params(self._fitted_kind()[0])
        return self._feature_names(layers)

    # ---------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1, random_state=None, y=None) -> np.ndarray:
        """Draw images from the trained generator.

        Parameters
        ----------
        n_samples : int, default=1
            Number of images.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise vectors (and the classes drawn for an AC-GAN).
        y : array-like of shape (n_samples,), default=None
            For ``gan="acgan"`` only: the class of each image, from
            ``classes_``. ``None`` draws classes uniformly.

        Returns
        -------
        images : ndarray of float32
            Shaped like the ``X`` given to ``fit`` (2-D, 3-D or 4-D) and in its
            scale (e.g. 0..255 for uint8 MNIST).

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skgan import GANFeatureExtractor
        >>> X, y = load_digits(return_X_y=True)
        >>> acgan = GANFeatureExtractor(gan="acgan", n_epochs=1, width=8, latent_dim=8,
        ...                             random_state=0).fit(X[:200], y[:200])
        >>> acgan.sample(4, random_state=0, y=[3, 3, 7, 7]).shape
        (4, 64)
        """
        check_is_fitted(self)
        check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        rng = torch.Generator().manual_seed(seed)
        z = torch.randn(n_samples, self.generator_.latent_dim, generator=rng)
        return self._generate(z, self._sample_classes(n_samples, y, rng))

    def _sample_classes(self, n_samples: int, y, rng) -> torch.Tensor | None:
        """Class indices for a conditional generator (from ``y`` or drawn); None otherwise."""
        n_classes = self.generator_.n_classes
        if not n_classes:
            if y is not None:
                raise ValueError(
                    "y picks the classes of an AC-GAN's images; this generator is not "
                    "class-conditional (gan='acgan' is)."
                )
            return None
        if y is None:
            return torch.randint(n_classes, (n_samples,), generator=rng)
        y = column_or_1d(y)
        check_consistent_length(np.empty(n_samples), y)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y holds classes {unknown.tolist()} that are not in classes_ = "
                f"{self.classes_.tolist()}."
            )
        return torch.from_numpy(np.searchsorted(self.classes_, y))

    def _generate(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> np.ndarray:
        """``G(z)`` (of ``classes``, if conditional) shaped and scaled like ``fit``'s ``X``."""
        layout = self._layout()
        self.generator_.eval()
        size = self.transform_batch_size
        codes = z.split(size)
        classes = [None] * len(codes) if classes is None else classes.split(size)
        with torch.inference_mode():
            flat = torch.cat(
                [
                    layout.from_model(self.generator_(code, code_classes))
                    for code, code_classes in zip(codes, classes, strict=True)
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
        self._check_readout_params(self._fitted_kind()[0])
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
        tags.target_tags.required = self.gan == "acgan"
        return tags
