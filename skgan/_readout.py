"""What ``transform`` returns: one read-out object per ``features`` value, and the taps.

A read-out says which GAN kinds it supports (by their capabilities, never by
name), its feature names, whether its features are latent codes (which
``inverse_transform`` decodes) and whether it needs gradients; it turns fitted
networks into a batch function ``x -> features``, and :func:`read_features`
runs that function over the images, batch by batch.

Discriminator features follow Radford et al.: each tapped block's map (conv
output, batchnorm output or activation) is pooled to a non-overlapping
``pool_size x pool_size`` grid (the whole map when it is smaller), flattened
channel-major and concatenated over blocks. A sequence of sides pools each map
at every one of them, a spatial pyramid (He et al., 2014), concatenated side
by side within each block. The tap mechanism addresses the
tensors by module name (``d2.act``), captured by forward hooks, so it reads
any network whose modules it is told, not only skgan's block stacks; a
function applied to a module's output (``F.leaky_relu`` in a ``forward``)
is addressed by that module and the function's name. For any PyTorch
network, :func:`trace_convolutions` finds by one traced forward pass each
2-D convolution and the batchnorm and activation that follow it, and
:func:`traced_taps` turns them into taps (``DiscriminatorFeatures``).
Batchnorm layers use *population* statistics of the training set, set by
:func:`set_population_statistics`, so a sample's features never depend on the
batch it is transformed in.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from ._device import fast_kernels, fits_on_device, on_device
from ._images import ImageBatches, isolated_rng
from ._inversion import invert
from ._trainer import autocast

TAPS = ("conv", "batchnorm", "activation")
#: What ``encoder_layer`` may read: the code ``E(x)`` or the layer before it.
ENCODER_LAYERS = ("latent", "penultimate")
POOLINGS = {"max": F.adaptive_max_pool2d, "avg": F.adaptive_avg_pool2d}
#: ``pooling`` is one of ``POOLINGS`` or the weight of max in a mix of the two.
Pooling = str | float
#: The read-out parameters that decide which discriminator features a basis belongs to.
TAP_PARAMS = ("layers", "tap", "pool_size", "pooling")
#: ``"auto"`` read-outs differ from Radford's for a contrastive D of at least this many
#: blocks on grey images.
AUTO_POOL_MIN_BLOCKS = 3
#: ``pooling="auto"`` for such a discriminator: this weight of max, the rest average.
AUTO_MAX_WEIGHT = 0.5


def _fine_grid(task: str, blocks: int, channels: int) -> bool:
    """Whether ``"auto"`` reads the 2 x 2 mixed-pooled grid (MNIST's best), not Radford's."""
    return task == "contrastive" and blocks >= AUTO_POOL_MIN_BLOCKS and channels == 1


def auto_pool_size(task: str, blocks: int, channels: int) -> int:
    """``pool_size="auto"``: 2 for a contrastive discriminator of three or more blocks on
    grey images, else 4.

    On MNIST (three blocks; 10 epochs over the 60000 images, two fits) the
    contrastive discriminator read through a 2 x 2 grid scored 2.5 to 2.6
    points higher with 100 labels, 0.2 to 0.3 higher with 1000 and level
    with 60000 (0.18 lower with 5000). The plain DCGAN's discriminator lost
    0.42 points with 60000 labels, so it keeps Radford's 4 x 4; so do small
    images (one block, as on 8 x 8 digits), where a one-off check, not kept in
    a results file, scored the 2 x 2 grid lower. On CIFAR-10 (colour, three
    blocks; one 10000-image fit, ``benchmarks/results/cifar10_readout_screen-cpu``)
    the 4 x 4 max grid scored 2.1 and 2.5 validation points higher with 10000
    and 4000 labels and 0.3 lower with 1000, so colour images keep 4 x 4.
    """
    return 2 if _fine_grid(task, blocks, channels) else 4


def auto_pooling(task: str, blocks: int, channels: int) -> Pooling:
    """``pooling="auto"``: half max, half average where :func:`auto_pool_size` reads
    2 x 2, else Radford's max."""
    return AUTO_MAX_WEIGHT if _fine_grid(task, blocks, channels) else "max"


def mixed_pool(max_weight: float, x: torch.Tensor, grid: int) -> torch.Tensor:
    """Mixed max-average pooling (Lee et al., 2016): ``w * max + (1 - w) * avg`` per cell."""
    peak = F.adaptive_max_pool2d(x, grid)
    return max_weight * peak + (1 - max_weight) * F.adaptive_avg_pool2d(x, grid)


def pool_function(pooling: Pooling) -> Callable:
    """``(x, grid) -> pooled x`` for ``pooling``: a name in ``POOLINGS`` or a max weight."""
    if isinstance(pooling, str):
        return POOLINGS[pooling]
    return partial(mixed_pool, float(pooling))


# -------------------------------------------------------------------- the taps
@dataclass(frozen=True)
class Tap:
    """One tapped tensor: the output of module ``module`` of the tapped network.

    ``label`` prefixes its feature names; ``channels`` and ``grid`` (the side
    of its pooling grid) give their number, ``channels * grid**2``. With
    ``function`` (e.g. ``"leaky_relu"``), the tensor is instead the output of
    the first call of the torch function of that name on the module's output:
    an activation applied functionally in a ``forward``, which has no module.
    """

    label: str
    module: str
    channels: int
    grid: int
    function: str | None = None


PoolSize = int | Sequence[int]


def map_taps(label, module, channels, extent: int, pool_size: PoolSize, function=None):
    """The :class:`Tap` of one map of side ``extent`` at each grid side of ``pool_size``.

    One int: one tap labelled ``label``. A sequence (a pyramid): one tap per
    distinct grid (a side above ``extent`` takes the whole map, so two may
    coincide), labelled ``{label}_g{grid}`` to keep feature names unique.
    """
    pyramid = not isinstance(pool_size, numbers.Integral)
    grids = dict.fromkeys(
        max(1, min(size, extent)) for size in (pool_size if pyramid else [pool_size])
    )
    return [
        Tap(f"{label}_g{grid}" if pyramid else label, module, channels, grid, function)
        for grid in grids
    ]


def block_taps(
    blocks: nn.Sequential, side: int, indices: Sequence[int], tap: str, pool_size: PoolSize
):
    """The :class:`Tap` of ``tap`` in each of skgan's blocks ``indices`` (``d0, d1, ...``).

    ``blocks`` is a discriminator's or encoder's block stack for ``side x
    side`` images; block ``i`` has a ``conv``, from the second block on a
    ``bn``, and an ``act``. ``"batchnorm"`` is the conv output where a block
    has no batchnorm.
    """
    names = [name for name, _ in blocks.named_children()]
    taps = []
    for index in indices:
        block = blocks[index]
        part = {"conv": "conv", "batchnorm": "bn" if hasattr(block, "bn") else "conv"}
        module = f"{names[index]}.{part.get(tap, 'act')}"
        extent = side // 2 ** (index + 1)
        taps += map_taps(names[index], module, block.conv.out_channels, extent, pool_size)
    return taps


class _Enough(Exception):
    """Raised by the last tap's hook: the rest of the forward pass is not needed."""


def pooled_taps(network: nn.Module, x: torch.Tensor, taps: Sequence[Tap], pooling: Pooling):
    """The ``taps`` of ``network(x)``, each pooled to its grid and flattened, concatenated.

    ``pooling`` is as :func:`pool_function` takes it. Each tensor is pooled
    as soon as it exists (inside its module's forward hook, or as its
    function returns), so a later in-place operation, such as
    ``LeakyReLU(inplace=True)`` after a tapped convolution, cannot change
    it; the forward pass stops once every tap is read.
    """
    pool = pool_function(pooling)
    modules = dict(network.named_modules())
    pooled: dict[int, torch.Tensor] = {}
    consumers = _Consumers()
    handles = []

    def take(indices, output):
        for i in indices:
            pooled[i] = pool(output, taps[i].grid).flatten(1)
        if len(pooled) == len(taps):
            raise _Enough

    def hook(direct, functions, module, inputs, output):
        for function, indices in functions.items():
            consumers.watch(output, function, partial(take, indices))
        if direct:
            take(direct, output)

    by_module: dict[str, tuple[list[int], dict[str, list[int]]]] = {}
    for i, tap in enumerate(taps):
        direct, functions = by_module.setdefault(tap.module, ([], {}))
        if tap.function is None:
            direct.append(i)
        else:
            functions.setdefault(tap.function, []).append(i)
    # The function mode costs a Python call per op: only where a tap needs it.
    mode = consumers if any(tap.function for tap in taps) else nullcontext()
    try:
        for name, (direct, functions) in by_module.items():
            handles.append(modules[name].register_forward_hook(partial(hook, direct, functions)))
        try:
            with mode:
                network(x)
        except _Enough:
            pass
    finally:
        for handle in handles:
            handle.remove()
    return torch.cat([pooled[i] for i in range(len(taps))], dim=1)


class _Consumers(TorchFunctionMode):
    """Calls ``then(output)`` for the first call of a watched function on a watched tensor.

    Under a torch function mode, every torch function and tensor method
    called while it is active comes through :meth:`__torch_function__`
    (the mode is off while a call runs, so calls nested in a call are not
    seen), which is how an activation that has no module is caught.
    """

    def __init__(self):
        super().__init__()
        self.watched: list[tuple[torch.Tensor, str, Callable]] = []

    def watch(self, tensor: torch.Tensor, function: str, then: Callable) -> None:
        self.watched.append((tensor, function, then))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        output = func(*args, **(kwargs or {}))
        if self.watched and args:
            name = _function_name(func)
            for entry in list(self.watched):
                tensor, function, then = entry
                if args[0] is tensor and name == function:
                    self.watched.remove(entry)
                    then(output)
        return output


def _function_name(func) -> str:
    return getattr(func, "__name__", "")


# ------------------------------------------------------ tracing any network
#: Torch functions (and tensor methods, with a trailing ``_`` when in place)
#: that count as an activation when applied to a convolution's or
#: batchnorm's output in a ``forward``.
ACTIVATION_FUNCTIONS = frozenset(
    "relu leaky_relu elu selu celu gelu silu mish sigmoid tanh hardtanh relu6 softplus "
    "prelu rrelu hardswish hardsigmoid logsigmoid softsign tanhshrink".split()
)
#: Shape-keeping modules that are not activations (normalisations, dropout, identity).
_NOT_ACTIVATIONS = (
    nn.Conv2d,
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.modules.dropout._DropoutNd,
    nn.Identity,
)


@dataclass(frozen=True)
class TracedConv:
    """A 2-D convolution of a traced forward pass, and the tensors that follow it.

    Parameters
    ----------
    name : str
        The convolution's module name, from ``named_modules()``.
    channels : int
        Its output channels.
    size : tuple of int
        ``(H, W)`` of its output map for the traced input.
    sources : tuple of (str, str or None)
        For each of ``TAPS`` (``"conv"``, ``"batchnorm"``, ``"activation"``),
        where that tensor is read: ``(module, None)`` for a module's output,
        ``(module, function)`` for the output of a torch function applied to
        it (see :class:`Tap`).
    """

    name: str
    channels: int
    size: tuple[int, int]
    sources: tuple[tuple[str, str | None], ...]

    def taps(self, tap: str, pool_size: PoolSize) -> list[Tap]:
        """The :class:`Tap` of ``tap`` for this convolution at each grid of ``pool_size``."""
        module, function = self.sources[TAPS.index(tap)]
        return map_taps(self.name, module, self.channels, min(self.size), pool_size, function)


@dataclass
class _Call:
    """One call seen by :class:`_Tracer`: a module (by name) or a function."""

    name: str
    module: nn.Module | None
    input: object
    output: object


def _opaque(module: nn.Module) -> bool:
    """Whether a module's call is one step of the trace (its insides are not traced)."""
    leaf = next(module.children(), None) is None
    return leaf or isinstance(module, (nn.Conv2d, nn.modules.batchnorm._BatchNorm))


class _Tracer(TorchFunctionMode):
    """Records a forward pass as calls: of opaque modules, and of functions outside them."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.calls: list[_Call] = []
        self.depth = 0
        self.handles = []
        for name, module in network.named_modules():
            if name and _opaque(module):
                self.handles += [
                    module.register_forward_pre_hook(self._enter),
                    module.register_forward_hook(partial(self._leave, name)),
                ]

    def _enter(self, module, inputs):
        self.depth += 1

    def _leave(self, name, module, inputs, output):
        self.depth -= 1
        if self.depth == 0:
            self.calls.append(_Call(name, module, inputs[0] if inputs else None, output))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        output = func(*args, **(kwargs or {}))
        if self.depth == 0 and args:
            self.calls.append(_Call(_function_name(func), None, args[0], output))
        return output

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _first_consumer(calls: list[_Call], start: int, tensor) -> int | None:
    """Index of the first call after ``start`` that takes ``tensor`` first and returns a tensor.

    Calls that return no tensor (``h.shape``, ``h.dim()``) only read it.
    """
    for index in range(start + 1, len(calls)):
        call = calls[index]
        if call.input is tensor and isinstance(call.output, torch.Tensor):
            return index
    return None


def _is_activation(call: _Call, tensor: torch.Tensor) -> bool:
    output = call.output
    if not (isinstance(output, torch.Tensor) and output.shape == tensor.shape):
        return False
    if call.module is None:
        return call.name.rstrip("_") in ACTIVATION_FUNCTIONS
    return not isinstance(call.module, _NOT_ACTIVATIONS)


@torch.no_grad()
def trace_convolutions(network: nn.Module, x: torch.Tensor) -> list[TracedConv]:
    """Every ``nn.Conv2d`` that ``network(x)`` calls, in call order, with what follows it.

    One forward pass is recorded, as calls of modules without children
    (and of convolutions and batchnorms, whatever they hold) and of torch
    functions and tensor methods called outside those. For each
    convolution, the batchnorm is the ``BatchNorm2d`` module that first
    takes its output, if any; the activation is the first call on the
    batchnorm output (the conv output without one) that keeps its shape
    and is an activation: a module other than a convolution,
    normalisation, dropout or identity, or one of
    ``ACTIVATION_FUNCTIONS``. Where one is missing, its tap reads the
    tensor before it. A convolution called twice counts once, at its
    first call. The network is run in eval mode and left in it.
    """
    network.eval()
    tracer = _Tracer(network)
    try:
        with tracer:
            network(x)
    finally:
        tracer.remove()
    calls, convs, seen = tracer.calls, [], set()
    for index, call in enumerate(calls):
        if not isinstance(call.module, nn.Conv2d) or call.name in seen:
            continue
        seen.add(call.name)
        conv = (call.name, None)
        tensor, at, normed = call.output, index, conv
        following = _first_consumer(calls, index, tensor)
        if following is not None and isinstance(
            calls[following].module, nn.modules.batchnorm._BatchNorm
        ):
            at = following
            tensor, normed = calls[following].output, (calls[following].name, None)
        activation = normed
        following = _first_consumer(calls, at, tensor)
        if following is not None and _is_activation(calls[following], tensor):
            act = calls[following]
            activation = (act.name, None) if act.module is not None else (normed[0], act.name)
        size = tuple(int(d) for d in call.output.shape[-2:])
        convs.append(
            TracedConv(call.name, call.module.out_channels, size, (conv, normed, activation))
        )
    return convs


def traced_taps(convs: Sequence[TracedConv], layers, tap: str, pool_size: PoolSize) -> list[Tap]:
    """The :class:`Tap` of ``tap`` of each convolution ``layers`` names.

    ``layers="auto"``: every convolution whose output map is larger than
    ``1 x 1``, in call order; else a non-empty sequence of distinct module
    names of traced convolutions, read in that order.
    """
    names = [conv.name for conv in convs]
    if isinstance(layers, str) and layers == "auto":
        chosen = [conv for conv in convs if conv.size != (1, 1)]
        if not chosen:
            raise ValueError(
                f"layers='auto' taps the 2-D convolutions whose output map is larger than "
                f"1 x 1; this network has none for these images (its convolutions: {names})."
            )
    else:
        valid = (
            not isinstance(layers, str)
            and isinstance(layers, Sequence)
            and len(layers) > 0
            and all(isinstance(name, str) for name in layers)
            and len(set(layers)) == len(layers)
        )
        unknown = [name for name in layers if name not in names] if valid else []
        if not valid or unknown:
            raise ValueError(
                f"layers must be 'auto' or a non-empty list of distinct module names of "
                f"2-D convolutions the module calls, from {names}; got {layers!r}."
            )
        chosen = [convs[names.index(name)] for name in layers]
    return [t for conv in chosen for t in conv.taps(tap, pool_size)]


class _Statistics:
    """Sums of a batchnorm layer's inputs, channel by channel, in float64."""

    def __init__(self):
        self.total = self.total_sq = None
        self.count = 0

    def add(self, h: torch.Tensor) -> None:
        h = h.double()
        batch_sum, batch_sq = h.sum(dim=(0, 2, 3)), (h * h).sum(dim=(0, 2, 3))
        self.total = batch_sum if self.total is None else self.total + batch_sum
        self.total_sq = batch_sq if self.total_sq is None else self.total_sq + batch_sq
        self.count += h.numel() // h.shape[1]

    def __call__(self, module, inputs):
        """Forward pre-hook: add the layer's input, and end the pass there."""
        self.add(inputs[0])
        raise _Enough

    def store(self, bn: nn.BatchNorm2d) -> None:
        mean = self.total / self.count
        bn.running_mean.copy_(mean)
        bn.running_var.copy_((self.total_sq / self.count - mean * mean).clamp_min(0))


#: Most bytes of one layer's inputs :func:`set_population_statistics` keeps for the next
#: layer's pass (on a GPU, also at most a share of its free memory).
STATISTICS_CACHE_BYTES = 2**30


def _sequential_leaves(network: nn.Module) -> list[nn.Module] | None:
    """The modules ``network`` runs, in order, if it is nested ``nn.Sequential``; else None."""
    if not isinstance(network, nn.Sequential):
        return None if list(network.children()) else [network]
    leaves = []
    for child in network:
        inner = _sequential_leaves(child)
        if inner is None:
            return None
        leaves += inner
    return leaves


def _may_keep(n_bytes: int, device: torch.device) -> bool:
    """Whether ``n_bytes`` of a layer's inputs may be kept on ``device`` for the next pass."""
    return n_bytes <= STATISTICS_CACHE_BYTES and fits_on_device(n_bytes, device)


def _drain(tensors: list):
    """Yield ``tensors`` in order, dropping each from the list, so its memory goes as it is used."""
    for i, tensor in enumerate(tensors):
        tensors[i] = None
        yield tensor


@torch.no_grad()
def set_population_statistics(network: nn.Module, batches: Iterable) -> None:
    """Replace each batchnorm's running stats by exact statistics over ``batches``.

    Layers are done in order, one pass each, so a layer's statistics are taken
    on inputs normalised by the population statistics of the layers before
    it; each pass runs only the modules it needs. For a nested
    ``nn.Sequential`` (skgan's block stacks) a pass keeps its layer's inputs,
    batch by batch, where they fit in ``STATISTICS_CACHE_BYTES``: the next
    pass then starts from them, normalised by the now-known statistics,
    instead of from the images (the same arithmetic on the same batches, so
    the same statistics, for about a third less work over three blocks).
    Otherwise each pass runs from the images and stops at its layer (a forward
    pre-hook). ``batches`` must be re-iterable.
    """
    network.eval()
    leaves = _sequential_leaves(network)
    if leaves is None:
        for bn in [m for m in network.modules() if isinstance(m, nn.BatchNorm2d)]:
            statistics = _Statistics()
            handle = bn.register_forward_pre_hook(statistics)
            try:
                for x in batches:
                    try:
                        network(x)
                    except _Enough:
                        pass
            finally:
                handle.remove()
            statistics.store(bn)
        return
    kept, start = None, 0  # the previous layer's inputs, and the module they enter
    for position, bn in enumerate(leaves):
        if not isinstance(bn, nn.BatchNorm2d):
            continue
        statistics = _Statistics()
        source, first = (batches, 0) if kept is None else (_drain(kept), start)
        inputs: list[torch.Tensor] | None = []
        n_bytes = 0
        for h in source:
            for module in leaves[first:position]:
                h = module(h)
            statistics.add(h)
            if inputs is not None:
                n_bytes += h.numel() * h.element_size()
                if _may_keep(n_bytes, h.device):
                    inputs.append(h)
                else:
                    inputs = None
        statistics.store(bn)
        kept, start = (None, 0) if inputs is None else (inputs, position)


def n_features(taps: Sequence[Tap]) -> int:
    """Number of features the ``taps`` give."""
    return sum(t.channels * t.grid * t.grid for t in taps)


def feature_names(taps: Sequence[Tap], tap: str) -> np.ndarray:
    """Names like ``d2_activation_c017_r1_c3``: block, tap, channel, grid row, column."""
    names = [
        f"{t.label}_{tap}_c{c:03d}_r{r}_c{col}"
        for t in taps
        for c in range(t.channels)
        for r in range(t.grid)
        for col in range(t.grid)
    ]
    return np.asarray(names, dtype=object)


def _indexed_names(prefix: str, n: int) -> np.ndarray:
    return np.asarray([f"{prefix}{i:03d}" for i in range(n)], dtype=object)


# ---------------------------------------------------------------- the read-outs
@dataclass(frozen=True)
class ReadoutSettings:
    """The validated read-out parameters of an extractor (``layers`` as block indices)."""

    features: str
    layers: tuple[int, ...]
    tap: str
    pool_size: PoolSize
    pooling: Pooling
    encoder_layer: str
    inversion_steps: int
    inversion_lr: float

    def taps(self) -> dict:
        """The discriminator read-out a real-vs-generated basis belongs to."""
        return {
            "layers": list(self.layers),
            "tap": self.tap,
            "pool_size": (
                int(self.pool_size)
                if isinstance(self.pool_size, numbers.Integral)
                else [int(size) for size in self.pool_size]
            ),
            "pooling": self.pooling if isinstance(self.pooling, str) else float(self.pooling),
        }


def resolve_layers(layers, count: int) -> tuple[int, ...]:
    """``layers`` (``"all"`` or indices, negative from the end) as block indices."""
    if isinstance(layers, str):
        return tuple(range(count))
    message = (
        f"layers must be 'all' or a non-empty sequence of distinct block "
        f"indices in [-{count}, {count - 1}]; got {layers!r}."
    )
    if not isinstance(layers, Sequence) or not all(
        isinstance(i, numbers.Integral) and -count <= i < count for i in layers
    ):
        raise ValueError(message)
    indices = tuple(int(i) % count for i in layers)
    if not indices or len(set(indices)) != len(indices):
        raise ValueError(message)
    return indices


class Readout:
    """One ``features`` value: what it needs of a GAN kind and how it reads features.

    Attributes
    ----------
    name : str
        The ``features`` value.
    needs : str
        What a GAN kind must have for it, in words (for the error).
    hint : str
        What to use instead, appended to that error.
    grad : bool
        Whether its batch function takes gradients (inference mode forbids it).
    """

    name = ""
    needs = ""
    hint = ""
    grad = False

    def supports(self, spec) -> bool:
        """Whether networks of the kind ``spec`` have what this read-out reads."""
        return True

    def latent(self, settings: ReadoutSettings) -> bool:
        """Whether the features are latent codes ``z`` (``inverse_transform`` decodes them)."""
        return False

    def names(self, fitted, settings: ReadoutSettings) -> np.ndarray:
        """One name per feature column."""
        raise NotImplementedError

    def extractor(self, fitted, settings: ReadoutSettings, device) -> Callable:
        """``x -> features``: model-ready images to features, with networks on ``device``."""
        raise NotImplementedError


class DiscriminatorTaps(Readout):
    """Radford et al.'s pooled taps of the discriminator's block stack."""

    name = "discriminator"

    @staticmethod
    def taps(discriminator, side: int, settings: ReadoutSettings) -> list[Tap]:
        """The taps of ``discriminator`` (for ``side x side`` images) that ``settings`` pick."""
        return block_taps(
            discriminator.blocks, side, settings.layers, settings.tap, settings.pool_size
        )

    def names(self, fitted, settings):
        taps = self.taps(fitted.networks.discriminator, fitted.layout.side, settings)
        return feature_names(taps, settings.tap)

    def extractor(self, fitted, settings, device):
        discriminator = on_device(fitted.networks.discriminator, device)
        return self.reader(discriminator, fitted.layout.side, settings)

    def reader(self, discriminator, side: int, settings: ReadoutSettings) -> Callable:
        """The batch function over a given ``discriminator`` (the epoch scorer's copies too)."""
        taps = self.taps(discriminator, side, settings)
        return partial(pooled_taps, discriminator.blocks, taps=taps, pooling=settings.pooling)


class EncoderCode(Readout):
    """A BiGAN encoder's code ``E(x)``, or its penultimate layer taken whole."""

    name = "encoder"
    needs = "a GAN with an encoder"
    hint = " features='inversion' works without one."

    def supports(self, spec):
        return spec.has_encoder

    def latent(self, settings):
        return settings.encoder_layer == "latent"

    @staticmethod
    def _penultimate(fitted) -> list[Tap]:
        blocks = fitted.networks.encoder.blocks
        return block_taps(blocks, fitted.layout.side, [len(blocks) - 1], "activation", 4)

    def names(self, fitted, settings):
        if self.latent(settings):
            return _indexed_names("z", fitted.latent_dim)
        return feature_names(self._penultimate(fitted), "activation")

    def extractor(self, fitted, settings, device):
        encoder = on_device(fitted.networks.encoder, device)
        if self.latent(settings):
            return encoder
        taps = self._penultimate(fitted)
        return partial(pooled_taps, encoder.blocks, taps=taps, pooling="max")


class Inversion(Readout):
    """Per image the code ``z* = argmin_z ||G(z) - x||^2``, from ``E(x)`` or from 0."""

    name = "inversion"
    needs = "an unconditional generator"
    hint = " A conditional one draws images of given classes: use features='discriminator'."
    grad = True

    def supports(self, spec):
        return not spec.conditional

    def latent(self, settings):
        return True

    def names(self, fitted, settings):
        return _indexed_names("z", fitted.latent_dim)

    def extractor(self, fitted, settings, device):
        generator = on_device(fitted.networks.generator, device)
        encoder = fitted.networks.encoder
        encoder = None if encoder is None else on_device(encoder, device)
        steps, lr = settings.inversion_steps, settings.inversion_lr

        def inversion(x: torch.Tensor) -> torch.Tensor:
            start = x.new_zeros(len(x), generator.latent_dim) if encoder is None else encoder(x)
            return invert(generator, x, start, steps, lr)

        return inversion


class Categories(Readout):
    """The discriminator's posterior over its categories, ``softmax`` of their logits."""

    name = "categories"
    needs = "a discriminator with category outputs"

    def supports(self, spec):
        return spec.has_categories

    def names(self, fitted, settings):
        return _indexed_names("category", fitted.networks.discriminator.n_categories)

    def extractor(self, fitted, settings, device):
        discriminator = on_device(fitted.networks.discriminator, device)

        def categories(x: torch.Tensor) -> torch.Tensor:
            logits = discriminator.category_logits(discriminator(x))
            return torch.softmax(logits.float(), dim=1)

        return categories


#: ``features`` value -> its read-out.
READOUTS: dict[str, Readout] = {
    r.name: r for r in (DiscriminatorTaps(), EncoderCode(), Inversion(), Categories())
}


def check_support(readout: Readout, spec, kinds: dict) -> None:
    """Raise the ValueError that names the kinds ``readout`` needs, if ``spec`` is not one."""
    if readout.supports(spec):
        return
    supported = " or ".join(f"gan={name!r}" for name, s in kinds.items() if readout.supports(s))
    raise ValueError(
        f"features={readout.name!r} needs {readout.needs}: use {supported}; got "
        f"gan={spec.name!r}.{readout.hint}"
    )


def read_features(
    extract: Callable,
    n_features: int,
    data,
    layout,
    *,
    batch_size: int,
    device: torch.device,
    autocast_dtype=None,
    out: np.ndarray | None = None,
    post: Callable | None = None,
    grad: bool = False,
) -> np.ndarray:
    """``extract``-ed features of ``data``, batch by batch, into ``out`` (new if None).

    ``post`` maps each batch's float32 features on the device (the subspace
    projection does), outside autocast: under bf16 autocast ``features @
    basis`` would run in bf16, return bf16 (which NumPy cannot take) and leave
    a residual along the basis three orders of magnitude above float32's.
    ``grad`` lets ``extract`` take gradients (inversion does, w.r.t. the
    codes), which inference mode forbids.
    """
    batches = ImageBatches(data, layout, batch_size, device=device)
    shape = (len(data), n_features)
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif not (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == np.float32):
        raise ValueError(
            f"out must be a float32 ndarray (or memmap) of shape {shape}; got "
            f"{type(out).__name__} of shape {getattr(out, 'shape', None)} and dtype "
            f"{getattr(out, 'dtype', None)}."
        )
    start = 0
    no_grad = torch.no_grad() if grad else torch.inference_mode()
    # A Dataset's random transforms, if any, draw from a seeded generator of
    # their own here, so features are deterministic and the caller's RNG is left alone.
    with isolated_rng(), no_grad, fast_kernels(device), autocast(device.type, autocast_dtype):
        for x in batches:
            features = extract(x).float()
            if post is not None:
                # Batch by batch, so no second full-size array is made.
                with autocast(device.type, None):  # disabled: float32 throughout
                    features = post(features).float()
            out[start : start + len(features)] = features.cpu().numpy()
            start += len(features)
    return out
