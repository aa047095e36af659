import copy
import json
import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import TINY
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan._trainer import GANTrainer
from skgan.gans import GANS
from skgan.gans._spec import DEFAULT_EPOCHS, DEFAULT_LR
from skgan.gans.dcgan import CONTRASTIVE_COLOUR_EPOCHS, CONTRASTIVE_LR


def test_fit_transform_shape_dtype_and_fitted_attributes(digits, fitted):
    X, _ = digits
    features = fitted.transform(X)
    # 8 x 8 digits keep side 8: one block of width 8 on a 4 x 4 map.
    assert features.shape == (len(X), 8 * 16)
    assert features.dtype == np.float32
    assert fitted.image_shape_ == (1, 8, 8)
    assert fitted.n_features_in_ == 64
    assert fitted.data_range_ == (0.0, 16.0)
    assert next(fitted.generator_.parameters()).device.type == "cpu"
    assert next(fitted.discriminator_.parameters()).device.type == "cpu"


def test_history_has_one_record_per_epoch_with_the_gan_statistics(digits):
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(digits[0])
    assert len(est.history_) == 2
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "dur"):
        values = est.history_[:, key]
        assert len(values) == 2 and all(np.isfinite(values))
    assert all(0 < v < 1 for v in est.history_[:, "d_real"] + est.history_[:, "d_fake"])


def test_training_changes_the_discriminator(digits):
    X, _ = digits
    untrained = GANFeatureExtractor(**{**TINY, "n_epochs": 0}).fit(X)
    trained = GANFeatureExtractor(**TINY).fit(X)
    assert len(untrained.history_) == 0
    before = untrained.discriminator_.blocks.d0.conv.weight
    after = trained.discriminator_.blocks.d0.conv.weight
    assert not torch.allclose(before, after)
    assert not np.allclose(untrained.transform(X[:5]), trained.transform(X[:5]))


def test_same_random_state_gives_identical_features(digits):
    X, _ = digits
    a = GANFeatureExtractor(**TINY).fit_transform(X)
    b = GANFeatureExtractor(**TINY).fit_transform(X)
    c = GANFeatureExtractor(**{**TINY, "random_state": 1}).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_leaves_the_global_torch_rng_alone(digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    GANFeatureExtractor(**TINY).fit(digits[0])
    torch.testing.assert_close(torch.rand(3), expected)


def test_three_input_forms_give_the_same_features(digits, fitted):
    X, _ = digits
    flat = fitted.transform(X.reshape(len(X), -1))
    np.testing.assert_array_equal(fitted.transform(X), flat)
    np.testing.assert_array_equal(fitted.transform(X[:, None]), flat)


def test_fitting_on_each_input_form_gives_the_same_model(digits):
    X, _ = digits
    forms = [X, X.reshape(len(X), -1), X[:, None]]
    outs = [GANFeatureExtractor(**TINY).fit(form).transform(X) for form in forms]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_transform_does_not_depend_on_batch_size(digits, fitted):
    X, _ = digits
    whole = fitted.transform(X)
    small_batches = clone(fitted).set_params(transform_batch_size=7)
    small_batches.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    np.testing.assert_allclose(small_batches.transform(X), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted.transform(X[3:4]), whole[3:4], rtol=1e-5, atol=1e-6)


def test_bf16_precision_on_cpu_gives_close_float32_features(digits):
    X, _ = digits
    fp32 = GANFeatureExtractor(**TINY).fit(X)
    bf16 = GANFeatureExtractor(**{**TINY, "precision": "bf16"}).fit(X)
    assert all(np.isfinite(bf16.history_[:, "loss_d"]))
    features = bf16.transform(X)
    assert features.dtype == np.float32
    reference = fp32.transform(X)
    assert np.corrcoef(features.ravel(), reference.ravel())[0, 1] > 0.9


def test_uint8_input_is_scaled_like_float_input(digits):
    X = (digits[0] * 15).astype(np.uint8)
    a = GANFeatureExtractor(**TINY).fit(X)
    b = GANFeatureExtractor(**TINY).fit(X.astype(np.float64))
    assert a.data_range_ == b.data_range_ == (0.0, 240.0)
    np.testing.assert_allclose(a.transform(X), b.transform(X.astype(np.float32)), atol=1e-5)


def test_fixed_input_range_is_used(digits):
    est = GANFeatureExtractor(**{**TINY, "input_range": (0, 32)}).fit(digits[0])
    assert est.data_range_ == (0.0, 32.0)


def test_feature_names_count_and_format(digits, fitted):
    names = fitted.get_feature_names_out()
    assert len(names) == fitted.transform(digits[0][:2]).shape[1]
    assert names[0] == "d0_activation_c000_r0_c0"
    assert names[17] == "d0_activation_c001_r0_c1"
    assert len(set(names)) == len(names)


def test_mnist_sized_images_give_1792_features_or_radfords_7168(rng):
    X = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    est = GANFeatureExtractor(n_epochs=0, random_state=0).fit(X)
    assert est.get_feature_names_out().shape == (1792,)  # the contrastive D's 2 x 2 grid
    assert est.get_feature_names_out()[-1] == "d2_activation_c255_r1_c1"
    assert est.transform(X[:3]).shape == (3, 1792)
    est.set_params(pool_size=4)
    assert est.get_feature_names_out()[-1] == "d2_activation_c255_r3_c3"
    assert est.transform(X[:3]).shape == (3, 7168)


def test_batchnorm_tap_differs_from_activation_tap(digits):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "layers": [1]}).fit(X.repeat(2, axis=1).repeat(2, axis=2))
    activation = est.transform(X.repeat(2, axis=1).repeat(2, axis=2))
    est.set_params(tap="batchnorm")
    batchnorm = est.transform(X.repeat(2, axis=1).repeat(2, axis=2))
    assert activation.shape == batchnorm.shape
    assert not np.allclose(activation, batchnorm)
    assert (batchnorm < 0).any() and (activation >= -0.2 * np.abs(batchnorm).max()).all()
    assert est.get_feature_names_out()[0].startswith("d1_batchnorm_")


