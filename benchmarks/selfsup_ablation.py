"""Quick ablation of the discriminator task: short fits on an MNIST subset, one probe each.

Each variant trains ``GANFeatureExtractor(width=64, random_state=0, pool_size=4, **params)``
on the first ``n_train`` images of a fixed permutation (seed 0) of the 60000
MNIST training images for ``epochs`` epochs (``n_epochs=0`` for the random row:
the default network, random weights), reads the pooled taps (``pool_size=4``) of the
first 20000 permuted training images (the label pool) and of the 10000 test
images, and scores a linear SVM with 100 labels (4 balanced draws) and 1000
labels (2 draws): the protocol of ``skgan.evaluation.linear_probe`` with
liblinear's ``LinearSVC`` (C in 1e-3, 1e-2, 1e-1 by 3-fold cross-validation on
each draw, standardised features), solved in each draw's row space as
``linear_probe`` now does. A variant may carry ``"augment"``: the keyword
arguments of a :class:`skgan._augment.Augment` that replaces the ``"digits"``
preset for that fit only (the preset is looked up at each step, so this tries
an augmentation without adding a public preset); ``"projection"``: factors
``{"hidden": h, "out": o}`` that widen the contrastive projection MLPs'
hidden and output layers (``8 * width`` and ``2 * width`` by default) for that
fit only; ``"spectral": true``: spectral normalisation (Miyato et al., 2018) of
every discriminator convolution, for that fit only; ``"peer"``: ``"raw"`` or
``"scattering"``, the label-free rows of ``mnist_linear_probe.py`` instead of
a GAN; and ``"readouts"``: named
read-out parameters (e.g. ``{"last": {"layers": [-1]}}``) probed on the same
fitted extractor besides the default taps (rows ``p100_<name>``,
``p1000_<name>``). Rows are appended to
``benchmarks/results/selfsup_ablation.jsonl``; ``--table`` writes the JSON
and markdown results from it.

Usage::

    python benchmarks/selfsup_ablation.py 10000 2 '{"random": {"n_epochs": 0},
        "contrastive-t0.1": {"self_supervision": "contrastive"}, "none":
        {"self_supervision": "none"}, "rotation": {"self_supervision": "rotation"},
        "contrastive-t0.5": {"self_supervision": "contrastive", "temperature": 0.5}}'
    python benchmarks/selfsup_ablation.py --table
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from unittest.mock import patch

import numpy as np
import torch
from _common import DEFAULT_MNIST, RESULTS, machine, write_results
from mnist_linear_probe import pixels, scattering
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor, _augment, _nets
from skgan.datasets import load_mnist
from skgan.evaluation import linear_probe

JSONL = RESULTS / "selfsup_ablation.jsonl"
POOL = 20000
#: Label-free rows without a GAN (``{"peer": name}``), from the main benchmark.
PEERS = {"raw": pixels, "scattering": scattering}


def probe(F_train, y_train, F_test, y_test, n_labels: int, n_draws: int) -> list[float]:
    r = linear_probe(
        F_train, y_train, F_test, y_test, n_labels, n_draws=n_draws,
        Cs=(1e-3, 1e-2, 1e-1), random_state=0, make_svm=LinearSVC,
    )  # fmt: skip
    return [r["mean"], r["std"]]


def digits_views(augment: dict) -> _augment.Augment:
    """The ``Augment`` that replaces the ``"digits"`` preset (JSON lists as tuples)."""
    return _augment.Augment(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in augment.items()}
    )


def widened_projection(factors: dict):
    """skgan's projection MLP builder with its hidden and output widths scaled."""
    build = _nets.projection_head

    def widened(features: int, hidden: int, out: int):
        return build(features, hidden * factors["hidden"], out * factors["out"])

    return widened


def spectral_blocks(on: bool):
    """skgan's block-stack builder with every convolution spectrally normalised."""
    build = _nets.conv_blocks

    def normalised(*args, **kwargs):
        blocks = build(*args, **kwargs)
        for block in blocks:
            torch.nn.utils.parametrizations.spectral_norm(block.conv)
        return blocks

    return normalised if on else build


#: Variant keys that replace a part of skgan for one fit (restored after), and how: the
#: library looks each part up when it builds or steps, so a patch tries it without a
#: public parameter.
VARIANT_PATCHES = {
    "augment": lambda v: patch.dict(_augment.AUGMENTATIONS, digits=digits_views(v)),
    "projection": lambda v: patch.object(_nets, "projection_head", widened_projection(v)),
    "spectral": lambda v: patch.object(_nets, "conv_blocks", spectral_blocks(v)),
}
#: Variant keys that are not estimator parameters.
VARIANT_KEYS = (*VARIANT_PATCHES, "readouts")


def fitted(X, params: dict) -> GANFeatureExtractor:
    """The extractor of one variant, fitted on ``X``."""
    fit_params = {k: v for k, v in params.items() if k not in VARIANT_KEYS}
    with ExitStack() as patches:
        for key, patcher in VARIANT_PATCHES.items():
            if key in params:
                patches.enter_context(patcher(params[key]))
        # pool_size=4: every row keeps the grid it was measured on before pool_size="auto".
        base = {"width": 64, "random_state": 0, "pool_size": 4}
        return GANFeatureExtractor(**{**base, **fit_params}).fit(X)


