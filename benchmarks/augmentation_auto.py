"""Which ``augmentation`` preset suits which data: the measurement behind ``"auto"``.

For MNIST (grey digits) and CIFAR-10 (colour photographs), fits the default
``GANFeatureExtractor`` once per preset (``--presets``) on a pool of training images
and scores a linear SVM on its features without touching the test set: the last
``--validation`` training images (the same number of each class) are split in two
halves, C is chosen on the first and accuracy reported on the second
(:func:`skgan.evaluation.holdout_probe`, ``--labels`` balanced labels from the pool,
mean ± std over ``--n-draws`` draws). The preset with the best score is what
``augmentation="auto"`` should pick for data of that kind (channels).

Usage::

    python benchmarks/augmentation_auto.py                           # both datasets
    python benchmarks/augmentation_auto.py --datasets cifar10 --n-pool 2000 --n-epochs 1 \\
        --out /tmp/quick                                              # smoke run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import (
    DEFAULT_MNIST,
    RESULTS,
    args_record,
    commit_note,
    machine,
    peak_rss_mb,
    run_footer,
    timed,
    write_results,
)
from cifar10_linear_probe import CS, DEFAULT_CIFAR10, split
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan._device import resolve_device
from skgan.datasets import load_cifar10, load_mnist
from skgan.evaluation import balanced_draw, holdout_probe

LOADERS = {"mnist": (load_mnist, DEFAULT_MNIST), "cifar10": (load_cifar10, DEFAULT_CIFAR10)}


def screen(dataset: str, preset: str, args, record: dict) -> None:
    """Fit the default with ``preset`` on the pool; its held-out validation score."""
    load, home = LOADERS[dataset]
    X, y = load(home, split="train")
    (pool, y_pool), (val, y_val) = split(X, y, args.validation)
    # The same number of each class: CIFAR-10's files come sorted by class.
    keep = balanced_draw(y_pool, args.n_pool // len(np.unique(y_pool)), args.seed)
    pool, y_pool = pool[keep], y_pool[keep]
    gan = GANFeatureExtractor(
        augmentation=preset, n_epochs=args.n_epochs, random_state=args.seed, device=args.device
    )
    with timed(record, "fit_seconds"):
        gan.fit(pool)
    with timed(record, "transform_seconds"):
        F_pool, F_val = gan.transform(pool), gan.transform(val)
    half = len(val) // 2
    record.update(
        epoch_seconds=[float(d) for d in gan.history_[:, "dur"]],
        n_features=int(F_pool.shape[1]),
        probe=holdout_probe(
            F_pool,
            y_pool,
            F_val[:half],
            y_val[:half],
            F_val[half:],
            y_val[half:],
            args.labels,
            n_draws=args.n_draws,
            Cs=tuple(args.cs),
            random_state=args.seed,
            make_svm=LinearSVC,
        ),
    )
    probe = record["probe"]
    print(f"{dataset} {preset}: {100 * probe['mean']:.2f} ± {100 * probe['std']:.2f} %")


def markdown(payload: dict) -> str:
    m, args = payload["machine"], payload["args"]
    lines = [
        '# Augmentation presets by kind of data (the measurement behind `augmentation="auto"`)',
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `{m['device']}`; torch {m['torch']}; {m['date']}.{commit_note(m)}",
        f"Each fit: the default GANFeatureExtractor with one preset, {args['n_epochs']} epochs "
        f"on {args['n_pool']} training images (the same number of each class). Score: "
        f"{args['labels']} balanced labels from them, C in {tuple(args['cs'])} chosen on the "
        f"first half of a validation split (the last "
        f"{args['validation']} training images, the same number per class), accuracy on its "
        f"second half; mean ± std over {args['n_draws']} draws. The test sets are not used.",
        "",
        "| data | augmentation | validation accuracy | fit s |",
        "|---|---|---:|---:|",
    ]
    for key, row in payload["rows"].items():
        if "probe" not in row:
            continue
        dataset, preset = key.split("/")
        probe = row["probe"]
        lines.append(
            f"| {dataset} | {preset} | {100 * probe['mean']:.2f} ± {100 * probe['std']:.2f} "
            f"| {row['fit_seconds']:.0f} |"
        )
    lines += [
        "",
        run_footer(payload),
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    parser.add_argument("--presets", nargs="+", default=["digits", "natural"])
    parser.add_argument("--n-pool", type=int, default=10000)
    parser.add_argument("--validation", type=int, default=5000)
    parser.add_argument("--n-epochs", type=int, default=2)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--n-draws", type=int, default=3)
    parser.add_argument("--cs", type=float, nargs="+", default=list(CS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--name", default="augmentation_auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.device = str(resolve_device(args.device))
    start = time.perf_counter()
    payload = {"machine": machine(args.device), "args": args_record(args), "rows": {}}
    name = f"{args.name}-{args.device.split(':')[0]}"
    for dataset in args.datasets:
        for preset in args.presets:
            screen(dataset, preset, args, payload["rows"].setdefault(f"{dataset}/{preset}", {}))
            payload.update(peak_rss_mb=peak_rss_mb(), seconds=time.perf_counter() - start)
            write_results(name, payload, markdown(payload), args.out)
    payload["complete"] = True
    write_results(name, payload, markdown(payload), args.out)


if __name__ == "__main__":
    main()
