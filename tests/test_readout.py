import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skgan._images import ImageBatches, ImageLayout
from skgan._readout import (
    block_taps,
    feature_names,
    pooled_taps,
    set_population_statistics,
    trace_convolutions,
    traced_taps,
)
from skgan.gans import GANS, NetSize


def discriminator_features(discriminator, x, layers, tap, pool_size, pooling):
    """Radford's read-out of skgan's discriminator for 16 x 16 images."""
    taps = block_taps(discriminator.blocks, 16, layers, tap, pool_size)
    return pooled_taps(discriminator.blocks, x, taps, pooling)


def tap_layout(discriminator, side, layers, pool_size):
    taps = block_taps(discriminator.blocks, side, layers, "activation", pool_size)
    return [(t.label, t.channels, t.grid) for t in taps]


@pytest.fixture
def network_and_data():
    torch.manual_seed(0)
    discriminator = GANS["dcgan"].build(NetSize(1, 16, 4, 2)).discriminator
    data = torch.rand(50, 144)
    layout = ImageLayout(144, (1, 12, 12), (0.0, 1.0))
    return discriminator, data, layout


def test_population_statistics_are_exact_training_set_moments(network_and_data):
    discriminator, data, layout = network_and_data
    set_population_statistics(discriminator, ImageBatches(data, layout, batch_size=7))
    with torch.no_grad():
        h = discriminator.blocks.d1.conv(discriminator.blocks.d0(layout.to_model(data)))
    bn = discriminator.blocks.d1.bn
    torch.testing.assert_close(bn.running_mean, h.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        bn.running_var, h.var(dim=(0, 2, 3), unbiased=False), rtol=1e-4, atol=1e-6
    )
    assert not discriminator.training


def test_features_do_not_depend_on_the_batch(network_and_data):
    discriminator, data, layout = network_and_data
    set_population_statistics(discriminator, ImageBatches(data, layout, batch_size=16))
    images = layout.to_model(data)
    with torch.no_grad():
        whole = discriminator_features(discriminator, images, [0, 1], "activation", 4, "max")
        one = discriminator_features(discriminator, images[:1], [0, 1], "activation", 4, "max")
    torch.testing.assert_close(whole[:1], one)


def test_taps_differ_and_follow_conv_bn_activation(network_and_data):
    discriminator, data, layout = network_and_data
    set_population_statistics(discriminator, ImageBatches(data, layout, batch_size=50))
    images = layout.to_model(data)
    with torch.no_grad():
        taps = {
            tap: discriminator_features(discriminator, images, [1], tap, 4, "avg")
            for tap in ("conv", "batchnorm", "activation")
        }
    assert not torch.allclose(taps["conv"], taps["batchnorm"])
    assert not torch.allclose(taps["batchnorm"], taps["activation"])
    # Average pooling commutes with the affine batchnorm, so BN of pooled conv = pooled BN.
    bn = discriminator.blocks.d1.bn
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).repeat_interleave(16)
    shift = bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)
    torch.testing.assert_close(
        taps["conv"] * scale + shift.repeat_interleave(16), taps["batchnorm"], rtol=1e-4, atol=1e-5
    )


def test_first_block_batchnorm_tap_is_its_conv_output(network_and_data):
    discriminator, data, layout = network_and_data
    images = layout.to_model(data)
    discriminator.eval()
    with torch.no_grad():
        conv = discriminator_features(discriminator, images, [0], "conv", 4, "max")
        bn = discriminator_features(discriminator, images, [0], "batchnorm", 4, "max")
    torch.testing.assert_close(conv, bn)


def test_a_pyramid_pools_each_map_at_every_distinct_grid(network_and_data):
    discriminator, data, layout = network_and_data
    # d1's map is 4 x 4 for 16 x 16 images: sides 8 and 4 both take it whole, once.
    assert tap_layout(discriminator, 16, [0, 1], pool_size=(8, 4, 2)) == [
        ("d0_g8", 4, 8),
        ("d0_g4", 4, 4),
        ("d0_g2", 4, 2),
        ("d1_g4", 8, 4),
        ("d1_g2", 8, 2),
    ]
    images = torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        pyramid = discriminator_features(discriminator, images, [0, 1], "conv", (4, 2), "max")
        parts = [
            discriminator_features(discriminator, images, [block], "conv", size, "max")
            for block in (0, 1)
            for size in (4, 2)
        ]
    torch.testing.assert_close(pyramid, torch.cat(parts, dim=1))
    names = feature_names(block_taps(discriminator.blocks, 16, [0, 1], "conv", (4, 2)), "conv")
    assert len(set(names)) == len(names) == pyramid.shape[1]
    assert names[4 * 16] == "d0_g2_conv_c000_r0_c0"


