import torch

from skgan._inversion import invert
from skgan._nets import Generator


def _generator():
    torch.manual_seed(0)
    generator = Generator(latent_dim=4, channels=1, side=8, width=4)
    for module in generator.modules():  # non-degenerate batchnorm statistics, as after training
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.bias.data.normal_(0, 0.1)
    return generator.eval()


def _error(generator, z, target):
    return (generator(z) - target).square().flatten(1).mean(dim=1)


def test_inversion_recovers_codes_that_redraw_the_target():
    generator = _generator()
    with torch.no_grad():
        target = generator(torch.randn(6, 4))
    start = torch.zeros(6, 4)
    z = invert(generator, target, start, steps=200, lr=0.05)
    with torch.no_grad():
        before, after = _error(generator, start, target), _error(generator, z, target)
    assert (after < before / 10).all()
    assert not z.requires_grad
    assert all(p.requires_grad for p in generator.parameters())  # the generator is left as found


def test_inversion_does_not_depend_on_the_batch():
    generator = _generator()
    with torch.no_grad():
        target = generator(torch.randn(6, 4))
    whole = invert(generator, target, torch.zeros(6, 4), steps=30, lr=0.05)
    halves = [invert(generator, t, torch.zeros(3, 4), steps=30, lr=0.05) for t in target.split(3)]
    torch.testing.assert_close(torch.cat(halves), whole, rtol=1e-4, atol=1e-5)


def test_zero_steps_return_the_start():
    generator = _generator()
    start = torch.randn(2, 4)
    torch.testing.assert_close(invert(generator, torch.zeros(2, 1, 8, 8), start, 0, 0.1), start)
