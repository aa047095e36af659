"""MNIST linear probe: raw pixels vs random-weight D vs trained DCGAN D.

Fits GANFeatureExtractor on the 60000 MNIST training images (no labels), then
scores a linear SVM on each feature set with 60000, 1000 and 100 labels
(1000 / 100: mean and std over balanced draws; C chosen by cross-validation
on each draw's labels, or on a held-out sixth with all labels). All three
rows come from this one run with the same protocol (``skgan.evaluation``).

The SVM is :class:`skgan.evaluation.LBFGSLinearSVC`, which solves LinearSVC's
own objective; the script checks that on a subset of the trained features
(objective values and test predictions against ``sklearn.svm.LinearSVC``).

Usage::

    python benchmarks/mnist_linear_probe.py                # full run (CPU: ~1 h)
    python benchmarks/mnist_linear_probe.py --n-train 3000 --n-epochs 1 --n-draws 2 \
        --out /tmp/quick                                   # smoke run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_MNIST, RESULTS, args_record, machine, peak_rss_mb, timed, write_results
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan._extractor import resolve_device
from skgan.datasets import load_mnist
from skgan.evaluation import (
    LBFGSLinearSVC,
    _signed_targets,
    _standardize,
    linear_probe,
    squared_hinge_objective,
)

LABEL_COUNTS = (60000, 1000, 100)
#: C grid of every column (accuracy varied by < 0.1 % over it in trial runs).
CS = (1e-3, 1e-2, 1e-1)
#: Up to this many labels the probe uses sklearn's LinearSVC itself.
LIBLINEAR_MAX_LABELS = 5000


def extract(name: str, estimator, X_train, X_test, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``estimator`` on X_train (no labels); time fit and transform."""
    record = rows.setdefault(name, {})
    with timed(record, "fit_seconds"):
        estimator.fit(X_train)
    with timed(record, "transform_seconds"):
        F_train = estimator.transform(X_train)
        F_test = estimator.transform(X_test)
    n_epochs = estimator.n_epochs
    train_seconds = float(sum(estimator.history_[:, "dur"])) if n_epochs else 0.0
    record.update(
        n_features=int(F_train.shape[1]),
        train_loop_seconds=train_seconds,
        train_images_per_s=(n_epochs * len(X_train) / train_seconds) if n_epochs else None,
        transform_images_per_s=(len(X_train) + len(X_test)) / record["transform_seconds"],
        peak_rss_mb_after=peak_rss_mb(),
        history=[
            {k: row[k] for k in ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "dur")}
            for row in estimator.history_
        ],
    )
    print(f"{name}: {F_train.shape[1]} features, fit {record['fit_seconds']:.1f} s", flush=True)
    return F_train, F_test


def make_svm(n_labels: int, max_iter: int):
    """liblinear's LinearSVC for few labels; its objective by L-BFGS for many."""
    if n_labels <= LIBLINEAR_MAX_LABELS:
        return LinearSVC
    return lambda C: LBFGSLinearSVC(C=C, max_iter=max_iter)


def probe(name, F_train, y_train, F_test, y_test, args, rows) -> None:
    for n_labels in args.labels:
        n_labels = min(n_labels, len(y_train))
        start = time.perf_counter()
        result = linear_probe(
            F_train,
            y_train,
            F_test,
            y_test,
            n_labels,
            n_draws=args.n_draws,
            Cs=CS,
            random_state=args.seed,
            make_svm=make_svm(n_labels, args.max_iter),
        )
        result["seconds"] = time.perf_counter() - start
        rows[name].setdefault("probe", {})[str(n_labels)] = result
        print(
            f"  {name} {n_labels} labels: {100 * result['mean']:.2f} ± "
            f"{100 * result['std']:.2f} % ({result['seconds']:.0f} s)",
            flush=True,
        )


def verify_solver(F_train, y_train, F_test, y_test, n=3000, C=1e-2) -> dict:
    """LBFGSLinearSVC vs sklearn's LinearSVC on a subset: same objective and predictions?"""
    Xs, Xt = _standardize(F_train[:n], F_test)
    ys = y_train[:n]
    ours = LBFGSLinearSVC(C=C, max_iter=2000, tol=1e-8, dtype="float64").fit(Xs, ys)
    ref = LinearSVC(C=C, tol=1e-6, max_iter=20000).fit(Xs, ys)
    signed = _signed_targets(np.searchsorted(ref.classes_, ys), len(ref.classes_))
    X64 = Xs.astype(np.float64)
    obj_ours = squared_hinge_objective(ours.coef_, ours.intercept_, X64, signed, C)
    obj_ref = squared_hinge_objective(ref.coef_, ref.intercept_, X64, signed, C)
    return {
        "n_samples": n,
        "n_features": int(Xs.shape[1]),
        "C": C,
        "objective_lbfgs": float(obj_ours.sum()),
        "objective_liblinear": float(obj_ref.sum()),
        "max_relative_objective_gap": float(np.max((obj_ours - obj_ref) / obj_ref)),
        "test_prediction_agreement": float((ours.predict(Xt) == ref.predict(Xt)).mean()),
        "test_accuracy_lbfgs": float(ours.score(Xt, y_test)),
        "test_accuracy_liblinear": float(ref.score(Xt, y_test)),
    }


