"""CIFAR-10 linear probe: GAN discriminator features against the label-free peers a user would pick.

Rows, all from one run with one protocol: raw pixels, the same discriminator with
random weights (read as the default reads), kymatio's ``Scattering2D(J=2, L=8)``
per colour channel, Coates & Ng's k-means features (``_coates_kmeans``: whitened
6 x 6 patches, 1600 centroids, triangle activation, 4-quadrant pooling), Radford's
plain DCGAN discriminator (``self_supervision="none"``) and the default
``GANFeatureExtractor`` (contrastive discriminator), one row per seed of
``--seeds`` and their mean ± std.

Protocol: the last ``--validation`` (5000) training images of the archive's order,
500 per class, are the validation split; the GANs, the k-means and the whitening see
only the other 45000.
Per row and label count, every setting in the grid (C, and the read-out of D rows: every
``--pool-sizes`` x ``--poolings`` pair) is chosen on the validation split and the test set is scored
once with the choice (:func:`skgan.evaluation.holdout_probe`); with all labels the
chosen C is refitted on all 50000 labelled images. Few-label columns: mean ± std
over ``--n-draws`` balanced draws from the training pool. Settings that need a fit
of their own (epochs, augmentation) are fixed per run and named in the results:
``benchmarks/augmentation_auto.py`` chooses the augmentation on validation splits.

Usage::

    python benchmarks/cifar10_linear_probe.py                        # every row, 3 seeds
    python benchmarks/cifar10_linear_probe.py --n-epochs 1 \\
        --n-train 6000 --n-test 1000 --labels 6000 1000 --n-draws 2 \\
        --kmeans-centroids 64 --kmeans-patches 20000 --seeds 0 --out /tmp/quick  # smoke run
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from pathlib import Path

import numpy as np
from _coates_kmeans import KMeansFeatures
from _common import (
    RESULTS,
    ROOT,
    args_record,
    commit_note,
    cpu_name,
    machine,
    machine_line,
    peak_rss_mb,
    run_footer,
    timed,
    write_results,
)
from mnist_linear_probe import scattering
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan._device import resolve_device
from skgan.datasets import load_cifar10
from skgan.evaluation import LBFGSLinearSVC, holdout_probe
from skgan.gans.dcgan import CONTRASTIVE_COLOUR_EPOCHS

DEFAULT_CIFAR10 = ROOT.parent / "shared" / "data" / "cifar10"
LABEL_COUNTS = (50000, 4000, 1000)
#: C grid of every column: a first 10000-image run chose 1e-3, the grid's lowest, for every
#: row and column of (1e-3, 1e-2, 1e-1).
CS = (1e-4, 1e-3, 1e-2)
#: Up to this many labels a draw is solved by liblinear (in its row space), above by L-BFGS.
LIBLINEAR_MAX_LABELS = 1000
#: Rows: key -> (title, the GANFeatureExtractor parameters of its fit, or None).
ROWS = {
    "raw": ("raw pixels", None),
    "random-d": ("random-weight D (read as the default)", {"n_epochs": 0}),
    "scattering": ("scattering J=2, L=8, per channel", None),
    "kmeans": ("k-means (Coates & Ng), whitened 6x6 patches", None),
    "dcgan-d": ("plain DCGAN D (Radford)", {"self_supervision": "none"}),
    "default": ("default (contrastive D)", {}),
}


def channels_first(images: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2))


def split(X, y, n_validation: int):
    """The training pool and the validation split: the last ``n_validation / 10`` images
    of every class (the archive is sorted by class, so its last images are all trucks)."""
    classes = np.unique(y)
    last = np.concatenate(
        [np.flatnonzero(y == c)[-(n_validation // len(classes)) :] for c in classes]
    )
    pool = np.setdiff1d(np.arange(len(y)), last)
    return (X[pool], y[pool]), (X[last], y[last])


def make_svm(n_labels: int, max_iter: int, everything: bool):
    """liblinear's LinearSVC for few labels; its objective by L-BFGS for more and for all
    (liblinear took 1762 s for the raw-pixel row's 4000- and 1000-label draws of a first
    10000-image run, and did not converge on all 1000 raw pixels of a smoke run in 100 s)."""
    if n_labels <= LIBLINEAR_MAX_LABELS and not everything:
        return LinearSVC
    return lambda C: LBFGSLinearSVC(C=C, max_iter=max_iter)


def extractor(params: dict, seed: int, args) -> GANFeatureExtractor:
    checkpoint_dir = None
    if args.checkpoint_dir is not None and params.get("n_epochs", args.n_epochs) > 0:
        checkpoint_dir = args.checkpoint_dir / f"{params.get('self_supervision', 'default')}_{seed}"
    return GANFeatureExtractor(
        **{"n_epochs": args.n_epochs, **params},
        device=args.device,
        random_state=seed,
        verbose=1,
        checkpoint_dir=checkpoint_dir,
    )


def fitted_transforms(key: str, seed: int, pool: np.ndarray, args, record: dict) -> dict:
    """``{setting: transform}`` of a row, fitted on the training pool (timed in ``record``)."""
    params = ROWS[key][1]
    if key == "raw":
        return {"-": lambda X: X.reshape(len(X), -1) / np.float32(255)}
    if key == "scattering":
        return {"-": lambda X: scattering(channels_first(X), args.device)}
    with timed(record, "fit_seconds"):
        if key == "kmeans":
            kmeans = KMeansFeatures(args.kmeans_centroids, args.kmeans_patches, seed)
            kmeans.fit(channels_first(pool))
            return {"-": lambda X: kmeans.transform(channels_first(X))}
        gan = extractor(params, seed, args).fit(pool)
    if len(gan.history_):
        record["epoch_seconds"] = [float(d) for d in gan.history_[:, "dur"]]
    return {
        readout_name(readout): lambda X, r=readout: gan.set_params(**r).transform(X)
        for readout in readouts(args)
    }


def readouts(args) -> list[dict]:
    """The read-outs every D row (the random one too) chooses among on validation."""
    pairs = itertools.product(args.pool_sizes, args.poolings)
    return [{"pool_size": size, "pooling": pooling} for size, pooling in pairs]


def readout_name(readout: dict) -> str:
    """``"auto"``-style names for a pooling alone, ``"4/max"`` once pool sizes vary."""
    if readout["pool_size"] == "auto":
        return str(readout["pooling"])
    return f"{readout['pool_size']}/{readout['pooling']}"


def read(transform, sets: dict, record: dict) -> dict:
    """The features of every image set; timed."""
    with timed(record, "transform_seconds"):
        features = {name: transform(X) for name, (X, _) in sets.items()}
    n_images = sum(len(X) for X, _ in sets.values())
    record.update(
        n_features=int(features["train"].shape[1]),
        transform_images_per_s=n_images / record["transform_seconds"],
    )
    return features


def probe_setting(features, sets, n_labels: int, args) -> dict:
    (_, y_train), (_, y_val), (_, y_test) = sets["train"], sets["val"], sets["test"]
    full = n_labels >= len(y_train) + len(y_val)
    return holdout_probe(
        features["train"],
        y_train,
        features["val"],
        y_val,
        features["test"],
        y_test,
        len(y_train) if full else n_labels,
        n_draws=args.n_draws,
        Cs=tuple(args.cs),
        random_state=args.seed,
        make_svm=make_svm(n_labels, args.max_iter, full),
    )


def run_row(key: str, seed: int, sets: dict, args, record: dict, save) -> None:
    """Fit, read and probe one row; the setting with the best validation score wins."""
    transforms = fitted_transforms(key, seed, sets["train"][0], args, record)
    record["settings"] = {}
    for setting, transform in transforms.items():
        entry = record["settings"].setdefault(setting, {})
        features = read(transform, sets, entry)
        for n_labels in args.labels:
            start = time.perf_counter()
            result = probe_setting(features, sets, n_labels, args)
            result["seconds"] = time.perf_counter() - start
            entry.setdefault("probe", {})[str(n_labels)] = result
            print(
                f"  {key} seed {seed} {setting} {n_labels} labels: test "
                f"{100 * result['mean']:.2f} ± {100 * result['std']:.2f} % "
                f"({result['seconds']:.0f} s)",
                flush=True,
            )
            save()
        del features
    record["probe"] = {}
    for n_labels in map(str, args.labels):
        best = max(
            transforms,
            key=lambda s: np.mean(
                [max(v.values()) for v in record["settings"][s]["probe"][n_labels]["validation"]]
            ),
        )
        record["probe"][n_labels] = {**record["settings"][best]["probe"][n_labels], "setting": best}
    describe_choice(record, str(args.labels[0]))
    save()


def describe_choice(record: dict, first: str) -> None:
    """A row's dims and transform time: of the read-out its first column (most labels) chose."""
    chosen = record["settings"][record["probe"][first]["setting"]]
    for key in ("n_features", "transform_seconds", "transform_images_per_s"):
        record[key] = chosen[key]


