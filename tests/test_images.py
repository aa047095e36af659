import numpy as np
import pytest
import torch

from skgan._images import (
    ImageBatches,
    ImageLayout,
    as_tensor,
    check_image_size,
    infer_image_shape,
    normalize_image_shape,
    padded_side,
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
