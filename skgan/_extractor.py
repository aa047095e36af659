"""The scikit-learn face: parameters, docstrings, and methods that validate, delegate, assign.

Every public method checks the parameters it reads (``_params``) and its
input (``_validation``), both of which assign nothing, then delegates: to
``_training.fit_gan`` (which returns a :class:`~skgan._fitted.FittedGAN`), to
a read-out of ``_readout``, to ``_subspace`` or to ``_persistence``. Fitted
attributes are set only after all of that succeeded, in one place
(``_assign``), so a failed ``fit`` leaves the estimator as it was.
"""

from __future__ import annotations

import inspect
import numbers
import os
from collections.abc import Sequence
from dataclasses import fields
from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_scalar
from sklearn.utils.validation import _check_feature_names_in, check_array, check_is_fitted

from . import _persistence
from ._device import resolve_autocast, resolve_device
from ._fitted import FittedGAN
from ._images import ImageLayout
from ._labels import check_labels, class_indices, selection_labels
from ._nets import n_blocks
from ._params import ROWS, check_kind_params, check_params, resume_params, upgraded_params
from ._readout import (
    READOUTS,
    ReadoutSettings,
    auto_pool_size,
    auto_pooling,
    check_support,
    read_features,
    resolve_layers,
)
from ._subspace import fit_subspace, project
from ._training import Start, TrainingSettings, fit_gan
from ._validation import validate_images
from .gans import GANS

#: Fitted attributes of the real-vs-generated subspace (see ``fit_subspace``).
SUBSPACE_ATTRIBUTES = ("subspace_basis_", "subspace_scores_", "subspace_readout_")


class _FromFit:
    """A read-only fitted attribute, read from the fitted GAN (``fitted_gan_``).

    Missing (``AttributeError``) before ``fit``, and where ``read`` gives None
    unless ``none_ok``.
    """

    def __init__(self, read, none_ok: bool = False):
        self.read = read
        self.none_ok = none_ok

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, estimator, owner=None):
        if estimator is None:
            return self
        fitted = estimator.__dict__.get("fitted_gan_")
        value = None if fitted is None else self.read(fitted)
        if fitted is None or (value is None and not self.none_ok):
            raise AttributeError(f"{owner.__name__!r} object has no attribute {self.name!r}")
        return value

    def __set__(self, estimator, value):
        raise AttributeError(f"{self.name} is set by fit, from fitted_gan_.")


