"""Scaling out on one machine: data-parallel processes and a Dask grid search.

* Accelerate: ``fit`` for ``--epochs`` epochs on ``--n-train`` MNIST images in
  1 process (all cores) and in 2 CPU processes (gloo, the cores shared out,
  started by ``torchrun`` running ``distributed_fit.py``). Reports the training
  images/s from ``history_`` and checks that both processes end identical.
* Dask: ``GridSearchCV`` (4 candidates x 2 folds, ``--n-search`` MNIST images)
  run locally with ``n_jobs=1`` and on a ``LocalCluster`` of 2 one-thread
  workers through joblib's dask backend; wall time and whether the scores match.

    python benchmarks/scaling.py [--n-train 10000] [--epochs 1] [--n-search 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import DEFAULT_MNIST, RESULTS, args_record, commit_note, machine, write_results
from distributed_fit import launch
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist

PARAMS = dict(random_state=0, device="cpu")


def accelerate_rows(args) -> dict:
    X, _ = load_mnist(args.data_home, split="train")
    gan = GANFeatureExtractor(**{**PARAMS, "n_epochs": args.epochs}).fit(X[: args.n_train])
    with tempfile.TemporaryDirectory() as out:
        ranks = launch(
            out, 2, "--data", "mnist", "--data-home", str(args.data_home),
            "--n-train", str(args.n_train), "--n-epochs", str(args.epochs),
            "--width", "64", "--batch-size", "128", "--processes-share-cores",
        )  # fmt: skip
    identical = all(
        torch.equal(ranks[0]["discriminator"][k], ranks[1]["discriminator"][k])
        for k in ranks[0]["discriminator"]
    )
    # 2 processes x batch 128 drop the last incomplete global batch of 256.
    trained = args.n_train // 256 * 256
    slowest = max(sum(row["dur"] for row in r["history"]) for r in ranks)
    return {
        "1 process": args.n_train * args.epochs / sum(gan.history_[:, "dur"]),
        "2 processes": trained * args.epochs / slowest,
        "ranks_identical": identical,
    }


def dask_rows(args) -> dict:
    import distributed

    X, y = load_mnist(args.data_home, split="train")
    X, y = X[: args.n_search], y[: args.n_search]
    pipe = Pipeline(
        [
            ("gan", GANFeatureExtractor(**{**PARAMS, "width": 16, "n_epochs": 1})),
            ("svm", LinearSVC(C=0.01)),
        ]
    )
    grid = {"gan__tap": ["activation", "conv"], "gan__pooling": ["max", "avg"]}
    start = time.perf_counter()
    local = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    local_s = time.perf_counter() - start
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        start = time.perf_counter()
        remote = GridSearchCV(pipe, grid, cv=2, n_jobs=-1).fit(X, y)
        dask_s = time.perf_counter() - start
    return {
        "local n_jobs=1 (s)": local_s,
        "dask 2 workers (s)": dask_s,
        "scores_match": bool(
            np.allclose(local.cv_results_["mean_test_score"], remote.cv_results_["mean_test_score"])
        ),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--n-search", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    payload = {
        "machine": machine("cpu"),
        "args": args_record(args),
        "accelerate_images_per_s": accelerate_rows(args),
        "dask_grid_search": dask_rows(args),
        "load_average_1min": [load_before, os.getloadavg()[0]],
    }
    acc, dask = payload["accelerate_images_per_s"], payload["dask_grid_search"]
    lines = [
        "# Scaling out on one CPU machine",
        "",
        f"Machine: {payload['machine']['cpu']} ({payload['machine']['cpu_cores']} "
        f"cores), device cpu.{commit_note(payload['machine'])}",
        "",
        f"Data-parallel `fit` (Accelerate, gloo), {args.n_train} MNIST images, "
        f"{args.epochs} epoch(s), batch 128 per process:",
        "",
        "| processes | training images/s |",
        "|---|---:|",
        f"| 1 (all cores) | {acc['1 process']:.0f} |",
        f"| 2 (cores shared out) | {acc['2 processes']:.0f} |",
        "",
        f"Both processes ended with identical weights: {acc['ranks_identical']}.",
        "",
        f"`GridSearchCV`, 4 candidates x 2 folds on {args.n_search} MNIST images:",
        "",
        "| run | seconds |",
        "|---|---:|",
        f"| local, n_jobs=1 | {dask['local n_jobs=1 (s)']:.1f} |",
        f"| Dask LocalCluster, 2 one-thread workers | {dask['dask 2 workers (s)']:.1f} |",
        "",
        f"Same cross-validation scores: {dask['scores_match']}.",
        "",
        f"1-minute load average at start and end: {load_before:.1f}, "
        f"{payload['load_average_1min'][1]:.1f} (above the core count means other jobs "
        f"shared the CPU).",
    ]
    write_results("scaling-cpu", payload, "\n".join(lines) + "\n", args.out or RESULTS)


if __name__ == "__main__":
    main()
