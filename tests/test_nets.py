import pytest
import torch
from torch import nn

from skgan._nets import Discriminator, Generator, block_channels, build_dcgan, n_blocks


@pytest.mark.parametrize("side, blocks", [(8, 1), (16, 2), (32, 3), (64, 4)])
def test_blocks_halve_the_side_down_to_four(side, blocks):
    assert n_blocks(side) == blocks
    generator, discriminator = build_dcgan(channels=3, side=side, width=4, latent_dim=5)
    images = generator(torch.randn(2, 5))
    assert images.shape == (2, 3, side, side)
    assert discriminator(images).shape == (2,)
    assert discriminator.blocks(images).shape[-1] == 4


def test_mnist_discriminator_matches_radford_layout():
    discriminator = Discriminator(channels=1, side=32, width=64)
    assert block_channels(64, 32) == [64, 128, 256]
    assert [name for name, _ in discriminator.blocks.named_children()] == ["d0", "d1", "d2"]
    assert not hasattr(discriminator.blocks.d0, "bn")
    assert all(isinstance(discriminator.blocks[i].bn, nn.BatchNorm2d) for i in (1, 2))


def test_activations_are_not_in_place():
    _, discriminator = build_dcgan(1, 32, 4, 3)
    for module in discriminator.modules():
        if isinstance(module, nn.LeakyReLU):
            assert module.negative_slope == 0.2 and not module.inplace


def test_generator_output_is_tanh_bounded():
    generator = Generator(latent_dim=3, channels=1, side=16, width=4)
    out = generator(torch.randn(4, 3) * 100)
    assert out.abs().max() <= 1.0


def test_dcgan_init_draws_small_normal_weights():
    torch.manual_seed(0)
    generator, discriminator = build_dcgan(1, 32, 64, 100)
    weight = discriminator.blocks.d1.conv.weight
    assert abs(weight.mean().item()) < 1e-3
    assert weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert discriminator.blocks.d1.bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)
