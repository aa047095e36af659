import json
import pickle
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TINY
from sklearn.exceptions import NotFittedError

from skgan import GANFeatureExtractor


def test_save_load_round_trip_is_exact(fitted, digits, tmp_path):
    path = tmp_path / "model.skgan"
    fitted.save(path)
    restored = GANFeatureExtractor.load(path)
    X, _ = digits
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(
        restored.sample(3, random_state=0), fitted.sample(3, random_state=0)
    )
    assert restored.get_params() == fitted.get_params()
    assert restored.image_shape_ == fitted.image_shape_
    assert restored.history_[:, "loss_d"] == fitted.history_[:, "loss_d"]
    assert not list(tmp_path.glob(".*tmp"))


def test_feature_names_and_tuple_params_survive(tmp_path, rng):
    X = pd.DataFrame(rng.normal(size=(30, 16)), columns=[f"px{i}" for i in range(16)])
    est = GANFeatureExtractor(**{**TINY, "input_range": (-3, 3), "layers": [0]}).fit(X)
    est.save(tmp_path / "m.skgan")
    restored = GANFeatureExtractor.load(tmp_path / "m.skgan")
    assert list(restored.feature_names_in_) == list(X.columns)
    assert restored.input_range == (-3, 3) and restored.betas == (0.5, 0.999)
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))


def test_random_state_instances_are_saved_as_none(digits, tmp_path):
    est = GANFeatureExtractor(**{**TINY, "random_state": np.random.RandomState(0)})
    est.fit(digits[0]).save(tmp_path / "m.skgan")
    assert GANFeatureExtractor.load(tmp_path / "m.skgan").random_state is None


def test_unfitted_save_and_foreign_files_are_refused(tmp_path):
    with pytest.raises(NotFittedError):
        GANFeatureExtractor().save(tmp_path / "m.skgan")
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a skgan"):
        GANFeatureExtractor.load(tmp_path / "other.pt")


class Exploit:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_loading_never_runs_code_from_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("evil.skgan", "wb") as f:
        pickle.dump({"format": Exploit()}, f)
    torch.save({"format": Exploit()}, "evil2.skgan")
    for name in ("evil.skgan", "evil2.skgan"):
        with pytest.raises(ValueError, match="not allowed to load safely|not a file saved"):
            GANFeatureExtractor.load(name)
    assert not (tmp_path / "PWNED").exists()


def test_a_loaded_extractor_continues_training_like_the_original(digits, tmp_path):
    X, _ = digits
    original = GANFeatureExtractor(**TINY).fit(X)
    original.save(tmp_path / "model.skgan")
    restored = GANFeatureExtractor.load(tmp_path / "model.skgan")
    assert restored.best_epoch_ == original.best_epoch_ == 1
    original.partial_fit(X)
    restored.partial_fit(X)
    np.testing.assert_array_equal(restored.transform(X), original.transform(X))


def test_checkpoint_file_loads_safely_and_is_not_a_model_file(digits, tmp_path):
    X, _ = digits
    GANFeatureExtractor(**{**TINY, "checkpoint_dir": tmp_path}).fit(X)
    payload = torch.load(tmp_path / "checkpoint.skgan", weights_only=True)
    assert payload["format"] == "skgan.checkpoint/1"
    assert payload["training"]["last"]["epoch"] == 1
    with pytest.raises(ValueError, match="is not a skgan.GANFeatureExtractor/1 file"):
        GANFeatureExtractor.load(tmp_path / "checkpoint.skgan")


def test_bigan_round_trip_keeps_the_encoder_and_joint_discriminator(fitted_bigan, digits, tmp_path):
    path = tmp_path / "bigan.skgan"
    fitted_bigan.save(path)
    restored = GANFeatureExtractor.load(path)
    original = pickle.loads(pickle.dumps(fitted_bigan))  # a copy whose read-out may change
    assert type(restored.encoder_).__name__ == "Encoder"
    assert type(restored.discriminator_).__name__ == "JointDiscriminator"
    X = digits[0][200:]
    for features in ("encoder", "discriminator", "inversion"):
        for est in (restored, original):
            est.set_params(features=features, inversion_steps=5)
        np.testing.assert_array_equal(restored.transform(X), original.transform(X))
    codes = fitted_bigan.transform(X)
    np.testing.assert_array_equal(
        restored.inverse_transform(codes), fitted_bigan.inverse_transform(codes)
    )


