"""Speed: skgan against a bare PyTorch loop on identical networks.

Interleaved in one process on one device, repeated, median reported:

* fit: ``GANFeatureExtractor.fit`` vs the pytorch/examples DCGAN loop shape
  (in-memory tensor, the same networks, batch size and Adam settings); images/s
  of the training loop (history ``dur`` vs the bare loop's epoch time) and of the
  whole fit (which also runs the batchnorm statistics pass);
* transform: ``transform`` vs a bare forward + max-pool + concatenate;
* transform peak RSS, in a fresh child process, against the output's size;
* FLOPs of one training step and the fraction of the device's peak reached;
* CPU: bf16 autocast vs float32, in speed and in linear-probe accuracy.

Writes ``speed-<device>.json`` and ``.md`` (default: benchmarks/results/).

Usage::

    python benchmarks/speed.py                         # CPU, ~10 minutes on 2 cores
    python benchmarks/speed.py --device cuda --n-train 60000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from _common import DEFAULT_MNIST, RESULTS, args_record, machine, peak_rss_mb, rss_mb, write_results
from sklearn.svm import LinearSVC

from skgan import GANFeatureExtractor
from skgan._device import fast_kernels, prepared, resolve_device
from skgan._images import ImageLayout
from skgan.datasets import load_mnist
from skgan.evaluation import linear_probe
from skgan.gans import GANS, NetSize

#: NVIDIA H100 SXM dense bf16 tensor-core peak (datasheet), FLOP/s.
CUDA_PEAK = 989e12
#: fp32 lanes of the widest vector FMA the CPU flags name; two FMA units a core.
VECTOR_LANES = (("avx512f", 16), ("avx2", 8), ("sse2", 4))


def cpu_peak() -> dict:
    """Nominal fp32 peak of this CPU: cores x lanes x 2 FMA units x 2 FLOP x clock.

    The lanes come from the widest vector instructions in ``/proc/cpuinfo``'s
    flags (AVX-512: 16, AVX2: 8), the clock from cpufreq's maximum when the
    kernel exposes it, else ``cpu MHz`` (in a VM the base clock: a turbo
    clock runs faster, which is why :func:`main` never reports more than
    100 % of it; see ``peak_gflops`` there). The figure this replaces, a fixed
    2 x 32 x 2.6 GHz, assumed AVX2 on a machine with AVX-512, and gave 157 %.
    """
    flags, mhz = set(), None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            elif line.startswith("cpu MHz") and mhz is None:
                mhz = float(line.split(":", 1)[1])
    except OSError:
        pass
    source = "cpu MHz in /proc/cpuinfo"
    try:
        max_khz = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        mhz, source = int(max_khz) / 1000, "cpufreq cpuinfo_max_freq"
    except (OSError, ValueError):
        pass
    lanes = next((n for flag, n in VECTOR_LANES if flag in flags), 4)
    cores = os.cpu_count() or 1
    clock = (mhz or 0.0) * 1e6
    return {
        "cores": cores,
        "fp32_lanes": lanes,
        "fma_units": 2,
        "clock_ghz": clock / 1e9,
        "clock_source": source,
        "nominal_gflops": cores * lanes * 2 * 2 * clock / 1e9,
    }


def conv_gflops(device: torch.device, dtype=torch.float32, reps: int = 20) -> float:
    """Measured GFLOP/s of the discriminator's largest convolution (d1's shape).

    A practical peak for this device: one dense stride-2 4x4 convolution,
    64 -> 128 channels on 16 x 16 maps, repeated on one batch.
    """
    batch = 1024 if device.type == "cuda" else 128
    x = torch.randn(batch, 64, 16, 16, device=device, dtype=dtype)
    w = torch.randn(128, 64, 4, 4, device=device, dtype=dtype)
    if device.type == "cuda":
        x, w = (t.contiguous(memory_format=torch.channels_last) for t in (x, w))
    with torch.inference_mode():
        F.conv2d(x, w, stride=2, padding=1)
        sync(device)
        start = time.perf_counter()
        for _ in range(reps):
            F.conv2d(x, w, stride=2, padding=1)
        sync(device)
    flops = 2 * batch * 128 * 8 * 8 * 64 * 16 * reps
    return flops / (time.perf_counter() - start) / 1e9


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def conv_macs(module: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates per image of one forward pass, over its conv and linear layers."""
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        if isinstance(layer, torch.nn.Linear):
            total += output.numel() * layer.in_features
            return
        kernel = layer.kernel_size[0] * layer.kernel_size[1]
        if isinstance(layer, torch.nn.ConvTranspose2d):
            total += inputs[0].numel() * layer.out_channels * kernel
        else:
            total += output.numel() * layer.in_channels * kernel

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))
    ]
    with torch.no_grad():
        module(x)
    for handle in handles:
        handle.remove()
    return total // len(x)


