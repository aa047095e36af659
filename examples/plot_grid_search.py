"""
Tuning the extractor and the SVM together with GridSearchCV
===========================================================

:class:`skgan.GANFeatureExtractor` is an ordinary pipeline step, so
:class:`~sklearn.model_selection.GridSearchCV` tunes its parameters next to the
SVM's. ``Pipeline(memory=...)`` caches each fitted extractor, so the GAN is
trained once per extractor setting and fold, not once per SVM ``C``.
"""

# %%
from tempfile import mkdtemp

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor

X, y = load_digits(return_X_y=True)
X = X.reshape(-1, 8, 8)

pipeline = Pipeline(
    [
        ("gan", GANFeatureExtractor(width=16, random_state=0)),
        ("scale", StandardScaler()),
        ("svm", LinearSVC()),
    ],
    memory=mkdtemp(prefix="skgan-cache-"),
)
grid = {
    "gan__n_epochs": [0, 10, 30],
    "gan__pooling": ["max", "avg"],
    "svm__C": [1e-3, 1e-2, 1e-1],
}
search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
print("best:", search.best_params_, f"{100 * search.best_score_:.2f} %")

# %%
# Mean cross-validated accuracy of each setting: n_epochs=0 is the random-weight row.
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
):
    print(f"{params}: {100 * score:.2f} %")
