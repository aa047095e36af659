"""
Real-vs-generated directions: remove them, or keep only them
============================================================

A discriminator learns to tell real images from generated ones, so some of its
features may encode little else. ``GANFeatureExtractor(subspace=...)`` finds
those directions by iterative nullspace projection (fit a linear real-vs-generated
classifier, project its weight vector out, repeat) and returns the features
projected onto their orthogonal complement (``"complement"``) or onto their span
(``"discriminative"``). This example shows how separable real and generated digits
stay as directions are removed (on these digits, after 20 epochs, ten directions
are far from enough: the held-out real-vs-generated accuracy stays near 100 %),
then scores each projection with the few-label
linear probe and 1-nearest-neighbour of :mod:`skgan.evaluation`. The measured
answer on MNIST is in ``benchmarks/feature_study.py`` and the feature-study page.
"""

# %%
import copy

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skgan import GANFeatureExtractor
from skgan.evaluation import linear_probe, nearest_neighbor_accuracy

N_EPOCHS = 20

X, y = load_digits(return_X_y=True)
# Upsample 8x8 to 16x16 so the discriminator has two blocks.
X = X.reshape(-1, 8, 8).repeat(2, axis=1).repeat(2, axis=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
# ``fit`` trains the GAN, then finds at most ``n_subspace_directions`` directions.
# Radford's plain DCGAN, whose discriminator learns only the real-vs-generated game.
gan = GANFeatureExtractor(
    n_epochs=N_EPOCHS,
    width=32,
    subspace="complement",
    n_subspace_directions=10,
    self_supervision="none",
    random_state=0,
).fit(X_train)
print("directions found:", gan.subspace_basis_.shape[1])
print("held-out real/generated accuracy:", [round(s, 3) for s in gan.subspace_scores_])

# %%
# The three views of the same features share their width and feature names;
# ``"complement"`` and ``"discriminative"`` add up to the unprojected features.
scores = {}
for subspace in (None, "discriminative", "complement"):
    view = copy.deepcopy(gan).set_params(subspace=subspace)
    F_train, F_test = view.transform(X_train), view.transform(X_test)
    probe = linear_probe(F_train, y_train, F_test, y_test, 100, n_draws=3, random_state=0)
    nn = nearest_neighbor_accuracy(F_train, y_train, F_test, y_test)
    scores[subspace or "none"] = (probe["mean"], nn)
    print(
        f"{subspace or 'none':>14}: {F_train.shape[1]} features, linear probe with 100 labels "
        f"{100 * probe['mean']:.2f} ± {100 * probe['std']:.2f} %, "
        f"1-NN with all labels {100 * nn:.2f} %"
    )

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
left.plot(range(len(gan.subspace_scores_)), [100 * s for s in gan.subspace_scores_], marker="o")
left.axhline(50, ls=":", c="k", label="chance")
left.set_xlabel("directions removed")
left.set_ylabel("held-out accuracy (%)")
left.set_title("real vs generated")
left.legend()
names = list(scores)
right.bar([f"{n}\nprobe" for n in names], [100 * scores[n][0] for n in names])
right.bar([f"{n}\n1-NN" for n in names], [100 * scores[n][1] for n in names])
right.tick_params(axis="x", labelrotation=30, labelsize=8)
right.set_ylabel("test accuracy (%)")
right.set_title("digit classification")
fig.tight_layout()
plt.show()
