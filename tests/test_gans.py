import math

import numpy as np
import pytest
import torch
from conftest import TINY, make_trainer

from skgan import GANFeatureExtractor
from skgan._images import ImageLayout
from skgan.gans import GANS, GANSpec
from skgan.gans._spec import STEP_KEYS, frozen, step_record
from skgan.gans.acgan import class_loss as _class_loss
from skgan.gans.catgan import entropies as _entropies


def one_step(gan, trainer, images):
    return GANS[gan].step(trainer, images, None)


def test_generator_step_leaves_discriminator_gradients_untouched():
    trainer = make_trainer().initialize()
    trainer._set_training(True)
    step = one_step("dcgan", trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
    assert set(step) == set(STEP_KEYS)
    assert all(p.requires_grad for p in trainer.discriminator_.parameters())
    # D's gradients are those of its own step (zeroed before, not accumulated by G's step).
    assert all(p.grad is not None for p in trainer.discriminator_.parameters())


def test_bigan_trains_generator_and_encoder_in_one_optimizer():
    trainer = make_trainer("bigan").initialize()
    g_params = {id(p) for g in trainer.optimizer_.param_groups for p in g["params"]}
    d_params = {id(p) for g in trainer.optimizer_d_.param_groups for p in g["params"]}
    expected = {id(p) for m in (trainer.module_, trainer.encoder_) for p in m.parameters()}
    assert g_params == expected
    assert d_params == {id(p) for p in trainer.discriminator_.parameters()}
    e0 = [p.detach().clone() for p in trainer.encoder_.parameters()]
    trainer.partial_fit(torch.rand(30, 64))
    after = trainer.encoder_.parameters()
    assert all(not torch.equal(a, b) for a, b in zip(e0, after, strict=True))
    assert len(trainer.history) == 2
    assert all(0 < trainer.history[-1, key] < 1 for key in ("d_real", "d_fake"))


def test_bigan_step_updates_d_on_pairs_and_leaves_it_trainable():
    trainer = make_trainer("bigan").initialize()
    trainer._set_training(True)
    assert trainer.encoder_.training
    step = one_step("bigan", trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
    assert set(step) == set(STEP_KEYS)
    assert all(p.requires_grad for p in trainer.discriminator_.parameters())
    # D's z-path gets gradients: D judges (image, code) pairs, not images alone.
    assert all(p.grad is not None for p in trainer.discriminator_.z_path.parameters())
    assert all(p.grad is not None for p in trainer.encoder_.parameters())


def test_bigan_reconstruction_term_is_recorded_and_makes_e_invert_g():
    # Three prototypes plus noise: a 3-d code can tell them apart.
    torch.manual_seed(1)
    prototypes = torch.rand(3, 64)
    images = (prototypes[torch.arange(60) % 3] + 0.05 * torch.randn(60, 64)).clamp(0, 1)
    errors = {}
    for weight in (0.0, 10.0):
        trainer = make_trainer("bigan", options={"reconstruction_weight": weight}, max_epochs=40)
        trainer.fit(images)
        recorded = "reconstruction" in trainer.history[-1]
        assert recorded == bool(weight)
        trainer.module_.eval(), trainer.encoder_.eval()
        with torch.no_grad():
            x = images.reshape(-1, 1, 8, 8) * 2 - 1
            errors[weight] = float(((trainer.module_(trainer.encoder_(x)) - x) ** 2).mean())
    assert errors[10.0] < 0.5 * errors[0.0]
    assert trainer.history[-1, "reconstruction"] < trainer.history[0, "reconstruction"]


def test_class_loss_ignores_unlabelled_samples_and_is_zero_without_labels():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]])
    both = _class_loss(logits[:2], torch.tensor([0, 0]))
    with_unlabelled = _class_loss(logits, torch.tensor([0, 0, -1]))
    torch.testing.assert_close(both, with_unlabelled)
    assert _class_loss(logits, torch.tensor([-1, -1, -1])).item() == 0.0


def test_entropies_of_uniform_and_confident_posteriors():
    conditional, marginal = _entropies(torch.zeros(6, 4))
    assert conditional.item() == pytest.approx(math.log(4))
    assert marginal.item() == pytest.approx(math.log(4))
    # Confident and spread over all categories: the CatGAN discriminator's goal on real data.
    conditional, marginal = _entropies(20 * torch.eye(4))
    assert conditional.item() == pytest.approx(0, abs=1e-6)
    assert marginal.item() == pytest.approx(math.log(4), rel=1e-5)


