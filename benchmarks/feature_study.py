"""Which discriminator features? Layers, taps, and the real-vs-generated subspace.

Trains one GANFeatureExtractor on MNIST (no labels) and, on that one network,
scores a linear SVM on the features of each tapped block alone and of all
blocks, for each tap (conv, batchnorm, activation), each subspace (none, the
real-vs-generated span "discriminative", its orthogonal "complement") and
100 / 1000 / 60000 labels. For every read-out it also records how linearly
separable real training images are from generated ones, before and after each
removed direction (``fit_subspace``'s held-out scores). Raw pixels and the
same network with random weights (``n_epochs=0``) are scored in the same run
with the same protocol.

Protocol (``skgan.evaluation.linear_probe``): features standardised with the
statistics of all 60000 training features; balanced draws of labels, C chosen
by 3-fold cross-validation on each draw's labels, mean ± std over draws. The
SVM is ``LBFGSLinearSVC`` (LinearSVC's objective, solved by L-BFGS) for every
label count, to fit the time budget. The 60000-label column uses one fixed C
and is run only for the read-outs in ``--full-rows`` (default: all blocks,
activation tap, every subspace, plus the references), since one 60000 x 7168
fit takes minutes on a 2-core CPU.

Usage::

    python benchmarks/feature_study.py                      # full run (CPU: ~45 min)
    python benchmarks/feature_study.py --n-train 5000 --n-epochs 1 --n-draws 2 \
        --out /tmp/quick                                    # smoke run
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine, spinning
# threads made the many small SVM fits 10x slower in trial runs. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from _common import DEFAULT_MNIST, RESULTS, args_record, machine, peak_rss_mb, timed, write_results

from skgan import GANFeatureExtractor
from skgan._extractor import resolve_device
from skgan._subspace import project
from skgan._taps import TAPS
from skgan.datasets import load_mnist
from skgan.evaluation import LBFGSLinearSVC, linear_probe

LABEL_COUNTS = (100, 1000, 60000)
#: C grid of the few-label columns.
CS = (1e-3, 1e-2, 1e-1)
#: The one C of the all-label column (chosen for both D rows of mnist_linear_probe-cpu).
FULL_C = 1e-3
SUBSPACES = (None, "discriminative", "complement")
LAYER_CHOICES = ([0], [1], [2], "all")


def layers_name(layers) -> str:
    return "all" if layers == "all" else "+".join(f"d{i}" for i in layers)


def row_name(source: str, layers, tap: str, subspace) -> str:
    return f"{source} | {layers_name(layers)} | {tap} | {subspace or 'none'}"


def projected(features: np.ndarray, basis: np.ndarray, subspace, chunk: int = 8192):
    """``features`` projected as ``transform`` would, chunk by chunk (no big temporaries)."""
    if subspace is None:
        return features
    out = np.empty_like(features)
    for start in range(0, len(features), chunk):
        out[start : start + chunk] = project(features[start : start + chunk], basis, subspace)
    return out


def probe(name, F_train, y_train, F_test, y_test, labels, args, rows) -> None:
    record = rows.setdefault(name, {})
    record["n_features"] = int(F_train.shape[1])
    for n_labels in labels:
        n_labels = min(n_labels, len(y_train))
        full = n_labels >= len(y_train)
        start = time.perf_counter()
        result = linear_probe(
            F_train,
            y_train,
            F_test,
            y_test,
            n_labels,
            n_draws=args.n_draws,
            Cs=(FULL_C,) if full else CS,
            random_state=args.seed,
            make_svm=lambda C, full=full: LBFGSLinearSVC(
                C=C, max_iter=args.max_iter if full else args.few_max_iter
            ),
        )
        result["seconds"] = time.perf_counter() - start
        record.setdefault("probe", {})[str(n_labels)] = result
        print(
            f"  {name}, {n_labels} labels: {100 * result['mean']:.2f} ± "
            f"{100 * result['std']:.2f} % ({result['seconds']:.0f} s)",
            flush=True,
        )


def study_readouts(
    source, gan, X_train, y_train, X_test, y_test, args, rows, subspaces, full_rows
) -> dict:
    """Probe every read-out of ``gan``; return the real-vs-generated scores per read-out.

    Only the read-outs named in ``full_rows`` get the all-label column.
    """
    separability = {}
    X_real = X_train[: args.subspace_samples]
    for layers in LAYER_CHOICES:
        for tap in TAPS:
            gan.set_params(layers=layers, tap=tap, subspace=None)
            key = f"{layers_name(layers)} | {tap}"
            start = time.perf_counter()
            if subspaces != (None,):
                gan.fit_subspace(X_real)
                separability[key] = {
                    "scores": [float(s) for s in gan.subspace_scores_],
                    "n_directions": int(gan.subspace_basis_.shape[1]),
                    "seconds": time.perf_counter() - start,
                }
                print(f"{source} {key}: real/generated accuracy {gan.subspace_scores_}", flush=True)
            F_train, F_test = gan.transform(X_train), gan.transform(X_test)
            for subspace in subspaces:
                name = row_name(source, layers, tap, subspace)
                basis = getattr(gan, "subspace_basis_", None)
                G_train = projected(F_train, basis, subspace)
                G_test = projected(F_test, basis, subspace)
                full = f"{layers_name(layers)} | {tap} | {subspace or 'none'}" in full_rows
                labels = [n for n in args.labels if full or n < len(y_train)]
                probe(name, G_train, y_train, G_test, y_test, labels, args, rows)
                if subspace is not None:
                    rows[name]["n_directions"] = int(basis.shape[1])
                del G_train, G_test
                gc.collect()
            del F_train, F_test
            gc.collect()
    return separability


def fmt(result) -> str:
    if result is None:
        return "-"
    std = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
    return f"{100 * result['mean']:.2f}{std}"


def markdown(payload: dict) -> str:
    m, a, rows = payload["machine"], payload["args"], payload["rows"]
    labels = [str(min(n, payload["n_train"])) for n in a["labels"]]
    lines = [
        "# Which discriminator features? Layers, taps and the real-vs-generated subspace",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `{m['device']}`; torch {m['torch']}, sklearn {m['sklearn']}; {m['date']}.",
        f"GAN: default parameters, {a['n_epochs']} epochs on {payload['n_train']} training "
        f"images (fit {payload['fit_seconds']:.0f} s); test on {payload['n_test']}. "
        f"Subspace: `fit_subspace` on the first {payload['subspace_samples']} training images "
        f"and as many generated ones, at most {a['n_directions']} directions. "
        f"SVM: LinearSVC's objective by L-BFGS (`LBFGSLinearSVC`, at most "
        f"{a['few_max_iter']} iterations with few labels, {a['max_iter']} with all); features "
        f"standardised; few-label columns: C in {CS} by 3-fold CV on each draw's labels, "
        f"mean ± std over {a['n_draws']} balanced draws (the same draws for every row); "
        f"all labels: C = {FULL_C} fixed, one fit, run for the rows listed in `--full-rows` "
        f"only (`-` elsewhere).",
        "",
        "## Linear probe: test accuracy (%)",
        "",
        "| D weights | layers | tap | subspace | dims | directions | "
        + " | ".join(f"{n} labels" for n in labels)
        + " |",
        "|---|---|---|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name, row in rows.items():
        cells = [fmt(row.get("probe", {}).get(n)) for n in labels]
        parts = name.split(" | ") if " | " in name else [name, "-", "-", "-"]
        directions = str(row.get("n_directions", "-"))
        lines.append(
            f"| {' | '.join(parts)} | {row['n_features']} | {directions} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "## Real-vs-generated linear separability (held-out accuracy, %)",
        "",
        "Accuracy of a logistic real-vs-generated classifier on held-out images, before any "
        "direction is removed and after each of the removed directions (`subspace_scores_`); "
        "chance is 50 %.",
        "",
        "| D weights | layers | tap | before | after 1 | after all | directions | scores |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for source, table in payload["separability"].items():
        for key, rec in table.items():
            s = rec["scores"]
            after_one = f"{100 * s[1]:.2f}" if len(s) > 1 else "-"
            trail = ", ".join(f"{100 * v:.1f}" for v in s)
            lines.append(
                f"| {source} | {key} | {100 * s[0]:.2f} | {after_one} | {100 * s[-1]:.2f} | "
                f"{rec['n_directions']} | {trail} |"
            )
    lines += [
        "",
        f"Peak RSS of the run: {payload['peak_rss_mb']:.0f} MiB. Total {payload['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def plot(payload: dict, path: Path) -> None:
    """Few-label accuracy per subspace (all blocks), and separability per block and tap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = payload["rows"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    few = [n for n in ("100", "1000") if n in next(iter(rows.values()))["probe"]]
    for ax, n in zip(axes[: len(few)], few, strict=True):
        width = 0.25
        for i, subspace in enumerate(SUBSPACES):
            means, errors = [], []
            for tap in TAPS:
                r = rows[row_name("trained", "all", tap, subspace)]["probe"][n]
                means.append(100 * r["mean"])
                errors.append(100 * r["std"])
            x = np.arange(len(TAPS)) + (i - 1) * width
            ax.bar(x, means, width, yerr=errors, capsize=2, label=subspace or "none")
        for name, style in (
            ("raw pixels", ":"),
            (row_name("random", "all", "activation", None), "--"),
        ):
            if name in rows:
                label = "raw pixels" if name == "raw pixels" else "random-weight D"
                ax.axhline(100 * rows[name]["probe"][n]["mean"], ls=style, c="k", label=label)
        ax.set_xticks(np.arange(len(TAPS)), TAPS)
        lows = [100 * r["probe"][n]["mean"] for r in rows.values() if n in r.get("probe", {})]
        ax.set_ylim(max(0, min(lows) - 5), 100)
        ax.set_title(f"all blocks, {n} labels")
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    table = payload["separability"]["trained"]
    for tap, marker in zip(TAPS, "osd", strict=True):
        keys = [f"{layers_name(layers)} | {tap}" for layers in LAYER_CHOICES]
        ax.plot(
            range(len(keys)),
            [100 * table[k]["scores"][0] for k in keys],
            marker=marker,
            label=f"{tap}: before",
        )
        ax.plot(
            range(len(keys)),
            [100 * table[k]["scores"][-1] for k in keys],
            marker=marker,
            ls="--",
            label=f"{tap}: after removal",
        )
    ax.axhline(50, c="k", ls=":", label="chance")
    ax.set_xticks(range(len(LAYER_CHOICES)), [layers_name(layers) for layers in LAYER_CHOICES])
    ax.set_title("real vs generated, held-out accuracy")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-epochs", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-draws", type=int, default=5)
    parser.add_argument("--labels", type=int, nargs="+", default=list(LABEL_COUNTS))
    parser.add_argument(
        "--subspace-samples", type=int, default=10000, help="real images given to fit_subspace"
    )
    parser.add_argument("--n-directions", type=int, default=10)
    parser.add_argument(
        "--full-rows",
        nargs="*",
        default=[
            "all | activation | none",
            "all | activation | discriminative",
            "all | activation | complement",
        ],
        help="'layers | tap | subspace' read-outs of the trained D that get the all-label column",
    )
    parser.add_argument("--max-iter", type=int, default=100, help="L-BFGS iterations, all labels")
    parser.add_argument("--few-max-iter", type=int, default=200, help="L-BFGS iterations, few")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    device = str(resolve_device(args.device))
    settings = dict(
        device=args.device, random_state=args.seed, n_subspace_directions=args.n_directions
    )
    rows: dict = {}

    raw = (X_train.reshape(len(X_train), -1) / 255.0, X_test.reshape(len(X_test), -1) / 255.0)
    probe("raw pixels", raw[0], y_train, raw[1], y_test, args.labels, args, rows)
    del raw

    # The random-weight D is probed on every block and tap, without subspaces: its
    # "generator" is untrained noise, so a real-vs-generated basis would mean nothing.
    random_d = GANFeatureExtractor(n_epochs=0, **settings).fit(X_train)
    data = (X_train, y_train, X_test, y_test)
    study_readouts("random", random_d, *data, args, rows, (None,), ["all | activation | none"])

    record: dict = {}
    trained = GANFeatureExtractor(n_epochs=args.n_epochs, verbose=1, **settings)
    with timed(record, "fit_seconds"):
        trained.fit(X_train)
    separability = {
        "trained": study_readouts("trained", trained, *data, args, rows, SUBSPACES, args.full_rows)
    }

    payload = {
        "machine": machine(device),
        "args": args_record(args),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "subspace_samples": min(args.subspace_samples, len(X_train)),
        "fit_seconds": record["fit_seconds"],
        "history": [
            {k: row[k] for k in ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "dur")}
            for row in trained.history_
        ],
        "rows": rows,
        "separability": separability,
        "peak_rss_mb": peak_rss_mb(),
        "seconds": time.perf_counter() - start,
    }
    name = f"feature_study-{device.split(':')[0]}"
    write_results(name, payload, markdown(payload), args.out)
    plot(payload, args.out / f"{name}.png")
    print(f"wrote {args.out / name}.png")


if __name__ == "__main__":
    main()
