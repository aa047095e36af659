"""DiscriminatorFeatures and GeneratorInversion on networks the user trained elsewhere.

The networks are those of pytorch/examples ``dcgan/main.py`` (``nc=1``, in-place
LeakyReLU), a net whose ``forward`` applies functional activations, and
skgan's own discriminator; features are checked against a forward pass
written out by hand.
"""

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from skgan import DiscriminatorFeatures, GeneratorInversion


# ------------------------------------------------------------ the networks
class ExamplesGenerator(nn.Module):
    """pytorch/examples ``dcgan/main.py``'s netG: ``(n, nz, 1, 1)`` -> ``(n, nc, 64, 64)``."""

    def __init__(self, nz=100, ngf=64, nc=1):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class ExamplesDiscriminator(nn.Module):
    """pytorch/examples ``dcgan/main.py``'s netD, in-place LeakyReLU included."""

    def __init__(self, ndf=64, nc=1):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def weights_init(m):
    """pytorch/examples' init, plus non-trivial batchnorm statistics (as after training)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.normal_(m.bias, 0.0, 0.1)
        m.running_mean.normal_(0.0, 0.1)
        m.running_var.uniform_(0.5, 2.0)


class FunctionalDiscriminator(nn.Module):
    """Activations applied in ``forward`` (one in place), and a linear head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 4, 2, 1)
        self.conv2 = nn.Conv2d(4, 8, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.head = nn.Linear(8 * 4 * 4, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2, inplace=True)
        return self.head(h.flatten(1))


def tiny_discriminator():
    """8 x 8 images: maps of 4 x 4, 2 x 2 and a 1 x 1 logit."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 4, 2, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(4, 8, 4, 2, 1, bias=False),
        nn.BatchNorm2d(8),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(8, 1, 2, 1, 0),
    )


def tiny_generator():
    """``(n, 4, 1, 1)`` codes -> ``(n, 1, 8, 8)`` images."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(True),
        nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False),
        nn.Tanh(),
    ).eval()


def drawing_generator(nz=8, ngf=4):
    """An examples netG whose batchnorm statistics are its own (as after training).

    With fresh statistics the 0.02-initialised layers draw near-constant images.
    """
    torch.manual_seed(0)
    netG = ExamplesGenerator(nz=nz, ngf=ngf).apply(weights_init)
    for m in netG.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: one batch's statistics
    with torch.no_grad():
        netG.train()(torch.randn(256, nz, 1, 1))
    return netG.eval()


@pytest.fixture(scope="module")
def examples_d():
    torch.manual_seed(0)
    return ExamplesDiscriminator(ndf=4).apply(weights_init)


