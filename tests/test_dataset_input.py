"""A torch Dataset as X: read lazily, and fitted and transformed like the array of its items.

The Dataset side of skgan/_images.py (``DatasetSamples``) and of the
estimator; the array-level pieces are in test_images.py.
"""

import weakref

import numpy as np
import pytest
import torch
from conftest import TINY
from torch.utils.data import Dataset

from skgan import GANFeatureExtractor


class Items(Dataset):
    """Images (and labels) as a map-style Dataset that watches how it is read.

    Counts ``__getitem__`` calls, refuses anything but an int index (no
    slices, no whole-array reads), and tracks how many of the items it
    handed out are still alive, and the most that ever were at once.
    """

    def __init__(self, images, labels=None, form="chw", transform=None):
        self.images, self.labels, self.form, self.transform = images, labels, form, transform
        self.calls = self.live = self.peak_live = 0

    def __len__(self):
        return len(self.images)

    def _released(self):
        self.live -= 1

    def __getitem__(self, i):
        assert isinstance(i, int), f"indexed with {type(i).__name__}, not an int"
        self.calls += 1
        image = torch.tensor(self.images[i], dtype=torch.float32)
        image = {"chw": image[None], "hw": image, "flat": image.reshape(-1)}[self.form]
        if self.transform is not None:
            image = self.transform(image)
        self.live += 1
        self.peak_live = max(self.peak_live, self.live)
        weakref.finalize(image, self._released)
        return image if self.labels is None else (image, int(self.labels[i]))


@pytest.mark.parametrize("form", ["chw", "hw", "flat"])
def test_a_dataset_trains_and_transforms_like_the_array_of_its_items(digits, form):
    X, _ = digits
    array = {"chw": X[:, None], "hw": X, "flat": X.reshape(len(X), -1)}[form]
    in_memory = GANFeatureExtractor(**TINY).fit(array)
    dataset = GANFeatureExtractor(**TINY).fit(Items(X, form=form))
    # Same seed, same order of the same samples: bit-identical on CPU.
    assert dataset.history_[:, "loss_d"] == in_memory.history_[:, "loss_d"]
    for name in ("image_shape_", "data_range_", "input_ndim_", "n_features_in_"):
        assert getattr(dataset, name) == getattr(in_memory, name)
    features = in_memory.transform(array)
    np.testing.assert_array_equal(dataset.transform(array), features)
    np.testing.assert_array_equal(dataset.transform(Items(X, form=form)), features)
    np.testing.assert_array_equal(in_memory.transform(Items(X, form=form)), features)
    assert dataset.sample(2).shape == (2, *array.shape[1:])


def test_reading_is_lazy_and_the_range_costs_one_pass(digits):
    X, _ = digits
    X = X[:96]
    params = {**TINY, "n_epochs": 2, "transform_batch_size": 32}
    auto = Items(X)
    GANFeatureExtractor(**params).fit(auto).transform(auto)
    # fit: item 0 for the layout, the range, 2 epochs (8 x 8 images: no batchnorm,
    # so no population-statistics pass); transform: item 0 again, then one pass.
    assert auto.calls == 1 + 3 * len(X) + 1 + len(X)
    assert auto.peak_live <= 32  # one batch at a time
    fixed = Items(X)
    GANFeatureExtractor(**params, input_range=(0, 16)).fit(fixed)
    assert fixed.calls == 1 + 2 * len(X)


def test_population_statistics_of_a_dataset_take_one_pass_per_batchnorm_layer(rng):
    X = rng.uniform(0, 1, size=(40, 16, 16)).astype(np.float32)  # side 16: 2 blocks, 1 batchnorm
    params = {**TINY, "input_range": (0, 1), "n_epochs": 1}
    items = Items(X)
    gan = GANFeatureExtractor(**params).fit(items)
    assert items.calls == 1 + 2 * len(X)
    expected = GANFeatureExtractor(**params).fit(X).discriminator_.state_dict()
    for key, value in gan.discriminator_.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


def test_labels_of_tuple_items_score_epochs_like_y(digits):
    X, y = digits
    X, y = X[:200], y[:200]
    params = {**TINY, "select_epoch": "best"}
    with_y = GANFeatureExtractor(**params).fit(X, y)
    from_items = GANFeatureExtractor(**params).fit(Items(X, labels=y))
    assert from_items.history_[:, "probe_accuracy"] == with_y.history_[:, "probe_accuracy"]
    # An explicit y wins over the items' labels; without labels anywhere, RankMe.
    explicit = GANFeatureExtractor(**params).fit(Items(X, labels=np.zeros_like(y)), y)
    assert explicit.history_[:, "probe_accuracy"] == with_y.history_[:, "probe_accuracy"]
    assert "rankme" in GANFeatureExtractor(**params).fit(Items(X)).history_[-1]


