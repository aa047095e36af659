"""Image datasets read from local files.

:func:`load_mnist` reads the four standard MNIST IDX files (gzip-compressed or
not) from a folder. Only when they are absent does it ask torchvision to
download them, which needs network access.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: IDX type codes (the third byte of the magic number) this reader accepts.
_UBYTE = 0x08


def _default_data_home() -> Path:
    """``$SKGAN_DATA`` if set, else ``~/skgan_data/mnist``."""
    return Path(os.environ.get("SKGAN_DATA") or Path.home() / "skgan_data" / "mnist")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an unsigned-byte IDX file (optionally gzip-compressed) into an array.

    Parameters
    ----------
    path : str or path-like
        File to read; a ``.gz`` suffix means gzip.

    Returns
    -------
    array : ndarray of uint8
        Shaped by the file's header, e.g. ``(60000, 28, 28)``.

    Examples
    --------
    >>> import gzip, tempfile, os
    >>> raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> _ = open(path, "wb").write(raw)
    >>> read_idx(path)
    array([7, 8, 9], dtype=uint8)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _UBYTE:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {body.size} values; its header says {shape}.")
    return body.reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _download(data_home: Path) -> Path:
    """Fetch MNIST with torchvision into ``data_home``; return the folder of raw files."""
    try:
        from torchvision.datasets import MNIST

        MNIST(str(data_home), download=True)
    except Exception as exc:  # network errors come in many types
        raise FileNotFoundError(
            f"MNIST files were not found in {data_home} and could not be downloaded "
            f"({exc}). Put the four IDX files (e.g. train-images-idx3-ubyte.gz) in "
            f"that folder, or pass data_home=."
        ) from exc
    return data_home / "MNIST" / "raw"


def load_mnist(data_home: str | os.PathLike | None = None, *, split: str = "train"):
    """Load MNIST digits from local IDX files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder with the IDX files (also searched: its ``MNIST/raw``
        subfolder, where torchvision puts them). Default: ``$SKGAN_DATA``,
        then ``~/skgan_data/mnist``. When the files are absent, torchvision
        downloads them there, if the network allows.
    split : {"train", "test"}, default="train"
        The 60000 training or the 10000 test digits.

    Returns
    -------
    X : ndarray of shape (n_samples, 28, 28), uint8
        The images.
    y : ndarray of shape (n_samples,), uint8
        Their labels, 0 to 9.

    Examples
    --------
    Real MNIST: ``X, y = load_mnist("../shared/data/mnist")`` gives
    ``(60000, 28, 28)`` uint8 images. Any folder of IDX files works:

    >>> import gzip, os, tempfile
    >>> from skgan.datasets import load_mnist
    >>> home = tempfile.mkdtemp()
    >>> images = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(8))
    >>> labels = bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])
    >>> for name, data in [("t10k-images-idx3-ubyte.gz", images),
    ...                    ("t10k-labels-idx1-ubyte.gz", labels)]:
    ...     with gzip.open(os.path.join(home, name), "wb") as f:
    ...         _ = f.write(data)
    >>> X, y = load_mnist(home, split="test")
    >>> X.shape, y
    ((2, 2, 2), array([7, 3], dtype=uint8))
    """
    if split not in _FILES:
        raise ValueError(f"split must be one of {sorted(_FILES)}; got {split!r}.")
    home = Path(data_home) if data_home is not None else _default_data_home()
    stems = _FILES[split]
    for folder in (home, home / "MNIST" / "raw"):
        paths = [_find(folder, stem) for stem in stems]
        if all(paths):
            break
    else:
        folder = _download(home)
        paths = [_find(folder, stem) for stem in stems]
    X, y = (read_idx(p) for p in paths)
    if len(X) != len(y):
        raise ValueError(f"{paths[0]} has {len(X)} images but {paths[1]} has {len(y)} labels.")
    return X, y
