import numpy as np
import pytest
from conftest import TINY

from skgan import GANFeatureExtractor
from skgan._validation import is_channels_last

RNG = np.random.default_rng(0)
COLOUR = RNG.integers(0, 256, size=(12, 3, 8, 8), dtype=np.uint8)


@pytest.mark.parametrize(
    ("shape", "last"),
    [
        ((5, 8, 8, 3), True),
        ((5, 8, 8, 1), True),
        ((5, 3, 8, 8), False),
        ((5, 1, 8, 8), False),
        ((5, 3, 8, 3), False),  # axis 1 could be channels: torch's layout wins
        ((5, 8, 8, 4), False),
        ((5, 8, 8), False),
    ],
)
def test_channels_last_is_told_by_the_last_axis(shape, last):
    assert is_channels_last(shape) is last


def test_channels_last_and_first_colour_images_give_the_same_features():
    last = np.ascontiguousarray(COLOUR.transpose(0, 2, 3, 1))
    first_fit = GANFeatureExtractor(**TINY).fit(COLOUR)
    last_fit = GANFeatureExtractor(**TINY).fit(last)
    assert last_fit.image_shape_ == first_fit.image_shape_ == (3, 8, 8)
    np.testing.assert_array_equal(last_fit.transform(last), first_fit.transform(COLOUR))
    # Either layout is read by an extractor fitted on the other.
    np.testing.assert_array_equal(first_fit.transform(last), first_fit.transform(COLOUR))


def test_grey_channels_last_images_are_one_channel():
    grey = COLOUR[:, :1].transpose(0, 2, 3, 1)
    assert GANFeatureExtractor(**TINY).fit(grey).image_shape_ == (1, 8, 8)


def test_a_grey_fit_refuses_channels_last_colour_images():
    gan = GANFeatureExtractor(**TINY).fit(COLOUR[:, 0])
    with pytest.raises(ValueError, match=r"shape \(3, 8, 8\) .* fitted on images of shape"):
        gan.transform(COLOUR.transpose(0, 2, 3, 1))