#: What a merged table keeps of each run.
RUN_RECORD = ("machine", "seconds", "peak_rss_mb")
#: What has to match for rows of several runs to stand in one table.
PROTOCOL = ("n_pool", "n_validation", "n_test")
PROTOCOL_ARGS = (
    "labels",
    "n_draws",
    "cs",
    "seed",
    "max_iter",
    "kmeans_centroids",
    "kmeans_patches",
    "pool_sizes",
    "poolings",
)


def merge(paths: list[Path]) -> dict:
    """One payload of the rows of several runs of one protocol, e.g. GAN rows probed in a
    process of their own; each row keeps the run it came from (``"run"``). A merged table
    can be one of them: its runs and rows join as they stand (the first input's note stays
    unless ``--note`` gives another)."""
    payloads = [json.loads(Path(path).read_text()) for path in paths]
    first = payloads[0]
    merged = {**first, "rows": {}, "runs": [], "complete": True}
    for path, payload in zip(paths, payloads, strict=True):
        same_protocol(path, payload, first)
        offset = len(merged["runs"])
        merged["runs"] += payload.get("runs") or [
            {"file": Path(path).name, **{k: payload[k] for k in RUN_RECORD}}
        ]
        for key, row in payload["rows"].items():
            row = {**row, "run": offset + row.get("run", 1)}
            key, row = epochs_named(
                key, row, payload["args"]["n_epochs"], first["args"]["n_epochs"]
            )
            if key in merged["rows"]:
                raise SystemExit(f"{path}: row {key} is in two runs")
            if "settings" in row:
                describe_choice(row, str(payload["args"]["labels"][0]))
            merged["rows"][key] = row
    merged["args"]["models"] = sorted({m for p in payloads for m in p["args"]["models"]})
    merged["seed_summary"] = seed_summary(merged["rows"], list(map(str, first["args"]["labels"])))
    merged.update(
        peak_rss_mb=max(r["peak_rss_mb"] for r in merged["runs"]),
        seconds=sum(r["seconds"] for r in merged["runs"]),
    )
    return merged


