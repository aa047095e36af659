import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from skgan import evaluation
from skgan.evaluation import (
    LBFGSLinearSVC,
    _row_space_coordinates,
    _signed_targets,
    _standardize,
    balanced_draw,
    clustering_accuracy,
    linear_probe,
    nearest_neighbor_accuracy,
    sample_quality,
    select_C,
    squared_hinge_objective,
)


@pytest.fixture(scope="module")
def scaled_digits():
    X, y = load_digits(return_X_y=True)
    return (X - X.mean(0)) / (X.std(0) + 1e-9), y


@pytest.mark.parametrize("C", [1e-3, 0.1])
@pytest.mark.parametrize("n_classes", [2, 10])
def test_lbfgs_solves_linearsvc_objective(scaled_digits, C, n_classes):
    X, y = scaled_digits
    keep = y < n_classes
    X, y = X[keep][:600], y[keep][:600]
    ours = LBFGSLinearSVC(C=C, tol=1e-9, max_iter=3000, dtype="float64").fit(X, y)
    ref = LinearSVC(C=C, tol=1e-8, max_iter=100000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape
    signed = _signed_targets(np.searchsorted(ref.classes_, y), n_classes)
    ours_obj = squared_hinge_objective(ours.coef_, ours.intercept_, X, signed, C)
    ref_obj = squared_hinge_objective(ref.coef_, ref.intercept_, X, signed, C)
    np.testing.assert_allclose(ours_obj, ref_obj, rtol=1e-5)
    assert (ours.predict(X) == ref.predict(X)).mean() > 0.99


def test_lbfgs_rejects_bad_input():
    with pytest.raises(ValueError, match="2 classes"):
        LBFGSLinearSVC().fit(np.ones((3, 2)), [1, 1, 1])
    with pytest.raises(ValueError, match="C"):
        LBFGSLinearSVC(C=0).fit(np.ones((3, 2)), [0, 1, 1])


def test_balanced_draw_takes_distinct_samples_per_class():
    y = np.repeat(np.arange(4), [5, 6, 7, 8])
    index = balanced_draw(y, 5, random_state=0)
    assert len(set(index)) == 20
    np.testing.assert_array_equal(np.bincount(y[index]), [5, 5, 5, 5])
    with pytest.raises(ValueError, match="class 0 has 5 samples; 6"):
        balanced_draw(y, 6)


def test_linear_probe_reports_draws_and_uses_all_labels_once(scaled_digits):
    X, y = scaled_digits
    few = linear_probe(X[:1000], y[:1000], X[1000:], y[1000:], 50, n_draws=3, random_state=0)
    assert len(few["scores"]) == 3 and few["n_labels"] == 50
    assert 0.5 < few["mean"] < 1.0 and few["std"] >= 0
    full = linear_probe(
        X[:1000], y[:1000], X[1000:], y[1000:], 1000, random_state=0, make_svm=LinearSVC
    )
    assert len(full["scores"]) == 1 and full["mean"] > few["mean"]


@pytest.fixture(scope="module")
def wide_digits():
    """Random ReLU features of digits: 2000 columns of full rank, more than any draw's rows."""
    X, y = load_digits(return_X_y=True)
    weights = np.random.default_rng(0).standard_normal((64, 2000)) / 8
    features = np.maximum(X / 16 @ weights, 0.0).astype(np.float32)
    return features[:1000], y[:1000], features[1000:], y[1000:]


def _tight_liblinear(C):
    return LinearSVC(C=C, tol=1e-8, max_iter=100000)


def test_row_space_coordinates_keep_every_inner_product_with_the_rows(wide_digits):
    X, _, test, _ = wide_digits
    Xs, test_s = _standardize(X, test)
    Xs = Xs[:60]
    coords, test_coords = _row_space_coordinates(Xs, test_s)
    # One column more than rows, so that LinearSVC(dual="auto") still picks its dual solver.
    assert coords.shape == (60, 61) and test_coords.shape == (len(test), 61)
    scale = np.abs(Xs @ Xs.T).max()
    np.testing.assert_allclose(coords @ coords.T, Xs @ Xs.T, atol=1e-5 * scale)
    np.testing.assert_allclose(test_coords @ coords.T, test_s @ Xs.T, atol=1e-5 * scale)
    # Test rows are not in the row space: only their projection onto it is kept.
    assert (test_coords**2).sum() < 0.9 * (test_s**2).sum()


@pytest.mark.parametrize("C", [1e-3, 0.1])
def test_svm_in_row_space_coordinates_solves_the_full_problem(wide_digits, C):
    X, y, test, _ = wide_digits
    Xs, test_s = _standardize(X, test)
    Xs, ys = Xs[:80], y[:80]
    coords, test_coords = _row_space_coordinates(Xs, test_s)
    full = _tight_liblinear(C).fit(Xs, ys)
    small = _tight_liblinear(C).fit(coords, ys)
    signed = _signed_targets(np.searchsorted(full.classes_, ys), len(full.classes_))
    full_obj = squared_hinge_objective(full.coef_, full.intercept_, Xs, signed, C)
    small_obj = squared_hinge_objective(small.coef_, small.intercept_, coords, signed, C)
    np.testing.assert_allclose(small_obj, full_obj, rtol=1e-5)
    np.testing.assert_allclose(
        small.decision_function(test_coords), full.decision_function(test_s), atol=1e-4
    )


@pytest.mark.parametrize("make_svm", [_tight_liblinear, LBFGSLinearSVC])
@pytest.mark.parametrize("n_labels", [50, 100])
def test_linear_probe_in_row_space_matches_the_plain_solve(
    wide_digits, monkeypatch, make_svm, n_labels
):
    calls = []

    def spy(X, test_features):
        calls.append(X.shape)
        return _row_space_coordinates(X, test_features)

    kwargs = dict(n_draws=3, Cs=(1e-3, 1e-2, 1e-1), random_state=0, make_svm=make_svm)
    monkeypatch.setattr(evaluation, "_row_space_coordinates", spy)
    fast = linear_probe(*wide_digits, n_labels, **kwargs)
    assert calls == [(n_labels, 2000)] * 3
    monkeypatch.setattr(evaluation, "_row_space_coordinates", lambda X, test: (X, test))
    plain = linear_probe(*wide_digits, n_labels, **kwargs)
    assert fast["Cs"] == plain["Cs"]
    # One test digit of 797 may flip where L-BFGS stops at its float32 tolerance.
    np.testing.assert_allclose(fast["scores"], plain["scores"], atol=1.5 / 797)
    assert fast["mean"] > 0.6


def test_linear_probe_keeps_the_features_with_more_rows_than_features(scaled_digits, monkeypatch):
    def refuse(X, test_features):
        raise AssertionError("no projection expected")

    monkeypatch.setattr(evaluation, "_row_space_coordinates", refuse)
    X, y = scaled_digits
    result = linear_probe(X[:1000], y[:1000], X[1000:], y[1000:], 100, n_draws=1, random_state=0)
    assert result["mean"] > 0.7


@pytest.mark.parametrize("batch_size", [1, 7, 1024])
def test_nearest_neighbor_matches_sklearn_for_any_batch_size(batch_size):
    X, y = load_digits(return_X_y=True)
    # Integer pixel values: float32 distances are exact, so predictions must agree.
    ours = nearest_neighbor_accuracy(
        X[:600], y[:600], X[600:900], y[600:900], batch_size=batch_size
    )
    ref = KNeighborsClassifier(1).fit(X[:600], y[:600]).score(X[600:900], y[600:900])
    assert ours == ref and ours > 0.9


def test_nearest_neighbor_takes_the_closest_label():
    train = np.array([[0.0, 0.0], [10.0, 0.0]])
    test = np.array([[1.0, 0.0], [9.0, 1.0], [4.0, 0.0]])
    assert nearest_neighbor_accuracy(train, ["a", "b"], test, ["a", "b", "b"]) == pytest.approx(
        2 / 3
    )


def test_nearest_neighbor_rejects_mismatched_input():
    with pytest.raises(ValueError, match="same number of columns"):
        nearest_neighbor_accuracy(np.ones((3, 2)), [0, 1, 2], np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="one label per row"):
        nearest_neighbor_accuracy(np.ones((3, 2)), [0, 1], np.ones((2, 2)), [0, 1])
    with pytest.raises(ValueError, match="batch_size"):
        nearest_neighbor_accuracy(np.ones((3, 2)), [0, 1, 2], np.ones((2, 2)), [0, 1], batch_size=0)


def test_select_c_with_one_candidate_fits_nothing():
    def refuse(C):
        raise AssertionError("no fit expected")

    assert select_C(np.ones((6, 2)), [0, 1] * 3, Cs=(0.5,), make_svm=refuse) == 0.5


def test_clustering_accuracy_finds_the_best_matching():
    y = np.repeat([0, 1, 2], 4)
    renamed = np.repeat([7, 3, 5], 4)
    assert clustering_accuracy(y, renamed) == 1.0
    merged = np.repeat([1, 1, 2], 4)  # two classes in one cluster: one of them is lost
    assert clustering_accuracy(y, merged) == pytest.approx(8 / 12)
    more_clusters = np.arange(12) % 6  # 6 clusters for 3 classes
    assert 0 < clustering_accuracy(y, more_clusters) <= 0.5
    with pytest.raises(ValueError, match="same length"):
        clustering_accuracy(y, y[:3])


@pytest.fixture(scope="module")
def digit_judge():
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = load_digits(return_X_y=True)
    judge = make_pipeline(
        Nystroem(gamma=1 / (64 * X[:1000].var()), n_components=500, random_state=0),
        LogisticRegression(C=10, max_iter=2000),
    ).fit(X[:1000], y[:1000])
    return judge, X[1000:].reshape(-1, 8, 8), y[1000:]


def test_sample_quality_recognises_real_digits_and_rejects_noise(digit_judge):
    judge, X, y = digit_judge
    real = sample_quality(judge, X, y)
    assert real["recognised"] > 0.9 and real["coverage"] == 1.0
    assert real["agreement"] > 0.9 and real["n_samples"] == len(X)
    assert real["class_counts"].sum() == round(real["recognised"] * len(X))
    rng = np.random.default_rng(0)
    noise = sample_quality(judge, rng.uniform(0, 16, (200, 8, 8)))
    assert noise["recognised"] < 0.05
    flat = sample_quality(judge, np.full((20, 8, 8), 5.0))
    assert flat["recognised"] == 0.0 and flat["coverage"] == 0.0


def test_sample_quality_flags_a_collapsed_generator_by_coverage(digit_judge):
    judge, X, y = digit_judge
    zeros = X[y == 0][:50]  # real, recognisable, but all one class
    quality = sample_quality(judge, zeros)
    assert quality["recognised"] > 0.9 and quality["coverage"] == pytest.approx(0.1)
    assert np.flatnonzero(quality["class_counts"]).tolist() == [0]


def test_sample_quality_agreement_counts_only_the_intended_class(digit_judge):
    judge, X, y = digit_judge
    wrong = (y + 1) % 10
    assert sample_quality(judge, X, wrong)["agreement"] < 0.05
    assert (
        sample_quality(judge, X, y, threshold=1.0)["recognised"]
        < sample_quality(judge, X, y)["recognised"]
    )


def test_sample_quality_rejects_bad_input(digit_judge):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    judge, X, y = digit_judge
    with pytest.raises(TypeError, match="predict_proba"):
        sample_quality(LinearSVC().fit(X.reshape(len(X), -1), y), X)
    with pytest.raises(NotFittedError):
        sample_quality(LogisticRegression(), X)
    with pytest.raises(TypeError, match="numeric"):
        sample_quality(judge, np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="at least one sample"):
        sample_quality(judge, np.ones(64))
    with pytest.raises(ValueError, match="at least one sample"):
        sample_quality(judge, np.ones((0, 8, 8)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        sample_quality(judge, np.full((2, 8, 8), np.nan))
    with pytest.raises(ValueError, match="one label per sample"):
        sample_quality(judge, X, y[:3])
    with pytest.raises(ValueError, match="does not know"):
        sample_quality(judge, X[:2], [0, 42])
    with pytest.raises(ValueError, match="threshold"):
        sample_quality(judge, X, threshold=0.0)
    with pytest.raises(TypeError, match="threshold"):
        sample_quality(judge, X, threshold="high")
    with pytest.raises(ValueError, match="expected"):
        sample_quality(_BadProba().fit(), X)


class _BadProba(ClassifierMixin, BaseEstimator):
    """Claims 10 classes but returns probabilities of 3."""

    def fit(self):
        self.classes_ = np.arange(10)
        return self

    def predict_proba(self, X):
        return np.ones((len(X), 3)) / 3


class Recorder(ClassifierMixin, BaseEstimator):
    """A LinearSVC that logs each C it is fitted with and how many rows it saw."""

    log: list = []

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        self.log.append((self.C, len(X)))
        self.svm_ = LinearSVC(C=self.C).fit(X, y)
        self.classes_ = self.svm_.classes_
        return self

    def predict(self, X):
        return self.svm_.predict(X)


def test_holdout_probe_chooses_c_on_validation_and_scores_test_once(scaled_digits):
    X, y = scaled_digits
    Recorder.log = []
    result = evaluation.holdout_probe(
        X[:1000], y[:1000], X[1000:1300], y[1000:1300], X[1300:], y[1300:], 100,
        n_draws=2, Cs=(1e-4, 1.0), random_state=0, make_svm=Recorder,
    )  # fmt: skip
    # Each draw keeps the C that scored best on the validation split.
    assert [sorted(v) for v in result["validation"]] == [["0.0001", "1.0"]] * 2
    assert result["Cs"] == [float(max(v, key=v.get)) for v in result["validation"]]
    # Two candidates per draw, no refit: the chosen SVM scores the test set.
    assert Recorder.log == [(1e-4, 100), (1.0, 100)] * 2
    draw = balanced_draw(y[:1000], 10, np.random.RandomState(0))
    Xs, Xt = _standardize(X[draw], X[1300:])
    expected = LinearSVC(C=result["Cs"][0]).fit(Xs, y[draw]).score(Xt, y[1300:])
    assert result["scores"][0] == pytest.approx(expected, abs=2 / len(Xt))


def test_holdout_probe_refits_all_labels_on_pool_and_validation(scaled_digits):
    X, y = scaled_digits
    Recorder.log = []
    result = evaluation.holdout_probe(
        X[:600], y[:600], X[600:900], y[600:900], X[900:], y[900:], 600,
        Cs=(1e-3, 1e-2), random_state=0, make_svm=Recorder,
    )  # fmt: skip
    assert len(result["scores"]) == 1
    assert Recorder.log == [(1e-3, 600), (1e-2, 600), (result["Cs"][0], 900)]
