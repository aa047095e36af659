"""Train the pytorch/examples DCGAN on MNIST and save its state dicts: the docs' "your own DCGAN".

The gallery example ``examples/plot_pretrained_dcgan.py`` reads features from
a DCGAN that somebody else's plain-PyTorch loop trained. Training one that
draws digits takes minutes, too long for the docs build, so this script
trains it once (``benchmarks/_examples_dcgan.py``: pytorch/examples' networks
and loop, MNIST resized to ``--image-size``, 32 or 64) and writes ``netG`` and ``netD``'s state
dicts, the widths and this command to
``benchmarks/results/pytorch_dcgan_mnist.pt``, which the example loads as a
user loads their checkpoint.

Usage::

    python benchmarks/pytorch_dcgan_checkpoint.py --n-epochs 3 --width 32 --image-size 32
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch
from _common import DEFAULT_MNIST, ROOT
from _examples_dcgan import train

from skgan.datasets import load_mnist

OUT = ROOT / "benchmarks" / "results" / "pytorch_dcgan_mnist.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-epochs", type=int, default=1)
    parser.add_argument("--width", type=int, default=16, help="ngf = ndf")
    parser.add_argument("--nz", type=int, default=100)
    parser.add_argument("--image-size", type=int, choices=(32, 64), default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    X, _ = load_mnist(args.data_home, split="train")
    netG, netD, record = train(
        X[: args.n_train], args.n_epochs, seed=args.seed, device=args.device,
        width=args.width, nz=args.nz, image_size=args.image_size,
    )  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/" + " ".join(
        shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]
    )
    torch.save(
        {
            "netG": netG.state_dict(),
            "netD": netD.state_dict(),
            "nz": args.nz,
            "ngf": args.width,
            "ndf": args.width,
            "image_size": args.image_size,
            "n_train": args.n_train,
            "command": command,
            # Plain floats: the file must load with ``torch.load(weights_only=True)``.
            "record": json.loads(json.dumps(record, default=float)),
        },
        args.out,
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
