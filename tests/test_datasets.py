import gzip

import numpy as np
import pytest
from conftest import CIFAR_DIR, MNIST_DIR

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


def save_image(path, pixels):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def colour(value, size=(6, 8)):
    return np.full((*size, 3), value, dtype=np.uint8)


def test_load_image_folder_reads_classes_in_sorted_order(tmp_path):
    save_image(tmp_path / "dog" / "b.png", colour(200))
    save_image(tmp_path / "cat" / "z.png", colour(10))
    save_image(tmp_path / "cat" / "nested" / "a.png", colour(20))
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    X, y = datasets.load_image_folder(tmp_path)
    assert X.shape == (3, 6, 8, 3) and X.dtype == np.uint8
    assert y.tolist() == ["cat", "cat", "dog"]
    # Sorted by path within a class: cat/nested/a.png before cat/z.png.
    assert X[:, 0, 0, 0].tolist() == [20, 10, 200]


def test_load_image_folder_reads_a_tar_archive_like_the_folder(tmp_path):
    import tarfile

    tree = tmp_path / "tree"
    save_image(tree / "b" / "0.png", colour(5))
    save_image(tree / "a" / "0.png", colour(9))
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=".")
    X_tar, y_tar = datasets.load_image_folder(archive)
    X_dir, y_dir = datasets.load_image_folder(tree)
    np.testing.assert_array_equal(X_tar, X_dir)
    assert y_tar.tolist() == y_dir.tolist() == ["a", "b"]


def test_grey_images_load_without_a_channel_axis(tmp_path):
    save_image(tmp_path / "a" / "0.png", np.zeros((5, 5), dtype=np.uint8))
    save_image(tmp_path / "a" / "1.png", np.full((5, 5), 7, dtype=np.uint8))
    X, _ = datasets.load_image_folder(tmp_path)
    assert X.shape == (2, 5, 5)
    # One colour file makes every image RGB.
    save_image(tmp_path / "b" / "0.png", colour(3, (5, 5)))
    X, _ = datasets.load_image_folder(tmp_path)
    assert X.shape == (3, 5, 5, 3) and X[1].tolist() == np.full((5, 5, 3), 7).tolist()


def test_mixed_sizes_name_the_first_odd_file_unless_resized(tmp_path):
    save_image(tmp_path / "a" / "0.png", colour(1, (6, 8)))
    save_image(tmp_path / "a" / "1.png", colour(1, (6, 8)))
    save_image(tmp_path / "b" / "odd.png", colour(1, (10, 4)))
    with pytest.raises(ValueError, match=r"0.png is 6x8 but .*b/odd.png is 10x4.*image_size="):
        datasets.load_image_folder(tmp_path)
    X, _ = datasets.load_image_folder(tmp_path, image_size=(4, 5))
    assert X.shape == (3, 4, 5, 3)
    assert datasets.load_image_folder(tmp_path, image_size=3)[0].shape == (3, 3, 3, 3)


def test_unreadable_files_are_all_named_and_nothing_is_returned(tmp_path):
    save_image(tmp_path / "a" / "good.png", colour(1))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "empty.png").write_bytes(b"")
    unreadable = r"2 image file\(s\) .* could not be read: .*broken.jpg \(not an image.*empty.png"
    with pytest.raises(ValueError, match=unreadable):
        datasets.load_image_folder(tmp_path)


@pytest.mark.parametrize("size", [0, -3, (4,), (4, 0), "32", 2.5, True])
def test_bad_image_size_is_named(tmp_path, size):
    save_image(tmp_path / "a" / "0.png", colour(1))
    with pytest.raises(ValueError, match="image_size must be None, a positive int"):
        datasets.load_image_folder(tmp_path, image_size=size)


def test_a_folder_without_class_folders_of_images_is_an_error(tmp_path):
    save_image(tmp_path / "loose.png", colour(1))
    with pytest.raises(ValueError, match="holds no image files in class folders"):
        datasets.load_image_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="neither a folder nor a tar archive"):
        datasets.load_image_folder(tmp_path / "loose.png")


def cifar_tree(root, size=(32, 32)):
    for split in ("train", "test"):
        for label, value in (("ship", 80), ("airplane", 40)):
            save_image(root / split / label / "0000.jpg", colour(value, size))


def test_load_cifar10_reads_the_archive_or_its_folder(tmp_path, monkeypatch):
    import tarfile

    cifar_tree(tmp_path / "tree")
    with tarfile.open(tmp_path / "cifar10-jpeg.tar.gz", "w:gz") as tar:
        for split in ("train", "test"):
            tar.add(tmp_path / "tree" / split, arcname=split)
    X, y = datasets.load_cifar10(tmp_path, split="test")
    assert X.shape == (2, 32, 32, 3) and y.tolist() == [0, 8]
    np.testing.assert_array_equal(datasets.load_cifar10(tmp_path / "tree", split="test")[0], X)
    monkeypatch.setenv("SKGAN_CIFAR10", str(tmp_path / "cifar10-jpeg.tar.gz"))
    assert datasets.load_cifar10()[1].tolist() == [0, 8]
    with pytest.raises(ValueError, match="split must be one of"):
        datasets.load_cifar10(tmp_path, split="val")


def test_load_cifar10_refuses_other_data_and_explains_a_missing_copy(tmp_path):
    cifar_tree(tmp_path, size=(16, 16))
    with pytest.raises(ValueError, match=r"is not CIFAR-10: images of shape \(16, 16, 3\)"):
        datasets.load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not download it; pass data_home="):
        datasets.load_cifar10(tmp_path / "nowhere")


@pytest.mark.skipif(not (CIFAR_DIR / "cifar10-jpeg.tar.gz").is_file(), reason="no CIFAR-10")
def test_real_cifar10_test_split():
    X, y = datasets.load_cifar10(CIFAR_DIR, split="test")
    assert X.shape == (10000, 32, 32, 3) and X.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 1000))
    # The README beside the archive gives the training set's mean RGB near (125, 123, 114).
    assert np.allclose(X.reshape(-1, 3).mean(0), [125, 123, 114], atol=3)