def test_layers_selects_blocks_and_negative_indices_count_from_the_end(digits):
    X = digits[0].repeat(2, axis=1).repeat(2, axis=2)  # 16 x 16: blocks d0, d1
    est = GANFeatureExtractor(**TINY).fit(X)
    both = est.transform(X)
    est.set_params(layers=[-1])
    last = est.transform(X)
    assert last.shape[1] == 16 * 16  # d1: 16 channels on a 4 x 4 grid
    np.testing.assert_array_equal(last, both[:, 8 * 16 :])


def test_avg_pooling_and_pool_size(digits, fitted):
    est = clone(fitted).set_params(pooling="avg", pool_size=2).fit(digits[0])
    assert est.transform(digits[0][:2]).shape == (2, 8 * 4)


@pytest.mark.parametrize(
    ("scale", "task", "grids"),
    [
        (4, "auto", [2, 2, 2]),  # 32 x 32, three blocks, the contrastive D: 2 x 2
        (4, "none", [4, 4, 4]),  # Radford's plain D keeps 4 x 4
        (1, "auto", [4]),  # 8 x 8, one block: 4 x 4
    ],
)
def test_auto_pool_size_is_2_for_a_contrastive_d_of_three_blocks(digits, scale, task, grids):
    X = digits[0][:40].repeat(scale, axis=1).repeat(scale, axis=2)
    params = {**TINY, "n_epochs": 0, "self_supervision": task}
    est = GANFeatureExtractor(**params).fit(X)
    channels = [8 * 2**i for i in range(len(grids))]
    expected = sum(c * g * g for c, g in zip(channels, grids, strict=True))
    assert est.transform(X[:2]).shape[1] == expected
    fixed = copy.deepcopy(est).set_params(pool_size=grids[0])
    np.testing.assert_array_equal(est.transform(X[:2]), fixed.transform(X[:2]))


def test_auto_reads_colour_images_through_radfords_4_by_4_max_grid(digits):
    # Measured on CIFAR-10: the contrastive D's colour features read best through 4 x 4 max.
    grey = digits[0][:40].repeat(4, axis=1).repeat(4, axis=2)
    X = np.stack([grey, grey[:, ::-1], grey[:, :, ::-1]], axis=-1)  # (40, 32, 32, 3)
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 0}).fit(X)
    assert est.transform(X[:2]).shape[1] == sum(8 * 2**i * 16 for i in range(3))
    fixed = copy.deepcopy(est).set_params(pool_size=4, pooling="max")
    np.testing.assert_array_equal(est.transform(X[:2]), fixed.transform(X[:2]))


@pytest.mark.parametrize(
    ("scale", "task", "pooling"),
    [(4, "auto", 0.5), (4, "none", "max"), (1, "auto", "max")],  # as pool_size="auto"
)
def test_auto_pooling_mixes_max_and_avg_for_a_contrastive_d_of_three_blocks(
    digits, scale, task, pooling
):
    X = digits[0][:40].repeat(scale, axis=1).repeat(scale, axis=2)
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 0, "self_supervision": task}).fit(X)
    fixed = copy.deepcopy(est).set_params(pooling=pooling)
    np.testing.assert_array_equal(est.transform(X[:2]), fixed.transform(X[:2]))
    if scale > 1:  # 8 x 8 digits: one-pixel cells (4 x 4 map, 4 x 4 grid), every pooling alike
        other = copy.deepcopy(est).set_params(pooling="avg")
        assert not np.allclose(est.transform(X[:2]), other.transform(X[:2]))


def test_a_pool_size_pyramid_concatenates_each_grid(digits, fitted):
    X = digits[0][:5]
    pyramid = copy.deepcopy(fitted).set_params(pool_size=(4, 2, 1))
    features = pyramid.transform(X)
    assert features.shape == (5, 8 * (16 + 4 + 1))  # d0: 8 channels on a 4 x 4 map
    names = pyramid.get_feature_names_out()
    assert [names[0], names[128], names[-1]] == [
        "d0_g4_activation_c000_r0_c0",
        "d0_g2_activation_c000_r0_c0",
        "d0_g1_activation_c007_r0_c0",
    ]
    parts = [copy.deepcopy(fitted).set_params(pool_size=size).transform(X) for size in (4, 2, 1)]
    np.testing.assert_allclose(features, np.hstack(parts))


def test_non_square_flat_input_is_laid_out_as_a_padded_square(rng):
    X = rng.normal(size=(40, 10))
    est = GANFeatureExtractor(**TINY).fit(X)
    assert est.image_shape_ == (1, 4, 4)
    assert est.transform(X).shape == (40, 8 * 16)
    assert est.sample(3).shape == (3, 10)


def test_image_shape_parameter_for_flat_input(rng):
    X = rng.normal(size=(30, 2 * 6 * 10))
    est = GANFeatureExtractor(**{**TINY, "image_shape": (2, 6, 10)}).fit(X)
    assert est.image_shape_ == (2, 6, 10)
    assert est.sample(2).shape == (2, 120)


def test_sample_shapes_and_scale_follow_the_fit_input(digits):
    X, _ = digits
    est3 = GANFeatureExtractor(**TINY).fit(X)
    images = est3.sample(5, random_state=0)
    assert images.shape == (5, 8, 8)
    assert images.min() >= -1e-4 and images.max() <= 16 + 1e-4
    np.testing.assert_array_equal(images, est3.sample(5, random_state=0))
    assert not np.allclose(images, est3.sample(5, random_state=1))
    assert GANFeatureExtractor(**TINY).fit(X[:, None]).sample(2).shape == (2, 1, 8, 8)
    assert GANFeatureExtractor(**TINY).fit(X.reshape(len(X), -1)).sample(2).shape == (2, 64)


