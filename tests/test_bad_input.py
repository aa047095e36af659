"""Every bad parameter and bad input gets a ValueError or TypeError that names the problem.

The table here is the one in docs/user_guide.md ("Bad input and the errors
you get"); keep them in step.
"""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import TINY
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError
from torch.utils.data import Dataset, IterableDataset

from skgan import GANFeatureExtractor

DIGITS = np.random.default_rng(0).integers(0, 17, size=(40, 8, 8)).astype(np.float64)


class Items(Dataset):
    """A map-style Dataset of the given items."""

    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class NoLength(Dataset):
    def __getitem__(self, i):
        return DIGITS[i]


class Stream(IterableDataset):
    def __iter__(self):
        return iter(DIGITS)


def digit_items(changes=None):
    """The DIGITS as (1, 8, 8) float tensors, with ``changes`` {index: item} applied."""
    items = [torch.tensor(x[None], dtype=torch.float32) for x in DIGITS]
    for i, item in (changes or {}).items():
        items[i] = item
    return Items(items)


def fit(X=DIGITS, y=None, **params):
    return lambda: GANFeatureExtractor(**{**TINY, **params}).fit(X, y)


def transform(X):
    return lambda fitted: fitted.transform(X)


# (name, call, exception, message fragment); ``call`` takes the fitted extractor
# when it is built by ``transform``.
CASES = [
    # parameters
    ("n_epochs negative", fit(n_epochs=-1), ValueError, "n_epochs == -1, must be >= 0"),
    ("n_epochs not an int", fit(n_epochs=1.5), TypeError, "n_epochs must be an instance of int"),
    ("n_epochs another string", fit(n_epochs="10"), ValueError, "n_epochs must be one of"),
    ("batch_size zero", fit(batch_size=0), ValueError, "batch_size == 0, must be >= 1"),
    ("latent_dim zero", fit(latent_dim=0), ValueError, "latent_dim == 0, must be >= 1"),
    ("width not an int", fit(width=2.5), TypeError, "width must be an instance of int"),
    ("lr infinite", fit(lr=float("inf")), ValueError, "lr must be a finite positive number"),
    ("lr NaN", fit(lr=float("nan")), ValueError, "lr must be a finite positive number"),
    ("lr zero", fit(lr=0), ValueError, "lr == 0, must be > 0"),
    ("lr string", fit(lr="fast"), ValueError, "lr must be 'auto' or a positive number"),
    (
        "lr_schedule unknown",
        fit(lr_schedule="linear"),
        ValueError,
        r"lr_schedule must be one of \['constant', 'cosine'\]; got 'linear'",
    ),
    (
        "betas not a pair",
        fit(betas=(0.5,)),
        ValueError,
        r"betas must be a pair of floats in \[0, 1\)",
    ),
    ("betas out of range", fit(betas=(0.5, 1.0)), ValueError, "betas must be a pair"),
    ("unknown tap", fit(tap="relu"), ValueError, r"tap must be one of \['activation', 'batchnorm'"),
    (
        "unknown pooling",
        fit(pooling="median"),
        ValueError,
        r"pooling must be one of \['auto', 'avg', 'max'\]",
    ),
    ("pooling weight above 1", fit(pooling=1.5), ValueError, r"weight of max pooling, in \[0, 1\]"),
    ("pooling weight NaN", fit(pooling=float("nan")), ValueError, "weight of max pooling"),
    (
        "pooling bool",
        fit(pooling=True),
        TypeError,
        r"or a number in \[0, 1\] \(the weight of max\)",
    ),
    ("pool_size zero", fit(pool_size=0), ValueError, "pool_size == 0, must be >= 1"),
    ("pool_size float", fit(pool_size=2.5), TypeError, "pool_size must be an int or a sequence"),
    (
        "pool_size pyramid repeated",
        fit(pool_size=(4, 4)),
        ValueError,
        r"pool_size must be .* distinct ints >= 1 \(a pyramid",
    ),
    ("pool_size pyramid empty", fit(pool_size=[]), ValueError, "non-empty sequence"),
    ("pool_size pyramid zero", fit(pool_size=(4, 0)), ValueError, "distinct ints >= 1"),
    ("layers repeated", fit(layers=[0, 0]), ValueError, "distinct block indices in \\[-1, 0\\]"),
    (
        "layers out of range",
        fit(layers=[5]),
        ValueError,
        "block indices in \\[-1, 0\\]; got \\[5\\]",
    ),
    ("layers unknown string", fit(layers="some"), ValueError, r"layers must be one of \['all'\]"),
    ("input_range reversed", fit(input_range=(1, 0)), ValueError, "finite low < high"),
    (
        "input_range unknown string",
        fit(input_range="fixed"),
        ValueError,
        "'auto' or a \\(low, high\\)",
    ),
    ("device unknown", fit(device="gpu:7"), ValueError, "device must be 'auto' or a torch device"),
    (
        "precision unknown",
        fit(precision="fp16"),
        ValueError,
        r"precision must be one of \['32', 'auto', 'bf16'\]",
    ),
    (
        "select_epoch unknown",
        fit(select_epoch="first"),
        ValueError,
        r"select_epoch must be one of \['best', 'last'\]",
    ),
    ("compile not a bool", fit(compile="yes"), TypeError, "compile must be True or False"),
    ("warm_start not a bool", fit(warm_start=1), TypeError, "warm_start must be True or False"),
    (
        "checkpoint_dir not a path",
        fit(checkpoint_dir=5),
        TypeError,
        "checkpoint_dir must be None or a directory path",
    ),
    (
        "transform_batch_size zero",
        fit(transform_batch_size=0),
        ValueError,
        "transform_batch_size == 0",
    ),
    (
        "image_shape too big for X",
        fit(DIGITS.reshape(40, -1), image_shape=(9, 9)),
        ValueError,
        "holds 81 values per image, but X has n_features = 64",
    ),
    (
        "image_shape of 4 ints",
        fit(image_shape=(1, 1, 8, 8)),
        ValueError,
        r"tuple of 2 or 3 positive ints \(H, W\) or \(C, H, W\)",
    ),
    ("image_shape not numbers", fit(image_shape="8x8"), TypeError, "tuple of 2 or 3 positive ints"),
    (
        "image_shape vs 3-D X",
        fit(image_shape=(4, 16)),
        ValueError,
        r"does not match the shape of the images in X, \(1, 8, 8\)",
    ),
    ("verbose negative", fit(verbose=-1), ValueError, "verbose == -1, must be >= 0"),
    ("num_workers negative", fit(num_workers=-1), ValueError, "num_workers == -1, must be >= 0"),
    (
        "unknown gan",
        fit(gan="wgan"),
        ValueError,
        r"gan must be one of \['acgan', 'bigan', 'catgan', 'dcgan'\]",
    ),
    (
        "unknown features",
        fit(features="pixels"),
        ValueError,
        r"features must be one of \['categories', 'discriminator', 'encoder', 'inversion'\]",
    ),
    ("encoder features without an encoder", fit(features="encoder"), ValueError, "encoder"),
    (
        "subspace of encoder features",
        fit(gan="bigan", features="encoder", subspace="complement"),
        ValueError,
        "subspace projects discriminator features; it needs features='discriminator'",
    ),
    # input to fit
    ("X with NaN", fit(np.full((5, 16), np.nan)), ValueError, "Input X contains NaN"),
    ("X with inf", fit(np.full((5, 16), np.inf)), ValueError, "Input X contains infinity"),
    (
        "X beyond float32",
        fit(np.full((5, 16), 1e300)),
        ValueError,
        "value too large for dtype\\('float32'\\)",
    ),
    ("X empty", fit(np.zeros((0, 64))), ValueError, "Found array with 0 sample\\(s\\)"),
    (
        "X one sample",
        fit(DIGITS[:1]),
        ValueError,
        "at least 2 images to train a GAN on; got 1 sample",
    ),
    (
        "X 1-D",
        fit(np.zeros(64)),
        ValueError,
        "X must be 2-D .* or 4-D \\(n_samples, C, H, W\\) or \\(n_samples, H, W, C\\); got a 1-D array",
    ),
    ("X scalar", fit(3.0), ValueError, "got a 0-D array"),
    ("X 5-D", fit(np.zeros((2, 1, 1, 4, 4))), ValueError, "got a 5-D array"),
    (
        "X ragged",
        fit([[1.0, 2.0], [3.0]]),
        ValueError,
        "array-like of numbers, one row or image per sample",
    ),
    ("X complex", fit(DIGITS.astype(complex)), ValueError, "Complex data not supported"),
    (
        "X strings",
        fit(np.full((5, 16), "a", dtype=object)),
        TypeError,
        "X must hold numbers \\(uint8 or float",
    ),
    (
        "X sparse",
        fit(sp.csr_matrix(DIGITS.reshape(40, -1))),
        TypeError,
        "Sparse data was passed for X, but dense data is required",
    ),
    ("images too small", fit(np.zeros((4, 1, 9))), ValueError, "at least 2 x 2 pixels; got 1 x 9"),
    (
        "one value per sample",
        fit(np.zeros((4, 1))),
        ValueError,
        "got 1 x 1 \\(X has n_features = 1\\)",
    ),
    (
        "y for select_epoch='best' continuous",
        fit(y=np.linspace(0, 1, 40), select_epoch="best"),
        ValueError,
        "Unknown label type",
    ),
    (
        "y for select_epoch='best' one class",
        fit(y=np.zeros(40), select_epoch="best"),
        ValueError,
        "two classes with two or more samples",
    ),
    (
        "y of the wrong length",
        fit(y=np.arange(5), select_epoch="best"),
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "gan='acgan' without y",
        fit(gan="acgan"),
        ValueError,
        "gan='acgan' requires y to be passed, but the target y is None",
    ),
    (
        "gan='acgan' with one labelled class",
        fit(y=np.where(np.arange(40) < 5, 1, -1), gan="acgan"),
        ValueError,
        "labelled samples of at least two classes",
    ),
    (
        "y mixing strings and -1",
        fit(y=np.array(["a", "b"] * 10 + [-1] * 20, dtype=object), gan="acgan"),
        TypeError,
        "y mixes labels of different types",
    ),
    ("n_categories one", fit(gan="catgan", n_categories=1), ValueError, "n_categories == 1"),
    (
        "reconstruction_weight negative",
        fit(gan="bigan", reconstruction_weight=-1.0),
        ValueError,
        "reconstruction_weight == -1.0, must be >= 0",
    ),
    (
        "reconstruction_weight without an encoder",
        fit(reconstruction_weight=1.0),
        ValueError,
        "reconstruction_weight weights BiGAN's cycle-consistency term",
    ),
    (
        "unknown self_supervision",
        fit(self_supervision="jigsaw"),
        ValueError,
        "self_supervision must be one of",
    ),
    (
        "self_supervision with another GAN kind",
        fit(gan="bigan", self_supervision="rotation"),
        ValueError,
        "self_supervision gives the DCGAN discriminator a self-supervised task: it needs "
        "gan='dcgan'",
    ),
    ("unknown augmentation", fit(augmentation="flip"), ValueError, "augmentation must be one of"),
    ("temperature zero", fit(temperature=0.0), ValueError, "temperature == 0.0, must be > 0"),
    (
        "features='categories' without categories",
        fit(features="categories"),
        ValueError,
        "features='categories' needs a discriminator with category outputs",
    ),
    (
        "features='inversion' with gan='acgan'",
        fit(y=np.arange(40) % 2, gan="acgan", features="inversion"),
        ValueError,
        "features='inversion' needs an unconditional generator",
    ),
    # a torch Dataset as X
    ("Dataset empty", fit(Items([])), ValueError, r"X is an empty Dataset \(len\(X\) == 0\)"),
    (
        "Dataset of one image",
        fit(Items(DIGITS[:1])),
        ValueError,
        "at least 2 images to train a GAN on; got 1 sample",
    ),
    (
        "Dataset iterable-style",
        fit(Stream()),
        TypeError,
        "X is an IterableDataset, which has no length or random access",
    ),
    ("Dataset without __len__", fit(NoLength()), TypeError, r"X \(NoLength\) has no __len__"),
    (
        "Dataset items of other shapes",
        fit(digit_items({7: torch.zeros(1, 8, 9)})),
        ValueError,
        r"Item 7 of X has shape \(1, 8, 9\), but item 0 has shape \(1, 8, 8\)",
    ),
    (
        "Dataset items 4-D",
        fit(Items(DIGITS[:, None, None])),
        ValueError,
        r"Item 0 of X has shape \(1, 1, 8, 8\); a Dataset's items must be images of shape",
    ),
    (
        "Dataset items strings",
        fit(Items(["a.png", "b.png"])),
        TypeError,
        "Item 0 of X holds str of dtype <U5; a Dataset's items must be images of numbers",
    ),
    (
        "Dataset item with NaN",
        fit(digit_items({3: torch.full((1, 8, 8), float("nan"))})),
        ValueError,
        "Item 3 of X contains NaN",
    ),
    (
        "Dataset uint8 then float items",
        fit(Items([np.zeros((8, 8), np.uint8), np.zeros((8, 8))])),
        TypeError,
        "Item 0 of X is uint8, so every item must be .* item 1 is float64",
    ),
    (
        "Dataset labels for select_epoch='best' one class",
        fit(Items([(x, 0) for x in DIGITS]), select_epoch="best"),
        ValueError,
        r"labels of X's \(image, label\) items, which select_epoch='best' uses as y .* two classes",
    ),
    # input to transform
    (
        "transform: wrong feature count",
        transform(np.zeros((3, 65))),
        ValueError,
        "X has 65 features, but GANFeatureExtractor is expecting 64",
    ),
    (
        "transform: channels mismatch",
        transform(np.zeros((3, 3, 8, 8))),
        ValueError,
        r"images of shape \(3, 8, 8\) .* fitted on images of shape \(1, 8, 8\)",
    ),
    ("transform: NaN", transform(np.full((2, 64), np.nan)), ValueError, "Input X contains NaN"),
    (
        "transform: Dataset of other images",
        transform(Items(np.zeros((3, 3, 8, 8)))),
        ValueError,
        r"images of shape \(3, 8, 8\) .* fitted on images of shape \(1, 8, 8\)",
    ),
    (
        "transform: layers changed out of range",
        lambda f: f.set_params(layers=[3]).transform(DIGITS),
        ValueError,
        "block indices in \\[-1, 0\\]",
    ),
    ("sample: n_samples zero", lambda f: f.sample(0), ValueError, "n_samples == 0, must be >= 1"),
    (
        "sample: y without an AC-GAN",
        lambda f: f.sample(2, y=[0, 1]),
        ValueError,
        "this generator is not class-conditional",
    ),
    ("transform before fit", None, NotFittedError, "not fitted yet"),
]