def same_protocol(path: Path, payload: dict, first: dict) -> None:
    """Refuse a run of another protocol than the first's, or one that did not finish."""
    for key in PROTOCOL:
        if payload[key] != first[key]:
            raise SystemExit(f"{path}: {key} {payload[key]} differs from {first[key]}")
    for key in PROTOCOL_ARGS:
        if payload["args"].get(key) != first["args"].get(key):
            raise SystemExit(
                f"{path}: --{key.replace('_', '-')} {payload['args'].get(key)} "
                f"differs from {first['args'].get(key)}"
            )
    if not payload.get("complete"):
        raise SystemExit(f"{path}: the run did not finish")


def epochs_named(key: str, row: dict, n_epochs: int, table_epochs: int) -> tuple[str, dict]:
    """A merged row's key and row: a GAN trained for other epochs than the table's
    names them in its key and title (its seeds are summarised apart: another setting);
    rows that train nothing (raw, random D, the peers) do not depend on the epochs, and a
    row of a merged table already names them."""
    if n_epochs == table_epochs or "n_epochs" in row or not row.get("epoch_seconds"):
        return key, row
    title = f"{row['title']}, {n_epochs} epochs"
    return f"{key}-epochs{n_epochs}", {**row, "n_epochs": n_epochs, "title": title}


