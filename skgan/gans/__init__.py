"""The GAN kinds ``GANFeatureExtractor(gan=...)`` trains: one module each, one registry.

Adding a kind: a module here with a :class:`~skgan.gans._spec.GANSpec`
subclass (networks, step, capabilities), one line in :data:`GANS`, and its
tests. Nothing else names the kinds.
"""

from ._spec import GANSpec, NetSize
from .acgan import ACGAN
from .bigan import BiGAN
from .catgan import CatGAN
from .dcgan import DCGAN

#: ``gan`` value -> its spec.
GANS: dict[str, GANSpec] = {spec.name: spec for spec in (DCGAN(), BiGAN(), ACGAN(), CatGAN())}

__all__ = ["GANS", "GANSpec", "NetSize"]