def test_sample_of_a_channels_last_fit_is_channels_last(rng, tmp_path):
    # Regression: a fit on (n, H, W, C) images sampled (n, C, H, W).
    X = rng.integers(0, 256, size=(40, 8, 8, 3), dtype=np.uint8)
    last = GANFeatureExtractor(**TINY).fit(X)
    first = GANFeatureExtractor(**TINY).fit(np.moveaxis(X, -1, 1))
    assert last.input_channels_last_ and not first.input_channels_last_
    images = last.sample(2, random_state=0)
    assert images.shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(images, np.moveaxis(first.sample(2, random_state=0), 1, -1))
    last.save(tmp_path / "last.skgan")
    restored = GANFeatureExtractor.load(tmp_path / "last.skgan")
    np.testing.assert_array_equal(restored.sample(2, random_state=0), images)


def test_pickle_round_trip_gives_identical_transform(digits, fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(digits[0]), fitted.transform(digits[0]))
    np.testing.assert_array_equal(
        restored.sample(3, random_state=0), fitted.sample(3, random_state=0)
    )


def test_clone_gives_an_unfitted_copy_with_the_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "discriminator_")


def test_pipeline_with_linear_svc(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("gan", GANFeatureExtractor(**TINY)),
            ("scale", StandardScaler()),
            ("svm", LinearSVC(C=0.01)),
        ]
    )
    pipe.fit(X[:200], y[:200])
    assert pipe.score(X[200:], y[200:]) > 0.6


def test_grid_search_over_two_parameters(digits):
    X, y = digits
    pipe = Pipeline([("gan", GANFeatureExtractor(**TINY)), ("svm", LinearSVC(C=0.01))])
    search = GridSearchCV(pipe, {"gan__pooling": ["max", "avg"], "svm__C": [0.01, 0.1]}, cv=2).fit(
        X, y
    )
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.named_steps["gan"].pooling in ("max", "avg")


def test_verbose_prints_a_table_and_quiet_prints_nothing(digits, capsys):
    GANFeatureExtractor(**TINY).fit(digits[0])
    assert capsys.readouterr().out == ""
    GANFeatureExtractor(**{**TINY, "verbose": 1}).fit(digits[0])
    out = capsys.readouterr().out
    assert "loss_d" in out and "d_fake" in out


@pytest.fixture
def optimizer_groups(monkeypatch):
    """The first parameter group of G's and D's optimizers, as each fit creates them."""
    seen = []
    original = GANTrainer.initialize_optimizer

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        seen.extend(opt.param_groups[0] for opt in (self.optimizer_, self.optimizer_d_))
        return result

    monkeypatch.setattr(GANTrainer, "initialize_optimizer", spy)
    return seen


def test_optimizers_use_the_configured_learning_rate_and_betas(digits, optimizer_groups):
    GANFeatureExtractor(**{**TINY, "lr": 1e-3, "betas": (0.3, 0.9)}).fit(digits[0])
    assert [g["lr"] for g in optimizer_groups] == [1e-3, 1e-3]
    assert [tuple(g["betas"]) for g in optimizer_groups] == [(0.3, 0.9), (0.3, 0.9)]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, CONTRASTIVE_LR),  # the default task is contrastive
        ({"self_supervision": "none"}, DEFAULT_LR),
        ({"self_supervision": "rotation"}, DEFAULT_LR),
        ({"gan": "bigan"}, DEFAULT_LR),
    ],
)
def test_auto_learning_rate_follows_the_discriminator_task(
    digits, optimizer_groups, params, expected
):
    est = GANFeatureExtractor(**TINY, **params).fit(digits[0][:64])
    assert [g["lr"] for g in optimizer_groups] == [expected, expected]
    assert est.lr == "auto"  # the parameter itself is left as given


class _Stop(Exception):
    pass


@pytest.mark.parametrize(
    "params, channels, expected",
    [
        ({}, 1, DEFAULT_EPOCHS),
        ({}, 3, CONTRASTIVE_COLOUR_EPOCHS),  # the default task on colour images
        ({"self_supervision": "none"}, 3, DEFAULT_EPOCHS),
        ({"self_supervision": "rotation"}, 3, DEFAULT_EPOCHS),
        ({"gan": "bigan"}, 3, DEFAULT_EPOCHS),
    ],
)
def test_auto_epochs_follow_the_discriminator_task_and_the_channels(
    monkeypatch, params, channels, expected
):
    seen = []

    def stop(images, spec, settings, **kwargs):
        seen.append(settings.n_epochs)
        raise _Stop

    monkeypatch.setattr("skgan._extractor.fit_gan", stop)
    X = np.random.default_rng(0).integers(0, 256, (8, channels, 8, 8), dtype=np.uint8)
    est = GANFeatureExtractor(**{**TINY, "n_epochs": "auto", **params})
    with pytest.raises(_Stop):
        est.fit(X)
    assert seen == [expected] and est.n_epochs == "auto"
    assert GANFeatureExtractor().n_epochs == "auto"


def test_sample_checks_its_argument(fitted):
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(0)


