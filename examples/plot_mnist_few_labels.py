"""
MNIST: a GAN-feature pipeline, and learning from few labels
===========================================================

First the one-step answer: a pipeline of :class:`skgan.GANFeatureExtractor`,
a scaler and :class:`~sklearn.svm.LinearSVC`, fitted on MNIST digits. Then the
few-label question: the GAN trains on unlabeled digits; a linear SVM then learns
from only 100 or 1000 of their labels. :func:`skgan.evaluation.linear_probe` runs
the protocol of our benchmark: balanced draws of labels, standardised features, C
chosen by cross-validation on the drawn labels only, mean and spread over draws.
The random-weight discriminator (``n_epochs=0``) is the baseline training must beat.

The GAN trains here for 3 epochs on 6000 images (width 32), what fits in a docs
build on 2 CPU cores; the figure's title states the gap this budget measured. Its
discriminator learns the default contrastive task about real digits besides the
GAN game (``self_supervision``; see "The self-supervised discriminator"), which is
what makes short training pay: Radford's plain DCGAN (``self_supervision="none"``)
showed no gain over random weights after 3 epochs on 12800 images
(``benchmarks/results/mnist_class_aware-cpu.md``: 79.11 vs 79.26 % with 100 labels).

This example reads real MNIST from ``$SKGAN_DATA`` or ``shared/data/mnist`` beside
the repository. The full benchmark is ``benchmarks/mnist_linear_probe.py``.
"""

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist
from skgan.evaluation import LBFGSLinearSVC, linear_probe, sample_quality

N_TRAIN, N_TEST, N_EPOCHS, WIDTH, N_DRAWS = 6000, 2000, 3, 32, 3
TRAINED = "trained D (contrastive)"


here = Path(globals().get("__file__", "examples/x.py")).resolve().parent
data_home = os.environ.get("SKGAN_DATA") or here.parent.parent / "shared" / "data" / "mnist"

X, y = load_mnist(data_home)
X_test, y_test = load_mnist(data_home, split="test")
X, y, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X_test[:N_TEST], y_test[:N_TEST]

# %%
# The pipeline: the extractor ignores the labels, the SVM uses all of them.
pipeline = make_pipeline(
    GANFeatureExtractor(n_epochs=N_EPOCHS, width=WIDTH, random_state=0),
    StandardScaler(),
    # LinearSVC's problem by L-BFGS: 42 s here where liblinear's primal took 361 s.
    LBFGSLinearSVC(C=0.01, max_iter=200),
)
pipeline.fit(X, y)
print(f"pipeline, {len(y)} labels: {100 * pipeline.score(X_test, y_test):.2f} % test accuracy")

# %%
# Features from raw pixels, a random-weight discriminator of the same width and
# the trained one.
random_d = GANFeatureExtractor(n_epochs=0, width=WIDTH, random_state=0).fit(X)
trained_d = pipeline[0]
feature_sets = {
    "raw pixels": (X.reshape(len(X), -1) / 255.0, X_test.reshape(len(X_test), -1) / 255.0),
    "random-weight D": (random_d.transform(X), random_d.transform(X_test)),
    TRAINED: (trained_d.transform(X), trained_d.transform(X_test)),
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
gaps = {n: results[TRAINED, n]["mean"] - results["random-weight D", n]["mean"] for n in (100, 1000)}
print("trained D minus random-weight D:", {n: f"{100 * g:+.2f} points" for n, g in gaps.items()})

# %%
# How digit-like are the samples after this short training? A classifier with an
# RBF kernel, fitted on the real training digits, "recognises" an image when it
# gives one class a probability of at least 0.5 (see the digits examples); real
# test digits and uniform noise are the references. No samples are shown here:
# the digits examples show (and check) generated digits.
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

# %%
# Test accuracy with 100 and 1000 labels; the title gives the measured gap
# between the trained and the random-weight discriminator, and whether it
# exceeds the spread over draws.
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for name in feature_sets:
    means = [100 * results[name, n]["mean"] for n in (100, 1000)]
    errors = [100 * results[name, n]["std"] for n in (100, 1000)]
    ax.errorbar([100, 1000], means, yerr=errors, marker="o", capsize=3, label=name)
spread = max(results[k, 100]["std"] for k in (TRAINED, "random-weight D"))
verdict = "above the spread" if gaps[100] > spread else "within the spread: no measured gain"
ax.set_title(
    f"{N_EPOCHS} epochs on {N_TRAIN} images: trained D {100 * gaps[100]:+.1f} points "
    f"at 100 labels,\n{100 * gaps[1000]:+.1f} at 1000 ({verdict})",
    fontsize=9,
)
ax.set_xscale("log")
ax.set_xlabel("labels")
ax.set_ylabel("test accuracy (%)")
ax.legend()
plt.tight_layout()
plt.show()
