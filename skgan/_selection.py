"""Scores that rank training epochs by feature quality (``select_epoch="best"``).

Feature quality is not monotonic in training time, so each epoch's
discriminator is scored on a fixed subsample of the training images:

* with labels (``y`` given to ``fit``): the accuracy of a linear SVM trained
  on one half of the subsample's features and tested on the other half;
* without labels: RankMe (Garrido et al., 2023), the effective rank of the
  standardised features, ``exp`` of the entropy of their normalised singular
  values. Richer, less redundant features score higher; it is a heuristic
  that needs no labels, not a guarantee of downstream accuracy.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ._readout import set_population_statistics
from ._trainer import unwrapped

#: Training images each epoch is scored on (fewer if the training set is smaller).
SCORE_SAMPLES = 2000
#: The SVM's C for the labelled score; features are standardised first.
PROBE_C = 0.01


def rankme(features: np.ndarray) -> float:
    """Effective rank of the standardised ``features`` (RankMe).

    Examples
    --------
    >>> import numpy as np
    >>> round(rankme(np.eye(4)), 3)  # four orthogonal directions, equal weight
    3.0
    """
    X = StandardScaler().fit_transform(np.asarray(features, dtype=np.float64))
    singular = np.linalg.svd(X, compute_uv=False)
    p = singular / max(singular.sum(), np.finfo(float).tiny) + 1e-12
    return float(np.exp(-(p * np.log(p)).sum()))


def probe_accuracy(features: np.ndarray, y: np.ndarray, random_state: int = 0) -> float:
    """Test accuracy of a linear SVM fitted on a stratified half of the samples."""
    X_a, X_b, y_a, y_b = train_test_split(
        features, y, test_size=0.5, stratify=y, random_state=random_state
    )
    scaler = StandardScaler().fit(X_a)
    svm = LinearSVC(C=PROBE_C, random_state=random_state).fit(scaler.transform(X_a), y_a)
    return float(svm.score(scaler.transform(X_b), y_b))


def subsample(n_samples: int, y, random_state: int) -> np.ndarray:
    """Indices of at most ``SCORE_SAMPLES`` samples, stratified by ``y`` when given."""
    if n_samples <= SCORE_SAMPLES:
        return np.arange(n_samples)
    indices, _ = train_test_split(
        np.arange(n_samples), train_size=SCORE_SAMPLES, stratify=y, random_state=random_state
    )
    return np.sort(indices)


class EpochScorer:
    """``score(net) -> (name, value)`` for :class:`skgan._trainer.EpochKeeper`.

    Parameters
    ----------
    batches : ImageBatches
        The scoring images (re-iterable, unshuffled).
    features : callable
        ``features(discriminator) -> ndarray``: the read-out of ``batches``.
    y : ndarray or None
        Labels of the scoring images; ``None`` scores with :func:`rankme`.
    """

    def __init__(self, batches, features, y=None):
        self.batches = batches
        self.features = features
        self.y = y

    def __call__(self, net) -> tuple[str, float]:
        # Score a copy, with population batchnorm statistics as transform uses,
        # so the training networks are untouched.
        discriminator = copy.deepcopy(unwrapped(net.discriminator_)).eval()
        set_population_statistics(discriminator.blocks, self.batches)
        features = self.features(discriminator)
        if self.y is None:
            return "rankme", rankme(features)
        return "probe_accuracy", probe_accuracy(features, self.y)
