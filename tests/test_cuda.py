"""GPU behaviour; run with ``pytest -m cuda`` on a CUDA machine (skipped elsewhere)."""

import pickle

import numpy as np
import pytest
import torch
from conftest import TINY

from skgan import GANFeatureExtractor

pytestmark = pytest.mark.cuda


@pytest.mark.parametrize("precision", ["auto", "bf16", "32"])
def test_fit_and_transform_on_cuda(digits, precision):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "device": "cuda", "precision": precision}).fit(X)
    features = est.transform(X)
    assert features.dtype == np.float32 and np.isfinite(features).all()
    assert next(est.discriminator_.parameters()).device.type == "cpu"
    assert next(est.generator_.parameters()).device.type == "cpu"
    cpu = GANFeatureExtractor(**{**TINY, "device": "cpu"}).fit(X).transform(X)
    assert features.shape == cpu.shape


def test_compiled_training_keeps_plain_picklable_modules(digits):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "device": "cuda", "compile": True}).fit(X)
    assert type(est.discriminator_).__name__ == "Discriminator"
    assert pickle.loads(pickle.dumps(est)).transform(X[:4]).shape[0] == 4


def test_cuda_fitted_estimator_unpickles_and_transforms_on_a_cpu_only_machine(digits, monkeypatch):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "device": "auto"}).fit(X)
    blob = pickle.dumps(est)
    expected = est.set_params(device="cpu").transform(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(blob)
    np.testing.assert_allclose(restored.transform(X), expected, rtol=1e-5, atol=1e-5)


def test_cuda_training_state_resumes_on_a_cpu_only_machine(digits, monkeypatch, tmp_path):
    X, _ = digits
    est = GANFeatureExtractor(**{**TINY, "device": "cuda", "checkpoint_dir": tmp_path}).fit(X)
    est.save(tmp_path / "model.skgan")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = GANFeatureExtractor.load(tmp_path / "model.skgan").set_params(device="cpu")
    restored.partial_fit(X)
    assert len(restored.history_) == 2 and np.isfinite(restored.transform(X)).all()
    resumed = GANFeatureExtractor(
        **{**TINY, "device": "cpu", "n_epochs": 2, "checkpoint_dir": tmp_path}
    ).fit(X)
    assert resumed.history_[:, "epoch"] == [1, 2]


@pytest.mark.parametrize("features", ["encoder", "discriminator", "inversion"])
def test_bigan_features_on_cuda_match_cpu(digits, features):
    X, _ = digits
    params = {**TINY, "gan": "bigan", "features": features, "inversion_steps": 10}
    est = GANFeatureExtractor(**params, device="cuda", precision="32").fit(X)
    assert next(est.encoder_.parameters()).device.type == "cpu"
    on_cuda = est.transform(X)
    on_cpu = est.set_params(device="cpu").transform(X)
    # cuDNN may use TF32 convolutions; inversion compounds the difference over its steps.
    np.testing.assert_allclose(on_cuda, on_cpu, rtol=1e-2, atol=1e-2)
