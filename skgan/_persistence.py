"""Saving and loading fitted extractors without pickle.

One file written by ``torch.save`` holds only tensors (the networks' state
dicts) and strings: the estimator's parameters and fitted metadata as JSON.
Loading uses ``torch.load(weights_only=True)``, which refuses arbitrary Python
objects, so a file from an untrusted source cannot run code. The file is
written to a temporary name and renamed, so an interrupted save never leaves a
half-written model behind.

Checkpoints (``checkpoint_dir``) use the same machinery: one file per
directory, rewritten after every epoch, holding the training record (networks,
optimizers and RNG state of the last, last uncollapsed and best epochs), the
history, and what the run must match to resume: the training parameters, the
fitted layout and a fingerprint of the training data.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._nets import build_gan

FORMAT = "skgan.GANFeatureExtractor/1"
CHECKPOINT_FORMAT = "skgan.checkpoint/1"
CHECKPOINT_NAME = "checkpoint.skgan"
#: Fitted attributes stored as JSON, besides the networks.
METADATA = ("image_shape_", "data_range_", "input_ndim_", "n_features_in_")


def _json_param(name: str, value):
    """A parameter as JSON; ``random_state`` objects become ``None`` (not reproducible)."""
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return list(value)
    if name == "random_state" and not (value is None or isinstance(value, int)):
        return None
    return value


def _json_params(estimator) -> str:
    """The estimator's parameters as a JSON string."""
    return json.dumps({k: _json_param(k, v) for k, v in estimator.get_params(deep=False).items()})


def _header(estimator, history) -> dict:
    """Parameters, fitted metadata and history as JSON strings."""
    metadata = {k: _json_param(k, getattr(estimator, k)) for k in METADATA}
    names = getattr(estimator, "feature_names_in_", None)
    metadata["feature_names_in_"] = None if names is None else [str(n) for n in names]
    classes = getattr(estimator, "classes_", None)
    metadata["classes_"] = None if classes is None else classes.tolist()
    return {
        "params": _json_params(estimator),
        "metadata": json.dumps(metadata),
        "history": json.dumps(list(history)),
    }


def _write_atomically(payload: dict, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _subspace_payload(estimator) -> dict:
    """The real-vs-generated basis (a tensor) and its scores and read-out (JSON), if fitted."""
    if not hasattr(estimator, "subspace_basis_"):
        return {}
    return {
        "subspace_basis": torch.from_numpy(estimator.subspace_basis_),
        "subspace": json.dumps(
            {
                "subspace_scores_": estimator.subspace_scores_,
                "subspace_readout_": estimator.subspace_readout_,
            }
        ),
    }


def _read(path, expected_format: str) -> dict:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"{path} is not a file saved by skgan, or it holds objects that are not "
            f"allowed to load safely ({exc})."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        raise ValueError(f"{path} is not a {expected_format} file.")
    return payload


def save(estimator, path) -> None:
    """Write a fitted ``estimator`` to ``path`` atomically (see module docstring)."""
    check_is_fitted(estimator)
    gan, n_categories = estimator._fitted_kind()
    payload = {
        "format": FORMAT,
        "gan": gan,
        "n_categories": n_categories,
        **_header(estimator, estimator.history_),
        "latent_dim": estimator.generator_.latent_dim,
        "width": estimator.discriminator_.blocks[0].conv.out_channels,
        "generator": estimator.generator_.state_dict(),
        "discriminator": estimator.discriminator_.state_dict(),
        "best_epoch": estimator.best_epoch_,
        "training": estimator._training_record,
        **_subspace_payload(estimator),
    }
    if estimator.encoder_ is not None:
        payload["encoder"] = estimator.encoder_.state_dict()
    _write_atomically(payload, Path(path))


def write_checkpoint(estimator, directory, fingerprint: str, history, record: dict) -> None:
    """Write the training ``record`` of a running fit to ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    header = _header(estimator, history)
    payload = {"format": CHECKPOINT_FORMAT, **header, "fingerprint": fingerprint}
    payload["training"] = record
    _write_atomically(payload, directory / CHECKPOINT_NAME)


def read_checkpoint(estimator, directory, fingerprint: str, must_match) -> tuple | None:
    """``(history, record)`` of the checkpoint in ``directory``, or None if there is none.

    Raises ``ValueError`` when the checkpoint belongs to another run: other
    values of the parameters named in ``must_match``, another image layout or
    other training data.
    """
    path = Path(directory) / CHECKPOINT_NAME
    if not path.exists():
        return None
    payload = _read(path, CHECKPOINT_FORMAT)
    # A parameter newer than the checkpoint had its default in the run that wrote it.
    defaults = json.loads(_json_params(type(estimator)()))
    saved = _tuple_params({**defaults, **json.loads(payload["params"])})
    current = _tuple_params(json.loads(_json_params(estimator)))
    differ = [name for name in must_match if saved.get(name) != current.get(name)]
    metadata = json.loads(payload["metadata"])
    differ += [
        name for name in METADATA if _json_param(name, getattr(estimator, name)) != metadata[name]
    ]
    if payload["fingerprint"] != fingerprint:
        differ.append("training data")
    if differ:
        raise ValueError(
            f"The checkpoint in {directory} belongs to another fit: its {', '.join(differ)} "
            f"differ from this one's. Use another checkpoint_dir, or delete {path} to "
            f"start over."
        )
    return History(json.loads(payload["history"])), payload["training"]


def _tuple_params(params: dict) -> dict:
    for name in ("betas", "image_shape", "input_range"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    return params


def load(cls, path):
    """Rebuild a fitted ``cls`` instance from a file written by :func:`save`."""
    payload = _read(path, FORMAT)
    estimator = cls(**_tuple_params(json.loads(payload["params"])))
    metadata = json.loads(payload["metadata"])
    for name in METADATA:
        value = metadata[name]
        setattr(estimator, name, tuple(value) if isinstance(value, list) else value)
    if metadata["feature_names_in_"] is not None:
        estimator.feature_names_in_ = np.asarray(metadata["feature_names_in_"], dtype=object)
    if metadata.get("classes_") is not None:
        estimator.classes_ = np.asarray(metadata["classes_"])
    layout = estimator._layout()
    # The fitted networks decide, not the ``gan`` parameter (which may have been set since).
    # Files written before the class-aware kinds name no kind: a BiGAN or a DCGAN.
    gan = payload.get("gan", "bigan" if "encoder" in payload else "dcgan")
    networks = build_gan(
        gan,
        layout.channels,
        layout.side,
        payload["width"],
        payload["latent_dim"],
        payload.get("n_categories", 0),
    )
    for role, network in networks.items():
        if network is not None:
            network.load_state_dict(payload[role])
            network.eval()
    estimator.generator_ = networks["generator"]
    estimator.discriminator_ = networks["discriminator"]
    estimator.encoder_ = networks["encoder"]
    estimator.history_ = History(json.loads(payload["history"]))
    # Files from skgan 0.1.0 hold no training record: they load, but cannot warm-start.
    estimator.best_epoch_ = payload.get("best_epoch", len(estimator.history_))
    estimator._training_record = payload.get("training")
    if "subspace_basis" in payload:
        estimator.subspace_basis_ = payload["subspace_basis"].numpy()
        for name, value in json.loads(payload["subspace"]).items():
            setattr(estimator, name, value)
    return estimator
