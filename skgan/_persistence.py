"""Saving and loading fitted extractors without pickle.

One file written by ``torch.save`` holds only tensors (the networks' state
dicts) and strings: the estimator's parameters and fitted metadata as JSON.
Loading uses ``torch.load(weights_only=True)``, which refuses arbitrary Python
objects, so a file from an untrusted source cannot run code. The file is
written to a temporary name and renamed, so an interrupted save never leaves a
half-written model behind.
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
#: Fitted attributes stored as JSON, besides the networks.
METADATA = ("image_shape_", "data_range_", "input_ndim_", "n_features_in_")


def _json_param(name: str, value):
    """A parameter as JSON; ``random_state`` objects become ``None`` (not reproducible)."""
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if name == "random_state" and not (value is None or isinstance(value, int)):
        return None
    return value


def save(estimator, path) -> None:
    """Write a fitted ``estimator`` to ``path`` atomically (see module docstring)."""
    check_is_fitted(estimator)
    params = {k: _json_param(k, v) for k, v in estimator.get_params(deep=False).items()}
    metadata = {k: _json_param(k, getattr(estimator, k)) for k in METADATA}
    names = getattr(estimator, "feature_names_in_", None)
    metadata["feature_names_in_"] = None if names is None else [str(n) for n in names]
    payload = {
        "format": FORMAT,
        "params": json.dumps(params),
        "metadata": json.dumps(metadata),
        "history": json.dumps(list(estimator.history_)),
        "latent_dim": estimator.generator_.latent_dim,
        "width": estimator.discriminator_.blocks[0].conv.out_channels,
        "generator": estimator.generator_.state_dict(),
        "discriminator": estimator.discriminator_.state_dict(),
    }
    if estimator.encoder_ is not None:
        payload["encoder"] = estimator.encoder_.state_dict()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tuple_params(params: dict) -> dict:
    for name in ("betas", "image_shape", "input_range"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    return params


def load(cls, path):
    """Rebuild a fitted ``cls`` instance from a file written by :func:`save`."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"{path} is not a file saved by GANFeatureExtractor.save, or it holds objects "
            f"that are not allowed to load safely ({exc})."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file.")
    estimator = cls(**_tuple_params(json.loads(payload["params"])))
    metadata = json.loads(payload["metadata"])
    for name in METADATA:
        value = metadata[name]
        setattr(estimator, name, tuple(value) if isinstance(value, list) else value)
    if metadata["feature_names_in_"] is not None:
        estimator.feature_names_in_ = np.asarray(metadata["feature_names_in_"], dtype=object)
    layout = estimator._layout()
    # The fitted networks decide, not the ``gan`` parameter (which may have been set since).
    gan = "bigan" if "encoder" in payload else "dcgan"
    networks = build_gan(gan, layout.channels, layout.side, payload["width"], payload["latent_dim"])
    for role, network in networks.items():
        if network is not None:
            network.load_state_dict(payload[role])
            network.eval()
    estimator.generator_ = networks["generator"]
    estimator.discriminator_ = networks["discriminator"]
    estimator.encoder_ = networks["encoder"]
    estimator.history_ = History(json.loads(payload["history"]))
    return estimator
