import numpy as np
import pytest
import torch

from skgan._images import (
    DatasetSamples,
    ImageBatches,
    ImageLayout,
    as_tensor,
    check_image_size,
    infer_image_shape,
    normalize_image_shape,
    padded_side,
    value_range,
)


@pytest.mark.parametrize(
    "height, width, side",
    [(2, 2, 8), (8, 8, 8), (9, 3, 16), (28, 28, 32), (32, 32, 32), (33, 5, 64)],
)
def test_padded_side_is_smallest_power_of_two_multiple_of_four(height, width, side):
    assert padded_side(height, width) == side


@pytest.mark.parametrize(
    "n, shape", [(64, (1, 8, 8)), (784, (1, 28, 28)), (5, (1, 3, 3)), (2, (1, 2, 2))]
)
def test_flat_vectors_become_the_smallest_square(n, shape):
    assert infer_image_shape(n) == shape


def test_normalize_image_shape_adds_a_channel_and_rejects_junk():
    assert normalize_image_shape((28, 28)) == (1, 28, 28)
    assert normalize_image_shape([3, 4, 5]) == (3, 4, 5)
    for bad in [(28,), (0, 5), (1, 2, 3, 4), (2.5, 3)]:
        with pytest.raises(ValueError, match="image_shape"):
            normalize_image_shape(bad)
    with pytest.raises(TypeError, match="image_shape"):
        normalize_image_shape(7)


def test_image_too_small_names_the_size():
    with pytest.raises(ValueError, match="1 x 5.*n_features = 5"):
        check_image_size((1, 1, 5), 5)


def test_to_model_scales_pads_and_centres():
    layout = ImageLayout(n_features=784, shape=(1, 28, 28), data_range=(0.0, 255.0))
    x = torch.full((2, 784), 255, dtype=torch.uint8)
    images = layout.to_model(x)
    assert images.shape == (2, 1, 32, 32)
    assert torch.all(images[:, :, 2:30, 2:30] == 1.0)
    assert torch.all(images[:, :, :2] == -1.0) and torch.all(images[:, :, :, 30:] == -1.0)


def test_from_model_inverts_to_model_including_flat_padding(rng):
    layout = ImageLayout(n_features=5, shape=(1, 3, 3), data_range=(-2.0, 6.0))
    x = torch.tensor(rng.uniform(-2, 6, size=(4, 5)), dtype=torch.float32)
    images = layout.to_model(x)
    assert images.shape == (4, 1, 8, 8)
    assert torch.allclose(layout.from_model(images), x, atol=1e-5)


def test_constant_range_does_not_divide_by_zero():
    layout = ImageLayout(4, (1, 2, 2), (3.0, 3.0))
    assert torch.isfinite(layout.to_model(torch.full((1, 4), 3.0))).all()


def test_batches_cover_every_sample_once_and_reshuffle(rng):
    data = torch.arange(10, dtype=torch.float32)[:, None].repeat(1, 4)
    layout = ImageLayout(4, (1, 2, 2), (0.0, 9.0))
    batches = ImageBatches(data, layout, batch_size=4, shuffle=True)
    assert len(batches) == 3
    torch.manual_seed(0)
    first = torch.cat([layout.from_model(b)[:, 0] for b in batches])
    second = torch.cat([layout.from_model(b)[:, 0] for b in batches])
    assert sorted(first.round().tolist()) == list(range(10))
    assert not torch.equal(first, second)