def probes(F_pool, y_pool, F_test, y_test, suffix: str = "") -> dict:
    """The 100-label (4 draws) and 1000-label (2 draws) probes, keyed ``p100<suffix>``..."""
    return {
        f"p{n_labels}{suffix}": probe(F_pool, y_pool, F_test, y_test, n_labels, n_draws)
        for n_labels, n_draws in ((100, 4), (1000, 2))
    }


def read_outs(extractor: GANFeatureExtractor, readouts: dict, *images):
    """Yield ``(name, [features of each of images])`` for each named read-out.

    Each read-out starts from the fit's own parameters, and they are restored at the
    end: ``set_params`` persists, so read-outs applied in turn would otherwise inherit
    each other's values.
    """
    own = extractor.get_params()
    try:
        for name, readout in readouts.items():
            extractor.set_params(**{**own, **readout})
            yield name, [extractor.transform(X) for X in images]
    finally:
        extractor.set_params(**own)


def run(n_train: int, epochs: int, variants: dict) -> None:
    X_train, y_train = load_mnist(DEFAULT_MNIST, split="train")
    X_test, y_test = load_mnist(DEFAULT_MNIST, split="test")
    order = np.random.RandomState(0).permutation(len(X_train))
    pool = order[:POOL]
    for tag, params in variants.items():
        start = time.time()
        if "peer" in params:
            features = PEERS[params["peer"]]
            F_pool, F_test = features(X_train[pool], "cpu"), features(X_test, "cpu")
            history, params = [], {"n_epochs": 0, **params}
        else:
            params = {"n_epochs": epochs, **params}
            extractor = fitted(X_train[order[:n_train]], params)
            F_pool, F_test = extractor.transform(X_train[pool]), extractor.transform(X_test)
            history = [
                {k: round(v, 4) for k, v in r.items() if isinstance(v, float)}
                for r in extractor.history_
            ]
        row = {
            "tag": tag,
            "params": params,
            "n_train": n_train,
            "epochs": params["n_epochs"],
            "threads": torch.get_num_threads(),
            "fit_s": round(time.time() - start, 1),
            "hist": history,
            **probes(F_pool, y_train[pool], F_test, y_test),
        }
        if "readouts" in params:  # a peer row has no extractor to read again
            pairs = read_outs(extractor, params["readouts"], X_train[pool], X_test)
            for name, (F_pool, F_test) in pairs:
                row.update(probes(F_pool, y_train[pool], F_test, y_test, f"_{name}"))
        row["total_s"] = round(time.time() - start, 1)
        print(json.dumps(row), flush=True)
        with JSONL.open("a") as f:
            f.write(json.dumps(row) + "\n")


def table() -> None:
    rows = [json.loads(line) for line in JSONL.read_text().splitlines()]
    lines = [
        "# Discriminator-task ablation (short fits)",
        "",
        "Each row: `GANFeatureExtractor(width=64, random_state=0, ...)` trained "
        f"on the first {rows[0]['n_train']} images of a fixed permutation of MNIST's training "
        "set; pooled taps on Radford's 4x4 grid (7168 dims; a named read-out: the same fit read "
        "with the read-out parameters shown, each starting from the fit's own, e.g. "
        f"`pool_size=2`, 1792 dims) of a {POOL}-image label pool and the "
        "10000 test images; "
        "linear SVM (liblinear, C in 1e-3..1e-1 by 3-fold CV per draw). 100 labels: 4 draws, "
        "1000 labels: 2 draws (mean ± std). Processes used the torch threads in the threads "
        "column, often sharing the 2 cores with other jobs, so the "
        "seconds are only indicative; seeded training repeats exactly only at the same "
        "thread count.",
        "",
        "| variant | parameters | epochs | 100 labels | 1000 labels | s / epoch | threads |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        durations = [h["dur"] for h in r["hist"]]
        per_epoch = f"{np.mean(durations):.0f}" if durations else "-"
        shown = {k: v for k, v in r["params"].items() if k != "readouts"}
        readouts = {
            "": "",
            **{
                f"_{k}": f" (read-out {k}: `{json.dumps(v)}`)"
                for k, v in r["params"].get("readouts", {}).items()
            },
        }
        for suffix, label in readouts.items():
            cells = [
                f"{100 * m:.2f} ± {100 * s:.2f}"
                for m, s in (r["p100" + suffix], r["p1000" + suffix])
            ]
            lines.append(
                f"| {r['tag']}{label} | `{json.dumps(shown)}` | {r['epochs']} | "
                f"{cells[0]} | {cells[1]} | {per_epoch} | {r['threads']} |"
            )
    payload = {"machine": machine("cpu"), "rows": rows}
    if payload["machine"]["commit"]:
        lines += ["", f"Table written at commit {payload['machine']['commit']}."]
    write_results("selfsup_ablation-cpu", payload, "\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        table()
    else:
        run(int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]))
