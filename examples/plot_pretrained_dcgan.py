"""
Features from a DCGAN you trained in plain PyTorch
===================================================

You trained a DCGAN with your own loop, say pytorch/examples ``dcgan/main.py``
on MNIST, and it draws good digits. :class:`skgan.DiscriminatorFeatures` reads
Radford et al.'s pooled features from your discriminator and
:class:`skgan.GeneratorInversion` finds the code your generator would draw each
image from; both drop into a :class:`~sklearn.pipeline.Pipeline` ahead of a
linear SVM.

Here "your" DCGAN is pytorch/examples' networks for 32 x 32 images (one
stride-2 layer fewer in each net than its 64 x 64 ones; ``nc=1``, ``nz=100``,
``ngf = ndf = 32``) trained by pytorch/examples' loop on the 60000 MNIST digits
resized to 32 x 32. ``benchmarks/pytorch_dcgan_checkpoint.py`` trained it (the
command is stored in the file) and saved both state dicts in
``benchmarks/results/pytorch_dcgan_mnist.pt``, because training takes longer than a
docs build. With your checkpoint, build your ``netD`` and ``netG`` and
``load_state_dict`` the same way. This example reads real MNIST from
``$SKGAN_DATA`` or ``shared/data/mnist`` beside the repository.
"""

# %%
# The networks of pytorch/examples for 32 x 32 images, with ``nc=1``
# ------------------------------------------------------------------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from torch import nn

from skgan import DiscriminatorFeatures, GeneratorInversion
from skgan.datasets import load_mnist
from skgan.evaluation import LBFGSLinearSVC, sample_quality

# sphinx-gallery runs examples in their folder, without ``__file__``.
here = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
checkpoint_file = here.parent / "benchmarks" / "results" / "pytorch_dcgan_mnist.pt"
checkpoint = torch.load(checkpoint_file, weights_only=True)
nc, nz, ngf, ndf = 1, checkpoint["nz"], checkpoint["ngf"], checkpoint["ndf"]
print(f"checkpoint made by: {checkpoint['command']}")


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
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


class Discriminator(nn.Module):
    def __init__(self):
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
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


# %%
# Your checkpoint, and MNIST as your loader gave it
# -------------------------------------------------
# The training transform was ``Resize(32)``, ``ToTensor()`` and
# ``Normalize((0.5,), (0.5,))``: ``image_size=32`` and ``input_range=(0, 255)``
# below do the same to the raw uint8 digits. A copy of ``netD`` with
# pytorch/examples' random initialisation is the baseline the trained one must
# beat, beside the raw pixels.
netG, netD = Generator(), Discriminator()
netG.load_state_dict(checkpoint["netG"])
netD.load_state_dict(checkpoint["netD"])
torch.manual_seed(0)
random_netD = Discriminator().apply(weights_init)

data_home = os.environ.get("SKGAN_DATA") or here.parent.parent / "shared" / "data" / "mnist"
X_train, y_train = load_mnist(data_home)
X_test, y_test = load_mnist(data_home, split="test")
# 1000 labelled training digits and 1000 test digits keep the example short.
X_train, y_train, X_test, y_test = X_train[:1000], y_train[:1000], X_test[:1000], y_test[:1000]


# %%
# Discriminator features in a Pipeline
# ------------------------------------
# The three feature convolutions have 32, 64 and 128 channels, each
# max-pooled to 4 x 4: ``(32 + 64 + 128) * 16 = 3584`` features. The 64 x 64
# networks with pytorch/examples' ``ndf=64`` give ``(64 + 128 + 256 + 512) * 16
# = 15360``, the length the question behind skgan asks about. ``netD`` itself
# is not changed: the transformer works on a copy.
def svm():
    # LinearSVC's objective by L-BFGS: liblinear took 11 s per fit on these features.
    return make_pipeline(StandardScaler(), LBFGSLinearSVC(C=0.01, max_iter=100))


def d_features(module, **params):
    return DiscriminatorFeatures(module, image_size=32, input_range=(0, 255), **params)


