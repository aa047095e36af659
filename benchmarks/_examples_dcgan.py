"""The pytorch/examples DCGAN (``dcgan/main.py``), trained by its own plain-PyTorch loop.

For the benchmark rows that read a network skgan did not train, through
``skgan.DiscriminatorFeatures``: MNIST digits resized to 64 x 64 (bilinear,
antialiased, as ``transforms.Resize(64)``) and scaled to [-1, 1] (as
``ToTensor()`` + ``Normalize((0.5,), (0.5,))``), BCE loss, Adam with lr 2e-4
and betas (0.5, 0.999), batches of 64, D stepped on a real and a generated
batch, then G. Batchnorm layers are in training mode throughout, so their
running statistics are whatever the loop left.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _multipliers(image_size: int) -> list[int]:
    """Channel multipliers of the layers: ``[8, 4, 2, 1]`` at 64 x 64, ``[4, 2, 1]`` at 32."""
    if image_size not in (32, 64):
        raise ValueError(f"image_size must be 32 or 64, got {image_size}")
    return [2**k for k in reversed(range(int(math.log2(image_size)) - 2))]


class Generator(nn.Module):
    """pytorch/examples' generator; ``image_size=32`` drops its first stride-2 layer."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1, image_size: int = 64):
        super().__init__()
        first, *rest = _multipliers(image_size)
        layers = [nn.ConvTranspose2d(nz, ngf * first, 4, 1, 0, bias=False)]
        layers += [nn.BatchNorm2d(ngf * first), nn.ReLU(True)]
        for m in rest:
            layers += [nn.ConvTranspose2d(ngf * m * 2, ngf * m, 4, 2, 1, bias=False)]
            layers += [nn.BatchNorm2d(ngf * m), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    """pytorch/examples' discriminator; ``image_size=32`` drops its last stride-2 layer."""

    def __init__(self, ndf: int = 64, nc: int = 1, image_size: int = 64):
        super().__init__()
        *rest, last = reversed(_multipliers(image_size))
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for m in rest:
            layers += [nn.Conv2d(ndf * m, ndf * m * 2, 4, 2, 1, bias=False)]
            layers += [nn.BatchNorm2d(ndf * m * 2), nn.LeakyReLU(0.2, inplace=True)]
        layers += [nn.Conv2d(ndf * last, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def weights_init(m) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train(
    X: np.ndarray,
    n_epochs: int,
    *,
    seed: int,
    device: str,
    width: int = 64,
    nz: int = 100,
    batch_size: int = 64,
    image_size: int = 64,
) -> tuple[Generator, Discriminator, dict]:
    """netG, netD (on CPU) and a fit record after ``n_epochs`` over uint8 digits ``X``."""
    torch.manual_seed(seed)
    device = torch.device(device)
    netG = Generator(nz, width, image_size=image_size).apply(weights_init).to(device)
    netD = Discriminator(width, image_size=image_size).apply(weights_init).to(device)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = torch.as_tensor(X.reshape(len(X), 1, *X.shape[-2:])).to(device)
    epochs, history = [], []
    for epoch in range(n_epochs):
        start = time.perf_counter()
        for index in torch.randperm(len(data), device=device).split(batch_size):
            real = data[index].float() / 255 * 2 - 1
            real = F.interpolate(real, size=image_size, mode="bilinear", antialias=True)
            n = len(real)
            netD.zero_grad()
            errD_real = criterion(netD(real), torch.ones(n, device=device))
            fake = netG(torch.randn(n, nz, 1, 1, device=device))
            errD_fake = criterion(netD(fake.detach()), torch.zeros(n, device=device))
            (errD_real + errD_fake).backward()
            optD.step()
            netG.zero_grad()
            errG = criterion(netD(fake), torch.ones(n, device=device))
            errG.backward()
            optG.step()
        epochs.append(time.perf_counter() - start)
        history.append(
            {"epoch": epoch + 1, "loss_d": float(errD_real + errD_fake), "loss_g": float(errG)}
        )
        print(f"pytorch/examples DCGAN epoch {epoch + 1}: {epochs[-1]:.0f} s", flush=True)
    record = {
        "gan": f"pytorch/examples dcgan ({image_size}x{image_size})",
        "width": width,
        "latent_dim": nz,
        "n_epochs": n_epochs,
        "epoch_seconds": epochs,
        "mean_epoch_seconds": float(np.mean(epochs)) if epochs else None,
        "train_images_per_s": len(X) / np.mean(epochs) if epochs else None,
        "fit_seconds": float(sum(epochs)),
        "history": history,
    }
    return netG.cpu(), netD.cpu(), record
