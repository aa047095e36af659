"""What a GAN kind is: the :class:`GANSpec` every kind under ``skgan.gans`` fills in.

A spec is the one place that knows a kind: how its networks are built, its
training step, which read-outs it supports (through its capabilities), whether
it trains with labels, its own estimator parameters, the values its step
records in the history, and when its discriminator has collapsed. The trainer,
the read-outs, the parameter table and persistence ask the spec; none of them
compares ``gan`` with a string.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from .._nets import Networks

#: Per-batch values every step reports (some add more); their epoch means land in history.
STEP_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")
#: A discriminator has collapsed when its score on real images is above
#: ``1 - COLLAPSE_MARGIN`` and on generated ones below ``COLLAPSE_MARGIN`` for
#: ``COLLAPSE_EPOCHS`` epochs in a row: it then wins every round and the
#: generator gets no useful gradient.
COLLAPSE_MARGIN = 0.01
COLLAPSE_EPOCHS = 3
#: Adam's learning rate of both networks in Radford et al.'s DCGAN.
DEFAULT_LR = 2e-4
#: ``n_epochs="auto"`` unless a kind measured better (the MNIST benchmarks ran 10).
DEFAULT_EPOCHS = 10


@dataclass(frozen=True)
class NetSize:
    """The sizes a spec builds its networks for.

    ``channels``, ``side`` (the padded image side) and ``width`` as for
    :class:`skgan._nets.Discriminator`, ``latent_dim`` as for
    :class:`skgan._nets.Generator`; ``n_categories``: AC-GAN classes or CatGAN
    categories (ignored by the other kinds); ``self_supervision``: the
    discriminator's self-supervised task, whose heads it needs (``"none"``).
    """

    channels: int
    side: int
    width: int
    latent_dim: int
    n_categories: int = 0
    self_supervision: str = "none"


class GANSpec:
    """One GAN kind: networks, training step, capabilities and rules.

    Subclasses set the class attributes and implement :meth:`build` and
    :meth:`step`; one instance of each is registered in ``skgan.gans.GANS``.

    Attributes
    ----------
    name : str
        The value of ``GANFeatureExtractor(gan=...)``.
    title : str
        Its name in messages (``"AC-GAN"``).
    has_encoder : bool
        Whether it trains an encoder ``E(x)`` (the ``"encoder"`` read-out).
    conditional : bool
        Whether its generator draws images of given classes.
    has_categories : bool
        Whether its discriminator has category outputs (the ``"categories"``
        read-out).
    uses_labels : bool
        Whether it trains with the class labels ``y`` (``fit`` requires them).
    params : tuple of str
        Estimator parameters only this kind uses; the parameter table refuses
        a non-default value of one of them for the other kinds.
    real_score, fake_score : str
        What its history's ``d_real`` and ``d_fake`` measure, for messages.
    """

    name = ""
    title = ""
    has_encoder = False
    conditional = False
    has_categories = False
    uses_labels = False
    params: tuple[str, ...] = ()
    real_score = "mean D(x)"
    fake_score = "mean D(G(z))"

    def build(self, size: NetSize) -> Networks:
        """Build the kind's networks, initialised, for images of ``size``."""
        raise NotImplementedError

    def step(self, net, real: torch.Tensor, labels: torch.Tensor | None) -> dict:
        """One training step on a batch; returns the per-batch values to record.

        ``net`` is the :class:`skgan._trainer.GANTrainer` (networks, optimizers,
        noise, autocast and this kind's ``options``).
        """
        raise NotImplementedError

    def n_categories(self, options: dict, classes) -> int:
        """Category outputs to build: 0 unless the kind has categories."""
        return 0

    def learning_rate(self, options: dict) -> float:
        """Adam's rate for ``lr="auto"``: Radford et al.'s 2e-4 unless the kind measured better."""
        return DEFAULT_LR

    def n_epochs(self, options: dict, channels: int) -> int:
        """The epochs of ``n_epochs="auto"`` for images of ``channels`` channels."""
        return DEFAULT_EPOCHS

    def self_supervision(self, options: dict) -> str:
        """The discriminator's self-supervised task to build and train (``"none"``: no task)."""
        return "none"

    def history_keys(self, options: dict) -> tuple[str, ...]:
        """The values :meth:`step` records, given the kind's ``options``."""
        return STEP_KEYS

    def collapsed(self, row) -> bool:
        """Whether a history row shows the discriminator winning every round."""
        return row["d_real"] > 1 - COLLAPSE_MARGIN and row["d_fake"] < COLLAPSE_MARGIN

    def collapse_rule(self) -> str:
        """:meth:`collapsed` in words, for the warning that reports a collapse."""
        return (
            f"{self.real_score} > {1 - COLLAPSE_MARGIN} and {self.fake_score} < {COLLAPSE_MARGIN}"
        )

    def __repr__(self) -> str:
        return f"<GANSpec {self.name!r}>"


# ------------------------------------------------------------- shared step parts
def real_fake_loss(bce, logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    """BCE with label 1 for ``logit_real`` and 0 for ``logit_fake``."""
    return bce(logit_real, torch.ones_like(logit_real)) + bce(
        logit_fake, torch.zeros_like(logit_fake)
    )


@contextmanager
def frozen(module: torch.nn.Module):
    """The module's weights get no gradient in the block (the other player's step)."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


def step_record(loss_d, loss_g, logit_real, logit_fake) -> dict[str, torch.Tensor]:
    """The :data:`STEP_KEYS` values of a step with real/fake logits."""
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": torch.sigmoid(logit_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(logit_fake.detach().float()).mean(),
    }
