"""Generator inversion: the latent code from which a fitted generator draws an image.

For each image ``x`` (model scale, padded), :func:`invert` finds
``z* = argmin_z ||G(z) - x||^2`` by Adam steps on a batch of codes. The loss
is each image's mean squared error summed over the batch and the generator
runs in eval mode (batchnorm with fixed statistics), so every code's gradient
depends on its own image only and Adam's element-wise updates keep the codes
independent: the result does not depend on how images are batched.
"""

from __future__ import annotations

import torch


def invert(
    generator: torch.nn.Module, x: torch.Tensor, start: torch.Tensor, steps: int, lr: float
) -> torch.Tensor:
    """Codes ``z`` with ``generator(z)`` close to ``x``, after ``steps`` Adam steps from ``start``.

    Parameters
    ----------
    generator : torch.nn.Module
        A generator in eval mode, mapping ``(n, latent_dim)`` codes to images.
    x : torch.Tensor of shape (n, C, S, S)
        Target images in the generator's scale.
    start : torch.Tensor of shape (n, latent_dim)
        Initial codes (e.g. an encoder's ``E(x)``, or zeros).
    steps : int
        Adam steps; ``0`` returns ``start``.
    lr : float
        Adam's learning rate.

    Returns
    -------
    z : torch.Tensor of shape (n, latent_dim)
        The codes, detached, float32.

    Examples
    --------
    >>> import torch
    >>> from skgan._nets import Generator
    >>> generator = Generator(latent_dim=4, channels=1, side=8, width=4).eval()
    >>> target = generator(torch.ones(2, 4)).detach()
    >>> start = torch.full((2, 4), -1.0)
    >>> z = invert(generator, target, start, steps=100, lr=0.05)
    >>> def error(z):
    ...     return ((generator(z) - target) ** 2).mean().item()
    >>> error(z) < error(start) / 10
    True
    """
    z = start.detach().float().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([z], lr=lr)
    # The fitted generator's weights are not trained here; only the codes get
    # gradients. Each weight's own flag is restored after, so a generator
    # whose owner froze some weights comes back as it was.
    flags = [(p, p.requires_grad) for p in generator.parameters()]
    generator.requires_grad_(False)
    try:
        with torch.enable_grad():
            for _ in range(steps):
                error = (generator(z).float() - x.float()).square().flatten(1).mean(dim=1)
                optimizer.zero_grad(set_to_none=True)
                error.sum().backward()
                optimizer.step()
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)
    return z.detach()