def markdown(payload: dict) -> str:
    m, rows = payload["machine"], payload["rows"]
    labels = list(next(iter(rows.values()))["probe"])
    lines = [
        "# MNIST linear probe",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `{m['device']}`{' (' + m['gpu'] + ')' if 'gpu' in m else ''}; "
        f"torch {m['torch']}, sklearn {m['sklearn']}; {m['date']}.",
        f"GAN: {payload['args']['n_epochs']} epochs on {payload['n_train']} training images; "
        f"test on {payload['n_test']}. SVM: sklearn's LinearSVC up to {LIBLINEAR_MAX_LABELS} "
        f"labels, its objective by L-BFGS (at most {payload['args']['max_iter']} iterations) "
        f"above; C in {CS} by 3-fold CV on each draw's labels (one held-out sixth with all "
        f"labels); features standardised. Few-label columns: mean ± std over "
        f"{payload['args']['n_draws']} balanced draws.",
        "",
        "| features | dims | "
        + " | ".join(f"{n} labels" for n in labels)
        + " | fit s | train img/s | transform img/s |",
        "|---|---:|" + "---:|" * len(labels) + "---:|---:|---:|",
    ]
    for name, row in rows.items():
        cells = []
        for n in labels:
            result = row["probe"][n]
            std = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
            cells.append(f"{100 * result['mean']:.2f}{std}")
        ips = row.get("train_images_per_s")
        timing = [
            f"{row['fit_seconds']:.1f}" if "fit_seconds" in row else "-",
            f"{ips:.0f}" if ips else "-",
            f"{row['transform_images_per_s']:.0f}" if "transform_images_per_s" in row else "-",
        ]
        lines.append(f"| {name} | {row['n_features']} | " + " | ".join(cells + timing) + " |")
    v = payload["solver_check"]
    lines += [
        "",
        f"Solver check ({v['n_samples']} samples x {v['n_features']} trained-D features, "
        f"C={v['C']}): objective L-BFGS {v['objective_lbfgs']:.6g} vs liblinear "
        f"{v['objective_liblinear']:.6g} (max relative gap {v['max_relative_objective_gap']:.2e}); "
        f"test predictions agree on {100 * v['test_prediction_agreement']:.2f} %.",
        f"Peak RSS of the run: {payload['peak_rss_mb']:.0f} MiB. Total {payload['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-epochs", type=int, default=10)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-draws", type=int, default=10)
    parser.add_argument("--labels", type=int, nargs="+", default=list(LABEL_COUNTS))
    parser.add_argument(
        "--max-iter", type=int, default=100, help="L-BFGS iterations for the many-label column"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    device = str(resolve_device(args.device))
    rows: dict = {}
    settings = dict(device=args.device, random_state=args.seed)

    random_d = extract(
        "random-weight D", GANFeatureExtractor(n_epochs=0, **settings), X_train, X_test, rows
    )
    trained = GANFeatureExtractor(n_epochs=args.n_epochs, verbose=1, **settings)
    trained_d = extract("trained D", trained, X_train, X_test, rows)
    raw = (X_train.reshape(len(X_train), -1) / 255.0, X_test.reshape(len(X_test), -1) / 255.0)
    rows = {"raw pixels": {"n_features": raw[0].shape[1]}, **rows}
    for name, (F_train, F_test) in [
        ("raw pixels", raw),
        ("random-weight D", random_d),
        ("trained D", trained_d),
    ]:
        probe(name, F_train, y_train, F_test, y_test, args, rows)
    features = trained_d
    solver_check = verify_solver(features[0], y_train, features[1], y_test)

    payload = {
        "machine": machine(device),
        "args": args_record(args),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "rows": rows,
        "solver_check": solver_check,
        "peak_rss_mb": peak_rss_mb(),
        "seconds": time.perf_counter() - start,
    }
    name = f"mnist_linear_probe-{device.split(':')[0]}"
    write_results(name, payload, markdown(payload), args.out)


if __name__ == "__main__":
    main()