def test_fit_on_cuda_without_cuda_is_a_clear_error(digits, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        GANFeatureExtractor(**{**TINY, "device": "cuda"}).fit(digits[0])


@pytest.mark.slow
def test_compiled_training_matches_eager_and_keeps_plain_modules(digits):
    X, _ = digits
    compiled = GANFeatureExtractor(**{**TINY, "compile": True}).fit(X)
    assert type(compiled.discriminator_).__name__ == "Discriminator"
    restored = pickle.loads(pickle.dumps(compiled))
    eager = GANFeatureExtractor(**TINY).fit(X)
    np.testing.assert_allclose(restored.transform(X), eager.transform(X), atol=1e-4)


def _objective_that(monkeypatch, fail_at_call, failure):
    """Patch the DCGAN step so that its ``fail_at_call``-th call fails with ``failure``."""
    original = GANS["dcgan"].step
    calls = []

    def step(net, images, labels):
        calls.append(1)
        result = original(net, images, labels)
        if len(calls) >= fail_at_call:
            return failure(net, result)
        return result

    monkeypatch.setattr(GANS["dcgan"], "step", step)


def test_ctrl_c_keeps_the_last_complete_epoch(digits, monkeypatch):
    X, _ = digits  # 300 digits, batch 32: 10 batches per epoch

    def interrupt(net, result):
        raise KeyboardInterrupt

    one_epoch = GANFeatureExtractor(**TINY).fit(X).transform(X)
    _objective_that(monkeypatch, 13, interrupt)
    with pytest.warns(UserWarning, match="interrupted during epoch 2.*epoch \\(1\\)"):
        est = GANFeatureExtractor(**{**TINY, "n_epochs": 3}).fit(X)
    assert len(est.history_) == 1
    np.testing.assert_array_equal(est.transform(X), one_epoch)


def test_divergence_restores_the_last_good_epoch_and_warns(digits, monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    X, _ = digits

    def diverge(net, result):
        with torch.no_grad():
            next(net.discriminator_.parameters()).fill_(float("nan"))
        return {**result, "loss_d": torch.tensor(float("nan"))}

    one_epoch = GANFeatureExtractor(**TINY).fit(X).transform(X)
    _objective_that(monkeypatch, 15, diverge)
    message = "diverged in epoch 2 \\(loss_d.*not finite\\).*epoch 1"
    with pytest.warns(ConvergenceWarning, match=message):
        est = GANFeatureExtractor(**{**TINY, "n_epochs": 4}).fit(X)
    assert len(est.history_) == 1
    features = est.transform(X)
    assert np.isfinite(features).all()
    np.testing.assert_array_equal(features, one_epoch)


def test_partial_fit_twice_equals_two_epochs_of_fit(digits):
    X, _ = digits
    reference = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(X)
    est = GANFeatureExtractor(**TINY)
    est.partial_fit(X)
    assert len(est.history_) == 1
    est.partial_fit(X)
    assert est.history_[:, "epoch"] == [1, 2]
    assert est.history_[:, "loss_d"] == reference.history_[:, "loss_d"]
    np.testing.assert_array_equal(est.transform(X), reference.transform(X))


def test_warm_start_continues_and_cold_start_starts_over(digits):
    X, _ = digits
    two_epochs = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(X).transform(X)
    one_epoch = GANFeatureExtractor(**TINY).fit(X).transform(X)
    est = GANFeatureExtractor(**TINY).fit(X)
    np.testing.assert_array_equal(est.fit(X).transform(X), one_epoch)
    est.set_params(warm_start=True).fit(X)
    assert len(est.history_) == 2 and est.best_epoch_ == 2
    np.testing.assert_array_equal(est.transform(X), two_epochs)


def test_warm_start_applies_a_new_learning_rate(digits, monkeypatch):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "warm_start": True}).fit(X)
    seen = []
    original = GANTrainer.partial_fit

    def spy(self, *args, **kwargs):
        seen.extend(opt.param_groups[0]["lr"] for opt in (self.optimizer_, self.optimizer_d_))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GANTrainer, "partial_fit", spy)
    est.set_params(lr=5e-5).fit(X)
    assert seen == [5e-5, 5e-5]


def test_warm_start_refuses_a_changed_architecture(digits):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "warm_start": True}).fit(X)
    with pytest.raises(
        ValueError,
        match=r"\(gan, width, latent_dim, self_supervision\) = \('dcgan', 8, 8, 'contrastive'\); "
        r"got \('dcgan', 16, 8, 'contrastive'\)",
    ):
        est.set_params(width=16).fit(X)
    with pytest.raises(ValueError, match="65 features, but GANFeatureExtractor is expecting 64"):
        est.set_params(width=8).partial_fit(np.zeros((10, 65)))


def test_checkpoint_resume_after_ctrl_c_is_bit_identical(digits, monkeypatch, tmp_path):
    X, _ = digits
    uninterrupted = GANFeatureExtractor(**{**TINY, "n_epochs": 3}).fit(X)

    def interrupt(net, result):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        _objective_that(patch, 25, interrupt)  # in epoch 3 (10 batches per epoch)
        with pytest.warns(UserWarning, match="interrupted during epoch 3"):
            GANFeatureExtractor(**{**TINY, "n_epochs": 3, "checkpoint_dir": tmp_path}).fit(X)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.skgan"]

    resumed = GANFeatureExtractor(**{**TINY, "n_epochs": 3, "checkpoint_dir": tmp_path})
    resumed.fit(X)
    assert resumed.history_[:, "epoch"] == [1, 2, 3]
    assert resumed.history_[:, "loss_g"] == uninterrupted.history_[:, "loss_g"]
    np.testing.assert_array_equal(resumed.transform(X), uninterrupted.transform(X))


def test_checkpoint_survives_a_crash_and_a_finished_fit_resumes_with_no_training(
    digits, monkeypatch, tmp_path
):
    X, _ = digits
    params = {**TINY, "n_epochs": 2, "checkpoint_dir": str(tmp_path)}
    reference = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(X).transform(X)

    def crash(net, result):
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        _objective_that(patch, 12, crash)  # in epoch 2: only epoch 1 was saved
        with pytest.raises(RuntimeError, match="power cut"):
            GANFeatureExtractor(**params).fit(X)
    est = GANFeatureExtractor(**params).fit(X)
    np.testing.assert_array_equal(est.transform(X), reference)
    again = GANFeatureExtractor(**params).fit(X)  # all epochs done: nothing to train
    assert len(again.history_) == 2
    np.testing.assert_array_equal(again.transform(X), reference)


