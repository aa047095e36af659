"""Size-driven GAN network builders: the one place that knows architectures.

The discriminator is a stack of stride-2 ``4 x 4`` convolution blocks named
``d0, d1, ...`` that halve the padded image side until the map is ``4 x 4``;
block ``i`` has ``width * 2**i`` channels, batchnorm on every block but the
first, and a LeakyReLU(0.2) that is *not* in-place, so the batchnorm output
stays readable for feature taps. A final ``4 x 4`` convolution gives one
logit. The generator mirrors it, ending in ``tanh``.

BiGAN (Donahue et al., 2016; ALI, Dumoulin et al., 2016) adds an encoder, the
same block stack (named ``e0, e1, ...``) ending in a ``4 x 4`` convolution to
``latent_dim`` values, and replaces the discriminator by a joint D(x, z)
whose x-path is the DCGAN discriminator's block stack, so the same feature
taps read it.

The class-aware kinds change only the heads: AC-GAN (Odena et al., 2017)
gives the discriminator's final convolution ``1 + K`` outputs (the real/fake
logit, then ``K`` class logits) and feeds the generator a one-hot class next
to ``z``; CatGAN (Springenberg, 2015) gives it ``K`` category logits and no
real/fake output. Their block stacks are the DCGAN discriminator's, so every
feature tap works unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn


def n_blocks(side: int) -> int:
    """Number of stride-2 blocks that take a ``side x side`` image to ``4 x 4``."""
    return (side // 4).bit_length() - 1


def block_channels(width: int, side: int) -> list[int]:
    """Output channels of each discriminator block."""
    return [width * 2**i for i in range(n_blocks(side))]


def conv_blocks(channels: int, side: int, width: int, prefix: str = "d") -> nn.Sequential:
    """The stride-2 block stack that takes ``side x side`` images to ``4 x 4`` maps."""
    blocks = []
    in_channels = channels
    for i, out_channels in enumerate(block_channels(width, side)):
        layers = OrderedDict(conv=nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=i == 0))
        if i > 0:
            layers["bn"] = nn.BatchNorm2d(out_channels)
        layers["act"] = nn.LeakyReLU(0.2, inplace=False)
        blocks.append((f"{prefix}{i}", nn.Sequential(layers)))
        in_channels = out_channels
    return nn.Sequential(OrderedDict(blocks))


class Discriminator(nn.Module):
    """DCGAN discriminator: one real/fake logit per image, and optional category logits.

    Parameters
    ----------
    channels : int
        Image channels.
    side : int
        Padded image side, ``4 * 2**k`` with ``k >= 1``.
    width : int
        Channels of the first block; each later block doubles them.
    n_categories : int, default=0
        Category logits the head adds (AC-GAN's classes, CatGAN's categories).
    real_fake : bool, default=True
        Whether the head has the real/fake logit (CatGAN's has none).
    self_supervision : {"none", "contrastive", "rotation"}, default="none"
        The heads of a self-supervised discriminator's own task
        (``skgan.gans._selfsup``), on the flattened last block:
        ``"contrastive"`` adds ContraD's two projection MLPs,
        ``projection`` (views of real images) and ``projection_fake``
        (gathering generated ones); ``"rotation"`` adds SS-GAN's 4-way
        ``rotation`` classifier. The feature taps never read them.

    Notes
    -----
    ``forward`` returns the ``(n,)`` real/fake logits of a plain
    discriminator; with categories, ``(n, real_fake + n_categories)`` logits:
    the real/fake one first, if any, then the categories
    (:meth:`category_logits` picks those).
    """

    def __init__(
        self,
        channels: int,
        side: int,
        width: int,
        n_categories: int = 0,
        real_fake: bool = True,
        self_supervision: str = "none",
    ):
        super().__init__()
        self.blocks = conv_blocks(channels, side, width)
        last = block_channels(width, side)[-1]
        self.head = nn.Conv2d(last, int(real_fake) + n_categories, 4, 1, 0)
        if self_supervision == "contrastive":
            self.projection = projection_head(last * 16, 8 * width, 2 * width)
            self.projection_fake = projection_head(last * 16, 8 * width, 2 * width)
        elif self_supervision == "rotation":
            self.rotation = nn.Linear(last * 16, 4)
        self.n_categories = n_categories
        self.real_fake = real_fake
        self.self_supervision = self_supervision

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.blocks(x)).flatten(1)
        return logits if self.n_categories else logits[:, 0]

    def category_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The category columns of :meth:`forward`'s output."""
        return logits[:, int(self.real_fake) :]


def projection_head(features: int, hidden: int, out: int) -> nn.Sequential:
    """SimCLR's projection MLP: the contrastive loss compares its outputs, not the features."""
    return nn.Sequential(nn.Linear(features, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, out))


class Generator(nn.Module):
    """DCGAN generator mirroring :class:`Discriminator`: ``z -> tanh`` images.

    Parameters
    ----------
    latent_dim : int
        Length of the noise vector ``z``.
    channels, side, width : int
        As for :class:`Discriminator`.
    n_classes : int, default=0
        With ``n_classes > 0`` the generator is class-conditional (AC-GAN):
        ``forward(z, classes)`` appends the one-hot class to ``z``.
    """

    def __init__(self, latent_dim: int, channels: int, side: int, width: int, n_classes: int = 0):
        super().__init__()
        widths = block_channels(width, side)[::-1]
        inputs = latent_dim + n_classes
        layers = [
            ("project", nn.ConvTranspose2d(inputs, widths[0], 4, 1, 0, bias=False)),
            ("project_bn", nn.BatchNorm2d(widths[0])),
            ("project_act", nn.ReLU()),
        ]
        for i, (c_in, c_out) in enumerate(pairwise(widths)):
            layers += [
                (f"g{i}", nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)),
                (f"g{i}_bn", nn.BatchNorm2d(c_out)),
                (f"g{i}_act", nn.ReLU()),
            ]
        layers += [
            ("out", nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False)),
            ("tanh", nn.Tanh()),
        ]
        self.net = nn.Sequential(OrderedDict(layers))
        self.latent_dim = latent_dim
        self.n_classes = n_classes

    def forward(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        z = z.reshape(len(z), self.latent_dim)
        if self.n_classes:
            if classes is None:
                raise ValueError("This generator is class-conditional: pass the classes to draw.")
            z = torch.cat([z, F.one_hot(classes, self.n_classes).to(z.dtype)], dim=1)
        return self.net(z[:, :, None, None])


class Encoder(nn.Module):
    """BiGAN encoder ``x -> z``: the discriminator's block stack, then ``latent_dim`` values.

    Parameters
    ----------
    latent_dim : int
        Length of the code ``z``.
    channels, side, width : int
        As for :class:`Discriminator`.
    """

    def __init__(self, latent_dim: int, channels: int, side: int, width: int):
        super().__init__()
        self.blocks = conv_blocks(channels, side, width, prefix="e")
        self.head = nn.Conv2d(block_channels(width, side)[-1], latent_dim, 4, 1, 0)
        self.latent_dim = latent_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x)).flatten(1)


