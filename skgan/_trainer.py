"""The skorch training net shared by every GAN kind.

:class:`GANTrainer` owns the generator (skorch's ``module``), the
discriminator and one optimizer for each, and replaces skorch's single
``train_step`` by an adversarial step chosen by ``objective``. Everything
else (epochs, history, callbacks, progress bar, device handling, param
routing with ``__``) is skorch's. A new GAN kind adds a step function to
``OBJECTIVES``, never a second loop.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PrintLog, ProgressBar

#: Per-batch values every objective reports; their epoch means land in history.
STEP_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")


def autocast(device_type: str, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype`` on ``device_type``; a no-op when ``dtype`` is None."""
    return torch.autocast(device_type, dtype=dtype, enabled=dtype is not None)


def _real_fake_loss(bce, logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    """BCE with label 1 for ``logit_real`` and 0 for ``logit_fake``."""
    return bce(logit_real, torch.ones_like(logit_real)) + bce(
        logit_fake, torch.zeros_like(logit_fake)
    )


def _update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


@contextmanager
def _frozen(module: torch.nn.Module):
    """The module's weights get no gradient in the block (the other player's step)."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


def _step_record(loss_d, loss_g, logit_real, logit_fake) -> dict[str, torch.Tensor]:
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": torch.sigmoid(logit_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(logit_fake.detach().float()).mean(),
    }


def _dcgan_step(net: GANTrainer, real: torch.Tensor) -> dict[str, torch.Tensor]:
    """One alternating D / G update with the non-saturating BCE loss."""
    generator, discriminator = net.module_, net.discriminator_
    bce = net.criterion_
    with net.autocast():
        fake = generator(torch.randn(len(real), net.latent_dim, device=real.device))
        logit_real = discriminator(real)
        logit_fake = discriminator(fake.detach())
        loss_d = _real_fake_loss(bce, logit_real, logit_fake)
    _update(net.optimizer_d_, loss_d)

    with _frozen(discriminator):
        with net.autocast():
            logit_gen = discriminator(fake)
            loss_g = bce(logit_gen, torch.ones_like(logit_gen))
        _update(net.optimizer_, loss_g)
    return _step_record(loss_d, loss_g, logit_real, logit_fake)


def _bigan_step(net: GANTrainer, real: torch.Tensor) -> dict[str, torch.Tensor]:
    """One simultaneous D / (G + E) update of BiGAN's objective.

    D tells real pairs ``(x, E(x))`` (label 1) from generated pairs
    ``(G(z), z)`` (label 0). G and E, in the one generator optimizer, are
    trained to fool it with the labels swapped (the non-saturating form of
    the BiGAN minimax game), which at the optimum makes E invert G. As in
    the BiGAN authors' code, both players' gradients come from the same
    forward pass, which saves D's second pair of forward passes.
    """
    generator, encoder, discriminator = net.module_, net.encoder_, net.discriminator_
    bce = net.criterion_
    with net.autocast():
        z = torch.randn(len(real), net.latent_dim, device=real.device)
        logit_real = discriminator(real, encoder(real))
        logit_fake = discriminator(generator(z), z)
        loss_d = _real_fake_loss(bce, logit_real, logit_fake)
        loss_g = _real_fake_loss(bce, logit_fake, logit_real)
    net.optimizer_d_.zero_grad(set_to_none=True)
    net.optimizer_.zero_grad(set_to_none=True)
    # Each loss reaches only its own player's weights.
    loss_d.backward(inputs=list(discriminator.parameters()), retain_graph=True)
    loss_g.backward(inputs=[p for group in net.optimizer_.param_groups for p in group["params"]])
    net.optimizer_d_.step()
    net.optimizer_.step()
    return _step_record(loss_d, loss_g, logit_real, logit_fake)


OBJECTIVES = {"dcgan": _dcgan_step, "bigan": _bigan_step}


class LastGoodEpoch(Callback):
    """Keep the networks of the last finished epoch with finite losses, and fall back to them.

    * An epoch whose mean losses are not finite (diverged) is dropped from the
      history, the networks are restored, a ``ConvergenceWarning`` says what
      happened, and training stops (the policy: stop, do not retry).
    * An epoch cut short by Ctrl-C is dropped the same way, with a warning,
      so ``fit`` ends on the last complete epoch.
    """

    MODULES = ("module", "encoder", "discriminator")

    def _snapshot(self, net) -> None:
        self.state_ = {
            name: {k: v.detach().clone() for k, v in getattr(net, name + "_").state_dict().items()}
            for name in self.MODULES
            if hasattr(net, name + "_")
        }

    def _fall_back(self, net, message: str, category) -> None:
        for name, state in self.state_.items():
            getattr(net, name + "_").load_state_dict(state)
        net.history.pop()
        warnings.warn(message, category, stacklevel=2)

    def on_train_begin(self, net, **kwargs):
        self._snapshot(net)
        self.diverged_ = False

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        bad = [key for key in STEP_KEYS if not math.isfinite(row[key])]
        if not bad:
            self._snapshot(net)
            return
        self.diverged_ = True
        self._fall_back(
            net,
            f"GAN training diverged in epoch {row['epoch']} ({', '.join(bad)} not finite); "
            f"kept the networks of epoch {row['epoch'] - 1} and stopped training. Try a "
            f"lower lr.",
            ConvergenceWarning,
        )
        raise KeyboardInterrupt  # skorch's way for a callback to end training

    def on_train_end(self, net, **kwargs):
        interrupted = len(net.history) and "dur" not in net.history[-1]
        if interrupted and not self.diverged_:
            epoch = net.history[-1, "epoch"]
            self._fall_back(
                net,
                f"fit was interrupted during epoch {epoch}; kept the networks of the last "
                f"complete epoch ({epoch - 1}).",
                UserWarning,
            )


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
    objective : str, default="dcgan"
        Key into ``OBJECTIVES``: the adversarial step to run per batch.
    optimizer_d : type, default=torch.optim.Adam
        Discriminator optimizer; ``optimizer_d__*`` routes to it. Set
        ``optimizer_d__lr`` explicitly: skorch otherwise injects ``lr``.
    autocast_dtype : torch.dtype or None, default=None
        Run the forward passes under ``torch.autocast`` with this dtype
        (e.g. ``torch.bfloat16``); ``None`` keeps float32.
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
        encoder=None,
        objective="dcgan",
        optimizer_d=torch.optim.Adam,
        autocast_dtype=None,
        **kwargs,
    ):
        self.discriminator = discriminator
        self.encoder = encoder
        self.latent_dim = latent_dim
        self.objective = objective
        self.optimizer_d = optimizer_d
        self.autocast_dtype = autocast_dtype
        super().__init__(module, *args, **kwargs)

    def get_default_callbacks(self):
        callbacks = [("epoch_timer", EpochTimer()), ("last_good_epoch", LastGoodEpoch())]
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar(postfix_keys=list(STEP_KEYS))))
        return callbacks + [("print_log", PrintLog())]

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

    def autocast(self):
        """Autocast context for forward passes (a no-op without ``autocast_dtype``)."""
        return autocast(torch.device(self.device).type, self.autocast_dtype)

    def get_dataset(self, X, y=None):
        return X

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        return OBJECTIVES[self.objective](self, batch)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run the steps of one epoch and record the epoch means of ``STEP_KEYS``.

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
            values = torch.stack([step[key].float() for key in STEP_KEYS])
            totals = values * len(batch) if totals is None else totals + values * len(batch)
            count += len(batch)
            self.history.record_batch(prefix + "_batch_size", len(batch))
            if self.verbose:
                for key, value in zip(STEP_KEYS, values.tolist(), strict=True):
                    self.history.record_batch(key, value)
            self.notify("on_batch_end", batch=batch, training=training, **step)
        for key, value in zip(STEP_KEYS, (totals / count).tolist(), strict=True):
            self.history.record(key, value)
