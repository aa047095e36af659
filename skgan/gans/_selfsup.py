"""Self-supervised discriminator tasks: a job about real images besides real vs fake.

The real-vs-fake game teaches D the differences between real and generated
images, not the differences among real images that a downstream task
needs. Giving D a task about real images fixes that:

* ``"contrastive"`` (ContraD, Jeong & Shin, 2021): D's block stack learns
  SimCLR's contrastive loss (NT-Xent) on two augmented views of each real
  image, plus a supervised contrastive loss that gathers generated images
  together (away from the real ones); the real/fake decision is the linear
  head on the *stop-gradient* representation, so the GAN loss never shapes
  D's features. G is trained through the head and the live representation
  of its augmented images (DiffAugment).
* ``"rotation"`` (SS-GAN, Chen et al., 2019): D also predicts by how many
  quarter turns a real image was rotated, and G is rewarded when D can tell
  the rotation of its images too.

Both are tasks of the DCGAN discriminator: same generator, same block stack,
same feature taps (:class:`skgan._nets.Discriminator` holds their heads).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._augment import resolve_augmentation
from ._spec import frozen, real_fake_loss, step_record

#: ``self_supervision`` values: the discriminator's tasks besides real vs fake.
TASKS = ("none", "contrastive", "rotation")
#: SS-GAN's weights of the rotation loss in D's and in G's objective.
ROTATION_WEIGHT_D, ROTATION_WEIGHT_G = 1.0, 0.2


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner among the ``2n - 1`` other views.

    Rows ``i`` of ``z1`` and ``z2`` are the two views of image ``i``; cosine
    similarities divided by ``temperature`` are the logits.
    """
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    n = len(z1)
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    partners = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, partners)


def supcon_fake(
    r1: torch.Tensor, r2: torch.Tensor, fake: torch.Tensor, temperature: float
) -> torch.Tensor:
    """ContraD's supervised contrastive loss that gathers generated images.

    For each generated image the positives are the other generated images,
    the negatives every view of a real one (``r1``, ``r2``). A lone
    generated image (a last batch of one) has no positive: the loss is 0.
    """
    if len(fake) < 2:
        return fake.sum() * 0.0
    z = F.normalize(torch.cat([r1, r2, fake]).float(), dim=1)
    start = len(r1) + len(r2)
    logits = z[start:] @ z.T / temperature
    self_pairs = torch.arange(len(fake), device=z.device)
    logits[self_pairs, start + self_pairs] = float("-inf")
    log_p = F.log_softmax(logits, dim=1)[:, start:]
    others = ~torch.eye(len(fake), dtype=torch.bool, device=z.device)
    return -(log_p.masked_fill(~others, 0.0).sum(1) / others.sum(1)).mean()


def rotated(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Each square image of ``x`` turned by its number of quarter turns (0 to 3)."""
    out = x.clone()
    for k in range(1, 4):
        chosen = turns == k
        out[chosen] = torch.rot90(x[chosen], k, dims=(2, 3))
    return out


def quarter_turns(n: int, device) -> torch.Tensor:
    return torch.randint(4, (n,), device=device)


def contrastive_step(net, real: torch.Tensor) -> dict:
    """One simultaneous update of ContraD's D and G objectives, in one pass of D.

    The pass sees ``[view 1 of real, view 2 of real, view of G(z)]``. D's loss:
    NT-Xent of the real views' projections, the fake-gathering loss, and BCE
    of the head on the detached representation. G's loss: the non-saturating
    BCE of the head on its images' live representation, reaching G's weights
    only (``net.update`` keeps each loss to its optimizer).
    """
    generator, discriminator = net.module_, net.discriminator_
    temperature = net.options["temperature"]
    augment = resolve_augmentation(net.options["augmentation"], real.shape[1])
    bce, n = net.criterion_, len(real)
    with net.autocast():
        fake = generator(net.noise(n, real.device))
        maps = discriminator.blocks(augment(torch.cat([real, real, fake])))
        features = maps.flatten(1)
        simclr = nt_xent(*discriminator.projection(features[: 2 * n]).split(n), temperature)
        gather = supcon_fake(*discriminator.projection_fake(features).split(n), temperature)
        logits = discriminator.head(maps.detach()).flatten().float()
        logit_real, logit_fake = logits[:n], logits[2 * n :]
        loss_d = simclr + gather + real_fake_loss(bce, logit_real, logit_fake)
        logit_gen = discriminator.head(maps[2 * n :]).flatten().float()
        loss_g = bce(logit_gen, torch.ones_like(logit_gen))
    net.update((net.optimizer_d_, loss_d), (net.optimizer_, loss_g))
    return {**step_record(loss_d, loss_g, logit_real, logit_fake), "contrastive": simclr.detach()}


def rotation_step(net, real: torch.Tensor) -> dict:
    """One alternating D / G update of SS-GAN: DCGAN's game plus rotation prediction."""
    generator, discriminator = net.module_, net.discriminator_
    bce, n = net.criterion_, len(real)

    def rotation_loss(images):
        turns = quarter_turns(len(images), images.device)
        maps = discriminator.blocks(rotated(images, turns))
        logits = discriminator.rotation(maps.flatten(1)).float()
        return F.cross_entropy(logits, turns)

    with net.autocast():
        fake = generator(net.noise(n, real.device))
        logit_real = discriminator(real)
        logit_fake = discriminator(fake.detach())
        rotation = rotation_loss(real)
        loss_d = real_fake_loss(bce, logit_real, logit_fake) + ROTATION_WEIGHT_D * rotation
    net.update((net.optimizer_d_, loss_d))

    with frozen(discriminator):
        with net.autocast():
            logit_gen = discriminator(fake)
            loss_g = bce(logit_gen, torch.ones_like(logit_gen))
            loss_g = loss_g + ROTATION_WEIGHT_G * rotation_loss(fake)
        net.update((net.optimizer_, loss_g))
    return {**step_record(loss_d, loss_g, logit_real, logit_fake), "rotation": rotation.detach()}


#: The step of each task; ``"none"`` is DCGAN's own.
STEPS = {"contrastive": contrastive_step, "rotation": rotation_step}
#: The extra value each task's step records in the history.
TASK_KEYS = {"none": (), "contrastive": ("contrastive",), "rotation": ("rotation",)}