def step_flops(latent_dim: int, side: int, width: int) -> dict:
    """FLOPs per real image of one training step: plain DCGAN, bare loop, contrastive.

    Plain skgan: G forward + backward (3 Mg), D forward on real, fake, and
    generated (3 Md), D backward for its own step on real and fake (4 Md) and
    an input-only backward in G's step (1 Md): 3 Mg + 8 Md MACs. The bare loop
    also computes D's weight gradients in G's step: 3 Mg + 9 Md.

    Contrastive (the default, ``skgan.gans._selfsup.contrastive_step``): one
    pass of D's blocks over two views of each real image and one generated
    image (3 Mb forward), D's loss backward through all three (6 Mb) and G's
    through the generated one (1 Mb, input only), G forward + backward (3 Mg);
    the two projection MLPs (Mp each) see 2 and 3 images forward and backward
    (15 Mp), the 4x4 head 4 images forward and 3 backward (7 Mh).
    """
    plain = GANS["dcgan"].build(NetSize(1, side, width, latent_dim))
    generator, discriminator = plain.generator, plain.discriminator
    mg = conv_macs(generator, torch.randn(2, latent_dim))
    md = conv_macs(discriminator, torch.randn(2, 1, side, side))
    contrastive = (
        GANS["dcgan"]
        .build(NetSize(1, side, width, latent_dim, self_supervision="contrastive"))
        .discriminator
    )
    mb = conv_macs(contrastive.blocks, torch.randn(2, 1, side, side))
    mh = md - mb
    features = torch.randn(2, contrastive.projection[0].in_features)
    mp = conv_macs(contrastive.projection, features)
    return {
        "generator_macs": mg,
        "discriminator_macs": md,
        "blocks_macs": mb,
        "projection_macs": mp,
        "skgan_step_flops": 2 * (3 * mg + 8 * md),
        "bare_step_flops": 2 * (3 * mg + 9 * md),
        "contrastive_step_flops": 2 * (3 * mg + 10 * mb + 15 * mp + 7 * mh),
    }


def bare_fit(X: np.ndarray, args, device: torch.device, precision: str = "32") -> float:
    """The pytorch/examples DCGAN loop on the same networks; returns seconds.

    With the settings skgan trains with on ``device`` (``skgan._device``), so
    the ratio compares loops, not settings: on CUDA channels-last networks,
    cuDNN's kernel search, and bf16 autocast for ``precision="bf16"``.
    """
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    layout = ImageLayout(784, (1, 28, 28), (0.0, 255.0))
    data = layout.to_model(torch.tensor(X.reshape(len(X), -1), device=device))
    networks = GANS["dcgan"].build(NetSize(1, 32, args.width, 100))
    generator, discriminator = (
        prepared(m, device) for m in (networks.generator, networks.discriminator)
    )
    autocast = torch.autocast(device.type, torch.bfloat16, enabled=precision == "bf16")
    with fast_kernels(device), autocast:
        _bare_epochs(generator, discriminator, data, args, device)
    sync(device)
    return time.perf_counter() - start