def test_a_cosine_fit_resumes_after_ctrl_c_bit_identically(digits, monkeypatch, tmp_path):
    X, _ = digits
    params = {**TINY, "n_epochs": 3, "lr_schedule": "cosine"}
    uninterrupted = GANFeatureExtractor(**params).fit(X)
    assert uninterrupted.history_[:, "lr"] == pytest.approx([1e-3 * f for f in (1, 0.75, 0.25)])

    def interrupt(net, result):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        _objective_that(patch, 25, interrupt)  # in epoch 3 (10 batches per epoch)
        with pytest.warns(UserWarning, match="interrupted during epoch 3"):
            GANFeatureExtractor(**params, checkpoint_dir=tmp_path).fit(X)
    resumed = GANFeatureExtractor(**params, checkpoint_dir=tmp_path).fit(X)
    assert resumed.history_[:, "lr"] == uninterrupted.history_[:, "lr"]
    np.testing.assert_array_equal(resumed.transform(X), uninterrupted.transform(X))
    with pytest.raises(ValueError, match="its lr_schedule differ"):
        GANFeatureExtractor(**{**params, "lr_schedule": "constant"}, checkpoint_dir=tmp_path).fit(X)


def test_a_cosine_warm_start_runs_the_schedule_over_its_own_epochs(digits):
    X, _ = digits
    params = {**TINY, "n_epochs": 2, "lr_schedule": "cosine", "warm_start": True}
    est = GANFeatureExtractor(**params).fit(X)
    est.fit(X)
    assert est.history_[:, "lr"] == pytest.approx([1e-3, 5e-4, 1e-3, 5e-4])


def test_a_checkpoint_of_another_run_is_refused(digits, tmp_path):
    X, _ = digits
    GANFeatureExtractor(**{**TINY, "checkpoint_dir": tmp_path}).fit(X)
    with pytest.raises(ValueError, match="its lr differ"):
        GANFeatureExtractor(**{**TINY, "checkpoint_dir": tmp_path, "lr": 1e-3}).fit(X)
    with pytest.raises(ValueError, match="training data differ"):
        GANFeatureExtractor(**{**TINY, "checkpoint_dir": tmp_path}).fit(X[::-1])


def test_a_checkpoint_older_than_a_parameter_resumes_with_its_default(digits, tmp_path):
    X, _ = digits
    params = {**TINY, "gan": "bigan", "n_epochs": 2, "checkpoint_dir": tmp_path}
    GANFeatureExtractor(**{**params, "n_epochs": 1}).fit(X)
    path = tmp_path / "checkpoint.skgan"
    payload = torch.load(path, weights_only=True)
    saved = json.loads(payload["params"])
    del saved["reconstruction_weight"]  # as written before the parameter existed
    del saved["lr_schedule"]
    payload["params"] = json.dumps(saved)
    torch.save(payload, path)
    with pytest.raises(ValueError, match="its reconstruction_weight differ"):
        GANFeatureExtractor(**{**params, "reconstruction_weight": 1.0}).fit(X)
    with pytest.raises(ValueError, match="its lr_schedule differ"):
        GANFeatureExtractor(**{**params, "lr_schedule": "cosine"}).fit(X)
    resumed = GANFeatureExtractor(**params).fit(X)
    assert resumed.history_[:, "epoch"] == [1, 2]


def test_select_best_epoch_keeps_the_best_scored_networks(digits):
    X, y = digits
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 3, "select_epoch": "best"}).fit(X, y)
    scores = est.history_[:, "probe_accuracy"]
    assert len(scores) == 3 and all(0 <= s <= 1 for s in scores)
    assert est.best_epoch_ == 1 + int(np.argmax(scores))
    # Scoring leaves training alone: the kept networks are those of a shorter fit.
    shorter = GANFeatureExtractor(**{**TINY, "n_epochs": est.best_epoch_}).fit(X)
    np.testing.assert_array_equal(est.transform(X), shorter.transform(X))


def test_select_best_epoch_without_labels_uses_rankme(digits):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 2, "select_epoch": "best"}).fit(X)
    ranks = est.history_[:, "rankme"]
    assert len(ranks) == 2 and all(1 <= r <= 128 for r in ranks)
    assert est.best_epoch_ == 1 + int(np.argmax(ranks))
    assert "rankme" not in GANFeatureExtractor(**TINY).fit(X).history_[-1]


def test_select_best_epoch_needs_usable_labels(digits):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "select_epoch": "best"})
    with pytest.raises(ValueError, match="two classes with two or more samples"):
        est.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, np.arange(5))


def test_collapsed_discriminator_restores_the_epoch_before_the_collapse(digits, monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    X, _ = digits

    def collapse(net, result):
        return {**result, "d_real": torch.tensor(1.0), "d_fake": torch.tensor(0.0)}

    plain = {**TINY, "self_supervision": "none"}
    one_epoch = GANFeatureExtractor(**plain).fit(X).transform(X)
    _objective_that(monkeypatch, 11, collapse)  # from epoch 2 on
    with pytest.warns(ConvergenceWarning, match="collapsed.*epochs 2 to 4.*epoch 1"):
        est = GANFeatureExtractor(**{**plain, "n_epochs": 6}).fit(X)
    assert len(est.history_) == 1
    np.testing.assert_array_equal(est.transform(X), one_epoch)
    # A contrastive D's head reads features the GAN loss never trains: no collapse.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = GANFeatureExtractor(**{**TINY, "n_epochs": 6}).fit(X)
    assert len(est.history_) == 6 and est.history_[-1, "d_real"] == 1.0


def test_a_memmap_trains_like_the_same_data_in_memory(digits, tmp_path):
    X = (digits[0] * 15).astype(np.uint8)
    disk = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.uint8, shape=X.shape)
    disk[:] = X
    disk.flush()
    on_disk = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(
        np.load(tmp_path / "X.npy", mmap_mode="r")
    )
    in_memory = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(X)
    assert on_disk.history_[:, "loss_d"] == in_memory.history_[:, "loss_d"]
    out = np.lib.format.open_memmap(
        tmp_path / "F.npy", mode="w+", dtype=np.float32, shape=(len(X), 128)
    )
    assert on_disk.transform(disk, out=out) is out
    np.testing.assert_array_equal(out, in_memory.transform(X))


