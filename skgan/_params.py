"""One table of the estimator's parameters: each one's check, concern and GAN kinds.

Every public method of ``GANFeatureExtractor`` checks the concerns it uses
(:func:`check_params`) before it reads any data or assigns anything. A
parameter that only some GAN kinds use is named in those kinds' specs
(``GANSpec.params``); :func:`check_kind_params` generates the error for a
non-default value of one with another kind.

Concerns: ``"training"`` (read by ``fit``), ``"readout"`` (what ``transform``
returns), ``"subspace"`` (the real-vs-generated projection), ``"runtime"``
(where and how networks run, read by every method that runs them) and
``"input"`` (how ``X`` is laid out, read with it). ``resume`` marks the
parameters a checkpoint must share with the fit that resumes it.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sklearn.utils import check_scalar

from ._augment import AUGMENTATIONS
from ._device import PRECISIONS, resolve_device
from ._readout import ENCODER_LAYERS, POOLINGS, READOUTS, TAP_PARAMS, TAPS
from ._subspace import SUBSPACES
from ._trainer import LR_SCHEDULES
from .gans import GANS
from .gans._selfsup import TASKS

SELECT_EPOCHS = ("last", "best")


# ----------------------------------------------------------------- the checks
def one_of(allowed, value, name: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}; got {value!r}.")


def integer(min_val: int, value, name: str) -> None:
    check_scalar(value, name, numbers.Integral, min_val=min_val)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def pool_sizes(value, name: str) -> None:
    """A grid side ``>= 1``, or a non-empty sequence of distinct ones (a pyramid)."""
    if _is_int(value):
        integer(1, value, name)
        return
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be an int or a sequence of ints (a pyramid); got {value!r}.")
    if (
        not value
        or not all(_is_int(v) for v in value)
        or min(value) < 1
        or len(set(value)) != len(value)
    ):
        raise ValueError(
            f"{name} must be an int >= 1 or a non-empty sequence of distinct ints >= 1 "
            f"(a pyramid, e.g. (4, 2)); got {value!r}."
        )


def or_auto(check: Callable, value, name: str) -> None:
    """``"auto"``, or what ``check`` allows."""
    if isinstance(value, str):
        one_of({"auto"}, value, name)
        return
    check(value, name)


def pooling_form(allowed, value, name: str) -> None:
    """A name in ``allowed``, or the weight of max in ``[0, 1]`` (a max-average mix)."""
    if isinstance(value, str):
        one_of(allowed, value, name)
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be one of {sorted(allowed)} or a number in [0, 1] (the weight of "
            f"max); got {value!r}."
        )
    if not 0 <= value <= 1:
        raise ValueError(
            f"{name} as a number is the weight of max pooling, in [0, 1]; got {value!r}."
        )


def finite_real(positive: bool, value, name: str) -> None:
    """``value`` is a finite real, ``> 0`` or ``>= 0`` (``check_scalar`` lets inf and NaN by)."""
    check_scalar(
        value, name, numbers.Real, min_val=0, include_boundaries="neither" if positive else "both"
    )
    if not math.isfinite(value):
        bound = "positive number" if positive else "number >= 0"
        raise ValueError(f"{name} must be a finite {bound}; got {value!r}.")


def learning_rate(value, name: str) -> None:
    """``"auto"`` or a finite positive number."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or a positive number; got {value!r}.")
        return
    finite_real(True, value, name)


def boolean(value, name: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}.")


def directory_or_none(value, name: str) -> None:
    if not (value is None or isinstance(value, (str, os.PathLike))):
        raise TypeError(f"{name} must be None or a directory path; got {value!r}.")


def betas(value, name: str) -> None:
    if (
        not isinstance(value, Sequence)
        or len(value) != 2
        or not all(isinstance(b, numbers.Real) and 0 <= b < 1 for b in value)
    ):
        raise ValueError(f"{name} must be a pair of floats in [0, 1); got {value!r}.")


def fixed_range(value) -> tuple[float, float]:
    """A ``(low, high)`` input range as floats."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_range must be 'auto' or a (low, high) pair of numbers; got {value!r}."
        ) from None
    return low, high


def input_range(value, name: str) -> None:
    if isinstance(value, str) and value == "auto":
        return
    low, high = fixed_range(value)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(
            f"{name} must be 'auto' or (low, high) with finite low < high; got {value!r}."
        )


def device(value, name: str) -> None:
    resolve_device(value)


def layers_form(value, name: str) -> None:
    """``"all"`` or a sequence; the indices are checked against the networks' block count."""
    if isinstance(value, str):
        one_of({"all"}, value, name)


def subspace(value, name: str) -> None:
    if value is not None and not (isinstance(value, str) and value in SUBSPACES):
        raise ValueError(f"{name} must be None, 'complement' or 'discriminative'; got {value!r}.")


# ------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Param:
    """One row: a parameter, its check, its concern and whether a resume must match it.

    ``purpose`` says what a parameter of some GAN kinds only does, for the
    error :func:`check_kind_params` raises; ``strict=False`` lets such a
    parameter keep a non-default value with other kinds (it is then unused).
    """

    name: str
    check: Callable | None
    concern: str
    resume: bool = False
    purpose: str = ""
    strict: bool = True

    @property
    def kinds(self) -> tuple[str, ...] | None:
        """The GAN kinds that use it (``None``: all of them)."""
        kinds = tuple(name for name, spec in GANS.items() if self.name in spec.params)
        return kinds or None


