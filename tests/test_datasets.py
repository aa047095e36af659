import gzip

import numpy as np
import pytest
from conftest import MNIST_DIR

from skgan import datasets
from skgan.datasets import load_mnist, read_idx


def write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_raw_and_gzip_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.arange(5, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)
    X, y = load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)


def test_data_home_defaults_to_the_environment(tmp_path, monkeypatch):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 3, 3)), False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2), False)
    monkeypatch.setenv("SKGAN_DATA", str(tmp_path))
    assert load_mnist(split="test")[0].shape == (2, 3, 3)


def test_torchvision_layout_is_found(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", np.zeros((2, 3, 3)), False)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(2), False)
    assert load_mnist(tmp_path)[0].shape == (2, 3, 3)


def test_missing_files_fall_back_to_download_and_explain_failure(tmp_path, monkeypatch):
    calls = []

    class FailingMNIST:
        def __init__(self, root, download):
            calls.append((root, download))
            raise RuntimeError("no network")

    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "MNIST", FailingMNIST)
    with pytest.raises(FileNotFoundError, match="could not be downloaded.*no network"):
        load_mnist(tmp_path)
    assert calls == [(str(tmp_path), True)]


def test_bad_files_and_arguments_raise(tmp_path):
    bad = tmp_path / "x"
    bad.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)
    short = tmp_path / "y"
    short.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1]))
    with pytest.raises(ValueError, match="header"):
        read_idx(short)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="validation")


def test_default_data_home_without_environment(monkeypatch):
    monkeypatch.delenv("SKGAN_DATA", raising=False)
    assert datasets._default_data_home().parts[-2:] == ("skgan_data", "mnist")


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="real MNIST not beside the project")
def test_real_mnist_matches_its_readme():
    X, y = load_mnist(MNIST_DIR, split="train")
    assert X.shape == (60000, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(
        np.bincount(y), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    )
    assert X.mean() == pytest.approx(33.318, abs=1e-3)
    X_test, y_test = load_mnist(MNIST_DIR, split="test")
    assert X_test.shape == (10000, 28, 28) and len(y_test) == 10000