def test_numpy_batches_keep_order_and_accept_readonly_memmaps(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(6, 4)
    path = tmp_path / "x.npy"
    np.save(path, data)
    readonly = np.load(path, mmap_mode="r")
    layout = ImageLayout(4, (1, 2, 2), (0.0, 23.0))
    out = torch.cat([layout.from_model(b) for b in ImageBatches(readonly, layout, 4)])
    np.testing.assert_allclose(out.numpy(), data, atol=1e-4)


def test_as_tensor_keeps_uint8_and_casts_the_rest():
    assert as_tensor(np.zeros((2, 3), np.uint8)).dtype == torch.uint8
    assert as_tensor(np.zeros((2, 3), np.float64)).dtype == torch.float32


class _RecordedMoves(torch.Tensor):
    """A tensor that records the arguments of ``.to`` and stays where it is."""

    moves: list = []

    def to(self, *args, **kwargs):
        self.moves.append((args, kwargs))
        return self


@pytest.mark.parametrize(
    ("source", "target", "non_blocking"),
    [
        ("cpu", "cuda", True),
        ("cuda", "cpu", False),
        ("cpu", "cpu", False),
        ("cuda", "cuda:1", False),
    ],
)
def test_as_tensor_moves_asynchronously_only_from_host_to_gpu(
    monkeypatch, source, target, non_blocking
):
    tensor = torch.zeros(2, 3).as_subclass(_RecordedMoves)
    # No GPU needed: the source device is patched, the move only recorded.
    monkeypatch.setattr(_RecordedMoves, "device", property(lambda self: torch.device(source)))
    monkeypatch.setattr(_RecordedMoves, "moves", [])
    as_tensor(tensor, target)
    [(args, kwargs)] = _RecordedMoves.moves
    assert args == (torch.device(target),) and kwargs == {"non_blocking": non_blocking}


class _Digits(torch.utils.data.Dataset):
    """``(image, label)`` items of ``images``, as torchvision datasets give them."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return torch.from_numpy(self.images[i]), i % 3


def test_dataset_samples_look_like_the_matrix_of_their_items(rng):
    images = rng.integers(0, 256, size=(10, 2, 3, 4)).astype(np.uint8)
    samples = DatasetSamples(_Digits(images), batch_size=3)
    flat = images.reshape(10, -1)
    assert len(samples) == 10 and samples.shape == (10, 24) and samples.dtype == np.uint8
    assert samples.item_shape == (2, 3, 4) and samples.has_labels
    np.testing.assert_array_equal(samples[[7, 2, 9]], flat[[7, 2, 9]])
    np.testing.assert_array_equal(samples[2:8], flat[2:8])
    rows, labels = samples.rows(np.arange(10)[::-1], labels=True)
    np.testing.assert_array_equal(rows, flat[::-1])
    np.testing.assert_array_equal(labels, np.arange(10)[::-1] % 3)
    assert value_range(samples) == (float(images.min()), float(images.max()))


@pytest.mark.parametrize("shard", [(0, 1), (1, 2)])
def test_a_dataset_is_batched_in_the_order_and_shards_of_the_array(rng, shard):
    images = rng.uniform(0, 1, size=(11, 1, 2, 2)).astype(np.float32)
    layout = ImageLayout(4, (1, 2, 2), (0.0, 1.0))
    batch_sets = []
    for data in (torch.from_numpy(images.reshape(11, -1)), DatasetSamples(_Digits(images))):
        batches = ImageBatches(data, layout, batch_size=3, shuffle=True, shard=shard)
        torch.manual_seed(0)
        batch_sets.append([b for _ in range(2) for b in batches])  # two passes, two orders
    assert len(batch_sets[0]) == len(batch_sets[1]) == 2 * (4 if shard[1] == 1 else 1)
    for array_batch, dataset_batch in zip(*batch_sets, strict=True):
        torch.testing.assert_close(dataset_batch, array_batch, rtol=0, atol=0)


class _DeviceItems(torch.utils.data.Dataset):
    """Items that are tensors on a device other than the CPU (``meta`` stands in for CUDA)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.zeros(1, 8, 8, device="meta")


def test_device_tensor_items_with_worker_processes_are_a_clear_error():
    with pytest.raises(ValueError, match=r"tensor on meta; DataLoader worker processes"):
        DatasetSamples(_DeviceItems(), num_workers=2)
