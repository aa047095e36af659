"""CatGAN (Springenberg, 2015): D assigns real images to categories, unsupervised."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._nets import Discriminator, Generator, Networks
from ._spec import GANSpec, NetSize, frozen


def entropies(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean entropy of p(k | x), entropy of the batch marginal p(k))``, in nats."""
    log_p = F.log_softmax(logits.float(), dim=1)
    conditional = -(log_p.exp() * log_p).sum(1).mean()
    log_marginal = torch.logsumexp(log_p, dim=0) - math.log(len(logits))
    marginal = -(log_marginal.exp() * log_marginal).sum()
    return conditional, marginal


def certainty(conditional: torch.Tensor, n_categories: int) -> torch.Tensor:
    """``1 - H(p(k | x)) / log K``: 1 for a one-hot posterior, 0 for a uniform one."""
    return 1 - conditional.detach() / math.log(n_categories)


class CatGAN(GANSpec):
    """One alternating D / G update of CatGAN's unsupervised objective.

    D has ``K`` category logits and no real/fake output. It is trained to be
    certain of each real image's category (low conditional entropy), to use
    all categories equally over a batch of real images (high marginal
    entropy), and to be uncertain on generated images (high conditional
    entropy). G is trained to make D certain of its images' categories and
    to spread them over all categories.

    The history's ``d_real`` and ``d_fake`` are D's certainty on real and
    generated images (:func:`certainty`), the counterparts of the real/fake
    probabilities of the other kinds: a collapsed CatGAN discriminator is
    fully certain on real images and uniform on generated ones.
    """

    name = "catgan"
    title = "CatGAN"
    has_categories = True
    params = ("n_categories",)
    real_score = "D's mean certainty on real images"
    fake_score = "on generated ones"

    def build(self, size: NetSize) -> Networks:
        return Networks(
            generator=Generator(size.latent_dim, size.channels, size.side, size.width),
            discriminator=Discriminator(
                size.channels, size.side, size.width, size.n_categories, real_fake=False
            ),
        ).initialised()

    def n_categories(self, options, classes):
        return options["n_categories"]

    def step(self, net, real, labels=None):
        generator, discriminator = net.module_, net.discriminator_
        with net.autocast():
            fake = generator(net.noise(len(real), real.device))
            real_conditional, real_marginal = entropies(discriminator(real))
            fake_conditional, _ = entropies(discriminator(fake.detach()))
            loss_d = real_conditional - real_marginal - fake_conditional
        net.update((net.optimizer_d_, loss_d))

        with frozen(discriminator):
            with net.autocast():
                gen_conditional, gen_marginal = entropies(discriminator(fake))
                loss_g = gen_conditional - gen_marginal
            net.update((net.optimizer_, loss_g))
        k = discriminator.n_categories
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": certainty(real_conditional, k),
            "d_fake": certainty(fake_conditional, k),
        }
