"""Per-sample random augmentation of one batch on CPU: skgan's warp vs kornia vs torchvision v2.

The contrastive discriminator needs two random views of every image in a
batch, each with its own parameters. This times, on a ``(128, 1, 32, 32)``
batch (MNIST padded to 32), the median and minimum milliseconds of:

* skgan's ``Augment`` (``skgan._augment``): one ``affine_grid`` /
  ``grid_sample`` pair for the batch, parameters drawn per sample;
* ``kornia.augmentation`` (per sample, global RNG only);
* ``torchvision.transforms.v2``: a call per image (per-sample parameters) and
  one call per batch, which draws one parameter set for the whole batch.

It also counts distinct outputs for 128 copies of one image (128 = per
sample). Needs kornia (``pip install -e ".[bench]"``).

Usage::

    python benchmarks/augmentation.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import kornia.augmentation as K
import torch
import torchvision.transforms.v2 as T
from _common import commit_note, machine, write_results

from skgan._augment import AUGMENTATIONS, Augment

DIGITS = AUGMENTATIONS["digits"]
AFFINE = dict(degrees=DIGITS.rotation, translate=(DIGITS.translation,) * 2, scale=DIGITS.scale)
CROP = (0.5, 1.0)


def methods(side: int) -> dict:
    """Name -> (callable on a batch, per-sample parameters?)."""
    v2_affine = T.RandomAffine(**AFFINE, interpolation=T.InterpolationMode.BILINEAR)
    v2_crop = T.RandomResizedCrop(side, scale=CROP, antialias=False)
    kornia_affine = K.RandomAffine(**AFFINE, p=1.0)
    kornia_crop = K.RandomResizedCrop((side, side), scale=CROP, p=1.0)
    crop = Augment(crop=CROP)

    def each(transform):
        return lambda x: torch.stack([transform(image) for image in x])

    return {
        "skgan Augment, digits preset (affine)": DIGITS,
        "skgan Augment, resized crop": crop,
        "kornia RandomAffine": kornia_affine,
        "kornia RandomResizedCrop": kornia_crop,
        "torchvision v2 RandomAffine, one call per image": each(v2_affine),
        "torchvision v2 RandomResizedCrop, one call per image": each(v2_crop),
        "torchvision v2 RandomAffine, one call per batch": v2_affine,
        "torchvision v2 RandomResizedCrop, one call per batch": v2_crop,
    }


def timings(function, x, reps: int) -> tuple[float, float]:
    for _ in range(3):
        function(x)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function(x)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), min(times)


def distinct_outputs(function, side: int, n: int) -> int:
    image = -torch.ones(1, 1, side, side)
    image[:, :, side // 4 : 3 * side // 4, side // 3 : 2 * side // 3] = 1.0
    out = function(image.expand(n, -1, -1, -1).contiguous())
    return len(torch.unique(out.flatten(1).round(decimals=4), dim=0))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--side", type=int, default=32)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--note", default="", help="what else ran on the machine")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch, 1, args.side, args.side) * 2 - 1
    rows = {}
    for name, function in methods(args.side).items():
        median, best = timings(function, x, args.reps)
        rows[name] = {
            "median_ms": median,
            "min_ms": best,
            "distinct_of_identical": distinct_outputs(function, args.side, args.batch),
        }
        print(f"{name:55s} median {median:7.2f} ms  min {best:7.2f} ms", flush=True)
    payload = {"machine": machine("cpu"), "args": vars(args), "rows": rows}
    m = payload["machine"]
    lines = [
        "# Augmentation speed: one batch, per-sample random parameters",
        "",
        f"Machine: {m['cpu']} ({m['cpu_cores']} cores, {args.threads} torch threads); "
        f"torch {m['torch']}, {m['date']}.{commit_note(m)} "
        f"Batch {args.batch} x 1 x {args.side} x {args.side} "
        f"float32; {args.reps} timed calls after 3 warm-up calls. Distinct: outputs that "
        f"differ among {args.batch} copies of one image ({args.batch} = parameters per sample)."
        + (f" {args.note}" if args.note else ""),
        "",
        "| method | median ms | min ms | distinct outputs |",
        "|---|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['median_ms']:.2f} | {row['min_ms']:.2f} | "
            f"{row['distinct_of_identical']} |"
        )
    write_results("augmentation-cpu", payload, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
