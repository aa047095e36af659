"""MNIST linear probe: raw pixels and scattering vs random-weight and trained GAN features.

Fits GANFeatureExtractor on the 60000 MNIST training images (no labels), then
scores a linear SVM on each feature set with 60000, 1000 and 100 labels
(1000 / 100: mean and std over balanced draws; C chosen by cross-validation
on each draw's labels, or on a held-out sixth with all labels). All rows
come from this one run with the same protocol (``skgan.evaluation``).

``--models`` picks the rows (default: all): raw pixels, a scattering
transform (kymatio's ``Scattering2D(J=2, L=8)``, a fixed wavelet network that
needs no training: ``pip install skgan[bench]``), DCGAN discriminator
features (random weights; trained as Radford's plain DCGAN, with the
contrastive task of ContraD and with the rotation task of SS-GAN,
``self_supervision``), and the generator-side rows of a BiGAN (its
encoder's code E(x) and penultimate layer, its joint discriminator's pooled
x-path, random and trained; also for a BiGAN trained with ALICE's
cycle-consistency term, ``reconstruction_weight``) and of generator
inversion (BiGAN, warm-started from E(x), and DCGAN, from z = 0), and the
class-aware rows: AC-GAN's
discriminator trained with all labels or with 100 (10 per class, the rest
unlabelled: the semi-supervised case), and CatGAN's, trained without labels,
each read as pooled features and as its category posterior
(``features="categories"``), whose argmax is also scored as a clustering
(Hungarian matching). Inversion rows use the first ``--inversion-train`` /
``--inversion-test`` images (it is an optimisation per image). Rows with
at most ``KNN_MAX_DIMS`` features also get 1-NN test accuracy (Euclidean,
all training images of the row), and latent-code rows the mean squared
reconstruction error of ``inverse_transform(transform(X))`` on the test
images (pixels scaled to [0, 1]) beside that of random codes.
Results are written after every row, so a cut-short run leaves its rows.

``--pytorch-dcgan`` adds two rows for a network skgan did not train: the
pytorch/examples DCGAN (64 x 64, ``benchmarks/_examples_dcgan.py``), trained
by its own plain-PyTorch loop for ``--n-epochs`` epochs (as skgan's DCGAN) on
the same images, its discriminator read through
``skgan.DiscriminatorFeatures(netD, image_size=64, input_range=(0, 255))``
with ``batchnorm="population"`` (statistics of the GAN's training images)
and with ``batchnorm="running"`` (the loop's own running statistics).

The SVM is :class:`skgan.evaluation.LBFGSLinearSVC`, which solves LinearSVC's
own objective; the script checks that on a subset of the trained features
(objective values and test predictions against ``sklearn.svm.LinearSVC``).

Usage::

    python benchmarks/mnist_linear_probe.py --models raw random-d dcgan-d   # CPU: ~1 h
    python benchmarks/mnist_linear_probe.py --n-train 3000 --n-epochs 1 --n-draws 2 \
        --bigan-epochs 1 --out /tmp/quick                  # smoke run of every row
    python benchmarks/mnist_linear_probe.py --name mnist_class_aware --gan-train 12800 \
        --n-epochs 3 --n-draws 5 --full-c 0.001 --no-solver-check \
        --models raw random-d dcgan-d acgan-d acgan-semi-d acgan-semi-categories \
        catgan-d catgan-categories                          # the class-aware table
    python benchmarks/mnist_linear_probe.py --name mnist_pytorch_dcgan \
        --models raw random-d dcgan-d --pytorch-dcgan       # + the pytorch/examples DCGAN
    python benchmarks/mnist_linear_probe.py --name mnist_selfsup --n-epochs 2 \
        --full-c 0.001 --no-solver-check \
        --models random-d contrastive-d dcgan-d scattering raw  # the D task, vs its peers
    python benchmarks/mnist_linear_probe.py --name mnist_selfsup_e10 --n-epochs 10 \
        --labels 1000 100 --no-solver-check --checkpoint-dir ckpt/e10 \
        --models raw scattering random-d random-d-pool2 contrastive-d contrastive-d-pool2
        # the 10-epoch targets (2 CPU threads: 496 s an epoch measured); rerun with --labels 60000
        # and the same --checkpoint-dir to read the fit back for the all-label column
    python benchmarks/mnist_linear_probe.py --name mnist_selfsup_small --n-train 10000 \
        --n-epochs 3 --labels 5000 --n-draws 3 --cs 0.001 --no-solver-check \
        --models scattering random-d dcgan-d contrastive-d   # the small-data case
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from _common import (
    DEFAULT_MNIST,
    RESULTS,
    args_record,
    machine,
    machine_line,
    peak_rss_mb,
    timed,
    write_results,
)
from _examples_dcgan import train as train_examples_dcgan
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from skgan import DiscriminatorFeatures, GANFeatureExtractor
from skgan._device import resolve_device
from skgan._readout import TAP_PARAMS
from skgan.datasets import load_mnist
from skgan.evaluation import (
    LBFGSLinearSVC,
    _signed_targets,
    _standardize,
    balanced_draw,
    clustering_accuracy,
    linear_probe,
    squared_hinge_objective,
)

LABEL_COUNTS = (60000, 1000, 100)
#: C grid of every column (accuracy varied by < 0.1 % over it in trial runs).
CS = (1e-3, 1e-2, 1e-1)
#: Up to this many labels the probe uses sklearn's LinearSVC itself.
LIBLINEAR_MAX_LABELS = 5000
#: Rows with at most this many features also get 1-NN accuracy.
KNN_MAX_DIMS = 1000


def bigan_rows(prefix: str, fit: str) -> dict:
    """The four rows of a BiGAN fit: E(x), E's penultimate layer, pooled D, inversion."""
    return {
        f"{prefix}-e": (f"{fit} E(x)", fit, {"features": "encoder"}, False),
        f"{prefix}-penultimate": (
            f"{fit} E penultimate",
            fit,
            {"features": "encoder", "encoder_layer": "penultimate"},
            False,
        ),
        f"{prefix}-d": (f"{fit} pooled D", fit, {}, False),
        f"{prefix}-inversion": (f"{fit} inversion", fit, {"features": "inversion"}, True),
    }