def test_dcgan_files_load_without_an_encoder(fitted, tmp_path):
    fitted.save(tmp_path / "m.skgan")
    assert GANFeatureExtractor.load(tmp_path / "m.skgan").encoder_ is None


@pytest.mark.parametrize("name", ["fitted_acgan", "fitted_catgan"])
def test_class_aware_gans_round_trip(name, digits, tmp_path, request):
    est = request.getfixturevalue(name)
    est.save(tmp_path / "m.skgan")
    restored = GANFeatureExtractor.load(tmp_path / "m.skgan")
    X, _ = digits
    for features in ("discriminator", "categories"):
        est_features = pickle.loads(pickle.dumps(est)).set_params(features=features).transform(X)
        restored.set_params(features=features)
        np.testing.assert_array_equal(restored.transform(X), est_features)
    np.testing.assert_array_equal(restored.sample(4, random_state=1), est.sample(4, random_state=1))
    assert np.array_equal(getattr(restored, "classes_", []), getattr(est, "classes_", []))


# ---------------------------------------------- files and pickles of skgan 0.1.0
LEGACY = Path(__file__).parent / "data" / "legacy"
LEGACY_KINDS = ["dcgan", "bigan", "acgan", "catgan"]


@pytest.mark.parametrize("kind", LEGACY_KINDS)
@pytest.mark.parametrize("how", ["save file", "pickle"])
def test_files_and_pickles_of_skgan_0_1_0_load_and_give_their_features(kind, how):
    """Written by tests/data/legacy/make_fixtures.py before the spec/bundle redesign."""
    X = np.load(LEGACY / "X.npy")
    if how == "pickle":
        est = pickle.loads((LEGACY / f"{kind}.pkl").read_bytes())
    else:
        est = GANFeatureExtractor.load(LEGACY / f"{kind}.skgan")
    assert est.gan_ == kind
    # The fixtures were computed on another CPU: its convolution kernels round differently
    # (a 2-core AVX-512 EPYC gave differences of 3e-8), so equal up to float32 rounding.
    same = partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6)
    same(est.transform(X), np.load(LEGACY / f"{kind}_features.npy"))
    same(est.sample(3, random_state=0), np.load(LEGACY / f"{kind}_samples.npy"))
    assert len(est.history_) == 1 and est.best_epoch_ == 1
    # The training record came along: the fit goes on.
    est.partial_fit(X, np.arange(len(X)) % 10 if kind == "acgan" else None)
    assert len(est.history_) == 2


def test_a_file_from_before_the_discriminator_tasks_loads_as_the_plain_dcgan(digits, tmp_path):
    """Regression: such files hold reconstruction_weight=0.0 (then the default) and no task."""
    X, _ = digits
    plain = GANFeatureExtractor(**TINY, self_supervision="none", warm_start=True).fit(X)
    plain.save(tmp_path / "m.skgan")
    payload = torch.load(tmp_path / "m.skgan", weights_only=True)
    params = json.loads(payload["params"])
    for name in ("self_supervision", "augmentation", "temperature"):
        del params[name]
    params["reconstruction_weight"] = 0.0
    payload["params"] = json.dumps(params)
    del payload["self_supervision"]
    torch.save(payload, tmp_path / "old.skgan")
    old = GANFeatureExtractor.load(tmp_path / "old.skgan")
    assert old.self_supervision == "none" and old.reconstruction_weight == 10.0
    np.testing.assert_array_equal(old.transform(X), plain.transform(X))
    old.fit(X)  # warm start: the same plain DCGAN trains on
    assert len(old.history_) == 2
