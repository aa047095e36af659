from conftest import TINY
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgan import GANFeatureExtractor


@parametrize_with_checks(
    [
        GANFeatureExtractor(**{**TINY, "width": 4, "latent_dim": 4, "batch_size": 16}),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "tap": "conv", "pooling": "avg"}
        ),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "subspace": "complement"},
            n_subspace_directions=2,
        ),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "gan": "bigan", "features": "encoder"}
        ),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "features": "inversion", "inversion_steps": 3}
        ),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "gan": "acgan", "features": "categories"}
        ),
        GANFeatureExtractor(
            **{**TINY, "width": 4, "latent_dim": 4, "gan": "catgan", "n_categories": 3}
        ),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