def test_transform_checks_out(fitted, digits):
    with pytest.raises(ValueError, match=r"out must be a float32 ndarray .* of shape \(300, 128\)"):
        fitted.transform(digits[0], out=np.empty((300, 128)))


# ------------------------------------------------------------ generator-side features
def test_bigan_fits_an_encoder_and_reads_three_kinds_of_features(digits, fitted_bigan):
    X = digits[0][200:]
    est = clone(fitted_bigan).set_params()
    est.__dict__.update({k: v for k, v in vars(fitted_bigan).items() if k.endswith("_")})
    assert next(est.encoder_.parameters()).device.type == "cpu" and not est.encoder_.training
    codes = est.transform(X)
    assert codes.shape == (len(X), 8) and codes.dtype == np.float32
    assert list(est.get_feature_names_out()) == [f"z00{i}" for i in range(8)]
    est.set_params(encoder_layer="penultimate")  # e0: 8 channels on a 4 x 4 map
    assert est.transform(X).shape == (len(X), 8 * 16)
    assert est.get_feature_names_out()[17] == "e0_activation_c001_r0_c1"
    est.set_params(features="discriminator")  # the joint D's x-path, pooled like DCGAN's D
    assert est.transform(X).shape == (len(X), 8 * 16)
    assert est.get_feature_names_out()[0] == "d0_activation_c000_r0_c0"
    assert len(est.history_) == 2


def test_dcgan_has_no_encoder(fitted):
    assert fitted.encoder_ is None


def test_bigan_features_are_deterministic_and_seeded(digits, fitted_bigan):
    X = digits[0][:200]
    params = fitted_bigan.get_params()
    again = GANFeatureExtractor(**params).fit(X)
    np.testing.assert_array_equal(again.transform(X), fitted_bigan.transform(X))
    other = GANFeatureExtractor(**{**params, "random_state": 1}).fit(X)
    assert not np.allclose(other.transform(X), fitted_bigan.transform(X))


def _reconstruction_error(est, X):
    return float(((est.inverse_transform(est.transform(X)) - X) ** 2).mean())


@pytest.mark.parametrize("gan", ["dcgan", "bigan"])
def test_inversion_reconstructs_held_out_digits_far_better_than_random_codes(gan):
    # A generator that draws digits at all needs more than the tiny settings.
    X = load_digits().images
    params = dict(width=16, latent_dim=16, batch_size=32, n_epochs=5, random_state=0)
    est = GANFeatureExtractor(**params, gan=gan, features="inversion", inversion_lr=0.3)
    est.fit(X[:1000])
    held_out = X[1000:1300]
    codes = est.transform(held_out)
    assert codes.shape == (len(held_out), 16)
    np.testing.assert_array_equal(est.transform(held_out), codes)  # deterministic
    random_codes = float(((est.sample(len(held_out), random_state=0) - held_out) ** 2).mean())
    assert _reconstruction_error(est, held_out) < 0.7 * random_codes


def test_reconstruction_weight_makes_encoder_codes_describe_held_out_digits():
    X = load_digits().images
    params = dict(width=16, latent_dim=16, batch_size=32, n_epochs=3, random_state=0)
    plain = GANFeatureExtractor(
        **params, gan="bigan", features="encoder", reconstruction_weight=0.0
    ).fit(X[:1000])
    cycle = clone(plain).set_params(reconstruction_weight=10.0).fit(X[:1000])
    assert "reconstruction" in cycle.history_[-1] and "reconstruction" not in plain.history_[-1]
    held_out = X[1000:1300]
    assert _reconstruction_error(cycle, held_out) < 0.7 * _reconstruction_error(plain, held_out)


def test_inversion_starts_from_the_encoder_and_improves_on_it(digits, fitted_bigan):
    held_out = digits[0][200:]
    encoded = _reconstruction_error(fitted_bigan, held_out)
    est = clone(fitted_bigan).set_params(features="inversion", inversion_steps=0)
    est.__dict__.update({k: v for k, v in vars(fitted_bigan).items() if k.endswith("_")})
    np.testing.assert_array_equal(est.transform(held_out), fitted_bigan.transform(held_out))
    est.set_params(inversion_steps=30)
    assert _reconstruction_error(est, held_out) < encoded


def test_inverse_transform_returns_images_like_sample(digits, fitted_bigan):
    X = digits[0][:5]
    images = fitted_bigan.inverse_transform(fitted_bigan.transform(X))
    assert images.shape == (5, 8, 8) and images.dtype == np.float32
    assert images.min() >= -1e-4 and images.max() <= 16 + 1e-4
    flat = GANFeatureExtractor(**{**TINY, "gan": "bigan", "features": "encoder"})
    flat.fit(digits[0].reshape(len(digits[0]), -1))
    assert flat.inverse_transform(flat.transform(X.reshape(5, -1))).shape == (5, 64)


def test_inverse_transform_refuses_non_latent_features_and_wrong_widths(fitted, fitted_bigan):
    with pytest.raises(ValueError, match="inverse_transform needs latent-code features"):
        fitted.inverse_transform(np.zeros((2, 8)))
    penultimate = clone(fitted_bigan).set_params(encoder_layer="penultimate")
    penultimate.__dict__.update({k: v for k, v in vars(fitted_bigan).items() if k.endswith("_")})
    with pytest.raises(ValueError, match="encoder_layer='penultimate'"):
        penultimate.inverse_transform(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="latent_dim = 8"):
        fitted_bigan.inverse_transform(np.zeros((2, 7)))


