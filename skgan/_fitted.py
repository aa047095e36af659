"""The fitted GAN: one object that persistence, the read-outs and ``sample`` use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length, column_or_1d
from skorch.history import History

from ._images import ImageLayout, in_input_layout
from ._nets import Networks
from .gans import GANS, GANSpec


@dataclass
class FittedGAN:
    """Everything a fit produced, as one value.

    Parameters
    ----------
    kind : str
        The GAN kind trained (a key of ``skgan.gans.GANS``).
    networks : Networks
        The trained networks, on CPU, in eval mode, batchnorm with
        population statistics.
    layout : ImageLayout
        How flat samples map to the networks' images.
    input_ndim : int
        Dimensionality of the ``X`` given to ``fit`` (2, 3 or 4).
    feature_names_in : ndarray of str or None
        Column names of ``X``, when it had string column names.
    classes : ndarray or None
        The class labels of a kind trained with labels, sorted.
    history : skorch.History
        One record per epoch.
    best_epoch : int
        The epoch whose networks were kept.
    record : dict or None
        The training state to continue from (``None`` for files of skgan
        0.1.0, which cannot warm-start).
    channels_last : bool, default=False
        Whether a 4-D ``X`` given to ``fit`` was ``(n_samples, H, W, C)``, so
        that generated images come back laid out the same way.
    """

    kind: str
    networks: Networks
    layout: ImageLayout
    input_ndim: int
    feature_names_in: np.ndarray | None
    classes: np.ndarray | None
    history: History
    best_epoch: int
    record: dict | None
    channels_last: bool = False

    @property
    def spec(self) -> GANSpec:
        return GANS[self.kind]

    @property
    def width(self) -> int:
        return self.networks.discriminator.blocks[0].conv.out_channels

    @property
    def latent_dim(self) -> int:
        return self.networks.generator.latent_dim

    @property
    def n_categories(self) -> int:
        return getattr(self.networks.discriminator, "n_categories", 0)

    @property
    def self_supervision(self) -> str:
        """The discriminator's self-supervised task (``"none"``; older fits have none)."""
        return getattr(self.networks.discriminator, "self_supervision", "none")

    def architecture(self) -> dict:
        """``gan``, ``width``, ``latent_dim`` (and the kind's own sizes and task), as built."""
        arch = {"gan": self.kind, "width": self.width, "latent_dim": self.latent_dim}
        if "n_categories" in self.spec.params:
            arch["n_categories"] = self.n_categories
        if "self_supervision" in self.spec.params:
            arch["self_supervision"] = self.self_supervision
        return arch

    def sample_classes(self, n_samples: int, y, rng: torch.Generator) -> torch.Tensor | None:
        """Class indices for a conditional generator (from ``y`` or drawn); None otherwise."""
        if not self.spec.conditional:
            if y is not None:
                raise ValueError(
                    "y picks the classes of an AC-GAN's images; this generator is not "
                    "class-conditional (gan='acgan' is)."
                )
            return None
        if y is None:
            return torch.randint(len(self.classes), (n_samples,), generator=rng)
        y = column_or_1d(y)
        check_consistent_length(np.empty(n_samples), y)
        unknown = np.setdiff1d(y, self.classes)
        if len(unknown):
            raise ValueError(
                f"y holds classes {unknown.tolist()} that are not in classes_ = "
                f"{self.classes.tolist()}."
            )
        return torch.from_numpy(np.searchsorted(self.classes, y))

    def generate(self, z: torch.Tensor, classes=None, batch_size: int = 512) -> np.ndarray:
        """``G(z)`` (of ``classes``, if conditional) shaped and scaled like ``fit``'s ``X``."""
        generator = self.networks.generator.eval()
        codes = z.split(batch_size)
        classes = [None] * len(codes) if classes is None else classes.split(batch_size)
        with torch.inference_mode():
            flat = torch.cat(
                [
                    self.layout.from_model(generator(code, code_classes))
                    for code, code_classes in zip(codes, classes, strict=True)
                ]
            ).numpy()
        return in_input_layout(flat, self.layout.shape, self.input_ndim, self.channels_last)

    def sample(self, n_samples: int, random_state=None, y=None, batch_size: int = 512):
        """``n_samples`` images from the generator (of classes ``y``, or drawn, if conditional)."""
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        rng = torch.Generator().manual_seed(seed)
        z = torch.randn(n_samples, self.latent_dim, generator=rng)
        return self.generate(z, self.sample_classes(n_samples, y, rng), batch_size)
