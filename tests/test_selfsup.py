import math

import numpy as np
import pytest
import torch
from conftest import TINY, make_trainer

from skgan import GANFeatureExtractor
from skgan.gans import GANS
from skgan.gans._selfsup import nt_xent, rotated, supcon_fake
from skgan.gans._spec import STEP_KEYS

T = 0.5


def test_nt_xent_of_a_hand_made_batch():
    # Two images, both views equal and the images orthogonal: each view's
    # partner has similarity 1, the two others 0.
    z = torch.eye(2)
    expected = -math.log(math.exp(1 / T) / (math.exp(1 / T) + 2))
    torch.testing.assert_close(nt_xent(z, z, T), torch.tensor(expected))
    # Swapping the partners makes the loss larger.
    assert nt_xent(z, z.flip(0), T) > nt_xent(z, z, T)


def test_supcon_gathers_generated_images_away_from_real_ones():
    real, fake = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    # Each fake's candidates: two real views (similarity 0) and the other fake (1).
    expected = -(1 / T - math.log(2 + math.exp(1 / T)))
    torch.testing.assert_close(supcon_fake(real, real, fake, T), torch.tensor(expected))
    mixed = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert supcon_fake(real, real, mixed, T) > supcon_fake(real, real, fake, T)
    assert supcon_fake(real, real, fake[:1], T) == 0  # a lone fake has no positive


def test_rotated_turns_each_image_by_its_own_quarter_turns():
    x = torch.arange(4 * 9.0).reshape(4, 1, 3, 3)
    turns = torch.tensor([0, 1, 2, 3])
    out = rotated(x, turns)
    for i, k in enumerate(turns.tolist()):
        torch.testing.assert_close(out[i], torch.rot90(x[i], k, dims=(1, 2)))


@pytest.mark.parametrize("task", ["contrastive", "rotation"])
def test_a_task_step_trains_every_head_and_records_its_loss(task):
    trainer = make_trainer(options={"self_supervision": task}).initialize()
    trainer._set_training(True)
    discriminator = trainer.discriminator_
    before = {n: p.detach().clone() for n, p in trainer.module_.named_parameters()}
    step = GANS["dcgan"].step(trainer, torch.rand(8, 1, 8, 8) * 2 - 1, None)
    assert set(step) == set(STEP_KEYS) | {task}
    heads = ["projection", "projection_fake"] if task == "contrastive" else ["rotation"]
    for name in ["blocks", "head", *heads]:
        module = getattr(discriminator, name)
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    assert all(p.requires_grad for p in discriminator.parameters())
    changed = [not torch.equal(before[n], p) for n, p in trainer.module_.named_parameters()]
    assert all(changed)  # G learned through D in the same step


def test_contrastive_generator_loss_never_trains_the_discriminator():
    trainer = make_trainer(options={"self_supervision": "contrastive"}).initialize()
    trainer._set_training(True)
    seen = {}
    original = trainer.update

    def spy(*steps):
        # D's gradient, computed from D's loss alone, must equal the one applied.
        (opt_d, loss_d), _ = steps
        params = [p for g in opt_d.param_groups for p in g["params"]]
        seen["d"] = torch.autograd.grad(loss_d, params, retain_graph=True, allow_unused=True)
        original(*steps)
        seen["applied"] = [p.grad for p in params]

    trainer.update = spy
    GANS["dcgan"].step(trainer, torch.rand(8, 1, 8, 8) * 2 - 1, None)
    for own, applied in zip(seen["d"], seen["applied"], strict=True):
        if own is not None:
            torch.testing.assert_close(own, applied)


@pytest.mark.parametrize("task", ["contrastive", "rotation"])
def test_tasks_are_deterministic_and_round_trip(task, digits, tmp_path):
    X, _ = digits
    params = {**TINY, "self_supervision": task}
    first = GANFeatureExtractor(**params).fit(X)
    second = GANFeatureExtractor(**params).fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    assert task in first.history_[-1]
    first.save(tmp_path / "m.skgan")
    loaded = GANFeatureExtractor.load(tmp_path / "m.skgan")
    assert loaded.fitted_gan_.self_supervision == task
    np.testing.assert_array_equal(loaded.transform(X), first.transform(X))
    # Training on from the file equals training on from the original.
    loaded.partial_fit(X)
    first.partial_fit(X)
    np.testing.assert_array_equal(loaded.transform(X), first.transform(X))


def test_a_checkpoint_resumes_a_contrastive_fit_bit_identically(digits, tmp_path):
    X, _ = digits
    params = {**TINY, "self_supervision": "contrastive", "n_epochs": 2}
    whole = GANFeatureExtractor(**params).fit(X)
    GANFeatureExtractor(**{**params, "n_epochs": 1}, checkpoint_dir=tmp_path).fit(X)
    resumed = GANFeatureExtractor(**params, checkpoint_dir=tmp_path).fit(X)
    np.testing.assert_array_equal(resumed.transform(X), whole.transform(X))


def test_auto_is_the_contrastive_task_and_none_is_radfords_dcgan(digits):
    X, _ = digits
    auto = GANFeatureExtractor(**TINY).fit(X)
    assert auto.fitted_gan_.self_supervision == "contrastive"
    plain = GANFeatureExtractor(**TINY, self_supervision="none").fit(X)
    assert plain.fitted_gan_.self_supervision == "none"
    assert not hasattr(plain.discriminator_, "projection")
    assert "contrastive" not in plain.history_[-1]
    assert auto.transform(X).shape == plain.transform(X).shape  # the same taps


def test_warm_start_refuses_another_task(digits):
    X, _ = digits
    est = GANFeatureExtractor(**TINY, warm_start=True, self_supervision="rotation").fit(X)
    with pytest.raises(ValueError, match="self_supervision"):
        est.set_params(self_supervision="contrastive").fit(X)
    assert est.fitted_gan_.self_supervision == "rotation"
