"""Where networks run: device and precision choice, and moving modules there and back."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import torch

PRECISIONS = ("auto", "32", "bf16")


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else must be a torch device."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(
            f"device must be 'auto' or a torch device such as 'cpu', 'cuda' or "
            f"'cuda:1'; got {device!r}."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return resolved


def resolve_autocast(precision: str, device: torch.device) -> torch.dtype | None:
    """``"bf16"`` -> bfloat16 autocast; ``"auto"`` -> bf16 on a CUDA GPU that supports it.

    ``"auto"`` is float32 on CPU, and on GPUs without native bf16 (before
    Ampere), where bf16 would be emulated: slower than float32, and no more exact.
    """
    auto_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    use_bf16 = precision == "bf16" or (precision == "auto" and auto_bf16)
    return torch.bfloat16 if use_bf16 else None


#: Most of a GPU's free memory that training data may take whole; larger data
#: stays on the host and goes to the GPU batch by batch. The rest is left for
#: the networks, optimizer moments, activations and other processes.
RESIDENT_SHARE = 0.25


def fits_on_device(n_bytes: int, device: torch.device) -> bool:
    """Whether ``n_bytes`` of data may be copied to ``device`` whole.

    Always on the CPU (the data are in host memory already); on a GPU, when
    they take at most ``RESIDENT_SHARE`` of its free memory
    (``torch.cuda.mem_get_info``).
    """
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return n_bytes <= RESIDENT_SHARE * free


@contextmanager
def fast_kernels(device: torch.device):
    """Let cuDNN pick the fastest convolution kernels for the block (CUDA only)."""
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = previous or device.type == "cuda"
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


@contextmanager
def seeded(seed: int, device: torch.device):
    """Seed torch for the block without touching the caller's RNG state."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def prepared(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` on ``device``, channels-last on CUDA (faster convolutions there)."""
    module = module.to(device)
    if device.type == "cuda":
        module = module.to(memory_format=torch.channels_last)
    return module


def plain_cpu(module: torch.nn.Module) -> torch.nn.Module:
    """A fitted module as stored: on CPU, contiguous (not channels-last), eval mode."""
    module = module.cpu().to(memory_format=torch.contiguous_format)
    return module.eval()


def on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module on ``device`` in eval mode; a copy, so fitted modules stay on CPU."""
    if device.type != "cpu":
        module = prepared(copy.deepcopy(module), device)
    return module.eval()