#: Other pooling grids the trained and random D rows are read through (``pool_size``).
POOL_GRIDS = {"pool4": 4, "pool2": 2, "pool42": (4, 2), "pool21": (2, 1), "pool421": (4, 2, 1)}
#: Poolings the D rows are also read through (``pooling``), by key suffix: value, title.
POOLING_ROWS = {"max": ("max", "max pooling"), "avg": ("avg", "average pooling")}
#: The D rows, by key prefix: their title and fit.
D_ROWS = {
    "random-d": ("random-weight D", "random DCGAN"),
    "dcgan-d": ("plain DCGAN D", "DCGAN"),
    "contrastive-d": ("contrastive D", "DCGAN, contrastive D"),
}


def pooled_rows() -> dict:
    """Each D row read through each of ``POOL_GRIDS`` (``contrastive-d-pool42``, ...),
    and through each of ``POOLING_ROWS`` (``contrastive-d-avg``, ...)."""
    rows = {}
    for prefix, (title, fit) in D_ROWS.items():
        for suffix, (pooling, kind) in POOLING_ROWS.items():
            rows[f"{prefix}-{suffix}"] = (f"{title}, {kind}", fit, {"pooling": pooling}, False)
        for suffix, size in POOL_GRIDS.items():
            sizes = (size,) if isinstance(size, int) else size
            grids = " + ".join(f"{side}x{side}" for side in sizes)
            kind = "pooling" if len(sizes) == 1 else "pyramid"
            rows[f"{prefix}-{suffix}"] = (
                f"{title}, {grids} {kind}",
                fit,
                {"pool_size": size},
                False,
            )
    return rows


def pixels(images, device) -> np.ndarray:
    """Pixels scaled to [0, 1], one row per image (nothing runs on ``device``)."""
    return images.reshape(len(images), -1) / 255.0


#: Images per batch of the scattering transform.
SCATTERING_BATCH = 1000


def scattering(images, device) -> np.ndarray:
    """Scattering2D(J=2, L=8) coefficients of (n, H, W) or (n, C, H, W) images scaled to [0, 1],
    one row per image (colour images: per channel)."""
    # kymatio.torch also imports its 3-D scattering, which fails on current SciPy (no
    # scipy.special.sph_harm); the 2-D torch frontend alone does not need it.
    from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D

    transform = ScatteringTorch2D(J=2, shape=images.shape[-2:], L=8).to(device)
    rows = []
    with torch.inference_mode():
        for start in range(0, len(images), SCATTERING_BATCH):
            batch = torch.from_numpy(images[start : start + SCATTERING_BATCH] / np.float32(255))
            rows.append(transform(batch.to(device)).flatten(1).cpu().numpy())
    return np.concatenate(rows)