def kind_param(name: str, check: Callable, purpose: str) -> Param:
    """A training parameter of some GAN kinds only (their specs name it), resumed as it was."""
    return Param(name, check, "training", resume=True, purpose=purpose)


PARAMS = (
    Param("image_shape", None, "input", resume=True),  # checked against X
    Param("latent_dim", partial(integer, 1), "training", resume=True),
    Param("width", partial(integer, 1), "training", resume=True),
    Param("n_epochs", partial(or_auto, partial(integer, 0)), "training"),
    Param("batch_size", partial(integer, 1), "training", resume=True),
    Param("lr", learning_rate, "training", resume=True),
    Param("lr_schedule", partial(one_of, tuple(LR_SCHEDULES)), "training", resume=True),
    kind_param(
        "reconstruction_weight",
        partial(finite_real, False),
        "weights BiGAN's cycle-consistency term G(E(x)) ~ x",
    ),
    kind_param(
        "self_supervision",
        partial(one_of, ("auto", *TASKS)),
        "gives the DCGAN discriminator a self-supervised task",
    ),
    kind_param(
        "augmentation",
        partial(one_of, ("auto", *AUGMENTATIONS)),
        "draws the contrastive discriminator's views",
    ),
    kind_param(
        "temperature", partial(finite_real, True), "scales the contrastive discriminator's losses"
    ),
    Param("verbose", partial(integer, 0), "training"),
    Param("n_categories", partial(integer, 2), "training", resume=True, strict=False),
    Param("num_workers", partial(integer, 0), "runtime"),
    Param("precision", partial(one_of, PRECISIONS), "runtime", resume=True),
    Param("gan", partial(one_of, GANS), "training", resume=True),
    Param("select_epoch", partial(one_of, SELECT_EPOCHS), "training", resume=True),
    Param("compile", boolean, "training"),
    Param("warm_start", boolean, "training"),
    Param("distributed", boolean, "training"),
    Param("checkpoint_dir", directory_or_none, "training"),
    Param("betas", betas, "training", resume=True),
    Param("input_range", input_range, "input", resume=True),
    Param("random_state", None, "training", resume=True),  # check_random_state, when used
    Param("device", device, "runtime"),
    Param("features", partial(one_of, READOUTS), "readout"),
    Param("encoder_layer", partial(one_of, ENCODER_LAYERS), "readout"),
    Param("inversion_steps", partial(integer, 0), "readout"),
    Param("inversion_lr", partial(finite_real, True), "readout"),
    Param("tap", partial(one_of, TAPS), "readout"),
    Param("pooling", partial(pooling_form, ("auto", *POOLINGS)), "readout"),
    Param("pool_size", partial(or_auto, pool_sizes), "readout"),
    Param("layers", layers_form, "readout"),
    Param("transform_batch_size", partial(integer, 1), "runtime"),
    Param("subspace", subspace, "subspace"),
    Param("n_subspace_directions", partial(integer, 1), "subspace"),
)
ROWS = {param.name: param for param in PARAMS}


def check_params(params: dict, *concerns: str) -> None:
    """Run the check of every parameter of ``concerns`` on its value in ``params``."""
    for param in PARAMS:
        if param.concern in concerns and param.check is not None:
            param.check(params[param.name], param.name)
    if "subspace" in concerns and params["subspace"] is not None:
        if params["features"] != "discriminator":
            raise ValueError(
                f"subspace projects discriminator features; it needs "
                f"features='discriminator', got features={params['features']!r}."
            )


def check_kind_params(params: dict, defaults: dict) -> None:
    """Refuse a non-default value of a parameter that ``params["gan"]`` does not use."""
    gan = params["gan"]
    for param in PARAMS:
        kinds = param.kinds
        if not param.strict or kinds is None or gan in kinds:
            continue
        if params[param.name] != defaults[param.name]:
            wanted = " or ".join(f"gan={kind!r}" for kind in kinds)
            raise ValueError(f"{param.name} {param.purpose}: it needs {wanted}; got gan={gan!r}.")


#: What a fit made before these parameters existed did (for save files, pickles
#: and checkpoints that lack them); other absent parameters take their defaults.
ABSENT = {"self_supervision": "none", "lr_schedule": "constant"}


def upgraded_params(params: dict, defaults: dict) -> dict:
    """Saved ``params`` (of a file, pickle or checkpoint) in terms of today's parameters.

    Parameters written by this version are returned as they are. In older
    ones, a parameter the file lacks gets the value that reproduces the old
    fit (:data:`ABSENT`) or its default, and a parameter of other GAN kinds
    than the file's gets its default (it was unused, and its default may
    have changed since).
    """
    if set(defaults) <= set(params):
        return params
    params = {**defaults, **ABSENT, **params}
    gan = params["gan"]
    for param in PARAMS:
        kinds = param.kinds
        if param.strict and kinds is not None and gan not in kinds:
            params[param.name] = defaults[param.name]
    return params


def resume_params(select_epoch: str) -> tuple[str, ...]:
    """The parameters a checkpoint must share with the fit that resumes it.

    With ``select_epoch="best"`` the epochs were scored on the discriminator
    read-out, so its parameters must match too.
    """
    names = tuple(param.name for param in PARAMS if param.resume)
    return names + (TAP_PARAMS if select_epoch == "best" else ())
