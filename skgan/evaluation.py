"""Scores for features (the few-label linear probe of our benchmarks) and for generated samples.

A feature extractor is judged by how well a linear SVM separates classes in
its features when only a few labels are known:

* draw ``k`` labelled training samples per class (balanced), several times;
* standardise the features (statistics of all training features, which need
  no labels), choose the SVM's ``C`` by stratified cross-validation on the
  drawn labels alone, refit on them, and score on the test set;
* report the mean and standard deviation over draws.

:class:`LBFGSLinearSVC` solves exactly LinearSVC's problem (squared hinge,
L2 penalty, one-vs-rest, the intercept penalised like a feature of value 1)
with full-batch L-BFGS in PyTorch, which is much faster than liblinear on
tens of thousands of samples with thousands of dense features.

:func:`sample_quality` judges generated images without downloaded weights:
the share a classifier fitted on real images recognises, and the classes
they cover.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

#: C values tried by :func:`linear_probe` unless told otherwise.
DEFAULT_CS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def _signed_targets(y_indices: np.ndarray, n_classes: int) -> np.ndarray:
    """+1/-1 one-vs-rest targets; one column for two classes, as LinearSVC does."""
    if n_classes == 2:
        return np.where(y_indices == 1, 1.0, -1.0)[:, None]
    targets = -np.ones((len(y_indices), n_classes))
    targets[np.arange(len(y_indices)), y_indices] = 1.0
    return targets


def squared_hinge_objective(coef, intercept, X, y_signed, C) -> np.ndarray:
    """LinearSVC's primal objective per one-vs-rest problem.

    ``0.5 * (|w|^2 + b^2) + C * sum(max(0, 1 - y (X w + b))^2)`` for each
    column, with ``coef`` of shape (n_problems, n_features) and ``y_signed``
    of shape (n_samples, n_problems) holding +1 / -1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [-1.0]])
    >>> y = np.array([[1.0], [-1.0]])
    >>> squared_hinge_objective(np.array([[1.0]]), np.array([0.0]), X, y, C=1.0)
    array([0.5])
    """
    margins = 1.0 - y_signed * (X @ coef.T + intercept)
    penalty = 0.5 * ((coef**2).sum(axis=1) + intercept**2)
    return penalty + C * (np.maximum(margins, 0.0) ** 2).sum(axis=0)


class LBFGSLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC's objective solved by full-batch L-BFGS in PyTorch.

    Minimises ``0.5 * (|w|^2 + b^2) + C * sum_i max(0, 1 - y_i (w x_i + b))^2``
    for each one-vs-rest problem: the problem ``LinearSVC(C=C)`` solves with
    its defaults (squared hinge, L2 penalty, ``intercept_scaling=1``).

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    max_iter : int, default=1000
        Maximum L-BFGS iterations.
    tol : float, default=1e-6
        Stop when the largest gradient entry, relative to ``C * n_samples``,
        falls below ``tol``.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the solve.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1 or n_classes, n_features)
    intercept_ : ndarray of shape (1 or n_classes,)
    n_iter_ : int
        L-BFGS iterations run.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgan.evaluation import LBFGSLinearSVC
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LBFGSLinearSVC(C=0.01).fit(X[:1000] / 16, y[:1000])
    >>> round(clf.score(X[1000:] / 16, y[1000:]), 2) > 0.9
    True
    """

    def __init__(self, C=1.0, max_iter=1000, tol=1e-6, dtype="float32"):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.dtype = dtype

    def fit(self, X, y):
        """Fit the one-vs-rest problems.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LBFGSLinearSVC
        """
        check_scalar(self.C, "C", numbers.Real, min_val=0, include_boundaries="neither")
        check_scalar(self.max_iter, "max_iter", numbers.Integral, min_val=1)
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {self.dtype!r}.")
        X, y = validate_data(self, X, y, dtype=np.dtype(self.dtype))
        check_classification_targets(y)
        self.classes_, y_indices = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("LBFGSLinearSVC needs samples of at least 2 classes.")
        dtype = getattr(torch, self.dtype)
        Xt = torch.from_numpy(np.ascontiguousarray(X))
        Yt = torch.from_numpy(_signed_targets(y_indices, len(self.classes_))).to(dtype)
        W = torch.zeros(X.shape[1], Yt.shape[1], dtype=dtype, requires_grad=True)
        b = torch.zeros(Yt.shape[1], dtype=dtype, requires_grad=True)
        scale = float(self.C) * len(X)

        def closure():
            optimizer.zero_grad()
            margins = (1.0 - Yt * (Xt @ W + b)).clamp_min(0.0)
            # Dividing by C * n keeps the gradient's scale independent of C and n.
            loss = 0.5 * (W.square().sum() + b.square().sum()) + self.C * margins.square().sum()
            loss = loss / scale
            loss.backward()
            return loss

        optimizer = torch.optim.LBFGS(
            [W, b],
            lr=1.0,
            max_iter=self.max_iter,
            tolerance_grad=self.tol,
            tolerance_change=0.0,
            history_size=20,
            line_search_fn="strong_wolfe",
        )
        optimizer.step(closure)
        self.n_iter_ = int(optimizer.state[optimizer._params[0]]["n_iter"])
        self.coef_ = W.detach().numpy().T.astype(np.float64)
        self.intercept_ = b.detach().numpy().astype(np.float64)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to each one-vs-rest hyperplane."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """Class with the largest decision value."""
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]


def balanced_draw(y, n_per_class: int, random_state=None) -> np.ndarray:
    """Indices of ``n_per_class`` samples of every class, drawn without replacement.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat([0, 1, 2], 50)
    >>> np.bincount(y[balanced_draw(y, 10, random_state=0)])
    array([10, 10, 10])
    """
    rng = check_random_state(random_state)
    y = np.asarray(y)
    picks = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < n_per_class:
            raise ValueError(
                f"class {label} has {len(members)} samples; {n_per_class} were asked for."
            )
        picks.append(rng.choice(members, n_per_class, replace=False))
    return np.sort(np.concatenate(picks))


def select_C(X, y, Cs=DEFAULT_CS, n_splits=3, random_state=None, make_svm=LBFGSLinearSVC):
    """The ``C`` with the best mean validation accuracy.

    ``n_splits >= 2`` runs stratified k-fold cross-validation; ``n_splits=1``
    holds out one stratified sixth of the samples once (for large label sets).
    A single candidate is returned without fitting anything.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import LinearSVC
    >>> X, y = load_digits(return_X_y=True)
    >>> select_C(X[:300] / 16, y[:300], Cs=(1e-3, 1.0), random_state=0, make_svm=LinearSVC)
    1.0
    """
    if len(Cs) == 1:
        return Cs[0]
    if n_splits == 1:
        folds = StratifiedShuffleSplit(1, test_size=1 / 6, random_state=random_state)
    else:
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    splits = list(folds.split(X, y))
    scores = []
    for C in Cs:
        fold_scores = [
            make_svm(C=C).fit(X[train], y[train]).score(X[test], y[test]) for train, test in splits
        ]
        scores.append(np.mean(fold_scores))
    return Cs[int(np.argmax(scores))]


def _standardize(train_features, *others):
    """``train_features`` and each of ``others`` scaled by the training mean and std."""
    mean = train_features.mean(axis=0)
    std = train_features.std(axis=0)
    std[std == 0] = 1.0
    return (train_features - mean) / std, *((other - mean) / std for other in others)


def _row_space_coordinates(X, test_features):
    """Coordinates of ``X``'s rows and of the test rows in an orthonormal basis of X's row space.

    With ``X.T = Q R`` (reduced QR, ``Q`` of shape (n_features, n_samples))
    the rows' coordinates ``X @ Q`` are ``R.T``; inner products with and
    among ``X``'s rows are unchanged, so an L2-penalised linear model fitted
    on them is the one fitted on ``X`` (see :func:`linear_probe`). One zero
    column follows the ``n_samples`` coordinates.
    """
    # Householder QR in the features' float32 is enough (Q orthonormal to 4e-7 for 1000 rows
    # of 7168 MNIST features, as accurate as the features) and needs no float64 copy.
    Q, R = np.linalg.qr(X.T)
    # A square X @ Q would flip LinearSVC(dual="auto") to its primal solver, up to 40 times
    # slower on 1000 MNIST rows than the dual it picks for the wide rows; a zero column keeps
    # the rows fewer than the features and changes neither a margin nor the objective.
    return np.pad(R.T, ((0, 0), (0, 1))), np.pad(test_features @ Q, ((0, 0), (0, 1)))


def linear_probe(
    train_features,
    y_train,
    test_features,
    y_test,
    n_labels: int,
    *,
    n_draws: int = 10,
    Cs=DEFAULT_CS,
    n_splits: int = 3,
    random_state=None,
    make_svm=LBFGSLinearSVC,
) -> dict:
    """Test accuracy of a linear SVM trained on ``n_labels`` balanced labels.

    Parameters
    ----------
    train_features, test_features : ndarray of shape (n, n_features)
        Features of the training pool and the test set.
    y_train, y_test : ndarray of shape (n,)
        Labels; only ``n_labels`` of ``y_train`` are used per draw.
    n_labels : int
        Labelled samples per draw, split evenly over the classes. When it
        equals ``len(y_train)`` all labels are used and one draw is made.
    n_draws : int, default=10
        Balanced draws to average over.
    Cs : sequence of float, default=DEFAULT_CS
        Candidate ``C`` values, chosen per draw by cross-validation on that
        draw's labels.
    n_splits : int, default=3
        Cross-validation folds for a draw; with all labels a single held-out
        sixth is used instead.
    random_state : int or None
        Seeds the draws and folds.
    make_svm : callable, default=LBFGSLinearSVC
        ``make_svm(C=...)`` returns an unfitted classifier (e.g.
        ``sklearn.svm.LinearSVC``). It must be an L2-penalised linear model,
        whose fit does not change under a rotation of the features (see Notes):
        not ``LinearSVC(penalty="l1")``, not a tree.

    Returns
    -------
    result : dict
        ``mean`` and ``std`` accuracy, per-draw ``scores`` and chosen ``Cs``.

    Notes
    -----
    A draw with fewer labelled rows ``n`` than features ``d`` is solved in
    ``n`` dimensions. LinearSVC's problem (squared hinge, ``|w|^2`` plus the
    intercept penalised as a feature of value 1) has its optimum ``w`` in
    the span of the training rows (representer theorem), and so does every
    cross-validation fold's, whose rows are some of the draw's. With ``Q``
    (d x n) an orthonormal basis of that span (QR of the draw's
    standardised rows), ``w = Q c`` gives ``|w| = |c|`` and the
    same margins ``x w = (x Q) c`` for every row ``x``, train or test. So
    the SVMs are fitted on the rows ``X Q`` and score the test rows
    ``test Q`` (each with a zero column, so that ``LinearSVC(dual="auto")``
    keeps the dual solver it picks for wide rows): the same objective,
    chosen ``C`` and test decisions up to solver tolerance, at the cost of
    a QR of ``n^2 d`` and a product of ``n_test n d`` instead of solves on
    ``n x d`` matrices. On 7168 random-weight discriminator features of
    MNIST (20000 training, 5000 test images, one CPU thread, 2 draws, 3 Cs)
    a probe took 4.6 s instead of 9.4 s with 100 labels and 17 s instead
    of 143 s with 1000 (``sklearn.svm.LinearSVC``; ``LBFGSLinearSVC``: 10
    s instead of 27 s and 45 s instead of 208 s), with the same chosen Cs
    and test accuracies within one test image.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgan.evaluation import linear_probe
    >>> X, y = load_digits(return_X_y=True)
    >>> r = linear_probe(X[:1000], y[:1000], X[1000:], y[1000:], 100, n_draws=2,
    ...                  random_state=0)
    >>> 0.7 < r["mean"] <= 1.0
    True
    """
    train_features, test_features = _standardize(
        np.asarray(train_features, dtype=np.float32), np.asarray(test_features, dtype=np.float32)
    )
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    rng = check_random_state(random_state)
    full = n_labels >= len(y_train)
    n_classes = len(np.unique(y_train))
    scores, chosen = [], []
    for _ in range(1 if full else n_draws):
        if full:
            index = np.arange(len(y_train))
        else:
            index = balanced_draw(y_train, n_labels // n_classes, rng)
        X, y, test = train_features[index], y_train[index], test_features
        if len(X) < X.shape[1]:
            X, test = _row_space_coordinates(X, test_features)
        C = select_C(X, y, Cs, 1 if full else n_splits, rng.randint(2**31 - 1), make_svm)
        scores.append(make_svm(C=C).fit(X, y).score(test, y_test))
        chosen.append(C)
    return {
        "mean": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "scores": [float(s) for s in scores],
        "Cs": chosen,
        "n_labels": int(n_labels),
    }


def holdout_probe(
    train_features,
    y_train,
    val_features,
    y_val,
    test_features,
    y_test,
    n_labels: int,
    *,
    n_draws: int = 10,
    Cs=DEFAULT_CS,
    random_state=None,
    make_svm=LBFGSLinearSVC,
) -> dict:
    """Test accuracy of a linear SVM whose ``C`` is chosen on a validation split.

    Each draw takes ``n_labels`` balanced labels of the training pool,
    fits one SVM per ``C`` on them (features standardised by the draw's
    statistics), keeps the ``C`` that scores best on the validation split,
    and scores the test set once, with that SVM. With all labels
    (``n_labels >= len(y_train)``) there is one draw, and the chosen ``C``
    is refitted on the training pool and the validation split together, so
    the column uses every label there is.

    Parameters
    ----------
    train_features, val_features, test_features : ndarray of shape (n, n_features)
        Features of the training pool, the validation split and the test set.
    y_train, y_val, y_test : ndarray of shape (n,)
        Their labels.
    n_labels : int
        Labelled training samples per draw, split evenly over the classes.
    n_draws : int, default=10
        Balanced draws to average over (one with all labels).
    Cs : sequence of float, default=DEFAULT_CS
        Candidate ``C`` values.
    random_state : int or None
        Seeds the draws.
    make_svm : callable, default=LBFGSLinearSVC
        ``make_svm(C=...)`` returns an unfitted classifier.

    Returns
    -------
    result : dict
        ``mean`` and ``std`` test accuracy, per-draw ``scores``, chosen
        ``Cs`` and each draw's ``validation`` accuracy per candidate.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import LinearSVC
    >>> from skgan.evaluation import holdout_probe
    >>> X, y = load_digits(return_X_y=True)
    >>> r = holdout_probe(X[:1000], y[:1000], X[1000:1300], y[1000:1300], X[1300:],
    ...                   y[1300:], 100, n_draws=2, Cs=(0.01, 1.0), random_state=0,
    ...                   make_svm=LinearSVC)
    >>> len(r["scores"]), 0.7 < r["mean"] <= 1.0
    (2, True)
    """
    rng = check_random_state(random_state)
    y_train = np.asarray(y_train)
    everything = n_labels >= len(y_train)
    n_classes = len(np.unique(y_train))
    scores, chosen, validation = [], [], []
    for _ in range(1 if everything else n_draws):
        draw = slice(None) if everything else balanced_draw(y_train, n_labels // n_classes, rng)
        X, X_val, X_test = _standardize(train_features[draw], val_features, test_features)
        if len(X) < X.shape[1] and not everything:
            # The same fits in the draw's row space (linear_probe's Notes), far faster.
            X, others = _row_space_coordinates(X, np.concatenate([X_val, X_test]))
            X_val, X_test = others[: len(X_val)], others[len(X_val) :]
        fitted = {C: make_svm(C=C).fit(X, y_train[draw]) for C in Cs}
        on_val = {C: float(svm.score(X_val, y_val)) for C, svm in fitted.items()}
        best = max(Cs, key=on_val.__getitem__)  # a tie keeps the earlier candidate
        svm = fitted[best]
        if everything:
            pool = np.concatenate([train_features, val_features])
            X, X_test = _standardize(pool, test_features)
            del fitted
            svm = make_svm(C=best).fit(X, np.concatenate([y_train, y_val]))
        scores.append(float(svm.score(X_test, y_test)))
        chosen.append(best)
        validation.append({str(C): score for C, score in on_val.items()})
    return {
        "mean": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "scores": scores,
        "Cs": chosen,
        "validation": validation,
    }


def nearest_neighbor_accuracy(
    train_features, y_train, test_features, y_test, *, batch_size: int = 1024
) -> float:
    """Test accuracy of the 1-nearest-neighbour classifier (Euclidean distance).

    Each test sample takes the label of its nearest training sample (the
    first one on ties). Distances are computed in float32 with PyTorch, one
    block of ``batch_size`` test samples at a time, so memory stays at the
    features plus ``batch_size * len(train_features)`` distances (60000 x
    7168 MNIST features fit easily). Features are used as given: standardise
    them first if their scales differ.

    Parameters
    ----------
    train_features, test_features : array-like of shape (n, n_features)
        Labelled reference features and features to classify.
    y_train, y_test : array-like of shape (n,)
        Their labels.
    batch_size : int, default=1024
        Test samples per block of distances.

    Returns
    -------
    accuracy : float
        Share of test samples whose nearest training sample has their label.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgan.evaluation import nearest_neighbor_accuracy
    >>> X, y = load_digits(return_X_y=True)
    >>> round(nearest_neighbor_accuracy(X[:1000], y[:1000], X[1000:], y[1000:]), 3)
    0.962
    """
    check_scalar(batch_size, "batch_size", numbers.Integral, min_val=1)
    train = torch.from_numpy(np.ascontiguousarray(train_features, dtype=np.float32))
    test = torch.from_numpy(np.ascontiguousarray(test_features, dtype=np.float32))
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if train.ndim != 2 or test.ndim != 2 or train.shape[1] != test.shape[1]:
        raise ValueError(
            f"train_features and test_features must be 2-D with the same number of "
            f"columns; got shapes {tuple(train.shape)} and {tuple(test.shape)}."
        )
    if len(y_train) != len(train) or len(y_test) != len(test):
        raise ValueError("y_train and y_test must have one label per row of their features.")
    squared_norms = train.square().sum(dim=1)
    nearest = np.empty(len(test), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(test), batch_size):
            block = test[start : start + batch_size]
            # |a - b|^2 = |a|^2 - 2 a.b + |b|^2; |a|^2 is the same for every candidate.
            distances = squared_norms - 2.0 * (block @ train.T)
            nearest[start : start + len(block)] = distances.argmin(dim=1).numpy()
    return float(np.mean(y_train[nearest] == y_test))


def clustering_accuracy(y_true, clusters) -> float:
    """Accuracy of cluster assignments under the best one-to-one cluster-to-class map.

    The map is found by the Hungarian algorithm on the contingency table
    (the usual clustering accuracy, e.g. of CatGAN's categories); clusters
    left without a class count as errors.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    clusters : array-like of shape (n_samples,)
        Cluster index (or any label) of each sample, e.g. ``transform(X).argmax(1)``
        with ``features="categories"``.

    Returns
    -------
    accuracy : float
        Share of samples whose cluster maps to their class.

    Examples
    --------
    >>> from skgan.evaluation import clustering_accuracy
    >>> clustering_accuracy([0, 0, 1, 1, 2], [5, 5, 3, 3, 3])  # 5 -> 0, 3 -> 1
    0.8
    """
    y_true, clusters = np.asarray(y_true), np.asarray(clusters)
    if y_true.shape != clusters.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and clusters must be 1-D of the same length; got shapes "
            f"{y_true.shape} and {clusters.shape}."
        )
    _, true_index = np.unique(y_true, return_inverse=True)
    _, cluster_index = np.unique(clusters, return_inverse=True)
    table = confusion_matrix(cluster_index, true_index)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return float(table[rows, columns].sum() / len(y_true))


def sample_quality(classifier, samples, y=None, *, threshold: float = 0.5) -> dict:
    """How many generated images a classifier of real images recognises, and of how many classes.

    A label-free check of a GAN's samples that needs no downloaded weights
    (unlike FID or the Inception score): fit any probabilistic classifier on
    *real* labelled images, then count the generated images it assigns to one
    class with probability at least ``threshold`` ("recognised"), and the
    classes those recognised images cover. Good samples are recognised
    about as often as held-out real images and cover every class; noise,
    flat images and collapsed generators are recognised rarely or cover one
    class.

    Parameters
    ----------
    classifier : fitted classifier with ``predict_proba`` and ``classes_``
        Trained on real images flattened to rows (``X.reshape(len(X), -1)``).
        Its confidence must fall off away from real images, or noise is
        "recognised" too: an RBF-kernel model does this (e.g.
        ``make_pipeline(Nystroem(...), LogisticRegression(C=10))`` or
        ``SVC(probability=True)``), a linear model or an MLP does not (see
        Notes).
    samples : array-like of shape (n_samples, ...)
        Generated images, e.g. ``GANFeatureExtractor.sample(n)``; each sample
        is flattened to one row.
    y : array-like of shape (n_samples,), default=None
        Intended class of each sample (e.g. the class requested from an
        AC-GAN, or the label of the image a reconstruction was made from).
        When given, ``"agreement"`` reports how many are recognised as it.
    threshold : float, default=0.5
        Smallest top-class probability that counts as recognised, in (0, 1].

    Returns
    -------
    quality : dict
        ``recognised`` (share of samples recognised), ``coverage`` (share of
        ``classifier.classes_`` with at least one recognised sample),
        ``class_counts`` (recognised samples per class, ordered as
        ``classifier.classes_``), ``mean_confidence`` (mean top-class
        probability), ``n_samples``, ``threshold``, and with ``y``,
        ``agreement`` (share of samples recognised as their ``y``).

    Raises
    ------
    TypeError
        If ``classifier`` has no ``predict_proba``, ``samples`` is not
        numeric or ``threshold`` is not a real number.
    ValueError
        If ``samples`` is empty, 1-D or not finite, ``y`` has the wrong length
        or a class the classifier does not know, or ``threshold`` is outside
        (0, 1]. An unfitted classifier raises sklearn's ``NotFittedError``
        (a ``ValueError``).

    Notes
    -----
    On scikit-learn's 8x8 digits (classifier fitted on 1257 training
    digits, threshold 0.5) ``Nystroem(gamma=1 / (64 * X.var()),
    n_components=1257)`` + ``LogisticRegression(C=10)`` recognised 98 % of
    the 540 held-out digits and 0 % of uniform noise, of a flat grey image
    and of DCGAN samples after 3 epochs, while a logistic regression on
    standardised pixels (``C=0.1``) recognised 82 % of uniform noise even at
    threshold 0.9, and an MLP (one hidden layer of 64) 100 % of the flat
    grey image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.kernel_approximation import Nystroem
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgan.evaluation import sample_quality
    >>> X, y = load_digits(return_X_y=True)
    >>> judge = make_pipeline(Nystroem(gamma=1 / (64 * X.var()), n_components=500,
    ...                                random_state=0),
    ...                       LogisticRegression(C=10, max_iter=2000)).fit(X[:1000], y[:1000])
    >>> sample_quality(judge, X[1000:])["recognised"] > 0.9
    True
    >>> noise = np.random.default_rng(0).uniform(0, 16, (100, 64))
    >>> sample_quality(judge, noise)["recognised"] < 0.05
    True
    """
    check_scalar(
        threshold, "threshold", numbers.Real, min_val=0, max_val=1, include_boundaries="right"
    )
    if not callable(getattr(classifier, "predict_proba", None)):
        raise TypeError(
            f"classifier must have a predict_proba method (a probabilistic classifier); "
            f"got {type(classifier).__name__}."
        )
    check_is_fitted(classifier)
    samples = np.asarray(samples)
    if samples.dtype.kind not in "biuf":
        raise TypeError(f"samples must be numeric; got an array of dtype {samples.dtype}.")
    if samples.ndim < 2 or len(samples) == 0:
        raise ValueError(
            f"samples must hold at least one sample, shaped (n_samples, ...) with one image "
            f"per row; got shape {samples.shape}."
        )
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain NaN or infinity.")
    classes = np.asarray(classifier.classes_)
    proba = np.asarray(classifier.predict_proba(samples.reshape(len(samples), -1)))
    if proba.shape != (len(samples), len(classes)):
        raise ValueError(
            f"classifier.predict_proba returned shape {proba.shape}; expected "
            f"{(len(samples), len(classes))}."
        )
    confidence = proba.max(axis=1)
    recognised = confidence >= threshold
    predicted = proba.argmax(axis=1)
    class_counts = np.bincount(predicted[recognised], minlength=len(classes))
    quality = {
        "recognised": float(recognised.mean()),
        "coverage": float(np.mean(class_counts > 0)),
        "class_counts": class_counts,
        "mean_confidence": float(confidence.mean()),
        "n_samples": len(samples),
        "threshold": float(threshold),
    }
    if y is not None:
        y = np.asarray(y)
        if y.shape != (len(samples),):
            raise ValueError(
                f"y must hold one label per sample, shape ({len(samples)},); got {y.shape}."
            )
        unknown = np.setdiff1d(y, classes)
        if len(unknown):
            raise ValueError(f"y holds labels the classifier does not know: {unknown[:5]}.")
        quality["agreement"] = float(np.mean(recognised & (classes[predicted] == y)))
    return quality
