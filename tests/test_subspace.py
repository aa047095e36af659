import copy

import numpy as np
import pytest
from conftest import TINY

from skgan import GANFeatureExtractor
from skgan._subspace import chance_threshold, project, real_fake_subspace


@pytest.fixture(scope="module")
def with_basis(digits):
    """A tiny extractor fitted with subspace="complement" (do not mutate)."""
    return GANFeatureExtractor(**TINY, subspace="complement", n_subspace_directions=4).fit(
        digits[0]
    )


def clone_with(fitted, **params):
    """A copy of a fitted extractor with other parameters (the fixture stays untouched)."""
    return copy.deepcopy(fitted).set_params(**params)


def _rows(rng, shift, n=500, n_train=400, width=6):
    """Real / generated rows that differ only along the first axis, in fit/held-out blocks."""
    real, fake = rng.normal(size=(2, n, width)).astype(np.float32)
    fake[:, 0] += shift
    return np.concatenate([real[:n_train], fake[:n_train], real[n_train:], fake[n_train:]])


def test_basis_is_orthonormal_and_projections_split_the_features(with_basis, digits):
    X, _ = digits
    basis = with_basis.subspace_basis_
    assert basis.shape == (8 * 16, 4) and basis.dtype == np.float32
    np.testing.assert_allclose(basis.T @ basis, np.eye(4), atol=1e-6)
    complement = with_basis.transform(X)
    discriminative = clone_with(with_basis, subspace="discriminative").transform(X)
    original = clone_with(with_basis, subspace=None).transform(X)
    scale = np.abs(original).max()
    np.testing.assert_allclose(complement @ basis, 0, atol=1e-6 * scale)
    np.testing.assert_allclose(complement + discriminative, original, atol=1e-6 * scale)
    # The discriminative part lies in the span: projecting it again changes nothing.
    np.testing.assert_allclose(
        project(discriminative, basis, "discriminative"), discriminative, atol=1e-6 * scale
    )
    assert not np.allclose(complement, original)
    names = with_basis.get_feature_names_out()
    assert len(names) == complement.shape[1] == discriminative.shape[1]


def test_scores_are_recorded_per_removed_direction(with_basis):
    scores = with_basis.subspace_scores_
    assert len(scores) == with_basis.subspace_basis_.shape[1] + 1
    assert all(0 <= s <= 1 for s in scores)
    assert with_basis.subspace_readout_ == {
        "layers": [0],
        "tap": "activation",
        "pool_size": 4,
        "pooling": "max",
    }


def test_search_stops_near_chance_and_finds_the_separating_axis(rng):
    rows = _rows(rng, shift=3.0)
    basis, scores = real_fake_subspace(rows.copy(), 400, n_directions=5)
    assert basis.shape == (6, 1)
    assert abs(basis[0, 0]) > 0.95
    assert scores[0] > 0.85 and scores[-1] <= chance_threshold(100)


def test_search_stops_at_once_when_nothing_separates(rng):
    basis, scores = real_fake_subspace(_rows(rng, shift=0.0), 400, n_directions=5)
    assert basis.shape == (6, 0) and len(scores) == 1
    np.testing.assert_array_equal(project(np.ones((2, 6)), basis, "complement"), np.ones((2, 6)))


def test_search_stops_after_n_directions(rng):
    # Shifted along two axes with unequal noise, the best classifier leans on the quiet
    # axis: after removing its direction, the other axis still separates.
    real, fake = rng.normal(size=(2, 500, 6)).astype(np.float32)
    real[:, 1] *= 0.2
    fake[:, 1] *= 0.2
    fake[:, :2] += 3.0
    rows = np.concatenate([real[:400], fake[:400], real[400:], fake[400:]])
    basis, scores = real_fake_subspace(rows.copy(), 400, n_directions=1)
    assert basis.shape == (6, 1) and len(scores) == 2
    assert scores[-1] > chance_threshold(100)
    basis, scores = real_fake_subspace(rows, 400, n_directions=5)
    assert basis.shape == (6, 2) and scores[-1] <= chance_threshold(100)
    # Together the two directions span the two shifted axes.
    assert (np.linalg.norm(basis[:2], axis=1) > 0.95).all()


def test_rows_are_projected_in_place(rng):
    rows = _rows(rng, shift=3.0)
    basis, _ = real_fake_subspace(rows, 400, n_directions=1)
    np.testing.assert_allclose(rows @ basis, 0, atol=1e-5)


def test_fit_subspace_is_deterministic_under_random_state(with_basis, digits):
    X, _ = digits
    again = clone_with(with_basis).fit_subspace(X)
    np.testing.assert_array_equal(again.subspace_basis_, with_basis.subspace_basis_)
    assert again.subspace_scores_ == with_basis.subspace_scores_
    other = clone_with(with_basis, random_state=1).fit_subspace(X)
    assert not np.array_equal(other.subspace_basis_, with_basis.subspace_basis_)


def test_transform_refuses_a_basis_of_another_readout(with_basis, digits):
    X, _ = digits
    est = clone_with(with_basis, tap="conv")
    with pytest.raises(ValueError, match="read-out is now .*'tap': 'conv'.*fit_subspace"):
        est.transform(X)
    est.fit_subspace(X)
    assert est.subspace_readout_["tap"] == "conv"
    assert est.transform(X).shape == (len(X), 8 * 16)
    est.set_params(subspace=None, tap="activation")
    np.testing.assert_array_equal(
        est.transform(X), clone_with(with_basis, subspace=None).transform(X)
    )


def test_subspace_without_a_basis_and_bad_parameters_are_refused(fitted, digits):
    X, _ = digits
    with pytest.raises(ValueError, match="call fit_subspace"):
        clone_with(fitted, subspace="complement").transform(X)
    with pytest.raises(ValueError, match="subspace must be None, 'complement' or"):
        clone_with(fitted, subspace="orthogonal").transform(X)
    with pytest.raises(ValueError, match="n_subspace_directions"):
        clone_with(fitted, n_subspace_directions=0).fit_subspace(X)
    with pytest.raises(ValueError, match="at least 2 images"):
        clone_with(fitted).fit_subspace(X[:1])


def test_refit_drops_the_old_basis(with_basis, digits):
    est = clone_with(with_basis, subspace=None).fit(digits[0])
    assert not hasattr(est, "subspace_basis_")


def test_basis_survives_save_and_load(with_basis, digits, tmp_path):
    X, _ = digits
    with_basis.save(tmp_path / "m.skgan")
    restored = GANFeatureExtractor.load(tmp_path / "m.skgan")
    np.testing.assert_array_equal(restored.subspace_basis_, with_basis.subspace_basis_)
    assert restored.subspace_scores_ == with_basis.subspace_scores_
    assert restored.subspace_readout_ == with_basis.subspace_readout_
    np.testing.assert_array_equal(restored.transform(X), with_basis.transform(X))


def test_bf16_transform_projects_in_float32(with_basis, digits):
    X, _ = digits
    basis = with_basis.subspace_basis_
    original = clone_with(with_basis, subspace=None, precision="bf16").transform(X)
    scale = np.abs(original).max()
    for subspace in ("complement", "discriminative"):
        # Used to raise "Got unsupported ScalarType BFloat16" (discriminative) or
        # leave a bf16-sized residual along the basis (complement).
        projected = clone_with(with_basis, subspace=subspace, precision="bf16").transform(X)
        assert projected.dtype == np.float32
        expected = project(original.astype(np.float64), basis.astype(np.float64), subspace)
        np.testing.assert_allclose(projected, expected, atol=1e-6 * scale)
