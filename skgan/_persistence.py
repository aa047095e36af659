"""Saving and loading fitted extractors without pickle, and training checkpoints.

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
image layout and a fingerprint of the training data.

Everything here reads and writes a :class:`~skgan._fitted.FittedGAN`; files
and pickles of skgan 0.1.0, which stored the networks as separate attributes
and named no GAN kind, still load (:func:`legacy_state`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from skorch.history import History

from ._fitted import FittedGAN
from ._images import DatasetSamples, ImageLayout, isolated_rng
from ._nets import Networks
from ._params import upgraded_params
from .gans import GANS, NetSize

FORMAT = "skgan.GANFeatureExtractor/1"
CHECKPOINT_FORMAT = "skgan.checkpoint/1"
CHECKPOINT_NAME = "checkpoint.skgan"
#: Fitted layout attributes stored as JSON, besides the networks.
METADATA = ("image_shape_", "data_range_", "input_ndim_", "n_features_in_")
#: Items of a torch Dataset a checkpoint fingerprint reads (evenly spaced), besides its length.
FINGERPRINT_ITEMS = 64


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


def json_params(params: dict) -> dict:
    """Parameters as JSON values."""
    return {k: _json_param(k, v) for k, v in params.items()}


def _metadata(
    layout: ImageLayout, ndim: int, feature_names, classes, channels_last: bool = False
) -> dict:
    values = (layout.shape, layout.data_range, ndim, layout.n_features)
    metadata = {k: _json_param(k, v) for k, v in zip(METADATA, values, strict=True)}
    metadata["channels_last"] = channels_last
    metadata["feature_names_in_"] = (
        None if feature_names is None else [str(n) for n in feature_names]
    )
    metadata["classes_"] = None if classes is None else classes.tolist()
    return metadata


def _header(params: dict, metadata: dict, history) -> dict:
    """Parameters, fitted metadata and history as JSON strings."""
    return {
        "params": json.dumps(json_params(params)),
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


def _tuple_params(params: dict) -> dict:
    for name in ("betas", "image_shape", "input_range"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    return params


# ------------------------------------------------------------------ save files
def save(fitted: FittedGAN, params: dict, subspace: dict | None, path) -> None:
    """Write ``fitted`` with the estimator's ``params`` (and ``subspace``) to ``path``."""
    metadata = _metadata(
        fitted.layout,
        fitted.input_ndim,
        fitted.feature_names_in,
        fitted.classes,
        fitted.channels_last,
    )
    payload = {
        "format": FORMAT,
        "gan": fitted.kind,
        "n_categories": fitted.n_categories,
        "self_supervision": fitted.self_supervision,
        **_header(params, metadata, fitted.history),
        "latent_dim": fitted.latent_dim,
        "width": fitted.width,
        **{role: module.state_dict() for role, module in fitted.networks.roles().items()},
        "best_epoch": fitted.best_epoch,
        "training": fitted.record,
    }
    if subspace is not None:
        payload["subspace_basis"] = torch.from_numpy(subspace["subspace_basis_"])
        payload["subspace"] = json.dumps(
            {k: subspace[k] for k in ("subspace_scores_", "subspace_readout_")}
        )
    _write_atomically(payload, Path(path))


def load(path) -> tuple[dict, FittedGAN, dict | None]:
    """``(params, fitted, subspace attributes or None)`` of a file written by :func:`save`."""
    payload = _read(path, FORMAT)
    metadata = json.loads(payload["metadata"])
    layout = ImageLayout(
        metadata["n_features_in_"],
        tuple(metadata["image_shape_"]),
        tuple(metadata["data_range_"]),
    )
    # Files written before the class-aware kinds name no kind: a BiGAN or a DCGAN.
    kind = payload.get("gan", "bigan" if "encoder" in payload else "dcgan")
    size = NetSize(
        layout.channels,
        layout.side,
        payload["width"],
        payload["latent_dim"],
        payload.get("n_categories", 0),
        payload.get("self_supervision", "none"),
    )
    with isolated_rng():  # building draws initial weights; the file's replace them
        networks = GANS[kind].build(size)
    for role, network in networks.roles().items():
        network.load_state_dict(payload[role])
        network.eval()
    history = History(json.loads(payload["history"]))
    names, classes = metadata["feature_names_in_"], metadata.get("classes_")
    fitted = FittedGAN(
        kind=kind,
        networks=networks,
        layout=layout,
        input_ndim=metadata["input_ndim_"],
        feature_names_in=None if names is None else np.asarray(names, dtype=object),
        classes=None if classes is None else np.asarray(classes),
        history=history,
        # Files from skgan 0.1.0 hold no training record: they load, but cannot warm-start.
        best_epoch=payload.get("best_epoch", len(history)),
        record=payload.get("training"),
        # Files written before channels-last input was remembered gave (n, C, H, W).
        channels_last=metadata.get("channels_last", False),
    )
    subspace = None
    if "subspace_basis" in payload:
        subspace = {"subspace_basis_": payload["subspace_basis"].numpy()}
        subspace.update(json.loads(payload["subspace"]))
    return _tuple_params(json.loads(payload["params"])), fitted, subspace


