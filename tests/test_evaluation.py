import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from skgan.evaluation import (
    LBFGSLinearSVC,
    _signed_targets,
    balanced_draw,
    clustering_accuracy,
    linear_probe,
    nearest_neighbor_accuracy,
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
