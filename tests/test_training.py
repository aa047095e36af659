import numpy as np
import pytest
import torch

from skgan import _device, _training
from skgan._images import ImageLayout
from skgan._validation import Images


def _images(data, lazy=False):
    return Images(data, ImageLayout(data.shape[1], (1, 4, 4), (0.0, 255.0)), 2, None, lazy)


@pytest.mark.parametrize(("free", "on_device"), [(10**9, True), (100, False)])
def test_training_reads_arrays_batch_by_batch_when_they_exceed_the_gpu_share(
    monkeypatch, free, on_device
):
    data = np.arange(160, dtype=np.uint8).reshape(10, 16)  # 160 bytes on a device
    moved = []
    # Patched probe and copy: the decision is taken as on a GPU with `free` bytes free.
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free, 10**10))
    monkeypatch.setattr(_training, "as_tensor", lambda d, device: moved.append(device) or d)
    samples = _training.training_samples(_images(data), torch.device("cuda"))
    assert samples is data
    assert moved == ([torch.device("cuda")] if on_device else [])
    assert _device.fits_on_device(160, torch.device("cuda")) is on_device


def test_training_copies_arrays_whole_on_cpu_and_leaves_lazy_data():
    data = np.zeros((10, 16), np.float64)
    samples = _training.training_samples(_images(data), torch.device("cpu"))
    assert isinstance(samples, torch.Tensor) and samples.dtype == torch.float32
    assert _training.training_samples(_images(data, lazy=True), torch.device("cpu")) is data


@pytest.mark.parametrize("main", [True, False])
def test_distributed_epochs_are_scored_on_the_main_process_and_broadcast(monkeypatch, main):
    calls, broadcast = [], []

    def score(net):
        calls.append(net)
        return ("probe_accuracy", 0.5)

    def shared(value):  # the broadcast of the main process's value
        broadcast.append(value)
        return ("probe_accuracy", 0.75)

    monkeypatch.setattr(_training, "_shared", shared)
    acc = type("Accelerator", (), {"is_main_process": main})()
    assert _training.on_main_process(score, acc)("net") == ("probe_accuracy", 0.75)
    assert calls == (["net"] if main else [])
    assert broadcast == [("probe_accuracy", 0.5) if main else None]
    assert _training.on_main_process(score, None) is score
    assert _training.on_main_process(None, acc) is None
