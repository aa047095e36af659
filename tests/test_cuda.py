"""GPU behaviour; run with ``pytest -m cuda`` on a CUDA machine (skipped elsewhere).

The images are sklearn's digits upsampled to 24 x 24 (padded to 32 x 32), so
the networks have three blocks: two batchnorm layers, population statistics
and multi-layer taps all run on the GPU. Comparisons with the CPU run in
float32 with TF32 off (cuDNN and cuBLAS would otherwise round convolutions
and matrix products to 10-bit mantissas).
"""

import copy
import gc
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from skgan import GANFeatureExtractor
from skgan._readout import READOUTS
from skgan._training import population_statistics
from skgan.gans import GANS

pytestmark = pytest.mark.cuda

#: Small networks on 24 x 24 images: three blocks, two batchnorm layers.
SMALL = dict(width=8, latent_dim=8, batch_size=32, n_epochs=1, random_state=0, device="cuda")
#: Options a kind needs to fit on the digits.
KIND_OPTIONS = {"catgan": {"n_categories": 4}}
#: (kind, read-out) pairs the kinds support, every kind and every read-out.
PAIRS = [
    (kind, name)
    for kind, spec in GANS.items()
    for name, readout in READOUTS.items()
    if readout.supports(spec)
]


@pytest.fixture(scope="module")
def images(digits):
    """The digits as (n, 24, 24) uint8 images (each pixel repeated 3 x 3) and their labels."""
    X, y = digits
    X = np.kron(X, np.ones((1, 3, 3))) * 15
    return X.astype(np.uint8), y