#: Rows: key -> (row name, fit it reads, read-out parameters, on the inversion subset).
#: A row without a fit reads ``transform(images, device)`` instead.
ROWS = {
    "raw": ("raw pixels", None, {"transform": pixels}, False),
    "scattering": ("scattering J=2, L=8", None, {"transform": scattering}, False),
    "random-d": ("random-weight D", "random DCGAN", {}, False),
    "dcgan-d": ("plain DCGAN D", "DCGAN", {}, False),
    "contrastive-d": ("contrastive D (ContraD)", "DCGAN, contrastive D", {}, False),
    "random-d-as-contrastive": (
        "random-weight D, read as the contrastive default (2x2, half max, half avg)",
        "random DCGAN",
        {"pool_size": 2, "pooling": 0.5},
        False,
    ),
    "contrastive-last": (
        "contrastive D, last block only (the heads' input)",
        "DCGAN, contrastive D",
        {"layers": [-1]},
        False,
    ),
    "rotation-d": ("rotation D (SS-GAN)", "DCGAN, rotation D", {}, False),
    **pooled_rows(),
    "random-bigan-e": ("random-weight BiGAN E(x)", "random BiGAN", {"features": "encoder"}, False),
    "random-bigan-d": ("random-weight BiGAN pooled D", "random BiGAN", {}, False),
    **bigan_rows("bigan", "BiGAN"),
    **bigan_rows("cycle", "BiGAN + cycle"),
    "dcgan-inversion": ("DCGAN inversion", "DCGAN", {"features": "inversion"}, True),
    "acgan-d": ("AC-GAN D (all labels)", "AC-GAN all labels", {}, False),
    "acgan-categories": (
        "AC-GAN (all labels) class posterior",
        "AC-GAN all labels",
        {"features": "categories"},
        False,
    ),
    "acgan-semi-d": ("AC-GAN D (100 labels)", "AC-GAN 100 labels", {}, False),
    "acgan-semi-categories": (
        "AC-GAN (100 labels) class posterior",
        "AC-GAN 100 labels",
        {"features": "categories"},
        False,
    ),
    "catgan-d": ("CatGAN D", "CatGAN", {}, False),
    "catgan-categories": ("CatGAN categories", "CatGAN", {"features": "categories"}, False),
}
#: The fit of the plain-PyTorch pytorch/examples DCGAN, and its rows (``--pytorch-dcgan``).
EXAMPLES_FIT = "pytorch/examples DCGAN"
EXAMPLES_ROWS = {
    "examples-d-population": (
        "pytorch/examples D, population BN",
        EXAMPLES_FIT,
        {"batchnorm": "population"},
        False,
    ),
    "examples-d-running": (
        "pytorch/examples D, running BN",
        EXAMPLES_FIT,
        {"batchnorm": "running"},
        False,
    ),
}
#: Labels an AC-GAN fit sees: all, or this many per class with the rest unlabelled (-1).
SEMI_LABELS_PER_CLASS = 10
#: Read-out parameters every row starts from (one fitted extractor serves several rows):
#: the defaults, so that no row inherits an earlier row's read-out.
READOUT = {
    name: value
    for name, value in GANFeatureExtractor().get_params().items()
    if name in ("features", "encoder_layer", *TAP_PARAMS)
}


def fit_specs(args) -> dict:
    """GAN parameters of each fit the rows may read."""
    sizes = dict(width=args.width, latent_dim=args.latent_dim, lr_schedule=args.lr_schedule)
    specs = {
        "random DCGAN": dict(n_epochs=0, self_supervision="none"),
        "DCGAN": dict(n_epochs=args.n_epochs, self_supervision="none"),
        "DCGAN, contrastive D": dict(n_epochs=args.n_epochs, self_supervision="contrastive"),
        "DCGAN, rotation D": dict(n_epochs=args.n_epochs, self_supervision="rotation"),
        "random BiGAN": dict(gan="bigan", n_epochs=0, reconstruction_weight=0.0),
        "BiGAN": dict(gan="bigan", n_epochs=args.bigan_epochs, reconstruction_weight=0.0),
        "BiGAN + cycle": dict(
            gan="bigan",
            n_epochs=args.bigan_epochs,
            reconstruction_weight=args.reconstruction_weight,
        ),
        "AC-GAN all labels": dict(gan="acgan", n_epochs=args.n_epochs, labels="all"),
        "AC-GAN 100 labels": dict(gan="acgan", n_epochs=args.n_epochs, labels="semi"),
        "CatGAN": dict(gan="catgan", n_epochs=args.n_epochs),
    }
    return {name: {**sizes, **spec} for name, spec in specs.items()}


