"""
MNIST: a GAN-feature pipeline, and learning from few labels
===========================================================

First the one-step answer: a pipeline of :class:`skgan.GANFeatureExtractor`,
a scaler and :class:`~sklearn.svm.LinearSVC`, fitted on MNIST digits. Then the
few-label question: the GAN trains on unlabeled digits; a linear SVM then learns from only
100 or 1000 of their labels. :func:`skgan.evaluation.linear_probe` runs the
protocol of our benchmark: balanced draws of labels, standardised features, C
chosen by cross-validation on the drawn labels only, mean and spread over draws.
The random-weight discriminator (``n_epochs=0``) is the baseline training must beat.

This example reads real MNIST from ``$SKGAN_DATA`` or ``shared/data/mnist`` beside
the repository. The full benchmark is ``benchmarks/mnist_linear_probe.py``.
"""

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist
from skgan.evaluation import linear_probe

FAST = os.environ.get("SKGAN_EXAMPLE_FAST") == "1"
N_TRAIN, N_EPOCHS, N_DRAWS = (3000, 2, 2) if FAST else (20000, 5, 5)
here = Path(globals().get("__file__", "examples/x.py")).resolve().parent
data_home = os.environ.get("SKGAN_DATA") or here.parent.parent / "shared" / "data" / "mnist"

X, y = load_mnist(data_home)
X_test, y_test = load_mnist(data_home, split="test")
X, y, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X_test[:2000], y_test[:2000]

# %%
# The pipeline: the extractor ignores the labels, the SVM uses all of them.
pipeline = make_pipeline(
    GANFeatureExtractor(n_epochs=N_EPOCHS, random_state=0), StandardScaler(), LinearSVC(C=0.01)
)
pipeline.fit(X, y)
print(f"pipeline, {len(y)} labels: {100 * pipeline.score(X_test, y_test):.2f} % test accuracy")

# %%
# Features from raw pixels, a random-weight discriminator and the trained one.
random_d = GANFeatureExtractor(n_epochs=0, random_state=0).fit(X)
trained_d = pipeline[0]
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

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for name in feature_sets:
    means = [100 * results[name, n]["mean"] for n in (100, 1000)]
    errors = [100 * results[name, n]["std"] for n in (100, 1000)]
    ax.errorbar([100, 1000], means, yerr=errors, marker="o", capsize=3, label=name)
ax.set_xscale("log")
ax.set_xlabel("labels")
ax.set_ylabel("test accuracy (%)")
ax.legend()
plt.show()
