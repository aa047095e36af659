"""The README's quick start, measured: its pipeline beside raw pixels, random weights, scattering.

Runs the README's example as written (``GANFeatureExtractor(n_epochs=10,
random_state=0)``, ``StandardScaler``, ``LinearSVC(C=0.01)``, fitted on the first
1000 MNIST training images and their labels, scored on the 10000 test images)
and, in the same run and pipeline, the same network with random weights
(``n_epochs=0``, read the same way), raw pixels and the scattering transform
(kymatio, J=2, L=8) in place of the GAN features. Writes ``quickstart-<device>.json``
and ``.md`` (default: benchmarks/results/).

Usage::

    python benchmarks/quickstart.py        # CPU: a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _common import DEFAULT_MNIST, RESULTS, args_record, commit_note, machine, write_results
from mnist_linear_probe import scattering
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist


def rows(args) -> dict:
    """Each row's pipeline: only the first step differs."""
    return {
        "GANFeatureExtractor(n_epochs=10) (the quick start)": GANFeatureExtractor(
            n_epochs=10, random_state=args.seed
        ),
        "random weights: GANFeatureExtractor(n_epochs=0), read the same way": GANFeatureExtractor(
            n_epochs=0, random_state=args.seed
        ),
        "raw pixels / 255": FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0),
        "scattering J=2, L=8 (kymatio, no training)": FunctionTransformer(
            lambda X: scattering(X, "cpu")
        ),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = Path(os.environ["SKGAN_DATA"]) if "SKGAN_DATA" in os.environ else DEFAULT_MNIST
    parser.add_argument("--data-home", type=Path, default=default_data)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared-cpu", default="", help="a note: what else used the CPU")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    X, y = load_mnist(args.data_home)
    X_test, y_test = load_mnist(args.data_home, split="test")
    results = {}
    for name, features in rows(args).items():
        model = make_pipeline(features, StandardScaler(), LinearSVC(C=0.01))
        start = time.perf_counter()
        model.fit(X[: args.n_train], y[: args.n_train])
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        score = model.score(X_test, y_test)
        results[name] = {"accuracy": score, "fit_s": fit_s, "score_s": time.perf_counter() - start}
        print(f"{name}: {100 * score:.2f} % (fit {fit_s:.1f} s)", flush=True)

    m = machine("cpu")
    lines = [
        "# The README's quick start (MNIST, 1000 training images and labels)",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `cpu`; torch {m['torch']}, sklearn {m['sklearn']}; {m['date']}.{commit_note(m)}",
        f"Each row: `make_pipeline(<features>, StandardScaler(), LinearSVC(C=0.01))` fitted on "
        f"the first {args.n_train} training images with their labels (the GAN trains on the "
        "same images), scored on the 10000 test images; one run, seed "
        f"{args.seed}.{' Shared CPU: ' + args.shared_cpu if args.shared_cpu else ''}",
        "",
        "| features | test accuracy % | fit s | score s |",
        "|---|---:|---:|---:|",
    ] + [
        f"| {name} | {100 * r['accuracy']:.2f} | {r['fit_s']:.1f} | {r['score_s']:.1f} |"
        for name, r in results.items()
    ]
    payload = {"machine": m, "args": args_record(args), "rows": results}
    write_results("quickstart-cpu", payload, "\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
