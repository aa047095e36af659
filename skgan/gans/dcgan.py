"""DCGAN (Radford et al., 2015): the non-saturating BCE game of G against D.

Its discriminator may also learn a self-supervised task about real images
(``self_supervision``; ContraD's contrastive views or SS-GAN's rotations,
``skgan.gans._selfsup``): the same generator, block stack and feature taps.
"""

from __future__ import annotations

import torch

from .._nets import Discriminator, Generator, Networks
from ._selfsup import STEPS, TASK_KEYS
from ._spec import (
    DEFAULT_LR,
    STEP_KEYS,
    GANSpec,
    NetSize,
    frozen,
    real_fake_loss,
    step_record,
)

#: What ``self_supervision="auto"`` trains: the task that gave the best features measured.
DEFAULT_TASK = "contrastive"
#: ``lr="auto"`` with the contrastive task: on 10000 MNIST digits x 2 epochs it gave
#: better features than 2e-4 (benchmarks/results/selfsup_ablation-cpu.md).
CONTRASTIVE_LR = 1e-3
#: ``n_epochs="auto"`` of the contrastive task on colour images: on all of CIFAR-10 a
#: 20-epoch fit scored about 2 points above 10-epoch ones in every label column, in
#: 3344 s on 2 CPU cores (benchmarks/results/cifar10_full-cpu.md).
CONTRASTIVE_COLOUR_EPOCHS = 20


class DCGAN(GANSpec):
    """Alternating D / G updates with the non-saturating BCE loss (or a D task's step)."""

    name = "dcgan"
    title = "DCGAN"
    params = ("self_supervision", "augmentation", "temperature")

    def build(self, size: NetSize) -> Networks:
        return Networks(
            generator=Generator(size.latent_dim, size.channels, size.side, size.width),
            discriminator=Discriminator(
                size.channels, size.side, size.width, self_supervision=size.self_supervision
            ),
        ).initialised()

    def self_supervision(self, options):
        task = options["self_supervision"]
        return DEFAULT_TASK if task == "auto" else task

    def learning_rate(self, options):
        return CONTRASTIVE_LR if self.self_supervision(options) == "contrastive" else DEFAULT_LR

    def n_epochs(self, options, channels):
        if self.self_supervision(options) == "contrastive" and channels > 1:
            return CONTRASTIVE_COLOUR_EPOCHS
        return super().n_epochs(options, channels)

    def history_keys(self, options):
        return STEP_KEYS + TASK_KEYS[self.self_supervision(options)]

    def collapsed(self, row):
        # A contrastive D's real/fake head reads a representation the GAN loss
        # never trains: it separating real from fake stops nothing.
        return "contrastive" not in row and super().collapsed(row)

    def step(self, net, real, labels=None):
        task = self.self_supervision(net.options)
        if task != "none":
            return STEPS[task](net, real)
        generator, discriminator = net.module_, net.discriminator_
        bce = net.criterion_
        with net.autocast():
            fake = generator(net.noise(len(real), real.device))
            logit_real = discriminator(real)
            logit_fake = discriminator(fake.detach())
            loss_d = real_fake_loss(bce, logit_real, logit_fake)
        net.update((net.optimizer_d_, loss_d))

        with frozen(discriminator):
            with net.autocast():
                logit_gen = discriminator(fake)
                loss_g = bce(logit_gen, torch.ones_like(logit_gen))
            net.update((net.optimizer_, loss_g))
        return step_record(loss_d, loss_g, logit_real, logit_fake)
