"""
Conv output or conv + batchnorm + activation?
=============================================

The classic question about discriminator features: which tensor of each block
should you take? The read-out parameters of :class:`skgan.GANFeatureExtractor`
are used at ``transform`` time, so one trained extractor answers it for every
tap and every block without retraining.
"""

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor

N_EPOCHS = 20

X, y = load_digits(return_X_y=True)
# Upsample 8x8 to 16x16 so the discriminator has two blocks (d0 without, d1 with batchnorm).
X = X.reshape(-1, 8, 8).repeat(2, axis=1).repeat(2, axis=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
gan = GANFeatureExtractor(n_epochs=N_EPOCHS, width=32, random_state=0).fit(X_train)

# %%
for layers in ([0], [1], "all"):
    for tap in ("conv", "batchnorm", "activation"):
        gan.set_params(layers=layers, tap=tap)
        F_train, F_test = gan.transform(X_train), gan.transform(X_test)
        scaler = StandardScaler().fit(F_train)
        svm = LinearSVC(C=0.01).fit(scaler.transform(F_train), y_train)
        accuracy = svm.score(scaler.transform(F_test), y_test)
        print(
            f"layers={layers!s:>5} tap={tap:>10}: {F_train.shape[1]:>5} features, "
            f"{100 * accuracy:.2f} %"
        )
print("feature names:", np.asarray(gan.get_feature_names_out())[[0, -1]])
