"""
Class-aware discriminators: AC-GAN with few labels, CatGAN with none
=====================================================================

A DCGAN's discriminator only tells real from generated images. An AC-GAN
(Odena et al., 2017) also makes it classify, using labels, and a CatGAN
(Springenberg, 2015) makes it sort images into categories without any. Here
both train on scikit-learn's 8x8 digits: the AC-GAN sees 10 % of the training
labels (the rest are marked ``-1``), the CatGAN none. A linear SVM then reads
each discriminator's pooled features, beside raw pixels, a random-weight
discriminator and a DCGAN's. The AC-GAN draws digits of a requested class,
and the CatGAN's categories are scored as a clustering.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.evaluation import clustering_accuracy

# The docs build sets SKGAN_EXAMPLE_FAST=1 to train briefly; run as a script for the full run.
N_EPOCHS = 5 if os.environ.get("SKGAN_EXAMPLE_FAST") == "1" else 30

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
    "DCGAN D": GANFeatureExtractor(n_epochs=N_EPOCHS, **settings),
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
# The AC-GAN's generator is class-conditional: one row per requested digit.
fig, axes = plt.subplots(10, 8, figsize=(4, 5))
for digit in range(10):
    images = acgan.sample(8, random_state=digit, y=[digit] * 8)
    for col in range(8):
        axes[digit, col].imshow(images[col], cmap="gray", vmin=0, vmax=16)
        axes[digit, col].axis("off")
plt.tight_layout()
plt.show()