def test_pipeline_with_linear_svc_on_encoder_features(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("gan", GANFeatureExtractor(**{**TINY, "gan": "bigan", "features": "encoder"})),
            ("scale", StandardScaler()),
            ("svm", LinearSVC(C=0.01)),
        ]
    )
    pipe.fit(X[:200], y[:200])
    assert pipe.score(X[200:], y[200:]) > 0.3  # chance is 0.1; one tiny epoch


BAD_FEATURE_PARAMS = [
    ({"gan": "wgan"}, ValueError, "gan must be one of"),
    ({"features": "pixels"}, ValueError, "features must be one of"),
    ({"features": "encoder"}, ValueError, "features='encoder' needs a GAN with an encoder"),
    ({"encoder_layer": "last"}, ValueError, "encoder_layer must be one of"),
    ({"inversion_steps": -1}, ValueError, "inversion_steps"),
    ({"inversion_steps": 2.5}, TypeError, "inversion_steps"),
    ({"inversion_lr": 0}, ValueError, "inversion_lr"),
    ({"inversion_lr": float("nan")}, ValueError, "inversion_lr"),
]


@pytest.mark.parametrize("params, error, message", BAD_FEATURE_PARAMS)
def test_bad_feature_parameters_raise_clear_errors(digits, params, error, message):
    with pytest.raises(error, match=message):
        GANFeatureExtractor(**{**TINY, **params}).fit(digits[0])


def test_read_out_parameters_are_checked_at_transform(digits, fitted):
    est = clone(fitted).set_params(features="encoder")
    est.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    with pytest.raises(ValueError, match="needs a GAN with an encoder"):
        est.transform(digits[0][:2])


# ------------------------------------------------------------ class-aware GANs
def test_acgan_needs_labels(digits):
    X, y = digits
    with pytest.raises(ValueError, match="requires y to be passed"):
        GANFeatureExtractor(**TINY, gan="acgan").fit(X)
    with pytest.raises(ValueError, match="at least two classes"):
        GANFeatureExtractor(**TINY, gan="acgan").fit(X, np.where(y == 3, 3, -1))


def test_acgan_discriminator_classifies_held_out_digits(digits, fitted_acgan):
    X, y = digits
    assert list(fitted_acgan.classes_) == list(range(10))
    posterior = fitted_acgan.transform(X[250:])
    assert posterior.shape == (50, 10)
    np.testing.assert_allclose(posterior.sum(axis=1), 1, rtol=1e-5)
    accuracy = np.mean(fitted_acgan.classes_[posterior.argmax(axis=1)] == y[250:])
    assert accuracy > 0.3  # chance: 0.1
    assert list(fitted_acgan.get_feature_names_out()[:2]) == ["category000", "category001"]


def test_acgan_semi_supervised_with_minus_one_for_unlabelled(digits):
    X, y = digits
    labels = np.where(np.arange(len(y)) < 30, y, -1)  # 30 of 300 images labelled
    est = GANFeatureExtractor(**TINY, gan="acgan").fit(X, labels)
    assert list(est.classes_) == list(range(10))
    assert est.transform(X[:4]).shape == (4, 128)


def test_acgan_takes_string_labels(digits):
    X, y = digits
    names = np.array(["zero", "one", "two"], dtype=object)
    keep = y < 3
    est = GANFeatureExtractor(**TINY, gan="acgan").fit(X[keep], names[y[keep]])
    assert sorted(est.classes_) == ["one", "two", "zero"]
    assert est.sample(2, random_state=0, y=["two", "zero"]).shape == (2, 8, 8)
    with pytest.raises(TypeError, match="mixes labels of different types"):
        est.fit(X[keep], np.where(np.arange(keep.sum()) < 5, names[y[keep]], -1))


def test_acgan_sample_draws_the_requested_classes(fitted_acgan, fitted):
    threes = fitted_acgan.sample(3, random_state=0, y=[3, 3, 3])
    sevens = fitted_acgan.sample(3, random_state=0, y=[7, 7, 7])
    assert not np.array_equal(threes, sevens)  # same noise, other class
    np.testing.assert_array_equal(threes, fitted_acgan.sample(3, random_state=0, y=[3, 3, 3]))
    with pytest.raises(ValueError, match="not in classes_"):
        fitted_acgan.sample(1, y=[11])
    with pytest.raises(ValueError, match="not class-conditional"):
        fitted.sample(1, y=[1])


def test_acgan_partial_fit_twice_equals_two_epochs_and_refuses_new_classes(digits):
    X, y = digits
    params = {**TINY, "gan": "acgan"}
    reference = GANFeatureExtractor(**{**params, "n_epochs": 2}).fit(X, y)
    est = GANFeatureExtractor(**params).partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(est.transform(X), reference.transform(X))
    with pytest.raises(ValueError, match=r"classes \[10\] that the fitted AC-GAN does not know"):
        est.partial_fit(X[:20], np.full(20, 10))


def test_acgan_checkpoint_refuses_other_labels(digits, tmp_path):
    X, y = digits
    params = {**TINY, "gan": "acgan", "checkpoint_dir": tmp_path}
    GANFeatureExtractor(**params).fit(X, y)
    with pytest.raises(ValueError, match="training data differ"):
        GANFeatureExtractor(**params).fit(X, np.roll(y, 1))


def test_select_best_epoch_scores_only_labelled_samples(digits):
    X, y = digits
    labels = np.where(np.arange(len(y)) < 100, y, -1)
    est = GANFeatureExtractor(**{**TINY, "n_epochs": 2, "select_epoch": "best"}).fit(X, labels)
    assert len(est.history_[:, "probe_accuracy"]) == 2