def fit_labels(kind, y_train, seed: int):
    """The ``y`` a fit sees: None, all labels, or a balanced few with the rest -1."""
    if kind is None:
        return None
    if kind == "all":
        return y_train
    y = np.full(len(y_train), -1)
    known = balanced_draw(y_train, SEMI_LABELS_PER_CLASS, random_state=seed)
    y[known] = y_train[known]
    return y


def fit_gan(name: str, params: dict, X_train, y_train, args, fits: dict) -> GANFeatureExtractor:
    """Fit one GAN on X_train (and the labels its spec asks for); record its timing in ``fits``."""
    params = dict(params)
    y = fit_labels(params.pop("labels", None), y_train, args.seed)
    checkpoint_dir = None
    if args.checkpoint_dir is not None and params["n_epochs"] > 0:
        checkpoint_dir = args.checkpoint_dir / name.replace(" ", "_").replace(",", "")
    estimator = GANFeatureExtractor(
        verbose=int(params["n_epochs"] > 0),
        device=args.device,
        random_state=args.seed,
        checkpoint_dir=checkpoint_dir,
        **params,
    )
    record = fits.setdefault(name, dict(params))
    record["labels"] = None if y is None else int((y != -1).sum())
    with timed(record, "fit_seconds"):
        estimator.fit(X_train, y)
    epoch_seconds = (
        [float(d) for d in estimator.history_[:, "dur"]] if len(estimator.history_) else []
    )
    record.update(
        epoch_seconds=epoch_seconds,
        mean_epoch_seconds=float(np.mean(epoch_seconds)) if epoch_seconds else None,
        train_images_per_s=len(X_train) / np.mean(epoch_seconds) if epoch_seconds else None,
        history=[
            {
                k: row[k]
                for k in (
                    "epoch",
                    "loss_d",
                    "loss_g",
                    "d_real",
                    "d_fake",
                    "reconstruction",
                    "contrastive",
                    "rotation",
                    "dur",
                )
                if k in row
            }
            for row in estimator.history_
        ],
    )
    print(f"{name}: fit {record['fit_seconds']:.1f} s, epochs {epoch_seconds}", flush=True)
    return estimator


def extract(name: str, transform, X_train, X_test, record: dict):
    """Features ``transform(X)`` of the training and test images; timed."""
    with timed(record, "transform_seconds"):
        F_train = transform(X_train)
        F_test = transform(X_test)
    record.update(
        n_features=int(F_train.shape[1]),
        transform_images_per_s=(len(X_train) + len(X_test)) / record["transform_seconds"],
        peak_rss_mb_after=peak_rss_mb(),
    )
    print(f"{name}: {F_train.shape[1]} features, transform {record['transform_seconds']:.1f} s")
    return F_train, F_test


def extract_pretrained(name, netD, readout, X_fit, X_train, X_test, record, device):
    """Features of a plain-PyTorch ``netD`` through DiscriminatorFeatures, fitted on ``X_fit``."""
    features = DiscriminatorFeatures(
        netD, image_size=64, input_range=(0, 255), device=device, **readout
    )
    with timed(record, "readout_fit_seconds"):
        features.fit(X_fit)
    return extract(name, features.transform, X_train, X_test, record)


def nearest_neighbor_accuracy(F_train, y_train, F_test, y_test) -> float:
    """1-NN test accuracy, Euclidean distance on the features as they are."""
    return float(KNeighborsClassifier(n_neighbors=1).fit(F_train, y_train).score(F_test, y_test))


def reconstruction_errors(estimator, F_test, X_test, seed: int) -> dict:
    """Mean squared error per pixel in [0, 1] of G(codes) and of G(random z) vs the images."""
    images = X_test.astype(np.float32) / 255.0
    reconstructed = estimator.inverse_transform(F_test) / 255.0
    random = estimator.sample(len(X_test), random_state=seed) / 255.0
    return {
        "reconstruction_mse": float(((reconstructed - images) ** 2).mean()),
        "random_z_mse": float(((random - images) ** 2).mean()),
    }