class SpectralLinear(nn.Linear):
    """A linear layer with its weight divided by its largest singular value.

    Spectral normalisation (Miyato et al., 2018) keeps the joint
    discriminator's fully connected layers 1-Lipschitz; without it the joint
    D wins the BiGAN game within a few epochs and the encoder stops learning.
    Each training forward pass refines the singular vectors ``u`` and ``v``
    (buffers) by one power iteration. Unlike torch's parametrization, the
    module deep-copies and pickles.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features)
        self.register_buffer("u", F.normalize(torch.randn(out_features), dim=0))
        self.register_buffer("v", F.normalize(torch.randn(in_features), dim=0))

    def sigma(self) -> torch.Tensor:
        """The largest singular value as the power iteration estimates it, in float32.

        Under autocast, ``weight @ v`` would run in bf16: ``torch.dot`` of a
        float32 ``u`` and that bf16 vector fails on CPU, and on CUDA sigma is
        off by about 0.4 %. So autocast is off here and everything is float32.
        """
        with torch.autocast(self.weight.device.type, enabled=False):
            weight = self.weight.float()
            if self.training:
                with torch.no_grad():
                    self.v.copy_(F.normalize(weight.t() @ self.u, dim=0))
                    self.u.copy_(F.normalize(weight @ self.v, dim=0))
            # Copies: a later forward pass updates the buffers before this one's backward.
            u, v = self.u.clone(), self.v.clone()
            return torch.dot(u, weight @ v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight / self.sigma(), self.bias)


class JointDiscriminator(nn.Module):
    """BiGAN discriminator ``D(x, z)``: one real/fake logit per (image, code) pair.

    The x-path is :class:`Discriminator`'s block stack (``blocks``, readable by
    the same feature taps), the z-path two LeakyReLU layers; the joint head
    sees both. The fully connected layers are spectrally normalised
    (:class:`SpectralLinear`) and followed by dropout, so that the joint D
    does not overpower G and E.

    Parameters
    ----------
    latent_dim : int
        Length of the code ``z``.
    channels, side, width : int
        As for :class:`Discriminator`.
    dropout : float, default=0.2
        Dropout probability in the z-path and the joint head.
    """

    def __init__(self, latent_dim: int, channels: int, side: int, width: int, dropout: float = 0.2):
        super().__init__()
        self.blocks = conv_blocks(channels, side, width)
        x_features = block_channels(width, side)[-1] * 16
        z_features, hidden = 8 * width, 16 * width
        self.z_path = nn.Sequential(
            SpectralLinear(latent_dim, z_features),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            SpectralLinear(z_features, z_features),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
        )
        self.head = nn.Sequential(
            SpectralLinear(x_features + z_features, hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            SpectralLinear(hidden, 1),
        )

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        joint = torch.cat([self.blocks(x).flatten(1), self.z_path(z)], dim=1)
        return self.head(joint).flatten()


def dcgan_init(module: nn.Module) -> None:
    """Radford et al.'s initialisation: N(0, 0.02) convs, N(1, 0.02) BN scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@dataclass
class Networks:
    """The networks of one GAN, by role; ``encoder`` is None for kinds without one."""

    generator: Generator
    discriminator: nn.Module
    encoder: Encoder | None = None

    def roles(self) -> dict[str, nn.Module]:
        """``{role: module}`` of the networks that exist, generator first."""
        roles = {"generator": self.generator, "discriminator": self.discriminator}
        return roles if self.encoder is None else {**roles, "encoder": self.encoder}

    def map(self, function) -> Networks:
        """The networks with ``function`` applied to each that exists."""
        encoder = None if self.encoder is None else function(self.encoder)
        return Networks(function(self.generator), function(self.discriminator), encoder)

    def initialised(self) -> Networks:
        """The networks with Radford et al.'s initialisation applied (:func:`dcgan_init`).

        Generator, encoder, discriminator: the order they draw from torch's RNG.
        """
        for module in (self.generator, self.encoder, self.discriminator):
            if module is not None:
                module.apply(dcgan_init)
        return self
