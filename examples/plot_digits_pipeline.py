"""
GAN features in a scikit-learn pipeline
=======================================

Train a DCGAN on scikit-learn's 8x8 digits without labels, then feed the
discriminator's pooled features to a linear SVM. The same pipeline with an
untrained (random-weight) discriminator and with raw pixels gives the two
reference rows every GAN-feature claim must beat.
"""

# %%
import os

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor

# The docs build sets SKGAN_EXAMPLE_FAST=1 to train briefly; run as a script for the full run.
N_EPOCHS = 5 if os.environ.get("SKGAN_EXAMPLE_FAST") == "1" else 40

X, y = load_digits(return_X_y=True)
X = X.reshape(-1, 8, 8)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

# %%
# Three pipelines, one protocol.
settings = dict(width=32, random_state=0)
pipelines = {
    "raw pixels": make_pipeline(StandardScaler(), LinearSVC(C=0.01)),
    "random-weight D": make_pipeline(
        GANFeatureExtractor(n_epochs=0, **settings), StandardScaler(), LinearSVC(C=0.01)
    ),
    "trained D": make_pipeline(
        GANFeatureExtractor(n_epochs=N_EPOCHS, **settings), StandardScaler(), LinearSVC(C=0.01)
    ),
}
for name, pipeline in pipelines.items():
    Xa, Xb = (X_train, X_test)
    if name == "raw pixels":
        Xa, Xb = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    pipeline.fit(Xa, y_train)
    print(f"{name:>16}: {100 * pipeline.score(Xb, y_test):.2f} % test accuracy")

# %%
# Generated digits and the training curves of the trained extractor.
gan = pipelines["trained D"][0]
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
images = gan.sample(64, random_state=0)
grid = images.reshape(8, 8, 8, 8).transpose(0, 2, 1, 3).reshape(64, 64)
axes[0].imshow(grid, cmap="gray")
axes[0].set_title("generated digits")
axes[0].axis("off")
for key in ("loss_d", "loss_g", "d_real", "d_fake"):
    axes[1].plot(gan.history_[:, "epoch"], gan.history_[:, key], label=key)
axes[1].set_xlabel("epoch")
axes[1].legend()
plt.tight_layout()
plt.show()
