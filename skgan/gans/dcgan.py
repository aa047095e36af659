"""DCGAN (Radford et al., 2015): the non-saturating BCE game of G against D."""

from __future__ import annotations

import torch

from .._nets import Discriminator, Generator, Networks
from ._spec import GANSpec, NetSize, frozen, real_fake_loss, step_record


class DCGAN(GANSpec):
    """Alternating D / G updates with the non-saturating BCE loss."""

    name = "dcgan"
    title = "DCGAN"

    def build(self, size: NetSize) -> Networks:
        return Networks(
            generator=Generator(size.latent_dim, size.channels, size.side, size.width),
            discriminator=Discriminator(size.channels, size.side, size.width),
        ).initialised()

    def step(self, net, real, labels=None):
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
