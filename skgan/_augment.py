"""Batched image augmentation with per-sample random parameters, on the images' device.

A self-supervised discriminator (``skgan.gans._selfsup``) compares augmented
views of each image, and ContraD augments generated images the same way
(DiffAugment). Every view is one affine warp, drawn per sample: rotation,
zoom, translation, an optional random resized crop and horizontal flip,
composed into a single ``2 x 3`` matrix and applied by ``F.affine_grid`` /
``F.grid_sample`` (with an optional smooth elastic displacement added to the
sampling grid), then an optional brightness / contrast / saturation / hue jitter and
random greyscale (SimCLR's colour distortion).
That is one kernel pair for the whole batch; torchvision's v2 transforms draw
one parameter set per call (the same warp for every image of a batch), and
kornia adds a dependency for the same two kernels
(benchmarks/results/augmentation-cpu.md measured the three).

The warp is differentiable, so generated images keep their gradient to G.
Random parameters come from ``torch``'s RNG of the images' device (or a given
``torch.Generator``): training seeds it from ``random_state``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """One family of random views: a per-sample affine warp, then colour jitter.

    Parameters
    ----------
    rotation : float
        Largest rotation, in degrees (uniform in ``[-rotation, rotation]``).
    scale : tuple of float
        Zoom range; ``> 1`` enlarges the content.
    translation : float
        Largest shift, as a fraction of the image side, per axis.
    crop : tuple of float or None
        Area range of a random resized crop (as a fraction of the image,
        aspect ratio in ``[3/4, 4/3]``), resized back to the full side.
    flip : bool
        Mirror half of the images left-right (not for digits).
    elastic : float
        Largest shift of a smooth random displacement field, as a fraction of
        the image side (Simard et al., 2003's elastic distortion of digits):
        each image draws shifts uniform in ``[-elastic, elastic]`` at
        ``ELASTIC_GRID x ELASTIC_GRID`` control points, interpolated
        bicubically over the image. No preset uses it: on MNIST it measured
        no gain (``benchmarks/results/selfsup_ablation-cpu.md``).
    jitter : float
        Largest relative change of brightness, contrast and (colour images)
        saturation.
    hue : float
        Largest rotation of colour images' hues, as a fraction of a full turn
        about the grey axis (torchvision's ``ColorJitter(hue=)`` scale: at most 0.5).
    jitter_p : float
        Probability that an image is colour-jittered at all (SimCLR: 0.8).
    grayscale : float
        Probability that a colour image becomes grey (its channel mean in
        every channel; SimCLR's colour dropping, 0.2).
    fill : {"background", "border"}
        What enters at the edges: the lowest value, ``-1`` (the background of
        digits scaled to ``[-1, 1]``), or the nearest edge pixel.
    """

    rotation: float = 0.0
    scale: tuple[float, float] = (1.0, 1.0)
    translation: float = 0.0
    crop: tuple[float, float] | None = None
    flip: bool = False
    elastic: float = 0.0
    jitter: float = 0.0
    hue: float = 0.0
    jitter_p: float = 1.0
    grayscale: float = 0.0
    fill: str = "background"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Augmented views of the ``(n, C, H, W)`` batch ``x``, in ``[-1, 1]``."""
        if self.is_identity():
            return x
        theta = self.matrices(len(x), x.device, generator).to(x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        if self.elastic:
            grid = grid + self._displacement(x, generator)
        views = _sample(x, grid, self.fill)
        if self.jitter or self.hue:
            views = self._jittered(views, generator)
        if self.grayscale and x.shape[1] == 3:
            views = self._greyed(views, generator)
        return views

    def is_identity(self) -> bool:
        """Whether every view equals its image."""
        return self == Augment(fill=self.fill, jitter_p=self.jitter_p)

    def matrices(self, n: int, device, generator=None) -> torch.Tensor:
        """``n`` random ``2 x 3`` affine matrices (output to input coordinates, in [-1, 1])."""

        def uniform(low, high, size=(n,)):
            return low + (high - low) * torch.rand(size, device=device, generator=generator)

        angle = uniform(-math.radians(self.rotation), math.radians(self.rotation))
        # Sampling coordinates shrink by the zoom: content grows by it.
        zoom = 1.0 / uniform(*self.scale)
        size_x = size_y = torch.ones(n, device=device)
        centre = uniform(-self.translation, self.translation, (n, 2)) * 2
        if self.crop is not None:
            area = uniform(*self.crop)
            ratio = torch.exp(uniform(math.log(3 / 4), math.log(4 / 3)))
            size_x = torch.sqrt(area * ratio).clamp(max=1.0)
            size_y = torch.sqrt(area / ratio).clamp(max=1.0)
            room = torch.stack([1 - size_x, 1 - size_y], dim=1)
            centre = centre + uniform(-1.0, 1.0, (n, 2)) * room
        if self.flip:
            size_x = size_x * torch.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
        return torch.stack(
            [
                torch.stack([cos * size_x, -sin * size_y, centre[:, 0]], dim=1),
                torch.stack([sin * size_x, cos * size_y, centre[:, 1]], dim=1),
            ],
            dim=1,
        )

    def _displacement(self, x: torch.Tensor, generator) -> torch.Tensor:
        """A smooth ``(n, H, W, 2)`` field of sampling-grid shifts, per image."""
        n, _, height, width = x.shape
        unit = torch.rand((n, 2, ELASTIC_GRID, ELASTIC_GRID), device=x.device, generator=generator)
        # Grid coordinates span 2 per side, so a shift of f sides is 2 f.
        coarse = (2 * unit - 1).to(x.dtype) * (2 * self.elastic)
        # A few control points interpolated smoothly: the smoothing that Simard et
        # al. apply to a per-pixel field with a Gaussian, in one small kernel.
        field = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
        # Bicubic interpolation overshoots its control points by up to a fifth.
        return field.clamp(-2 * self.elastic, 2 * self.elastic).permute(0, 2, 3, 1)

    def _chosen(self, x: torch.Tensor, p: float, generator) -> torch.Tensor:
        """A ``(n, 1, 1, 1)`` mask: 1 for the images drawn with probability ``p``."""
        unit = torch.rand((len(x), 1, 1, 1), device=x.device, generator=generator)
        return (unit < p).to(x.dtype)

    def _jittered(self, x: torch.Tensor, generator) -> torch.Tensor:
        n, channels = x.shape[:2]
        # Images left unjittered draw factors too, so the RNG stream is one per batch;
        # jitter on every image draws no mask (the stream of fits before jitter_p).
        applied = 1.0 if self.jitter_p >= 1 else self._chosen(x, self.jitter_p, generator)

        def uniform(largest):
            unit = torch.rand((n, 1, 1, 1), device=x.device, generator=generator)
            return applied * largest * (2 * unit - 1)

        x = (x + 1) * (1 + uniform(self.jitter)) - 1  # brightness: above the black level
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * (1 + uniform(self.jitter)) + mean
        if channels == 3:
            grey = x.mean(dim=1, keepdim=True)
            x = (x - grey) * (1 + uniform(self.jitter)) + grey
            if self.hue:
                x = _hue_rotated(x, 2 * math.pi * uniform(self.hue))
        return x.clamp(-1.0, 1.0)

    def _greyed(self, x: torch.Tensor, generator) -> torch.Tensor:
        chosen = self._chosen(x, self.grayscale, generator)
        return x + chosen * (x.mean(dim=1, keepdim=True) - x)


def _hue_rotated(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """RGB ``x`` rotated by ``angle`` (radians, ``(n, 1, 1, 1)``) about the grey axis.

    Rodrigues' formula about ``k = (1, 1, 1) / sqrt(3)``: brightness (the
    projection on ``k``) is kept and the chroma turns, which is the hue shift
    of HSV up to its hexagonal approximation, as one linear map per image.
    """
    cos, sin = torch.cos(angle), torch.sin(angle)
    grey = x.mean(dim=1, keepdim=True)
    cross = torch.stack(
        [x[:, 2] - x[:, 1], x[:, 0] - x[:, 2], x[:, 1] - x[:, 0]], dim=1
    ) / math.sqrt(3)
    return x * cos + cross * sin + grey * (1 - cos)


#: Control points per side of the ``elastic`` displacement field.
ELASTIC_GRID = 4


def _sample(x: torch.Tensor, grid: torch.Tensor, fill: str) -> torch.Tensor:
    if fill == "border":
        return F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    # Zero padding of x + 1 fills with -1: the background of [-1, 1] images.
    return F.grid_sample(x + 1, grid, padding_mode="zeros", align_corners=False) - 1


#: ``augmentation`` presets of ``GANFeatureExtractor``.
AUGMENTATIONS = {
    # Digits and other small grayscale shapes: no flips (they change the class);
    # brightness / contrast jitter helped the few-label probe (selfsup_ablation).
    "digits": Augment(rotation=15.0, scale=(0.8, 1.2), translation=0.125, jitter=0.4),
    # Photographs: SimCLR's views at its CIFAR-10 strength (s = 0.5): resized
    # crop, flip, colour jitter (0.4, hue 0.1) on 80 % of the images, 20 % grey.
    "natural": Augment(
        crop=(0.2, 1.0),
        flip=True,
        jitter=0.4,
        hue=0.1,
        jitter_p=0.8,
        grayscale=0.2,
        fill="border",
    ),
    "none": Augment(),
}


def resolve_augmentation(name: str, channels: int) -> Augment:
    """The preset ``name``; ``"auto"``: ``"digits"`` for one channel, ``"natural"`` else."""
    if name == "auto":
        name = "digits" if channels == 1 else "natural"
    return AUGMENTATIONS[name]
