import math

import pytest
import torch

from skgan._images import ImageBatches, ImageLayout
from skgan._nets import build_gan
from skgan._trainer import OBJECTIVES, STEP_KEYS, GANTrainer, _class_loss, _entropies


def make_trainer(gan="dcgan", **kwargs):
    torch.manual_seed(0)
    networks = build_gan(gan, 1, 8, 4, 3, n_categories=4)
    generator, discriminator = networks["generator"], networks["discriminator"]
    kwargs = {"encoder": networks["encoder"], "objective": gan, **kwargs}
    params = dict(
        latent_dim=3,
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        optimizer_d__lr=1e-3,
        lr=1e-3,
        max_epochs=2,
        batch_size=10,
        iterator_train=ImageBatches,
        iterator_train__layout=ImageLayout(64, (1, 8, 8), (0.0, 1.0)),
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
    )
    return GANTrainer(generator, discriminator, **{**params, **kwargs})


def test_fit_updates_both_networks_and_records_epoch_means():
    trainer = make_trainer(verbose=1)
    trainer.initialize()
    g0 = [p.detach().clone() for p in trainer.module_.parameters()]
    d0 = [p.detach().clone() for p in trainer.discriminator_.parameters()]
    trainer.partial_fit(torch.rand(35, 64))
    assert any(not torch.equal(a, b) for a, b in zip(g0, trainer.module_.parameters(), strict=True))
    assert any(
        not torch.equal(a, b) for a, b in zip(d0, trainer.discriminator_.parameters(), strict=True)
    )
    assert len(trainer.history) == 2
    batches = trainer.history[-1, "batches"]
    assert [b["train_batch_size"] for b in batches] == [10, 10, 10, 5]
    for key in STEP_KEYS:
        mean = sum(b[key] * b["train_batch_size"] for b in batches) / 35
        assert abs(trainer.history[-1, key] - mean) < 1e-6


def test_quiet_training_records_only_epoch_values():
    trainer = make_trainer(max_epochs=1)
    trainer.fit(torch.rand(20, 64))
    assert set(trainer.history[-1, "batches"][0]) == {"train_batch_size"}
    assert all(key in trainer.history[-1] for key in STEP_KEYS)


def test_bf16_autocast_runs_the_step():
    trainer = make_trainer(autocast_dtype=torch.bfloat16, max_epochs=1)
    trainer.fit(torch.rand(20, 64))
    assert all(torch.isfinite(torch.tensor(trainer.history[-1, key])) for key in STEP_KEYS)


def test_each_optimizer_owns_only_its_network():
    trainer = make_trainer().initialize()
    g_params = {id(p) for g in trainer.optimizer_.param_groups for p in g["params"]}
    d_params = {id(p) for g in trainer.optimizer_d_.param_groups for p in g["params"]}
    assert g_params == {id(p) for p in trainer.module_.parameters()}
    assert d_params == {id(p) for p in trainer.discriminator_.parameters()}


def test_discriminator_learning_rate_can_differ_from_lr():
    trainer = make_trainer(optimizer_d__lr=5e-4).initialize()
    assert trainer.optimizer_.param_groups[0]["lr"] == 1e-3
    assert trainer.optimizer_d_.param_groups[0]["lr"] == 5e-4


def test_generator_step_leaves_discriminator_gradients_untouched():
    trainer = make_trainer().initialize()
    trainer._set_training(True)
    step = OBJECTIVES["dcgan"](trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
    assert set(step) == set(STEP_KEYS)
    assert all(p.requires_grad for p in trainer.discriminator_.parameters())
    # D's gradients are those of its own step (zeroed before, not accumulated by G's step).
    assert all(p.grad is not None for p in trainer.discriminator_.parameters())


def test_param_routing_with_double_underscore():
    trainer = make_trainer(discriminator__width=6, discriminator__channels=1, discriminator__side=8)
    trainer.initialize()
    assert trainer.discriminator_.blocks.d0.conv.out_channels == 6


def test_training_state_round_trip_replays_an_epoch_exactly():
    trainer = make_trainer(max_epochs=1).initialize()
    X = torch.rand(30, 64)
    state = trainer.training_state()
    trainer.partial_fit(X)
    first = [p.detach().clone() for p in trainer.module_.parameters()]
    trainer.load_training_state(state)
    trainer.partial_fit(X)
    assert all(torch.equal(a, b) for a, b in zip(first, trainer.module_.parameters(), strict=True))


def test_loaded_state_keeps_the_current_learning_rates():
    trainer = make_trainer().initialize()
    state = trainer.training_state()
    faster = make_trainer(lr=1e-2, optimizer_d__lr=2e-2).initialize()
    faster.load_training_state(state)
    assert faster.optimizer_.param_groups[0]["lr"] == 1e-2
    assert faster.optimizer_d_.param_groups[0]["lr"] == 2e-2


def test_keeper_checkpoints_every_epoch_with_the_last_state():
    records = []
    trainer = make_trainer(
        max_epochs=3,
        callbacks__epoch_keeper__checkpoint=lambda net, record: records.append(record),
    )
    trainer.fit(torch.rand(20, 64))
    assert [r["last"]["epoch"] for r in records] == [1, 2, 3]
    assert all(r["best"] is None for r in records)
    final = records[-1]["last"]["state"]["module_"]
    assert all(torch.equal(final[k], v) for k, v in trainer.module_.state_dict().items())


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
    step = OBJECTIVES["bigan"](trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
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
        trainer = make_trainer("bigan", reconstruction_weight=weight, max_epochs=40)
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
    step = OBJECTIVES["catgan"](trainer, torch.rand(8, 1, 8, 8) * 2 - 1)
    assert set(step) == set(STEP_KEYS)
    assert all(p.grad is not None for p in trainer.discriminator_.parameters())
    # loss_d = H(p(k|x)) - H(p(k)) - H(p(k|G(z))), each entropy in [0, log K].
    assert -2 * math.log(4) <= step["loss_d"].item() <= math.log(4)
    assert all(0 <= step[key].item() <= 1 for key in ("d_real", "d_fake"))
