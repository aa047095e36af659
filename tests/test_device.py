import pytest
import torch

from skgan import _device
from skgan._device import resolve_autocast

CUDA = torch.device("cuda")


@pytest.mark.parametrize("supported", [True, False])
def test_auto_precision_is_bf16_only_on_gpus_that_support_it(monkeypatch, supported):
    # Patched probe: the choice is made without a GPU.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: supported)
    assert resolve_autocast("auto", CUDA) is (torch.bfloat16 if supported else None)
    assert resolve_autocast("bf16", CUDA) is torch.bfloat16  # asked for: given
    assert resolve_autocast("32", CUDA) is None


def test_auto_precision_is_float32_on_cpu():
    assert resolve_autocast("auto", torch.device("cpu")) is None
    assert resolve_autocast("bf16", torch.device("cpu")) is torch.bfloat16


@pytest.mark.parametrize(("n_bytes", "fits"), [(250, True), (251, False)])
def test_data_go_to_the_gpu_whole_only_within_a_share_of_its_free_memory(
    monkeypatch, n_bytes, fits
):
    # Patched probe: 1000 bytes free of 4000; the share is RESIDENT_SHARE of the free.
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (1000, 4000))
    monkeypatch.setattr(_device, "RESIDENT_SHARE", 0.25)
    assert _device.fits_on_device(n_bytes, CUDA) is fits
    assert _device.fits_on_device(10**15, torch.device("cpu"))