def train_seconds(row: dict) -> float:
    """A GAN row's training time: its epochs' (also when read back from a checkpoint that
    ``--fit-only`` wrote); other rows: their fit (k-means and whitening)."""
    return sum(row["epoch_seconds"]) if row.get("epoch_seconds") else row.get("fit_seconds", 0)


def _cell(result) -> str:
    if result is None:
        return "-"
    spread = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
    return f"{100 * result['mean']:.2f}{spread}"


def seed_summary(rows: dict, labels) -> dict:
    """Per setting of the default (``default``, ``default-epochs20``: the key less its
    seed) with two seeds or more: mean ± std over them of each complete column's mean."""
    settings: dict[str, list[dict]] = {}
    for key, row in rows.items():
        if key.startswith("default-seed") and "probe" in row:
            settings.setdefault(re.sub(r"-seed\d+", "", key), []).append(row)
    summary = {}
    for setting, seeds in settings.items():
        if len(seeds) < 2:
            continue
        columns = {}
        for n in labels:
            means = [row["probe"][n]["mean"] for row in seeds if n in row["probe"]]
            if len(means) == len(seeds):
                columns[n] = {
                    "mean": float(np.mean(means)),
                    "std": float(np.std(means)),
                    "scores": means,
                }
        epochs = f", {seeds[0]['n_epochs']} epochs" if "n_epochs" in seeds[0] else ""
        summary[setting] = {"title": f"default{epochs}", "n_seeds": len(seeds), "probe": columns}
    return summary


def markdown(payload: dict) -> str:
    m, args, rows = payload["machine"], payload["args"], payload["rows"]
    labels = [str(n) for n in args["labels"]]
    lines = [
        "# CIFAR-10 linear probe",
        "",
        machine_line(m, payload.get("runs")),
        f"Training pool: {payload['n_pool']} training images (GANs, k-means and "
        f"whitening fitted on them, no labels); validation split: the last "
        f"{payload['n_validation']} (the same number of each class); test: "
        f"{payload['n_test']}. GAN fits: {args['n_epochs']} epochs"
        + (" (unless a row names its own)" if any("n_epochs" in r for r in rows.values()) else "")
        + ", every other parameter the default. "
        f"Per column, C in {tuple(args['cs'])} "
        + readout_note(args)
        + "chosen on the validation split, test scored once with the choice; all labels: "
        f"the choice refitted on pool + validation. Few-label columns: mean ± std over "
        f"{args['n_draws']} balanced draws. SVM: LinearSVC for draws of up to "
        f"{LIBLINEAR_MAX_LABELS} labels, its objective by L-BFGS (at most {args['max_iter']} "
        f"iterations) for larger draws and all labels; features standardised.",
        "",
        "| features | dims | " + " | ".join(f"{n} labels" for n in labels) + " | train s "
        "| transform s | probe s | chosen C (pooling) |",
        "|---|---:|" + "---:|" * len(labels) + "---:|---:|---:|---|",
    ]
    summary = seed_summary(rows, labels)
    for row in rows.values():
        if "probe" not in row and "settings" not in row:
            continue
        probes = row.get("probe") or next(iter(row["settings"].values())).get("probe", {})
        cells = [_cell(probes.get(n)) for n in labels]
        chosen = "; ".join(
            f"{n}: {', '.join(f'{c:g}' for c in probes[n]['Cs'])}"
            + (f" ({probes[n]['setting']})" if probes[n].get("setting", "-") != "-" else "")
            for n in labels
            if n in probes
        )
        probe_seconds = sum(
            p["seconds"] for s in row.get("settings", {}).values() for p in s["probe"].values()
        )
        run = f" [run {row['run']}]" if "run" in row else ""
        lines.append(
            f"| {row['title']}{run} | {row.get('n_features', '-')} | " + " | ".join(cells) + " | "
            f"{train_seconds(row):.0f} | {row.get('transform_seconds', 0):.0f} | "
            f"{probe_seconds:.0f} | {chosen} |"
        )
    for setting in summary.values():
        cells = [_cell(setting["probe"].get(n)) for n in labels]
        lines.append(
            f"| **{setting['title']}, mean ± std over {setting['n_seeds']} seeds** | | "
            + " | ".join(f"**{c}**" for c in cells)
            + " | | | | |"
        )
    epochs = [
        f"{row['title']}: {', '.join(f'{d:.0f}' for d in row['epoch_seconds'])} s"
        for row in rows.values()
        if row.get("epoch_seconds")
    ]
    lines += ["", "Epoch times: " + ("; ".join(epochs) or "-") + "."]
    lines += settings_table(rows, labels)
    lines += runs_note(payload.get("runs", []))
    if payload.get("note"):
        lines.append(payload["note"])
    lines += [
        run_footer(payload),
        "",
    ]
    return "\n".join(lines)