def _bare_epochs(generator, discriminator, data, args, device) -> None:
    criterion = torch.nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for _ in range(args.epochs):
        order = torch.randperm(len(data), device=device)
        for i in range(0, len(data), args.batch_size):
            real = data[order[i : i + args.batch_size]]
            discriminator.zero_grad()
            out = discriminator(real)
            loss_real = criterion(out, torch.ones_like(out))
            loss_real.backward()
            fake = generator(torch.randn(len(real), 100, device=device))
            out = discriminator(fake.detach())
            loss_fake = criterion(out, torch.zeros_like(out))
            loss_fake.backward()
            opt_d.step()
            generator.zero_grad()
            out = discriminator(fake)
            loss_g = criterion(out, torch.ones_like(out))
            loss_g.backward()
            opt_g.step()


def skgan_fit(X: np.ndarray, args, device: torch.device, precision: str = "32", task: str = "none"):
    """Fit on ``X``; ``task="none"`` is the plain DCGAN step the bare loop also runs,
    ``"auto"`` the default (the contrastive discriminator)."""
    start = time.perf_counter()
    est = GANFeatureExtractor(
        n_epochs=args.epochs,
        width=args.width,
        batch_size=args.batch_size,
        device=str(device),
        precision=precision,
        random_state=args.seed,
        self_supervision=task,
    ).fit(X)
    sync(device)
    return est, time.perf_counter() - start, float(sum(est.history_[:, "dur"]))


def bare_transform(est: GANFeatureExtractor, X: np.ndarray, device: torch.device) -> float:
    """Plain forward + max-pool + concatenate with the fitted discriminator."""
    start = time.perf_counter()
    discriminator = est.discriminator_.to(device).eval()
    layout = est.fitted_gan_.layout
    chunks = []
    with torch.inference_mode():
        for i in range(0, len(X), est.transform_batch_size):
            batch = torch.tensor(X[i : i + est.transform_batch_size].reshape(-1, 784))
            h = layout.to_model(batch.to(device))
            pooled = []
            for block in discriminator.blocks:
                h = block(h)
                pooled.append(F.adaptive_max_pool2d(h, 4).flatten(1))
            chunks.append(torch.cat(pooled, 1).cpu().numpy())
    out = np.concatenate(chunks)
    est.discriminator_.cpu()
    assert out.shape[1] == 7168
    return time.perf_counter() - start


def skgan_transform(est, X, device) -> float:
    start = time.perf_counter()
    est.transform(X)
    return time.perf_counter() - start


def interleaved(pairs: dict, repeats: int) -> dict:
    """Run each named callable once per round, ``repeats`` rounds; median seconds."""
    times = {name: [] for name in pairs}
    for _ in range(repeats):
        for name, fn in pairs.items():
            times[name].append(fn())
            print(f"  {name}: {times[name][-1]:.2f} s", flush=True)
    return {name: {"median_s": statistics.median(t), "runs_s": t} for name, t in times.items()}


def rss_child(args) -> None:
    """Child process: transform all 70000 MNIST images; print RSS before and peak."""
    X_train, _ = load_mnist(args.data_home)
    X_test, _ = load_mnist(args.data_home, split="test")
    X = np.concatenate([X_train, X_test])
    est = GANFeatureExtractor(n_epochs=0, device="cpu", random_state=0).fit(X[:1000])
    before = rss_mb()
    features = est.transform(X)
    print(
        json.dumps(
            {
                "n_images": len(X),
                "rss_before_mb": before,
                "peak_rss_mb": peak_rss_mb(),
                "output_mb": features.nbytes / 2**20,
            }
        )
    )


