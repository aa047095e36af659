"""Training orchestration: validated images, labels and a GAN spec in, a :class:`FittedGAN` out.

:func:`fit_gan` seeds, picks the device (or Accelerate's), builds the spec's
networks, wires the epoch scorer and the checkpoint into the skorch trainer's
:class:`~skgan._trainer.EpochKeeper`, trains, and sets the batchnorm
population statistics. It reads nothing from the estimator: the estimator
validates, calls it, and assigns the result.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.history import History

from ._device import (
    fast_kernels,
    fits_on_device,
    plain_cpu,
    prepared,
    resolve_autocast,
    resolve_device,
    seeded,
)
from ._fitted import FittedGAN
from ._images import DatasetSamples, ImageBatches, as_tensor, resident_nbytes
from ._labels import item_labels, labelled
from ._nets import Networks
from ._readout import (
    DiscriminatorTaps,
    ReadoutSettings,
    n_features,
    read_features,
    set_population_statistics,
)
from ._selection import EpochScorer, subsample
from ._trainer import GANTrainer, rank_and_size
from .gans import GANSpec, NetSize


@dataclass(frozen=True)
class TrainingSettings:
    """The validated training parameters of one fit.

    ``options`` holds the GAN kind's own parameters (``spec.params``);
    ``scoring`` is the read-out epochs are scored on with
    ``select_epoch="best"``.
    """

    n_epochs: int
    latent_dim: int
    width: int
    batch_size: int
    lr: float
    lr_schedule: str
    betas: tuple[float, float]
    precision: str
    compile: bool
    verbose: int
    device: object
    distributed: bool
    random_state: object
    select_epoch: str
    transform_batch_size: int
    options: dict
    scoring: ReadoutSettings | None = None


@dataclass(frozen=True)
class Start:
    """Where a fit starts: the history and training record of a fit or a checkpoint.

    ``more``: train ``n_epochs`` more epochs (warm start); otherwise train
    until ``n_epochs`` epochs in all (resume).
    """

    history: History
    record: dict
    more: bool


def accelerator():
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


def _shared(value):
    """The main process's ``value`` (any picklable object), on every process."""
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value])[0]


def fit_gan(
    images,
    spec: GANSpec,
    settings: TrainingSettings,
    *,
    classes=None,
    labels=None,
    start=None,
    checkpoint=None,
) -> FittedGAN:
    """Train ``spec``'s GAN on ``images`` (:class:`skgan._validation.Images`).

    Parameters
    ----------
    images : Images
        The validated training images.
    spec : GANSpec
        The GAN kind.
    settings : TrainingSettings
        The training parameters.
    classes : tuple of (ndarray, Tensor) or None
        For a kind trained with labels: the class names and each sample's
        class index (``-1``: unlabelled).
    labels : ndarray or None
        Labels that score epochs with ``select_epoch="best"``.
    start : Start, optional
        The fit or checkpoint to continue from.
    checkpoint : callable, optional
        ``checkpoint(history, record)``, called after every epoch (on the
        main process only).

    Returns
    -------
    FittedGAN
    """
    names, class_index = classes if classes is not None else (None, None)
    acc, device, seed = _placement(settings)
    layout = images.layout
    n_categories = spec.n_categories(settings.options, names)
    size = NetSize(
        layout.channels,
        layout.side,
        settings.width,
        settings.latent_dim,
        n_categories,
        spec.self_supervision(settings.options),
    )
    main = acc is None or acc.is_main_process
    with seeded(seed, device), fast_kernels(device):
        first = len(start.history) if start is not None and start.more else 0
        callback_params = {
            "epoch_keeper": {
                "score": on_main_process(
                    _epoch_scorer(images, labels, spec, settings, device, seed), acc
                ),
                "checkpoint": None if checkpoint is None or not main else _writer(checkpoint),
            },
            "lr_schedule": {
                "schedule": settings.lr_schedule,
                "span": (first, first + settings.n_epochs),
            },
        }
        trainer = _trainer(spec.build(size), spec, settings, layout, device, callback_params, acc)
        trainer.set_params(iterator_train__labels=class_index).initialize()
        keeper = dict(trainer.callbacks_)["epoch_keeper"]
        n_epochs = _resume(trainer, keeper, start, settings.n_epochs)
        samples = training_samples(images, device)
        trainer.partial_fit(samples, epochs=n_epochs)
        trained = trainer.trained_networks()
        batches = ImageBatches(samples, layout, settings.transform_batch_size, device=device)
        population_statistics(trained, batches)
    best = keeper.best_ if settings.select_epoch == "best" else None
    return FittedGAN(
        kind=spec.name,
        networks=trained.map(plain_cpu),
        layout=layout,
        input_ndim=images.ndim,
        feature_names_in=images.feature_names,
        classes=names,
        history=trainer.history,
        best_epoch=keeper.last_["epoch"] if best is None else best["epoch"],
        record=keeper.record(),
        channels_last=images.channels_last,
    )


