"""Which discriminator features? Layers, taps, and the real-vs-generated subspace.

Trains one GANFeatureExtractor on MNIST (no labels) and, on that one network,
scores a linear SVM on the features of each tapped block alone and of all
blocks, for each tap (conv, batchnorm, activation) and each subspace (none;
"discriminative", the span of the real-vs-generated directions; "complement",
its orthogonal complement). For every read-out it also records how linearly
separable real training images are from generated ones, before and after each
removed direction (``fit_subspace``'s held-out scores), with the default
``--n-directions`` and, for some read-outs, with many more
(``--many-directions``). Raw pixels and the same network with random weights
(``n_epochs=0``) are scored with the same protocol.

Protocol (``skgan.evaluation.linear_probe``): features standardised with the
statistics of all training features; balanced draws of labels (the same draws
for every row), C chosen by 3-fold cross-validation on each draw's labels, mean
± std over draws. The SVM is ``LBFGSLinearSVC`` (LinearSVC's objective, solved
by L-BFGS) for every label count; the all-label column uses one fixed C.

The work runs as a list of tasks in order of importance (:func:`plan`) and the
result files are rewritten after every row, so a run cut short still leaves
every finished row; the markdown lists the cells of the grid that were not run.
``--model`` saves the trained GAN (or loads it, if the file exists) and
``--resume`` keeps the rows of the existing results file and runs only the
missing cells: the random_state fixes training, so a retrained network is the
same one, and the resumed run checks that (training history, the
real-vs-generated scores, and one probe cell re-measured against the stored
ones; see "Reproduction" in the markdown).

Usage::

    python benchmarks/feature_study.py --model /tmp/gan.skgan   # full run (CPU: hours)
    python benchmarks/feature_study.py --model /tmp/gan.skgan --resume  # missing cells only
    python benchmarks/feature_study.py --n-train 2000 --n-epochs 1 --n-draws 1 \
        --n-draws-large 1 --subspace-samples 500 --many-directions 20 --out /tmp/quick  # smoke
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine, spinning
# threads made the many small SVM fits 10x slower in trial runs. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from _common import (
    DEFAULT_MNIST,
    RESULTS,
    args_record,
    commit_note,
    machine,
    peak_rss_mb,
    write_results,
)

from skgan import GANFeatureExtractor
from skgan._device import resolve_device
from skgan._subspace import project
from skgan.datasets import load_mnist
from skgan.evaluation import LBFGSLinearSVC, linear_probe

#: C grid of the few-label columns.
CS = (1e-3, 1e-2, 1e-1)
#: The one C of the all-label column (chosen for both D rows of archive/mnist_linear_probe-cpu).
FULL_C = 1e-3
TAPS = ("activation", "conv", "batchnorm")
SUBSPACES = (None, "discriminative", "complement")
SINGLE_BLOCKS = ((0,), (1,), (2,))
#: Few-label counts of the grid; the all-label count is the training set's size.
FEW_LABELS = (100, 1000)
#: Arguments a resumed run must share with the results it extends.
PROTOCOL = (
    "data_home",
    "n_epochs",
    "n_train",
    "n_draws",
    "n_draws_large",
    "subspace_samples",
    "n_directions",
    "max_iter",
    "few_max_iter",
    "seed",
)
#: Directions after which the separability table shows the held-out score.
SCORE_MARKS = (1, 10, 50, 100, 200, 500)


@dataclass(frozen=True)
class Task:
    """Read-outs of one network: probe ``subspaces`` at ``labels``, or only fit the subspace."""

    source: str  # "raw", "random" or "trained"
    layers: str | tuple[int, ...]
    tap: str
    subspaces: tuple = ()
    labels: tuple[int, ...] = ()
    n_directions: int | None = None  # None: --n-directions


def taps_of(layers) -> tuple[str, ...]:
    # d0 has no batchnorm: its batchnorm tap is its conv tap.
    return ("activation", "conv") if layers == (0,) else TAPS


def plan(many: int, n_all: int) -> list[Task]:
    """Every task, in order of importance (a cut run keeps the first ones)."""
    few = tuple(n for n in FEW_LABELS if n < n_all)
    readouts = [(layers, tap) for layers in ("all", *SINGLE_BLOCKS) for tap in taps_of(layers)]
    return [
        # The references and the main read-out.
        Task("raw", "-", "-", (None,), (*few, n_all)),
        Task("random", "all", "activation", (None,), (*few, n_all)),
        Task("trained", "all", "activation", SUBSPACES, (*few, n_all)),
        # Real-vs-generated separability of every read-out (cheap: no probe).
        *(Task("trained", layers, tap) for layers, tap in readouts),
        # Each block alone, then the other taps of all blocks.
        *(Task("trained", b, "activation", (None, "complement"), few) for b in SINGLE_BLOCKS),
        Task("trained", "all", "batchnorm", SUBSPACES, few),
        Task("trained", "all", "conv", SUBSPACES, few),
        # Many directions: does the complement change, and does separability vanish?
        Task("trained", "all", "activation", ("complement", "discriminative"), few, many),
        *(Task("trained", b, "activation", ("complement",), few, many) for b in SINGLE_BLOCKS),
        # The rest of the grid, most telling first.
        *(Task("random", b, "activation", (None,), few) for b in SINGLE_BLOCKS),
        Task("trained", "all", "activation", ("complement",), (n_all,), many),
        *(Task("trained", b, "activation", ("discriminative",), few) for b in SINGLE_BLOCKS),
        *(
            Task("trained", b, tap, SUBSPACES, few)
            for b in SINGLE_BLOCKS
            for tap in taps_of(b)
            if tap != "activation"
        ),
        *(Task("trained", "all", tap, (None, "complement"), (n_all,)) for tap in TAPS[1:]),
        *(Task("trained", b, "activation", (None, "complement"), (n_all,)) for b in SINGLE_BLOCKS),
    ]


def results_name(device: str) -> str:
    return f"feature_study-{device.split(':')[0]}"


def layers_name(layers) -> str:
    return layers if isinstance(layers, str) else "+".join(f"d{i}" for i in layers)


def readout_key(layers, tap: str) -> str:
    return f"{layers_name(layers)} | {tap}"


def row_name(task: Task, subspace, default_directions: int) -> str:
    """Result-file key of a row, e.g. ``trained | all | activation | complement (max 200)``."""
    if task.source == "raw":
        return "raw pixels"
    label = subspace or "none"
    if subspace and task.n_directions not in (None, default_directions):
        label += f" (max {task.n_directions})"
    return f"{task.source} | {readout_key(task.layers, task.tap)} | {label}"


class Study:
    """Rows of results, written to the result files after every row."""

    def __init__(self, args, data, previous: dict | None = None):
        self.args = args
        self.X_train, self.y_train, self.X_test, self.y_test = data
        self.start = time.perf_counter()
        self.device = str(resolve_device(args.device))
        self.bases: dict[tuple, tuple] = {}
        self.payload = previous or {
            "rows": {},
            "separability": {},
            "runs": [],
        }
        self.payload.update(
            machine=machine(self.device),
            args=args_record(args),
            n_train=len(self.X_train),
            n_test=len(self.X_test),
            subspace_samples=min(args.subspace_samples, len(self.X_train)),
            complete=False,
        )
        self.run = {"date": self.payload["machine"]["date"], "seconds": 0.0}
        self.payload.setdefault("runs", []).append(self.run)
        self.payload.setdefault("reproduction", {})

    @property
    def name(self) -> str:
        return results_name(self.device)

    def save(self) -> None:
        self.payload["peak_rss_mb"] = peak_rss_mb()
        self.run["seconds"] = time.perf_counter() - self.start
        self.payload["seconds"] = sum(run["seconds"] for run in self.payload["runs"])
        write_results(self.name, self.payload, markdown(self.payload), self.args.out)
        plot(self.payload, self.args.out / f"{self.name}.png")

    def measure(self, F_train, F_test, n_labels: int) -> dict:
        """One cell: ``linear_probe`` with this study's protocol."""
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
        return result

    def missing(self, name: str, labels) -> list[int]:
        probe = self.payload["rows"].get(name, {}).get("probe", {})
        return [n for n in labels if str(n) not in probe]

    def probe(self, name: str, F_train, F_test, labels, extra=None) -> None:
        record = self.payload["rows"].setdefault(name, {})
        record.update(n_features=int(F_train.shape[1]), **(extra or {}))
        for n_labels in self.missing(name, labels):
            result = self.measure(F_train, F_test, n_labels)
            record.setdefault("probe", {})[str(n_labels)] = result
            print(f"  {name}, {n_labels} labels: {fmt(result)} % ({result['seconds']:.0f} s)")
            self.save()

    def basis(self, gan, task: Task) -> np.ndarray:
        """The read-out's real-vs-generated basis, fitted once per run; records its scores."""
        n_directions = task.n_directions or self.args.n_directions
        key = (task.source, readout_key(task.layers, task.tap), n_directions)
        if key not in self.bases:
            start = time.perf_counter()
            gan.set_params(n_subspace_directions=n_directions)
            gan.fit_subspace(self.X_train[: self.args.subspace_samples])
            self.bases[key] = gan.subspace_basis_
            self.record_scores(task, gan.subspace_scores_, time.perf_counter() - start)
        return self.bases[key]

    def has_scores(self, task: Task) -> bool:
        """Whether the stored series of the read-out ran to ``task``'s limit, or to chance."""
        key = readout_key(task.layers, task.tap)
        record = self.payload["separability"].get(task.source, {}).get(key)
        if record is None:
            return False
        limit = record.get("max_directions", self.args.n_directions)
        return record["n_directions"] < limit or limit >= (
            task.n_directions or self.args.n_directions
        )

    def record_scores(self, task: Task, scores, seconds: float) -> None:
        """Keep the longest score series of a read-out; check that series agree where both ran.

        A search with more directions repeats the shorter one step for step, so the
        overlap of two series of the same network must be equal.
        """
        key = readout_key(task.layers, task.tap)
        table = self.payload["separability"].setdefault(task.source, {})
        old = table.get(key, {}).get("scores", [])
        scores = [float(s) for s in scores]
        overlap = min(len(old), len(scores))
        if overlap:
            diff = max(abs(a - b) for a, b in zip(old, scores, strict=False))
            self.payload["reproduction"].setdefault("separability", {})[
                f"{task.source} | {key}"
            ] = {"compared": overlap, "max_abs_diff": diff}
        if len(scores) >= len(old):
            table[key] = {
                "scores": scores,
                "n_directions": len(scores) - 1,
                "max_directions": task.n_directions or self.args.n_directions,
                "seconds": seconds,
            }
        print(f"{task.source} {key}: real/generated accuracy {[round(s, 4) for s in scores]}")
        self.save()

    def run_task(self, task: Task, network) -> None:
        """Run what ``task`` still lacks; ``network()`` returns its extractor (made on demand)."""
        names = {s: row_name(task, s, self.args.n_directions) for s in task.subspaces}
        pending = [s for s in task.subspaces if self.missing(names[s], task.labels)]
        if task.source == "raw":
            if pending:
                F_train, F_test = (
                    X.reshape(len(X), -1) / 255.0 for X in (self.X_train, self.X_test)
                )
                self.probe(names[None], F_train, F_test, task.labels)
            return
        needs_basis = any(s is not None for s in pending) or (
            not task.subspaces and not self.has_scores(task)
        )
        if not (pending or needs_basis):
            return
        gan = network().set_params(layers=task.layers, tap=task.tap, subspace=None)
        basis = self.basis(gan, task) if needs_basis else None
        if not pending:
            return
        F_train, F_test = gan.transform(self.X_train), gan.transform(self.X_test)
        for subspace in pending:
            extra = {} if subspace is None else {"n_directions": int(basis.shape[1])}
            self.probe(
                names[subspace],
                projected(F_train, basis, subspace),
                projected(F_test, basis, subspace),
                task.labels,
                extra,
            )
            gc.collect()
        del F_train, F_test
        gc.collect()

    def check_reproduction(self, gan, stored_history) -> None:
        """Compare the training history and one stored probe cell with this network's."""
        record = self.payload["reproduction"]
        keys = ("loss_d", "loss_g", "d_real", "d_fake")
        history = [{k: row[k] for k in keys} for row in gan.history_]
        if stored_history:
            old = [{k: row[k] for k in keys} for row in stored_history]
            record["history_equal"] = history == old
        task = Task("trained", "all", "activation", (None,), (FEW_LABELS[0],))
        name = row_name(task, None, self.args.n_directions)
        stored = self.payload["rows"].get(name, {}).get("probe", {}).get(str(FEW_LABELS[0]))
        if stored is None or "probe" in record:  # once is enough for one saved network
            return
        gan.set_params(layers="all", tap="activation", subspace=None)
        self.basis(gan, Task("trained", "all", "activation"))  # compares the stored scores
        result = self.measure(gan.transform(self.X_train), gan.transform(self.X_test), 100)
        record["probe"] = {
            "row": name,
            "n_labels": FEW_LABELS[0],
            "stored": stored["scores"],
            "remeasured": result["scores"],
        }
        print(f"reproduction: {json.dumps(record)}")
        self.save()