def test_acgan_in_a_grid_searched_pipeline_gets_the_fold_labels(digits):
    X, y = digits
    pipe = Pipeline([("gan", GANFeatureExtractor(**TINY, gan="acgan")), ("svm", LinearSVC(C=0.01))])
    search = GridSearchCV(pipe, {"gan__features": ["discriminator", "categories"]}, cv=2)
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert list(search.best_estimator_.named_steps["gan"].classes_) == list(range(10))


def test_catgan_reads_pooled_and_category_features(digits, fitted_catgan):
    X, _ = digits
    assert fitted_catgan.transform(X[:5]).shape == (5, 128)
    # Read-out parameters take effect at transform time: no refit needed.
    categories = pickle.loads(pickle.dumps(fitted_catgan)).set_params(features="categories")
    posterior = categories.transform(X)
    assert posterior.shape == (len(X), 4)
    np.testing.assert_allclose(posterior.sum(axis=1), 1, rtol=1e-5)
    # d_real and d_fake are the discriminator's certainty, in [0, 1].
    for key in ("d_real", "d_fake"):
        assert all(0 <= v <= 1 for v in fitted_catgan.history_[:, key])
    assert not hasattr(fitted_catgan, "classes_")


def test_catgan_warm_start_refuses_other_category_counts(digits, fitted_catgan):
    est = pickle.loads(pickle.dumps(fitted_catgan))
    with pytest.raises(ValueError, match="n_categories"):
        est.set_params(warm_start=True, n_categories=5).fit(digits[0])


# ------------------------------------------- a failed fit changes nothing
SIXTEEN = np.random.default_rng(0).integers(0, 17, size=(40, 16, 16)).astype(np.float64)
ONE_CLASS = np.zeros(len(SIXTEEN))
#: (name, parameters, X, y): fits that fail after X itself passed validation.
FAILING_FITS = [
    ("encoder features without an encoder", {"features": "encoder"}, SIXTEEN, None),
    ("layers beyond the 16 x 16 stack", {"layers": [5]}, SIXTEEN, None),
    ("select_epoch='best' with one class", {"select_epoch": "best"}, SIXTEEN, ONE_CLASS),
    ("gan='acgan' without y", {"gan": "acgan"}, SIXTEEN, None),
    ("reconstruction_weight without an encoder", {"reconstruction_weight": 1.0}, SIXTEEN, None),
    ("categories without categories", {"features": "categories"}, SIXTEEN, None),
    ("NaN in X", {}, np.full((5, 64), np.nan), None),
]


@pytest.mark.parametrize("name, params, X, y", FAILING_FITS, ids=[c[0] for c in FAILING_FITS])
def test_a_failed_fit_leaves_a_fresh_extractor_unfitted(name, params, X, y):
    est = GANFeatureExtractor(**{**TINY, **params})
    with pytest.raises((ValueError, TypeError)):
        est.fit(X, y)
    assert not [k for k in vars(est) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        est.transform(X)


@pytest.mark.parametrize("name, params, X, y", FAILING_FITS, ids=[c[0] for c in FAILING_FITS])
def test_a_failed_refit_leaves_a_fitted_extractor_unchanged(name, params, X, y, digits):
    est = GANFeatureExtractor(**TINY).fit(digits[0])
    before, state = est.transform(digits[0]), dict(vars(est))
    with pytest.raises((ValueError, TypeError)):
        est.set_params(**params).fit(X, y)
    est.set_params(**{k: GANFeatureExtractor(**TINY).get_params()[k] for k in params})
    assert vars(est).keys() == state.keys()
    assert all(vars(est)[k] is v for k, v in state.items() if k.endswith("_"))
    assert est.image_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(est.transform(digits[0]), before)


def test_a_fit_that_fails_in_training_leaves_the_extractor_unchanged(digits, monkeypatch):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "warm_start": True}).fit(X)
    before, fitted = est.transform(X), est.fitted_gan_

    def power_cut(net, images, labels):
        raise RuntimeError("power cut")

    monkeypatch.setattr(GANS["dcgan"], "step", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        est.fit(X)
    assert est.fitted_gan_ is fitted and len(est.history_) == 1
    np.testing.assert_array_equal(est.transform(X), before)


def test_a_failed_warm_start_and_a_foreign_checkpoint_change_nothing(digits, tmp_path):
    X, _ = digits
    GANFeatureExtractor(**{**TINY, "checkpoint_dir": tmp_path, "lr": 1e-3}).fit(X)
    est = GANFeatureExtractor(**TINY).fit(X)
    before, fitted = est.transform(X), est.fitted_gan_
    with pytest.raises(ValueError, match="its lr differ"):
        est.set_params(checkpoint_dir=tmp_path).fit(X)
    with pytest.raises(ValueError, match="continue the fitted networks"):
        est.set_params(checkpoint_dir=None, warm_start=True, width=16).fit(X)
    assert est.fitted_gan_ is fitted
    np.testing.assert_array_equal(est.set_params(width=8).transform(X), before)


def test_fitted_attributes_come_from_the_fitted_gan_and_are_read_only(fitted):
    assert fitted.gan_ == "dcgan" and fitted.encoder_ is None
    assert fitted.generator_ is fitted.fitted_gan_.networks.generator
    assert not hasattr(fitted, "classes_") and not hasattr(fitted, "feature_names_in_")
    with pytest.raises(AttributeError, match="set by fit"):
        fitted.generator_ = None
    assert not hasattr(GANFeatureExtractor(), "generator_")


@pytest.mark.slow
def test_the_default_bigan_encoder_inverts_its_generator():
    X = load_digits().images
    est = GANFeatureExtractor(gan="bigan", features="encoder", random_state=0).fit(X[:1500])
    held_out = X[1500:]
    random_codes = float(((est.sample(len(held_out), random_state=0) - held_out) ** 2).mean())
    assert _reconstruction_error(est, held_out) < 0.5 * random_codes
