"""The real-vs-generated subspace of discriminator features, by iterative nullspace projection.

A discriminator is trained to tell real images from generated ones, so part of
its features may encode only that. :func:`real_fake_subspace` finds the
directions (Ravfogel et al., 2020, "Null It Out"): fit a linear real-vs-generated
classifier, take its unit weight vector, project it out of the features, and
repeat until the directions run out or a held-out classifier is near chance.
:func:`project` then keeps the orthogonal complement of those directions, or
only their span.

The classifier is an L2-regularised logistic regression on *standardised*
features: the tapped blocks differ in scale by orders of magnitude, and without
standardising the penalty would favour the loudest block. Its weight vector is
mapped back to the features' own coordinates (divided by the standard
deviations) before it is projected out, so the removed direction is exactly the
one the classifier's decision function reads in the space ``transform``
returns: after the projection that classifier is constant.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import check_random_state

#: ``subspace`` values that use a basis; ``None`` returns the features as they are.
SUBSPACES = ("complement", "discriminative")
#: Share of the real (and of the generated) images held out to score each classifier.
HELD_OUT_FRACTION = 0.2
#: L2 penalty on the standardised weights, added to the mean logistic loss.
ALPHA = 1e-4
#: L-BFGS iterations per classifier.
MAX_ITER = 100


def chance_threshold(n_held_out: int) -> float:
    """Held-out real/generated accuracy at or below which the search stops.

    ``n_held_out`` real and as many generated images are scored, so chance is
    0.5; the threshold is 0.5 plus two standard errors of a coin's accuracy on
    them (``1 / sqrt(2 * n_held_out)``), and at least one point.

    Examples
    --------
    >>> round(chance_threshold(12000), 3)
    0.51
    >>> round(chance_threshold(50), 3)
    0.6
    """
    return 0.5 + max(0.01, 1.0 / math.sqrt(2 * n_held_out))


def _logistic_direction(
    features: torch.Tensor, signs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and intercept, in ``features``' own coordinates, of a standardised logistic fit."""
    var, mean = torch.var_mean(features, dim=0, correction=0)
    # A constant column carries nothing; a zero scale keeps it out of the fit.
    scale = torch.where(var > 0, var.clamp_min(1e-30).rsqrt(), torch.zeros_like(var))
    w = torch.zeros(features.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)

    def closure():
        optimizer.zero_grad()
        u = w * scale
        logits = features @ u + (b - mean @ u)
        loss = F.softplus(-signs * logits).mean() + 0.5 * ALPHA * w.square().sum()
        loss.backward()
        return loss

    optimizer = torch.optim.LBFGS(
        [w, b], lr=1.0, max_iter=MAX_ITER, history_size=20, line_search_fn="strong_wolfe"
    )
    optimizer.step(closure)
    with torch.no_grad():
        u = w * scale
        return u, b - mean @ u


def _orthogonal_unit(vector: np.ndarray, basis: list[np.ndarray]) -> np.ndarray | None:
    """``vector`` minus its components along ``basis``, normalised; ``None`` if nothing is left.

    Classical Gram-Schmidt run twice ("twice is enough") keeps the basis
    orthonormal to float64 precision.
    """
    v = vector.astype(np.float64)
    norm = np.linalg.norm(v)
    for _ in range(2):
        for q in basis:
            v -= (q @ v) * q
    if not np.linalg.norm(v) > 1e-8 * norm:
        return None
    return v / np.linalg.norm(v)


