"""Size-driven DCGAN network builders: the one place that knows architectures.

The discriminator is a stack of stride-2 ``4 x 4`` convolution blocks named
``d0, d1, ...`` that halve the padded image side until the map is ``4 x 4``;
block ``i`` has ``width * 2**i`` channels, batchnorm on every block but the
first, and a LeakyReLU(0.2) that is *not* in-place, so the batchnorm output
stays readable for feature taps. A final ``4 x 4`` convolution gives one
logit. The generator mirrors it, ending in ``tanh``.
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import pairwise

import torch
from torch import nn


def n_blocks(side: int) -> int:
    """Number of stride-2 blocks that take a ``side x side`` image to ``4 x 4``."""
    return (side // 4).bit_length() - 1


def block_channels(width: int, side: int) -> list[int]:
    """Output channels of each discriminator block."""
    return [width * 2**i for i in range(n_blocks(side))]


class Discriminator(nn.Module):
    """DCGAN discriminator; ``forward`` returns one real/fake logit per image.

    Parameters
    ----------
    channels : int
        Image channels.
    side : int
        Padded image side, ``4 * 2**k`` with ``k >= 1``.
    width : int
        Channels of the first block; each later block doubles them.
    """

    def __init__(self, channels: int, side: int, width: int):
        super().__init__()
        blocks = []
        in_channels = channels
        for i, out_channels in enumerate(block_channels(width, side)):
            layers = OrderedDict(conv=nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=i == 0))
            if i > 0:
                layers["bn"] = nn.BatchNorm2d(out_channels)
            layers["act"] = nn.LeakyReLU(0.2, inplace=False)
            blocks.append((f"d{i}", nn.Sequential(layers)))
            in_channels = out_channels
        self.blocks = nn.Sequential(OrderedDict(blocks))
        self.head = nn.Conv2d(in_channels, 1, 4, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x)).flatten()


class Generator(nn.Module):
    """DCGAN generator mirroring :class:`Discriminator`: ``z -> tanh`` images.

    Parameters
    ----------
    latent_dim : int
        Length of the noise vector ``z``.
    channels, side, width : int
        As for :class:`Discriminator`.
    """

    def __init__(self, latent_dim: int, channels: int, side: int, width: int):
        super().__init__()
        widths = block_channels(width, side)[::-1]
        layers = [
            ("project", nn.ConvTranspose2d(latent_dim, widths[0], 4, 1, 0, bias=False)),
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

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(len(z), self.latent_dim, 1, 1))


def dcgan_init(module: nn.Module) -> None:
    """Radford et al.'s initialisation: N(0, 0.02) convs, N(1, 0.02) BN scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_dcgan(
    channels: int, side: int, width: int, latent_dim: int
) -> tuple[Generator, Discriminator]:
    """Build and initialise a matching generator / discriminator pair."""
    generator = Generator(latent_dim, channels, side, width)
    discriminator = Discriminator(channels, side, width)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    return generator, discriminator