model = make_pipeline(d_features(netD), svm()).fit(X_train, y_train)
print(f"{model[0].get_feature_names_out().size} features")
flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
scores = {
    "raw pixels": svm().fit(flat_train, y_train).score(flat_test, y_test),
    "random-weight netD": make_pipeline(d_features(random_netD), svm())
    .fit(X_train, y_train)
    .score(X_test, y_test),
    "trained netD": model.score(X_test, y_test),
}
for name, score in scores.items():
    print(f"{name:>18}: {100 * score:.1f} %")

# %%
# The read-out parameters are used at ``transform`` time, so one fitted
# transformer compares the taps;
# ``batchnorm="running"`` keeps netD's own running statistics, which the
# training loop last updated on generated batches. The benchmark page has
# these on all of MNIST.
conv = model[0].set_params(tap="conv")
score = svm().fit(conv.transform(X_train), y_train).score(conv.transform(X_test), y_test)
conv.set_params(tap="activation")
print(f"population statistics, tap='conv': {100 * score:.1f} %")
print(f"population statistics, tap='activation': {100 * scores['trained netD']:.1f} % (above)")
running = make_pipeline(d_features(netD, batchnorm="running"), svm()).fit(X_train, y_train)
print(f"running statistics, tap='activation': {100 * running.score(X_test, y_test):.1f} %")

# %%
# Generator inversion: codes, and the digits they draw
# ----------------------------------------------------
# Each code is found by Adam steps on ``||G(z) - x||^2`` at the generator's
# 32 x 32, so 200 training and 100 test digits keep the example short.
inversion = GeneratorInversion(
    netG, latent_shape=(nz, 1, 1), image_size=32, input_range=(0, 255), n_steps=100
)
codes_model = make_pipeline(inversion, StandardScaler(), LinearSVC(C=0.1))
codes_model.fit(X_train[:200], y_train[:200])
print(f"{nz}-value codes: {100 * codes_model.score(X_test[:100], y_test[:100]):.1f} %")

shown = X_test[:10]
reconstructed = codes_model[0].inverse_transform(codes_model[0].transform(shown))
random_codes = np.random.default_rng(0).standard_normal((500, nz))
drawn = codes_model[0].inverse_transform(random_codes)

# %%
# Does the generator draw digits? A classifier with an RBF kernel fitted on real
# digits recognises an image when it gives one class a probability of at least
# 0.5 (:func:`skgan.evaluation.sample_quality`; noise and flat images are not
# recognised). The docs build fails unless most samples are recognised, the
# samples cover at least 8 digits, and most reconstructions are read as the
# digit they were made from.
judge = make_pipeline(
    Nystroem(gamma=1 / (784 * flat_train.var()), n_components=1000, random_state=0),
    LogisticRegression(C=10, max_iter=2000),
).fit(flat_train, y_train)
quality = {
    "real test digits": sample_quality(judge, X_test[:500]),
    "G(random z)": sample_quality(judge, drawn),
    "G(z*)": sample_quality(judge, reconstructed, y_test[:10]),
}
for name, q in quality.items():
    print(
        f"{name:>16}: {100 * q['recognised']:.0f} % recognised, "
        f"covering {round(10 * q['coverage'])} of 10 digits"
    )
print(f"G(z*) read as its input's digit: {100 * quality['G(z*)']['agreement']:.0f} %")
assert quality["G(random z)"]["recognised"] >= 0.5, quality
assert quality["G(random z)"]["coverage"] >= 0.8, quality
assert quality["G(z*)"]["agreement"] >= 0.5, quality

fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
rows = {"test digits": shown, "G(z*): their inversions": reconstructed, "G(z), random z": drawn}
for row, (title, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row, images, strict=False):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        ax.axis("off")
    row[0].set_title(title, loc="left", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# The squared error of ``G(z*)`` beside that of random codes: how much closer
# to these digits the inversion got than what the generator draws anyway.
for name, images in (("z*", reconstructed), ("random z", drawn[:10])):
    error = np.mean((images.astype(float) - shown) ** 2) / 255**2
    print(f"test digits, {name:>8}: mean squared error {error:.4f} (pixels in [0, 1])")