def settings_table(rows: dict, labels) -> list[str]:
    """Per read-out of the rows that chose among several: validation (best C) / test."""
    lines = []
    for row in rows.values():
        settings = row.get("settings", {})
        if len(settings) < 2:
            continue
        lines += [
            "",
            f"{row['title']}, every read-out: validation / test accuracy (%), validation "
            "at each draw's best C:",
            "",
            "| read-out | dims | " + " | ".join(f"{n} labels" for n in labels) + " |",
            "|---|---:|" + "---:|" * len(labels),
        ]
        for name, entry in settings.items():
            cells = []
            for n in labels:
                probe = entry.get("probe", {}).get(n)
                if probe is None:
                    cells.append("-")
                    continue
                val = np.mean([max(v.values()) for v in probe["validation"]])
                cells.append(f"{100 * val:.2f} / {100 * probe['mean']:.2f}")
            lines.append(f"| {name} | {entry['n_features']} | " + " | ".join(cells) + " |")
    return lines


def runs_note(runs: list[dict]) -> list[str]:
    """Where the rows of a merged table came from: each run's file, start, commit and time,
    and its CPU where the runs ran on more than one."""
    if not runs:
        return []
    several = len({cpu_name(run["machine"]) for run in runs}) > 1
    described = [
        f"run {i}: `{run['file']}`, {run['machine']['date']},"
        + (f" {cpu_name(run['machine'])}," if several else "")
        + f"{commit_note(run['machine'])} "
        f"{run['machine']['torch_threads']} torch thread(s), {run['seconds']:.0f} s"
        for i, run in enumerate(runs, 1)
    ]
    where = "these machines" if several else "this machine"
    return ["", f"Rows merged from runs of this protocol on {where}: " + "; ".join(described)]