@pytest.fixture(scope="module")
def mnist_like():
    """30 uint8 "digits" of 28 x 28 (smooth blobs, so resizing matters) and labels."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:28, :28]
    centres = rng.uniform(6, 22, size=(30, 2))
    images = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 20)
    images = (255 * images + rng.uniform(0, 30, size=images.shape)).clip(0, 255)
    return images.astype(np.uint8), (centres[:, 0] > 14).astype(int)


# ----------------------------------------------------- a forward pass by hand
def resized(X, size):
    x = torch.as_tensor(X, dtype=torch.float32)[:, None] / 255 * 2 - 1
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)


def population(h):
    return h.mean(dim=(0, 2, 3)), h.var(dim=(0, 2, 3), unbiased=False)


def normed(bn, h):
    mean, var = population(h)
    return F.batch_norm(h, mean, var, bn.weight, bn.bias, eps=bn.eps)


@torch.no_grad()
def reference_features(netD, x, tap):
    """Population statistics of ``x``, 4 x 4 max-pooling, the four feature convolutions."""
    main = netD.main
    maps, h = [], x
    for conv, bn in ((0, None), (2, 3), (5, 6), (8, 9)):
        c = main[conv](h)
        b = c if bn is None else normed(main[bn], c)
        h = F.leaky_relu(b, 0.2)
        maps.append({"conv": c, "batchnorm": b, "activation": h}[tap])
    return torch.cat([F.adaptive_max_pool2d(m, 4).flatten(1) for m in maps], dim=1).numpy()


# ------------------------------------------------------- DiscriminatorFeatures
def test_examples_netD_at_64_gives_the_users_15360_features_named_by_module(mnist_like):
    X, _ = mnist_like
    torch.manual_seed(0)
    netD = ExamplesDiscriminator(ndf=64)
    features = DiscriminatorFeatures(netD, image_size=64, input_range=(0, 255), batchnorm="running")
    names = features.fit(X[:2]).get_feature_names_out()
    assert len(names) == (64 + 128 + 256 + 512) * 16 == 15360
    assert names[0] == "main.0_activation_c000_r0_c0"
    assert "main.5_activation_c017_r1_c3" in set(names)
    assert [c.name for c in features.convolutions_] == [f"main.{i}" for i in (0, 2, 5, 8, 11)]
    assert features.convolutions_[-1].size == (1, 1)  # the logit: not a feature map


@pytest.mark.parametrize("tap", ["activation", "batchnorm", "conv"])
def test_features_equal_a_hand_written_forward_pass(examples_d, mnist_like, tap):
    X, _ = mnist_like
    features = DiscriminatorFeatures(examples_d, tap=tap, image_size=64, input_range=(0, 255))
    got = features.fit(X).transform(X)
    np.testing.assert_allclose(got, reference_features(examples_d, resized(X, 64), tap), atol=1e-4)


def test_batchnorm_tap_differs_from_activation_by_the_activation(examples_d, mnist_like):
    X, _ = mnist_like
    features = DiscriminatorFeatures(examples_d, image_size=64, input_range=(0, 255)).fit(X)
    activation = features.transform(X)
    batchnorm = features.set_params(tap="batchnorm").transform(X)
    conv = features.set_params(tap="conv").transform(X)
    assert not np.allclose(batchnorm, activation)
    # Max-pooling commutes with the monotone LeakyReLU: pooled activation = act(pooled bn).
    leaky = torch.nn.functional.leaky_relu(torch.from_numpy(batchnorm), 0.2).numpy()
    np.testing.assert_allclose(activation, leaky, atol=1e-5)
    # The in-place LeakyReLU after main.0 (no batchnorm) did not overwrite its conv tap.
    first = slice(0, 4 * 16)
    assert (conv[:, first] < 0).any()
    np.testing.assert_array_equal(conv[:, first], batchnorm[:, first])


def test_population_statistics_are_those_of_X_and_running_ones_are_kept(examples_d, mnist_like):
    X, _ = mnist_like
    params = dict(image_size=64, input_range=(0, 255))
    population_fit = DiscriminatorFeatures(examples_d, **params).fit(X)
    running_fit = DiscriminatorFeatures(examples_d, batchnorm="running", **params).fit(X)
    with torch.no_grad():
        h = examples_d.main[2](F.leaky_relu(examples_d.main[0](resized(X, 64)), 0.2))
    mean, var = population(h)
    bn = population_fit.module_.main[3]
    torch.testing.assert_close(bn.running_mean, mean, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(bn.running_var, var, rtol=1e-4, atol=1e-6)
    for name, value in running_fit.module_.state_dict().items():
        torch.testing.assert_close(value, examples_d.state_dict()[name])
    assert not np.allclose(population_fit.transform(X), running_fit.transform(X))


def test_the_users_module_is_never_modified(examples_d, mnist_like):
    X, _ = mnist_like
    netD = copy.deepcopy(examples_d).train()
    netD.main[0].weight.requires_grad_(False)
    before = {k: v.clone() for k, v in netD.state_dict().items()}
    features = DiscriminatorFeatures(netD, image_size=64, input_range=(0, 255)).fit(X)
    features.transform(X[:3])
    torch.manual_seed(1)
    netG = ExamplesGenerator(nz=8, ngf=4).apply(weights_init).train()
    g_before = {k: v.clone() for k, v in netG.state_dict().items()}
    inversion = GeneratorInversion(netG, latent_shape=(8, 1, 1), n_steps=2, image_size=64)
    inversion.fit(X).transform(X[:2])
    for module, state in ((netD, before), (netG, g_before)):
        assert module.training and all(m.training for m in module.modules())
        for name, value in module.state_dict().items():
            torch.testing.assert_close(value, state[name], rtol=0, atol=0)
    assert [p.requires_grad for p in netD.parameters()][:2] == [False, True]
    assert all(p.requires_grad for p in netG.parameters())
    assert not features.module_.training and features.module_ is not netD


def test_a_functional_forward_is_traced_and_read(mnist_like):
    torch.manual_seed(0)
    net = FunctionalDiscriminator().apply(weights_init)
    X = mnist_like[0]
    features = DiscriminatorFeatures(net, image_size=16, input_range=(0, 255)).fit(X)
    sources = [c.sources for c in features.convolutions_]
    assert sources == [
        (("conv1", None), ("conv1", None), ("conv1", "leaky_relu")),
        (("conv2", None), ("bn2", None), ("bn2", "leaky_relu")),
    ]
    x = resized(X, 16)
    with torch.no_grad():
        c1 = net.conv1(x)
        a1 = F.leaky_relu(c1, 0.2)
        c2 = net.conv2(a1)
        b2 = normed(net.bn2, c2)
        a2 = F.leaky_relu(b2, 0.2)
    for tap, maps in (("conv", (c1, c2)), ("batchnorm", (c1, b2)), ("activation", (a1, a2))):
        expected = torch.cat([F.adaptive_max_pool2d(m, 4).flatten(1) for m in maps], dim=1)
        got = features.set_params(tap=tap).transform(X)
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)


def test_skgans_own_discriminator_reads_as_the_extractor_reads_it(fitted, digits):
    X = digits[0]
    own = DiscriminatorFeatures(
        fitted.discriminator_.blocks, batchnorm="running", input_range=fitted.data_range_
    ).fit(X)
    np.testing.assert_allclose(own.transform(X), fitted.transform(X), atol=1e-5)
    # The extractor's discriminator has population statistics of the same X: recomputed alike.
    again = DiscriminatorFeatures(fitted.discriminator_, input_range=fitted.data_range_).fit(X)
    np.testing.assert_allclose(again.transform(X), fitted.transform(X), atol=1e-4)
    names = again.get_feature_names_out()
    assert names[0] == "blocks.d0.conv_activation_c000_r0_c0"


def test_layers_by_name_in_the_given_order(examples_d, mnist_like):
    X, _ = mnist_like
    features = DiscriminatorFeatures(
        examples_d, layers=["main.8", "main.2"], image_size=64, input_range=(0, 255)
    ).fit(X)
    names = features.get_feature_names_out()
    assert names[0].startswith("main.8_") and names[-1].startswith("main.2_")
    assert features.transform(X[:2]).shape == (2, (32 + 8) * 16)
    whole = features.set_params(layers="auto").transform(X[:2])
    np.testing.assert_allclose(
        features.set_params(layers=["main.2"]).transform(X[:2]), whole[:, 4 * 16 : (4 + 8) * 16]
    )


def test_a_pool_size_pyramid_reads_each_convolution_at_every_grid(examples_d, mnist_like):
    X, _ = mnist_like
    features = DiscriminatorFeatures(
        examples_d, layers=["main.5"], pool_size=(4, 2), image_size=64, input_range=(0, 255)
    ).fit(X)
    names = features.get_feature_names_out()
    assert names[0].startswith("main.5_g4_") and names[-1].startswith("main.5_g2_")
    parts = [features.set_params(pool_size=size).transform(X[:3]) for size in (4, 2)]
    pyramid = features.set_params(pool_size=(4, 2)).transform(X[:3])
    np.testing.assert_allclose(pyramid, np.hstack(parts))
    assert pyramid.shape == (3, 16 * (16 + 4))  # main.5: 16 channels on an 8 x 8 map


def test_sklearn_tools_clone_pickle_pipeline_grid_search_set_output(mnist_like):
    X, y = mnist_like
    features = DiscriminatorFeatures(tiny_discriminator(), image_size=8, input_range=(0, 255))
    fitted = clone(features).fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    frame = clone(features).set_output(transform="pandas").fit_transform(X.reshape(30, -1))
    assert list(frame.columns) == list(fitted.get_feature_names_out())
    pipe = make_pipeline(features, LinearSVC())
    search = GridSearchCV(
        pipe,
        {
            "discriminatorfeatures__tap": ["conv", "activation"],
            "discriminatorfeatures__layers": ["auto", ["2"]],
        },
        cv=2,
    ).fit(X, y)
    assert search.best_score_ >= 0.5
    inversion = GeneratorInversion(
        tiny_generator(), latent_shape=(4, 1, 1), image_size=8, n_steps=5
    )
    inverted = inversion.fit(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(inverted)).transform(X[:4]), inverted.transform(X[:4])
    )
    assert make_pipeline(clone(inversion), LinearSVC()).fit(X, y).score(X, y) >= 0.5


# ----------------------------------------------------------- GeneratorInversion
def test_inversion_recovers_the_codes_of_images_the_generator_drew():
    netG = drawing_generator()
    z = torch.randn(6, 8, 1, 1)
    with torch.no_grad():
        X = netG(z)[:, 0].numpy()  # (6, 64, 64) in [-1, 1]
    inversion = GeneratorInversion(netG, latent_shape=(8, 1, 1), input_range=(-1, 1))
    codes = inversion.fit_transform(X)
    assert codes.shape == (6, 8)
    found = np.mean((inversion.inverse_transform(codes) - X) ** 2)
    random = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    chance = np.mean((inversion.inverse_transform(random) - X) ** 2)
    assert chance > 1e-3 and found < chance / 100
    assert np.abs(codes - z.numpy().reshape(6, 8)).mean() < 0.05  # the codes it drew them from
    assert inversion.get_feature_names_out()[-1] == "z007"
    # One image's code does not depend on the others.
    np.testing.assert_allclose(inversion.transform(X[2:3]), codes[2:3], atol=1e-5)


def test_inverse_transform_returns_images_in_the_layout_and_scale_of_fit(mnist_like):
    X, _ = mnist_like
    inversion = GeneratorInversion(
        tiny_generator(), latent_shape=(4, 1, 1), image_size=8, n_steps=1
    )
    inversion.fit(X[:, None])  # (n, 1, 28, 28) uint8, resized to the generator's 8 x 8
    images = inversion.inverse_transform(inversion.transform(X[:3, None]))
    assert images.shape == (3, 1, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 255
    flat = clone(inversion).fit(X.reshape(30, -1))
    assert flat.inverse_transform(np.zeros((2, 4))).shape == (2, 784)
    last = clone(inversion).fit(X[..., None])  # (n, 28, 28, 1): channels last
    assert last.inverse_transform(np.zeros((2, 4))).shape == (2, 28, 28, 1)


# ------------------------------------------------------------------ bad input
def test_bad_input_is_a_clear_error(examples_d, mnist_like):
    X, _ = mnist_like
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        DiscriminatorFeatures("netD_epoch_24.pth").fit(X)
    with pytest.raises(ValueError, match="The module failed on X's images"):
        DiscriminatorFeatures(examples_d).fit(X)  # 28 x 28 is too small for netD
    with pytest.raises(ValueError, match="image_size must be"):
        DiscriminatorFeatures(examples_d, image_size=(64,)).fit(X)
    with pytest.raises(ValueError, match="tap must be one of"):
        DiscriminatorFeatures(examples_d, tap="relu", image_size=64).fit(X)
    with pytest.raises(ValueError, match=r"module names of 2-D convolutions .*main\.11"):
        DiscriminatorFeatures(examples_d, layers=["main.4"], image_size=64).fit(X)
    with pytest.raises(ValueError, match="batchnorm must be one of"):
        DiscriminatorFeatures(examples_d, batchnorm="train", image_size=64).fit(X)
    fitted = DiscriminatorFeatures(tiny_discriminator(), image_size=8).fit(X)
    bad = X[:2].astype(np.float32)
    bad[0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.transform(bad)
    with pytest.raises(ValueError, match=r"shape \(1, 20, 20\).*fitted on images of shape"):
        fitted.transform(X[:2, :20, :20])
    with pytest.raises(ValueError, match="latent_shape must be"):
        GeneratorInversion(tiny_generator(), latent_shape=(4, 0)).fit(X)
    with pytest.raises(ValueError, match=r"draws images of shape \(1, 8, 8\)"):
        GeneratorInversion(tiny_generator(), latent_shape=(4, 1, 1)).fit(X)
    with pytest.raises(ValueError, match=r"The generator failed on codes of shape \(1, 4\)"):
        GeneratorInversion(tiny_generator(), latent_shape=4, image_size=8).fit(X)
    with pytest.raises(ValueError, match="codes of length"):
        GeneratorInversion(tiny_generator(), latent_shape=(4, 1, 1), image_size=8).fit(
            X
        ).inverse_transform(np.zeros((1, 5)))


# --------------------------------------------------------- scikit-learn checks
def torch_hash_limits(estimator) -> dict:
    """The one check a torch module parameter cannot pass, and why.

    It compares ``joblib.hash`` of the parameter after ``fit`` with that of a
    deep copy made before; pickle names a tensor's storage by its address, so
    two distinct tensors never hash alike, even equal ones (a fresh
    ``torch.zeros(3)`` and its deep copy differ). That the module is not
    changed is asserted by ``test_the_users_module_is_never_modified``.
    """
    return {
        "check_estimators_overwrite_params": (
            "joblib.hash of a torch tensor includes its storage address, so a deep copy never "
            "matches; test_the_users_module_is_never_modified checks the module instead"
        )
    }


@parametrize_with_checks(
    [
        DiscriminatorFeatures(tiny_discriminator(), image_size=8, batch_size=16),
        DiscriminatorFeatures(tiny_discriminator(), image_size=8, tap="conv", pooling="avg"),
        GeneratorInversion(tiny_generator(), latent_shape=(4, 1, 1), image_size=8, n_steps=3),
    ],
    expected_failed_checks=torch_hash_limits,
)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)