def real_fake_subspace(
    features: np.ndarray, n_train: int, n_directions: int
) -> tuple[np.ndarray, list[float]]:
    """Orthonormal real-vs-generated directions found by iterative nullspace projection.

    ``features`` holds four equal-width row blocks: ``n_train`` real, ``n_train``
    generated, then the held-out real and as many held-out generated rows.
    It is projected **in place** as directions are found (no copy of a large
    feature matrix is made).

    Parameters
    ----------
    features : ndarray of shape (2 * n_train + 2 * n_held_out, n_features), float32
        Pooled discriminator features, C-contiguous; overwritten.
    n_train : int
        Real (and generated) rows to fit each classifier on.
    n_directions : int
        Most directions to find.

    Returns
    -------
    basis : ndarray of shape (n_features, k), float32
        Orthonormal columns, ``k <= n_directions``.
    scores : list of float
        ``scores[i]``: held-out accuracy of the classifier fitted after ``i``
        directions were removed (``k + 1`` entries; the last is what is left
        in the complement).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> real, fake = rng.normal(size=(2, 500, 5)).astype(np.float32)
    >>> fake[:, 0] += 3  # generated samples differ along the first axis only
    >>> rows = np.concatenate([real[:400], fake[:400], real[400:], fake[400:]])
    >>> basis, scores = real_fake_subspace(rows, 400, n_directions=3)
    >>> basis.shape, round(abs(float(basis[0, 0])), 2), [round(s, 2) for s in scores]
    ((5, 1), 0.99, [0.93, 0.52])
    """
    n_held_out = (len(features) - 2 * n_train) // 2
    data = torch.from_numpy(features)
    train, held_out = data[: 2 * n_train], data[2 * n_train :]
    signs_train = torch.cat([torch.ones(n_train), -torch.ones(n_train)])
    signs_held_out = torch.cat([torch.ones(n_held_out), -torch.ones(n_held_out)])
    threshold = chance_threshold(n_held_out)
    basis: list[np.ndarray] = []
    scores: list[float] = []
    while True:
        weights, intercept = _logistic_direction(train, signs_train)
        predicted = torch.sign(held_out @ weights + intercept)
        scores.append(float((predicted == signs_held_out).float().mean()))
        if scores[-1] <= threshold or len(basis) == n_directions:
            break
        direction = _orthogonal_unit(weights.double().numpy(), basis)
        if direction is None:
            break
        basis.append(direction)
        v = torch.from_numpy(direction.astype(np.float32))
        data.addr_(data @ v, v, alpha=-1.0)
    width = features.shape[1]
    matrix = np.stack(basis, axis=1) if basis else np.zeros((width, 0))
    return matrix.astype(np.float32), scores


def project(features, basis, subspace: str):
    """``features`` projected onto span(``basis``) or onto its orthogonal complement.

    Works on NumPy arrays and on torch tensors alike; the result keeps the
    original coordinates, so ``project(f, b, "complement") + project(f, b,
    "discriminative")`` equals ``f``.

    Parameters
    ----------
    features : ndarray or Tensor of shape (n_samples, n_features)
    basis : ndarray or Tensor of shape (n_features, k)
        Orthonormal columns.
    subspace : {"complement", "discriminative"}

    Returns
    -------
    projected : ndarray or Tensor of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> f = np.array([[1.0, 2.0, 3.0]])
    >>> b = np.array([[0.0], [1.0], [0.0]])
    >>> project(f, b, "complement"), project(f, b, "discriminative")
    (array([[1., 0., 3.]]), array([[0., 2., 0.]]))
    """
    along = (features @ basis) @ basis.T
    return features - along if subspace == "complement" else along


def fit_subspace(
    fitted, data, n_features: int, n_directions: int, random_state, read
) -> tuple[np.ndarray, list[float]]:
    """The real-vs-generated basis and scores of a discriminator read-out.

    ``data`` holds the real rows; as many images are drawn from ``fitted``'s
    generator. ``read(rows, out)`` writes the read-out's ``n_features``
    features of ``rows`` into ``out``. See :func:`real_fake_subspace`.
    """
    n = len(data)
    if n < 2:
        raise ValueError(
            f"Finding the real-vs-generated subspace needs at least 2 images (one is "
            f"held out); got {n} sample{'s' if n != 1 else ''}."
        )
    rng = check_random_state(random_state)
    n_held_out = max(1, round(HELD_OUT_FRACTION * n))
    n_train = n - n_held_out
    real = data[rng.permutation(n)]
    fake = fitted.sample(n, random_state=rng).reshape(n, -1)
    # Row blocks: real / generated for fitting, then real / generated held out.
    blocks = [real[:n_train], fake[:n_train], real[n_train:], fake[n_train:]]
    features = np.empty((2 * n, n_features), dtype=np.float32)
    start = 0
    for block in blocks:
        stop = start + len(block)
        read(block, features[start:stop])
        start = stop
    return real_fake_subspace(features, n_train, n_directions)
