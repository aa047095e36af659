"""Write the save files and pickles of skgan 0.1.0 (before the spec/bundle redesign).

Run once, with the skgan of commit ca3b123, from the project root:
``python tests/data/legacy/make_fixtures.py``. The tests load them with the
current skgan and compare ``transform`` with the features stored beside them.
"""

import pickle
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from skgan import GANFeatureExtractor

HERE = Path(__file__).resolve().parent
SMALL = dict(width=4, latent_dim=4, batch_size=32, n_epochs=1, random_state=0)
KINDS = {
    "dcgan": dict(subspace="complement", n_subspace_directions=2),
    "bigan": dict(gan="bigan", features="encoder", reconstruction_weight=1.0),
    "acgan": dict(gan="acgan", features="categories"),
    "catgan": dict(gan="catgan", n_categories=3),
}


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X, y = X[:64].astype(np.float32), y[:64]
    np.save(HERE / "X.npy", X)
    for kind, params in KINDS.items():
        est = GANFeatureExtractor(**SMALL, **params).fit(X, y if kind == "acgan" else None)
        est.save(HERE / f"{kind}.skgan")
        (HERE / f"{kind}.pkl").write_bytes(pickle.dumps(est))
        np.save(HERE / f"{kind}_features.npy", est.transform(X))
        np.save(HERE / f"{kind}_samples.npy", est.sample(3, random_state=0))


if __name__ == "__main__":
    main()