def projected(features: np.ndarray, basis, subspace, chunk: int = 8192) -> np.ndarray:
    """``features`` projected as ``transform`` would, chunk by chunk (no big temporaries)."""
    if subspace is None:
        return features
    out = np.empty_like(features)
    for start in range(0, len(features), chunk):
        out[start : start + chunk] = project(features[start : start + chunk], basis, subspace)
    return out


def grid(payload: dict) -> list[tuple[str, int]]:
    """Every (row, label count) cell the study asks for, in table order."""
    args, n_all = payload["args"], payload["n_train"]
    labels = (*(n for n in FEW_LABELS if n < n_all), n_all)
    full = [
        Task("trained", layers, tap, SUBSPACES, labels)
        for layers in ("all", *SINGLE_BLOCKS)
        for tap in taps_of(layers)
    ]
    full += [Task("random", b, "activation", (None,), labels) for b in SINGLE_BLOCKS]
    cells: dict[tuple[str, int], tuple] = {}
    for task in plan(args["many_directions"], n_all) + full:
        for subspace in task.subspaces:
            for n in task.labels:
                name = row_name(task, subspace, args["n_directions"])
                cells[name, n] = (*table_order(task), SUBSPACES.index(subspace), n)
    return sorted(cells, key=cells.get)


def table_order(task: Task) -> tuple:
    sources = ("raw", "random", "trained")
    layers = ("-", "all", *SINGLE_BLOCKS)
    return (
        sources.index(task.source),
        layers.index(task.layers),
        TAPS.index(task.tap) if task.tap in TAPS else 0,
        task.n_directions or 0,
    )


