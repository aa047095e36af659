"""skgan: learn image features without labels by training a GAN, for scikit-learn."""

from ._extractor import GANFeatureExtractor

__version__ = "0.1.0"

__all__ = ["GANFeatureExtractor", "__version__"]