def test_acgan_discriminator_learns_the_classes_of_labelled_images():
    # Two classes of images that differ only in brightness; half the labels hidden.
    torch.manual_seed(1)
    classes = torch.arange(64) % 2
    X = (0.2 + 0.6 * classes[:, None] + 0.05 * torch.randn(64, 64)).clamp(0, 1)
    labels = torch.where(torch.arange(64) < 32, classes, -1)
    trainer = make_trainer("acgan", max_epochs=15, iterator_train__labels=labels)
    trainer.fit(X)
    discriminator = trainer.discriminator_.eval()
    images = ImageLayout(64, (1, 8, 8), (0.0, 1.0)).to_model(X)
    with torch.no_grad():
        predicted = discriminator.category_logits(discriminator(images)).argmax(1)
    assert (predicted == classes).float().mean().item() > 0.9


def test_catgan_step_trains_the_discriminator_on_entropies():
    trainer = make_trainer("catgan").initialize()
    trainer._set_training(True)
    step = one_step("catgan", trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
    assert set(step) == set(STEP_KEYS)
    assert all(p.grad is not None for p in trainer.discriminator_.parameters())
    # loss_d = H(p(k|x)) - H(p(k)) - H(p(k|G(z))), each entropy in [0, log K].
    assert -2 * math.log(4) <= step["loss_d"].item() <= math.log(4)
    assert all(0 <= step[key].item() <= 1 for key in ("d_real", "d_fake"))


class LSGAN(GANSpec):
    """A toy kind for the tests: DCGAN's networks, least-squares losses (Mao et al., 2017)."""

    name = "lsgan"
    title = "LSGAN"

    def build(self, size):
        return GANS["dcgan"].build(size)

    def step(self, net, real, labels=None):
        generator, discriminator = net.module_, net.discriminator_
        fake = generator(net.noise(len(real), real.device))
        logit_real, logit_fake = discriminator(real), discriminator(fake.detach())
        loss_d = ((logit_real - 1) ** 2).mean() + (logit_fake**2).mean()
        net.update((net.optimizer_d_, loss_d))
        with frozen(discriminator):
            loss_g = ((discriminator(fake) - 1) ** 2).mean()
            net.update((net.optimizer_, loss_g))
        return step_record(loss_d, loss_g, logit_real, logit_fake)


def test_a_new_kind_is_one_spec_and_one_registry_line(monkeypatch, digits, tmp_path):
    """Registering a spec is all it takes: fit, read-outs, warm start, save and load."""
    monkeypatch.setitem(GANS, "lsgan", LSGAN())
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "gan": "lsgan", "warm_start": True}).fit(X)
    assert est.gan_ == "lsgan" and est.transform(X).shape == (len(X), 128)
    est.fit(X)  # warm start continues: the stored kind is lsgan, not re-derived as dcgan
    assert len(est.history_) == 2
    est.save(tmp_path / "lsgan.skgan")
    loaded = GANFeatureExtractor.load(tmp_path / "lsgan.skgan")
    assert loaded.gan_ == "lsgan"
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    with pytest.raises(ValueError, match="features='encoder' needs a GAN with an encoder"):
        est.set_params(features="encoder").transform(X)


def test_every_kind_says_what_it_supports():
    assert set(GANS) == {"dcgan", "bigan", "acgan", "catgan"}
    assert [name for name, spec in GANS.items() if spec.has_encoder] == ["bigan"]
    assert [name for name, spec in GANS.items() if spec.uses_labels] == ["acgan"]
    assert [name for name, spec in GANS.items() if spec.has_categories] == ["acgan", "catgan"]
    assert GANS["bigan"].params == ("reconstruction_weight",)
    assert GANS["bigan"].history_keys({"reconstruction_weight": 1.0})[-1] == "reconstruction"
    assert "certainty" in GANS["catgan"].collapse_rule()
    assert GANS["dcgan"].collapse_rule() == "mean D(x) > 0.99 and mean D(G(z)) < 0.01"