def _legacy_kind(networks: Networks) -> str:
    """The kind of networks fitted by skgan 0.1.0, which did not store it."""
    if networks.encoder is not None:
        return "bigan"
    if networks.generator.n_classes:
        return "acgan"
    return "catgan" if getattr(networks.discriminator, "n_categories", 0) else "dcgan"


def legacy_state(state: dict) -> dict:
    """A pickled estimator's ``__dict__`` of skgan 0.1.0 with its fit as one ``fitted_gan_``."""
    if "generator_" not in state:
        return state
    state = dict(state)
    networks = Networks(state.pop("generator_"), state.pop("discriminator_"), state.pop("encoder_"))
    layout = ImageLayout(
        state.pop("n_features_in_"), state.pop("image_shape_"), state.pop("data_range_")
    )
    state["fitted_gan_"] = FittedGAN(
        kind=_legacy_kind(networks),
        networks=networks,
        layout=layout,
        input_ndim=state.pop("input_ndim_"),
        feature_names_in=state.pop("feature_names_in_", None),
        classes=state.pop("classes_", None),
        history=state.pop("history_"),
        best_epoch=state.pop("best_epoch_"),
        record=state.pop("_training_record", None),
    )
    return state


# ----------------------------------------------------------------- checkpoints
def fingerprint(data, labels: torch.Tensor | None = None) -> str:
    """A digest of the training data, so a checkpoint resumes only on the same data.

    An array is hashed whole. A torch Dataset (``DatasetSamples``) is hashed
    by its length, its items' shape and dtype and ``FINGERPRINT_ITEMS``
    evenly spaced items, so that checking costs no pass over it. The class
    ``labels`` of a kind trained with them, when given, are hashed too.
    """
    header = f"{data.shape}{data.dtype}"
    if isinstance(data, DatasetSamples):
        header = f"Dataset{header}{data.item_shape}"
        n = len(data)
        data = data[np.unique(np.linspace(0, n - 1, min(n, FINGERPRINT_ITEMS)).round().astype(int))]
    digest = hashlib.blake2b(header.encode(), digest_size=16)
    digest.update(np.ascontiguousarray(data).data)
    if labels is not None:
        digest.update(labels.numpy().tobytes())
    return digest.hexdigest()


class Checkpoint:
    """The checkpoint of one fit in ``directory``: what it must match, and the file.

    Parameters
    ----------
    directory : str or path-like
        Where ``checkpoint.skgan`` lives.
    params : dict
        The estimator's parameters.
    defaults : dict
        The parameters' defaults (a checkpoint written before a parameter
        existed had its default).
    images : Images
        The validated training images (their layout must match).
    classes : tuple of (ndarray, Tensor) or None
        The class names and per-sample class indices of a kind trained with labels.
    must_match : tuple of str
        The parameters a resumed run must share.
    """

    def __init__(self, directory, params, defaults, images, classes, must_match):
        self.directory = Path(directory)
        self.params = params
        self.defaults = defaults
        names, indices = classes if classes is not None else (None, None)
        self.metadata = _metadata(images.layout, images.ndim, images.feature_names, names)
        self.fingerprint = fingerprint(images.data, indices)
        self.must_match = must_match

    @property
    def path(self) -> Path:
        return self.directory / CHECKPOINT_NAME

    def __call__(self, history, record: dict) -> None:
        """Write the training ``record`` of the running fit."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"format": CHECKPOINT_FORMAT, **_header(self.params, self.metadata, history)}
        payload["fingerprint"] = self.fingerprint
        payload["training"] = record
        _write_atomically(payload, self.path)

    def read(self) -> tuple[History, dict] | None:
        """``(history, record)`` of the checkpoint, or None if there is none.

        Raises ``ValueError`` when the checkpoint belongs to another run: other
        values of the parameters named in ``must_match``, another image layout
        or other training data.
        """
        if not self.path.exists():
            return None
        payload = _read(self.path, CHECKPOINT_FORMAT)
        saved = json.loads(payload["params"])
        saved = _tuple_params(upgraded_params(saved, json_params(self.defaults)))
        current = _tuple_params(json_params(self.params))
        differ = [name for name in self.must_match if saved.get(name) != current.get(name)]
        metadata = json.loads(payload["metadata"])
        differ += [name for name in METADATA if self.metadata[name] != metadata[name]]
        if payload["fingerprint"] != self.fingerprint:
            differ.append("training data")
        if differ:
            raise ValueError(
                f"The checkpoint in {self.directory} belongs to another fit: its "
                f"{', '.join(differ)} differ from this one's. Use another checkpoint_dir, "
                f"or delete {self.path} to start over."
            )
        return History(json.loads(payload["history"])), payload["training"]
