"""Features read out of a fitted discriminator (Radford et al.'s recipe).

Each tapped block's map (conv output, batchnorm output or activation) is
pooled to a non-overlapping ``pool_size x pool_size`` grid (the whole map
when it is smaller), flattened channel-major and concatenated over blocks.
Batchnorm layers use *population* statistics over the training set, set by
:func:`set_population_statistics`, so a sample's features never depend on
the batch it is transformed in.

A BiGAN's encoder gives the other read-out, :func:`encoder_features`: its
code ``E(x)`` or its penultimate layer (the last block's activation, whole).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from ._nets import Discriminator, Encoder

TAPS = ("conv", "batchnorm", "activation")
#: What ``encoder_layer`` may read: the code ``E(x)`` or the layer before it.
ENCODER_LAYERS = ("latent", "penultimate")
POOLINGS = {"max": F.adaptive_max_pool2d, "avg": F.adaptive_avg_pool2d}


def _block_taps(block: torch.nn.Sequential, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every tap of one block; ``batchnorm`` is the conv output where a block has none."""
    taps = {"conv": block.conv(x)}
    taps["batchnorm"] = block.bn(taps["conv"]) if hasattr(block, "bn") else taps["conv"]
    taps["activation"] = block.act(taps["batchnorm"])
    return taps


@torch.no_grad()
def set_population_statistics(discriminator: Discriminator, batches: Iterable) -> None:
    """Replace each batchnorm's running stats by exact training-set statistics.

    Layers are done in order, one pass each, so a layer's statistics are taken
    on inputs normalised by the population statistics of the layers before it.
    ``batches`` must be re-iterable.
    """
    discriminator.eval()
    blocks = list(discriminator.blocks)
    for index, block in enumerate(blocks):
        if not hasattr(block, "bn"):
            continue
        total = total_sq = None
        count = 0
        for x in batches:
            h = x
            for earlier in blocks[:index]:
                h = earlier(h)
            h = block.conv(h).double()
            batch_sum, batch_sq = h.sum(dim=(0, 2, 3)), (h * h).sum(dim=(0, 2, 3))
            total = batch_sum if total is None else total + batch_sum
            total_sq = batch_sq if total_sq is None else total_sq + batch_sq
            count += h.numel() // h.shape[1]
        mean = total / count
        block.bn.running_mean.copy_(mean)
        block.bn.running_var.copy_((total_sq / count - mean * mean).clamp_min(0))


def tap_layout(
    discriminator: Discriminator, side: int, layers: list[int], pool_size: int
) -> list[tuple[str, int, int]]:
    """``(block name, channels, grid side)`` of each tapped block, in order."""
    names = [name for name, _ in discriminator.blocks.named_children()]
    layout = []
    for index in layers:
        channels = discriminator.blocks[index].conv.out_channels
        map_side = side // 2 ** (index + 1)
        layout.append((names[index], channels, min(pool_size, map_side)))
    return layout


def feature_names(layout: list[tuple[str, int, int]], tap: str) -> np.ndarray:
    """Names like ``d2_activation_c017_r1_c3``: block, tap, channel, grid row, column."""
    names = [
        f"{block}_{tap}_c{c:03d}_r{r}_c{col}"
        for block, channels, grid in layout
        for c in range(channels)
        for r in range(grid)
        for col in range(grid)
    ]
    return np.asarray(names, dtype=object)


def discriminator_features(
    discriminator: Discriminator,
    x: torch.Tensor,
    layers: list[int],
    tap: str,
    pool_size: int,
    pooling: str,
) -> torch.Tensor:
    """Pooled, flattened, concatenated taps of ``layers`` for images ``x``."""
    pool = POOLINGS[pooling]
    wanted = set(layers)
    pooled = {}
    h = x
    for index, block in enumerate(discriminator.blocks[: max(layers) + 1]):
        taps = _block_taps(block, h)
        if index in wanted:
            grid = min(pool_size, taps[tap].shape[-1])
            pooled[index] = pool(taps[tap], grid).flatten(1)
        h = taps["activation"]
    return torch.cat([pooled[index] for index in layers], dim=1)


def latent_names(latent_dim: int) -> np.ndarray:
    """Names of latent-code features: ``z000, z001, ...``."""
    return np.asarray([f"z{i:03d}" for i in range(latent_dim)], dtype=object)


def category_names(n_categories: int) -> np.ndarray:
    """Names of category-posterior features: ``category000, category001, ...``."""
    return np.asarray([f"category{k:03d}" for k in range(n_categories)], dtype=object)


def category_features(discriminator: Discriminator, x: torch.Tensor) -> torch.Tensor:
    """The discriminator's posterior over its categories, ``softmax`` of their logits."""
    logits = discriminator.category_logits(discriminator(x))
    return torch.softmax(logits.float(), dim=1)


def penultimate_layout(encoder: Encoder, side: int) -> list[tuple[str, int, int]]:
    """Tap layout of the encoder's last block, taken whole (its map is ``4 x 4``)."""
    return tap_layout(encoder, side, [len(encoder.blocks) - 1], pool_size=4)


def encoder_features(encoder: Encoder, x: torch.Tensor, layer: str) -> torch.Tensor:
    """``E(x)`` (``layer="latent"``) or the flattened last-block activation (``"penultimate"``)."""
    if layer == "latent":
        return encoder(x)
    return encoder.blocks(x).flatten(1)