class GANFeatureExtractor(TransformerMixin, BaseEstimator):
    """Learn image features without labels by training a GAN (a DCGAN by default).

    ``fit`` trains a DCGAN (Radford et al., 2015) on the images in ``X``, whose
    discriminator by default also learns a contrastive task about the real
    images (``self_supervision``, after ContraD): the task that makes its
    features worth more than a random network's. ``transform`` returns the
    discriminator's pooled features: each tapped convolution block's map is
    pooled to a ``pool_size x pool_size`` grid, flattened channel-major and
    concatenated, with batchnorm using population statistics of the training
    set. With 28 x 28 MNIST digits (padded to 32 x 32, blocks of 64, 128 and
    256 channels) that is ``(64 + 128 + 256) * 4 = 1792`` features for the
    default contrastive discriminator (a 2 x 2 grid) and ``(64 + 128 + 256) *
    16 = 7168`` through Radford's 4 x 4 grid (``pool_size=4``).

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
    n_epochs : int or "auto", default="auto"
        Passes over ``X``. ``0`` keeps the random initial weights: the
        baseline every trained feature should beat. ``"auto"``: 20 for the
        (default) contrastive discriminator on colour images, 10 otherwise.
        On all of CIFAR-10 a 20-epoch fit scored 2.23, 1.93 and 2.47 points
        above the mean of three 10-epoch ones with 50000, 4000 and 1000 labels,
        and took 3344 s on 2 CPU cores
        (``benchmarks/results/cifar10_full-cpu.md``); on MNIST 10 epochs give
        the README's figures (20 were not measured there).
    batch_size : int, default=128
        Images per adversarial step.
    lr : float or "auto", default="auto"
        Adam learning rate of both networks. ``"auto"``: Radford et al.'s
        ``2e-4``, except ``1e-3`` for the (default) contrastive discriminator
        task, which learned better features with it in our ablation
        (``benchmarks/selfsup_ablation.py``).
    lr_schedule : {"constant", "cosine"}, default="constant"
        How the learning rate moves over the fit's epochs: ``"constant"``
        keeps ``lr``; ``"cosine"`` sets epoch ``e`` of ``n_epochs`` to
        ``lr * (1 + cos(pi * (e - 1) / n_epochs)) / 2``, from ``lr`` down to
        nearly 0 in the last epoch. A warm start runs the schedule again over
        its own ``n_epochs``; a resumed checkpoint goes on where it stopped.
        On MNIST (10 epochs) cosine did not beat the constant rate.
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
    pool_size : "auto", int or sequence of int, default="auto"
        Side of the pooling grid of each block (a block whose map is smaller
        is taken whole). ``"auto"``: 2 for the contrastive discriminator on
        grey images of 32 pixels or more a side (three or more blocks), else
        Radford's 4 (colour images: on CIFAR-10 the 4 x 4 max grid scored
        higher on validation with thousands of labels). On MNIST (10 epochs,
        60000 images) the contrastive
        discriminator's 2 x 2 grid scored 2.5 points higher than 4 x 4 with
        100 labels, 0.2 higher with 1000, level with 60000 and 0.18 lower
        with 5000: set ``pool_size=4`` when you have thousands of labels. A
        sequence of distinct sides, such as ``(4, 2)``, pools each block at
        every one of them and concatenates the grids (a spatial pyramid;
        feature names gain ``_g4``, ``_g2``); on MNIST it scored between
        the two grids.
    pooling : "auto", {"max", "avg"} or float, default="auto"
        Pooling over each grid cell: its maximum, its mean, or for a number
        ``w`` in ``[0, 1]`` the mix ``w * max + (1 - w) * mean`` (mixed
        pooling, Lee et al., 2016). ``"auto"``: ``0.5`` where
        ``pool_size="auto"`` reads 2 x 2 (the contrastive discriminator on grey images, of
        three or more blocks), else Radford's ``"max"``. On MNIST (the
        default fit, one run) 0.5 scored 99.42 / 97.76 / 95.04 % with 60000 /
        1000 / 100 labels, max 99.41 / 97.72 / 95.15, ``"avg"`` 99.47 /
        97.94 / 94.24 and the scattering transform 99.41 / 96.59 / 89.73:
        with all labels, ``"avg"`` is the better read-out.
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
    reconstruction_weight : float, default=10.0
        ``gan="bigan"`` only. Adds ``reconstruction_weight`` times the mean
        squared error of ``G(E(x))`` against ``x`` (pixels scaled to
        [-1, 1]) to the generator and encoder's loss: the explicit
        cycle-consistency term of ALICE (Li et al., 2017). BiGAN's game makes
        E invert G only at its optimum, which short training does not reach;
        the term makes E's codes describe the images from the first epoch.
        ``0`` trains the plain BiGAN, whose ``inverse_transform(transform(X))``
        was further from held-out sklearn digits than ``G`` of random codes
        (pixel MSE 30.74 and 33.19 vs 26.44 and 25.78, two seeds, default
        settings otherwise); ``10`` brought it to 8.89 and 8.87 (random codes
        32.28 and 32.29), hence the default. With a non-zero weight
        ``history_`` records the term's epoch means as ``reconstruction``.
        Measured effects on MNIST: the "Generator-side features" page of the
        docs.
    self_supervision : {"auto", "contrastive", "rotation", "none"}, default="auto"
        ``gan="dcgan"`` only: a task about real images for the discriminator,
        besides telling real from generated ones (which alone teaches it
        little about the differences among real images).
        ``"contrastive"`` (ContraD, Jeong & Shin, 2021): D's block stack
        learns SimCLR's contrastive loss on two augmented views of every
        real image (see ``augmentation``, ``temperature``) and a loss that
        gathers generated images; the real/fake head reads its
        representation through a stop-gradient, and G is trained through
        that head on augmented images of its own. ``"rotation"`` (SS-GAN,
        Chen et al., 2019): D also predicts the quarter turn of rotated real
        images, and G is rewarded when its images' rotation is predictable.
        ``"none"``: Radford's plain DCGAN. ``"auto"``: ``"contrastive"``, the
        task that gave the best features in our benchmarks (the docs page
        "The self-supervised discriminator").
    augmentation : {"auto", "digits", "natural", "none"}, default="auto"
        The random views of ``self_supervision="contrastive"``, drawn per
        image on the training device. ``"digits"``: rotation up to 15
        degrees, zoom 0.8 to 1.2, shift up to 1/8 of the side, brightness /
        contrast jitter of 40 %, no flips (they change digits).
        ``"natural"``: SimCLR's views at its CIFAR-10 strength: random
        resized crops of 20 to 100 % of the area, horizontal flips,
        brightness / contrast / saturation jitter of 40 % and hue rotation
        up to 0.1 turn on 80 % of the images, greyscale on 20 %.
        ``"auto"``: ``"digits"`` for one channel, ``"natural"`` for colour
        images (``benchmarks/augmentation_auto.py`` compares them on MNIST
        and CIFAR-10). Unused by the other tasks.
    temperature : float, default=0.1
        Temperature of the contrastive losses (ContraD's default); lower
        sharpens them.

    Attributes
    ----------
    fitted_gan_ : skgan._fitted.FittedGAN
        Everything ``fit`` produced, in one object; the attributes below are
        read-only views of it.
    gan_ : str
        The GAN kind of the fitted networks (``gan`` may have been set since).
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
    input_channels_last_ : bool
        Whether that ``X`` was 4-D ``(n_samples, H, W, C)``; :meth:`sample`
        then returns ``(n_samples, H, W, C)`` too.
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

    generator_ = _FromFit(lambda f: f.networks.generator)
    discriminator_ = _FromFit(lambda f: f.networks.discriminator)
    encoder_ = _FromFit(lambda f: f.networks.encoder, none_ok=True)
    classes_ = _FromFit(lambda f: f.classes)
    history_ = _FromFit(lambda f: f.history)
    best_epoch_ = _FromFit(lambda f: f.best_epoch)
    gan_ = _FromFit(lambda f: f.kind)
    image_shape_ = _FromFit(lambda f: f.layout.shape)
    data_range_ = _FromFit(lambda f: f.layout.data_range)
    input_ndim_ = _FromFit(lambda f: f.input_ndim)
    input_channels_last_ = _FromFit(lambda f: f.channels_last)
    n_features_in_ = _FromFit(lambda f: f.layout.n_features)
    feature_names_in_ = _FromFit(lambda f: f.feature_names_in)

    def __init__(
        self,
        *,
        image_shape: Sequence[int] | None = None,
        latent_dim: int = 100,
        width: int = 64,
        n_epochs: int | str = "auto",
        batch_size: int = 128,
        lr: float | str = "auto",
        lr_schedule: str = "constant",
        betas: tuple[float, float] = (0.5, 0.999),
        layers: str | Sequence[int] = "all",
        tap: str = "activation",
        pool_size: int | Sequence[int] | str = "auto",
        pooling: str | float = "auto",
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
        reconstruction_weight: float = 10.0,
        self_supervision: str = "auto",
        augmentation: str = "auto",
        temperature: float = 0.1,
    ):
        self.image_shape = image_shape
        self.latent_dim = latent_dim
        self.width = width
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
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
        self.self_supervision = self_supervision
        self.augmentation = augmentation
        self.temperature = temperature

    # ------------------------------------------------------------- training
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
        return self._train(X, y, self.warm_start and self._is_fitted(), self.n_epochs)

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
        return self._train(X, y, self._is_fitted(), 1)

    def _train(self, X, y, warm: bool, n_epochs: int | str):
        """Validate everything, train (from scratch, a checkpoint or the fit), then assign."""
        params = self.get_params(deep=False)
        check_params(params, "training", "input", "runtime", "readout", "subspace")
        spec = GANS[self.gan]
        check_kind_params(params, self._defaults())
        previous = self.fitted_gan_ if warm else None
        images = validate_images(self, X, previous)
        task = spec.self_supervision(self._kind_options(spec))
        readout = self._readout_settings(spec, images.layout, task)
        y = check_labels(y, len(images), spec, self.select_epoch)
        labels = selection_labels(y, self.select_epoch)
        if warm:
            self._check_resumable(previous)
        names, indices = class_indices(y, spec, None if previous is None else previous.classes)
        classes = None if names is None else (names, indices)
        checkpoint = None if self.checkpoint_dir is None else self._checkpoint(images, classes)
        start = self._start(previous, checkpoint)
        settings = self._training_settings(spec, readout, n_epochs, images.layout.channels)
        fitted = fit_gan(
            images,
            spec,
            settings,
            classes=classes,
            labels=labels,
            start=start,
            checkpoint=checkpoint,
        )
        subspace = None
        if self.subspace is not None:
            subspace = self._subspace_attributes(fitted, images.data, readout)
        self._assign(fitted, subspace)
        return self

    def _assign(self, fitted: FittedGAN, subspace: dict | None) -> None:
        """Set every fitted attribute at once; a basis of other networks is dropped."""
        for name in SUBSPACE_ATTRIBUTES:
            self.__dict__.pop(name, None)
        self.__dict__.update(subspace or {})
        self.fitted_gan_ = fitted

    def _is_fitted(self) -> bool:
        return "fitted_gan_" in self.__dict__

    @classmethod
    def _defaults(cls) -> dict:
        return {
            name: p.default
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.kind is p.KEYWORD_ONLY
        }

    def _settings(self, kind, **given):
        """A settings dataclass of ``kind`` from the parameters of the same names, and ``given``."""
        names = {field.name for field in fields(kind)} - set(given)
        return kind(**{k: v for k, v in self.get_params(deep=False).items() if k in names}, **given)

    def _kind_options(self, spec) -> dict:
        """The values of the parameters only ``spec``'s kind uses (``spec.params``)."""
        return {name: getattr(self, name) for name in spec.params}

    def _training_settings(
        self, spec, readout, n_epochs: int | str, channels: int
    ) -> TrainingSettings:
        options = self._kind_options(spec)
        return self._settings(
            TrainingSettings,
            n_epochs=spec.n_epochs(options, channels) if n_epochs == "auto" else n_epochs,
            lr=spec.learning_rate(options) if self.lr == "auto" else self.lr,
            lr_schedule=self.lr_schedule,
            betas=tuple(self.betas),
            options=options,
            scoring=readout,
        )

    def _check_resumable(self, fitted: FittedGAN) -> None:
        if fitted.record is None:
            raise ValueError(
                "This extractor holds no training state to continue from (it was saved by "
                "an older skgan); fit it anew with warm_start=False."
            )
        built = fitted.architecture()
        options = self._kind_options(GANS[self.gan])
        wanted = {
            "gan": self.gan,
            "width": self.width,
            "latent_dim": self.latent_dim,
            "n_categories": self.n_categories,
            "self_supervision": GANS[self.gan].self_supervision(options),
        }
        wanted = {name: wanted[name] for name in built}
        if built != wanted:
            names = ", ".join(built)
            raise ValueError(
                f"warm_start and partial_fit continue the fitted networks, which have "
                f"({names}) = {tuple(built.values())}; got {tuple(wanted.values())}. Set "
                f"them back or fit anew with warm_start=False."
            )

    def _checkpoint(self, images, classes) -> _persistence.Checkpoint:
        return _persistence.Checkpoint(
            self.checkpoint_dir,
            self.get_params(deep=False),
            self._defaults(),
            images,
            classes,
            resume_params(self.select_epoch),
        )

    @staticmethod
    def _start(previous: FittedGAN | None, checkpoint) -> Start | None:
        """The fit to continue (warm start), the checkpoint to resume, or None."""
        if previous is not None:
            return Start(previous.history, previous.record, more=True)
        found = None if checkpoint is None else checkpoint.read()
        return None if found is None else Start(*found, more=False)

    # ------------------------------------------------------------- subspace
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
        fitted = self._fitted()
        check_params(self.get_params(deep=False), "runtime", "readout", "subspace")
        images = validate_images(self, X, fitted)
        readout = self._fitted_readout(fitted)
        subspace = self._subspace_attributes(fitted, images.data, readout)
        self.__dict__.update(subspace)
        return self

    def _subspace_attributes(self, fitted: FittedGAN, data, readout: ReadoutSettings) -> dict:
        """The real-vs-generated basis of the discriminator read-out, as fitted attributes."""
        taps = READOUTS["discriminator"]
        n_features = len(taps.names(fitted, readout))
        extract = taps.extractor(fitted, readout, resolve_device(self.device))

        def read(rows, out):
            self._read(extract, n_features, rows, fitted.layout, out=out)

        basis, scores = fit_subspace(
            fitted, data, n_features, self.n_subspace_directions, self.random_state, read
        )
        return {
            "subspace_basis_": basis,
            "subspace_scores_": scores,
            "subspace_readout_": readout.taps(),
        }

    def _projection(self, readout: ReadoutSettings):
        """The batch projection ``subspace`` asks for (None: none), after checking its basis."""
        if self.subspace is None:
            return None
        if not hasattr(self, "subspace_basis_"):
            raise ValueError(
                f"subspace={self.subspace!r} needs subspace_basis_, which this extractor "
                f"lacks (it was fitted with subspace=None); call fit_subspace(X) first."
            )
        if readout.taps() != self.subspace_readout_:
            raise ValueError(
                f"subspace_basis_ was computed for the read-out {self.subspace_readout_}, "
                f"but the read-out is now {readout.taps()}; call fit_subspace(X) to recompute "
                f"it for this read-out, or restore the read-out parameters."
            )
        basis = torch.from_numpy(self.subspace_basis_).to(resolve_device(self.device))
        return partial(project, basis=basis, subspace=self.subspace)

    # ------------------------------------------------------------- features
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
        fitted = self._fitted()
        check_params(self.get_params(deep=False), "runtime", "readout", "subspace")
        images = validate_images(self, X, fitted)
        settings = self._fitted_readout(fitted)
        post = self._projection(settings)
        readout = READOUTS[self.features]
        extract = readout.extractor(fitted, settings, resolve_device(self.device))
        n_features = len(readout.names(fitted, settings))
        return self._read(
            extract,
            n_features,
            images.data,
            fitted.layout,
            out=out,
            post=post,
            grad=readout.grad,
        )

    def _read(self, extract, n_features, data, layout, **kwargs) -> np.ndarray:
        """Features of rows ``data``, on this extractor's device and precision."""
        device = resolve_device(self.device)
        return read_features(
            extract,
            n_features,
            data,
            layout,
            batch_size=self.transform_batch_size,
            device=device,
            autocast_dtype=resolve_autocast(self.precision, device),
            **kwargs,
        )

    def _readout_settings(self, spec, layout: ImageLayout, task: str) -> ReadoutSettings:
        """The read-out parameters, checked against the GAN kind and its block count.

        ``task`` is the discriminator's self-supervised task, which
        ``pool_size="auto"`` and ``pooling="auto"`` follow, with the image
        layout's block count and channels.
        """
        check_support(READOUTS[self.features], spec, GANS)
        blocks = n_blocks(layout.side)
        layers = resolve_layers(self.layers, blocks)
        data = (task, blocks, layout.channels)
        pool_size = auto_pool_size(*data) if isinstance(self.pool_size, str) else self.pool_size
        pooling = auto_pooling(*data) if self.pooling == "auto" else self.pooling
        return self._settings(ReadoutSettings, layers=layers, pool_size=pool_size, pooling=pooling)

    def _fitted_readout(self, fitted: FittedGAN) -> ReadoutSettings:
        """:meth:`_readout_settings` of the fitted networks."""
        return self._readout_settings(fitted.spec, fitted.layout, fitted.self_supervision)

    def _fitted(self) -> FittedGAN:
        check_is_fitted(self)
        return self.fitted_gan_

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
        fitted = self._fitted()
        _check_feature_names_in(self, input_features)
        check_params(self.get_params(deep=False), "readout")
        settings = self._fitted_readout(fitted)
        return READOUTS[self.features].names(fitted, settings)

    # ------------------------------------------------------------- sampling
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
        fitted = self._fitted()
        check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
        ROWS["transform_batch_size"].check(self.transform_batch_size, "transform_batch_size")
        return fitted.sample(n_samples, random_state, y, self.transform_batch_size)

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
        fitted = self._fitted()
        check_params(self.get_params(deep=False), "readout")
        settings = self._fitted_readout(fitted)
        if not READOUTS[self.features].latent(settings):
            raise ValueError(
                f"inverse_transform needs latent-code features (features='encoder' with "
                f"encoder_layer='latent', or features='inversion'); got features="
                f"{self.features!r}, encoder_layer={self.encoder_layer!r}."
            )
        Z = check_array(X, dtype=[np.float32, np.float64])
        if Z.shape[1] != fitted.latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects latent codes "
                f"of length latent_dim = {fitted.latent_dim}."
            )
        z = torch.as_tensor(Z, dtype=torch.float32)
        return fitted.generate(z, batch_size=self.transform_batch_size)

    # ---------------------------------------------------------- persistence
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
        fitted = self._fitted()
        subspace = None
        if hasattr(self, "subspace_basis_"):
            subspace = {name: getattr(self, name) for name in SUBSPACE_ATTRIBUTES}
        _persistence.save(fitted, self.get_params(deep=False), subspace, path)

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
        params, fitted, subspace = _persistence.load(path)
        estimator = cls(**upgraded_params(params, cls._defaults()))
        estimator._assign(fitted, subspace)
        return estimator

    def __setstate__(self, state):
        # Pickles of skgan 0.1.0 hold the fit as separate attributes; older
        # pickles lack newer parameters.
        state = _persistence.legacy_state(state)
        defaults = self._defaults()
        saved = {name: state[name] for name in defaults if name in state}
        super().__setstate__({**state, **upgraded_params(saved, defaults)})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        spec = GANS.get(self.gan) if isinstance(self.gan, str) else None
        tags.target_tags.required = spec is not None and spec.uses_labels
        return tags