def test_torchvision_style_items_with_to_tensor(digits):
    from torchvision.datasets import FakeData
    from torchvision.transforms import ToTensor

    # PIL images through ToTensor: float (1, 8, 8) tensors in [0, 1] with int labels.
    dataset = FakeData(size=64, image_size=(1, 8, 8), num_classes=3, transform=ToTensor())
    image, label = dataset[0]
    assert image.shape == (1, 8, 8) and image.dtype == torch.float32 and isinstance(label, int)
    gan = GANFeatureExtractor(**TINY, input_range=(0, 1)).fit(dataset)
    assert gan.data_range_ == (0.0, 1.0) and gan.image_shape_ == (1, 8, 8)
    stacked = np.stack([dataset[i][0].numpy() for i in range(len(dataset))])
    reference = GANFeatureExtractor(**TINY, input_range=(0, 1)).fit(stacked)
    np.testing.assert_array_equal(gan.transform(dataset), reference.transform(stacked))
    # Without a transform the items are PIL images: read as uint8 (H, W) pixels.
    raw = FakeData(size=64, image_size=(1, 8, 8))
    pixels = np.stack([np.asarray(raw[i][0]) for i in range(len(raw))])
    assert pixels.dtype == np.uint8 and pixels.shape == (64, 8, 8)
    np.testing.assert_array_equal(
        GANFeatureExtractor(**TINY).fit(raw).transform(raw),
        GANFeatureExtractor(**TINY).fit(pixels).transform(pixels),
    )


def test_partial_fit_and_worker_processes_on_a_dataset(digits):
    X, _ = digits
    two_epochs = GANFeatureExtractor(**{**TINY, "n_epochs": 2}).fit(X).transform(X)
    gan = GANFeatureExtractor(**TINY)
    for _ in range(2):
        gan.partial_fit(Items(X))
    np.testing.assert_array_equal(gan.transform(X), two_epochs)
    # Worker processes read the same items in the same order: same networks.
    params = {**TINY, "n_epochs": 2, "num_workers": 2, "input_range": (0, 16)}
    workers = GANFeatureExtractor(**params).fit(Items(X))
    np.testing.assert_array_equal(workers.transform(X), two_epochs)


def test_random_transforms_follow_random_state_and_leave_the_caller_rng_alone(digits):
    X, _ = digits

    def jitter(image):
        return image + torch.rand(image.shape)

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = GANFeatureExtractor(**TINY).fit(Items(X, transform=jitter))
    features = a.transform(Items(X, transform=jitter))
    torch.testing.assert_close(torch.rand(3), expected)
    b = GANFeatureExtractor(**TINY).fit(Items(X, transform=jitter))
    assert a.history_[:, "loss_d"] == b.history_[:, "loss_d"]
    np.testing.assert_array_equal(b.transform(Items(X, transform=jitter)), features)
    # The noise was really applied: the range grew past the digits' 0..16.
    assert a.data_range_[1] > 16


def test_checkpoints_of_a_dataset_resume_on_it_and_refuse_another(digits, tmp_path):
    X, _ = digits
    params = {**TINY, "checkpoint_dir": tmp_path}
    first = GANFeatureExtractor(**params).fit(Items(X))
    again = Items(X)
    resumed = GANFeatureExtractor(**params).fit(again)  # all epochs done: nothing to train
    np.testing.assert_array_equal(resumed.transform(X), first.transform(X))
    # Item 0, the range, and the fingerprint's 64 items; no epoch.
    assert again.calls == 1 + len(X) + 64
    with pytest.raises(ValueError, match="training data differ"):
        GANFeatureExtractor(**params).fit(Items(X[::-1]))


def test_subspace_of_a_dataset_equals_that_of_the_array(digits):
    X, _ = digits
    params = {**TINY, "subspace": "complement", "n_subspace_directions": 2}
    dataset = GANFeatureExtractor(**params).fit(Items(X))
    array = GANFeatureExtractor(**params).fit(X)
    np.testing.assert_array_equal(dataset.subspace_basis_, array.subspace_basis_)
    np.testing.assert_array_equal(dataset.transform(Items(X)), array.transform(X))


def test_an_acgan_trains_on_a_dataset_with_y_like_on_the_array(digits):
    X, y = digits
    labels = np.where(np.arange(len(y)) < 100, y, -1)
    params = {**TINY, "gan": "acgan", "features": "categories"}
    in_memory = GANFeatureExtractor(**params).fit(X, labels)
    dataset = GANFeatureExtractor(**params).fit(Items(X, labels=y), labels)
    assert dataset.history_[:, "loss_d"] == in_memory.history_[:, "loss_d"]
    np.testing.assert_array_equal(dataset.transform(X), in_memory.transform(X))


def test_an_image_folder_goes_straight_into_fit(tmp_path):
    from PIL import Image
    from torchvision.datasets import ImageFolder
    from torchvision.transforms import ToTensor

    from skgan.datasets import load_image_folder

    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(10):
            pixels = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    folder = ImageFolder(str(tmp_path), transform=ToTensor())
    gan = GANFeatureExtractor(**TINY).fit(folder)
    assert gan.image_shape_ == (3, 8, 8)
    # The same images as arrays (channels last, 0..255) give the same features.
    X, y = load_image_folder(tmp_path)
    from_arrays = GANFeatureExtractor(**{**TINY, "input_range": (0, 255)}).fit(X)
    np.testing.assert_allclose(
        from_arrays.transform(X), gan.transform(folder), rtol=1e-4, atol=1e-4
    )
    assert y.tolist() == [folder.classes[t] for t in folder.targets]
