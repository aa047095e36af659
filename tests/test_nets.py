import copy

import pytest
import torch
from torch import nn

from skgan._nets import (
    Discriminator,
    Encoder,
    Generator,
    JointDiscriminator,
    SpectralLinear,
    block_channels,
    n_blocks,
)
from skgan.gans import GANS, NetSize


def build(gan, channels, side, width, latent_dim, n_categories=0):
    return GANS[gan].build(NetSize(channels, side, width, latent_dim, n_categories))


@pytest.mark.parametrize("side, blocks", [(8, 1), (16, 2), (32, 3), (64, 4)])
def test_blocks_halve_the_side_down_to_four(side, blocks):
    assert n_blocks(side) == blocks
    networks = build("dcgan", channels=3, side=side, width=4, latent_dim=5)
    generator, discriminator = networks.generator, networks.discriminator
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
    discriminator = build("dcgan", 1, 32, 4, 3).discriminator
    for module in discriminator.modules():
        if isinstance(module, nn.LeakyReLU):
            assert module.negative_slope == 0.2 and not module.inplace


def test_generator_output_is_tanh_bounded():
    generator = Generator(latent_dim=3, channels=1, side=16, width=4)
    out = generator(torch.randn(4, 3) * 100)
    assert out.abs().max() <= 1.0


def test_dcgan_init_draws_small_normal_weights():
    torch.manual_seed(0)
    discriminator = build("dcgan", 1, 32, 64, 100).discriminator
    weight = discriminator.blocks.d1.conv.weight
    assert abs(weight.mean().item()) < 1e-3
    assert weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert discriminator.blocks.d1.bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_encoder_maps_images_to_codes_through_its_own_block_stack():
    encoder = build("bigan", channels=1, side=32, width=4, latent_dim=5).encoder
    assert isinstance(encoder, Encoder)
    assert [name for name, _ in encoder.blocks.named_children()] == ["e0", "e1", "e2"]
    assert encoder(torch.randn(3, 1, 32, 32)).shape == (3, 5)


def test_joint_discriminator_x_path_is_the_dcgan_block_stack():
    joint = build("bigan", channels=3, side=16, width=4, latent_dim=5).discriminator
    plain = build("dcgan", channels=3, side=16, width=4, latent_dim=5).discriminator
    assert isinstance(joint, JointDiscriminator)
    assert str(joint.blocks) == str(plain.blocks)
    x, z = torch.randn(2, 3, 16, 16), torch.randn(2, 5)
    assert joint(x, z).shape == (2,)
    joint.eval()
    # The logit depends on both the image and the code.
    assert not torch.equal(joint(x, z), joint(x, torch.randn(2, 5)))
    assert not torch.equal(joint(x, z), joint(torch.randn(2, 3, 16, 16), z))


def test_build_gan_gives_the_networks_of_each_kind():
    dcgan = build("dcgan", 1, 8, 4, 3)
    bigan = build("bigan", 1, 8, 4, 3)
    assert dcgan.encoder is None and isinstance(dcgan.discriminator, Discriminator)
    assert isinstance(bigan.encoder, Encoder)
    assert isinstance(bigan.discriminator, JointDiscriminator)
    assert list(bigan.roles()) == ["generator", "discriminator", "encoder"]
    assert set(GANS) == {"dcgan", "bigan", "acgan", "catgan"}


@pytest.mark.parametrize(
    "gan, outputs, conditional", [("acgan", 1 + 6, 6), ("catgan", 6, 0), ("dcgan", 1, 0)]
)
def test_class_aware_kinds_change_only_the_heads(gan, outputs, conditional):
    networks = build(gan, 1, 16, 4, 3, n_categories=6)
    generator, discriminator = networks.generator, networks.discriminator
    assert generator.n_classes == conditional
    assert discriminator.head.out_channels == outputs
    plain = build("dcgan", 1, 16, 4, 3).discriminator
    assert [p.shape for p in discriminator.blocks.parameters()] == [
        p.shape for p in plain.blocks.parameters()
    ]


def test_acgan_heads_split_real_fake_and_class_logits():
    networks = build("acgan", 1, 8, 4, 3, n_categories=5)
    generator, discriminator = networks.generator, networks.discriminator
    z = torch.randn(4, 3)
    images = generator(z, torch.tensor([0, 1, 2, 4]))
    assert images.shape == (4, 1, 8, 8)
    # The class changes the image: the generator is conditional.
    assert not torch.equal(images, generator(z, torch.tensor([1, 1, 2, 4])))
    logits = discriminator(images)
    assert logits.shape == (4, 6)
    torch.testing.assert_close(discriminator.category_logits(logits), logits[:, 1:])
    with pytest.raises(ValueError, match="class-conditional"):
        generator(z)


def test_catgan_discriminator_has_only_category_logits():
    discriminator = build("catgan", 1, 8, 4, 3, n_categories=5).discriminator
    logits = discriminator(torch.randn(2, 1, 8, 8))
    assert logits.shape == (2, 5)
    assert torch.equal(discriminator.category_logits(logits), logits)


def test_spectral_linear_has_unit_spectral_norm_after_power_iterations():
    torch.manual_seed(0)
    layer = SpectralLinear(6, 4)
    with torch.no_grad():
        layer.weight.mul_(10)
    for _ in range(30):
        layer(torch.randn(2, 6))
    normalised = layer.weight / torch.dot(layer.u, layer.weight @ layer.v)
    assert torch.linalg.matrix_norm(normalised, ord=2).item() == pytest.approx(1.0, rel=1e-3)
    layer.eval()
    x = torch.randn(3, 6)
    torch.testing.assert_close(layer(x), x @ normalised.t() + layer.bias)
    copy.deepcopy(layer)  # unlike torch's parametrizations


def test_spectral_norm_is_float32_under_bf16_autocast():
    def trained_layer(dtype):
        torch.manual_seed(0)
        layer = SpectralLinear(6, 4)
        with torch.no_grad():
            layer.weight.mul_(10)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            for _ in range(30):
                out = layer(torch.randn(2, 6))
            out.float().sum().backward()  # used to fail: dot of float32 u and bf16 W v
            return layer, layer.sigma()

    fp32, sigma = trained_layer(None)
    bf16, bf16_sigma = trained_layer(torch.bfloat16)
    assert bf16_sigma.dtype == torch.float32 and bf16.u.dtype == torch.float32
    torch.testing.assert_close(bf16_sigma, sigma, rtol=0, atol=0)
    assert bf16.weight.grad is not None and torch.isfinite(bf16.weight.grad).all()


def test_joint_discriminator_runs_under_bf16_autocast():
    torch.manual_seed(0)
    discriminator = JointDiscriminator(3, 1, 8, 4).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = discriminator(torch.randn(5, 1, 8, 8), torch.randn(5, 3))
    logits.float().sum().backward()
    assert logits.shape == (5,) and torch.isfinite(logits.float()).all()