@pytest.fixture(autouse=True)
def no_tf32():
    """float32 means float32: no TF32 rounding in convolutions or matrix products."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def fit(images, gan="dcgan", **params):
    X, y = images
    params = {**SMALL, "gan": gan, **KIND_OPTIONS.get(gan, {}), **params}
    return GANFeatureExtractor(**params).fit(X, y if GANS[gan].uses_labels else None)


@pytest.mark.parametrize(("gan", "features"), PAIRS)
def test_every_kind_and_readout_on_cuda_matches_the_cpu_in_float32(images, gan, features):
    X, _ = images
    est = fit(images, gan, precision="32", features=features, inversion_steps=10)
    assert next(est.discriminator_.parameters()).device.type == "cpu"
    on_cuda = est.transform(X)
    on_cpu = est.set_params(device="cpu").transform(X)
    assert on_cuda.dtype == np.float32 and np.isfinite(on_cuda).all()
    scale = np.abs(on_cpu).max()
    # Inversion compounds rounding differences over its steps; the rest is one pass.
    tolerance = 1e-3 if features == "inversion" else 1e-4
    np.testing.assert_allclose(on_cuda, on_cpu, atol=tolerance * scale, rtol=0)


@pytest.mark.parametrize("gan", list(GANS))
def test_population_statistics_on_cuda_match_the_cpu(images, gan):
    from skgan._images import ImageBatches, as_tensor

    est = fit(images, gan, precision="32")
    networks = copy.deepcopy(est.fitted_gan_.networks)
    batches = ImageBatches(as_tensor(images[0].reshape(len(images[0]), -1)), est._layout(), 64)
    population_statistics(networks, batches)
    for role in ("discriminator", "encoder"):
        on_cuda, on_cpu = getattr(est.fitted_gan_.networks, role), getattr(networks, role)
        if on_cuda is None:
            continue
        buffers = zip(on_cuda.named_buffers(), on_cpu.named_buffers(), strict=True)
        for (name, a), (_, b) in buffers:
            if "running" in name:
                torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("gan", list(GANS))
def test_bf16_training_and_transform_are_finite_and_close_to_float32(images, gan):
    X, _ = images
    est = fit(images, gan, precision="bf16", n_epochs=2)
    bf16 = est.transform(X)
    fp32 = est.set_params(precision="32").transform(X)
    assert bf16.dtype == np.float32 and np.isfinite(bf16).all()
    # bf16 keeps 8 bits of mantissa: a few parts in a thousand per operation.
    np.testing.assert_allclose(bf16, fp32, atol=3e-2 * np.abs(fp32).max(), rtol=0)


@pytest.mark.parametrize("task", ["none", "contrastive", "rotation"])
def test_every_discriminator_task_trains_in_bf16_and_is_seeded_on_cuda(images, task):
    X, _ = images
    first = fit(images, self_supervision=task, precision="bf16", n_epochs=2)
    again = fit(images, self_supervision=task, precision="bf16", n_epochs=2)
    assert np.isfinite(first.history_[-1, "loss_d"]) and np.isfinite(first.transform(X)).all()
    # The views are drawn on the GPU from the seeded CUDA generator.
    np.testing.assert_allclose(first.transform(X), again.transform(X), atol=1e-2, rtol=0)


def test_auto_precision_is_bf16_where_supported(images):
    from skgan._device import resolve_autocast

    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    assert resolve_autocast("auto", torch.device("cuda")) is expected


@pytest.mark.parametrize("precision", ["auto", "32"])
def test_subspace_projections_on_cuda_are_float32_exact(images, precision):
    X, _ = images
    est = fit(images, precision=precision, subspace="complement", n_subspace_directions=4)
    basis = est.subspace_basis_
    complement = est.transform(X)
    discriminative = est.set_params(subspace="discriminative").transform(X)
    original = est.set_params(subspace=None).transform(X)
    scale = np.abs(original).max()
    assert complement.dtype == discriminative.dtype == np.float32
    np.testing.assert_allclose(complement @ basis, 0, atol=1e-6 * scale)
    np.testing.assert_allclose(complement + discriminative, original, atol=1e-6 * scale)


def test_compiled_fit_continues_without_compile_and_back(images, tmp_path):
    X, _ = images
    est = fit(images, compile=True, checkpoint_dir=tmp_path)
    assert type(est.discriminator_).__name__ == "Discriminator"
    est.set_params(compile=False, checkpoint_dir=None).partial_fit(X)
    assert len(est.history_) == 2
    # The checkpoint written with compile=True (one epoch) resumes with compile=False,
    # and a save file of that fit continues compiled.
    resumed = fit(images, compile=False, n_epochs=2, checkpoint_dir=tmp_path)
    assert resumed.history_[:, "epoch"] == [1, 2]
    resumed.save(tmp_path / "model.skgan")
    loaded = GANFeatureExtractor.load(tmp_path / "model.skgan").set_params(compile=True)
    loaded.partial_fit(X)
    assert np.isfinite(loaded.transform(X)).all()


def test_cuda_checkpoint_resumes_on_cuda_and_on_cpu(images, tmp_path, monkeypatch):
    X, _ = images
    on_gpu, on_cpu = tmp_path / "gpu", tmp_path / "cpu"
    first = fit(images, checkpoint_dir=on_gpu)
    # A fresh directory holding only the CUDA checkpoint, so nothing overwrites it.
    on_cpu.mkdir()
    shutil.copy(on_gpu / "checkpoint.skgan", on_cpu / "checkpoint.skgan")
    resumed = fit(images, n_epochs=2, checkpoint_dir=on_gpu)
    assert resumed.history_[:, "epoch"] == [1, 2]
    assert resumed.history_[0, "loss_d"] == first.history_[0, "loss_d"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu = fit(images, n_epochs=2, device="cpu", checkpoint_dir=on_cpu)
    # Exactly one more epoch, trained on the CPU from the CUDA state.
    assert cpu.history_[:, "epoch"] == [1, 2]
    assert cpu.history_[0, "loss_d"] == first.history_[0, "loss_d"]
    assert np.isfinite(cpu.history_[1, "loss_d"]) and np.isfinite(cpu.transform(X)).all()


def test_cuda_fitted_estimator_transforms_on_a_cpu_only_machine(images, monkeypatch):
    import pickle

    X, _ = images
    est = fit(images, device="auto")
    blob = pickle.dumps(est)
    expected = est.set_params(device="cpu").transform(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(blob)
    np.testing.assert_allclose(restored.transform(X), expected, rtol=1e-5, atol=1e-5)


def test_dataset_with_workers_and_memmap_on_cuda(images, tmp_path):
    X, _ = images
    flat = X.reshape(len(X), -1)
    memmap = np.lib.format.open_memmap(
        tmp_path / "x.npy", mode="w+", dtype=np.uint8, shape=flat.shape
    )
    memmap[:] = flat
    dataset = TensorDataset(torch.from_numpy(X[:, None]))
    est = fit(images, num_workers=2, input_range=(0, 255))
    on_dataset = GANFeatureExtractor(**{**est.get_params(), "n_epochs": 1}).fit(dataset)
    assert np.isfinite(on_dataset.transform(dataset)).all()
    expected = est.transform(X)
    np.testing.assert_allclose(est.transform(dataset), expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(est.transform(memmap), expected, rtol=0, atol=1e-6)
    assert np.isfinite(fit((memmap, None)).transform(memmap)).all()


def test_device_tensor_dataset_with_workers_is_a_clear_error(images):
    X, _ = images
    dataset = TensorDataset(torch.from_numpy(X[:, None]).cuda())
    with pytest.raises(ValueError, match="cannot make or read device tensors"):
        fit(images, num_workers=2).transform(dataset)


def test_best_epoch_selection_on_cuda(images):
    X, y = images
    est = GANFeatureExtractor(**SMALL, n_epochs=3, select_epoch="best").fit(X, y)
    assert len(est.history_[:, "probe_accuracy"]) == 3
    assert 1 <= est.best_epoch_ <= 3 and np.isfinite(est.transform(X)).all()


def test_gpu_memory_returns_to_its_baseline_after_fit(images):
    X, _ = images
    fit(images)  # warm-up: cuDNN workspaces, autocast caches
    gc.collect()
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    est = fit(images, n_epochs=2, select_epoch="best")
    est.transform(X)
    gc.collect()
    torch.cuda.synchronize()
    assert torch.cuda.memory_allocated() == baseline


def test_distributed_fit_under_torchrun_with_nccl(tmp_path):
    pytest.importorskip("accelerate")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from distributed_fit import launch

    [rank] = launch(tmp_path, 1, "--dataset", "--select-epoch", "best")
    assert rank["num_processes"] == 1 and rank["backend"] == "nccl"
    assert np.isfinite(rank["features"].numpy()).all()
    torch.testing.assert_close(rank["dataset_features"], rank["features"], rtol=0, atol=1e-6)
    assert all(np.isfinite(row["rankme"]) for row in rank["history"])
