"""Which discriminator features? Layers, taps, and the real-vs-generated subspace.

Trains one GANFeatureExtractor on MNIST (no labels) and, on that one network,
scores a linear SVM on the features of each tapped block alone and of all
blocks, for each tap (conv, batchnorm, activation) and each subspace (none;
"discriminative", the span of the real-vs-generated directions; "complement",
its orthogonal complement). For every read-out it also records how linearly
separable real training images are from generated ones, before and after each
removed direction (``fit_subspace``'s held-out scores). Raw pixels and the same
network with random weights (``n_epochs=0``) are scored in the same run with
the same protocol.

Protocol (``skgan.evaluation.linear_probe``): features standardised with the
statistics of all training features; balanced draws of labels (the same draws
for every row), C chosen by 3-fold cross-validation on each draw's labels, mean
± std over draws. The SVM is ``LBFGSLinearSVC`` (LinearSVC's objective, solved
by L-BFGS) for every label count. To fit a 2-core CPU's time budget the label
counts depend on the row (see ``--all-labels``, ``--tap-labels``,
``--single-labels`` and ``--full-rows``), the all-label column uses one fixed
C, and rows run in order of importance with the result files rewritten after
each row, so a run cut short still leaves every finished row.

Usage::

    python benchmarks/feature_study.py                      # full run (CPU: ~50 min)
    python benchmarks/feature_study.py --n-train 2000 --n-epochs 1 --n-draws 1 \
        --n-draws-large 1 --subspace-samples 500 --out /tmp/quick   # smoke run
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
from _common import DEFAULT_MNIST, RESULTS, args_record, machine, peak_rss_mb, write_results

from skgan import GANFeatureExtractor
from skgan._extractor import resolve_device
from skgan._subspace import project
from skgan.datasets import load_mnist
from skgan.evaluation import LBFGSLinearSVC, linear_probe

#: C grid of the few-label columns.
CS = (1e-3, 1e-2, 1e-1)
#: The one C of the all-label column (chosen for both D rows of mnist_linear_probe-cpu).
FULL_C = 1e-3
TAPS = ("activation", "conv", "batchnorm")
SUBSPACES = (None, "discriminative", "complement")
#: Read-outs in order of importance: all blocks first, then each block alone.
LAYER_CHOICES = ("all", [0], [1], [2])


def layers_name(layers) -> str:
    return "all" if layers == "all" else "+".join(f"d{i}" for i in layers)


def readout_name(layers, tap: str, subspace=None) -> str:
    return f"{layers_name(layers)} | {tap} | {subspace or 'none'}"


class Study:
    """Rows of results, written to the result files after every row."""

    def __init__(self, args, data):
        self.args = args
        self.X_train, self.y_train, self.X_test, self.y_test = data
        self.start = time.perf_counter()
        self.device = str(resolve_device(args.device))
        self.payload = {
            "machine": machine(self.device),
            "args": args_record(args),
            "n_train": len(self.X_train),
            "n_test": len(self.X_test),
            "subspace_samples": min(args.subspace_samples, len(self.X_train)),
            "rows": {},
            "separability": {},
            "complete": False,
        }

    @property
    def name(self) -> str:
        return f"feature_study-{self.device.split(':')[0]}"

    def save(self) -> None:
        self.payload["peak_rss_mb"] = peak_rss_mb()
        self.payload["seconds"] = time.perf_counter() - self.start
        write_results(self.name, self.payload, markdown(self.payload), self.args.out)
        plot(self.payload, self.args.out / f"{self.name}.png")

    def labels_for(self, layers, tap: str, subspace, source: str) -> list[int]:
        n_train = len(self.y_train)
        if layers != "all":
            counts = self.args.single_labels
        else:
            counts = self.args.all_labels if tap == "activation" else self.args.tap_labels
        full_rows = self.args.full_rows if source == "trained" else ["all | activation | none"]
        full = readout_name(layers, tap, subspace) in full_rows
        return [min(n, n_train) for n in counts if n < n_train or full]

    def probe(self, name: str, F_train, F_test, labels, extra=None) -> None:
        record = self.payload["rows"].setdefault(name, {})
        record.update(n_features=int(F_train.shape[1]), **(extra or {}))
        for n_labels in labels:
            full = n_labels >= len(self.y_train)
            max_iter = self.args.max_iter if full else self.args.few_max_iter
            start = time.perf_counter()
            result = linear_probe(
                F_train,
                self.y_train,
                F_test,
                self.y_test,
                n_labels,
                n_draws=self.args.n_draws if n_labels < 1000 else self.args.n_draws_large,
                Cs=(FULL_C,) if full else CS,
                random_state=self.args.seed,
                make_svm=lambda C, max_iter=max_iter: LBFGSLinearSVC(C=C, max_iter=max_iter),
            )
            result["seconds"] = time.perf_counter() - start
            record.setdefault("probe", {})[str(n_labels)] = result
            print(
                f"  {name}, {n_labels} labels: {100 * result['mean']:.2f} ± "
                f"{100 * result['std']:.2f} % ({result['seconds']:.0f} s)",
                flush=True,
            )
        self.save()

    def readouts(self, source: str, gan, layer_choices, taps, subspaces) -> None:
        """Probe each read-out of ``gan``, with its real-vs-generated subspace when asked."""
        X_real = self.X_train[: self.args.subspace_samples]
        for layers in layer_choices:
            for tap in taps:
                if layers == [0] and tap == "batchnorm":
                    continue  # d0 has no batchnorm: identical to its conv tap
                gan.set_params(layers=layers, tap=tap, subspace=None)
                basis = None
                if subspaces != (None,):
                    start = time.perf_counter()
                    gan.fit_subspace(X_real)
                    basis = gan.subspace_basis_
                    self.payload["separability"].setdefault(source, {})[
                        f"{layers_name(layers)} | {tap}"
                    ] = {
                        "scores": [float(s) for s in gan.subspace_scores_],
                        "n_directions": int(basis.shape[1]),
                        "seconds": time.perf_counter() - start,
                    }
                    print(
                        f"{source} {layers_name(layers)} {tap}: real/generated accuracy "
                        f"{[round(s, 4) for s in gan.subspace_scores_]}",
                        flush=True,
                    )
                F_train, F_test = gan.transform(self.X_train), gan.transform(self.X_test)
                for subspace in subspaces:
                    labels = self.labels_for(layers, tap, subspace, source)
                    extra = {} if subspace is None else {"n_directions": int(basis.shape[1])}
                    self.probe(
                        f"{source} | {readout_name(layers, tap, subspace)}",
                        projected(F_train, basis, subspace),
                        projected(F_test, basis, subspace),
                        labels,
                        extra,
                    )
                    gc.collect()
                del F_train, F_test
                gc.collect()


def projected(features: np.ndarray, basis, subspace, chunk: int = 8192) -> np.ndarray:
    """``features`` projected as ``transform`` would, chunk by chunk (no big temporaries)."""
    if subspace is None:
        return features
    out = np.empty_like(features)
    for start in range(0, len(features), chunk):
        out[start : start + chunk] = project(features[start : start + chunk], basis, subspace)
    return out


def fmt(result) -> str:
    if result is None:
        return "-"
    std = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
    return f"{100 * result['mean']:.2f}{std}"


def markdown(payload: dict) -> str:
    m, a, rows = payload["machine"], payload["args"], payload["rows"]
    labels = sorted({n for row in rows.values() for n in row.get("probe", {})}, key=int)
    fit = payload.get("fit_seconds")
    lines = [
        "# Which discriminator features? Layers, taps and the real-vs-generated subspace",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `{m['device']}`; torch {m['torch']}, sklearn {m['sklearn']}; {m['date']}."
        + (
            ""
            if payload["complete"]
            else " **Partial run: stopped at the time budget; rows not listed were not measured.**"
        ),
        f"GAN: default parameters, {a['n_epochs']} epochs on {payload['n_train']} training "
        f"images" + (f" (fit {fit:.0f} s)" if fit else "") + f"; test on {payload['n_test']}. "
        f"Subspace: `fit_subspace` on the first {payload['subspace_samples']} training images "
        f"and as many generated ones, at most {a['n_directions']} directions. "
        f"SVM: LinearSVC's objective by L-BFGS (`LBFGSLinearSVC`, at most {a['few_max_iter']} "
        f"iterations with few labels, {a['max_iter']} with all); features standardised; "
        f"few-label columns: C in {CS} by 3-fold CV on each draw's labels, mean ± std over "
        f"{a['n_draws']} balanced draws ({a['n_draws_large']} for 1000 or more labels), the "
        f"same draws for every row; all labels: C = {FULL_C} fixed, one fit. `-`: not run "
        f"(labels: all-block activation rows and references {a['all_labels']}, all-block conv "
        f"and batchnorm rows {a['tap_labels']}, single blocks {a['single_labels']}; all "
        f"labels only for the rows {a['full_rows']} and the references). d0 has no "
        f"batchnorm, so its batchnorm tap (= conv) is not repeated.",
        "",
        "## Linear probe: test accuracy (%)",
        "",
        "| D weights | layers | tap | subspace | dims | directions | "
        + " | ".join(f"{n} labels" for n in labels)
        + " |",
        "|---|---|---|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name, row in rows.items():
        parts = name.split(" | ") if " | " in name else [name, "-", "-", "-"]
        cells = [fmt(row.get("probe", {}).get(n)) for n in labels]
        lines.append(
            f"| {' | '.join(parts)} | {row['n_features']} | {row.get('n_directions', '-')} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "## Real-vs-generated linear separability (held-out accuracy, %)",
        "",
        "A logistic real-vs-generated classifier's accuracy on held-out images (chance: 50), "
        "before any direction is removed and after each removed direction "
        "(`subspace_scores_`).",
        "",
        "| D weights | layers | tap | before | after 1 | after all | directions | all scores |",
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
    """Accuracy per label count (all blocks, activation), per tap and subspace (100 labels),
    and real-vs-generated separability as directions are removed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = payload["rows"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    lines = {"raw pixels": "raw pixels", "random | all | activation | none": "random-weight D"}
    lines.update(
        {
            f"trained | {readout_name('all', 'activation', s)}": f"trained D, {s or 'none'}"
            for s in SUBSPACES
        }
    )
    ax = axes[0]
    for name, label in lines.items():
        probe = rows.get(name, {}).get("probe", {})
        counts = sorted(probe, key=int)
        ax.errorbar(
            [int(n) for n in counts],
            [100 * probe[n]["mean"] for n in counts],
            yerr=[100 * probe[n]["std"] for n in counts],
            marker="o",
            capsize=3,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_xlabel("labels")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("all blocks, activation tap")
    ax.legend(fontsize=7)

    ax = axes[1]
    width = 0.25
    for i, subspace in enumerate(SUBSPACES):
        means = [
            100
            * rows.get(f"trained | {readout_name('all', tap, subspace)}", {})
            .get("probe", {})
            .get("100", {})
            .get("mean", np.nan)
            for tap in TAPS
        ]
        ax.bar(np.arange(len(TAPS)) + (i - 1) * width, means, width, label=subspace or "none")
    ax.set_xticks(np.arange(len(TAPS)), TAPS)
    ax.set_title("all blocks, 100 labels")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, loc="upper center", ncol=3)

    ax = axes[2]
    for source, table in payload["separability"].items():
        for key, record in table.items():
            scores = [100 * s for s in record["scores"]]
            ax.plot(range(len(scores)), scores, marker=".", label=f"{source}: {key}")
    ax.axhline(50, c="k", ls=":", label="chance")
    ax.set_xlabel("directions removed")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title("real vs generated, linear classifier")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-epochs", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-draws", type=int, default=5, help="draws below 1000 labels")
    parser.add_argument("--n-draws-large", type=int, default=3, help="draws from 1000 labels")
    parser.add_argument(
        "--all-labels",
        type=int,
        nargs="+",
        default=[100, 1000, 60000],
        help="label counts of the all-block activation rows and references",
    )
    parser.add_argument(
        "--tap-labels",
        type=int,
        nargs="+",
        default=[100],
        help="label counts of the all-block conv and batchnorm rows",
    )
    parser.add_argument(
        "--single-labels",
        type=int,
        nargs="+",
        default=[100],
        help="label counts of the single-block rows",
    )
    parser.add_argument(
        "--full-rows",
        nargs="*",
        default=["all | activation | none", "all | activation | complement"],
        help="'layers | tap | subspace' read-outs of the trained D given all labels "
        "(the random-weight D gets 'all | activation | none')",
    )
    parser.add_argument(
        "--subspace-samples",
        type=int,
        default=5000,
        help="real training images given to fit_subspace",
    )
    parser.add_argument("--n-directions", type=int, default=10)
    parser.add_argument("--max-iter", type=int, default=100, help="L-BFGS iterations, all labels")
    parser.add_argument("--few-max-iter", type=int, default=100, help="L-BFGS iterations, few")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    study = Study(args, (X_train[: args.n_train], y_train[: args.n_train], X_test, y_test))
    n_full = len(study.y_train)
    raw = [X.reshape(len(X), -1) / 255.0 for X in (study.X_train, X_test)]
    study.probe("raw pixels", *raw, [min(n, n_full) for n in args.all_labels])
    del raw

    settings = dict(
        device=args.device, random_state=args.seed, n_subspace_directions=args.n_directions
    )
    # Random weights: no subspace, since their "generator" is untrained noise.
    random_d = GANFeatureExtractor(n_epochs=0, **settings).fit(study.X_train)
    study.readouts("random", random_d, LAYER_CHOICES[:1], ("activation",), (None,))

    trained = GANFeatureExtractor(n_epochs=args.n_epochs, verbose=1, **settings)
    start = time.perf_counter()
    trained.fit(study.X_train)
    study.payload["fit_seconds"] = time.perf_counter() - start
    study.payload["history"] = [
        {k: row[k] for k in ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "dur")}
        for row in trained.history_
    ]
    study.readouts("trained", trained, LAYER_CHOICES[:1], TAPS, SUBSPACES)
    study.readouts("random", random_d, LAYER_CHOICES[1:], ("activation",), (None,))
    study.readouts("trained", trained, LAYER_CHOICES[1:], TAPS, SUBSPACES)
    study.payload["complete"] = True
    study.save()


if __name__ == "__main__":
    main()
