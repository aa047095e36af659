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

#: Nominal dense peak FLOP/s for the "fraction of peak" figure.
PEAKS = {
    # 2 cores x 32 fp32 FLOP/cycle x 2.6 GHz: the figure the performance issue states.
    "cpu": 2 * 32 * 2.6e9,
    # NVIDIA H100 SXM dense bf16 tensor-core peak (datasheet).
    "cuda": 989e12,
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
    """Multiply-accumulates of one forward pass, counted over every conv layer."""
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        kernel = layer.kernel_size[0] * layer.kernel_size[1]
        if isinstance(layer, torch.nn.ConvTranspose2d):
            total += inputs[0].numel() * layer.out_channels * kernel
        else:
            total += output.numel() * layer.in_channels * kernel

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    ]
    with torch.no_grad():
        module(x)
    for handle in handles:
        handle.remove()
    return total // len(x)


def step_flops(latent_dim: int, side: int, width: int) -> dict:
    """FLOPs per image of one skgan training step (and the bare loop's).

    skgan: G forward + backward (3 Mg), D forward on real, fake, and generated
    (3 Md), D backward for its own step on real and fake (4 Md) and an
    input-only backward in G's step (1 Md): 3 Mg + 8 Md MACs. The bare loop
    also computes D's weight gradients in G's step: 3 Mg + 9 Md.
    """
    networks = GANS["dcgan"].build(NetSize(1, side, width, latent_dim))
    generator, discriminator = networks.generator, networks.discriminator
    mg = conv_macs(generator, torch.randn(2, latent_dim))
    md = conv_macs(discriminator, torch.randn(2, 1, side, side))
    return {
        "generator_macs": mg,
        "discriminator_macs": md,
        "skgan_step_flops": 2 * (3 * mg + 8 * md),
        "bare_step_flops": 2 * (3 * mg + 9 * md),
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


def skgan_fit(X: np.ndarray, args, device: torch.device, precision: str = "32"):
    start = time.perf_counter()
    est = GANFeatureExtractor(
        n_epochs=args.epochs,
        width=args.width,
        batch_size=args.batch_size,
        device=str(device),
        precision=precision,
        random_state=args.seed,
        self_supervision="none",  # the bare loop is Radford's plain DCGAN step
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
    """Linear-probe accuracy (1000 labels) of float32- vs bf16-trained features."""
    out = {}
    for precision in ("32", "bf16"):
        est, seconds, _ = skgan_fit(X, args, device, precision)
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


def markdown(p: dict) -> str:
    m, fit, tr, flops = p["machine"], p["fit"], p["transform"], p["flops"]
    n = p["n_train"]
    lines = [
        f"# Speed on `{m['device']}`",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads)"
        f"{', GPU ' + m['gpu'] if 'gpu' in m else ''}; torch {m['torch']}; {m['date']}.",
        f"Fit: {n} MNIST images x {p['args']['epochs']} epochs, batch {p['args']['batch_size']}, "
        f"width {p['args']['width']}; medians of {p['args']['repeats']} interleaved runs.",
        "",
        "| measure | skgan | bare PyTorch | ratio (skgan / bare) |",
        "|---|---:|---:|---:|",
        f"| fit, training loop images/s | {fit['skgan_loop_ips']:.0f} | {fit['bare_ips']:.0f} | "
        f"{fit['loop_ratio']:.3f} |",
        f"| fit, whole `fit` images/s (incl. BN statistics pass) | {fit['skgan_fit_ips']:.0f} | "
        f"{fit['bare_ips']:.0f} | {fit['fit_ratio']:.3f} |",
        f"| transform images/s ({tr['n_images']} images) | {tr['skgan_ips']:.0f} | "
        f"{tr['bare_ips']:.0f} | {tr['ratio']:.3f} |",
        "",
        f"Training step: {flops['skgan_step_flops'] / 1e6:.1f} MFLOP per image "
        f"(G {flops['generator_macs'] / 1e6:.2f} M MACs, D {flops['discriminator_macs'] / 1e6:.2f}"
        f" M MACs forward); skgan's training loop reaches {flops['achieved_gflops']:.1f} GFLOP/s: "
        f"{100 * flops['fraction_of_peak']:.1f} % of the nominal {flops['peak_gflops']:.0f} "
        f"GFLOP/s peak and {100 * flops['fraction_of_conv']:.1f} % of the "
        f"{flops['conv_gflops']:.0f} GFLOP/s that D's largest convolution alone sustains "
        f"on this device.",
    ]
    if p.get("rss"):
        r = p["rss"]
        lines.append(
            f"Transform of {r['n_images']} images: output {r['output_mb']:.0f} MiB, "
            f"RSS {r['rss_before_mb']:.0f} MiB before, peak {r['peak_rss_mb']:.0f} MiB: "
            f"{r['overhead_mb']:.0f} MiB beyond the output."
        )
    if p.get("bf16"):
        b = p["bf16"]
        lines += [
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
            f"\nbf16 vs float32 training loop on this device: {s['bf16_loop_ips']:.0f} vs "
            f"{s['fp32_loop_ips']:.0f} images/s (ratio {s['ratio']:.3f})."
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
    loop_seconds, fitted = [], []

    def run_skgan():
        est, seconds, loop = skgan_fit(X, args, device, precision)
        loop_seconds.append(loop)
        fitted[:] = [est]
        return seconds

    fit = interleaved(
        {"skgan": run_skgan, "bare": lambda: bare_fit(X, args, device, precision)}, args.repeats
    )
    images = args.n_train * args.epochs
    loop = statistics.median(loop_seconds)
    fit_summary = {
        **fit,
        "skgan_loop_median_s": loop,
        "skgan_loop_ips": images / loop,
        "skgan_fit_ips": images / fit["skgan"]["median_s"],
        "bare_ips": images / fit["bare"]["median_s"],
    }
    fit_summary["loop_ratio"] = fit_summary["skgan_loop_ips"] / fit_summary["bare_ips"]
    fit_summary["fit_ratio"] = fit_summary["skgan_fit_ips"] / fit_summary["bare_ips"]

    print("transform (interleaved)", flush=True)
    X_transform = np.concatenate([X_all, X_test])
    est = fitted[0]
    tr = interleaved(
        {
            "skgan": lambda: skgan_transform(est, X_transform, device),
            "bare": lambda: bare_transform(est, X_transform, device),
        },
        args.repeats,
    )
    n_tr = len(X_transform)
    tr_summary = {
        **tr,
        "n_images": n_tr,
        "skgan_ips": n_tr / tr["skgan"]["median_s"],
        "bare_ips": n_tr / tr["bare"]["median_s"],
    }
    tr_summary["ratio"] = tr_summary["skgan_ips"] / tr_summary["bare_ips"]

    flops = step_flops(100, 32, args.width)
    peak = PEAKS[device.type]
    flops["achieved_gflops"] = flops["skgan_step_flops"] * fit_summary["skgan_loop_ips"] / 1e9
    flops["peak_gflops"] = peak / 1e9
    flops["fraction_of_peak"] = flops["achieved_gflops"] * 1e9 / peak
    conv_dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    flops["conv_gflops"] = conv_gflops(device, conv_dtype)
    flops["fraction_of_conv"] = flops["achieved_gflops"] / flops["conv_gflops"]

    payload = {
        "machine": machine(str(device)),
        "args": args_record(args),
        "n_train": args.n_train,
        "precision": precision,
        "fit": fit_summary,
        "transform": tr_summary,
        "flops": flops,
    }
    if device.type == "cpu":
        print("transform peak RSS (child process)", flush=True)
        payload["rss"] = measure_rss(args)
        print("bf16 vs float32 on CPU", flush=True)
        bf16_loop = []
        for _ in range(args.repeats):
            bf16_loop.append(skgan_fit(X, args, device, "bf16")[2])
        payload["bf16_speed"] = {
            "bf16_loop_ips": images / statistics.median(bf16_loop),
            "fp32_loop_ips": fit_summary["skgan_loop_ips"],
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
