from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skgan import GANFeatureExtractor

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
CIFAR_DIR = MNIST_DIR.parent / "cifar10"

#: Small, fast networks for tests: 8 x 8 digits, one or two epochs.
TINY = dict(width=8, latent_dim=8, batch_size=32, n_epochs=1, random_state=0)


@pytest.fixture(scope="session")
def digits():
    """300 sklearn digits as (n, 8, 8) floats in 0..16 and their labels."""
    X, y = load_digits(return_X_y=True)
    return X[:300].reshape(-1, 8, 8), y[:300]


@pytest.fixture(scope="session")
def fitted(digits):
    """A tiny extractor fitted on the digits (do not mutate)."""
    return GANFeatureExtractor(**TINY).fit(digits[0])


@pytest.fixture(scope="session")
def fitted_bigan(digits):
    """A tiny BiGAN extractor (encoder features) fitted on the first 200 digits (do not mutate)."""
    params = {**TINY, "gan": "bigan", "features": "encoder", "n_epochs": 2}
    return GANFeatureExtractor(**params).fit(digits[0][:200])


@pytest.fixture(scope="session")
def fitted_acgan(digits):
    """A tiny AC-GAN (category features) fitted on the first 250 labelled digits (do not mutate)."""
    X, y = digits
    params = {**TINY, "gan": "acgan", "features": "categories", "n_epochs": 3, "lr": 1e-3}
    return GANFeatureExtractor(**params).fit(X[:250], y[:250])


@pytest.fixture(scope="session")
def fitted_catgan(digits):
    """A tiny CatGAN with 4 categories fitted on the digits, without labels (do not mutate)."""
    params = {**TINY, "gan": "catgan", "n_categories": 4, "n_epochs": 2}
    return GANFeatureExtractor(**params).fit(digits[0])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``cuda`` on machines without a CUDA GPU."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


#: The kinds' own options in :func:`make_trainer`, unless given.
TRAINER_OPTIONS = {
    "reconstruction_weight": 0.0,
    "n_categories": 4,
    "self_supervision": "none",
    "augmentation": "auto",
    "temperature": 0.1,
}


def make_trainer(gan="dcgan", options=None, **kwargs):
    """A small GANTrainer of kind ``gan`` on 8 x 8 images in [0, 1] (flat rows of 64)."""
    import torch

    from skgan._images import ImageBatches, ImageLayout
    from skgan._trainer import GANTrainer
    from skgan.gans import GANS, NetSize

    torch.manual_seed(0)
    spec = GANS[gan]
    options = {name: TRAINER_OPTIONS[name] for name in spec.params} | (options or {})
    task = spec.self_supervision(options)
    networks = spec.build(NetSize(1, 8, 4, 3, n_categories=4, self_supervision=task))
    params = dict(
        latent_dim=3,
        spec=spec,
        encoder=networks.encoder,
        options=options,
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        optimizer_d__lr=1e-3,
        lr=1e-3,
        max_epochs=2,
        batch_size=10,
        iterator_train=ImageBatches,
        iterator_train__layout=ImageLayout(64, (1, 8, 8), (0.0, 1.0)),
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
    )
    return GANTrainer(networks.generator, networks.discriminator, **{**params, **kwargs})