def readout_note(args: dict) -> str:
    """The read-out grid of the D rows, when there is one to choose from."""
    grid = [
        f"{name} in {args[key]}"
        for name, key in (("pool size", "pool_sizes"), ("pooling", "poolings"))
        if len(args.get(key, ["auto"])) > 1
    ]
    return f"and {' and '.join(grid)} (D rows) " if grid else ""


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_CIFAR10)
    parser.add_argument("--models", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="default rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the other rows and draws")
    parser.add_argument(
        "--n-epochs",
        type=int,
        default=CONTRASTIVE_COLOUR_EPOCHS,
        help="GAN rows' epochs (default: the default's n_epochs='auto' on colour images)",
    )
    parser.add_argument("--n-train", type=int, default=50000)
    parser.add_argument("--validation", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--labels", type=int, nargs="+", default=list(LABEL_COUNTS))
    parser.add_argument("--n-draws", type=int, default=5)
    parser.add_argument("--cs", type=float, nargs="+", default=list(CS))
    parser.add_argument(
        "--poolings",
        nargs="+",
        default=["auto"],
        type=lambda v: v if v in ("auto", "max", "avg") else float(v),
        help="pooling values the trained D rows choose among on validation",
    )
    parser.add_argument(
        "--pool-sizes",
        nargs="+",
        default=["auto"],
        type=lambda v: v if v == "auto" else int(v),
        help="pool sizes the trained D rows choose among (with every --poolings value)",
    )
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--kmeans-centroids", type=int, default=1600)
    parser.add_argument("--kmeans-patches", type=int, default=400_000)
    parser.add_argument("--checkpoint-dir", type=Path)
    parser.add_argument(
        "--fit-only",
        action="store_true",
        help="only train the GAN rows into --checkpoint-dir (e.g. in a second process)",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="write one table of these runs' results (JSON) instead of running",
    )
    parser.add_argument(
        "--note", help="with --merge: how the runs ran, printed under the merged table"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--name", default="cifar10_linear_probe")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    if args.fit_only and args.checkpoint_dir is None:
        raise SystemExit("--fit-only needs --checkpoint-dir")
    if args.note and not args.merge:
        raise SystemExit("--note goes with --merge")
    if args.merge:
        payload = merge(args.merge)
        if args.note:
            payload["note"] = args.note
        write_results(args.name, payload, markdown(payload), args.out)
        return
    start = time.perf_counter()
    args.device = str(resolve_device(args.device))
    X, y = load_cifar10(args.data_home, split="train")
    X_test, y_test = load_cifar10(args.data_home, split="test")
    subset = np.sort(
        np.concatenate([np.flatnonzero(y == c)[: args.n_train // 10] for c in range(10)])
    )
    train, val = split(X[subset], y[subset], args.validation)
    sets = {"train": train, "val": val, "test": (X_test[: args.n_test], y_test[: args.n_test])}
    payload = {
        "machine": machine(args.device),
        "args": args_record(args),
        "n_pool": len(train[1]),
        "n_validation": len(val[1]),
        "n_test": len(sets["test"][1]),
        "rows": {},
    }
    name = f"{args.name}-{args.device.split(':')[0]}"

    def save() -> None:
        payload["seed_summary"] = seed_summary(payload["rows"], list(map(str, args.labels)))
        payload.update(peak_rss_mb=peak_rss_mb(), seconds=time.perf_counter() - start)
        write_results(name, payload, markdown(payload), args.out)

    jobs = [(key, args.seed) for key in args.models if key != "default"]
    if "default" in args.models:
        # The first seed runs among the peers; the spread's other seeds run last.
        jobs.insert(min(2, len(jobs)), ("default", args.seeds[0]))
        jobs += [("default", seed) for seed in args.seeds[1:]]
    if args.fit_only:
        # Another process can train the later rows' GANs into --checkpoint-dir meanwhile;
        # the probing run then reads them back (their epoch times come with them).
        for key, seed in jobs:
            if ROWS[key][1] is not None and ROWS[key][1].get("n_epochs", args.n_epochs) > 0:
                extractor(ROWS[key][1], seed, args).fit(train[0])
        return
    for key, seed in jobs:
        row_key = f"default-seed{seed}" if key == "default" else key
        title = f"{ROWS[key][0]}, seed {seed}" if key == "default" else ROWS[key][0]
        record = payload["rows"].setdefault(row_key, {"title": title, "seed": seed})
        print(f"{title} ...", flush=True)
        run_row(key, seed, sets, args, record, save)
    payload["complete"] = True
    save()


if __name__ == "__main__":
    main()