def measure_rss(args) -> dict:
    command = [sys.executable, __file__, "--rss-child", "--data-home", str(args.data_home)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    record = json.loads(result.stdout.strip().splitlines()[-1])
    record["overhead_mb"] = record["peak_rss_mb"] - record["rss_before_mb"] - record["output_mb"]
    return record


def bf16_accuracy(X, y, X_test, y_test, args, device) -> dict:
    """Linear-probe accuracy (1000 labels) of float32- vs bf16-trained default features."""
    out = {}
    for precision in ("32", "bf16"):
        est, seconds, _ = skgan_fit(X, args, device, precision, "auto")
        probe = linear_probe(
            est.transform(X),
            y,
            est.transform(X_test),
            y_test,
            1000,
            n_draws=3,
            Cs=(1e-3, 1e-2, 1e-1),
            random_state=0,
            make_svm=LinearSVC,
        )
        out[precision] = {
            "fit_s": seconds,
            "probe_1000_mean": probe["mean"],
            "probe_1000_std": probe["std"],
        }
        print(f"  precision {precision}: {100 * probe['mean']:.2f} % (1000 labels)", flush=True)
    return out


def step_line(flops: dict) -> str:
    """The FLOP count and fraction-of-peak sentence of the results."""
    mega = {k: v / 1e6 for k, v in flops.items() if k.endswith(("_macs", "_flops"))}
    if "cpu_peak" in flops:
        c = flops["cpu_peak"]
        nominal = (
            f"{c['cores']} cores x {c['fp32_lanes']} fp32 lanes x 2 FMA units x 2 x "
            f"{c['clock_ghz']:.2f} GHz, {c['clock_source']}"
        )
    else:
        nominal = "datasheet"
    return (
        f"FLOPs per real image of one training step: plain {mega['skgan_step_flops']:.1f} M, "
        f"default {mega['contrastive_step_flops']:.1f} M (G {mega['generator_macs']:.2f} M "
        f"MACs, D {mega['discriminator_macs']:.2f} M, projection MLP "
        f"{mega['projection_macs']:.2f} M MACs forward). Peak: nominal "
        f"{flops['nominal_gflops']:.0f} GFLOP/s ({nominal}); D's largest convolution alone "
        f"sustains {flops['conv_gflops']:.0f} GFLOP/s, so the peak used is the larger, "
        f"{flops['peak_gflops']:.0f} GFLOP/s. Training loops reach "
        f"{flops['plain_gflops']:.1f} GFLOP/s plain ({100 * flops['plain_fraction']:.1f} % of "
        f"that peak) and {flops['default_gflops']:.1f} GFLOP/s default "
        f"({100 * flops['default_fraction']:.1f} %)."
    )


def markdown(p: dict) -> str:
    m, fit, tr, flops = p["machine"], p["fit"], p["transform"], p["flops"]
    n = p["n_train"]
    commit = f"; commit {m['commit']}" if m.get("commit") else ""
    lines = [
        f"# Speed on `{m['device']}`",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads)"
        f"{', GPU ' + m['gpu'] if 'gpu' in m else ''}; torch {m['torch']}; {m['date']}{commit}.",
        f"Fit: {n} MNIST images x {p['args']['epochs']} epochs, batch {p['args']['batch_size']}, "
        f"width {p['args']['width']}; medians of {p['args']['repeats']} interleaved runs.",
        "",
        'Plain DCGAN (`self_supervision="none"`): the step the bare loop also runs.',
        "",
        "| measure | skgan | bare PyTorch | ratio (skgan / bare) |",
        "|---|---:|---:|---:|",
        f"| fit, training loop images/s | {fit['plain_loop_ips']:.0f} | {fit['bare_ips']:.0f} | "
        f"{fit['loop_ratio']:.3f} |",
        f"| fit, whole `fit` images/s (incl. BN statistics pass) | {fit['plain_fit_ips']:.0f} | "
        f"{fit['bare_ips']:.0f} | {fit['fit_ratio']:.3f} |",
        f"| transform images/s ({tr['n_images']} images, {tr['plain_dims']} dims) | "
        f"{tr['plain_ips']:.0f} | {tr['bare_ips']:.0f} | {tr['ratio']:.3f} |",
        "",
        'The default (contrastive discriminator, `self_supervision="auto"`): no bare '
        "counterpart; its cost against skgan's plain DCGAN in the same runs.",
        "",
        "| measure | default | plain DCGAN | ratio (default / plain) |",
        "|---|---:|---:|---:|",
        f"| fit, training loop images/s | {fit['default_loop_ips']:.0f} | "
        f"{fit['plain_loop_ips']:.0f} | {fit['default_loop_ratio']:.3f} |",
        f"| fit, whole `fit` images/s | {fit['default_fit_ips']:.0f} | "
        f"{fit['plain_fit_ips']:.0f} | {fit['default_fit_ratio']:.3f} |",
        f"| transform images/s ({tr['n_images']} images; {tr['default_dims']} vs "
        f"{tr['plain_dims']} dims) | {tr['default_ips']:.0f} | {tr['plain_ips']:.0f} | "
        f"{tr['default_ratio']:.3f} |",
        "",
        step_line(flops),
    ]
    if p.get("shared_cpu"):
        lines.append(f"\nShared CPU: {p['shared_cpu']}")
    if p.get("rss"):
        r = p["rss"]
        lines.append(
            f"\nDefault transform of {r['n_images']} images: output {r['output_mb']:.0f} MiB, "
            f"RSS {r['rss_before_mb']:.0f} MiB before, peak {r['peak_rss_mb']:.0f} MiB: "
            f"{r['overhead_mb']:.0f} MiB beyond the output."
        )
    if p.get("bf16"):
        b = p["bf16"]
        lines += [
            "",
            "Default fit, 10000 images: float32 against bf16 autocast.",
            "",
            "| precision | fit s | 1000-label probe accuracy |",
            "|---|---:|---:|",
        ] + [
            f"| {k} | {v['fit_s']:.1f} | {100 * v['probe_1000_mean']:.2f} ± "
            f"{100 * v['probe_1000_std']:.2f} |"
            for k, v in b.items()
        ]
    if p.get("bf16_speed"):
        s = p["bf16_speed"]
        lines.append(
            f"\nbf16 vs float32 training loop of the default on this device: "
            f"{s['bf16_loop_ips']:.0f} vs {s['fp32_loop_ips']:.0f} images/s "
            f"(ratio {s['ratio']:.3f})."
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = Path(os.environ["SKGAN_DATA"]) if "SKGAN_DATA" in os.environ else DEFAULT_MNIST
    parser.add_argument("--data-home", type=Path, default=default_data)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--shared-cpu", default="", help="a note, kept in the results: what else used the CPU"
    )
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.rss_child:
        return rss_child(args)

    device = resolve_device(args.device)
    X_all, y_all = load_mnist(args.data_home)
    X_test, y_test = load_mnist(args.data_home, split="test")
    X = X_all[: args.n_train]
    precision = "bf16" if device.type == "cuda" else "32"

    print("fit (interleaved)", flush=True)
    loops = {"plain": [], "default": []}
    fitted = {}

    def run_skgan(task: str, key: str):
        def run():
            est, seconds, loop = skgan_fit(X, args, device, precision, task)
            loops[key].append(loop)
            fitted[key] = est
            return seconds

        return run

    fit = interleaved(
        {
            "default": run_skgan("auto", "default"),
            "plain": run_skgan("none", "plain"),
            "bare": lambda: bare_fit(X, args, device, precision),
        },
        args.repeats,
    )
    images = args.n_train * args.epochs
    fit_summary = {**fit, "bare_ips": images / fit["bare"]["median_s"]}
    for key in ("plain", "default"):
        fit_summary[f"{key}_loop_median_s"] = statistics.median(loops[key])
        fit_summary[f"{key}_loop_ips"] = images / fit_summary[f"{key}_loop_median_s"]
        fit_summary[f"{key}_fit_ips"] = images / fit[key]["median_s"]
    fit_summary["loop_ratio"] = fit_summary["plain_loop_ips"] / fit_summary["bare_ips"]
    fit_summary["fit_ratio"] = fit_summary["plain_fit_ips"] / fit_summary["bare_ips"]
    fit_summary["default_loop_ratio"] = (
        fit_summary["default_loop_ips"] / fit_summary["plain_loop_ips"]
    )
    fit_summary["default_fit_ratio"] = fit_summary["default_fit_ips"] / fit_summary["plain_fit_ips"]

    print("transform (interleaved)", flush=True)
    X_transform = np.concatenate([X_all, X_test])
    tr = interleaved(
        {
            "default": lambda: skgan_transform(fitted["default"], X_transform, device),
            "plain": lambda: skgan_transform(fitted["plain"], X_transform, device),
            "bare": lambda: bare_transform(fitted["plain"], X_transform, device),
        },
        args.repeats,
    )
    n_tr = len(X_transform)
    tr_summary = {
        **tr,
        "n_images": n_tr,
        "default_dims": int(fitted["default"].transform(X_transform[:2]).shape[1]),
        "plain_dims": int(fitted["plain"].transform(X_transform[:2]).shape[1]),
        "default_ips": n_tr / tr["default"]["median_s"],
        "plain_ips": n_tr / tr["plain"]["median_s"],
        "bare_ips": n_tr / tr["bare"]["median_s"],
    }
    tr_summary["ratio"] = tr_summary["plain_ips"] / tr_summary["bare_ips"]
    tr_summary["default_ratio"] = tr_summary["default_ips"] / tr_summary["plain_ips"]

    flops = step_flops(100, 32, args.width)
    if device.type == "cpu":
        flops["cpu_peak"] = cpu_peak()
        flops["nominal_gflops"] = flops["cpu_peak"]["nominal_gflops"]
    else:
        flops["nominal_gflops"] = CUDA_PEAK / 1e9
    conv_dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    flops["conv_gflops"] = conv_gflops(device, conv_dtype)
    # A measured rate is a lower bound on the peak: when it beats the nominal
    # figure (a clock above the one reported), the peak is the measured rate.
    flops["peak_gflops"] = max(flops["nominal_gflops"], flops["conv_gflops"])
    for key, step in (("plain", "skgan_step_flops"), ("default", "contrastive_step_flops")):
        flops[f"{key}_gflops"] = flops[step] * fit_summary[f"{key}_loop_ips"] / 1e9
        flops[f"{key}_fraction"] = flops[f"{key}_gflops"] / flops["peak_gflops"]

    payload = {
        "machine": machine(str(device)),
        "args": args_record(args),
        "n_train": args.n_train,
        "precision": precision,
        "shared_cpu": args.shared_cpu,
        "fit": fit_summary,
        "transform": tr_summary,
        "flops": flops,
    }
    if device.type == "cpu":
        print("transform peak RSS (child process)", flush=True)
        payload["rss"] = measure_rss(args)
        print("bf16 vs float32 on CPU (default)", flush=True)
        bf16_loop = []
        for _ in range(args.repeats):
            bf16_loop.append(skgan_fit(X, args, device, "bf16", "auto")[2])
        payload["bf16_speed"] = {
            "bf16_loop_ips": images / statistics.median(bf16_loop),
            "fp32_loop_ips": fit_summary["default_loop_ips"],
            "bf16_runs_s": bf16_loop,
        }
        payload["bf16_speed"]["ratio"] = (
            payload["bf16_speed"]["bf16_loop_ips"] / payload["bf16_speed"]["fp32_loop_ips"]
        )
    if not args.skip_accuracy:
        print(f"bf16 vs float32 features on {device.type}", flush=True)
        payload["bf16"] = bf16_accuracy(X_all[:10000], y_all[:10000], X_test, y_test, args, device)
    write_results(f"speed-{device.type}", payload, markdown(payload), args.out)


if __name__ == "__main__":
    main()