def make_svm(n_labels: int, max_iter: int, fitted: list):
    """liblinear's LinearSVC for few labels; its objective by L-BFGS for many, each
    L-BFGS classifier appended to ``fitted`` (their ``n_iter_`` show whether
    ``max_iter`` stopped them)."""
    if n_labels <= LIBLINEAR_MAX_LABELS:
        return LinearSVC

    def lbfgs(C):
        fitted.append(LBFGSLinearSVC(C=C, max_iter=max_iter))
        return fitted[-1]

    return lbfgs


def probe(name, F_train, y_train, F_test, y_test, args, rows, done=lambda: None) -> None:
    """Score the linear SVM at each label count; call ``done()`` after each."""
    wide = F_train.shape[1] > KNN_MAX_DIMS and args.wide_labels is not None
    for n_labels in args.wide_labels if wide else args.labels:
        n_labels = min(n_labels, len(y_train))
        start = time.perf_counter()
        fitted = []
        result = linear_probe(
            F_train,
            y_train,
            F_test,
            y_test,
            n_labels,
            n_draws=args.n_draws,
            Cs=(args.full_c,) if args.full_c and n_labels >= len(y_train) else tuple(args.cs),
            random_state=args.seed,
            make_svm=make_svm(n_labels, args.max_iter, fitted),
        )
        result["seconds"] = time.perf_counter() - start
        if fitted:
            result["lbfgs_iterations"] = [svm.n_iter_ for svm in fitted]
        rows[name].setdefault("probe", {})[str(n_labels)] = result
        print(
            f"  {name} {n_labels} labels: {100 * result['mean']:.2f} ± "
            f"{100 * result['std']:.2f} % ({result['seconds']:.0f} s)",
            flush=True,
        )
        done()


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


