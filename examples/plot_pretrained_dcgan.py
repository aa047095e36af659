"""
Features from a DCGAN you trained in plain PyTorch
===================================================

You trained a DCGAN with your own loop, say pytorch/examples ``dcgan/main.py``,
and it draws good digits. :class:`skgan.DiscriminatorFeatures` reads Radford
et al.'s pooled features from your discriminator and
:class:`skgan.GeneratorInversion` finds the code your generator would draw each
image from; both drop into a :class:`~sklearn.pipeline.Pipeline` ahead of a
linear SVM. Here the DCGAN is trained for a short while, on sklearn's 8 x 8
digits resized to 64 x 64, with narrow networks so the example runs in
seconds; with your checkpoint, build ``netD`` and ``netG`` and
``load_state_dict`` instead.
"""

# %%
# The networks of pytorch/examples, with ``nc=1`` and narrow widths
# -----------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from torch import nn

from skgan import DiscriminatorFeatures, GeneratorInversion

nc, nz, ngf, ndf = 1, 16, 8, 8


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
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
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
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
# A short plain-PyTorch training loop
# -----------------------------------
# The images are what ``transforms.Resize(64)``, ``ToTensor()`` and
# ``Normalize((0.5,), (0.5,))`` would give: 64 x 64 in [-1, 1]. The loop is
# pytorch/examples' (BCE, Adam with lr 2e-4 and betas (0.5, 0.999)).
torch.manual_seed(0)
X, y = load_digits(return_X_y=True)
X = X.reshape(-1, 8, 8)  # values 0..16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
# 600 training and 300 test digits keep the example to seconds.
X_train, y_train, X_test, y_test = X_train[:600], y_train[:600], X_test[:300], y_test[:300]
real = torch.as_tensor(X_train, dtype=torch.float32)[:, None] / 8 - 1
real = F.interpolate(real, size=(64, 64), mode="bilinear", antialias=True)

netG, netD = Generator().apply(weights_init), Discriminator().apply(weights_init)
criterion = nn.BCELoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
for epoch in range(2):
    for batch in real[torch.randperm(len(real))].split(64):
        noise = torch.randn(len(batch), nz, 1, 1)
        fake = netG(noise)
        netD.zero_grad()
        errD = criterion(netD(batch), torch.ones(len(batch))) + criterion(
            netD(fake.detach()), torch.zeros(len(batch))
        )
        errD.backward()
        optD.step()
        netG.zero_grad()
        errG = criterion(netD(fake), torch.ones(len(batch)))
        errG.backward()
        optG.step()
    print(f"epoch {epoch}: loss D {errD.item():.3f}, loss G {errG.item():.3f}")

# %%
# Discriminator features in a Pipeline
# ------------------------------------
# ``image_size=64`` resizes the 8 x 8 digits as the training did and
# ``input_range=(0, 16)`` maps their values to [-1, 1]. The four feature
# convolutions have 8, 16, 32 and 64 channels, each max-pooled to 4 x 4:
# ``(8 + 16 + 32 + 64) * 16 = 1920`` features (with pytorch/examples' ``ndf=64``,
# 15360). ``netD`` itself is not changed: the transformer works on a copy.
features = DiscriminatorFeatures(netD, image_size=64, input_range=(0, 16))
model = make_pipeline(features, StandardScaler(), LinearSVC(C=0.01)).fit(X_train, y_train)
print(f"{model[0].get_feature_names_out().size} features")
print(f"population statistics, activations: {100 * model.score(X_test, y_test):.1f} %")

# %%
# The read-out parameters are used at ``transform`` time, so one fitted
# transformer compares the taps;
# ``batchnorm="running"`` keeps netD's own running statistics, which the
# training loop last updated on generated batches. With so few, easy
# digits the differences are small; the benchmark page has MNIST.
Xa, ya, Xb, yb = X_train, y_train, X_test, y_test
fitted = model[0]
for tap in ("conv", "activation"):
    fitted.set_params(tap=tap)
    svm = make_pipeline(StandardScaler(), LinearSVC(C=0.01)).fit(fitted.transform(Xa), ya)
    print(f"population statistics, tap={tap!r}: {100 * svm.score(fitted.transform(Xb), yb):.1f} %")
running = make_pipeline(
    DiscriminatorFeatures(netD, image_size=64, input_range=(0, 16), batchnorm="running"),
    StandardScaler(),
    LinearSVC(C=0.01),
).fit(Xa, ya)
print(f"running statistics, tap='activation': {100 * running.score(Xb, yb):.1f} %")

# %%
# Generator inversion: codes, and the digits they draw
# ----------------------------------------------------
# Each code is found by Adam steps on ``||G(z) - x||^2`` at the generator's
# 64 x 64, so 200 training and 100 test digits keep the example short.
inversion = GeneratorInversion(
    netG, latent_shape=(nz, 1, 1), image_size=64, input_range=(0, 16), n_steps=30
)
codes_model = make_pipeline(inversion, StandardScaler(), LinearSVC(C=0.1))
codes_model.fit(X_train[:200], y_train[:200])
print(f"{nz}-value codes: {100 * codes_model.score(X_test[:100], y_test[:100]):.1f} %")

shown = X_test[:8]
reconstructed = codes_model[0].inverse_transform(codes_model[0].transform(shown))
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for i in range(8):
    axes[0, i].imshow(shown[i], cmap="gray_r", vmin=0, vmax=16)
    axes[1, i].imshow(reconstructed[i], cmap="gray_r", vmin=0, vmax=16)
for ax in axes.ravel():
    ax.axis("off")
axes[0, 0].set_title("digits", loc="left", fontsize=9)
axes[1, 0].set_title("G(z*) after two epochs", loc="left", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# The squared error of ``G(z*)`` beside that of random codes: how much closer
# to these digits the inversion got than what the generator draws anyway. Two
# short epochs leave a generator that draws rough blobs, not digits, so do not
# expect much; with your trained ``netG`` the same lines show what it can
# draw of each test image.
random_codes = np.random.default_rng(0).standard_normal((8, nz))
drawn = codes_model[0].inverse_transform(random_codes)
for name, images in (("z*", reconstructed), ("random z", drawn)):
    print(f"digits, {name:>8}: mean squared error {np.mean((images - shown) ** 2):.2f}")
