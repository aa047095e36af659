"""AC-GAN (Odena et al., 2017): a class head on D and a class-conditional G."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._nets import Discriminator, Generator, Networks
from ._spec import GANSpec, NetSize, frozen, real_fake_loss, step_record


def class_loss(logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the labelled samples (class ``-1`` is unlabelled); 0 if none is."""
    labelled = classes >= 0
    losses = F.cross_entropy(logits.float(), classes.clamp(min=0), reduction="none")
    return (losses * labelled).sum() / labelled.sum().clamp(min=1)


class ACGAN(GANSpec):
    """One alternating D / G update of AC-GAN.

    D's head gives a real/fake logit and class logits. D minimises the
    real/fake BCE plus the cross-entropy of the classes of the labelled real
    images (label ``-1`` marks an unlabelled one: semi-supervised training)
    and of the generated images, whose classes are drawn uniformly. G
    minimises the non-saturating BCE of its images plus their class
    cross-entropy, so each image must look real and of its class.
    """

    name = "acgan"
    title = "AC-GAN"
    conditional = True
    has_categories = True
    uses_labels = True

    def build(self, size: NetSize) -> Networks:
        k = size.n_categories
        return Networks(
            generator=Generator(size.latent_dim, size.channels, size.side, size.width, k),
            discriminator=Discriminator(size.channels, size.side, size.width, n_categories=k),
        ).initialised()

    def n_categories(self, options, classes):
        return len(classes)

    def step(self, net, real, labels):
        generator, discriminator = net.module_, net.discriminator_
        bce = net.criterion_
        classes = net.classes(len(real), real.device)
        with net.autocast():
            fake = generator(net.noise(len(real), real.device), classes)
            out_real = discriminator(real)
            out_fake = discriminator(fake.detach())
            category = discriminator.category_logits
            loss_d = (
                real_fake_loss(bce, out_real[:, 0], out_fake[:, 0])
                + class_loss(category(out_real), labels)
                + class_loss(category(out_fake), classes)
            )
        net.update((net.optimizer_d_, loss_d))

        with frozen(discriminator):
            with net.autocast():
                out_gen = discriminator(fake)
                logit_gen = out_gen[:, 0]
                loss_g = bce(logit_gen, torch.ones_like(logit_gen)) + class_loss(
                    category(out_gen), classes
                )
            net.update((net.optimizer_, loss_g))
        return step_record(loss_d, loss_g, out_real[:, 0], out_fake[:, 0])
