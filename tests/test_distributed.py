"""Data-parallel training with Accelerate: 2 CPU processes over gloo."""

import numpy as np
import pytest
import torch
from conftest import TINY
from sklearn.datasets import load_digits

from skgan import GANFeatureExtractor

accelerate = pytest.importorskip("accelerate")


def _train_on_each_process(out_dir):
    from accelerate import Accelerator

    X = load_digits().data[:256]
    rank = Accelerator().process_index
    gan = GANFeatureExtractor(**{**TINY, "n_epochs": 2, "distributed": True}).fit(X)
    torch.save(
        {
            "generator": gan.generator_.state_dict(),
            "discriminator": gan.discriminator_.state_dict(),
            "history": list(gan.history_),
            "features": torch.from_numpy(gan.transform(X[:20])),
        },
        f"{out_dir}/rank{rank}.pt",
    )


def test_two_processes_train_identical_networks(tmp_path):
    accelerate.debug_launcher(_train_on_each_process, args=(str(tmp_path),), num_processes=2)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name in ("generator", "discriminator"):
        for key, value in ranks[0][name].items():
            torch.testing.assert_close(ranks[1][name][key], value, rtol=0, atol=0)
    assert ranks[0]["history"][-1]["loss_d"] == ranks[1]["history"][-1]["loss_d"]
    # 256 digits, 32 per process and step: 4 steps per epoch, the networks changed.
    single = GANFeatureExtractor(**{**TINY, "n_epochs": 0}).fit(load_digits().data[:256])
    assert not np.allclose(ranks[0]["features"].numpy(), single.transform(load_digits().data[:20]))
    assert np.isfinite(ranks[0]["features"].numpy()).all()
