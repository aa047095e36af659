"""Out-of-core fit and transform: a memmap on disk is never loaded whole.

Writes N random uint8 images of SIDE x SIDE to a ``.npy`` file, then in one
process: fits a ``GANFeatureExtractor`` on the file opened with
``mmap_mode="r"`` and transforms it into a float32 memmap output. A sampler
thread records the peak *anonymous* resident memory (``RssAnon``: memory the
process owns, not the file pages the kernel maps in and can drop) above the
level before the phase. The same is done with a ``torch.utils.data.Dataset``
whose items are read from the file one by one (as a user's Dataset of image
files would be). For contrast, the last phase loads the same file into memory
with ``np.load`` and fits on that.

    python benchmarks/out_of_core.py [--n 60000] [--side 32] [--n-epochs 1]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
from _common import (
    RESULTS,
    _proc_status_mb,
    args_record,
    commit_note,
    machine,
    timed,
    write_results,
)
from torch.utils.data import Dataset

from skgan import GANFeatureExtractor


class AnonPeak:
    """Peak ``RssAnon`` (MiB) above the level at entry, sampled every 2 ms."""

    def __enter__(self):
        self.start = self.peak = _proc_status_mb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _proc_status_mb("RssAnon"))
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.growth = self.peak - self.start


class FileImages(Dataset):
    """``(image, 0)`` items of a ``.npy`` file of images, each read from disk when asked."""

    def __init__(self, path: Path):
        self.images = np.load(path, mmap_mode="r")

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        return torch.from_numpy(np.array(self.images[i])), 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--side", type=int, default=32)
    parser.add_argument("--n-epochs", type=int, default=1)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--transform-batch-size", type=int, default=128)
    parser.add_argument("--out", type=Path, default=None, help="results directory")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="skgan_ooc_"))
    path = workdir / "X.npy"
    writer = np.lib.format.open_memmap(path, "w+", np.uint8, (args.n, args.side, args.side))
    rng = np.random.default_rng(0)
    for start in range(0, args.n, 10_000):
        stop = min(start + 10_000, args.n)
        writer[start:stop] = rng.integers(0, 256, (stop - start, args.side, args.side))
    writer.flush()
    del writer
    file_mb = path.stat().st_size / 2**20

    params = dict(
        width=args.width,
        latent_dim=16,
        n_epochs=args.n_epochs,
        batch_size=args.batch_size,
        transform_batch_size=args.transform_batch_size,
        device="cpu",
        random_state=0,
    )
    rows, times = {}, {}
    # Warm up torch (thread pools, kernels) so its one-off allocations are not counted.
    GANFeatureExtractor(**params).fit(rng.integers(0, 256, (256, args.side, args.side)))
    X = np.load(path, mmap_mode="r")
    gan = GANFeatureExtractor(**params)
    with AnonPeak() as peak, timed(times, "fit_memmap_s"):
        gan.fit(X)
    rows["fit on memmap"] = peak.growth
    n_features = gan.get_feature_names_out().shape[0]
    out = np.lib.format.open_memmap(workdir / "F.npy", "w+", np.float32, (args.n, n_features))
    with AnonPeak() as peak, timed(times, "transform_memmap_s"):
        gan.transform(X, out=out)
    rows["transform memmap into memmap"] = peak.growth
    out_mb = out.nbytes / 2**20
    del out
    dataset = FileImages(path)
    gan = GANFeatureExtractor(**params)
    with AnonPeak() as peak, timed(times, "fit_dataset_s"):
        gan.fit(dataset)
    rows["fit on Dataset"] = peak.growth
    out = np.lib.format.open_memmap(workdir / "F.npy", "r+")
    with AnonPeak() as peak, timed(times, "transform_dataset_s"):
        gan.transform(dataset, out=out)
    rows["transform Dataset into memmap"] = peak.growth
    del out, dataset
    with AnonPeak() as peak, timed(times, "fit_in_memory_s"):
        GANFeatureExtractor(**params).fit(np.load(path))
    rows["np.load whole file, then fit"] = peak.growth
    for file in workdir.iterdir():
        file.unlink()
    workdir.rmdir()

    payload = {
        "machine": machine("cpu"),
        "args": args_record(args),
        "input_file_mib": file_mb,
        "output_file_mib": out_mb,
        "peak_anon_growth_mib": rows,
        "seconds": times,
    }
    lines = [
        "# Out-of-core fit and transform (peak anonymous memory above the start of each phase)",
        "",
        f"Machine: {payload['machine']['cpu']}, device cpu.{commit_note(payload['machine'])} "
        f"{args.n} uint8 images of "
        f"{args.side}x{args.side} ({file_mb:.0f} MiB on disk), {args.n_epochs} epoch(s), "
        f"width {args.width}; features {n_features} per image ({out_mb:.0f} MiB output).",
        "",
        "| phase | peak RssAnon growth (MiB) |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {growth:.1f} |" for name, growth in rows.items()]
    lines += ["", "Wall times (JSON) were taken on a CPU shared with other jobs."]
    write_results("out_of_core-cpu", payload, "\n".join(lines) + "\n", args.out or RESULTS)


if __name__ == "__main__":
    main()