def _percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def markdown(payload: dict) -> str:
    m, rows, args = payload["machine"], payload["rows"], payload["args"]
    cs = tuple(args.get("cs", CS))
    labels = [str(n) for n in sorted(args["labels"], reverse=True)]
    lines = [
        "# MNIST linear probe",
        "",
        machine_line(m),
        f"GANs trained on the first {args.get('gan_train') or payload['n_train']} of the "
        f"{payload['n_train']} training images (epochs in the fits table); "
        f"test on {payload['n_test']}. SVM: sklearn's LinearSVC up to {LIBLINEAR_MAX_LABELS} "
        f"labels, its objective by L-BFGS (at most {args['max_iter']} iterations) "
        + (
            f"above; C = {cs[0]} fixed for the few-label columns ("
            if len(cs) == 1
            else f"above; C in {cs} by 3-fold CV on each draw's labels ("
        )
        + (
            f"all labels: C = {args['full_c']} fixed, one fit"
            if args.get("full_c")
            else "one held-out sixth with all labels"
        )
        + f"); features standardised. Few-label columns: mean ± std over "
        f"{args['n_draws']} balanced draws.",
    ]
    if args.get("wide_labels"):
        lines.append(
            f"Rows with more than {KNN_MAX_DIMS} features: {args['wide_labels']} labels only "
            "(time)."
        )
    if any(row.get("subset") for row in rows.values()):
        lines.append(
            f"Inversion rows: {args['inversion_steps']} Adam steps (lr {args['inversion_lr']}) "
            f"per image on the first {args['inversion_train']} training and "
            f"{args['inversion_test']} test images only (their label columns are capped at "
            f"{args['inversion_train']})."
        )
    lines += [
        f"1-NN: Euclidean, on rows with at most {KNN_MAX_DIMS} features. Reconstruction: mean "
        "squared error per pixel (pixels in [0, 1]) of `inverse_transform(transform(X_test))`, "
        "beside that of random codes `sample()` against the same test images.",
        "",
        "| features | fit | dims | "
        + " | ".join(f"{n} labels" for n in labels)
        + " | 1-NN | argmax cluster acc. | recon. MSE (random z) | transform img/s |",
        "|---|---|---:|" + "---:|" * len(labels) + "---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        cells = []
        for n in labels:
            result = row.get("probe", {}).get(n) or row.get("probe", {}).get(
                str(min(int(n), row.get("n_train", int(n))))
            )
            if result is None:
                cells.append("-")
                continue
            std = f" ± {100 * result['std']:.2f}" if len(result["scores"]) > 1 else ""
            cells.append(f"{100 * result['mean']:.2f}{std}")
        recon = "-"
        if "reconstruction_mse" in row:
            recon = f"{row['reconstruction_mse']:.4f} ({row['random_z_mse']:.4f})"
        speed = row.get("transform_images_per_s")
        cells += [
            _percent(row.get("nearest_neighbor")),
            _percent(row.get("cluster_accuracy")),
            recon,
            f"{speed:.0f}" if speed else "-",
        ]
        fit = row.get("fit") or "-"
        lines.append(f"| {name} | {fit} | {row['n_features']} | " + " | ".join(cells) + " |")
    if payload["fits"]:
        lines += [
            "",
            "| fit | GAN | D task | width | latent_dim | reconstruction_weight | labels seen "
            "| epochs | lr schedule | s / epoch (each epoch) | train img/s | fit s |",
            "|---|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|",
        ]
        for name, fit in payload["fits"].items():
            each = ", ".join(f"{d:.0f}" for d in fit["epoch_seconds"]) or "-"
            mean = fit["mean_epoch_seconds"]
            ips = fit["train_images_per_s"]
            lines.append(
                f"| {name} | {fit.get('gan', 'dcgan')} | {fit.get('self_supervision', '-')} | "
                f"{fit.get('width', 64)} | "
                f"{fit.get('latent_dim', 100)} | {fit.get('reconstruction_weight', '-')} | "
                f"{fit.get('labels') or 0} | "
                f"{fit['n_epochs']} | {fit.get('lr_schedule', 'constant')} | "
                f"{'-' if mean is None else f'{mean:.1f}'} ({each}) | "
                f"{'-' if ips is None else f'{ips:.0f}'} | {fit['fit_seconds']:.1f} |"
            )
    v = payload.get("solver_check")
    lines.append("")
    if v:
        lines.append(
            f"Solver check ({v['n_samples']} samples x {v['n_features']} {v['row']} features, "
            f"C={v['C']}): objective L-BFGS {v['objective_lbfgs']:.6g} vs liblinear "
            f"{v['objective_liblinear']:.6g} (max relative gap "
            f"{v['max_relative_objective_gap']:.2e}); test predictions agree on "
            f"{100 * v['test_prediction_agreement']:.2f} %."
        )
    lines += [
        f"Peak RSS of the run: {payload['peak_rss_mb']:.0f} MiB. Total {payload['seconds']:.0f} s."
        + ("" if payload.get("complete") else " (run incomplete: rows so far)"),
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--models", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--n-epochs", type=int, default=10, help="DCGAN epochs")
    parser.add_argument("--bigan-epochs", type=int, default=10)
    parser.add_argument(
        "--reconstruction-weight",
        type=float,
        default=100.0,
        help="reconstruction_weight of the 'BiGAN + cycle' fit",
    )
    parser.add_argument("--width", type=int, default=64, help="width of every GAN")
    parser.add_argument("--latent-dim", type=int, default=100, help="latent_dim of every GAN")
    parser.add_argument(
        "--lr-schedule",
        default="constant",
        choices=("constant", "cosine"),
        help="lr_schedule of every GAN",
    )
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument(
        "--gan-train",
        type=int,
        help="fit the GANs on the first this many training images (default: all)",
    )
    parser.add_argument("--n-draws", type=int, default=10)
    parser.add_argument(
        "--cs",
        type=float,
        nargs="+",
        default=list(CS),
        help="C grid of the few-label columns (one value: fixed, no cross-validation)",
    )
    parser.add_argument("--labels", type=int, nargs="+", default=list(LABEL_COUNTS))
    parser.add_argument(
        "--wide-labels",
        type=int,
        nargs="+",
        help=f"label counts for rows with more than {KNN_MAX_DIMS} features (default: --labels)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=300,
        help="L-BFGS iterations for the many-label column (results record those used)",
    )
    parser.add_argument(
        "--full-c", type=float, help="fixed C with all labels (default: chosen on a held-out sixth)"
    )
    parser.add_argument("--inversion-train", type=int, default=5000)
    parser.add_argument("--inversion-test", type=int, default=1000)
    parser.add_argument("--inversion-steps", type=int, default=100)
    parser.add_argument("--inversion-lr", type=float, default=0.1)
    parser.add_argument(
        "--solver-check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check L-BFGS against liblinear on the first trained-D row (a few minutes)",
    )
    parser.add_argument(
        "--pytorch-dcgan",
        action="store_true",
        help="add the rows of a plain-PyTorch pytorch/examples DCGAN read by DiscriminatorFeatures",
    )
    parser.add_argument("--examples-width", type=int, default=64, help="ngf = ndf of that DCGAN")
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        help="checkpoint each trained fit under this folder: a cut-short fit resumes there, "
        "and a finished one is read back instead of retrained (e.g. for another label count)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="mnist_linear_probe", help="results file name stem")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    X_train, y_train = load_mnist(args.data_home, split="train")
    X_test, y_test = load_mnist(args.data_home, split="test")
    X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    X_test, y_test = X_test[: args.n_test], y_test[: args.n_test]
    device = str(resolve_device(args.device))
    specs = fit_specs(args)
    inversion = dict(inversion_steps=args.inversion_steps, inversion_lr=args.inversion_lr)
    payload = {
        "machine": machine(device),
        "args": args_record(args),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "rows": {},
        "fits": {},
    }
    rows, estimators = payload["rows"], {}
    name = f"{args.name}-{device.split(':')[0]}"

    def save() -> None:
        payload.update(peak_rss_mb=peak_rss_mb(), seconds=time.perf_counter() - start)
        write_results(name, payload, markdown(payload), args.out)

    models = list(args.models) + (list(EXAMPLES_ROWS) if args.pytorch_dcgan else [])
    for key in models:
        row_name, fit, readout, subset = {**ROWS, **EXAMPLES_ROWS}[key]
        n_train = args.inversion_train if subset else len(X_train)
        n_test = args.inversion_test if subset else len(X_test)
        Xa, ya, Xb, yb = X_train[:n_train], y_train[:n_train], X_test[:n_test], y_test[:n_test]
        record = rows.setdefault(row_name, {"fit": fit, "subset": subset, "n_train": n_train})
        if fit is None:
            transform = partial(readout["transform"], device=device)
            features = extract(row_name, transform, Xa, Xb, record)
        elif fit == EXAMPLES_FIT:
            gan_train = X_train[: args.gan_train]
            if fit not in estimators:
                _, estimators[fit], payload["fits"][fit] = train_examples_dcgan(
                    gan_train,
                    args.n_epochs,
                    seed=args.seed,
                    device=device,
                    width=args.examples_width,
                    nz=args.latent_dim,
                )
            features = extract_pretrained(
                row_name, estimators[fit], readout, gan_train, Xa, Xb, record, device
            )
        else:
            if fit not in estimators:
                gan_train = X_train[: args.gan_train]
                estimators[fit] = fit_gan(
                    fit, specs[fit], gan_train, y_train[: args.gan_train], args, payload["fits"]
                )
            estimator = estimators[fit].set_params(**inversion, **{**READOUT, **readout})
            features = extract(row_name, estimator.transform, Xa, Xb, record)
        if features[0].shape[1] <= KNN_MAX_DIMS:
            record["nearest_neighbor"] = nearest_neighbor_accuracy(features[0], ya, features[1], yb)
            print(f"  {row_name} 1-NN: {100 * record['nearest_neighbor']:.2f} %", flush=True)
        if readout.get("features") == "categories":
            record["cluster_accuracy"] = clustering_accuracy(yb, features[1].argmax(axis=1))
            print(f"  {row_name} cluster accuracy: {100 * record['cluster_accuracy']:.2f} %")
        latent = readout.get("features") in ("encoder", "inversion")
        if latent and readout.get("encoder_layer", "latent") == "latent":
            record.update(reconstruction_errors(estimator, features[1], Xb, args.seed))
            print(
                f"  {row_name} reconstruction MSE: {record['reconstruction_mse']:.4f} "
                f"(random z: {record['random_z_mse']:.4f})",
                flush=True,
            )
        save()
        probe(row_name, features[0], ya, features[1], yb, args, rows, done=save)
        if args.solver_check and key in ("dcgan-d", "bigan-d") and "solver_check" not in payload:
            payload["solver_check"] = {
                "row": row_name,
                **verify_solver(features[0], ya, features[1], yb),
            }
        del features
    payload["complete"] = True
    save()


if __name__ == "__main__":
    main()
