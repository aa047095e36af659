"""Data-parallel training with Accelerate: 2 CPU processes over gloo, started by torchrun.

On arrays and on a torch Dataset of the same images.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY
from sklearn.datasets import load_digits

from skgan import GANFeatureExtractor

pytest.importorskip("accelerate")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from distributed_fit import launch  # noqa: E402


def test_two_processes_train_identical_networks_that_work(tmp_path):
    ranks = launch(tmp_path, 2, "--dataset")
    assert [r["num_processes"] for r in ranks] == [2, 2]
    for name in ("generator", "discriminator"):
        for key, value in ranks[0][name].items():
            torch.testing.assert_close(ranks[1][name][key], value, rtol=0, atol=0)
    assert [row["loss_d"] for row in ranks[0]["history"]] == [
        row["loss_d"] for row in ranks[1]["history"]
    ]
    torch.testing.assert_close(ranks[0]["features"], ranks[1]["features"], rtol=0, atol=0)
    # A torch Dataset of the same images, each process reading its own shards, trains the same.
    for rank in ranks:
        torch.testing.assert_close(rank["dataset_features"], rank["features"], rtol=0, atol=0)
    # Training happened: the features differ from the untrained network's.
    X = load_digits().data[:256]
    untrained = GANFeatureExtractor(**{**TINY, "n_epochs": 0}).fit(X).transform(X[:20])
    assert np.isfinite(ranks[0]["features"].numpy()).all()
    assert not np.allclose(ranks[0]["features"].numpy(), untrained)