def fmt(result) -> str:
    if result is None:
        return "-"
    std = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
    return f"{100 * result['mean']:.2f}{std}"


def probe_table(payload: dict) -> list[str]:
    rows, cells = payload["rows"], grid(payload)
    labels = sorted(
        {n for _, n in cells} | {int(n) for r in rows.values() for n in r.get("probe", {})}
    )
    order = list(dict.fromkeys(name for name, _ in cells))
    names = sorted(rows, key=lambda name: order.index(name) if name in order else len(order))
    lines = [
        "| D weights | layers | tap | subspace | dims | directions | "
        + " | ".join(f"{n} labels" for n in labels)
        + " |",
        "|---|---|---|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name in names:
        row = rows[name]
        parts = name.split(" | ") if " | " in name else [name, "-", "-", "-"]
        cells_ = [fmt(row.get("probe", {}).get(str(n))) for n in labels]
        lines.append(
            f"| {' | '.join(parts)} | {row['n_features']} | {row.get('n_directions', '-')} | "
            + " | ".join(cells_)
            + " |"
        )
    return lines


def not_run(payload: dict) -> list[str]:
    """The grid's cells that were not measured, one line per row, planned ones first."""
    args = payload["args"]
    planned = {
        (row_name(task, subspace, args["n_directions"]), n)
        for task in plan(args["many_directions"], payload["n_train"])
        for subspace in task.subspaces
        for n in task.labels
    }
    missing: dict[tuple[bool, str], list[int]] = {}
    for name, n in grid(payload):
        if str(n) not in payload["rows"].get(name, {}).get("probe", {}):
            missing.setdefault(((name, n) not in planned, name), []).append(n)
    headings = {
        False: "Planned but not reached before the time budget ran out:",
        True: "Not planned (left out to fit the time budget of the shared 2-core CPU):",
    }
    lines = []
    for unplanned in (False, True):
        group = [(name, ns) for (u, name), ns in missing.items() if u == unplanned]
        if group:
            lines += ["", headings[unplanned], ""]
            lines += [f"- {name}: {', '.join(map(str, ns))} labels" for name, ns in group]
    return lines


def separability_table(payload: dict) -> list[str]:
    records = [
        (source, key, rec)
        for source, table in payload["separability"].items()
        for key, rec in table.items()
    ]
    longest = max((len(rec["scores"]) - 1 for _, _, rec in records), default=0)
    marks = [m for m in SCORE_MARKS if m <= longest]
    lines = [
        "| D weights | layers | tap | before | "
        + " | ".join(f"after {m}" for m in marks)
        + " | directions (max) | last |",
        "|---|---|---|---:|" + "---:|" * len(marks) + "---:|---:|",
    ]
    for source, key, rec in records:
        s = rec["scores"]
        after = [f"{100 * s[m]:.2f}" if m < len(s) else "-" for m in marks]
        limit = rec.get("max_directions", payload["args"]["n_directions"])
        lines.append(
            f"| {source} | {key} | {100 * s[0]:.2f} | {' | '.join(after)} | "
            f"{rec['n_directions']} ({limit}) | {100 * s[-1]:.2f} |"
        )
    return lines


def reproduction_lines(payload: dict) -> list[str]:
    record = payload.get("reproduction") or {}
    if not record:
        return []
    lines = ["", "## Reproduction", ""]
    if "history_equal" in record:
        lines.append(
            "- The GAN of the later run(s), retrained with the same arguments: its training "
            "losses and D outputs per epoch "
            + ("equal" if record["history_equal"] else "**differ from**")
            + " the stored ones."
        )
    if "probe" in record:
        p = record["probe"]
        same = p["stored"] == p["remeasured"]
        lines.append(
            f"- `{p['row']}` at {p['n_labels']} labels re-measured on that network: per-draw "
            f"accuracies {[round(100 * s, 2) for s in p['remeasured']]} vs stored "
            f"{[round(100 * s, 2) for s in p['stored']]} ("
            + ("identical" if same else "**different**")
            + ")."
        )
    for key, c in record.get("separability", {}).items():
        lines.append(
            f"- Real-vs-generated scores of `{key}`: the first {c['compared']} agree with "
            f"those recorded before (by an earlier run, or a search for fewer directions) to "
            f"{100 * c['max_abs_diff']:.2f} points."
        )
    return lines


def markdown(payload: dict) -> str:
    m, a = payload["machine"], payload["args"]
    fit = payload.get("fit_seconds")
    runs = payload.get("runs", [])
    missing = not_run(payload)
    lines = [
        "# Which discriminator features? Layers, taps and the real-vs-generated subspace",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads), "
        f"device `{m['device']}`; torch {m['torch']}, sklearn {m['sklearn']}; "
        f"{len(runs)} run(s), the last started {m['date']}. The CPU was shared with other "
        f"jobs: times are not clean.{commit_note(m)}"
        + (
            ""
            if not missing
            else " **Partial: the cells listed under 'Not run' were not measured (time budget).**"
        ),
        f"GAN: default parameters, {a['n_epochs']} epochs on {payload['n_train']} training "
        f"images" + (f" (fit {fit:.0f} s)" if fit else "") + f"; test on {payload['n_test']}. "
        f"Subspace: `fit_subspace` on the first {payload['subspace_samples']} training images "
        f"and as many generated ones, at most {a['n_directions']} directions unless a row says "
        f"`(max N)`. "
        f"SVM: LinearSVC's objective by L-BFGS (`LBFGSLinearSVC`, at most {a['few_max_iter']} "
        f"iterations with few labels, {a['max_iter']} with all); features standardised; "
        f"few-label columns: C in {CS} by 3-fold CV on each draw's labels, mean ± std over "
        f"{a['n_draws']} balanced draws ({a['n_draws_large']} for 1000 or more labels), the "
        f"same draws for every row; all labels: C = {FULL_C} fixed, one fit. `-`: not run. "
        f"d0 has no batchnorm, so its batchnorm tap (= conv) is not repeated.",
        "",
        "## Linear probe: test accuracy (%)",
        "",
        *probe_table(payload),
        "",
        "## Real-vs-generated linear separability (held-out accuracy, %)",
        "",
        "A logistic real-vs-generated classifier's accuracy on held-out images (chance: 50), "
        "before any direction is removed and after the given number of removed directions "
        "(`subspace_scores_`); the search stops at the limit in brackets or when the score is "
        "near chance (`last`).",
        "",
        *separability_table(payload),
        *reproduction_lines(payload),
    ]
    if missing:
        lines += [
            "",
            "## Not run",
            "",
            "Cells of the study's grid that were not measured.",
            *missing,
        ]
    lines += [
        "",
        f"Peak RSS of the last run: {payload['peak_rss_mb']:.0f} MiB. Total over runs "
        f"{payload['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def mean_of(rows: dict, name: str, n_labels: int) -> float:
    """Mean accuracy (%) of a cell, NaN if it was not run."""
    result = rows.get(name, {}).get("probe", {}).get(str(n_labels))
    return np.nan if result is None else 100 * result["mean"]


def bars(ax, groups: list[str], series: dict[str, list[float]], title: str) -> None:
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        ax.bar(np.arange(len(groups)) + offset, values, width, label=label)
    ax.set_xticks(np.arange(len(groups)), groups, fontsize=8)
    ax.set_ylabel("test accuracy (%)")
    if np.isfinite(values := np.concatenate(list(series.values()))).any():
        ax.set_ylim(5 * (np.nanmin(values) // 5 - 1), 100)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")


def plot(payload: dict, path: Path) -> None:
    """Accuracy per label count (all blocks, activation); per tap and per block, with and
    without the complement; real-vs-generated separability as directions are removed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, many = payload["rows"], payload["args"]["many_directions"]
    fig, axes = plt.subplots(2, 2, figsize=(14, 9))
    ax = axes[0, 0]
    lines = {"raw pixels": "raw pixels", "random | all | activation | none": "random-weight D"}
    for subspace in SUBSPACES:
        lines[f"trained | all | activation | {subspace or 'none'}"] = (
            f"trained D, {subspace or 'none'}"
        )
    lines[f"trained | all | activation | complement (max {many})"] = f"complement, ≤{many} dir."
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

    groups = [(tap, n) for n in FEW_LABELS for tap in TAPS]
    bars(
        axes[0, 1],
        [f"{tap}\n{n} labels" for tap, n in groups],
        {
            subspace or "none": [
                mean_of(rows, f"trained | all | {tap} | {subspace or 'none'}", n)
                for tap, n in groups
            ]
            for subspace in (None, "complement", f"complement (max {many})")
        },
        "all blocks, per tap",
    )

    blocks = [(layers_name(b), n) for n in FEW_LABELS for b in ("all", *SINGLE_BLOCKS)]
    series = {
        f"trained, {s or 'none'}": [
            mean_of(rows, f"trained | {b} | activation | {s or 'none'}", n) for b, n in blocks
        ]
        for s in (None, "complement")
    }
    series["random, none"] = [
        mean_of(rows, f"random | {b} | activation | none", n) for b, n in blocks
    ]
    bars(axes[1, 0], [f"{b}\n{n} labels" for b, n in blocks], series, "per block, activation")

    ax = axes[1, 1]
    colors = dict(zip(["all", *map(layers_name, SINGLE_BLOCKS)], plt.cm.tab10.colors, strict=False))
    styles = dict(zip(TAPS, ("-", "--", ":"), strict=True))
    longest = 1
    for source, table in payload["separability"].items():
        for key, record in table.items():
            layers, tap = key.split(" | ")
            scores = [100 * s for s in record["scores"]]
            longest = max(longest, len(scores) - 1)
            ax.plot(scores, c=colors[layers], ls=styles[tap], label=f"{source}: {key}", lw=1)
    ax.axhline(50, c="k", ls="-.", lw=0.8, label="chance")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, longest)
    ax.set_xlabel("directions removed")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title("real vs generated, linear classifier")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def trained_gan(args, X_train, settings: dict) -> GANFeatureExtractor:
    """The study's GAN: loaded from ``--model`` if that file exists, else trained (and saved)."""
    if args.model is not None and args.model.exists():
        gan = GANFeatureExtractor.load(args.model)
        expected = dict(n_epochs=args.n_epochs, random_state=args.seed)
        if {k: gan.get_params()[k] for k in expected} != expected:
            raise SystemExit(f"{args.model} was trained with other parameters than {expected}.")
        if gan.n_features_in_ != X_train[0].size:
            raise SystemExit(f"{args.model} was trained on other images.")
        return gan.set_params(**settings)
    gan = GANFeatureExtractor(n_epochs=args.n_epochs, verbose=1, **settings)
    start = time.perf_counter()
    gan.fit(X_train)
    gan.fit_seconds = time.perf_counter() - start
    if args.model is not None:
        gan.save(args.model)
    return gan


def previous_results(args, device: str) -> dict | None:
    """The results file to extend (``--resume``), after checking it used the same protocol."""
    if not args.resume:
        return None
    path = args.out / f"{results_name(device)}.json"
    if not path.exists():
        return None
    payload = json.loads(path.read_text())
    current = args_record(args)
    differ = [k for k in PROTOCOL if payload["args"].get(k) != current[k]]
    differ += ["n_test"] if payload["n_test"] != args.n_test else []
    if differ:
        raise SystemExit(f"{path} used other {', '.join(differ)}: not resuming it.")
    payload["args"].setdefault("many_directions", args.many_directions)
    if "runs" not in payload:  # files from before --resume: one run
        payload["runs"] = [{"date": payload["machine"]["date"], "seconds": payload["seconds"]}]
    return payload


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-epochs", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--n-draws", type=int, default=5, help="draws below 1000 labels")
    parser.add_argument("--n-draws-large", type=int, default=3, help="draws from 1000 labels")
    parser.add_argument(
        "--subspace-samples",
        type=int,
        default=5000,
        help="real training images given to fit_subspace",
    )
    parser.add_argument("--n-directions", type=int, default=10)
    parser.add_argument(
        "--many-directions",
        type=int,
        default=200,
        help="most directions of the many-direction read-outs (see plan())",
    )
    parser.add_argument("--max-iter", type=int, default=100, help="L-BFGS iterations, all labels")
    parser.add_argument("--few-max-iter", type=int, default=100, help="L-BFGS iterations, few")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--model", type=Path, help="load the trained GAN from this file, or save it there"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows of the existing results file"
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite the markdown and the plot from the existing results file",
    )
    args = parser.parse_args(argv)
    if args.render:
        name = results_name(str(resolve_device(args.device)))
        payload = json.loads((args.out / f"{name}.json").read_text())
        write_results(name, payload, markdown(payload), args.out)
        plot(payload, args.out / f"{name}.png")
        return

    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    data = (
        X_train[: args.n_train],
        y_train[: args.n_train],
        X_test[: args.n_test],
        y_test[: args.n_test],
    )
    study = Study(args, data, previous_results(args, str(resolve_device(args.device))))
    n_all = len(study.y_train)
    settings = dict(
        device=args.device,
        random_state=args.seed,
        n_subspace_directions=args.n_directions,
        self_supervision="none",  # the study is of the plain DCGAN's real-vs-fake subspace
    )
    stored_history = study.payload.get("history")
    trained = trained_gan(args, study.X_train, settings)
    if hasattr(trained, "fit_seconds"):
        study.payload["fit_seconds"] = trained.fit_seconds
    study.payload["history"] = [
        {k: row[k] for k in ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "dur")}
        for row in trained.history_
    ]
    if args.resume:
        study.check_reproduction(trained, stored_history)
    # Random weights: no subspace, since their "generator" is untrained noise.
    networks = {
        "raw": lambda: None,
        "trained": lambda: trained,
        "random": cache(lambda: GANFeatureExtractor(n_epochs=0, **settings).fit(study.X_train)),
    }
    for task in plan(args.many_directions, n_all):
        study.run_task(task, networks[task.source])
    study.payload["complete"] = True
    study.save()


if __name__ == "__main__":
    main()
