import math

import pytest
import torch

from skgan import _augment
from skgan._augment import AUGMENTATIONS, Augment, resolve_augmentation


def batch(n=16, channels=1, side=16):
    return torch.rand(n, channels, side, side, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.mark.parametrize("name", ["digits", "natural"])
def test_views_keep_shape_dtype_and_range(name):
    x = batch(channels=3)
    views = AUGMENTATIONS[name](x)
    assert views.shape == x.shape and views.dtype == x.dtype and views.device == x.device
    assert views.min() >= -1 - 1e-6 and views.max() <= 1 + 1e-6
    assert not torch.equal(views, x)


def test_views_are_seeded_by_the_generator_and_drawn_per_sample():
    x = batch(1).expand(64, -1, -1, -1)  # 64 copies of one image
    augment = AUGMENTATIONS["digits"]
    first = augment(x, torch.Generator().manual_seed(3))
    again = augment(x, torch.Generator().manual_seed(3))
    other = augment(x, torch.Generator().manual_seed(4))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)
    # One warp per image, not one per batch (torchvision v2's batched call shares it).
    assert len(torch.unique(first.flatten(1), dim=0)) == 64


def test_digit_views_keep_the_background_and_never_mirror():
    blank = -torch.ones(8, 1, 16, 16)
    torch.testing.assert_close(AUGMENTATIONS["digits"](blank), blank)
    x = batch(32)
    flips = Augment(flip=True)(x)
    for view, image in zip(flips, x, strict=True):
        mirrored = torch.allclose(view, image.flip(-1), atol=1e-5)
        assert torch.allclose(view, image, atol=1e-5) or mirrored
    assert not Augment(flip=False).flip and not AUGMENTATIONS["digits"].flip


def test_a_crop_covers_the_asked_share_of_the_image():
    theta = Augment(crop=(0.25, 0.25)).matrices(100, "cpu", torch.Generator().manual_seed(0))
    area = torch.linalg.det(theta[:, :, :2]).abs()
    torch.testing.assert_close(area, torch.full((100,), 0.25), rtol=1e-5, atol=1e-6)
    # The crop stays inside the image: |centre| + half-size <= 1 per axis.
    extent = theta[:, :, 2].abs() + theta[:, :, :2].abs().sum(dim=2)
    assert (extent <= 1 + 1e-5).all()


def test_rotation_and_zoom_stay_within_their_ranges():
    augment = Augment(rotation=15.0, scale=(0.8, 1.2))
    theta = augment.matrices(500, "cpu", torch.Generator().manual_seed(0))
    angles = torch.atan2(theta[:, 1, 0], theta[:, 0, 0])
    zoom = 1 / torch.linalg.det(theta[:, :, :2]).sqrt()
    assert angles.abs().max() <= math.radians(15) + 1e-6
    assert 0.8 - 1e-5 <= zoom.min() and zoom.max() <= 1.2 + 1e-5


def test_views_pass_gradients_to_generated_images():
    fake = batch(4).requires_grad_()
    AUGMENTATIONS["digits"](fake).sum().backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_auto_picks_by_channels_and_none_is_the_identity():
    assert resolve_augmentation("auto", 1) is AUGMENTATIONS["digits"]
    assert resolve_augmentation("auto", 3) is AUGMENTATIONS["natural"]
    x = batch()
    assert AUGMENTATIONS["none"](x) is x


def test_an_elastic_view_moves_pixels_smoothly_and_by_at_most_its_bound():
    # A horizontal ramp: a view's value at a pixel is the x coordinate it sampled.
    side = 32
    ramp = torch.linspace(-1, 1, 2 * side + 1)[1::2].expand(8, 1, side, -1).contiguous()
    views = Augment(elastic=0.05, fill="border")(ramp, torch.Generator().manual_seed(0))
    # In image sides; the outer columns sample beyond the edge, which repeats it.
    shift = ((views - ramp) / 2)[..., 3:-3]
    assert views.shape == ramp.shape and views.dtype == ramp.dtype
    assert 0.01 < shift.abs().max() <= 0.05 + 1e-5
    # Smooth: neighbours move alike (independent shifts per pixel would differ by up to 0.1).
    assert (shift.diff(dim=-1).abs().max() < 0.015) and (shift.diff(dim=-2).abs().max() < 0.015)


def test_elastic_views_are_seeded_drawn_per_sample_and_pass_gradients():
    augment = Augment(elastic=0.05)
    x = batch(1).expand(16, -1, -1, -1).clone().requires_grad_()
    first = augment(x, torch.Generator().manual_seed(1))
    torch.testing.assert_close(first, augment(x, torch.Generator().manual_seed(1)), rtol=0, atol=0)
    assert len(torch.unique(first.detach().flatten(1), dim=0)) == 16
    first.sum().backward()
    assert x.grad.abs().sum() > 0
    assert not augment.is_identity()


def colour_batch(n=6):
    return torch.rand((n, 3, 8, 8), generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_a_third_of_a_hue_turn_cycles_the_channels():
    x = colour_batch() * 0.5
    turned = _augment._hue_rotated(x, torch.full((len(x), 1, 1, 1), 2 * math.pi / 3))
    # Rotating 120 degrees about the grey axis sends red to green, green to blue.
    torch.testing.assert_close(turned, x[:, [2, 0, 1]], atol=1e-6, rtol=0)
    quarter = _augment._hue_rotated(x, torch.full((len(x), 1, 1, 1), 0.5))
    torch.testing.assert_close(quarter.mean(dim=1), x.mean(dim=1), atol=1e-6, rtol=0)
    assert not torch.allclose(quarter, x)


def test_grayscale_probability_greys_that_share_of_colour_images():
    x = colour_batch(400)
    grey = Augment(grayscale=1.0)(x)
    torch.testing.assert_close(grey, x.mean(dim=1, keepdim=True).expand_as(x))
    some = Augment(grayscale=0.2)(x, torch.Generator().manual_seed(0))
    greyed = (some.std(dim=1) < 1e-6).all(dim=2).all(dim=1)
    assert 50 < int(greyed.sum()) < 110  # 80 expected
    unchanged = (some == x).all(dim=3).all(dim=2).all(dim=1)
    assert bool((greyed ^ unchanged).all())
    one_channel = x[:, :1]
    torch.testing.assert_close(Augment(grayscale=1.0)(one_channel), one_channel)


def test_jitter_probability_leaves_the_other_images_alone():
    x = colour_batch(400)
    jittered = Augment(jitter=0.4, hue=0.1, jitter_p=0.8)(x, torch.Generator().manual_seed(0))
    # The identity warp's resampling moves values by float rounding only.
    untouched = ((jittered - x).abs() < 1e-5).all(dim=3).all(dim=2).all(dim=1)
    assert 50 < int(untouched.sum()) < 110  # 80 expected
    torch.testing.assert_close(Augment(jitter=0.4, jitter_p=0.0)(x), x, atol=1e-5, rtol=0)


def test_the_natural_preset_is_simclrs_cifar_views():
    natural = AUGMENTATIONS["natural"]
    assert natural.crop == (0.2, 1.0) and natural.flip and natural.fill == "border"
    assert (natural.jitter, natural.hue, natural.jitter_p, natural.grayscale) == (
        0.4,
        0.1,
        0.8,
        0.2,
    )
    views = natural(colour_batch(), torch.Generator().manual_seed(0))
    assert views.shape == (6, 3, 8, 8) and views.abs().max() <= 1