def test_layout_and_names_count_every_feature(network_and_data):
    discriminator, data, layout = network_and_data
    layers = tap_layout(discriminator, side=16, layers=[0, 1], pool_size=4)
    assert layers == [("d0", 4, 4), ("d1", 8, 4)]
    assert tap_layout(discriminator, 16, [0, 1], pool_size=8) == [("d0", 4, 8), ("d1", 8, 4)]
    names = feature_names(block_taps(discriminator.blocks, 16, [0, 1], "conv", 4), "conv")
    assert len(names) == (4 + 8) * 16
    assert names[0] == "d0_conv_c000_r0_c0" and names[-1] == "d1_conv_c007_r3_c3"
    with torch.no_grad():
        out = discriminator_features(
            discriminator.eval(), layout.to_model(data), [0, 1], "conv", 4, "max"
        )
    assert out.shape[1] == len(names)


def test_max_pooling_takes_the_cell_maximum(network_and_data):
    discriminator, data, layout = network_and_data
    discriminator.eval()
    images = layout.to_model(data[:2])
    with torch.no_grad():
        conv = discriminator.blocks.d0.conv(images)  # (2, 4, 8, 8)
        pooled = discriminator_features(discriminator, images, [0], "conv", 4, "max")
    expected = conv[:, 2, 2:4, 6:8].amax(dim=(1, 2))  # channel 2, grid row 1, column 3
    index = 2 * 16 + 1 * 4 + 3
    np.testing.assert_allclose(pooled[:, index].numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_a_number_mixes_max_and_average_pooling_of_each_cell(network_and_data, weight):
    discriminator, data, layout = network_and_data
    discriminator.eval()
    images = layout.to_model(data[:2])
    with torch.no_grad():
        cell = discriminator.blocks.d0.conv(images)[:, 1, 4:6, 0:2]  # channel 1, row 2, column 0
        mixed = discriminator_features(discriminator, images, [0], "conv", 4, weight)
    expected = weight * cell.amax(dim=(1, 2)) + (1 - weight) * cell.mean(dim=(1, 2))
    index = 1 * 16 + 2 * 4 + 0
    np.testing.assert_allclose(mixed[:, index].numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- tracing any network
class _Functional(torch.nn.Module):
    """conv -> F.relu (in place); conv -> bn -> leaky_relu method; conv with no activation."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.b = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.b_bn = torch.nn.BatchNorm2d(4)
        self.c = torch.nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, x):
        h = torch.nn.functional.relu(self.a(x), inplace=True)
        h = self.b_bn(self.b(h))
        print_shape = h.shape  # a tensor attribute read: no activation
        h = torch.nn.functional.leaky_relu(h, 0.1) if print_shape else h
        return self.c(h).mean()


def test_tracing_names_the_modules_block_taps_names_on_skgans_discriminator(network_and_data):
    discriminator, data, layout = network_and_data
    convs = trace_convolutions(discriminator.blocks, layout.to_model(data[:2]))
    for tap in ("conv", "batchnorm", "activation"):
        traced = traced_taps(convs, "auto", tap, 4)
        own = block_taps(discriminator.blocks, 16, [0, 1], tap, 4)
        # Same tensors (module, channels, grid); only the labels differ (conv name vs block).
        assert [(t.module, t.channels, t.grid, t.function) for t in traced] == [
            (t.module, t.channels, t.grid, None) for t in own
        ]


def test_tracing_finds_functional_activations_and_pools_them_before_in_place_ops():
    torch.manual_seed(0)
    net = _Functional().eval()
    x = torch.randn(5, 1, 6, 6)
    convs = trace_convolutions(net, x)
    assert [c.sources for c in convs] == [
        (("a", None), ("a", None), ("a", "relu")),
        (("b", None), ("b_bn", None), ("b_bn", "leaky_relu")),
        (("c", None), ("c", None), ("c", None)),  # nothing follows: the tensor before
    ]
    with torch.no_grad():
        a = net.a(x)
        b = net.b_bn(net.b(a.relu()))
        expected = {
            "conv": [a, net.b(a.relu()), net.c(F.leaky_relu(b, 0.1))],
            "activation": [a.relu(), F.leaky_relu(b, 0.1), net.c(F.leaky_relu(b, 0.1))],
        }
        for tap, maps in expected.items():
            got = pooled_taps(net, x, traced_taps(convs, "auto", tap, 2), "max")
            want = torch.cat([F.adaptive_max_pool2d(m, 2).flatten(1) for m in maps], dim=1)
            torch.testing.assert_close(got, want)
    # The in-place relu ran after the conv tap was pooled: negative conv values remain.
    assert (pooled_taps(net, x, traced_taps(convs, ["a"], "conv", 6), "max") < 0).any()


def test_traced_taps_refuse_unknown_layers():
    net = _Functional().eval()
    convs = trace_convolutions(net, torch.randn(1, 1, 6, 6))
    for layers in (["b_bn"], [], ["a", "a"], "all", [0]):
        with pytest.raises(ValueError, match="layers must be 'auto' or"):
            traced_taps(convs, layers, "conv", 4)


@pytest.mark.parametrize("subspace", ["complement", "discriminative"])
def test_projection_runs_in_float32_outside_bf16_autocast(network_and_data, subspace):
    from functools import partial

    from skgan._readout import read_features
    from skgan._subspace import project

    discriminator, data, layout = network_and_data
    taps = block_taps(discriminator.blocks, 16, [0, 1], "activation", 4)
    extract = partial(pooled_taps, discriminator.blocks, taps=taps, pooling="max")
    n = sum(t.channels * t.grid**2 for t in taps)
    basis = torch.linalg.qr(torch.randn(n, 3, generator=torch.Generator().manual_seed(0)))[0]
    post = partial(project, basis=basis, subspace=subspace)
    kwargs = dict(batch_size=16, device=torch.device("cpu"), post=post)
    # bf16 autocast used to run features @ basis in bf16: a bf16 batch NumPy refused,
    # and a residual along the basis of ~1e-3 of the features' scale.
    bf16 = read_features(extract, n, data, layout, autocast_dtype=torch.bfloat16, **kwargs)
    raw = read_features(
        extract, n, data, layout, autocast_dtype=torch.bfloat16, **{**kwargs, "post": None}
    )
    assert bf16.dtype == np.float32
    expected = project(raw.astype(np.float64), basis.double().numpy(), subspace)
    np.testing.assert_allclose(bf16, expected, atol=1e-6 * np.abs(raw).max())


def test_kept_layer_inputs_give_the_statistics_of_passes_from_the_images(monkeypatch):
    import copy

    from skgan import _readout

    torch.manual_seed(0)
    discriminator = GANS["dcgan"].build(NetSize(1, 32, 4, 2)).discriminator  # 2 batchnorms
    data, layout = torch.rand(30, 784), ImageLayout(784, (1, 28, 28), (0.0, 1.0))
    batches = ImageBatches(data, layout, batch_size=8)
    kept = copy.deepcopy(discriminator)
    set_population_statistics(kept.blocks, batches)
    monkeypatch.setattr(_readout, "STATISTICS_CACHE_BYTES", 0)  # every pass from the images
    from_images = copy.deepcopy(discriminator)
    set_population_statistics(from_images.blocks, batches)
    hooked = copy.deepcopy(discriminator)  # not a Sequential: the forward pre-hook passes
    set_population_statistics(hooked, batches)
    for name, value in kept.state_dict().items():
        torch.testing.assert_close(from_images.state_dict()[name], value, rtol=0, atol=0)
        torch.testing.assert_close(hooked.state_dict()[name], value, rtol=0, atol=0)
    assert not torch.equal(kept.blocks.d2.bn.running_var, discriminator.blocks.d2.bn.running_var)
