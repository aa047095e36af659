import math

import numpy as np
import pytest
import torch
from conftest import make_trainer
from skorch.callbacks import Callback

from skgan.gans._spec import STEP_KEYS


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


@pytest.mark.slow
def test_compiled_training_state_is_the_plain_modules_and_loads_either_way():
    X = torch.rand(20, 64)
    compiled = make_trainer(max_epochs=1, compile=True, compile__backend="eager").initialize()
    assert type(compiled.module_).__name__ == "OptimizedModule"
    compiled.partial_fit(X)
    state = compiled.training_state()
    plain = make_trainer(max_epochs=1).initialize()
    assert state["module_"].keys() == plain.module_.state_dict().keys()
    # Used to fail with "Error(s) in loading state_dict": "_orig_mod."-prefixed keys.
    plain.load_training_state(state)
    assert all(
        torch.equal(a, b)
        for a, b in zip(plain.module_.parameters(), compiled.module_.parameters(), strict=True)
    )
    plain.partial_fit(X)
    compiled.load_training_state(plain.training_state())


@pytest.mark.slow
def test_compile_can_be_toggled_between_fits(digits, monkeypatch):
    from functools import partial

    from conftest import TINY

    from skgan import GANFeatureExtractor

    # The eager backend wraps modules as the default one does, without a C++ compiler.
    monkeypatch.setattr(torch, "compile", partial(torch.compile, backend="eager"))
    X = digits[0][:100]
    est = GANFeatureExtractor(**TINY, compile=True).fit(X)
    est.set_params(compile=False).partial_fit(X)
    est.set_params(compile=True).partial_fit(X)
    assert len(est.history_) == 3
    assert not any(
        k.startswith("_orig_mod.") for k in est.fitted_gan_.record["last"]["state"]["module_"]
    )


def _lrs_of_each_epoch(trainer, X, epochs, epochs_before=0):
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append([opt.param_groups[0]["lr"] for opt in (net.optimizer_, net.optimizer_d_)])

    trainer.set_params(callbacks=[("spy", Spy())]).initialize()
    for _ in range(epochs_before):
        trainer.history.new_epoch()
        trainer.history.record("epoch", len(trainer.history))
    trainer.partial_fit(X, epochs=epochs)
    return seen


def test_cosine_schedule_anneals_both_optimizers_by_epoch_number():
    trainer = make_trainer(
        optimizer_d__lr=5e-4,
        callbacks__lr_schedule__schedule="cosine",
        callbacks__lr_schedule__span=(0, 4),
    )
    seen = _lrs_of_each_epoch(trainer, torch.rand(20, 64), 4)
    factors = [1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 + math.cos(3 * math.pi / 4))]
    np.testing.assert_allclose(seen, [[1e-3 * f, 5e-4 * f] for f in factors])
    assert trainer.history[:, "lr"] == pytest.approx([1e-3 * f for f in factors])


def test_cosine_schedule_starts_at_the_first_epoch_of_its_span():
    # A warm start of 2 epochs after 3: epochs 4 and 5 run the whole schedule.
    trainer = make_trainer(
        callbacks__lr_schedule__schedule="cosine", callbacks__lr_schedule__span=(3, 5)
    )
    seen = _lrs_of_each_epoch(trainer, torch.rand(20, 64), 2, epochs_before=3)
    assert [g for g, _ in seen] == pytest.approx([1e-3, 5e-4])


def test_constant_schedule_leaves_the_rate_and_the_history_alone():
    trainer = make_trainer(optimizer_d__lr=5e-4)
    seen = _lrs_of_each_epoch(trainer, torch.rand(20, 64), 2)
    assert seen == [[1e-3, 5e-4], [1e-3, 5e-4]]
    assert "lr" not in trainer.history[-1]
