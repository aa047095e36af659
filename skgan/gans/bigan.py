"""BiGAN (Donahue et al., 2016; ALI, Dumoulin et al., 2016), with ALICE's cycle term."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._nets import Encoder, Generator, JointDiscriminator, Networks
from ._spec import STEP_KEYS, GANSpec, NetSize, real_fake_loss, step_record


class BiGAN(GANSpec):
    """One simultaneous D / (G + E) update of BiGAN's objective.

    D tells real pairs ``(x, E(x))`` (label 1) from generated pairs
    ``(G(z), z)`` (label 0). G and E, in the one generator optimizer, are
    trained to fool it with the labels swapped (the non-saturating form of
    the BiGAN minimax game), which at the optimum makes E invert G. As in
    the BiGAN authors' code, both players' gradients come from the same
    forward pass, which saves D's second pair of forward passes.

    With ``reconstruction_weight`` > 0, G and E also minimise that weight
    times the mean squared error of ``G(E(x))`` against the real batch:
    ALICE's explicit cycle-consistency term (Li et al., 2017), which makes E
    invert G throughout training rather than only at the game's optimum. Its
    batch means are recorded as ``reconstruction``.
    """

    name = "bigan"
    title = "BiGAN"
    has_encoder = True
    params = ("reconstruction_weight",)
    real_score = "mean D(x, E(x))"
    fake_score = "mean D(G(z), z)"

    def build(self, size: NetSize) -> Networks:
        args = (size.latent_dim, size.channels, size.side, size.width)
        # Built in this order: each draws its initial weights from torch's RNG.
        generator, encoder = Generator(*args), Encoder(*args)
        return Networks(generator, JointDiscriminator(*args), encoder).initialised()

    def history_keys(self, options):
        return STEP_KEYS + (("reconstruction",) if options["reconstruction_weight"] else ())

    def step(self, net, real, labels=None):
        generator, encoder, discriminator = net.module_, net.encoder_, net.discriminator_
        weight = net.options["reconstruction_weight"]
        bce = net.criterion_
        with net.autocast():
            z = net.noise(len(real), real.device)
            code = encoder(real)
            logit_real = discriminator(real, code)
            if weight:
                # One pass over both codes: G's batchnorm normalises E(x) as it
                # does z, so the eval-mode running statistics fit G(E(x)) too.
                fake, rebuilt = generator(torch.cat([z, code])).split(len(real))
            else:
                fake = generator(z)
            logit_fake = discriminator(fake, z)
            loss_d = real_fake_loss(bce, logit_real, logit_fake)
            loss_g = real_fake_loss(bce, logit_fake, logit_real)
            if weight:
                reconstruction = F.mse_loss(rebuilt.float(), real.float())
                loss_g = loss_g + weight * reconstruction
        net.update((net.optimizer_d_, loss_d), (net.optimizer_, loss_g))
        record = step_record(loss_d, loss_g, logit_real, logit_fake)
        if weight:
            record["reconstruction"] = reconstruction.detach()
        return record
