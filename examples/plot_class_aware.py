"""
Class-aware discriminators: AC-GAN with few labels, CatGAN with none
=====================================================================

A DCGAN's discriminator only tells real from generated images. An AC-GAN
(Odena et al., 2017) also makes it classify, using labels, and a CatGAN
(Springenberg, 2015) makes it sort images into categories without any. Here
both train on scikit-learn's 8x8 digits: the AC-GAN sees 10 % of the training
labels (the rest are marked ``-1``), the CatGAN none. A linear SVM then reads
each discriminator's pooled features, beside raw pixels, a random-weight
discriminator and a DCGAN's (with the default contrastive discriminator task).
The AC-GAN draws digits of a requested class, and the CatGAN's categories are
scored as a clustering. A classifier fitted on real digits judges both
generators' samples
(:func:`skgan.evaluation.sample_quality`).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.evaluation import clustering_accuracy, sample_quality

N_EPOCHS = 30


def tile(images, n_cols, pad_value):
    """Images of shape (n, h, w) side by side, ``n_cols`` a row, with a 1-pixel border."""
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=pad_value)
    rows = padded.reshape(n // n_cols, n_cols, h + 2, w + 2).transpose(0, 2, 1, 3)
    return rows.reshape(n // n_cols * (h + 2), n_cols * (w + 2))


X, y = load_digits(return_X_y=True)
X = X.reshape(-1, 8, 8)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
rng = np.random.default_rng(0)
few_labels = np.where(rng.random(len(y_train)) < 0.1, y_train, -1)  # -1: unlabelled

# %%
# Pooled discriminator features of each GAN kind. The SVM always trains on the
# same 10 % of labelled training digits; the GANs see all training images.
settings = dict(width=32, latent_dim=32, random_state=0)
extractors = {
    "random-weight D": GANFeatureExtractor(n_epochs=0, **settings),
    "DCGAN D (contrastive)": GANFeatureExtractor(n_epochs=N_EPOCHS, **settings),
    "AC-GAN D (10 % labels)": GANFeatureExtractor(gan="acgan", n_epochs=N_EPOCHS, **settings),
    "CatGAN D (no labels)": GANFeatureExtractor(gan="catgan", n_epochs=N_EPOCHS, **settings),
}
labelled = few_labels != -1
svm = make_pipeline(StandardScaler(), LinearSVC(C=0.01))
svm.fit(X_train[labelled].reshape(labelled.sum(), -1), y_train[labelled])
print(f"{'raw pixels':>24}: {100 * svm.score(X_test.reshape(len(X_test), -1), y_test):.2f} %")
for name, extractor in extractors.items():
    extractor.fit(X_train, few_labels)  # only the AC-GAN uses the labels
    svm.fit(extractor.transform(X_train[labelled]), y_train[labelled])
    print(f"{name:>24}: {100 * svm.score(extractor.transform(X_test), y_test):.2f} %")

# %%
# Both class-aware discriminators also give a posterior over their classes
# (``features="categories"``, a read-out parameter: no retraining). The
# AC-GAN's is a classifier trained with 10 % of the labels; the CatGAN's
# categories carry no names, so they are matched to digits by the Hungarian
# algorithm.
acgan = extractors["AC-GAN D (10 % labels)"].set_params(features="categories")
predicted = acgan.classes_[acgan.transform(X_test).argmax(axis=1)]
print(f"AC-GAN class head: {100 * np.mean(predicted == y_test):.2f} % test accuracy")
catgan = extractors["CatGAN D (no labels)"].set_params(features="categories")
clusters = catgan.transform(X_test).argmax(axis=1)
print(f"CatGAN categories: {100 * clustering_accuracy(y_test, clusters):.2f} % clustering accuracy")

# %%
# Are the samples digit-like? A classifier with an RBF kernel, fitted on all real
# training digits, "recognises" an image when it gives one class a probability of
# at least 0.5 (noise and flat images are not recognised). For the AC-GAN's
# samples it also tells whether they are the requested digit. The docs build
# fails unless most samples of both generators are recognised and cover at least
# 8 of the 10 digits.
flat_train = X_train.reshape(len(X_train), -1)
judge = make_pipeline(
    Nystroem(gamma=1 / (64 * flat_train.var()), n_components=len(flat_train), random_state=0),
    LogisticRegression(C=10, max_iter=3000),
).fit(flat_train, y_train)
requested = np.repeat(np.arange(10), 8)
samples = {
    "AC-GAN": acgan.sample(len(requested), random_state=0, y=requested),
    "CatGAN": catgan.sample(len(requested), random_state=0),
}
print(f"real test digits: {100 * sample_quality(judge, X_test)['recognised']:.0f} % recognised")
for name, images in samples.items():
    q = sample_quality(judge, images, requested if name == "AC-GAN" else None)
    agreement = f", {100 * q['agreement']:.0f} % as the requested digit" if "agreement" in q else ""
    print(
        f"{name} samples: {100 * q['recognised']:.0f} % recognised{agreement}, "
        f"covering {round(10 * q['coverage'])} of 10 digits"
    )
    assert q["recognised"] >= 0.5 and q["coverage"] >= 0.8, (name, q)

# %%
# Left, the AC-GAN's class-conditional samples, one row per requested digit;
# right, the CatGAN's (its generator is not conditioned on a class). Within a
# row the AC-GAN's samples are nearly alike: with these settings it draws about
# one image per class whatever the noise (intra-class mode collapse, a known
# AC-GAN failure), so its samples are the requested digits but not varied ones.
# The CatGAN's vary, and are rougher.
fig, panels = plt.subplots(1, 2, figsize=(8, 5))
for panel, (name, images) in zip(panels, samples.items(), strict=True):
    panel.imshow(tile(images, 8, 16), cmap="gray", vmin=0, vmax=16, interpolation="nearest")
    panel.set_title(f"{name} samples")
    panel.axis("off")
panels[0].set_yticks(5 + 10 * np.arange(10), [str(d) for d in range(10)])
panels[0].axis("on")
panels[0].set_xticks([])
plt.tight_layout()
plt.show()
