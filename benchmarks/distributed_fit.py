"""One process of a data-parallel ``fit``; start it with ``torchrun`` or ``accelerate launch``.

    torchrun --nproc_per_node 2 benchmarks/distributed_fit.py --out DIR   # 2 CPU processes
    accelerate launch --num_processes 2 benchmarks/distributed_fit.py --out DIR  # 2 GPUs

Every process fits ``GANFeatureExtractor(distributed=True)`` on the same images
(sklearn's 8x8 digits, or MNIST) and writes ``DIR/rank<r>.pt``: its networks'
weights, its ``history_`` and the features of the first 20 images, so the caller
can check that all processes ended identical. ``--processes-share-cores``
gives each process ``cores / num_processes`` torch threads. ``--dataset`` also
fits on the same images as a ``torch.utils.data.TensorDataset`` (each process
reads only its shards' items) and saves those features as ``dataset_features``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
from accelerate import Accelerator
from sklearn.datasets import load_digits
from torch.utils.data import TensorDataset

from skgan import GANFeatureExtractor
from skgan.datasets import load_mnist


def launch(out: Path, n_processes: int, *script_args: str) -> list[dict]:
    """Run this script in ``n_processes`` fresh processes with torchrun; their results."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(n_processes),
        "--master_addr", "127.0.0.1", "--master_port", str(port),
        __file__, "--out", str(out), *script_args,
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=3600)
    return [torch.load(Path(out) / f"rank{r}.pt", weights_only=True) for r in range(n_processes)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--data-home", type=Path, default=None)
    parser.add_argument("--n-train", type=int, default=256)
    parser.add_argument("--n-epochs", type=int, default=2)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--processes-share-cores", action="store_true")
    parser.add_argument("--dataset", action="store_true")
    parser.add_argument("--select-epoch", choices=["last", "best"], default="last")
    args = parser.parse_args(argv)

    if args.processes_share_cores:
        torch.set_num_threads(max(1, os.cpu_count() // int(os.environ.get("WORLD_SIZE", 1))))
    if args.data == "digits":
        X = load_digits().data
    else:
        X, _ = load_mnist(args.data_home, split="train")
    X = X[: args.n_train]
    params = dict(
        width=args.width,
        latent_dim=8 if args.data == "digits" else 100,
        batch_size=args.batch_size,
        n_epochs=args.n_epochs,
        random_state=0,
        distributed=True,
        select_epoch=args.select_epoch,
    )
    gan = GANFeatureExtractor(**params).fit(X)
    extra = {}
    if args.dataset:
        on_dataset = GANFeatureExtractor(**params).fit(TensorDataset(torch.as_tensor(X)))
        extra["dataset_features"] = torch.from_numpy(on_dataset.transform(X[:20]))
    accelerator = Accelerator()  # the state fit set up: rank and process count
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "num_processes": accelerator.num_processes,
            "backend": torch.distributed.get_backend()
            if torch.distributed.is_initialized()
            else None,
            "generator": gan.generator_.state_dict(),
            "discriminator": gan.discriminator_.state_dict(),
            "history": [{k: v for k, v in row.items() if k != "batches"} for row in gan.history_],
            "features": torch.from_numpy(gan.transform(X[:20])),
            **extra,
        },
        args.out / f"rank{accelerator.process_index}.pt",
    )


if __name__ == "__main__":
    main()
