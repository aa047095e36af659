"""The skorch training net shared by every GAN kind.

:class:`GANTrainer` owns the generator (skorch's ``module``), the
discriminator and one optimizer for each, and replaces skorch's single
``train_step`` by the step of its GAN kind's spec (``skgan.gans``).
Everything else (epochs, history, callbacks, progress bar, device handling,
param routing with ``__``) is skorch's. A new GAN kind brings its step in its
spec, never a second loop.
"""

from __future__ import annotations

import math
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PrintLog, ProgressBar

from ._nets import Networks
from .gans._spec import COLLAPSE_EPOCHS


def autocast(device_type: str, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype`` on ``device_type``; a no-op when ``dtype`` is None."""
    return torch.autocast(device_type, dtype=dtype, enabled=dtype is not None)


def unwrapped(module: torch.nn.Module) -> torch.nn.Module:
    """The plain module behind a ``torch.compile`` wrapper (which does not pickle)."""
    return getattr(module, "_orig_mod", module)


def _cpu_copy(value):
    """A detached CPU copy of a (nested) state dict, so later steps cannot change it."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {key: _cpu_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cpu_copy(item) for item in value)
    return value


def _images_and_labels(batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A training batch is images, or ``(images, labels)`` for GANs trained with labels."""
    return tuple(batch) if isinstance(batch, (tuple, list)) else (batch, None)


def _parameters(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def rank_and_size(accelerator) -> tuple[int, int]:
    """``(this process's rank, number of processes)``; ``(0, 1)`` without an accelerator."""
    if accelerator is None:
        return 0, 1
    return accelerator.process_index, accelerator.num_processes


#: ``lr_schedule``: the factor of ``lr`` in an epoch that starts ``progress``
#: (in [0, 1)) of the way through a fit.
LR_SCHEDULES = {
    "constant": lambda progress: 1.0,
    "cosine": lambda progress: 0.5 * (1.0 + math.cos(math.pi * progress)),
}


class LRSchedule(Callback):
    """Set both optimizers' lr at the start of every epoch from the epoch number.

    Parameters
    ----------
    schedule : {"constant", "cosine"}, default="constant"
        A key of :data:`LR_SCHEDULES`; ``"constant"`` leaves the optimizers' lr alone.
    span : tuple of int, default=(0, 1)
        ``(first, last)``: the schedule runs over epochs ``first + 1`` to
        ``last`` of the history. The lr depends on the epoch number alone, so
        a resumed fit follows the schedule exactly as an uninterrupted one.
        Unless constant, the generator's rate of each epoch is recorded in
        history as ``lr``.
    """

    def __init__(self, schedule="constant", span=(0, 1)):
        self.schedule = schedule
        self.span = span

    def on_epoch_begin(self, net, **kwargs):
        if self.schedule == "constant":
            return
        first, last = self.span
        progress = (net.history[-1, "epoch"] - 1 - first) / max(1, last - first)
        factor = LR_SCHEDULES[self.schedule](min(max(progress, 0.0), 1.0))
        for name in ("optimizer_d", "optimizer"):
            _, settings = net.get_params_for_optimizer(name, [])
            for group in getattr(net, name + "_").param_groups:
                group["lr"] = settings["lr"] * factor
        # The generator's rate, the last set, stands for the epoch in history.
        net.history.record("lr", settings["lr"] * factor)


class EpochKeeper(Callback):
    """Decide after every epoch which networks training keeps.

    After every epoch with finite mean losses the full training state
    (networks, optimizers, RNG; :meth:`GANTrainer.training_state`) is
    snapshotted in memory, scored with ``score`` when given (the best-scoring
    snapshot is kept too), and handed to ``checkpoint`` when given.

    * Non-finite mean losses (diverged) restore the previous epoch's
      snapshot; the ``COLLAPSE_EPOCHS``-th collapsed epoch in a row (by the
      rule of the GAN kind's spec, ``GANSpec.collapsed``) restores
      the last epoch before the collapse. Either way the dropped epochs leave
      the history, a ``ConvergenceWarning`` says what happened, and training
      stops. The policy is to stop, not to retry: the restored networks are a
      usable model, and the warning suggests a lower ``lr``.
    * An epoch cut short by Ctrl-C is dropped the same way, with a
      ``UserWarning``, so training ends on the last complete epoch.
    * At the end of training, with ``score``, the networks of the best epoch
      are loaded; :meth:`record` still holds the last epoch's full state, so
      training can go on from where it stopped.

    Parameters
    ----------
    score : callable, default=None
        ``score(net) -> (name, value)``; ``value`` is recorded in the history
        under ``name`` and the highest value wins.
    checkpoint : callable, default=None
        ``checkpoint(net, record)``, called after each epoch with finite losses.
    """

    def __init__(self, score=None, checkpoint=None):
        self.score = score
        self.checkpoint = checkpoint

    def initialize(self):
        self.last_ = self.healthy_ = self.best_ = None
        return self

    def record(self) -> dict:
        """Snapshots ``{"epoch", "state"}`` of the last, the last uncollapsed and the best epoch."""
        return {"last": self.last_, "healthy": self.healthy_, "best": self.best_}

    def resume(self, net, record: dict) -> None:
        """Continue from a :meth:`record` (call after ``net.initialize()``)."""
        net.load_training_state(record["last"]["state"])
        self.last_, self.healthy_, self.best_ = record["last"], record["healthy"], record["best"]

    def on_train_begin(self, net, **kwargs):
        epoch = net.history[-1, "epoch"] if len(net.history) else 0
        self.last_ = {"epoch": epoch, "state": net.training_state()}
        self.healthy_ = self.healthy_ or self.last_
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        epoch = row["epoch"]
        bad = [key for key in net.history_keys() if not math.isfinite(row[key])]
        if bad:
            self._stop(net, self.last_, f"diverged in epoch {epoch} ({', '.join(bad)} not finite)")
        streak = self._collapse_streak(net.history, net.spec)
        if streak >= COLLAPSE_EPOCHS:
            self._stop(
                net,
                self.healthy_,
                f"collapsed: {net.spec.collapse_rule()} in epochs {epoch - streak + 1} to {epoch}",
            )
        snapshot = {"epoch": epoch, "state": net.training_state()}
        self.last_ = snapshot
        if not streak:
            self.healthy_ = snapshot
        if self.score is not None:
            name, value = self.score(net)
            net.history.record(name, value)
            best = self.best_
            if best is None or best["name"] != name or value > best["score"]:
                self.best_ = {**snapshot, "name": name, "score": value}
        if self.checkpoint is not None:
            self.checkpoint(net, self.record())

    def on_train_end(self, net, **kwargs):
        interrupted = len(net.history) and "dur" not in net.history[-1]
        if interrupted and not self.stopped_:
            self._fall_back(
                net,
                self.last_,
                f"fit was interrupted during epoch {net.history[-1, 'epoch']}; kept the "
                f"networks of the last complete epoch ({self.last_['epoch']}).",
                UserWarning,
            )
        if self.score is not None and self.best_ is not None:
            net.load_training_state(self.best_["state"], networks_only=True)

    @staticmethod
    def _collapse_streak(history, spec) -> int:
        streak = 0
        for row in reversed(history):
            if not spec.collapsed(row):
                break
            streak += 1
        return streak

    def _stop(self, net, snapshot: dict, reason: str) -> None:
        self._fall_back(
            net,
            snapshot,
            f"GAN training {reason}; kept the networks of epoch {snapshot['epoch']} and "
            f"stopped training. Try a lower lr.",
            ConvergenceWarning,
        )
        self.stopped_ = True
        raise KeyboardInterrupt  # skorch's way for a callback to end training

    @staticmethod
    def _fall_back(net, snapshot: dict, message: str, category) -> None:
        net.load_training_state(snapshot["state"])
        while len(net.history) and net.history[-1, "epoch"] > snapshot["epoch"]:
            net.history.pop()
        warnings.warn(message, category, stacklevel=3)


class GANTrainer(NeuralNet):
    """skorch net that trains a generator (and encoder) against a discriminator.

    Parameters
    ----------
    module : torch.nn.Module
        The generator (skorch's main module, so ``module__*`` routes to it).
    discriminator : torch.nn.Module
        The discriminator; ``discriminator__*`` routes to it.
    encoder : torch.nn.Module or None, default=None
        An encoder (BiGAN) trained with the generator: both share the
        generator's optimizer, ``optimizer``. ``encoder__*`` routes to it.
    latent_dim : int
        Length of the noise vector fed to the generator.
    spec : skgan.gans.GANSpec
        The GAN kind: its ``step`` runs per batch, its rules judge the epochs.
    options : dict, default=None
        The kind's own parameters (``spec.params``), read by its step.
    optimizer_d : type, default=torch.optim.Adam
        Discriminator optimizer; ``optimizer_d__*`` routes to it. Set
        ``optimizer_d__lr`` explicitly: skorch otherwise injects ``lr``.
    autocast_dtype : torch.dtype or None, default=None
        Run the forward passes under ``torch.autocast`` with this dtype
        (e.g. ``torch.bfloat16``); ``None`` keeps float32.
    accelerator : accelerate.Accelerator or None, default=None
        Train data-parallel over the accelerator's processes: each process
        steps on its own shard of every batch (``iterator_train__shard``),
        gradients and epoch statistics are averaged across processes after
        every backward pass and epoch, and batchnorm running statistics at
        every epoch's end, so all processes hold identical networks.
    **kwargs
        Everything :class:`skorch.NeuralNet` takes. ``X`` passed to ``fit``
        is a tensor of raw samples that ``iterator_train`` turns into batches
        of images (see :class:`skgan._images.ImageBatches`).
    """

    def __init__(
        self,
        module,
        discriminator,
        *args,
        latent_dim,
        spec,
        encoder=None,
        options=None,
        optimizer_d=torch.optim.Adam,
        autocast_dtype=None,
        accelerator=None,
        **kwargs,
    ):
        self.discriminator = discriminator
        self.encoder = encoder
        self.latent_dim = latent_dim
        self.spec = spec
        self.options = {} if options is None else options
        self.optimizer_d = optimizer_d
        self.autocast_dtype = autocast_dtype
        self.accelerator = accelerator
        super().__init__(module, *args, **kwargs)

    def get_default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("lr_schedule", LRSchedule()),
            ("epoch_keeper", EpochKeeper()),
        ]
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar(postfix_keys=list(self.history_keys()))))
        return callbacks + [("print_log", PrintLog())]

    def history_keys(self) -> tuple[str, ...]:
        """The per-batch values the step records (their epoch means land in history)."""
        return self.spec.history_keys(self.options)

    def initialize_module(self):
        super().initialize_module()
        params = self.get_params_for("discriminator")
        self.discriminator_ = self.initialized_instance(self.discriminator, params)
        if self.encoder is not None:
            params = self.get_params_for("encoder")
            self.encoder_ = self.initialized_instance(self.encoder, params)
        return self

    def _generator_side_parameters(self):
        """The generator's named parameters, then the encoder's (``encoder.*``) if any."""
        yield from self.module_.named_parameters()
        if self.encoder is not None:
            yield from self.encoder_.named_parameters(prefix="encoder")

    def initialize_optimizer(self, *_, **__):
        for name, named_parameters in (
            ("optimizer", self._generator_side_parameters()),
            ("optimizer_d", self.discriminator_.named_parameters()),
        ):
            args, kwargs = self.get_params_for_optimizer(name, named_parameters)
            setattr(self, name + "_", getattr(self, name)(*args, **kwargs))
        return self

    def trained_networks(self) -> Networks:
        """The networks as trained (behind any ``torch.compile`` wrapper)."""
        encoder = self.encoder_ if self.encoder is not None else None
        return Networks(self.module_, self.discriminator_, encoder).map(unwrapped)

    def _networks(self) -> list[str]:
        """Attribute names of the trained networks."""
        return ["module_", "discriminator_"] + (["encoder_"] if self.encoder is not None else [])

    def training_state(self) -> dict:
        """A CPU copy of everything the next epoch depends on.

        The networks' and optimizers' state dicts and torch's RNG state of the
        training device; :meth:`load_training_state` resumes from it exactly.
        """
        # The networks' state dicts are the plain modules': a torch.compile
        # wrapper's carry an "_orig_mod." prefix, which neither a fit with
        # compile=False nor skgan's save files and checkpoints could load.
        names = [*self._networks(), "optimizer_", "optimizer_d_"]
        state = {name: _cpu_copy(unwrapped(getattr(self, name)).state_dict()) for name in names}
        state["rng"] = torch.get_rng_state()
        if torch.device(self.device).type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_training_state(self, state: dict, networks_only: bool = False) -> None:
        """Restore a :meth:`training_state`; with ``networks_only``, just the networks.

        The optimizers keep their moments but take their hyperparameters (lr,
        betas) from this net's current settings, so training can go on with a
        new ``lr``.
        """
        names = self._networks() + ([] if networks_only else ["optimizer_", "optimizer_d_"])
        for name in names:
            unwrapped(getattr(self, name)).load_state_dict(state[name])
        if networks_only:
            return
        for name in ("optimizer", "optimizer_d"):
            _, settings = self.get_params_for_optimizer(name, [])
            for group in getattr(self, name + "_").param_groups:
                group.update({k: v for k, v in settings.items() if k in group})
        torch.set_rng_state(state["rng"])
        # A state saved on a GPU may be resumed on a CPU-only machine: then the
        # CUDA generator is irrelevant, as no CUDA kernel runs.
        if "cuda_rng" in state and torch.device(self.device).type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)

    def autocast(self):
        """Autocast context for forward passes (a no-op without ``autocast_dtype``)."""
        return autocast(torch.device(self.device).type, self.autocast_dtype)

    def noise(self, n: int, device) -> torch.Tensor:
        """``n`` latent vectors (see :meth:`_draw`)."""
        return self._draw(lambda size: torch.randn(size, self.latent_dim, device=device), n)

    def classes(self, n: int, device) -> torch.Tensor:
        """``n`` classes for a class-conditional generator, uniform over its classes."""
        n_classes = unwrapped(self.module_).n_classes
        return self._draw(lambda size: torch.randint(n_classes, (size,), device=device), n)

    def _draw(self, draw, n: int) -> torch.Tensor:
        """This process's ``n`` rows of one global ``draw(n * processes)``.

        Every process draws the same global batch, so their RNGs stay in step
        (they must, to shuffle alike), yet their samples differ.
        """
        rank, world = rank_and_size(self.accelerator)
        return draw(n * world)[rank * n : (rank + 1) * n]

    def update(self, *steps: tuple[torch.optim.Optimizer, torch.Tensor]) -> None:
        """Step each ``(optimizer, loss)`` pair, with gradients averaged across processes.

        Several pairs may come from one forward pass: each loss then reaches
        only its own optimizer's weights.
        """
        for optimizer, _ in steps:
            optimizer.zero_grad(set_to_none=True)
        for i, (optimizer, loss) in enumerate(steps):
            inputs = _parameters(optimizer) if len(steps) > 1 else None
            loss.backward(inputs=inputs, retain_graph=i < len(steps) - 1)
        for optimizer, _ in steps:
            if self.accelerator is not None:
                self._average([p.grad for p in _parameters(optimizer)])
            optimizer.step()

    def _average(self, tensors) -> None:
        """Replace each tensor in place by its mean over the processes (one reduction)."""
        tensors = [t for t in tensors if t is not None]
        flat = torch.cat([t.detach().float().flatten() for t in tensors])
        flat = self.accelerator.reduce(flat, reduction="mean")
        for t, mean in zip(tensors, flat.split([t.numel() for t in tensors]), strict=True):
            t.copy_(mean.view_as(t))

    def get_dataset(self, X, y=None):
        return X

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        return self.spec.step(self, *_images_and_labels(batch))

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run the steps of one epoch and record the epoch means of the steps' values.

        The per-batch values are summed on the device and read once per epoch,
        so quiet training never waits for the device. With ``verbose`` each
        batch's values are also recorded for the progress bar.
        """
        if iterator is None:
            return
        totals, count = None, 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            size = len(_images_and_labels(batch)[0])
            keys = tuple(step)
            values = torch.stack([step[key].float() for key in keys])
            totals = values * size if totals is None else totals + values * size
            count += size
            self.history.record_batch(prefix + "_batch_size", size)
            if self.verbose:
                for key, value in zip(keys, values.tolist(), strict=True):
                    self.history.record_batch(key, value)
            self.notify("on_batch_end", batch=batch, training=training, **step)
        means = totals / count
        if self.accelerator is not None:
            # Equal shards: the mean of the processes' means is the global mean.
            self._average([means])
            self._average(
                [
                    b
                    for name in self._networks()
                    for b in getattr(self, name).buffers()
                    if b.is_floating_point()
                ]
            )
        for key, value in zip(keys, means.tolist(), strict=True):
            self.history.record(key, value)
