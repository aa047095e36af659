"""Command line: ``python -m skgan demo``.

Trains two DCGANs on digits without labels, Radford's plain one and the
default one whose discriminator also learns a contrastive task, then compares a
linear SVM on raw pixels, on a random-weight discriminator's features and on
each trained discriminator's features, writes a grid of each generator's digits
and says how many of them a classifier fitted on the real training digits
recognises (:func:`skgan.evaluation.sample_quality`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from . import GANFeatureExtractor
from .datasets import load_mnist
from .evaluation import sample_quality
from .plotting import sample_grid

#: The sample grid is enlarged (nearest neighbour) to at least this many pixels a side.
GRID_PIXELS = 200

#: Per dataset: default epochs, training images, GAN width.
PRESETS = {"digits": (40, None, 32), "mnist": (2, 10000, 64)}


def _data(args):
    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X = X.reshape(-1, 8, 8)
        return train_test_split(X, y, test_size=0.3, stratify=y, random_state=args.seed)
    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    return X_train[: args.n_train], X_test, y_train[: args.n_train], y_test


def _svm_pipeline(*steps):
    return make_pipeline(*steps, StandardScaler(), LinearSVC(C=0.01))


def _judge(X_train, y_train):
    """RBF-kernel classifier of real images: unconfident far from them (noise, flat images)."""
    flat = X_train.reshape(len(X_train), -1).astype(float)
    kernel = Nystroem(
        gamma=1 / (flat.shape[1] * flat.var()), n_components=min(len(flat), 1000), random_state=0
    )
    return make_pipeline(kernel, LogisticRegression(C=10, max_iter=3000)).fit(flat, y_train)


def _save_grid(extractor, path, seed) -> None:
    """64 generated images tiled 8 per row, enlarged to be seen, written as a PNG."""
    from torchvision.utils import save_image

    grid = torch.from_numpy(sample_grid(extractor, n=64, random_state=seed)).permute(2, 0, 1)
    scale = max(1, -(-GRID_PIXELS // grid.shape[1]))
    save_image(grid.repeat_interleave(scale, 1).repeat_interleave(scale, 2), str(path))


def demo(args) -> None:
    epochs, n_train, width = PRESETS[args.dataset]
    args.n_epochs = epochs if args.n_epochs is None else args.n_epochs
    args.n_train = n_train if args.n_train is None else args.n_train
    args.width = width if args.width is None else args.width
    X_train, X_test, y_train, y_test = _data(args)
    print(
        f"{args.dataset}: {len(X_train)} training images of {X_train.shape[1:]}, "
        f"{len(X_test)} test; GAN: {args.n_epochs} epochs, width {args.width}"
    )
    gan = dict(width=args.width, random_state=args.seed, verbose=args.verbose)
    rows = [
        ("raw pixels", _svm_pipeline()),
        ("random-weight D", _svm_pipeline(GANFeatureExtractor(n_epochs=0, **gan))),
        (
            "plain DCGAN D",
            _svm_pipeline(
                GANFeatureExtractor(n_epochs=args.n_epochs, self_supervision="none", **gan)
            ),
        ),
        ("contrastive D", _svm_pipeline(GANFeatureExtractor(n_epochs=args.n_epochs, **gan))),
    ]
    flat = (X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1))
    print(f"{'features':<18}{'dims':>6}{'accuracy':>10}{'seconds':>9}")
    for name, pipeline in rows:
        start = time.perf_counter()
        Xa, Xb = flat if name == "raw pixels" else (X_train, X_test)
        pipeline.fit(Xa, y_train)
        accuracy = pipeline.score(Xb, y_test)
        dims = pipeline[-1].coef_.shape[1]
        print(f"{name:<18}{dims:>6}{100 * accuracy:>9.2f}%{time.perf_counter() - start:>9.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    judge = _judge(X_train, y_train)
    batches = {"real test digits": X_test}
    for (name, pipeline), suffix in zip(rows[2:], ("_plain", ""), strict=True):
        path = args.out / f"{args.dataset}_samples{suffix}.png"
        _save_grid(pipeline[0], path, args.seed)
        print(f"digits generated with the {name}: {path}")
        batches[f"{name} generator"] = pipeline[0].sample(500, random_state=args.seed)
    for name, images in batches.items():
        q = sample_quality(judge, images.reshape(len(images), -1))
        print(
            f"{name}: {100 * q['recognised']:.0f} % recognised by a classifier of real digits, "
            f"covering {round(100 * q['coverage'])} % of the classes"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skgan", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="train on digits and compare features")
    run.add_argument("--dataset", choices=sorted(PRESETS), default="digits")
    run.add_argument("--data-home", type=Path, default=None, help="folder of MNIST IDX files")
    run.add_argument("--n-epochs", type=int, default=None)
    run.add_argument("--n-train", type=int, default=None, help="MNIST training images")
    run.add_argument("--width", type=int, default=None)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--verbose", type=int, default=0)
    run.add_argument("--out", type=Path, default=Path("demo_output"))
    args = parser.parse_args(argv)
    demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
