import pickle

import numpy as np
import pytest
import torch
from conftest import TINY
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import skgan._extractor as extractor_module
from skgan import GANFeatureExtractor


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


def test_mnist_sized_images_give_7168_features(rng):
    X = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    est = GANFeatureExtractor(n_epochs=0, random_state=0).fit(X)
    assert est.get_feature_names_out().shape == (7168,)
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


def test_optimizers_use_the_configured_learning_rate_and_betas(digits, monkeypatch):
    seen = []
    original = extractor_module.GANTrainer.initialize_optimizer

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        seen.extend(opt.param_groups[0] for opt in (self.optimizer_, self.optimizer_d_))
        return result

    monkeypatch.setattr(extractor_module.GANTrainer, "initialize_optimizer", spy)
    GANFeatureExtractor(**{**TINY, "lr": 1e-3, "betas": (0.3, 0.9)}).fit(digits[0])
    assert [g["lr"] for g in seen] == [1e-3, 1e-3]
    assert [tuple(g["betas"]) for g in seen] == [(0.3, 0.9), (0.3, 0.9)]


BAD_PARAMS = [
    ({"n_epochs": -1}, ValueError, "n_epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"latent_dim": 0}, ValueError, "latent_dim"),
    ({"width": 2.5}, TypeError, "width"),
    ({"lr": float("inf")}, ValueError, "lr"),
    ({"lr": 0}, ValueError, "lr"),
    ({"betas": (0.5,)}, ValueError, "betas"),
    ({"tap": "relu"}, ValueError, "tap must be one of"),
    ({"pooling": "median"}, ValueError, "pooling must be one of"),
    ({"pool_size": 0}, ValueError, "pool_size"),
    ({"layers": [0, 0]}, ValueError, "layers"),
    ({"layers": [5]}, ValueError, "layers"),
    ({"layers": "some"}, ValueError, "layers must be one of"),
    ({"input_range": (1, 0)}, ValueError, "input_range"),
    ({"input_range": "fixed"}, ValueError, "input_range"),
    ({"device": "gpu:7"}, ValueError, "device"),
    ({"precision": "fp16"}, ValueError, "precision must be one of"),
    ({"compile": "yes"}, TypeError, "compile"),
    ({"transform_batch_size": 0}, ValueError, "transform_batch_size"),
    ({"image_shape": (9, 9)}, ValueError, "image_shape"),
]


@pytest.mark.parametrize("params, error, message", BAD_PARAMS)
def test_bad_parameters_raise_clear_errors(digits, params, error, message):
    with pytest.raises(error, match=message):
        GANFeatureExtractor(**{**TINY, **params}).fit(digits[0])


def test_bad_input_raises_clear_errors(digits, fitted, rng):
    X, _ = digits
    with pytest.raises(ValueError, match="NaN"):
        GANFeatureExtractor(**TINY).fit(np.full((5, 16), np.nan))
    with pytest.raises(ValueError, match="infinity"):
        GANFeatureExtractor(**TINY).fit(np.full((5, 16), np.inf))
    with pytest.raises(ValueError, match="5-D"):
        GANFeatureExtractor(**TINY).fit(np.zeros((2, 1, 1, 4, 4)))
    with pytest.raises(ValueError, match="at least 2 x 2"):
        GANFeatureExtractor(**TINY).fit(np.zeros((4, 1, 9)))
    with pytest.raises(ValueError, match="n_features = 1"):
        GANFeatureExtractor(**TINY).fit(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="65 features, but GANFeatureExtractor is expecting 64"):
        fitted.transform(rng.normal(size=(3, 65)))
    with pytest.raises(ValueError, match=r"shape \(2, 4, 8\).*\(1, 8, 8\)"):
        fitted.transform(rng.normal(size=(3, 2, 4, 8)))
    with pytest.raises(ValueError, match="does not match"):
        GANFeatureExtractor(**{**TINY, "image_shape": (4, 16)}).fit(X)


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
    import skgan._trainer as trainer_module

    original = trainer_module.OBJECTIVES["dcgan"]
    calls = []

    def step(net, batch):
        calls.append(1)
        result = original(net, batch)
        if len(calls) >= fail_at_call:
            return failure(net, result)
        return result

    monkeypatch.setitem(trainer_module.OBJECTIVES, "dcgan", step)


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
