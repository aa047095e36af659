"""skgan: learn image features without labels by training a GAN, for scikit-learn."""

from ._extractor import GANFeatureExtractor
from ._pretrained import DiscriminatorFeatures, GeneratorInversion

__version__ = "0.1.0"

__all__ = ["DiscriminatorFeatures", "GANFeatureExtractor", "GeneratorInversion", "__version__"]