@pytest.fixture(scope="module")
def fitted_tiny():
    return GANFeatureExtractor(**TINY).fit(DIGITS)


def test_the_catalogue_is_long_and_distinct():
    names = [name for name, *_ in CASES]
    assert len(names) >= 25 and len(set(names)) == len(names)


def test_the_user_guide_lists_every_case():
    guide = (Path(__file__).parents[1] / "docs" / "user_guide.md").read_text()
    rows = {line.split("|")[1].strip() for line in guide.splitlines() if line.startswith("| ")}
    missing = [name for name, *_ in CASES if name not in rows]
    assert not missing, f"docs/user_guide.md lacks rows for {missing}"


@pytest.mark.parametrize("name, call, error, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(name, call, error, message, fitted_tiny):
    fitted = GANFeatureExtractor(**TINY) if call is None else fitted_tiny
    call = call or (lambda f: f.transform(DIGITS))
    with pytest.raises(error, match=message):
        if call.__code__.co_argcount == 1:
            call(fitted)
        else:
            call()


def _raised_outside_torch(exc: BaseException) -> bool:
    """True when the innermost frame of ``exc`` is not torch code."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return "/torch/" not in tb.tb_frame.f_code.co_filename


DTYPES = st.sampled_from(
    [np.uint8, np.int16, np.int64, np.float16, np.float32, np.float64, np.bool_, np.complex64]
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=1, max_dims=1, max_side=20),
    st.tuples(st.integers(0, 6), st.integers(0, 40)),
    st.tuples(st.integers(0, 6), st.integers(0, 10), st.integers(0, 10)),
    st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 9), st.integers(0, 9)),
    hnp.array_shapes(min_dims=5, max_dims=5, max_side=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=hnp.arrays(DTYPES, SHAPES), transform_shape=st.booleans())
def test_any_array_either_works_or_fails_clearly(X, transform_shape):
    """Random shapes, dtypes and values: a result, or a clear error, never a torch traceback."""
    est = GANFeatureExtractor(width=2, latent_dim=2, batch_size=4, n_epochs=1, random_state=0)
    try:
        features = est.fit_transform(X)
    except (ValueError, TypeError) as exc:
        assert _raised_outside_torch(exc), f"torch raised: {exc!r}"
        event(f"clear {type(exc).__name__}")
        return
    event("fitted")
    assert features.shape[0] == len(X) and features.dtype == np.float32
    assert np.isfinite(features).all()
    other = X[:1] if transform_shape else X
    assert est.transform(other).shape == (len(other), features.shape[1])


def catalogue_table(width: int = 110) -> str:
    """The table of docs/user_guide.md: each case's error and message (first line, abridged).

    Regenerate it with ``python tests/test_bad_input.py`` after changing ``CASES``.
    """
    fitted = GANFeatureExtractor(**TINY).fit(DIGITS)
    lines = ["| bad input | error | message (abridged) |", "|---|---|---|"]
    for name, call, error, _ in CASES:
        est = GANFeatureExtractor(**TINY) if call is None else fitted
        call = call or (lambda f: f.transform(DIGITS))
        try:
            call(est) if call.__code__.co_argcount == 1 else call()
        except error as exc:
            message = str(exc).splitlines()[0]
        else:
            raise AssertionError(f"{name} raised nothing")
        if len(message) > width:
            message = message[: width - 3] + "…"
        lines.append(f"| {name} | `{error.__name__}` | `{message}` |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalogue_table())
