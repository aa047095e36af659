"""The labels ``y``: checked only where used (a kind that trains with labels, or epoch scoring).

``y = -1`` (:data:`UNLABELLED`) marks an unlabelled sample, for
semi-supervised training.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d

#: The label that marks an unlabelled sample in ``y``.
UNLABELLED = -1


def labelled(y: np.ndarray) -> np.ndarray:
    """Mask of the samples whose label is not ``UNLABELLED``."""
    return np.asarray(y != UNLABELLED, dtype=bool)


def check_labels(y, n_samples: int, spec, select_epoch: str) -> np.ndarray | None:
    """``y`` checked as class labels when used, else None.

    Only a kind that trains with labels (``spec.uses_labels``) and
    ``select_epoch="best"`` use ``y``; otherwise it is ignored, as by any
    unsupervised transformer.
    """
    if y is None and spec.uses_labels:
        raise ValueError(
            f"GANFeatureExtractor with gan={spec.name!r} requires y to be passed, but the "
            f"target y is None: {spec.title} trains with class labels; call fit(X, y), with "
            f"y = -1 for unlabelled samples."
        )
    if y is None or (not spec.uses_labels and select_epoch != "best"):
        return None
    y = column_or_1d(y, warn=True)
    check_consistent_length(np.empty(n_samples), y)
    try:
        check_classification_targets(y)
    except TypeError:
        raise TypeError(
            "y mixes labels of different types (e.g. strings and -1); unlabelled "
            "samples (y = -1) need numeric class labels."
        ) from None
    return y


def selection_labels(y, select_epoch: str) -> np.ndarray | None:
    """``y`` when ``select_epoch="best"`` scores with it, after checking it can."""
    if y is None or select_epoch != "best":
        return None
    _, counts = np.unique(y[labelled(y)], return_counts=True)
    if len(counts) < 2 or counts.min() < 2:
        raise ValueError(
            "select_epoch='best' scores epochs with the labels y, which needs at least "
            f"two classes with two or more samples each (unlabelled ones, y = -1, do not "
            f"count); got class counts {counts.tolist()}."
        )
    return y


def item_labels(labels: np.ndarray, spec) -> np.ndarray:
    """The labels of a Dataset's (image, label) items, checked as ``y`` would be."""
    try:
        return selection_labels(check_labels(labels, len(labels), spec, "best"), "best")
    except ValueError as exc:
        raise ValueError(
            f"The labels of X's (image, label) items, which select_epoch='best' uses as y "
            f"when y is None, are not usable: {exc} Pass y to fit, or a Dataset of bare "
            f"images to score epochs without labels."
        ) from None


def class_indices(y, spec, known: np.ndarray | None) -> tuple:
    """``(classes, class index per sample, -1 if unlabelled)`` for a kind that uses labels.

    ``known``: the classes of the fit being continued, which ``y`` must keep
    to. ``(None, None)`` for the other kinds.
    """
    if not spec.uses_labels:
        return None, None
    mask = labelled(y)
    if known is not None:
        names = known
        unknown = np.setdiff1d(y[mask], names)
        if len(unknown):
            raise ValueError(
                f"y holds classes {unknown.tolist()} that the fitted {spec.title} does not "
                f"know (classes_ = {names.tolist()}); fit anew with warm_start=False."
            )
    else:
        names = np.unique(y[mask])
        if len(names) < 2:
            raise ValueError(
                f"gan={spec.name!r} needs labelled samples of at least two classes; y has "
                f"{mask.sum()} labelled samples of classes {names.tolist()} "
                f"(-1 marks unlabelled ones)."
            )
    indices = np.full(len(y), UNLABELLED, dtype=np.int64)
    indices[mask] = np.searchsorted(names, y[mask])
    return names, torch.from_numpy(indices)