def training_samples(images, device: torch.device):
    """The samples training reads: on ``device`` whole when they fit there, else as given.

    A memmap stays on disk and a Dataset is read by its DataLoader (batches
    are read as needed). Other data are copied to the device once, as compact
    as they came, unless they would take more than a share of a GPU's free
    memory (``_device.fits_on_device``): then they stay on the host and go to
    the GPU batch by batch, like a memmap's.
    """
    if images.lazy or not fits_on_device(resident_nbytes(images.data), device):
        return images.data
    return as_tensor(images.data, device)


def _placement(settings: TrainingSettings) -> tuple:
    """``(accelerator or None, device, seed)``: the same seed on every process."""
    acc = accelerator() if settings.distributed else None
    device = resolve_device(settings.device) if acc is None else acc.device
    seed = int(check_random_state(settings.random_state).randint(np.iinfo(np.int32).max))
    if acc is not None:
        seed = _shared(seed)  # identical initial weights and data order everywhere
    return acc, device, seed


def _resume(trainer, keeper, start: Start | None, n_epochs: int) -> int:
    """Load ``start`` into the initialised trainer; return the epochs left to train."""
    if start is None:
        return n_epochs
    trainer.history = History(copy.deepcopy(list(start.history)))
    keeper.resume(trainer, start.record)
    return n_epochs if start.more else max(0, n_epochs - len(start.history))


def population_statistics(networks: Networks, batches) -> None:
    """Set the batchnorm statistics of the discriminator's and encoder's blocks over ``batches``."""
    for network in (networks.discriminator, networks.encoder):
        if network is not None:
            network.eval()
            set_population_statistics(network.blocks, batches)


def on_main_process(score, acc):
    """``score`` run on the main process only, its result broadcast to every process.

    Processes that scored on their own could pick different best epochs on
    near-ties (their reductions round differently), and then keep different
    networks; one decision, the main process's, keeps them identical.
    """
    if score is None or acc is None:
        return score

    def shared_score(net):
        return _shared(score(net) if acc.is_main_process else None)

    return shared_score


def _writer(checkpoint):
    def write(net, record):
        checkpoint(net.history, record)

    return write


def _trainer(networks, spec, settings, layout, device, callback_params, acc) -> GANTrainer:
    main = acc is None or acc.is_main_process
    encoder = networks.encoder
    return GANTrainer(
        prepared(networks.generator, device),
        prepared(networks.discriminator, device),
        latent_dim=settings.latent_dim,
        spec=spec,
        encoder=None if encoder is None else prepared(encoder, device),
        options=settings.options,
        autocast_dtype=resolve_autocast(settings.precision, device),
        compile=settings.compile,
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        optimizer__betas=tuple(settings.betas),
        optimizer_d=torch.optim.Adam,
        optimizer_d__lr=settings.lr,
        optimizer_d__betas=tuple(settings.betas),
        lr=settings.lr,
        batch_size=settings.batch_size,
        iterator_train=ImageBatches,
        iterator_train__layout=layout,
        iterator_train__shuffle=True,
        iterator_train__device=device,
        iterator_train__shard=rank_and_size(acc),
        accelerator=acc,
        train_split=None,
        device=device,
        verbose=settings.verbose if main else 0,
        **{
            f"callbacks__{callback}__{k}": v
            for callback, params in callback_params.items()
            for k, v in params.items()
        },
    )


def _epoch_scorer(images, labels, spec, settings, device, seed):
    """The :class:`EpochScorer` of ``select_epoch="best"``, on a subsample; None otherwise."""
    if settings.select_epoch != "best":
        return None
    data = images.data
    if labels is None and isinstance(data, DatasetSamples) and data.has_labels:
        # y comes from the (image, label) items; only the scored items are
        # read, so the subsample is a plain random one (stratifying it
        # would take every label: a pass over the Dataset).
        subset, found = data.rows(subsample(len(data), None, seed), labels=True)
        labels = item_labels(found, spec)
        mask = labelled(labels)
        subset, labels = subset[mask], labels[mask]
    else:
        pool = np.arange(len(data)) if labels is None else np.flatnonzero(labelled(labels))
        index = pool[subsample(len(pool), None if labels is None else labels[pool], seed)]
        subset = data[index]
        labels = None if labels is None else labels[index]
    layout = images.layout
    batches = ImageBatches(as_tensor(subset, device), layout, settings.transform_batch_size)
    readout = DiscriminatorTaps()
    autocast_dtype = resolve_autocast(settings.precision, device)

    def features(discriminator):
        taps = readout.taps(discriminator, layout.side, settings.scoring)
        return read_features(
            readout.reader(discriminator, layout.side, settings.scoring),
            n_features(taps),
            subset,
            layout,
            batch_size=settings.transform_batch_size,
            device=device,
            autocast_dtype=autocast_dtype,
        )

    return EpochScorer(batches, features, labels)
