"""GridSearchCV over a Dask cluster through joblib's "dask" backend."""

import numpy as np
import pytest
from conftest import TINY
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor

distributed = pytest.importorskip("distributed")


def test_grid_search_runs_on_a_dask_cluster_like_it_runs_locally(digits):
    X, y = digits
    pipe = Pipeline([("gan", GANFeatureExtractor(**TINY)), ("svm", LinearSVC(C=0.01))])
    grid = {"gan__tap": ["activation", "conv"], "gan__pooling": ["max", "avg"]}
    local = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        parallel_backend("dask"),
    ):
        with distributed.get_task_stream(client) as tasks:
            remote = GridSearchCV(pipe, grid, cv=2, n_jobs=-1).fit(X, y)
    # The 4 candidates x 2 folds ran as tasks on both workers.
    assert len(tasks.data) >= 8
    assert len({task["worker"] for task in tasks.data}) == 2
    # Seeded CPU fits are deterministic, so the workers reproduce the local scores.
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
