"""
MNIST: a GAN-feature pipeline, and learning from few labels
===========================================================

A DCGAN trained on the 60000 MNIST training digits without labels (10 epochs
of width 32, about an hour on 2 CPU cores) is too slow to train while the docs
build, so this example loads the one ``examples/data/train_mnist_dcgan.py``
saved (``examples/data/mnist_dcgan_w32.md`` has the command, machine and
timing) with :meth:`skgan.GANFeatureExtractor.load`.

First the one-step answer: a pipeline of the loaded extractor (wrapped in
:class:`~sklearn.frozen.FrozenEstimator`, so ``fit`` does not retrain it), a
scaler and :class:`~sklearn.svm.LinearSVC`. Then the few-label question: a
linear SVM learns from only 100 or 1000 labels.
:func:`skgan.evaluation.linear_probe` runs the protocol of our benchmark:
balanced draws of labels, standardised features, C chosen by cross-validation
on the drawn labels only, mean and spread over draws. The random-weight
discriminator (``n_epochs=0``) is the baseline training must beat. Last, a
classifier fitted on real digits judges the generated ones
(:func:`skgan.evaluation.sample_quality`).

This example reads real MNIST from ``$SKGAN_DATA`` or ``shared/data/mnist`` beside
the repository. The full benchmark is ``benchmarks/mnist_linear_probe.py``.
"""

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist
from skgan.evaluation import linear_probe, sample_quality

N_TRAIN, N_TEST, N_DRAWS = 10000, 5000, 5


def tile(images, n_cols, pad_value):
    """Images of shape (n, h, w) side by side, ``n_cols`` a row, with a 1-pixel border."""
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=pad_value)
    rows = padded.reshape(n // n_cols, n_cols, h + 2, w + 2).transpose(0, 2, 1, 3)
    return rows.reshape(n // n_cols * (h + 2), n_cols * (w + 2))


here = Path(globals().get("__file__", "examples/x.py")).resolve().parent
data_home = os.environ.get("SKGAN_DATA") or here.parent.parent / "shared" / "data" / "mnist"

X, y = load_mnist(data_home)
X_test, y_test = load_mnist(data_home, split="test")
X, y, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X_test[:N_TEST], y_test[:N_TEST]

trained_d = GANFeatureExtractor.load(
    os.environ.get("SKGAN_TMP_MODEL") or here / "data" / "mnist_dcgan_w32.skgan"
)
print(
    f"loaded: {len(trained_d.history_)} epochs of width {trained_d.width}, "
    f"{trained_d.transform(X[:1]).shape[1]} features"
)

# %%
# The pipeline: the frozen extractor ignores the labels, the SVM uses all
# ``N_TRAIN`` of them.
pipeline = make_pipeline(FrozenEstimator(trained_d), StandardScaler(), LinearSVC(C=0.01))
pipeline.fit(X, y)
print(f"pipeline, {len(y)} labels: {100 * pipeline.score(X_test, y_test):.2f} % test accuracy")

# %%
# Features from raw pixels, a random-weight discriminator of the same width and
# the trained one.
random_d = GANFeatureExtractor(n_epochs=0, width=trained_d.width, random_state=0).fit(X)
feature_sets = {
    "raw pixels": (X.reshape(len(X), -1) / 255.0, X_test.reshape(len(X_test), -1) / 255.0),
    "random-weight D": (random_d.transform(X), random_d.transform(X_test)),
    "trained D": (trained_d.transform(X), trained_d.transform(X_test)),
}

# %%
results = {}
for name, (F_train, F_test) in feature_sets.items():
    for n_labels in (100, 1000):
        r = linear_probe(
            F_train,
            y,
            F_test,
            y_test,
            n_labels,
            n_draws=N_DRAWS,
            Cs=(1e-3, 1e-2, 1e-1),
            random_state=0,
            make_svm=LinearSVC,
        )
        results[name, n_labels] = r
        print(f"{name:>16}, {n_labels:>4} labels: {100 * r['mean']:.2f} ± {100 * r['std']:.2f} %")
gaps = {
    n: results["trained D", n]["mean"] - results["random-weight D", n]["mean"] for n in (100, 1000)
}
print("trained D minus random-weight D:", {n: f"{100 * g:+.2f} points" for n, g in gaps.items()})

# %%
# Are the generated digits digit-like? A classifier with an RBF kernel, fitted on
# the real training digits, "recognises" an image when it gives one class a
# probability of at least 0.5; noise and flat images are far from every real
# digit, where its confidence falls. The docs build fails unless most samples are
# recognised and they cover at least 8 of the 10 digits.
flat_train = X.reshape(len(X), -1) / 255.0
judge = make_pipeline(
    Nystroem(gamma=1 / (784 * flat_train.var()), n_components=1000, random_state=0),
    LogisticRegression(C=10, max_iter=3000),
).fit(flat_train, y)
samples = trained_d.sample(500, random_state=0)
noise = np.random.default_rng(0).uniform(0, 255, (500, 28, 28))
for name, images in {"real test": X_test, "uniform noise": noise, "generated": samples}.items():
    q = sample_quality(judge, images.reshape(len(images), -1) / 255.0)
    print(
        f"{name:>13} digits: {100 * q['recognised']:.0f} % recognised, "
        f"covering {round(10 * q['coverage'])} of 10 digits"
    )
assert q["recognised"] >= 0.5 and q["coverage"] >= 0.8, q

# %%
# Left, 64 generated digits; right, the few-label test accuracy of each feature set.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
left.imshow(tile(samples[:64], 8, 255), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
left.set_title("generated digits")
left.axis("off")
for name in feature_sets:
    means = [100 * results[name, n]["mean"] for n in (100, 1000)]
    errors = [100 * results[name, n]["std"] for n in (100, 1000)]
    right.errorbar([100, 1000], means, yerr=errors, marker="o", capsize=3, label=name)
right.set_xscale("log")
right.set_xlabel("labels")
right.set_ylabel("test accuracy (%)")
right.set_title("linear SVM on few labels")
right.legend()
plt.tight_layout()
plt.show()
